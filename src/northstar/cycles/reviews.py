"""The evaluation flow of a cycle (S9.4, S6.5): self-review, manager review with the team
indicators' contributions, calibration with the grade distribution beside the forced one,
publication of the results and the employee's confirmation.

Steps come in order — the self-review, then the manager's, then calibration, publication and
confirmation — and a step taken out of order is refused with what must come first. Every save
carries the version it was read at, so that the second of two people editing the same review
gets a conflict message instead of overwriting the first.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from northstar import audit
from northstar.cycles import guards
from northstar.cycles import service as cycles
from northstar.cycles.guards import HR, Action, StateRefused
from northstar.cycles.models import (
    AppealState,
    CalibrationChange,
    Cycle,
    CycleAppeal,
    CycleParticipant,
    CycleReview,
    CycleState,
    ReviewStep,
)
from northstar.cycles.scores import rescore, review_for, reviews_of
from northstar.db import check_version, utcnow
from northstar.errors import N_, Conflict, Forbidden, Label, Named, Problem, ValidationFailed
from northstar.indicators.models import IndicatorCard
from northstar.scorecards.models import TeamIndicator, TeamMember
from northstar.scoring.rules import RubricRule
from northstar.security.principal import Principal

HUNDRED = Decimal(100)
STEP_ORDER = list(ReviewStep)


def review_label(p: CycleParticipant) -> Named:
    who = f"{p.employee.name} ({p.employee.number})"
    return Named(f"The review of {who}", f"{who}的评估")


def _who(p: CycleParticipant) -> dict[str, Any]:
    return {"name": p.employee.name, "number": p.employee.number}


def _rubrics(db: Session, cycle: Cycle, p: CycleParticipant) -> dict[str, RubricRule]:
    """Card code → rubric rule, for the participant's rubric indicators."""
    rules = cycles.rules_of(db, cycle, [a.card_id for a in p.assignments])
    out = {}
    for a in p.assignments:
        rule = rules.rule(a.card)
        if rule and rule.get("kind") == "rubric":
            out[a.card.code] = RubricRule.model_validate(rule)
    return out


def _ratings(
    rubrics: Mapping[str, RubricRule], ratings: Mapping[str, str], prefix: str, *, complete: bool
) -> tuple[dict[str, str], list[Problem]]:
    clean: dict[str, str] = {}
    problems = []
    for code, level in ratings.items():
        level = (level or "").strip()
        if not level:
            continue
        rule = rubrics.get(code)
        if rule is None:
            problems.append(
                Problem(
                    N_("{card} is not a rubric indicator of this scorecard: nothing to rate."),
                    {"card": code},
                    field=f"{prefix}.{code}",
                )
            )
        elif level not in [lvl.code for lvl in rule.levels]:
            problems.append(
                Problem(
                    N_('{card}: level "{level}" is not one of {levels}; pick one of them.'),
                    {"card": code, "level": level, "levels": ", ".join(lvl.code for lvl in rule.levels)},
                    field=f"{prefix}.{code}",
                )
            )
        else:
            clean[code] = level
    if complete:
        for code in rubrics:
            if code not in clean:
                problems.append(
                    Problem(
                        N_("{card}: rate this indicator before submitting."),
                        {"card": code},
                        field=f"{prefix}.{code}",
                    )
                )
    return clean, problems


def _submitted_already(p: CycleParticipant, what: str, at: object) -> StateRefused:
    return StateRefused(
        N_("The {what} of {name} ({number}) was submitted on {at} and cannot change now."),
        what=Label(what),
        at=str(at)[:16],
        **_who(p),
    )


def _record_save(
    db: Session,
    principal: Principal,
    cycle: Cycle,
    number: str,
    review: CycleReview,
    old: ReviewStep,
    submit: bool,
    field: str,
    text: str,
) -> None:
    """Write the review and its audit row: the step it moved to, or the draft text saved."""
    db.flush()
    audit.record(
        db,
        principal.actor,
        action="submit" if submit else "save",
        entity="cycle_review",
        entity_id=f"{cycle.code}/{number}",
        changes={"step": (old, review.step)} if submit else {field: (None, text[:200])},
    )


SELF = N_("self-review")
MANAGER = N_("manager review")


def save_self_review(
    db: Session,
    principal: Principal,
    cycle: Cycle,
    number: str,
    *,
    comment: str,
    ratings: Mapping[str, str] | None = None,
    submit: bool,
    version: int | None,
) -> CycleReview:
    """Save or submit one's own self-review: comments and self-ratings of rubric indicators."""
    cycles.lock(db, cycle)
    guards.require(cycle.code, cycle.state, Action.self_review, principal.role)
    p = cycles.get_participant(db, principal, cycle, number)
    if p.employee_id != principal.employee_id:
        raise Forbidden(N_("Only {name} writes their own self-review."), name=p.employee.name)
    review = review_for(db, p)
    if version is not None:
        check_version(review, version, review_label(p))
    if review.step is not ReviewStep.open:
        raise _submitted_already(p, SELF, review.self_at)
    text = (comment or "").strip()
    clean, problems = _ratings(_rubrics(db, cycle, p), ratings or {}, "ratings", complete=False)
    if submit and not text:
        problems.append(
            Problem(
                N_("Write a few lines on your results and how you reached them before submitting."),
                field="comment",
            )
        )
    if problems:
        raise ValidationFailed(
            N_("The self-review cannot be saved: fix the fields listed."), problems=problems
        )
    old = review.step
    review.self_comment = text
    review.self_ratings = clean
    if submit:
        review.step = ReviewStep.self_submitted
        review.self_at = utcnow()
    _record_save(db, principal, cycle, number, review, old, submit, "self_comment", text)
    return review


def waive_self_review(
    db: Session, principal: Principal, cycle: Cycle, number: str, *, reason: str
) -> CycleReview:
    """HR records that a participant will not write a self-review (long leave, no account), with
    the reason, so that their manager review can follow."""
    cycles.lock(db, cycle)
    guards.require(cycle.code, cycle.state, Action.self_review, principal.role)
    principal.require(*HR)
    p = cycles.get_participant(db, principal, cycle, number)
    review = review_for(db, p)
    if review.step is not ReviewStep.open:
        raise _submitted_already(p, SELF, review.self_at)
    text = cycles.require_reason(reason)
    review.step = ReviewStep.self_submitted
    review.self_at = utcnow()
    review.self_comment = ""
    review.self_waived = text
    db.flush()
    audit.record(
        db,
        principal.actor,
        action="waive",
        entity="cycle_review",
        entity_id=f"{cycle.code}/{number}",
        changes={"step": (ReviewStep.open, ReviewStep.self_submitted)},
        reason=text,
    )
    return review


def may_rate(principal: Principal, p: CycleParticipant) -> bool:
    """Anyone the role and scope let review (``get_participant`` has applied the scope), except
    oneself: HR anyone, a manager or an executive the people in their scope."""
    return p.employee_id != principal.employee_id


def team_lines(db: Session, cycle: Cycle, p: CycleParticipant) -> list[tuple[TeamIndicator, TeamMember]]:
    """The team indicators of the scorecard period the participant is a member of, with their share."""
    rows = db.execute(
        select(TeamIndicator, TeamMember)
        .join(TeamMember, TeamMember.team_indicator_id == TeamIndicator.id)
        .where(TeamMember.employee_id == p.employee_id, TeamIndicator.period == cycle.scorecard_period)
        .order_by(TeamIndicator.id)
    )
    return [(t, m) for t, m in rows.unique()]


def save_manager_review(
    db: Session,
    principal: Principal,
    cycle: Cycle,
    number: str,
    *,
    comment: str,
    ratings: Mapping[str, str] | None = None,
    contributions: Mapping[str, str] | None = None,
    submit: bool,
    version: int | None,
) -> CycleReview:
    """Save or submit the manager review: comments, the rubric ratings (the actuals of rubric
    indicators) and each team indicator's contribution evaluation; submitting scores the person."""
    cycles.lock(db, cycle)
    guards.require(cycle.code, cycle.state, Action.manager_review, principal.role)
    p = cycles.get_participant(db, principal, cycle, number)
    if not may_rate(principal, p):
        raise Forbidden(N_("You cannot review yourself: your own manager writes your manager review."))
    review = review_for(db, p)
    if version is not None:
        check_version(review, version, review_label(p))
    if (
        review.step is ReviewStep.manager_submitted
        and principal.user_id != review.rater_id
        and principal.role not in HR
    ):
        # until calibration the rater (or HR) may revise a submitted review; nobody else overwrites it
        raise Forbidden(
            N_("{rater} reviewed {name} ({number}) already: only they or HR revise that review."),
            rater=review.rater,
            **_who(p),
        )
    if submit and review.step is ReviewStep.open:
        raise Conflict(
            N_(
                "{name} ({number}) has not submitted the self-review yet: the manager review is submitted after it. Remind them from the cycle's progress page."
            ),
            **_who(p),
        )
    text = (comment or "").strip()
    clean, problems = _ratings(_rubrics(db, cycle, p), ratings or {}, "ratings", complete=submit)
    # which team indicators the person is a member of, by id as the form sends it: a light query,
    # the page reads the members with ``team_lines``
    teams: dict[str, str] = {
        str(team_id): code
        for team_id, code in db.execute(
            select(TeamIndicator.id, IndicatorCard.code)
            .join(TeamMember, TeamMember.team_indicator_id == TeamIndicator.id)
            .join(IndicatorCard, TeamIndicator.card_id == IndicatorCard.id)
            .where(TeamMember.employee_id == p.employee_id, TeamIndicator.period == cycle.scorecard_period)
        )
    }
    notes: dict[str, str] = {}
    for key, note in (contributions or {}).items():
        if str(key) not in teams:
            problems.append(
                Problem(
                    N_("{name} is not a member of team indicator {team} in {period}."),
                    {"name": p.employee.name, "team": key, "period": cycle.scorecard_period},
                    field=f"contributions.{key}",
                )
            )
        elif (note or "").strip():
            notes[str(key)] = note.strip()
    if submit:
        if not text:
            problems.append(Problem(N_("Write your assessment before submitting."), field="comment"))
        for key, code in teams.items():
            if key not in notes:
                problems.append(
                    Problem(
                        N_("Evaluate the contribution to the team indicator {team} before submitting."),
                        {"team": code},
                        field=f"contributions.{key}",
                    )
                )
    if problems:
        raise ValidationFailed(
            N_("The manager review cannot be saved: fix the fields listed."), problems=problems
        )
    old = review.step
    if old is ReviewStep.manager_submitted and not submit:
        raise Conflict(
            N_("The manager review of {name} ({number}) is submitted: change it by submitting it again."),
            **_who(p),
        )
    review.manager_comment = text
    review.manager_ratings = clean
    review.contributions = notes
    review.rater_id = principal.user_id
    review.rater = principal.username
    if submit:
        review.step = ReviewStep.manager_submitted
        review.manager_at = utcnow()
    _record_save(db, principal, cycle, number, review, old, submit, "manager_comment", text)
    return review


def missing_manager_reviews(db: Session, cycle: Cycle) -> list[Problem]:
    """One problem per participant whose manager review is not submitted: calibration waits for them."""
    reviews = reviews_of(db, cycle)
    problems = []
    for p in cycles.all_participants(db, cycle):
        r = reviews.get(p.id)
        if r is None or r.step not in (ReviewStep.manager_submitted, ReviewStep.confirmed):
            step = Label(
                N_("self-review") if r is None or r.step is ReviewStep.open else N_("manager review")
            )
            problems.append(
                Problem(
                    N_("{name} ({number}): the {step} is not submitted."),
                    {**_who(p), "step": step},
                    field=f"participants.{p.employee.number}.review",
                )
            )
    return problems


# --- calibration ----------------------------------------------------------------------------


def effective_grade(review: CycleReview | None) -> str | None:
    if review is None:
        return None
    return review.final_grade or review.grade


def calibrate(
    db: Session,
    principal: Principal,
    cycle: Cycle,
    number: str,
    *,
    grade: str,
    reason: str,
    version: int,
) -> CalibrationChange:
    """Change a person's grade in calibration, with a reason, before the results are published."""
    cycles.lock(db, cycle)
    guards.require(cycle.code, cycle.state, Action.calibrate, principal.role)
    if cycle.published_at is not None:
        raise StateRefused(
            N_(
                "The results of cycle {cycle} are published: a grade now changes only through an appeal, or after HR reopens the cycle for review."
            ),
            cycle=cycle.code,
        )
    p = cycles.get_participant(db, principal, cycle, number)
    if p.employee_id == principal.employee_id:
        raise Forbidden(N_("You cannot change your own grade: another HR colleague calibrates it."))
    review = review_for(db, p)
    check_version(review, version, review_label(p))
    codes = [g.code for g in cycles.grades_of(cycle).grades]
    if grade not in codes:
        raise ValidationFailed(
            N_('grade: "{grade}" is not one of the cycle\'s grades ({grades}).'),
            grade=grade,
            grades=", ".join(codes),
            field="grade",
        )
    old = effective_grade(review)
    if grade == old:
        raise ValidationFailed(
            N_("grade: {name} already has grade {grade}; choose another grade or leave it."),
            grade=grade,
            name=p.employee.name,
            field="grade",
        )
    text = cycles.require_reason(reason)
    change = _regrade(db, principal, cycle, p, review, grade, text, None)
    return change


def _regrade(
    db: Session,
    principal: Principal,
    cycle: Cycle,
    p: CycleParticipant,
    review: CycleReview,
    grade: str,
    reason: str,
    appeal: CycleAppeal | None,
) -> CalibrationChange:
    old = effective_grade(review)
    review.final_grade = grade
    change = CalibrationChange(
        cycle_id=cycle.id,
        participant_id=p.id,
        old_grade=old,
        new_grade=grade,
        reason=reason,
        actor_id=principal.user_id,
        actor_name=principal.username,
        appeal_id=appeal.id if appeal else None,
    )
    db.add(change)
    db.flush()
    audit.record(
        db,
        principal.actor,
        action="appeal" if appeal else "calibrate",
        entity="cycle_review",
        entity_id=f"{cycle.code}/{p.employee.number}",
        changes={"grade": (old, grade)},
        reason=reason,
    )
    return change


@dataclass(frozen=True)
class GradeRow:
    code: str
    label: str
    label_en: str
    count: int
    share: Decimal
    #: the forced distribution's share and the count it means for this population (None: none set)
    forced_share: Decimal | None
    forced_count: int | None

    @property
    def difference(self) -> int | None:
        return None if self.forced_count is None else self.count - self.forced_count


@dataclass(frozen=True)
class Distribution:
    """The grade distribution of a population (a department subtree or the company), beside the
    forced distribution when the cycle sets one; never applied silently, only shown."""

    total: int
    ungraded: int
    rows: list[GradeRow]
    changes: list[CalibrationChange] = field(default_factory=list)
    by_department: list[tuple[str, str, Counter[str]]] = field(default_factory=list)


def _pct(n: int, total: int) -> Decimal:
    if not total:
        return Decimal(0)
    return (Decimal(n) * HUNDRED / Decimal(total)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def distribution(
    db: Session, principal: Principal, cycle: Cycle, *, department: str | None = None
) -> Distribution:
    """The grades of the participants the principal may see (of one department subtree when
    given), each grade's count and share, the forced distribution's share and count beside it,
    every calibration change with its reason, and counts per department."""
    participants = cycles.get_participants(db, principal, cycle, department=department)
    reviews = reviews_of(db, cycle)
    grades = cycles.grades_of(cycle).grades
    forced = cycles.distribution_of(cycle)
    counts: Counter[str] = Counter()
    ungraded = 0
    per_dept: dict[int, Counter[str]] = {}
    for p in participants:
        code = effective_grade(reviews.get(p.id))
        if code is None:
            ungraded += 1
            continue
        counts[code] += 1
        per_dept.setdefault(p.department_id, Counter())[code] += 1
    total = sum(counts.values())
    rows = []
    for g in grades:
        share = forced.get(g.code) if forced is not None else None
        rows.append(
            GradeRow(
                g.code,
                g.label,
                g.label_en,
                counts[g.code],
                _pct(counts[g.code], total),
                share,
                None
                if share is None
                else int((share * total / HUNDRED).quantize(Decimal(1), rounding=ROUND_HALF_UP)),
            )
        )
    ids = {p.id for p in participants}
    changes = [
        c
        for c in db.scalars(
            select(CalibrationChange)
            .where(CalibrationChange.cycle_id == cycle.id)
            .order_by(CalibrationChange.id.desc())
        ).unique()
        if c.participant_id in ids
    ]
    depts = {p.department_id: p.department for p in participants}
    by_department = [
        (depts[d].code, depts[d].name, c)
        for d, c in sorted(per_dept.items(), key=lambda kv: depts[kv[0]].code)
    ]
    return Distribution(total, ungraded, rows, changes, by_department)


def publish(db: Session, principal: Principal, cycle: Cycle, *, version: int) -> Cycle:
    """Publish the calibrated results: every participant's final grade is fixed and they may
    confirm it or appeal."""
    cycles.lock(db, cycle)
    guards.require(cycle.code, cycle.state, Action.publish, principal.role)
    check_version(cycle, version, cycles.cycle_label(cycle))
    if cycle.published_at is not None:
        raise StateRefused(N_("The results of cycle {cycle} are published already."), cycle=cycle.code)
    problems = missing_manager_reviews(db, cycle)
    if problems:
        raise ValidationFailed(
            N_("The results of cycle {cycle} cannot be published: reviews are missing."),
            problems=problems,
            cycle=cycle.code,
        )
    for review in reviews_of(db, cycle).values():
        if review.final_grade is None:
            review.final_grade = review.grade
    cycle.published_at = utcnow()
    db.flush()
    audit.record(
        db,
        principal.actor,
        action="publish",
        entity="cycle",
        entity_id=cycle.code,
        changes={"published_at": (None, str(cycle.published_at))},
    )
    return cycle


def _published(cycle: Cycle) -> None:
    if cycle.published_at is None:
        raise StateRefused(
            N_("The results of cycle {cycle} are not published yet: HR publishes them after calibration."),
            cycle=cycle.code,
        )


def confirm(
    db: Session, principal: Principal, cycle: Cycle, number: str, *, comment: str = "", version: int
) -> CycleReview:
    """The employee confirms their published result."""
    cycles.lock(db, cycle)
    guards.require(cycle.code, cycle.state, Action.confirm, principal.role)
    p = cycles.get_participant(db, principal, cycle, number)
    if p.employee_id != principal.employee_id:
        raise Forbidden(N_("Only {name} confirms their own result."), name=p.employee.name)
    _published(cycle)
    review = review_for(db, p)
    check_version(review, version, review_label(p))
    if review.step is ReviewStep.confirmed:
        raise StateRefused(N_("You confirmed this result on {at} already."), at=str(review.confirmed_at)[:16])
    open_appeal = db.scalar(
        select(CycleAppeal.id).where(
            CycleAppeal.participant_id == p.id, CycleAppeal.state == AppealState.open
        )
    )
    if open_appeal is not None:
        raise Conflict(N_("Your appeal is still open: confirm the result once it is decided."))
    review.step = ReviewStep.confirmed
    review.confirmed_at = utcnow()
    review.confirm_comment = (comment or "").strip()
    db.flush()
    audit.record(
        db,
        principal.actor,
        action="confirm",
        entity="cycle_review",
        entity_id=f"{cycle.code}/{number}",
        changes={"step": (ReviewStep.manager_submitted, ReviewStep.confirmed)},
        reason=review.confirm_comment or None,
    )
    return review


def close_problems(db: Session, cycle: Cycle) -> list[Problem]:
    """What stops a cycle from closing: unpublished results, open appeals."""
    problems = []
    if cycle.published_at is None:
        problems.append(
            Problem(
                N_("Publish the results first: employees confirm or appeal them before the cycle closes."),
                field="published_at",
            )
        )
    for a in db.scalars(
        select(CycleAppeal).where(CycleAppeal.cycle_id == cycle.id, CycleAppeal.state == AppealState.open)
    ).unique():
        problems.append(
            Problem(
                N_("The appeal of {name} ({number}) is open: it must be decided before the cycle closes."),
                _who(a.participant),
                field=f"appeals.{a.id}",
            )
        )
    return problems


def before_move(db: Session, cycle: Cycle, to: CycleState) -> None:
    """The checks of the evaluation flow when the cycle moves (called by ``service.move``)."""
    if to is CycleState.calibration and cycle.state is CycleState.review:
        problems = missing_manager_reviews(db, cycle)
        if problems:
            raise ValidationFailed(
                N_("Cycle {cycle} cannot move to calibration: every manager review must be submitted first."),
                problems=problems,
                cycle=cycle.code,
            )
        rescore(db, cycle)
    elif to is CycleState.review and cycle.state is CycleState.calibration and cycle.published_at is not None:
        raise StateRefused(
            N_("The results of cycle {cycle} are published: it can no longer go back to review."),
            cycle=cycle.code,
        )
    elif to is CycleState.closed:
        problems = close_problems(db, cycle)
        if problems:
            raise ValidationFailed(
                N_("Cycle {cycle} cannot close yet: fix the problems listed."),
                problems=problems,
                cycle=cycle.code,
            )
