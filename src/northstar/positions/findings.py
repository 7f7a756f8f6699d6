"""The rules of the key-responsibility-output method as findings (S6.1, S6.2): what a position's
design or a person's scorecard lacks, each with its fix. Pure functions over plain data and
loaded cards; nothing here reads or writes the database."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from decimal import Decimal

from northstar.db import plain
from northstar.errors import N_, Named
from northstar.indicators.models import IndicatorCard
from northstar.indicators.service import missing_elements
from northstar.org.models import Department, Position
from northstar.positions.models import IndicatorRole
from northstar.positions.schemas import Finding, IndicatorIn, PositionDesignIn, Severity

MIN_RESPONSIBILITIES = 3
MAX_RESPONSIBILITIES = 5
MAX_OUTPUTS = 2
HUNDRED = Decimal(100)


def named(obj: Position | IndicatorCard | Department) -> Named:
    """A record's name as a message parameter, in the reader's language."""
    return Named(obj.name_en or obj.name, obj.name)


Placed = tuple[str, IndicatorIn, IndicatorRole, tuple[int, int] | None]


def placed_indicators(design: PositionDesignIn) -> Iterator[Placed]:
    """Every indicator of a design with its path, its role and the (responsibility, output) it measures."""
    for i, r in enumerate(design.responsibilities):
        for j, o in enumerate(r.outputs):
            base = f"responsibilities[{i}].outputs[{j}]"
            if o.indicator is not None:
                yield f"{base}.indicator", o.indicator, IndicatorRole.core, (i, j)
            for k, s in enumerate(o.supporting):
                yield f"{base}.supporting[{k}]", s, s.role, (i, j)
    for k, s in enumerate(design.other_indicators):
        yield f"other_indicators[{k}]", s, s.role, None


def weight_sum(design: PositionDesignIn) -> Decimal:
    return plain(sum((ind.weight for _p, ind, _r, _o in placed_indicators(design)), Decimal(0)))


def weight_findings(total: Decimal, *, path: str = "weights") -> list[Finding]:
    """The weights must add up to 100%: the sum, and which way to move (S6.2)."""
    gap = plain(abs(HUNDRED - total))
    if total < HUNDRED:
        msg = N_("The weights add up to {total}%, not 100%: add {gap} points across the indicators.")
    elif total > HUNDRED:
        msg = N_("The weights add up to {total}%, not 100%: take {gap} points off the indicators.")
    else:
        return []
    return [Finding(Severity.error, msg, {"total": plain(total), "gap": gap}, path=path)]


def card_findings(
    card: IndicatorCard, *, path: str | None = None, item_id: int | None = None
) -> list[Finding]:
    """A card missing an element (S6.3) cannot be assessed: say which elements to fill in."""
    missing = missing_elements(card)
    if not missing:
        return []
    return [
        Finding(
            Severity.warning,
            N_(
                "The card {card} lacks {missing}: nobody can be assessed on it until the card is complete. "
                "Fill in these elements on the indicator card."
            ),
            {"card": named(card), "missing": missing},
            path=path,
            item_id=item_id,
        )
    ]


def design_findings(design: PositionDesignIn, cards: Mapping[str, IndicatorCard]) -> list[Finding]:
    """What the design lacks by the method (S6.1), each with its fix; ``cards`` by code for completeness."""
    out: list[Finding] = []
    count = len(design.responsibilities)
    if count == 0:
        out.append(
            Finding(
                Severity.warning,
                N_(
                    "No key responsibilities yet: write the position's 3–5 key responsibilities, each with "
                    "the customers it serves."
                ),
                path="responsibilities",
            )
        )
    elif count < MIN_RESPONSIBILITIES:
        out.append(
            Finding(
                Severity.warning,
                N_(
                    "Key responsibilities: {count}, fewer than 3. Add {missing} more, each naming the "
                    "customers it serves."
                ),
                {"count": count, "missing": MIN_RESPONSIBILITIES - count},
                path="responsibilities",
            )
        )
    elif count > MAX_RESPONSIBILITIES:
        out.append(
            Finding(
                Severity.warning,
                N_(
                    "Key responsibilities: {count}, more than 5. Merge related ones or move minor duties to "
                    "the job description, to keep 3–5."
                ),
                {"count": count},
                path="responsibilities",
            )
        )
    for i, r in enumerate(design.responsibilities):
        base = f"responsibilities[{i}]"
        if not r.customers:
            out.append(
                Finding(
                    Severity.error,
                    N_(
                        "Responsibility {n} ({name}) names no customer: add the internal or external "
                        "customers who receive its outputs."
                    ),
                    {"n": i + 1, "name": r.name},
                    path=f"{base}.customers",
                )
            )
        if not r.outputs:
            out.append(
                Finding(
                    Severity.error,
                    N_(
                        "Responsibility {n} ({name}) has no key output: name the 1–2 results its customers receive."
                    ),
                    {"n": i + 1, "name": r.name},
                    path=f"{base}.outputs",
                )
            )
        for j, o in enumerate(r.outputs):
            if o.indicator is None:
                out.append(
                    Finding(
                        Severity.error,
                        N_(
                            "Output {n}.{m} ({name}) has no core indicator: choose the one indicator card "
                            "that shows it was delivered."
                        ),
                        {"n": i + 1, "m": j + 1, "name": o.name},
                        path=f"{base}.outputs[{j}].indicator",
                    )
                )
    placed = list(placed_indicators(design))
    for path, ind, role, _where in placed:
        if role is IndicatorRole.core and not path.endswith(".indicator"):
            out.append(
                Finding(
                    Severity.error,
                    N_(
                        "The core indicator {card} is not the core indicator of an output: make it the "
                        "output's core indicator, or make it a quality or collaboration indicator."
                    ),
                    {"card": ind.card},
                    path=f"{path}.role",
                )
            )
    if placed:
        out += weight_findings(weight_sum(design))
    for path, ind, _role, _where in placed:
        card = cards.get(ind.card)
        if card is not None:
            out += card_findings(card, path=path)
    return out
