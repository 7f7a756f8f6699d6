"""What the method asks of a personal scorecard (S6.2), checked on every read: weights summing
to 100%, 3–5 core indicators, at least one (better two) pointing at customer value, cards
complete enough to be assessed — and what each item is and serves, for the pages and the API."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.orm import Session

from northstar.db import plain
from northstar.errors import N_
from northstar.indicators.service import missing_elements
from northstar.positions.findings import card_findings, named, weight_findings
from northstar.positions.models import IndicatorRole, KeyOutput
from northstar.positions.schemas import Finding, Severity
from northstar.scorecards.models import PersonalScorecard, ScorecardItem
from northstar.strategy.models import Perspective

MIN_CORE = 3
MAX_CORE = 5


def points_at_customer_value(item: ScorecardItem) -> bool:
    """An item points at customer value when its card serves a value driver or touchpoint or sits
    in the customer perspective, or the department indicator it serves is tied to one."""
    card = item.card
    if card.driver_code or card.touchpoint_id or card.perspective is Perspective.customer:
        return True
    cand = item.candidate
    return cand is not None and bool(cand.driver_code or cand.touchpoint_id or cand.objective_id)


def origin(item: ScorecardItem) -> str:
    """inherited (as the position has it), adjusted (the person's copy differs), or added by hand."""
    if item.position_indicator_id is None:
        return "added"
    return "adjusted" if item.adjusted else "inherited"


@dataclass
class ItemView:
    """An item as the pages and the API show it."""

    item: ScorecardItem
    origin: str
    missing: list[str]
    customer_value: bool
    output: KeyOutput | None

    @property
    def assessable(self) -> bool:
        return not self.missing


def item_views(scorecard: PersonalScorecard) -> list[ItemView]:
    return [
        ItemView(
            item=it,
            origin=origin(it),
            missing=missing_elements(it.card),
            customer_value=points_at_customer_value(it),
            output=it.position_indicator.output if it.position_indicator else None,
        )
        for it in scorecard.items
    ]


def total_weight(scorecard: PersonalScorecard) -> Decimal:
    return plain(sum((it.weight for it in scorecard.items), Decimal(0)))


def core_count(scorecard: PersonalScorecard) -> int:
    return sum(1 for it in scorecard.items if it.role is IndicatorRole.core)


def customer_value_count(scorecard: PersonalScorecard) -> int:
    return sum(1 for it in scorecard.items if points_at_customer_value(it))


def scorecard_findings(db: Session, scorecard: PersonalScorecard) -> list[Finding]:
    """What the scorecard lacks by the method (S6.2), each finding with its fix."""
    if not scorecard.items:
        return [
            Finding(
                Severity.error,
                N_(
                    "This scorecard has no indicators yet: assign the position's indicators to its holders, "
                    "or add 3–5 indicators by hand."
                ),
                path="items",
            )
        ]
    out = weight_findings(total_weight(scorecard))
    cores = core_count(scorecard)
    if cores < MIN_CORE:
        out.append(
            Finding(
                Severity.error,
                N_(
                    "Core indicators: {count}, fewer than 3. Make {missing} more indicators core, or add core "
                    "indicators, to reach 3–5."
                ),
                {"count": cores, "missing": MIN_CORE - cores},
                path="items",
            )
        )
    elif cores > MAX_CORE:
        out.append(
            Finding(
                Severity.error,
                N_(
                    "Core indicators: {count}, more than 5. Keep 3–5: turn {extra} into quality or "
                    "collaboration indicators, or remove them."
                ),
                {"count": cores, "extra": cores - MAX_CORE},
                path="items",
            )
        )
    valued = customer_value_count(scorecard)
    if valued == 0:
        out.append(
            Finding(
                Severity.error,
                N_(
                    "No indicator points at customer value: add one whose card serves a value driver or a "
                    "touchpoint, or link an indicator to a department indicator that does."
                ),
                path="items",
            )
        )
    elif valued == 1:
        out.append(
            Finding(
                Severity.tip,
                N_(
                    "Only one indicator points at customer value: the method recommends two. Link a second one "
                    "to a value driver, a touchpoint or a customer-facing department indicator."
                ),
                path="items",
            )
        )
    for i, it in enumerate(scorecard.items):
        if not it.weight:
            out.append(
                Finding(
                    Severity.warning,
                    N_("{card} has weight 0, so it does not count: give it a weight, or remove it."),
                    {"card": named(it.card)},
                    path=f"items[{i}].weight",
                    item_id=it.id,
                )
            )
        out += card_findings(it.card, path=f"items[{i}]", item_id=it.id)
    return out
