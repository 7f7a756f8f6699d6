"""A dashboard's unit: one indicator's computed figure for one scope and period, scored with its
card's rule, with a status a reader takes in at a glance.

Status: "on target" at a score of 100 or more (the target's score on every linear rule), "below
target" from 60 (the threshold's score) up to 100, "off track" under 60, and "no data" when
nothing was computed or the viewer may not see it. Adjustment items speak for themselves: a
penalty or a veto that bit is off track, one that did not is on target; a bonus earned is on
target. Figures are always read through the viewer's scope (``data.actuals.actual_filter``), so a
dashboard shows nothing its viewer could not open one by one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from northstar.dashboards.periods import Period
from northstar.data.models import MetricActual
from northstar.errors import NorthstarError
from northstar.indicators.models import IndicatorCard
from northstar.scoring import ScoringError, parse_rule
from northstar.scoring.engine import Score, score
from northstar.scoring.rules import ADJUSTMENT_KINDS

ON_TARGET = Decimal(100)
THRESHOLD = Decimal(60)
STATUSES = ("on_target", "below_target", "off_track", "no_data")
#: how many months a trend looks back from the end of the period shown
TREND_MONTHS = 12


def status_of(score_value: Decimal | None) -> str:
    """The status of a weighted score (an indicator's, an objective's, a total)."""
    if score_value is None:
        return "no_data"
    if score_value >= ON_TARGET:
        return "on_target"
    return "below_target" if score_value >= THRESHOLD else "off_track"


@dataclass(frozen=True)
class Figure:
    """One card's figure for one scope and period, scored; ``actual`` None when there is none
    the viewer may see."""

    card: IndicatorCard
    actual: MetricActual | None
    score: Score | None
    error: NorthstarError | None = None

    @property
    def value(self) -> Decimal | None:
        return self.actual.value if self.actual is not None else None

    @property
    def kind(self) -> str:
        return str((self.card.rule or {}).get("kind", ""))

    @property
    def points(self) -> Decimal | None:
        """The score that counts in a mean (weighted kinds only)."""
        if self.score is None or self.kind in ADJUSTMENT_KINDS:
            return None
        return self.score.value

    @property
    def status(self) -> str:
        if self.score is None or self.score.status == "missing":
            return "no_data"
        if self.kind == "bonus":
            return "on_target" if (self.score.value or 0) > 0 else "below_target"
        if self.kind == "penalty":
            return "off_track" if (self.score.value or 0) > 0 else "on_target"
        if self.kind == "veto":
            return "off_track" if self.score.vetoed else "on_target"
        return status_of(self.score.value)


def scored(card: IndicatorCard, actual: MetricActual | None) -> Figure:
    """The card's figure scored with its rule; unscored when the card has no rule or no value."""
    if actual is None or actual.value is None or card.rule is None:
        return Figure(card, actual, None)
    try:
        return Figure(card, actual, score(parse_rule(card.rule), actual.value))
    except ScoringError as exc:
        return Figure(card, actual, None, exc)


def figures(
    db: Session,
    visible: ColumnElement[bool],
    *,
    scope_kind: str,
    grain: str,
    start: date,
    card_ids: Iterable[int] | None = None,
    scope_key: str | None = None,
    department_ids: Iterable[int] | None = None,
    employee_id: int | None = None,
) -> list[MetricActual]:
    """The stored figures of one scope kind and period that the viewer may see."""
    q = select(MetricActual).where(
        visible,
        MetricActual.scope_kind == scope_kind,
        MetricActual.grain == grain,
        MetricActual.period_start == start,
    )
    if card_ids is not None:
        q = q.where(MetricActual.card_id.in_(list(card_ids)))
    if scope_key is not None:
        q = q.where(MetricActual.scope_key == scope_key)
    if department_ids is not None:
        q = q.where(MetricActual.department_id.in_(list(department_ids)))
    if employee_id is not None:
        q = q.where(MetricActual.employee_id == employee_id)
    return list(db.scalars(q).unique())


def by_card(
    db: Session,
    visible: ColumnElement[bool],
    *,
    scope_kind: str,
    period: Period,
    card_ids: Iterable[int] | None,
    scope_key: str | None = None,
    employee_id: int | None = None,
) -> dict[int, MetricActual]:
    """Card id → the viewer's visible figure of one scope for ``period``."""
    return {
        a.card_id: a
        for a in figures(
            db,
            visible,
            scope_kind=scope_kind,
            grain=period.grain,
            start=period.start,
            card_ids=card_ids,
            scope_key=scope_key,
            employee_id=employee_id,
        )
    }


@dataclass(frozen=True)
class TrendPoint:
    start: date
    value: Decimal | None
    actual_id: int


def trends(
    db: Session,
    visible: ColumnElement[bool],
    *,
    scope_kind: str,
    card_ids: Iterable[int],
    until: date,
    department_id: int | None = None,
    employee_id: int | None = None,
    scope_key: str | None = None,
) -> dict[int, list[TrendPoint]]:
    """Card id → its monthly figures of the ``TREND_MONTHS`` months before ``until``, oldest first."""
    index = until.year * 12 + until.month - 1 - TREND_MONTHS
    since = date(index // 12, index % 12 + 1, 1)
    q = select(MetricActual.card_id, MetricActual.period_start, MetricActual.value, MetricActual.id).where(
        visible,
        MetricActual.scope_kind == scope_kind,
        MetricActual.grain == "month",
        MetricActual.period_start >= since,
        MetricActual.period_start < until,
        MetricActual.card_id.in_(list(card_ids)),
    )
    conditions: list[Any] = []
    if department_id is not None:
        conditions.append(MetricActual.department_id == department_id)
    if employee_id is not None:
        conditions.append(MetricActual.employee_id == employee_id)
    if scope_key is not None:
        conditions.append(MetricActual.scope_key == scope_key)
    out: dict[int, list[TrendPoint]] = defaultdict(list)
    for card_id, start, value, actual_id in db.execute(
        q.where(*conditions).order_by(MetricActual.period_start)
    ):
        out[card_id].append(TrendPoint(start, value, actual_id))
    return dict(out)
