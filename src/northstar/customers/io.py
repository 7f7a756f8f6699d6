"""Customers, segments and value propositions as workbook sheets (import and export)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from northstar import catalogue
from northstar.customers import service
from northstar.customers.models import (
    Customer,
    CustomerCategory,
    DepartmentCustomer,
    DepartmentProduct,
    Market,
    Segment,
)
from northstar.errors import N_
from northstar.org.service import get_department_by_code
from northstar.security.principal import Principal
from northstar.tabular import Column, SheetSpec, Table, cell_text
from northstar.workspace.service import Part, Problems, SheetOut, headers, truthy

SEGMENTS = SheetSpec(
    "segments",
    ("Segments", "客户细分"),
    (
        Column("code", ("Code", "细分编码")),
        Column("name", ("Name", "名称")),
        Column("name_en", ("English name", "英文名称"), required=False),
        Column("market", ("Market", "市场类型")),
        Column("is_key", ("Key segment", "重点客户群"), required=False),
        Column("description", ("Description", "说明"), required=False),
    ),
)
DIMENSIONS = SheetSpec(
    "segment_dimensions",
    ("Segment dimensions", "细分维度"),
    (
        Column("segment_code", ("Segment code", "细分编码")),
        Column("dimension", ("Dimension", "维度")),
        Column("value", ("Value", "取值")),
    ),
)
CUSTOMERS = SheetSpec(
    "customers",
    ("Customers", "客户"),
    (
        Column("code", ("Code", "客户编码")),
        Column("name", ("Name", "名称")),
        Column("name_en", ("English name", "英文名称"), required=False),
        Column("category", ("Category", "客户类别")),
        Column("segment_code", ("Segment code", "细分编码"), required=False),
        Column("department_code", ("Department code", "部门编码"), required=False),
        Column("description", ("Description", "说明"), required=False),
    ),
)
PROPOSITIONS = SheetSpec(
    "value_propositions",
    ("Value propositions", "客户价值主张"),
    (
        Column("segment_code", ("Segment code", "细分编码")),
        Column("cares_most", ("What they care about most", "最在意什么"), required=False),
        Column(
            "better_than_competitors", ("Where we beat competitors", "比竞争对手更好之处"), required=False
        ),
        Column(
            "relationship_value",
            ("Value of the long-term relationship", "长期关系的核心价值"),
            required=False,
        ),
    ),
)
DRIVERS = SheetSpec(
    "value_drivers",
    ("Value drivers", "价值要素排序"),
    (
        Column("segment_code", ("Segment code", "细分编码")),
        Column("rank", ("Rank", "排序")),
        Column("driver", ("Value driver", "价值要素")),
        Column("note", ("Note", "说明"), required=False),
    ),
)
SERVED = SheetSpec(
    "department_customers",
    ("Department customers", "部门客户"),
    (
        Column("department_code", ("Department code", "部门编码")),
        Column("customer_code", ("Customer code", "客户编码")),
        Column("note", ("Note", "说明"), required=False),
    ),
)
PRODUCTS = SheetSpec(
    "department_products",
    ("Department products", "部门产品"),
    (
        Column("department_code", ("Department code", "部门编码")),
        Column("name", ("Product", "产品")),
        Column("name_en", ("English name", "英文名称"), required=False),
        Column("customer_code", ("Customer code", "客户编码"), required=False),
        Column("description", ("Description", "说明"), required=False),
    ),
)

CATEGORY_WORDS: dict[str, CustomerCategory] = {
    "终端用户": CustomerCategory.end_user,
    "end user": CustomerCategory.end_user,
    "渠道伙伴": CustomerCategory.channel_partner,
    "channel partner": CustomerCategory.channel_partner,
    "大客户": CustomerCategory.key_account,
    "key account": CustomerCategory.key_account,
    "部门": CustomerCategory.department,
    "内部部门": CustomerCategory.department,
    "角色": CustomerCategory.role,
    "内部角色": CustomerCategory.role,
}


def _rows(tables: dict[str, Table], key: str) -> list[tuple[int, dict[str, str]]]:
    table = tables.get(key)
    return [(n, {k: cell_text(v) for k, v in rec.items()}) for n, rec in table.rows] if table else []


def _market(text: str) -> Market | None:
    return {"b2b": Market.b2b, "b2c": Market.b2c}.get(text.strip().lower())


def _category(text: str) -> CustomerCategory | None:
    try:
        return CustomerCategory(text.strip())
    except ValueError:
        return CATEGORY_WORDS.get(text.strip().lower())


def import_tables(db: Session, principal: Principal, tables: dict[str, Table], problems: Problems) -> None:
    """Segments, their dimensions, customers, propositions with ranked drivers, declarations."""
    dims: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for row, rec in _rows(tables, "segment_dimensions"):
        if not rec.get("segment_code") or not rec.get("dimension") or not rec.get("value"):
            problems.add(
                "segment_dimensions",
                row,
                "value",
                N_("Fill in the segment code, the dimension and its value."),
            )
            continue
        dims[rec["segment_code"]].append((rec["dimension"], rec["value"]))
    file_segments: set[str] = set()
    for row, rec in _rows(tables, "segments"):
        market = _market(rec.get("market", ""))
        if not rec.get("code") or not rec.get("name"):
            problems.add("segments", row, "code", N_("Fill in the segment's code and name."))
            continue
        if market is None:
            problems.add(
                "segments",
                row,
                "market",
                N_('Unknown market "{value}": write B2B or B2C.'),
                value=rec.get("market", ""),
            )
            continue
        file_segments.add(rec["code"])
        fields: dict[str, Any] = {
            "name": rec["name"],
            "name_en": rec.get("name_en", ""),
            "market": market,
            "is_key": truthy(rec.get("is_key")),
            "description": rec.get("description", ""),
        }
        with problems.at("segments", row):
            seg = db.scalar(select(Segment).where(Segment.code == rec["code"]))
            if seg is None:
                service.create_segment(
                    db, principal, code=rec["code"], dimensions=dims.get(rec["code"], []), **fields
                )
            else:
                existing = dims.get(rec["code"]) if rec["code"] in dims else None
                service.update_segment(
                    db, principal, seg, version=seg.version, reason="import", dimensions=existing, **fields
                )
    for code in dims.keys() - file_segments:
        with problems.at("segment_dimensions", None, "segment_code"):
            seg = service.get_segment_by_code(db, code)
            service.update_segment(
                db, principal, seg, version=seg.version, reason="import", dimensions=dims[code]
            )

    for row, rec in _rows(tables, "customers"):
        category = _category(rec.get("category", ""))
        if not rec.get("code") or not rec.get("name"):
            problems.add("customers", row, "code", N_("Fill in the customer's code and name."))
            continue
        if category is None:
            problems.add(
                "customers",
                row,
                "category",
                N_('Unknown customer category "{value}": use one of {choices}.'),
                value=rec.get("category", ""),
                choices=", ".join(c.value for c in CustomerCategory),
            )
            continue
        with problems.at("customers", row):
            cust = db.scalar(select(Customer).where(Customer.code == rec["code"]))
            values: dict[str, Any] = {
                "name": rec["name"],
                "name_en": rec.get("name_en", ""),
                "category": category,
                "segment_code": rec.get("segment_code") or None,
                "department_code": rec.get("department_code") or None,
                "description": rec.get("description", ""),
            }
            if cust is None:
                service.create_customer(db, principal, code=rec["code"], **values)
            else:
                service.update_customer(db, principal, cust, version=cust.version, reason="import", **values)

    texts = {rec.get("segment_code", ""): (row, rec) for row, rec in _rows(tables, "value_propositions")}
    ranked: dict[str, list[tuple[int, tuple[int, str, str]]]] = defaultdict(list)
    for row, rec in _rows(tables, "value_drivers"):
        driver = catalogue.find_driver(rec.get("driver", ""))
        rank = rec.get("rank", "")
        if driver is None:
            problems.add(
                "value_drivers",
                row,
                "driver",
                N_('Unknown value driver "{driver}": choose one from the value-driver catalogue.'),
                driver=rec.get("driver", ""),
            )
            continue
        if not rank.isdigit():
            problems.add(
                "value_drivers",
                row,
                "rank",
                N_('Rank "{value}" is not a whole number: write 1 for the most important.'),
                value=rank,
            )
            continue
        ranked[rec.get("segment_code", "")].append((row, (int(rank), driver.code, rec.get("note", ""))))
    for seg_code in sorted(set(texts) | set(ranked)):
        first_row = texts[seg_code][0] if seg_code in texts else ranked[seg_code][0][0]
        sheet = "value_propositions" if seg_code in texts else "value_drivers"
        row_problems = False
        taken: dict[int, tuple[int, str]] = {}
        for row, (position, code, _note) in ranked.get(seg_code, []):
            if position in taken:
                problems.add(
                    "value_drivers",
                    row,
                    "rank",
                    N_(
                        "Rank {rank} is given to both {first} and {second}: give each value driver its own "
                        "rank (1 = what the customer cares about most)."
                    ),
                    rank=position,
                    first=taken[position][1],
                    second=code,
                )
                row_problems = True
            taken.setdefault(position, (row, code))
        if row_problems:
            continue
        with problems.at(sheet, first_row, "segment_code"):
            seg = service.get_segment_by_code(db, seg_code)
            prop = service.get_proposition(db, seg)
            text = texts.get(seg_code, (0, {}))[1]
            drivers = (
                [d for _, d in ranked[seg_code]]
                if seg_code in ranked
                else [(d.rank, d.driver_code, d.note) for d in (prop.drivers if prop else [])]
            )
            service.save_proposition(
                db,
                principal,
                seg,
                cares_most=text.get("cares_most", prop.cares_most if prop else ""),
                better_than_competitors=text.get(
                    "better_than_competitors", prop.better_than_competitors if prop else ""
                ),
                relationship_value=text.get("relationship_value", prop.relationship_value if prop else ""),
                drivers=drivers,
                reason="import",
            )

    for row, rec in _rows(tables, "department_customers"):
        with problems.at("department_customers", row, "customer_code"):
            dept = get_department_by_code(db, rec.get("department_code", ""))
            cust = service.get_customer_by_code(db, rec.get("customer_code", ""))
            exists = db.scalar(
                select(DepartmentCustomer.id).where(
                    DepartmentCustomer.department_id == dept.id, DepartmentCustomer.customer_id == cust.id
                )
            )
            if not exists:
                service.declare_customer(db, principal, dept, cust, note=rec.get("note", ""))
    for row, rec in _rows(tables, "department_products"):
        with problems.at("department_products", row, "department_code"):
            dept = get_department_by_code(db, rec.get("department_code", ""))
            cust = (
                service.get_customer_by_code(db, rec["customer_code"]) if rec.get("customer_code") else None
            )
            exists = db.scalar(
                select(DepartmentProduct.id).where(
                    DepartmentProduct.department_id == dept.id, DepartmentProduct.name == rec.get("name", "")
                )
            )
            if not exists:
                service.add_product(
                    db,
                    principal,
                    dept,
                    name=rec.get("name", ""),
                    name_en=rec.get("name_en", ""),
                    customer=cust,
                    description=rec.get("description", ""),
                )


def export_tables(db: Session, locale: str) -> list[SheetOut]:
    segments = service.get_all_segments(db)
    by_segment = service.get_all_propositions(db)
    props = [by_segment[s.id] for s in segments if s.id in by_segment]
    customers = service.get_all_customers(db)
    served = list(db.scalars(select(DepartmentCustomer).order_by(DepartmentCustomer.id)))
    products = list(db.scalars(select(DepartmentProduct).order_by(DepartmentProduct.id)))
    return [
        (
            SEGMENTS.name(locale),
            headers(SEGMENTS, locale),
            [
                [
                    s.code,
                    s.name,
                    s.name_en,
                    s.market.value.upper(),
                    "yes" if s.is_key else "no",
                    s.description,
                ]
                for s in segments
            ],
        ),
        (
            DIMENSIONS.name(locale),
            headers(DIMENSIONS, locale),
            [[s.code, d.dimension, d.value] for s in segments for d in s.dimensions],
        ),
        (
            CUSTOMERS.name(locale),
            headers(CUSTOMERS, locale),
            [
                [
                    c.code,
                    c.name,
                    c.name_en,
                    c.category.value,
                    c.segment.code if c.segment else "",
                    c.department.code if c.department else "",
                    c.description,
                ]
                for c in customers
            ],
        ),
        (
            PROPOSITIONS.name(locale),
            headers(PROPOSITIONS, locale),
            [[p.segment.code, p.cares_most, p.better_than_competitors, p.relationship_value] for p in props],
        ),
        (
            DRIVERS.name(locale),
            headers(DRIVERS, locale),
            [[p.segment.code, d.rank, d.driver_code, d.note] for p in props for d in p.drivers],
        ),
        (
            SERVED.name(locale),
            headers(SERVED, locale),
            [[x.department.code, x.customer.code, x.note] for x in served],
        ),
        (
            PRODUCTS.name(locale),
            headers(PRODUCTS, locale),
            [
                [x.department.code, x.name, x.name_en, x.customer.code if x.customer else "", x.description]
                for x in products
            ],
        ),
    ]


PART = Part(
    "customers",
    (SEGMENTS, DIMENSIONS, CUSTOMERS, PROPOSITIONS, DRIVERS, SERVED, PRODUCTS),
    import_tables,
    export_tables,
)
