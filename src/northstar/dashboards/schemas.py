"""Pydantic shapes of the dashboards' JSON API: the same tables and charts the pages show."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class CellOut(BaseModel):
    text: str = Field(description="as shown, formatted for the caller's language")
    value: Any = Field(None, description="the raw number or code, when there is one")
    href: str | None = Field(None, description="the figure's lineage page, or the page the cell opens")
    status: str | None = Field(None, description="on_target, below_target, off_track, no_data (or gap)")
    note: str | None = Field(None, description="the arithmetic of a score, line by line")


class RowOut(BaseModel):
    cells: list[CellOut]
    trend: list[tuple[str, float | None]] | None = Field(None, description="monthly (period, value)")
    anchor: str | None = None


class TableOut(BaseModel):
    key: str
    title: str
    columns: list[str]
    note: str | None = None
    rows: list[RowOut]


class DashboardOut(BaseModel):
    kind: str = Field(description="enterprise, department, personal, journey or indicator")
    title: str
    period: str = Field(description="2026-Q3, 2026-07 or 2026")
    period_label: str
    to_date: bool = Field(description="the period is still running: its figures are so far")
    headline: list[CellOut]
    steps: list[str] = Field(description="the arithmetic of the headline total")
    notes: list[str]
    tables: list[TableOut]
    charts: dict[str, Any]
