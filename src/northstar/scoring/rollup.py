"""A scorecard's total: the weighted mean of its items, then bonus, penalty and veto, then a grade.

Weights are percentages that must add up to exactly 100. When an item has no data its missing
policy decides: renormalise (drop it and scale the other weights back to 100), zero (count it
as 0) or incomplete (hold the whole total until the data arrives).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal, localcontext
from typing import Literal, NamedTuple

from northstar.errors import N_, Label, zh_of
from northstar.scoring.engine import Score, ScoringError, score
from northstar.scoring.rules import (
    ADJUSTMENT_KINDS,
    DEFAULT_GRADES,
    Grade,
    GradeTable,
    MissingPolicy,
    Rule,
)
from northstar.scoring.steps import (
    CONTEXT,
    SCORE_PLACES,
    Step,
    described,
    listed,
    number,
    round_score,
    score_number,
)

HUNDRED = Decimal(100)

_KIND_NAMES = {"bonus": N_("bonus"), "penalty": N_("penalty"), "veto": N_("veto")}


@dataclass(frozen=True, kw_only=True)
class Item:
    """One line of a scorecard: its rule, its actual for the period, and its weight in percent
    (weighted kinds only; bonus, penalty and veto items carry none)."""

    code: str
    label: str
    rule: Rule
    actual: object = None
    weight: Decimal | None = None
    missing: MissingPolicy = MissingPolicy.renormalise


@dataclass(frozen=True)
class ItemResult:
    """An item's score and how it entered the total.

    ``weight_used`` is the weight after renormalisation (None for a dropped item or an
    adjustment); ``counted`` is the score that entered the mean (0 under the zero policy),
    or the points or veto score of an adjustment."""

    code: str
    label: str
    kind: str
    weight: Decimal | None
    weight_used: Decimal | None
    score: Score
    counted: Decimal | None


@dataclass(frozen=True)
class WeightedMean:
    """A weighted mean and its arithmetic; ``weights`` are the weights used, in input order
    (None where a part was dropped or is missing)."""

    total: Decimal | None
    status: Literal["scored", "incomplete"]
    weights: list[Decimal | None]
    steps: list[Step] = field(default_factory=list)


@dataclass(frozen=True)
class RollupResult:
    """A scorecard's total, grade and arithmetic; ``total`` and ``grade`` are None while it is
    incomplete, and every item's score is computed and shown either way."""

    total: Decimal | None
    grade: str | None
    status: Literal["scored", "incomplete"]
    items: list[ItemResult]
    steps: list[Step]
    mean: Decimal | None = None
    bonus: Decimal = Decimal(0)
    penalty: Decimal = Decimal(0)
    vetoed: bool = False


class _Part(NamedTuple):
    label: str
    weight: Decimal
    value: Decimal | None
    missing: MissingPolicy


def grade_for(total: Decimal, grades: GradeTable | None = None) -> Grade:
    """The first grade whose minimum the total reaches; below them all, the last grade."""
    table = (grades or DEFAULT_GRADES).grades
    return next((g for g in table if total >= g.min_score), table[-1])


def renormalised(weights: Sequence[Decimal]) -> list[Decimal]:
    """The weights scaled to add up to exactly 100, each to two decimals.

    The rounded weights are the ones the total is computed with, so that a reader who redoes
    the printed arithmetic gets the printed total; the hundredths lost to rounding go to the
    largest remainders (ties to the earlier item) so that they still add up to 100."""
    with localcontext(CONTEXT):
        remaining = sum(weights, Decimal(0))
        exact = [w * HUNDRED / remaining for w in weights]
        scaled = [e.quantize(SCORE_PLACES, rounding=ROUND_DOWN) for e in exact]
        short = int((HUNDRED - sum(scaled, Decimal(0))) / SCORE_PLACES)
        order = sorted(range(len(exact)), key=lambda i: (scaled[i] - exact[i], i))
        for i in order[: max(short, 0)]:
            scaled[i] += SCORE_PLACES
        return scaled


def _check_weights(labelled: Sequence[tuple[str | None, str, Decimal | None]]) -> None:
    for item, label, weight in labelled:
        if weight is None or weight <= 0:
            raise ScoringError(
                N_('"{label}" needs a weight above 0%: give it its share of the 100%.'),
                item=item,
                label=label,
                weight=number(weight or 0),
            )
    total = sum((w for _, _, w in labelled if w is not None), Decimal(0))
    if total != HUNDRED:
        raise ScoringError(
            N_("The weights add up to {total}%, not 100%: change them so that they add up to exactly 100%."),
            total=number(total),
        )


def _mean(parts: Sequence[_Part]) -> WeightedMean:
    steps: list[Step] = []
    counted: list[Decimal | None] = []
    incomplete = False
    for part in parts:
        if part.value is not None:
            counted.append(part.value)
            continue
        p = {"label": part.label, "weight": number(part.weight)}
        if part.missing is MissingPolicy.zero:
            counted.append(Decimal(0))
            steps.append(Step(N_('"{label}" has no data, so it counts as a score of 0.'), p))
        elif part.missing is MissingPolicy.renormalise:
            counted.append(None)
            steps.append(
                Step(
                    N_('"{label}" has no data, so its weight of {weight}% is shared out over the others.'), p
                )
            )
        else:
            counted.append(None)
            incomplete = True
            steps.append(
                Step(
                    N_('"{label}" has no data yet, so the total waits until it arrives.'),
                    {"label": part.label},
                )
            )
    kept = [i for i, value in enumerate(counted) if value is not None]
    if incomplete:
        return WeightedMean(
            None, "incomplete", [parts[i].weight if i in kept else None for i in range(len(parts))], steps
        )
    if not kept:
        steps.append(Step(N_("No weighted item has data yet: there is no total to compute.")))
        return WeightedMean(None, "incomplete", [None] * len(parts), steps)
    weights: list[Decimal | None] = [None] * len(parts)
    if len(kept) < len(parts):
        remaining = sum((parts[i].weight for i in kept), Decimal(0))
        scaled = renormalised([parts[i].weight for i in kept])
        for i, w in zip(kept, scaled, strict=True):
            weights[i] = w
        shares = [
            (parts[i].label, f"{number(parts[i].weight)}% → {number(w)}%")
            for i, w in zip(kept, scaled, strict=True)
        ]
        steps.append(
            Step(
                N_("The remaining weights add up to {remaining}%, scaled to 100%: {weights}."),
                {
                    "remaining": number(remaining),
                    # each label as the reader's language names it
                    "weights": listed(
                        [described(f"{label} {share}", f"{zh_of(label)} {share}") for label, share in shares],
                        en="; ",
                        zh="；",
                    ),
                },
            )
        )
    else:
        for i in kept:
            weights[i] = parts[i].weight
    terms = []
    total = Decimal(0)
    for i in kept:
        weight, value = weights[i], counted[i]
        assert weight is not None and value is not None
        total += weight * value
        terms.append(f"{number(weight)}% × {score_number(value)}")
    mean = round_score(total / HUNDRED)
    steps.append(
        Step(
            N_("Weighted score: {terms} = {mean}."), {"terms": " + ".join(terms), "mean": score_number(mean)}
        )
    )
    return WeightedMean(mean, "scored", weights, steps)


def combine(
    parts: Sequence[tuple[str, Decimal, Decimal | None]],
    missing: MissingPolicy = MissingPolicy.renormalise,
) -> WeightedMean:
    """The weighted mean of scores known already, as (label, weight %, score or None) with the
    weights adding up to 100: a department's or the enterprise's total from its scorecards."""
    with localcontext(CONTEXT):
        _check_weights([(None, label, weight) for label, weight, _ in parts])
        return _mean([_Part(label, weight, value, missing) for label, weight, value in parts])


def _validate(items: Sequence[Item]) -> None:
    seen: set[str] = set()
    for item in items:
        if item.code in seen:
            raise ScoringError(
                N_("Item code {code} appears twice: give each item its own code."),
                item=item.code,
                code=item.code,
            )
        seen.add(item.code)
        if item.rule.kind in ADJUSTMENT_KINDS and item.weight:
            raise ScoringError(
                N_(
                    '"{label}" is a {kind} item: it acts on the total and carries no weight, so clear its weight of {weight}%.'
                ),
                item=item.code,
                label=item.label,
                kind=Label(_KIND_NAMES[item.rule.kind]),
                weight=number(item.weight),
            )
    _check_weights([(i.code, i.label, i.weight) for i in items if i.rule.kind not in ADJUSTMENT_KINDS])


def _score(item: Item) -> Score:
    try:
        return score(item.rule, item.actual)
    except ScoringError as exc:
        exc.item = item.code
        raise


def roll_up(items: Sequence[Item], grades: GradeTable | None = None) -> RollupResult:
    """A scorecard's total and grade from its items, with every step of the arithmetic."""
    _validate(items)
    with localcontext(CONTEXT):
        scores = [_score(item) for item in items]
        weighted = [i for i, item in enumerate(items) if item.rule.kind not in ADJUSTMENT_KINDS]
        mean = _mean(
            [
                _Part(items[i].label, items[i].weight or Decimal(0), scores[i].value, items[i].missing)
                for i in weighted
            ]
        )
        steps = list(mean.steps)
        adj = _adjustments(items, scores, steps)
        used = dict(zip(weighted, mean.weights, strict=True))
        results = [
            ItemResult(
                code=item.code,
                label=item.label,
                kind=item.rule.kind,
                weight=item.weight,
                weight_used=used.get(i),
                score=result,
                counted=_counted(item, result, used.get(i) is not None),
            )
            for i, (item, result) in enumerate(zip(items, scores, strict=True))
        ]

        def finish(total: Decimal | None, grade: str | None) -> RollupResult:
            status: Literal["scored", "incomplete"] = "incomplete" if total is None else "scored"
            return RollupResult(
                total, grade, status, results, steps, mean.total, adj.bonus, adj.penalty, bool(adj.vetoes)
            )

        if adj.incomplete or mean.total is None:
            return finish(None, None)
        total = mean.total
        if adj.any_points:
            total = round_score(total + adj.bonus - adj.penalty)
            steps.append(
                Step(
                    N_("{mean} + {bonus} bonus points − {penalty} penalty points = {total}."),
                    {
                        "mean": score_number(mean.total),
                        "bonus": score_number(adj.bonus),
                        "penalty": score_number(adj.penalty),
                        "total": score_number(total),
                    },
                )
            )
        if adj.vetoes:
            total = _apply_vetoes(total, adj.vetoes, steps)
        grade = grade_for(total, grades)
        steps.append(_grade_step(total, grade))
        return finish(total, grade.code)


class _Adjustments(NamedTuple):
    bonus: Decimal
    penalty: Decimal
    any_points: bool
    vetoes: list[tuple[str, Decimal]]
    incomplete: bool


def _adjustments(items: Sequence[Item], scores: Sequence[Score], steps: list[Step]) -> _Adjustments:
    bonus = penalty = Decimal(0)
    any_points = incomplete = False
    vetoes: list[tuple[str, Decimal]] = []
    for item, result in zip(items, scores, strict=True):
        kind = item.rule.kind
        if kind not in ADJUSTMENT_KINDS:
            continue
        if result.status == "missing":
            if item.missing is MissingPolicy.incomplete:
                incomplete = True
                template = N_('"{label}" has no data yet, so the total waits until it arrives.')
            else:
                template = N_('"{label}" has no data, so it does not change the total.')
            steps.append(Step(template, {"label": item.label}))
        elif result.value is None:
            continue  # a veto that was not triggered
        elif kind == "bonus":
            bonus += result.value
            any_points = True
        elif kind == "penalty":
            penalty += result.value
            any_points = True
        elif result.vetoed:
            vetoes.append((item.label, result.value))
    return _Adjustments(bonus, penalty, any_points, vetoes, incomplete)


def _counted(item: Item, result: Score, kept: bool) -> Decimal | None:
    if item.rule.kind in ADJUSTMENT_KINDS:
        return result.value
    if result.value is not None:
        return result.value
    return Decimal(0) if kept and item.missing is MissingPolicy.zero else None


def _apply_vetoes(total: Decimal, vetoes: list[tuple[str, Decimal]], steps: list[Step]) -> Decimal:
    # A veto is a ceiling, not a replacement: a veto held at 60 ("no better than C") must not
    # lift a scorecard that already stands at 40.
    lowest = min(value for _, value in vetoes)
    p = {
        "labels": listed([label for label, _ in vetoes]),
        "before": score_number(total),
        "score": score_number(lowest),
    }
    if total > lowest:
        steps.append(Step(N_("Veto triggered by {labels}: the total {before} becomes {score}."), p))
        return lowest
    steps.append(
        Step(
            N_(
                "Veto triggered by {labels}: the total {before} is already no higher than {score}, so it stands."
            ),
            p,
        )
    )
    return total


def _grade_step(total: Decimal, grade: Grade) -> Step:
    p = {"total": score_number(total), "min_score": number(grade.min_score), "grade": grade.code}
    if total < grade.min_score:
        return Step(N_("Total {total} is below every grade's minimum: grade {grade}, the lowest."), p)
    if grade.label or grade.label_en:
        return Step(
            N_("Total {total} reaches {min_score}: grade {grade} ({label})."),
            p | {"label": described(grade.label_en, grade.label)},
        )
    return Step(N_("Total {total} reaches {min_score}: grade {grade}."), p)
