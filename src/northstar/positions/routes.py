"""JSON API for positions: design status, the key-responsibility-output design, bulk assignment."""

from __future__ import annotations

from fastapi import APIRouter

from northstar.org import service as org
from northstar.org.models import Position
from northstar.positions import service
from northstar.positions.findings import design_findings, weight_sum
from northstar.positions.schemas import (
    AssignIn,
    BulkResult,
    FindingOut,
    PositionDesignIn,
    PositionDesignOut,
    PositionDesignUpdate,
    PositionRef,
    PositionSummaryOut,
)
from northstar.scorecards import service as scorecards
from northstar.web.deps import DB, CurrentPrincipal, Tr, Writer
from northstar.web.labels import CARD_ELEMENTS

router = APIRouter(tags=["positions"])


def position_ref(p: Position) -> PositionRef:
    return PositionRef(
        id=p.id, code=p.code, name=p.name, name_en=p.name_en, department_code=p.department.code
    )


def design_out(db: DB, p: Position, t: Tr) -> PositionDesignOut:
    design = service.design_of(db, p)
    cards = {pi.card.code: pi.card for pi in service.indicators_of(db, p)}
    return PositionDesignOut(
        position=position_ref(p),
        version=p.version,
        design=design,
        weight_sum=weight_sum(design),
        holders=len(service.holders_of(db, p)),
        findings=[FindingOut.of(f, t, CARD_ELEMENTS) for f in design_findings(design, cards)],
    )


@router.get("/positions/designs", response_model=list[PositionSummaryOut])
def list_positions(
    db: DB, principal: CurrentPrincipal, department_code: str | None = None
) -> list[PositionSummaryOut]:
    """Every position with its design status: counts, weight sum, holders and findings (S6.1)."""
    dept_id = org.get_department_by_code(db, department_code).id if department_code else None
    return [
        PositionSummaryOut(
            **position_ref(s.position).model_dump(),
            responsibilities=s.responsibilities,
            outputs=s.outputs,
            indicators=s.indicators,
            weight_sum=s.weight_sum,
            holders=s.holders,
            errors=s.errors,
            warnings=s.warnings,
            status=s.status,
        )
        for s in service.position_summaries(db, department_id=dept_id)
    ]


@router.get("/positions/{position_id}/design", response_model=PositionDesignOut)
def get_design(position_id: int, db: DB, principal: CurrentPrincipal, t: Tr) -> PositionDesignOut:
    """The position's responsibilities, customers, outputs and indicators, with the findings."""
    return design_out(db, service.get_position(db, position_id), t)


@router.put("/positions/{position_id}/design", response_model=PositionDesignOut)
def save_design(
    position_id: int, body: PositionDesignUpdate, db: DB, principal: Writer, t: Tr
) -> PositionDesignOut:
    """Replace the whole design; send the ``version`` you read. A draft with findings is saved;
    problems (a third output, an unknown code) refuse it with 422 naming the path."""
    pos = service.get_position(db, position_id)
    design = PositionDesignIn.model_validate(body.model_dump(exclude={"version", "reason"}))
    service.save_position_design(db, principal, pos, design, version=body.version, reason=body.reason)
    return design_out(db, pos, t)


@router.post("/positions/{position_id}/assign", response_model=BulkResult)
def assign(position_id: int, body: AssignIn, db: DB, principal: Writer) -> BulkResult:
    """Give the position's indicators to all its current holders for a period, in one action."""
    pos = service.get_position(db, position_id)
    return scorecards.assign_position(db, principal, pos, body.period, overwrite=body.overwrite)
