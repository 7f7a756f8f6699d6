"""Import and export of the organisation as xlsx and CSV: checked row by row, all-or-nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from northstar import audit
from northstar.errors import N_, Label, Problem, ValidationFailed
from northstar.org.models import Department, DepartmentKind, Employee, Position
from northstar.org.schemas import ImportReport
from northstar.org.service import query_employees
from northstar.security.principal import HR_ROLES, Principal
from northstar.tabular import (
    Column,
    SheetSpec,
    Table,
    cell_text,
    parse_date,
    read_upload,
    write_csv,
    write_xlsx,
)

DEPARTMENTS = SheetSpec(
    "departments",
    ("Departments", "部门"),
    (
        Column("code", ("Code", "部门编码")),
        Column("name", ("Name", "部门名称")),
        Column("name_en", ("English name", "英文名称"), required=False),
        Column("kind", ("Kind", "部门类型")),
        Column("parent_code", ("Parent code", "上级部门编码"), required=False),
        Column("head_number", ("Head number", "负责人工号"), required=False),
    ),
)
POSITIONS = SheetSpec(
    "positions",
    ("Positions", "岗位"),
    (
        Column("code", ("Code", "岗位编码")),
        Column("name", ("Name", "岗位名称")),
        Column("name_en", ("English name", "英文名称"), required=False),
        Column("department_code", ("Department code", "所属部门编码")),
    ),
)
EMPLOYEES = SheetSpec(
    "employees",
    ("Employees", "员工"),
    (
        Column("number", ("Number", "工号")),
        Column("name", ("Name", "姓名")),
        Column("email", ("Email", "邮箱"), required=False),
        Column("department_code", ("Department code", "部门编码")),
        Column("position_code", ("Position code", "岗位编码"), required=False),
        Column("manager_number", ("Manager number", "直属上级工号"), required=False),
        Column("start_date", ("Start date", "入职日期")),
        Column("end_date", ("End date", "离职日期"), required=False),
    ),
)
SPECS = (DEPARTMENTS, POSITIONS, EMPLOYEES)

#: labels HR may write in the kind column instead of the code
KIND_LABELS: dict[str, DepartmentKind] = {
    "front-line": DepartmentKind.frontline,
    "business": DepartmentKind.frontline,
    "一线业务": DepartmentKind.frontline,
    "业务": DepartmentKind.frontline,
    "前线业务": DepartmentKind.frontline,
    "customer service": DepartmentKind.customer_service,
    "客户服务": DepartmentKind.customer_service,
    "客服": DepartmentKind.customer_service,
    "r&d": DepartmentKind.rnd,
    "r&d/product": DepartmentKind.rnd,
    "研发": DepartmentKind.rnd,
    "研发/产品": DepartmentKind.rnd,
    "产品": DepartmentKind.rnd,
    "production": DepartmentKind.production,
    "production/quality": DepartmentKind.production,
    "生产": DepartmentKind.production,
    "生产/质量": DepartmentKind.production,
    "质量": DepartmentKind.production,
    "supply chain": DepartmentKind.supply_chain,
    "供应链": DepartmentKind.supply_chain,
    "support": DepartmentKind.support,
    "support function": DepartmentKind.support,
    "职能支持": DepartmentKind.support,
    "职能": DepartmentKind.support,
    "sales": DepartmentKind.sales_marketing,
    "sales/marketing": DepartmentKind.sales_marketing,
    "销售": DepartmentKind.sales_marketing,
    "市场": DepartmentKind.sales_marketing,
    "销售/市场": DepartmentKind.sales_marketing,
}


def parse_kind(value: str) -> DepartmentKind | None:
    text = value.strip()
    try:
        return DepartmentKind(text)
    except ValueError:
        return KIND_LABELS.get(text.lower())


class _Check:
    """Collects problems row by row so the user sees every one at once."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, sheet: str, row: int, field: str | None, message: str, **params: Any) -> None:
        self.problems.append(Problem(message, params, row=row, field=field, sheet=sheet))


def _find_loop(parent_of: dict[str, str | None]) -> list[str] | None:
    state: dict[str, int] = {}
    for start in parent_of:
        path: list[str] = []
        node: str | None = start
        while node is not None and node in parent_of and state.get(node) != 2:
            if state.get(node) == 1:
                return path[path.index(node) :] + [node]
            state[node] = 1
            path.append(node)
            node = parent_of[node]
        for n in path:
            state[n] = 2
    return None


def _text_rows(table: Table | None) -> list[tuple[int, dict[str, str]]]:
    if table is None:
        return []
    return [
        (n, {k: cell_text(v) if k not in ("start_date", "end_date") else v for k, v in rec.items()})
        for n, rec in table.rows
    ]


def import_organisation(
    db: Session,
    principal: Principal,
    *,
    filename: str,
    content: bytes,
    csv_sheet: str | None = None,
    reason: str | None = None,
) -> ImportReport:
    """Check every row of an organisation file, then apply all of it or none of it."""
    principal.require(*HR_ROLES)
    tables = read_upload(filename, content, SPECS, csv_sheet=csv_sheet)
    return import_tables(db, principal, tables, reason=reason or "import " + filename)


def import_tables(
    db: Session, principal: Principal, tables: dict[str, Table], *, reason: str
) -> ImportReport:
    """Check parsed organisation tables row by row, then apply all of them or none."""
    principal.require(*HR_ROLES)
    check = _Check()
    dept_rows = _text_rows(tables.get("departments"))
    pos_rows = _text_rows(tables.get("positions"))
    emp_rows = _text_rows(tables.get("employees"))

    depts = {d.code: d for d in db.scalars(select(Department))}
    positions = {p.code: p for p in db.scalars(select(Position))}
    employees = {e.number: e for e in db.scalars(select(Employee))}
    file_dept_codes = {r["code"] for _, r in dept_rows if r.get("code")}
    file_pos_codes = {r["code"] for _, r in pos_rows if r.get("code")}
    file_emp_numbers = {r["number"] for _, r in emp_rows if r.get("number")}
    known_dept = set(depts) | file_dept_codes
    known_pos = set(positions) | file_pos_codes
    known_emp = set(employees) | file_emp_numbers

    def required(sheet: str, row: int, rec: dict[str, Any], *fields: str) -> bool:
        ok = True
        for f in fields:
            if not rec.get(f):
                check.add(sheet, row, f, N_("{column} is empty: fill it in."), column=Label(f))
                ok = False
        return ok

    def unique(sheet: str, rows: list[tuple[int, dict[str, str]]], key: str, message: str) -> None:
        first: dict[str, int] = {}
        for row, rec in rows:
            value = rec.get(key)
            if not value:
                continue
            if value in first:
                check.add(sheet, row, key, message, value=value, first=first[value])
            else:
                first[value] = row

    # departments
    unique(
        "departments",
        dept_rows,
        "code",
        N_(
            "Department code {value} appears twice (first on row {first}): give each department its own code."
        ),
    )
    dept_kinds: dict[int, DepartmentKind] = {}
    parent_of: dict[str, str | None] = {c: (d.parent.code if d.parent else None) for c, d in depts.items()}
    for row, rec in dept_rows:
        if not required("departments", row, rec, "code", "name", "kind"):
            continue
        kind = parse_kind(rec["kind"])
        if kind is None:
            check.add(
                "departments",
                row,
                "kind",
                N_('Unknown department kind "{value}": use one of {choices}.'),
                value=rec["kind"],
                choices=", ".join(k.value for k in DepartmentKind),
            )
        else:
            dept_kinds[row] = kind
        parent = rec.get("parent_code") or None
        if parent and parent not in known_dept:
            check.add(
                "departments",
                row,
                "parent_code",
                N_(
                    "Unknown department code {code}: use the code of an existing department or one in this "
                    "file."
                ),
                code=parent,
            )
        if rec.get("head_number") and rec["head_number"] not in known_emp:
            check.add(
                "departments",
                row,
                "head_number",
                N_(
                    "Unknown employee number {number}: use the number of an existing employee or one in "
                    "this file."
                ),
                number=rec["head_number"],
            )
        parent_of[rec["code"]] = parent
    loop = _find_loop(parent_of)
    if loop:
        row = next((r for r, rec in dept_rows if rec.get("code") in loop), 0)
        check.add(
            "departments",
            row,
            "parent_code",
            N_("The parent codes make a loop ({path}): a department cannot sit under itself."),
            path=" → ".join(loop),
        )

    # positions
    unique(
        "positions",
        pos_rows,
        "code",
        N_("Position code {value} appears twice (first on row {first}): give each position its own code."),
    )
    for row, rec in pos_rows:
        if not required("positions", row, rec, "code", "name", "department_code"):
            continue
        if rec["department_code"] not in known_dept:
            check.add(
                "positions",
                row,
                "department_code",
                N_(
                    "Unknown department code {code}: use the code of an existing department or one in this "
                    "file."
                ),
                code=rec["department_code"],
            )

    # employees
    unique(
        "employees",
        emp_rows,
        "number",
        N_(
            "Employee number {value} appears twice (first on row {first}): each employee needs a unique number."
        ),
    )
    manager_of: dict[str, str | None] = {
        n: (e.manager.number if e.manager else None) for n, e in employees.items()
    }
    dates: dict[int, tuple[date, date | None]] = {}
    for row, rec in emp_rows:
        if not required("employees", row, rec, "number", "name", "department_code", "start_date"):
            continue
        if rec["department_code"] not in known_dept:
            check.add(
                "employees",
                row,
                "department_code",
                N_(
                    "Unknown department code {code}: use the code of an existing department or one in this "
                    "file."
                ),
                code=rec["department_code"],
            )
        if rec.get("position_code") and rec["position_code"] not in known_pos:
            check.add(
                "employees",
                row,
                "position_code",
                N_("Unknown position code {code}: use the code of an existing position or one in this file."),
                code=rec["position_code"],
            )
        mgr = rec.get("manager_number") or None
        if mgr and mgr not in known_emp:
            check.add(
                "employees",
                row,
                "manager_number",
                N_(
                    "Unknown employee number {number}: use the number of an existing employee or one in "
                    "this file."
                ),
                number=mgr,
            )
        if mgr == rec["number"]:
            check.add(
                "employees",
                row,
                "manager_number",
                N_(
                    "Employee {number} is listed as their own manager: enter their real manager or leave it "
                    "empty."
                ),
                number=mgr,
            )
        manager_of[rec["number"]] = mgr
        try:
            start = parse_date(rec["start_date"])
            end = parse_date(rec.get("end_date"))
        except ValueError:
            check.add(
                "employees",
                row,
                "start_date",
                N_("A date cannot be read: write it as YYYY-MM-DD, for example 2024-03-01."),
            )
            continue
        if start is not None:
            if end is not None and end < start:
                check.add(
                    "employees",
                    row,
                    "end_date",
                    N_("The end date is before the start date: correct one of them."),
                )
            dates[row] = (start, end)
    loop = _find_loop({k: v for k, v in manager_of.items() if v != k})
    if loop:
        row = next((r for r, rec in emp_rows if rec.get("number") in loop), 0)
        check.add(
            "employees",
            row,
            "manager_number",
            N_("The managers make a loop ({path}): someone in it must report outside it."),
            path=" → ".join(loop),
        )

    if check.problems:
        check.problems.sort(
            key=lambda p: ([s.key for s in SPECS].index(p.sheet or "departments"), p.row or 0)
        )
        raise ValidationFailed(
            N_("Nothing was imported: {count} problem(s) found. Fix them and upload the file again."),
            problems=check.problems,
            count=len(check.problems),
        )

    return _apply(
        db, principal, dept_rows, dept_kinds, pos_rows, emp_rows, dates, depts, positions, employees, reason
    )


def _apply(
    db: Session,
    principal: Principal,
    dept_rows: list[tuple[int, dict[str, str]]],
    dept_kinds: dict[int, DepartmentKind],
    pos_rows: list[tuple[int, dict[str, str]]],
    emp_rows: list[tuple[int, dict[str, str]]],
    dates: dict[int, tuple[date, date | None]],
    depts: dict[str, Department],
    positions: dict[str, Position],
    employees: dict[str, Employee],
    reason: str,
) -> ImportReport:
    report = ImportReport()
    actor = principal.actor
    created: set[tuple[str, str]] = set()

    def action(entity: str, key: str) -> str:
        # links set in the second pass belong to the creation of a record that is new in this file
        return "create" if (entity, key) in created else "update"

    def upsert(
        entity: str, key: str, existing: dict[str, Any], factory: Callable[[], Any], values: dict[str, Any]
    ) -> Any:
        obj = existing.get(key)
        if obj is None:
            obj = factory()
            for k, v in values.items():
                setattr(obj, k, v)
            db.add(obj)
            existing[key] = obj
            created.add((entity, key))
            report.created += 1
            audit.record(
                db,
                actor,
                action="create",
                entity=entity,
                entity_id=key,
                changes={k: (None, v) for k, v in values.items()},
                reason=reason,
            )
        else:
            changes = audit.apply(obj, values)
            if changes:
                report.updated += 1
                audit.record(
                    db, actor, action="update", entity=entity, entity_id=key, changes=changes, reason=reason
                )
        return obj

    for row, rec in dept_rows:
        upsert(
            "department",
            rec["code"],
            depts,
            Department,
            {
                "code": rec["code"],
                "name": rec["name"],
                "name_en": rec.get("name_en", ""),
                "kind": dept_kinds[row],
            },
        )
        report.departments += 1
    db.flush()
    for _row, rec in dept_rows:
        parent = depts[rec["parent_code"]] if rec.get("parent_code") else None
        dept = depts[rec["code"]]
        if dept.parent_id != (parent.id if parent else None):
            audit.record(
                db,
                actor,
                action=action("department", dept.code),
                entity="department",
                entity_id=dept.code,
                changes={"parent": (dept.parent.code if dept.parent else None, rec.get("parent_code"))},
                reason=reason,
            )
            dept.parent_id = parent.id if parent else None
    db.flush()
    for _row, rec in pos_rows:
        upsert(
            "position",
            rec["code"],
            positions,
            Position,
            {
                "code": rec["code"],
                "name": rec["name"],
                "name_en": rec.get("name_en", ""),
                "department_id": depts[rec["department_code"]].id,
            },
        )
        report.positions += 1
    db.flush()
    for row, rec in emp_rows:
        start, end = dates[row]
        upsert(
            "employee",
            rec["number"],
            employees,
            Employee,
            {
                "number": rec["number"],
                "name": rec["name"],
                "email": rec.get("email", ""),
                "department_id": depts[rec["department_code"]].id,
                "position_id": positions[rec["position_code"]].id if rec.get("position_code") else None,
                "start_date": start,
                "end_date": end,
            },
        )
        report.employees += 1
    db.flush()
    for _row, rec in emp_rows:
        emp = employees[rec["number"]]
        mgr = employees[rec["manager_number"]] if rec.get("manager_number") else None
        if emp.manager_id != (mgr.id if mgr else None):
            audit.record(
                db,
                actor,
                action=action("employee", emp.number),
                entity="employee",
                entity_id=emp.number,
                changes={
                    "manager": (emp.manager.number if emp.manager else None, mgr.number if mgr else None)
                },
                reason=reason,
            )
            emp.manager_id = mgr.id if mgr else None
    for _row, rec in dept_rows:
        if "head_number" not in rec:
            continue
        dept = depts[rec["code"]]
        head = employees[rec["head_number"]] if rec.get("head_number") else None
        if dept.head_id != (head.id if head else None):
            audit.record(
                db,
                actor,
                action=action("department", dept.code),
                entity="department",
                entity_id=dept.code,
                changes={"head": (dept.head.number if dept.head else None, rec.get("head_number"))},
                reason=reason,
            )
            dept.head_id = head.id if head else None
    db.flush()
    return report


# --- export ---------------------------------------------------------------------------------


def _department_rows(db: Session) -> list[list[Any]]:
    return [
        [
            d.code,
            d.name,
            d.name_en,
            d.kind.value,
            d.parent.code if d.parent else "",
            d.head.number if d.head else "",
        ]
        for d in db.scalars(select(Department).order_by(Department.code))
    ]


def _position_rows(db: Session) -> list[list[Any]]:
    return [
        [p.code, p.name, p.name_en, p.department.code]
        for p in db.scalars(select(Position).order_by(Position.code))
    ]


def _employee_rows(db: Session, principal: Principal) -> list[list[Any]]:
    stmt = query_employees(principal).order_by(Employee.number)
    return [
        [
            e.number,
            e.name,
            e.email,
            e.department.code,
            e.position.code if e.position else "",
            e.manager.number if e.manager else "",
            e.start_date.isoformat(),
            e.end_date.isoformat() if e.end_date else "",
        ]
        for e in db.scalars(stmt).unique()
    ]


def _headers(spec: SheetSpec, locale: str) -> list[str]:
    return [c.header(locale) for c in spec.columns]


def export_xlsx(db: Session, principal: Principal, *, locale: str) -> bytes:
    """The organisation as one workbook (departments, positions, employees in the principal's scope)."""
    return write_xlsx(
        [
            (DEPARTMENTS.name(locale), _headers(DEPARTMENTS, locale), _department_rows(db)),
            (POSITIONS.name(locale), _headers(POSITIONS, locale), _position_rows(db)),
            (EMPLOYEES.name(locale), _headers(EMPLOYEES, locale), _employee_rows(db, principal)),
        ]
    )


def export_csv(db: Session, principal: Principal, *, sheet: str, locale: str) -> bytes:
    """One table of the organisation as CSV (UTF-8 with BOM)."""
    if sheet == "departments":
        return write_csv(_headers(DEPARTMENTS, locale), _department_rows(db))
    if sheet == "positions":
        return write_csv(_headers(POSITIONS, locale), _position_rows(db))
    if sheet == "employees":
        return write_csv(_headers(EMPLOYEES, locale), _employee_rows(db, principal))
    raise ValidationFailed(
        N_("Unknown table {sheet}: choose departments, positions or employees."), sheet=sheet
    )
