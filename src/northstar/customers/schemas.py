"""JSON in/out for customers, segments, value propositions and department declarations."""

from __future__ import annotations

from pydantic import BaseModel, Field

from northstar.customers.models import CustomerCategory, CustomerKind, Market


class DimensionIO(BaseModel):
    dimension: str = Field(min_length=1, max_length=60)
    value: str = Field(min_length=1, max_length=200)


class SegmentIn(BaseModel):
    code: str = Field(min_length=1, max_length=40)
    name: str = Field(min_length=1, max_length=200)
    name_en: str = Field(default="", max_length=200)
    market: Market
    is_key: bool = False
    description: str = ""
    dimensions: list[DimensionIO] = []


class SegmentUpdate(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    name_en: str | None = Field(default=None, max_length=200)
    market: Market | None = None
    is_key: bool | None = None
    description: str | None = None
    dimensions: list[DimensionIO] | None = None
    version: int
    reason: str | None = None


class SegmentOut(BaseModel):
    id: int
    code: str
    name: str
    name_en: str
    market: Market
    is_key: bool
    description: str
    dimensions: list[DimensionIO]
    version: int


class DriverRankIO(BaseModel):
    rank: int = Field(ge=1, le=99)
    driver: str = Field(min_length=1, max_length=60, description="a value-driver code of the catalogue")
    note: str = ""


class PropositionIn(BaseModel):
    cares_most: str = ""
    better_than_competitors: str = ""
    relationship_value: str = ""
    drivers: list[DriverRankIO]
    version: int | None = Field(default=None, description="the version you read; omit when creating")
    reason: str | None = None


class PropositionOut(BaseModel):
    id: int
    segment_code: str
    cares_most: str
    better_than_competitors: str
    relationship_value: str
    drivers: list[DriverRankIO]
    version: int


class SuggestionOut(BaseModel):
    indicator_code: str
    name: str
    why: str
    perspective: str
    unit: str
    polarity: str
    drivers: list[str]
    best_rank: int


class CustomerIn(BaseModel):
    code: str = Field(min_length=1, max_length=40)
    name: str = Field(min_length=1, max_length=200)
    name_en: str = Field(default="", max_length=200)
    category: CustomerCategory
    segment_code: str | None = None
    department_code: str | None = None
    description: str = ""


class CustomerUpdate(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    name_en: str | None = Field(default=None, max_length=200)
    category: CustomerCategory | None = None
    segment_code: str | None = None
    department_code: str | None = None
    description: str | None = None
    version: int
    reason: str | None = None


class CustomerOut(BaseModel):
    id: int
    code: str
    name: str
    name_en: str
    kind: CustomerKind
    category: CustomerCategory
    segment_code: str | None
    department_code: str | None
    description: str
    version: int


class DeclarationIn(BaseModel):
    customer_code: str
    note: str = ""


class DeclarationOut(BaseModel):
    id: int
    department_code: str
    customer_code: str
    customer_name: str
    note: str


class ProductIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    name_en: str = Field(default="", max_length=200)
    customer_code: str | None = None
    description: str = ""


class ProductOut(BaseModel):
    id: int
    department_code: str
    customer_code: str | None
    name: str
    name_en: str
    description: str


class DeclarationsOut(BaseModel):
    department_code: str
    customers: list[DeclarationOut]
    products: list[ProductOut]


class ValueDriverOut(BaseModel):
    code: str
    name: str
    description: str
    indicators: list[str]
