"""Record scope: the one place that decides which records a principal may see.

Every list, export, single-record view and API endpoint filters with these functions, so a
rule changes here or nowhere:
- employee: their own record;
- manager: their own department's subtree, plus everyone who reports to them (directly or
  through others), wherever those people sit;
- hr, executive, admin: everything; auditor: everything, read-only (enforced on writes).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, false, literal, select, true
from sqlalchemy.orm import Session

from northstar.errors import N_, Forbidden
from northstar.org.models import Department, Employee
from northstar.security.models import Role
from northstar.security.principal import ALL_SCOPE_ROLES, DESIGN_ROLES, Principal


def department_subtree(root_ids: Any, name: str = "dept_tree") -> Any:
    """A recursive CTE of the ids of ``root_ids``'s departments and all their descendants.

    ``name`` names the CTE; two subtrees in one statement need two names."""
    base = select(Department.id.label("id")).where(Department.id.in_(root_ids))
    tree = base.cte(name, recursive=True)
    tree = tree.union_all(select(Department.id).where(Department.parent_id == tree.c.id))
    return select(tree.c.id)


def reports_of(employee_id: int) -> Any:
    """A recursive CTE of the ids of everyone reporting to ``employee_id``, at any depth."""
    base = select(Employee.id.label("id")).where(Employee.manager_id == employee_id)
    chain = base.cte("report_chain", recursive=True)
    chain = chain.union_all(select(Employee.id).where(Employee.manager_id == chain.c.id))
    return select(chain.c.id)


def employee_filter(principal: Principal) -> ColumnElement[bool]:
    """The WHERE clause limiting ``Employee`` rows to what ``principal`` may see."""
    if principal.role in ALL_SCOPE_ROLES:
        return true()
    if principal.employee_id is None:
        return false()
    me = Employee.id == principal.employee_id
    if principal.role is Role.manager:
        own_dept = select(Employee.department_id).where(Employee.id == principal.employee_id)
        return (
            me
            | Employee.department_id.in_(department_subtree(own_dept))
            | Employee.id.in_(reports_of(principal.employee_id))
        )
    return me


def department_filter(principal: Principal) -> ColumnElement[bool]:
    """Departments and positions are the company's shared structure: every signed-in role sees
    the whole tree (people need it to find who serves whom). Personal data stays behind
    ``employee_filter``."""
    return literal(True)


_FILTERS: dict[type, Callable[[Principal], ColumnElement[bool]]] = {
    Employee: employee_filter,
    Department: department_filter,
}


def filter_for(principal: Principal, entity: type) -> ColumnElement[bool]:
    """The scope WHERE clause for ``entity``; other domains register theirs with ``register``."""
    return _FILTERS[entity](principal)


def register(entity: type, fn: Callable[[Principal], ColumnElement[bool]]) -> None:
    _FILTERS[entity] = fn


def can_see_employee(db: Session, principal: Principal, employee_id: int) -> bool:
    return (
        db.scalar(select(Employee.id).where(Employee.id == employee_id, employee_filter(principal)))
        is not None
    )


def manages_department(db: Session, principal: Principal, department_id: int) -> bool:
    """Whether a manager's own department subtree holds ``department_id`` (their declarations to edit)."""
    if principal.role is not Role.manager or principal.employee_id is None:
        return False
    own = select(Employee.department_id).where(Employee.id == principal.employee_id)
    return (
        db.scalar(select(literal(department_id)).where(literal(department_id).in_(department_subtree(own))))
        is not None
    )


def require_department_editor(db: Session, principal: Principal, department_id: int) -> None:
    """Designers (HR, executives, admin) edit any department's declarations; a manager their own."""
    if principal.role in DESIGN_ROLES or manages_department(db, principal, department_id):
        return
    raise Forbidden(
        N_("You may change the declarations of your own department only (your role: {role})."),
        role=principal.role.value,
    )
