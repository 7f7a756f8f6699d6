"""JSON API for the workspace file: export the design as xlsx, import it all or nothing."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi.responses import Response

from northstar.security.principal import DESIGN_ROLES, Role
from northstar.tabular import check_size
from northstar.web.deps import DB, AppSettings, CurrentPrincipal, Tr, Writer
from northstar.web.downloads import attachment
from northstar.workspace import design_file, service
from northstar.workspace.document import json_schema
from northstar.workspace.parts import select_parts

router = APIRouter(tags=["workspace file"])
PartKey = Literal["customers", "strategy", "journey"]


@router.get("/workspace/export")
def export_workspace(
    db: DB, principal: CurrentPrincipal, t: Tr, part: Annotated[list[PartKey] | None, Query()] = None
) -> Response:
    """The customer value design as one xlsx (or only the named parts), in the shape the import reads."""
    content = service.export_workbook(db, select_parts(part), locale=t.locale)
    return attachment(content, f"northstar-{'-'.join(part) if part else 'design'}.xlsx")


@router.post("/workspace/import", response_model=service.ImportCounts)
async def import_workspace(
    db: DB,
    principal: Writer,
    settings: AppSettings,
    file: Annotated[UploadFile, File()],
    sheet: Annotated[str | None, Form()] = None,
) -> service.ImportCounts:
    """Import a design workbook (or one CSV table named by ``sheet``). Every row of every sheet is
    checked; any problem imports nothing and lists every row at fault with its fix."""
    content = await file.read()
    check_size(content, settings.upload_max_bytes)
    return service.import_workbook(
        db,
        principal,
        select_parts(None),
        filename=file.filename or "upload",
        content=content,
        csv_sheet=sheet,
    )


# --- the workspace file (YAML): the whole design, customers to personal scorecards -------------

YAML = "application/yaml"


@router.get("/workspace/schema.json")
def workspace_schema() -> dict[str, Any]:
    """The published JSON Schema of the workspace file."""
    return json_schema()


@router.get("/workspace/design.yaml")
def export_design_file(db: DB, principal: CurrentPrincipal) -> Response:
    """The whole design as one YAML workspace file (organisation referenced by code)."""
    principal.require(*DESIGN_ROLES, Role.auditor)
    return attachment(design_file.export_text(db), "northstar-workspace.yaml", YAML)


@router.post("/workspace/design/validate")
async def validate_design_file(
    db: DB, principal: Writer, settings: AppSettings, file: Annotated[UploadFile, File()]
) -> dict[str, str]:
    """Check a workspace file against this database without keeping anything: 422 lists every problem."""
    content = await file.read()
    check_size(content, settings.upload_max_bytes)
    design_file.validate_text(db, principal, content)
    return {"status": "valid"}


@router.post("/workspace/design", status_code=201)
async def import_design_file(
    db: DB, principal: Writer, settings: AppSettings, file: Annotated[UploadFile, File()]
) -> dict[str, int]:
    """Import a workspace file into a database that holds the organisation but no design; all or nothing."""
    content = await file.read()
    check_size(content, settings.upload_max_bytes)
    return design_file.import_text(db, principal, content)
