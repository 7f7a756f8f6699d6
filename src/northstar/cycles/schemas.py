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


# --- evaluation (S9.4, S6.5) ----------------------------------------------------------------


class ManualActualIn(BaseModel):
    """A value entered by hand: what it rests on and who checks it. ``version`` of the actual
    you read when correcting one (None for a first entry)."""

    model_config = ConfigDict(extra="forbid")

    value: str = Field(max_length=100)
    note: str = Field(max_length=4000)
    reviewer: str = Field(
        max_length=120, description="username of the manager or HR colleague who approves it"
    )
    version: int | None = None


class ActualDecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    approve: bool
    note: str = Field(default="", max_length=4000)
    version: int


class EvidenceOut(BaseModel):
    id: int
    filename: str
    content_type: str
    size: int
    sha256: str
    uploaded_by: str
    uploaded_at: datetime
    url: str


class ActualOut(BaseModel):
    id: int
    version: int
    card: str
    employee_number: str
    value: str | None
    origin: str
    #: True for a value entered by hand, wherever it appears
    hand_entered: bool
    approval: str
    counts: bool
    reviewer: str
    note: str
    approval_note: str
    entered_by: str
    entered_at: datetime
    metric_actual_id: int | None
    lineage: dict[str, Any]
    evidence: list[EvidenceOut]


class TakeOut(BaseModel):
    run_id: int | None
    added: int
    refreshed: int
    unchanged: int
    kept_manual: int
    without_data: int
    by_hand: int


class ScoreLineOut(BaseModel):
    card: str
    card_name: str
    kind: str
    weight: Decimal | None
    weight_used: Decimal | None
    value: str | None
    origin: str
    hand_entered: bool
    held: bool
    actual_id: int | None
    score: Decimal | None
    status: str
    arithmetic: list[str]


class SheetOut(BaseModel):
    employee_number: str
    employee_name: str
    total: Decimal | None
    grade: str | None
    status: str
    lines: list[ScoreLineOut]
    arithmetic: list[str]
    error: str | None


class SelfReviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    comment: str = Field(default="", max_length=8000)
    #: card code → rubric level you give yourself
    ratings: dict[str, str] = Field(default_factory=dict)
    submit: bool = False
    version: int | None = None


class ManagerReviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    comment: str = Field(default="", max_length=8000)
    #: card code → rubric level: the actual of each rubric indicator
    ratings: dict[str, str] = Field(default_factory=dict)
    #: team indicator id → your evaluation of this member's contribution (S6.5)
    contributions: dict[str, str] = Field(default_factory=dict)
    submit: bool = False
    version: int | None = None


class ReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = _reason()


class ReviewOut(BaseModel):
    employee_number: str
    employee_name: str
    step: str
    version: int
    self_comment: str
    self_ratings: dict[str, str]
    self_at: datetime | None
    self_waived: str
    rater: str
    manager_comment: str
    manager_ratings: dict[str, str]
    contributions: dict[str, str]
    manager_at: datetime | None
    score: Decimal | None
    score_status: str
    grade: str | None
    final_grade: str | None
    confirmed_at: datetime | None


class CalibrateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    grade: str = Field(min_length=1, max_length=10)
    reason: str = _reason()
    version: int = Field(description="the version of the review you read")


class GradeRowOut(BaseModel):
    grade: str
    label: str
    label_en: str
    count: int
    share: Decimal
    forced_share: Decimal | None
    forced_count: int | None
    difference: int | None


class CalibrationChangeOut(BaseModel):
    employee_number: str
    employee_name: str
    old_grade: str | None
    new_grade: str
    reason: str
    by: str
    at: datetime
    appeal_id: int | None


class DistributionOut(BaseModel):
    total: int
    ungraded: int
    rows: list[GradeRowOut]
    changes: list[CalibrationChangeOut]
    by_department: dict[str, dict[str, int]]


class VersionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int


class ConfirmIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    comment: str = Field(default="", max_length=4000)
    version: int = Field(description="the version of the review you read")


class AppealIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(max_length=8000)
    route: str = Field(default="hr", pattern="^(hr|skip_level)$")


class AppealDecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    uphold: bool
    decision: str = Field(max_length=8000)
    grade: str | None = None
    version: int


class AppealOut(BaseModel):
    id: int
    version: int
    employee_number: str
    employee_name: str
    reason: str
    filed_at: datetime
    route: str
    handler: str
    state: str
    decision: str
    new_grade: str | None
    decided_by: str
    decided_at: datetime | None


class ProgressRowOut(BaseModel):
    employee_number: str
    employee_name: str
    department: str
    weights_ok: bool
    actuals_counted: int
    actuals_needed: int
    actuals_pending: int
    step: str
    rater: str
    appeal_open: bool
    due: str | None


class ProgressOut(BaseModel):
    waiting: dict[str, int]
    rows: list[ProgressRowOut]


class DueOut(BaseModel):
    cycle: str
    step: str
    count: int


class ReminderOut(BaseModel):
    id: int
    cycle: str
    step: str
    count: int
    sent_by: str
    sent_at: datetime


class UnitLineOut(BaseModel):
    card: str
    card_name: str
    weight: Decimal
    value: Decimal | None
    metric_actual_id: int | None


class UnitSheetOut(BaseModel):
    """A department's (code) or the enterprise's (code "") scorecard for the cycle's period."""

    code: str
    name: str
    total: Decimal | None
    grade: str | None
    status: str
    lines: list[UnitLineOut]
    arithmetic: list[str]


class UnitSheetsOut(BaseModel):
    enterprise: UnitSheetOut | None
    departments: list[UnitSheetOut]
