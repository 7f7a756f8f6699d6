"""The indicator card: everything the method says a complete indicator needs (S6.3)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from northstar.db import Base, Bilingual, UTCDateTime, utcnow
from northstar.journey.models import Touchpoint
from northstar.org.models import Department
from northstar.scoring.rules import MissingPolicy, Polarity
from northstar.strategy.models import PERSPECTIVE_ENUM, Perspective


class StatPeriod(enum.StrEnum):
    """The statistical period of a card's data (统计周期)."""

    week = "week"
    month = "month"
    quarter = "quarter"
    half_year = "half_year"
    year = "year"


class IndicatorCard(Bilingual, Base):
    """One indicator, defined once and used by enterprise, department and personal scorecards.

    ``formula`` is an arithmetic expression over the codes in ``measures`` (parsed into a
    whitelisted tree, never evaluated as code); ``rule`` is a ``scoring.rules.Rule`` as JSON.
    A card missing an element may be saved as a draft; ``indicators.service.missing_elements``
    says which, and a card that has any cannot be assessed."""

    __tablename__ = "indicator_card"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    #: library grouping: it, hr, finance, supply_chain, production, customer_service, rnd, sales, marketing, company
    domain: Mapped[str] = mapped_column(String(30), default="", index=True)
    definition: Mapped[str] = mapped_column(Text, default="")
    definition_en: Mapped[str] = mapped_column(Text, default="")
    purpose: Mapped[str] = mapped_column(Text, default="")
    purpose_en: Mapped[str] = mapped_column(Text, default="")
    formula: Mapped[str] = mapped_column(Text, default="")
    formula_notes: Mapped[str] = mapped_column(Text, default="")
    formula_notes_en: Mapped[str] = mapped_column(Text, default="")
    #: [{"code": "on_time_orders", "name": "准时交付订单数", "name_en": "Orders delivered on time"}]
    measures: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    unit: Mapped[str] = mapped_column(String(20), default="")
    polarity: Mapped[Polarity | None] = mapped_column(
        Enum(Polarity, name="polarity", native_enum=False, length=16, validate_strings=True)
    )
    rule: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    missing_policy: Mapped[MissingPolicy] = mapped_column(
        Enum(MissingPolicy, name="missing_policy", native_enum=False, length=16, validate_strings=True),
        default=MissingPolicy.renormalise,
    )
    perspective: Mapped[Perspective | None] = mapped_column(PERSPECTIVE_ENUM)
    data_source: Mapped[str] = mapped_column(Text, default="")
    data_source_en: Mapped[str] = mapped_column(Text, default="")
    period: Mapped[StatPeriod | None] = mapped_column(
        Enum(StatPeriod, name="stat_period", native_enum=False, length=16, validate_strings=True)
    )
    #: the person or position responsible for the data (数据统计责任人/岗位)
    data_owner: Mapped[str] = mapped_column(String(200), default="")
    data_owner_en: Mapped[str] = mapped_column(String(200), default="")
    #: the customer value it serves: a catalogue value driver and/or a journey touchpoint
    driver_code: Mapped[str | None] = mapped_column(String(60), index=True)
    touchpoint_id: Mapped[int | None] = mapped_column(ForeignKey("touchpoint.id", ondelete="SET NULL"))
    #: the department that owns the card, when it is not a company-wide one
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id", ondelete="SET NULL"))
    #: the library card it was taken from, if any
    library_code: Mapped[str | None] = mapped_column(String(60))
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    created_by: Mapped[str] = mapped_column(String(120), default="")

    touchpoint: Mapped[Touchpoint | None] = relationship(lazy="joined")
    department: Mapped[Department | None] = relationship(lazy="joined")

    __mapper_args__ = {"version_id_col": version}
