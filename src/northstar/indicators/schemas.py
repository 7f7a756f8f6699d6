"""One card schema for the library YAML, the JSON API and the workspace file."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from northstar.indicators.models import StatPeriod
from northstar.scoring.rules import MissingPolicy, Polarity
from northstar.strategy.models import Perspective

#: the units a card may be measured in; the UI names them in the user's language (web/labels.py)
UNITS = ("percent", "count", "score", "hours", "minutes", "days", "currency", "ratio", "points")
#: the library's departments, in the order of S5.4
DOMAINS = (
    "company",
    "it",
    "hr",
    "finance",
    "supply_chain",
    "production",
    "customer_service",
    "rnd",
    "sales",
    "marketing",
)
CODE_PATTERN = r"^[a-z][a-z0-9_]{1,59}$"


class MeasureIn(BaseModel):
    """A quantity the formula is written over; the metrics engine binds each to data."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=r"^[A-Za-z_\u4e00-\u9fff][A-Za-z0-9_\u4e00-\u9fff]{0,59}$")
    name: str = Field(min_length=1, max_length=200)
    name_en: str = Field(default="", max_length=200)


class CardIn(BaseModel):
    """Every element of an indicator card (S6.3). All but code and name may be left empty in a
    draft; a card with an empty element cannot be assessed until it is filled."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=CODE_PATTERN, description="lower-case letters, digits and _")
    name: str = Field(min_length=1, max_length=200)
    name_en: str = Field(default="", max_length=200)
    domain: str = ""
    definition: str = ""
    definition_en: str = ""
    purpose: str = ""
    purpose_en: str = ""
    formula: str = ""
    formula_notes: str = ""
    formula_notes_en: str = ""
    measures: list[MeasureIn] = Field(default_factory=list)
    unit: str = ""
    polarity: Polarity | None = None
    rule: dict[str, Any] | None = Field(default=None, description="a scoring rule: see scoring/rules.py")
    missing_policy: MissingPolicy = MissingPolicy.renormalise
    perspective: Perspective | None = None
    data_source: str = ""
    data_source_en: str = ""
    period: StatPeriod | None = None
    data_owner: str = ""
    data_owner_en: str = ""
    driver: str | None = Field(default=None, description="the value driver it serves (catalogue code)")
    touchpoint_id: int | None = None
    department: str | None = Field(default=None, description="owning department code; empty = company-wide")
    library_code: str | None = None


class CardOut(CardIn):
    id: int
    version: int
    #: the elements still missing (S6.3): empty when the card can be assessed
    missing: list[str]
    assessable: bool


class CardUpdate(CardIn):
    """A changed card: every element again, with the ``version`` you read."""

    version: int
    reason: str | None = None


class AdoptIn(BaseModel):
    """Taking a library card into the design; ``department`` (a code) owns the copy if given."""

    model_config = ConfigDict(extra="forbid")

    department: str | None = None


class LibraryCardOut(CardIn):
    #: the design's card taken from this library card, if it has been adopted
    design_card_id: int | None
    missing: list[str]
