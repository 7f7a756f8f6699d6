"""Appeals against a published result (S9.4): routed to HR or to the skip-level manager — the
manager above the one who rated — and never to the manager who rated.

An appeal is possible only once calibration has closed the review and HR has published the
results, and only until the cycle closes; the cycle cannot close while one is open. An upheld
appeal changes the grade like a calibration change, naming the appeal; the employee then
confirms the new result.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, or_, select, true
from sqlalchemy.orm import Session

from northstar import audit
from northstar.cycles import guards
from northstar.cycles import service as cycles
from northstar.cycles.guards import HR, RATERS, Action, StateRefused
from northstar.cycles.models import AppealRoute, AppealState, Cycle, CycleAppeal, CycleParticipant, ReviewStep
from northstar.cycles.reviews import _published, _regrade, effective_grade
from northstar.cycles.scores import review_for
from northstar.db import check_version, utcnow
from northstar.errors import N_, Conflict, Forbidden, Named, NotFound, ValidationFailed
from northstar.org.models import Employee
from northstar.security.models import Role, User
from northstar.security.principal import Principal


def appeal_label(a: CycleAppeal) -> Named:
    who = f"{a.participant.employee.name} ({a.participant.employee.number})"
    return Named(f"The appeal of {who}", f"{who}的申诉")


def skip_level(db: Session, rater_id: int | None, participant: CycleParticipant) -> User | None:
    """The active account of the rater's own manager, if they may decide appeals and are neither
    the rater nor the person appealing."""
    rater = db.get(User, rater_id) if rater_id is not None else None
    if rater is None or rater.employee_id is None:
        return None
    boss_id = db.scalar(select(Employee.manager_id).where(Employee.id == rater.employee_id))
    if boss_id is None or boss_id == participant.employee_id:
        return None
    user = db.scalar(
        select(User).where(User.employee_id == boss_id, User.is_active.is_(True)).order_by(User.id)
    )
    if user is None or user.role not in RATERS or user.id == rater.id:
        return None
    return user


def file_appeal(
    db: Session,
    principal: Principal,
    cycle: Cycle,
    number: str,
    *,
    reason: str,
    route: AppealRoute = AppealRoute.hr,
) -> CycleAppeal:
    """The employee appeals their published result, to HR or to the skip-level manager (HR when
    there is none)."""
    cycles.lock(db, cycle)
    guards.require(cycle.code, cycle.state, Action.appeal, principal.role)
    p = cycles.get_participant(db, principal, cycle, number)
    if p.employee_id != principal.employee_id:
        raise Forbidden(N_("Only {name} appeals their own result."), name=p.employee.name)
    _published(cycle)
    review = review_for(db, p)
    if review.step is ReviewStep.confirmed:
        raise StateRefused(
            N_("You confirmed this result on {at}: a confirmed result cannot be appealed."),
            at=str(review.confirmed_at)[:16],
        )
    if db.scalar(
        select(CycleAppeal.id).where(
            CycleAppeal.participant_id == p.id, CycleAppeal.state == AppealState.open
        )
    ):
        raise Conflict(N_("You have an open appeal in this cycle already: wait for its decision."))
    text = (reason or "").strip()
    if len(text) < 10:
        raise ValidationFailed(
            N_(
                "reason: say what you disagree with and why (at least a sentence), so that it can be looked into."
            ),
            field="reason",
        )
    handler = skip_level(db, review.rater_id, p) if route is AppealRoute.skip_level else None
    appeal = CycleAppeal(
        cycle_id=cycle.id,
        participant_id=p.id,
        reason=text,
        route=AppealRoute.skip_level if handler is not None else AppealRoute.hr,
        handler_id=handler.id if handler else None,
        handler=handler.username if handler else "",
    )
    db.add(appeal)
    db.flush()
    audit.record(
        db,
        principal.actor,
        action="appeal",
        entity="cycle_appeal",
        entity_id=f"{cycle.code}/{number}/{appeal.id}",
        changes={"route": (None, f"{appeal.route.value} {appeal.handler}".strip())},
        reason=text,
    )
    return appeal


def appeal_filter(principal: Principal) -> ColumnElement[bool]:
    """Appeals a principal sees: HR, executives and auditors all; a handler theirs; everyone their own."""
    if principal.role in HR or principal.role in (Role.auditor, Role.executive):
        return true()
    own = CycleAppeal.participant_id.in_(
        select(CycleParticipant.id).where(CycleParticipant.employee_id == principal.employee_id)
    )
    return or_(own, CycleAppeal.handler_id == principal.user_id)


def list_appeals(db: Session, principal: Principal, cycle: Cycle) -> list[CycleAppeal]:
    q = select(CycleAppeal).where(CycleAppeal.cycle_id == cycle.id).order_by(CycleAppeal.id.desc())
    q = q.where(appeal_filter(principal))
    return list(db.scalars(q).unique())


def get_appeal(db: Session, principal: Principal, cycle: Cycle, appeal_id: int) -> CycleAppeal:
    found = next((a for a in list_appeals(db, principal, cycle) if a.id == appeal_id), None)
    if found is None:
        raise NotFound(
            N_("No appeal {id} in cycle {cycle} that you may see."), id=appeal_id, cycle=cycle.code
        )
    return found


def may_decide(principal: Principal, appeal: CycleAppeal, rater_id: int | None) -> bool:
    if principal.user_id is not None and principal.user_id == rater_id:
        return False
    if appeal.participant.employee_id == principal.employee_id:
        return False
    if appeal.route is AppealRoute.skip_level:
        return principal.user_id == appeal.handler_id or principal.role in HR
    return principal.role in HR


def decide_appeal(
    db: Session,
    principal: Principal,
    cycle: Cycle,
    appeal_id: int,
    *,
    uphold: bool,
    decision: str,
    grade: str | None = None,
    version: int,
) -> CycleAppeal:
    """Uphold an appeal with a new grade, or dismiss it; always with the decision's reasons.
    The manager who rated never decides."""
    cycles.lock(db, cycle)
    guards.require(cycle.code, cycle.state, Action.decide_appeal, principal.role)
    appeal = get_appeal(db, principal, cycle, appeal_id)
    check_version(appeal, version, appeal_label(appeal))
    if appeal.state is not AppealState.open:
        raise StateRefused(N_("This appeal was decided already ({state})."), state=appeal.state.value)
    review = review_for(db, appeal.participant)
    if principal.user_id is not None and principal.user_id == review.rater_id:
        raise Forbidden(
            N_(
                "You rated {name}: an appeal against that rating is decided by HR or the skip-level manager, never by the manager who rated."
            ),
            name=appeal.participant.employee.name,
        )
    if not may_decide(principal, appeal, review.rater_id):
        raise Forbidden(
            N_("This appeal is routed to {handler}: only they decide it."),
            handler=appeal.handler or "HR",
        )
    text = (decision or "").strip()
    if not text:
        raise ValidationFailed(
            N_("decision: give the reasons for the decision; the employee reads them."), field="decision"
        )
    if uphold:
        codes = [g.code for g in cycles.grades_of(cycle).grades]
        if grade not in codes:
            raise ValidationFailed(
                N_("grade: an upheld appeal sets a new grade, one of {grades}."),
                grades=", ".join(codes),
                field="grade",
            )
        if grade == effective_grade(review):
            raise ValidationFailed(
                N_("grade: the grade is {grade} already; dismiss the appeal or choose another grade."),
                grade=grade,
                field="grade",
            )
        assert grade is not None
        _regrade(db, principal, cycle, appeal.participant, review, grade, text, appeal)
        appeal.new_grade = grade
    appeal.state = AppealState.upheld if uphold else AppealState.dismissed
    appeal.decision = text
    appeal.decided_by = principal.username
    appeal.decided_at = utcnow()
    db.flush()
    audit.record(
        db,
        principal.actor,
        action="decide",
        entity="cycle_appeal",
        entity_id=f"{cycle.code}/{appeal.participant.employee.number}/{appeal.id}",
        changes={"state": (AppealState.open, appeal.state)},
        reason=text,
    )
    return appeal
