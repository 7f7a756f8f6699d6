"""HTML pages for the organisation."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from northstar import audit
from northstar.errors import ValidationFailed
from northstar.org import io as org_io
from northstar.org import service
from northstar.org.models import DepartmentKind
from northstar.org.routes import export_response
from northstar.security.principal import HR_ROLES
from northstar.tabular import check_size
from northstar.web.deps import DB, AppSettings, CurrentPrincipal, Tr, Writer
from northstar.web.templating import render

router = APIRouter(prefix="/org", include_in_schema=False)
PAGE_SIZE = 50


@router.get("/departments")
def departments(request: Request, db: DB, principal: CurrentPrincipal) -> Response:
    nodes = service.flatten(service.department_tree(db, principal))
    return render(
        request,
        "org/departments.html",
        {"nodes": nodes, "kinds": list(DepartmentKind), "can_edit": principal.role in HR_ROLES},
        active="org",
    )


@router.post("/departments")
def department_create(
    db: DB,
    principal: Writer,
    code: Annotated[str, Form()],
    name: Annotated[str, Form()],
    kind: Annotated[DepartmentKind, Form()],
    name_en: Annotated[str, Form()] = "",
    parent_code: Annotated[str, Form()] = "",
) -> Response:
    dept = service.create_department(
        db,
        principal,
        code=code.strip(),
        name=name.strip(),
        name_en=name_en.strip(),
        kind=kind,
        parent_code=parent_code or None,
    )
    return RedirectResponse(f"/org/departments/{dept.id}", status_code=303)


@router.get("/departments/{department_id}")
def department_detail(request: Request, db: DB, principal: CurrentPrincipal, department_id: int) -> Response:
    dept = service.get_department(db, principal, department_id=department_id)
    people, total = service.get_employees(
        db, principal, department_id=dept.id, active_on=date.today(), limit=500
    )
    positions = service.get_all_positions(db, principal, department_id=dept.id)
    departments = service.get_all_departments(db, principal)
    children = [d for d in departments if d.parent_id == dept.id]
    return render(
        request,
        "org/department.html",
        {
            "dept": dept,
            "people": people,
            "total": total,
            "positions": positions,
            "children": children,
            "kinds": list(DepartmentKind),
            "can_edit": principal.role in HR_ROLES,
            "departments": departments,
        },
        active="org",
    )


@router.post("/departments/{department_id}")
def department_update(
    db: DB,
    principal: Writer,
    department_id: int,
    version: Annotated[int, Form()],
    name: Annotated[str, Form()],
    kind: Annotated[DepartmentKind, Form()],
    name_en: Annotated[str, Form()] = "",
    parent_code: Annotated[str, Form()] = "",
    head_number: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    dept = service.get_department(db, principal, department_id=department_id)
    service.update_department(
        db,
        principal,
        dept,
        version=version,
        reason=reason or None,
        name=name.strip(),
        name_en=name_en.strip(),
        kind=kind,
        parent_code=parent_code or None,
        head_number=head_number.strip() or None,
    )
    return RedirectResponse(f"/org/departments/{dept.id}", status_code=303)


@router.get("/positions")
def positions(request: Request, db: DB, principal: CurrentPrincipal) -> Response:
    return render(
        request,
        "org/positions.html",
        {
            "positions": service.get_all_positions(db, principal),
            "can_edit": principal.role in HR_ROLES,
            "departments": service.get_all_departments(db, principal),
        },
        active="org",
    )


@router.post("/positions")
def position_create(
    db: DB,
    principal: Writer,
    code: Annotated[str, Form()],
    name: Annotated[str, Form()],
    department_code: Annotated[str, Form()],
    name_en: Annotated[str, Form()] = "",
) -> Response:
    service.create_position(
        db,
        principal,
        code=code.strip(),
        name=name.strip(),
        name_en=name_en.strip(),
        department_code=department_code,
    )
    return RedirectResponse("/org/positions", status_code=303)


@router.get("/employees")
def employees(
    request: Request,
    db: DB,
    principal: CurrentPrincipal,
    q: str | None = None,
    department: Annotated[str | None, Query(alias="department_id")] = None,
    page: Annotated[int, Query(ge=1)] = 1,
) -> Response:
    # The filter form sends department_id="" for "all departments".
    department_id = int(department) if department and department.isdigit() else None
    rows, total = service.get_employees(
        db, principal, q=q, department_id=department_id, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE
    )
    ctx = {
        "rows": rows,
        "total": total,
        "q": q or "",
        "page": page,
        "pages": max(1, -(-total // PAGE_SIZE)),
        "department_id": department_id,
        "departments": service.get_all_departments(db, principal),
        "can_edit": principal.role in HR_ROLES,
    }
    # htmx asks for the table alone when the search box changes
    template = "org/_employee_table.html" if request.headers.get("hx-request") else "org/employees.html"
    return render(request, template, ctx, active="people")


@router.get("/employees/new")
def employee_new(request: Request, db: DB, principal: Writer) -> Response:
    principal.require(*HR_ROLES)
    return render(
        request,
        "org/employee_form.html",
        {
            "emp": None,
            "departments": service.get_all_departments(db, principal),
            "positions": service.get_all_positions(db, principal),
            "today": date.today(),
        },
        active="people",
    )


@router.post("/employees/new")
def employee_create(
    db: DB,
    principal: Writer,
    number: Annotated[str, Form()],
    name: Annotated[str, Form()],
    department_code: Annotated[str, Form()],
    start_date: Annotated[date, Form()],
    email: Annotated[str, Form()] = "",
    position_code: Annotated[str, Form()] = "",
    manager_number: Annotated[str, Form()] = "",
    end_date: Annotated[date | None, Form()] = None,
) -> Response:
    emp = service.create_employee(
        db,
        principal,
        number=number.strip(),
        name=name.strip(),
        email=email.strip(),
        department_code=department_code,
        position_code=position_code or None,
        manager_number=manager_number.strip() or None,
        start_date=start_date,
        end_date=end_date,
    )
    return RedirectResponse(f"/org/employees/{emp.id}", status_code=303)


@router.get("/employees/{employee_id}")
def employee_detail(request: Request, db: DB, principal: CurrentPrincipal, employee_id: int) -> Response:
    emp = service.get_employee(db, principal, employee_id=employee_id)
    history: list[audit.AuditLog] = []
    if principal.role in (*HR_ROLES, principal.role.auditor):
        history, _ = audit.search(db, entity="employee", entity_id=emp.number, limit=20)
    return render(
        request,
        "org/employee.html",
        {
            "emp": emp,
            "reports": service.direct_reports(db, principal, emp),
            "history": history,
            "is_me": emp.id == principal.employee_id,
            "can_edit": principal.role in HR_ROLES,
            "departments": service.get_all_departments(db, principal),
            "positions": service.get_all_positions(db, principal),
            "today": date.today(),
        },
        active="people",
    )


@router.post("/employees/{employee_id}")
def employee_update(
    db: DB,
    principal: Writer,
    employee_id: int,
    version: Annotated[int, Form()],
    name: Annotated[str, Form()],
    department_code: Annotated[str, Form()],
    start_date: Annotated[date, Form()],
    email: Annotated[str, Form()] = "",
    position_code: Annotated[str, Form()] = "",
    manager_number: Annotated[str, Form()] = "",
    end_date: Annotated[date | None, Form()] = None,
    reason: Annotated[str, Form()] = "",
) -> Response:
    emp = service.get_employee(db, principal, employee_id=employee_id)
    service.update_employee(
        db,
        principal,
        emp,
        version=version,
        reason=reason or None,
        name=name.strip(),
        email=email.strip(),
        department_code=department_code,
        position_code=position_code or None,
        manager_number=manager_number.strip() or None,
        start_date=start_date,
        end_date=end_date,
    )
    return RedirectResponse(f"/org/employees/{emp.id}", status_code=303)


@router.get("/export")
def export(
    db: DB, principal: CurrentPrincipal, t: Tr, format: str = "xlsx", sheet: str = "employees"
) -> Response:
    return export_response(
        db,
        principal,
        t.locale,
        "csv" if format == "csv" else "xlsx",
        sheet if sheet in ("departments", "positions") else "employees",
    )


@router.get("/import")
def import_page(request: Request, principal: Writer) -> Response:
    principal.require(*HR_ROLES)
    return render(request, "org/import.html", {"report": None, "error": None}, active="org")


@router.post("/import")
async def import_upload(
    request: Request,
    db: DB,
    principal: Writer,
    settings: AppSettings,
    t: Tr,
    file: Annotated[UploadFile, File()],
    sheet: Annotated[str, Form()] = "employees",
    reason: Annotated[str, Form()] = "",
) -> Response:
    content = await file.read()
    try:
        check_size(content, settings.upload_max_bytes)
        report = org_io.import_organisation(
            db,
            principal,
            filename=file.filename or "upload",
            content=content,
            csv_sheet=sheet,
            reason=reason or None,
        )
    except ValidationFailed as exc:
        # The page shows the whole error report next to the form; the status keeps the
        # transaction rolled back, so nothing of the file is stored.
        problems = [
            {"sheet": p.sheet, "row": p.row, "field": p.field, "message": t.gettext(p.message, **p.params)}
            for p in exc.problems
        ]
        return render(
            request,
            "org/import.html",
            {
                "report": None,
                "error": t.gettext(exc.message, **exc.params),
                "problems": problems,
                "filename": file.filename,
            },
            status_code=exc.status,
            active="org",
        )
    return render(
        request, "org/import.html", {"report": report, "error": None, "filename": file.filename}, active="org"
    )
