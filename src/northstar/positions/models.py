"""Key responsibilities, their customers and outputs, and the indicator cards of a position (S6.1)."""

from __future__ import annotations

import enum
from decimal import Decimal

from sqlalchemy import Column, Enum, ForeignKey, Integer, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from northstar.customers.models import Customer
from northstar.db import Base, Bilingual, Dec
from northstar.indicators.models import IndicatorCard
from northstar.org.models import Position
from northstar.pools.models import KpiCandidate


class IndicatorRole(enum.StrEnum):
    """Why an indicator is on a position or personal scorecard: the core indicator of an output,
    or the quality / collaboration indicator the output needs (关键职责产出法)."""

    core = "core"
    quality = "quality"
    collaboration = "collaboration"


ROLE_ENUM = Enum(IndicatorRole, name="indicator_role", native_enum=False, length=16, validate_strings=True)

responsibility_customer = Table(
    "responsibility_customer",
    Base.metadata,
    Column(
        "responsibility_id", ForeignKey("position_responsibility.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("customer_id", ForeignKey("customer.id", ondelete="CASCADE"), primary_key=True),
)


class PositionResponsibility(Bilingual, Base):
    """One of a position's 3–5 key responsibilities; ``name`` is the responsibility statement."""

    __tablename__ = "position_responsibility"
    __table_args__ = (
        UniqueConstraint("position_id", "rank", name="uq_position_responsibility_position_rank"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    position_id: Mapped[int] = mapped_column(ForeignKey("position.id", ondelete="CASCADE"), index=True)
    rank: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(Text, default="")

    position: Mapped[Position] = relationship(lazy="joined")
    #: the internal or external customers this responsibility serves
    customers: Mapped[list[Customer]] = relationship(secondary=responsibility_customer, lazy="selectin")
    outputs: Mapped[list[KeyOutput]] = relationship(
        order_by="KeyOutput.rank",
        cascade="all, delete-orphan",
        lazy="selectin",
        back_populates="responsibility",
    )


class KeyOutput(Bilingual, Base):
    """One of the 1–2 key outputs of a responsibility, measured by one core indicator."""

    __tablename__ = "key_output"
    __table_args__ = (
        UniqueConstraint("responsibility_id", "rank", name="uq_key_output_responsibility_rank"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    responsibility_id: Mapped[int] = mapped_column(
        ForeignKey("position_responsibility.id", ondelete="CASCADE"), index=True
    )
    rank: Mapped[int] = mapped_column(Integer)

    responsibility: Mapped[PositionResponsibility] = relationship(back_populates="outputs")


class PositionIndicator(Base):
    """An indicator card on a position's scorecard: what every holder inherits (S6.2)."""

    __tablename__ = "position_indicator"
    __table_args__ = (UniqueConstraint("position_id", "card_id", name="uq_position_indicator_position_card"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    position_id: Mapped[int] = mapped_column(ForeignKey("position.id", ondelete="CASCADE"), index=True)
    card_id: Mapped[int] = mapped_column(ForeignKey("indicator_card.id", ondelete="RESTRICT"), index=True)
    role: Mapped[IndicatorRole] = mapped_column(ROLE_ENUM, default=IndicatorRole.core)
    weight: Mapped[Decimal] = mapped_column(Dec())
    output_id: Mapped[int | None] = mapped_column(ForeignKey("key_output.id", ondelete="SET NULL"))
    #: cascading (S6.4): the department indicator it serves
    candidate_id: Mapped[int | None] = mapped_column(ForeignKey("kpi_candidate.id", ondelete="SET NULL"))

    position: Mapped[Position] = relationship(lazy="joined")
    card: Mapped[IndicatorCard] = relationship(lazy="joined")
    output: Mapped[KeyOutput | None] = relationship(lazy="joined")
    candidate: Mapped[KpiCandidate | None] = relationship(lazy="joined")
