"""HTML pages for strategy records (S1.1)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from northstar import catalogue
from northstar.customers import service as customers
from northstar.security.principal import DESIGN_ROLES
from northstar.strategy import service
from northstar.web.deps import DB, CurrentPrincipal, Writer
from northstar.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/strategy")
def records(request: Request, db: DB, principal: CurrentPrincipal) -> Response:
    recs = service.get_all_records(db)
    if len(recs) >= 1 and request.query_params.get("all") is None:
        return RedirectResponse(f"/strategy/{recs[0].id}", status_code=303)
    return render(
        request,
        "strategy/records.html",
        {"records": recs, "can_design": principal.role in DESIGN_ROLES},
        active="value",
    )


@router.post("/strategy")
def record_create(
    db: DB,
    principal: Writer,
    period: Annotated[str, Form()],
    title: Annotated[str, Form()] = "",
    horizon_years: Annotated[int, Form()] = 3,
) -> Response:
    rec = service.create_record(db, principal, period=period, title=title, horizon_years=horizon_years)
    return RedirectResponse(f"/strategy/{rec.id}", status_code=303)


@router.get("/strategy/{record_id}")
def record_detail(request: Request, db: DB, principal: CurrentPrincipal, record_id: int) -> Response:
    rec = service.get_record(db, record_id=record_id)
    return render(
        request,
        "strategy/record.html",
        {
            "rec": rec,
            "records": service.get_all_records(db),
            "views": service.priority_views(db, rec),
            "segments": customers.get_all_segments(db),
            "customers": customers.get_all_customers(db),
            "drivers": catalogue.value_drivers(),
            "blank_rows": 2,
            "can_design": principal.role in DESIGN_ROLES,
        },
        active="value",
    )


@router.post("/strategy/{record_id}")
def record_update(
    db: DB,
    principal: Writer,
    record_id: int,
    version: Annotated[int, Form()],
    title: Annotated[str, Form()] = "",
    customer_focus: Annotated[str, Form()] = "",
    aspiration: Annotated[str, Form()] = "",
    horizon_years: Annotated[int, Form()] = 3,
    reason: Annotated[str, Form()] = "",
) -> Response:
    rec = service.get_record(db, record_id=record_id)
    service.update_record(
        db,
        principal,
        rec,
        version=version,
        reason=reason or None,
        title=title,
        customer_focus=customer_focus,
        aspiration=aspiration,
        horizon_years=horizon_years,
    )
    return RedirectResponse(f"/strategy/{rec.id}", status_code=303)


@router.post("/strategy/{record_id}/priorities")
def priorities_save(
    db: DB,
    principal: Writer,
    record_id: int,
    version: Annotated[int, Form()],
    rank: Annotated[list[str] | None, Form()] = None,
    target: Annotated[list[str] | None, Form()] = None,
    driver: Annotated[list[str] | None, Form()] = None,
    statement: Annotated[list[str] | None, Form()] = None,
    reason: Annotated[str, Form()] = "",
) -> Response:
    """``target`` holds "segment:CODE" or "customer:CODE" for each row."""
    rec = service.get_record(db, record_id=record_id)
    items: list[service.PriorityIn] = []
    statements = (statement or []) + [""] * len(driver or [])
    for r, tgt, d, s in zip(rank or [], target or [], driver or [], statements, strict=False):
        if not d or not r.strip().isdigit():
            continue
        kind, _, code = tgt.partition(":")
        items.append(
            service.PriorityIn(
                rank=int(r),
                driver_code=d,
                segment_code=code if kind == "segment" and code else None,
                customer_code=code if kind == "customer" and code else None,
                statement=s.strip(),
            )
        )
    service.save_priorities(db, principal, rec, items, version=version, reason=reason or None)
    return RedirectResponse(f"/strategy/{rec.id}#priorities", status_code=303)
