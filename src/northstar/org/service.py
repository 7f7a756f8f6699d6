"""Organisation operations: departments, positions, employees, each scoped and audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from northstar import audit
from northstar.db import check_version
from northstar.errors import N_, Conflict, NotFound, ValidationFailed
from northstar.org.models import Department, DepartmentKind, Employee, Position
from northstar.security.principal import HR_ROLES, Principal
from northstar.security.scope import employee_filter, filter_for


def _require_hr(principal: Principal) -> None:
    principal.require(*HR_ROLES)


# --- departments ----------------------------------------------------------------------------


def get_all_departments(db: Session, principal: Principal) -> list[Department]:
    """Every department the principal may see, ordered by code."""
    return list(
        db.scalars(select(Department).where(filter_for(principal, Department)).order_by(Department.code))
    )


def get_department(db: Session, principal: Principal, *, department_id: int) -> Department:
    dept = db.scalar(
        select(Department).where(Department.id == department_id, filter_for(principal, Department))
    )
    if dept is None:
        raise NotFound(N_("No department with id {id}."), id=department_id)
    return dept


def get_department_by_code(db: Session, code: str) -> Department:
    dept = db.scalar(select(Department).where(Department.code == code))
    if dept is None:
        raise ValidationFailed(
            N_("Unknown department code {code}: use the code of an existing department."), code=code
        )
    return dept


def _employee_by_number(db: Session, number: str | None) -> Employee | None:
    if not number:
        return None
    emp = db.scalar(select(Employee).where(Employee.number == number))
    if emp is None:
        raise ValidationFailed(
            N_("Unknown employee number {number}: use the number of an existing employee."), number=number
        )
    return emp


def _check_parent(db: Session, dept: Department | None, parent: Department | None) -> None:
    node = parent
    while node is not None:
        if dept is not None and node.id == dept.id:
            raise ValidationFailed(
                N_("Department {code} cannot sit under its own sub-department: choose another parent."),
                code=dept.code,
            )
        node = node.parent


def create_department(
    db: Session,
    principal: Principal,
    *,
    code: str,
    name: str,
    name_en: str = "",
    kind: DepartmentKind,
    parent_code: str | None = None,
    head_number: str | None = None,
) -> Department:
    """A new department under ``parent_code`` (or at the top)."""
    _require_hr(principal)
    if db.scalar(select(Department.id).where(Department.code == code)):
        raise Conflict(N_("A department with code {code} exists already: choose another code."), code=code)
    parent = get_department_by_code(db, parent_code) if parent_code else None
    head = _employee_by_number(db, head_number)
    dept = Department(
        code=code, name=name, name_en=name_en, kind=kind, parent=parent, head_id=head.id if head else None
    )
    db.add(dept)
    db.flush()
    audit.record(
        db,
        principal.actor,
        action="create",
        entity="department",
        entity_id=code,
        changes={
            "name": (None, name),
            "name_en": (None, name_en),
            "kind": (None, kind),
            "parent": (None, parent_code),
            "head": (None, head_number),
        },
    )
    return dept


def update_department(
    db: Session,
    principal: Principal,
    dept: Department,
    *,
    version: int,
    reason: str | None = None,
    **fields: Any,
) -> Department:
    """Change a department's names, kind, parent or head; the reason goes to the audit trail."""
    _require_hr(principal)
    check_version(dept, version, dept.code)
    changes: dict[str, tuple[Any, Any]] = {}
    if "parent_code" in fields:
        parent = get_department_by_code(db, fields["parent_code"]) if fields["parent_code"] else None
        _check_parent(db, dept, parent)
        old = dept.parent.code if dept.parent else None
        if old != (parent.code if parent else None):
            changes["parent"] = (old, parent.code if parent else None)
            dept.parent = parent
    if "head_number" in fields:
        head = _employee_by_number(db, fields["head_number"])
        old_head = dept.head.number if dept.head else None
        if old_head != (head.number if head else None):
            changes["head"] = (old_head, head.number if head else None)
            dept.head_id = head.id if head else None
    plain = {k: v for k, v in fields.items() if k in ("name", "name_en", "kind") and v is not None}
    changes.update(audit.apply(dept, plain))
    db.flush()
    audit.record(
        db,
        principal.actor,
        action="update",
        entity="department",
        entity_id=dept.code,
        changes=changes,
        reason=reason,
    )
    return dept


@dataclass
class DepartmentNode:
    department: Department
    children: list[DepartmentNode]
    headcount: int
    depth: int


def department_tree(db: Session, principal: Principal, *, today: date | None = None) -> list[DepartmentNode]:
    """The department tree with active headcounts (counted within the principal's scope)."""
    today = today or date.today()
    depts = get_all_departments(db, principal)
    counts = dict(
        db.execute(
            select(Employee.department_id, func.count())
            .where(
                employee_filter(principal),
                Employee.start_date <= today,
                or_(Employee.end_date.is_(None), Employee.end_date >= today),
            )
            .group_by(Employee.department_id)
        ).all()
    )
    by_parent: dict[int | None, list[Department]] = {}
    for d in depts:
        by_parent.setdefault(d.parent_id, []).append(d)

    def build(parent_id: int | None, depth: int) -> list[DepartmentNode]:
        return [
            DepartmentNode(d, build(d.id, depth + 1), counts.get(d.id, 0), depth)
            for d in by_parent.get(parent_id, [])
        ]

    visible = {d.id for d in depts}
    roots = [d.parent_id for d in depts if d.parent_id is None or d.parent_id not in visible]
    nodes: list[DepartmentNode] = []
    for root_parent in dict.fromkeys(roots):
        nodes += build(root_parent, 0)
    return nodes


def headcount_by_kind(db: Session, principal: Principal, *, today: date) -> list[tuple[DepartmentKind, int]]:
    """Active people the principal may see, per department kind (largest first)."""
    rows = db.execute(
        select(Department.kind, func.count(Employee.id))
        .join(Employee, Employee.department_id == Department.id)
        .where(
            employee_filter(principal),
            Employee.start_date <= today,
            or_(Employee.end_date.is_(None), Employee.end_date >= today),
        )
        .group_by(Department.kind)
        .order_by(func.count(Employee.id).desc())
    ).all()
    return [(kind, int(n)) for kind, n in rows]


def flatten(nodes: list[DepartmentNode]) -> list[DepartmentNode]:
    out: list[DepartmentNode] = []
    for n in nodes:
        out.append(n)
        out += flatten(n.children)
    return out


# --- positions ------------------------------------------------------------------------------


def get_all_positions(
    db: Session, principal: Principal, *, department_id: int | None = None
) -> list[Position]:
    q = select(Position).join(Position.department).where(filter_for(principal, Department))
    if department_id is not None:
        q = q.where(Position.department_id == department_id)
    return list(db.scalars(q.order_by(Position.code)))


def get_position_by_code(db: Session, code: str) -> Position:
    pos = db.scalar(select(Position).where(Position.code == code))
    if pos is None:
        raise ValidationFailed(
            N_("Unknown position code {code}: use the code of an existing position."), code=code
        )
    return pos


def create_position(
    db: Session, principal: Principal, *, code: str, name: str, name_en: str = "", department_code: str
) -> Position:
    """A new position in a department."""
    _require_hr(principal)
    if db.scalar(select(Position.id).where(Position.code == code)):
        raise Conflict(N_("A position with code {code} exists already: choose another code."), code=code)
    dept = get_department_by_code(db, department_code)
    pos = Position(code=code, name=name, name_en=name_en, department=dept)
    db.add(pos)
    db.flush()
    audit.record(
        db,
        principal.actor,
        action="create",
        entity="position",
        entity_id=code,
        changes={"name": (None, name), "name_en": (None, name_en), "department": (None, department_code)},
    )
    return pos


# --- employees ------------------------------------------------------------------------------


def query_employees(
    principal: Principal,
    *,
    q: str | None = None,
    department_id: int | None = None,
    active_on: date | None = None,
) -> Any:
    """The scoped SELECT behind every employee list and export."""
    stmt = select(Employee).where(employee_filter(principal))
    if q:
        like = f"%{q.strip()}%"
        stmt = stmt.where(
            or_(Employee.name.ilike(like), Employee.number.ilike(like), Employee.email.ilike(like))
        )
    if department_id is not None:
        stmt = stmt.where(Employee.department_id == department_id)
    if active_on is not None:
        stmt = stmt.where(
            Employee.start_date <= active_on, or_(Employee.end_date.is_(None), Employee.end_date >= active_on)
        )
    return stmt


def get_employees(
    db: Session,
    principal: Principal,
    *,
    q: str | None = None,
    department_id: int | None = None,
    active_on: date | None = None,
    offset: int = 0,
    limit: int = 50,
) -> tuple[list[Employee], int]:
    """A page of the employees the principal may see, with the total."""
    stmt = query_employees(principal, q=q, department_id=department_id, active_on=active_on)
    total = db.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = db.scalars(stmt.order_by(Employee.number).offset(offset).limit(limit)).unique().all()
    return list(rows), total


def get_employee(db: Session, principal: Principal, *, employee_id: int) -> Employee:
    """One employee, if in the principal's scope; otherwise the same 404 as a missing record,
    so that scope does not leak which ids exist."""
    emp = db.scalar(select(Employee).where(Employee.id == employee_id, employee_filter(principal)))
    if emp is None:
        raise NotFound(N_("No employee with id {id} that you may see."), id=employee_id)
    return emp


def get_employee_by_number(db: Session, principal: Principal, *, number: str) -> Employee:
    emp = db.scalar(select(Employee).where(Employee.number == number, employee_filter(principal)))
    if emp is None:
        raise NotFound(N_("No employee with number {number} that you may see."), number=number)
    return emp


def direct_reports(db: Session, principal: Principal, employee: Employee) -> list[Employee]:
    return list(
        db.scalars(
            select(Employee)
            .where(Employee.manager_id == employee.id, employee_filter(principal))
            .order_by(Employee.number)
        )
    )


def check_manager_chain(db: Session, employee: Employee, manager: Employee | None) -> None:
    """Refuse a manager that would make the reporting line a loop."""
    seen = {employee.id}
    node = manager
    while node is not None:
        if node.id in seen:
            raise ValidationFailed(
                N_(
                    "Employee {number} cannot report to {manager}: that would make the reporting line a loop. "
                    "Choose a manager outside {number}'s own reporting line."
                ),
                number=employee.number,
                manager=manager.number if manager else "",
            )
        seen.add(node.id)
        node = node.manager


def _check_dates(number: str, start: date, end: date | None) -> None:
    if end is not None and end < start:
        raise ValidationFailed(
            N_("Employee {number}: the end date is before the start date. Correct one of them."),
            number=number,
        )


def create_employee(
    db: Session,
    principal: Principal,
    *,
    number: str,
    name: str,
    email: str = "",
    department_code: str,
    position_code: str | None = None,
    manager_number: str | None = None,
    start_date: date,
    end_date: date | None = None,
) -> Employee:
    """A new employee in a department, optionally with position and manager."""
    _require_hr(principal)
    if db.scalar(select(Employee.id).where(Employee.number == number)):
        raise Conflict(
            N_("Employee number {number} is taken: each employee needs a unique number."), number=number
        )
    _check_dates(number, start_date, end_date)
    dept = get_department_by_code(db, department_code)
    pos = get_position_by_code(db, position_code) if position_code else None
    manager = _employee_by_number(db, manager_number)
    emp = Employee(
        number=number,
        name=name,
        email=email,
        department=dept,
        position=pos,
        manager=manager,
        start_date=start_date,
        end_date=end_date,
    )
    db.add(emp)
    db.flush()
    audit.record(
        db,
        principal.actor,
        action="create",
        entity="employee",
        entity_id=number,
        changes={
            "name": (None, name),
            "email": (None, email),
            "department": (None, department_code),
            "position": (None, position_code),
            "manager": (None, manager_number),
            "start_date": (None, start_date),
            "end_date": (None, end_date),
        },
    )
    return emp


def update_employee(
    db: Session,
    principal: Principal,
    emp: Employee,
    *,
    version: int,
    reason: str | None = None,
    **fields: Any,
) -> Employee:
    """Change an employee's record; every changed field is audited with the reason."""
    _require_hr(principal)
    check_version(emp, version, emp.number)
    changes: dict[str, tuple[Any, Any]] = {}
    if fields.get("department_code"):
        dept = get_department_by_code(db, fields["department_code"])
        if dept.id != emp.department_id:
            changes["department"] = (emp.department.code, dept.code)
            emp.department = dept
    if "position_code" in fields:
        pos = get_position_by_code(db, fields["position_code"]) if fields["position_code"] else None
        old = emp.position.code if emp.position else None
        if old != (pos.code if pos else None):
            changes["position"] = (old, pos.code if pos else None)
            emp.position = pos
    if "manager_number" in fields:
        manager = _employee_by_number(db, fields["manager_number"])
        check_manager_chain(db, emp, manager)
        old = emp.manager.number if emp.manager else None
        if old != (manager.number if manager else None):
            changes["manager"] = (old, manager.number if manager else None)
            emp.manager = manager
    plain = {k: v for k, v in fields.items() if k in ("name", "email", "start_date") and v is not None}
    if "end_date" in fields:
        plain["end_date"] = fields["end_date"]
    _check_dates(emp.number, plain.get("start_date", emp.start_date), plain.get("end_date", emp.end_date))
    changes.update(audit.apply(emp, plain))
    db.flush()
    audit.record(
        db,
        principal.actor,
        action="update",
        entity="employee",
        entity_id=emp.number,
        changes=changes,
        reason=reason,
    )
    return emp
