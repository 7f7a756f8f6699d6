"""The personal dashboard (S6.2, S9.4): my indicators with their targets, actuals and scores, the
arithmetic of each score and of my total, a monthly trend, how my department does on the same
indicator (when at least three people make that figure), and what is due from me.

In a performance cycle of the period the cycle's scorecard counts: its frozen rules, my targets,
the values taken from data or entered by hand and approved, my manager's ratings. Without one,
my personal scorecard is scored on my computed figures with the cards' rules, so the dashboard
is never empty between cycles. A manager or HR opens a person's dashboard within their scope.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from northstar.cycles import progress as cycle_progress
from northstar.cycles import scores as cycle_scores
from northstar.cycles import service as cycles
from northstar.cycles import targets as tg
from northstar.cycles.models import Cycle, CycleParticipant
from northstar.cycles.progress import Due
from northstar.dashboards.department import cycle_of
from northstar.dashboards.figures import TrendPoint, by_card, trends
from northstar.dashboards.periods import Period
from northstar.data.models import MetricActual
from northstar.errors import N_, NotFound
from northstar.indicators.models import IndicatorCard
from northstar.org.models import Department, Employee
from northstar.scorecards.models import PersonalScorecard
from northstar.scoring import Item, ItemResult, RollupResult, ScoringError, parse_rule, roll_up
from northstar.scoring.rules import ADJUSTMENT_KINDS, DEFAULT_GRADES, MissingPolicy
from northstar.scoring.steps import described
from northstar.security import scope
from northstar.security.principal import Principal


@dataclass(frozen=True)
class PersonalLine:
    card: IndicatorCard
    weight: Decimal | None
    #: threshold / target / stretch (or bands, range) as they apply to me, as text
    anchors: dict[str, Any]
    #: the value scored: my computed figure, or the cycle's value (which may be hand-entered)
    value: str | None
    #: "computed", "manual", "rating" or "" (no value)
    origin: str
    #: a hand-entered value still waiting for approval, not counted yet
    held: bool
    #: my computed figure of the period (its lineage), when there is one
    actual: MetricActual | None
    result: ItemResult | None
    trend: list[TrendPoint]
    #: my department's figure of the same indicator, when the viewer may see it
    department: MetricActual | None


@dataclass(frozen=True)
class PersonalDashboard:
    employee: Employee
    period: Period
    cycle: Cycle | None
    lines: list[PersonalLine]
    result: RollupResult | None
    error: ScoringError | None
    #: the grade that stands once calibrated and published, when there is one
    final_grade: str | None
    due: list[Due]
    source: str  # "cycle", "scorecard" or "" (nothing assigned)


def person(db: Session, principal: Principal, number: str | None) -> Employee:
    """The person whose dashboard is asked for: the viewer's own, or one within their scope."""
    if number is None:
        if principal.employee_id is None:
            raise NotFound(
                N_("Your account is not linked to an employee record, so there is no personal dashboard.")
            )
        found = db.get(Employee, principal.employee_id)
    else:
        found = db.scalar(select(Employee).where(Employee.number == number, scope.employee_filter(principal)))
    if found is None:
        raise NotFound(N_("There is no person {number} that you may see."), number=number or "")
    return found


def personal_dashboard(
    db: Session,
    principal: Principal,
    visible: ColumnElement[bool],
    employee: Employee,
    period: Period,
) -> PersonalDashboard:
    """The dashboard of ``employee`` for ``period`` as ``principal`` may see it."""
    cycle = cycle_of(db, period, employee.department_id)
    participant = (
        db.scalar(
            select(CycleParticipant).where(
                CycleParticipant.cycle_id == cycle.id, CycleParticipant.employee_id == employee.id
            )
        )
        if cycle is not None
        else None
    )
    due = cycle_progress.due_for(db, principal) if principal.employee_id == employee.id else []
    mine = by_card(db, visible, scope_kind="person", period=period, card_ids=None, employee_id=employee.id)
    department = employee.department
    if participant is not None and cycle is not None:
        return _from_cycle(db, visible, employee, period, cycle, participant, mine, department, due)
    return _from_scorecard(db, visible, employee, period, mine, department, due)


def _context(
    db: Session,
    visible: ColumnElement[bool],
    employee: Employee,
    period: Period,
    card_ids: set[int],
    department_code: str | None,
) -> tuple[dict[int, list[TrendPoint]], dict[int, MetricActual]]:
    trend = trends(
        db, visible, scope_kind="person", card_ids=card_ids, until=period.end, employee_id=employee.id
    )
    peers: dict[int, MetricActual] = {}
    if department_code:
        peers = by_card(
            db, visible, scope_kind="department", period=period, card_ids=card_ids, scope_key=department_code
        )
    return trend, peers


def _from_cycle(
    db: Session,
    visible: ColumnElement[bool],
    employee: Employee,
    period: Period,
    cycle: Cycle,
    participant: CycleParticipant,
    mine: dict[int, MetricActual],
    department: Department | None,
    due: list[Due],
) -> PersonalDashboard:
    sheet = cycle_scores.sheet(db, cycle, participant)
    rules = cycles.rules_of(db, cycle, {a.card_id for a in participant.assignments})
    card_ids = {a.card_id for a in participant.assignments}
    trend, peers = _context(db, visible, employee, period, card_ids, department.code if department else None)
    results = {r.code: r for r in sheet.result.items} if sheet.result else {}
    lines = [
        PersonalLine(
            card=line.assignment.card,
            weight=line.assignment.weight if line.kind not in ADJUSTMENT_KINDS else None,
            anchors=rules.anchors(line.assignment),
            value=line.value,
            origin=line.origin,
            held=line.held,
            actual=mine.get(line.assignment.card_id),
            result=results.get(line.assignment.card.code),
            trend=trend.get(line.assignment.card_id, []),
            department=peers.get(line.assignment.card_id),
        )
        for line in sheet.lines
    ]
    review = cycle_scores.reviews_by_participant(db, [participant.id]).get(participant.id)
    error = sheet.error if isinstance(sheet.error, ScoringError) else None
    final = review.final_grade if review is not None and cycle.published_at is not None else None
    return PersonalDashboard(employee, period, cycle, lines, sheet.result, error, final, due, "cycle")


def _from_scorecard(
    db: Session,
    visible: ColumnElement[bool],
    employee: Employee,
    period: Period,
    mine: dict[int, MetricActual],
    department: Department | None,
    due: list[Due],
) -> PersonalDashboard:
    card = db.scalar(
        select(PersonalScorecard)
        .where(PersonalScorecard.employee_id == employee.id)
        .order_by(PersonalScorecard.period.desc())
        .limit(1)
    )
    if card is None:
        return PersonalDashboard(employee, period, None, [], None, None, None, due, "")
    items = [i for i in card.items if i.card.rule is not None]
    trend, peers = _context(
        db, visible, employee, period, {i.card_id for i in items}, department.code if department else None
    )
    scoring_items = []
    for i in items:
        kind = str(i.card.rule.get("kind")) if i.card.rule else ""
        figure = mine.get(i.card_id)
        scoring_items.append(
            Item(
                code=i.card.code,
                label=described(i.card.name_en, i.card.name),
                rule=parse_rule(i.card.rule),
                actual=figure.value if figure is not None else None,
                weight=None if kind in ADJUSTMENT_KINDS else i.weight,
                missing=i.card.missing_policy or MissingPolicy.renormalise,
            )
        )
    result: RollupResult | None = None
    error: ScoringError | None = None
    try:
        result = roll_up(scoring_items, DEFAULT_GRADES) if scoring_items else None
    except ScoringError as exc:
        error = exc
    results = {r.code: r for r in result.items} if result else {}
    lines = []
    for i in items:
        figure = mine.get(i.card_id)
        kind = str(i.card.rule.get("kind")) if i.card.rule else ""
        value = None if figure is None or figure.value is None else cycles.decimal_text(figure.value)
        lines.append(
            PersonalLine(
                card=i.card,
                weight=None if kind in ADJUSTMENT_KINDS else i.weight,
                anchors=tg.anchors(i.card.rule),
                value=value,
                origin="computed" if value is not None else "",
                held=False,
                actual=figure,
                result=results.get(i.card.code),
                trend=trend.get(i.card_id, []),
                department=peers.get(i.card_id),
            )
        )
    return PersonalDashboard(employee, period, None, lines, result, error, None, due, "scorecard")
