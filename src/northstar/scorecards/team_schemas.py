"""JSON in/out of team indicators with each member's contribution (S6.5)."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from northstar.positions.schemas import PERIOD_PATTERN


class TeamMemberIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    employee_number: str = Field(min_length=1, max_length=40)
    share: Decimal = Field(description="percent of the team result credited to the member; shares sum to 100")
    contribution: str | None = Field(
        default=None, description="the evaluation of the contribution; None keeps it"
    )


class TeamIndicatorIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    department_code: str = Field(min_length=1, max_length=40)
    card_code: str = Field(min_length=1, max_length=60, description="the indicator card of the team result")
    period: str = Field(pattern=PERIOD_PATTERN, description='e.g. "2026"')
    candidate_id: int | None = Field(
        default=None, description="the department indicator the team result serves"
    )
    name: str = Field(default="", max_length=200, description="empty: the card's name")
    name_en: str = Field(default="", max_length=200)
    members: list[TeamMemberIn] = Field(max_length=200)
    item_weight: Decimal = Field(
        default=Decimal(20), description="weight of the item added to a member's scorecard that lacks it"
    )
    reason: str | None = None


class TeamIndicatorUpdate(TeamIndicatorIn):
    version: int = Field(description="the version you read")


class ContributionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    employee_number: str = Field(min_length=1, max_length=40)
    contribution: str = Field(max_length=4000)


class ContributionsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int = Field(description="the version you read")
    contributions: list[ContributionIn] = Field(min_length=1, max_length=200)
    reason: str | None = None


class TeamMemberOut(BaseModel):
    employee_number: str
    employee_name: str
    share: Decimal
    contribution: str
    item_id: int | None = Field(description="the member's scorecard item carrying the team indicator")
    scorecard_id: int | None
    item_weight: Decimal | None


class TeamIndicatorOut(BaseModel):
    id: int
    department_code: str
    card_code: str
    name: str
    name_en: str
    period: str
    candidate_id: int | None
    version: int
    total_share: Decimal
    members: list[TeamMemberOut] = Field(description="the members the reader may see")
    hidden_members: int = Field(description="members outside the reader's scope: counted, not named")
    hidden_share: Decimal
