"""JSON API for department KPI pools (S5.1–S5.3)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from northstar.customers import service as customers
from northstar.errors import ValidationFailed
from northstar.indicators import service as cards
from northstar.indicators.service import element_label, missing_elements
from northstar.journey import service as journey
from northstar.org import service as org
from northstar.pools import service
from northstar.pools.models import CandidateSource, KpiCandidate
from northstar.pools.schemas import (
    CandidateIn,
    CandidateOut,
    CandidateUpdate,
    CoreSetIn,
    FindingOut,
    LibraryPick,
    PoolSummaryOut,
    SuggestionPick,
)
from northstar.strategy.scorecard import get_objective
from northstar.web.deps import DB, CurrentPrincipal, Tr, Writer
from northstar.web.i18n import Translator

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
        card_id=c.card_id,
        card_code=c.card.code if c.card else None,
        card_missing=missing_elements(c.card) if c.card else [],
        affects_value=c.affects_value,
        affects_note=c.affects_note,
        perceivable=c.perceivable,
        perceivable_note=c.perceivable_note,
        tier=c.tier,
        core=c.core,
        weight=c.weight,
        objective_id=c.objective_id,
        parent_candidate_id=c.parent_candidate_id,
    )


def finding_out(f: service.Finding, t: Translator) -> FindingOut:
    return FindingOut(
        severity=f.severity,
        message=t.gettext(f.message, **f.params),
        field=f.field,
        candidate_id=f.candidate_id,
        elements=[t.gettext(element_label(k)) for k in f.elements],
    )


@router.get("/pools", response_model=list[PoolSummaryOut])
def overview(db: DB, principal: CurrentPrincipal, t: Tr) -> list[PoolSummaryOut]:
    """Every department's pool at a glance: products, candidates by tier, core set, findings."""
    return [
        PoolSummaryOut(
            department_id=s.department.id,
            department_code=s.department.code,
            department=s.department.label(t.locale),
            products=[p.label(t.locale) for p in s.products],
            candidates=s.candidates,
            tiers=s.tiers,
            core=s.core,
            errors=s.errors,
            warnings=s.warnings,
        )
        for s in service.pool_overview(db, org.get_all_departments(db, principal))
    ]


@router.get("/departments/{department_id}/pool", response_model=list[CandidateOut])
def list_pool(department_id: int, db: DB, principal: CurrentPrincipal) -> list[CandidateOut]:
    """The department's KPI pool candidates (S5.2)."""
    dept = org.get_department(db, principal, department_id=department_id)
    return [candidate_out(c) for c in service.get_candidates(db, dept)]


@router.get("/departments/{department_id}/pool/findings", response_model=list[FindingOut])
def findings(department_id: int, db: DB, principal: CurrentPrincipal, t: Tr) -> list[FindingOut]:
    """What to fix in the pool, errors first: core set size and weights, admission, cards, value tags."""
    dept = org.get_department(db, principal, department_id=department_id)
    return [finding_out(f, t) for f in service.pool_findings(db, dept)]


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
            card=cards.get_card(db, body.card_id) if body.card_id else None,
        )
    )


@router.post("/departments/{department_id}/pool/suggestions", response_model=CandidateOut, status_code=201)
def add_suggestion(department_id: int, body: SuggestionPick, db: DB, principal: Writer) -> CandidateOut:
    """Take an indicator suggested by a segment's value proposition into the department's pool (S2.3)."""
    dept = org.get_department(db, principal, department_id=department_id)
    seg = customers.get_segment(db, segment_id=body.segment_id)
    prop = customers.require_proposition(db, seg, error=ValidationFailed)
    return candidate_out(service.add_suggestion(db, principal, dept, prop, body.indicator_code))


@router.post("/departments/{department_id}/pool/library", response_model=CandidateOut, status_code=201)
def add_from_library(department_id: int, body: LibraryPick, db: DB, principal: Writer) -> CandidateOut:
    """Take a library indicator into the pool; its card is adopted into the design if needed (S5.4)."""
    dept = org.get_department(db, principal, department_id=department_id)
    tp = journey.get_touchpoint(db, body.touchpoint_id) if body.touchpoint_id else None
    return candidate_out(
        service.add_library_candidate(
            db, principal, dept, body.code, perspective=body.perspective, touchpoint=tp, note=body.note
        )
    )


@router.patch("/pool/{candidate_id}", response_model=CandidateOut)
def update_candidate(candidate_id: int, body: CandidateUpdate, db: DB, principal: Writer) -> CandidateOut:
    """Change a candidate: admission answers, tier, card, value tags, cascade links (only what is sent)."""
    cand = service.get_candidate(db, candidate_id)
    sent = body.model_fields_set
    if sent & {"affects_value", "affects_note", "perceivable", "perceivable_note", "tier"}:
        service.assess_candidate(
            db,
            principal,
            cand,
            affects_value=body.affects_value if "affects_value" in sent else cand.affects_value,
            affects_note=body.affects_note if body.affects_note is not None else cand.affects_note,
            perceivable=body.perceivable if "perceivable" in sent else cand.perceivable,
            perceivable_note=body.perceivable_note
            if body.perceivable_note is not None
            else cand.perceivable_note,
            tier=body.tier if "tier" in sent else cand.tier,
            reason=body.reason,
        )
    if "card_id" in sent:
        card = cards.get_card(db, body.card_id) if body.card_id else None
        service.link_card(db, principal, cand, card, reason=body.reason)
    if "objective_id" in sent:
        obj = get_objective(db, objective_id=body.objective_id) if body.objective_id else None
        service.set_objective(db, principal, cand, obj, reason=body.reason)
    if "parent_candidate_id" in sent:
        parent = service.get_candidate(db, body.parent_candidate_id) if body.parent_candidate_id else None
        service.set_parent_candidate(db, principal, cand, parent, reason=body.reason)
    if sent & {"driver", "touchpoint_id", "stage_id", "perspective", "note"}:
        tp_id = body.touchpoint_id if "touchpoint_id" in sent else cand.touchpoint_id
        stage_id = body.stage_id if "stage_id" in sent else cand.stage_id
        service.retag_candidate(
            db,
            principal,
            cand,
            driver_code=body.driver if "driver" in sent else cand.driver_code,
            touchpoint=journey.get_touchpoint(db, tp_id) if tp_id else None,
            stage=journey.get_stage(db, stage_id) if stage_id else None,
            perspective=body.perspective if "perspective" in sent else cand.perspective,
            note=body.note,
            reason=body.reason,
        )
    return candidate_out(cand)


@router.put("/departments/{department_id}/pool/core", response_model=list[CandidateOut])
def save_core_set(department_id: int, body: CoreSetIn, db: DB, principal: Writer) -> list[CandidateOut]:
    """Choose the core set with its weights; every other candidate becomes an observed indicator."""
    dept = org.get_department(db, principal, department_id=department_id)
    picks = {item.candidate_id: item.weight for item in body.items}
    service.save_core_set(db, principal, dept, picks, reason=body.reason)
    return [candidate_out(c) for c in service.get_candidates(db, dept)]


@router.delete("/pool/{candidate_id}", status_code=204)
def remove_candidate(candidate_id: int, db: DB, principal: Writer) -> Response:
    service.remove_candidate(db, principal, service.get_candidate(db, candidate_id))
    return Response(status_code=204)
