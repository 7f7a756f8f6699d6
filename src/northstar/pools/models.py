"""KPI pool candidates: every indicator a department might be measured by, before tiering."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from northstar.customers.models import ValueProposition
from northstar.db import Base, Bilingual, UTCDateTime, utcnow
from northstar.journey.models import JourneyStage, Touchpoint
from northstar.org.models import Department


class CandidateSource(enum.StrEnum):
    suggestion = "suggestion"  # suggested from a value proposition's ranked drivers (S2.3)
    library = "library"  # taken from the indicator library (S5.4)
    new = "new"  # written by the department


class Perspective(enum.StrEnum):
    financial = "financial"
    customer = "customer"
    process = "process"
    learning = "learning"


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
    perspective: Mapped[Perspective | None] = mapped_column(
        Enum(Perspective, name="perspective", native_enum=False, length=16, validate_strings=True)
    )
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(120), default="")

    department: Mapped[Department] = relationship(lazy="joined")
    proposition: Mapped[ValueProposition | None] = relationship(lazy="joined")
    touchpoint: Mapped[Touchpoint | None] = relationship(lazy="joined")
    stage: Mapped[JourneyStage | None] = relationship(lazy="joined")
