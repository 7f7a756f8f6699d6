"""Customers, segments, value propositions and what each department declares it serves."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from northstar import audit, catalogue
from northstar.customers.models import (
    Customer,
    CustomerCategory,
    CustomerKind,
    DepartmentCustomer,
    DepartmentProduct,
    Market,
    PropositionDriver,
    Segment,
    SegmentDimension,
    ValueProposition,
)
from northstar.db import check_version, touch
from northstar.errors import N_, Conflict, Named, NorthstarError, NotFound, Problem, ValidationFailed
from northstar.org.models import Department
from northstar.org.service import get_department_by_code
from northstar.security.principal import DESIGN_ROLES, Principal
from northstar.security.scope import require_department_editor


def require_designer(principal: Principal) -> None:
    principal.require(*DESIGN_ROLES)


# --- segments -------------------------------------------------------------------------------


def get_all_segments(db: Session) -> list[Segment]:
    """Every segment, key segments first."""
    return list(db.scalars(select(Segment).order_by(Segment.is_key.desc(), Segment.code)))


def get_segment(db: Session, *, segment_id: int) -> Segment:
    seg = db.get(Segment, segment_id)
    if seg is None:
        raise NotFound(N_("No customer segment with id {id}."), id=segment_id)
    return seg


def get_segment_by_code(db: Session, code: str) -> Segment:
    seg = db.scalar(select(Segment).where(Segment.code == code))
    if seg is None:
        raise ValidationFailed(
            N_("Unknown segment code {code}: use the code of an existing customer segment."), code=code
        )
    return seg


def _dimensions(dimensions: Sequence[tuple[str, str]]) -> list[SegmentDimension]:
    seen: set[str] = set()
    out: list[SegmentDimension] = []
    problems: list[Problem] = []
    for idx, (dim, value) in enumerate(dimensions):
        dim, value = dim.strip(), value.strip()
        if not dim and not value:
            continue
        if not dim or not value:
            problems.append(
                Problem(
                    N_("A dimension needs both a name and a value: fill in both or clear both."),
                    field="dimensions",
                )
            )
            continue
        if dim in seen:
            problems.append(
                Problem(
                    N_("Dimension {dimension} is given twice: keep one value per dimension."),
                    {"dimension": dim},
                    field="dimensions",
                )
            )
            continue
        seen.add(dim)
        out.append(SegmentDimension(dimension=dim, value=value, position=idx))
    if problems:
        raise ValidationFailed(N_("The segment's dimensions cannot be saved."), problems=problems)
    return out


def create_segment(
    db: Session,
    principal: Principal,
    *,
    code: str,
    name: str,
    name_en: str = "",
    market: Market,
    is_key: bool = False,
    description: str = "",
    dimensions: Sequence[tuple[str, str]] = (),
) -> Segment:
    """A new customer segment with its describing dimensions (S2.1)."""
    require_designer(principal)
    if db.scalar(select(Segment.id).where(Segment.code == code)):
        raise Conflict(N_("A segment with code {code} exists already: choose another code."), code=code)
    seg = Segment(
        code=code, name=name, name_en=name_en, market=market, is_key=is_key, description=description
    )
    seg.dimensions = _dimensions(dimensions)
    db.add(seg)
    db.flush()
    changes: dict[str, tuple[Any, Any]] = {
        "name": (None, name),
        "name_en": (None, name_en),
        "market": (None, market),
        "is_key": (None, is_key),
        "description": (None, description),
    }
    changes.update({f"dimension:{d.dimension}": (None, d.value) for d in seg.dimensions})
    audit.record(db, principal.actor, action="create", entity="segment", entity_id=code, changes=changes)
    return seg


def update_segment(
    db: Session,
    principal: Principal,
    seg: Segment,
    *,
    version: int,
    reason: str | None = None,
    dimensions: Sequence[tuple[str, str]] | None = None,
    **fields: Any,
) -> Segment:
    """Change a segment's names, market, key flag, description or dimensions."""
    require_designer(principal)
    check_version(seg, version, seg.code)
    changes = audit.apply(seg, {k: v for k, v in fields.items() if v is not None})
    if dimensions is not None:
        old = {d.dimension: d.value for d in seg.dimensions}
        new_dims = _dimensions(dimensions)
        new = {d.dimension: d.value for d in new_dims}
        if old != new:
            for key in sorted(set(old) | set(new)):
                if old.get(key) != new.get(key):
                    changes[f"dimension:{key}"] = (old.get(key), new.get(key))
            seg.dimensions = new_dims
            touch(seg, "description")
    db.flush()
    audit.record(
        db,
        principal.actor,
        action="update",
        entity="segment",
        entity_id=seg.code,
        changes=changes,
        reason=reason,
    )
    return seg


# --- value propositions ---------------------------------------------------------------------


def get_proposition(db: Session, segment: Segment) -> ValueProposition | None:
    return db.scalar(select(ValueProposition).where(ValueProposition.segment_id == segment.id))


def require_proposition(
    db: Session, segment: Segment, *, error: type[NorthstarError] = NotFound
) -> ValueProposition:
    """The segment's value proposition, or ``error`` saying it has none yet."""
    prop = get_proposition(db, segment)
    if prop is None:
        raise error(N_("{segment} has no value proposition yet."), segment=segment.name)
    return prop


def get_all_propositions(db: Session) -> dict[int, ValueProposition]:
    """Every value proposition by segment id, in one query."""
    return {p.segment_id: p for p in db.scalars(select(ValueProposition))}


def get_proposition_by_id(db: Session, proposition_id: int) -> ValueProposition:
    prop = db.get(ValueProposition, proposition_id)
    if prop is None:
        raise NotFound(N_("No value proposition with id {id}."), id=proposition_id)
    return prop


def check_drivers(
    drivers: Sequence[tuple[int, str, str]], *, row: int | None = None, sheet: str | None = None
) -> list[Problem]:
    """Problems with a ranked driver list: unknown drivers, repeated drivers, shared or bad ranks."""
    problems: list[Problem] = []
    rank_of: dict[int, str] = {}
    seen: set[str] = set()

    def named(code: str) -> str:
        found = catalogue.value_driver(code)
        return Named(found.name.en, found.name.zh) if found else code

    for rank, code, _note in drivers:
        driver = catalogue.value_driver(code)
        if driver is None:
            problems.append(
                Problem(
                    N_('Unknown value driver "{driver}": choose one from the value-driver catalogue.'),
                    {"driver": code},
                    row=row,
                    field="driver",
                    sheet=sheet,
                )
            )
            continue
        if rank < 1:
            problems.append(
                Problem(
                    N_("Rank {rank} of {driver} is not allowed: ranks start at 1 (most important)."),
                    {"rank": rank, "driver": named(code)},
                    row=row,
                    field="rank",
                    sheet=sheet,
                )
            )
        if rank in rank_of:
            problems.append(
                Problem(
                    N_(
                        "Rank {rank} is given to both {first} and {second}: give each value driver its own "
                        "rank (1 = what the customer cares about most)."
                    ),
                    {"rank": rank, "first": named(rank_of[rank]), "second": named(code)},
                    row=row,
                    field="rank",
                    sheet=sheet,
                )
            )
        if code in seen:
            problems.append(
                Problem(
                    N_("Value driver {driver} is listed twice: keep it once, at its rank."),
                    {"driver": named(code)},
                    row=row,
                    field="driver",
                    sheet=sheet,
                )
            )
        rank_of.setdefault(rank, code)
        seen.add(code)
    return problems


def save_proposition(
    db: Session,
    principal: Principal,
    segment: Segment,
    *,
    cares_most: str,
    better_than_competitors: str,
    relationship_value: str,
    drivers: Sequence[tuple[int, str, str]],
    version: int | None = None,
    reason: str | None = None,
) -> ValueProposition:
    """Create or replace a segment's value proposition with its ranked drivers (S2.2).

    ``drivers`` are (rank, driver code, note); two drivers may not share a rank."""
    require_designer(principal)
    problems = check_drivers(drivers)
    if problems:
        raise ValidationFailed(N_("The value proposition was not saved."), problems=problems)
    prop = get_proposition(db, segment)
    action = "update"
    if prop is None:
        prop = ValueProposition(segment_id=segment.id)
        db.add(prop)
        action = "create"
    elif version is not None:
        check_version(prop, version, segment.code)
    changes = audit.apply(
        prop,
        {
            "cares_most": cares_most,
            "better_than_competitors": better_than_competitors,
            "relationship_value": relationship_value,
        },
    )
    old = [f"{d.rank}. {d.driver_code}" for d in prop.drivers]
    new = [f"{r}. {c}" for r, c, _ in sorted(drivers)]
    if old != new or [d.note for d in prop.drivers] != [n for _, _, n in sorted(drivers)]:
        changes["drivers"] = ("; ".join(old) or None, "; ".join(new))
        prop.drivers.clear()
        db.flush()  # the old ranks leave before the new ones arrive (unique rank per proposition)
        prop.drivers.extend(PropositionDriver(rank=r, driver_code=c, note=n) for r, c, n in sorted(drivers))
        touch(prop, "cares_most")
    db.flush()
    audit.record(
        db,
        principal.actor,
        action=action,
        entity="value_proposition",
        entity_id=segment.code,
        changes=changes,
        reason=reason,
    )
    return prop


def suggestions(prop: ValueProposition) -> list[catalogue.Suggestion]:
    """Recommended indicators for a proposition, the most important driver's first (S2.3)."""
    return catalogue.suggest([(d.rank, d.driver_code) for d in prop.drivers])


# --- customers ------------------------------------------------------------------------------


def get_all_customers(db: Session, *, kind: CustomerKind | None = None) -> list[Customer]:
    stmt = select(Customer).order_by(Customer.kind, Customer.code)
    if kind is not None:
        stmt = stmt.where(Customer.kind == kind)
    return list(db.scalars(stmt))


def get_customer(db: Session, *, customer_id: int) -> Customer:
    cust = db.get(Customer, customer_id)
    if cust is None:
        raise NotFound(N_("No customer with id {id}."), id=customer_id)
    return cust


def get_customer_by_code(db: Session, code: str) -> Customer:
    cust = db.scalar(select(Customer).where(Customer.code == code))
    if cust is None:
        raise ValidationFailed(
            N_("Unknown customer code {code}: use the code of a customer in the registry."), code=code
        )
    return cust


def _customer_links(
    db: Session, category: CustomerCategory, segment_code: str | None, department_code: str | None
) -> tuple[Segment | None, Department | None]:
    segment = get_segment_by_code(db, segment_code) if segment_code else None
    department = get_department_by_code(db, department_code) if department_code else None
    if category is CustomerCategory.department and department is None:
        raise ValidationFailed(
            N_(
                "An internal customer of the kind department names that department: fill in its department code."
            ),
            problems=[Problem(N_("Fill in the department code."), field="department_code")],
        )
    if category.kind is CustomerKind.internal and segment is not None:
        raise ValidationFailed(
            N_("Segments describe external customers: clear the segment of an internal customer."),
            problems=[Problem(N_("Clear the segment."), field="segment_code")],
        )
    return segment, department


def create_customer(
    db: Session,
    principal: Principal,
    *,
    code: str,
    name: str,
    name_en: str = "",
    category: CustomerCategory,
    segment_code: str | None = None,
    department_code: str | None = None,
    description: str = "",
) -> Customer:
    """A customer in the broad sense: external, or internal (a department or a role) (S1.2)."""
    require_designer(principal)
    if db.scalar(select(Customer.id).where(Customer.code == code)):
        raise Conflict(N_("A customer with code {code} exists already: choose another code."), code=code)
    segment, department = _customer_links(db, category, segment_code, department_code)
    cust = Customer(
        code=code,
        name=name,
        name_en=name_en,
        kind=category.kind,
        category=category,
        segment=segment,
        department=department,
        description=description,
    )
    db.add(cust)
    db.flush()
    audit.record(
        db,
        principal.actor,
        action="create",
        entity="customer",
        entity_id=code,
        changes={
            "name": (None, name),
            "name_en": (None, name_en),
            "category": (None, category),
            "segment": (None, segment_code),
            "department": (None, department_code),
            "description": (None, description),
        },
    )
    return cust


def update_customer(
    db: Session,
    principal: Principal,
    cust: Customer,
    *,
    version: int,
    reason: str | None = None,
    **fields: Any,
) -> Customer:
    """Change a customer's names, category, segment, department or description."""
    require_designer(principal)
    check_version(cust, version, cust.code)
    category = fields.pop("category", None) or cust.category
    seg_code = fields.pop("segment_code", cust.segment.code if cust.segment else None)
    dept_code = fields.pop("department_code", cust.department.code if cust.department else None)
    segment, department = _customer_links(db, category, seg_code, dept_code)
    changes = audit.apply(cust, {k: v for k, v in fields.items() if v is not None})
    changes.update(audit.apply(cust, {"category": category, "kind": category.kind}))
    if cust.segment_id != (segment.id if segment else None):
        changes["segment"] = (cust.segment.code if cust.segment else None, seg_code)
        cust.segment = segment
    if cust.department_id != (department.id if department else None):
        changes["department"] = (cust.department.code if cust.department else None, dept_code)
        cust.department = department
    db.flush()
    audit.record(
        db,
        principal.actor,
        action="update",
        entity="customer",
        entity_id=cust.code,
        changes=changes,
        reason=reason,
    )
    return cust


# --- department declarations (S1.3, S5.1) ---------------------------------------------------


def served_by(db: Session, department: Department) -> list[DepartmentCustomer]:
    """The customers a department declares it serves."""
    return list(
        db.scalars(
            select(DepartmentCustomer)
            .where(DepartmentCustomer.department_id == department.id)
            .order_by(DepartmentCustomer.id)
        )
    )


def serving(db: Session, customer: Customer) -> list[DepartmentCustomer]:
    """The departments that declare they serve a customer."""
    return list(
        db.scalars(
            select(DepartmentCustomer)
            .where(DepartmentCustomer.customer_id == customer.id)
            .order_by(DepartmentCustomer.id)
        )
    )


def products_of(db: Session, department: Department) -> list[DepartmentProduct]:
    return list(
        db.scalars(
            select(DepartmentProduct)
            .where(DepartmentProduct.department_id == department.id)
            .order_by(DepartmentProduct.id)
        )
    )


def declare_customer(
    db: Session, principal: Principal, department: Department, customer: Customer, *, note: str = ""
) -> DepartmentCustomer:
    """Record that ``department`` serves ``customer`` (a department's own declaration)."""
    require_department_editor(db, principal, department.id)
    if customer.department_id == department.id:
        raise ValidationFailed(
            N_("{department} cannot declare itself as its own customer: choose the department it serves."),
            department=department.name,
        )
    existing = db.scalar(
        select(DepartmentCustomer).where(
            DepartmentCustomer.department_id == department.id, DepartmentCustomer.customer_id == customer.id
        )
    )
    if existing is not None:
        raise Conflict(
            N_("{department} already declares {customer} as a customer."),
            department=department.name,
            customer=customer.name,
        )
    link = DepartmentCustomer(department=department, customer=customer, note=note)
    db.add(link)
    db.flush()
    audit.record(
        db,
        principal.actor,
        action="create",
        entity="department_customer",
        entity_id=f"{department.code}/{customer.code}",
        changes={"note": (None, note)},
    )
    return link


def withdraw_customer(
    db: Session, principal: Principal, link: DepartmentCustomer, *, reason: str | None = None
) -> None:
    """Remove a served-customer declaration (its products stay, without the customer)."""
    require_department_editor(db, principal, link.department_id)
    audit.record(
        db,
        principal.actor,
        action="delete",
        entity="department_customer",
        entity_id=f"{link.department.code}/{link.customer.code}",
        changes={"note": (link.note, None)},
        reason=reason,
    )
    db.delete(link)
    db.flush()


def get_declaration(db: Session, link_id: int) -> DepartmentCustomer:
    link = db.get(DepartmentCustomer, link_id)
    if link is None:
        raise NotFound(N_("No customer declaration with id {id}."), id=link_id)
    return link


def add_product(
    db: Session,
    principal: Principal,
    department: Department,
    *,
    name: str,
    name_en: str = "",
    customer: Customer | None = None,
    description: str = "",
) -> DepartmentProduct:
    """A department "product": a perceivable result it delivers to a customer it serves (S5.1)."""
    require_department_editor(db, principal, department.id)
    if not name.strip():
        raise ValidationFailed(
            N_("The product needs a name: describe the result the customer perceives."),
            problems=[Problem(N_("Fill in the name."), field="name")],
        )
    product = DepartmentProduct(
        department=department,
        customer=customer,
        name=name.strip(),
        name_en=name_en.strip(),
        description=description,
    )
    db.add(product)
    db.flush()
    audit.record(
        db,
        principal.actor,
        action="create",
        entity="department_product",
        entity_id=str(product.id),
        changes={
            "department": (None, department.code),
            "customer": (None, customer.code if customer else None),
            "name": (None, product.name),
            "name_en": (None, product.name_en),
            "description": (None, description),
        },
    )
    return product


def get_product(db: Session, product_id: int) -> DepartmentProduct:
    product = db.get(DepartmentProduct, product_id)
    if product is None:
        raise NotFound(N_("No department product with id {id}."), id=product_id)
    return product


def remove_product(
    db: Session, principal: Principal, product: DepartmentProduct, *, reason: str | None = None
) -> None:
    require_department_editor(db, principal, product.department_id)
    audit.record(
        db,
        principal.actor,
        action="delete",
        entity="department_product",
        entity_id=str(product.id),
        changes={"name": (product.name, None)},
        reason=reason,
    )
    db.delete(product)
    db.flush()
