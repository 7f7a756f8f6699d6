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


HR = frozenset({Role.admin, Role.hr})
PLANNERS = HR | {Role.manager}

#: state → action → the roles that may do it in that state; an action not listed is refused
GUARDS: dict[CycleState, dict[Action, frozenset[Role]]] = {
    CycleState.draft: {Action.edit: HR, Action.advance: HR},
    CycleState.planning: {Action.edit: HR, Action.advance: HR, Action.plan: PLANNERS},
    # a change inside a running cycle is HR's, with a reason, and flagged on every scorecard it touches
    CycleState.running: {Action.advance: HR, Action.plan: HR, Action.change_card: HR},
    CycleState.review: {Action.advance: HR},
    CycleState.calibration: {Action.advance: HR, Action.reopen: HR},
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
        "and each change is flagged on every scorecard it touches; HR moves the cycle on to review."
    ),
    CycleState.review: N_("In review, the plan is fixed; HR moves the cycle on to calibration."),
    CycleState.calibration: N_(
        "In calibration, the plan is fixed; HR closes the cycle or reopens it for review with a reason."
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
