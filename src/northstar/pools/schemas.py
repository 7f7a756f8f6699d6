"""JSON in/out for KPI pool candidates."""

from __future__ import annotations

from pydantic import BaseModel, Field

from northstar.pools.models import CandidateSource, Perspective


class CandidateIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    name_en: str = Field(default="", max_length=200)
    indicator_code: str | None = None
    driver: str | None = None
    touchpoint_id: int | None = None
    perspective: Perspective | None = None
    note: str = ""


class SuggestionPick(BaseModel):
    segment_id: int = Field(description="the segment whose value proposition suggested the indicator")
    indicator_code: str


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
