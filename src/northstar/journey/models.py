"""Journey stages and touchpoints, end-to-end processes, and who answers for each touchpoint."""

from __future__ import annotations

import enum
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    Column,
    Enum,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from northstar.customers.models import Segment
from northstar.db import Base, Bilingual
from northstar.org.models import Department

#: the seed's default journey (S3.1): code, Chinese, English
DEFAULT_STAGES: tuple[tuple[str, str, str], ...] = (
    ("awareness", "认知", "Awareness"),
    ("purchase_decision", "购买决策", "Purchase decision"),
    ("order", "下单", "Order"),
    ("delivery", "生产/交付", "Production/delivery"),
    ("use", "使用", "Use"),
    ("service_renewal", "服务/续约", "Service/renewal"),
    ("referral_churn", "推荐/流失", "Referral/churn"),
)


class JourneyStage(Bilingual, Base):
    """A stage of the company journey (``segment_id`` empty) or of one segment's own journey."""

    __tablename__ = "journey_stage"
    __table_args__ = (UniqueConstraint("segment_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    segment_id: Mapped[int | None] = mapped_column(ForeignKey("segment.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    position: Mapped[int] = mapped_column(Integer, default=0)

    segment: Mapped[Segment | None] = relationship(lazy="joined")
    touchpoints: Mapped[list[Touchpoint]] = relationship(
        order_by="Touchpoint.position", cascade="all, delete-orphan", lazy="selectin", back_populates="stage"
    )


class Touchpoint(Bilingual, Base):
    """A key experience point of a stage (S3.2); moments of truth are the ones customers feel most."""

    __tablename__ = "touchpoint"

    id: Mapped[int] = mapped_column(primary_key=True)
    stage_id: Mapped[int] = mapped_column(ForeignKey("journey_stage.id", ondelete="CASCADE"), index=True)
    moment_of_truth: Mapped[bool] = mapped_column(Boolean, default=False)
    #: the catalogue value driver the customer judges here (used to propose shared indicators)
    driver_code: Mapped[str | None] = mapped_column(String(60))
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)

    stage: Mapped[JourneyStage] = relationship(lazy="joined", back_populates="touchpoints")


process_step_touchpoint = Table(
    "process_step_touchpoint",
    Base.metadata,
    Column("step_id", ForeignKey("process_step.id", ondelete="CASCADE"), primary_key=True),
    Column("touchpoint_id", ForeignKey("touchpoint.id", ondelete="CASCADE"), primary_key=True),
)


class Process(Bilingual, Base):
    """An end-to-end process (S3.3) with an end-to-end owner department (P1)."""

    __tablename__ = "process"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    owner_department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id", ondelete="SET NULL"))
    version: Mapped[int] = mapped_column(Integer, default=1)

    owner_department: Mapped[Department | None] = relationship(lazy="joined")
    steps: Mapped[list[ProcessStep]] = relationship(
        order_by="ProcessStep.position", cascade="all, delete-orphan", lazy="selectin"
    )

    __mapper_args__ = {"version_id_col": version}


class ProcessStep(Bilingual, Base):
    __tablename__ = "process_step"
    __table_args__ = (UniqueConstraint("process_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[int] = mapped_column(ForeignKey("process.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id", ondelete="RESTRICT"), index=True)
    stage_id: Mapped[int | None] = mapped_column(ForeignKey("journey_stage.id", ondelete="SET NULL"))

    department: Mapped[Department] = relationship(lazy="joined")
    stage: Mapped[JourneyStage | None] = relationship(lazy="joined")
    touchpoints: Mapped[list[Touchpoint]] = relationship(secondary=process_step_touchpoint, lazy="selectin")


class ResponsibilityRole(enum.StrEnum):
    responsible = "responsible"
    contributes = "contributes"


class Responsibility(Base):
    """One cell of the journey × department map (S3.4)."""

    __tablename__ = "responsibility"
    __table_args__ = (UniqueConstraint("touchpoint_id", "department_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    touchpoint_id: Mapped[int] = mapped_column(ForeignKey("touchpoint.id", ondelete="CASCADE"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id", ondelete="CASCADE"), index=True)
    role: Mapped[ResponsibilityRole] = mapped_column(
        Enum(
            ResponsibilityRole,
            name="responsibility_role",
            native_enum=False,
            length=16,
            validate_strings=True,
        )
    )

    department: Mapped[Department] = relationship(lazy="joined")
    touchpoint: Mapped[Touchpoint] = relationship(lazy="joined")


class SharedIndicator(Bilingual, Base):
    """A cross-department KPI (交叉KPI) at a touchpoint several departments share."""

    __tablename__ = "shared_indicator"

    id: Mapped[int] = mapped_column(primary_key=True)
    touchpoint_id: Mapped[int] = mapped_column(ForeignKey("touchpoint.id", ondelete="CASCADE"), index=True)
    #: the catalogue indicator it measures, when it came from one
    indicator_code: Mapped[str | None] = mapped_column(String(60))
    version: Mapped[int] = mapped_column(Integer, default=1)

    touchpoint: Mapped[Touchpoint] = relationship(lazy="joined")
    shares: Mapped[list[SharedIndicatorShare]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="SharedIndicatorShare.id"
    )

    __mapper_args__ = {"version_id_col": version}


class SharedIndicatorShare(Base):
    __tablename__ = "shared_indicator_share"
    __table_args__ = (UniqueConstraint("shared_indicator_id", "department_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shared_indicator_id: Mapped[int] = mapped_column(
        ForeignKey("shared_indicator.id", ondelete="CASCADE"), index=True
    )
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id", ondelete="CASCADE"))
    #: percent of the responsibility, the shares of one indicator summing to 100
    share: Mapped[Decimal] = mapped_column(Numeric(5, 2))

    department: Mapped[Department] = relationship(lazy="joined")
