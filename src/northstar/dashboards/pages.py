"""HTML pages of the dashboards (S7.2, S7.3, S7.5, S9.2 "Check"): the enterprise scorecard and
strategy map coloured by live scores, a department's pool and customers, a person's indicators,
the journey × department heatmap and one indicator sliced; every table exports to xlsx."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from northstar.dashboards import department as departments
from northstar.dashboards import views
from northstar.dashboards.views import Dashboard
from northstar.data import specs
from northstar.web.deps import DB, CurrentPrincipal, Tr
from northstar.web.downloads import attachment
from northstar.web.templating import render

router = APIRouter(include_in_schema=False)


def _page(request: Request, template: str, view: Dashboard, base: str) -> Response:
    def export_url(table: str | None = None) -> str:
        """The xlsx of the page as shown (its period and slicing), all tables or one."""
        query = {k: v for k, v in request.query_params.items() if k != "table"}
        query["period"] = view.period.code
        if table:
            query["table"] = table
        return f"{base}/export.xlsx?{urlencode(query)}"

    return render(
        request,
        template,
        {"view": view, "base": base, "status_words": views.STATUS_WORDS, "export_url": export_url},
        active="dashboards",
    )


def _export(view: Dashboard, table: str | None, name: str) -> Response:
    """The dashboard's tables (or the one asked for) as an xlsx download."""
    body = views.export_xlsx(view, [table] if table else None)
    return attachment(body, f"northstar-{name}-{view.period.code}.xlsx")


@router.get("/dashboards")
def hub(request: Request, db: DB, principal: CurrentPrincipal) -> Response:
    """Where the dashboards start: the company, my department, me, the journey, each indicator."""
    home = departments.home_department(db, principal)
    return render(
        request,
        "dashboards/hub.html",
        {
            "home": home,
            "cards": sorted((b.card for b in specs.bindings(db)), key=lambda c: c.code),
        },
        active="dashboards",
    )


def _serve(
    request: Request,
    build: Callable[[], Dashboard],
    template: str,
    base: str,
    name: str,
    export: bool,
    table: str | None,
) -> Response:
    view = build()
    if export:
        return _export(view, table, name)
    return _page(request, template, view, base)


@router.get("/dashboards/enterprise")
@router.get("/dashboards/enterprise/export.xlsx")
def enterprise_page(
    request: Request, db: DB, principal: CurrentPrincipal, t: Tr, period: str = "", table: str = ""
) -> Response:
    """The balanced scorecard scored for the period, the strategy map by status, trends, data quality."""
    return _serve(
        request,
        lambda: views.build_enterprise(db, principal, t, period, date.today()),
        "dashboards/enterprise.html",
        "/dashboards/enterprise",
        "enterprise",
        request.url.path.endswith(".xlsx"),
        table or None,
    )


@router.get("/dashboards/departments")
def my_department(db: DB, principal: CurrentPrincipal) -> Response:
    """The viewer's own department's dashboard (the top of the tree for those without one)."""
    home = departments.home_department(db, principal)
    target = f"/dashboards/departments/{quote(home.code)}" if home is not None else "/dashboards"
    return RedirectResponse(target, status_code=303)


@router.get("/dashboards/departments/{code}")
@router.get("/dashboards/departments/{code}/export.xlsx")
def department_page(
    request: Request, db: DB, principal: CurrentPrincipal, t: Tr, code: str, period: str = "", table: str = ""
) -> Response:
    """A department's core and observed indicators, its customers' view, shared indicators, members."""
    return _serve(
        request,
        lambda: views.build_department(db, principal, t, code, period, date.today()),
        "dashboards/department.html",
        f"/dashboards/departments/{quote(code)}",
        f"department-{code}",
        request.url.path.endswith(".xlsx"),
        table or None,
    )


@router.get("/dashboards/me")
@router.get("/dashboards/me/export.xlsx")
def my_dashboard(
    request: Request, db: DB, principal: CurrentPrincipal, t: Tr, period: str = "", table: str = ""
) -> Response:
    """My indicators, targets, actuals, scores with their arithmetic, trends, and what is due."""
    return _serve(
        request,
        lambda: views.build_personal(db, principal, t, None, period, date.today()),
        "dashboards/personal.html",
        "/dashboards/me",
        "me",
        request.url.path.endswith(".xlsx"),
        table or None,
    )


@router.get("/dashboards/people/{number}")
@router.get("/dashboards/people/{number}/export.xlsx")
def person_dashboard(
    request: Request,
    db: DB,
    principal: CurrentPrincipal,
    t: Tr,
    number: str,
    period: str = "",
    table: str = "",
) -> Response:
    """A person's dashboard, for their manager, HR and executives (within their scope)."""
    return _serve(
        request,
        lambda: views.build_personal(db, principal, t, number, period, date.today()),
        "dashboards/personal.html",
        f"/dashboards/people/{quote(number)}",
        f"person-{number}",
        request.url.path.endswith(".xlsx"),
        table or None,
    )


@router.get("/dashboards/journey")
@router.get("/dashboards/journey/export.xlsx")
def journey_page(
    request: Request, db: DB, principal: CurrentPrincipal, t: Tr, period: str = "", table: str = ""
) -> Response:
    """Touchpoints × departments coloured by the scores of the indicators tagged with each touchpoint."""
    return _serve(
        request,
        lambda: views.build_journey(db, principal, t, period, date.today()),
        "dashboards/journey.html",
        "/dashboards/journey",
        "journey",
        request.url.path.endswith(".xlsx"),
        table or None,
    )


@router.get("/dashboards/indicators/{code}")
@router.get("/dashboards/indicators/{code}/export.xlsx")
def indicator_page(
    request: Request,
    db: DB,
    principal: CurrentPrincipal,
    t: Tr,
    code: str,
    by: str = Query("customer"),
    period: str = "",
    table: str = "",
) -> Response:
    """One indicator sliced by customer, segment, project, department, owner or period."""
    return _serve(
        request,
        lambda: views.build_indicator(db, principal, t, code, by, period, date.today()),
        "dashboards/indicator.html",
        f"/dashboards/indicators/{quote(code)}",
        f"{code}-by-{by}",
        request.url.path.endswith(".xlsx"),
        table or None,
    )
