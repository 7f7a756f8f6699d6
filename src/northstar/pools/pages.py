"""HTML pages of the department KPI pools (S5.1–S5.3): the overview of every department and one
department's pool with its findings, admission answers, tiers, core set and cascade links. The
form posts of the department value page (/value/…) stay here too."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from northstar import catalogue
from northstar.customers import service as customers
from northstar.errors import NorthstarError, ValidationFailed
from northstar.indicators import service as cards
from northstar.journey import service as journey
from northstar.org import service as org
from northstar.org.models import Department
from northstar.pools import service
from northstar.pools.findings import CORE_ADVISED
from northstar.pools.models import KpiCandidate, Perspective, Tier
from northstar.security.principal import DESIGN_ROLES, Principal
from northstar.security.scope import manages_department
from northstar.strategy import scorecard as bsc
from northstar.strategy import service as strategy
from northstar.web.deps import DB, CurrentPrincipal, Tr, Writer
from northstar.web.forms import error_context, form_action
from northstar.web.i18n import Translator
from northstar.web.labels import CARD_ELEMENTS, CARD_WORDS
from northstar.web.templating import render

router = APIRouter(include_in_schema=False)
ANSWERS = {"yes": True, "no": False}


def _answer(value: str) -> bool | None:
    return ANSWERS.get(value)


def _can_edit(db: Session, principal: Principal, dept: Department) -> bool:
    if principal.read_only:
        return False
    return principal.role in DESIGN_ROLES or manages_department(db, principal, dept.id)


def _ancestor_candidates(db: Session, dept: Department) -> list[KpiCandidate]:
    """Candidates of the departments above ``dept``: the parents a candidate may cascade to."""
    out: list[KpiCandidate] = []
    node, seen = dept.parent, {dept.id}
    while node is not None and node.id not in seen:
        seen.add(node.id)
        out.extend(service.get_candidates(db, node))
        node = node.parent
    return out


def _pool_page(
    request: Request,
    db: Session,
    principal: Principal,
    t: Translator,
    dept: Department,
    *,
    error: NorthstarError | None = None,
) -> Response:
    cands = service.get_candidates(db, dept)
    core = [c for c in cands if c.core]
    records = strategy.get_all_records(db)
    return render(
        request,
        "pools/pool.html",
        {
            "dept": dept,
            "candidates": cands,
            "findings": service.pool_findings(db, dept),
            "products": customers.products_of(db, dept),
            "served": customers.served_by(db, dept),
            "core_total": sum((c.weight for c in core if c.weight is not None), Decimal(0)),
            "core_count": len(core),
            "advised": CORE_ADVISED,
            "tiers": list(Tier),
            "perspectives": list(Perspective),
            "drivers": catalogue.value_drivers(),
            "driver_of": catalogue.value_driver,
            "touchpoints": journey.all_touchpoints(db),
            "stages": journey.company_stages(db),
            "objectives": bsc.get_objectives(db, records[0]) if records else [],
            "parents": _ancestor_candidates(db, dept),
            "cards": cards.get_all_cards(db),
            "library": cards.library_cards(),
            "missing_of": cards.missing_elements,
            "elements": CARD_ELEMENTS,
            "words": CARD_WORDS,
            "can_edit": _can_edit(db, principal, dept),
            **error_context(t, error),
        },
        status_code=error.status if error else 200,
        active="design",
    )


def _act(
    request: Request,
    db: Session,
    principal: Principal,
    t: Translator,
    dept: Department,
    action: Callable[[], Any],
) -> Response:
    """Run one change; back to the pool page on success, or the page again with the problems."""
    return form_action(
        db,
        action,
        success_url=f"/pools/{dept.id}",
        rerender=lambda exc: _pool_page(request, db, principal, t, dept, error=exc),
    )


@router.get("/pools")
def overview(request: Request, db: DB, principal: CurrentPrincipal) -> Response:
    """Every department's pool: its products (S5.1), candidates by tier, core set size, findings."""
    return render(
        request,
        "pools/overview.html",
        {
            "summaries": service.pool_overview(db, org.get_all_departments(db, principal)),
            "advised": CORE_ADVISED,
        },
        active="design",
    )


@router.get("/pools/{department_id:int}")
def pool_page(request: Request, db: DB, principal: CurrentPrincipal, t: Tr, department_id: int) -> Response:
    return _pool_page(
        request, db, principal, t, org.get_department(db, principal, department_id=department_id)
    )


@router.post("/pools/library")
def add_from_library(
    request: Request,
    db: DB,
    principal: Writer,
    t: Tr,
    code: Annotated[str, Form()],
    department_id: Annotated[int, Form()],
) -> Response:
    """From the library page or the pool page: take a library indicator into a department's pool."""
    dept = org.get_department(db, principal, department_id=department_id)
    return _act(
        request, db, principal, t, dept, lambda: service.add_library_candidate(db, principal, dept, code)
    )


@router.post("/pools/{department_id:int}/candidates")
def add_candidate(
    request: Request,
    db: DB,
    principal: Writer,
    t: Tr,
    department_id: int,
    name: Annotated[str, Form()],
    name_en: Annotated[str, Form()] = "",
    driver_code: Annotated[str, Form()] = "",
    touchpoint_id: Annotated[str, Form()] = "",
    perspective: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    dept = org.get_department(db, principal, department_id=department_id)
    tp = journey.get_touchpoint(db, int(touchpoint_id)) if touchpoint_id.isdigit() else None
    return _act(
        request,
        db,
        principal,
        t,
        dept,
        lambda: service.add_candidate(
            db,
            principal,
            dept,
            name=name,
            name_en=name_en,
            driver_code=driver_code or None,
            touchpoint=tp,
            perspective=Perspective(perspective) if perspective else None,
            note=note,
        ),
    )


@router.post("/pools/candidates/{candidate_id}/assess")
def assess(
    request: Request,
    db: DB,
    principal: Writer,
    t: Tr,
    candidate_id: int,
    affects_value: Annotated[str, Form()] = "",
    affects_note: Annotated[str, Form()] = "",
    perceivable: Annotated[str, Form()] = "",
    perceivable_note: Annotated[str, Form()] = "",
    tier: Annotated[str, Form()] = "",
) -> Response:
    """One row of the pool: the two admission answers (S5.3) and the tier."""
    cand = service.get_candidate(db, candidate_id)
    return _act(
        request,
        db,
        principal,
        t,
        cand.department,
        lambda: service.assess_candidate(
            db,
            principal,
            cand,
            affects_value=_answer(affects_value),
            affects_note=affects_note,
            perceivable=_answer(perceivable),
            perceivable_note=perceivable_note,
            tier=Tier(tier) if tier in set(Tier) else None,
        ),
    )


@router.post("/pools/candidates/{candidate_id}/links")
def links(
    request: Request,
    db: DB,
    principal: Writer,
    t: Tr,
    candidate_id: int,
    driver_code: Annotated[str, Form()] = "",
    touchpoint_id: Annotated[str, Form()] = "",
    stage_id: Annotated[str, Form()] = "",
    perspective: Annotated[str, Form()] = "",
    card_id: Annotated[str, Form()] = "",
    objective_id: Annotated[str, Form()] = "",
    parent_candidate_id: Annotated[str, Form()] = "",
) -> Response:
    """A candidate's value tags, its card and its cascade links (S6.4)."""
    cand = service.get_candidate(db, candidate_id)

    def change() -> None:
        tp = journey.get_touchpoint(db, int(touchpoint_id)) if touchpoint_id.isdigit() else None
        stage = journey.get_stage(db, int(stage_id)) if stage_id.isdigit() else None
        service.retag_candidate(
            db,
            principal,
            cand,
            driver_code=driver_code or None,
            touchpoint=tp,
            stage=stage,
            perspective=Perspective(perspective) if perspective else None,
        )
        service.link_card(
            db, principal, cand, cards.get_card(db, int(card_id)) if card_id.isdigit() else None
        )
        obj = bsc.get_objective(db, objective_id=int(objective_id)) if objective_id.isdigit() else None
        service.set_objective(db, principal, cand, obj)
        parent = (
            service.get_candidate(db, int(parent_candidate_id)) if parent_candidate_id.isdigit() else None
        )
        service.set_parent_candidate(db, principal, cand, parent)

    return _act(request, db, principal, t, cand.department, change)


@router.post("/pools/{department_id:int}/core")
async def core_set(request: Request, db: DB, principal: Writer, t: Tr, department_id: int) -> Response:
    """The core set: the ticked candidates with their weights; the rest become observed indicators."""
    dept = org.get_department(db, principal, department_id=department_id)
    form = await request.form()
    ticked = [str(v) for v in form.getlist("core")]
    picks: dict[int, Decimal | str | int | None] = {
        int(v): str(form.get(f"weight_{v}", "")) for v in ticked if v.isdigit()
    }
    return _act(request, db, principal, t, dept, lambda: service.save_core_set(db, principal, dept, picks))


@router.post("/pools/candidates/{candidate_id}/delete")
def delete_candidate(db: DB, principal: Writer, candidate_id: int) -> Response:
    cand = service.get_candidate(db, candidate_id)
    dept_id = cand.department_id
    service.remove_candidate(db, principal, cand)
    return RedirectResponse(f"/pools/{dept_id}", status_code=303)


# --- the department value page's pool forms (S2.3, S5.2) ------------------------------------


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
def add_value_candidate(
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
