"""Department tree, positions and employees."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, Enum, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from northstar.db import Base, UTCDateTime, utcnow


class DepartmentKind(enum.StrEnum):
    """The kinds of department the method treats differently (P3)."""

    frontline = "frontline"  # front-line / business
    customer_service = "customer_service"
    rnd = "rnd"  # R&D / product
    production = "production"  # production / quality
    supply_chain = "supply_chain"
    support = "support"  # support function: HR, finance, IT
    sales_marketing = "sales_marketing"


KIND_ENUM = Enum(DepartmentKind, name="department_kind", native_enum=False, length=24, validate_strings=True)


class Department(Base):
    __tablename__ = "department"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120), default="")
    kind: Mapped[DepartmentKind] = mapped_column(KIND_ENUM)
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("department.id", ondelete="RESTRICT"), index=True
    )
    head_id: Mapped[int | None] = mapped_column(
        ForeignKey("employee.id", ondelete="SET NULL", use_alter=True, name="fk_department_head_id_employee")
    )
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    parent: Mapped[Department | None] = relationship(remote_side=[id], lazy="joined", join_depth=1)
    head = relationship("Employee", foreign_keys=[head_id], lazy="joined", post_update=True)

    __mapper_args__ = {"version_id_col": version}

    def label(self, locale: str) -> str:
        return self.name_en if locale == "en" and self.name_en else self.name


class Position(Base):
    __tablename__ = "position"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120), default="")
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id", ondelete="RESTRICT"), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)

    department: Mapped[Department] = relationship(lazy="joined")

    __mapper_args__ = {"version_id_col": version}

    def label(self, locale: str) -> str:
        return self.name_en if locale == "en" and self.name_en else self.name


class Employee(Base):
    __tablename__ = "employee"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(200), default="")
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id", ondelete="RESTRICT"), index=True)
    position_id: Mapped[int | None] = mapped_column(
        ForeignKey("position.id", ondelete="SET NULL"), index=True
    )
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("employee.id", ondelete="SET NULL"), index=True)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer, default=1)

    department: Mapped[Department] = relationship(foreign_keys=[department_id], lazy="joined")
    position: Mapped[Position | None] = relationship(lazy="joined")
    manager: Mapped[Employee | None] = relationship(remote_side=[id], lazy="joined", join_depth=1)

    __mapper_args__ = {"version_id_col": version}

    def is_active_on(self, day: date) -> bool:
        return self.start_date <= day and (self.end_date is None or self.end_date >= day)
