"""Indicator cards: create, change, check for completeness (S6.3)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from northstar import audit, catalogue
from northstar.catalogue import library
from northstar.customers.service import require_designer
from northstar.cycles.models import Cycle, CycleAssignment, CycleCard, CycleChange
from northstar.db import check_version
from northstar.errors import N_, Conflict, Label, Named, NotFound, Problem, ValidationFailed
from northstar.indicators.models import IndicatorCard
from northstar.indicators.schemas import DOMAINS, UNITS, CardIn, MeasureIn
from northstar.journey.models import Touchpoint
from northstar.metrics.formula import FormulaError, parse
from northstar.org.models import Department
from northstar.org.service import get_department_by_code
from northstar.pools.models import KpiCandidate
from northstar.positions.models import PositionIndicator
from northstar.scorecards.models import PersonalScorecard, ScorecardItem, TeamIndicator
from northstar.scoring.problems import RULE_ADAPTER
from northstar.scoring.problems import rule_problems as scoring_problems
from northstar.security.principal import Principal
from northstar.security.scope import require_department_editor
from northstar.strategy.models import Objective, ObjectiveIndicator, Perspective
from northstar.web.labels import CARD_ELEMENTS

#: the elements of a complete card, in the order of S6.3; each key is a field label in web/labels.py
ELEMENTS = (
    "name",
    "definition",
    "purpose",
    "formula",
    "formula_notes",
    "rule",
    "band_descriptions",
    "data_source",
    "period",
    "data_owner",
    "unit",
    "polarity",
    "perspective",
)


def get_card(db: Session, card_id: int) -> IndicatorCard:
    card = db.get(IndicatorCard, card_id)
    if card is None:
        raise NotFound(N_("No indicator card with id {id}."), id=card_id)
    return card


def get_card_by_code(db: Session, code: str) -> IndicatorCard:
    """The card with ``code``; NotFound names the code."""
    card = db.scalar(select(IndicatorCard).where(IndicatorCard.code == code))
    if card is None:
        raise NotFound(
            N_('No indicator card with code "{code}": check the spelling or add the card.'), code=code
        )
    return card


def get_all_cards(db: Session, *, domain: str | None = None) -> list[IndicatorCard]:
    """Every card (of one library domain if given), by code."""
    query = select(IndicatorCard).order_by(IndicatorCard.domain, IndicatorCard.code)
    if domain:
        query = query.where(IndicatorCard.domain == domain)
    return list(db.scalars(query))


def missing_elements(card: IndicatorCard | CardIn) -> list[str]:
    """The elements a card still lacks (S6.3); an empty list means it can be assessed."""
    missing = []
    for key in ELEMENTS:
        if key == "band_descriptions":
            if card.rule and not _described(card.rule):
                missing.append(key)
            continue
        value = getattr(card, key)
        if value is None or (isinstance(value, str) and not value.strip()):
            missing.append(key)
    return missing


def _described(rule: dict[str, Any]) -> bool:
    """Bands and rubric levels each need a description of the performance they stand for."""
    if rule.get("kind") == "bands":
        return all(str(b.get("description", "")).strip() for b in rule.get("bands", []))
    if rule.get("kind") == "rubric":
        return all(str(lv.get("description", "")).strip() for lv in rule.get("levels", []))
    return True


def rule_problems(rule: dict[str, Any] | None, field: str = "rule") -> list[Problem]:
    """What is wrong with a scoring rule, each problem naming its path (rule.bands[1].lower)."""
    if rule is None:
        return []
    return [p.as_problem() for p in scoring_problems(rule, prefix=field)]


def card_problems(db: Session, data: CardIn, *, prefix: str = "") -> list[Problem]:
    """Every problem with a card's content, each naming its field and the fix; none for a valid draft."""
    problems: list[Problem] = []

    def add(field: str, message: str, **params: Any) -> None:
        problems.append(Problem(message, params, field=prefix + field))

    codes = [m.code for m in data.measures]
    dup = sorted({c for c in codes if codes.count(c) > 1})
    if dup:
        add(
            "measures",
            N_('The measure "{code}" is listed twice: give each measure its own code.'),
            code=dup[0],
        )
    if data.formula.strip():
        try:
            parse(data.formula, codes + [m.name for m in data.measures])
        except FormulaError as exc:
            add("formula", exc.template, **exc.params)
    for p in rule_problems(data.rule):
        problems.append(Problem(p.message, p.params, field=prefix + (p.field or "rule")))
    if data.unit and data.unit not in UNITS:
        add("unit", N_('Unknown unit "{unit}": use one of {units}.'), unit=data.unit, units=", ".join(UNITS))
    if data.domain and data.domain not in DOMAINS:
        add(
            "domain",
            N_('Unknown domain "{domain}": use one of {domains}.'),
            domain=data.domain,
            domains=", ".join(DOMAINS),
        )
    if data.driver and catalogue.value_driver(data.driver) is None:
        add(
            "driver",
            N_('Unknown value driver "{driver}": choose one from the value-driver catalogue.'),
            driver=data.driver,
        )
    if data.touchpoint_id is not None and db.get(Touchpoint, data.touchpoint_id) is None:
        add("touchpoint_id", N_("No touchpoint with id {id}."), id=data.touchpoint_id)
    if data.department:
        try:
            get_department_by_code(db, data.department)
        except NotFound as exc:
            add("department", exc.message, **exc.params)
    if data.rule and data.polarity and not problems:
        kind_polarity = RULE_ADAPTER.validate_python(data.rule).polarity
        if kind_polarity != data.polarity and data.rule.get("kind") in ("linear", "bands", "range"):
            add(
                "polarity",
                N_("The card says {polarity} but its scoring rule rewards {rule_polarity}: make them agree."),
                polarity=data.polarity.value,
                rule_polarity=kind_polarity.value,
            )
    return problems


def _values(db: Session, data: CardIn) -> dict[str, Any]:
    values = data.model_dump(exclude={"driver", "department", "measures"})
    values["driver_code"] = data.driver
    values["measures"] = [m.model_dump() for m in data.measures]
    values["department_id"] = get_department_by_code(db, data.department).id if data.department else None
    return values


def _require_unused_code(db: Session, code: str) -> None:
    """Refuse a code that another card of the design already has."""
    if db.scalar(select(IndicatorCard.id).where(IndicatorCard.code == code)):
        raise Conflict(
            N_('An indicator card with code "{code}" already exists: choose another code.'), code=code
        )


def _require_valid(db: Session, data: CardIn) -> None:
    """Refuse ``data`` when any of its elements is wrong, each problem naming its field."""
    problems = card_problems(db, data)
    if problems:
        raise ValidationFailed(
            N_("The indicator card has problems: fix the fields listed."), problems=problems
        )


def _insert_card(db: Session, principal: Principal, data: CardIn) -> IndicatorCard:
    """A new card row from ``data`` once it is valid, flushed; the caller audits it."""
    _require_valid(db, data)
    card = IndicatorCard(created_by=principal.username, **_values(db, data))
    db.add(card)
    db.flush()
    return card


def create_card(db: Session, principal: Principal, data: CardIn) -> IndicatorCard:
    """A new indicator card; incomplete cards are kept as drafts, invalid ones refused."""
    require_designer(principal)
    _require_unused_code(db, data.code)
    card = _insert_card(db, principal, data)
    audit.record(
        db,
        principal.actor,
        action="create",
        entity="indicator_card",
        entity_id=card.code,
        changes={"name": (None, card.name), "rule": (None, card.rule)},
    )
    return card


def update_card(
    db: Session,
    principal: Principal,
    card: IndicatorCard,
    data: CardIn,
    *,
    version: int,
    reason: str | None = None,
) -> IndicatorCard:
    """Change a card; every changed element is audited."""
    require_designer(principal)
    check_version(card, version, card.name)
    if data.code != card.code:
        _require_unused_code(db, data.code)
    _require_valid(db, data)
    changes = audit.apply(card, _values(db, data))
    db.flush()
    audit.record(
        db,
        principal.actor,
        action="update",
        entity="indicator_card",
        entity_id=card.code,
        changes=changes,
        reason=reason,
    )
    return card


def to_card_in(card: IndicatorCard) -> CardIn:
    """The card as the schema it was written in (API, workspace file)."""
    return CardIn(
        code=card.code,
        name=card.name,
        name_en=card.name_en,
        domain=card.domain,
        definition=card.definition,
        definition_en=card.definition_en,
        purpose=card.purpose,
        purpose_en=card.purpose_en,
        formula=card.formula,
        formula_notes=card.formula_notes,
        formula_notes_en=card.formula_notes_en,
        measures=[MeasureIn(**m) for m in card.measures],
        unit=card.unit,
        polarity=card.polarity,
        rule=card.rule,
        missing_policy=card.missing_policy,
        perspective=card.perspective,
        data_source=card.data_source,
        data_source_en=card.data_source_en,
        period=card.period,
        data_owner=card.data_owner,
        data_owner_en=card.data_owner_en,
        driver=card.driver_code,
        touchpoint_id=card.touchpoint_id,
        department=card.department.code if card.department else None,
        library_code=card.library_code,
    )


# --- reading and completeness ---------------------------------------------------------------


def list_cards(
    db: Session,
    *,
    domain: str | None = None,
    driver: str | None = None,
    perspective: Perspective | None = None,
    complete: bool | None = None,
) -> list[IndicatorCard]:
    """The design's cards filtered by library domain, value driver, perspective and completeness."""
    query = select(IndicatorCard).order_by(IndicatorCard.domain, IndicatorCard.code)
    if domain:
        query = query.where(IndicatorCard.domain == domain)
    if driver:
        query = query.where(IndicatorCard.driver_code == driver)
    if perspective is not None:
        query = query.where(IndicatorCard.perspective == perspective)
    cards = list(db.scalars(query))
    if complete is not None:
        cards = [c for c in cards if (not missing_elements(c)) == complete]
    return cards


def element_label(key: str) -> str:
    """The catalogue name of a card element ("data_owner" → "Data owner"), for ``_()`` or ``Label``."""
    return CARD_ELEMENTS.get(key, key)


def require_assessable(card: IndicatorCard) -> None:
    """Refuse to assess with a draft card; the problems name every missing element (S6.3)."""
    missing = missing_elements(card)
    if missing:
        raise ValidationFailed(
            N_("{card} is a draft and cannot be assessed yet: fill in the missing elements listed."),
            card=Named(card.name_en or card.name, card.name),
            problems=[
                Problem(N_("Fill in the {element}."), {"element": Label(element_label(k))}, field=k)
                for k in missing
            ],
        )


# --- the library (S5.4) ---------------------------------------------------------------------


def library_cards(*, domain: str | None = None, query: str | None = None) -> list[CardIn]:
    """Library cards of one domain (all if None) whose code, names or definition contain ``query``."""
    cards = [c for c in library.indicator_library() if not domain or c.domain == domain]
    needle = " ".join((query or "").split()).casefold()
    if not needle:
        return cards
    return [
        c
        for c in cards
        if any(
            needle in text.casefold() for text in (c.code, c.name, c.name_en, c.definition, c.definition_en)
        )
    ]


def get_library_card(code: str) -> CardIn:
    """The library card ``code``; NotFound names the code."""
    card = library.library_card(code)
    if card is None:
        raise NotFound(
            N_('The indicator library has no card "{code}": pick one from the library page.'), code=code
        )
    return card


def design_card_for(db: Session, code: str) -> IndicatorCard | None:
    """The design's card taken from library card ``code`` (or already using that code), if any."""
    found = db.scalar(select(IndicatorCard).where(IndicatorCard.library_code == code))
    return found or db.scalar(select(IndicatorCard).where(IndicatorCard.code == code))


def _require_adopter(db: Session, principal: Principal, department: Department | None) -> None:
    if department is None:
        require_designer(principal)
    else:
        require_department_editor(db, principal, department.id)


def adopt_library_card(
    db: Session, principal: Principal, code: str, *, department: Department | None = None
) -> IndicatorCard:
    """Copy library card ``code`` into the design (``library_code`` set), owned by ``department``
    if given. Designers adopt any card; a manager adopts for a department they manage. A card
    is adopted once: a second adoption of the same code is a Conflict naming the design's card
    (use ``get_or_adopt_library_card`` where the existing card will do)."""
    _require_adopter(db, principal, department)
    source = get_library_card(code)
    existing = design_card_for(db, code)
    if existing is not None:
        raise Conflict(
            N_('{card} is already in the design as card "{code}": open it instead of adding it again.'),
            card=Named(existing.name_en or existing.name, existing.name),
            code=existing.code,
        )
    data = source.model_copy(
        update={"library_code": code, "department": department.code if department else None}
    )
    card = _insert_card(db, principal, data)
    audit.record(
        db,
        principal.actor,
        action="adopt",
        entity="indicator_card",
        entity_id=card.code,
        changes={
            "library_code": (None, code),
            "name": (None, card.name),
            "department": (None, department.code if department else None),
        },
    )
    return card


def get_or_adopt_library_card(
    db: Session, principal: Principal, code: str, *, department: Department | None = None
) -> IndicatorCard:
    """The design's card for library card ``code``, adopting it first if the design has none."""
    existing = design_card_for(db, code)
    if existing is not None:
        return existing
    return adopt_library_card(db, principal, code, department=department)


# --- deleting -------------------------------------------------------------------------------


class CardInUse(Conflict):
    """A card still used somewhere: one problem per use, each saying where."""

    def __init__(self, message: str, /, *, problems: list[Problem], **params: Any) -> None:
        super().__init__(message, **params)
        self.problems = problems


def _named(en: str, zh: str) -> Named:
    return Named(en or zh, zh)


def card_uses(db: Session, card: IndicatorCard) -> list[Problem]:
    """Where a card is used: enterprise objectives, pool candidates, positions, personal
    scorecards and team indicators, each as a problem saying where to take it off."""
    found: list[tuple[str, Named]] = []
    for obj in db.scalars(
        select(Objective).join(ObjectiveIndicator).where(ObjectiveIndicator.card_id == card.id)
    ):
        found.append((N_("enterprise objective"), _named(obj.name_en, obj.name)))
    for cand in db.scalars(select(KpiCandidate).where(KpiCandidate.card_id == card.id)):
        dept = cand.department
        found.append(
            (
                N_("KPI pool candidate"),
                _named(
                    f"{dept.name_en or dept.name} / {cand.name_en or cand.name}", f"{dept.name} / {cand.name}"
                ),
            )
        )
    for pi in db.scalars(select(PositionIndicator).where(PositionIndicator.card_id == card.id)):
        found.append((N_("position"), _named(pi.position.name_en, pi.position.name)))
    for sc in db.scalars(
        select(PersonalScorecard).join(ScorecardItem).where(ScorecardItem.card_id == card.id)
    ):
        label = f"{sc.employee.name} {sc.period}"
        found.append((N_("personal scorecard"), _named(label, label)))
    for team in db.scalars(select(TeamIndicator).where(TeamIndicator.card_id == card.id)):
        dept = team.department
        found.append(
            (
                N_("team indicator"),
                _named(f"{dept.name_en or dept.name} {team.period}", f"{dept.name} {team.period}"),
            )
        )
    # a cycle keeps the cards it planned or froze for good: its record must not lose them
    used_in_cycles = (
        select(Cycle)
        .where(
            Cycle.id.in_(select(CycleAssignment.cycle_id).where(CycleAssignment.card_id == card.id))
            | Cycle.id.in_(select(CycleCard.cycle_id).where(CycleCard.card_id == card.id))
            | Cycle.id.in_(select(CycleChange.cycle_id).where(CycleChange.card_id == card.id))
        )
        .order_by(Cycle.start)
    )
    for cycle in db.scalars(used_in_cycles):
        found.append((N_("performance cycle"), _named(cycle.name_en or cycle.name, cycle.name)))
    return [
        Problem(
            N_("Used by the {kind} {name}: take the card off it first."),
            {"kind": Label(kind), "name": name},
            field="card_id",
        )
        for kind, name in found
    ]


def delete_card(db: Session, principal: Principal, card: IndicatorCard, *, reason: str | None = None) -> None:
    """Delete a card no objective, pool candidate, position or scorecard uses; refused otherwise."""
    require_designer(principal)
    uses = card_uses(db, card)
    if uses:
        raise CardInUse(
            N_("{card} is still in use ({count}): take it off everything listed, then delete it."),
            problems=uses,
            card=Named(card.name_en or card.name, card.name),
            count=len(uses),
        )
    audit.record(
        db,
        principal.actor,
        action="delete",
        entity="indicator_card",
        entity_id=card.code,
        changes={"name": (card.name, None), "library_code": (card.library_code, None)},
        reason=reason,
    )
    db.delete(card)
    db.flush()
