"""Registered data sources (S7.1): files, SQL tables and pushed batches, loaded into snapshots.

Every load is checked against the declared columns (missing, extra, badly typed, duplicate
keys) and is all or nothing: a failed load writes no snapshot, so the current data stays as it
was. A successful one writes one Parquet file into the managed store under the data directory
and a ``SourceSnapshot`` naming it; a push adds its batch file to the files of the previous
snapshot, so no row is ever rewritten. Idempotency keys make a retried push count once.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import sqlalchemy as sa
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, NoSuchTableError, OperationalError
from sqlalchemy.orm import Session

from northstar import audit
from northstar.config import Settings
from northstar.data.models import DataSource, SourceBatch, SourceSnapshot
from northstar.data.schemas import SourceIn
from northstar.errors import N_, Conflict, NotFound, Problem, ValidationFailed
from northstar.metrics.sources import (
    SourceSchema,
    cast_checked,
    column_quality,
    load_checked,
    numbered_from,
    read_csv_bytes,
)
from northstar.security.models import Role
from northstar.security.principal import Principal

#: who registers sources, loads them and pushes batches by hand (tokens of these roles push too)
DATA_ROLES = (Role.admin, Role.hr)


def store_root(settings: Settings) -> Path:
    """The managed store: snapshots and pushed batches, under the data directory."""
    return settings.data_dir / "store"


# --- registering ------------------------------------------------------------------------------


def list_sources(db: Session) -> list[DataSource]:
    """Every registered source, by code."""
    return list(db.scalars(select(DataSource).order_by(DataSource.code)))


def get_source(db: Session, code: str) -> DataSource:
    """The source ``code``; NotFound naming it otherwise."""
    source = db.scalar(select(DataSource).where(DataSource.code == code))
    if source is None:
        raise NotFound(N_('There is no data source "{code}".'), code=code)
    return source


def source_in(data: dict[str, Any]) -> SourceIn:
    """Validate a registration mapping; every problem names its field and the fix."""
    try:
        return SourceIn.model_validate(data)
    except ValidationError as exc:
        problems = [
            Problem(
                N_("{path}: {error}; correct it and register the source again."),
                {"path": ".".join(str(p) for p in e["loc"]) or "source", "error": e["msg"]},
                field=".".join(str(p) for p in e["loc"]) or None,
            )
            for e in exc.errors()
        ]
        raise ValidationFailed(
            N_("The data source cannot be registered: {count} problem(s)."),
            problems=problems,
            count=len(problems),
        ) from None


def register_source(db: Session, principal: Principal, data: SourceIn) -> DataSource:
    """Register a new source, or update the declaration of an existing one of the same code."""
    principal.require(*DATA_ROLES)
    values = {
        "name": data.name,
        "name_en": data.name_en,
        "system": data.system,
        "kind": data.kind,
        "location": data.location,
        "table_name": data.table,
        "sheet": data.sheet,
        "time_column": data.time_column,
        "fresh_days": data.fresh_days,
        "description": data.description,
        "columns": data.columns.model_dump(mode="json", exclude_defaults=False),
    }
    source = db.scalar(select(DataSource).where(DataSource.code == data.code))
    if source is None:
        source = DataSource(code=data.code, created_by=principal.username, **values)
        db.add(source)
        db.flush()
        audit.record(db, principal.actor, action="create", entity="data_source", entity_id=source.id)
        return source
    if source.kind != data.kind and current_snapshot(db, source) is not None:
        raise Conflict(
            N_("{code} already holds {kind} data; register the new kind under a new code."),
            code=data.code,
            kind=source.kind,
        )
    changes = audit.apply(source, values)
    if changes:
        source.version += 1
        audit.record(
            db, principal.actor, action="update", entity="data_source", entity_id=source.id, changes=changes
        )
    db.flush()
    return source


def shown_location(source: DataSource) -> str:
    """The location as it may be shown: a SQL URL without its password."""
    if source.kind != "sql":
        return source.location
    try:
        return make_url(source.location).render_as_string(hide_password=True)
    except ArgumentError:
        return source.location


def schema_of(source: DataSource) -> SourceSchema:
    return SourceSchema.model_validate(source.columns)


def current_snapshot(db: Session, source: DataSource) -> SourceSnapshot | None:
    """The newest snapshot of ``source``, or None before its first load."""
    return db.scalar(
        select(SourceSnapshot)
        .where(SourceSnapshot.source_id == source.id)
        .order_by(SourceSnapshot.number.desc())
        .limit(1)
    )


def current_snapshots(db: Session) -> dict[int, SourceSnapshot]:
    """source id → its newest snapshot, for every source that has one (one query)."""
    newest = (
        select(SourceSnapshot.source_id, func.max(SourceSnapshot.number).label("number"))
        .group_by(SourceSnapshot.source_id)
        .subquery()
    )
    rows = db.scalars(
        select(SourceSnapshot).join(
            newest,
            (SourceSnapshot.source_id == newest.c.source_id) & (SourceSnapshot.number == newest.c.number),
        )
    )
    return {s.source_id: s for s in rows}


def snapshot_paths(settings: Settings, snapshot: SourceSnapshot) -> list[Path]:
    """The absolute paths of the files holding a snapshot's rows."""
    root = store_root(settings)
    return [root / f for f in snapshot.files]


def read_snapshot(settings: Settings, snapshot: SourceSnapshot) -> pa.Table:
    """All rows of a snapshot as one Arrow table."""
    tables = [pq.read_table(p) for p in snapshot_paths(settings, snapshot)]
    return pa.concat_tables(tables, promote_options="default") if len(tables) > 1 else tables[0]


# --- loading files and SQL tables -------------------------------------------------------------


@dataclass(frozen=True)
class LoadResult:
    snapshot: SourceSnapshot
    #: False when the data read was identical to the current snapshot (nothing new written)
    changed: bool


def load_source(db: Session, principal: Principal, settings: Settings, code: str) -> LoadResult:
    """Read a file or SQL source, check it and store it as the source's new snapshot."""
    principal.require(*DATA_ROLES)
    source = get_source(db, code)
    schema = schema_of(source)
    if source.kind == "file":
        table = load_checked(
            resolve_file(settings, source.location), schema, source_name=code, sheet=source.sheet
        )
    elif source.kind == "sql":
        table = cast_checked(numbered_from(read_sql(settings, source), 1), schema, source_name=code)
    else:
        raise ValidationFailed(
            N_("{code} is a push source: its rows arrive over POST /api/v1/data/sources/{code}/batches."),
            code=code,
        )
    content = _parquet_bytes(table)
    digest = hashlib.sha256(content).hexdigest()
    current = current_snapshot(db, source)
    if current is not None and current.content_hash == digest:
        return LoadResult(current, changed=False)
    number = (current.number if current else 0) + 1
    relative = f"sources/{code}/snapshot-{number:05d}-{digest[:12]}.parquet"
    _write(store_root(settings) / relative, content)
    snapshot = _snapshot(db, principal, source, number, [relative], table, digest)
    return LoadResult(snapshot, changed=True)


def resolve_file(settings: Settings, location: str) -> Path:
    """A file location: absolute as written, relative to the data directory otherwise."""
    path = Path(location)
    return path if path.is_absolute() else settings.data_dir / path


def resolve_sql_url(settings: Settings, location: str) -> sa.URL:
    """A SQLAlchemy URL; a relative SQLite path is read from the data directory."""
    try:
        url = make_url(location)
    except ArgumentError:
        raise ValidationFailed(
            N_(
                "location: {location} is not a database URL; write it like postgresql+psycopg://user@host/db."
            ),
            location=location,
        ) from None
    database = url.database or ""
    if (
        url.get_backend_name() == "sqlite"
        and database not in ("", ":memory:")
        and not Path(database).is_absolute()
    ):
        url = url.set(database=str(settings.data_dir / database))
    return url


def read_sql(settings: Settings, source: DataSource) -> pa.Table:
    """The whole table of a SQL source, read through SQLAlchemy into Arrow.

    The table name was checked to be an identifier when the source was registered, and it is
    reflected rather than pasted into SQL text.
    """
    url = resolve_sql_url(settings, source.location)
    shown = url.render_as_string(hide_password=True)
    schema_name, _, name = (source.table_name or "").rpartition(".")
    try:
        engine = sa.create_engine(url)
    except (NoSuchModuleError, ArgumentError):
        raise ValidationFailed(N_("location: no database driver for {url}."), url=shown) from None
    try:
        with engine.connect() as conn:
            table = sa.Table(name, sa.MetaData(), schema=schema_name or None, autoload_with=conn)
            result = conn.execute(select(table))
            names = list(result.keys())
            rows = result.fetchall()
    except NoSuchTableError:
        raise ValidationFailed(
            N_("table: the database {url} has no table {table}; correct the table name."),
            url=shown,
            table=source.table_name,
        ) from None
    except OperationalError as exc:
        raise ValidationFailed(
            N_(
                "location: the database {url} cannot be read ({error}); check the URL and that it is running."
            ),
            url=shown,
            error=str(exc.orig).splitlines()[0] if exc.orig else type(exc).__name__,
        ) from None
    finally:
        engine.dispose()
    columns = [pa.array([r[i] for r in rows]) for i in range(len(names))]
    return pa.Table.from_arrays(columns, names=names)


# --- pushing batches ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PushResult:
    batch: SourceBatch
    #: True when the idempotency key had been accepted before: nothing was added this time
    replayed: bool


def push_batch(
    db: Session,
    principal: Principal,
    settings: Settings,
    code: str,
    *,
    idempotency_key: str | None,
    content: bytes,
    content_type: str,
) -> PushResult:
    """Accept a batch of rows (JSON or CSV) for a push source, once per idempotency key."""
    principal.require(*DATA_ROLES)
    source = get_source(db, code)
    if source.kind != "push":
        raise ValidationFailed(
            N_("{code} is a {kind} source and does not accept pushed rows; load it instead."),
            code=code,
            kind=source.kind,
        )
    key = (idempotency_key or "").strip()
    if not key or len(key) > 200:
        raise ValidationFailed(
            N_(
                "Idempotency-Key: send a header Idempotency-Key (up to 200 characters) that names this "
                "batch, so that a retried push is counted once."
            ),
            field="Idempotency-Key",
        )
    digest = hashlib.sha256(content).hexdigest()
    earlier = db.scalar(
        select(SourceBatch).where(SourceBatch.source_id == source.id, SourceBatch.idempotency_key == key)
    )
    if earlier is not None:
        if earlier.content_hash == digest:
            return PushResult(earlier, replayed=True)
        raise Conflict(
            N_(
                'The Idempotency-Key "{key}" was already used for a different batch on {at}; '
                "use a new key for new rows."
            ),
            key=key,
            at=earlier.received_at.isoformat(timespec="seconds"),
        )
    schema = schema_of(source)
    table = cast_checked(_batch_table(content, content_type, code), schema, source_name=code)
    if table.num_rows == 0:
        raise ValidationFailed(N_("The batch holds no rows; send at least one."))
    current = current_snapshot(db, source)
    # the rows received so far: read once, for the key check and the new snapshot's figures
    known = read_snapshot(settings, current).select(table.column_names) if current else None
    if known is not None and schema.key:
        _refuse_known_keys(known, table, schema.key, code)
    stored = _parquet_bytes(table)
    batch_digest = hashlib.sha256(stored).hexdigest()
    number = (current.number if current else 0) + 1
    relative = f"sources/{code}/batch-{number:05d}-{batch_digest[:12]}.parquet"
    _write(store_root(settings) / relative, stored)
    files = [*(current.files if current else []), relative]
    snapshot_hash = hashlib.sha256(
        ((current.content_hash if current else "") + batch_digest).encode()
    ).hexdigest()
    combined = pa.concat_tables([known, table]) if known is not None else table
    snapshot = _snapshot(db, principal, source, number, files, combined, snapshot_hash)
    batch = SourceBatch(
        source_id=source.id,
        idempotency_key=key,
        content_hash=digest,
        rows=table.num_rows,
        file=relative,
        snapshot_id=snapshot.id,
        received_by=principal.username,
    )
    db.add(batch)
    db.flush()
    return PushResult(batch, replayed=False)


def batches_of(db: Session, source: DataSource, limit: int = 50) -> list[SourceBatch]:
    """The newest pushed batches of a source."""
    return list(
        db.scalars(
            select(SourceBatch)
            .where(SourceBatch.source_id == source.id)
            .order_by(SourceBatch.id.desc())
            .limit(limit)
        )
    )


def snapshots_of(db: Session, source: DataSource, limit: int = 20) -> list[SourceSnapshot]:
    """The newest snapshots of a source."""
    return list(
        db.scalars(
            select(SourceSnapshot)
            .where(SourceSnapshot.source_id == source.id)
            .order_by(SourceSnapshot.number.desc())
            .limit(limit)
        )
    )


def _batch_table(content: bytes, content_type: str, code: str) -> pa.Table:
    kind = content_type.split(";")[0].strip().lower()
    if kind in ("text/csv", "application/csv"):
        return read_csv_bytes(content, file=f"{code}.csv")
    if kind != "application/json":
        raise ValidationFailed(
            N_("Content-Type: send the batch as application/json or text/csv, not {kind}."), kind=kind or "—"
        )
    try:
        data = json.loads(content)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValidationFailed(
            N_("The batch is not valid JSON ({error}); send a list of objects, one per row."),
            error=str(exc).splitlines()[0],
        ) from None
    if isinstance(data, dict) and isinstance(data.get("rows"), list):
        data = data["rows"]
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise ValidationFailed(N_('The batch must be a list of objects, one per row (or {"rows": [...]}).'))
    names: dict[str, None] = {}
    for record in data:
        names.update(dict.fromkeys(record))
    columns = [pa.array([_json_cell(r.get(n)) for r in data], pa.string()) for n in names]
    return numbered_from(pa.Table.from_arrays(columns, names=list(names)), 1)


def _json_cell(value: Any) -> str | None:
    # every JSON value is read as text and cast by the declared column type, as a CSV cell is;
    # objects and lists are kept as JSON text, which a text column accepts and others refuse
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _refuse_known_keys(known: pa.Table, table: pa.Table, key: Sequence[str], code: str) -> None:
    def joined(t: pa.Table) -> pa.Array:
        parts = [pc.cast(t.column(k), pa.string()) for k in key]
        return parts[0] if len(parts) == 1 else pc.binary_join_element_wise(*parts, "\x1f")

    seen = pc.is_in(joined(table), value_set=joined(known).combine_chunks())
    rows = pc.indices_nonzero(seen).to_pylist()
    if not rows:
        return
    values = joined(table).take(rows[:5]).to_pylist()
    raise ValidationFailed(
        N_(
            "{source}: {count} row(s) repeat keys ({key}) already received, e.g. rows {rows}: {values}. "
            "Send only new rows; nothing of this batch was stored."
        ),
        source=code,
        count=len(rows),
        key=", ".join(key),
        rows=", ".join(str(i + 1) for i in rows[:5]),
        values=", ".join(str(v).replace("\x1f", "/") for v in values),
        field=key[0],
    )


# --- shared ------------------------------------------------------------------------------------


def _snapshot(
    db: Session,
    principal: Principal,
    source: DataSource,
    number: int,
    files: list[str],
    table: pa.Table,
    digest: str,
) -> SourceSnapshot:
    first, last = _event_range(table, source.time_column)
    snapshot = SourceSnapshot(
        source_id=source.id,
        number=number,
        files=files,
        rows=table.num_rows,
        content_hash=digest,
        loaded_by=principal.username,
        first_event=first,
        last_event=last,
        quality=column_quality(table, schema_of(source)),
    )
    db.add(snapshot)
    db.flush()
    audit.record(
        db,
        principal.actor,
        action="load",
        entity="data_source",
        entity_id=source.id,
        changes={"snapshot": (None, f"{number} ({table.num_rows} rows, {digest[:12]})")},
    )
    return snapshot


def _event_range(table: pa.Table, column: str) -> tuple[datetime | None, datetime | None]:
    if column not in table.column_names or table.num_rows == 0:
        return None, None
    values = table.column(column)
    low, high = pc.min(values).as_py(), pc.max(values).as_py()

    def instant(v: Any) -> datetime | None:
        if v is None:
            return None
        if not isinstance(v, datetime):  # a date column: its day at midnight
            return datetime(v.year, v.month, v.day, tzinfo=UTC)
        return v if v.tzinfo else v.replace(tzinfo=UTC)

    return instant(low), instant(high)


def _parquet_bytes(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table.replace_schema_metadata(None), sink, compression="zstd")
    return sink.getvalue()


def _write(path: Path, content: bytes) -> None:
    # written beside and renamed, so a reader never sees half a file
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.write_bytes(content)
    os.replace(partial, path)
