"""Performance cycles and their plan (S9.1, S9.3).

A cycle enrols people when planning opens and copies each one's scorecard items into cycle
assignments: from then on the cycle's plan lives here, not on the personal scorecard, so that a
scorecard edited for the next cycle does not rewrite this one. Moving to running freezes a
snapshot of every card the plan uses. Every plan change is a ``CycleChange`` with one
``CycleChangeLine`` per assignment it touched; the lines of a change made while the cycle runs
are the flags shown on those people's cycle scorecards.

On PostgreSQL migration 0005 adds triggers that refuse any write to the rows of a closed cycle.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Enum, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from northstar.db import Base, Bilingual, Dec, UTCDateTime, utcnow
from northstar.indicators.models import IndicatorCard
from northstar.org.models import Department, Employee, Position
from northstar.positions.models import ROLE_ENUM, IndicatorRole
from northstar.scoring.rules import MissingPolicy, Polarity


class CycleKind(enum.StrEnum):
    year = "year"
    quarter = "quarter"
    month = "month"


class CycleState(enum.StrEnum):
    """The states in the order a cycle goes through them; see ``cycles.guards`` for who may do what."""

    draft = "draft"
    planning = "planning"
    running = "running"
    review = "review"
    calibration = "calibration"
    closed = "closed"


class ChangeKind(enum.StrEnum):
    """What a plan change changed: assignments' weights or targets, or a frozen card."""

    weight = "weight"
    targets = "targets"
    card = "card"


class Cycle(Bilingual, Base):
    """One performance cycle: a year, quarter or month, for the company or a pilot business line."""

    __tablename__ = "cycle"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[CycleKind] = mapped_column(
        Enum(CycleKind, name="cycle_kind", native_enum=False, length=10, validate_strings=True)
    )
    start: Mapped[date] = mapped_column(Date)
    #: the last day of the cycle (inclusive)
    end: Mapped[date] = mapped_column(Date)
    #: the pilot business line (its whole subtree); None: the whole company
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("department.id", ondelete="RESTRICT"), index=True
    )
    #: the personal scorecards enrolled are those of this period (e.g. "2026" for a 2026 quarter)
    scorecard_period: Mapped[str] = mapped_column(String(20))
    state: Mapped[CycleState] = mapped_column(
        Enum(CycleState, name="cycle_state", native_enum=False, length=12, validate_strings=True),
        default=CycleState.draft,
    )
    #: a ``scoring.rules.GradeTable`` as JSON
    grades: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: grade code → percentage as text ({"S": "20", "A": "70", "B": "10"}); None: no forced distribution
    forced_distribution: Mapped[dict[str, str] | None] = mapped_column(JSON)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(120), default="")

    department: Mapped[Department | None] = relationship(lazy="joined")

    __mapper_args__ = {"version_id_col": version}


class CycleParticipant(Base):
    """A person enrolled in a cycle, with where they stood when planning opened."""

    __tablename__ = "cycle_participant"
    __table_args__ = (
        UniqueConstraint("cycle_id", "employee_id", name="uq_cycle_participant_cycle_employee"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycle.id", ondelete="CASCADE"), index=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employee.id", ondelete="RESTRICT"), index=True)
    #: department and position at enrolment: bulk plans select by these, not by later moves
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id", ondelete="RESTRICT"), index=True)
    position_id: Mapped[int | None] = mapped_column(
        ForeignKey("position.id", ondelete="SET NULL"), index=True
    )
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    employee: Mapped[Employee] = relationship(lazy="joined")
    department: Mapped[Department] = relationship(lazy="joined")
    position: Mapped[Position | None] = relationship(lazy="joined")
    assignments: Mapped[list[CycleAssignment]] = relationship(
        order_by="CycleAssignment.id", lazy="selectin", back_populates="participant"
    )


class CycleAssignment(Base):
    """One indicator on a participant's cycle scorecard: its weight and its targets for the cycle.

    ``targets`` overrides numbers of the card's rule for this person in this cycle (the anchors
    of a linear rule, the band bounds, the range), as text so that no float creeps in; the
    ``*_override`` flags mark values set for this person, which a later bulk set keeps."""

    __tablename__ = "cycle_assignment"
    __table_args__ = (
        UniqueConstraint("participant_id", "card_id", name="uq_cycle_assignment_participant_card"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: repeated from the participant so that the database guard of a closed cycle needs no join
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycle.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("cycle_participant.id", ondelete="CASCADE"), index=True
    )
    card_id: Mapped[int] = mapped_column(ForeignKey("indicator_card.id", ondelete="RESTRICT"), index=True)
    role: Mapped[IndicatorRole] = mapped_column(ROLE_ENUM, default=IndicatorRole.core)
    weight: Mapped[Decimal] = mapped_column(Dec())
    targets: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    weight_override: Mapped[bool] = mapped_column(Boolean, default=False)
    targets_override: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    participant: Mapped[CycleParticipant] = relationship(back_populates="assignments")
    card: Mapped[IndicatorCard] = relationship(lazy="joined")

    __mapper_args__ = {"version_id_col": version}


class CycleCard(Bilingual, Base):
    """A card as the cycle uses it, frozen when the cycle starts running (S9.3): later edits of the
    card do not reach the cycle unless HR takes the new version in, which is a recorded change."""

    __tablename__ = "cycle_card"
    __table_args__ = (UniqueConstraint("cycle_id", "card_id", name="uq_cycle_card_cycle_card"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycle.id", ondelete="CASCADE"), index=True)
    card_id: Mapped[int] = mapped_column(ForeignKey("indicator_card.id", ondelete="RESTRICT"), index=True)
    code: Mapped[str] = mapped_column(String(60))
    card_version: Mapped[int] = mapped_column(Integer)
    rule: Mapped[dict[str, Any]] = mapped_column(JSON)
    polarity: Mapped[Polarity | None] = mapped_column(
        Enum(Polarity, name="polarity", native_enum=False, length=16, validate_strings=True)
    )
    unit: Mapped[str] = mapped_column(String(20), default="")
    missing_policy: Mapped[MissingPolicy] = mapped_column(
        Enum(MissingPolicy, name="missing_policy", native_enum=False, length=16, validate_strings=True)
    )
    formula: Mapped[str] = mapped_column(Text, default="")
    frozen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CycleChange(Base):
    """One change to a cycle's plan (S9.3): who, when, what and why. ``mid_cycle`` when it was
    made while the cycle was running or later, which flags it on every scorecard it touched."""

    __tablename__ = "cycle_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycle.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    actor_name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[ChangeKind] = mapped_column(
        Enum(ChangeKind, name="cycle_change_kind", native_enum=False, length=10, validate_strings=True)
    )
    card_id: Mapped[int] = mapped_column(ForeignKey("indicator_card.id", ondelete="RESTRICT"))
    #: who the change was addressed to: "employee E004", "position OPS-AG", "department OPS", "card"
    selector: Mapped[str] = mapped_column(String(120))
    reason: Mapped[str] = mapped_column(Text)
    mid_cycle: Mapped[bool] = mapped_column(Boolean, default=False)

    card: Mapped[IndicatorCard] = relationship(lazy="joined")
    lines: Mapped[list[CycleChangeLine]] = relationship(
        order_by="CycleChangeLine.id", lazy="selectin", back_populates="change"
    )


class CycleChangeLine(Base):
    """What one change did to one participant's assignment: old → new."""

    __tablename__ = "cycle_change_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycle.id", ondelete="CASCADE"), index=True)
    change_id: Mapped[int] = mapped_column(ForeignKey("cycle_change.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("cycle_participant.id", ondelete="CASCADE"), index=True
    )
    assignment_id: Mapped[int] = mapped_column(
        ForeignKey("cycle_assignment.id", ondelete="CASCADE"), index=True
    )
    old: Mapped[str | None] = mapped_column(Text)
    new: Mapped[str | None] = mapped_column(Text)

    change: Mapped[CycleChange] = relationship(back_populates="lines", lazy="joined")
    participant: Mapped[CycleParticipant] = relationship(lazy="joined")
