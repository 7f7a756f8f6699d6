"""Scoring rules as data: what an indicator card stores and the engine evaluates.

One rule per indicator, discriminated by ``kind``. Weighted kinds (linear, bands, range,
yes_no, rubric, deduction) give a score that enters the weighted mean; adjustment kinds
(bonus 加分项, penalty 扣分项, veto 一票否决) act on the total after the weighted mean and
carry no weight. Every bound is a ``Decimal``; validators reject a rule that cannot be scored
(anchors out of order, bands with a gap or an overlap) with a message naming the field.
"""

from __future__ import annotations

import enum
from decimal import Decimal
from typing import Annotated, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from northstar.errors import N_


class Polarity(enum.StrEnum):
    higher_better = "higher_better"
    lower_better = "lower_better"
    in_range = "in_range"  # best inside a target range


class MissingPolicy(enum.StrEnum):
    """What a roll-up does when an indicator has no actual for the period."""

    renormalise = "renormalise"  # drop it and scale the other weights back to 100%
    zero = "zero"  # count it as a score of 0
    incomplete = "incomplete"  # hold the whole scorecard as incomplete until it arrives


def _invalid(template: str, *, at: str = "", **params: object) -> PydanticCustomError:
    """A rule error whose English template is a catalogue key: the service that reports it
    finds the template and the parameters in ``ctx`` and renders them in the user's language.
    ``at`` is the field to fix, relative to the model ("bands[1].lower"), also in ``ctx``."""
    return PydanticCustomError("rule", template, {**params, "template": template, "at": at})


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Band(_Rule):
    """Actuals in [lower, upper) score ``score``; None is open-ended."""

    lower: Decimal | None = None
    upper: Decimal | None = None
    score: Decimal
    description: str = ""
    description_en: str = ""


class LinearRule(_Rule):
    """Piecewise-linear between anchors: threshold → threshold_score, target → target_score,
    stretch → stretch_score. Higher-better when threshold < target, lower-better when
    threshold > target. Below the threshold: ``floor_score``; beyond the stretch (or the target
    when there is no stretch) the score stays at the last anchor's score; ``cap`` limits it."""

    kind: Literal["linear"] = "linear"
    threshold: Decimal
    target: Decimal
    stretch: Decimal | None = None
    threshold_score: Decimal = Decimal(60)
    target_score: Decimal = Decimal(100)
    stretch_score: Decimal = Decimal(120)
    floor_score: Decimal = Decimal(0)
    cap: Decimal | None = None

    @model_validator(mode="after")
    def _ordered(self) -> LinearRule:
        if self.threshold == self.target:
            raise _invalid(
                N_("The threshold and the target must differ: the threshold is where scoring starts."),
                at="target",
            )
        up = self.target > self.threshold
        if self.stretch is not None and (self.stretch <= self.target if up else self.stretch >= self.target):
            raise _invalid(
                N_("The stretch value must lie beyond the target, on the far side from the threshold."),
                at="stretch",
            )
        if not self.floor_score <= self.threshold_score <= self.target_score:
            raise _invalid(
                N_("The anchor scores must rise: floor score ≤ threshold score ≤ target score."),
                at="threshold_score",
            )
        if self.stretch is not None and self.stretch_score < self.target_score:
            raise _invalid(N_("The stretch score must be at least the target score."), at="stretch_score")
        # A cap under the floor would make every score the cap: the rule could never differentiate.
        if self.cap is not None and self.cap < self.floor_score:
            raise _invalid(
                N_("The cap {cap} must not be below the floor score {floor_score}."),
                at="cap",
                cap=str(self.cap),
                floor_score=str(self.floor_score),
            )
        return self

    @property
    def polarity(self) -> Polarity:
        return Polarity.higher_better if self.target > self.threshold else Polarity.lower_better


class BandsRule(_Rule):
    """Score bands, each with its range and a description of the performance. Bands are listed
    in ascending order of actual and must meet edge to edge: no gap, no overlap."""

    kind: Literal["bands"] = "bands"
    bands: list[Band] = Field(min_length=2)

    @model_validator(mode="after")
    def _contiguous(self) -> BandsRule:
        for i, band in enumerate(self.bands):
            if band.lower is not None and band.upper is not None and band.lower >= band.upper:
                raise _invalid(
                    N_("Band {n}: its lower bound {lower} must be below its upper bound {upper}."),
                    at=f"bands[{i}].lower",
                    n=i + 1,
                    lower=str(band.lower),
                    upper=str(band.upper),
                )
            if i and band.lower is None:
                raise _invalid(
                    N_("Band {n} has no lower bound: only the first band may be open below."),
                    at=f"bands[{i}].lower",
                    n=i + 1,
                )
            if i < len(self.bands) - 1 and band.upper is None:
                raise _invalid(
                    N_("Band {n} has no upper bound: only the last band may be open above."),
                    at=f"bands[{i}].upper",
                    n=i + 1,
                )
        for i in range(1, len(self.bands)):
            prev, band = self.bands[i - 1], self.bands[i]
            assert prev.upper is not None and band.lower is not None
            if band.lower > prev.upper:
                raise _invalid(
                    N_(
                        "There is a gap between band {prev} (up to {upper}) and band {n} (from {lower}): start band {n} at {upper}."
                    ),
                    at=f"bands[{i}].lower",
                    n=i + 1,
                    prev=i,
                    upper=str(prev.upper),
                    lower=str(band.lower),
                )
            if band.lower < prev.upper:
                raise _invalid(
                    N_(
                        "Band {n} (from {lower}) overlaps band {prev} (up to {upper}): start band {n} at {upper}."
                    ),
                    at=f"bands[{i}].lower",
                    n=i + 1,
                    prev=i,
                    upper=str(prev.upper),
                    lower=str(band.lower),
                )
        return self

    @property
    def polarity(self) -> Polarity:
        first, last = self.bands[0].score, self.bands[-1].score
        if last > first:
            return Polarity.higher_better
        if last < first:
            return Polarity.lower_better
        return Polarity.in_range


class RangeRule(_Rule):
    """Best inside [low, high]; the score falls linearly to ``outside_score`` at ``tolerance``
    beyond either edge and stays there."""

    kind: Literal["range"] = "range"
    low: Decimal
    high: Decimal
    tolerance: Decimal = Field(gt=0)
    inside_score: Decimal = Decimal(100)
    outside_score: Decimal = Decimal(0)

    @model_validator(mode="after")
    def _ordered(self) -> RangeRule:
        if self.low > self.high:
            raise _invalid(
                N_("The low end {low} of the range must not exceed its high end {high}."),
                at="low",
                low=str(self.low),
                high=str(self.high),
            )
        if self.outside_score > self.inside_score:
            raise _invalid(
                N_("The score outside the range must not exceed the score inside it."), at="outside_score"
            )
        return self

    polarity: ClassVar[Polarity] = Polarity.in_range


class YesNoRule(_Rule):
    """Done or not done (1/0, yes/no)."""

    kind: Literal["yes_no"] = "yes_no"
    yes_score: Decimal = Decimal(100)
    no_score: Decimal = Decimal(0)

    polarity: ClassVar[Polarity] = Polarity.higher_better


class RubricLevel(_Rule):
    code: str = Field(min_length=1, max_length=20)
    score: Decimal
    description: str = ""
    description_en: str = ""


class RubricRule(_Rule):
    """An evaluator (the manager, a panel) picks one level; the actual is the level's code."""

    kind: Literal["rubric"] = "rubric"
    levels: list[RubricLevel] = Field(min_length=2)

    @model_validator(mode="after")
    def _unique(self) -> RubricRule:
        codes = [lvl.code for lvl in self.levels]
        for i, code in enumerate(codes):
            if code in codes[:i]:
                raise _invalid(
                    N_("Rubric level {code} appears twice: give each level its own code."),
                    at=f"levels[{i}].code",
                    code=code,
                )
        return self

    polarity: ClassVar[Polarity] = Polarity.higher_better


class DeductionRule(_Rule):
    """A weighted indicator scored from ``base`` down: each event takes ``points`` off, never
    below ``floor``. The actual is the number of events."""

    kind: Literal["deduction"] = "deduction"
    base: Decimal = Decimal(100)
    points: Decimal = Field(gt=0)
    floor: Decimal = Decimal(0)

    polarity: ClassVar[Polarity] = Polarity.lower_better


class BonusRule(_Rule):
    """加分项: ``points`` per event added to the total after the weighted mean, up to ``max_points``."""

    kind: Literal["bonus"] = "bonus"
    points: Decimal = Field(gt=0)
    max_points: Decimal = Field(gt=0)

    polarity: ClassVar[Polarity] = Polarity.higher_better


class PenaltyRule(_Rule):
    """扣分项: ``points`` per event taken off the total after the weighted mean, up to ``max_points``."""

    kind: Literal["penalty"] = "penalty"
    points: Decimal = Field(gt=0)
    max_points: Decimal = Field(gt=0)

    polarity: ClassVar[Polarity] = Polarity.lower_better


class VetoRule(_Rule):
    """一票否决: one event (a major safety or compliance breach) sets the total to ``score``."""

    kind: Literal["veto"] = "veto"
    score: Decimal = Decimal(0)
    description: str = ""
    description_en: str = ""

    polarity: ClassVar[Polarity] = Polarity.lower_better


Rule = Annotated[
    LinearRule
    | BandsRule
    | RangeRule
    | YesNoRule
    | RubricRule
    | DeductionRule
    | BonusRule
    | PenaltyRule
    | VetoRule,
    Field(discriminator="kind"),
]
WEIGHTED_KINDS = frozenset({"linear", "bands", "range", "yes_no", "rubric", "deduction"})
ADJUSTMENT_KINDS = frozenset({"bonus", "penalty", "veto"})


class Grade(_Rule):
    code: str = Field(min_length=1, max_length=10)
    min_score: Decimal
    label: str = ""
    label_en: str = ""


class GradeTable(_Rule):
    """Grades from the best down; a total at or above ``min_score`` earns the grade. The last
    grade takes everything below the one before it."""

    grades: list[Grade] = Field(min_length=2)

    @model_validator(mode="after")
    def _descending(self) -> GradeTable:
        for i in range(1, len(self.grades)):
            if self.grades[i].min_score >= self.grades[i - 1].min_score:
                raise _invalid(
                    N_(
                        "Grade {grade} starts at {min}, which must be below {previous} where grade {better} starts: list grades from the best down."
                    ),
                    at=f"grades[{i}].min_score",
                    grade=self.grades[i].code,
                    min=str(self.grades[i].min_score),
                    previous=str(self.grades[i - 1].min_score),
                    better=self.grades[i - 1].code,
                )
        codes = [g.code for g in self.grades]
        for i, code in enumerate(codes):
            if code in codes[:i]:
                raise _invalid(N_("Every grade needs its own code."), at=f"grades[{i}].code")
        return self


DEFAULT_GRADES = GradeTable(
    grades=[
        Grade(code="S", min_score=Decimal(110), label="卓越", label_en="Outstanding"),
        Grade(code="A", min_score=Decimal(95), label="优秀", label_en="Excellent"),
        Grade(code="B", min_score=Decimal(80), label="良好", label_en="Good"),
        Grade(code="C", min_score=Decimal(60), label="待改进", label_en="Needs improvement"),
        Grade(code="D", min_score=Decimal(0), label="不合格", label_en="Unsatisfactory"),
    ]
)
