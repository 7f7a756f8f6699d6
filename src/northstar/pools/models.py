"""KPI pool candidates: every indicator a department might be measured by, before tiering."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, Enum, ForeignKey, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from northstar.customers.models import ValueProposition
from northstar.db import Base, Bilingual, Dec, UTCDateTime, utcnow
from northstar.indicators.models import IndicatorCard
from northstar.journey.models import JourneyStage, Touchpoint
from northstar.org.models import Department
from northstar.strategy.models import PERSPECTIVE_ENUM, Objective, Perspective

__all__ = ["CandidateSource", "KpiCandidate", "Perspective", "Tier"]


class CandidateSource(enum.StrEnum):
    suggestion = "suggestion"  # suggested from a value proposition's ranked drivers (S2.3)
    library = "library"  # taken from the indicator library (S5.4)
    new = "new"  # written by the department


class Tier(enum.StrEnum):
    """Value tiers of the method's layering (价值分层法): A is a core candidate."""

    A = "A"
    B = "B"
    C = "C"


class KpiCandidate(Bilingual, Base):
    """One candidate in a department's KPI pool, tagged with the customer value it affects."""

    __tablename__ = "kpi_candidate"

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id", ondelete="CASCADE"), index=True)
    indicator_code: Mapped[str | None] = mapped_column(String(60), index=True)
    source: Mapped[CandidateSource] = mapped_column(
        Enum(CandidateSource, name="candidate_source", native_enum=False, length=16, validate_strings=True)
    )
    driver_code: Mapped[str | None] = mapped_column(String(60), index=True)
    proposition_id: Mapped[int | None] = mapped_column(
        ForeignKey("value_proposition.id", ondelete="SET NULL"), index=True
    )
    touchpoint_id: Mapped[int | None] = mapped_column(ForeignKey("touchpoint.id", ondelete="SET NULL"))
    stage_id: Mapped[int | None] = mapped_column(ForeignKey("journey_stage.id", ondelete="SET NULL"))
    perspective: Mapped[Perspective | None] = mapped_column(PERSPECTIVE_ENUM)
    note: Mapped[str] = mapped_column(Text, default="")
    #: the indicator card that defines it (library copy or the department's own)
    card_id: Mapped[int | None] = mapped_column(
        ForeignKey("indicator_card.id", ondelete="SET NULL"), index=True
    )
    # Columns added after 0002 carry server defaults so that pools already stored upgrade.
    #: the two admission questions of step 5 (S5.3); None = not answered yet
    affects_value: Mapped[bool | None] = mapped_column(Boolean)
    affects_note: Mapped[str] = mapped_column(Text, default="", server_default="")
    perceivable: Mapped[bool | None] = mapped_column(Boolean)
    perceivable_note: Mapped[str] = mapped_column(Text, default="", server_default="")
    tier: Mapped[Tier | None] = mapped_column(
        Enum(Tier, name="tier", native_enum=False, length=2, validate_strings=True)
    )
    #: chosen for assessment (the core set of about five); the rest are observed
    core: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    weight: Mapped[Decimal | None] = mapped_column(Dec())
    #: cascading (S6.4): the enterprise objective it serves, or the parent department's indicator
    objective_id: Mapped[int | None] = mapped_column(
        ForeignKey("objective.id", ondelete="SET NULL"), index=True
    )
    parent_candidate_id: Mapped[int | None] = mapped_column(
        ForeignKey("kpi_candidate.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(120), default="")

    department: Mapped[Department] = relationship(lazy="joined")
    proposition: Mapped[ValueProposition | None] = relationship(lazy="joined")
    touchpoint: Mapped[Touchpoint | None] = relationship(lazy="joined")
    stage: Mapped[JourneyStage | None] = relationship(lazy="joined")
    card: Mapped[IndicatorCard | None] = relationship(lazy="joined")
    objective: Mapped[Objective | None] = relationship(lazy="joined")
    parent_candidate: Mapped[KpiCandidate | None] = relationship(remote_side=[id], lazy="select")
