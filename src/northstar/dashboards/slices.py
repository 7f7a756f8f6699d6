"""One indicator sliced (S7.2): by customer, customer segment, project, department, owner or period,
each slice a stored figure with its lineage (S7.3), within the viewer's scope.

Slices are read, never computed here: the batch computation stores them with the people they
rest on, so the scope rules hold for every slice (a manager sees a customer's figure only when
at least three people's rows make it; an employee their own and the company's). Rows come best
first by the card's polarity.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from northstar.customers.models import Customer, Segment
from northstar.dashboards.figures import Figure, TrendPoint, figures, scored, trends
from northstar.dashboards.periods import Period
from northstar.data.models import MetricActual, MetricBinding
from northstar.errors import N_, NotFound
from northstar.indicators.models import IndicatorCard
from northstar.org.models import Department, Employee
from northstar.scoring.rules import Polarity

#: what an indicator can be sliced by → the scope kind of the stored figures
BY = {
    "customer": "customer",
    "segment": "segment",
    "project": "project",
    "department": "department",
    "owner": "person",
    "period": "company",
}


@dataclass(frozen=True)
class SliceRow:
    key: str
    #: (English, Chinese) names of the slice; the key itself when it has no registered name
    name: tuple[str, str]
    #: a second line: the customer's segment, the person's department
    detail: tuple[str, str] | None
    figure: Figure


@dataclass(frozen=True)
class IndicatorSlices:
    card: IndicatorCard
    metric: str
    period: Period
    by: str
    rows: list[SliceRow]
    company: Figure
    trend: list[TrendPoint]


def bound_card(db: Session, code: str) -> tuple[IndicatorCard, str]:
    """The card and the metric it is computed from; NotFound when it is not computed from data."""
    found = db.execute(
        select(IndicatorCard, MetricBinding.metric)
        .join(MetricBinding, MetricBinding.card_id == IndicatorCard.id)
        .where(IndicatorCard.code == code)
    ).first()
    if found is None:
        raise NotFound(
            N_(
                "Indicator {code} is not computed from data, so it has no slices; bind it to a metric on the Data page."
            ),
            code=code,
        )
    return found[0], found[1]


def _best_first(card: IndicatorCard, rows: list[SliceRow]) -> list[SliceRow]:
    lower = card.polarity is Polarity.lower_better
    with_value = [r for r in rows if r.figure.value is not None]
    without = [r for r in rows if r.figure.value is None]

    def value(r: SliceRow) -> Decimal:
        assert r.figure.value is not None
        return r.figure.value

    return sorted(with_value, key=lambda r: (value(r) if lower else -value(r), r.key)) + without


def indicator_slices(
    db: Session, visible: ColumnElement[bool], card: IndicatorCard, metric: str, period: Period, by: str
) -> IndicatorSlices:
    """The card's figures of ``period`` by ``by``, the company's beside them, and its monthly trend."""
    kind = BY[by]
    company_rows = figures(
        db, visible, scope_kind="company", grain=period.grain, start=period.start, card_ids=[card.id]
    )
    company = scored(card, company_rows[0] if company_rows else None)
    trend = trends(db, visible, scope_kind="company", card_ids=[card.id], until=period.end).get(card.id, [])
    if by == "period":
        found = list(
            db.scalars(
                select(MetricActual)
                .where(
                    visible,
                    MetricActual.card_id == card.id,
                    MetricActual.scope_kind == "company",
                    MetricActual.grain == period.grain,
                )
                .order_by(MetricActual.period_start.desc())
            ).unique()
        )
        rows = [
            SliceRow(a.period_start.isoformat(), (a.period_start.isoformat(),) * 2, None, scored(card, a))
            for a in found
        ]
        return IndicatorSlices(card, metric, period, by, rows, company, trend)
    found = figures(db, visible, scope_kind=kind, grain=period.grain, start=period.start, card_ids=[card.id])
    registered = _registered(db, kind, {a.scope_key for a in found})
    rows = [SliceRow(a.scope_key, *_names(kind, a, registered), scored(card, a)) for a in found]
    return IndicatorSlices(card, metric, period, by, _best_first(card, rows), company, trend)


def _registered(db: Session, kind: str, keys: set[str]) -> dict[str, Customer | Segment]:
    """The customers or segments the slices' keys name, read in one query."""
    if kind == "customer":
        return {c.code: c for c in db.scalars(select(Customer).where(Customer.code.in_(keys)))}
    if kind == "segment":
        return {s.code: s for s in db.scalars(select(Segment).where(Segment.code.in_(keys)))}
    return {}


def _names(
    kind: str, actual: MetricActual, registered: dict[str, Customer | Segment]
) -> tuple[tuple[str, str], tuple[str, str] | None]:
    key = actual.scope_key
    if kind == "person" and actual.employee is not None:
        e: Employee = actual.employee
        dept = e.department
        return (f"{e.name} ({e.number})",) * 2, (dept.name_en or dept.name, dept.name) if dept else None
    if kind == "department" and actual.department is not None:
        d: Department = actual.department
        return (d.name_en or d.name, d.name), None
    found = registered.get(key)
    if isinstance(found, Customer):
        seg = found.segment
        return (found.name_en or found.name, found.name), (seg.name_en or seg.name, seg.name) if seg else None
    if found is not None:
        return (found.name_en or found.name, found.name), None
    return (key, key), None
