"""The strategy record of a planning period (S1.1)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from northstar.customers.models import Customer, Segment
from northstar.db import Base, UTCDateTime, utcnow


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
