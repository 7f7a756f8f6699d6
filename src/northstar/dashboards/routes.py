"""JSON API of the dashboards (S7.2, S7.3): each dashboard's tables and charts as its page shows
them, through the caller's scope; every figure carries the link to its lineage."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Query

from northstar.dashboards import views
from northstar.dashboards.schemas import DashboardOut
from northstar.web.deps import DB, CurrentPrincipal, Tr

router = APIRouter(prefix="/dashboards", tags=["dashboards"])

PERIOD = Query("", description="2026-Q3, 2026-07 or 2026; the latest computed quarter when empty")


@router.get("/enterprise", response_model=DashboardOut)
def enterprise(db: DB, principal: CurrentPrincipal, t: Tr, period: str = PERIOD) -> DashboardOut:
    """The enterprise scorecard by perspective and objective, the strategy map, trends, data quality."""
    return DashboardOut.model_validate(
        views.as_json(views.build_enterprise(db, principal, t, period, date.today()))
    )


@router.get("/departments/{code}", response_model=DashboardOut)
def department(db: DB, principal: CurrentPrincipal, t: Tr, code: str, period: str = PERIOD) -> DashboardOut:
    """A department's indicators, its customers' view, shared indicators, sub-departments, members."""
    return DashboardOut.model_validate(
        views.as_json(views.build_department(db, principal, t, code, period, date.today()))
    )


@router.get("/me", response_model=DashboardOut)
def me(db: DB, principal: CurrentPrincipal, t: Tr, period: str = PERIOD) -> DashboardOut:
    """The caller's own indicators, targets, actuals and scores with their arithmetic."""
    return DashboardOut.model_validate(
        views.as_json(views.build_personal(db, principal, t, None, period, date.today()))
    )


@router.get("/people/{number}", response_model=DashboardOut)
def person(db: DB, principal: CurrentPrincipal, t: Tr, number: str, period: str = PERIOD) -> DashboardOut:
    """A person's dashboard within the caller's scope."""
    return DashboardOut.model_validate(
        views.as_json(views.build_personal(db, principal, t, number, period, date.today()))
    )


@router.get("/journey", response_model=DashboardOut)
def journey(db: DB, principal: CurrentPrincipal, t: Tr, period: str = PERIOD) -> DashboardOut:
    """Touchpoints × departments coloured by the scores of the indicators tagged with each."""
    return DashboardOut.model_validate(
        views.as_json(views.build_journey(db, principal, t, period, date.today()))
    )


@router.get("/indicators/{code}", response_model=DashboardOut)
def indicator(
    db: DB,
    principal: CurrentPrincipal,
    t: Tr,
    code: str,
    by: str = Query("customer", description="customer, segment, project, department, owner or period"),
    period: str = PERIOD,
) -> DashboardOut:
    """One indicator's figures sliced, best first, with the company's and a monthly trend."""
    return DashboardOut.model_validate(
        views.as_json(views.build_indicator(db, principal, t, code, by, period, date.today()))
    )
