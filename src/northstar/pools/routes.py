"""JSON API for department KPI pools (candidates so far)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from northstar.customers import service as customers
from northstar.errors import ValidationFailed
from northstar.journey import service as journey
from northstar.org import service as org
from northstar.pools import service
from northstar.pools.models import CandidateSource, KpiCandidate
from northstar.pools.schemas import CandidateIn, CandidateOut, SuggestionPick
from northstar.web.deps import DB, CurrentPrincipal, Writer

router = APIRouter(tags=["KPI pools"])


def candidate_out(c: KpiCandidate) -> CandidateOut:
    return CandidateOut(
        id=c.id,
        department_code=c.department.code,
        name=c.name,
        name_en=c.name_en,
        source=c.source,
        indicator_code=c.indicator_code,
        driver=c.driver_code,
        segment_code=c.proposition.segment.code if c.proposition else None,
        touchpoint_id=c.touchpoint_id,
        stage=c.stage.code if c.stage else None,
        perspective=c.perspective,
        note=c.note,
    )


@router.get("/departments/{department_id}/pool", response_model=list[CandidateOut])
def list_pool(department_id: int, db: DB, principal: CurrentPrincipal) -> list[CandidateOut]:
    """The department's KPI pool candidates (S5.2)."""
    dept = org.get_department(db, principal, department_id=department_id)
    return [candidate_out(c) for c in service.get_candidates(db, dept)]


@router.post("/departments/{department_id}/pool", response_model=CandidateOut, status_code=201)
def add_candidate(department_id: int, body: CandidateIn, db: DB, principal: Writer) -> CandidateOut:
    """Add a candidate of the department's own (tagged with a value driver or a touchpoint)."""
    dept = org.get_department(db, principal, department_id=department_id)
    tp = journey.get_touchpoint(db, body.touchpoint_id) if body.touchpoint_id else None
    return candidate_out(
        service.add_candidate(
            db,
            principal,
            dept,
            name=body.name,
            name_en=body.name_en,
            source=CandidateSource.new,
            indicator_code=body.indicator_code,
            driver_code=body.driver,
            touchpoint=tp,
            perspective=body.perspective,
            note=body.note,
        )
    )


@router.post("/departments/{department_id}/pool/suggestions", response_model=CandidateOut, status_code=201)
def add_suggestion(department_id: int, body: SuggestionPick, db: DB, principal: Writer) -> CandidateOut:
    """Take an indicator suggested by a segment's value proposition into the department's pool (S2.3)."""
    dept = org.get_department(db, principal, department_id=department_id)
    seg = customers.get_segment(db, segment_id=body.segment_id)
    prop = customers.require_proposition(db, seg, error=ValidationFailed)
    return candidate_out(service.add_suggestion(db, principal, dept, prop, body.indicator_code))


@router.delete("/pool/{candidate_id}", status_code=204)
def remove_candidate(candidate_id: int, db: DB, principal: Writer) -> Response:
    service.remove_candidate(db, principal, service.get_candidate(db, candidate_id))
    return Response(status_code=204)
