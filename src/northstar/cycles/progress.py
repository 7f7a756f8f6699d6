"""Who has not done their step (issue 6, step 6): the cycle's progress by person, the steps due
from each user, and in-app reminders of them.

One function (``due_map``) decides which step is due from whom in a cycle's current state; the
progress page, the "due from me" list and the reminders HR sends all read it, so they agree.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from northstar.cycles import guards
from northstar.cycles import service as cycles
from northstar.cycles.actuals import actuals_of
from northstar.cycles.guards import HR, Action
from northstar.cycles.models import (
    AppealRoute,
    AppealState,
    Approval,
    Cycle,
    CycleActual,
    CycleAppeal,
    CycleParticipant,
    CycleReminder,
    CycleReview,
    CycleState,
    ReviewStep,
)
from northstar.cycles.scores import reviews_by_participant, reviews_of
from northstar.db import utcnow
from northstar.errors import N_, NotFound
from northstar.org.models import Department, Employee
from northstar.security.models import User
from northstar.security.principal import Principal

HUNDRED = cycles.HUNDRED

#: the steps, in the order of a cycle, with how a list names them
STEPS = {
    "plan": N_("set targets and weights adding up to 100%"),
    "actuals": N_("enter the missing actuals"),
    "approve_actual": N_("approve hand-entered actuals"),
    "self_review": N_("write your self-review"),
    "manager_review": N_("review your team"),
    "publish": N_("calibrate and publish the results"),
    "confirm": N_("confirm your result or appeal"),
    "decide_appeal": N_("decide appeals"),
}


@dataclass(frozen=True)
class Row:
    """One participant's progress: the steps done and the one due now (None: nothing due)."""

    participant: CycleParticipant
    weights_ok: bool
    actuals_counted: int
    actuals_needed: int
    actuals_pending: int
    review: CycleReview | None
    appeal_open: bool
    rater: str
    due: str | None


@dataclass(frozen=True)
class Progress:
    rows: list[Row]
    #: step → how many people it is due for
    waiting: Counter[str]


def _rater_ids(db: Session, participants: Sequence[CycleParticipant]) -> dict[int, int | None]:
    """Participant id → the employee expected to rate them: their manager, else their
    department's head (when that is not themselves)."""
    heads = dict(db.execute(select(Department.id, Department.head_id)).all())
    out: dict[int, int | None] = {}
    for p in participants:
        boss = p.employee.manager_id
        if boss is None:
            head = heads.get(p.department_id)
            boss = head if head != p.employee_id else None
        out[p.id] = boss
    return out


def _step_due(cycle: Cycle, weights_ok: bool, review: CycleReview | None, appeal_open: bool) -> str | None:
    step = review.step if review else ReviewStep.open
    if cycle.state is CycleState.planning:
        return None if weights_ok else "plan"
    if cycle.state is CycleState.review:
        if step is ReviewStep.open:
            return "self_review"
        if step is ReviewStep.self_submitted:
            return "manager_review"
    if cycle.state is CycleState.calibration:
        if cycle.published_at is None:
            return "publish"
        if appeal_open:
            return "decide_appeal"
        if step is ReviewStep.manager_submitted:
            return "confirm"
    return None


def progress(db: Session, principal: Principal, cycle: Cycle, *, department: str | None = None) -> Progress:
    """The progress of the participants the principal may see."""
    participants = cycles.get_participants(db, principal, cycle, department=department)
    rules = cycles.rules_of(db, cycle)
    reviews = reviews_of(db, cycle)
    actuals = actuals_of(db, cycle)
    open_appeals = set(
        db.scalars(
            select(CycleAppeal.participant_id).where(
                CycleAppeal.cycle_id == cycle.id, CycleAppeal.state == AppealState.open
            )
        )
    )
    raters = _rater_ids(db, participants)
    names: dict[int, str] = {
        emp_id: name
        for emp_id, name in db.execute(
            select(Employee.id, Employee.name).where(Employee.id.in_([r for r in raters.values() if r]))
        )
    }
    rows = []
    waiting: Counter[str] = Counter()
    for p in participants:
        weights_ok = cycles.weight_sum(p.assignments, rules) == HUNDRED
        needed = [a for a in p.assignments if rules.kind(a.card) != "rubric"]
        counted = sum(
            1 for a in needed if a.id in actuals and actuals[a.id].counts and actuals[a.id].value is not None
        )
        pending = sum(1 for a in needed if a.id in actuals and actuals[a.id].approval is Approval.pending)
        review = reviews.get(p.id)
        due = _step_due(cycle, weights_ok, review, p.id in open_appeals)
        if due:
            waiting[due] += 1
        # who rated, once someone has; until then who is expected to
        rater = review.rater if review and review.rater else names.get(raters.get(p.id) or 0, "")
        rows.append(
            Row(
                p,
                weights_ok,
                counted,
                len(needed),
                pending,
                review,
                p.id in open_appeals,
                rater,
                due,
            )
        )
    return Progress(rows, waiting)


def due_map(db: Session, cycle: Cycle) -> dict[int, Counter[str]]:
    """User id → step → how many of that step are due from them in ``cycle`` now."""
    return _due(db, cycle, cycles.all_participants(db, cycle))


def _concerning(db: Session, cycle: Cycle, employee_id: int | None) -> list[CycleParticipant]:
    """The participants whose step may be due from this employee: themselves, and those they are
    expected to rate (their reports; the people without a manager in departments they head)."""
    if employee_id is None:
        return []
    headed = select(Department.id).where(Department.head_id == employee_id)
    return list(
        db.scalars(
            select(CycleParticipant)
            .join(Employee, CycleParticipant.employee_id == Employee.id)
            .where(
                CycleParticipant.cycle_id == cycle.id,
                or_(
                    Employee.id == employee_id,
                    Employee.manager_id == employee_id,
                    and_(Employee.manager_id.is_(None), CycleParticipant.department_id.in_(headed)),
                ),
            )
        ).unique()
    )


def _due(db: Session, cycle: Cycle, participants: Sequence[CycleParticipant]) -> dict[int, Counter[str]]:
    out: dict[int, Counter[str]] = defaultdict(Counter)
    if cycle.state in (CycleState.draft, CycleState.closed):
        return out
    raters = _rater_ids(db, participants)
    wanted = {p.employee_id for p in participants} | {r for r in raters.values() if r}
    users = {
        u.employee_id: u
        for u in db.scalars(select(User).where(User.employee_id.in_(wanted), User.is_active.is_(True)))
        if u.employee_id is not None
    }
    hr_users = [
        u.id for u in db.scalars(select(User).where(User.role.in_(list(HR)), User.is_active.is_(True)))
    ]
    rules = cycles.rules_of(db, cycle)
    reviews = reviews_by_participant(db, [p.id for p in participants])
    appeals = list(
        db.scalars(
            select(CycleAppeal).where(CycleAppeal.cycle_id == cycle.id, CycleAppeal.state == AppealState.open)
        ).unique()
    )
    appealing = {a.participant_id for a in appeals}

    def user_of(employee_id: int | None) -> int | None:
        u = users.get(employee_id) if employee_id is not None else None
        return u.id if u is not None else None

    for p in participants:
        weights_ok = cycles.weight_sum(p.assignments, rules) == HUNDRED
        step = _step_due(cycle, weights_ok, reviews.get(p.id), p.id in appealing)
        who: list[int | None]
        if step in ("plan", "manager_review"):
            who = [user_of(raters.get(p.id))]
        elif step in ("self_review", "confirm"):
            who = [user_of(p.employee_id)]
        else:
            continue  # publish and appeals are counted once per cycle below
        for uid in who:
            if uid is not None:
                out[uid][step] += 1
    if cycle.state is CycleState.calibration and cycle.published_at is None:
        for uid in hr_users:
            out[uid]["publish"] += 1
    for a in appeals:
        for uid in [a.handler_id] if a.route is AppealRoute.skip_level and a.handler_id else hr_users:
            out[uid]["decide_appeal"] += 1
    if cycle.state in (CycleState.running, CycleState.review):
        for actual in db.scalars(
            select(CycleActual).where(
                CycleActual.cycle_id == cycle.id, CycleActual.approval == Approval.pending
            )
        ):
            if actual.reviewer_id is not None:
                out[actual.reviewer_id]["approve_actual"] += 1
    return out


@dataclass(frozen=True)
class Due:
    cycle: Cycle
    step: str
    count: int


def open_cycles(db: Session) -> list[Cycle]:
    return list(
        db.scalars(
            select(Cycle)
            .where(Cycle.state.not_in([CycleState.draft, CycleState.closed]))
            .order_by(Cycle.start.desc(), Cycle.code)
        )
    )


def due_for(db: Session, principal: Principal) -> list[Due]:
    """The steps due from the principal across the open cycles, in the order of a cycle."""
    if principal.user_id is None:
        return []
    out = []
    order = list(STEPS)
    for cycle in open_cycles(db):
        # only the rows that concern the principal: the navigation badge asks on every page
        mine = _due(db, cycle, _concerning(db, cycle, principal.employee_id)).get(
            principal.user_id, Counter()
        )
        out += [Due(cycle, step, mine[step]) for step in sorted(mine, key=order.index)]
    return out


def remind(db: Session, principal: Principal, cycle: Cycle) -> int:
    """Send an in-app reminder to everyone with a step due in the cycle; an unread reminder of
    the same step is refreshed, not repeated. Returns how many people were reminded."""
    cycles.lock(db, cycle)
    guards.require(cycle.code, cycle.state, Action.remind, principal.role)
    due = due_map(db, cycle)
    unread = {
        (r.user_id, r.step): r
        for r in db.scalars(
            select(CycleReminder).where(CycleReminder.cycle_id == cycle.id, CycleReminder.read_at.is_(None))
        ).unique()
    }
    people = 0
    for uid, steps in due.items():
        if uid == principal.user_id:
            continue
        people += 1
        for step, count in steps.items():
            r = unread.get((uid, step))
            if r is None:
                db.add(
                    CycleReminder(
                        cycle_id=cycle.id, user_id=uid, step=step, count=count, sent_by=principal.username
                    )
                )
            else:
                r.count, r.sent_at, r.sent_by = count, utcnow(), principal.username
    db.flush()
    return people


def reminders_for(db: Session, principal: Principal) -> list[CycleReminder]:
    """The principal's unread reminders, newest first."""
    if principal.user_id is None:
        return []
    return list(
        db.scalars(
            select(CycleReminder)
            .where(CycleReminder.user_id == principal.user_id, CycleReminder.read_at.is_(None))
            .order_by(CycleReminder.sent_at.desc(), CycleReminder.id.desc())
        ).unique()
    )


def mark_read(db: Session, principal: Principal, reminder_id: int) -> CycleReminder:
    r = db.get(CycleReminder, reminder_id)
    if r is None or r.user_id != principal.user_id:
        raise NotFound(N_("No reminder {id} of yours."), id=reminder_id)
    if r.read_at is None:
        r.read_at = utcnow()
        db.flush()
    return r


def due_url(due: Due, number: str | None) -> str:
    """Where a due step is done (``number``: the person's own page for their own steps)."""
    base = f"/cycles/{due.cycle.code}"
    if due.step in ("self_review", "confirm") and number:
        return f"{base}/people/{number}"
    if due.step == "publish":
        return f"{base}/calibration"
    if due.step == "decide_appeal":
        return f"{base}/appeals"
    return f"{base}#progress"
