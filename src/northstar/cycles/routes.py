"""JSON API for performance cycles (S9.1, S9.3) under /api/v1/cycles."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, UploadFile
from fastapi.responses import FileResponse

from northstar.cycles import actuals as cycle_actuals
from northstar.cycles import appeals as cycle_appeals
from northstar.cycles import diff as between
from northstar.cycles import guards, reviews, scores
from northstar.cycles import plan as planning
from northstar.cycles import progress as cycle_progress
from northstar.cycles import service as cycles
from northstar.cycles.models import (
    AppealRoute,
    ChangeKind,
    Cycle,
    CycleActual,
    CycleAppeal,
    CycleEvidence,
    CycleKind,
    CycleParticipant,
    CycleReview,
    CycleState,
)
from northstar.cycles.schemas import (
    ActualDecisionIn,
    ActualOut,
    AppealDecisionIn,
    AppealIn,
    AppealOut,
    AssignmentOut,
    BulkOut,
    BulkPlanIn,
    CalibrateIn,
    CalibrationChangeOut,
    CardChangeIn,
    ChangeLineOut,
    ChangeOut,
    ConfirmIn,
    CycleCardOut,
    CycleIn,
    CycleOut,
    CycleUpdate,
    DiffLineOut,
    DiffOut,
    DistributionOut,
    DueOut,
    EvidenceOut,
    FlagOut,
    GradeOut,
    GradeRowOut,
    ManagerReviewIn,
    ManualActualIn,
    MoveIn,
    ParticipantOut,
    PersonDiffOut,
    PersonPlanIn,
    ProgressOut,
    ProgressRowOut,
    ReasonIn,
    ReminderOut,
    ReviewOut,
    ScoreLineOut,
    SelfReviewIn,
    SheetOut,
    TakeOut,
    UnitLineOut,
    UnitSheetOut,
    UnitSheetsOut,
    VersionIn,
)
from northstar.scoring import render_each
from northstar.security.principal import Principal
from northstar.web.deps import DB, AppSettings, CurrentPrincipal, Tr, Writer
from northstar.web.i18n import Translator

router = APIRouter(prefix="/cycles", tags=["performance cycles"])


def cycle_out(cycle: Cycle, principal: Principal, participants: int) -> CycleOut:
    return CycleOut(
        id=cycle.id,
        code=cycle.code,
        name=cycle.name,
        name_en=cycle.name_en,
        kind=cycle.kind,
        start=cycle.start,
        end=cycle.end,
        department=cycle.department.code if cycle.department else None,
        scorecard_period=cycle.scorecard_period,
        state=cycle.state,
        next_state=guards.next_state(cycle.state),
        grades=[GradeOut(**g.model_dump()) for g in cycles.grades_of(cycle).grades],
        forced_distribution=cycles.distribution_of(cycle),
        version=cycle.version,
        participant_count=participants,
        started_at=cycle.started_at,
        closed_at=cycle.closed_at,
        allowed=[a.value for a in guards.actions_for(cycle.state, principal.role)],
    )


def _one(db: DB, cycle: Cycle, principal: Principal) -> CycleOut:
    return cycle_out(cycle, principal, cycles.participant_counts(db, [cycle]).get(cycle.id, 0))


def participant_out(p: CycleParticipant, rules: cycles.Rules, flags: dict[int, int]) -> ParticipantOut:
    items = [
        AssignmentOut(
            id=a.id,
            version=a.version,
            card=a.card.code,
            card_name=a.card.name,
            card_version=rules.version(a.card),
            kind=rules.kind(a.card),
            role=a.role,
            weight=a.weight,
            weight_override=a.weight_override,
            targets=a.targets or {},
            targets_override=a.targets_override,
            anchors=rules.anchors(a),
            flags=flags.get(a.id, 0),
        )
        for a in p.assignments
    ]
    return ParticipantOut(
        employee_number=p.employee.number,
        employee_name=p.employee.name,
        department=p.department.code,
        position=p.position.code if p.position else None,
        weight_sum=cycles.weight_sum(p.assignments, rules),
        flags=sum(i.flags for i in items),
        items=items,
    )


@router.get("", response_model=list[CycleOut])
def list_cycles(
    db: DB, principal: CurrentPrincipal, state: CycleState | None = None, kind: CycleKind | None = None
) -> list[CycleOut]:
    """Every cycle, newest first (the calendar is the company's; the people in it follow scope)."""
    found = cycles.list_cycles(db, state=state, kind=kind)
    counts = cycles.participant_counts(db, found)
    return [cycle_out(c, principal, counts.get(c.id, 0)) for c in found]


@router.post("", response_model=CycleOut, status_code=201)
def create_cycle(body: CycleIn, db: DB, principal: Writer) -> CycleOut:
    """A new cycle in draft (HR); the dates must fit the kind."""
    return _one(db, cycles.create_cycle(db, principal, body), principal)


@router.get("/due", response_model=list[DueOut])
def due_from_me(db: DB, principal: CurrentPrincipal) -> list[DueOut]:
    """The steps due from you in the open cycles: reviews to write, values to approve, results to confirm."""
    return [
        DueOut(cycle=d.cycle.code, step=d.step, count=d.count) for d in cycle_progress.due_for(db, principal)
    ]


@router.get("/reminders", response_model=list[ReminderOut])
def my_reminders(db: DB, principal: CurrentPrincipal) -> list[ReminderOut]:
    """Your unread reminders, newest first."""
    return [
        ReminderOut(
            id=r.id, cycle=r.cycle.code, step=r.step, count=r.count, sent_by=r.sent_by, sent_at=r.sent_at
        )
        for r in cycle_progress.reminders_for(db, principal)
    ]


@router.post("/reminders/{reminder_id}/read", status_code=204)
def read_reminder(reminder_id: int, db: DB, principal: Writer) -> None:
    """Mark one of your reminders read."""
    cycle_progress.mark_read(db, principal, reminder_id)


@router.get("/{code}", response_model=CycleOut)
def get_cycle(code: str, db: DB, principal: CurrentPrincipal) -> CycleOut:
    """One cycle with its state, grades and what you may do in it now."""
    return _one(db, cycles.get_cycle(db, code), principal)


@router.put("/{code}", response_model=CycleOut)
def update_cycle(code: str, body: CycleUpdate, db: DB, principal: Writer) -> CycleOut:
    """Change the cycle's settings; send the ``version`` you read (409 when someone saved in between)."""
    cycle = cycles.get_cycle(db, code)
    data = CycleIn(**body.model_dump(exclude={"version", "reason"}))
    return _one(
        db,
        cycles.update_cycle(db, principal, cycle, data, version=body.version, reason=body.reason),
        principal,
    )


@router.post("/{code}/state", response_model=CycleOut)
def move_cycle(code: str, body: MoveIn, db: DB, principal: Writer) -> CycleOut:
    """Move the cycle to its next state, or from calibration back to review, with a reason.
    Opening planning enrols the participants; starting it checks weights and freezes the cards."""
    cycle = cycles.get_cycle(db, code)
    return _one(
        db, cycles.move(db, principal, cycle, body.to, version=body.version, reason=body.reason), principal
    )


@router.get("/{code}/participants", response_model=list[ParticipantOut])
def list_participants(
    code: str,
    db: DB,
    principal: CurrentPrincipal,
    department: str | None = None,
    position: str | None = None,
) -> list[ParticipantOut]:
    """The participants you may see with their plan: weights, targets and flags."""
    cycle = cycles.get_cycle(db, code)
    rules = cycles.rules_of(db, cycle)
    flags = cycles.flag_counts(db, cycle)
    return [
        participant_out(p, rules, flags)
        for p in cycles.get_participants(db, principal, cycle, department=department, position=position)
    ]


@router.get("/{code}/participants/{number}", response_model=ParticipantOut)
def get_participant(code: str, number: str, db: DB, principal: CurrentPrincipal) -> ParticipantOut:
    """One person's cycle scorecard; outside your scope it does not exist."""
    cycle = cycles.get_cycle(db, code)
    p = cycles.get_participant(db, principal, cycle, number)
    return participant_out(p, cycles.rules_of(db, cycle), cycles.flag_counts(db, cycle))


@router.put("/{code}/participants/{number}/plan", response_model=ParticipantOut)
def set_person_plan(code: str, number: str, body: PersonPlanIn, db: DB, principal: Writer) -> ParticipantOut:
    """Set weights and targets for one person (kept by later bulk sets); each item carries the
    ``version`` of the assignment you read."""
    cycle = cycles.get_cycle(db, code)
    items = [
        planning.PlanItem(i.assignment_id, i.version, weight=i.weight, targets=i.targets) for i in body.items
    ]
    p = planning.set_person_plan(db, principal, cycle, number, items, reason=body.reason)
    return participant_out(p, cycles.rules_of(db, cycle), cycles.flag_counts(db, cycle))


@router.post("/{code}/plan/bulk", response_model=BulkOut)
def bulk_plan(code: str, body: BulkPlanIn, db: DB, principal: Writer) -> BulkOut:
    """Set weights and targets for a position's or a department subtree's participants holding
    each card; send the cycle ``version`` you read."""
    cycle = cycles.get_cycle(db, code)
    outcome = planning.bulk_plan(
        db,
        principal,
        cycle,
        [planning.BulkCard(c.card, weight=c.weight, targets=c.targets) for c in body.cards],
        version=body.version,
        reason=body.reason,
        position=body.position,
        department=body.department,
        overwrite=body.overwrite,
    )
    return BulkOut(
        participants=outcome.participants,
        changed=outcome.changed,
        kept_overrides=outcome.kept_overrides,
        cycle_version=cycle.version,
    )


@router.get("/{code}/cards", response_model=list[CycleCardOut])
def list_cards(code: str, db: DB, principal: CurrentPrincipal) -> list[CycleCardOut]:
    """The cards the plan uses: the frozen snapshot once the cycle runs, else the card as it is."""
    cycle = cycles.get_cycle(db, code)
    out = []
    for view in cycles.cycle_cards(db, cycle):
        card, frozen = view.card, view.frozen
        source = frozen if frozen is not None else card
        out.append(
            CycleCardOut(
                card=card.code,
                name=source.name,
                name_en=source.name_en,
                card_version=frozen.card_version if frozen is not None else card.version,
                current_version=card.version,
                rule=source.rule,
                polarity=source.polarity.value if source.polarity else None,
                unit=source.unit,
                missing_policy=source.missing_policy.value,
                formula=source.formula,
                frozen=frozen is not None,
                frozen_at=frozen.frozen_at if frozen is not None else None,
            )
        )
    return out


@router.post("/{code}/cards/{card}/take-new-version", response_model=CycleCardOut)
def take_new_card_version(
    code: str, card: str, body: CardChangeIn, db: DB, principal: Writer
) -> CycleCardOut:
    """Take a card's newer version into the running cycle (HR, with a reason); the change is
    flagged on every scorecard holding the card."""
    cycle = cycles.get_cycle(db, code)
    frozen = planning.change_card(db, principal, cycle, card, version=body.version, reason=body.reason)
    return CycleCardOut(
        card=frozen.code,
        name=frozen.name,
        name_en=frozen.name_en,
        card_version=frozen.card_version,
        current_version=frozen.card_version,
        rule=frozen.rule,
        polarity=frozen.polarity.value if frozen.polarity else None,
        unit=frozen.unit,
        missing_policy=frozen.missing_policy.value,
        formula=frozen.formula,
        frozen=True,
        frozen_at=frozen.frozen_at,
    )


@router.get("/{code}/changes", response_model=list[ChangeOut])
def list_changes(code: str, db: DB, principal: CurrentPrincipal) -> list[ChangeOut]:
    """Every change to the plan, newest first: who, when, what, old → new and why (S9.3)."""
    cycle = cycles.get_cycle(db, code)
    return [
        ChangeOut(
            id=change.id,
            at=change.at,
            by=change.actor_name,
            kind=change.kind,
            card=change.card.code,
            selector=change.selector,
            reason=change.reason,
            mid_cycle=change.mid_cycle,
            lines=[
                ChangeLineOut(
                    employee_number=ln.participant.employee.number,
                    employee_name=ln.participant.employee.name,
                    old=ln.old,
                    new=ln.new,
                )
                for ln in lines
            ],
        )
        for change, lines in cycles.list_changes(db, principal, cycle)
    ]


@router.get("/{code}/flags", response_model=list[FlagOut])
def list_flags(code: str, db: DB, principal: CurrentPrincipal, employee: str | None = None) -> list[FlagOut]:
    """The changes made while the cycle ran, as flags on each cycle scorecard they touched."""
    cycle = cycles.get_cycle(db, code)
    return [
        FlagOut(
            change_id=ln.change_id,
            at=ln.change.at,
            by=ln.change.actor_name,
            employee_number=ln.participant.employee.number,
            employee_name=ln.participant.employee.name,
            card=ln.change.card.code,
            kind=ChangeKind(ln.change.kind),
            old=ln.old,
            new=ln.new,
            reason=ln.change.reason,
        )
        for ln in cycles.list_flags(db, principal, cycle, number=employee)
    ]


@router.get("/{code}/diff", response_model=DiffOut)
def diff_previous(code: str, db: DB, principal: CurrentPrincipal) -> DiffOut:
    """The plan against the previous cycle of the same kind: cards added and removed, weights and
    targets changed, with the reasons recorded."""
    diff = between.diff_previous(db, principal, cycles.get_cycle(db, code))
    return DiffOut(
        cycle=diff.cycle,
        previous=diff.previous,
        cards_added=diff.cards_added,
        cards_removed=diff.cards_removed,
        people=[
            PersonDiffOut(
                employee_number=p.number,
                employee_name=p.name,
                status=p.status,
                lines=[
                    DiffLineOut(card=ln.card, change=ln.change, old=ln.old, new=ln.new, reasons=ln.reasons)
                    for ln in p.lines
                ],
            )
            for p in diff.people
        ],
    )


# --- evaluation: actuals, scores, reviews, calibration, appeals, progress (S9.4, S6.5) -------


def evidence_out(code: str, ev: CycleEvidence) -> EvidenceOut:
    return EvidenceOut(
        id=ev.id,
        filename=ev.filename,
        content_type=ev.content_type,
        size=ev.size,
        sha256=ev.sha256,
        uploaded_by=ev.uploaded_by,
        uploaded_at=ev.uploaded_at,
        url=f"/api/v1/cycles/{code}/evidence/{ev.id}",
    )


def actual_out(code: str, a: CycleActual) -> ActualOut:
    return ActualOut(
        id=a.id,
        version=a.version,
        card=a.assignment.card.code,
        employee_number=a.assignment.participant.employee.number,
        value=a.value,
        origin=a.origin.value,
        hand_entered=a.origin.value == "manual",
        approval=a.approval.value,
        counts=a.counts,
        reviewer=a.reviewer,
        note=a.note,
        approval_note=a.approval_note,
        entered_by=a.entered_by,
        entered_at=a.entered_at,
        metric_actual_id=a.metric_actual_id,
        lineage=a.lineage or {},
        evidence=[evidence_out(code, ev) for ev in a.evidence],
    )


@router.post("/{code}/actuals/take", response_model=TakeOut)
def take_actuals(code: str, db: DB, principal: Writer, settings: AppSettings) -> TakeOut:
    """Compute the cycle's period with the metrics engine and take each person's figure (HR);
    values entered by hand are kept."""
    out = cycle_actuals.take_computed(db, principal, settings, cycles.get_cycle(db, code))
    return TakeOut(**out.__dict__)


@router.put("/{code}/participants/{number}/actuals/{card}", response_model=ActualOut)
def enter_actual(
    code: str, number: str, card: str, body: ManualActualIn, db: DB, principal: Writer
) -> ActualOut:
    """Enter or correct a value by hand, with a note and a reviewer; it counts once approved and
    is marked as entered by hand wherever it appears."""
    a = cycle_actuals.enter_manual(
        db,
        principal,
        cycles.get_cycle(db, code),
        number,
        card,
        value=body.value,
        note=body.note,
        reviewer=body.reviewer,
        version=body.version,
    )
    return actual_out(code, a)


@router.post("/{code}/actuals/{actual_id}/decision", response_model=ActualOut)
def decide_actual(code: str, actual_id: int, body: ActualDecisionIn, db: DB, principal: Writer) -> ActualOut:
    """The named reviewer approves a hand-entered value, or rejects it with a reason."""
    a = cycle_actuals.decide(
        db,
        principal,
        cycles.get_cycle(db, code),
        actual_id,
        approve=body.approve,
        note=body.note,
        version=body.version,
    )
    return actual_out(code, a)


@router.post("/{code}/actuals/{actual_id}/evidence", response_model=EvidenceOut, status_code=201)
async def add_evidence(
    code: str,
    actual_id: int,
    db: DB,
    principal: Writer,
    settings: AppSettings,
    file: Annotated[UploadFile, File()],
) -> EvidenceOut:
    """Attach an evidence file (at most 10 MB) to a hand-entered value."""
    content = await file.read(cycle_actuals.MAX_EVIDENCE_BYTES + 1)
    ev = cycle_actuals.add_evidence(
        db,
        principal,
        settings,
        cycles.get_cycle(db, code),
        actual_id,
        filename=file.filename or "",
        content=content,
        content_type=file.content_type or "",
    )
    return evidence_out(code, ev)


@router.get("/{code}/evidence/{evidence_id}")
def get_evidence(
    code: str, evidence_id: int, db: DB, principal: CurrentPrincipal, settings: AppSettings
) -> FileResponse:
    """An evidence file, for the people who may see its value."""
    ev, path = cycle_actuals.evidence_file(db, principal, settings, cycles.get_cycle(db, code), evidence_id)
    return FileResponse(path, media_type=ev.content_type, filename=ev.filename)


@router.get("/{code}/participants/{number}/actuals", response_model=list[ActualOut])
def list_actuals(code: str, number: str, db: DB, principal: CurrentPrincipal) -> list[ActualOut]:
    """One person's actuals in the cycle, computed or entered by hand."""
    cycle = cycles.get_cycle(db, code)
    p = cycles.get_participant(db, principal, cycle, number)
    s = scores.sheet(db, cycle, p)
    return [actual_out(code, line.actual) for line in s.lines if line.actual is not None]


def sheet_out(s: scores.Sheet, t: Translator) -> SheetOut:
    results = {r.code: r for r in s.result.items} if s.result else {}
    lines = []
    for line in s.lines:
        r = results.get(line.assignment.card.code)
        lines.append(
            ScoreLineOut(
                card=line.assignment.card.code,
                card_name=line.assignment.card.name,
                kind=line.kind,
                weight=line.assignment.weight,
                weight_used=r.weight_used if r else None,
                value=line.value,
                origin=line.origin,
                hand_entered=line.origin == "manual",
                held=line.held,
                actual_id=line.actual.id if line.actual else None,
                score=r.score.value if r else None,
                status=r.score.status if r else "",
                arithmetic=render_each(r.score.steps, t.gettext, locale=t.locale) if r else [],
            )
        )
    p = s.participant
    return SheetOut(
        employee_number=p.employee.number,
        employee_name=p.employee.name,
        total=s.result.total if s.result else None,
        grade=s.result.grade if s.result else None,
        status=s.result.status if s.result else "error",
        lines=lines,
        arithmetic=render_each(s.result.steps, t.gettext, locale=t.locale) if s.result else [],
        error=t.gettext(s.error.message, **s.error.params) if s.error else None,
    )


@router.get("/{code}/participants/{number}/score", response_model=SheetOut)
def get_score(code: str, number: str, db: DB, principal: CurrentPrincipal, t: Tr) -> SheetOut:
    """One person's cycle score: each indicator's value, where it came from, its score and arithmetic, the total and grade."""
    cycle = cycles.get_cycle(db, code)
    return sheet_out(scores.sheet(db, cycle, cycles.get_participant(db, principal, cycle, number)), t)


def review_out(r: CycleReview) -> ReviewOut:
    return ReviewOut(
        employee_number=r.participant.employee.number,
        employee_name=r.participant.employee.name,
        step=r.step.value,
        version=r.version,
        self_comment=r.self_comment,
        self_ratings=r.self_ratings or {},
        self_at=r.self_at,
        self_waived=r.self_waived,
        rater=r.rater,
        manager_comment=r.manager_comment,
        manager_ratings=r.manager_ratings or {},
        contributions=r.contributions or {},
        manager_at=r.manager_at,
        score=r.score,
        score_status=r.score_status,
        grade=r.grade,
        final_grade=r.final_grade,
        confirmed_at=r.confirmed_at,
    )


@router.get("/{code}/participants/{number}/review", response_model=ReviewOut)
def get_review(code: str, number: str, db: DB, principal: CurrentPrincipal) -> ReviewOut:
    """One person's review: self-review, manager review, score, grade, confirmation."""
    cycle = cycles.get_cycle(db, code)
    return review_out(scores.review_for(db, cycles.get_participant(db, principal, cycle, number)))


@router.put("/{code}/participants/{number}/self-review", response_model=ReviewOut)
def self_review(code: str, number: str, body: SelfReviewIn, db: DB, principal: Writer) -> ReviewOut:
    """Save or submit your self-review; send the review ``version`` you read."""
    r = reviews.save_self_review(
        db,
        principal,
        cycles.get_cycle(db, code),
        number,
        comment=body.comment,
        ratings=body.ratings,
        submit=body.submit,
        version=body.version,
    )
    return review_out(r)


@router.post("/{code}/participants/{number}/self-review/waive", response_model=ReviewOut)
def waive_self_review(code: str, number: str, body: ReasonIn, db: DB, principal: Writer) -> ReviewOut:
    """HR records, with a reason, that this person writes no self-review."""
    return review_out(
        reviews.waive_self_review(db, principal, cycles.get_cycle(db, code), number, reason=body.reason)
    )


@router.put("/{code}/participants/{number}/manager-review", response_model=ReviewOut)
def manager_review(code: str, number: str, body: ManagerReviewIn, db: DB, principal: Writer) -> ReviewOut:
    """Save or submit the manager review: comment, rubric ratings, team contributions."""
    r = reviews.save_manager_review(
        db,
        principal,
        cycles.get_cycle(db, code),
        number,
        comment=body.comment,
        ratings=body.ratings,
        contributions=body.contributions,
        submit=body.submit,
        version=body.version,
    )
    return review_out(r)


@router.post("/{code}/participants/{number}/grade", response_model=ReviewOut)
def calibrate(code: str, number: str, body: CalibrateIn, db: DB, principal: Writer) -> ReviewOut:
    """Change a grade in calibration, with a reason (HR, before the results are published)."""
    cycle = cycles.get_cycle(db, code)
    reviews.calibrate(
        db, principal, cycle, number, grade=body.grade, reason=body.reason, version=body.version
    )
    return review_out(scores.review_for(db, cycles.get_participant(db, principal, cycle, number)))


@router.get("/{code}/distribution", response_model=DistributionOut)
def distribution(
    code: str, db: DB, principal: CurrentPrincipal, department: str | None = None
) -> DistributionOut:
    """The grade distribution (of a department subtree) beside the forced distribution, and every calibration change with its reason."""
    d = reviews.distribution(db, principal, cycles.get_cycle(db, code), department=department)
    return DistributionOut(
        total=d.total,
        ungraded=d.ungraded,
        rows=[
            GradeRowOut(
                grade=r.code,
                label=r.label,
                label_en=r.label_en,
                count=r.count,
                share=r.share,
                forced_share=r.forced_share,
                forced_count=r.forced_count,
                difference=r.difference,
            )
            for r in d.rows
        ],
        changes=[
            CalibrationChangeOut(
                employee_number=c.participant.employee.number,
                employee_name=c.participant.employee.name,
                old_grade=c.old_grade,
                new_grade=c.new_grade,
                reason=c.reason,
                by=c.actor_name,
                at=c.at,
                appeal_id=c.appeal_id,
            )
            for c in d.changes
        ],
        by_department={dept: dict(counts) for dept, _name, counts in d.by_department},
    )


@router.post("/{code}/publish", response_model=CycleOut)
def publish(code: str, body: VersionIn, db: DB, principal: Writer) -> CycleOut:
    """Publish the calibrated results (HR): employees then confirm or appeal."""
    return _one(
        db, reviews.publish(db, principal, cycles.get_cycle(db, code), version=body.version), principal
    )


@router.post("/{code}/participants/{number}/confirm", response_model=ReviewOut)
def confirm(code: str, number: str, body: ConfirmIn, db: DB, principal: Writer) -> ReviewOut:
    """Confirm your published result."""
    return review_out(
        reviews.confirm(
            db, principal, cycles.get_cycle(db, code), number, comment=body.comment, version=body.version
        )
    )


def appeal_out(a: CycleAppeal) -> AppealOut:
    return AppealOut(
        id=a.id,
        version=a.version,
        employee_number=a.participant.employee.number,
        employee_name=a.participant.employee.name,
        reason=a.reason,
        filed_at=a.filed_at,
        route=a.route.value,
        handler=a.handler,
        state=a.state.value,
        decision=a.decision,
        new_grade=a.new_grade,
        decided_by=a.decided_by,
        decided_at=a.decided_at,
    )


@router.post("/{code}/participants/{number}/appeals", response_model=AppealOut, status_code=201)
def file_appeal(code: str, number: str, body: AppealIn, db: DB, principal: Writer) -> AppealOut:
    """Appeal your published result, to HR or to the skip-level manager (never to the one who rated)."""
    a = cycle_appeals.file_appeal(
        db, principal, cycles.get_cycle(db, code), number, reason=body.reason, route=AppealRoute(body.route)
    )
    return appeal_out(a)


@router.get("/{code}/appeals", response_model=list[AppealOut])
def list_appeals(code: str, db: DB, principal: CurrentPrincipal) -> list[AppealOut]:
    """Appeals you may see: your own, those routed to you, or all (HR)."""
    return [appeal_out(a) for a in cycle_appeals.list_appeals(db, principal, cycles.get_cycle(db, code))]


@router.post("/{code}/appeals/{appeal_id}/decision", response_model=AppealOut)
def decide_appeal(code: str, appeal_id: int, body: AppealDecisionIn, db: DB, principal: Writer) -> AppealOut:
    """Uphold an appeal with a new grade, or dismiss it, with the reasons."""
    a = cycle_appeals.decide_appeal(
        db,
        principal,
        cycles.get_cycle(db, code),
        appeal_id,
        uphold=body.uphold,
        decision=body.decision,
        grade=body.grade,
        version=body.version,
    )
    return appeal_out(a)


@router.get("/{code}/progress", response_model=ProgressOut)
def progress(code: str, db: DB, principal: CurrentPrincipal, department: str | None = None) -> ProgressOut:
    """Who has not done their step: per person, the plan, actuals, reviews, confirmation."""
    pr = cycle_progress.progress(db, principal, cycles.get_cycle(db, code), department=department)
    return ProgressOut(
        waiting=dict(pr.waiting),
        rows=[
            ProgressRowOut(
                employee_number=r.participant.employee.number,
                employee_name=r.participant.employee.name,
                department=r.participant.department.code,
                weights_ok=r.weights_ok,
                actuals_counted=r.actuals_counted,
                actuals_needed=r.actuals_needed,
                actuals_pending=r.actuals_pending,
                step=r.review.step.value if r.review else "open",
                rater=r.rater,
                appeal_open=r.appeal_open,
                due=r.due,
            )
            for r in pr.rows
        ],
    )


@router.post("/{code}/reminders", response_model=dict[str, int])
def send_reminders(code: str, db: DB, principal: Writer) -> dict[str, int]:
    """Remind everyone with a step due in the cycle (HR); returns how many people were reminded."""
    return {"reminded": cycle_progress.remind(db, principal, cycles.get_cycle(db, code))}


def unit_out(u: scores.UnitSheet, t: Translator) -> UnitSheetOut:
    return UnitSheetOut(
        code=u.code,
        name=u.name,
        total=u.result.total if u.result else None,
        grade=u.result.grade if u.result else None,
        status=u.result.status if u.result else ("error" if u.error else "empty"),
        lines=[
            UnitLineOut(card=card.code, card_name=card.name, weight=weight, value=value, metric_actual_id=mid)
            for card, weight, value, mid in u.lines
        ],
        arithmetic=render_each(u.result.steps, t.gettext, locale=t.locale) if u.result else [],
    )


@router.get("/{code}/scorecards", response_model=UnitSheetsOut)
def unit_scorecards(code: str, db: DB, principal: CurrentPrincipal, t: Tr) -> UnitSheetsOut:
    """The enterprise and department scorecards for the cycle's period, scored from the computed
    figures with each card's missing-data policy."""
    cycle = cycles.get_cycle(db, code)
    ent = scores.enterprise_sheet(db, cycle)
    return UnitSheetsOut(
        enterprise=unit_out(ent, t) if ent else None,
        departments=[unit_out(u, t) for u in scores.department_sheets(db, cycle)],
    )
