"""HTML pages: the customer value hub, the customer registry, segments with their value
propositions and suggested indicators, and each department's declarations."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from northstar import catalogue
from northstar.customers import service
from northstar.customers.models import STANDARD_DIMENSIONS, CustomerCategory, CustomerKind, Market
from northstar.journey import service as journey
from northstar.org import service as org
from northstar.pools import service as pools
from northstar.security.models import Role
from northstar.security.principal import DESIGN_ROLES, Principal
from northstar.security.scope import manages_department
from northstar.strategy import service as strategy
from northstar.web.deps import DB, CurrentPrincipal, Writer
from northstar.web.templating import render

router = APIRouter(include_in_schema=False)
BLANK_ROWS = 3


def can_design(principal: Principal) -> bool:
    return principal.role in DESIGN_ROLES


def _pairs(first: list[str], second: list[str]) -> list[tuple[str, str]]:
    return [(a, b) for a, b in zip(first, second, strict=False) if a.strip() or b.strip()]


@router.get("/value")
def hub(request: Request, db: DB, principal: CurrentPrincipal) -> Response:
    records = strategy.get_all_records(db)
    segments = service.get_all_segments(db)
    return render(
        request,
        "customers/hub.html",
        {
            "record": records[0] if records else None,
            "views": strategy.priority_views(db, records[0]) if records else [],
            "segments": segments,
            "customers": service.get_all_customers(db),
            "processes": journey.get_all_processes(db),
            "counts": journey.touchpoint_counts(db),
            "stages": journey.company_stages(db),
            "can_design": can_design(principal),
        },
        active="value",
    )


@router.get("/customers")
def customers(request: Request, db: DB, principal: CurrentPrincipal) -> Response:
    every = service.get_all_customers(db)
    return render(
        request,
        "customers/customers.html",
        {
            "external": [c for c in every if c.kind is CustomerKind.external],
            "internal": [c for c in every if c.kind is CustomerKind.internal],
            "categories": list(CustomerCategory),
            "segments": service.get_all_segments(db),
            "departments": org.get_all_departments(db, principal),
            "can_design": can_design(principal),
        },
        active="value",
    )


@router.post("/customers")
def customer_create(
    db: DB,
    principal: Writer,
    code: Annotated[str, Form()],
    name: Annotated[str, Form()],
    category: Annotated[CustomerCategory, Form()],
    name_en: Annotated[str, Form()] = "",
    segment_code: Annotated[str, Form()] = "",
    department_code: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
) -> Response:
    cust = service.create_customer(
        db,
        principal,
        code=code.strip(),
        name=name.strip(),
        name_en=name_en.strip(),
        category=category,
        segment_code=segment_code or None,
        department_code=department_code or None,
        description=description,
    )
    return RedirectResponse(f"/customers/{cust.id}", status_code=303)


@router.get("/customers/{customer_id}")
def customer_detail(request: Request, db: DB, principal: CurrentPrincipal, customer_id: int) -> Response:
    cust = service.get_customer(db, customer_id=customer_id)
    return render(
        request,
        "customers/customer.html",
        {
            "cust": cust,
            "serving": service.serving(db, cust),
            "categories": list(CustomerCategory),
            "segments": service.get_all_segments(db),
            "departments": org.get_all_departments(db, principal),
            "can_design": can_design(principal),
        },
        active="value",
    )


@router.post("/customers/{customer_id}")
def customer_update(
    db: DB,
    principal: Writer,
    customer_id: int,
    version: Annotated[int, Form()],
    name: Annotated[str, Form()],
    category: Annotated[CustomerCategory, Form()],
    name_en: Annotated[str, Form()] = "",
    segment_code: Annotated[str, Form()] = "",
    department_code: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    cust = service.get_customer(db, customer_id=customer_id)
    service.update_customer(
        db,
        principal,
        cust,
        version=version,
        reason=reason or None,
        name=name.strip(),
        name_en=name_en.strip(),
        category=category,
        segment_code=segment_code or None,
        department_code=department_code or None,
        description=description,
    )
    return RedirectResponse(f"/customers/{cust.id}", status_code=303)


@router.get("/segments")
def segments(request: Request, db: DB, principal: CurrentPrincipal) -> Response:
    segs = service.get_all_segments(db)
    return render(
        request,
        "customers/segments.html",
        {
            "segments": segs,
            "propositions": service.get_all_propositions(db),
            "driver": catalogue.value_driver,
            "markets": list(Market),
            "standard": STANDARD_DIMENSIONS,
            "can_design": can_design(principal),
        },
        active="value",
    )


@router.post("/segments")
def segment_create(
    db: DB,
    principal: Writer,
    code: Annotated[str, Form()],
    name: Annotated[str, Form()],
    market: Annotated[Market, Form()],
    name_en: Annotated[str, Form()] = "",
    is_key: Annotated[bool, Form()] = False,
    description: Annotated[str, Form()] = "",
    dimension: Annotated[list[str] | None, Form()] = None,
    value: Annotated[list[str] | None, Form()] = None,
) -> Response:
    seg = service.create_segment(
        db,
        principal,
        code=code.strip(),
        name=name.strip(),
        name_en=name_en.strip(),
        market=market,
        is_key=is_key,
        description=description,
        dimensions=_pairs(dimension or [], value or []),
    )
    return RedirectResponse(f"/segments/{seg.id}", status_code=303)


@router.get("/segments/{segment_id}")
def segment_detail(request: Request, db: DB, principal: CurrentPrincipal, segment_id: int) -> Response:
    seg = service.get_segment(db, segment_id=segment_id)
    prop = service.get_proposition(db, seg)
    stages, own = journey.stages_for(db, seg)
    return render(
        request,
        "customers/segment.html",
        {
            "seg": seg,
            "prop": prop,
            "suggestions": service.suggestions(prop) if prop else [],
            "drivers": catalogue.value_drivers(),
            "driver": catalogue.value_driver,
            "blank_rows": BLANK_ROWS,
            "markets": list(Market),
            "standard": STANDARD_DIMENSIONS,
            "departments": org.get_all_departments(db, principal),
            "customers": [c for c in service.get_all_customers(db) if c.segment_id == seg.id],
            "stages": stages,
            "own_journey": own,
            "can_design": can_design(principal),
            "can_pick": principal.role in DESIGN_ROLES or principal.role is Role.manager,
        },
        active="value",
    )


@router.post("/segments/{segment_id}")
def segment_update(
    db: DB,
    principal: Writer,
    segment_id: int,
    version: Annotated[int, Form()],
    name: Annotated[str, Form()],
    market: Annotated[Market, Form()],
    name_en: Annotated[str, Form()] = "",
    is_key: Annotated[bool, Form()] = False,
    description: Annotated[str, Form()] = "",
    dimension: Annotated[list[str] | None, Form()] = None,
    value: Annotated[list[str] | None, Form()] = None,
    reason: Annotated[str, Form()] = "",
) -> Response:
    seg = service.get_segment(db, segment_id=segment_id)
    service.update_segment(
        db,
        principal,
        seg,
        version=version,
        reason=reason or None,
        name=name.strip(),
        name_en=name_en.strip(),
        market=market,
        is_key=is_key,
        description=description,
        dimensions=_pairs(dimension or [], value or []),
    )
    return RedirectResponse(f"/segments/{seg.id}", status_code=303)


@router.post("/segments/{segment_id}/proposition")
def proposition_save(
    db: DB,
    principal: Writer,
    segment_id: int,
    cares_most: Annotated[str, Form()] = "",
    better_than_competitors: Annotated[str, Form()] = "",
    relationship_value: Annotated[str, Form()] = "",
    rank: Annotated[list[str] | None, Form()] = None,
    driver: Annotated[list[str] | None, Form()] = None,
    note: Annotated[list[str] | None, Form()] = None,
    version: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    seg = service.get_segment(db, segment_id=segment_id)
    notes = (note or []) + [""] * len(driver or [])
    drivers = [
        (int(r), d, n.strip())
        for r, d, n in zip(rank or [], driver or [], notes, strict=False)
        if d and r.strip().isdigit()
    ]
    service.save_proposition(
        db,
        principal,
        seg,
        cares_most=cares_most,
        better_than_competitors=better_than_competitors,
        relationship_value=relationship_value,
        drivers=drivers,
        version=int(version) if version.isdigit() else None,
        reason=reason or None,
    )
    return RedirectResponse(f"/segments/{seg.id}#proposition", status_code=303)


@router.get("/value/departments/{department_id}")
def department_value(request: Request, db: DB, principal: CurrentPrincipal, department_id: int) -> Response:
    dept = org.get_department(db, principal, department_id=department_id)
    can_edit = can_design(principal) or manages_department(db, principal, dept.id)
    return render(
        request,
        "customers/department_value.html",
        {
            "dept": dept,
            "served": service.served_by(db, dept),
            "products": service.products_of(db, dept),
            "candidates": pools.get_candidates(db, dept),
            "customers": [c for c in service.get_all_customers(db) if c.department_id != dept.id],
            "departments": org.get_all_departments(db, principal),
            "driver": catalogue.value_driver,
            "drivers": catalogue.value_drivers(),
            "can_edit": can_edit and not principal.read_only,
        },
        active="value",
    )


@router.post("/value/departments/{department_id}/customers")
def declare(
    db: DB,
    principal: Writer,
    department_id: int,
    customer_code: Annotated[str, Form()],
    note: Annotated[str, Form()] = "",
) -> Response:
    dept = org.get_department(db, principal, department_id=department_id)
    service.declare_customer(db, principal, dept, service.get_customer_by_code(db, customer_code), note=note)
    return RedirectResponse(f"/value/departments/{dept.id}#customers", status_code=303)


@router.post("/value/declarations/{declaration_id}/delete")
def withdraw(db: DB, principal: Writer, declaration_id: int) -> Response:
    link = service.get_declaration(db, declaration_id)
    dept_id = link.department_id
    service.withdraw_customer(db, principal, link)
    return RedirectResponse(f"/value/departments/{dept_id}#customers", status_code=303)


@router.post("/value/departments/{department_id}/products")
def product_add(
    db: DB,
    principal: Writer,
    department_id: int,
    name: Annotated[str, Form()],
    name_en: Annotated[str, Form()] = "",
    customer_code: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
) -> Response:
    dept = org.get_department(db, principal, department_id=department_id)
    cust = service.get_customer_by_code(db, customer_code) if customer_code else None
    service.add_product(
        db, principal, dept, name=name, name_en=name_en, customer=cust, description=description
    )
    return RedirectResponse(f"/value/departments/{dept.id}#products", status_code=303)


@router.post("/value/products/{product_id}/delete")
def product_remove(db: DB, principal: Writer, product_id: int) -> Response:
    product = service.get_product(db, product_id)
    dept_id = product.department_id
    service.remove_product(db, principal, product)
    return RedirectResponse(f"/value/departments/{dept_id}#products", status_code=303)
