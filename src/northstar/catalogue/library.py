"""The bilingual indicator library (S5.4): ready, complete indicator cards for typical departments.

The cards live in `indicators.yaml` beside this file, a list under the top-level key `cards`, each
written in the schema of the JSON API and the workspace file (`indicators.schemas.CardIn`). A
department picks a card from the library and copies it into its own cards (步骤5: 部门KPI池).

Every card is checked in full when the file is loaded, so a mistake in it fails the tests rather
than a page: it must be a valid CardIn, complete (S6.3), bilingual, with a formula over its own
measures, a valid scoring rule that agrees with its polarity, a known domain, unit and value
driver, and a code of its own. A failure raises ValueError naming the card code and the field.
No database is needed to load the library.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import TypeAdapter, ValidationError

from northstar import yamlio
from northstar.catalogue import value_driver
from northstar.indicators.schemas import DOMAINS, UNITS, CardIn
from northstar.metrics.formula import FormulaError, parse
from northstar.scoring.rules import Rule

__all__ = [
    "LIBRARY_FILE",
    "indicator_library",
    "library_by_domain",
    "library_card",
    "load_library",
]

LIBRARY_FILE = Path(__file__).with_name("indicators.yaml")

#: the English twins that must be filled in and differ from the Chinese text
_BILINGUAL = (
    ("name", "name_en"),
    ("definition", "definition_en"),
    ("purpose", "purpose_en"),
    ("formula_notes", "formula_notes_en"),
    ("data_source", "data_source_en"),
    ("data_owner", "data_owner_en"),
)
#: elements a library card must leave empty: they belong to one company's own copy of the card
_COMPANY_ONLY = ("touchpoint_id", "department", "library_code")
_RULE = TypeAdapter(Rule)


class _CardError(ValueError):
    def __init__(self, where: str, code: object, field: str, message: str) -> None:
        super().__init__(f"{where}, card {code!r}, field {field}: {message}")


def _filled(text: str) -> bool:
    return bool(text.strip())


def _format(message: str, params: Mapping[str, Any]) -> str:
    try:
        return message.format(**params)
    except (KeyError, IndexError, ValueError):
        return message


def _validated(raw: object, position: int, where: str) -> CardIn:
    """One card as CardIn; the first problem raises, naming the card and the field."""
    if not isinstance(raw, Mapping):
        raise ValueError(f"{where}, card #{position}: expected a mapping of card elements, got {raw!r}")
    code = raw.get("code", f"#{position}")
    try:
        card = CardIn.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(part) for part in err["loc"]) or "card"
        raise _CardError(where, code, field, err["msg"]) from None
    if card.rule is not None:
        _check_rule(card, where)
    _check_complete(card, where)
    _check_formula(card, where)
    _check_choices(card, where)
    return card


def _check_complete(card: CardIn, where: str) -> None:
    # imported here: indicators.service may itself use the library, and must not import a cycle
    from northstar.indicators.service import missing_elements

    missing = missing_elements(card)
    if missing:
        raise _CardError(where, card.code, missing[0], f"missing element(s) {', '.join(missing)}")
    for zh, en in _BILINGUAL:
        if not _filled(getattr(card, en)):
            raise _CardError(where, card.code, en, f"the English text of {zh} is empty")
        if getattr(card, en).strip() == getattr(card, zh).strip():
            raise _CardError(where, card.code, en, f"the English text of {zh} repeats the Chinese one")
    for field in _COMPANY_ONLY:
        if getattr(card, field) is not None:
            raise _CardError(where, card.code, field, "a library card belongs to no company: leave it out")


def _check_formula(card: CardIn, where: str) -> None:
    if not card.measures:
        raise _CardError(where, card.code, "measures", "list the measures the formula is written over")
    codes = [m.code for m in card.measures]
    for i, measure in enumerate(card.measures):
        if codes.count(measure.code) > 1:
            raise _CardError(where, card.code, f"measures[{i}].code", f"{measure.code!r} is listed twice")
        if not _filled(measure.name_en) or measure.name_en.strip() == measure.name.strip():
            raise _CardError(where, card.code, f"measures[{i}].name_en", "needs its own English name")
    try:
        formula = parse(card.formula, codes)
    except FormulaError as exc:
        raise _CardError(where, card.code, "formula", _format(exc.template, exc.params)) from None
    unused = [c for c in codes if c not in formula.measures]
    if unused:
        raise _CardError(where, card.code, "measures", f"{unused[0]!r} is not used by the formula")


def _check_rule(card: CardIn, where: str) -> None:
    from northstar.indicators.service import rule_problems

    assert card.rule is not None
    problems = rule_problems(card.rule)
    if problems:
        first = problems[0]
        raise _CardError(where, card.code, first.field or "rule", _format(first.message, first.params))
    rule = _RULE.validate_python(card.rule)
    if card.polarity is not None and rule.polarity != card.polarity:
        raise _CardError(
            where,
            card.code,
            "polarity",
            f"the card says {card.polarity} but its {card.rule['kind']} rule rewards {rule.polarity}",
        )
    for path, item in _described_items(card.rule):
        for lang in ("description", "description_en"):
            if not _filled(str(item.get(lang, ""))):
                raise _CardError(
                    where, card.code, f"{path}.{lang}", "describe the performance in both languages"
                )


def _described_items(rule: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    """The parts of a rule that describe a performance: bands, rubric levels, the veto event."""
    if rule["kind"] == "bands":
        return [(f"rule.bands[{i}]", band) for i, band in enumerate(rule["bands"])]
    if rule["kind"] == "rubric":
        return [(f"rule.levels[{i}]", level) for i, level in enumerate(rule["levels"])]
    if rule["kind"] == "veto":
        return [("rule", rule)]
    return []


def _check_choices(card: CardIn, where: str) -> None:
    if card.domain not in DOMAINS:
        raise _CardError(where, card.code, "domain", f"unknown domain {card.domain!r}: use one of {DOMAINS}")
    if card.unit not in UNITS:
        raise _CardError(where, card.code, "unit", f"unknown unit {card.unit!r}: use one of {UNITS}")
    if card.driver is not None and value_driver(card.driver) is None:
        raise _CardError(where, card.code, "driver", f"unknown value driver {card.driver!r}")


def load_library(path: Path | None = None) -> tuple[CardIn, ...]:
    """Read and check a library file (the built-in one by default); the cards in file order.

    Raises ValueError naming the card code and the field at fault.
    """
    path = path or LIBRARY_FILE
    where = f"indicator library {path.name}"
    try:
        data = yamlio.load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ValueError(f"{where}: not valid YAML: {exc}") from None
    if not isinstance(data, Mapping) or set(data) != {"cards"}:
        raise ValueError(f"{where}: expected a mapping with the single key 'cards'")
    raw_cards = data["cards"]
    if not isinstance(raw_cards, list) or not raw_cards:
        raise ValueError(f"{where}: 'cards' must be a non-empty list")
    cards = tuple(_validated(raw, position, where) for position, raw in enumerate(raw_cards, start=1))
    seen: set[str] = set()
    for card in cards:
        if card.code in seen:
            raise _CardError(where, card.code, "code", "the code is used by another card: give each its own")
        seen.add(card.code)
    return cards


@cache
def _builtin() -> tuple[CardIn, ...]:
    return load_library()


def indicator_library(path: Path | None = None) -> list[CardIn]:
    """Every card of the library, in file order: the built-in one (read once), or the file at `path`.

    The cards are copies: changing one does not change the library.
    """
    cards = _builtin() if path is None else load_library(path)
    return [card.model_copy(deep=True) for card in cards]


@cache
def _by_code() -> dict[str, CardIn]:
    return {card.code: card for card in _builtin()}


def library_card(code: str) -> CardIn | None:
    """A copy of the built-in card with `code`, or None."""
    card = _by_code().get(code)
    return None if card is None else card.model_copy(deep=True)


def library_by_domain() -> dict[str, list[CardIn]]:
    """The built-in cards grouped by domain, in the order of DOMAINS, each group in file order."""
    groups: dict[str, list[CardIn]] = {domain: [] for domain in DOMAINS}
    for card in indicator_library():
        groups[card.domain].append(card)
    return groups
