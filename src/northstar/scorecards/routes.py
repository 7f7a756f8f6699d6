"""JSON API for scorecards."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from northstar.errors import N_, NotFound
from northstar.org import service as org
from northstar.positions import service as positions
from northstar.positions.schemas import FindingOut
from northstar.scorecards import service as personal
from northstar.scorecards.models import PersonalScorecard
from northstar.scorecards.personal_findings import ItemView, item_views
from northstar.scorecards.schemas import (
    InheritIn,
    ItemAdd,
    ItemAdjust,
    ItemOut,
    ItemRef,
    ScorecardOut,
    ScorecardSummaryOut,
    TeamRef,
    WeightsUpdate,
)
from northstar.web.deps import DB, CurrentPrincipal, Tr, Writer
from northstar.web.labels import CARD_ELEMENTS

router = APIRouter(tags=["scorecards"])

# --- personal scorecards (S6.2) -------------------------------------------------------------


def _item_out(view: ItemView, locale: str) -> ItemOut:
    it = view.item
    parent, team = it.parent_item, it.team_indicator
    return ItemOut(
        id=it.id,
        card=it.card.code,
        card_name=it.card.label(locale),
        role=it.role,
        weight=it.weight,
        origin=view.origin,
        assessable=view.assessable,
        missing=view.missing,
        customer_value=view.customer_value,
        output=view.output.label(locale) if view.output else None,
        candidate=positions.candidate_ref(it.candidate),
        parent=ItemRef(employee=parent.scorecard.employee.number, card=parent.card.code) if parent else None,
        team=TeamRef(department=team.department.code, card=team.card.code) if team else None,
        note=it.note,
    )


def _summary_fields(s: personal.ScorecardSummary) -> dict[str, Any]:
    sc = s.scorecard
    return {
        "id": sc.id,
        "employee_number": sc.employee.number,
        "employee_name": sc.employee.name,
        "department_code": sc.employee.department.code,
        "position_code": sc.position.code if sc.position else None,
        "period": sc.period,
        "version": sc.version,
        "item_count": len(sc.items),
        "core_count": s.core_count,
        "weight_sum": s.weight_sum,
        "customer_value_count": s.customer_value_count,
        "error_count": s.errors,
        "finding_count": len(s.findings),
    }


def scorecard_out(db: DB, sc: PersonalScorecard, t: Tr) -> ScorecardOut:
    summary = personal.summary_of(db, sc)
    return ScorecardOut(
        **_summary_fields(summary),
        items=[_item_out(v, t.locale) for v in item_views(sc)],
        findings=[FindingOut.of(f, t, CARD_ELEMENTS) for f in summary.findings],
    )


@router.get("/scorecards", response_model=list[ScorecardSummaryOut])
def list_personal_scorecards(
    db: DB, principal: CurrentPrincipal, period: str | None = None, department_code: str | None = None
) -> list[ScorecardSummaryOut]:
    """The personal scorecards you may see, with their counts and findings (S6.2)."""
    dept_id = org.get_department_by_code(db, department_code).id if department_code else None
    return [
        ScorecardSummaryOut(**_summary_fields(s))
        for s in personal.scorecard_summaries(db, principal, period=period, department_id=dept_id)
    ]


@router.get("/scorecards/me", response_model=ScorecardOut)
def my_personal_scorecard(
    db: DB, principal: CurrentPrincipal, t: Tr, period: str | None = None
) -> ScorecardOut:
    """Your own scorecard for ``period`` (the latest when not given)."""
    sc = personal.my_scorecard(db, principal, period=period)
    if sc is None:
        raise NotFound(
            N_(
                "You have no personal scorecard yet: your manager or HR sets it up from your position's indicators."
            )
        )
    return scorecard_out(db, sc, t)


@router.get("/scorecards/{scorecard_id:int}", response_model=ScorecardOut)
def get_personal_scorecard(scorecard_id: int, db: DB, principal: CurrentPrincipal, t: Tr) -> ScorecardOut:
    """One scorecard with its items and findings; outside your scope it does not exist."""
    return scorecard_out(db, personal.get_scorecard(db, principal, scorecard_id), t)


@router.post("/scorecards/inherit", response_model=ScorecardOut, status_code=201)
def inherit_personal_scorecard(body: InheritIn, db: DB, principal: Writer, t: Tr) -> ScorecardOut:
    """Create (or refresh) one person's scorecard from their position's indicators."""
    emp = org.get_employee_by_number(db, principal, number=body.employee_number)
    return scorecard_out(db, personal.inherit_scorecard(db, principal, emp, body.period), t)


@router.put("/scorecards/{scorecard_id:int}/weights", response_model=ScorecardOut)
def set_personal_weights(
    scorecard_id: int, body: WeightsUpdate, db: DB, principal: Writer, t: Tr
) -> ScorecardOut:
    """Set several items' weights at once; they must add up to 100%. Send the ``version`` you read."""
    sc = personal.get_scorecard(db, principal, scorecard_id)
    weights = {w.item_id: w.weight for w in body.weights}
    personal.set_weights(db, principal, sc, weights, version=body.version, reason=body.reason)
    return scorecard_out(db, sc, t)


@router.post("/scorecards/{scorecard_id:int}/items", response_model=ScorecardOut, status_code=201)
def add_personal_item(scorecard_id: int, body: ItemAdd, db: DB, principal: Writer, t: Tr) -> ScorecardOut:
    sc = personal.get_scorecard(db, principal, scorecard_id)
    personal.add_item(
        db,
        principal,
        sc,
        version=body.version,
        card=body.card,
        role=body.role,
        weight=body.weight,
        note=body.note,
        candidate=body.candidate,
        reason=body.reason,
    )
    return scorecard_out(db, sc, t)


@router.patch("/scorecards/{scorecard_id:int}/items/{item_id:int}", response_model=ScorecardOut)
def adjust_personal_item(
    scorecard_id: int, item_id: int, body: ItemAdjust, db: DB, principal: Writer, t: Tr
) -> ScorecardOut:
    """Change one item's weight, role or note for this person (marks it adjusted)."""
    sc = personal.get_scorecard(db, principal, scorecard_id)
    personal.adjust_item(
        db,
        principal,
        sc,
        item_id,
        version=body.version,
        weight=body.weight,
        role=body.role,
        note=body.note,
        reason=body.reason,
    )
    return scorecard_out(db, sc, t)


@router.delete("/scorecards/{scorecard_id:int}/items/{item_id:int}", response_model=ScorecardOut)
def remove_personal_item(
    scorecard_id: int, item_id: int, version: int, db: DB, principal: Writer, t: Tr
) -> ScorecardOut:
    """Take an item off; ``?version=`` is the scorecard version you read."""
    sc = personal.get_scorecard(db, principal, scorecard_id)
    personal.remove_item(db, principal, sc, item_id, version=version)
    return scorecard_out(db, sc, t)


# --- end of personal scorecards -------------------------------------------------------------
