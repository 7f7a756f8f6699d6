"""The enterprise balanced scorecard (S4.1–S4.3): objectives per perspective, cause-and-effect
links of the strategy map and the indicator cards measuring each objective, with their weights.
The design check and the map's data are in strategy/design_check.py."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from northstar import audit, catalogue
from northstar.customers.service import require_designer
from northstar.db import check_version, plain
from northstar.errors import N_, Label, Named, NotFound, Problem, ValidationFailed
from northstar.indicators.models import IndicatorCard
from northstar.indicators.service import get_card, get_card_by_code
from northstar.security.principal import Principal
from northstar.strategy.models import (
    MAP_LAYERS,
    Objective,
    ObjectiveIndicator,
    ObjectiveLink,
    Perspective,
    StrategyPriority,
    StrategyRecord,
)

#: the order the method builds and the page shows the perspectives: the customer first (S4.1)
PERSPECTIVE_ORDER = (Perspective.customer, Perspective.financial, Perspective.process, Perspective.learning)
#: height of each perspective in the strategy map: a cause sits strictly below its effect (S4.2)
LAYER = {p: i for i, p in enumerate(MAP_LAYERS)}
CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")
HUNDRED = Decimal(100)
_EDITABLE = ("code", "name", "name_en", "perspective", "rank", "description", "priority_id", "driver_code")


def named(obj: Objective) -> Named:
    """An objective as a message parameter: its code and its name in the reader's language."""
    return Named(f"{obj.code} {obj.name_en or obj.name}", f"{obj.code} {obj.name}")


def card_named(card: IndicatorCard) -> Named:
    return Named(card.name_en or card.name, card.name)


def _eid(*parts: str) -> str:
    # the audit column holds 60 characters; the changes carry the full values
    return "/".join(parts)[:60]


# --- objectives ---------------------------------------------------------------------------------


def _order(obj: Objective) -> tuple[int, int, str]:
    return PERSPECTIVE_ORDER.index(obj.perspective), obj.rank, obj.code


def get_objectives(db: Session, record: StrategyRecord) -> list[Objective]:
    """The record's objectives: customer perspective first, then financial, process, learning; by rank."""
    return sorted(db.scalars(select(Objective).where(Objective.record_id == record.id)), key=_order)


def get_objective(db: Session, *, objective_id: int) -> Objective:
    obj = db.get(Objective, objective_id)
    if obj is None:
        raise NotFound(N_("No objective with id {id}."), id=objective_id)
    return obj


def get_objective_by_code(
    db: Session, record: StrategyRecord, code: str, *, field: str = "code"
) -> Objective:
    """The record's objective with ``code``; a problem naming ``field`` when there is none."""
    obj = db.scalar(select(Objective).where(Objective.record_id == record.id, Objective.code == code))
    if obj is None:
        raise ValidationFailed(
            N_('No objective "{code}" in the scorecard of {period}: use the code of one of its objectives.'),
            problems=[Problem(N_("Choose an objective of this scorecard."), {"code": code}, field=field)],
            code=code,
            period=record.period,
        )
    return obj


def _perspective(value: Perspective | str | None, problems: list[Problem]) -> Perspective | None:
    try:
        return Perspective(value if value is not None else "")
    except ValueError:
        problems.append(
            Problem(
                N_('Unknown perspective "{perspective}": use customer, financial, process or learning.'),
                {"perspective": str(value or "")},
                field="perspective",
            )
        )
        return None


def _objective_problems(
    db: Session, record: StrategyRecord, values: dict[str, Any], own_id: int | None
) -> list[Problem]:
    """Every problem with an objective's values, each naming its field and the fix."""
    problems: list[Problem] = []
    code = values["code"]
    if not code or not CODE.fullmatch(code):
        problems.append(
            Problem(
                N_("The code must be 1–40 letters, digits, '-', '_' or '.', e.g. C1 or F-2: fill it in."),
                field="code",
            )
        )
    elif db.scalar(
        select(Objective.id).where(
            Objective.record_id == record.id, Objective.code == code, Objective.id != (own_id or 0)
        )
    ):
        problems.append(
            Problem(
                N_("Objective code {code} is taken in this scorecard: choose another code."),
                {"code": code},
                field="code",
            )
        )
    if not values["name"]:
        problems.append(Problem(N_("Name the objective."), field="name"))
    elif len(values["name"]) > 200 or len(values["name_en"]) > 200:
        problems.append(Problem(N_("Keep the name under 200 characters."), field="name"))
    values["perspective"] = _perspective(values["perspective"], problems)
    if values["rank"] is None or values["rank"] < 1:
        problems.append(Problem(N_("The rank must be a whole number from 1 (most important)."), field="rank"))
    if values["priority_id"] is not None:
        priority = db.get(StrategyPriority, values["priority_id"])
        if priority is None or priority.record_id != record.id:
            problems.append(
                Problem(
                    N_(
                        "The customer value {id} is not declared in the strategy record of {period}: choose one "
                        "of its declared customer values."
                    ),
                    {"id": values["priority_id"], "period": record.period},
                    field="priority_id",
                )
            )
    if values["driver_code"] and catalogue.value_driver(values["driver_code"]) is None:
        problems.append(
            Problem(
                N_('Unknown value driver "{driver}": choose one from the value-driver catalogue.'),
                {"driver": values["driver_code"]},
                field="driver",
            )
        )
    return problems


def _next_rank(db: Session, record: StrategyRecord, perspective: Perspective | None) -> int:
    ranks = [o.rank for o in get_objectives(db, record) if o.perspective is perspective]
    return max(ranks, default=0) + 1


def _priority_text(priority_id: int | None, db: Session) -> str | None:
    priority = db.get(StrategyPriority, priority_id) if priority_id else None
    return f"{priority.rank}. {priority.driver_code}" if priority else None


def create_objective(
    db: Session,
    principal: Principal,
    record: StrategyRecord,
    *,
    code: str,
    name: str,
    perspective: Perspective | str,
    name_en: str = "",
    rank: int | None = None,
    description: str = "",
    priority_id: int | None = None,
    driver_code: str | None = None,
) -> Objective:
    """A new objective in one perspective of the record's balanced scorecard (S4.1)."""
    require_designer(principal)
    values: dict[str, Any] = {
        "code": code.strip(),
        "name": name.strip(),
        "name_en": name_en.strip(),
        "perspective": perspective,
        "rank": rank,
        "description": description.strip(),
        "priority_id": priority_id,
        "driver_code": (driver_code or "").strip() or None,
    }
    if rank is None:
        # the next free rank of the perspective; an unknown perspective is reported on its own
        known = perspective in tuple(Perspective)
        values["rank"] = _next_rank(db, record, Perspective(perspective)) if known else 1
    problems = _objective_problems(db, record, values, None)
    if problems:
        raise ValidationFailed(N_("The objective was not saved: fix the fields listed."), problems=problems)
    obj = Objective(record_id=record.id, **values)
    db.add(obj)
    db.flush()
    changes = {k: (None, values[k]) for k in _EDITABLE if k not in ("code", "priority_id")}
    changes["priority"] = (None, _priority_text(priority_id, db))
    audit.record(
        db,
        principal.actor,
        action="create",
        entity="objective",
        entity_id=_eid(record.period, obj.code),
        changes=changes,
    )
    return obj


def _links_of(db: Session, obj: Objective) -> list[ObjectiveLink]:
    return list(
        db.scalars(
            select(ObjectiveLink).where(
                (ObjectiveLink.cause_id == obj.id) | (ObjectiveLink.effect_id == obj.id)
            )
        )
    )


def update_objective(
    db: Session,
    principal: Principal,
    obj: Objective,
    *,
    version: int,
    reason: str | None = None,
    **fields: Any,
) -> Objective:
    """Change an objective; the fields given are set (None clears the customer value or driver)."""
    require_designer(principal)
    check_version(obj, version, obj.code)
    unknown = sorted(set(fields) - set(_EDITABLE))
    if unknown:
        raise ValidationFailed(
            N_("These fields cannot be changed here: {fields}."),
            problems=[Problem(N_("Leave this field out."), field=f) for f in unknown],
            fields=", ".join(unknown),
        )
    record = db.get(StrategyRecord, obj.record_id)
    assert record is not None  # the foreign key guarantees it
    values: dict[str, Any] = {k: getattr(obj, k) for k in _EDITABLE} | fields
    for key in ("code", "name", "name_en", "description"):
        values[key] = (values[key] or "").strip()
    values["driver_code"] = (values["driver_code"] or "").strip() or None
    problems = _objective_problems(db, record, values, obj.id)
    if not problems and values["perspective"] is not obj.perspective:
        for link in _links_of(db, obj):
            cause = values["perspective"] if link.cause_id == obj.id else link.cause.perspective
            effect = values["perspective"] if link.effect_id == obj.id else link.effect.perspective
            if LAYER[cause] >= LAYER[effect]:
                problems.append(
                    Problem(
                        N_(
                            "In the {perspective} perspective, the link {cause} → {effect} would no longer point up "
                            "the strategy map: remove that link first, or keep the perspective."
                        ),
                        {
                            "perspective": Label(values["perspective"].value),
                            "cause": named(link.cause),
                            "effect": named(link.effect),
                        },
                        field="perspective",
                    )
                )
    if problems:
        raise ValidationFailed(N_("The objective was not saved: fix the fields listed."), problems=problems)
    old_priority = _priority_text(obj.priority_id, db)
    changes = audit.apply(obj, {k: values[k] for k in _EDITABLE})
    if "priority_id" in changes:
        del changes["priority_id"]
        changes["priority"] = (old_priority, _priority_text(values["priority_id"], db))
    db.flush()
    audit.record(
        db,
        principal.actor,
        action="update",
        entity="objective",
        entity_id=_eid(record.period, obj.code),
        changes=changes,
        reason=reason,
    )
    return obj


def delete_objective(db: Session, principal: Principal, obj: Objective, *, reason: str | None = None) -> None:
    """Remove an objective with its links and indicator assignments (the cards themselves stay)."""
    require_designer(principal)
    record = db.get(StrategyRecord, obj.record_id)
    period = record.period if record else ""
    links = _links_of(db, obj)
    changes: dict[str, tuple[Any, Any]] = {"name": (obj.name, None), "perspective": (obj.perspective, None)}
    if links:
        changes["links"] = ("; ".join(f"{x.cause.code} → {x.effect.code}" for x in links), None)
    if obj.indicators:
        changes["indicators"] = (", ".join(oi.card.code for oi in obj.indicators), None)
    audit.record(
        db,
        principal.actor,
        action="delete",
        entity="objective",
        entity_id=_eid(period, obj.code),
        changes=changes,
        reason=reason,
    )
    for link in links:
        db.delete(link)
    db.delete(obj)
    db.flush()


# --- cause-and-effect links ---------------------------------------------------------------------


def get_links(db: Session, record: StrategyRecord) -> list[ObjectiveLink]:
    """The record's cause-and-effect links, from the bottom of the map up."""
    links = db.scalars(
        select(ObjectiveLink)
        .join(Objective, ObjectiveLink.cause_id == Objective.id)
        .where(Objective.record_id == record.id)
    )
    return sorted(links, key=lambda x: (LAYER[x.cause.perspective], _order(x.cause), _order(x.effect)))


def get_link(db: Session, *, link_id: int) -> ObjectiveLink:
    link = db.get(ObjectiveLink, link_id)
    if link is None:
        raise NotFound(N_("No cause-and-effect link with id {id}."), id=link_id)
    return link


def link_problem(cause: Objective, effect: Objective) -> Problem | None:
    """Why ``cause → effect`` may not be drawn, or None: arrows climb the map, never sideways or down."""
    if cause.id == effect.id:
        return Problem(
            N_("{objective} cannot drive itself: choose another objective as the effect."),
            {"objective": named(cause)},
            field="effect_code",
        )
    if cause.record_id != effect.record_id:
        return Problem(
            N_(
                "{cause} and {effect} belong to different strategy records: link objectives of one scorecard."
            ),
            {"cause": named(cause), "effect": named(effect)},
            field="effect_code",
        )
    if cause.perspective is effect.perspective:
        return Problem(
            N_(
                "{cause} and {effect} are both in the {perspective} perspective: an arrow of the strategy map "
                "climbs from a lower layer to a higher one (learning → process → customer → financial); link "
                "each of them to an objective of a higher layer instead."
            ),
            {"cause": named(cause), "effect": named(effect), "perspective": Label(cause.perspective.value)},
            field="effect_code",
        )
    if LAYER[cause.perspective] > LAYER[effect.perspective]:
        return Problem(
            N_(
                "The arrow {cause} → {effect} points down the strategy map ({cause_perspective} is above "
                "{effect_perspective}): causes sit below their effects (learning → process → customer → "
                "financial), so draw it the other way: {effect} → {cause}."
            ),
            {
                "cause": named(cause),
                "effect": named(effect),
                "cause_perspective": Label(cause.perspective.value),
                "effect_perspective": Label(effect.perspective.value),
            },
            field="effect_code",
        )
    return None


def add_link(
    db: Session, principal: Principal, cause: Objective, effect: Objective, *, note: str = ""
) -> ObjectiveLink:
    """Draw the arrow ``cause → effect`` of the strategy map (S4.2)."""
    require_designer(principal)
    problem = link_problem(cause, effect)
    if problem is None and db.scalar(
        select(ObjectiveLink.id).where(
            ObjectiveLink.cause_id == cause.id, ObjectiveLink.effect_id == effect.id
        )
    ):
        problem = Problem(
            N_("{cause} already drives {effect}: the link exists, nothing to add."),
            {"cause": named(cause), "effect": named(effect)},
            field="effect_code",
        )
    if problem is not None:
        raise ValidationFailed(problem.message, problems=[problem], **problem.params)
    link = ObjectiveLink(cause=cause, effect=effect, note=note.strip())
    db.add(link)
    db.flush()
    record = db.get(StrategyRecord, cause.record_id)
    audit.record(
        db,
        principal.actor,
        action="create",
        entity="objective_link",
        entity_id=_eid(record.period if record else "", f"{cause.code}->{effect.code}"),
        changes={
            "cause": (None, cause.code),
            "effect": (None, effect.code),
            "note": (None, link.note or None),
        },
    )
    return link


def remove_link(db: Session, principal: Principal, link: ObjectiveLink, *, reason: str | None = None) -> None:
    """Erase an arrow of the strategy map."""
    require_designer(principal)
    record = db.get(StrategyRecord, link.cause.record_id)
    audit.record(
        db,
        principal.actor,
        action="delete",
        entity="objective_link",
        entity_id=_eid(record.period if record else "", f"{link.cause.code}->{link.effect.code}"),
        changes={"cause": (link.cause.code, None), "effect": (link.effect.code, None)},
        reason=reason,
    )
    db.delete(link)
    db.flush()


# --- indicators of objectives -------------------------------------------------------------------


def parse_weight(value: Decimal | int | str | None) -> Decimal | None:
    """A weight in percent (0 < w ≤ 100) or None; a problem naming ``weight`` otherwise."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        weight = Decimal(str(value).strip().rstrip("%"))
    except InvalidOperation:
        weight = Decimal("NaN")
    if not weight.is_finite() or weight <= 0 or weight > HUNDRED:
        raise ValidationFailed(
            N_("The weight {weight} is not a percentage above 0 and at most 100: write e.g. 20 for 20%."),
            problems=[Problem(N_("Write a number above 0 and at most 100."), field="weight")],
            weight=str(value),
        )
    return plain(weight)


def find_card(db: Session, *, card_id: int | None = None, card_code: str | None = None) -> IndicatorCard:
    """The indicator card given by id or by code; a problem naming the field when there is none."""
    if card_id is None and not (card_code or "").strip():
        raise ValidationFailed(
            N_("Say which indicator card measures the objective: give its id or its code."),
            problems=[Problem(N_("Choose an indicator card."), field="card_id")],
        )
    try:
        if card_id is not None:
            return get_card(db, card_id)
        return get_card_by_code(db, (card_code or "").strip())
    except NotFound as exc:
        raise ValidationFailed(
            exc.message,
            problems=[
                Problem(exc.message, exc.params, field="card_id" if card_id is not None else "card_code")
            ],
            **exc.params,
        ) from exc


def get_objective_indicator(db: Session, *, item_id: int) -> ObjectiveIndicator:
    item = db.get(ObjectiveIndicator, item_id)
    if item is None:
        raise NotFound(N_("No objective indicator with id {id}."), id=item_id)
    return item


def _objective_of(db: Session, item: ObjectiveIndicator) -> Objective:
    return get_objective(db, objective_id=item.objective_id)


def attach_indicator(
    db: Session,
    principal: Principal,
    obj: Objective,
    card: IndicatorCard,
    *,
    weight: Decimal | int | str | None = None,
) -> ObjectiveIndicator:
    """Measure ``obj`` with an indicator card, with its weight (percent) in the enterprise scorecard."""
    require_designer(principal)
    value = parse_weight(weight)
    taken = db.scalar(
        select(Objective)
        .join(ObjectiveIndicator, ObjectiveIndicator.objective_id == Objective.id)
        .where(Objective.record_id == obj.record_id, ObjectiveIndicator.card_id == card.id)
    )
    if taken is not None:
        if taken.id == obj.id:
            message = N_("{indicator} already measures {objective}: change its weight instead.")
        else:
            message = N_(
                "{indicator} already measures {other} in this scorecard: an indicator measures one objective, "
                "so move it there or choose another card for {objective}."
            )
        params = {"indicator": card_named(card), "objective": named(obj), "other": named(taken)}
        raise ValidationFailed(message, problems=[Problem(message, params, field="card_id")], **params)
    item = ObjectiveIndicator(card=card, weight=value)
    obj.indicators.append(item)
    db.flush()
    record = db.get(StrategyRecord, obj.record_id)
    audit.record(
        db,
        principal.actor,
        action="create",
        entity="objective_indicator",
        entity_id=_eid(record.period if record else "", obj.code, card.code),
        changes={"objective": (None, obj.code), "card": (None, card.code), "weight": (None, value)},
    )
    return item


def set_indicator_weight(
    db: Session,
    principal: Principal,
    item: ObjectiveIndicator,
    *,
    weight: Decimal | int | str | None,
    reason: str | None = None,
) -> ObjectiveIndicator:
    """Change an enterprise indicator's weight; the sum is checked by the design check, not here."""
    require_designer(principal)
    obj = _objective_of(db, item)
    changes = audit.apply(item, {"weight": parse_weight(weight)})
    db.flush()
    record = db.get(StrategyRecord, obj.record_id)
    audit.record(
        db,
        principal.actor,
        action="update",
        entity="objective_indicator",
        entity_id=_eid(record.period if record else "", obj.code, item.card.code),
        changes=changes,
        reason=reason,
    )
    return item


def detach_indicator(
    db: Session, principal: Principal, item: ObjectiveIndicator, *, reason: str | None = None
) -> None:
    """Stop measuring an objective with a card (the card stays in the catalogue)."""
    require_designer(principal)
    obj = _objective_of(db, item)
    record = db.get(StrategyRecord, obj.record_id)
    audit.record(
        db,
        principal.actor,
        action="delete",
        entity="objective_indicator",
        entity_id=_eid(record.period if record else "", obj.code, item.card.code),
        changes={"card": (item.card.code, None), "weight": (item.weight, None)},
        reason=reason,
    )
    obj.indicators.remove(item)
    db.flush()


def weight_total(objectives: list[Objective]) -> Decimal:
    """The sum of the enterprise indicator weights (percent); a missing weight counts as 0."""
    return plain(sum((oi.weight or Decimal(0) for o in objectives for oi in o.indicators), Decimal(0)))
