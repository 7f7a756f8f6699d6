"""HTML pages of performance cycles (S9.1, S9.3, S9.4, S6.5): the cycles with what is due from me,
one cycle with its state, progress and unit scorecards, one person's cycle scorecard with the
evaluation flow's forms, calibration, appeals and the plan's change log.

Pages are thin: they parse the form, call one service and render; the services decide who may do
what (``cycles.guards`` and the record scope). The pages only hide the forms the guards would
refuse, so that nobody fills in a form to be told no.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData, UploadFile

from northstar.cycles import actuals as cycle_actuals
from northstar.cycles import appeals as cycle_appeals
from northstar.cycles import guards, reviews, scores
from northstar.cycles import plan as planning
from northstar.cycles import progress as cycle_progress
from northstar.cycles import service as cycles
from northstar.cycles import targets as tg
from northstar.cycles.guards import HR, Action
from northstar.cycles.models import (
    AppealRoute,
    AppealState,
    Approval,
    Cycle,
    CycleAppeal,
    CycleAssignment,
    CycleKind,
    CycleParticipant,
    CycleReview,
    CycleState,
    ReviewStep,
)
from northstar.cycles.schemas import CycleIn
from northstar.errors import N_, Label, NorthstarError, Problem, ValidationFailed
from northstar.org import service as org
from northstar.scoring import render_each
from northstar.scoring.rules import RubricRule
from northstar.security.models import Role
from northstar.security.principal import Principal
from northstar.web.deps import DB, AppSettings, CurrentPrincipal, Tr, Writer
from northstar.web.figures import ANCHOR_WORDS, ORIGIN_WORDS, anchors_text, number_text, value_text
from northstar.web.forms import error_context, form_action, percent_field
from northstar.web.i18n import Translator
from northstar.web.templating import render

router = APIRouter(include_in_schema=False)

TEMPLATES = Path(__file__).resolve().parent / "templates"
CHART_JS = TEMPLATES / "cycles" / "calibration_chart.js"


# --- words that reach the pages as data ------------------------------------------------------

STEP_WORDS = {
    ReviewStep.open: N_("not started"),
    ReviewStep.self_submitted: N_("self-review submitted"),
    ReviewStep.manager_submitted: N_("manager review submitted"),
    ReviewStep.confirmed: N_("confirmed"),
}
APPROVAL_WORDS = {
    Approval.none: "",
    Approval.pending: N_("waiting for approval"),
    Approval.approved: N_("approved"),
    Approval.rejected: N_("rejected"),
}
ROUTE_WORDS = {AppealRoute.hr: N_("HR"), AppealRoute.skip_level: N_("skip-level manager")}
APPEAL_STATE_WORDS = {
    AppealState.open: N_("open"),
    AppealState.upheld: N_("upheld"),
    AppealState.dismissed: N_("dismissed"),
}
CHANGE_WORDS = {"weight": N_("weight"), "targets": N_("targets"), "card": N_("card version")}
#: what a redirect after a successful post says on the next page (``?done=<key>``)
NOTICES = {
    "created": N_("Cycle {cycle} is created in draft: check its settings, then open planning."),
    "moved": N_("Cycle {cycle} is now {state}."),
    "taken": N_(
        "Actuals taken from data: {added} new, {refreshed} refreshed, {unchanged} unchanged; {kept} entered by hand kept as they are; {missing} without a figure for the period; {by_hand} indicators are not computed and are entered by hand."
    ),
    "published": N_("The results are published: employees now confirm them or appeal."),
    "reminded": N_("In-app reminders sent to {count} people with a step due."),
    "planned": N_("The plan is saved; the change is recorded with its reason."),
    "entered": N_("The value is saved as entered by hand; it counts once its reviewer approves it."),
    "approved": N_("The hand-entered value is approved and now counts."),
    "rejected": N_("The hand-entered value is rejected; it does not count until it is entered again."),
    "evidence": N_("The evidence file is attached."),
    "self_saved": N_("Your self-review is saved as a draft; submit it when it is ready."),
    "self_submitted": N_("Your self-review is submitted: your manager reviews next."),
    "waived": N_("The self-review is waived with your reason; the manager review can follow."),
    "manager_saved": N_("The manager review is saved as a draft."),
    "manager_submitted": N_("The manager review is submitted and the person is scored."),
    "confirmed": N_("You confirmed your result."),
    "appealed": N_("Your appeal is filed; its decision will show here."),
    "calibrated": N_("The grade is changed; the change is listed below with its reason."),
    "decided": N_("The appeal is decided."),
    "read": N_("The reminder is marked as read."),
}
_COUNTS = ("added", "refreshed", "unchanged", "kept", "missing", "by_hand", "count")


# --- small helpers --------------------------------------------------------------------------


def _text(form: FormData | Mapping[str, Any], key: str) -> str:
    value = form.get(key)
    return value if isinstance(value, str) else ""


def _version(raw: str) -> int:
    """A version read from a hidden field; a missing or garbled one can only conflict."""
    return int(raw) if raw.strip().isdigit() else -1


def _optional_version(raw: str) -> int | None:
    return int(raw) if raw.strip().isdigit() else None


def _notice(t: Translator, request: Request, cycle: Cycle | None = None) -> str | None:
    key = request.query_params.get("done", "")
    if key not in NOTICES:
        return None
    params: dict[str, Any] = {"cycle": cycle.code if cycle else ""}
    for name in _COUNTS:
        raw = request.query_params.get(name, "")
        params[name] = t.number(int(raw)) if raw.isdigit() else "0"
    state = request.query_params.get("state", "")
    if state in CycleState.__members__:
        params["state"] = Label(guards.STATE_PHRASES[CycleState(state)])
    return t.gettext(NOTICES[key], **params)


def _done(url: str, key: str, **params: object) -> str:
    return f"{url}?{urlencode({'done': key, **{k: str(v) for k, v in params.items()}})}"


def _errors(t: Translator, error: NorthstarError | None) -> dict[str, Any]:
    """The error banner and its problems; a refusal that names one field in its parameters (the
    services' "reviewer: …" messages) gets that field as its problem row, so the field is named
    the same way everywhere."""
    ctx = error_context(t, error)
    field = error.params.get("field") if error is not None else None
    if error is not None and not ctx["problems"] and isinstance(field, str):
        ctx["problems"] = [{"sheet": None, "row": None, "field": field, "message": ctx["error"]}]
    return ctx


def _date_field(raw: str, field: str, problems: list[Problem]) -> date | None:
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        problems.append(
            Problem(
                N_('{field}: "{value}" is not a date; write it like 2026-04-01.'),
                {"field": Label(field), "value": raw},
                field=field,
            )
        )
        return None


def _can(principal: Principal, cycle: Cycle, action: Action) -> bool:
    return not principal.read_only and guards.allowed(cycle.state, action, principal.role)


def _coverage(t: Translator, cycle: Cycle) -> str:
    if cycle.department is None:
        return t.gettext("Whole company")
    return f"{cycle.department.label(t.locale)} ({cycle.department.code})"


# --- the cycles ------------------------------------------------------------------------------


def _cycles_page(
    request: Request,
    db: Session,
    principal: Principal,
    t: Translator,
    *,
    error: NorthstarError | None = None,
    typed: dict[str, str] | None = None,
) -> Response:
    found = cycles.list_cycles(db)
    counts = cycles.participant_counts(db, found) if found else {}
    me = None
    if principal.employee_id is not None:
        me = org.get_employee(db, principal, employee_id=principal.employee_id)
    due = cycle_progress.due_for(db, principal)
    may_create = not principal.read_only and guards.allowed(CycleState.draft, Action.edit, principal.role)
    return render(
        request,
        "cycles/cycles.html",
        {
            "cycles": found,
            "counts": counts,
            "coverage": lambda c: _coverage(t, c),
            "kind_names": cycles.KIND_NAMES,
            "state_names": guards.STATE_NAMES,
            "kinds": list(CycleKind),
            "due": [(d, cycle_progress.due_url(d, me.number if me else None)) for d in due],
            "steps": cycle_progress.STEPS,
            "reminders": cycle_progress.reminders_for(db, principal),
            "may_create": may_create,
            "departments": org.get_all_departments(db, principal) if may_create else [],
            "typed": typed or {},
            "notice": None if error else _notice(t, request),
            **_errors(t, error),
        },
        status_code=error.status if error else 200,
        active="cycles",
    )


@router.get("/cycles")
def cycles_page(request: Request, db: DB, principal: CurrentPrincipal, t: Tr) -> Response:
    """Every cycle, HR's form to open one, the steps due from me and my reminders."""
    return _cycles_page(request, db, principal, t)


def _cycle_in(form: Mapping[str, str]) -> CycleIn:
    """The create form as the service's input; every unreadable field is a problem naming it."""
    problems: list[Problem] = []
    kind: CycleKind | None = None
    if form["kind"] in CycleKind.__members__:
        kind = CycleKind(form["kind"])
    else:
        problems.append(Problem(N_("kind: choose year, quarter or month."), field="kind"))
    start = _date_field(form["start"], "start", problems)
    end = _date_field(form["end"], "end", problems)
    if not form["name"].strip():
        problems.append(Problem(N_("name: give the cycle a name, such as 2026年二季度绩效."), field="name"))
    try:
        data = CycleIn(
            code=form["code"].strip(),
            name=form["name"].strip() or "-",
            name_en=form["name_en"].strip(),
            kind=kind or CycleKind.quarter,
            start=start or date(2000, 1, 1),
            end=end or date(2000, 3, 31),
            department=form["department"].strip() or None,
        )
    except ValidationError as exc:
        for err in exc.errors():
            field = ".".join(str(p) for p in err.get("loc", ()))
            if field == "code":
                problems.append(
                    Problem(
                        N_(
                            "code: use letters, digits, dots, dashes or underscores, at most 40, starting with a letter or digit, such as 2026-Q2."
                        ),
                        field="code",
                    )
                )
            else:
                problems.append(
                    Problem(
                        N_("{field}: {detail}"), {"field": field, "detail": err.get("msg", "")}, field=field
                    )
                )
        data = None
    if problems or data is None:
        raise ValidationFailed(N_("The cycle cannot be saved: fix the fields listed."), problems=problems)
    return data


@router.post("/cycles")
def create_cycle(
    request: Request,
    db: DB,
    principal: Writer,
    t: Tr,
    code: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    name_en: Annotated[str, Form()] = "",
    kind: Annotated[str, Form()] = "",
    start: Annotated[str, Form()] = "",
    end: Annotated[str, Form()] = "",
    department: Annotated[str, Form()] = "",
) -> Response:
    typed = {
        "code": code,
        "name": name,
        "name_en": name_en,
        "kind": kind,
        "start": start,
        "end": end,
        "department": department,
    }

    def action() -> str:
        cycle = cycles.create_cycle(db, principal, _cycle_in(typed))
        return _done(f"/cycles/{cycle.code}", "created")

    return form_action(
        db, action, rerender=lambda exc: _cycles_page(request, db, principal, t, error=exc, typed=typed)
    )


@router.post("/cycles/reminders/{reminder_id:int}/read")
def reminder_read(db: DB, principal: CurrentPrincipal, reminder_id: int) -> Response:
    """Reading a reminder changes no cycle: auditors may mark theirs too."""
    cycle_progress.mark_read(db, principal, reminder_id)
    return RedirectResponse(_done("/cycles", "read"), status_code=303)


@router.get("/cycles/due-badge")
def due_badge(db: DB, principal: CurrentPrincipal) -> Response:
    """The navigation's badge: how many steps are due from me across the open cycles (loaded by
    htmx after the page, so no page waits for it)."""
    count = sum(d.count for d in cycle_progress.due_for(db, principal))
    if not count:
        return HTMLResponse("")
    return HTMLResponse(
        f'<span class="badge rounded-pill bg-warning text-dark ms-1" data-testid="nav-cycles-due">{count}</span>'
    )


@router.get("/cycles/calibration-chart.js")
def calibration_chart_js() -> Response:
    """The calibration chart's script (grouped bars), served from this domain because the shared
    charts draw one series only."""
    return FileResponse(CHART_JS, media_type="text/javascript")


# --- one cycle -------------------------------------------------------------------------------


def _moves(principal: Principal, cycle: Cycle) -> list[CycleState]:
    """The states the principal may move the cycle to now."""
    out = []
    following = guards.next_state(cycle.state)
    if following is not None and _can(principal, cycle, Action.advance):
        out.append(following)
    if (
        cycle.state is CycleState.calibration
        and cycle.published_at is None
        and _can(principal, cycle, Action.reopen)
    ):
        out.append(CycleState.review)
    return out


def _unit_view(t: Translator, unit: scores.UnitSheet) -> dict[str, Any]:
    results = {r.code: r for r in unit.result.items} if unit.result else {}
    lines = []
    for card, weight, value, figure_id in unit.lines:
        r = results.get(card.code)
        lines.append(
            {
                "card": card,
                "weight": weight,
                "value": value_text(
                    t, None if value is None else str(value), card.unit, str((card.rule or {}).get("kind"))
                ),
                "figure_id": figure_id,
                "score": r.score.value if r else None,
            }
        )
    return {
        "unit": unit,
        "name": unit.department.label(t.locale) if unit.department else "",
        "lines": lines,
        "steps": render_each(unit.result.steps, t.gettext, locale=t.locale) if unit.result else [],
        "error": t.gettext(unit.error.message, **unit.error.params) if unit.error else None,
    }


def _cycle_page(
    request: Request,
    db: Session,
    principal: Principal,
    t: Translator,
    cycle: Cycle,
    *,
    department: str = "",
    error: NorthstarError | None = None,
) -> Response:
    everyone = cycles.get_participants(db, principal, cycle)
    depts = sorted({(p.department.code, p.department.label(t.locale)) for p in everyone})
    pr = cycle_progress.progress(db, principal, cycle, department=department or None)
    me = next((p for p in everyone if p.employee_id == principal.employee_id), None)
    # departments' and the company's results are management information, not an employee's
    show_units = principal.role is not Role.employee
    units = [_unit_view(t, u) for u in scores.department_sheets(db, cycle)] if show_units else []
    enterprise = scores.enterprise_sheet(db, cycle) if show_units else None
    return render(
        request,
        "cycles/cycle.html",
        {
            "cycle": cycle,
            "coverage": _coverage(t, cycle),
            "kind_name": cycles.KIND_NAMES[cycle.kind],
            "state_names": guards.STATE_NAMES,
            "allowed_text": guards.ALLOWED_TEXT[cycle.state],
            "my_actions": [guards.ACTION_TEXT[a] for a in guards.actions_for(cycle.state, principal.role)]
            if not principal.read_only
            else [],
            "moves": _moves(principal, cycle),
            "may_take": _can(principal, cycle, Action.actuals) and principal.role in HR,
            "may_publish": _can(principal, cycle, Action.publish) and cycle.published_at is None,
            "may_remind": _can(principal, cycle, Action.remind),
            "participants": len(everyone),
            "departments": depts,
            "department": department,
            "progress": pr,
            "steps": cycle_progress.STEPS,
            "step_words": STEP_WORDS,
            "me": me,
            "units": units,
            "enterprise": _unit_view(t, enterprise) if enterprise else None,
            "grades": cycles.grades_of(cycle).grades,
            "forced": cycles.distribution_of(cycle),
            "notice": None if error else _notice(t, request, cycle),
            **_errors(t, error),
        },
        status_code=error.status if error else 200,
        active="cycles",
    )


@router.get("/cycles/{code}")
def cycle_page(
    request: Request, db: DB, principal: CurrentPrincipal, t: Tr, code: str, department: str = ""
) -> Response:
    """The cycle: state and what it allows, the moves, who has not done which step, the unit scorecards."""
    return _cycle_page(request, db, principal, t, cycles.get_cycle(db, code), department=department)


@router.post("/cycles/{code}/state")
def cycle_move(
    request: Request,
    db: DB,
    principal: Writer,
    t: Tr,
    code: str,
    to: Annotated[str, Form()] = "",
    version: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    cycle = cycles.get_cycle(db, code)

    def action() -> str:
        if to not in CycleState.__members__:
            raise ValidationFailed(
                N_("to: choose the state to move the cycle to."),
                problems=[Problem(N_("Choose the state to move the cycle to."), field="to")],
            )
        cycles.move(db, principal, cycle, CycleState(to), version=_version(version), reason=reason)
        return _done(f"/cycles/{code}", "moved", state=to)

    return form_action(
        db, action, rerender=lambda exc: _cycle_page(request, db, principal, t, cycle, error=exc)
    )


@router.post("/cycles/{code}/actuals/take")
def cycle_take(
    request: Request, db: DB, principal: Writer, settings: AppSettings, t: Tr, code: str
) -> Response:
    cycle = cycles.get_cycle(db, code)

    def action() -> str:
        out = cycle_actuals.take_computed(db, principal, settings, cycle)
        return _done(
            f"/cycles/{code}",
            "taken",
            added=out.added,
            refreshed=out.refreshed,
            unchanged=out.unchanged,
            kept=out.kept_manual,
            missing=out.without_data,
            by_hand=out.by_hand,
        )

    return form_action(
        db, action, rerender=lambda exc: _cycle_page(request, db, principal, t, cycle, error=exc)
    )


@router.post("/cycles/{code}/publish")
def cycle_publish(
    request: Request, db: DB, principal: Writer, t: Tr, code: str, version: Annotated[str, Form()] = ""
) -> Response:
    cycle = cycles.get_cycle(db, code)

    def action() -> str:
        reviews.publish(db, principal, cycle, version=_version(version))
        return _done(f"/cycles/{code}", "published")

    return form_action(
        db, action, rerender=lambda exc: _cycle_page(request, db, principal, t, cycle, error=exc)
    )


@router.post("/cycles/{code}/reminders")
def cycle_remind(request: Request, db: DB, principal: Writer, t: Tr, code: str) -> Response:
    cycle = cycles.get_cycle(db, code)

    def action() -> str:
        return _done(f"/cycles/{code}", "reminded", count=cycle_progress.remind(db, principal, cycle))

    return form_action(
        db, action, rerender=lambda exc: _cycle_page(request, db, principal, t, cycle, error=exc)
    )


@router.get("/cycles/{code}/changes")
def changes_page(request: Request, db: DB, principal: CurrentPrincipal, code: str) -> Response:
    """The plan's change log: every change with its reason, those made while the cycle ran flagged."""
    cycle = cycles.get_cycle(db, code)
    return render(
        request,
        "cycles/changes.html",
        {
            "cycle": cycle,
            "changes": cycles.list_changes(db, principal, cycle),
            "change_words": CHANGE_WORDS,
            "state_names": guards.STATE_NAMES,
        },
        active="cycles",
    )


# --- one person's cycle scorecard ------------------------------------------------------------


def _rubric_levels(rule: Mapping[str, Any] | None, locale: str) -> list[tuple[str, str]]:
    if not rule or rule.get("kind") != "rubric":
        return []
    parsed = RubricRule.model_validate(rule)
    return [
        (lvl.code, (lvl.description_en if locale == "en" and lvl.description_en else lvl.description))
        for lvl in parsed.levels
    ]


def _band_inputs(anchors: Mapping[str, Any]) -> list[dict[str, Any]]:
    return list(anchors.get("bands", []))


def _person_can(
    principal: Principal,
    cycle: Cycle,
    p: CycleParticipant,
    review: CycleReview | None,
    open_appeal: bool,
) -> dict[str, bool]:
    """Which forms of the person page the guards and the record rules would accept now."""
    own = p.employee_id is not None and p.employee_id == principal.employee_id
    step = review.step if review else ReviewStep.open
    published = cycle.published_at is not None
    rater_ok = (
        step is not ReviewStep.manager_submitted
        or (review is not None and review.rater_id == principal.user_id)
        or principal.role in HR
    )
    return {
        "plan": _can(principal, cycle, Action.plan) and not (principal.role is Role.manager and own),
        "enter": _can(principal, cycle, Action.actuals) and not own,
        "approve": _can(principal, cycle, Action.approve_actual),
        "self_review": _can(principal, cycle, Action.self_review) and own and step is ReviewStep.open,
        "waive": _can(principal, cycle, Action.self_review)
        and principal.role in HR
        and not own
        and step is ReviewStep.open,
        "manager_review": _can(principal, cycle, Action.manager_review)
        and not own
        and step is not ReviewStep.confirmed
        and rater_ok,
        "confirm": _can(principal, cycle, Action.confirm)
        and published
        and own
        and step is ReviewStep.manager_submitted
        and not open_appeal,
        "appeal": _can(principal, cycle, Action.appeal)
        and published
        and own
        and step is not ReviewStep.confirmed
        and not open_appeal,
        "evidence": _can(principal, cycle, Action.actuals),
    }


def _person_context(
    db: Session, principal: Principal, t: Translator, cycle: Cycle, p: CycleParticipant
) -> dict[str, Any]:
    rules = cycles.rules_of(db, cycle)
    sheet = scores.sheet(db, cycle, p)
    results = {r.code: r for r in sheet.result.items} if sheet.result else {}
    review = db.scalar(select(CycleReview).where(CycleReview.participant_id == p.id))
    flags = cycles.list_flags(db, principal, cycle, number=p.employee.number)
    flag_count = Counter(line.assignment_id for line in flags)
    mine = [a for a in cycle_appeals.list_appeals(db, principal, cycle) if a.participant_id == p.id]
    open_appeal = any(a.state is AppealState.open for a in mine)
    lines = []
    for line in sheet.lines:
        a = line.assignment
        frozen = rules.frozen.get(a.card_id)
        r = results.get(a.card.code)
        unit = frozen.unit if frozen is not None else a.card.unit
        anchors = rules.anchors(a)
        lines.append(
            {
                "a": a,
                "code": a.card.code,
                "name": (frozen or a.card).label(t.locale),
                "card_version": rules.version(a.card),
                "kind": line.kind,
                "weight": a.weight,
                "weight_used": r.weight_used if r else None,
                "anchors": anchors,
                "anchors_text": anchors_text(t, anchors),
                "value": value_text(t, line.value, unit, line.kind),
                "entered": value_text(t, line.actual.value, unit, line.kind) if line.actual else "—",
                "origin": line.origin,
                "held": line.held,
                "actual": line.actual,
                "score": r.score.value if r else None,
                "status": r.score.status if r else "",
                "steps": render_each(r.score.steps, t.gettext, locale=t.locale) if r else [],
                "flags": flag_count.get(a.id, 0),
                "levels": _rubric_levels(rules.rule(a.card), t.locale),
            }
        )
    return {
        "cycle": cycle,
        "p": p,
        "lines": lines,
        "sheet": sheet,
        "total_steps": render_each(sheet.result.steps, t.gettext, locale=t.locale) if sheet.result else [],
        "sheet_error": t.gettext(sheet.error.message, **sheet.error.params) if sheet.error else None,
        "review": review,
        "flags": flags,
        "teams": reviews.team_lines(db, cycle, p),
        "appeals": mine,
        "can": _person_can(principal, cycle, p, review, open_appeal),
        "grades": cycles.grades_of(cycle).grades,
        "state_names": guards.STATE_NAMES,
        "step_words": STEP_WORDS,
        "origin_words": ORIGIN_WORDS,
        "approval_words": APPROVAL_WORDS,
        "route_words": ROUTE_WORDS,
        "appeal_state_words": APPEAL_STATE_WORDS,
        "change_words": CHANGE_WORDS,
        "anchor_words": ANCHOR_WORDS,
        "target_fields": tg.TARGET_FIELDS,
        "number_text": lambda v: number_text(t, v),
        "routes": list(AppealRoute),
        "band_inputs": _band_inputs,
        "plain": cycles.decimal_text,
    }


def _person_page(
    request: Request,
    db: Session,
    principal: Principal,
    t: Translator,
    cycle: Cycle,
    number: str,
    *,
    error: NorthstarError | None = None,
    typed: Mapping[str, str] | None = None,
    failed: str = "",
) -> Response:
    p = cycles.get_participant(db, principal, cycle, number)
    ctx = _person_context(db, principal, t, cycle, p)
    ctx |= {
        "typed": dict(typed or {}),
        "failed": failed,
        "notice": None if error else _notice(t, request, cycle),
        **_errors(t, error),
    }
    return render(
        request, "cycles/person.html", ctx, status_code=error.status if error else 200, active="cycles"
    )


@router.get("/cycles/{code}/people/{number}")
def person_page(
    request: Request, db: DB, principal: CurrentPrincipal, t: Tr, code: str, number: str
) -> Response:
    """One person's cycle scorecard: plan, actuals with their origin, scores with their arithmetic,
    the reviews, the grades, and the forms of the steps the principal may take now."""
    return _person_page(request, db, principal, t, cycles.get_cycle(db, code), number)


def _person_act(
    request: Request,
    db: Session,
    principal: Principal,
    t: Translator,
    cycle: Cycle,
    number: str,
    action: Callable[[], str],
    *,
    typed: Mapping[str, str],
    failed: str,
) -> Response:
    return form_action(
        db,
        action,
        rerender=lambda exc: _person_page(
            request, db, principal, t, cycle, number, error=exc, typed=typed, failed=failed
        ),
    )


def _same(typed: str, current: object) -> bool:
    """Whether a typed anchor is the number that applies now (so the plan form sends no change)."""
    if current is None or current == "":
        return typed == ""
    try:
        return Decimal(typed) == Decimal(str(current))
    except InvalidOperation:
        return False


def _typed_targets(
    form: FormData, a: CycleAssignment, kind: str | None, anchors: Mapping[str, Any]
) -> dict[str, Any] | None:
    """The targets typed for one assignment, or None when they are the numbers in force."""
    key = a.id
    if not any(name.startswith(f"t-{key}-") for name in form):
        return None  # the form did not show this assignment's targets
    if kind in ("linear", "range"):
        fields = tg.TARGET_FIELDS[kind]
        typed = {f: _text(form, f"t-{key}-{f}").strip() for f in fields}
        if all(_same(typed[f], anchors.get(f)) for f in fields):
            return None
        # an optional anchor left empty is "none"; a required one stays empty so the check names it
        return {f: (None if v == "" and f == "stretch" else v) for f, v in typed.items()}
    if kind == "bands":
        current = list(anchors.get("bands", []))
        bands = []
        changed = False
        for i, band in enumerate(current):
            entry: dict[str, Any] = {}
            for bound in tg.BAND_BOUNDS:
                raw = _text(form, f"t-{key}-band-{i}-{bound}").strip()
                changed = changed or not _same(raw, band.get(bound))
                entry[bound] = raw or None
            bands.append(entry)
        return {"bands": bands} if changed else None
    return None


@router.post("/cycles/{code}/people/{number}/plan")
async def person_plan(request: Request, db: DB, principal: Writer, t: Tr, code: str, number: str) -> Response:
    """The plan form: ``weight-<assignment>``, ``t-<assignment>-<anchor>`` (bands:
    ``t-<assignment>-band-<i>-lower|upper``) and ``version-<assignment>``, plus the reason."""
    cycle = cycles.get_cycle(db, code)
    form = await request.form()
    typed = {k: v for k, v in form.items() if isinstance(v, str)}

    def action() -> str:
        p = cycles.get_participant(db, principal, cycle, number)
        rules = cycles.rules_of(db, cycle)
        items = []
        for a in p.assignments:
            if f"version-{a.id}" not in form:
                continue
            weight = None
            raw = _text(form, f"weight-{a.id}")
            if raw.strip():
                typed_weight = percent_field(raw, f"{a.card.code}.weight")
                weight = typed_weight if typed_weight != a.weight else None
            targets = _typed_targets(form, a, rules.kind(a.card), rules.anchors(a))
            if weight is not None or targets is not None:
                items.append(
                    planning.PlanItem(a.id, _version(_text(form, f"version-{a.id}")), weight, targets)
                )
        if not items:
            # the state's refusal first: on a closed cycle "nothing changed" would be beside the point
            guards.require(cycle.code, cycle.state, Action.plan, principal.role)
            raise ValidationFailed(
                N_("Nothing changed: change a weight or a target, then save with the reason."),
                problems=[Problem(N_("Change a weight or a target."), field="items")],
            )
        planning.set_person_plan(db, principal, cycle, number, items, reason=_text(form, "reason"))
        return _done(f"/cycles/{code}/people/{number}", "planned")

    return _person_act(request, db, principal, t, cycle, number, action, typed=typed, failed="plan")


async def _upload(form: FormData) -> tuple[str, bytes, str] | None:
    file = form.get("file")
    if not isinstance(file, UploadFile) or not file.filename:
        return None
    content = await file.read(cycle_actuals.MAX_EVIDENCE_BYTES + 1)
    return file.filename, content, file.content_type or ""


@router.post("/cycles/{code}/people/{number}/actuals/{card}")
async def person_actual(
    request: Request,
    db: DB,
    principal: Writer,
    settings: AppSettings,
    t: Tr,
    code: str,
    number: str,
    card: str,
) -> Response:
    """Enter a value by hand with a note and a reviewer, and attach the evidence file if one is sent."""
    cycle = cycles.get_cycle(db, code)
    form = await request.form()
    typed = {k: v for k, v in form.items() if isinstance(v, str)}
    upload = await _upload(form)

    def action() -> str:
        actual = cycle_actuals.enter_manual(
            db,
            principal,
            cycle,
            number,
            card,
            value=_text(form, "value"),
            note=_text(form, "note"),
            reviewer=_text(form, "reviewer"),
            version=_optional_version(_text(form, "version")),
        )
        if upload is not None:
            filename, content, content_type = upload
            cycle_actuals.add_evidence(
                db,
                principal,
                settings,
                cycle,
                actual.id,
                filename=filename,
                content=content,
                content_type=content_type,
            )
        return _done(f"/cycles/{code}/people/{number}", "entered") + f"#line-{card}"

    return _person_act(request, db, principal, t, cycle, number, action, typed=typed, failed=f"enter-{card}")


@router.post("/cycles/{code}/people/{number}/actuals/{actual_id:int}/evidence")
async def person_evidence(
    request: Request,
    db: DB,
    principal: Writer,
    settings: AppSettings,
    t: Tr,
    code: str,
    number: str,
    actual_id: int,
) -> Response:
    cycle = cycles.get_cycle(db, code)
    form = await request.form()
    upload = await _upload(form)

    def action() -> str:
        filename, content, content_type = upload or ("", b"", "")
        cycle_actuals.add_evidence(
            db,
            principal,
            settings,
            cycle,
            actual_id,
            filename=filename,
            content=content,
            content_type=content_type,
        )
        return _done(f"/cycles/{code}/people/{number}", "evidence")

    return _person_act(request, db, principal, t, cycle, number, action, typed={}, failed="evidence")


@router.post("/cycles/{code}/people/{number}/actuals/{actual_id:int}/decision")
def person_actual_decision(
    request: Request,
    db: DB,
    principal: Writer,
    t: Tr,
    code: str,
    number: str,
    actual_id: int,
    decision: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
    version: Annotated[str, Form()] = "",
) -> Response:
    cycle = cycles.get_cycle(db, code)

    def action() -> str:
        approve = decision == "approve"
        cycle_actuals.decide(
            db, principal, cycle, actual_id, approve=approve, note=note, version=_version(version)
        )
        return _done(f"/cycles/{code}/people/{number}", "approved" if approve else "rejected")

    return _person_act(
        request, db, principal, t, cycle, number, action, typed={"note": note}, failed=f"decide-{actual_id}"
    )


@router.get("/cycles/{code}/evidence/{evidence_id:int}")
def evidence_download(
    db: DB, principal: CurrentPrincipal, settings: AppSettings, code: str, evidence_id: int
) -> Response:
    """An evidence file, for whoever may see the value it supports."""
    ev, path = cycle_actuals.evidence_file(db, principal, settings, cycles.get_cycle(db, code), evidence_id)
    return FileResponse(path, media_type=ev.content_type, filename=ev.filename)


def _ratings(form: FormData) -> dict[str, str]:
    return {
        k.removeprefix("rating-"): v
        for k, v in form.items()
        if k.startswith("rating-") and isinstance(v, str) and v.strip()
    }


@router.post("/cycles/{code}/people/{number}/self-review")
async def person_self_review(
    request: Request, db: DB, principal: Writer, t: Tr, code: str, number: str
) -> Response:
    """Save or submit one's self-review: ``comment``, ``rating-<card>``, ``action`` save|submit."""
    cycle = cycles.get_cycle(db, code)
    form = await request.form()
    typed = {k: v for k, v in form.items() if isinstance(v, str)}

    def action() -> str:
        submit = _text(form, "action") == "submit"
        reviews.save_self_review(
            db,
            principal,
            cycle,
            number,
            comment=_text(form, "comment"),
            ratings=_ratings(form),
            submit=submit,
            version=_optional_version(_text(form, "version")),
        )
        return _done(f"/cycles/{code}/people/{number}", "self_submitted" if submit else "self_saved")

    return _person_act(request, db, principal, t, cycle, number, action, typed=typed, failed="self")


@router.post("/cycles/{code}/people/{number}/self-review/waive")
def person_waive(
    request: Request,
    db: DB,
    principal: Writer,
    t: Tr,
    code: str,
    number: str,
    reason: Annotated[str, Form()] = "",
) -> Response:
    cycle = cycles.get_cycle(db, code)

    def action() -> str:
        reviews.waive_self_review(db, principal, cycle, number, reason=reason)
        return _done(f"/cycles/{code}/people/{number}", "waived")

    return _person_act(
        request, db, principal, t, cycle, number, action, typed={"waive_reason": reason}, failed="waive"
    )


@router.post("/cycles/{code}/people/{number}/manager-review")
async def person_manager_review(
    request: Request, db: DB, principal: Writer, t: Tr, code: str, number: str
) -> Response:
    """Save or submit the manager review: ``comment``, ``rating-<card>``, ``contribution-<team
    indicator id>`` and ``action`` save|submit."""
    cycle = cycles.get_cycle(db, code)
    form = await request.form()
    typed = {k: v for k, v in form.items() if isinstance(v, str)}

    def action() -> str:
        submit = _text(form, "action") == "submit"
        reviews.save_manager_review(
            db,
            principal,
            cycle,
            number,
            comment=_text(form, "comment"),
            ratings=_ratings(form),
            contributions={
                k.removeprefix("contribution-"): v
                for k, v in form.items()
                if k.startswith("contribution-") and isinstance(v, str)
            },
            submit=submit,
            version=_optional_version(_text(form, "version")),
        )
        return _done(f"/cycles/{code}/people/{number}", "manager_submitted" if submit else "manager_saved")

    return _person_act(request, db, principal, t, cycle, number, action, typed=typed, failed="manager")


@router.post("/cycles/{code}/people/{number}/confirm")
def person_confirm(
    request: Request,
    db: DB,
    principal: Writer,
    t: Tr,
    code: str,
    number: str,
    comment: Annotated[str, Form()] = "",
    version: Annotated[str, Form()] = "",
) -> Response:
    cycle = cycles.get_cycle(db, code)

    def action() -> str:
        reviews.confirm(db, principal, cycle, number, comment=comment, version=_version(version))
        return _done(f"/cycles/{code}/people/{number}", "confirmed")

    return _person_act(
        request, db, principal, t, cycle, number, action, typed={"confirm_comment": comment}, failed="confirm"
    )


@router.post("/cycles/{code}/people/{number}/appeal")
def person_appeal(
    request: Request,
    db: DB,
    principal: Writer,
    t: Tr,
    code: str,
    number: str,
    reason: Annotated[str, Form()] = "",
    route: Annotated[str, Form()] = "hr",
) -> Response:
    cycle = cycles.get_cycle(db, code)

    def action() -> str:
        chosen = AppealRoute(route) if route in AppealRoute.__members__ else AppealRoute.hr
        cycle_appeals.file_appeal(db, principal, cycle, number, reason=reason, route=chosen)
        return _done(f"/cycles/{code}/people/{number}", "appealed")

    return _person_act(
        request,
        db,
        principal,
        t,
        cycle,
        number,
        action,
        typed={"appeal_reason": reason, "route": route},
        failed="appeal",
    )


# --- calibration -----------------------------------------------------------------------------


def _calibration_page(
    request: Request,
    db: Session,
    principal: Principal,
    t: Translator,
    cycle: Cycle,
    *,
    department: str = "",
    error: NorthstarError | None = None,
    typed: Mapping[str, str] | None = None,
) -> Response:
    dist = reviews.distribution(db, principal, cycle, department=department or None)
    everyone = cycles.get_participants(db, principal, cycle)
    shown = cycles.get_participants(db, principal, cycle, department=department or None)
    by_id = scores.reviews_of(db, cycle)
    forced = any(r.forced_share is not None for r in dist.rows)
    chart = {
        "labels": [r.code for r in dist.rows],
        "series": [
            {"name": t.gettext("Grades given"), "values": [r.count for r in dist.rows]},
            *(
                [
                    {
                        "name": t.gettext("Forced distribution"),
                        "values": [r.forced_count or 0 for r in dist.rows],
                    }
                ]
                if forced
                else []
            ),
        ],
    }
    return render(
        request,
        "cycles/calibration.html",
        {
            "cycle": cycle,
            "dist": dist,
            "forced": forced,
            "chart": json.dumps(chart, ensure_ascii=False),
            "departments": sorted({(p.department.code, p.department.label(t.locale)) for p in everyone}),
            "department": department,
            "people": [(p, by_id.get(p.id)) for p in shown],
            "grades": cycles.grades_of(cycle).grades,
            "may_calibrate": _can(principal, cycle, Action.calibrate) and cycle.published_at is None,
            "may_publish": _can(principal, cycle, Action.publish) and cycle.published_at is None,
            "number_text": lambda v: number_text(t, v),
            "effective": reviews.effective_grade,
            "step_words": STEP_WORDS,
            "state_names": guards.STATE_NAMES,
            "typed": dict(typed or {}),
            "notice": None if error else _notice(t, request, cycle),
            **_errors(t, error),
        },
        status_code=error.status if error else 200,
        active="cycles",
    )


@router.get("/cycles/{code}/calibration")
def calibration_page(
    request: Request, db: DB, principal: CurrentPrincipal, t: Tr, code: str, department: str = ""
) -> Response:
    """The grade distribution beside the forced one, per department, the participants' grades
    with the change form, and every calibration change with its reason."""
    return _calibration_page(request, db, principal, t, cycles.get_cycle(db, code), department=department)


@router.post("/cycles/{code}/calibration/{number}")
def calibration_change(
    request: Request,
    db: DB,
    principal: Writer,
    t: Tr,
    code: str,
    number: str,
    grade: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
    version: Annotated[str, Form()] = "",
    department: Annotated[str, Form()] = "",
) -> Response:
    cycle = cycles.get_cycle(db, code)

    def action() -> str:
        reviews.calibrate(db, principal, cycle, number, grade=grade, reason=reason, version=_version(version))
        url = _done(f"/cycles/{code}/calibration", "calibrated")
        return url + (f"&{urlencode({'department': department})}" if department else "")

    return form_action(
        db,
        action,
        rerender=lambda exc: _calibration_page(
            request,
            db,
            principal,
            t,
            cycle,
            department=department,
            error=exc,
            typed={"number": number, "grade": grade, "reason": reason},
        ),
    )


@router.post("/cycles/{code}/calibration-publish")
def calibration_publish(
    request: Request, db: DB, principal: Writer, t: Tr, code: str, version: Annotated[str, Form()] = ""
) -> Response:
    """Publish from the calibration page, staying on it."""
    cycle = cycles.get_cycle(db, code)

    def action() -> str:
        reviews.publish(db, principal, cycle, version=_version(version))
        return _done(f"/cycles/{code}/calibration", "published")

    return form_action(
        db, action, rerender=lambda exc: _calibration_page(request, db, principal, t, cycle, error=exc)
    )


# --- appeals ---------------------------------------------------------------------------------


def _appeals_page(
    request: Request,
    db: Session,
    principal: Principal,
    t: Translator,
    cycle: Cycle,
    *,
    error: NorthstarError | None = None,
    typed: Mapping[str, str] | None = None,
) -> Response:
    found = cycle_appeals.list_appeals(db, principal, cycle)
    raters = {pid: r.rater_id for pid, r in scores.reviews_of(db, cycle).items()}
    may = _can(principal, cycle, Action.decide_appeal)

    def decidable(a: CycleAppeal) -> bool:
        return (
            may
            and a.state is AppealState.open
            and cycle_appeals.may_decide(principal, a, raters.get(a.participant_id))
        )

    return render(
        request,
        "cycles/appeals.html",
        {
            "cycle": cycle,
            "appeals": [(a, decidable(a)) for a in found],
            "grades": cycles.grades_of(cycle).grades,
            "route_words": ROUTE_WORDS,
            "appeal_state_words": APPEAL_STATE_WORDS,
            "state_names": guards.STATE_NAMES,
            "typed": dict(typed or {}),
            "notice": None if error else _notice(t, request, cycle),
            **_errors(t, error),
        },
        status_code=error.status if error else 200,
        active="cycles",
    )


@router.get("/cycles/{code}/appeals")
def appeals_page(request: Request, db: DB, principal: CurrentPrincipal, t: Tr, code: str) -> Response:
    """The appeals in my scope, with the decision form for whoever decides each."""
    return _appeals_page(request, db, principal, t, cycles.get_cycle(db, code))


@router.post("/cycles/{code}/appeals/{appeal_id:int}/decision")
def appeal_decision(
    request: Request,
    db: DB,
    principal: Writer,
    t: Tr,
    code: str,
    appeal_id: int,
    outcome: Annotated[str, Form()] = "",
    decision: Annotated[str, Form()] = "",
    grade: Annotated[str, Form()] = "",
    version: Annotated[str, Form()] = "",
) -> Response:
    cycle = cycles.get_cycle(db, code)

    def action() -> str:
        if outcome not in ("uphold", "dismiss"):
            raise ValidationFailed(
                N_("outcome: choose to uphold the appeal or to dismiss it."),
                problems=[Problem(N_("Choose uphold or dismiss."), field="outcome")],
            )
        cycle_appeals.decide_appeal(
            db,
            principal,
            cycle,
            appeal_id,
            uphold=outcome == "uphold",
            decision=decision,
            grade=grade or None,
            version=_version(version),
        )
        return _done(f"/cycles/{code}/appeals", "decided")

    return form_action(
        db,
        action,
        rerender=lambda exc: _appeals_page(
            request,
            db,
            principal,
            t,
            cycle,
            error=exc,
            typed={"appeal": str(appeal_id), "decision": decision, "grade": grade, "outcome": outcome},
        ),
    )
