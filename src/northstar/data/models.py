"""Data sources, their snapshots and pushed batches, the metric spec, bindings and computed actuals.

A source's rows are never read twice from the outside world for one computation: loading a
source (or accepting a push) writes an immutable snapshot into the managed store under the
data directory, and every computed value names the snapshots it was computed from, so that
its drill-down lists exactly the rows that counted, even after the source has moved on (S7.3).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from northstar.db import Base, Bilingual, Dec, UTCDateTime, utcnow
from northstar.indicators.models import IndicatorCard
from northstar.org.models import Department, Employee


class DataSource(Bilingual, Base):
    """A registered source: a file, a SQL table or a push endpoint, with its declared columns."""

    __tablename__ = "data_source"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    system: Mapped[str] = mapped_column(String(20), default="other")
    kind: Mapped[str] = mapped_column(String(10))
    location: Mapped[str] = mapped_column(Text, default="")
    table_name: Mapped[str | None] = mapped_column(String(130))
    sheet: Mapped[str | None] = mapped_column(String(120))
    time_column: Mapped[str] = mapped_column(String(120))
    fresh_days: Mapped[int] = mapped_column(Integer, default=7)
    description: Mapped[str] = mapped_column(Text, default="")
    #: a ``metrics.sources.SourceSchema`` as JSON
    columns: Mapped[dict[str, Any]] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(120), default="")


class SourceSnapshot(Base):
    """One immutable state of a source: the Parquet files in the store that hold its rows.

    The snapshot with the highest number is the source's current state."""

    __tablename__ = "source_snapshot"
    __table_args__ = (UniqueConstraint("source_id", "number", name="uq_source_snapshot_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("data_source.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    #: store-relative paths of the Parquet files whose rows together make the snapshot
    files: Mapped[list[str]] = mapped_column(JSON)
    rows: Mapped[int] = mapped_column(Integer)
    #: hash over the files' contents: the "source snapshot" of lineage
    content_hash: Mapped[str] = mapped_column(String(64))
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    loaded_by: Mapped[str] = mapped_column(String(120), default="")
    #: the earliest and latest event time in the rows (freshness)
    first_event: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_event: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: column → {"nulls": n, "invalid": n} (S7.5)
    quality: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    source: Mapped[DataSource] = relationship(lazy="joined")


class SourceBatch(Base):
    """A batch pushed over HTTP; its idempotency key makes a retried push count once."""

    __tablename__ = "source_batch"
    __table_args__ = (UniqueConstraint("source_id", "idempotency_key", name="uq_source_batch_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("data_source.id", ondelete="CASCADE"), index=True)
    idempotency_key: Mapped[str] = mapped_column(String(200))
    content_hash: Mapped[str] = mapped_column(String(64))
    rows: Mapped[int] = mapped_column(Integer)
    file: Mapped[str] = mapped_column(Text)
    snapshot_id: Mapped[int] = mapped_column(ForeignKey("source_snapshot.id", ondelete="CASCADE"))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    received_by: Mapped[str] = mapped_column(String(120), default="")


class MetricSpecVersion(Base):
    """A saved metric spec (YAML as written); the newest one is in force."""

    __tablename__ = "metric_spec_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    note: Mapped[str] = mapped_column(Text, default="")
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    saved_by: Mapped[str] = mapped_column(String(120), default="")


class MetricBinding(Base):
    """An indicator card computed from data by a metric of the spec."""

    __tablename__ = "metric_binding"

    id: Mapped[int] = mapped_column(primary_key=True)
    card_id: Mapped[int] = mapped_column(ForeignKey("indicator_card.id", ondelete="CASCADE"), unique=True)
    metric: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(120), default="")

    card: Mapped[IndicatorCard] = relationship(lazy="joined")


class ComputeRun(Base):
    """One batch computation: range, grain, engine, what it stored and what it could not compute."""

    __tablename__ = "compute_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    grain: Mapped[str] = mapped_column(String(10))
    start: Mapped[date] = mapped_column(Date)
    end: Mapped[date] = mapped_column(Date)
    engine: Mapped[str] = mapped_column(String(20))
    spec_id: Mapped[int] = mapped_column(ForeignKey("metric_spec_version.id", ondelete="RESTRICT"))
    spec_hash: Mapped[str] = mapped_column(String(64))
    #: source code → the snapshot id read
    snapshots: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    actuals: Mapped[int] = mapped_column(Integer, default=0)
    #: assignments that could not be computed, each with its reason (coverage, S7.5)
    gaps: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    started_by: Mapped[str] = mapped_column(String(120), default="")


class MetricActual(Base):
    """A computed actual of a bound card for one owner scope and period, with its lineage (S7.3).

    ``scope_kind``: person (key = employee number), department (key = department code; the
    value covers its whole subtree), company (key ""), customer or project (key = the code in
    the data), segment (key = segment code; the rows of its customers) and dept_customer (key
    = "department code/customer code": a department subtree's figure among one customer's rows,
    how that customer sees the department).
    """

    __tablename__ = "metric_actual"
    __table_args__ = (
        UniqueConstraint(
            "card_id", "scope_kind", "scope_key", "grain", "period_start", name="uq_metric_actual_slice"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    card_id: Mapped[int] = mapped_column(ForeignKey("indicator_card.id", ondelete="CASCADE"), index=True)
    metric: Mapped[str] = mapped_column(String(120))
    scope_kind: Mapped[str] = mapped_column(String(20))
    scope_key: Mapped[str] = mapped_column(String(120), default="")
    employee_id: Mapped[int | None] = mapped_column(ForeignKey("employee.id", ondelete="CASCADE"), index=True)
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("department.id", ondelete="CASCADE"), index=True
    )
    grain: Mapped[str] = mapped_column(String(10))
    period_start: Mapped[date] = mapped_column(Date, index=True)
    value: Mapped[Decimal | None] = mapped_column(Dec())
    numerator: Mapped[Decimal | None] = mapped_column(Dec())
    denominator: Mapped[Decimal | None] = mapped_column(Dec())
    #: how many people (distinct owners) the value's rows come from, at least; None when the data
    #: names no owner. Scope rules show an aggregate of fewer than three people to nobody who may
    #: not see each of them (``northstar.metrics.people``)
    people: Mapped[int | None] = mapped_column(Integer)
    run_id: Mapped[int] = mapped_column(ForeignKey("compute_run.id", ondelete="CASCADE"), index=True)
    spec_hash: Mapped[str] = mapped_column(String(64))
    #: source code → snapshot id
    snapshots: Mapped[dict[str, int]] = mapped_column(JSON)
    #: ``metrics.lineage.row_filters`` of this value: replayed by the drill-down
    row_filter: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    card: Mapped[IndicatorCard] = relationship(lazy="joined")
    employee: Mapped[Employee | None] = relationship(lazy="joined")
    department: Mapped[Department | None] = relationship(lazy="joined")
