"""The append-only audit trail and the one helper every service uses to write it.

Append-only is enforced twice: services have no update/delete path, and the database itself
refuses UPDATE and DELETE on the table (triggers created by the migration, on SQLite and
PostgreSQL alike).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Text, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from northstar.db import Base, UTCDateTime, utcnow


class AuditLog(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    actor_name: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(16))
    entity: Mapped[str] = mapped_column(String(60), index=True)
    entity_id: Mapped[str] = mapped_column(String(60), index=True)
    field: Mapped[str | None] = mapped_column(String(80))
    old: Mapped[str | None] = mapped_column(Text)
    new: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    batch: Mapped[int | None] = mapped_column(Integer)


@dataclass(frozen=True)
class Actor:
    """Who is changing something: a user, a token's account, or the system (CLI, demo)."""

    id: int | None
    name: str


SYSTEM = Actor(id=None, name="system")


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def record(
    db: Session,
    actor: Actor,
    *,
    action: str,
    entity: str,
    entity_id: Any,
    changes: Mapping[str, tuple[Any, Any]] | None = None,
    reason: str | None = None,
) -> None:
    """Write one audit row per changed field (one row without a field when nothing is listed)."""
    diffs = [(f, _text(o), _text(n)) for f, (o, n) in (changes or {}).items() if _text(o) != _text(n)]
    if not diffs and action == "update":
        return
    rows: Iterable[tuple[str | None, str | None, str | None]] = diffs or [(None, None, None)]
    for fld, old, new in rows:
        db.add(
            AuditLog(
                actor_id=actor.id,
                actor_name=actor.name,
                action=action,
                entity=entity,
                entity_id=str(entity_id),
                field=fld,
                old=old,
                new=new,
                reason=reason or None,
            )
        )
    db.flush()


def diff(obj: Any, values: Mapping[str, Any]) -> dict[str, tuple[Any, Any]]:
    """The (old, new) pairs of ``values`` against ``obj``'s attributes, without applying them."""
    return {k: (getattr(obj, k), v) for k, v in values.items() if _text(getattr(obj, k)) != _text(v)}


def apply(obj: Any, values: Mapping[str, Any]) -> dict[str, tuple[Any, Any]]:
    """Set ``values`` on ``obj`` and return the (old, new) pairs of what actually changed."""
    changes = diff(obj, values)
    for key, value in values.items():
        setattr(obj, key, value)
    return changes


def search(
    db: Session,
    *,
    entity: str | None = None,
    actor_id: int | None = None,
    entity_id: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> tuple[list[AuditLog], int]:
    """Audit rows newest first, filtered by entity, record and actor; with the total count."""
    q = select(AuditLog)
    if entity:
        q = q.where(AuditLog.entity == entity)
    if entity_id:
        q = q.where(AuditLog.entity_id == entity_id)
    if actor_id is not None:
        q = q.where(AuditLog.actor_id == actor_id)
    total = db.scalar(select(func.count()).select_from(q.subquery())) or 0
    rows = db.scalars(q.order_by(AuditLog.id.desc()).offset(offset).limit(limit)).all()
    return list(rows), total


def entities(db: Session) -> list[str]:
    return list(db.scalars(select(AuditLog.entity).distinct().order_by(AuditLog.entity)))
