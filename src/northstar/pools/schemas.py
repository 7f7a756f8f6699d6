"""JSON in/out for department KPI pools: candidates, admission answers, tiers, the core set."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from northstar.pools.models import CandidateSource, Perspective, Tier


class CandidateIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    name_en: str = Field(default="", max_length=200)
    indicator_code: str | None = None
    driver: str | None = None
    touchpoint_id: int | None = None
    perspective: Perspective | None = None
    note: str = ""
    card_id: int | None = Field(default=None, description="the indicator card that defines it")


class SuggestionPick(BaseModel):
    segment_id: int = Field(description="the segment whose value proposition suggested the indicator")
    indicator_code: str


class LibraryPick(BaseModel):
    """A library indicator taken into the pool; its card is adopted into the design if needed."""

    model_config = ConfigDict(extra="forbid")

    code: str
    perspective: Perspective | None = None
    touchpoint_id: int | None = None
    note: str = ""


class CandidateUpdate(BaseModel):
    """Only the fields sent are changed. Admission answers: true, false, or null (not answered)."""

    model_config = ConfigDict(extra="forbid")

    affects_value: bool | None = None
    affects_note: str | None = None
    perceivable: bool | None = None
    perceivable_note: str | None = None
    tier: Tier | None = None
    card_id: int | None = None
    objective_id: int | None = None
    parent_candidate_id: int | None = None
    driver: str | None = None
    touchpoint_id: int | None = None
    stage_id: int | None = None
    perspective: Perspective | None = None
    note: str | None = None
    reason: str | None = None


class CorePick(BaseModel):
    candidate_id: int
    weight: Decimal | None = Field(default=None, description="percent of the department's score")


class CoreSetIn(BaseModel):
    """The whole core set: every candidate not listed becomes an observed indicator."""

    model_config = ConfigDict(extra="forbid")

    items: list[CorePick]
    reason: str | None = None


class CandidateOut(BaseModel):
    id: int
    department_code: str
    name: str
    name_en: str
    source: CandidateSource
    indicator_code: str | None
    driver: str | None
    segment_code: str | None
    touchpoint_id: int | None
    stage: str | None
    perspective: Perspective | None
    note: str
    card_id: int | None
    card_code: str | None
    card_missing: list[str] = Field(description="elements the linked card still lacks (S6.3)")
    affects_value: bool | None
    affects_note: str
    perceivable: bool | None
    perceivable_note: str
    tier: Tier | None
    core: bool
    weight: Decimal | None
    objective_id: int | None
    parent_candidate_id: int | None


class FindingOut(BaseModel):
    severity: str = Field(description="error (blocks assessment) or warning (advice)")
    message: str
    field: str | None
    candidate_id: int | None
    elements: list[str] = Field(description="the missing card elements, in the reader's language")


class PoolSummaryOut(BaseModel):
    department_id: int
    department_code: str
    department: str
    products: list[str] = Field(description="the department's products (S5.1)")
    candidates: int
    tiers: dict[str, int] = Field(description='"A", "B", "C" and "" (not tiered yet)')
    core: int
    errors: int
    warnings: int
