"""HTML pages for indicator cards (S6.3) and the indicator library (S5.4)."""

from __future__ import annotations

from typing import Any, TypeVar

import yaml
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import TypeAdapter, ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from northstar import catalogue, yamlio
from northstar.errors import N_, Conflict, NorthstarError, Problem, ValidationFailed
from northstar.indicators import service
from northstar.indicators.models import IndicatorCard, StatPeriod
from northstar.indicators.schemas import DOMAINS, UNITS, CardIn, MeasureIn
from northstar.journey import service as journey
from northstar.org import service as org
from northstar.org.models import Department
from northstar.scoring.rules import MissingPolicy, Polarity, Rule
from northstar.security.principal import DESIGN_ROLES, Principal
from northstar.security.scope import manages_department
from northstar.strategy.models import Perspective
from northstar.web.deps import DB, CurrentPrincipal, Tr, Writer
from northstar.web.forms import error_context
from northstar.web.labels import CARD_ELEMENTS, CARD_WORDS
from northstar.web.templating import render

router = APIRouter(include_in_schema=False)
_RULE = TypeAdapter(Rule)
G = TypeVar("G")
_TEXT_FIELDS = (
    "code",
    "name",
    "name_en",
    "domain",
    "definition",
    "definition_en",
    "purpose",
    "purpose_en",
    "formula",
    "formula_notes",
    "formula_notes_en",
    "unit",
    "data_source",
    "data_source_en",
    "data_owner",
    "data_owner_en",
    "library_code",
)
_CHOICE_FIELDS = ("polarity", "missing_policy", "perspective", "period", "driver", "department")


def rule_view(rule: dict[str, Any] | None) -> Any:
    """The rule as the engine reads it (numbers as Decimal) for the readable table; None if unusable."""
    if not rule:
        return None
    try:
        return _RULE.validate_python(rule)
    except ValidationError:
        return None


def editable_departments(db: Session, principal: Principal) -> list[Department]:
    """The departments whose pool ``principal`` may add to: all for designers, a manager's subtree."""
    if principal.read_only:
        return []
    every = org.get_all_departments(db, principal)
    if principal.role in DESIGN_ROLES:
        return every
    return [d for d in every if manages_department(db, principal, d.id)]


def _choices(db: Session, principal: Principal, locale: str) -> dict[str, Any]:
    """The select options of the card form as (value, shown) pairs; words are translated in the page."""
    return {
        "unit_options": [(u, u) for u in UNITS],
        "polarity_options": [(p.value, p.value) for p in Polarity],
        "policy_options": [(p.value, p.value) for p in MissingPolicy],
        "period_options": [(p.value, p.value) for p in StatPeriod],
        "perspective_options": [(p.value, p.value) for p in Perspective],
        "domain_options": [(d, d) for d in DOMAINS],
        "driver_options": [(d.code, d.name(locale)) for d in catalogue.value_drivers()],
        "touchpoint_options": [
            (tp.id, f"{tp.stage.label(locale)} · {tp.label(locale)}") for tp in journey.all_touchpoints(db)
        ],
        "department_options": [(d.code, d.label(locale)) for d in org.get_all_departments(db, principal)],
    }


def _measures(text: str, problems: list[Problem]) -> list[MeasureIn]:
    """One measure a line: ``code | name | English name``."""
    out = []
    for i, line in enumerate(x for x in text.splitlines() if x.strip()):
        parts = [p.strip() for p in line.split("|")]
        try:
            out.append(
                MeasureIn(
                    code=parts[0],
                    name=parts[1] if len(parts) > 1 else "",
                    name_en=parts[2] if len(parts) > 2 else "",
                )
            )
        except ValidationError:
            problems.append(
                Problem(
                    N_(
                        "Write each measure on its own line as: code | name | English name (the code in "
                        "letters, digits and _)."
                    ),
                    field=f"measures[{i}]",
                )
            )
    return out


def _rule(text: str, problems: list[Problem]) -> dict[str, Any] | None:
    if not text.strip():
        return None
    try:
        loaded = yamlio.load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problems.append(
            Problem(
                N_(
                    "The scoring rule is not valid YAML near line {line}: check the indentation and the colons."
                ),
                {"line": mark.line + 1 if mark else 1},
                field="rule",
            )
        )
        return None
    if not isinstance(loaded, dict):
        problems.append(
            Problem(
                N_("The scoring rule must be a mapping that starts with kind: (linear, bands, …)."),
                field="rule",
            )
        )
        return None
    return loaded


def card_from_form(form: FormData) -> tuple[CardIn | None, list[Problem]]:
    """The card a form describes, or the problems naming each bad field."""
    problems: list[Problem] = []
    values: dict[str, Any] = {k: str(form.get(k, "")).strip() for k in _TEXT_FIELDS}
    for k in _CHOICE_FIELDS:
        values[k] = str(form.get(k, "")).strip() or None
    values["library_code"] = values["library_code"] or None
    tp = str(form.get("touchpoint_id", "")).strip()
    values["touchpoint_id"] = int(tp) if tp.isdigit() else None
    values["measures"] = _measures(str(form.get("measures", "")), problems)
    values["rule"] = _rule(str(form.get("rule", "")), problems)
    values["missing_policy"] = values["missing_policy"] or MissingPolicy.renormalise
    try:
        data = CardIn(**values)
    except ValidationError as exc:
        for err in exc.errors():
            path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err["loc"]).lstrip(".")
            problems.append(
                Problem(N_("This value is not valid here: {detail}"), {"detail": err["msg"]}, field=path)
            )
        return None, problems
    return (None if problems else data), problems


def _posted_card(form: FormData) -> CardIn:
    """The card a form describes; refused with its problems listed when a field is bad."""
    data, problems = card_from_form(form)
    if data is None:
        raise ValidationFailed(
            N_("The indicator card has problems: fix the fields listed."), problems=problems
        )
    return data


def _in_domain_order(groups: dict[str, list[G]]) -> list[tuple[str, list[G]]]:
    """Cards grouped by domain, the groups in the order of DOMAINS (any other domain last)."""
    return sorted(groups.items(), key=lambda g: DOMAINS.index(g[0]) if g[0] in DOMAINS else len(DOMAINS))


def _form_values(form: FormData | None, card: IndicatorCard | None) -> dict[str, Any]:
    """What the form shows: the posted values after a refusal, else the stored card."""
    if form is not None:
        return {k: str(v) for k, v in form.items()}
    if card is None:
        return {"missing_policy": MissingPolicy.renormalise.value}
    data = service.to_card_in(card).model_dump(mode="json")
    data["measures"] = "\n".join(
        " | ".join(x for x in (m["code"], m["name"], m["name_en"]) if x) for m in data["measures"]
    )
    data["rule"] = (
        yaml.safe_dump(data["rule"], allow_unicode=True, sort_keys=False, width=1000) if data["rule"] else ""
    )
    data["touchpoint_id"] = str(data["touchpoint_id"] or "")
    return {k: "" if v is None else v for k, v in data.items()}


def _edit_page(
    request: Request,
    db: DB,
    principal: Principal,
    t: Any,
    *,
    card: IndicatorCard | None,
    form: FormData | None = None,
    error: NorthstarError | None = None,
) -> Response:
    """The card form; after a refusal it keeps the posted values and marks the bad fields."""
    bad = {(p.field or "").split(".")[0].split("[")[0] for p in getattr(error, "problems", [])}
    return render(
        request,
        "indicators/edit.html",
        {
            "card": card,
            "v": _form_values(form, card),
            **error_context(t, error),
            "bad": bad,
            "words": CARD_WORDS,
            **_choices(db, principal, t.locale),
        },
        status_code=error.status if error else 200,
        active="design",
    )


@router.get("/indicators")
def cards_page(
    request: Request,
    db: DB,
    principal: CurrentPrincipal,
    domain: str = "",
    driver: str = "",
    perspective: str = "",
    complete: str = "",
) -> Response:
    """The design's cards grouped by domain, each with its completeness and missing elements."""
    persp = Perspective(perspective) if perspective in set(Perspective) else None
    state = {"yes": True, "no": False}.get(complete)
    cards = service.list_cards(
        db, domain=domain or None, driver=driver or None, perspective=persp, complete=state
    )
    groups: dict[str, list[tuple[IndicatorCard, list[str]]]] = {}
    for card in cards:
        groups.setdefault(card.domain or "", []).append((card, service.missing_elements(card)))
    return render(
        request,
        "indicators/cards.html",
        {
            "groups": _in_domain_order(groups),
            "total": len(cards),
            "elements": CARD_ELEMENTS,
            "words": CARD_WORDS,
            "driver_of": catalogue.value_driver,
            "filters": {"domain": domain, "driver": driver, "perspective": perspective, "complete": complete},
            "domains": DOMAINS,
            "drivers": catalogue.value_drivers(),
            "perspectives": list(Perspective),
            "can_design": principal.role in DESIGN_ROLES,
        },
        active="design",
    )


@router.get("/indicators/new")
def new_card(request: Request, db: DB, principal: Writer, t: Tr) -> Response:
    principal.require(*DESIGN_ROLES)
    return _edit_page(request, db, principal, t, card=None)


@router.post("/indicators/new")
async def create_card(request: Request, db: DB, principal: Writer, t: Tr) -> Response:
    principal.require(*DESIGN_ROLES)
    form = await request.form()
    try:
        card = service.create_card(db, principal, _posted_card(form))
    except (ValidationFailed, Conflict) as exc:
        return _edit_page(request, db, principal, t, card=None, form=form, error=exc)
    return RedirectResponse(f"/indicators/{card.id}", status_code=303)


@router.get("/indicators/library")
def library_page(
    request: Request, db: DB, principal: CurrentPrincipal, domain: str = "", q: str = ""
) -> Response:
    """Browse the library by domain with a search box; add a card to the design or to a pool."""
    found = service.library_cards(domain=domain or None, query=q or None)
    groups: dict[str, list[CardIn]] = {}
    for card in found:
        groups.setdefault(card.domain or "", []).append(card)
    adopted = {c.code: service.design_card_for(db, c.code) for c in found}
    return render(
        request,
        "indicators/library.html",
        {
            "groups": _in_domain_order(groups),
            "total": len(found),
            "adopted": adopted,
            "domains": DOMAINS,
            "domain": domain,
            "q": q,
            "rule_view": rule_view,
            "words": CARD_WORDS,
            "driver_of": catalogue.value_driver,
            "pool_departments": editable_departments(db, principal),
            "can_design": principal.role in DESIGN_ROLES,
        },
        active="design",
    )


@router.post("/indicators/library/{code}/adopt")
def adopt(db: DB, principal: Writer, code: str) -> Response:
    card = service.adopt_library_card(db, principal, code)
    return RedirectResponse(f"/indicators/{card.id}", status_code=303)


@router.get("/indicators/{card_id:int}")
def card_page(request: Request, db: DB, principal: CurrentPrincipal, t: Tr, card_id: int) -> Response:
    """The full card laid out like the seed's "hard requirements", with the missing-element banner."""
    card = service.get_card(db, card_id)
    uses = [t.gettext(p.message, **p.params) for p in service.card_uses(db, card)]
    return render(
        request,
        "indicators/card.html",
        {
            "card": card,
            "missing": service.missing_elements(card),
            "elements": CARD_ELEMENTS,
            "words": CARD_WORDS,
            "rule": rule_view(card.rule),
            "driver": catalogue.value_driver(card.driver_code) if card.driver_code else None,
            "uses": uses,
            "can_design": principal.role in DESIGN_ROLES,
        },
        active="design",
    )


@router.get("/indicators/{card_id:int}/edit")
def edit_card(request: Request, db: DB, principal: Writer, t: Tr, card_id: int) -> Response:
    principal.require(*DESIGN_ROLES)
    return _edit_page(request, db, principal, t, card=service.get_card(db, card_id))


@router.post("/indicators/{card_id:int}/edit")
async def update_card(request: Request, db: DB, principal: Writer, t: Tr, card_id: int) -> Response:
    principal.require(*DESIGN_ROLES)
    card = service.get_card(db, card_id)
    form = await request.form()
    version = str(form.get("version", ""))
    try:
        service.update_card(
            db,
            principal,
            card,
            _posted_card(form),
            version=int(version) if version.isdigit() else -1,
            reason=str(form.get("reason", "")).strip() or None,
        )
    except (ValidationFailed, Conflict) as exc:
        return _edit_page(request, db, principal, t, card=card, form=form, error=exc)
    return RedirectResponse(f"/indicators/{card.id}", status_code=303)


@router.post("/indicators/{card_id:int}/delete")
def delete_card(db: DB, principal: Writer, card_id: int) -> Response:
    service.delete_card(db, principal, service.get_card(db, card_id))
    return RedirectResponse("/indicators", status_code=303)
