"""JSON in/out for the organisation. Fields nobody may post (ids, versions) are absent from *In."""

from __future__ import annotations

from datetime import date
from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from northstar.org.models import DepartmentKind


class DepartmentIn(BaseModel):
    code: str = Field(min_length=1, max_length=40)
    name: str = Field(min_length=1, max_length=120)
    name_en: str = Field(default="", max_length=120)
    kind: DepartmentKind
    parent_code: str | None = None
    head_number: str | None = None


class DepartmentUpdate(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=120)
    name_en: str | None = Field(default=None, max_length=120)
    kind: DepartmentKind | None = None
    parent_code: str | None = None
    head_number: str | None = None
    version: int
    reason: str | None = None


class DepartmentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    name: str
    name_en: str
    kind: DepartmentKind
    parent_code: str | None
    head_number: str | None
    version: int


class PositionIn(BaseModel):
    code: str = Field(min_length=1, max_length=40)
    name: str = Field(min_length=1, max_length=120)
    name_en: str = Field(default="", max_length=120)
    department_code: str


class PositionOut(BaseModel):
    id: int
    code: str
    name: str
    name_en: str
    department_code: str
    version: int


class EmployeeIn(BaseModel):
    number: str = Field(min_length=1, max_length=40)
    name: str = Field(min_length=1, max_length=120)
    email: str = Field(default="", max_length=200)
    department_code: str
    position_code: str | None = None
    manager_number: str | None = None
    start_date: date
    end_date: date | None = None


class EmployeeUpdate(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=120)
    email: str | None = Field(default=None, max_length=200)
    department_code: str | None = None
    position_code: str | None = None
    manager_number: str | None = None
    start_date: date | None = None
    end_date: date | None = None
    version: int
    reason: str | None = None


class EmployeeOut(BaseModel):
    id: int
    number: str
    name: str
    email: str
    department_code: str
    position_code: str | None
    manager_number: str | None
    start_date: date
    end_date: date | None
    version: int


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    offset: int
    limit: int


class ImportReport(BaseModel):
    departments: int = 0
    positions: int = 0
    employees: int = 0
    created: int = 0
    updated: int = 0
