"""JSON API for customers, segments, value propositions and department declarations."""

from __future__ import annotations

from fastapi import APIRouter, Response

from northstar import catalogue
from northstar.customers import service
from northstar.customers.models import (
    Customer,
    CustomerKind,
    DepartmentCustomer,
    DepartmentProduct,
    Segment,
    ValueProposition,
)
from northstar.customers.schemas import (
    CustomerIn,
    CustomerOut,
    CustomerUpdate,
    DeclarationIn,
    DeclarationOut,
    DeclarationsOut,
    DimensionIO,
    DriverRankIO,
    ProductIn,
    ProductOut,
    PropositionIn,
    PropositionOut,
    SegmentIn,
    SegmentOut,
    SegmentUpdate,
    SuggestionOut,
    ValueDriverOut,
)
from northstar.org import service as org
from northstar.web.deps import DB, CurrentPrincipal, Tr, Writer

router = APIRouter(tags=["customer value"])


def segment_out(s: Segment) -> SegmentOut:
    return SegmentOut(
        id=s.id,
        code=s.code,
        name=s.name,
        name_en=s.name_en,
        market=s.market,
        is_key=s.is_key,
        description=s.description,
        dimensions=[DimensionIO(dimension=d.dimension, value=d.value) for d in s.dimensions],
        version=s.version,
    )


def proposition_out(p: ValueProposition) -> PropositionOut:
    return PropositionOut(
        id=p.id,
        segment_code=p.segment.code,
        cares_most=p.cares_most,
        better_than_competitors=p.better_than_competitors,
        relationship_value=p.relationship_value,
        drivers=[DriverRankIO(rank=d.rank, driver=d.driver_code, note=d.note) for d in p.drivers],
        version=p.version,
    )


def customer_out(c: Customer) -> CustomerOut:
    return CustomerOut(
        id=c.id,
        code=c.code,
        name=c.name,
        name_en=c.name_en,
        kind=c.kind,
        category=c.category,
        segment_code=c.segment.code if c.segment else None,
        department_code=c.department.code if c.department else None,
        description=c.description,
        version=c.version,
    )


def declaration_out(link: DepartmentCustomer) -> DeclarationOut:
    return DeclarationOut(
        id=link.id,
        department_code=link.department.code,
        customer_code=link.customer.code,
        customer_name=link.customer.name,
        note=link.note,
    )


def product_out(p: DepartmentProduct) -> ProductOut:
    return ProductOut(
        id=p.id,
        department_code=p.department.code,
        customer_code=p.customer.code if p.customer else None,
        name=p.name,
        name_en=p.name_en,
        description=p.description,
    )


@router.get("/value-drivers", response_model=list[ValueDriverOut])
def list_value_drivers(principal: CurrentPrincipal, t: Tr) -> list[ValueDriverOut]:
    """The value-driver catalogue with the indicators each driver recommends (S2.3)."""
    return [
        ValueDriverOut(
            code=d.code,
            name=d.name(t.locale),
            description=d.description(t.locale),
            indicators=[i.code for i in d.indicators],
        )
        for d in catalogue.value_drivers()
    ]


@router.get("/segments", response_model=list[SegmentOut])
def list_segments(db: DB, principal: CurrentPrincipal) -> list[SegmentOut]:
    """Customer segments, key segments first (S2.1)."""
    return [segment_out(s) for s in service.get_all_segments(db)]


@router.post("/segments", response_model=SegmentOut, status_code=201)
def create_segment(body: SegmentIn, db: DB, principal: Writer) -> SegmentOut:
    fields = body.model_dump(exclude={"dimensions"})
    dims = [(d.dimension, d.value) for d in body.dimensions]
    return segment_out(service.create_segment(db, principal, dimensions=dims, **fields))


@router.get("/segments/{segment_id}", response_model=SegmentOut)
def get_segment(segment_id: int, db: DB, principal: CurrentPrincipal) -> SegmentOut:
    return segment_out(service.get_segment(db, segment_id=segment_id))


@router.patch("/segments/{segment_id}", response_model=SegmentOut)
def update_segment(segment_id: int, body: SegmentUpdate, db: DB, principal: Writer) -> SegmentOut:
    """Change a segment; send the ``version`` you read."""
    seg = service.get_segment(db, segment_id=segment_id)
    fields = body.model_dump(exclude_unset=True, exclude={"version", "reason", "dimensions"})
    dims = [(d.dimension, d.value) for d in body.dimensions] if body.dimensions is not None else None
    return segment_out(
        service.update_segment(
            db, principal, seg, version=body.version, reason=body.reason, dimensions=dims, **fields
        )
    )


@router.get("/segments/{segment_id}/proposition", response_model=PropositionOut)
def get_proposition(segment_id: int, db: DB, principal: CurrentPrincipal) -> PropositionOut:
    seg = service.get_segment(db, segment_id=segment_id)
    return proposition_out(service.require_proposition(db, seg))


@router.put("/segments/{segment_id}/proposition", response_model=PropositionOut)
def save_proposition(segment_id: int, body: PropositionIn, db: DB, principal: Writer) -> PropositionOut:
    """Create or replace the segment's value proposition with its ranked value drivers (S2.2)."""
    seg = service.get_segment(db, segment_id=segment_id)
    prop = service.save_proposition(
        db,
        principal,
        seg,
        cares_most=body.cares_most,
        better_than_competitors=body.better_than_competitors,
        relationship_value=body.relationship_value,
        drivers=[(d.rank, d.driver, d.note) for d in body.drivers],
        version=body.version,
        reason=body.reason,
    )
    return proposition_out(prop)


@router.get("/segments/{segment_id}/suggestions", response_model=list[SuggestionOut])
def get_suggestions(segment_id: int, db: DB, principal: CurrentPrincipal, t: Tr) -> list[SuggestionOut]:
    """Indicators recommended by the proposition's value drivers, most important driver first (S2.3)."""
    prop = service.require_proposition(db, service.get_segment(db, segment_id=segment_id))
    return [
        SuggestionOut(
            indicator_code=s.indicator.code,
            name=s.indicator.name(t.locale),
            why=s.indicator.why(t.locale),
            perspective=s.indicator.perspective,
            unit=s.indicator.unit,
            polarity=s.indicator.polarity,
            drivers=list(s.driver_codes),
            best_rank=s.best_rank,
        )
        for s in service.suggestions(prop)
    ]


@router.get("/customers", response_model=list[CustomerOut])
def list_customers(
    db: DB, principal: CurrentPrincipal, kind: CustomerKind | None = None
) -> list[CustomerOut]:
    """The customer registry, external and internal (S1.2)."""
    return [customer_out(c) for c in service.get_all_customers(db, kind=kind)]


@router.post("/customers", response_model=CustomerOut, status_code=201)
def create_customer(body: CustomerIn, db: DB, principal: Writer) -> CustomerOut:
    return customer_out(service.create_customer(db, principal, **body.model_dump()))


@router.get("/customers/{customer_id}", response_model=CustomerOut)
def get_customer(customer_id: int, db: DB, principal: CurrentPrincipal) -> CustomerOut:
    return customer_out(service.get_customer(db, customer_id=customer_id))


@router.patch("/customers/{customer_id}", response_model=CustomerOut)
def update_customer(customer_id: int, body: CustomerUpdate, db: DB, principal: Writer) -> CustomerOut:
    cust = service.get_customer(db, customer_id=customer_id)
    fields = body.model_dump(exclude_unset=True, exclude={"version", "reason"})
    return customer_out(
        service.update_customer(db, principal, cust, version=body.version, reason=body.reason, **fields)
    )


@router.get("/departments/{department_id}/declarations", response_model=DeclarationsOut)
def get_declarations(department_id: int, db: DB, principal: CurrentPrincipal) -> DeclarationsOut:
    """Whom a department serves and the "products" it delivers to them (S1.3, S5.1)."""
    dept = org.get_department(db, principal, department_id=department_id)
    return DeclarationsOut(
        department_code=dept.code,
        customers=[declaration_out(x) for x in service.served_by(db, dept)],
        products=[product_out(p) for p in service.products_of(db, dept)],
    )


@router.post("/departments/{department_id}/customers", response_model=DeclarationOut, status_code=201)
def declare_customer(department_id: int, body: DeclarationIn, db: DB, principal: Writer) -> DeclarationOut:
    """Declare a customer the department serves (HR, executives, or the department's manager)."""
    dept = org.get_department(db, principal, department_id=department_id)
    cust = service.get_customer_by_code(db, body.customer_code)
    return declaration_out(service.declare_customer(db, principal, dept, cust, note=body.note))


@router.delete("/declarations/{declaration_id}", status_code=204)
def withdraw_customer(declaration_id: int, db: DB, principal: Writer) -> Response:
    service.withdraw_customer(db, principal, service.get_declaration(db, declaration_id))
    return Response(status_code=204)


@router.post("/departments/{department_id}/products", response_model=ProductOut, status_code=201)
def add_product(department_id: int, body: ProductIn, db: DB, principal: Writer) -> ProductOut:
    """Add a department "product": a result its customers perceive (S5.1)."""
    dept = org.get_department(db, principal, department_id=department_id)
    cust = service.get_customer_by_code(db, body.customer_code) if body.customer_code else None
    return product_out(
        service.add_product(
            db,
            principal,
            dept,
            name=body.name,
            name_en=body.name_en,
            customer=cust,
            description=body.description,
        )
    )


@router.delete("/products/{product_id}", status_code=204)
def remove_product(product_id: int, db: DB, principal: Writer) -> Response:
    service.remove_product(db, principal, service.get_product(db, product_id))
    return Response(status_code=204)
