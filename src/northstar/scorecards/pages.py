"""HTML pages for scorecards."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from northstar import catalogue
from northstar.errors import NorthstarError
from northstar.indicators import service as indicator_cards
from northstar.org import service as org
from northstar.org.models import Employee
from northstar.positions.models import IndicatorRole
from northstar.positions.schemas import FindingOut
from northstar.scorecards import service as personal
from northstar.scorecards.models import PersonalScorecard
from northstar.scorecards.personal_findings import item_views
from northstar.security.models import Role
from northstar.security.principal import DESIGN_ROLES, Principal
from northstar.web.deps import DB, CurrentPrincipal, Tr, Writer
from northstar.web.forms import error_context, form_action, percent_field
from northstar.web.i18n import Translator
from northstar.web.labels import CARD_ELEMENTS
from northstar.web.templating import render

router = APIRouter(include_in_schema=False)

# --- personal scorecards (S6.2) -------------------------------------------------------------


def _personal_context(
    db: Session, principal: Principal, t: Translator, sc: PersonalScorecard
) -> dict[str, Any]:
    summary = personal.summary_of(db, sc)
    return {
        "sc": sc,
        "summary": summary,
        "views": item_views(sc),
        "findings": [FindingOut.of(f, t, CARD_ELEMENTS) for f in summary.findings],
        "driver_of": catalogue.value_driver,
        "elements": CARD_ELEMENTS,
    }


def _personal_page(
    request: Request,
    db: Session,
    principal: Principal,
    t: Translator,
    sc: PersonalScorecard,
    *,
    error: NorthstarError | None = None,
) -> Response:
    ctx = _personal_context(db, principal, t, sc)
    ctx |= {
        "can_edit": personal.can_edit(db, principal, sc.employee),
        "cards": indicator_cards.get_all_cards(db),
        "roles": list(IndicatorRole),
    } | error_context(t, error)
    return render(
        request,
        "scorecards/personal_scorecard.html",
        ctx,
        status_code=error.status if error else 200,
        active="design",
    )


def _personal_act(
    request: Request,
    db: Session,
    principal: Principal,
    t: Translator,
    sc: PersonalScorecard,
    action: Callable[[], Any],
) -> Response:
    """Run one change; back to the scorecard, or the page again with the problems."""
    return form_action(
        db,
        action,
        success_url=f"/scorecards/{sc.id}",
        rerender=lambda exc: _personal_page(request, db, principal, t, sc, error=exc),
    )


@router.get("/scorecards")
def personal_list(request: Request, db: DB, principal: CurrentPrincipal, t: Tr, period: str = "") -> Response:
    known = personal.periods(db, principal)
    chosen = period or (known[0] if known else str(date.today().year))
    summaries = personal.scorecard_summaries(db, principal, period=chosen)
    have = {s.scorecard.employee_id for s in summaries}
    editable = []
    if not principal.read_only and principal.role in (*DESIGN_ROLES, Role.manager):
        stmt = org.query_employees(principal, active_on=date.today()).where(Employee.position_id.is_not(None))
        editable = [
            e
            for e in db.scalars(stmt.order_by(Employee.number)).unique()
            if e.id not in have and personal.can_edit(db, principal, e)
        ]
    return render(
        request,
        "scorecards/personal_list.html",
        {
            "summaries": summaries,
            "periods": known,
            "period": chosen,
            "without": editable,
            "finding_text": lambda f: FindingOut.of(f, t, CARD_ELEMENTS).message,
        },
        active="design",
    )


@router.post("/scorecards/inherit")
def personal_inherit(
    db: DB, principal: Writer, employee_number: Annotated[str, Form()], period: Annotated[str, Form()]
) -> Response:
    emp = org.get_employee_by_number(db, principal, number=employee_number)
    sc = personal.inherit_scorecard(db, principal, emp, period)
    return RedirectResponse(f"/scorecards/{sc.id}", status_code=303)


@router.get("/scorecards/me")
def personal_mine(request: Request, db: DB, principal: CurrentPrincipal, t: Tr, period: str = "") -> Response:
    """The signed-in person's own scorecard, or who sets it up when there is none yet."""
    sc = personal.my_scorecard(db, principal, period=period or None)
    me = db.get(Employee, principal.employee_id) if principal.employee_id else None
    ctx: dict[str, Any] = {"me": me, "sc": None}
    if sc is not None:
        ctx |= _personal_context(db, principal, t, sc)
    return render(request, "scorecards/mine.html", ctx, active="mine")


@router.get("/scorecards/{scorecard_id:int}")
def personal_detail(
    request: Request, db: DB, principal: CurrentPrincipal, t: Tr, scorecard_id: int
) -> Response:
    return _personal_page(request, db, principal, t, personal.get_scorecard(db, principal, scorecard_id))


@router.post("/scorecards/{scorecard_id:int}/weights")
async def personal_weights(request: Request, db: DB, principal: Writer, t: Tr, scorecard_id: int) -> Response:
    """The weights form: one ``weight-<item id>`` field per item, plus the version read."""
    sc = personal.get_scorecard(db, principal, scorecard_id)
    form = await request.form()
    version = str(form.get("version") or "")

    def action() -> None:
        weights = {
            int(key.removeprefix("weight-")): percent_field(str(value), key)
            for key, value in form.multi_items()
            if key.startswith("weight-") and key.removeprefix("weight-").isdigit()
        }
        personal.set_weights(
            db,
            principal,
            sc,
            weights,
            version=int(version) if version.isdigit() else -1,
            reason=str(form.get("reason") or "") or None,
        )

    return _personal_act(request, db, principal, t, sc, action)


@router.post("/scorecards/{scorecard_id:int}/items")
def personal_item_add(
    request: Request,
    db: DB,
    principal: Writer,
    t: Tr,
    scorecard_id: int,
    version: Annotated[int, Form()],
    card: Annotated[str, Form()],
    weight: Annotated[str, Form()],
    role: Annotated[IndicatorRole, Form()] = IndicatorRole.core,
    note: Annotated[str, Form()] = "",
) -> Response:
    sc = personal.get_scorecard(db, principal, scorecard_id)
    return _personal_act(
        request,
        db,
        principal,
        t,
        sc,
        lambda: personal.add_item(
            db,
            principal,
            sc,
            version=version,
            card=card,
            role=role,
            weight=percent_field(weight),
            note=note,
        ),
    )


@router.post("/scorecards/{scorecard_id:int}/items/{item_id:int}")
def personal_item_adjust(
    request: Request,
    db: DB,
    principal: Writer,
    t: Tr,
    scorecard_id: int,
    item_id: int,
    version: Annotated[int, Form()],
    role: Annotated[IndicatorRole, Form()],
    note: Annotated[str, Form()] = "",
) -> Response:
    sc = personal.get_scorecard(db, principal, scorecard_id)
    return _personal_act(
        request,
        db,
        principal,
        t,
        sc,
        lambda: personal.adjust_item(db, principal, sc, item_id, version=version, role=role, note=note),
    )


@router.post("/scorecards/{scorecard_id:int}/items/{item_id:int}/delete")
def personal_item_remove(
    request: Request,
    db: DB,
    principal: Writer,
    t: Tr,
    scorecard_id: int,
    item_id: int,
    version: Annotated[int, Form()],
) -> Response:
    sc = personal.get_scorecard(db, principal, scorecard_id)
    return _personal_act(
        request,
        db,
        principal,
        t,
        sc,
        lambda: personal.remove_item(db, principal, sc, item_id, version=version),
    )


# --- end of personal scorecards -------------------------------------------------------------
