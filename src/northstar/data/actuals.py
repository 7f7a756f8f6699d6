"""Reading computed actuals and drilling down to the rows behind them (S7.3), within scope.

Who sees which actual: HR, executives, admin and auditors all; a manager the people and the
departments of their own subtree (with those departments' slices by customer), plus company,
customer, segment and project figures; an employee their own actuals, their own department's
and the company's. An aggregate over people the viewer may not see one by one (the company's
figure for an employee, a customer's for a manager) is shown only when at least ``MIN_GROUP``
people's rows make it, so that nobody reads a colleague's figure through an aggregate of one. The rows behind a value are shown to whoever may see the value,
except that the rows of company, customer, segment and project figures (everyone's records) are
for the roles that see everything.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import ibis
from sqlalchemy import ColumnElement, false, func, or_, select, true
from sqlalchemy.orm import Session

from northstar.config import Settings
from northstar.data.models import ComputeRun, DataSource, MetricActual, SourceSnapshot
from northstar.data.registry import snapshot_paths
from northstar.data.specs import spec_version
from northstar.errors import N_, Forbidden, NotFound, ValidationFailed
from northstar.indicators.models import IndicatorCard
from northstar.metrics.engines import load_parquet
from northstar.metrics.lineage import source_rows
from northstar.org.models import Employee
from northstar.security import scope
from northstar.security.models import Role
from northstar.security.principal import ALL_SCOPE_ROLES, Principal

SHARED_KINDS = ("company", "customer", "project", "segment")
#: figures of a department subtree: the department's own, and its slices by customer
DEPARTMENT_KINDS = ("department", "dept_customer")
#: the fewest people an aggregate must rest on to be shown to someone who may not see each of them
MIN_GROUP = 3
MAX_PAGE_SIZE = 500


def actual_filter(principal: Principal) -> ColumnElement[bool]:
    """The WHERE clause limiting ``MetricActual`` rows to what ``principal`` may see."""
    if principal.role in ALL_SCOPE_ROLES:
        return true()
    if principal.employee_id is None:
        return false()
    people = select(Employee.id).where(scope.employee_filter(principal))
    mine = (MetricActual.scope_kind == "person") & MetricActual.employee_id.in_(people)
    own = select(Employee.department_id).where(Employee.id == principal.employee_id)
    # an aggregate over people one may not see each of is shown only when enough people make it,
    # so that no colleague's figure shows through an aggregate of one (or two)
    grouped = MetricActual.people >= MIN_GROUP
    if principal.role is Role.manager:
        departments = MetricActual.scope_kind.in_(DEPARTMENT_KINDS) & MetricActual.department_id.in_(
            scope.department_subtree(own, "actual_dept_tree")
        )
        return or_(mine, departments, MetricActual.scope_kind.in_(SHARED_KINDS) & grouped)
    # an employee: their own figures, their department's and the company's
    return or_(
        mine,
        (MetricActual.scope_kind == "company") & grouped,
        MetricActual.scope_kind.in_(DEPARTMENT_KINDS) & MetricActual.department_id.in_(own) & grouped,
    )


scope.register(MetricActual, actual_filter)


@dataclass(frozen=True)
class ActualQuery:
    card: str | None = None
    scope_kind: str | None = None
    scope_key: str | None = None
    grain: str | None = None
    period_start: date | None = None
    page: int = 1
    size: int = 50


def list_actuals(db: Session, principal: Principal, query: ActualQuery) -> tuple[list[MetricActual], int]:
    """A page of the actuals ``principal`` may see, newest period first, and how many there are."""
    where = [actual_filter(principal)]
    if query.card:
        where.append(
            MetricActual.card_id.in_(select(IndicatorCard.id).where(IndicatorCard.code == query.card))
        )
    if query.scope_kind:
        where.append(MetricActual.scope_kind == query.scope_kind)
    if query.scope_key is not None:
        where.append(MetricActual.scope_key == query.scope_key)
    if query.grain:
        where.append(MetricActual.grain == query.grain)
    if query.period_start:
        where.append(MetricActual.period_start == query.period_start)
    total = db.scalar(select(func.count()).select_from(MetricActual).where(*where)) or 0
    size = max(1, min(query.size, MAX_PAGE_SIZE))
    rows = db.scalars(
        select(MetricActual)
        .where(*where)
        .order_by(
            MetricActual.period_start.desc(),
            MetricActual.card_id,
            MetricActual.scope_kind,
            MetricActual.scope_key,
        )
        .limit(size)
        .offset((max(query.page, 1) - 1) * size)
    )
    return list(rows), total


def get_actual(db: Session, principal: Principal, actual_id: int) -> MetricActual:
    """One actual within scope; NotFound (not Forbidden) outside it, so ids reveal nothing."""
    actual = db.scalar(select(MetricActual).where(MetricActual.id == actual_id, actual_filter(principal)))
    if actual is None:
        raise NotFound(N_("There is no actual {id} that you may see."), id=actual_id)
    return actual


@dataclass(frozen=True)
class Lineage:
    actual: MetricActual
    run: ComputeRun
    #: spec source name → (registered source, the snapshot read)
    snapshots: dict[str, tuple[DataSource, SourceSnapshot]]


def lineage_of(db: Session, actual: MetricActual) -> Lineage:
    """The run, spec and source snapshots a value was computed from."""
    run = db.get(ComputeRun, actual.run_id)
    assert run is not None  # actuals are deleted with their run
    found: dict[str, tuple[DataSource, SourceSnapshot]] = {}
    for name, snapshot_id in actual.snapshots.items():
        snapshot = db.get(SourceSnapshot, snapshot_id)
        if snapshot is not None:
            found[name] = (snapshot.source, snapshot)
    return Lineage(actual, run, found)


@dataclass(frozen=True)
class RowsPage:
    part: dict[str, Any]
    columns: list[str]
    rows: list[dict[str, Any]]
    total: int
    page: int
    size: int


def drill_rows(
    db: Session,
    principal: Principal,
    settings: Settings,
    actual_id: int,
    *,
    part: int = 0,
    page: int = 1,
    size: int = 50,
) -> RowsPage:
    """A page of the source rows that one part of a value counted (the numerator, say)."""
    actual = get_actual(db, principal, actual_id)
    if actual.scope_kind in SHARED_KINDS and principal.role not in ALL_SCOPE_ROLES:
        raise Forbidden(
            N_(
                "The rows behind company, customer and project figures are shown to HR, executives and auditors."
            )
        )
    if actual.scope_kind in DEPARTMENT_KINDS and principal.role is Role.employee:
        raise Forbidden(
            N_(
                "The rows behind a department's figure are its members' records: they are shown to the department's managers, HR, executives and auditors."
            )
        )
    if not 0 <= part < len(actual.row_filter):
        raise ValidationFailed(
            N_("part: this value has parts 0 to {last}; choose one of them."),
            last=len(actual.row_filter) - 1,
            field="part",
        )
    row_filter = actual.row_filter[part]
    run = db.get(ComputeRun, actual.run_id)
    assert run is not None
    spec = spec_version(db, run.spec_id)
    snapshot = db.get(SourceSnapshot, actual.snapshots.get(row_filter["source"], -1))
    if snapshot is None:
        raise NotFound(N_("The source snapshot this value was computed from is no longer stored."))
    # the drill-down reads one snapshot with DuckDB in-process whatever engine computed the value:
    # it pages a few rows of files on this machine, which needs no cluster
    con = ibis.duckdb.connect()
    code = spec.sources[row_filter["source"]].table or row_filter["source"]
    load_parquet(con, code, snapshot_paths(settings, snapshot))
    rows = source_rows(con, spec, row_filter)
    declared = spec.sources[row_filter["source"]]
    order = [c for c in (declared.key or [declared.time_column]) if c in rows.columns]
    total = int(rows.count().to_pyarrow().as_py())
    size = max(1, min(size, MAX_PAGE_SIZE))
    page = max(page, 1)
    table = rows.order_by(order).limit(size, offset=(page - 1) * size).to_pyarrow()
    return RowsPage(
        part=row_filter,
        columns=table.column_names,
        rows=[{k: _plain(v) for k, v in r.items()} for r in table.to_pylist()],
        total=total,
        page=page,
        size=size,
    )


def _plain(value: Any) -> Any:
    """A JSON-able cell."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value
