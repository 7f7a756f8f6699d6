"""Performance cycles (S9.1, S9.3): set up, enrol, plan targets and weights, freeze the cards,
record and flag changes, compare with the previous cycle.

Every operation asks ``cycles.guards`` whether the cycle's state lets the principal's role do
it, then applies the record scope (a manager plans for people in their subtree and their
reports, never for themselves). Writes lock the cycle row first (FOR UPDATE on PostgreSQL) so
that a plan change and the start of the cycle cannot interleave: the weights checked at start
are the weights the cycle runs with.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import ValidationError
from sqlalchemy import ColumnElement, func, or_, select, true
from sqlalchemy.orm import Session

from northstar import audit
from northstar.cycles import guards
from northstar.cycles import targets as tg
from northstar.cycles.guards import Action, StateRefused
from northstar.cycles.models import (
    Cycle,
    CycleAssignment,
    CycleCard,
    CycleChange,
    CycleChangeLine,
    CycleKind,
    CycleParticipant,
    CycleState,
)
from northstar.cycles.schemas import CycleIn, GradeIn
from northstar.db import check_version, plain, utcnow
from northstar.errors import N_, Conflict, Label, Named, NotFound, Problem, ValidationFailed
from northstar.indicators.models import IndicatorCard
from northstar.indicators.service import missing_elements
from northstar.org.models import Department, Employee, Position
from northstar.scorecards.models import PersonalScorecard
from northstar.scoring.rules import ADJUSTMENT_KINDS, DEFAULT_GRADES, GradeTable, Polarity
from northstar.security.principal import Principal
from northstar.security.scope import department_subtree, employee_filter, register

HUNDRED = Decimal(100)

#: a cycle's grades unless HR sets its own: the scoring engine's default table, one for the product
CYCLE_GRADES = DEFAULT_GRADES

KIND_NAMES = {CycleKind.year: N_("year"), CycleKind.quarter: N_("quarter"), CycleKind.month: N_("month")}
#: settings fixed once planning has enrolled the participants
_ENROLMENT_FIELDS = ("kind", "start", "end", "department_id", "scorecard_period")


# --- scope ----------------------------------------------------------------------------------


def participant_filter(principal: Principal) -> ColumnElement[bool]:
    """Participants follow their person's scope: own, department subtree and reports, or all."""
    return CycleParticipant.employee_id.in_(select(Employee.id).where(employee_filter(principal)))


def cycle_filter(principal: Principal) -> ColumnElement[bool]:
    """The cycle calendar is the company's: every signed-in role sees every cycle (not its people)."""
    return true()


register(Cycle, cycle_filter)
register(CycleParticipant, participant_filter)


# --- small helpers --------------------------------------------------------------------------


def decimal_text(value: Decimal) -> str:
    return format(plain(value), "f")


def lock(db: Session, cycle: Cycle) -> None:
    """Reload the cycle under a row lock: concurrent writers to one cycle take turns."""
    db.execute(select(Cycle.id).where(Cycle.id == cycle.id).with_for_update())
    db.refresh(cycle)


def require_reason(reason: str | None) -> str:
    text = (reason or "").strip()
    if not text:
        raise ValidationFailed(
            N_("Give a reason: it is recorded with the change and shown to the people it touches."),
            problems=[Problem(N_("Give a reason for this change."), field="reason")],
        )
    return text


def grades_of(cycle: Cycle) -> GradeTable:
    return GradeTable.model_validate(cycle.grades)


def distribution_of(cycle: Cycle) -> dict[str, Decimal] | None:
    if cycle.forced_distribution is None:
        return None
    return {code: Decimal(pct) for code, pct in cycle.forced_distribution.items()}


def _last_day(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def date_problems(kind: CycleKind, start: date, end: date) -> list[Problem]:
    """What is wrong with a cycle's dates for its kind: a year runs 1 January – 31 December, a
    quarter starts on 1 January, April, July or October and spans three months, a month is one
    calendar month."""
    problems: list[Problem] = []
    expected: date | None = None
    if kind is CycleKind.year:
        if (start.month, start.day) != (1, 1):
            problems.append(
                Problem(
                    N_("A year cycle starts on 1 January: {start} does not; start it on {expected}."),
                    {"start": start.isoformat(), "expected": date(start.year, 1, 1).isoformat()},
                    field="start",
                )
            )
        else:
            expected = date(start.year, 12, 31)
    elif kind is CycleKind.quarter:
        if start.day != 1 or start.month not in (1, 4, 7, 10):
            problems.append(
                Problem(
                    N_(
                        "A quarter starts on 1 January, 1 April, 1 July or 1 October: {start} is none of them."
                    ),
                    {"start": start.isoformat()},
                    field="start",
                )
            )
        else:
            expected = _last_day(start.year, start.month + 2)
    elif start.day != 1:
        problems.append(
            Problem(
                N_("A month cycle starts on the first of a month: {start} does not; start it on {expected}."),
                {"start": start.isoformat(), "expected": start.replace(day=1).isoformat()},
                field="start",
            )
        )
    else:
        expected = _last_day(start.year, start.month)
    if expected is not None and end != expected:
        problems.append(
            Problem(
                N_("A {kind} cycle starting on {start} ends on {expected}: set the end date to {expected}."),
                {
                    "kind": Label(KIND_NAMES[kind]),
                    "start": start.isoformat(),
                    "expected": expected.isoformat(),
                },
                field="end",
            )
        )
    return problems


def _grade_table(items: list[GradeIn] | None) -> tuple[GradeTable, list[Problem]]:
    if items is None:
        return CYCLE_GRADES, []
    try:
        return GradeTable.model_validate({"grades": [g.model_dump() for g in items]}), []
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            ctx = err.get("ctx") or {}
            if "template" in ctx:
                params = {k: v for k, v in ctx.items() if k not in ("template", "at")}
                problems.append(Problem(ctx["template"], params, field=ctx.get("at") or "grades"))
            else:
                problems.append(
                    Problem(
                        N_("Give at least two grades, best first, each with its own code and minimum score."),
                        field="grades",
                    )
                )
        return CYCLE_GRADES, problems


def _distribution(
    values: dict[str, Decimal] | None, table: GradeTable
) -> tuple[dict[str, str] | None, list[Problem]]:
    if values is None:
        return None, []
    codes = [g.code for g in table.grades]
    problems = []
    for code, pct in values.items():
        if code not in codes:
            problems.append(
                Problem(
                    N_('"{code}" is not a grade of this cycle: use {codes}.'),
                    {"code": code, "codes": ", ".join(codes)},
                    field=f"forced_distribution.{code}",
                )
            )
        elif not Decimal(0) <= pct <= HUNDRED:
            problems.append(
                Problem(
                    N_("{code}: {percent}% is not a share: give a percentage from 0 to 100."),
                    {"code": code, "percent": decimal_text(pct)},
                    field=f"forced_distribution.{code}",
                )
            )
    total = sum(values.values(), Decimal(0))
    if not problems and total != HUNDRED:
        problems.append(
            Problem(
                N_(
                    "The forced distribution adds up to {total}%, not 100%: change the shares so that they add up to exactly 100%."
                ),
                {"total": decimal_text(total)},
                field="forced_distribution",
            )
        )
    return {code: decimal_text(values[code]) for code in codes if code in values}, problems


def _subtree_ids(db: Session, department_id: int) -> set[int]:
    return set(db.scalars(department_subtree([department_id], "cycle_tree")))


def _overlapping(
    db: Session, cycle_id: int | None, kind: CycleKind, start: date, end: date, department_id: int | None
) -> Cycle | None:
    """Another cycle of the same kind whose dates and coverage overlap: a person would be planned twice."""
    q = select(Cycle).where(Cycle.kind == kind, Cycle.start <= end, Cycle.end >= start)
    if cycle_id is not None:
        q = q.where(Cycle.id != cycle_id)
    for other in db.scalars(q):
        if department_id is None or other.department_id is None:
            return other
        if department_id in _subtree_ids(db, other.department_id) or other.department_id in _subtree_ids(
            db, department_id
        ):
            return other
    return None


def _settings(
    db: Session, data: CycleIn, cycle_id: int | None = None
) -> tuple[dict[str, Any], list[Problem]]:
    """The cycle's column values from ``data`` and every problem with them, each naming its field."""
    problems = date_problems(data.kind, data.start, data.end)
    department_id = None
    if data.department:
        dept = db.scalar(select(Department).where(Department.code == data.department))
        if dept is None:
            problems.append(
                Problem(
                    N_("Unknown department code {code}: use the code of an existing department."),
                    {"code": data.department},
                    field="department",
                )
            )
        else:
            department_id = dept.id
    table, grade_problems = _grade_table(data.grades)
    problems += grade_problems
    distribution, dist_problems = _distribution(data.forced_distribution, table)
    if not grade_problems:
        problems += dist_problems
    if not problems:
        other = _overlapping(db, cycle_id, data.kind, data.start, data.end, department_id)
        if other is not None:
            problems.append(
                Problem(
                    N_(
                        "Cycle {other} ({start} – {end}) is a {kind} cycle covering some of the same people at the same time: a person is planned in one {kind} cycle at a time. Change the dates or the coverage."
                    ),
                    {
                        "other": other.code,
                        "start": other.start.isoformat(),
                        "end": other.end.isoformat(),
                        "kind": Label(KIND_NAMES[data.kind]),
                    },
                    field="start",
                )
            )
    values = {
        "name": data.name,
        "name_en": data.name_en,
        "kind": data.kind,
        "start": data.start,
        "end": data.end,
        "department_id": department_id,
        "scorecard_period": data.scorecard_period or str(data.start.year),
        "grades": table.model_dump(mode="json"),
        "forced_distribution": distribution,
    }
    return values, problems


# --- reading --------------------------------------------------------------------------------


def get_cycle(db: Session, code: str) -> Cycle:
    cycle = db.scalar(select(Cycle).where(Cycle.code == code))
    if cycle is None:
        raise NotFound(N_('No performance cycle with code "{code}".'), code=code)
    return cycle


def list_cycles(
    db: Session, *, state: CycleState | None = None, kind: CycleKind | None = None
) -> list[Cycle]:
    """The cycles, newest first."""
    q = select(Cycle).order_by(Cycle.start.desc(), Cycle.code)
    if state is not None:
        q = q.where(Cycle.state == state)
    if kind is not None:
        q = q.where(Cycle.kind == kind)
    return list(db.scalars(q))


def participant_counts(db: Session, cycles: Sequence[Cycle]) -> dict[int, int]:
    rows = db.execute(
        select(CycleParticipant.cycle_id, func.count())
        .where(CycleParticipant.cycle_id.in_([c.id for c in cycles]))
        .group_by(CycleParticipant.cycle_id)
    )
    return {cycle_id: count for cycle_id, count in rows}


def get_participants(
    db: Session,
    principal: Principal,
    cycle: Cycle,
    *,
    department: str | None = None,
    position: str | None = None,
) -> list[CycleParticipant]:
    """The cycle's participants the principal may see, by employee number."""
    q = (
        select(CycleParticipant)
        .join(Employee, CycleParticipant.employee_id == Employee.id)
        .where(CycleParticipant.cycle_id == cycle.id, participant_filter(principal))
        .order_by(Employee.number)
    )
    if department:
        dept = db.scalar(select(Department).where(Department.code == department))
        q = q.where(
            CycleParticipant.department_id.in_(department_subtree([dept.id if dept else -1], "listed_tree"))
        )
    if position:
        q = q.where(CycleParticipant.position_id.in_(select(Position.id).where(Position.code == position)))
    return list(db.scalars(q).unique())


def get_participant(db: Session, principal: Principal, cycle: Cycle, number: str) -> CycleParticipant:
    """One participant in the principal's scope; the same 404 as someone not enrolled otherwise."""
    p = db.scalar(
        select(CycleParticipant)
        .join(Employee, CycleParticipant.employee_id == Employee.id)
        .where(
            CycleParticipant.cycle_id == cycle.id, Employee.number == number, participant_filter(principal)
        )
    )
    if p is None:
        raise NotFound(
            N_(
                "No participant {number} in cycle {cycle} that you may see: everyone sees their own cycle "
                "scorecard, managers those of their department and reports."
            ),
            number=number,
            cycle=cycle.code,
        )
    return p


@dataclass(frozen=True)
class Rules:
    """Where an assignment's rule comes from: the frozen snapshot once the cycle runs, else the card."""

    frozen: dict[int, CycleCard]

    def rule(self, card: IndicatorCard) -> dict[str, Any] | None:
        f = self.frozen.get(card.id)
        return f.rule if f is not None else card.rule

    def polarity(self, card: IndicatorCard) -> Polarity | None:
        f = self.frozen.get(card.id)
        return f.polarity if f is not None else card.polarity

    def version(self, card: IndicatorCard) -> int:
        f = self.frozen.get(card.id)
        return f.card_version if f is not None else card.version

    def kind(self, card: IndicatorCard) -> str | None:
        rule = self.rule(card)
        return str(rule.get("kind")) if rule else None

    def anchors(self, a: CycleAssignment) -> dict[str, Any]:
        return tg.anchors(self.rule(a.card), a.targets)


def rules_of(db: Session, cycle: Cycle, card_ids: Iterable[int] | None = None) -> Rules:
    """The cycle's frozen cards (of ``card_ids`` only, when one person's cards are all that is needed)."""
    q = select(CycleCard).where(CycleCard.cycle_id == cycle.id)
    if card_ids is not None:
        q = q.where(CycleCard.card_id.in_(list(card_ids)))
    return Rules({c.card_id: c for c in db.scalars(q)})


def effective_rule(db: Session, assignment: CycleAssignment) -> dict[str, Any] | None:
    """The rule an assignment is scored with: the cycle's card (frozen once running) with its targets."""
    frozen = db.scalar(
        select(CycleCard).where(
            CycleCard.cycle_id == assignment.cycle_id, CycleCard.card_id == assignment.card_id
        )
    )
    rule = frozen.rule if frozen is not None else assignment.card.rule
    return None if rule is None else tg.merged(rule, assignment.targets or {})


def weight_sum(assignments: Iterable[CycleAssignment], rules: Rules) -> Decimal:
    """The weights of the weighted items (bonus, penalty and veto items carry none)."""
    return plain(
        sum((a.weight for a in assignments if rules.kind(a.card) not in ADJUSTMENT_KINDS), Decimal(0))
    )


def flag_counts(db: Session, cycle: Cycle) -> dict[int, int]:
    """Assignment id → how many changes touched it while the cycle was running."""
    rows = db.execute(
        select(CycleChangeLine.assignment_id, func.count())
        .join(CycleChange, CycleChangeLine.change_id == CycleChange.id)
        .where(CycleChangeLine.cycle_id == cycle.id, CycleChange.mid_cycle.is_(True))
        .group_by(CycleChangeLine.assignment_id)
    )
    return {assignment_id: count for assignment_id, count in rows}


@dataclass(frozen=True)
class CardView:
    """A card as a cycle uses it: its frozen snapshot once running, else the card as it is now."""

    card: IndicatorCard
    frozen: CycleCard | None


def cycle_cards(db: Session, cycle: Cycle) -> list[CardView]:
    """Every card the cycle's plan uses, by code."""
    frozen = rules_of(db, cycle).frozen
    cards = db.scalars(
        select(IndicatorCard)
        .where(
            IndicatorCard.id.in_(select(CycleAssignment.card_id).where(CycleAssignment.cycle_id == cycle.id))
        )
        .order_by(IndicatorCard.code)
    )
    return [CardView(card, frozen.get(card.id)) for card in cards]


def list_changes(
    db: Session, principal: Principal, cycle: Cycle
) -> list[tuple[CycleChange, list[CycleChangeLine]]]:
    """The cycle's plan changes, newest first, each with the lines the principal may see; a
    change that touched no one the principal may see is left out."""
    visible = set(
        db.scalars(
            select(CycleParticipant.id).where(
                CycleParticipant.cycle_id == cycle.id, participant_filter(principal)
            )
        )
    )
    changes = db.scalars(
        select(CycleChange).where(CycleChange.cycle_id == cycle.id).order_by(CycleChange.id.desc())
    ).unique()
    out = []
    for change in changes:
        lines = [ln for ln in change.lines if ln.participant_id in visible]
        if lines:
            out.append((change, lines))
    return out


def list_flags(
    db: Session, principal: Principal, cycle: Cycle, *, number: str | None = None
) -> list[CycleChangeLine]:
    """The flags on cycle scorecards the principal may see: every line of a change made while the
    cycle ran, newest first; ``number`` limits them to one person."""
    q = (
        select(CycleChangeLine)
        .join(CycleChange, CycleChangeLine.change_id == CycleChange.id)
        .join(CycleParticipant, CycleChangeLine.participant_id == CycleParticipant.id)
        .join(Employee, CycleParticipant.employee_id == Employee.id)
        .where(
            CycleChangeLine.cycle_id == cycle.id,
            CycleChange.mid_cycle.is_(True),
            participant_filter(principal),
        )
        .order_by(CycleChangeLine.id.desc())
    )
    if number is not None:
        q = q.where(Employee.number == number)
    return list(db.scalars(q).unique())


# --- setting a cycle up ---------------------------------------------------------------------


def cycle_label(cycle: Cycle) -> Named:
    """How a conflict message names the cycle, in either language."""
    return Named(f"Cycle {cycle.code}", f"绩效周期 {cycle.code}")


def create_cycle(db: Session, principal: Principal, data: CycleIn) -> Cycle:
    """A new cycle in draft; dates must fit the kind, and two cycles of one kind may not plan the same people at once."""
    guards.require(data.code, CycleState.draft, Action.edit, principal.role)
    if db.scalar(select(Cycle.id).where(Cycle.code == data.code)) is not None:
        raise Conflict(N_('A cycle with code "{code}" already exists: choose another code.'), code=data.code)
    values, problems = _settings(db, data)
    if problems:
        raise ValidationFailed(N_("The cycle cannot be saved: fix the fields listed."), problems=problems)
    cycle = Cycle(code=data.code, state=CycleState.draft, created_by=principal.username, **values)
    db.add(cycle)
    db.flush()
    audit.record(
        db,
        principal.actor,
        action="create",
        entity="cycle",
        entity_id=cycle.code,
        changes={
            "kind": (None, cycle.kind),
            "start": (None, cycle.start),
            "end": (None, cycle.end),
            "department": (None, data.department),
            "scorecard_period": (None, cycle.scorecard_period),
        },
    )
    return cycle


def update_cycle(
    db: Session, principal: Principal, cycle: Cycle, data: CycleIn, *, version: int, reason: str | None = None
) -> Cycle:
    """Change a cycle's settings; once planning has enrolled people, its kind, dates, coverage and
    scorecard period stay as they were."""
    lock(db, cycle)
    guards.require(cycle.code, cycle.state, Action.edit, principal.role)
    check_version(cycle, version, cycle_label(cycle))
    values, problems = _settings(db, data, cycle.id)
    if data.code != cycle.code:
        problems.insert(
            0, Problem(N_("A cycle's code cannot change: create a new cycle instead."), field="code")
        )
    if cycle.state is not CycleState.draft:
        problems += [
            Problem(
                N_("The participants were enrolled when planning opened, so {field} can no longer change."),
                {"field": key.removesuffix("_id")},
                field=key.removesuffix("_id"),
            )
            for key in _ENROLMENT_FIELDS
            if values[key] != getattr(cycle, key)
        ]
    if problems:
        raise ValidationFailed(N_("The cycle cannot be saved: fix the fields listed."), problems=problems)
    changes = audit.apply(cycle, values)
    db.flush()
    audit.record(
        db,
        principal.actor,
        action="update",
        entity="cycle",
        entity_id=cycle.code,
        changes=changes,
        reason=reason,
    )
    return cycle


# --- moving through the states --------------------------------------------------------------


def move(
    db: Session, principal: Principal, cycle: Cycle, to: CycleState, *, version: int, reason: str | None
) -> Cycle:
    """Move the cycle one state forward, or from calibration back to review (HR, with a reason).
    Opening planning enrols the participants; starting the cycle checks the plan and freezes its cards."""
    lock(db, cycle)
    state = cycle.state
    action = Action.reopen if (state, to) == (CycleState.calibration, CycleState.review) else Action.advance
    guards.require(cycle.code, state, action, principal.role)
    text = require_reason(reason)
    check_version(cycle, version, cycle_label(cycle))
    following = guards.next_state(state)
    if action is Action.advance and to is not following:
        assert following is not None  # closed allows no move, so the guard refused already
        raise StateRefused(
            N_(
                "Cycle {cycle} is {state}, so its next state is {next}: a cycle moves draft → planning → running → review → calibration → closed, one step at a time, and only calibration may go back to review."
            ),
            cycle=cycle.code,
            state=Label(guards.STATE_PHRASES[state]),
            next=Label(guards.STATE_NAMES[following]),
        )
    # the evaluation flow's gates (every manager review before calibration, results published and
    # appeals decided before closing) live with the reviews, which build on this module
    from northstar.cycles import reviews

    reviews.before_move(db, cycle, to)
    if to is CycleState.planning:
        _enrol(db, principal, cycle)
    elif to is CycleState.running:
        _start(db, cycle)
    elif to is CycleState.closed:
        cycle.closed_at = utcnow()
    cycle.state = to
    db.flush()
    audit.record(
        db,
        principal.actor,
        action=action.value,
        entity="cycle",
        entity_id=cycle.code,
        changes={"state": (state, to)},
        reason=text,
    )
    return cycle


def _enrol(db: Session, principal: Principal, cycle: Cycle) -> None:
    """Enrol everyone employed during the cycle in its coverage whose scorecard for the cycle's
    period has indicators, copying each indicator into a cycle assignment."""
    q = (
        select(PersonalScorecard)
        .join(Employee, PersonalScorecard.employee_id == Employee.id)
        .where(
            PersonalScorecard.period == cycle.scorecard_period,
            Employee.start_date <= cycle.end,
            or_(Employee.end_date.is_(None), Employee.end_date >= cycle.start),
        )
        .order_by(Employee.number)
    )
    if cycle.department_id is not None:
        q = q.where(Employee.department_id.in_(department_subtree([cycle.department_id], "cycle_coverage")))
    scorecards = [sc for sc in db.scalars(q).unique() if sc.items]
    if not scorecards:
        raise ValidationFailed(
            N_(
                "No one can be enrolled in cycle {cycle}: no one employed during it in its coverage has a personal scorecard for {period} with indicators. Assign the scorecards first."
            ),
            cycle=cycle.code,
            period=cycle.scorecard_period,
        )
    enrolled = []
    for sc in scorecards:
        emp = sc.employee
        p = CycleParticipant(
            cycle_id=cycle.id,
            employee_id=emp.id,
            department_id=emp.department_id,
            position_id=sc.position_id or emp.position_id,
        )
        for it in sc.items:
            p.assignments.append(
                CycleAssignment(
                    cycle_id=cycle.id, card_id=it.card_id, role=it.role, weight=it.weight, targets={}
                )
            )
        db.add(p)
        items = "; ".join(f"{it.card.code} {it.role.value} {decimal_text(it.weight)}%" for it in sc.items)
        enrolled.append((emp.number, items))
    db.flush()
    for number, items in enrolled:
        audit.record(
            db,
            principal.actor,
            action="enrol",
            entity="cycle_participant",
            entity_id=f"{cycle.code}/{number}",
            changes={"items": (None, items)},
        )


def all_participants(db: Session, cycle: Cycle) -> list[CycleParticipant]:
    return list(
        db.scalars(
            select(CycleParticipant)
            .join(Employee, CycleParticipant.employee_id == Employee.id)
            .where(CycleParticipant.cycle_id == cycle.id)
            .order_by(Employee.number)
        ).unique()
    )


def _who(p: CycleParticipant) -> dict[str, str]:
    return {"name": p.employee.name, "number": p.employee.number}


def sum_problems(
    participants: Iterable[CycleParticipant], rules: Rules, weights: dict[int, Decimal]
) -> list[Problem]:
    """One problem per person whose weighted items (with ``weights`` by assignment id in place)
    do not add up to 100%, naming the sum."""
    problems = []
    for p in participants:
        total = plain(
            sum(
                (
                    weights.get(a.id, a.weight)
                    for a in p.assignments
                    if rules.kind(a.card) not in ADJUSTMENT_KINDS
                ),
                Decimal(0),
            )
        )
        if total != HUNDRED:
            problems.append(
                Problem(
                    N_("{name} ({number}): the weights add up to {total}%, not 100%."),
                    {**_who(p), "total": decimal_text(total)},
                    field=f"participants.{p.employee.number}.weights",
                )
            )
    return problems


def _start(db: Session, cycle: Cycle) -> None:
    """Check the plan — complete cards, weights adding up to 100% per person, targets that fit the
    cards as they are now — then freeze every card the plan uses."""
    participants = all_participants(db, cycle)
    rules = Rules({})
    cards = {a.card_id: a.card for p in participants for a in p.assignments}
    problems = []
    for card in sorted(cards.values(), key=lambda c: c.code):
        missing = missing_elements(card)
        if missing:
            problems.append(
                Problem(
                    N_(
                        "{card} is a draft card and cannot be assessed: complete it first (missing: {elements})."
                    ),
                    {"card": card.code, "elements": ", ".join(missing)},
                    field=f"cards.{card.code}",
                )
            )
    problems += sum_problems(participants, rules, {})
    for p in participants:
        for a in p.assignments:
            kind = rules.kind(a.card)
            if kind in ADJUSTMENT_KINDS and a.weight:
                problems.append(
                    Problem(
                        N_(
                            "{name} ({number}): {card} is a {kind} item, which acts on the total and carries no weight: set its weight to 0."
                        ),
                        {**_who(p), "card": a.card.code, "kind": kind},
                        field=f"participants.{p.employee.number}.{a.card.code}.weight",
                    )
                )
            if a.targets:
                prefix = f"participants.{p.employee.number}.{a.card.code}.targets"
                problems += tg.target_problems(a.card.rule, a.card.polarity, a.targets, prefix)[1]
    if problems:
        raise ValidationFailed(
            N_("Cycle {cycle} cannot start: fix the problems listed."), problems=problems, cycle=cycle.code
        )
    for card in cards.values():
        db.add(snapshot(cycle, card))
    cycle.started_at = utcnow()


def snapshot(cycle: Cycle, card: IndicatorCard) -> CycleCard:
    assert card.rule is not None  # a card without a rule is a draft, refused before freezing
    return CycleCard(
        cycle_id=cycle.id,
        card_id=card.id,
        code=card.code,
        name=card.name,
        name_en=card.name_en,
        card_version=card.version,
        rule=card.rule,
        polarity=card.polarity,
        unit=card.unit,
        missing_policy=card.missing_policy,
        formula=card.formula,
        frozen_at=utcnow(),
    )
