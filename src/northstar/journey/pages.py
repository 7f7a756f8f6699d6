"""HTML pages: the journey with its touchpoints, end-to-end processes, and the journey ×
department responsibility map with its shared-indicator proposals."""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from northstar import catalogue
from northstar.customers import service as customers
from northstar.customers.models import Segment
from northstar.errors import N_, Problem, ValidationFailed
from northstar.journey import service
from northstar.journey.models import ResponsibilityRole
from northstar.org import service as org
from northstar.security.principal import DESIGN_ROLES
from northstar.web.deps import DB, CurrentPrincipal, Tr, Writer
from northstar.web.templating import render

router = APIRouter(include_in_schema=False)


def _segment(db: DB, segment_id: str | int | None) -> Segment | None:
    if segment_id in (None, ""):
        return None
    return customers.get_segment(db, segment_id=int(segment_id))


def _journey_url(segment_id: int | None) -> str:
    return f"/journey?segment_id={segment_id}" if segment_id else "/journey"


@router.get("/journey")
def journey_page(request: Request, db: DB, principal: CurrentPrincipal, segment_id: str = "") -> Response:
    seg = _segment(db, segment_id)
    stages, own = service.stages_for(db, seg)
    return render(
        request,
        "journey/journey.html",
        {
            "seg": seg,
            "stages": stages,
            "own": own,
            "segments": customers.get_all_segments(db),
            "drivers": catalogue.value_drivers(),
            "driver": catalogue.value_driver,
            "can_design": principal.role in DESIGN_ROLES,
        },
        active="value",
    )


@router.post("/journey/default")
def journey_default(db: DB, principal: Writer) -> Response:
    service.create_default_journey(db, principal)
    return RedirectResponse("/journey", status_code=303)


@router.post("/journey/customise")
def journey_customise(db: DB, principal: Writer, segment_id: Annotated[int, Form()]) -> Response:
    seg = customers.get_segment(db, segment_id=segment_id)
    service.customise_for_segment(db, principal, seg)
    return RedirectResponse(_journey_url(seg.id), status_code=303)


@router.post("/journey/stages")
def stage_add(
    db: DB,
    principal: Writer,
    name: Annotated[str, Form()],
    name_en: Annotated[str, Form()] = "",
    segment_id: Annotated[str, Form()] = "",
) -> Response:
    seg = _segment(db, segment_id)
    service.add_stage(db, principal, segment=seg, name=name, name_en=name_en)
    return RedirectResponse(_journey_url(seg.id if seg else None), status_code=303)


@router.post("/journey/stages/{stage_id}")
def stage_update(
    db: DB,
    principal: Writer,
    stage_id: int,
    name: Annotated[str, Form()],
    name_en: Annotated[str, Form()] = "",
) -> Response:
    stage = service.get_stage(db, stage_id)
    service.update_stage(db, principal, stage, name=name, name_en=name_en)
    return RedirectResponse(_journey_url(stage.segment_id), status_code=303)


@router.post("/journey/stages/{stage_id}/move")
def stage_move(db: DB, principal: Writer, stage_id: int, offset: Annotated[int, Form()]) -> Response:
    stage = service.get_stage(db, stage_id)
    service.move_stage(db, principal, stage, offset=1 if offset > 0 else -1)
    return RedirectResponse(_journey_url(stage.segment_id), status_code=303)


@router.post("/journey/stages/{stage_id}/delete")
def stage_delete(db: DB, principal: Writer, stage_id: int) -> Response:
    stage = service.get_stage(db, stage_id)
    segment_id = stage.segment_id
    service.delete_stage(db, principal, stage)
    return RedirectResponse(_journey_url(segment_id), status_code=303)


@router.post("/journey/stages/{stage_id}/touchpoints")
def touchpoint_add(
    db: DB,
    principal: Writer,
    stage_id: int,
    name: Annotated[str, Form()],
    name_en: Annotated[str, Form()] = "",
    moment_of_truth: Annotated[bool, Form()] = False,
    driver_code: Annotated[str, Form()] = "",
) -> Response:
    stage = service.get_stage(db, stage_id)
    service.add_touchpoint(
        db,
        principal,
        stage,
        name=name,
        name_en=name_en,
        moment_of_truth=moment_of_truth,
        driver_code=driver_code or None,
    )
    return RedirectResponse(_journey_url(stage.segment_id) + f"#stage-{stage.id}", status_code=303)


@router.post("/journey/touchpoints/{touchpoint_id}")
def touchpoint_update(
    db: DB,
    principal: Writer,
    touchpoint_id: int,
    name: Annotated[str, Form()],
    name_en: Annotated[str, Form()] = "",
    moment_of_truth: Annotated[bool, Form()] = False,
    driver_code: Annotated[str, Form()] = "",
) -> Response:
    tp = service.get_touchpoint(db, touchpoint_id)
    service.update_touchpoint(
        db,
        principal,
        tp,
        name=name.strip(),
        name_en=name_en.strip(),
        moment_of_truth=moment_of_truth,
        driver_code=driver_code or None,
    )
    return RedirectResponse(_journey_url(tp.stage.segment_id) + f"#stage-{tp.stage_id}", status_code=303)


@router.post("/journey/touchpoints/{touchpoint_id}/delete")
def touchpoint_delete(db: DB, principal: Writer, touchpoint_id: int) -> Response:
    tp = service.get_touchpoint(db, touchpoint_id)
    segment_id = tp.stage.segment_id
    service.delete_touchpoint(db, principal, tp)
    return RedirectResponse(_journey_url(segment_id), status_code=303)


@router.get("/processes")
def processes(request: Request, db: DB, principal: CurrentPrincipal) -> Response:
    return render(
        request,
        "journey/processes.html",
        {"processes": service.get_all_processes(db), "can_design": principal.role in DESIGN_ROLES},
        active="value",
    )


def _process_form_ctx(db: DB, principal: CurrentPrincipal) -> dict[str, object]:
    stages = service.company_stages(db)
    return {
        "departments": org.get_all_departments(db, principal),
        "stages": stages,
        "touchpoints": [tp for s in stages for tp in s.touchpoints],
        "can_design": principal.role in DESIGN_ROLES,
    }


@router.get("/processes/new")
def process_new(request: Request, db: DB, principal: Writer) -> Response:
    principal.require(*DESIGN_ROLES)
    ctx = _process_form_ctx(db, principal) | {"proc": None, "blank_rows": 6}
    return render(request, "journey/process.html", ctx, active="value")


@router.get("/processes/{process_id}")
def process_detail(request: Request, db: DB, principal: CurrentPrincipal, process_id: int) -> Response:
    proc = service.get_process(db, process_id)
    ctx = _process_form_ctx(db, principal) | {"proc": proc, "blank_rows": 2}
    return render(request, "journey/process.html", ctx, active="value")


@router.post("/processes")
async def process_save(request: Request, db: DB, principal: Writer) -> Response:
    """One form for a new or changed process: step rows come as parallel lists; each row's
    touchpoints as ``touchpoints-<row>`` checkboxes."""
    form = await request.form()

    def values(key: str) -> list[str]:
        return [str(v) for v in form.getlist(key)]

    steps: list[service.StepIn] = []
    names, names_en, depts, stages = (
        values("step_name"),
        values("step_name_en"),
        values("department"),
        values("stage_id"),
    )
    for idx, (name, dept) in enumerate(zip(names, depts, strict=False)):
        if not name.strip() and not dept.strip():
            continue
        row = values("row")[idx] if idx < len(values("row")) else str(idx)
        steps.append(
            service.StepIn(
                name=name,
                name_en=names_en[idx] if idx < len(names_en) else "",
                department=dept,
                stage_id=int(stages[idx]) if idx < len(stages) and stages[idx].isdigit() else None,
                touchpoint_ids=tuple(int(v) for v in values(f"touchpoints-{row}") if v.isdigit()),
            )
        )
    version = str(form.get("version") or "")
    proc = service.save_process(
        db,
        principal,
        code=str(form.get("code") or ""),
        name=str(form.get("name") or ""),
        name_en=str(form.get("name_en") or ""),
        description=str(form.get("description") or ""),
        owner_department=str(form.get("owner_department") or "") or None,
        steps=steps,
        version=int(version) if version.isdigit() else None,
        reason=str(form.get("reason") or "") or None,
    )
    return RedirectResponse(f"/processes/{proc.id}", status_code=303)


@router.get("/responsibility")
def responsibility(
    request: Request, db: DB, principal: CurrentPrincipal, t: Tr, segment_id: str = ""
) -> Response:
    seg = _segment(db, segment_id)
    grid = service.responsibility_map(db, seg)
    departments = org.get_all_departments(db, principal)
    return render(
        request,
        "journey/responsibility.html",
        {
            "seg": seg,
            "grid": grid,
            "heatmap": json.dumps(grid.heatmap(t.locale), ensure_ascii=False),
            "legend": json.dumps(
                {"responsible": t.gettext("responsible"), "contributes": t.gettext("contributes")},
                ensure_ascii=False,
            ),
            "departments": departments,
            "segments": customers.get_all_segments(db),
            "proposals": service.shared_proposals(db, seg),
            "shared": service.shared_indicators(db),
            "roles": list(ResponsibilityRole),
            "can_design": principal.role in DESIGN_ROLES,
        },
        active="value",
    )


@router.post("/responsibility/cell")
def responsibility_cell(
    request: Request,
    db: DB,
    principal: Writer,
    touchpoint_id: Annotated[int, Form()],
    department_code: Annotated[str, Form()],
    role: Annotated[str, Form()] = "",
    segment_id: Annotated[str, Form()] = "",
) -> Response:
    tp = service.get_touchpoint(db, touchpoint_id)
    dept = org.get_department_by_code(db, department_code)
    service.set_responsibility(db, principal, tp, dept, ResponsibilityRole(role) if role else None)
    url = "/responsibility" + (f"?segment_id={segment_id}" if segment_id else "") + f"#tp-{tp.id}"
    return RedirectResponse(url, status_code=303)


@router.post("/responsibility/shared/{touchpoint_id}")
async def shared_save(request: Request, db: DB, principal: Writer, touchpoint_id: int) -> Response:
    """Adopt a proposed shared indicator (or change an adopted one) with the shares as edited."""
    form = await request.form()
    tp = service.get_touchpoint(db, touchpoint_id)
    shares: list[tuple[str, Decimal]] = []
    for dept, raw in zip(form.getlist("department"), form.getlist("share"), strict=False):
        try:
            shares.append((str(dept), Decimal(str(raw).strip().rstrip("%") or "0")))
        except InvalidOperation as exc:
            raise ValidationFailed(
                N_('The share "{value}" is not a number: write a percentage such as 40.'),
                problems=[Problem(N_("Write a number."), field="share")],
                value=str(raw),
            ) from exc
    version = str(form.get("version") or "")
    service.save_shared_indicator(
        db,
        principal,
        tp,
        name=str(form.get("name") or ""),
        name_en=str(form.get("name_en") or ""),
        indicator_code=str(form.get("indicator_code") or "") or None,
        shares=shares,
        version=int(version) if version.isdigit() else None,
    )
    return RedirectResponse(f"/responsibility#shared-{tp.id}", status_code=303)
