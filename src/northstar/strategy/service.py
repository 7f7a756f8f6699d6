"""Strategy records: leadership's answers to the three questions of step 1 (S1.1)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from northstar import audit, catalogue
from northstar.customers.models import Customer, Segment
from northstar.customers.service import get_customer_by_code, get_segment_by_code, require_designer
from northstar.db import check_version, touch
from northstar.errors import N_, Conflict, NotFound, Problem, ValidationFailed
from northstar.pools.service import indicators_pointing_at
from northstar.security.principal import Principal
from northstar.strategy.models import StrategyPriority, StrategyRecord

HORIZONS = range(3, 6)


@dataclass(frozen=True)
class PriorityIn:
    rank: int
    driver_code: str
    segment_code: str | None = None
    customer_code: str | None = None
    statement: str = ""


@dataclass
class PriorityView:
    priority: StrategyPriority
    driver: catalogue.ValueDriver | None
    #: how many indicators of the design point at this value: computed on every read
    indicator_count: int


def get_all_records(db: Session) -> list[StrategyRecord]:
    """Every strategy record, the latest period first."""
    return list(db.scalars(select(StrategyRecord).order_by(StrategyRecord.period.desc())))


def get_record(db: Session, *, record_id: int) -> StrategyRecord:
    rec = db.get(StrategyRecord, record_id)
    if rec is None:
        raise NotFound(N_("No strategy record with id {id}."), id=record_id)
    return rec


def get_record_by_period(db: Session, period: str) -> StrategyRecord:
    """The strategy record of ``period``; NotFound names the period."""
    rec = db.scalar(select(StrategyRecord).where(StrategyRecord.period == period))
    if rec is None:
        raise NotFound(N_("No strategy record for the period {period}."), period=period)
    return rec


def _check_horizon(years: int) -> None:
    if years not in HORIZONS:
        raise ValidationFailed(
            N_("The horizon is {years} years: the method looks 3 to 5 years ahead, choose 3, 4 or 5."),
            problems=[Problem(N_("Choose 3, 4 or 5."), field="horizon_years")],
            years=years,
        )


def create_record(
    db: Session,
    principal: Principal,
    *,
    period: str,
    title: str = "",
    customer_focus: str = "",
    aspiration: str = "",
    horizon_years: int = 3,
) -> StrategyRecord:
    """A strategy record for a planning period (one per period)."""
    require_designer(principal)
    period = period.strip()
    if not period:
        raise ValidationFailed(
            N_("The planning period is empty: write it as a year (2026) or a range (2026-2028)."),
            problems=[Problem(N_("Fill in the period."), field="period")],
        )
    _check_horizon(horizon_years)
    if db.scalar(select(StrategyRecord.id).where(StrategyRecord.period == period)):
        raise Conflict(
            N_("There is already a strategy record for {period}: open it and edit it instead."), period=period
        )
    rec = StrategyRecord(
        period=period,
        title=title,
        customer_focus=customer_focus,
        aspiration=aspiration,
        horizon_years=horizon_years,
    )
    db.add(rec)
    db.flush()
    audit.record(
        db,
        principal.actor,
        action="create",
        entity="strategy_record",
        entity_id=period,
        changes={
            "title": (None, title),
            "customer_focus": (None, customer_focus),
            "aspiration": (None, aspiration),
            "horizon_years": (None, horizon_years),
        },
    )
    return rec


def update_record(
    db: Session,
    principal: Principal,
    rec: StrategyRecord,
    *,
    version: int,
    reason: str | None = None,
    **fields: Any,
) -> StrategyRecord:
    """Change the answers of a strategy record; the reason goes to the audit trail."""
    require_designer(principal)
    check_version(rec, version, rec.period)
    if fields.get("horizon_years") is not None:
        _check_horizon(fields["horizon_years"])
    changes = audit.apply(rec, {k: v for k, v in fields.items() if v is not None})
    db.flush()
    audit.record(
        db,
        principal.actor,
        action="update",
        entity="strategy_record",
        entity_id=rec.period,
        changes=changes,
        reason=reason,
    )
    return rec


def check_priorities(
    db: Session,
    priorities: Sequence[PriorityIn],
    *,
    sheet: str | None = None,
    rows: Sequence[int] | None = None,
) -> tuple[list[Problem], list[tuple[PriorityIn, Segment | None, Customer | None]]]:
    """Problems with a ranked list of declared customer values, and the resolved links."""
    problems: list[Problem] = []
    resolved: list[tuple[PriorityIn, Segment | None, Customer | None]] = []
    first_rank: dict[int, int] = {}
    for idx, p in enumerate(priorities):
        row = rows[idx] if rows else None
        field_prefix = "" if rows else f"priorities[{idx}]."
        if catalogue.value_driver(p.driver_code) is None:
            problems.append(
                Problem(
                    N_('Unknown value driver "{driver}": choose one from the value-driver catalogue.'),
                    {"driver": p.driver_code},
                    row=row,
                    field=field_prefix + "driver",
                    sheet=sheet,
                )
            )
        if p.rank in first_rank:
            problems.append(
                Problem(
                    N_("Rank {rank} is used twice: give each declared customer value its own rank."),
                    {"rank": p.rank},
                    row=row,
                    field=field_prefix + "rank",
                    sheet=sheet,
                )
            )
        first_rank.setdefault(p.rank, idx)
        segment = customer = None
        try:
            segment = get_segment_by_code(db, p.segment_code) if p.segment_code else None
            customer = get_customer_by_code(db, p.customer_code) if p.customer_code else None
        except ValidationFailed as exc:
            problems.append(
                Problem(exc.message, exc.params, row=row, field=field_prefix + "customer", sheet=sheet)
            )
        if not p.segment_code and not p.customer_code:
            problems.append(
                Problem(
                    N_("Say which customers this value is for: choose a segment or a customer."),
                    row=row,
                    field=field_prefix + "segment_code",
                    sheet=sheet,
                )
            )
        resolved.append((p, segment, customer))
    return problems, resolved


def save_priorities(
    db: Session,
    principal: Principal,
    rec: StrategyRecord,
    priorities: Sequence[PriorityIn],
    *,
    version: int | None = None,
    reason: str | None = None,
) -> StrategyRecord:
    """Replace the ranked customer values a strategy record declares (question 1)."""
    require_designer(principal)
    if version is not None:
        check_version(rec, version, rec.period)
    problems, resolved = check_priorities(db, priorities)
    if problems:
        raise ValidationFailed(N_("The declared customer values were not saved."), problems=problems)

    def describe(rank: int, seg: Any, cust: Any, driver: str) -> str:
        return f"{rank}. {(seg or cust).code if (seg or cust) else '-'}: {driver}"

    old = [describe(p.rank, p.segment, p.customer, p.driver_code) for p in rec.priorities]
    new = [describe(p.rank, s, c, p.driver_code) for p, s, c in sorted(resolved, key=lambda r: r[0].rank)]
    rec.priorities.clear()
    db.flush()
    for p, seg, cust in sorted(resolved, key=lambda r: r[0].rank):
        rec.priorities.append(
            StrategyPriority(
                rank=p.rank, driver_code=p.driver_code, segment=seg, customer=cust, statement=p.statement
            )
        )
    touch(rec, "title")
    db.flush()
    audit.record(
        db,
        principal.actor,
        action="update",
        entity="strategy_record",
        entity_id=rec.period,
        changes={"priorities": ("; ".join(old) or None, "; ".join(new))} if old != new else {},
        reason=reason,
    )
    return rec


def priority_views(db: Session, rec: StrategyRecord) -> list[PriorityView]:
    """The declared customer values with the number of indicators pointing at each (question 2)."""
    values = [
        (p.driver_code, p.segment_id if p.segment_id else (p.customer.segment_id if p.customer else None))
        for p in rec.priorities
    ]
    counts = indicators_pointing_at(db, values)
    return [
        PriorityView(p, catalogue.value_driver(p.driver_code), n)
        for p, n in zip(rec.priorities, counts, strict=True)
    ]
