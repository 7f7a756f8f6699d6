"""HTML pages for positions: the list with each design's status, and one position's design as a
tree (responsibility → customers served → outputs → core + quality/collaboration indicators)
with its edit forms and the bulk assignment to every holder (S6.1, S6.2)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel
from pydantic import ValidationError as PydanticError
from sqlalchemy.orm import Session

from northstar.customers import service as customers
from northstar.errors import N_, NorthstarError, Problem, ValidationFailed
from northstar.indicators import service as cards
from northstar.org.models import Department, Position
from northstar.pools import service as pools
from northstar.pools.models import KpiCandidate
from northstar.positions import edits, service
from northstar.positions.findings import design_findings, weight_sum
from northstar.positions.models import IndicatorRole
from northstar.positions.schemas import (
    CandidateRef,
    FindingOut,
    IndicatorIn,
    OutputFields,
    ResponsibilityFields,
    SupportingIndicatorIn,
)
from northstar.scorecards import service as scorecards
from northstar.security.principal import DESIGN_ROLES, Principal
from northstar.security.scope import manages_department
from northstar.web.deps import DB, CurrentPrincipal, Tr, Writer
from northstar.web.forms import error_context, form_action, percent_field
from northstar.web.i18n import Translator
from northstar.web.labels import CARD_ELEMENTS
from northstar.web.templating import render

router = APIRouter(include_in_schema=False)
M = TypeVar("M", bound=BaseModel)


def can_edit(db: Session, principal: Principal, position: Position) -> bool:
    if principal.read_only:
        return False
    return principal.role in DESIGN_ROLES or manages_department(db, principal, position.department_id)


def model(cls: type[M], **data: Any) -> M:
    """A form's fields as ``cls``; a field that does not fit becomes a problem naming it."""
    try:
        return cls(**data)
    except PydanticError as exc:
        problems = [
            Problem(
                N_("{field}: {detail}"),
                {"field": ".".join(str(p) for p in e["loc"]), "detail": e["msg"]},
                field=".".join(str(p) for p in e["loc"]),
            )
            for e in exc.errors()
        ]
        raise ValidationFailed(
            N_("Some fields are missing or invalid: correct them and send again."), problems=problems
        ) from exc


def candidate_of(raw: str) -> CandidateRef | None:
    """A pool candidate chosen in a select: "DEPARTMENT::indicator"."""
    if "::" not in raw:
        return None
    dept, key = raw.split("::", 1)
    return CandidateRef(department=dept, indicator=key)


def candidate_key(cand: KpiCandidate) -> str:
    ref = service.candidate_ref(cand)
    return f"{ref.department}::{ref.indicator}" if ref else ""


def _pool_for(db: Session, dept: Department) -> list[KpiCandidate]:
    """The KPI pools an indicator of a position in ``dept`` may serve: its own and those above."""
    out: list[KpiCandidate] = []
    node: Department | None = dept
    seen: set[int] = set()
    while node is not None and node.id not in seen:
        seen.add(node.id)
        out.extend(pools.get_candidates(db, node))
        node = node.parent
    return out


@router.get("/positions")
def positions_page(request: Request, db: DB, principal: CurrentPrincipal, t: Tr) -> Response:
    summaries = service.position_summaries(db)
    groups: dict[int, list[service.PositionSummary]] = {}
    for s in summaries:
        groups.setdefault(s.position.department_id, []).append(s)
    return render(
        request,
        "positions/positions.html",
        {
            "groups": [(items[0].position.department, items) for items in groups.values()],
            "finding_text": lambda f: FindingOut.of(f, t, CARD_ELEMENTS).message,
        },
        active="design",
    )


def _position_page(
    request: Request,
    db: Session,
    principal: Principal,
    t: Translator,
    pos: Position,
    *,
    error: NorthstarError | None = None,
) -> Response:
    design = service.design_of(db, pos)
    inds = service.indicators_of(db, pos)
    by_card = {pi.card.code: pi for pi in inds}
    findings = [
        FindingOut.of(f, t, CARD_ELEMENTS)
        for f in design_findings(design, {c: pi.card for c, pi in by_card.items()})
    ]
    query = request.query_params
    result = None
    if "created" in query:
        result = {k: query.get(k, "") for k in ("period", "holders", "created", "refreshed", "kept")}
    return render(
        request,
        "positions/position.html",
        {
            "pos": pos,
            "design": design,
            "resps": service.responsibilities_of(db, pos),
            "by_card": by_card,
            "findings": findings,
            "at": lambda prefix: [f for f in findings if f.path and (f.path + ".").startswith(prefix + ".")],
            "weight_sum": weight_sum(design),
            "holders": service.holders_of(db, pos),
            "customers": customers.get_all_customers(db),
            "cards": cards.get_all_cards(db),
            "candidates": _pool_for(db, pos.department),
            "candidate_key": candidate_key,
            "roles": list(IndicatorRole),
            "missing_of": cards.missing_elements,
            "elements": CARD_ELEMENTS,
            "period": query.get("period") or str(date.today().year),
            "result": result,
            "can_edit": can_edit(db, principal, pos),
            **error_context(t, error),
        },
        status_code=error.status if error else 200,
        active="design",
    )


def _act(
    request: Request,
    db: Session,
    principal: Principal,
    t: Translator,
    pos: Position,
    action: Callable[[], Any],
) -> Response:
    """Run one change; back to the design on success, or the page again with the problems."""
    return form_action(
        db,
        action,
        success_url=f"/positions/{pos.id}",
        rerender=lambda exc: _position_page(request, db, principal, t, pos, error=exc),
    )


@router.get("/positions/{position_id:int}")
def position_page(request: Request, db: DB, principal: CurrentPrincipal, t: Tr, position_id: int) -> Response:
    return _position_page(request, db, principal, t, service.get_position(db, position_id))


def _responsibility(
    name: str, name_en: str, description: str, customer: list[str] | None
) -> ResponsibilityFields:
    """The responsibility form's fields: names trimmed, the customers ticked."""
    return model(
        ResponsibilityFields,
        name=name.strip(),
        name_en=name_en.strip(),
        description=description,
        customers=[c for c in customer or [] if c],
    )


@router.post("/positions/{position_id:int}/responsibilities")
def responsibility_add(
    request: Request,
    db: DB,
    principal: Writer,
    t: Tr,
    position_id: int,
    version: Annotated[int, Form()],
    name: Annotated[str, Form()] = "",
    name_en: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
    customer: Annotated[list[str] | None, Form()] = None,
) -> Response:
    pos = service.get_position(db, position_id)

    def action() -> None:
        fields = _responsibility(name, name_en, description, customer)
        edits.add_responsibility(db, principal, pos, fields, version=version)

    return _act(request, db, principal, t, pos, action)


@router.post("/positions/{position_id:int}/responsibilities/{index:int}")
def responsibility_update(
    request: Request,
    db: DB,
    principal: Writer,
    t: Tr,
    position_id: int,
    index: int,
    version: Annotated[int, Form()],
    name: Annotated[str, Form()] = "",
    name_en: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
    customer: Annotated[list[str] | None, Form()] = None,
) -> Response:
    pos = service.get_position(db, position_id)

    def action() -> None:
        fields = _responsibility(name, name_en, description, customer)
        edits.update_responsibility(db, principal, pos, index, fields, version=version)

    return _act(request, db, principal, t, pos, action)


@router.post("/positions/{position_id:int}/responsibilities/{index:int}/delete")
def responsibility_remove(
    request: Request,
    db: DB,
    principal: Writer,
    t: Tr,
    position_id: int,
    index: int,
    version: Annotated[int, Form()],
) -> Response:
    pos = service.get_position(db, position_id)
    return _act(
        request,
        db,
        principal,
        t,
        pos,
        lambda: edits.remove_responsibility(db, principal, pos, index, version=version),
    )


@router.post("/positions/{position_id:int}/responsibilities/{index:int}/outputs")
def output_add(
    request: Request,
    db: DB,
    principal: Writer,
    t: Tr,
    position_id: int,
    index: int,
    version: Annotated[int, Form()],
    name: Annotated[str, Form()] = "",
    name_en: Annotated[str, Form()] = "",
    card: Annotated[str, Form()] = "",
    weight: Annotated[str, Form()] = "",
    candidate: Annotated[str, Form()] = "",
) -> Response:
    pos = service.get_position(db, position_id)

    def action() -> None:
        fields = model(OutputFields, name=name.strip(), name_en=name_en.strip())
        core = None
        if card:
            core = model(
                IndicatorIn, card=card, weight=percent_field(weight), candidate=candidate_of(candidate)
            )
        edits.add_output(db, principal, pos, index, fields, indicator=core, version=version)

    return _act(request, db, principal, t, pos, action)


@router.post("/positions/{position_id:int}/responsibilities/{index:int}/outputs/{output:int}")
def output_update(
    request: Request,
    db: DB,
    principal: Writer,
    t: Tr,
    position_id: int,
    index: int,
    output: int,
    version: Annotated[int, Form()],
    name: Annotated[str, Form()] = "",
    name_en: Annotated[str, Form()] = "",
) -> Response:
    pos = service.get_position(db, position_id)

    def action() -> None:
        fields = model(OutputFields, name=name.strip(), name_en=name_en.strip())
        edits.update_output(db, principal, pos, index, output, fields, version=version)

    return _act(request, db, principal, t, pos, action)


@router.post("/positions/{position_id:int}/responsibilities/{index:int}/outputs/{output:int}/delete")
def output_remove(
    request: Request,
    db: DB,
    principal: Writer,
    t: Tr,
    position_id: int,
    index: int,
    output: int,
    version: Annotated[int, Form()],
) -> Response:
    pos = service.get_position(db, position_id)
    return _act(
        request,
        db,
        principal,
        t,
        pos,
        lambda: edits.remove_output(db, principal, pos, index, output, version=version),
    )


@router.post("/positions/{position_id:int}/indicators")
def indicator_set(
    request: Request,
    db: DB,
    principal: Writer,
    t: Tr,
    position_id: int,
    version: Annotated[int, Form()],
    card: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "core",
    weight: Annotated[str, Form()] = "",
    candidate: Annotated[str, Form()] = "",
    at: Annotated[str, Form()] = "",
) -> Response:
    """Put a card on the position; ``at`` is "responsibility.output" (0-based) or empty."""
    pos = service.get_position(db, position_id)

    def action() -> None:
        data = model(
            SupportingIndicatorIn,
            card=card,
            role=role,
            weight=percent_field(weight),
            candidate=candidate_of(candidate),
        )
        r, _, o = at.partition(".")
        where = (int(r), int(o)) if r.isdigit() and o.isdigit() else (None, None)
        edits.set_indicator(db, principal, pos, data, index=where[0], output=where[1], version=version)

    return _act(request, db, principal, t, pos, action)


@router.post("/positions/{position_id:int}/indicators/{card}/delete")
def indicator_remove(
    request: Request,
    db: DB,
    principal: Writer,
    t: Tr,
    position_id: int,
    card: str,
    version: Annotated[int, Form()],
) -> Response:
    pos = service.get_position(db, position_id)
    return _act(
        request,
        db,
        principal,
        t,
        pos,
        lambda: edits.remove_indicator(db, principal, pos, card, version=version),
    )


@router.post("/positions/{position_id:int}/assign")
def assign(
    request: Request,
    db: DB,
    principal: Writer,
    t: Tr,
    position_id: int,
    period: Annotated[str, Form()],
    overwrite: Annotated[bool, Form()] = False,
) -> Response:
    """Assign the position's indicators to all its holders; the page then shows the counts."""
    pos = service.get_position(db, position_id)
    try:
        result = scorecards.assign_position(db, principal, pos, period, overwrite=overwrite)
    except ValidationFailed as exc:
        db.rollback()
        return _position_page(request, db, principal, t, pos, error=exc)
    query = (
        f"period={result.period}&holders={result.holders}&created={result.created}"
        f"&refreshed={result.refreshed}&kept={result.kept_adjusted}"
    )
    return RedirectResponse(f"/positions/{pos.id}?{query}#assign", status_code=303)
