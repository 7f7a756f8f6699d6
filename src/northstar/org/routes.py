"""JSON API for the organisation. Every read goes through the scope of security/scope.py."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi.responses import Response

from northstar.org import io as org_io
from northstar.org import service
from northstar.org.models import Department, Employee, Position
from northstar.org.schemas import (
    DepartmentIn,
    DepartmentOut,
    DepartmentUpdate,
    EmployeeIn,
    EmployeeOut,
    EmployeeUpdate,
    ImportReport,
    Page,
    PositionIn,
    PositionOut,
)
from northstar.tabular import check_size
from northstar.web.deps import DB, AppSettings, CurrentPrincipal, Tr, Writer
from northstar.web.downloads import XLSX, attachment

router = APIRouter(tags=["organisation"])


def department_out(d: Department) -> DepartmentOut:
    return DepartmentOut(
        id=d.id,
        code=d.code,
        name=d.name,
        name_en=d.name_en,
        kind=d.kind,
        parent_code=d.parent.code if d.parent else None,
        head_number=d.head.number if d.head else None,
        version=d.version,
    )


def position_out(p: Position) -> PositionOut:
    return PositionOut(
        id=p.id,
        code=p.code,
        name=p.name,
        name_en=p.name_en,
        department_code=p.department.code,
        version=p.version,
    )


def employee_out(e: Employee) -> EmployeeOut:
    return EmployeeOut(
        id=e.id,
        number=e.number,
        name=e.name,
        email=e.email,
        department_code=e.department.code,
        position_code=e.position.code if e.position else None,
        manager_number=e.manager.number if e.manager else None,
        start_date=e.start_date,
        end_date=e.end_date,
        version=e.version,
    )


@router.get("/departments", response_model=list[DepartmentOut])
def list_departments(db: DB, principal: CurrentPrincipal) -> list[DepartmentOut]:
    """The department tree as a flat list (each with its parent's code)."""
    return [department_out(d) for d in service.get_all_departments(db, principal)]


@router.get("/departments/{department_id}", response_model=DepartmentOut)
def get_department(department_id: int, db: DB, principal: CurrentPrincipal) -> DepartmentOut:
    return department_out(service.get_department(db, principal, department_id=department_id))


@router.post("/departments", response_model=DepartmentOut, status_code=201)
def create_department(body: DepartmentIn, db: DB, principal: Writer) -> DepartmentOut:
    """Create a department (HR, admin)."""
    return department_out(service.create_department(db, principal, **body.model_dump()))


@router.patch("/departments/{department_id}", response_model=DepartmentOut)
def update_department(department_id: int, body: DepartmentUpdate, db: DB, principal: Writer) -> DepartmentOut:
    """Change a department; send the ``version`` you read, and a reason for the audit trail."""
    dept = service.get_department(db, principal, department_id=department_id)
    fields = body.model_dump(exclude_unset=True, exclude={"version", "reason"})
    return department_out(
        service.update_department(db, principal, dept, version=body.version, reason=body.reason, **fields)
    )


@router.get("/positions", response_model=list[PositionOut])
def list_positions(
    db: DB, principal: CurrentPrincipal, department_id: int | None = None
) -> list[PositionOut]:
    return [position_out(p) for p in service.get_all_positions(db, principal, department_id=department_id)]


@router.post("/positions", response_model=PositionOut, status_code=201)
def create_position(body: PositionIn, db: DB, principal: Writer) -> PositionOut:
    return position_out(service.create_position(db, principal, **body.model_dump()))


@router.get("/employees", response_model=Page[EmployeeOut])
def list_employees(
    db: DB,
    principal: CurrentPrincipal,
    q: str | None = None,
    department_id: int | None = None,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Page[EmployeeOut]:
    """The employees the caller may see: self for an employee, the department subtree and
    reports for a manager, everyone for HR, executives and auditors."""
    rows, total = service.get_employees(
        db, principal, q=q, department_id=department_id, offset=offset, limit=limit
    )
    return Page[EmployeeOut](items=[employee_out(e) for e in rows], total=total, offset=offset, limit=limit)


@router.get("/employees/{employee_id}", response_model=EmployeeOut)
def get_employee(employee_id: int, db: DB, principal: CurrentPrincipal) -> EmployeeOut:
    """One employee; 404 when outside the caller's scope."""
    return employee_out(service.get_employee(db, principal, employee_id=employee_id))


@router.post("/employees", response_model=EmployeeOut, status_code=201)
def create_employee(body: EmployeeIn, db: DB, principal: Writer) -> EmployeeOut:
    return employee_out(service.create_employee(db, principal, **body.model_dump()))


@router.patch("/employees/{employee_id}", response_model=EmployeeOut)
def update_employee(employee_id: int, body: EmployeeUpdate, db: DB, principal: Writer) -> EmployeeOut:
    """Change an employee; send the ``version`` you read, and a reason for the audit trail."""
    emp = service.get_employee(db, principal, employee_id=employee_id)
    fields = body.model_dump(exclude_unset=True, exclude={"version", "reason"})
    return employee_out(
        service.update_employee(db, principal, emp, version=body.version, reason=body.reason, **fields)
    )


EXPORT_TYPES = {"xlsx": XLSX, "csv": "text/csv; charset=utf-8"}


def export_response(db: DB, principal: CurrentPrincipal, locale: str, fmt: str, sheet: str) -> Response:
    if fmt == "xlsx":
        content, filename = org_io.export_xlsx(db, principal, locale=locale), "organisation.xlsx"
    else:
        content, filename = org_io.export_csv(db, principal, sheet=sheet, locale=locale), f"{sheet}.csv"
    return attachment(content, filename, EXPORT_TYPES[fmt])


@router.get("/org/export")
def export_organisation(
    db: DB,
    principal: CurrentPrincipal,
    t: Tr,
    format: Literal["xlsx", "csv"] = "xlsx",
    sheet: Literal["departments", "positions", "employees"] = "employees",
) -> Response:
    """The organisation as xlsx (three sheets) or one CSV table; employees limited to the caller's scope."""
    return export_response(db, principal, t.locale, format, sheet)


@router.post("/org/import", response_model=ImportReport)
async def import_organisation(
    db: DB,
    principal: Writer,
    settings: AppSettings,
    file: Annotated[UploadFile, File()],
    sheet: Annotated[str | None, Form()] = None,
    reason: Annotated[str | None, Form()] = None,
) -> ImportReport:
    """Import departments, positions and employees from xlsx or CSV (UTF-8, UTF-8 BOM, GBK).
    All rows are checked first; any problem imports nothing and lists every row at fault."""
    content = await file.read()
    check_size(content, settings.upload_max_bytes)
    return org_io.import_organisation(
        db, principal, filename=file.filename or "upload", content=content, csv_sheet=sheet, reason=reason
    )
