"""A position's design as plain data (S6.1) — one schema for the JSON API, the pages and the
workspace file — and the findings that design checks report."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field

from northstar.positions.models import IndicatorRole

PERIOD_PATTERN = r"^[0-9]{4}(-[A-Za-z0-9]{1,10})?$"


class Severity(enum.StrEnum):
    """How much a finding matters: an error breaks a rule of the method, a warning keeps a card
    from being assessed or a design from being usable, a tip is advice ("better two")."""

    error = "error"
    warning = "warning"
    tip = "tip"


@dataclass(frozen=True)
class Finding:
    """Something the method asks for that a design or scorecard lacks. Unlike a ``Problem`` it
    does not stop a save (a draft may carry findings); ``message`` names what is wrong and the
    fix, ``path`` where (``responsibilities[2].outputs[0].indicator``, ``items[1]``)."""

    severity: Severity
    message: str
    params: dict[str, Any] = field(default_factory=dict)
    path: str | None = None
    item_id: int | None = None


class _Translator(Protocol):
    locale: str

    def gettext(self, message: str, **params: Any) -> str: ...


class FindingOut(BaseModel):
    severity: Severity
    message: str = Field(description="what is wrong and the fix, in the reader's language")
    path: str | None
    item_id: int | None = None

    @classmethod
    def of(cls, finding: Finding, t: _Translator, words: Mapping[str, str] | None = None) -> FindingOut:
        """The finding in ``t``'s language; list parameters (missing card elements) are joined,
        each element named through ``words`` (its catalogue name) first."""
        sep = "、" if t.locale.startswith("zh") else ", "
        names = words or {}
        params = {
            k: sep.join(t.gettext(names.get(str(x), str(x))) for x in v) if isinstance(v, list | tuple) else v
            for k, v in finding.params.items()
        }
        return cls(
            severity=finding.severity,
            message=t.gettext(finding.message, **params),
            path=finding.path,
            item_id=finding.item_id,
        )


# --- the design as plain data ---------------------------------------------------------------


class CandidateRef(BaseModel):
    """A department KPI-pool candidate (S5), named by its department and its indicator."""

    model_config = ConfigDict(extra="forbid")

    department: str = Field(min_length=1, max_length=40, description="department code of the pool")
    indicator: str = Field(
        min_length=1, max_length=60, description="the candidate's indicator code or its card's code"
    )


class IndicatorIn(BaseModel):
    """An indicator card on the position with its weight (percent of the position's scorecard)."""

    model_config = ConfigDict(extra="forbid")

    card: str = Field(min_length=1, max_length=60, description="indicator card code")
    weight: Decimal = Field(gt=0, le=100, description="percent; the position's weights sum to 100")
    candidate: CandidateRef | None = Field(
        default=None, description="the department indicator it serves (cascading, S6.4)"
    )


class SupportingIndicatorIn(IndicatorIn):
    """A quality or collaboration indicator the output (or the position as a whole) needs."""

    role: IndicatorRole = IndicatorRole.quality


class OutputFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200, description="the key output, as its customers see it")
    name_en: str = Field(default="", max_length=200)


class OutputIn(OutputFields):
    """A key output (1–2 per responsibility): one core indicator plus supporting ones."""

    indicator: IndicatorIn | None = Field(default=None, description="the one core indicator of the output")
    supporting: list[SupportingIndicatorIn] = Field(default_factory=list, max_length=10)


class ResponsibilityFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200, description="the responsibility statement")
    name_en: str = Field(default="", max_length=200)
    description: str = ""
    customers: list[str] = Field(
        default_factory=list, max_length=20, description="codes of the internal or external customers served"
    )


class ResponsibilityIn(ResponsibilityFields):
    """A key responsibility (3–5 per position) with the customers it serves and its outputs."""

    outputs: list[OutputIn] = Field(default_factory=list, max_length=10)


class PositionDesignIn(BaseModel):
    """A position's whole design by the key-responsibility-output method (关键职责产出法)."""

    model_config = ConfigDict(extra="forbid")

    responsibilities: list[ResponsibilityIn] = Field(default_factory=list, max_length=20)
    other_indicators: list[SupportingIndicatorIn] = Field(
        default_factory=list,
        max_length=20,
        description="quality or collaboration indicators of the position as a whole, tied to no output",
    )


class PositionDesignUpdate(PositionDesignIn):
    version: int | None = Field(default=None, description="the position version you read")
    reason: str | None = None


# --- API out ---------------------------------------------------------------------------------


class PositionRef(BaseModel):
    id: int
    code: str
    name: str
    name_en: str
    department_code: str


class PositionSummaryOut(PositionRef):
    responsibilities: int
    outputs: int
    indicators: int
    weight_sum: Decimal
    holders: int
    errors: int
    warnings: int
    status: str = Field(description="empty, draft (has errors) or complete")


class PositionDesignOut(BaseModel):
    position: PositionRef
    version: int
    design: PositionDesignIn
    weight_sum: Decimal
    holders: int
    findings: list[FindingOut]


class AssignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    period: str = Field(pattern=PERIOD_PATTERN, description='e.g. "2026" or "2026-H1"')
    overwrite: bool = Field(
        default=False, description="also reset the items people's managers adjusted (and drop added ones)"
    )


class BulkResult(BaseModel):
    """What one bulk assignment did: scorecards created and refreshed, adjusted items kept."""

    position_code: str
    period: str
    holders: int
    created: int
    refreshed: int
    kept_adjusted: int
    scorecard_ids: list[int]
