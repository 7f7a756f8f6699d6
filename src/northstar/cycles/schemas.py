"""JSON in and out of the cycles API (S9.1, S9.3)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from northstar.cycles.models import ChangeKind, CycleKind, CycleState
from northstar.positions.models import IndicatorRole
from northstar.positions.schemas import PERIOD_PATTERN

CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$"


def _reason() -> Any:
    return Field(
        min_length=1, max_length=2000, description="why: recorded with the change and shown to people"
    )


# --- in -------------------------------------------------------------------------------------


class GradeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=10)
    min_score: Decimal
    label: str = ""
    label_en: str = ""


class CycleIn(BaseModel):
    """A cycle's settings. ``end`` is the cycle's last day and must fit ``kind`` and ``start``."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=CODE_PATTERN, description='e.g. "2026-Q1"')
    name: str = Field(min_length=1, max_length=200)
    name_en: str = Field(default="", max_length=200)
    kind: CycleKind
    start: date
    end: date = Field(description="the last day of the cycle")
    department: str | None = Field(
        default=None, description="code of the pilot business line (its subtree); none for the whole company"
    )
    scorecard_period: str | None = Field(
        default=None,
        pattern=PERIOD_PATTERN,
        description="the personal scorecards enrolled; the start's year when not given",
    )
    grades: list[GradeIn] | None = Field(
        default=None,
        description="best first; default S ≥ 110, A ≥ 95, B ≥ 80, C ≥ 60, D below (scoring.rules.DEFAULT_GRADES)",
    )
    forced_distribution: dict[str, Decimal] | None = Field(
        default=None, description='grade code → percent, adding up to 100, e.g. {"S": 20, "A": 70, "B": 10}'
    )


class CycleUpdate(CycleIn):
    version: int = Field(description="the cycle version you read")
    reason: str | None = None


class MoveIn(BaseModel):
    """Move the cycle one state forward, or from calibration back to review (reopen)."""

    model_config = ConfigDict(extra="forbid")

    to: CycleState
    version: int = Field(description="the cycle version you read")
    reason: str = _reason()


class PlanItemIn(BaseModel):
    """One assignment of a person's cycle scorecard: a new weight, new targets, or both."""

    model_config = ConfigDict(extra="forbid")

    assignment_id: int
    version: int = Field(description="the assignment version you read")
    weight: Decimal | None = Field(default=None, ge=0, le=100)
    targets: dict[str, Any] | None = Field(
        default=None,
        description='numbers of the card\'s rule for this person, e.g. {"threshold": 60, "target": 80, '
        '"stretch": 95} or {"bands": [{"upper": 70}, {"lower": 70, "upper": 85}, …]}; {} goes back '
        "to the card's own",
    )


class PersonPlanIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: list[PlanItemIn] = Field(min_length=1, max_length=30)
    reason: str = _reason()


class BulkCardIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    card: str = Field(min_length=1, max_length=60, description="indicator card code")
    weight: Decimal | None = Field(default=None, ge=0, le=100)
    targets: dict[str, Any] | None = None


class BulkPlanIn(BaseModel):
    """Set weights and targets of every participant of a position, or of a department's subtree,
    who holds the card; values set for one person are kept unless ``overwrite``."""

    model_config = ConfigDict(extra="forbid")

    version: int = Field(description="the cycle version you read")
    position: str | None = Field(default=None, description="position code")
    department: str | None = Field(default=None, description="department code (with its subtree)")
    cards: list[BulkCardIn] = Field(min_length=1, max_length=30)
    reason: str = _reason()
    overwrite: bool = Field(default=False, description="also replace values set for one person")


class CardChangeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int = Field(description="the cycle version you read")
    reason: str = _reason()


# --- out ------------------------------------------------------------------------------------


class GradeOut(BaseModel):
    code: str
    min_score: Decimal
    label: str
    label_en: str


class CycleOut(BaseModel):
    id: int
    code: str
    name: str
    name_en: str
    kind: CycleKind
    start: date
    end: date
    department: str | None
    scorecard_period: str
    state: CycleState
    next_state: CycleState | None
    grades: list[GradeOut]
    forced_distribution: dict[str, Decimal] | None
    version: int
    participant_count: int
    started_at: datetime | None
    closed_at: datetime | None
    allowed: list[str] = Field(description="what you may do in this state (before record scope)")


class AssignmentOut(BaseModel):
    id: int
    version: int
    card: str
    card_name: str
    card_version: int = Field(description="the frozen version once running, else the card's current one")
    kind: str | None = Field(description="the rule kind")
    role: IndicatorRole
    weight: Decimal
    weight_override: bool
    targets: dict[str, Any] = Field(description="this cycle's overrides of the rule's numbers")
    targets_override: bool
    anchors: dict[str, Any] = Field(description="the numbers that apply: the card's, overridden by targets")
    flags: int = Field(description="changes made to it while the cycle was running")


class ParticipantOut(BaseModel):
    employee_number: str
    employee_name: str
    department: str
    position: str | None
    weight_sum: Decimal = Field(description="weights of the weighted items; 100 to start the cycle")
    flags: int
    items: list[AssignmentOut]


class BulkOut(BaseModel):
    participants: int = Field(description="participants in the selection holding a card of the request")
    changed: int = Field(description="assignments changed")
    kept_overrides: int = Field(description="values set for one person that were kept")
    cycle_version: int


class CycleCardOut(BaseModel):
    card: str
    name: str
    name_en: str
    card_version: int
    current_version: int
    rule: dict[str, Any] | None
    polarity: str | None
    unit: str
    missing_policy: str
    formula: str
    frozen: bool
    frozen_at: datetime | None


class ChangeLineOut(BaseModel):
    employee_number: str
    employee_name: str
    old: str | None
    new: str | None


class ChangeOut(BaseModel):
    id: int
    at: datetime
    by: str
    kind: ChangeKind
    card: str
    selector: str
    reason: str
    mid_cycle: bool
    lines: list[ChangeLineOut]


class FlagOut(BaseModel):
    change_id: int
    at: datetime
    by: str
    employee_number: str
    employee_name: str
    card: str
    kind: ChangeKind
    old: str | None
    new: str | None
    reason: str


class DiffLineOut(BaseModel):
    card: str
    change: str = Field(description="added, removed, weight or targets")
    old: Any
    new: Any
    reasons: list[str]


class PersonDiffOut(BaseModel):
    employee_number: str
    employee_name: str
    status: str = Field(description="joined, left or kept")
    lines: list[DiffLineOut]


class DiffOut(BaseModel):
    cycle: str
    previous: str | None = Field(description="the previous cycle of the same kind, if any")
    cards_added: list[str]
    cards_removed: list[str]
    people: list[PersonDiffOut]
