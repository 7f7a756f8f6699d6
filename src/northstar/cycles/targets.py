"""A cycle's targets: per-assignment overrides of the numbers of a card's scoring rule.

A target is what the rule anchors on for this cycle — threshold, target and stretch of a linear
rule, the bounds of each band, the range and its tolerance — while the scores, descriptions and
the kind stay the card's. Overrides are checked by the scoring rules themselves (anchors in
order, bands edge to edge) and against the card's polarity, each problem naming its field.
Pure functions: no database.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import ValidationError

from northstar.db import plain
from northstar.errors import N_, Problem
from northstar.scoring.problems import RULE_ADAPTER, rule_problems
from northstar.scoring.rules import BandsRule, LinearRule, Polarity, RangeRule

#: the numbers a cycle may set per rule kind; other kinds score the same in every cycle
TARGET_FIELDS: dict[str, tuple[str, ...]] = {
    "linear": ("threshold", "target", "stretch"),
    "bands": ("bands",),
    "range": ("low", "high", "tolerance"),
}
BAND_BOUNDS = ("lower", "upper")
#: anchors that may be left open (no stretch; a band open below or above)
_OPTIONAL = frozenset({"stretch", "lower", "upper"})


def _text(value: Decimal) -> str:
    return format(plain(value), "f")


def _number(value: object, path: str, name: str, problems: list[Problem]) -> str | None:
    """``value`` as exact decimal text, or None after adding a problem naming ``path``."""
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        problems.append(
            Problem(
                N_('"{value}" is not a number: enter digits such as 96.5.'),
                {"field": name, "value": str(value)},
                field=path,
            )
        )
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        problems.append(
            Problem(
                N_('"{value}" is not a number: enter digits such as 96.5.'),
                {"field": name, "value": str(value)},
                field=path,
            )
        )
        return None
    return _text(number)


def _bound(value: object, path: str, name: str, problems: list[Problem]) -> str | None:
    return None if value is None else _number(value, path, name, problems)


def _bands(rule: dict[str, Any], value: object, prefix: str, problems: list[Problem]) -> list[dict[str, Any]]:
    count = len(rule.get("bands", []))
    if not isinstance(value, list) or len(value) != count:
        problems.append(
            Problem(
                N_(
                    "The card's band table has {count} bands: give the bounds of exactly {count} bands, in the same order."
                ),
                {"count": count},
                field=f"{prefix}.bands",
            )
        )
        return []
    out: list[dict[str, Any]] = []
    for i, band in enumerate(value):
        path = f"{prefix}.bands[{i}]"
        if not isinstance(band, dict):
            problems.append(
                Problem(
                    N_('Band {n} must be an object with its bounds, such as {{"lower": 80, "upper": 90}}.'),
                    {"n": i + 1},
                    field=path,
                )
            )
            continue
        entry: dict[str, Any] = {}
        for key, bound in band.items():
            if key not in BAND_BOUNDS:
                problems.append(
                    Problem(
                        N_(
                            '"{field}" is not a bound of a band: give only lower and upper; the scores and descriptions stay the card\'s.'
                        ),
                        {"field": key},
                        field=f"{path}.{key}",
                    )
                )
                continue
            entry[key] = _bound(bound, f"{path}.{key}", key, problems)
        out.append(entry)
    return out


def normalise(
    rule: dict[str, Any] | None, targets: dict[str, Any], prefix: str
) -> tuple[dict[str, Any], list[Problem]]:
    """``targets`` as stored (numbers as exact text) and the problems of their shape: unknown
    fields, non-numbers, a band table of the wrong length. Their meaning is ``target_problems``'."""
    problems: list[Problem] = []
    if rule is None:
        problems.append(
            Problem(
                N_("The card has no scoring rule yet, so it has no targets to set: complete the card first."),
                field=prefix,
            )
        )
        return {}, problems
    kind = str(rule.get("kind"))
    fields = TARGET_FIELDS.get(kind)
    if fields is None:
        if targets:
            problems.append(
                Problem(
                    N_("A {kind} rule has no targets to set: it scores the same in every cycle."),
                    {"kind": kind},
                    field=prefix,
                )
            )
        return {}, problems
    out: dict[str, Any] = {}
    for key, value in targets.items():
        path = f"{prefix}.{key}"
        if key not in fields:
            problems.append(
                Problem(
                    N_('"{field}" is not a target of a {kind} rule: set {fields}.'),
                    {"field": key, "kind": kind, "fields": ", ".join(fields)},
                    field=path,
                )
            )
        elif key == "bands":
            out[key] = _bands(rule, value, prefix, problems)
        elif value is None and key in _OPTIONAL:
            out[key] = None
        else:
            number = _number(value, path, key, problems)
            if number is not None:
                out[key] = number
    return out, problems


def merged(rule: dict[str, Any], targets: dict[str, Any]) -> dict[str, Any]:
    """The card's rule with the cycle's targets in place of its numbers."""
    out = dict(rule)
    for key, value in targets.items():
        if key == "bands":
            out["bands"] = [
                {**band, **override} for band, override in zip(rule.get("bands", []), value, strict=False)
            ]
        else:
            out[key] = value
    return out


def target_problems(
    rule: dict[str, Any] | None, polarity: Polarity | None, targets: dict[str, Any], prefix: str = "targets"
) -> tuple[dict[str, Any], list[Problem]]:
    """The targets as stored and every problem with them, each naming its field under ``prefix``:
    the merged rule must be scorable, and a linear rule must still reward the card's polarity
    (higher-is-better: threshold < target < stretch; lower-is-better the other way round)."""
    clean, problems = normalise(rule, targets, prefix)
    if problems or rule is None or not clean:
        return clean, problems
    full = merged(rule, clean)
    # The direction first: a linear rule infers it from threshold and target, so reversed anchors
    # would otherwise pass as a valid rule for the opposite polarity (or fail on the stretch).
    if full.get("kind") == "linear":
        expected = polarity or RULE_ADAPTER.validate_python(rule).polarity
        problem = _direction_problem(full, expected, prefix)
        if problem is not None:
            return clean, [problem]
    return clean, [p.as_problem() for p in rule_problems(full, prefix=prefix)]


def _direction_problem(rule: dict[str, Any], expected: Polarity, prefix: str) -> Problem | None:
    threshold, target = Decimal(str(rule["threshold"])), Decimal(str(rule["target"]))
    params = {"threshold": _text(threshold), "target": _text(target)}
    if expected is Polarity.higher_better and not target > threshold:
        return Problem(
            N_(
                "The card is higher-is-better, so the target must be above the threshold {threshold}: {target} is not."
            ),
            params,
            field=f"{prefix}.target",
        )
    if expected is Polarity.lower_better and not target < threshold:
        return Problem(
            N_(
                "The card is lower-is-better, so the target must be below the threshold {threshold}: {target} is not."
            ),
            params,
            field=f"{prefix}.target",
        )
    return None


def _raw(value: Any) -> Any:
    if isinstance(value, list):
        return [{k: _raw(v) for k, v in b.items() if k in BAND_BOUNDS} for b in value if isinstance(b, dict)]
    return None if value is None else str(value)


def anchors(rule: dict[str, Any] | None, targets: dict[str, Any] | None = None) -> dict[str, Any]:
    """The numbers the targets can set, as they apply (the card's unless overridden), as text."""
    if rule is None or str(rule.get("kind")) not in TARGET_FIELDS:
        return {}
    full = merged(rule, targets or {})
    try:
        parsed = RULE_ADAPTER.validate_python(full)
    except ValidationError:
        # The card changed under targets set earlier: show the numbers as they stand; starting
        # the cycle or taking the card in reports what no longer fits.
        return {k: _raw(full.get(k)) for k in TARGET_FIELDS[str(rule["kind"])]}

    def t(v: Decimal | None) -> str | None:
        return None if v is None else _text(v)

    if isinstance(parsed, LinearRule):
        return {"threshold": t(parsed.threshold), "target": t(parsed.target), "stretch": t(parsed.stretch)}
    if isinstance(parsed, BandsRule):
        return {"bands": [{"lower": t(b.lower), "upper": t(b.upper)} for b in parsed.bands]}
    if isinstance(parsed, RangeRule):
        return {"low": t(parsed.low), "high": t(parsed.high), "tolerance": t(parsed.tolerance)}
    return {}
