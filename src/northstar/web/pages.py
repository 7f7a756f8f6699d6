"""Home, audit log, API documentation page."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy import func, select

from northstar import audit
from northstar.org import service as org_service
from northstar.org.models import Department
from northstar.security.models import Role, User
from northstar.security.principal import Principal
from northstar.web.deps import DB, CurrentPrincipal, get_translator
from northstar.web.templating import render

router = APIRouter(include_in_schema=False)
api_router = APIRouter(tags=["audit"])
AUDIT_ROLES = (Role.admin, Role.hr, Role.auditor)


@router.get("/")
def home(request: Request, db: DB, principal: CurrentPrincipal) -> Response:
    me = None
    if principal.employee_id is not None:
        me = org_service.get_employee(db, principal, employee_id=principal.employee_id)
    by_kind = org_service.headcount_by_kind(db, principal, today=date.today())
    departments, kinds = db.execute(select(func.count(), func.count(func.distinct(Department.kind)))).one()
    # every employee belongs to a department, so the per-kind counts add up to everyone visible
    stats = {"departments": departments, "people": sum(n for _, n in by_kind), "kinds": kinds}
    t = get_translator(request)
    chart = {
        "title": t.gettext("People by department kind"),
        "labels": [t.gettext(kind.value) for kind, _ in by_kind],
        "values": [n for _, n in by_kind],
    }
    return render(request, "home.html", {"me": me, "stats": stats, "chart": chart}, active="home")


def _audit_query(
    db: DB, principal: Principal, entity: str | None, user_id: int | None, entity_id: str | None, page: int
) -> tuple[list[audit.AuditLog], int]:
    principal.require(*AUDIT_ROLES)
    return audit.search(
        db,
        entity=entity or None,
        actor_id=user_id,
        entity_id=entity_id or None,
        offset=(page - 1) * 50,
        limit=50,
    )


@router.get("/audit")
def audit_page(
    request: Request,
    db: DB,
    principal: CurrentPrincipal,
    entity: str | None = None,
    user_id: int | None = None,
    entity_id: str | None = None,
    page: Annotated[int, Query(ge=1)] = 1,
) -> Response:
    rows, total = _audit_query(db, principal, entity, user_id, entity_id, page)
    users = list(db.scalars(select(User).order_by(User.username)))
    return render(
        request,
        "audit.html",
        {
            "rows": rows,
            "total": total,
            "page": page,
            "pages": max(1, -(-total // 50)),
            "entities": audit.entities(db),
            "users": users,
            "entity": entity or "",
            "user_id": user_id,
            "entity_id": entity_id or "",
        },
        active="audit",
    )


class AuditOut(BaseModel):
    id: int
    at: str
    actor: str
    action: str
    entity: str
    entity_id: str
    field: str | None
    old: str | None
    new: str | None
    reason: str | None


class AuditPage(BaseModel):
    items: list[AuditOut]
    total: int


@api_router.get("/audit", response_model=AuditPage)
def audit_api(
    db: DB,
    principal: CurrentPrincipal,
    entity: str | None = None,
    user_id: int | None = None,
    entity_id: str | None = None,
    page: Annotated[int, Query(ge=1)] = 1,
) -> AuditPage:
    """The audit trail, newest first, filtered by entity, record and user (admin, HR, auditor)."""
    rows, total = _audit_query(db, principal, entity, user_id, entity_id, page)
    return AuditPage(
        total=total,
        items=[
            AuditOut(
                id=r.id,
                at=r.at.isoformat(),
                actor=r.actor_name,
                action=r.action,
                entity=r.entity,
                entity_id=r.entity_id,
                field=r.field,
                old=r.old,
                new=r.new,
                reason=r.reason,
            )
            for r in rows
        ],
    )


@router.get("/docs")
def api_docs(request: Request, principal: CurrentPrincipal) -> Response:
    """Swagger UI served from the local npm build; its start-up script is a file, not inline (CSP)."""
    return render(request, "docs.html", {}, active="")
