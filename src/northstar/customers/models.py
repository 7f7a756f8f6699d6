"""Customers in the broad sense, segments, value propositions and department declarations."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, Enum, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from northstar.db import Base, Bilingual, UTCDateTime, utcnow
from northstar.org.models import Department


class CustomerKind(enum.StrEnum):
    external = "external"
    internal = "internal"


class CustomerCategory(enum.StrEnum):
    """What sort of customer (S1.2): the seed's three external kinds, and internal ones that are
    a department or a role of the organisation."""

    end_user = "end_user"
    channel_partner = "channel_partner"
    key_account = "key_account"
    department = "department"
    role = "role"

    @property
    def kind(self) -> CustomerKind:
        if self in (CustomerCategory.department, CustomerCategory.role):
            return CustomerKind.internal
        return CustomerKind.external


class Market(enum.StrEnum):
    b2b = "b2b"
    b2c = "b2c"


def _enum(cls: type[enum.StrEnum], name: str) -> Enum:
    return Enum(cls, name=name, native_enum=False, length=24, validate_strings=True)


#: the describing dimensions the method names for each market (S2.1); others may be added freely
STANDARD_DIMENSIONS: dict[Market, tuple[str, ...]] = {
    Market.b2b: ("industry", "size", "lifecycle"),
    Market.b2c: ("persona", "spending_power", "scenario"),
}
LIFECYCLE_STAGES = ("startup", "expansion", "mature")


class Segment(Bilingual, Base):
    __tablename__ = "segment"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    market: Mapped[Market] = mapped_column(_enum(Market, "market"))
    is_key: Mapped[bool] = mapped_column(Boolean, default=False)
    description: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=1)

    dimensions: Mapped[list[SegmentDimension]] = relationship(
        order_by="SegmentDimension.position", cascade="all, delete-orphan", lazy="selectin"
    )

    __mapper_args__ = {"version_id_col": version}


class SegmentDimension(Base):
    __tablename__ = "segment_dimension"
    __table_args__ = (UniqueConstraint("segment_id", "dimension"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    segment_id: Mapped[int] = mapped_column(ForeignKey("segment.id", ondelete="CASCADE"), index=True)
    #: a standard key (industry, size, lifecycle, persona, spending_power, scenario) or free text
    dimension: Mapped[str] = mapped_column(String(60))
    value: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer, default=0)


class Customer(Bilingual, Base):
    __tablename__ = "customer"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[CustomerKind] = mapped_column(_enum(CustomerKind, "customer_kind"))
    category: Mapped[CustomerCategory] = mapped_column(_enum(CustomerCategory, "customer_category"))
    segment_id: Mapped[int | None] = mapped_column(ForeignKey("segment.id", ondelete="SET NULL"), index=True)
    #: an internal customer that is a department of the organisation
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("department.id", ondelete="CASCADE"), index=True
    )
    description: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=1)

    segment: Mapped[Segment | None] = relationship(lazy="joined")
    department: Mapped[Department | None] = relationship(lazy="joined")

    __mapper_args__ = {"version_id_col": version}


class ValueProposition(Base):
    """What a key segment cares about most, ranked; where we beat competitors; the value of the
    long-term relationship (S2.2)."""

    __tablename__ = "value_proposition"

    id: Mapped[int] = mapped_column(primary_key=True)
    segment_id: Mapped[int] = mapped_column(ForeignKey("segment.id", ondelete="CASCADE"), unique=True)
    cares_most: Mapped[str] = mapped_column(Text, default="")
    better_than_competitors: Mapped[str] = mapped_column(Text, default="")
    relationship_value: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    segment: Mapped[Segment] = relationship(lazy="joined")
    drivers: Mapped[list[PropositionDriver]] = relationship(
        order_by="PropositionDriver.rank", cascade="all, delete-orphan", lazy="selectin"
    )

    __mapper_args__ = {"version_id_col": version}


class PropositionDriver(Base):
    """One ranked value driver of a proposition; ``driver_code`` names a catalogue driver."""

    __tablename__ = "proposition_driver"
    __table_args__ = (
        # explicit names: the convention would name both after their first column
        UniqueConstraint("proposition_id", "rank", name="uq_proposition_driver_rank"),
        UniqueConstraint("proposition_id", "driver_code", name="uq_proposition_driver_driver_code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    proposition_id: Mapped[int] = mapped_column(
        ForeignKey("value_proposition.id", ondelete="CASCADE"), index=True
    )
    driver_code: Mapped[str] = mapped_column(String(60))
    rank: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text, default="")


class DepartmentCustomer(Base):
    """A department's declaration of a customer it serves (S1.3)."""

    __tablename__ = "department_customer"
    __table_args__ = (UniqueConstraint("department_id", "customer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id", ondelete="CASCADE"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"), index=True)
    note: Mapped[str] = mapped_column(Text, default="")

    department: Mapped[Department] = relationship(lazy="joined")
    customer: Mapped[Customer] = relationship(lazy="joined")


class DepartmentProduct(Bilingual, Base):
    """A perceivable result a department delivers to a customer it serves (S5.1)."""

    __tablename__ = "department_product"

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id", ondelete="CASCADE"), index=True)
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customer.id", ondelete="SET NULL"), index=True
    )
    description: Mapped[str] = mapped_column(Text, default="")

    department: Mapped[Department] = relationship(lazy="joined")
    customer: Mapped[Customer | None] = relationship(lazy="joined")
