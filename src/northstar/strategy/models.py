"""The strategy record of a planning period (S1.1) and the enterprise balanced scorecard built
on it (S4): objectives per perspective, cause-and-effect links, indicators per objective."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import Enum, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from northstar.customers.models import Customer, Segment
from northstar.db import Base, Bilingual, Dec, UTCDateTime, utcnow

if TYPE_CHECKING:
    from northstar.indicators.models import IndicatorCard


class Perspective(enum.StrEnum):
    """The four BSC perspectives, in the order the method builds them: customer first."""

    customer = "customer"
    financial = "financial"
    process = "process"
    learning = "learning"


PERSPECTIVE_ENUM = Enum(Perspective, name="perspective", native_enum=False, length=16, validate_strings=True)
#: strategy-map layers from the bottom up: learning → process → customer → financial (S4.2)
MAP_LAYERS = (Perspective.learning, Perspective.process, Perspective.customer, Perspective.financial)


class StrategyRecord(Base):
    """Leadership's answers to the three questions of step 1 for one planning period."""

    __tablename__ = "strategy_record"

    id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[str] = mapped_column(String(20), unique=True)  # "2026", "2026-2028"
    title: Mapped[str] = mapped_column(String(200), default="")
    #: Q1 in the leadership's own words: for which customers we create what value, and how high it ranks
    customer_focus: Mapped[str] = mapped_column(Text, default="")
    #: Q3: how customers should rate the company in 3–5 years
    aspiration: Mapped[str] = mapped_column(Text, default="")
    horizon_years: Mapped[int] = mapped_column(Integer, default=3)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    priorities: Mapped[list[StrategyPriority]] = relationship(
        order_by="StrategyPriority.rank", cascade="all, delete-orphan", lazy="selectin"
    )

    __mapper_args__ = {"version_id_col": version}


class StrategyPriority(Base):
    """A declared customer value, ranked: which customers (a segment or one customer) and which
    value driver. Q2 — how many indicators point at it — is computed, never stored."""

    __tablename__ = "strategy_priority"
    __table_args__ = (UniqueConstraint("record_id", "rank"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("strategy_record.id", ondelete="CASCADE"), index=True)
    rank: Mapped[int] = mapped_column(Integer)
    segment_id: Mapped[int | None] = mapped_column(ForeignKey("segment.id", ondelete="SET NULL"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id", ondelete="SET NULL"))
    driver_code: Mapped[str] = mapped_column(String(60))
    statement: Mapped[str] = mapped_column(Text, default="")

    segment: Mapped[Segment | None] = relationship(lazy="joined")
    customer: Mapped[Customer | None] = relationship(lazy="joined")


class Objective(Bilingual, Base):
    """An enterprise objective in one perspective of the balanced scorecard (S4.1)."""

    __tablename__ = "objective"
    __table_args__ = (UniqueConstraint("record_id", "code", name="uq_objective_record_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("strategy_record.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    perspective: Mapped[Perspective] = mapped_column(PERSPECTIVE_ENUM)
    rank: Mapped[int] = mapped_column(Integer, default=1)
    description: Mapped[str] = mapped_column(Text, default="")
    #: the declared customer value this objective serves (its top in the alignment tree, S6.4)
    priority_id: Mapped[int | None] = mapped_column(ForeignKey("strategy_priority.id", ondelete="SET NULL"))
    driver_code: Mapped[str | None] = mapped_column(String(60))
    version: Mapped[int] = mapped_column(Integer, default=1)

    priority: Mapped[StrategyPriority | None] = relationship(lazy="joined")
    indicators: Mapped[list[ObjectiveIndicator]] = relationship(
        order_by="ObjectiveIndicator.id", cascade="all, delete-orphan", lazy="selectin"
    )

    __mapper_args__ = {"version_id_col": version}


class ObjectiveLink(Base):
    """A cause-and-effect arrow of the strategy map: ``cause`` drives ``effect`` (S4.2)."""

    __tablename__ = "objective_link"
    __table_args__ = (UniqueConstraint("cause_id", "effect_id", name="uq_objective_link_cause_effect"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cause_id: Mapped[int] = mapped_column(ForeignKey("objective.id", ondelete="CASCADE"), index=True)
    effect_id: Mapped[int] = mapped_column(ForeignKey("objective.id", ondelete="CASCADE"), index=True)
    note: Mapped[str] = mapped_column(Text, default="")

    cause: Mapped[Objective] = relationship(foreign_keys=[cause_id], lazy="joined")
    effect: Mapped[Objective] = relationship(foreign_keys=[effect_id], lazy="joined")


class ObjectiveIndicator(Base):
    """An indicator card measuring an enterprise objective, with its weight in the scorecard."""

    __tablename__ = "objective_indicator"
    __table_args__ = (
        UniqueConstraint("objective_id", "card_id", name="uq_objective_indicator_objective_card"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    objective_id: Mapped[int] = mapped_column(ForeignKey("objective.id", ondelete="CASCADE"), index=True)
    card_id: Mapped[int] = mapped_column(ForeignKey("indicator_card.id", ondelete="RESTRICT"), index=True)
    weight: Mapped[Decimal | None] = mapped_column(Dec())

    card: Mapped[IndicatorCard] = relationship(lazy="joined")
