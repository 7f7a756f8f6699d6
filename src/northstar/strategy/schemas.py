"""JSON in/out for strategy records and the enterprise balanced scorecard."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, Field

from northstar.strategy.models import Perspective


class StrategyIn(BaseModel):
    period: str = Field(min_length=1, max_length=20)
    title: str = ""
    customer_focus: str = ""
    aspiration: str = ""
    horizon_years: int = 3


class StrategyUpdate(BaseModel):
    title: str | None = None
    customer_focus: str | None = None
    aspiration: str | None = None
    horizon_years: int | None = None
    version: int
    reason: str | None = None


class PriorityIO(BaseModel):
    rank: int = Field(ge=1, le=99)
    driver: str = Field(description="a value-driver code of the catalogue")
    segment_code: str | None = None
    customer_code: str | None = None
    statement: str = ""


class PrioritiesIn(BaseModel):
    priorities: list[PriorityIO]
    version: int | None = None
    reason: str | None = None


class PriorityOut(PriorityIO):
    indicator_count: int = Field(description="indicators of the design pointing at this value; computed")


class StrategyOut(BaseModel):
    id: int
    period: str
    title: str
    customer_focus: str
    aspiration: str
    horizon_years: int
    priorities: list[PriorityOut]
    version: int


# --- the enterprise balanced scorecard (S4.1–S4.3) ----------------------------------------------


class ObjectiveIn(BaseModel):
    code: str = Field(min_length=1, max_length=40, description="unique within the strategy record, e.g. C1")
    name: str = Field(min_length=1, max_length=200)
    name_en: str = Field(default="", max_length=200)
    perspective: Perspective
    rank: int | None = Field(default=None, ge=1, description="within the perspective; omit for the next free")
    description: str = ""
    priority_id: int | None = Field(
        default=None, description="the declared customer value (of this record) it serves"
    )
    driver: str | None = Field(default=None, description="a value-driver code of the catalogue")


class ObjectiveUpdate(BaseModel):
    code: str | None = Field(default=None, min_length=1, max_length=40)
    name: str | None = Field(default=None, min_length=1, max_length=200)
    name_en: str | None = Field(default=None, max_length=200)
    perspective: Perspective | None = None
    rank: int | None = Field(default=None, ge=1)
    description: str | None = None
    priority_id: int | None = Field(default=None, description="null clears it")
    driver: str | None = Field(default=None, description="null clears it")
    version: int
    reason: str | None = None


class ObjectiveIndicatorIn(BaseModel):
    card_id: int | None = Field(default=None, description="the indicator card's id, or give card_code")
    card_code: str | None = None
    weight: Decimal | None = Field(default=None, description="percent of the enterprise scorecard")


class WeightUpdate(BaseModel):
    weight: Decimal | None
    reason: str | None = None


class ObjectiveIndicatorOut(BaseModel):
    id: int
    objective_id: int
    card_id: int
    card_code: str
    name: str
    name_en: str
    weight: Decimal | None
    missing: list[str] = Field(description="card elements still empty; empty means it can be assessed")


class ObjectiveOut(BaseModel):
    id: int
    record_id: int
    code: str
    name: str
    name_en: str
    perspective: Perspective
    rank: int
    description: str
    priority_id: int | None
    priority_rank: int | None
    driver: str | None
    indicators: list[ObjectiveIndicatorOut]
    causes: list[str] = Field(description="codes of the objectives driving this one")
    effects: list[str] = Field(description="codes of the objectives this one drives")
    version: int


class LinkIn(BaseModel):
    cause_code: str = Field(min_length=1, max_length=40, description="the driving objective (lower layer)")
    effect_code: str = Field(min_length=1, max_length=40, description="the driven objective (higher layer)")
    note: str = ""


class LinkOut(BaseModel):
    id: int
    cause_id: int
    effect_id: int
    cause_code: str
    effect_code: str
    note: str


class FindingOut(BaseModel):
    rule: str = Field(description="the rule's stable code, e.g. process_drives_no_customer")
    severity: str = Field(description="error or warning")
    message: str = Field(description="in the user's language, with the fix")
    objective_id: int | None
    objective_code: str | None
    card_id: int | None
    card_code: str | None
    missing: list[str]


class DesignCheckOut(BaseModel):
    record_id: int
    ok: bool = Field(description="true when no finding is an error")
    errors: int
    warnings: int
    weight_total: Decimal
    findings: list[FindingOut]


class MapNodeOut(BaseModel):
    id: int
    code: str
    name: str
    name_en: str
    label: str = Field(description="the name in the user's language")
    rank: int
    indicator_count: int
    finding_count: int = Field(description="design-check findings about this objective")


class MapLayerOut(BaseModel):
    perspective: Perspective
    label: str
    objectives: list[MapNodeOut]


class StrategyMapOut(BaseModel):
    record_id: int
    period: str
    layers: list[MapLayerOut] = Field(description="bottom up: learning, process, customer, financial")
    links: list[LinkOut]
