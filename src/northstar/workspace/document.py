"""The workspace file: the whole design as one YAML document (issue 4, item 8).

Every section references the organisation (departments, positions, employees) by code and
every other record by its natural key (segment code, stage code + touchpoint name, card code,
objective code), so that the file reads well in a review and imports into any database that
holds the same organisation. ``WorkspaceDoc.model_json_schema()`` is the published JSON Schema
(``northstar workspace schema``, ``GET /api/v1/workspace/schema.json``).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from northstar.customers.models import CustomerCategory, Market
from northstar.indicators.schemas import CardIn
from northstar.journey.models import ResponsibilityRole
from northstar.pools.models import CandidateSource, Tier
from northstar.positions.schemas import CandidateRef, PositionDesignIn
from northstar.scorecards.schemas import ScorecardIn
from northstar.strategy.models import Perspective

FORMAT = 1


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TouchpointRef(_Doc):
    """A touchpoint by its stage's code and its own name, in a segment's journey or the company's."""

    stage: str
    name: str
    segment: str | None = None


class CustomerDoc(_Doc):
    code: str
    name: str
    name_en: str = ""
    category: CustomerCategory
    segment: str | None = None
    department: str | None = None
    description: str = ""


class DriverDoc(_Doc):
    rank: int
    driver: str
    note: str = ""


class PropositionDoc(_Doc):
    cares_most: str = ""
    better_than_competitors: str = ""
    relationship_value: str = ""
    drivers: list[DriverDoc] = Field(default_factory=list)


class DimensionDoc(_Doc):
    dimension: str
    value: str


class SegmentDoc(_Doc):
    code: str
    name: str
    name_en: str = ""
    market: Market
    is_key: bool = False
    description: str = ""
    dimensions: list[DimensionDoc] = Field(default_factory=list)
    proposition: PropositionDoc | None = None


class ProductDoc(_Doc):
    name: str
    name_en: str = ""
    customer: str | None = None
    description: str = ""


class ServedDoc(_Doc):
    customer: str
    note: str = ""


class DeclarationDoc(_Doc):
    """What a department declares: the customers it serves and its "products" (S1.3, S5.1)."""

    department: str
    customers: list[ServedDoc] = Field(default_factory=list)
    products: list[ProductDoc] = Field(default_factory=list)


class TouchpointDoc(_Doc):
    name: str
    name_en: str = ""
    moment_of_truth: bool = False
    driver: str | None = None
    description: str = ""
    #: department code → responsible | contributes (the responsibility map, S3.4)
    responsibilities: dict[str, ResponsibilityRole] = Field(default_factory=dict)


class StageDoc(_Doc):
    code: str
    name: str
    name_en: str = ""
    touchpoints: list[TouchpointDoc] = Field(default_factory=list)


class JourneyDoc(_Doc):
    """The company journey (no segment) or a segment's own."""

    segment: str | None = None
    stages: list[StageDoc]


class StepDoc(_Doc):
    name: str
    name_en: str = ""
    department: str
    stage: str | None = None
    touchpoints: list[TouchpointRef] = Field(default_factory=list)


class ProcessDoc(_Doc):
    code: str
    name: str
    name_en: str = ""
    description: str = ""
    owner: str | None = None
    steps: list[StepDoc]


class SharedIndicatorDoc(_Doc):
    touchpoint: TouchpointRef
    name: str
    name_en: str = ""
    indicator: str | None = None
    #: department code → percent; the shares sum to 100
    shares: dict[str, Decimal]


class PriorityDoc(_Doc):
    rank: int
    driver: str
    segment: str | None = None
    customer: str | None = None
    statement: str = ""


class ObjectiveIndicatorDoc(_Doc):
    card: str
    weight: Decimal | None = None


class ObjectiveDoc(_Doc):
    code: str
    perspective: Perspective
    name: str
    name_en: str = ""
    rank: int = 1
    description: str = ""
    #: the rank of the declared customer value (priority) it serves
    priority: int | None = None
    driver: str | None = None
    indicators: list[ObjectiveIndicatorDoc] = Field(default_factory=list)


class LinkDoc(_Doc):
    cause: str
    effect: str
    note: str = ""


class StrategyDoc(_Doc):
    """A strategy record with its declared customer values and its balanced scorecard (S1.1, S4)."""

    period: str
    title: str = ""
    customer_focus: str = ""
    aspiration: str = ""
    horizon_years: int = 3
    priorities: list[PriorityDoc] = Field(default_factory=list)
    objectives: list[ObjectiveDoc] = Field(default_factory=list)
    links: list[LinkDoc] = Field(default_factory=list)


class CardDoc(CardIn):
    """An indicator card (S6.3); the touchpoint it serves by reference instead of id."""

    touchpoint_id: None = Field(default=None, exclude=True)
    touchpoint: TouchpointRef | None = None


class CandidateDoc(_Doc):
    name: str
    name_en: str = ""
    source: CandidateSource = CandidateSource.new
    #: the card code (or catalogue indicator code) — the candidate's key within the pool
    indicator: str | None = None
    card: str | None = None
    driver: str | None = None
    #: the segment whose value proposition suggested it
    segment: str | None = None
    touchpoint: TouchpointRef | None = None
    stage: str | None = None
    perspective: Perspective | None = None
    note: str = ""
    affects_value: bool | None = None
    affects_note: str = ""
    perceivable: bool | None = None
    perceivable_note: str = ""
    tier: Tier | None = None
    core: bool = False
    weight: Decimal | None = None
    #: cascading: "period/objective code", or the parent department's candidate
    objective: str | None = None
    parent: CandidateRef | None = None


class PoolDoc(_Doc):
    department: str
    candidates: list[CandidateDoc]


class PositionDoc(PositionDesignIn):
    """A position designed by the key-responsibility-output method (S6.1): responsibilities with
    the customers they serve, 1–2 outputs each with its one core indicator, supporting indicators."""

    position: str = Field(description="position code")


class ScorecardDoc(ScorecardIn):
    """An employee's personal scorecard for a period (S6.2)."""

    employee: str = Field(description="employee number")
    period: str


class MemberDoc(_Doc):
    employee: str
    share: Decimal
    contribution: str = ""


class TeamDoc(_Doc):
    department: str
    card: str
    period: str
    name: str
    name_en: str = ""
    candidate: CandidateRef | None = None
    members: list[MemberDoc] = Field(default_factory=list)


class WorkspaceDoc(_Doc):
    """The whole customer-oriented design of one company."""

    northstar_workspace: int = Field(default=FORMAT, description="format version of this file")
    customers: list[CustomerDoc] = Field(default_factory=list)
    segments: list[SegmentDoc] = Field(default_factory=list)
    declarations: list[DeclarationDoc] = Field(default_factory=list)
    journeys: list[JourneyDoc] = Field(default_factory=list)
    processes: list[ProcessDoc] = Field(default_factory=list)
    shared_indicators: list[SharedIndicatorDoc] = Field(default_factory=list)
    cards: list[CardDoc] = Field(default_factory=list)
    strategy: list[StrategyDoc] = Field(default_factory=list)
    pools: list[PoolDoc] = Field(default_factory=list)
    positions: list[PositionDoc] = Field(default_factory=list)
    teams: list[TeamDoc] = Field(default_factory=list)
    scorecards: list[ScorecardDoc] = Field(default_factory=list)


def json_schema() -> dict[str, Any]:
    """The published JSON Schema of the workspace file."""
    schema = WorkspaceDoc.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://northstar.example/schemas/workspace-v1.json"
    return schema
