"""Data quality (S7.5): freshness per source, null and invalid shares, coverage of assignments by
data, and the share of indicators computed automatically versus entered by hand."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from northstar.data.compute import latest_runs, plan_assignments
from northstar.data.models import ComputeRun, DataSource, MetricActual, MetricBinding, SourceSnapshot
from northstar.data.registry import current_snapshots, schema_of
from northstar.db import utcnow
from northstar.pools.models import KpiCandidate
from northstar.scorecards.models import ScorecardItem
from northstar.strategy.models import ObjectiveIndicator


@dataclass(frozen=True)
class ColumnQuality:
    name: str
    #: the source declares the column required: an empty cell there is a gap in the data, while
    #: an optional column may be empty by nature (a ticket's closing time while it is open)
    required: bool
    nulls: int
    invalid: int
    null_share: Decimal
    invalid_share: Decimal


@dataclass(frozen=True)
class SourceQuality:
    source: DataSource
    snapshot: SourceSnapshot | None
    #: fresh, stale or never (no snapshot yet)
    status: str
    #: days since the latest event in the data (None before the first load)
    age_days: int | None
    #: empty cells among the required columns' cells (optional columns may be empty)
    null_share: Decimal
    invalid_share: Decimal
    columns: list[ColumnQuality]


@dataclass(frozen=True)
class Coverage:
    """For one scope kind of the latest run: assignments computed vs left without data."""

    kind: str
    assignments: int
    computed: int
    share: Decimal


@dataclass(frozen=True)
class QualityReport:
    sources: list[SourceQuality]
    run: ComputeRun | None
    coverage: list[Coverage]
    #: the latest run's gaps: assignments it could not compute, with the reason
    gaps: list[dict[str, str]]
    #: indicator assignments (personal items, pool core, enterprise) computed from data vs by hand
    automatic: int
    manual: int
    automatic_share: Decimal
    checked_at: datetime = field(default_factory=utcnow)


def share(part: int, whole: int) -> Decimal:
    """``part`` of ``whole`` in percent, one decimal; 0 when there is nothing."""
    if whole == 0:
        return Decimal(0)
    return round(Decimal(part) * 100 / whole, 1)


def source_quality(source: DataSource, snapshot: SourceSnapshot | None, now: datetime) -> SourceQuality:
    """Freshness and completeness of one source's current snapshot."""
    if snapshot is None:
        return SourceQuality(source, None, "never", None, Decimal(0), Decimal(0), [])
    last = snapshot.last_event or snapshot.loaded_at
    age = max((now - last).days, 0)
    declared = schema_of(source)
    columns = [
        ColumnQuality(
            name,
            column.required if (column := declared.column(name)) else False,
            int(q["nulls"]),
            int(q["invalid"]),
            share(q["nulls"], snapshot.rows),
            share(q["invalid"], snapshot.rows),
        )
        for name, q in snapshot.quality.items()
    ]
    required = [c for c in columns if c.required]
    return SourceQuality(
        source,
        snapshot,
        "fresh" if age <= source.fresh_days else "stale",
        age,
        share(sum(c.nulls for c in required), snapshot.rows * len(required)),
        share(sum(c.invalid for c in columns), snapshot.rows * len(columns)),
        columns,
    )


def quality_report(db: Session, now: datetime | None = None) -> QualityReport:
    """The whole data-quality picture, from stored snapshots and the latest compute run."""
    now = now or utcnow()
    snapshots = current_snapshots(db)
    sources = [
        source_quality(s, snapshots.get(s.id), now)
        for s in db.scalars(select(DataSource).order_by(DataSource.code))
    ]
    runs = latest_runs(db, 1)
    run = runs[0] if runs else None
    coverage: list[Coverage] = []
    gaps: list[dict[str, str]] = []
    if run is not None:
        plan = plan_assignments(db)
        computed = set(
            db.execute(
                select(MetricActual.card_id, MetricActual.scope_kind, MetricActual.scope_key)
                .where(MetricActual.run_id == run.id, MetricActual.value.is_not(None))
                .distinct()
            ).all()
        )
        for kind in ("person", "department", "company"):
            pairs = [(card, o.key) for card, owners in plan.owners.get(kind, {}).items() for o in owners]
            if not pairs:
                continue
            done = sum(1 for card, key in pairs if (card, kind, key) in computed)
            coverage.append(Coverage(kind, len(pairs), done, share(done, len(pairs))))
        gaps = [{k: str(v) for k, v in g.items()} for g in run.gaps]
    automatic, manual = _automatic_and_manual(db)
    return QualityReport(
        sources=sources,
        run=run,
        coverage=coverage,
        gaps=gaps,
        automatic=automatic,
        manual=manual,
        automatic_share=share(automatic, automatic + manual),
    )


def _automatic_and_manual(db: Session) -> tuple[int, int]:
    """Assignments whose card is bound to a metric (computed) and those whose actual is typed."""
    bound = select(MetricBinding.card_id)
    automatic = manual = 0
    for column, extra in (
        (ScorecardItem.card_id, ()),
        (KpiCandidate.card_id, (KpiCandidate.core.is_(True), KpiCandidate.card_id.is_not(None))),
        (ObjectiveIndicator.card_id, ()),
    ):
        total = db.scalar(select(func.count()).where(*extra).select_from(column.class_)) or 0
        auto = (
            db.scalar(select(func.count()).where(column.in_(bound), *extra).select_from(column.class_)) or 0
        )
        automatic += auto
        manual += total - auto
    return automatic, manual
