"""Personal scorecards and team indicators."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from northstar.db import Base, Bilingual, Dec, UTCDateTime, utcnow
from northstar.indicators.models import IndicatorCard
from northstar.org.models import Department, Employee, Position
from northstar.pools.models import KpiCandidate
from northstar.positions.models import ROLE_ENUM, IndicatorRole, PositionIndicator


class PersonalScorecard(Base):
    """One employee's indicators for a period, inherited from the position and adjusted (S6.2)."""

    __tablename__ = "personal_scorecard"
    __table_args__ = (
        UniqueConstraint("employee_id", "period", name="uq_personal_scorecard_employee_period"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employee.id", ondelete="CASCADE"), index=True)
    period: Mapped[str] = mapped_column(String(20))
    #: the position it was inherited from (None: written by hand)
    position_id: Mapped[int | None] = mapped_column(ForeignKey("position.id", ondelete="SET NULL"))
    #: codes of the position's cards this person does not carry: taken off by hand, so the next
    #: assignment of the position does not bring them back (an assignment with overwrite does)
    declined_cards: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    employee: Mapped[Employee] = relationship(lazy="joined")
    position: Mapped[Position | None] = relationship(lazy="joined")
    items: Mapped[list[ScorecardItem]] = relationship(
        order_by="ScorecardItem.id", cascade="all, delete-orphan", lazy="selectin", back_populates="scorecard"
    )

    __mapper_args__ = {"version_id_col": version}


class ScorecardItem(Base):
    """An indicator on a personal scorecard with its weight and its links up the cascade."""

    __tablename__ = "scorecard_item"
    __table_args__ = (UniqueConstraint("scorecard_id", "card_id", name="uq_scorecard_item_scorecard_card"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scorecard_id: Mapped[int] = mapped_column(
        ForeignKey("personal_scorecard.id", ondelete="CASCADE"), index=True
    )
    card_id: Mapped[int] = mapped_column(ForeignKey("indicator_card.id", ondelete="RESTRICT"), index=True)
    role: Mapped[IndicatorRole] = mapped_column(ROLE_ENUM, default=IndicatorRole.core)
    weight: Mapped[Decimal] = mapped_column(Dec())
    #: inherited from this position indicator; ``adjusted`` once the person's copy differs
    position_indicator_id: Mapped[int | None] = mapped_column(
        ForeignKey("position_indicator.id", ondelete="SET NULL")
    )
    adjusted: Mapped[bool] = mapped_column(Boolean, default=False)
    #: cascading (S6.4): the department indicator it serves, or another person's item (a manager's)
    candidate_id: Mapped[int | None] = mapped_column(ForeignKey("kpi_candidate.id", ondelete="SET NULL"))
    parent_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("scorecard_item.id", ondelete="SET NULL"), index=True
    )
    #: a team indicator this item carries the person's part of (S6.5)
    team_indicator_id: Mapped[int | None] = mapped_column(
        ForeignKey("team_indicator.id", ondelete="SET NULL")
    )
    note: Mapped[str] = mapped_column(Text, default="")

    scorecard: Mapped[PersonalScorecard] = relationship(back_populates="items")
    card: Mapped[IndicatorCard] = relationship(lazy="joined")
    position_indicator: Mapped[PositionIndicator | None] = relationship(lazy="select")
    candidate: Mapped[KpiCandidate | None] = relationship(lazy="joined")
    parent_item: Mapped[ScorecardItem | None] = relationship(remote_side=[id], lazy="select")
    team_indicator: Mapped[TeamIndicator | None] = relationship(lazy="select")


class TeamIndicator(Bilingual, Base):
    """A result the team owns together (an R&D team's release satisfaction), so that customer
    satisfaction is never pushed onto one engineer (S6.5)."""

    __tablename__ = "team_indicator"
    __table_args__ = (
        UniqueConstraint(
            "department_id", "card_id", "period", name="uq_team_indicator_department_card_period"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id", ondelete="CASCADE"), index=True)
    card_id: Mapped[int] = mapped_column(ForeignKey("indicator_card.id", ondelete="RESTRICT"))
    period: Mapped[str] = mapped_column(String(20))
    #: cascading: the department indicator the team result serves
    candidate_id: Mapped[int | None] = mapped_column(ForeignKey("kpi_candidate.id", ondelete="SET NULL"))
    version: Mapped[int] = mapped_column(Integer, default=1)

    department: Mapped[Department] = relationship(lazy="joined")
    card: Mapped[IndicatorCard] = relationship(lazy="joined")
    candidate: Mapped[KpiCandidate | None] = relationship(lazy="joined")
    members: Mapped[list[TeamMember]] = relationship(
        order_by="TeamMember.id",
        cascade="all, delete-orphan",
        lazy="selectin",
        back_populates="team_indicator",
    )

    __mapper_args__ = {"version_id_col": version}


class TeamMember(Base):
    """A member's planned share of the team result and how their contribution is evaluated."""

    __tablename__ = "team_member"
    __table_args__ = (
        UniqueConstraint("team_indicator_id", "employee_id", name="uq_team_member_team_employee"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_indicator_id: Mapped[int] = mapped_column(
        ForeignKey("team_indicator.id", ondelete="CASCADE"), index=True
    )
    employee_id: Mapped[int] = mapped_column(ForeignKey("employee.id", ondelete="CASCADE"), index=True)
    #: share of the team result credited to this member, percent; shares sum to 100
    share: Mapped[Decimal] = mapped_column(Dec())
    contribution: Mapped[str] = mapped_column(Text, default="")

    team_indicator: Mapped[TeamIndicator] = relationship(back_populates="members")
    employee: Mapped[Employee] = relationship(lazy="joined")
