"""JSON API for strategy records (S1.1)."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy.orm import Session

from northstar.strategy import service
from northstar.strategy.models import StrategyRecord
from northstar.strategy.schemas import PrioritiesIn, PriorityOut, StrategyIn, StrategyOut, StrategyUpdate
from northstar.web.deps import DB, CurrentPrincipal, Writer

router = APIRouter(tags=["strategy"])


def strategy_out(db: Session, rec: StrategyRecord) -> StrategyOut:
    return StrategyOut(
        id=rec.id,
        period=rec.period,
        title=rec.title,
        customer_focus=rec.customer_focus,
        aspiration=rec.aspiration,
        horizon_years=rec.horizon_years,
        priorities=[
            PriorityOut(
                rank=v.priority.rank,
                driver=v.priority.driver_code,
                segment_code=v.priority.segment.code if v.priority.segment else None,
                customer_code=v.priority.customer.code if v.priority.customer else None,
                statement=v.priority.statement,
                indicator_count=v.indicator_count,
            )
            for v in service.priority_views(db, rec)
        ],
        version=rec.version,
    )


@router.get("/strategy", response_model=list[StrategyOut])
def list_records(db: DB, principal: CurrentPrincipal) -> list[StrategyOut]:
    """Strategy records, the latest planning period first."""
    return [strategy_out(db, r) for r in service.get_all_records(db)]


@router.post("/strategy", response_model=StrategyOut, status_code=201)
def create_record(body: StrategyIn, db: DB, principal: Writer) -> StrategyOut:
    return strategy_out(db, service.create_record(db, principal, **body.model_dump()))


@router.get("/strategy/{record_id}", response_model=StrategyOut)
def get_record(record_id: int, db: DB, principal: CurrentPrincipal) -> StrategyOut:
    """One strategy record; each declared value carries the computed count of indicators pointing at it."""
    return strategy_out(db, service.get_record(db, record_id=record_id))


@router.patch("/strategy/{record_id}", response_model=StrategyOut)
def update_record(record_id: int, body: StrategyUpdate, db: DB, principal: Writer) -> StrategyOut:
    rec = service.get_record(db, record_id=record_id)
    fields = body.model_dump(exclude_unset=True, exclude={"version", "reason"})
    return strategy_out(
        db, service.update_record(db, principal, rec, version=body.version, reason=body.reason, **fields)
    )


@router.put("/strategy/{record_id}/priorities", response_model=StrategyOut)
def save_priorities(record_id: int, body: PrioritiesIn, db: DB, principal: Writer) -> StrategyOut:
    """Replace the ranked customer values the record declares (which customers, what value)."""
    rec = service.get_record(db, record_id=record_id)
    items = [
        service.PriorityIn(
            rank=p.rank,
            driver_code=p.driver,
            segment_code=p.segment_code,
            customer_code=p.customer_code,
            statement=p.statement,
        )
        for p in body.priorities
    ]
    return strategy_out(
        db, service.save_priorities(db, principal, rec, items, version=body.version, reason=body.reason)
    )
