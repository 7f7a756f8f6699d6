"""JSON API for journeys (S3.1, S3.2), processes (S3.3) and the responsibility map (S3.4)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from northstar.customers import service as customers
from northstar.journey import service
from northstar.journey.models import JourneyStage, Process, SharedIndicator, Touchpoint
from northstar.journey.schemas import (
    CellOut,
    JourneyOut,
    MapRowOut,
    ProcessIn,
    ProcessOut,
    ResponsibilityIn,
    SharedIndicatorIn,
    SharedIndicatorOut,
    ShareIO,
    StageIn,
    StageOut,
    StepOut,
    TouchpointIn,
    TouchpointOut,
    TouchpointUpdate,
)
from northstar.org import service as org
from northstar.web.deps import DB, CurrentPrincipal, Tr, Writer

router = APIRouter(tags=["customer journey"])


def touchpoint_out(tp: Touchpoint) -> TouchpointOut:
    return TouchpointOut(
        id=tp.id,
        name=tp.name,
        name_en=tp.name_en,
        moment_of_truth=tp.moment_of_truth,
        driver=tp.driver_code,
        description=tp.description,
    )


def stage_out(s: JourneyStage) -> StageOut:
    return StageOut(
        id=s.id,
        code=s.code,
        name=s.name,
        name_en=s.name_en,
        position=s.position,
        touchpoints=[touchpoint_out(tp) for tp in s.touchpoints],
    )


def process_out(p: Process) -> ProcessOut:
    return ProcessOut(
        id=p.id,
        code=p.code,
        name=p.name,
        name_en=p.name_en,
        description=p.description,
        owner_department_code=p.owner_department.code if p.owner_department else None,
        steps=[
            StepOut(
                position=s.position,
                name=s.name,
                name_en=s.name_en,
                department=s.department.code,
                department_code=s.department.code,
                stage_id=s.stage_id,
                touchpoint_ids=[t.id for t in s.touchpoints],
            )
            for s in p.steps
        ],
        version=p.version,
    )


def shared_out(s: SharedIndicator, locale: str) -> SharedIndicatorOut:
    return SharedIndicatorOut(
        id=s.id,
        touchpoint_id=s.touchpoint_id,
        touchpoint=s.touchpoint.label(locale),
        name=s.label(locale),
        indicator_code=s.indicator_code,
        shares=[ShareIO(department=x.department.code, share=x.share) for x in s.shares],
        version=s.version,
    )


@router.get("/journey", response_model=JourneyOut)
def get_journey(db: DB, principal: CurrentPrincipal, segment_id: int | None = None) -> JourneyOut:
    """The journey a segment follows (its own, or the company's), with touchpoints per stage."""
    seg = customers.get_segment(db, segment_id=segment_id) if segment_id else None
    stages, own = service.stages_for(db, seg)
    return JourneyOut(segment_code=seg.code if seg else None, own=own, stages=[stage_out(s) for s in stages])


@router.post("/journey/default", response_model=JourneyOut, status_code=201)
def create_default_journey(db: DB, principal: Writer) -> JourneyOut:
    """Create the company journey from the method's seven default stages (no-op when it exists)."""
    return JourneyOut(
        segment_code=None,
        own=True,
        stages=[stage_out(s) for s in service.create_default_journey(db, principal)],
    )


@router.post("/journey/stages", response_model=StageOut, status_code=201)
def add_stage(body: StageIn, db: DB, principal: Writer) -> StageOut:
    """Add a stage; for a segment that follows the company journey, it first gets its own copy."""
    seg = customers.get_segment(db, segment_id=body.segment_id) if body.segment_id else None
    after = service.get_stage(db, body.after_stage_id) if body.after_stage_id else None
    return stage_out(
        service.add_stage(db, principal, segment=seg, name=body.name, name_en=body.name_en, after=after)
    )


@router.delete("/journey/stages/{stage_id}", status_code=204)
def delete_stage(stage_id: int, db: DB, principal: Writer) -> Response:
    service.delete_stage(db, principal, service.get_stage(db, stage_id))
    return Response(status_code=204)


@router.post("/journey/stages/{stage_id}/touchpoints", response_model=TouchpointOut, status_code=201)
def add_touchpoint(stage_id: int, body: TouchpointIn, db: DB, principal: Writer) -> TouchpointOut:
    """Add a key experience point to a stage; flag the moments of truth (S3.2)."""
    stage = service.get_stage(db, stage_id)
    return touchpoint_out(
        service.add_touchpoint(
            db,
            principal,
            stage,
            name=body.name,
            name_en=body.name_en,
            moment_of_truth=body.moment_of_truth,
            driver_code=body.driver,
            description=body.description,
        )
    )


@router.patch("/touchpoints/{touchpoint_id}", response_model=TouchpointOut)
def update_touchpoint(touchpoint_id: int, body: TouchpointUpdate, db: DB, principal: Writer) -> TouchpointOut:
    tp = service.get_touchpoint(db, touchpoint_id)
    fields = body.model_dump(exclude_unset=True, exclude={"reason", "driver"})
    if "driver" in body.model_fields_set:
        fields["driver_code"] = body.driver
    return touchpoint_out(service.update_touchpoint(db, principal, tp, reason=body.reason, **fields))


@router.delete("/touchpoints/{touchpoint_id}", status_code=204)
def delete_touchpoint(touchpoint_id: int, db: DB, principal: Writer) -> Response:
    service.delete_touchpoint(db, principal, service.get_touchpoint(db, touchpoint_id))
    return Response(status_code=204)


@router.get("/processes", response_model=list[ProcessOut])
def list_processes(db: DB, principal: CurrentPrincipal) -> list[ProcessOut]:
    """End-to-end processes with their ordered steps (S3.3)."""
    return [process_out(p) for p in service.get_all_processes(db)]


@router.get("/processes/{process_id}", response_model=ProcessOut)
def get_process(process_id: int, db: DB, principal: CurrentPrincipal) -> ProcessOut:
    return process_out(service.get_process(db, process_id))


@router.put("/processes/{code}", response_model=ProcessOut)
def save_process(code: str, body: ProcessIn, db: DB, principal: Writer) -> ProcessOut:
    """Create or replace a process by code; every step names its owning department."""
    steps = [
        service.StepIn(
            name=s.name,
            name_en=s.name_en,
            department=s.department,
            stage_id=s.stage_id,
            touchpoint_ids=tuple(s.touchpoint_ids),
        )
        for s in body.steps
    ]
    return process_out(
        service.save_process(
            db,
            principal,
            code=code,
            name=body.name,
            name_en=body.name_en,
            description=body.description,
            owner_department=body.owner_department,
            steps=steps,
            version=body.version,
            reason=body.reason,
        )
    )


@router.get("/responsibility", response_model=list[MapRowOut])
def get_map(db: DB, principal: CurrentPrincipal, t: Tr, segment_id: int | None = None) -> list[MapRowOut]:
    """The journey × department map: for each touchpoint, who is responsible and who contributes (S3.4)."""
    seg = customers.get_segment(db, segment_id=segment_id) if segment_id else None
    grid = service.responsibility_map(db, seg)
    code = {d.id: d.code for d in grid.departments}
    return [
        MapRowOut(
            stage=r.touchpoint.stage.label(t.locale),
            stage_code=r.touchpoint.stage.code,
            touchpoint_id=r.touchpoint.id,
            touchpoint=r.touchpoint.label(t.locale),
            moment_of_truth=r.touchpoint.moment_of_truth,
            departments=[
                CellOut(department_code=code[d], role=role)
                for d, role in sorted(r.roles.items(), key=lambda x: code[x[0]])
            ],
        )
        for r in grid.rows
    ]


@router.put("/responsibility", status_code=204)
def set_responsibility(body: ResponsibilityIn, db: DB, principal: Writer) -> Response:
    """Set one cell of the map (responsible / contributes / null to clear)."""
    tp = service.get_touchpoint(db, body.touchpoint_id)
    dept = org.get_department_by_code(db, body.department_code)
    service.set_responsibility(db, principal, tp, dept, body.role, reason=body.reason)
    return Response(status_code=204)


@router.get("/shared-indicators", response_model=list[SharedIndicatorOut])
def list_shared(db: DB, principal: CurrentPrincipal, t: Tr) -> list[SharedIndicatorOut]:
    """Adopted shared (cross-department) indicators with each department's share."""
    return [shared_out(s, t.locale) for s in service.shared_indicators(db)]


@router.get("/shared-indicators/proposals", response_model=list[SharedIndicatorOut])
def list_proposals(
    db: DB, principal: CurrentPrincipal, t: Tr, segment_id: int | None = None
) -> list[SharedIndicatorOut]:
    """Proposed shared indicators for touchpoints several departments answer for; shares sum to 100%."""
    seg = customers.get_segment(db, segment_id=segment_id) if segment_id else None
    return [
        SharedIndicatorOut(
            id=None,
            touchpoint_id=p.touchpoint.id,
            touchpoint=p.touchpoint.label(t.locale),
            name=p.name(t.locale),
            indicator_code=p.indicator.code if p.indicator else None,
            shares=[ShareIO(department=s.department.code, share=s.share) for s in p.shares],
            version=None,
        )
        for p in service.shared_proposals(db, seg)
    ]


@router.put("/touchpoints/{touchpoint_id}/shared-indicator", response_model=SharedIndicatorOut)
def save_shared(
    touchpoint_id: int, body: SharedIndicatorIn, db: DB, principal: Writer, t: Tr
) -> SharedIndicatorOut:
    """Adopt or change the shared indicator of a touchpoint; the shares must sum to 100%."""
    tp = service.get_touchpoint(db, touchpoint_id)
    shared = service.save_shared_indicator(
        db,
        principal,
        tp,
        name=body.name,
        name_en=body.name_en,
        indicator_code=body.indicator_code,
        shares=[(s.department, s.share) for s in body.shares],
        version=body.version,
        reason=body.reason,
    )
    return shared_out(shared, t.locale)
