"""The design check of the enterprise balanced scorecard (S4.3) and the strategy map it is drawn
on (S4.2): every rule the design breaks, each with its fix, and the map's layers and arrows.

"Customer objectives exist and come first" is checked as the customer being the driving axis:
there is at least one customer objective (no_customer_objective), and every other objective
explains its value to the customer through the map — a process objective drives a customer
objective directly (process_drives_no_customer), a financial objective is driven by one
(financial_not_converted), a learning objective drives something (learning_drives_nothing) that
leads on to a customer objective (learning_not_reaching_customer). Lists and pages always show
the customer perspective first; ranks count within a perspective, so they cannot contradict it.

Rules (code: severity): no_customer_objective, orphaned, process_drives_no_customer,
financial_not_converted, learning_drives_nothing, no_indicator, weight_missing, weights_not_100:
error; learning_not_reaching_customer, customer_not_driven, customer_value_missing,
card_incomplete: warning."""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from northstar.errors import N_
from northstar.indicators.models import IndicatorCard
from northstar.indicators.service import missing_elements
from northstar.strategy.models import MAP_LAYERS, Objective, Perspective, StrategyRecord
from northstar.strategy.schemas import LinkOut, MapLayerOut, MapNodeOut, StrategyMapOut
from northstar.strategy.scorecard import HUNDRED, card_named, get_links, get_objectives, named, weight_total

#: the layer names of the strategy map
LAYER_LABELS = {
    Perspective.learning: N_("Learning and growth"),
    Perspective.process: N_("Internal process"),
    Perspective.customer: N_("Customer"),
    Perspective.financial: N_("Financial"),
}


class Severity(enum.StrEnum):
    #: the design breaks a rule of the method (S4.2, S4.3)
    error = "error"
    #: the design works but is weaker than the method asks
    warning = "warning"


@dataclass(frozen=True)
class Finding:
    """One result of the design check: which rule, how serious, the message (a catalogue key
    with params, the fix included) and the objective (and card) it concerns."""

    rule: str
    severity: Severity
    message: str
    params: Mapping[str, Any] = field(default_factory=dict)
    objective: Objective | None = None
    card: IndicatorCard | None = None
    #: the card elements still empty (keys of indicators.service.ELEMENTS), for card_incomplete
    missing: tuple[str, ...] = ()

    def text(self, gettext: Callable[..., str]) -> str:
        """The message in the language of ``gettext``."""
        return gettext(self.message, **self.params)


def _reaches_customer(start: Objective, effects_of: Mapping[int, list[Objective]]) -> bool:
    seen: set[int] = set()
    todo = list(effects_of.get(start.id, []))
    while todo:
        obj = todo.pop()
        if obj.perspective is Perspective.customer:
            return True
        if obj.id not in seen:
            seen.add(obj.id)
            todo.extend(effects_of.get(obj.id, []))
    return False


def _link_findings(
    obj: Objective,
    causes: list[Objective],
    effects: list[Objective],
    effects_of: Mapping[int, list[Objective]],
    has_customer: bool,
) -> list[Finding]:
    """What the strategy map lacks around ``obj``: each perspective explains its value to the customer."""
    p = {"objective": named(obj)}
    error, warning = Severity.error, Severity.warning
    # nothing sits below learning, so a learning objective that drives nothing is also orphaned
    if obj.perspective is Perspective.learning and not effects:
        message = N_(
            "Learning objective {objective} drives nothing: link it to the process or customer objective whose "
            "capability it builds."
        )
        return [Finding("learning_drives_nothing", error, message, p, obj)]
    if not causes and not effects:
        return [
            Finding(
                "orphaned",
                error,
                N_(
                    "{objective} is linked to no other objective: draw its cause-and-effect arrows in the "
                    "strategy map (what it drives, what drives it), or delete it if it serves no customer value."
                ),
                p,
                obj,
            )
        ]
    kinds = {o.perspective for o in causes}, {o.perspective for o in effects}
    if obj.perspective is Perspective.process and Perspective.customer not in kinds[1]:
        message = N_(
            "Process objective {objective} drives no customer objective: link it to the customer objective "
            "it improves (an arrow from {objective} up to that customer objective)."
        )
        return [Finding("process_drives_no_customer", error, message, p, obj)]
    if obj.perspective is Perspective.financial and Perspective.customer not in kinds[0]:
        message = N_(
            "Financial objective {objective} is not driven by any customer objective: link the customer result "
            "it converts into money (an arrow from that customer objective up to {objective})."
        )
        return [Finding("financial_not_converted", error, message, p, obj)]
    if obj.perspective is Perspective.learning and has_customer and not _reaches_customer(obj, effects_of):
        message = N_(
            "Learning objective {objective} does not lead to any customer objective through the map: link what "
            "it drives on to a customer objective, so that it explains why it matters to customers."
        )
        return [Finding("learning_not_reaching_customer", warning, message, p, obj)]
    if obj.perspective is Perspective.customer and Perspective.process not in kinds[0]:
        message = N_(
            "No process objective drives customer objective {objective}: add the internal process objective "
            "that delivers it and link it up to {objective}."
        )
        return [Finding("customer_not_driven", warning, message, p, obj)]
    return []


def check_design(db: Session, record: StrategyRecord) -> list[Finding]:
    """Every rule of S4.1–S4.3 the record's scorecard breaks, errors first, each with its fix."""
    objectives = get_objectives(db, record)
    causes_of: dict[int, list[Objective]] = defaultdict(list)
    effects_of: dict[int, list[Objective]] = defaultdict(list)
    for link in get_links(db, record):
        causes_of[link.effect_id].append(link.cause)
        effects_of[link.cause_id].append(link.effect)
    has_customer = any(o.perspective is Perspective.customer for o in objectives)
    findings: list[Finding] = []
    if not has_customer:
        findings.append(
            Finding(
                "no_customer_objective",
                Severity.error,
                N_(
                    "The scorecard of {period} has no customer objective: build the customer perspective first "
                    "(which customers, what value, from the declared customer values), then derive the process, "
                    "financial and learning objectives from it."
                ),
                {"period": record.period},
            )
        )
    for obj in objectives:
        p = {"objective": named(obj)}
        findings += _link_findings(obj, causes_of[obj.id], effects_of[obj.id], effects_of, has_customer)
        if obj.perspective is Perspective.customer and obj.priority_id is None:
            message = N_(
                "Customer objective {objective} does not name the customer value it serves: choose one of the "
                "values declared in the strategy record (declare it there first if it is missing)."
            )
            findings.append(Finding("customer_value_missing", Severity.warning, message, p, obj))
        if not obj.indicators:
            message = N_("{objective} has no indicator: attach at least one indicator card that measures it.")
            findings.append(Finding("no_indicator", Severity.error, message, p, obj))
        for oi in obj.indicators:
            q = p | {"indicator": card_named(oi.card)}
            if oi.weight is None:
                message = N_(
                    "Indicator {indicator} of {objective} has no weight: give it its share of the enterprise "
                    "scorecard in percent."
                )
                findings.append(Finding("weight_missing", Severity.error, message, q, obj, oi.card))
            missing = missing_elements(oi.card)
            if missing:
                message = N_(
                    "Indicator card {indicator} of {objective} lacks {count} element(s) and cannot be assessed "
                    "yet: complete the card."
                )
                findings.append(
                    Finding(
                        "card_incomplete",
                        Severity.warning,
                        message,
                        q | {"count": len(missing)},
                        obj,
                        oi.card,
                        tuple(missing),
                    )
                )
    total = weight_total(objectives)
    if any(o.indicators for o in objectives) and total != HUNDRED:
        message = N_(
            "The weights of the enterprise indicators add up to {total}%, not 100%: adjust them so that they "
            "add up to exactly 100%."
        )
        findings.append(Finding("weights_not_100", Severity.error, message, {"total": str(total)}))
    return sorted(findings, key=lambda f: f.severity is not Severity.error)


# --- the strategy map (S4.2) --------------------------------------------------------------------


def strategy_map(
    db: Session, record: StrategyRecord, *, locale: str, gettext: Callable[..., str]
) -> StrategyMapOut:
    """The map's four layers from the bottom up (learning → financial) with their objectives, and its arrows."""
    objectives = get_objectives(db, record)
    counts: dict[int, int] = defaultdict(int)
    for f in check_design(db, record):
        if f.objective is not None:
            counts[f.objective.id] += 1
    layers = [
        MapLayerOut(
            perspective=p,
            label=gettext(LAYER_LABELS[p]),
            objectives=[
                MapNodeOut(
                    id=o.id,
                    code=o.code,
                    name=o.name,
                    name_en=o.name_en,
                    label=o.label(locale),
                    rank=o.rank,
                    indicator_count=len(o.indicators),
                    finding_count=counts[o.id],
                )
                for o in objectives
                if o.perspective is p
            ],
        )
        for p in MAP_LAYERS
    ]
    links = [
        LinkOut(
            id=x.id,
            cause_id=x.cause_id,
            effect_id=x.effect_id,
            cause_code=x.cause.code,
            effect_code=x.effect.code,
            note=x.note,
        )
        for x in get_links(db, record)
    ]
    return StrategyMapOut(record_id=record.id, period=record.period, layers=layers, links=links)
