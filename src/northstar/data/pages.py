"""HTML pages of the data domain (S7.1–S7.3, S7.5): sources with their freshness and quality, the
latest compute runs and coverage, one source, the metric spec and its bindings, the computed
actuals within the user's scope, and one value's lineage down to the source rows it counted."""

from __future__ import annotations

import json
import math
from collections import defaultdict
from datetime import date, timedelta
from typing import Annotated, Any, cast
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from northstar.data import actuals as actual_service
from northstar.data import compute, quality, registry, specs
from northstar.data.models import ComputeRun, DataSource, MetricActual
from northstar.data.registry import DATA_ROLES
from northstar.db import utcnow
from northstar.errors import N_, Conflict, Forbidden, NorthstarError, NotFound, ValidationFailed
from northstar.indicators import service as indicators
from northstar.indicators.models import IndicatorCard
from northstar.metrics.spec import GRAINS, Grain
from northstar.security.models import Role
from northstar.security.principal import Principal
from northstar.web.deps import DB, AppSettings, CurrentPrincipal, Tr, Writer
from northstar.web.forms import error_context, form_action
from northstar.web.i18n import Translator
from northstar.web.labels import CARD_WORDS, DATA_WORDS
from northstar.web.templating import render

router = APIRouter(include_in_schema=False)

#: who sees the sources, the metric spec, the runs and the data quality; employees see their actuals
VIEW_ROLES = (Role.admin, Role.hr, Role.executive, Role.auditor, Role.manager)
SCOPE_KINDS = ("person", "department", "company", "customer", "segment", "project", "dept_customer")
ACTUALS_PAGE_SIZE = 50
ROWS_PAGE_SIZE = 25
PUSH_PATH = "/api/v1/data/sources/{code}/batches"
SCHEMA_URL = "/api/v1/data/spec/schema.json"
#: a sample cell per declared column type, for the push example
_SAMPLE: dict[str, Any] = {
    "string": "…",
    "integer": 1,
    "decimal": 1.5,
    "date": "2026-01-31",
    "timestamp": "2026-01-31 09:00:00",
    "boolean": True,
}


def _can_change(principal: Principal) -> bool:
    return principal.role in DATA_ROLES


def scope_text(t: Translator, actual: MetricActual) -> str:
    """Whose figure it is, beside its kind: a person's or a department's name, a customer or project
    code; nothing more for the company."""
    if actual.scope_kind == "person" and actual.employee is not None:
        return f"{actual.employee.name} ({actual.scope_key})"
    if actual.scope_kind == "department" and actual.department is not None:
        return f"{actual.department.label(t.locale)} ({actual.scope_key})"
    if actual.scope_kind == "dept_customer" and actual.department is not None:
        customer = actual.scope_key.partition("/")[2]
        return f"{actual.department.label(t.locale)} · {customer}"
    return actual.scope_key


def _units(db: Session) -> dict[str, str]:
    """metric → its unit in the spec in force."""
    in_force = specs.current_spec(db)
    if in_force is None:
        return {}
    return {name: m.unit for name, m in in_force.spec.metrics.items() if m.unit}


def _unit_of(units: dict[str, str], actual: MetricActual) -> str:
    return units.get(actual.metric) or actual.card.unit


def _push_help(request: Request, source: DataSource) -> dict[str, str]:
    """Where and how to push rows into a push source: the URL and a curl example."""
    url = str(request.base_url).rstrip("/") + PUSH_PATH.format(code=source.code)
    columns = registry.schema_of(source).columns
    row = json.dumps({c.name: _SAMPLE.get(c.type, "…") for c in columns}, ensure_ascii=False)
    curl = (
        f"curl -X POST '{url}' \\\n"
        "  -H 'Authorization: Bearer <API token>' \\\n"
        f"  -H 'Idempotency-Key: {source.code}-2026-01-31-1' \\\n"
        "  -H 'Content-Type: application/json' \\\n"
        f"  --data '[{row}]'"
    )
    return {"url": url, "curl": curl}


# --- overview: sources, runs, data quality (S7.1, S7.5) -----------------------------------------


def _notice(db: Session, t: Translator, request: Request) -> str | None:
    """What the load or compute just posted did, named in the redirect back to the overview."""
    loaded = request.query_params.get("loaded")
    if loaded:
        try:
            source = registry.get_source(db, loaded)
        except NotFound:
            return None
        snapshot = registry.current_snapshot(db, source)
        if snapshot is None:
            return None
        if request.query_params.get("changed") == "0":
            return t.gettext(
                N_("{code}: the data has not changed since snapshot {number}; nothing new was stored."),
                code=source.code,
                number=t.number(snapshot.number),
            )
        return t.gettext(
            N_("{code} loaded: snapshot {number} with {rows} rows."),
            code=source.code,
            number=t.number(snapshot.number),
            rows=t.number(snapshot.rows),
        )
    run_id = request.query_params.get("run", "")
    run = db.get(ComputeRun, int(run_id)) if run_id.isdigit() else None
    if run is None:
        return None
    return t.gettext(
        N_("Computed run {id}: {actuals} actuals stored; assignments left without data: {gaps}."),
        id=run.id,
        actuals=t.number(run.actuals),
        gaps=t.number(len(run.gaps)),
    )


def _overview(
    request: Request,
    db: Session,
    principal: Principal,
    t: Translator,
    *,
    error: NorthstarError | None = None,
    form: dict[str, str] | None = None,
) -> Response:
    report = quality.quality_report(db)
    in_force = specs.current_spec(db)
    today = date.today()
    start, end = compute.month_range(date(today.year, 1, 1), today)
    return render(
        request,
        "data/overview.html",
        {
            "report": report,
            "runs": compute.latest_runs(db),
            "push": {
                s.source.code: _push_help(request, s.source)
                for s in report.sources
                if s.source.kind == "push"
            },
            "grains": in_force.spec.grains if in_force else list(GRAINS),
            "form": form or {"start": start.isoformat(), "end": end.isoformat(), "grain": "month"},
            "notice": None if error else _notice(db, t, request),
            "can_change": _can_change(principal),
            "words": DATA_WORDS,
            "day_before": lambda d: d - timedelta(days=1),
            **error_context(t, error),
        },
        status_code=error.status if error else 200,
        active="data",
    )


@router.get("/data")
def overview(request: Request, db: DB, principal: CurrentPrincipal, t: Tr) -> Response:
    """Every source with its freshness and quality, the latest runs, coverage and the gaps."""
    principal.require(*VIEW_ROLES)
    return _overview(request, db, principal, t)


@router.post("/data/sources/{code}/load")
def load_source(db: DB, principal: Writer, settings: AppSettings, code: str) -> Response:
    """Read a file or SQL source now; a refusal lists its problems on the shared error page."""
    result = registry.load_source(db, principal, settings, code)
    changed = "1" if result.changed else "0"
    return RedirectResponse(f"/data?{urlencode({'loaded': code, 'changed': changed})}", status_code=303)


def _date_field(raw: str, field: str) -> date:
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise ValidationFailed(
            N_('{field}: "{value}" is not a date; write it like 2026-01-01.'), field=field, value=raw
        ) from None


@router.post("/data/compute")
def run_compute(
    request: Request,
    db: DB,
    principal: Writer,
    settings: AppSettings,
    t: Tr,
    start: Annotated[str, Form()] = "",
    end: Annotated[str, Form()] = "",
    grain: Annotated[str, Form()] = "month",
) -> Response:
    """Compute the actuals of every bound assignment; back to the overview naming the run."""
    form = {"start": start, "end": end, "grain": grain}
    try:
        run = compute.compute_actuals(
            db,
            principal,
            settings,
            start=_date_field(start, "start"),
            end=_date_field(end, "end"),
            # any text: the service refuses a grain the spec does not offer, naming the ones it does
            grain=cast(Grain, grain),
        )
    except (ValidationFailed, Conflict) as exc:
        db.rollback()
        return _overview(request, db, principal, t, error=exc, form=form)
    return RedirectResponse(f"/data?run={run.id}", status_code=303)


@router.get("/data/sources/{code}")
def source_page(request: Request, db: DB, principal: CurrentPrincipal, code: str) -> Response:
    """One source: its declaration, where it is read from, its snapshots, quality and pushes."""
    principal.require(*VIEW_ROLES)
    source = registry.get_source(db, code)
    snapshot = registry.current_snapshot(db, source)
    return render(
        request,
        "data/source.html",
        {
            "source": source,
            "schema": registry.schema_of(source),
            # a SQL URL may hold a password: only the shown form reaches the page
            "location": registry.shown_location(source),
            "quality": quality.source_quality(source, snapshot, utcnow()),
            "snapshots": registry.snapshots_of(db, source),
            "batches": registry.batches_of(db, source) if source.kind == "push" else [],
            "push": _push_help(request, source) if source.kind == "push" else None,
            "can_change": _can_change(principal),
            "words": DATA_WORDS,
        },
        active="data",
    )


# --- the metric spec and bindings (S7.2) --------------------------------------------------------


def _metrics_page(
    request: Request,
    db: Session,
    principal: Principal,
    t: Translator,
    *,
    error: NorthstarError | None = None,
    text: str | None = None,
) -> Response:
    in_force = specs.current_spec(db)
    cards_of: dict[str, list[IndicatorCard]] = defaultdict(list)
    for binding in specs.bindings(db):
        cards_of[binding.metric].append(binding.card)
    return render(
        request,
        "data/metrics.html",
        {
            "in_force": in_force,
            "metrics": sorted(in_force.spec.metrics.items()) if in_force else [],
            "cards_of": cards_of,
            "cards": indicators.get_all_cards(db),
            "text": text if text is not None else (in_force.version.text if in_force else ""),
            "schema_url": SCHEMA_URL,
            "saved": request.query_params.get("saved") == "1" and error is None,
            "can_change": _can_change(principal),
            "words": DATA_WORDS,
            "card_words": CARD_WORDS,
            **error_context(t, error),
        },
        status_code=error.status if error else 200,
        active="data",
    )


@router.get("/data/metrics")
def metrics_page(request: Request, db: DB, principal: CurrentPrincipal, t: Tr) -> Response:
    """The spec in force, its metrics with the cards bound to each, and the forms to change them."""
    principal.require(*VIEW_ROLES)
    return _metrics_page(request, db, principal, t)


@router.post("/data/metrics/spec")
def save_spec(
    request: Request,
    db: DB,
    principal: Writer,
    t: Tr,
    text: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    """Save a new spec; refused, the page again with every problem by its path and the text kept."""
    return form_action(
        db,
        lambda: specs.save_spec(db, principal, text, note=note),
        success_url="/data/metrics?saved=1",
        rerender=lambda exc: _metrics_page(request, db, principal, t, error=exc, text=text),
    )


@router.post("/data/metrics/bind")
def bind(
    request: Request,
    db: DB,
    principal: Writer,
    t: Tr,
    card: Annotated[str, Form()],
    metric: Annotated[str, Form()],
) -> Response:
    return form_action(
        db,
        lambda: specs.bind(db, principal, card, metric),
        success_url="/data/metrics",
        rerender=lambda exc: _metrics_page(request, db, principal, t, error=exc),
    )


@router.post("/data/metrics/unbind")
def unbind(request: Request, db: DB, principal: Writer, t: Tr, card: Annotated[str, Form()]) -> Response:
    return form_action(
        db,
        lambda: specs.unbind(db, principal, card),
        success_url="/data/metrics",
        rerender=lambda exc: _metrics_page(request, db, principal, t, error=exc),
    )


# --- computed actuals and their lineage (S7.3) ---------------------------------------------------


@router.get("/data/actuals")
def actuals_page(
    request: Request,
    db: DB,
    principal: CurrentPrincipal,
    t: Tr,
    card: str = "",
    scope_kind: str = "",
    scope_key: str = "",
    grain: str = "",
    period: str = "",
    page: int = 1,
) -> Response:
    """The computed actuals the user may see, filtered and paged, newest period first."""
    query = actual_service.ActualQuery(
        card=card or None,
        scope_kind=scope_kind or None,
        scope_key=scope_key.strip() or None,
        grain=grain or None,
        period_start=_date_field(period, "period") if period.strip() else None,
        page=max(page, 1),
        size=ACTUALS_PAGE_SIZE,
    )
    items, total = actual_service.list_actuals(db, principal, query)
    units = _units(db)
    return render(
        request,
        "data/actuals.html",
        {
            "rows": [
                {
                    "actual": a,
                    "scope": scope_text(t, a),
                    "period": t.period(a.grain, a.period_start),
                    "value": t.figure(a.value, _unit_of(units, a)),
                }
                for a in items
            ],
            "total": total,
            "page": query.page,
            "pages": max(1, math.ceil(total / ACTUALS_PAGE_SIZE)),
            "filters": {
                "card": card,
                "scope_kind": scope_kind,
                "scope_key": scope_key,
                "grain": grain,
                "period": period,
            },
            "cards": [b.card for b in specs.bindings(db)],
            "scope_kinds": SCOPE_KINDS,
            "grains": GRAINS,
            "words": DATA_WORDS,
        },
        active="data",
    )


def _conditions(t: Translator, row_filter: dict[str, Any]) -> list[str]:
    """A part's row filter in words: the period, the slice's columns, the measure's conditions."""
    out = [
        t.gettext(
            N_("{column} from {start} up to, not including, {end}"),
            column=row_filter["time_column"],
            start=t.date(date.fromisoformat(row_filter["period_start"])),
            end=t.date(date.fromisoformat(row_filter["period_end"])),
        )
    ]
    conditions = [{"column": c, "op": "eq", "value": v} for c, v in row_filter["equals"].items()]
    for flt in conditions + list(row_filter["where"]):
        op, value = flt["op"], flt.get("value")
        if isinstance(value, list) and op == "eq":
            op = "in"  # a group's members: a department and the departments below it
        if value is None and op == "eq":
            op = "is_null"
        words = t.gettext(DATA_WORDS.get(op, op))
        if op in ("is_null", "not_null"):
            out.append(t.gettext(N_("{column} {op}"), column=flt["column"], op=words))
            continue
        if op == "between" and isinstance(value, list) and len(value) == 2:
            shown = t.gettext(N_("{low} and {high}"), low=value[0], high=value[1])
        elif isinstance(value, list):
            shown = ", ".join(str(v) for v in value)
        else:
            shown = str(value)
        out.append(t.gettext(N_("{column} {op} {value}"), column=flt["column"], op=words, value=shown))
    return out


def _part_name(t: Translator, part: str) -> str:
    """ "numerator", or "fcr_rate · numerator" for a part of a metric a derived one uses."""
    metric, _, role = part.rpartition(".")
    word = t.gettext(DATA_WORDS.get(role, role))
    return f"{metric} · {word}" if metric else word


def _cell(t: Translator, value: Any) -> str:
    """A source cell as read: ISO date-times with a space, booleans in words, nothing as a dash."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return t.gettext("yes") if value else t.gettext("no")
    if isinstance(value, str) and len(value) >= 19 and value[4] == "-" and value[10] == "T":
        return value.replace("T", " ", 1)
    return str(value)


def _page_url(request: Request, part: int, page: int) -> str:
    query = dict(request.query_params)
    query[f"p{part}"] = str(page)
    return f"{request.url.path}?{urlencode(query)}#part-{part}"


@router.get("/data/actuals/{actual_id:int}")
def actual_page(
    request: Request, db: DB, principal: CurrentPrincipal, settings: AppSettings, t: Tr, actual_id: int
) -> Response:
    """One value with its lineage, and per part the filter in words and a page of its source rows."""
    actual = actual_service.get_actual(db, principal, actual_id)
    lineage = actual_service.lineage_of(db, actual)
    denied: str | None = None
    parts: list[dict[str, Any]] = []
    for index, row_filter in enumerate(actual.row_filter):
        raw = request.query_params.get(f"p{index}", "1")
        entry: dict[str, Any] = {
            "index": index,
            "name": _part_name(t, row_filter["part"]),
            "measure": row_filter["measure"],
            "source": (
                lineage.snapshots[row_filter["source"]][0].code
                if row_filter["source"] in lineage.snapshots
                else row_filter["source"]
            ),
            "conditions": _conditions(t, row_filter),
            "rows": None,
            "error": None,
            "problems": [],
        }
        parts.append(entry)
        if denied is not None:
            continue
        try:
            found = actual_service.drill_rows(
                db,
                principal,
                settings,
                actual.id,
                part=index,
                page=int(raw) if raw.isdigit() else 1,
                size=ROWS_PAGE_SIZE,
            )
        except Forbidden as exc:
            # the figure may be seen, its rows (everyone's records) not: said once, in place of rows
            denied = t.gettext(exc.message, **exc.params)
            continue
        except (NotFound, ValidationFailed) as exc:
            entry |= error_context(t, exc)
            continue
        pages = max(1, math.ceil(found.total / found.size))
        entry |= {
            "rows": [[_cell(t, r.get(c)) for c in found.columns] for r in found.rows],
            "columns": found.columns,
            "total": found.total,
            "page": found.page,
            "pages": pages,
            "first": (found.page - 1) * found.size + 1,
            "last": (found.page - 1) * found.size + len(found.rows),
            "previous": _page_url(request, index, found.page - 1) if found.page > 1 else None,
            "next": _page_url(request, index, found.page + 1) if found.page < pages else None,
        }
    units = _units(db)
    unit = _unit_of(units, actual)
    return render(
        request,
        "data/actual.html",
        {
            "actual": actual,
            "lineage": lineage,
            "run": lineage.run,
            "scope": scope_text(t, actual),
            "period": t.period(actual.grain, actual.period_start),
            "value": t.figure(actual.value, unit),
            "numerator": t.number(actual.numerator) if actual.numerator is not None else "—",
            "denominator": t.number(actual.denominator) if actual.denominator is not None else "—",
            "parts": parts,
            "denied": denied,
            "words": DATA_WORDS,
            "day_before": lambda d: d - timedelta(days=1),
        },
        active="data",
    )
