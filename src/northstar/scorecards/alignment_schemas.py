"""JSON in/out of the alignment tree, its breaks and the cascade links (S6.4)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class BilingualOut(BaseModel):
    zh: str
    en: str


class OwnerOut(BaseModel):
    kind: str = Field(description="enterprise, department or person")
    id: int | None = None
    code: str | None = Field(default=None, description="department code or employee number")
    label: BilingualOut | None = None
    href: str | None = None


class NodeOut(BaseModel):
    kind: str = Field(
        description="customer_value, objective, department_indicator, team_indicator or personal_item"
    )
    id: int
    label: BilingualOut | None = Field(description="None for an item the reader may not see")
    owner: OwnerOut | None
    href: str | None = Field(description="the page of the node")
    detail: dict[str, Any] = Field(
        description="customer_value: rank, driver, customers, statement; objective: code, perspective; "
        "department_indicator: tier, core, card, indicator_code; team_indicator: card, period, members; "
        "personal_item: card, role, weight, period"
    )
    repeat: bool = Field(description="an objective shown in full elsewhere in the tree")
    hidden: bool = Field(
        description="an item of someone outside the reader's scope, kept for the chain below it"
    )
    children: list[NodeOut]


class RecordRef(BaseModel):
    id: int
    period: str
    title: str


class TreeOut(BaseModel):
    record: RecordRef
    period: str | None = Field(description="the scorecard period shown; None = every period")
    department_id: int | None = Field(description="the department filter; None = the whole company")
    values: list[NodeOut] = Field(description="one root per declared customer value, by rank")


class SubjectRef(BaseModel):
    kind: str
    id: int


class BreakOut(BaseModel):
    kind: str = Field(
        description="value_unserved, objective_without_value, indicator_unlinked, item_unlinked, team_unlinked, "
        "team_shares, chain_ends, link_elsewhere, link_target_gone, link_person_left or loop"
    )
    severity: str = Field(description="error, warning or info")
    message: str
    fix: str
    subject: SubjectRef
    href: str | None
    department_id: int | None


class ItemLinkIn(BaseModel):
    """The one thing a personal item serves; all empty clears the link."""

    model_config = ConfigDict(extra="forbid")

    candidate_id: int | None = Field(default=None, description="a department indicator (KPI pool candidate)")
    parent_item_id: int | None = Field(
        default=None, description="another person's item, usually the manager's"
    )
    team_indicator_id: int | None = Field(
        default=None, description="a team indicator the person is a member of"
    )
    reason: str | None = None


class ItemLinkOut(BaseModel):
    item_id: int
    scorecard_id: int
    employee_number: str
    period: str
    card: str
    candidate_id: int | None
    parent_item_id: int | None
    team_indicator_id: int | None


class CandidateLinkIn(BaseModel):
    """The one thing a department indicator serves; both empty clears the link."""

    model_config = ConfigDict(extra="forbid")

    objective_id: int | None = Field(default=None, description="an enterprise objective")
    parent_candidate_id: int | None = Field(default=None, description="an indicator of a department above")
    reason: str | None = None


class CandidateLinkOut(BaseModel):
    candidate_id: int
    department_code: str
    objective_id: int | None
    objective_code: str | None
    parent_candidate_id: int | None
