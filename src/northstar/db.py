"""Engine, session factory and the unit of work.

The edge (a request or a CLI command) owns the transaction: it opens one unit of work,
commits on success and rolls back on error. Services only ``flush()``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import DateTime, Engine, MetaData, Numeric, String, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Bilingual:
    """Mixin for records named in Chinese and English; ``label`` picks the user's language."""

    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")

    def label(self, locale: str) -> str:
        return self.name_en if locale == "en" and self.name_en else self.name


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps stored in UTC and always returned timezone-aware (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


FOUR_PLACES = Decimal("0.0001")


class Dec(TypeDecorator[Decimal]):
    """Weights, targets and scores as exact decimals: NUMERIC on PostgreSQL; text on SQLite,
    whose NUMERIC is a float and would turn 33.33 into 33.329999…"""

    impl = Numeric(14, 4)
    cache_ok = True

    def load_dialect_impl(self, dialect: Any) -> Any:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(40))
        return dialect.type_descriptor(Numeric(14, 4))

    def process_bind_param(self, value: Decimal | int | str | None, dialect: Any) -> Any:
        if value is None:
            return None
        # four decimals on both databases, rounded as PostgreSQL's NUMERIC(14, 4) rounds (half away
        # from zero), so that a value reads back the same whichever database stored it
        value = plain(Decimal(value).quantize(FOUR_PLACES, rounding=ROUND_HALF_UP))
        return format(value, "f") if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Any) -> Decimal | None:
        if value is None:
            return None
        return plain(Decimal(str(value)))


def plain(value: Decimal) -> Decimal:
    """``value`` without trailing zeros and never in exponent form (100.0000 → 100, 0.50 → 0.5)."""
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


def check_version(obj: Any, version: int, label: str) -> None:
    """Refuse a save based on an old read: someone else changed ``obj`` in between."""
    from northstar.errors import N_, Conflict

    if obj.version != version:
        raise Conflict(
            N_(
                "{label} was changed by someone else while you were editing. Reload the page to see "
                "their change, then apply yours again."
            ),
            label=label,
        )


def touch(obj: Any, attribute: str) -> None:
    """Mark ``obj`` changed when only its child rows changed, so that its UPDATE runs and its
    version moves on (a collection change alone issues no UPDATE of the parent)."""
    flag_modified(obj, attribute)


def utcnow() -> datetime:
    return datetime.now(UTC)


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets foreign keys on and a busy timeout."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)


@contextmanager
def unit_of_work(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction: commit if the block succeeds, roll back if it raises."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
