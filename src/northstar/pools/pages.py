"""Form posts that fill a department's KPI pool; the pool is shown on the department's value page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import RedirectResponse, Response

from northstar.customers import service as customers
from northstar.errors import ValidationFailed
from northstar.org import service as org
from northstar.pools import service
from northstar.pools.models import Perspective
from northstar.web.deps import DB, Writer

router = APIRouter(include_in_schema=False)


@router.post("/value/pool/suggestion")
def add_suggestion(
    db: DB,
    principal: Writer,
    segment_id: Annotated[int, Form()],
    indicator_code: Annotated[str, Form()],
    department_id: Annotated[int, Form()],
) -> Response:
    """From a segment page: take a suggested indicator into a department's pool."""
    dept = org.get_department(db, principal, department_id=department_id)
    seg = customers.get_segment(db, segment_id=segment_id)
    prop = customers.require_proposition(db, seg, error=ValidationFailed)
    service.add_suggestion(db, principal, dept, prop, indicator_code)
    return RedirectResponse(f"/value/departments/{dept.id}#pool", status_code=303)


@router.post("/value/departments/{department_id}/pool")
def add_candidate(
    db: DB,
    principal: Writer,
    department_id: int,
    name: Annotated[str, Form()],
    name_en: Annotated[str, Form()] = "",
    driver_code: Annotated[str, Form()] = "",
    perspective: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    dept = org.get_department(db, principal, department_id=department_id)
    service.add_candidate(
        db,
        principal,
        dept,
        name=name,
        name_en=name_en,
        driver_code=driver_code or None,
        perspective=Perspective(perspective) if perspective else None,
        note=note,
    )
    return RedirectResponse(f"/value/departments/{dept.id}#pool", status_code=303)


@router.post("/value/pool/{candidate_id}/delete")
def remove_candidate(db: DB, principal: Writer, candidate_id: int) -> Response:
    cand = service.get_candidate(db, candidate_id)
    dept_id = cand.department_id
    service.remove_candidate(db, principal, cand)
    return RedirectResponse(f"/value/departments/{dept_id}#pool", status_code=303)
