"""The workspace page: the design as one workbook (download, upload) and as one YAML workspace
file (download, validate, import)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response

from northstar.errors import NorthstarError, ValidationFailed
from northstar.security.principal import DESIGN_ROLES
from northstar.tabular import check_size
from northstar.web.deps import DB, AppSettings, CurrentPrincipal, Tr, Writer
from northstar.web.i18n import Translator
from northstar.web.templating import render
from northstar.workspace import design_file, service
from northstar.workspace.parts import PARTS, select_parts

router = APIRouter(include_in_schema=False)


def _ctx(locale: str) -> dict[str, object]:
    return {
        "parts": [(p.key, [(s.key, s.name(locale)) for s in p.specs]) for p in PARTS],
        "design_result": None,
        "design_error": None,
    }


def _problems(exc: ValidationFailed, t: Translator) -> list[dict[str, object]]:
    return [
        {"sheet": p.sheet, "row": p.row, "field": p.field, "message": t.gettext(p.message, **p.params)}
        for p in exc.problems
    ]


@router.get("/workspace")
def workspace(request: Request, principal: CurrentPrincipal, t: Tr) -> Response:
    ctx = _ctx(t.locale) | {"can_design": principal.role in DESIGN_ROLES, "result": None, "error": None}
    return render(request, "workspace/workspace.html", ctx, active="value")


@router.post("/workspace/import")
async def workspace_import(
    request: Request,
    db: DB,
    principal: Writer,
    settings: AppSettings,
    t: Tr,
    file: Annotated[UploadFile, File()],
    sheet: Annotated[str, Form()] = "",
) -> Response:
    content = await file.read()
    ctx = _ctx(t.locale) | {"can_design": principal.role in DESIGN_ROLES, "filename": file.filename}
    try:
        check_size(content, settings.upload_max_bytes)
        result = service.import_workbook(
            db,
            principal,
            select_parts(None),
            filename=file.filename or "upload",
            content=content,
            csv_sheet=sheet or None,
        )
    except ValidationFailed as exc:
        # the error status rolls the unit of work back: nothing of the file is stored
        ctx |= {"result": None, "error": t.gettext(exc.message, **exc.params), "problems": _problems(exc, t)}
        return render(request, "workspace/workspace.html", ctx, status_code=exc.status, active="value")
    return render(
        request, "workspace/workspace.html", ctx | {"result": result, "error": None}, active="value"
    )


@router.post("/workspace/design")
async def workspace_design(
    request: Request,
    db: DB,
    principal: Writer,
    settings: AppSettings,
    t: Tr,
    file: Annotated[UploadFile, File()],
    mode: Annotated[str, Form()] = "validate",
) -> Response:
    """The YAML workspace file: check it against this database, or import it (all or nothing)."""
    content = await file.read()
    ctx = _ctx(t.locale) | {
        "can_design": principal.role in DESIGN_ROLES,
        "filename": file.filename,
        "result": None,
        "error": None,
    }
    try:
        check_size(content, settings.upload_max_bytes)
        if mode == "import":
            counts = design_file.import_text(db, principal, content)
            done = ", ".join(f"{t.number(n)} {t.gettext(k)}" for k, n in counts.items() if n)
            message = t.gettext("Imported {filename}: {counts}.", filename=file.filename or "", counts=done)
        else:
            design_file.validate_text(db, principal, content)
            message = t.gettext(
                "{filename} is valid: importing it would store it as it is.", filename=file.filename or ""
            )
    except NorthstarError as exc:
        # the error status rolls the unit of work back: nothing of the file is stored
        ctx |= {"design_error": t.gettext(exc.message, **exc.params)}
        if isinstance(exc, ValidationFailed):
            ctx |= {"design_problems": _problems(exc, t)}
        return render(request, "workspace/workspace.html", ctx, status_code=exc.status, active="value")
    return render(request, "workspace/workspace.html", ctx | {"design_result": message}, active="value")
