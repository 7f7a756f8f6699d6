"""A person's whole scorecard as plain data — the workspace file's ``assignments`` — written and
read by code: cards, position, the department indicator, the manager's item and the team
indicator each item serves."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from northstar import audit
from northstar.db import check_version, touch
from northstar.errors import N_, Problem, ValidationFailed
from northstar.indicators.models import IndicatorCard
from northstar.org.models import Department, Employee, Position
from northstar.positions import service as positions
from northstar.positions.models import PositionIndicator
from northstar.scorecards.alignment import check_parent_item
from northstar.scorecards.models import PersonalScorecard, ScorecardItem, TeamIndicator
from northstar.scorecards.schemas import ItemRef, ScorecardIn, ScorecardItemIn, TeamRef
from northstar.scorecards.service import (
    check_period,
    find_scorecard,
    items_text,
    require_editor,
    scorecard_key,
    scorecard_label,
)
from northstar.security.principal import Principal


def scorecard_of(scorecard: PersonalScorecard) -> ScorecardIn:
    """The scorecard as plain data, naming everything by code."""
    items = []
    for it in scorecard.items:
        parent = it.parent_item
        team = it.team_indicator
        items.append(
            ScorecardItemIn(
                card=it.card.code,
                role=it.role,
                weight=it.weight,
                inherited=it.position_indicator_id is not None,
                adjusted=it.adjusted,
                candidate=positions.candidate_ref(it.candidate),
                parent=ItemRef(employee=parent.scorecard.employee.number, card=parent.card.code)
                if parent
                else None,
                team=TeamRef(department=team.department.code, card=team.card.code) if team else None,
                note=it.note,
            )
        )
    return ScorecardIn(
        position=scorecard.position.code if scorecard.position else None,
        items=items,
        declined=sorted(scorecard.declined_cards or []),
    )


@dataclass
class SharedReads:
    """What many scorecards saved in one go read alike, read once: the pool candidates their items
    name and, as each position comes up, the position's indicators (a design import saves
    hundreds of scorecards over a few dozen positions)."""

    candidates: positions.CandidatePool
    _indicators: dict[int, list[PositionIndicator]] = field(default_factory=dict, init=False)

    def indicators_of(self, db: Session, position: Position) -> list[PositionIndicator]:
        if position.id not in self._indicators:
            self._indicators[position.id] = positions.indicators_of(db, position)
        return self._indicators[position.id]


def save_scorecard(
    db: Session,
    principal: Principal,
    employee: Employee,
    period: str,
    data: ScorecardIn,
    *,
    version: int | None = None,
    reason: str | None = None,
    shared: SharedReads | None = None,
) -> PersonalScorecard:
    """Write one person's whole scorecard for ``period`` from plain data (created if missing);
    items are matched by card so that links from other people's items survive. ``shared``: what
    the caller has read for many scorecards at once."""
    require_editor(db, principal, employee)
    period = check_period(period)
    sc = find_scorecard(db, employee, period)
    if sc is not None and version is not None:
        check_version(sc, version, scorecard_label(sc))
    problems: list[Problem] = []
    position = None
    if data.position:
        position = db.scalar(select(Position).where(Position.code == data.position))
        if position is None:
            problems.append(
                Problem(
                    N_("Unknown position code {code}: use the code of an existing position."),
                    {"code": data.position},
                    field="position",
                )
            )
    if shared is None:
        shared = SharedReads(positions.candidate_pool(db, [i.candidate for i in data.items if i.candidate]))
    pis = {pi.card.code: pi for pi in shared.indicators_of(db, position)} if position else {}
    codes = {i.card for i in data.items}
    cards = {c.code: c for c in db.scalars(select(IndicatorCard).where(IndicatorCard.code.in_(codes)))}
    rows: list[dict[str, object]] = []
    seen: set[str] = set()
    for n, item in enumerate(data.items):
        path = f"items[{n}]"
        row: dict[str, object] = {"weight": item.weight, "role": item.role, "note": item.note}
        row["card"] = cards.get(item.card)
        if row["card"] is None:
            problems.append(
                Problem(
                    N_('No indicator card with code "{code}": check the spelling or add the card first.'),
                    {"code": item.card},
                    field=f"{path}.card",
                )
            )
        elif item.card in seen:
            problems.append(
                Problem(
                    N_("The card {code} is listed twice: keep it once."),
                    {"code": item.card},
                    field=f"{path}.card",
                )
            )
        seen.add(item.card)
        row["position_indicator"] = pis.get(item.card) if item.inherited else None
        if item.inherited and row["position_indicator"] is None:
            problems.append(
                Problem(
                    N_(
                        "{code} is marked inherited, but the position does not have this card: clear the flag."
                    ),
                    {"code": item.card},
                    field=f"{path}.inherited",
                )
            )
        row["adjusted"] = item.adjusted
        try:
            row["candidate"] = (
                shared.candidates.find(item.candidate, f"{path}.candidate") if item.candidate else None
            )
            row["parent_item"] = _parent(db, item.parent, period, f"{path}.parent") if item.parent else None
            row["team_indicator"] = _team(db, item.team, period, f"{path}.team") if item.team else None
        except ValidationFailed as exc:
            problems += exc.problems
        rows.append(row)
    if problems:
        raise ValidationFailed(
            N_("The scorecard of {name} cannot be saved: fix the problems listed."),
            problems=problems,
            name=employee.name,
        )
    before = None
    if sc is None:
        sc = PersonalScorecard(employee=employee, period=period)
        db.add(sc)
    else:
        before = items_text(sc)
        touch(sc, "period")
    sc.position = position
    sc.declined_cards = sorted(set(data.declined))
    by_card = {it.card.id: it for it in sc.items}
    items = []
    for row in rows:
        card = row["card"]
        assert isinstance(card, IndicatorCard)
        it = by_card.pop(card.id, None) or ScorecardItem(card=card)
        for key, value in row.items():
            setattr(it, key, value)
        items.append(it)
    sc.items = items
    for it in items:
        if it.parent_item is not None:
            try:
                check_parent_item(it, it.parent_item)
            except ValidationFailed as exc:
                problems += [
                    Problem(p.message, p.params, field=f"items[{items.index(it)}].parent")
                    for p in exc.problems
                ]
    if problems:
        raise ValidationFailed(
            N_("The scorecard of {name} cannot be saved: fix the problems listed."),
            problems=problems,
            name=employee.name,
        )
    db.flush()
    audit.record(
        db,
        principal.actor,
        action="update" if before is not None else "create",
        entity="personal_scorecard",
        entity_id=scorecard_key(sc),
        changes={"items": (before, items_text(sc))},
        reason=reason,
    )
    return sc


def _parent(db: Session, ref: ItemRef, period: str, path: str) -> ScorecardItem:
    item = db.scalar(
        select(ScorecardItem)
        .join(ScorecardItem.scorecard)
        .join(PersonalScorecard.employee)
        .join(ScorecardItem.card)
        .where(
            Employee.number == ref.employee,
            PersonalScorecard.period == period,
            IndicatorCard.code == ref.card,
        )
    )
    if item is None:
        raise ValidationFailed(
            N_(
                "Employee {number} has no item {card} on their {period} scorecard: link to an item that exists."
            ),
            problems=[
                Problem(
                    N_(
                        "Employee {number} has no item {card} on their {period} scorecard: link to an item that exists."
                    ),
                    {"number": ref.employee, "card": ref.card, "period": period},
                    field=path,
                )
            ],
            number=ref.employee,
            card=ref.card,
            period=period,
        )
    return item


def _team(db: Session, ref: TeamRef, period: str, path: str) -> TeamIndicator:
    team = db.scalar(
        select(TeamIndicator)
        .join(TeamIndicator.department)
        .join(TeamIndicator.card)
        .where(
            Department.code == ref.department, IndicatorCard.code == ref.card, TeamIndicator.period == period
        )
    )
    if team is None:
        msg = N_(
            "Department {department} has no team indicator {card} for {period}: add it first, or clear the link."
        )
        params = {"department": ref.department, "card": ref.card, "period": period}
        raise ValidationFailed(msg, problems=[Problem(msg, params, field=path)], **params)
    return team
