"""Who may do what in each state of a cycle: the one table every cycle operation asks (S9.1).

The table names roles; the record scope (a manager plans only for people in their department
subtree and their reports, never for themselves) is applied by the service on top of it.
A refusal names the state and says what the state allows, so the user knows whom to ask.
"""

from __future__ import annotations

import enum
from typing import Any

from northstar.cycles.models import CycleState
from northstar.errors import N_, Conflict, Forbidden, Label
from northstar.security.models import Role


class Action(enum.StrEnum):
    edit = "edit"  # name, grades, forced distribution; kind, dates and coverage before enrolment
    advance = "advance"  # move on to the next state
    reopen = "reopen"  # calibration back to review, with a reason
    plan = "plan"  # targets and weights, in bulk or per person
    change_card = "change_card"  # take a card's newer version into the frozen set
    actuals = "actuals"  # take actuals from the metrics engine, or enter one by hand with evidence
    approve_actual = "approve_actual"  # the named reviewer approves or rejects a hand-entered actual
    self_review = "self_review"  # one's own comments and rubric self-ratings
    manager_review = "manager_review"  # the rater's comments, rubric ratings and contributions
    remind = "remind"  # send in-app reminders to everyone with a step due
    calibrate = "calibrate"  # change a grade, with a reason, before results are published
    publish = "publish"  # publish the calibrated results to the employees
    confirm = "confirm"  # the employee confirms their published result
    appeal = "appeal"  # the employee appeals their published result
    decide_appeal = "decide_appeal"  # HR or the skip-level manager decides an appeal


HR = frozenset({Role.admin, Role.hr})
PLANNERS = HR | {Role.manager}
#: who rates people and checks hand-entered actuals: HR, managers, and executives for their reports
RATERS = HR | {Role.manager, Role.executive}
#: everyone who can be a participant (auditors read only)
EVERYONE = RATERS | {Role.employee}

#: state → action → the roles that may do it in that state; an action not listed is refused
GUARDS: dict[CycleState, dict[Action, frozenset[Role]]] = {
    CycleState.draft: {Action.edit: HR, Action.advance: HR},
    CycleState.planning: {Action.edit: HR, Action.advance: HR, Action.plan: PLANNERS, Action.remind: HR},
    # a change inside a running cycle is HR's, with a reason, and flagged on every scorecard it touches
    CycleState.running: {
        Action.advance: HR,
        Action.plan: HR,
        Action.change_card: HR,
        Action.actuals: RATERS,
        Action.approve_actual: RATERS,
        Action.remind: HR,
    },
    CycleState.review: {
        Action.advance: HR,
        Action.actuals: RATERS,
        Action.approve_actual: RATERS,
        Action.self_review: EVERYONE,
        Action.manager_review: RATERS,
        Action.remind: HR,
    },
    # the service adds the order inside calibration: grades change before results are published,
    # employees confirm or appeal after
    CycleState.calibration: {
        Action.advance: HR,
        Action.reopen: HR,
        Action.calibrate: HR,
        Action.publish: HR,
        Action.confirm: EVERYONE,
        Action.appeal: EVERYONE,
        Action.decide_appeal: RATERS,
        Action.remind: HR,
    },
    CycleState.closed: {},
}

ORDER = list(CycleState)

STATE_NAMES = {
    CycleState.draft: N_("draft"),
    CycleState.planning: N_("planning"),
    CycleState.running: N_("running"),
    CycleState.review: N_("review"),
    CycleState.calibration: N_("calibration"),
    CycleState.closed: N_("closed"),
}

#: how a message says a cycle "is" in a state: "Cycle 2026-Q1 is in planning", "… is running"
STATE_PHRASES = {
    CycleState.draft: N_("in draft"),
    CycleState.planning: N_("in planning"),
    CycleState.running: N_("running"),
    CycleState.review: N_("in review"),
    CycleState.calibration: N_("in calibration"),
    CycleState.closed: N_("closed"),
}

ACTION_TEXT = {
    Action.edit: N_("change the cycle's settings"),
    Action.advance: N_("move the cycle on"),
    Action.reopen: N_("reopen the cycle for review"),
    Action.plan: N_("change targets and weights"),
    Action.change_card: N_("take a new card version into the cycle"),
    Action.actuals: N_("enter or take actuals"),
    Action.approve_actual: N_("approve a hand-entered actual"),
    Action.self_review: N_("write a self-review"),
    Action.manager_review: N_("write a manager review"),
    Action.remind: N_("send reminders"),
    Action.calibrate: N_("change a grade in calibration"),
    Action.publish: N_("publish the results"),
    Action.confirm: N_("confirm a result"),
    Action.appeal: N_("appeal a result"),
    Action.decide_appeal: N_("decide an appeal"),
}

#: what each state allows, said once for every refusal in that state
ALLOWED_TEXT = {
    CycleState.draft: N_(
        "In draft, HR sets the cycle up (kind, dates, coverage, grades) and opens planning, which "
        "enrols the participants."
    ),
    CycleState.planning: N_(
        "In planning, HR changes the cycle's settings and anyone's targets and weights, managers set "
        "them for the people in their department subtree and their reports, and HR starts the cycle."
    ),
    CycleState.running: N_(
        "While the cycle runs, only HR changes targets, weights or a frozen card, always with a reason, "
        "and each change is flagged on every scorecard it touches; actuals are taken from data or entered "
        "by hand for a reviewer to approve; HR moves the cycle on to review."
    ),
    CycleState.review: N_(
        "In review, the plan is fixed: employees write their self-reviews, then their managers review "
        "them; HR moves the cycle on to calibration once every manager review is in."
    ),
    CycleState.calibration: N_(
        "In calibration, the plan is fixed: HR changes grades with a reason and publishes the results, "
        "then employees confirm or appeal; HR closes the cycle or reopens it for review with a reason."
    ),
    CycleState.closed: N_("A closed cycle cannot be changed by anyone."),
}


class StateRefused(Conflict):
    """The action does not fit the cycle's state; the message says what the state allows."""

    code = "cycle_state"


def allowed(state: CycleState, action: Action, role: Role) -> bool:
    return role in GUARDS[state].get(action, frozenset())


def actions_for(state: CycleState, role: Role) -> list[Action]:
    """The actions ``role`` may take in ``state`` (before record scope), in the table's order."""
    return [a for a, roles in GUARDS[state].items() if role in roles]


def require(cycle_code: str, state: CycleState, action: Action, role: Role) -> None:
    """Refuse ``action`` unless the table allows it to ``role`` in ``state``: 409 when no role may
    do it in this state, 403 when another role may."""
    roles = GUARDS[state].get(action)
    params: dict[str, Any] = {
        "cycle": cycle_code,
        "state": Label(STATE_PHRASES[state]),
        "action": Label(ACTION_TEXT[action]),
        "allowed": Label(ALLOWED_TEXT[state]),
    }
    if not roles:
        raise StateRefused(N_("Cycle {cycle} is {state}: you cannot {action} now. {allowed}"), **params)
    if role not in roles:
        raise Forbidden(
            N_("Cycle {cycle} is {state}: your role ({role}) may not {action}. {allowed}"),
            role=Label(role.value),
            **params,
        )


def next_state(state: CycleState) -> CycleState | None:
    i = ORDER.index(state)
    return ORDER[i + 1] if i + 1 < len(ORDER) else None
