"""HTML pages of cascading (S6.4) — the alignment tree with its breaks and one-step fixes — and of
team indicators with each member's contribution (S6.5). Included by ``scorecards/pages.py``."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from northstar.errors import N_, NotFound, ValidationFailed
from northstar.indicators import service as cards
from northstar.org import service as org
from northstar.org.models import Department
from northstar.pools import service as pools
from northstar.scorecards import alignment, teams
from northstar.scorecards import service as personal
from northstar.scorecards.alignment_rows import UP_CANDIDATE, UP_ITEM, UP_OBJECTIVE, UP_TEAM
from northstar.scorecards.models import ScorecardItem, TeamIndicator
from northstar.security.models import Role
from northstar.security.principal import DESIGN_ROLES, Principal
from northstar.strategy import scorecard as bsc
from northstar.strategy import service as strategy
from northstar.web.deps import DB, CurrentPrincipal, Writer, get_translator
from northstar.web.templating import render

router = APIRouter(include_in_schema=False)
ALL_PERIODS = "all"


def _back(target: str, fallback: str) -> str:
    """A same-site path to return to after a form post (never another site)."""
    return target if target.startswith("/") and not target.startswith("//") else fallback


def _problems(request: Request, exc: ValidationFailed) -> dict[str, Any]:
    t = get_translator(request)
    return {
        "error": t.gettext(exc.message, **exc.params),
        "problems": [
            {"sheet": p.sheet, "row": p.row, "field": p.field, "message": t.gettext(p.message, **p.params)}
            for p in exc.problems
        ],
    }


# --- the alignment tree ---------------------------------------------------------------------------


def _editable(db: DB, principal: Principal, result: alignment.Alignment) -> set[int] | None:
    """The departments whose links ``principal`` may fix: None = all (designers)."""
    if principal.read_only:
        return set()
    if principal.role in DESIGN_ROLES:
        return None
    if principal.role is Role.manager and principal.employee_id is not None:
        me = org.get_employee(db, principal, employee_id=principal.employee_id)
        return result.rows.subtree(me.department_id)
    return set()


@router.get("/alignment")
def alignment_page(
    request: Request,
    db: DB,
    principal: CurrentPrincipal,
    record_id: int | None = None,
    department_id: int | None = None,
    period: str | None = None,
) -> Response:
    records = strategy.get_all_records(db)
    rec = strategy.get_record(db, record_id=record_id) if record_id else (records[0] if records else None)
    periods = personal.periods(db, principal)
    ctx: dict[str, Any] = {
        "records": records,
        "record": rec,
        "periods": periods,
        "departments": org.get_all_departments(db, principal),
        "department_id": department_id,
        "ALL": ALL_PERIODS,
    }
    if rec is None:
        return render(request, "scorecards/alignment.html", ctx | {"result": None}, active="design")
    if period is None:  # the record's own period when people have scorecards for it
        period = rec.period if rec.period in periods else (periods[0] if periods else ALL_PERIODS)
    result = alignment.alignment(
        db,
        rec,
        period=None if period == ALL_PERIODS else period,
        principal=principal,
        department_id=department_id,
    )
    editable = _editable(db, principal, result)
    options = {
        id(b): alignment.fix_options(result, b)
        for b in result.breaks
        if b.subject in (UP_ITEM, UP_CANDIDATE) and (editable is None or b.department_id in editable)
    }
    counts = {
        k: result.tree.count(k)
        for k in ("objective", "department_indicator", "team_indicator", "personal_item")
    }
    return render(
        request,
        "scorecards/alignment.html",
        ctx
        | {
            "result": result,
            "period": period,
            "options_of": lambda b: options.get(id(b), []),
            "counts": counts,
            "here": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        },
        active="design",
    )


def _target(raw: str) -> tuple[str, int] | None:
    kind, _, rid = raw.partition(":")
    if not raw:
        return None
    if kind not in (UP_CANDIDATE, UP_ITEM, UP_TEAM, UP_OBJECTIVE) or not rid.isdigit():
        raise ValidationFailed(N_("Choose what to link it to from the list."))
    return kind, int(rid)


@router.post("/alignment/items/{item_id:int}/link")
def link_item(
    db: DB,
    principal: Writer,
    item_id: int,
    target: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/alignment",
) -> Response:
    item = db.get(ScorecardItem, item_id)
    if item is None:
        raise NotFound(N_("No personal scorecard item with id {id}."), id=item_id)
    to = _target(target)
    links: dict[str, Any] = {}
    if to is not None and to[0] == UP_CANDIDATE:
        links["candidate"] = pools.get_candidate(db, to[1])
    elif to is not None and to[0] == UP_ITEM:
        parent = db.get(ScorecardItem, to[1])
        if parent is None:
            raise NotFound(N_("No personal scorecard item with id {id}."), id=to[1])
        links["parent_item"] = parent
    elif to is not None and to[0] == UP_TEAM:
        links["team_indicator"] = teams.get_team_indicator(db, to[1])
    alignment.link_item(db, principal, item, reason=reason or None, **links)
    return RedirectResponse(_back(next, "/alignment"), status_code=303)


@router.post("/alignment/candidates/{candidate_id:int}/link")
def link_candidate(
    db: DB,
    principal: Writer,
    candidate_id: int,
    target: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/alignment",
) -> Response:
    cand = pools.get_candidate(db, candidate_id)
    to = _target(target)
    alignment.link_candidate(
        db,
        principal,
        cand,
        objective=bsc.get_objective(db, objective_id=to[1]) if to and to[0] == UP_OBJECTIVE else None,
        parent_candidate=pools.get_candidate(db, to[1]) if to and to[0] == UP_CANDIDATE else None,
        reason=reason or None,
    )
    return RedirectResponse(_back(next, "/alignment"), status_code=303)


# --- team indicators --------------------------------------------------------------------------------


def _members(
    db: DB, principal: Principal, employee_ids: list[int], shares: list[str]
) -> list[teams.MemberIn]:
    """The members of a form: every person with a share filled in."""
    picked: list[teams.MemberIn] = []
    for emp_id, share in zip(employee_ids, shares, strict=False):
        if share.strip():
            picked.append((org.get_employee(db, principal, employee_id=emp_id), share, None))
    return picked


def _form_context(db: DB, principal: Principal, department_id: int | None) -> dict[str, Any]:
    """What the members form needs for a department the principal may edit."""
    if department_id is None:
        return {"form_dept": None}
    dept = org.get_department(db, principal, department_id=department_id)
    if not teams.can_edit_team(db, principal, dept.id):
        return {"form_dept": None}
    return {
        "form_dept": dept,
        "people": teams.department_people(db, principal, dept),
        "candidates": teams.candidates_for(db, dept),
        "cards": cards.get_all_cards(db),
    }


def _teams_page(
    request: Request,
    db: DB,
    principal: Principal,
    department_id: int | None,
    period: str | None,
    extra: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    scorecard_periods = personal.periods(db, principal)
    ctx: dict[str, Any] = {
        "teams": teams.get_team_indicators(db, department_id=department_id, period=period),
        "departments": org.get_all_departments(db, principal),
        "department_id": department_id,
        "period": period,
        "periods": teams.team_periods(db),
        "default_period": scorecard_periods[0] if scorecard_periods else str(date.today().year),
        "default_weight": teams.DEFAULT_ITEM_WEIGHT,
        "posted": {},
    }
    ctx |= _form_context(db, principal, department_id)
    return render(
        request, "scorecards/teams.html", ctx | (extra or {}), status_code=status_code, active="design"
    )


@router.get("/scorecards/teams")
def teams_page(
    request: Request,
    db: DB,
    principal: CurrentPrincipal,
    department_id: int | None = None,
    period: str | None = None,
) -> Response:
    return _teams_page(request, db, principal, department_id, period or None)


def _save_team(
    db: DB,
    principal: Principal,
    dept: Department,
    card_id: int,
    period: str,
    employee_ids: list[int],
    shares: list[str],
    candidate_id: str,
    **fields: Any,
) -> TeamIndicator:
    """Save the team indicator a form describes; ``fields`` are the keywords of ``save_team_indicator``."""
    return teams.save_team_indicator(
        db,
        principal,
        dept,
        cards.get_card(db, card_id),
        period,
        _members(db, principal, employee_ids, shares),
        pools.get_candidate(db, int(candidate_id)) if candidate_id.isdigit() else None,
        **fields,
    )


def _posted(employee_ids: list[int], shares: list[str], **fields: Any) -> dict[str, Any]:
    return fields | {"shares": dict(zip(employee_ids, shares, strict=False))}


@router.post("/scorecards/teams")
def team_create(
    request: Request,
    db: DB,
    principal: Writer,
    department_id: Annotated[int, Form()],
    card_id: Annotated[int, Form()],
    period: Annotated[str, Form()],
    candidate_id: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    name_en: Annotated[str, Form()] = "",
    item_weight: Annotated[str, Form()] = str(teams.DEFAULT_ITEM_WEIGHT),
    employee_id: Annotated[list[int] | None, Form()] = None,
    share: Annotated[list[str] | None, Form()] = None,
) -> Response:
    ids, shares = employee_id or [], share or []
    dept = org.get_department(db, principal, department_id=department_id)
    try:
        team = _save_team(
            db,
            principal,
            dept,
            card_id,
            period,
            ids,
            shares,
            candidate_id,
            name=name,
            name_en=name_en,
            item_weight=item_weight,
        )
    except ValidationFailed as exc:
        # the error status rolls the unit of work back: nothing of the form is stored
        posted = _posted(ids, shares, card_id=card_id, period=period, candidate_id=candidate_id, name=name)
        extra = _problems(request, exc) | {"posted": posted}
        return _teams_page(request, db, principal, dept.id, None, extra, status_code=exc.status)
    return RedirectResponse(f"/scorecards/teams/{team.id}", status_code=303)


def _team_page(
    request: Request,
    db: DB,
    principal: Principal,
    team: TeamIndicator,
    extra: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    view = teams.team_view(db, principal, team)
    ctx: dict[str, Any] = {
        "view": view,
        "team": team,
        "candidates": teams.candidates_for(db, team.department) if view.can_edit else [],
        "cards": cards.get_all_cards(db) if view.can_edit else [],
        "shares": {m.employee_id: m.share for m in team.members},
        "posted": {},
    }
    return render(
        request, "scorecards/team.html", ctx | (extra or {}), status_code=status_code, active="design"
    )


@router.get("/scorecards/teams/{team_id:int}")
def team_page(request: Request, db: DB, principal: CurrentPrincipal, team_id: int) -> Response:
    return _team_page(request, db, principal, teams.get_team_indicator(db, team_id))


@router.post("/scorecards/teams/{team_id:int}")
def team_update(
    request: Request,
    db: DB,
    principal: Writer,
    team_id: int,
    version: Annotated[int, Form()],
    card_id: Annotated[int, Form()],
    period: Annotated[str, Form()],
    candidate_id: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    name_en: Annotated[str, Form()] = "",
    item_weight: Annotated[str, Form()] = str(teams.DEFAULT_ITEM_WEIGHT),
    reason: Annotated[str, Form()] = "",
    employee_id: Annotated[list[int] | None, Form()] = None,
    share: Annotated[list[str] | None, Form()] = None,
) -> Response:
    team = teams.get_team_indicator(db, team_id)
    ids, shares = employee_id or [], share or []
    try:
        _save_team(
            db,
            principal,
            team.department,
            card_id,
            period,
            ids,
            shares,
            candidate_id,
            team=team,
            version=version,
            name=name,
            name_en=name_en,
            item_weight=item_weight,
            reason=reason or None,
        )
    except ValidationFailed as exc:
        db.rollback()  # show the team as stored, with the form as it was sent
        team = teams.get_team_indicator(db, team_id)
        extra = _problems(request, exc) | {"posted": _posted(ids, shares)}
        return _team_page(request, db, principal, team, extra, status_code=exc.status)
    return RedirectResponse(f"/scorecards/teams/{team.id}", status_code=303)


@router.post("/scorecards/teams/{team_id:int}/contributions")
def team_contributions(
    db: DB,
    principal: Writer,
    team_id: int,
    version: Annotated[int, Form()],
    employee_id: Annotated[list[int], Form()],
    contribution: Annotated[list[str], Form()],
    reason: Annotated[str, Form()] = "",
) -> Response:
    team = teams.get_team_indicator(db, team_id)
    texts = dict(zip(employee_id, contribution, strict=False))
    teams.evaluate_contributions(db, principal, team, texts, version=version, reason=reason or None)
    return RedirectResponse(f"/scorecards/teams/{team.id}#contributions", status_code=303)


@router.post("/scorecards/teams/{team_id:int}/delete")
def team_delete(db: DB, principal: Writer, team_id: int, reason: Annotated[str, Form()] = "") -> Response:
    team = teams.get_team_indicator(db, team_id)
    dept_id = team.department_id
    teams.delete_team_indicator(db, principal, team, reason=reason or None)
    return RedirectResponse(f"/scorecards/teams?department_id={dept_id}", status_code=303)
