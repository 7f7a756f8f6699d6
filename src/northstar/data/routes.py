"""JSON API for data sources, pushes, the metric spec, bindings, computation, actuals and quality."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response
from pydantic import BaseModel, Field

from northstar.data import actuals as actual_service
from northstar.data import compute, quality, registry, specs
from northstar.data.models import DataSource, MetricActual, SourceSnapshot
from northstar.data.registry import DATA_ROLES
from northstar.metrics.spec import Grain, spec_json_schema
from northstar.security.models import Role
from northstar.tabular import check_size
from northstar.web.deps import DB, AppSettings, CurrentPrincipal, Writer

router = APIRouter(prefix="/data", tags=["data"])


class SnapshotOut(BaseModel):
    number: int
    rows: int
    content_hash: str
    loaded_at: datetime
    loaded_by: str
    first_event: datetime | None
    last_event: datetime | None
    quality: dict[str, dict[str, int]]


class SourceOut(BaseModel):
    code: str
    name: str
    name_en: str
    system: str
    kind: str
    location: str
    table: str | None
    sheet: str | None
    time_column: str
    fresh_days: int
    columns: dict[str, Any]
    snapshot: SnapshotOut | None


def _snapshot_out(s: SourceSnapshot | None) -> SnapshotOut | None:
    if s is None:
        return None
    return SnapshotOut(
        number=s.number,
        rows=s.rows,
        content_hash=s.content_hash,
        loaded_at=s.loaded_at,
        loaded_by=s.loaded_by,
        first_event=s.first_event,
        last_event=s.last_event,
        quality=s.quality,
    )


def _source_out(s: DataSource, snapshot: SourceSnapshot | None) -> SourceOut:
    return SourceOut(
        code=s.code,
        name=s.name,
        name_en=s.name_en,
        system=s.system,
        kind=s.kind,
        # a SQL URL may hold a password: never sent back
        location=registry.shown_location(s),
        table=s.table_name,
        sheet=s.sheet,
        time_column=s.time_column,
        fresh_days=s.fresh_days,
        columns=s.columns,
        snapshot=_snapshot_out(snapshot),
    )


@router.get("/sources", response_model=list[SourceOut])
def list_sources(db: DB, principal: CurrentPrincipal) -> list[SourceOut]:
    """Registered data sources with their current snapshot."""
    snapshots = registry.current_snapshots(db)
    return [_source_out(s, snapshots.get(s.id)) for s in registry.list_sources(db)]


@router.post("/sources", response_model=SourceOut, status_code=201)
def register_source(db: DB, principal: Writer, body: dict[str, Any]) -> SourceOut:
    """Register a source (or update the declaration of the source with the same code)."""
    source = registry.register_source(db, principal, registry.source_in(body))
    return _source_out(source, registry.current_snapshot(db, source))


@router.get("/sources/{code}", response_model=SourceOut)
def get_source(db: DB, principal: CurrentPrincipal, code: str) -> SourceOut:
    source = registry.get_source(db, code)
    return _source_out(source, registry.current_snapshot(db, source))


class LoadOut(BaseModel):
    source: str
    changed: bool
    snapshot: SnapshotOut


@router.post("/sources/{code}/load", response_model=LoadOut)
def load_source(db: DB, principal: Writer, settings: AppSettings, code: str) -> LoadOut:
    """Read a file or SQL source again; all or nothing, and unchanged data writes no new snapshot."""
    result = registry.load_source(db, principal, settings, code)
    snapshot = _snapshot_out(result.snapshot)
    assert snapshot is not None
    return LoadOut(source=code, changed=result.changed, snapshot=snapshot)


class BatchOut(BaseModel):
    source: str
    idempotency_key: str
    rows: int
    replayed: bool
    received_at: datetime
    snapshot: int


@router.post("/sources/{code}/batches", response_model=BatchOut)
async def push_batch(
    request: Request,
    response: Response,
    db: DB,
    principal: Writer,
    settings: AppSettings,
    code: str,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> BatchOut:
    """Push rows (JSON list of objects, or CSV) into a push source, once per Idempotency-Key.

    201 when the batch is stored; 200 with ``replayed: true`` when the same key and content had
    been accepted before (nothing is added); 409 when the key was used for different content."""
    content = await request.body()
    check_size(content, settings.upload_max_bytes)
    result = registry.push_batch(
        db,
        principal,
        settings,
        code,
        idempotency_key=idempotency_key,
        content=content,
        content_type=request.headers.get("content-type", ""),
    )
    response.status_code = 200 if result.replayed else 201
    b = result.batch
    return BatchOut(
        source=code,
        idempotency_key=b.idempotency_key,
        rows=b.rows,
        replayed=result.replayed,
        received_at=b.received_at,
        snapshot=b.snapshot_id,
    )


# --- the metric spec and bindings --------------------------------------------------------------


class SpecOut(BaseModel):
    id: int
    hash: str
    saved_at: datetime
    saved_by: str
    note: str
    text: str
    metrics: list[str]


@router.get("/spec", response_model=SpecOut | None)
def get_spec(db: DB, principal: CurrentPrincipal) -> SpecOut | None:
    """The metric spec in force (null before one is saved)."""
    found = specs.current_spec(db)
    if found is None:
        return None
    v = found.version
    return SpecOut(
        id=v.id,
        hash=v.content_hash,
        saved_at=v.saved_at,
        saved_by=v.saved_by,
        note=v.note,
        text=v.text,
        metrics=sorted(found.spec.metrics),
    )


class SpecIn(BaseModel):
    text: str = Field(min_length=1)
    note: str = ""


@router.put("/spec", response_model=SpecOut)
def save_spec(db: DB, principal: Writer, body: SpecIn) -> SpecOut:
    """Save a metric spec (YAML or JSON text); 422 lists every problem by its path."""
    specs.save_spec(db, principal, body.text, note=body.note)
    found = get_spec(db, principal)
    assert found is not None
    return found


@router.post("/spec/validate")
def validate_spec(db: DB, principal: Writer, body: SpecIn) -> dict[str, Any]:
    """Check a spec against the registered sources without saving it."""
    principal.require(*DATA_ROLES)
    spec = specs.validate_spec(db, body.text)
    return {"status": "valid", "hash": spec.version_hash(), "metrics": sorted(spec.metrics)}


@router.get("/spec/schema.json")
def spec_schema() -> dict[str, Any]:
    """The published JSON Schema of the metric spec."""
    return spec_json_schema()


class BindingOut(BaseModel):
    card: str
    metric: str


class BindingIn(BaseModel):
    metric: str = Field(min_length=1)


@router.get("/bindings", response_model=list[BindingOut])
def list_bindings(db: DB, principal: CurrentPrincipal) -> list[BindingOut]:
    return [BindingOut(card=b.card.code, metric=b.metric) for b in specs.bindings(db)]


@router.put("/bindings/{card}", response_model=BindingOut)
def bind(db: DB, principal: Writer, card: str, body: BindingIn) -> BindingOut:
    """Compute the card from a metric of the spec in force."""
    b = specs.bind(db, principal, card, body.metric)
    return BindingOut(card=b.card.code, metric=b.metric)


@router.delete("/bindings/{card}", status_code=204)
def unbind(db: DB, principal: Writer, card: str) -> Response:
    specs.unbind(db, principal, card)
    return Response(status_code=204)


# --- computation -------------------------------------------------------------------------------


class ComputeIn(BaseModel):
    start: date
    end: date
    grain: Grain = "month"


class RunOut(BaseModel):
    id: int
    grain: str
    start: date
    end: date
    engine: str
    spec_hash: str
    snapshots: dict[str, int]
    actuals: int
    gaps: list[dict[str, Any]]
    started_at: datetime
    finished_at: datetime | None


@router.post("/compute", response_model=RunOut)
def run_compute(db: DB, principal: Writer, settings: AppSettings, body: ComputeIn) -> RunOut:
    """Compute the actuals of every bound assignment for the whole periods of [start, end)."""
    run = compute.compute_actuals(db, principal, settings, start=body.start, end=body.end, grain=body.grain)
    return RunOut.model_validate(run, from_attributes=True)


@router.get("/runs", response_model=list[RunOut])
def list_runs(db: DB, principal: CurrentPrincipal) -> list[RunOut]:
    principal.require(*DATA_ROLES, Role.executive, Role.auditor)
    return [RunOut.model_validate(r, from_attributes=True) for r in compute.latest_runs(db)]


# --- actuals and drill-down --------------------------------------------------------------------


class ActualOut(BaseModel):
    id: int
    card: str
    metric: str
    scope_kind: str
    scope_key: str
    grain: str
    period_start: date
    value: Decimal | None
    numerator: Decimal | None
    denominator: Decimal | None
    #: how many people's rows the value comes from, at least (None: the data names no owner)
    people: int | None
    spec_hash: str
    snapshots: dict[str, int]
    run: int


def actual_out(a: MetricActual) -> ActualOut:
    return ActualOut(
        id=a.id,
        card=a.card.code,
        metric=a.metric,
        scope_kind=a.scope_kind,
        scope_key=a.scope_key,
        grain=a.grain,
        period_start=a.period_start,
        value=a.value,
        numerator=a.numerator,
        denominator=a.denominator,
        people=a.people,
        spec_hash=a.spec_hash,
        snapshots=a.snapshots,
        run=a.run_id,
    )


class ActualsPage(BaseModel):
    total: int
    page: int
    size: int
    items: list[ActualOut]


@router.get("/actuals", response_model=ActualsPage)
def list_actuals(
    db: DB,
    principal: CurrentPrincipal,
    card: str | None = None,
    scope_kind: str | None = None,
    scope_key: str | None = None,
    grain: str | None = None,
    period_start: date | None = None,
    page: Annotated[int, Query(ge=1)] = 1,
    size: Annotated[int, Query(ge=1, le=500)] = 50,
) -> ActualsPage:
    """Computed actuals within your scope, newest period first."""
    query = actual_service.ActualQuery(card, scope_kind, scope_key, grain, period_start, page, size)
    items, total = actual_service.list_actuals(db, principal, query)
    return ActualsPage(total=total, page=page, size=size, items=[actual_out(a) for a in items])


class ActualDetail(ActualOut):
    row_filter: list[dict[str, Any]]
    sources: dict[str, dict[str, Any]]


@router.get("/actuals/{actual_id}", response_model=ActualDetail)
def get_actual(db: DB, principal: CurrentPrincipal, actual_id: int) -> ActualDetail:
    """One actual with its lineage: metric, spec version, source snapshots and row filters."""
    lineage = actual_service.lineage_of(db, actual_service.get_actual(db, principal, actual_id))
    return ActualDetail(
        **actual_out(lineage.actual).model_dump(),
        row_filter=lineage.actual.row_filter,
        sources={
            name: {"code": src.code, "snapshot": snap.number, "hash": snap.content_hash, "rows": snap.rows}
            for name, (src, snap) in lineage.snapshots.items()
        },
    )


class RowsOut(BaseModel):
    part: dict[str, Any]
    columns: list[str]
    rows: list[dict[str, Any]]
    total: int
    page: int
    size: int


@router.get("/actuals/{actual_id}/rows", response_model=RowsOut)
def actual_rows(
    db: DB,
    principal: CurrentPrincipal,
    settings: AppSettings,
    actual_id: int,
    part: Annotated[int, Query(ge=0)] = 0,
    page: Annotated[int, Query(ge=1)] = 1,
    size: Annotated[int, Query(ge=1, le=500)] = 50,
) -> RowsOut:
    """A page of the source rows one part of the value counted (S7.3)."""
    found = actual_service.drill_rows(db, principal, settings, actual_id, part=part, page=page, size=size)
    return RowsOut(**found.__dict__)


# --- quality -----------------------------------------------------------------------------------


@router.get("/quality")
def data_quality(db: DB, principal: CurrentPrincipal) -> dict[str, Any]:
    """Freshness, null and invalid shares, coverage and the automatic share (S7.5)."""
    principal.require(*DATA_ROLES, Role.executive, Role.auditor, Role.manager)
    report = quality.quality_report(db)
    return {
        "checked_at": report.checked_at,
        "sources": [
            {
                "code": s.source.code,
                "status": s.status,
                "age_days": s.age_days,
                "rows": s.snapshot.rows if s.snapshot else 0,
                "loaded_at": s.snapshot.loaded_at if s.snapshot else None,
                "last_event": s.snapshot.last_event if s.snapshot else None,
                "null_share": s.null_share,
                "invalid_share": s.invalid_share,
                "columns": [c.__dict__ for c in s.columns],
            }
            for s in report.sources
        ],
        "run": report.run.id if report.run else None,
        "coverage": [c.__dict__ for c in report.coverage],
        "gaps": report.gaps,
        "automatic": report.automatic,
        "manual": report.manual,
        "automatic_share": report.automatic_share,
    }
