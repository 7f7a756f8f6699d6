"""Personal scorecards (S6.2): inherited from the position's indicators, assigned to every holder
of a position in one action, adjusted per person under a version check, and checked against
the method — weights sum to 100%, 3–5 core indicators, at least one (better two) pointing at
customer value, cards complete enough to be assessed."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from northstar import audit
from northstar.db import check_version, plain, touch
from northstar.errors import N_, Conflict, Forbidden, NotFound, Problem, ValidationFailed
from northstar.indicators.models import IndicatorCard
from northstar.org.models import Employee, Position
from northstar.positions import service as positions
from northstar.positions.findings import named, weight_findings
from northstar.positions.models import IndicatorRole, PositionIndicator
from northstar.positions.schemas import PERIOD_PATTERN, BulkResult, CandidateRef, Finding, Severity
from northstar.scorecards.models import PersonalScorecard, ScorecardItem
from northstar.scorecards.personal_findings import (
    core_count,
    customer_value_count,
    scorecard_findings,
    total_weight,
)
from northstar.security.models import Role
from northstar.security.principal import DESIGN_ROLES, Principal
from northstar.security.scope import (
    can_see_employee,
    employee_filter,
    filter_for,
    register,
    require_department_editor,
)


def scorecard_filter(principal: Principal) -> ColumnElement[bool]:
    """Scorecards follow their person's scope: own, department subtree and reports, or all."""
    return PersonalScorecard.employee_id.in_(select(Employee.id).where(employee_filter(principal)))


register(PersonalScorecard, scorecard_filter)


def scorecard_label(sc: PersonalScorecard) -> str:
    return f"{sc.employee.name} · {sc.period}"


def scorecard_key(sc: PersonalScorecard) -> str:
    return f"{sc.employee.number}/{sc.period}"


def check_period(period: str) -> str:
    period = period.strip()
    if not re.match(PERIOD_PATTERN, period):
        raise ValidationFailed(
            N_(
                '"{period}" is not a period: write a year such as 2026, or a year and a part such as 2026-H1.'
            ),
            problems=[Problem(N_("Write a year such as 2026."), field="period")],
            period=period,
        )
    return period


# --- reading --------------------------------------------------------------------------------


def get_scorecard(db: Session, principal: Principal, scorecard_id: int) -> PersonalScorecard:
    """One scorecard in the principal's scope; the same 404 as a missing one otherwise."""
    sc = db.scalar(
        select(PersonalScorecard).where(
            PersonalScorecard.id == scorecard_id, filter_for(principal, PersonalScorecard)
        )
    )
    if sc is None:
        raise NotFound(
            N_(
                "No personal scorecard with id {id} that you may see: everyone sees their own scorecard, "
                "managers those of their department and their reports."
            ),
            id=scorecard_id,
        )
    return sc


def find_scorecard(db: Session, employee: Employee, period: str) -> PersonalScorecard | None:
    return db.scalar(
        select(PersonalScorecard).where(
            PersonalScorecard.employee_id == employee.id, PersonalScorecard.period == period
        )
    )


def get_scorecards(
    db: Session, principal: Principal, *, period: str | None = None, department_id: int | None = None
) -> list[PersonalScorecard]:
    """The scorecards the principal may see, by person."""
    q = (
        select(PersonalScorecard)
        .join(PersonalScorecard.employee)
        .where(filter_for(principal, PersonalScorecard))
        .order_by(PersonalScorecard.period.desc(), Employee.number)
    )
    if period:
        q = q.where(PersonalScorecard.period == period)
    if department_id is not None:
        q = q.where(Employee.department_id == department_id)
    return list(db.scalars(q).unique())


def periods(db: Session, principal: Principal) -> list[str]:
    """The periods with scorecards the principal may see, newest first."""
    return list(
        db.scalars(
            select(PersonalScorecard.period)
            .where(filter_for(principal, PersonalScorecard))
            .distinct()
            .order_by(PersonalScorecard.period.desc())
        )
    )


def my_scorecard(db: Session, principal: Principal, *, period: str | None = None) -> PersonalScorecard | None:
    """The signed-in person's own scorecard for ``period`` (the latest when not given)."""
    if principal.employee_id is None:
        return None
    q = select(PersonalScorecard).where(PersonalScorecard.employee_id == principal.employee_id)
    if period:
        q = q.where(PersonalScorecard.period == period)
    return db.scalar(q.order_by(PersonalScorecard.period.desc()).limit(1))


def can_edit(db: Session, principal: Principal, employee: Employee) -> bool:
    """Designers change anyone's scorecard; a manager those of people in scope, not their own."""
    if principal.read_only:
        return False
    if principal.role in DESIGN_ROLES:
        return True
    return (
        principal.role is Role.manager
        and employee.id != principal.employee_id
        and can_see_employee(db, principal, employee.id)
    )


def require_editor(db: Session, principal: Principal, employee: Employee) -> None:
    if not can_edit(db, principal, employee):
        raise Forbidden(
            N_(
                "You may not change the scorecard of {name}: managers change those of their department and "
                "reports (not their own), HR and executives anyone's."
            ),
            name=employee.name,
        )


@dataclass
class ScorecardSummary:
    scorecard: PersonalScorecard
    core_count: int
    weight_sum: Decimal
    customer_value_count: int
    findings: list[Finding]

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity is Severity.error)


def summary_of(db: Session, sc: PersonalScorecard) -> ScorecardSummary:
    """One scorecard's counts and findings."""
    return ScorecardSummary(
        scorecard=sc,
        core_count=core_count(sc),
        weight_sum=total_weight(sc),
        customer_value_count=customer_value_count(sc),
        findings=scorecard_findings(db, sc),
    )


def scorecard_summaries(
    db: Session, principal: Principal, *, period: str | None = None, department_id: int | None = None
) -> list[ScorecardSummary]:
    """The scorecards in scope with their counts and findings (items load in one more query)."""
    return [
        summary_of(db, sc) for sc in get_scorecards(db, principal, period=period, department_id=department_id)
    ]


# --- inheriting and bulk assignment ---------------------------------------------------------


def items_text(sc: PersonalScorecard) -> str:
    """The items as one audit value: card role weight, * for an adjusted one."""
    return "; ".join(
        f"{it.card.code} {it.role.value} {plain(it.weight)}%{'*' if it.adjusted else ''}" for it in sc.items
    )


def _sync(sc: PersonalScorecard, indicators: list[PositionIndicator], *, overwrite: bool) -> int:
    """Bring ``sc``'s items in line with the position's indicators; returns the adjusted items kept.
    Adjusted items (and items added by hand) stay as the person has them, and cards taken off by
    hand stay off, unless ``overwrite``;
    links up the cascade set on an item (a manager's item, a team indicator) are never cut."""
    by_card = {it.card.id: it for it in sc.items}
    wanted = set()
    kept = 0
    if overwrite:
        sc.declined_cards = []
    declined = set(sc.declined_cards or [])
    for pi in indicators:
        wanted.add(pi.card_id)
        it = by_card.get(pi.card_id)
        if it is None and pi.card.code in declined:
            continue
        if it is None:
            sc.items.append(
                ScorecardItem(
                    card=pi.card,
                    role=pi.role,
                    weight=pi.weight,
                    position_indicator=pi,
                    candidate=pi.candidate,
                    adjusted=False,
                )
            )
        elif it.adjusted and not overwrite:
            it.position_indicator = pi
            kept += 1
        else:
            it.role, it.weight, it.position_indicator, it.adjusted = pi.role, pi.weight, pi, False
            if pi.candidate is not None or overwrite:
                it.candidate = pi.candidate
    for it in list(sc.items):
        # a team indicator's item belongs to the team (S6.5), not to the position
        if it.card.id in wanted or it.team_indicator_id is not None:
            continue
        if it.adjusted and not overwrite:
            it.position_indicator = None
            kept += 1
        else:
            sc.items.remove(it)
    return kept


def _assign(
    db: Session,
    principal: Principal,
    position: Position,
    employee: Employee,
    period: str,
    indicators: list[PositionIndicator],
    existing: PersonalScorecard | None,
    *,
    overwrite: bool,
) -> tuple[PersonalScorecard, int]:
    if existing is None:
        sc = PersonalScorecard(employee=employee, period=period, position=position)
        db.add(sc)
        before = None
    else:
        sc = existing
        before = items_text(sc)
        sc.position = position
    kept = _sync(sc, indicators, overwrite=overwrite)
    if existing is not None:
        touch(sc, "period")
    db.flush()
    audit.record(
        db,
        principal.actor,
        action="assign",
        entity="personal_scorecard",
        entity_id=scorecard_key(sc),
        changes={"items": (before, items_text(sc))},
        reason=f"position {position.code}" + (" (overwrite)" if overwrite else ""),
    )
    return sc, kept


def _indicators_or_refuse(db: Session, position: Position) -> list[PositionIndicator]:
    indicators = positions.indicators_of(db, position)
    if not indicators:
        raise ValidationFailed(
            N_(
                "Position {position} has no indicators yet: design its key responsibilities, outputs and "
                "indicators first."
            ),
            position=named(position),
        )
    return indicators


def assign_position(
    db: Session,
    principal: Principal,
    position: Position,
    period: str,
    *,
    overwrite: bool = False,
    today: date | None = None,
) -> BulkResult:
    """Give every current holder of ``position`` its indicators for ``period`` in one action,
    creating or refreshing their scorecards; adjusted items are kept unless ``overwrite``."""
    require_department_editor(db, principal, position.department_id)
    period = check_period(period)
    indicators = _indicators_or_refuse(db, position)
    holders = positions.holders_of(db, position, today=today)
    existing = {
        sc.employee_id: sc
        for sc in db.scalars(
            select(PersonalScorecard).where(
                PersonalScorecard.employee_id.in_([e.id for e in holders]), PersonalScorecard.period == period
            )
        )
    }
    created = refreshed = kept = 0
    ids = []
    for emp in holders:
        before = existing.get(emp.id)
        sc, k = _assign(db, principal, position, emp, period, indicators, before, overwrite=overwrite)
        created += before is None
        refreshed += before is not None
        kept += k
        ids.append(sc.id)
    return BulkResult(
        position_code=position.code,
        period=period,
        holders=len(holders),
        created=created,
        refreshed=refreshed,
        kept_adjusted=kept,
        scorecard_ids=ids,
    )


def inherit_scorecard(
    db: Session, principal: Principal, employee: Employee, period: str
) -> PersonalScorecard:
    """Create (or refresh, keeping adjusted items) one person's scorecard from their position."""
    require_editor(db, principal, employee)
    period = check_period(period)
    if employee.position is None:
        raise ValidationFailed(
            N_(
                "{name} has no position to inherit from: set their position in the organisation first, or "
                "add indicators to their scorecard by hand."
            ),
            name=employee.name,
        )
    indicators = _indicators_or_refuse(db, employee.position)
    sc, _kept = _assign(
        db,
        principal,
        employee.position,
        employee,
        period,
        indicators,
        find_scorecard(db, employee, period),
        overwrite=False,
    )
    return sc


# --- adjusting one person's scorecard -------------------------------------------------------


def _begin(db: Session, principal: Principal, sc: PersonalScorecard, version: int) -> None:
    require_editor(db, principal, sc.employee)
    check_version(sc, version, scorecard_label(sc))


def _item(sc: PersonalScorecard, item_id: int) -> ScorecardItem:
    for it in sc.items:
        if it.id == item_id:
            return it
    raise NotFound(N_("Item {id} is not on this scorecard: reload the page."), id=item_id)


def _finish(
    db: Session,
    principal: Principal,
    sc: PersonalScorecard,
    changes: Mapping[str, tuple[object, object]],
    *,
    action: str = "update",
    reason: str | None = None,
) -> None:
    touch(sc, "period")
    db.flush()
    audit.record(
        db,
        principal.actor,
        action=action,
        entity="personal_scorecard",
        entity_id=scorecard_key(sc),
        changes=dict(changes),
        reason=reason,
    )


def _check_weight(weight: Decimal, field: str) -> None:
    if not Decimal(0) <= weight <= Decimal(100):
        raise ValidationFailed(
            N_("The weight {weight} is out of range: give a percentage from 0 to 100."),
            problems=[Problem(N_("Give a percentage from 0 to 100."), field=field)],
            weight=weight,
        )


def adjust_item(
    db: Session,
    principal: Principal,
    scorecard: PersonalScorecard,
    item_id: int,
    *,
    version: int,
    weight: Decimal | None = None,
    role: IndicatorRole | None = None,
    note: str | None = None,
    reason: str | None = None,
) -> ScorecardItem:
    """Change one item's weight, role or note for this person; a weight or role change marks it adjusted."""
    _begin(db, principal, scorecard, version)
    it = _item(scorecard, item_id)
    if weight is not None:
        _check_weight(weight, "weight")
    values: dict[str, object] = {}
    if weight is not None:
        values["weight"] = weight
    if role is not None:
        values["role"] = role
    changes = audit.apply(it, values)
    if changes:
        it.adjusted = True
    if note is not None and note != it.note:
        changes["note"] = (it.note, note)
        it.note = note
    _finish(db, principal, scorecard, {f"{it.card.code}.{k}": v for k, v in changes.items()}, reason=reason)
    return it


def add_item(
    db: Session,
    principal: Principal,
    scorecard: PersonalScorecard,
    *,
    version: int,
    card: str,
    role: IndicatorRole = IndicatorRole.core,
    weight: Decimal,
    note: str = "",
    candidate: CandidateRef | None = None,
    reason: str | None = None,
) -> ScorecardItem:
    """Add an indicator to one person's scorecard (an adjustment; it keeps the position's link if
    the position has the card)."""
    _begin(db, principal, scorecard, version)
    _check_weight(weight, "weight")
    found = db.scalar(select(IndicatorCard).where(IndicatorCard.code == card))
    if found is None:
        raise ValidationFailed(
            N_('No indicator card with code "{code}": check the spelling or add the card first.'),
            problems=[Problem(N_("Choose an existing indicator card."), field="card")],
            code=card,
        )
    if any(it.card_id == found.id for it in scorecard.items):
        raise Conflict(
            N_("{card} is on this scorecard already: change its weight or role instead."),
            card=named(found),
        )
    pi = None
    if scorecard.position is not None:
        pi = next((p for p in positions.indicators_of(db, scorecard.position) if p.card_id == found.id), None)
    it = ScorecardItem(
        card=found,
        role=role,
        weight=weight,
        note=note,
        position_indicator=pi,
        adjusted=pi is None or pi.role is not role or pi.weight != weight,
        candidate=positions.resolve_candidate(db, candidate) if candidate else (pi.candidate if pi else None),
    )
    scorecard.items.append(it)
    if found.code in (scorecard.declined_cards or []):
        scorecard.declined_cards = [c for c in scorecard.declined_cards if c != found.code]
    _finish(
        db,
        principal,
        scorecard,
        {f"{found.code}": (None, f"{role.value} {plain(weight)}%")},
        action="update",
        reason=reason,
    )
    return it


def remove_item(
    db: Session,
    principal: Principal,
    scorecard: PersonalScorecard,
    item_id: int,
    *,
    version: int,
    reason: str | None = None,
) -> None:
    """Take an indicator off one person's scorecard. An inherited one stays off when the position
    is assigned again (until an assignment with overwrite); to drop it for everyone, remove it
    from the position."""
    _begin(db, principal, scorecard, version)
    it = _item(scorecard, item_id)
    scorecard.items.remove(it)
    if it.position_indicator_id is not None and it.card.code not in (scorecard.declined_cards or []):
        scorecard.declined_cards = [*(scorecard.declined_cards or []), it.card.code]
    _finish(
        db,
        principal,
        scorecard,
        {it.card.code: (f"{it.role.value} {plain(it.weight)}%", None)},
        reason=reason,
    )


def set_weights(
    db: Session,
    principal: Principal,
    scorecard: PersonalScorecard,
    weights: Mapping[int, Decimal],
    *,
    version: int,
    reason: str | None = None,
) -> PersonalScorecard:
    """Set the weights of a scorecard's items (by item id) at once; they must then add up to 100%."""
    _begin(db, principal, scorecard, version)
    problems = []
    for item_id, weight in weights.items():
        if not any(it.id == item_id for it in scorecard.items):
            problems.append(
                Problem(
                    N_("Item {id} is not on this scorecard: reload the page."),
                    {"id": item_id},
                    field="weights",
                )
            )
        elif not Decimal(0) <= weight <= Decimal(100):
            problems.append(
                Problem(
                    N_("The weight {weight} is out of range: give a percentage from 0 to 100."),
                    {"weight": weight},
                    field=f"weights[{item_id}]",
                )
            )
    total = plain(sum((weights.get(it.id, it.weight) for it in scorecard.items), Decimal(0)))
    if not problems:
        problems += [Problem(f.message, f.params, field="weights") for f in weight_findings(total)]
    if problems:
        raise ValidationFailed(N_("The weights cannot be saved: fix the problems listed."), problems=problems)
    changes: dict[str, tuple[object, object]] = {}
    for it in scorecard.items:
        if it.id in weights and plain(weights[it.id]) != plain(it.weight):
            changes[f"{it.card.code}.weight"] = (it.weight, weights[it.id])
            it.weight, it.adjusted = weights[it.id], True
    _finish(db, principal, scorecard, changes, reason=reason)
    return scorecard
