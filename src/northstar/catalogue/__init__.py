"""The built-in value-driver catalogue (S2.2, S2.3).

A value driver is what a key customer segment cares about most: price, quality, on-time delivery,
fast response, and so on. The catalogue maps each driver to the indicators that make it measurable,
most important first (步骤2: 将价值主张转化为可衡量的方向). Given a segment's drivers ranked by
importance, `suggest()` proposes the indicators the user picks from to seed scorecards and KPI pools.

The content lives in `value_drivers.yaml` beside this file and is checked in full when it is loaded:
a mistake in it raises ValueError naming the driver or indicator at fault, so it fails the tests
rather than a page. This module depends on the standard library and PyYAML only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from northstar import yamlio

__all__ = [
    "CATALOGUE_FILE",
    "POLARITIES",
    "PERSPECTIVES",
    "UNITS",
    "RecommendedIndicator",
    "Suggestion",
    "Text",
    "ValueDriver",
    "find_driver",
    "parse",
    "suggest",
    "value_driver",
    "value_drivers",
]

CATALOGUE_FILE = Path(__file__).with_name("value_drivers.yaml")

# The four balanced-scorecard perspectives (步骤4): 财务、客户、内部流程、学习与成长.
PERSPECTIVES: tuple[str, ...] = ("financial", "customer", "process", "learning")
UNITS: tuple[str, ...] = ("percent", "hours", "days", "count", "score", "currency", "ratio")
POLARITIES: tuple[str, ...] = ("higher_better", "lower_better", "range")

_CODE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")
_DRIVER_REQUIRED = frozenset({"code", "name", "description", "indicators"})
_DRIVER_KEYS = _DRIVER_REQUIRED | {"aliases"}
_INDICATOR_KEYS = frozenset({"code", "name", "why", "perspective", "unit", "polarity"})


@dataclass(frozen=True)
class Text:
    """One sentence or name in both languages."""

    en: str
    zh: str

    def __call__(self, locale: str) -> str:
        """The Chinese text for any locale starting with "zh" (zh, zh_CN, zh-Hans…), else English."""
        return self.zh if locale.lower().startswith("zh") else self.en


@dataclass(frozen=True)
class RecommendedIndicator:
    """An indicator as one driver recommends it; `why` explains it for that driver."""

    code: str
    name: Text
    why: Text
    perspective: str
    unit: str
    polarity: str


@dataclass(frozen=True)
class ValueDriver:
    code: str
    name: Text
    description: Text
    aliases: tuple[str, ...]
    indicators: tuple[RecommendedIndicator, ...]


@dataclass(frozen=True)
class Suggestion:
    """One suggested indicator, as recommended by the best-ranked driver that recommends it."""

    indicator: RecommendedIndicator
    driver_codes: tuple[str, ...]  # every ranked driver that recommends it, best-ranked first
    best_rank: int  # the rank of the best-ranked driver recommending it


# --- validation -----------------------------------------------------------------------------------


def _code(raw: object, what: str) -> str:
    if not isinstance(raw, str) or not _CODE.fullmatch(raw):
        raise ValueError(f"{what}: code {raw!r} is not a snake_case identifier")
    return raw


def _keys(raw: Mapping[Any, Any], allowed: frozenset[str], required: frozenset[str], what: str) -> None:
    unknown = sorted(str(key) for key in raw if key not in allowed)
    if unknown:
        raise ValueError(f"{what}: unknown field(s) {', '.join(unknown)}")
    missing = sorted(required - set(raw))
    if missing:
        raise ValueError(f"{what}: missing field(s) {', '.join(missing)}")


def _text(raw: object, what: str) -> Text:
    if not isinstance(raw, Mapping):
        raise ValueError(f"{what}: expected a mapping with 'en' and 'zh' texts, got {raw!r}")
    unknown = sorted(str(key) for key in raw if key not in ("en", "zh"))
    if unknown:
        raise ValueError(f"{what}: unknown language(s) {', '.join(unknown)}")
    for lang in ("en", "zh"):
        value = raw.get(lang)
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"{what}: missing {lang} text")
    return Text(en=raw["en"].strip(), zh=raw["zh"].strip())


def _choice(raw: object, allowed: tuple[str, ...], field: str, what: str) -> str:
    if not isinstance(raw, str) or raw not in allowed:
        raise ValueError(f"{what}: unknown {field} {raw!r} (expected one of {', '.join(allowed)})")
    return raw


def _indicator(raw: object, where: str) -> RecommendedIndicator:
    if not isinstance(raw, Mapping):
        raise ValueError(f"{where}: each indicator must be a mapping, got {raw!r}")
    what = f"{where}, indicator {raw.get('code')!r}"
    code = _code(raw.get("code"), what)
    _keys(raw, _INDICATOR_KEYS, _INDICATOR_KEYS, what)
    return RecommendedIndicator(
        code=code,
        name=_text(raw["name"], f"{what}: name"),
        why=_text(raw["why"], f"{what}: why"),
        perspective=_choice(raw["perspective"], PERSPECTIVES, "perspective", what),
        unit=_choice(raw["unit"], UNITS, "unit", what),
        polarity=_choice(raw["polarity"], POLARITIES, "polarity", what),
    )


def _driver(raw: object, position: int) -> ValueDriver:
    if not isinstance(raw, Mapping):
        raise ValueError(f"value driver #{position}: expected a mapping, got {raw!r}")
    what = f"value driver {raw.get('code')!r}"
    code = _code(raw.get("code"), what)
    _keys(raw, _DRIVER_KEYS, _DRIVER_REQUIRED, what)
    aliases = raw.get("aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(a, str) and a.strip() for a in aliases):
        raise ValueError(f"{what}: aliases must be a list of non-empty texts")
    raw_indicators = raw["indicators"]
    if not isinstance(raw_indicators, list) or not raw_indicators:
        raise ValueError(f"{what}: needs a non-empty list of indicators")
    indicators = tuple(_indicator(item, what) for item in raw_indicators)
    seen: set[str] = set()
    for indicator in indicators:
        if indicator.code in seen:
            raise ValueError(f"{what}: indicator {indicator.code!r} is listed twice")
        seen.add(indicator.code)
    return ValueDriver(
        code=code,
        name=_text(raw["name"], f"{what}: name"),
        description=_text(raw["description"], f"{what}: description"),
        aliases=tuple(a.strip() for a in aliases),
        indicators=indicators,
    )


def _match_key(text: str) -> str:
    """How codes, names and aliases are compared: case and spacing do not count."""
    return " ".join(text.split()).casefold()


def _match_keys(driver: ValueDriver) -> set[str]:
    words = (driver.code, driver.name.en, driver.name.zh, *driver.aliases)
    return {_match_key(word) for word in words}


def parse(data: dict[str, Any]) -> tuple[ValueDriver, ...]:
    """Check the catalogue's raw content (as read from YAML) and build the drivers, in file order.

    Raises ValueError naming the driver or indicator at fault.
    """
    if not isinstance(data, Mapping):
        raise ValueError(f"value-driver catalogue: expected a mapping with 'drivers', got {data!r}")
    unknown = sorted(str(key) for key in data if key != "drivers")
    if unknown:
        raise ValueError(f"value-driver catalogue: unknown field(s) {', '.join(unknown)}")
    raw_drivers = data.get("drivers")
    if not isinstance(raw_drivers, list) or not raw_drivers:
        raise ValueError("value-driver catalogue: 'drivers' must be a non-empty list")
    drivers = tuple(_driver(raw, position) for position, raw in enumerate(raw_drivers, start=1))

    driver_codes: set[str] = set()
    owners: dict[str, str] = {}  # match key -> code of the driver it finds
    first_seen: dict[str, tuple[str, RecommendedIndicator]] = {}  # indicator code -> (driver, indicator)
    for driver in drivers:
        if driver.code in driver_codes:
            raise ValueError(f"value driver {driver.code!r}: duplicate driver code")
        driver_codes.add(driver.code)
        for key in sorted(_match_keys(driver)):
            owner = owners.setdefault(key, driver.code)
            if owner != driver.code:
                raise ValueError(
                    f"value driver {driver.code!r}: name or alias {key!r} already belongs to driver {owner!r}"
                )
        for indicator in driver.indicators:
            earlier = first_seen.setdefault(indicator.code, (driver.code, indicator))
            other_driver, other = earlier
            for field in ("name", "perspective", "unit", "polarity"):
                if getattr(indicator, field) != getattr(other, field):
                    raise ValueError(
                        f"value driver {driver.code!r}, indicator {indicator.code!r}: its {field} differs "
                        f"from the same indicator under driver {other_driver!r}"
                    )
    return drivers


# --- access ---------------------------------------------------------------------------------------


@cache
def value_drivers() -> tuple[ValueDriver, ...]:
    """Every value driver of the built-in catalogue, in file order (read and checked once)."""
    data = yamlio.load(CATALOGUE_FILE.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"value-driver catalogue {CATALOGUE_FILE.name}: expected a mapping at the top")
    return parse(data)


@cache
def _by_code() -> dict[str, ValueDriver]:
    return {driver.code: driver for driver in value_drivers()}


@cache
def _by_match_key() -> dict[str, ValueDriver]:
    return {key: driver for driver in value_drivers() for key in _match_keys(driver)}


def value_driver(code: str) -> ValueDriver | None:
    return _by_code().get(code)


def find_driver(text: str) -> ValueDriver | None:
    """The driver whose code, English or Chinese name, or alias is `text`.

    Case and surrounding (or repeated) whitespace are ignored, so an imported "Quality " or "交期"
    finds its driver; anything else gives None.
    """
    return _by_match_key().get(_match_key(text))


def suggest(ranked: Sequence[tuple[int, str]]) -> list[Suggestion]:
    """Indicators recommended for a segment's value drivers ranked by importance.

    `ranked` holds (rank, driver code) pairs, rank 1 the most important; unknown codes are ignored,
    and a driver listed twice counts at its best rank. Each indicator is suggested once, ordered by
    the best rank among the drivers recommending it, then by its position in that driver's list;
    `indicator` is that best-ranked driver's entry (its `why` explains that driver).
    """
    by_code = _by_code()
    known = sorted(
        ((rank, order, code) for order, (rank, code) in enumerate(ranked) if code in by_code),
        key=lambda item: (item[0], item[1]),
    )
    entries: dict[str, tuple[RecommendedIndicator, list[str], int, int]] = {}
    done: set[str] = set()
    for rank, _order, code in known:
        if code in done:
            continue
        done.add(code)
        for position, indicator in enumerate(by_code[code].indicators):
            entry = entries.get(indicator.code)
            if entry is None:
                entries[indicator.code] = (indicator, [code], rank, position)
            else:
                entry[1].append(code)
    ordered = sorted(
        entries.values(), key=lambda entry: (entry[2], entry[3])
    )  # stable: ties keep input order
    return [
        Suggestion(indicator=indicator, driver_codes=tuple(codes), best_rank=rank)
        for indicator, codes, rank, _position in ordered
    ]
