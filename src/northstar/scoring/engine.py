"""One indicator's score from its rule and its actual, with the arithmetic that produced it."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation, localcontext
from typing import Any, Literal, assert_never

from northstar.errors import N_, NorthstarError
from northstar.scoring.rules import (
    Band,
    BandsRule,
    BonusRule,
    DeductionRule,
    LinearRule,
    PenaltyRule,
    RangeRule,
    RubricRule,
    Rule,
    VetoRule,
    YesNoRule,
)
from northstar.scoring.steps import CONTEXT, Step, described, number, round_score, score_number


class ScoringError(NorthstarError):
    """An actual, a weight or an item the engine cannot score; the message names the fix.

    ``item`` is the code of the scorecard item it concerns, when there is one, so a page can
    point at the row."""

    status = 422
    code = "scoring"

    def __init__(self, message: str, /, *, item: str | None = None, **params: Any) -> None:
        super().__init__(message, **params)
        self.item = item

    def __str__(self) -> str:
        text = super().__str__()
        return f"{self.item}: {text}" if self.item else text


@dataclass(frozen=True)
class Score:
    """One indicator's result.

    ``value`` is the score for a weighted kind, the points for a bonus or a penalty, and for a
    veto the score the total is held to when it is triggered (``vetoed``), else None. A missing
    actual gives ``status="missing"`` and no value."""

    value: Decimal | None
    status: Literal["scored", "missing"]
    steps: list[Step] = field(default_factory=list)
    vetoed: bool = False


_YES = frozenset({"yes", "是", "1"})
_NO = frozenset({"no", "否", "0"})


def is_blank(actual: object) -> bool:
    """True when there is no actual: None, or an empty cell read from a sheet."""
    return actual is None or (isinstance(actual, str) and not actual.strip())


def score(rule: Rule, actual: object) -> Score:
    """The score of one indicator for one actual, with its arithmetic as steps."""
    if is_blank(actual):
        return Score(None, "missing", [Step(N_("No data for this period."))])
    with localcontext(CONTEXT):
        if isinstance(rule, LinearRule):
            return _linear(rule, _decimal(actual))
        if isinstance(rule, BandsRule):
            return _bands(rule, _decimal(actual))
        if isinstance(rule, RangeRule):
            return _range(rule, _decimal(actual))
        if isinstance(rule, YesNoRule):
            return _yes_no(rule, actual)
        if isinstance(rule, RubricRule):
            return _rubric(rule, actual)
        if isinstance(rule, DeductionRule):
            return _deduction(rule, _count(actual))
        if isinstance(rule, BonusRule | PenaltyRule):
            return _points(rule, _count(actual))
        if isinstance(rule, VetoRule):
            return _veto(rule, _count(actual))
        assert_never(rule)


def _decimal(actual: object) -> Decimal:
    # A bool is an int to Python, but True on a numeric indicator is a mistake, not a 1.
    value: Decimal | None = None
    if isinstance(actual, Decimal):
        value = actual
    elif isinstance(actual, int) and not isinstance(actual, bool):
        value = Decimal(actual)
    elif isinstance(actual, float | str):
        # repr() of a float is its shortest decimal form, so 96.5 stays 96.5 and no binary
        # fraction leaks into the arithmetic.
        try:
            value = Decimal(repr(actual) if isinstance(actual, float) else actual.strip())
        except InvalidOperation:
            value = None
    if value is None or not value.is_finite():
        raise ScoringError(N_('"{actual}" is not a number: enter digits such as 96.5.'), actual=str(actual))
    return value


def _count(actual: object) -> int:
    try:
        value = _decimal(actual)
    except ScoringError:
        value = None
    if value is None or value != value.to_integral_value():
        raise ScoringError(
            N_('"{actual}" is not a number of events: enter a whole number such as 0, 1 or 2.'),
            actual=str(actual),
        )
    if value < 0:
        raise ScoringError(
            N_("The number of events cannot be negative ({actual}): enter 0 or more."), actual=number(value)
        )
    return int(value)


def _interpolate(x: Decimal, x0: Decimal, s0: Decimal, x1: Decimal, s1: Decimal) -> Decimal:
    # Multiply before dividing so that the only inexact operation is the one division.
    return s0 + (x - x0) * (s1 - s0) / (x1 - x0)


def _linear(rule: LinearRule, x: Decimal) -> Score:
    up = rule.target > rule.threshold

    def better(a: Decimal, b: Decimal) -> bool:
        return a > b if up else a < b

    p = {
        "actual": number(x),
        "threshold": number(rule.threshold),
        "target": number(rule.target),
        "threshold_score": number(rule.threshold_score),
        "target_score": number(rule.target_score),
    }
    if rule.stretch is not None:
        p |= {"stretch": number(rule.stretch), "stretch_score": number(rule.stretch_score)}
    if better(rule.threshold, x):
        value = rule.floor_score
        template = N_(
            "{actual} falls short of the threshold {threshold}: the score is the floor score {score}."
        )
    elif not better(x, rule.target):
        value = _interpolate(x, rule.threshold, rule.threshold_score, rule.target, rule.target_score)
        template = N_(
            "{actual} lies between the threshold {threshold} ({threshold_score}) and the target {target} ({target_score}): {threshold_score} + ({actual} − {threshold}) ÷ ({target} − {threshold}) × ({target_score} − {threshold_score}) = {score}."
        )
    elif rule.stretch is None:
        value = rule.target_score
        template = N_(
            "{actual} goes beyond the target {target}: the score stays at the target score {score}."
        )
    elif not better(x, rule.stretch):
        value = _interpolate(x, rule.target, rule.target_score, rule.stretch, rule.stretch_score)
        template = N_(
            "{actual} lies between the target {target} ({target_score}) and the stretch {stretch} ({stretch_score}): {target_score} + ({actual} − {target}) ÷ ({stretch} − {target}) × ({stretch_score} − {target_score}) = {score}."
        )
    else:
        value = rule.stretch_score
        template = N_(
            "{actual} goes beyond the stretch {stretch}: the score stays at the stretch score {score}."
        )
    steps = [Step(template, p | {"score": score_number(value)})]
    if rule.cap is not None and value > rule.cap:
        steps.append(
            Step(
                N_("{raw} is above the cap {cap}: the score is {score}."),
                {"raw": score_number(value), "cap": number(rule.cap), "score": score_number(rule.cap)},
            )
        )
        value = rule.cap
    return Score(round_score(value), "scored", steps)


def band_span(band: Band) -> str:
    """A band's range in interval notation: [90, 95), (−∞, 60), [95, +∞)."""
    lower = "(−∞" if band.lower is None else f"[{number(band.lower)}"
    upper = "+∞)" if band.upper is None else f"{number(band.upper)})"
    return f"{lower}, {upper}"


def band_contains(band: Band, x: Decimal) -> bool:
    """Whether ``x`` lies in the band: lower bound included, upper bound excluded."""
    return (band.lower is None or x >= band.lower) and (band.upper is None or x < band.upper)


def _bands(rule: BandsRule, x: Decimal) -> Score:
    bands = rule.bands
    index = next((i for i, band in enumerate(bands) if band_contains(band, x)), None)
    if index is not None:
        template = N_("{actual} lies in band {n} {range}: score {score}.")
    elif bands[0].lower is not None and x < bands[0].lower:
        # Contiguous bands leave only their two ends uncovered. An actual there (100% against a
        # last band [95, 100)) is what the nearest end band was meant for; the step says so.
        index = 0
        template = N_("{actual} lies below the first band {range}: it takes that band's score {score}.")
    else:
        index = len(bands) - 1
        template = N_(
            "{actual} lies at or above the end of the last band {range}: it takes that band's score {score}."
        )
    band = bands[index]
    p = {
        "actual": number(x),
        "n": str(index + 1),
        "range": band_span(band),
        "score": score_number(band.score),
    }
    steps = [Step(template, p)]
    if band.description or band.description_en:
        steps.append(
            Step(
                N_("Band {n}: {description}"),
                {"n": str(index + 1), "description": described(band.description_en, band.description)},
            )
        )
    return Score(round_score(band.score), "scored", steps)


def _range(rule: RangeRule, x: Decimal) -> Score:
    p = {
        "actual": number(x),
        "low": number(rule.low),
        "high": number(rule.high),
        "tolerance": number(rule.tolerance),
        "inside_score": number(rule.inside_score),
        "outside_score": number(rule.outside_score),
    }
    if rule.low <= x <= rule.high:
        value = rule.inside_score
        template = N_("{actual} lies inside the range [{low}, {high}]: score {score}.")
    else:
        distance = rule.low - x if x < rule.low else x - rule.high
        p["distance"] = number(distance)
        if distance >= rule.tolerance:
            value = rule.outside_score
            template = N_(
                "{actual} lies {distance} outside the range [{low}, {high}], at least the tolerance {tolerance}: score {score}."
            )
        else:
            value = rule.inside_score - distance * (rule.inside_score - rule.outside_score) / rule.tolerance
            template = N_(
                "{actual} lies {distance} outside the range [{low}, {high}]: {inside_score} − {distance} ÷ {tolerance} × ({inside_score} − {outside_score}) = {score}."
            )
    return Score(round_score(value), "scored", [Step(template, p | {"score": score_number(value)})])


def _yes_no(rule: YesNoRule, actual: object) -> Score:
    answer: bool | None = None
    if isinstance(actual, bool):
        answer = actual
    elif isinstance(actual, str):
        text = actual.strip().lower()
        answer = True if text in _YES else False if text in _NO else None
    elif isinstance(actual, int | Decimal) and actual in (0, 1):
        answer = actual == 1
    if answer is None:
        raise ScoringError(
            N_('"{actual}" is not a yes/no answer: enter yes or no (是 or 否), or 1 or 0.'),
            actual=str(actual),
        )
    if answer:
        return Score(
            round_score(rule.yes_score),
            "scored",
            [Step(N_("Answer yes: score {score}."), {"score": score_number(rule.yes_score)})],
        )
    return Score(
        round_score(rule.no_score),
        "scored",
        [Step(N_("Answer no: score {score}."), {"score": score_number(rule.no_score)})],
    )


def _rubric(rule: RubricRule, actual: object) -> Score:
    code = actual.strip() if isinstance(actual, str) else str(actual)
    level = next((lvl for lvl in rule.levels if lvl.code == code), None)
    if level is None or isinstance(actual, bool):
        raise ScoringError(
            N_('Level "{level}" is not one of {levels}: pick one of them.'),
            level=code,
            levels=", ".join(lvl.code for lvl in rule.levels),
        )
    steps = [Step(N_("Level {level}: score {score}."), {"level": code, "score": score_number(level.score)})]
    if level.description or level.description_en:
        steps.append(
            Step(
                N_("Level {level}: {description}"),
                {"level": code, "description": described(level.description_en, level.description)},
            )
        )
    return Score(round_score(level.score), "scored", steps)


def _deduction(rule: DeductionRule, n: int) -> Score:
    raw = rule.base - n * rule.points
    p = {"actual": str(n), "base": number(rule.base), "points": number(rule.points), "raw": score_number(raw)}
    if raw < rule.floor:
        value = rule.floor
        template = N_(
            "Events: {actual}, {points} points off each: {base} − {actual} × {points} = {raw}, below the floor {floor}, so the score is {score}."
        )
        p["floor"] = number(rule.floor)
    else:
        value = raw
        template = N_("Events: {actual}, {points} points off each: {base} − {actual} × {points} = {score}.")
    return Score(round_score(value), "scored", [Step(template, p | {"score": score_number(value)})])


def _points(rule: BonusRule | PenaltyRule, n: int) -> Score:
    raw = n * rule.points
    value = min(raw, rule.max_points)
    p = {
        "actual": str(n),
        "points": number(rule.points),
        "raw": score_number(raw),
        "max_points": number(rule.max_points),
        "score": score_number(value),
    }
    if isinstance(rule, BonusRule):
        template = (
            N_(
                "Events: {actual}, {points} bonus points each: {actual} × {points} = {raw}, more than the maximum {max_points}, so {score} points."
            )
            if raw > rule.max_points
            else N_("Events: {actual}, {points} bonus points each: {actual} × {points} = {score} points.")
        )
    else:
        template = (
            N_(
                "Events: {actual}, {points} penalty points each: {actual} × {points} = {raw}, more than the maximum {max_points}, so {score} points."
            )
            if raw > rule.max_points
            else N_("Events: {actual}, {points} penalty points each: {actual} × {points} = {score} points.")
        )
    return Score(round_score(value), "scored", [Step(template, p)])


def _veto(rule: VetoRule, n: int) -> Score:
    if n == 0:
        return Score(
            None,
            "scored",
            [Step(N_("Veto events: {actual}, so the veto is not triggered."), {"actual": "0"})],
        )
    steps = [
        Step(
            N_(
                "Veto events: {actual}, so the veto is triggered and the total can be no higher than {score}."
            ),
            {"actual": str(n), "score": score_number(rule.score)},
        )
    ]
    if rule.description or rule.description_en:
        steps.append(
            Step(N_("Veto: {description}"), {"description": described(rule.description_en, rule.description)})
        )
    return Score(round_score(rule.score), "scored", steps, vetoed=True)
