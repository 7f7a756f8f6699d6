"""Personal scorecards as plain data (workspace file, API) and the JSON in/out of the API (S6.2)."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from northstar.positions.models import IndicatorRole
from northstar.positions.schemas import PERIOD_PATTERN, CandidateRef, FindingOut


class ItemRef(BaseModel):
    """Another person's scorecard item (usually the manager's), in the same period."""

    model_config = ConfigDict(extra="forbid")

    employee: str = Field(min_length=1, max_length=40, description="employee number")
    card: str = Field(min_length=1, max_length=60, description="indicator card code of the item")


class TeamRef(BaseModel):
    """A team indicator (S6.5) of the scorecard's period."""

    model_config = ConfigDict(extra="forbid")

    department: str = Field(min_length=1, max_length=40, description="department code of the team")
    card: str = Field(min_length=1, max_length=60, description="indicator card code of the team result")


class ScorecardItemIn(BaseModel):
    """One indicator on a personal scorecard."""

    model_config = ConfigDict(extra="forbid")

    card: str = Field(min_length=1, max_length=60, description="indicator card code")
    role: IndicatorRole = IndicatorRole.core
    weight: Decimal = Field(ge=0, le=100, description="percent; a scorecard's weights sum to 100")
    inherited: bool = Field(default=False, description="copied from the position's indicator with this card")
    adjusted: bool = Field(default=False, description="the person's copy differs from the position's")
    candidate: CandidateRef | None = None
    parent: ItemRef | None = None
    team: TeamRef | None = None
    note: str = ""


class ScorecardIn(BaseModel):
    """A person's whole scorecard for one period."""

    model_config = ConfigDict(extra="forbid")

    position: str | None = Field(default=None, description="code of the position it was inherited from")
    items: list[ScorecardItemIn] = Field(default_factory=list, max_length=30)
    declined: list[str] = Field(
        default_factory=list,
        description="card codes of the position taken off this scorecard by hand; re-assigning keeps them off",
    )


# --- API in ---------------------------------------------------------------------------------


class InheritIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    employee_number: str = Field(min_length=1, max_length=40)
    period: str = Field(pattern=PERIOD_PATTERN, description='e.g. "2026"')


class ItemAdjust(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int = Field(description="the scorecard version you read")
    weight: Decimal | None = Field(default=None, ge=0, le=100)
    role: IndicatorRole | None = None
    note: str | None = None
    reason: str | None = None


class ItemAdd(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int = Field(description="the scorecard version you read")
    card: str = Field(min_length=1, max_length=60)
    role: IndicatorRole = IndicatorRole.core
    weight: Decimal = Field(gt=0, le=100)
    candidate: CandidateRef | None = None
    note: str = ""
    reason: str | None = None


class WeightIn(BaseModel):
    item_id: int
    weight: Decimal = Field(ge=0, le=100)


class WeightsUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int = Field(description="the scorecard version you read")
    weights: list[WeightIn] = Field(min_length=1, max_length=30)
    reason: str | None = None


# --- API out --------------------------------------------------------------------------------


class ItemOut(BaseModel):
    id: int
    card: str
    card_name: str
    role: IndicatorRole
    weight: Decimal
    origin: str = Field(description="inherited (as the position has it), adjusted, or added by hand")
    assessable: bool
    missing: list[str] = Field(description="elements the card still lacks (S6.3)")
    customer_value: bool = Field(
        description="points at customer value (driver, touchpoint, customer indicator)"
    )
    output: str | None = Field(description="the key output of the position it measures")
    candidate: CandidateRef | None
    parent: ItemRef | None
    team: TeamRef | None
    note: str


class ScorecardSummaryOut(BaseModel):
    id: int
    employee_number: str
    employee_name: str
    department_code: str
    position_code: str | None
    period: str
    version: int
    item_count: int
    core_count: int = Field(description="core indicators: 3–5 wanted")
    weight_sum: Decimal
    customer_value_count: int = Field(
        description="indicators pointing at customer value: at least 1, better 2"
    )
    error_count: int
    finding_count: int


class ScorecardOut(ScorecardSummaryOut):
    items: list[ItemOut]
    findings: list[FindingOut] = Field(description="the findings of S6.2, each with its fix")
