"""What users send and receive about data sources, metric specs, bindings and actuals."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from northstar.metrics.sources import SourceSchema

SourceKind = Literal["file", "sql", "push"]
#: the kinds of business system the seed names, for grouping and for the quality page
SYSTEMS = ("crm", "survey", "erp", "production", "hr", "it", "finance", "other")
System = Literal["crm", "survey", "erp", "production", "hr", "it", "finance", "other"]
_CODE = re.compile(r"^[a-z][a-z0-9_]{0,59}$")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}(\.[A-Za-z_][A-Za-z0-9_]{0,62})?$")


class SourceIn(BaseModel):
    """A data source to register: where its rows come from and the columns they must have.

    ``file``: ``location`` is a CSV, Parquet or xlsx file, relative to the data directory or
    absolute. ``sql``: ``location`` is a SQLAlchemy URL (sqlite:///…, postgresql+psycopg://…)
    and ``table`` the table (or schema.table) read whole; it is a name, never SQL text.
    ``push``: rows arrive over ``POST /api/v1/data/sources/{code}/batches``.
    """

    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=60)
    name: str = Field(min_length=1, max_length=200)
    name_en: str = ""
    system: System = "other"
    kind: SourceKind
    location: str = ""
    table: str | None = None
    sheet: str | None = None
    #: the column holding each row's event time, for freshness
    time_column: str = Field(min_length=1)
    #: data whose latest event is older than this many days counts as stale
    fresh_days: int = Field(default=7, ge=1, le=400)
    description: str = ""
    columns: SourceSchema

    @field_validator("code")
    @classmethod
    def _code(cls, value: str) -> str:
        if not _CODE.match(value):
            raise ValueError("use lower-case letters, digits and underscores, starting with a letter")
        return value

    @model_validator(mode="after")
    def _kind(self) -> SourceIn:
        if self.kind in ("file", "sql") and not self.location:
            raise ValueError(f"a {self.kind} source needs a location")
        if self.kind == "sql":
            if not self.table:
                raise ValueError("a sql source needs the table to read")
            if not _IDENTIFIER.match(self.table):
                raise ValueError(
                    "table must be a table name (letters, digits, underscores; schema.table allowed)"
                )
        elif self.table:
            raise ValueError("only a sql source names a table")
        if self.columns.column(self.time_column) is None:
            raise ValueError(f"time_column {self.time_column} is not among the declared columns")
        return self
