"""JSON API for performance cycles (S9.1, S9.3) under /api/v1/cycles."""

from __future__ import annotations

from fastapi import APIRouter

from northstar.cycles import diff as between
from northstar.cycles import guards
from northstar.cycles import plan as planning
from northstar.cycles import service as cycles
from northstar.cycles.models import ChangeKind, Cycle, CycleKind, CycleParticipant, CycleState
from northstar.cycles.schemas import (
    AssignmentOut,
    BulkOut,
    BulkPlanIn,
    CardChangeIn,
    ChangeLineOut,
    ChangeOut,
    CycleCardOut,
    CycleIn,
    CycleOut,
    CycleUpdate,
    DiffLineOut,
    DiffOut,
    FlagOut,
    GradeOut,
    MoveIn,
    ParticipantOut,
    PersonDiffOut,
    PersonPlanIn,
)
from northstar.security.principal import Principal
from northstar.web.deps import DB, CurrentPrincipal, Writer

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
