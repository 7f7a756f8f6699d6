"""JSON API for the workspace file: export the design as xlsx, import it all or nothing."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi.responses import Response

from northstar.tabular import check_size
from northstar.web.deps import DB, AppSettings, CurrentPrincipal, Tr, Writer
from northstar.workspace import service
from northstar.workspace.parts import select_parts

router = APIRouter(tags=["workspace file"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PartKey = Literal["customers", "strategy", "journey"]


def xlsx_response(content: bytes, filename: str) -> Response:
    return Response(
        content, media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )


@router.get("/workspace/export")
def export_workspace(
    db: DB, principal: CurrentPrincipal, t: Tr, part: Annotated[list[PartKey] | None, Query()] = None
) -> Response:
    """The customer value design as one xlsx (or only the named parts), in the shape the import reads."""
    content = service.export_workbook(db, select_parts(part), locale=t.locale)
    return xlsx_response(content, f"northstar-{'-'.join(part) if part else 'design'}.xlsx")


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
