"""Scores of a cycle (issue 6, step 4): the scoring engine applied to every assignment, rolled up
to each person's total and grade with each card's missing-data policy, and the department and
enterprise scorecards of the cycle's period.

Every score keeps its arithmetic (``scoring`` steps), so a page prints how it was reached. Until
calibration a sheet is computed when it is shown, from the values as they stand. When the cycle
moves to calibration — after which no actual or rating can change — every participant is scored
once and the total and grade are stored on their review row (``rescore``), so that calibration,
publication and dashboards read them without scoring everyone again.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from northstar.cycles import service as cycles
from northstar.cycles import targets as tg
from northstar.cycles.actuals import GRAIN
from northstar.cycles.models import Cycle, CycleActual, CycleAssignment, CycleParticipant, CycleReview
from northstar.data.models import MetricActual
from northstar.errors import NorthstarError
from northstar.indicators.models import IndicatorCard
from northstar.org.models import Department
from northstar.pools.models import KpiCandidate
from northstar.scoring import Item, RollupResult, ScoringError, parse_rule, roll_up
from northstar.scoring.rules import ADJUSTMENT_KINDS, GradeTable, MissingPolicy
from northstar.scoring.steps import described
from northstar.strategy.models import ObjectiveIndicator


@dataclass(frozen=True)
class Line:
    """One indicator of a cycle scorecard: its assignment, the value scored and where it came from."""

    assignment: CycleAssignment
    kind: str
    #: the value the engine scored (None: missing)
    value: str | None
    actual: CycleActual | None
    #: "computed", "manual", "rating" (a manager's rubric level) or "" (no value)
    origin: str
    #: a hand-entered value waiting for (or refused) approval, so not counted
    held: bool


@dataclass(frozen=True)
class Sheet:
    """A participant's scored cycle scorecard; ``error`` when a value cannot be scored."""

    participant: CycleParticipant
    lines: list[Line]
    result: RollupResult | None
    error: NorthstarError | None = None


def reviews_of(db: Session, cycle: Cycle) -> dict[int, CycleReview]:
    """Participant id → review row (only those that exist yet)."""
    rows = db.scalars(select(CycleReview).where(CycleReview.cycle_id == cycle.id))
    return {r.participant_id: r for r in rows.unique()}


def reviews_by_participant(db: Session, participant_ids: Iterable[int]) -> dict[int, CycleReview]:
    """Participant id → review row, for the given participants (those that have one yet)."""
    rows = db.scalars(select(CycleReview).where(CycleReview.participant_id.in_(list(participant_ids))))
    return {r.participant_id: r for r in rows.unique()}


def sheets(db: Session, cycle: Cycle, participants: Sequence[CycleParticipant]) -> dict[int, Sheet]:
    """Score the given participants of ``cycle``: participant id → sheet."""
    return _sheets(db, cycle, participants, reviews_by_participant(db, [p.id for p in participants]))


def _sheets(
    db: Session,
    cycle: Cycle,
    participants: Sequence[CycleParticipant],
    reviews: dict[int, CycleReview],
) -> dict[int, Sheet]:
    # the frozen cards and the actuals of these participants only, one query each: one person's
    # page reads one person's rows, the move to calibration everyone's
    rules = cycles.rules_of(db, cycle, {a.card_id for p in participants for a in p.assignments})
    actuals = {
        a.assignment_id: a
        for a in db.scalars(
            select(CycleActual)
            .join(CycleAssignment, CycleActual.assignment_id == CycleAssignment.id)
            .where(CycleAssignment.participant_id.in_([p.id for p in participants]))
        ).unique()
    }
    grades = cycles.grades_of(cycle)
    out: dict[int, Sheet] = {}
    for p in participants:
        review = reviews.get(p.id)
        lines: list[Line] = []
        items: list[Item] = []
        for a in p.assignments:
            kind = rules.kind(a.card) or ""
            actual = actuals.get(a.id)
            if kind == "rubric":
                value = (review.manager_ratings.get(a.card.code) if review else None) or None
                origin, held = ("rating" if value else ""), False
            elif actual is not None:
                held = not actual.counts
                value = None if held else actual.value
                origin = actual.origin.value
            else:
                value, origin, held = None, "", False
            lines.append(Line(a, kind, value, actual, origin, held))
            frozen = rules.frozen.get(a.card_id)
            missing = frozen.missing_policy if frozen else a.card.missing_policy
            rule = rules.rule(a.card)
            items.append(
                Item(
                    code=a.card.code,
                    label=described(a.card.name_en, a.card.name),
                    rule=parse_rule(tg.merged(rule or {}, a.targets or {})),
                    actual=value,
                    weight=None if kind in ADJUSTMENT_KINDS else a.weight,
                    missing=missing or MissingPolicy.renormalise,
                )
            )
        try:
            out[p.id] = Sheet(p, lines, roll_up(items, grades))
        except ScoringError as exc:
            out[p.id] = Sheet(p, lines, None, exc)
    return out


def sheet(db: Session, cycle: Cycle, participant: CycleParticipant) -> Sheet:
    return sheets(db, cycle, [participant])[participant.id]


def review_for(db: Session, participant: CycleParticipant) -> CycleReview:
    """The participant's review row, created empty the first time it is needed."""
    review = db.scalar(select(CycleReview).where(CycleReview.participant_id == participant.id))
    if review is None:
        review = CycleReview(cycle_id=participant.cycle_id, participant_id=participant.id)
        db.add(review)
        db.flush()
    return review


def rescore(db: Session, cycle: Cycle) -> None:
    """Store each participant's total, status and grade on their review row (creating the row).
    A calibrated grade (``final_grade``) is the reviewers' and is left alone."""
    participants = cycles.all_participants(db, cycle)
    reviews = reviews_of(db, cycle)
    for pid, s in _sheets(db, cycle, participants, reviews).items():
        review = reviews.get(pid)
        if review is None:
            review = CycleReview(cycle_id=cycle.id, participant_id=pid)
            db.add(review)
        result = s.result
        total = result.total if result else None
        status = result.status if result else "error"
        grade = result.grade if result else None
        if (review.score, review.score_status, review.grade) != (total, status, grade):
            review.score, review.score_status, review.grade = total, status, grade
    db.flush()


# --- department and enterprise scorecards of the cycle's period ------------------------------


@dataclass(frozen=True)
class UnitSheet:
    """A department's or the enterprise's scorecard for the cycle's period: each weighted card
    with its computed figure (None: no data), and the roll-up."""

    #: None for the enterprise
    department: Department | None
    lines: list[tuple[IndicatorCard, Decimal, Decimal | None, int | None]]
    result: RollupResult | None
    error: NorthstarError | None = None

    @property
    def code(self) -> str:
        return self.department.code if self.department else ""

    @property
    def name(self) -> str:
        return self.department.name if self.department else ""


def unit_sheet(
    department: Department | None,
    weighted: list[tuple[IndicatorCard, Decimal]],
    figures: dict[int, MetricActual],
    grades: GradeTable,
) -> UnitSheet:
    """Score a department's or the enterprise's weighted cards on their computed figures."""
    lines = []
    items = []
    for card, weight in weighted:
        if card.rule is None:
            continue
        figure = figures.get(card.id)
        value = figure.value if figure is not None else None
        lines.append((card, weight, value, figure.id if figure is not None else None))
        kind = str(card.rule.get("kind"))
        items.append(
            Item(
                code=card.code,
                label=described(card.name_en, card.name),
                rule=parse_rule(card.rule),
                actual=value,
                weight=None if kind in ADJUSTMENT_KINDS else weight,
                missing=card.missing_policy or MissingPolicy.renormalise,
            )
        )
    if not items:
        return UnitSheet(department, lines, None)
    try:
        return UnitSheet(department, lines, roll_up(items, grades))
    except ScoringError as exc:
        return UnitSheet(department, lines, None, exc)


def core_sets(
    db: Session, department_ids: Iterable[int] | None = None
) -> dict[int, list[tuple[IndicatorCard, Decimal]]]:
    """Department id → its pool's weighted core set (card, weight), for the given departments or all."""
    q = select(KpiCandidate).where(
        KpiCandidate.core.is_(True), KpiCandidate.card_id.is_not(None), KpiCandidate.weight.is_not(None)
    )
    if department_ids is not None:
        q = q.where(KpiCandidate.department_id.in_(list(department_ids)))
    core = db.scalars(q).all()
    card_ids = {c.card_id for c in core if c.card_id is not None}
    cards = {
        c.id: c for c in db.scalars(select(IndicatorCard).where(IndicatorCard.id.in_(card_ids))).unique()
    }
    out: dict[int, list[tuple[IndicatorCard, Decimal]]] = {}
    for c in core:
        assert c.card_id is not None and c.weight is not None
        out.setdefault(c.department_id, []).append((cards[c.card_id], c.weight))
    return out


def department_sheets_for(
    db: Session,
    *,
    grain: str,
    start: date,
    grades: GradeTable,
    department_ids: Iterable[int] | None = None,
    visible: ColumnElement[bool] | None = None,
) -> list[UnitSheet]:
    """Every department (of ``department_ids``, or all) with a weighted core set in its KPI pool,
    scored on its subtree's figures for the period; ``visible`` limits the figures read (a
    viewer's scope), a figure outside it counting as missing."""
    by_dept = core_sets(db, department_ids)
    figures: dict[int, dict[int, MetricActual]] = {}
    q = select(MetricActual).where(
        MetricActual.scope_kind == "department",
        MetricActual.grain == grain,
        MetricActual.period_start == start,
        MetricActual.department_id.in_(list(by_dept)),
    )
    if visible is not None:
        q = q.where(visible)
    for m in db.scalars(q).unique():
        assert m.department_id is not None
        figures.setdefault(m.department_id, {})[m.card_id] = m
    depts = {d.id: d for d in db.scalars(select(Department).where(Department.id.in_(list(by_dept))))}
    out = [
        unit_sheet(depts[dept_id], weighted, figures.get(dept_id, {}), grades)
        for dept_id, weighted in by_dept.items()
    ]
    return sorted(out, key=lambda u: u.code)


def department_sheets(db: Session, cycle: Cycle) -> list[UnitSheet]:
    """Every department with a weighted core set in its KPI pool, scored on its subtree's figures
    for the cycle's period (only departments in the cycle's coverage)."""
    covered = None if cycle.department_id is None else cycles._subtree_ids(db, cycle.department_id)
    return department_sheets_for(
        db,
        grain=GRAIN[cycle.kind.value],
        start=cycle.start,
        grades=cycles.grades_of(cycle),
        department_ids=covered,
    )


def enterprise_weights(db: Session) -> list[tuple[IndicatorCard, Decimal]]:
    """The weighted indicators of the strategy's objectives (card, weight)."""
    return [
        (oi.card, oi.weight)
        for oi in db.scalars(
            select(ObjectiveIndicator).where(ObjectiveIndicator.weight.is_not(None))
        ).unique()
        if oi.weight is not None
    ]


def enterprise_sheet_for(
    db: Session,
    *,
    grain: str,
    start: date,
    grades: GradeTable,
    visible: ColumnElement[bool] | None = None,
) -> UnitSheet | None:
    """The enterprise scorecard (the weighted indicators of the strategy's objectives) scored on
    the company's figures for the period; None when no indicator carries a weight."""
    weighted = enterprise_weights(db)
    if not weighted:
        return None
    q = select(MetricActual).where(
        MetricActual.scope_kind == "company",
        MetricActual.grain == grain,
        MetricActual.period_start == start,
    )
    if visible is not None:
        q = q.where(visible)
    figures = {m.card_id: m for m in db.scalars(q).unique()}
    return unit_sheet(None, weighted, figures, grades)


def enterprise_sheet(db: Session, cycle: Cycle) -> UnitSheet | None:
    """The enterprise scorecard for the cycle's period; None for a pilot cycle or when no
    indicator carries a weight."""
    if cycle.department_id is not None:
        return None
    return enterprise_sheet_for(
        db, grain=GRAIN[cycle.kind.value], start=cycle.start, grades=cycles.grades_of(cycle)
    )
