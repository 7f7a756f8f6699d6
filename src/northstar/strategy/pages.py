"""HTML pages for strategy records (S1.1), the enterprise balanced scorecard and its strategy map (S4)."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from northstar import catalogue
from northstar.customers import service as customers
from northstar.errors import Conflict, NorthstarError, ValidationFailed
from northstar.indicators.service import get_all_cards, missing_elements
from northstar.security.principal import DESIGN_ROLES, Principal
from northstar.strategy import design_check as design
from northstar.strategy import scorecard, service
from northstar.strategy.design_check import Finding
from northstar.strategy.models import StrategyRecord
from northstar.web.deps import DB, CurrentPrincipal, Tr, Writer
from northstar.web.i18n import Translator
from northstar.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/strategy")
def records(request: Request, db: DB, principal: CurrentPrincipal) -> Response:
    recs = service.get_all_records(db)
    if len(recs) >= 1 and request.query_params.get("all") is None:
        return RedirectResponse(f"/strategy/{recs[0].id}", status_code=303)
    return render(
        request,
        "strategy/records.html",
        {"records": recs, "can_design": principal.role in DESIGN_ROLES},
        active="value",
    )


@router.post("/strategy")
def record_create(
    db: DB,
    principal: Writer,
    period: Annotated[str, Form()],
    title: Annotated[str, Form()] = "",
    horizon_years: Annotated[int, Form()] = 3,
) -> Response:
    rec = service.create_record(db, principal, period=period, title=title, horizon_years=horizon_years)
    return RedirectResponse(f"/strategy/{rec.id}", status_code=303)


@router.get("/strategy/{record_id}")
def record_detail(request: Request, db: DB, principal: CurrentPrincipal, record_id: int) -> Response:
    rec = service.get_record(db, record_id=record_id)
    return render(
        request,
        "strategy/record.html",
        {
            "rec": rec,
            "records": service.get_all_records(db),
            "views": service.priority_views(db, rec),
            "segments": customers.get_all_segments(db),
            "customers": customers.get_all_customers(db),
            "drivers": catalogue.value_drivers(),
            "blank_rows": 2,
            "can_design": principal.role in DESIGN_ROLES,
        },
        active="value",
    )


@router.post("/strategy/{record_id}")
def record_update(
    db: DB,
    principal: Writer,
    record_id: int,
    version: Annotated[int, Form()],
    title: Annotated[str, Form()] = "",
    customer_focus: Annotated[str, Form()] = "",
    aspiration: Annotated[str, Form()] = "",
    horizon_years: Annotated[int, Form()] = 3,
    reason: Annotated[str, Form()] = "",
) -> Response:
    rec = service.get_record(db, record_id=record_id)
    service.update_record(
        db,
        principal,
        rec,
        version=version,
        reason=reason or None,
        title=title,
        customer_focus=customer_focus,
        aspiration=aspiration,
        horizon_years=horizon_years,
    )
    return RedirectResponse(f"/strategy/{rec.id}", status_code=303)


@router.post("/strategy/{record_id}/priorities")
def priorities_save(
    db: DB,
    principal: Writer,
    record_id: int,
    version: Annotated[int, Form()],
    rank: Annotated[list[str] | None, Form()] = None,
    target: Annotated[list[str] | None, Form()] = None,
    driver: Annotated[list[str] | None, Form()] = None,
    statement: Annotated[list[str] | None, Form()] = None,
    reason: Annotated[str, Form()] = "",
) -> Response:
    """``target`` holds "segment:CODE" or "customer:CODE" for each row."""
    rec = service.get_record(db, record_id=record_id)
    items: list[service.PriorityIn] = []
    statements = (statement or []) + [""] * len(driver or [])
    for r, tgt, d, s in zip(rank or [], target or [], driver or [], statements, strict=False):
        if not d or not r.strip().isdigit():
            continue
        kind, _, code = tgt.partition(":")
        items.append(
            service.PriorityIn(
                rank=int(r),
                driver_code=d,
                segment_code=code if kind == "segment" and code else None,
                customer_code=code if kind == "customer" and code else None,
                statement=s.strip(),
            )
        )
    service.save_priorities(db, principal, rec, items, version=version, reason=reason or None)
    return RedirectResponse(f"/strategy/{rec.id}#priorities", status_code=303)


# --- the enterprise balanced scorecard and its strategy map (S4.1–S4.3) -------------------------


def _record_or_none(db: Session, record: str) -> StrategyRecord | None:
    """The record asked for, else the latest planning period's; None when there is none yet."""
    if record.strip().isdigit():
        return service.get_record(db, record_id=int(record))
    recs = service.get_all_records(db)
    return recs[0] if recs else None


def _findings(findings: list[Finding], t: Translator) -> list[dict[str, Any]]:
    return [
        {
            "severity": f.severity.value,
            "message": f.text(t.gettext),
            "objective": f.objective,
            "card": f.card,
            "missing": f.missing,
        }
        for f in findings
    ]


def _scorecard_page(
    request: Request,
    db: Session,
    principal: Principal,
    t: Translator,
    rec: StrategyRecord | None,
    *,
    error: NorthstarError | None = None,
    form: dict[str, str] | None = None,
) -> Response:
    """The scorecard page; after a refused form it shows the problems and keeps the typed values."""
    ctx: dict[str, Any] = {
        "rec": rec,
        "records": service.get_all_records(db),
        "can_design": principal.role in DESIGN_ROLES,
        "form": form or {},
        "error": t.gettext(error.message, **error.params) if error else None,
        "problems": [
            {"sheet": p.sheet, "row": p.row, "field": p.field, "message": t.gettext(p.message, **p.params)}
            for p in getattr(error, "problems", [])
        ],
    }
    if rec is not None:
        objectives = scorecard.get_objectives(db, rec)
        links = scorecard.get_links(db, rec)
        findings = _findings(design.check_design(db, rec), t)
        ctx |= {
            "sections": [
                (p, [o for o in objectives if o.perspective is p]) for p in scorecard.PERSPECTIVE_ORDER
            ],
            "objectives": objectives,
            "links": links,
            "causes": {o.id: [x for x in links if x.effect_id == o.id] for o in objectives},
            "effects": {o.id: [x for x in links if x.cause_id == o.id] for o in objectives},
            "findings": findings,
            "findings_of": {
                o.id: [f for f in findings if f["objective"] is not None and f["objective"].id == o.id]
                for o in objectives
            },
            "weight_total": scorecard.weight_total(objectives),
            "priorities": service.priority_views(db, rec),
            "drivers": catalogue.value_drivers(),
            "driver": catalogue.value_driver,
            "cards": get_all_cards(db),
            "missing": missing_elements,
            "perspectives": scorecard.PERSPECTIVE_ORDER,
            "layer_labels": design.LAYER_LABELS,
        }
    return render(
        request,
        "strategy/scorecard.html",
        ctx,
        status_code=error.status if error else 200,
        active="design",
    )


@router.get("/scorecard")
def scorecard_page(
    request: Request, db: DB, principal: CurrentPrincipal, t: Tr, record: str = "", record_id: str = ""
) -> Response:
    """The enterprise BSC of ``?record=`` (or ``?record_id=``), else of the latest strategy record."""
    return _scorecard_page(request, db, principal, t, _record_or_none(db, record or record_id))


@router.get("/scorecard/map")
def map_page(
    request: Request, db: DB, principal: CurrentPrincipal, t: Tr, record: str = "", record_id: str = ""
) -> Response:
    rec = _record_or_none(db, record or record_id)
    data = design.strategy_map(db, rec, locale=t.locale, gettext=t.gettext) if rec else None
    return render(
        request,
        "strategy/map.html",
        {
            "rec": rec,
            "records": service.get_all_records(db),
            "map": data,
            "chart": data.model_dump_json() if data else "",
            "words": json.dumps(
                {"indicators": t.gettext("Indicators"), "findings": t.gettext("Design-check findings")},
                ensure_ascii=False,
            ),
            "findings": _findings(design.check_design(db, rec), t) if rec else [],
        },
        active="design",
    )


def _back(rec_id: int, anchor: str = "") -> Response:
    return RedirectResponse(f"/scorecard?record={rec_id}{anchor}", status_code=303)


def _int(value: str) -> int | None:
    return int(value) if value.strip().isdigit() else None


def _objective_fields(
    code: str,
    name: str,
    name_en: str,
    perspective: str,
    rank: str,
    description: str,
    priority_id: str,
    driver: str,
) -> dict[str, Any]:
    """The objective form's fields as the keywords of ``create_objective`` / ``update_objective``."""
    return {
        "code": code,
        "name": name,
        "name_en": name_en,
        "perspective": perspective,
        "rank": _int(rank),
        "description": description,
        "priority_id": _int(priority_id),
        "driver_code": driver or None,
    }


@router.post("/scorecard/{record_id}/objectives")
def objective_create(
    request: Request,
    db: DB,
    principal: Writer,
    t: Tr,
    record_id: int,
    code: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    perspective: Annotated[str, Form()] = "",
    name_en: Annotated[str, Form()] = "",
    rank: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
    priority_id: Annotated[str, Form()] = "",
    driver: Annotated[str, Form()] = "",
) -> Response:
    rec = service.get_record(db, record_id=record_id)
    try:
        fields = _objective_fields(code, name, name_en, perspective, rank, description, priority_id, driver)
        obj = scorecard.create_objective(db, principal, rec, **fields)
    except (ValidationFailed, Conflict) as exc:
        form = {
            "code": code,
            "name": name,
            "name_en": name_en,
            "perspective": perspective,
            "rank": rank,
            "description": description,
            "priority_id": priority_id,
            "driver": driver,
        }
        return _scorecard_page(request, db, principal, t, rec, error=exc, form=form)
    return _back(rec.id, f"#objective-{obj.id}")


@router.post("/scorecard/objectives/{objective_id}")
def objective_update(
    request: Request,
    db: DB,
    principal: Writer,
    t: Tr,
    objective_id: int,
    version: Annotated[int, Form()],
    code: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    perspective: Annotated[str, Form()] = "",
    name_en: Annotated[str, Form()] = "",
    rank: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
    priority_id: Annotated[str, Form()] = "",
    driver: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    obj = scorecard.get_objective(db, objective_id=objective_id)
    rec = service.get_record(db, record_id=obj.record_id)
    try:
        fields = _objective_fields(code, name, name_en, perspective, rank, description, priority_id, driver)
        scorecard.update_objective(db, principal, obj, version=version, reason=reason or None, **fields)
    except (ValidationFailed, Conflict) as exc:
        return _scorecard_page(request, db, principal, t, rec, error=exc)
    return _back(rec.id, f"#objective-{obj.id}")


@router.post("/scorecard/objectives/{objective_id}/delete")
def objective_delete(
    db: DB, principal: Writer, objective_id: int, reason: Annotated[str, Form()] = ""
) -> Response:
    obj = scorecard.get_objective(db, objective_id=objective_id)
    rec_id = obj.record_id
    scorecard.delete_objective(db, principal, obj, reason=reason or None)
    return _back(rec_id)


@router.post("/scorecard/{record_id}/links")
def link_add(
    request: Request,
    db: DB,
    principal: Writer,
    t: Tr,
    record_id: int,
    cause_code: Annotated[str, Form()] = "",
    effect_code: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    rec = service.get_record(db, record_id=record_id)
    try:
        cause = scorecard.get_objective_by_code(db, rec, cause_code, field="cause_code")
        effect = scorecard.get_objective_by_code(db, rec, effect_code, field="effect_code")
        scorecard.add_link(db, principal, cause, effect, note=note)
    except ValidationFailed as exc:
        form = {"cause_code": cause_code, "effect_code": effect_code, "note": note}
        return _scorecard_page(request, db, principal, t, rec, error=exc, form=form)
    return _back(rec.id, "#links")


@router.post("/scorecard/links/{link_id}/delete")
def link_remove(db: DB, principal: Writer, link_id: int) -> Response:
    link = scorecard.get_link(db, link_id=link_id)
    rec_id = link.cause.record_id
    scorecard.remove_link(db, principal, link)
    return _back(rec_id, "#links")


@router.post("/scorecard/objectives/{objective_id}/indicators")
def indicator_attach(
    request: Request,
    db: DB,
    principal: Writer,
    t: Tr,
    objective_id: int,
    card_id: Annotated[str, Form()] = "",
    weight: Annotated[str, Form()] = "",
) -> Response:
    obj = scorecard.get_objective(db, objective_id=objective_id)
    rec = service.get_record(db, record_id=obj.record_id)
    try:
        card = scorecard.find_card(db, card_id=_int(card_id))
        scorecard.attach_indicator(db, principal, obj, card, weight=weight)
    except ValidationFailed as exc:
        return _scorecard_page(request, db, principal, t, rec, error=exc)
    return _back(rec.id, f"#objective-{obj.id}")


@router.post("/scorecard/objective-indicators/{item_id}")
def indicator_weight(
    request: Request,
    db: DB,
    principal: Writer,
    t: Tr,
    item_id: int,
    weight: Annotated[str, Form()] = "",
) -> Response:
    item = scorecard.get_objective_indicator(db, item_id=item_id)
    obj = scorecard.get_objective(db, objective_id=item.objective_id)
    try:
        scorecard.set_indicator_weight(db, principal, item, weight=weight)
    except ValidationFailed as exc:
        rec = service.get_record(db, record_id=obj.record_id)
        return _scorecard_page(request, db, principal, t, rec, error=exc)
    return _back(obj.record_id, f"#objective-{obj.id}")


@router.post("/scorecard/objective-indicators/{item_id}/delete")
def indicator_detach(db: DB, principal: Writer, item_id: int) -> Response:
    item = scorecard.get_objective_indicator(db, item_id=item_id)
    obj = scorecard.get_objective(db, objective_id=item.objective_id)
    scorecard.detach_indicator(db, principal, item)
    return _back(obj.record_id, f"#objective-{obj.id}")
