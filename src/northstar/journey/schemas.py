"""JSON in/out for journeys, processes, the responsibility map and shared indicators."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, Field

from northstar.journey.models import ResponsibilityRole


class TouchpointIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    name_en: str = Field(default="", max_length=200)
    moment_of_truth: bool = False
    driver: str | None = None
    description: str = ""


class TouchpointUpdate(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    name_en: str | None = Field(default=None, max_length=200)
    moment_of_truth: bool | None = None
    driver: str | None = None
    description: str | None = None
    reason: str | None = None


class TouchpointOut(BaseModel):
    id: int
    name: str
    name_en: str
    moment_of_truth: bool
    driver: str | None
    description: str


class StageIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    name_en: str = Field(default="", max_length=200)
    segment_id: int | None = Field(default=None, description="empty: the company journey")
    after_stage_id: int | None = None


class StageOut(BaseModel):
    id: int
    code: str
    name: str
    name_en: str
    position: int
    touchpoints: list[TouchpointOut]


class JourneyOut(BaseModel):
    segment_code: str | None
    own: bool = Field(
        description="true when the segment has its own journey, false when it follows the company's"
    )
    stages: list[StageOut]


class StepIO(BaseModel):
    name: str
    name_en: str = ""
    department: str = Field(description="code or name of the owning department")
    stage_id: int | None = None
    touchpoint_ids: list[int] = []


class ProcessIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    name_en: str = ""
    description: str = ""
    owner_department: str | None = Field(default=None, description="the end-to-end owner's code or name")
    steps: list[StepIO]
    version: int | None = None
    reason: str | None = None


class StepOut(StepIO):
    position: int
    department_code: str


class ProcessOut(BaseModel):
    id: int
    code: str
    name: str
    name_en: str
    description: str
    owner_department_code: str | None
    steps: list[StepOut]
    version: int


class ResponsibilityIn(BaseModel):
    touchpoint_id: int
    department_code: str
    role: ResponsibilityRole | None = Field(description="responsible, contributes, or null to clear the cell")
    reason: str | None = None


class CellOut(BaseModel):
    department_code: str
    role: ResponsibilityRole


class MapRowOut(BaseModel):
    stage: str
    stage_code: str
    touchpoint_id: int
    touchpoint: str
    moment_of_truth: bool
    departments: list[CellOut]


class ShareIO(BaseModel):
    department: str = Field(description="department code or name")
    share: Decimal = Field(description="percent; the shares of one indicator sum to 100")


class SharedIndicatorIn(BaseModel):
    name: str
    name_en: str = ""
    indicator_code: str | None = None
    shares: list[ShareIO]
    version: int | None = None
    reason: str | None = None


class SharedIndicatorOut(BaseModel):
    id: int | None = Field(description="null for a proposal not yet adopted")
    touchpoint_id: int
    touchpoint: str
    name: str
    indicator_code: str | None
    shares: list[ShareIO]
    version: int | None
