"""JSON API for strategy records (S1.1) and the enterprise balanced scorecard (S4.1–S4.3)."""

from __future__ import annotations

from fastapi import APIRouter, Response
from sqlalchemy.orm import Session

from northstar.indicators.service import missing_elements
from northstar.strategy import design_check as design
from northstar.strategy import scorecard, service
from northstar.strategy.design_check import Finding, Severity
from northstar.strategy.models import Objective, ObjectiveIndicator, ObjectiveLink, StrategyRecord
from northstar.strategy.schemas import (
    DesignCheckOut,
    FindingOut,
    LinkIn,
    LinkOut,
    ObjectiveIn,
    ObjectiveIndicatorIn,
    ObjectiveIndicatorOut,
    ObjectiveOut,
    ObjectiveUpdate,
    PrioritiesIn,
    PriorityOut,
    StrategyIn,
    StrategyMapOut,
    StrategyOut,
    StrategyUpdate,
    WeightUpdate,
)
from northstar.web.deps import DB, CurrentPrincipal, Tr, Writer
from northstar.web.i18n import Translator

router = APIRouter(tags=["strategy"])


def strategy_out(db: Session, rec: StrategyRecord) -> StrategyOut:
    return StrategyOut(
        id=rec.id,
        period=rec.period,
        title=rec.title,
        customer_focus=rec.customer_focus,
        aspiration=rec.aspiration,
        horizon_years=rec.horizon_years,
        priorities=[
            PriorityOut(
                rank=v.priority.rank,
                driver=v.priority.driver_code,
                segment_code=v.priority.segment.code if v.priority.segment else None,
                customer_code=v.priority.customer.code if v.priority.customer else None,
                statement=v.priority.statement,
                indicator_count=v.indicator_count,
            )
            for v in service.priority_views(db, rec)
        ],
        version=rec.version,
    )


@router.get("/strategy", response_model=list[StrategyOut])
def list_records(db: DB, principal: CurrentPrincipal) -> list[StrategyOut]:
    """Strategy records, the latest planning period first."""
    return [strategy_out(db, r) for r in service.get_all_records(db)]


@router.post("/strategy", response_model=StrategyOut, status_code=201)
def create_record(body: StrategyIn, db: DB, principal: Writer) -> StrategyOut:
    return strategy_out(db, service.create_record(db, principal, **body.model_dump()))


@router.get("/strategy/{record_id}", response_model=StrategyOut)
def get_record(record_id: int, db: DB, principal: CurrentPrincipal) -> StrategyOut:
    """One strategy record; each declared value carries the computed count of indicators pointing at it."""
    return strategy_out(db, service.get_record(db, record_id=record_id))


@router.patch("/strategy/{record_id}", response_model=StrategyOut)
def update_record(record_id: int, body: StrategyUpdate, db: DB, principal: Writer) -> StrategyOut:
    rec = service.get_record(db, record_id=record_id)
    fields = body.model_dump(exclude_unset=True, exclude={"version", "reason"})
    return strategy_out(
        db, service.update_record(db, principal, rec, version=body.version, reason=body.reason, **fields)
    )


@router.put("/strategy/{record_id}/priorities", response_model=StrategyOut)
def save_priorities(record_id: int, body: PrioritiesIn, db: DB, principal: Writer) -> StrategyOut:
    """Replace the ranked customer values the record declares (which customers, what value)."""
    rec = service.get_record(db, record_id=record_id)
    items = [
        service.PriorityIn(
            rank=p.rank,
            driver_code=p.driver,
            segment_code=p.segment_code,
            customer_code=p.customer_code,
            statement=p.statement,
        )
        for p in body.priorities
    ]
    return strategy_out(
        db, service.save_priorities(db, principal, rec, items, version=body.version, reason=body.reason)
    )


# --- the enterprise balanced scorecard (S4.1–S4.3) ----------------------------------------------


def indicator_out(item: ObjectiveIndicator) -> ObjectiveIndicatorOut:
    return ObjectiveIndicatorOut(
        id=item.id,
        objective_id=item.objective_id,
        card_id=item.card_id,
        card_code=item.card.code,
        name=item.card.name,
        name_en=item.card.name_en,
        weight=item.weight,
        missing=missing_elements(item.card),
    )


def link_out(link: ObjectiveLink) -> LinkOut:
    return LinkOut(
        id=link.id,
        cause_id=link.cause_id,
        effect_id=link.effect_id,
        cause_code=link.cause.code,
        effect_code=link.effect.code,
        note=link.note,
    )


def objective_out(obj: Objective, links: list[ObjectiveLink]) -> ObjectiveOut:
    return ObjectiveOut(
        id=obj.id,
        record_id=obj.record_id,
        code=obj.code,
        name=obj.name,
        name_en=obj.name_en,
        perspective=obj.perspective,
        rank=obj.rank,
        description=obj.description,
        priority_id=obj.priority_id,
        priority_rank=obj.priority.rank if obj.priority else None,
        driver=obj.driver_code,
        indicators=[indicator_out(i) for i in obj.indicators],
        causes=[x.cause.code for x in links if x.effect_id == obj.id],
        effects=[x.effect.code for x in links if x.cause_id == obj.id],
        version=obj.version,
    )


def _one_objective_out(db: Session, obj: Objective) -> ObjectiveOut:
    rec = service.get_record(db, record_id=obj.record_id)
    return objective_out(obj, scorecard.get_links(db, rec))


@router.get("/strategy/{record_id}/objectives", response_model=list[ObjectiveOut])
def list_objectives(record_id: int, db: DB, principal: CurrentPrincipal) -> list[ObjectiveOut]:
    """The balanced scorecard's objectives: customer perspective first, then financial, process, learning."""
    rec = service.get_record(db, record_id=record_id)
    links = scorecard.get_links(db, rec)
    return [objective_out(o, links) for o in scorecard.get_objectives(db, rec)]


@router.post("/strategy/{record_id}/objectives", response_model=ObjectiveOut, status_code=201)
def create_objective(record_id: int, body: ObjectiveIn, db: DB, principal: Writer) -> ObjectiveOut:
    """A new objective; designers only (admin, HR, executive)."""
    rec = service.get_record(db, record_id=record_id)
    values = body.model_dump(exclude={"driver"})
    obj = scorecard.create_objective(db, principal, rec, driver_code=body.driver, **values)
    return _one_objective_out(db, obj)


@router.get("/objectives/{objective_id}", response_model=ObjectiveOut)
def get_objective(objective_id: int, db: DB, principal: CurrentPrincipal) -> ObjectiveOut:
    return _one_objective_out(db, scorecard.get_objective(db, objective_id=objective_id))


@router.patch("/objectives/{objective_id}", response_model=ObjectiveOut)
def update_objective(objective_id: int, body: ObjectiveUpdate, db: DB, principal: Writer) -> ObjectiveOut:
    """Change the fields sent; ``version`` is the one you read (409 when someone saved in between)."""
    obj = scorecard.get_objective(db, objective_id=objective_id)
    fields = body.model_dump(exclude_unset=True, exclude={"version", "reason", "driver"})
    if "driver" in body.model_fields_set:
        fields["driver_code"] = body.driver
    scorecard.update_objective(db, principal, obj, version=body.version, reason=body.reason, **fields)
    return _one_objective_out(db, obj)


@router.delete("/objectives/{objective_id}", status_code=204)
def delete_objective(objective_id: int, db: DB, principal: Writer, reason: str | None = None) -> Response:
    """Remove an objective with its links and indicator assignments."""
    scorecard.delete_objective(
        db, principal, scorecard.get_objective(db, objective_id=objective_id), reason=reason
    )
    return Response(status_code=204)


@router.get("/strategy/{record_id}/links", response_model=list[LinkOut])
def list_links(record_id: int, db: DB, principal: CurrentPrincipal) -> list[LinkOut]:
    """The cause-and-effect arrows of the strategy map."""
    return [link_out(x) for x in scorecard.get_links(db, service.get_record(db, record_id=record_id))]


@router.post("/strategy/{record_id}/links", response_model=LinkOut, status_code=201)
def add_link(record_id: int, body: LinkIn, db: DB, principal: Writer) -> LinkOut:
    """Draw cause → effect; the arrow must climb the map (learning → process → customer → financial)."""
    rec = service.get_record(db, record_id=record_id)
    cause = scorecard.get_objective_by_code(db, rec, body.cause_code, field="cause_code")
    effect = scorecard.get_objective_by_code(db, rec, body.effect_code, field="effect_code")
    return link_out(scorecard.add_link(db, principal, cause, effect, note=body.note))


@router.delete("/objective-links/{link_id}", status_code=204)
def remove_link(link_id: int, db: DB, principal: Writer, reason: str | None = None) -> Response:
    scorecard.remove_link(db, principal, scorecard.get_link(db, link_id=link_id), reason=reason)
    return Response(status_code=204)


@router.get("/objectives/{objective_id}/indicators", response_model=list[ObjectiveIndicatorOut])
def list_objective_indicators(
    objective_id: int, db: DB, principal: CurrentPrincipal
) -> list[ObjectiveIndicatorOut]:
    return [indicator_out(i) for i in scorecard.get_objective(db, objective_id=objective_id).indicators]


@router.post("/objectives/{objective_id}/indicators", response_model=ObjectiveIndicatorOut, status_code=201)
def attach_indicator(
    objective_id: int, body: ObjectiveIndicatorIn, db: DB, principal: Writer
) -> ObjectiveIndicatorOut:
    """Measure the objective with an indicator card; weights of the whole scorecard should sum to 100."""
    obj = scorecard.get_objective(db, objective_id=objective_id)
    card = scorecard.find_card(db, card_id=body.card_id, card_code=body.card_code)
    return indicator_out(scorecard.attach_indicator(db, principal, obj, card, weight=body.weight))


@router.patch("/objective-indicators/{item_id}", response_model=ObjectiveIndicatorOut)
def set_weight(item_id: int, body: WeightUpdate, db: DB, principal: Writer) -> ObjectiveIndicatorOut:
    item = scorecard.get_objective_indicator(db, item_id=item_id)
    return indicator_out(
        scorecard.set_indicator_weight(db, principal, item, weight=body.weight, reason=body.reason)
    )


@router.delete("/objective-indicators/{item_id}", status_code=204)
def detach_indicator(item_id: int, db: DB, principal: Writer, reason: str | None = None) -> Response:
    item = scorecard.get_objective_indicator(db, item_id=item_id)
    scorecard.detach_indicator(db, principal, item, reason=reason)
    return Response(status_code=204)


def finding_out(f: Finding, t: Translator) -> FindingOut:
    return FindingOut(
        rule=f.rule,
        severity=f.severity.value,
        message=f.text(t.gettext),
        objective_id=f.objective.id if f.objective else None,
        objective_code=f.objective.code if f.objective else None,
        card_id=f.card.id if f.card else None,
        card_code=f.card.code if f.card else None,
        missing=list(f.missing),
    )


@router.get("/strategy/{record_id}/design-check", response_model=DesignCheckOut)
def design_check(record_id: int, db: DB, principal: CurrentPrincipal, t: Tr) -> DesignCheckOut:
    """The design check of S4.3: every rule the scorecard breaks, errors first, each message with its fix."""
    rec = service.get_record(db, record_id=record_id)
    findings = design.check_design(db, rec)
    errors = sum(1 for f in findings if f.severity is Severity.error)
    return DesignCheckOut(
        record_id=rec.id,
        ok=errors == 0,
        errors=errors,
        warnings=len(findings) - errors,
        weight_total=scorecard.weight_total(scorecard.get_objectives(db, rec)),
        findings=[finding_out(f, t) for f in findings],
    )


@router.get("/strategy/{record_id}/map", response_model=StrategyMapOut)
def strategy_map(record_id: int, db: DB, principal: CurrentPrincipal, t: Tr) -> StrategyMapOut:
    """The strategy map: four layers bottom up (learning, process, customer, financial) and the arrows."""
    rec = service.get_record(db, record_id=record_id)
    return design.strategy_map(db, rec, locale=t.locale, gettext=t.gettext)
