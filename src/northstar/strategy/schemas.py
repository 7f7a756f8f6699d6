"""JSON in/out for strategy records."""

from __future__ import annotations

from pydantic import BaseModel, Field


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
