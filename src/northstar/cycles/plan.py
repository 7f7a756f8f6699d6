"""A cycle's plan (S9.1, S9.3): targets and weights in bulk and per person, and a frozen card's
newer version taken into a running cycle.

Values set for one person are marked as overrides, which a later bulk set keeps unless asked to
overwrite. Every change needs a reason and is written as a ``CycleChange`` with one line per
assignment it touched; made while the cycle runs, the lines are the flags on those scorecards,
and the touched people's weights must still add up to 100%.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from northstar import audit
from northstar.cycles import guards
from northstar.cycles import targets as tg
from northstar.cycles.guards import Action
from northstar.cycles.models import (
    ChangeKind,
    Cycle,
    CycleAssignment,
    CycleCard,
    CycleChange,
    CycleChangeLine,
    CycleParticipant,
    CycleState,
)
from northstar.cycles.service import (
    HUNDRED,
    Rules,
    all_participants,
    cycle_label,
    decimal_text,
    get_participant,
    lock,
    participant_filter,
    require_reason,
    rules_of,
    snapshot,
    sum_problems,
)
from northstar.db import check_version, plain, touch, utcnow
from northstar.errors import N_, Conflict, Forbidden, NotFound, Problem, ValidationFailed
from northstar.indicators.models import IndicatorCard
from northstar.indicators.service import missing_elements
from northstar.org.models import Department, Position
from northstar.security.models import Role
from northstar.security.principal import Principal
from northstar.security.scope import department_subtree

# --- the plan: targets and weights ----------------------------------------------------------


def describe(anchors: dict[str, Any]) -> str:
    """Targets as one line for the change log: "threshold 60 · target 80 · stretch 95"."""
    if "bands" in anchors:
        return "bands " + " | ".join(f"{b['lower'] or '…'}–{b['upper'] or '…'}" for b in anchors["bands"])
    return " · ".join(f"{k} {v}" for k, v in anchors.items() if v is not None)


@dataclass
class _Edit:
    """One planned change to one assignment, before it is applied."""

    participant: CycleParticipant
    assignment: CycleAssignment
    weight: Decimal | None = None
    targets: dict[str, Any] | None = None
    #: set for one person (marks the override) or by a bulk set (clears it when overwriting)
    personal: bool = False


@dataclass
class _Recorder:
    """Collects the changes of one action, one ``CycleChange`` per card and kind, and writes them."""

    cycle: Cycle
    principal: Principal
    selector: str
    reason: str
    lines: dict[
        tuple[int, ChangeKind], list[tuple[CycleParticipant, CycleAssignment, str | None, str | None]]
    ] = field(default_factory=lambda: defaultdict(list))

    def add(
        self, kind: ChangeKind, p: CycleParticipant, a: CycleAssignment, old: str | None, new: str | None
    ) -> None:
        self.lines[(a.card_id, kind)].append((p, a, old, new))

    def write(self, db: Session) -> None:
        mid_cycle = self.cycle.state is not CycleState.planning
        for (card_id, kind), lines in self.lines.items():
            change = CycleChange(
                cycle_id=self.cycle.id,
                actor_id=self.principal.user_id,
                actor_name=self.principal.username,
                kind=kind,
                card_id=card_id,
                selector=self.selector,
                reason=self.reason,
                mid_cycle=mid_cycle,
            )
            db.add(change)
            db.flush()
            for p, a, old, new in lines:
                db.add(
                    CycleChangeLine(
                        cycle_id=self.cycle.id,
                        change_id=change.id,
                        participant_id=p.id,
                        assignment_id=a.id,
                        old=old,
                        new=new,
                    )
                )
                audit.record(
                    db,
                    self.principal.actor,
                    action="mid_cycle" if mid_cycle else "update",
                    entity="cycle_assignment",
                    entity_id=f"{self.cycle.code}/{p.employee.number}/{a.card.code}",
                    changes={kind.value: (old, new)},
                    reason=self.reason,
                )
        db.flush()


def _apply(edits: Sequence[_Edit], rules: Rules, recorder: _Recorder, *, overwrite: bool) -> tuple[int, int]:
    """Apply ``edits``; returns (assignments changed, values kept because they were set for one person)."""
    changed: set[int] = set()
    kept = 0
    for e in edits:
        a = e.assignment
        if e.weight is not None:
            if not e.personal and a.weight_override and not overwrite:
                kept += 1
            else:
                if plain(e.weight) != plain(a.weight):
                    recorder.add(
                        ChangeKind.weight, e.participant, a, decimal_text(a.weight), decimal_text(e.weight)
                    )
                    a.weight = e.weight
                    changed.add(a.id)
                a.weight_override = e.personal
        if e.targets is not None:
            if not e.personal and a.targets_override and not overwrite:
                kept += 1
            else:
                before = describe(rules.anchors(a))
                after = describe(tg.anchors(rules.rule(a.card), e.targets))
                if e.targets != (a.targets or {}):
                    a.targets = e.targets
                    changed.add(a.id)
                    if before != after:
                        recorder.add(ChangeKind.targets, e.participant, a, before, after)
                a.targets_override = e.personal and bool(e.targets)
    return len(changed), kept


def _would_apply(e: _Edit, overwrite: bool) -> Decimal | None:
    """The weight an edit will give its assignment, None when it leaves the weight alone."""
    if e.weight is None or (not e.personal and e.assignment.weight_override and not overwrite):
        return None
    return e.weight


def _require_planner_of(principal: Principal, p: CycleParticipant) -> None:
    if principal.role is Role.manager and p.employee_id == principal.employee_id:
        raise Forbidden(
            N_(
                "You may not set your own targets and weights: your manager or HR sets them. Managers plan for the people in their department subtree and their reports."
            )
        )


def _check_running_sums(
    cycle: Cycle, edits: Sequence[_Edit], rules: Rules, *, overwrite: bool
) -> list[Problem]:
    """While the cycle runs its scores depend on the weights: every touched person must stay at 100%."""
    if cycle.state is CycleState.planning:
        return []
    weights = {e.assignment.id: w for e in edits if (w := _would_apply(e, overwrite)) is not None}
    touched = {e.participant.id: e.participant for e in edits if e.assignment.id in weights}
    return sum_problems(touched.values(), rules, weights)


@dataclass(frozen=True)
class PlanItem:
    """A new weight and/or new targets for one assignment, read at ``version``."""

    assignment_id: int
    version: int
    weight: Decimal | None = None
    targets: dict[str, Any] | None = None


def _weight_problem(weight: Decimal | None, path: str) -> list[Problem]:
    if weight is None or Decimal(0) <= weight <= HUNDRED:
        return []
    return [
        Problem(
            N_("The weight {weight} is out of range: give a percentage from 0 to 100."),
            {"weight": decimal_text(weight)},
            field=path,
        )
    ]


def set_person_plan(
    db: Session,
    principal: Principal,
    cycle: Cycle,
    number: str,
    items: Sequence[PlanItem],
    *,
    reason: str | None,
) -> CycleParticipant:
    """Set weights and targets on one person's cycle scorecard; they are kept by later bulk sets.
    Inside a running cycle (HR only) the person's weights must still add up to 100%."""
    lock(db, cycle)
    guards.require(cycle.code, cycle.state, Action.plan, principal.role)
    text = require_reason(reason)
    p = get_participant(db, principal, cycle, number)
    _require_planner_of(principal, p)
    rules = rules_of(db, cycle)
    by_id = {a.id: a for a in p.assignments}
    problems: list[Problem] = []
    edits = []
    if len({i.assignment_id for i in items}) < len(items):
        raise ValidationFailed(
            N_("An assignment is listed twice: give each assignment once."),
            problems=[Problem(N_("Give each assignment once."), field="items")],
        )
    for item in items:
        a = by_id.get(item.assignment_id)
        if a is None:
            raise NotFound(
                N_("Assignment {id} is not on the cycle scorecard of {name}: reload the page."),
                id=item.assignment_id,
                name=p.employee.name,
            )
        check_version(a, item.version, f"{p.employee.name} · {a.card.code}")
        problems += _weight_problem(item.weight, f"{a.card.code}.weight")
        clean = None
        if item.targets is not None:
            clean, found = tg.target_problems(
                rules.rule(a.card), rules.polarity(a.card), item.targets, f"{a.card.code}.targets"
            )
            problems += found
        edits.append(_Edit(p, a, item.weight, clean, personal=True))
    if not problems:
        problems += _check_running_sums(cycle, edits, rules, overwrite=True)
    if problems:
        raise ValidationFailed(
            N_("The plan of {name} cannot be saved: fix the fields listed."),
            problems=problems,
            name=p.employee.name,
        )
    recorder = _Recorder(cycle, principal, f"employee {number}", text)
    _apply(edits, rules, recorder, overwrite=True)
    db.flush()
    recorder.write(db)
    return p


@dataclass(frozen=True)
class BulkCard:
    card: str
    weight: Decimal | None = None
    targets: dict[str, Any] | None = None


@dataclass(frozen=True)
class BulkOutcome:
    participants: int
    changed: int
    kept_overrides: int


def bulk_plan(
    db: Session,
    principal: Principal,
    cycle: Cycle,
    cards: Sequence[BulkCard],
    *,
    version: int,
    reason: str | None,
    position: str | None = None,
    department: str | None = None,
    overwrite: bool = False,
) -> BulkOutcome:
    """Set weights and targets for everyone of a position, or of a department and its subtree, who
    holds each card; values set for one person stay unless ``overwrite``. A manager's bulk set
    reaches only the people they plan for."""
    lock(db, cycle)
    guards.require(cycle.code, cycle.state, Action.plan, principal.role)
    text = require_reason(reason)
    check_version(cycle, version, cycle_label(cycle))
    q = select(CycleParticipant).where(CycleParticipant.cycle_id == cycle.id, participant_filter(principal))
    if principal.role is Role.manager:
        q = q.where(CycleParticipant.employee_id != principal.employee_id)
    if (position is None) == (department is None):
        raise ValidationFailed(
            N_("Choose the people: give a position or a department, not both."),
            problems=[Problem(N_("Give a position or a department."), field="position")],
        )
    if position is not None:
        pos = db.scalar(select(Position).where(Position.code == position))
        if pos is None:
            raise ValidationFailed(
                N_("Unknown position code {code}: use the code of an existing position."),
                problems=[Problem(N_("Use the code of an existing position."), field="position")],
                code=position,
            )
        q = q.where(CycleParticipant.position_id == pos.id)
        selector = f"position {position}"
    else:
        dept = db.scalar(select(Department).where(Department.code == department))
        if dept is None:
            raise ValidationFailed(
                N_("Unknown department code {code}: use the code of an existing department."),
                problems=[Problem(N_("Use the code of an existing department."), field="department")],
                code=department,
            )
        q = q.where(CycleParticipant.department_id.in_(department_subtree([dept.id], "bulk_tree")))
        selector = f"department {department}"
    participants = list(db.scalars(q).unique())
    rules = rules_of(db, cycle)
    problems: list[Problem] = []
    edits: list[_Edit] = []
    holders: set[int] = set()
    seen: set[str] = set()
    for i, bc in enumerate(cards):
        path = f"cards[{i}]"
        if bc.card in seen:
            problems.append(
                Problem(
                    N_("{card} is listed twice: give each card once."),
                    {"card": bc.card},
                    field=f"{path}.card",
                )
            )
            continue
        seen.add(bc.card)
        if bc.weight is None and bc.targets is None:
            problems.append(
                Problem(N_("Give a weight, targets or both for {card}."), {"card": bc.card}, field=path)
            )
            continue
        problems += _weight_problem(bc.weight, f"{path}.weight")
        held = [(p, a) for p in participants for a in p.assignments if a.card.code == bc.card]
        if not held:
            problems.append(
                Problem(
                    N_("No one in {selection} holds {card} in this cycle: check the card and the selection."),
                    {"selection": selector, "card": bc.card},
                    field=f"{path}.card",
                )
            )
            continue
        clean = None
        if bc.targets is not None:
            card = held[0][1].card
            clean, found = tg.target_problems(
                rules.rule(card), rules.polarity(card), bc.targets, f"{path}.targets"
            )
            problems += found
        for p, a in held:
            holders.add(p.id)
            edits.append(_Edit(p, a, bc.weight, clean))
    if not problems:
        problems += _check_running_sums(cycle, edits, rules, overwrite=overwrite)
    if problems:
        raise ValidationFailed(N_("The bulk plan cannot be saved: fix the fields listed."), problems=problems)
    recorder = _Recorder(cycle, principal, selector, text)
    changed, kept = _apply(edits, rules, recorder, overwrite=overwrite)
    touch(cycle, "state")
    db.flush()
    recorder.write(db)
    return BulkOutcome(participants=len(holders), changed=changed, kept_overrides=kept)


# --- frozen cards ---------------------------------------------------------------------------


def change_card(
    db: Session, principal: Principal, cycle: Cycle, code: str, *, version: int, reason: str | None
) -> CycleCard:
    """Take a card's newer version into a running cycle (HR, with a reason): the change is recorded
    and flagged on every scorecard that holds the card."""
    lock(db, cycle)
    guards.require(cycle.code, cycle.state, Action.change_card, principal.role)
    text = require_reason(reason)
    check_version(cycle, version, cycle_label(cycle))
    frozen = db.scalar(select(CycleCard).where(CycleCard.cycle_id == cycle.id, CycleCard.code == code))
    if frozen is None:
        raise NotFound(N_("Cycle {cycle} does not use the card {card}."), cycle=cycle.code, card=code)
    card = db.get(IndicatorCard, frozen.card_id)
    assert card is not None  # the snapshot's card is kept by the foreign key
    if card.version == frozen.card_version:
        raise Conflict(
            N_(
                "Cycle {cycle} already uses version {version} of {card}: there is no newer version to take in."
            ),
            cycle=cycle.code,
            version=card.version,
            card=card.code,
        )
    missing = missing_elements(card)
    if missing:
        raise ValidationFailed(
            N_("{card} is a draft card and cannot be assessed: complete it first (missing: {elements})."),
            card=card.code,
            elements=", ".join(missing),
        )
    holders = [(p, a) for p in all_participants(db, cycle) for a in p.assignments if a.card_id == card.id]
    new_rules = Rules({**rules_of(db, cycle).frozen, card.id: snapshot(cycle, card)})
    problems: list[Problem] = []
    for p, a in holders:
        if a.targets:
            prefix = f"participants.{p.employee.number}.targets"
            problems += tg.target_problems(card.rule, card.polarity, a.targets, prefix)[1]
    problems += sum_problems({p.id: p for p, _ in holders}.values(), new_rules, {})
    if problems:
        raise ValidationFailed(
            N_("Cycle {cycle} cannot take in the new version of {card}: fix the problems listed."),
            problems=problems,
            cycle=cycle.code,
            card=card.code,
        )
    old_rules = rules_of(db, cycle)
    recorder = _Recorder(cycle, principal, "card", text)
    for p, a in holders:
        before = f"v{frozen.card_version} {describe(old_rules.anchors(a))}".strip()
        after = f"v{card.version} {describe(tg.anchors(card.rule, a.targets))}".strip()
        recorder.add(ChangeKind.card, p, a, before, after)
    old = (frozen.card_version, frozen.rule)
    for key in ("name", "name_en", "rule", "polarity", "unit", "missing_policy", "formula"):
        setattr(frozen, key, getattr(card, key))
    frozen.card_version = card.version
    frozen.frozen_at = utcnow()
    touch(cycle, "state")
    db.flush()
    recorder.write(db)
    audit.record(
        db,
        principal.actor,
        action="update",
        entity="cycle_card",
        entity_id=f"{cycle.code}/{card.code}",
        changes={"card_version": (old[0], card.version), "rule": (old[1], card.rule)},
        reason=text,
    )
    return frozen
