"""The enterprise dashboard (S4, S7.2, S7.5): the balanced scorecard scored for a period, customer
perspective first; each objective's and perspective's score; the strategy map's objectives
with their status; a monthly trend for every indicator; and the data-quality panel.

An objective's score is the weighted mean of its indicators' scores (their enterprise weights
scaled to 100 within the objective; equal shares when the objective's indicators carry no
weights), a perspective's the weighted mean of its objectives' (each weighing what its
indicators weigh). Missing figures share their weight out over the others, as the scoring
engine's renormalise policy does, and every mean prints its arithmetic. The enterprise total
and grade are the scoring engine's roll-up of the whole weighted scorecard, the same one the
cycles use.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session

from northstar.cycles import scores as cycle_scores
from northstar.cycles.scores import UnitSheet
from northstar.dashboards.figures import Figure, TrendPoint, by_card, scored, status_of, trends
from northstar.dashboards.periods import Period
from northstar.data.quality import QualityReport, quality_report
from northstar.errors import Named
from northstar.scoring import WeightedMean, combine, renormalised
from northstar.scoring.rules import ADJUSTMENT_KINDS, DEFAULT_GRADES
from northstar.strategy import scorecard as design
from northstar.strategy import service as strategy
from northstar.strategy.models import (
    Objective,
    ObjectiveIndicator,
    ObjectiveLink,
    Perspective,
    StrategyRecord,
)
from northstar.strategy.scorecard import PERSPECTIVE_ORDER


@dataclass(frozen=True)
class IndicatorLine:
    link: ObjectiveIndicator
    figure: Figure
    trend: list[TrendPoint]


def _weighted(lines: list[IndicatorLine]) -> list[IndicatorLine]:
    """The lines that enter a mean (adjustment items do not)."""
    return [line for line in lines if line.figure.kind and line.figure.kind not in ADJUSTMENT_KINDS]


@dataclass(frozen=True)
class ObjectiveView:
    objective: Objective
    lines: list[IndicatorLine]
    mean: WeightedMean | None

    @property
    def weighted(self) -> list[IndicatorLine]:
        return _weighted(self.lines)

    @property
    def weight(self) -> Decimal:
        """What the objective weighs in its perspective: its weighted indicators' enterprise weights."""
        return sum((line.link.weight or Decimal(0) for line in self.weighted), Decimal(0))

    @property
    def score(self) -> Decimal | None:
        return self.mean.total if self.mean else None

    @property
    def status(self) -> str:
        if self.mean is not None:
            return status_of(self.mean.total)
        # only adjustment items (or none): the worst of them
        seen = [line.figure.status for line in self.lines if line.figure.status != "no_data"]
        return "off_track" if "off_track" in seen else ("on_target" if seen else "no_data")


@dataclass(frozen=True)
class PerspectiveView:
    perspective: Perspective
    objectives: list[ObjectiveView]
    mean: WeightedMean | None

    @property
    def score(self) -> Decimal | None:
        return self.mean.total if self.mean else None

    @property
    def status(self) -> str:
        return status_of(self.score)


@dataclass(frozen=True)
class EnterpriseDashboard:
    period: Period
    record: StrategyRecord | None
    perspectives: list[PerspectiveView]
    #: the whole weighted scorecard's total and grade, with its arithmetic
    sheet: UnitSheet | None
    links: list[ObjectiveLink]
    quality: QualityReport | None
    #: while the total waits for missing figures: the weighted mean of the objectives that have
    #: data (their weights scaled to 100)
    so_far: WeightedMean | None = None

    @property
    def coverage(self) -> tuple[int, int, Decimal, Decimal]:
        """Weighted indicators with a figure, all of them; the weights of those with one, of all."""
        lines = [line for p in self.perspectives for o in p.objectives for line in o.weighted]
        with_data = [line for line in lines if line.figure.points is not None]
        return (
            len(with_data),
            len(lines),
            sum((line.link.weight or Decimal(0) for line in with_data), Decimal(0)),
            sum((line.link.weight or Decimal(0) for line in lines), Decimal(0)),
        )


def weighted_mean(parts: list[tuple[Named, Decimal | None, Decimal | None]]) -> WeightedMean | None:
    """The mean of (label, weight or None, score or None) with the weights scaled to 100; equal
    shares when any weight is missing; None without parts."""
    if not parts:
        return None
    weights = [w for _, w, _ in parts]
    raw = [w for w in weights if w is not None and w > 0]
    base = raw if len(raw) == len(weights) else [Decimal(1)] * len(parts)
    scaled = renormalised(base)
    return combine([(label, w, value) for (label, _, value), w in zip(parts, scaled, strict=True)])


def _objective_view(
    obj: Objective, found: dict[int, Figure], trend: dict[int, list[TrendPoint]]
) -> ObjectiveView:
    lines = [IndicatorLine(oi, found[oi.card_id], trend.get(oi.card_id, [])) for oi in obj.indicators]
    mean = weighted_mean(
        [
            (design.card_named(line.figure.card), line.link.weight, line.figure.points)
            for line in _weighted(lines)
        ]
    )
    return ObjectiveView(obj, lines, mean)


def record_for(db: Session, record_id: int | None = None) -> StrategyRecord | None:
    """The strategy record asked for, else the latest planning period's."""
    if record_id is not None:
        return strategy.get_record(db, record_id=record_id)
    records = strategy.get_all_records(db)
    return records[0] if records else None


def enterprise(
    db: Session,
    visible: ColumnElement[bool],
    period: Period,
    *,
    record: StrategyRecord | None,
    with_quality: bool,
) -> EnterpriseDashboard:
    """The enterprise dashboard of ``period`` from the company figures the viewer may see."""
    if record is None:
        return EnterpriseDashboard(period, None, [], None, [], quality_report(db) if with_quality else None)
    objectives = design.get_objectives(db, record)
    card_ids = {oi.card_id for o in objectives for oi in o.indicators}
    actuals = by_card(db, visible, scope_kind="company", period=period, card_ids=card_ids)
    cards = {oi.card_id: oi.card for o in objectives for oi in o.indicators}
    found = {card_id: scored(card, actuals.get(card_id)) for card_id, card in cards.items()}
    trend = trends(db, visible, scope_kind="company", card_ids=card_ids, until=period.end)
    views = [_objective_view(o, found, trend) for o in objectives]
    perspectives = []
    for p in PERSPECTIVE_ORDER:
        mine = [v for v in views if v.objective.perspective is p]
        if not mine:
            continue
        mean = weighted_mean(
            [(design.named(v.objective), v.weight or None, v.score) for v in mine if v.mean is not None]
        )
        perspectives.append(PerspectiveView(p, mine, mean))
    sheet = cycle_scores.enterprise_sheet_for(
        db, grain=period.grain, start=period.start, grades=DEFAULT_GRADES, visible=visible
    )
    so_far = None
    if sheet is None or sheet.result is None or sheet.result.total is None:
        so_far = weighted_mean(
            [(design.named(v.objective), v.weight or None, v.score) for v in views if v.mean is not None]
        )
    return EnterpriseDashboard(
        period,
        record,
        perspectives,
        sheet,
        design.get_links(db, record),
        quality_report(db) if with_quality else None,
        so_far,
    )
