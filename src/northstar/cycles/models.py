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
    #: when HR published the calibrated results: employees then confirm them or appeal
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
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
    #: by primary key, so a session that has read a card once takes it from its identity map:
    #: reading a participant does not re-read every card's text and rule each time
    card: Mapped[IndicatorCard] = relationship(lazy="select")

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


# --- actuals, reviews, calibration, appeals (S9.4, S6.5) --------------------------------------


class ActualOrigin(enum.StrEnum):
    """Where a cycle actual came from: the metrics engine, or a person's hand with evidence."""

    computed = "computed"
    manual = "manual"


class Approval(enum.StrEnum):
    """The reviewer's check of a hand-entered actual; a computed one needs none."""

    none = "none"
    pending = "pending"
    approved = "approved"
    rejected = "rejected"


class CycleActual(Base):
    """The actual of one assignment for the cycle's period.

    A computed actual copies the value and the lineage of the metrics engine's figure, so that a
    later recomputation does not rewrite a cycle under review. A hand-entered one names who
    entered it, its evidence and the reviewer who must approve it; until approved it does not
    count, and it is marked as entered by hand everywhere it appears."""

    __tablename__ = "cycle_actual"
    __table_args__ = (UniqueConstraint("assignment_id", name="uq_cycle_actual_assignment"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycle.id", ondelete="CASCADE"), index=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("cycle_assignment.id", ondelete="CASCADE"))
    #: the actual as the scoring engine reads it: a number, yes/no, or a count of events, as text
    value: Mapped[str | None] = mapped_column(Text)
    origin: Mapped[ActualOrigin] = mapped_column(
        Enum(ActualOrigin, name="actual_origin", native_enum=False, length=10, validate_strings=True)
    )
    #: the metrics engine's figure it was taken from (computed only)
    metric_actual_id: Mapped[int | None] = mapped_column(
        ForeignKey("metric_actual.id", ondelete="SET NULL"), index=True
    )
    #: metric, spec hash and snapshots of the computed figure, kept with the cycle
    lineage: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    note: Mapped[str] = mapped_column(Text, default="")
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    entered_by: Mapped[str] = mapped_column(String(120), default="")
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    reviewer: Mapped[str] = mapped_column(String(120), default="")
    approval: Mapped[Approval] = mapped_column(
        Enum(Approval, name="actual_approval", native_enum=False, length=10, validate_strings=True),
        default=Approval.none,
    )
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approval_note: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=1)

    assignment: Mapped[CycleAssignment] = relationship(lazy="joined")
    evidence: Mapped[list[CycleEvidence]] = relationship(
        order_by="CycleEvidence.id", lazy="selectin", back_populates="actual"
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def counts(self) -> bool:
        """Whether the value enters the score: computed, or entered by hand and approved."""
        return self.approval in (Approval.none, Approval.approved)


class CycleEvidence(Base):
    """A file attached to a hand-entered actual; the bytes live under the data directory."""

    __tablename__ = "cycle_evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycle.id", ondelete="CASCADE"), index=True)
    actual_id: Mapped[int] = mapped_column(ForeignKey("cycle_actual.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by: Mapped[str] = mapped_column(String(120))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    actual: Mapped[CycleActual] = relationship(back_populates="evidence")


class ReviewStep(enum.StrEnum):
    """How far one participant's evaluation has gone, in order."""

    open = "open"
    self_submitted = "self_submitted"
    manager_submitted = "manager_submitted"
    confirmed = "confirmed"


class CycleReview(Base):
    """One participant's evaluation: self-review, manager review, score and grade, calibrated
    grade, confirmation. ``score``/``grade`` are the scoring engine's, stored when the manager
    submits and refreshed until calibration; ``final_grade`` is the grade after calibration."""

    __tablename__ = "cycle_review"
    __table_args__ = (UniqueConstraint("participant_id", name="uq_cycle_review_participant"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycle.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("cycle_participant.id", ondelete="CASCADE"))
    step: Mapped[ReviewStep] = mapped_column(
        Enum(ReviewStep, name="review_step", native_enum=False, length=20, validate_strings=True),
        default=ReviewStep.open,
    )
    self_comment: Mapped[str] = mapped_column(Text, default="")
    #: card code → rubric level the employee gives themself (shown to the manager, never scored)
    self_ratings: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    self_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: HR's reason when the participant writes no self-review (long leave, no account)
    self_waived: Mapped[str] = mapped_column(Text, default="")
    rater_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    rater: Mapped[str] = mapped_column(String(120), default="")
    manager_comment: Mapped[str] = mapped_column(Text, default="")
    #: card code → rubric level the manager gives: the actual of a rubric indicator
    manager_ratings: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    #: team indicator id (as text) → the manager's evaluation of this member's contribution (S6.5)
    contributions: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    manager_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    score: Mapped[Decimal | None] = mapped_column(Dec())
    #: scored | incomplete
    score_status: Mapped[str] = mapped_column(String(12), default="")
    grade: Mapped[str | None] = mapped_column(String(10))
    final_grade: Mapped[str | None] = mapped_column(String(10))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirm_comment: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=1)

    #: the caller holds the participant already (review_for); loading it here would load their plan again
    participant: Mapped[CycleParticipant] = relationship(lazy="select")

    __mapper_args__ = {"version_id_col": version}


class CalibrationChange(Base):
    """A grade changed in calibration, or by an upheld appeal: old → new and why."""

    __tablename__ = "cycle_calibration"

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycle.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("cycle_participant.id", ondelete="CASCADE"), index=True
    )
    old_grade: Mapped[str | None] = mapped_column(String(10))
    new_grade: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(Text)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    actor_name: Mapped[str] = mapped_column(String(120))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    appeal_id: Mapped[int | None] = mapped_column(ForeignKey("cycle_appeal.id", ondelete="SET NULL"))

    participant: Mapped[CycleParticipant] = relationship(lazy="joined")


class AppealRoute(enum.StrEnum):
    """Who decides an appeal: HR, or the manager above the one who rated — never the rater."""

    hr = "hr"
    skip_level = "skip_level"


class AppealState(enum.StrEnum):
    open = "open"
    upheld = "upheld"
    dismissed = "dismissed"


class CycleAppeal(Base):
    """An employee's appeal against their published result, and its decision."""

    __tablename__ = "cycle_appeal"

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycle.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("cycle_participant.id", ondelete="CASCADE"), index=True
    )
    reason: Mapped[str] = mapped_column(Text)
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    route: Mapped[AppealRoute] = mapped_column(
        Enum(AppealRoute, name="appeal_route", native_enum=False, length=12, validate_strings=True)
    )
    #: the skip-level manager's account (route skip_level); HR's queue otherwise
    handler_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    handler: Mapped[str] = mapped_column(String(120), default="")
    state: Mapped[AppealState] = mapped_column(
        Enum(AppealState, name="appeal_state", native_enum=False, length=10, validate_strings=True),
        default=AppealState.open,
    )
    decision: Mapped[str] = mapped_column(Text, default="")
    new_grade: Mapped[str | None] = mapped_column(String(10))
    decided_by: Mapped[str] = mapped_column(String(120), default="")
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)

    participant: Mapped[CycleParticipant] = relationship(lazy="joined")

    __mapper_args__ = {"version_id_col": version}


class CycleReminder(Base):
    """An in-app reminder of a step due from a user, sent by HR from the progress page.

    Not part of the cycle's record (reading one is not a change to the cycle), so it is not
    guarded by the closed-cycle triggers."""

    __tablename__ = "cycle_reminder"

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycle.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    #: the step due: plan, self_review, manager_review, check_actual, confirm, appeal
    step: Mapped[str] = mapped_column(String(20))
    #: how many people the step is due for (a manager's reviews), 1 for one's own step
    count: Mapped[int] = mapped_column(Integer, default=1)
    sent_by: Mapped[str] = mapped_column(String(120))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    cycle: Mapped[Cycle] = relationship(lazy="joined")
