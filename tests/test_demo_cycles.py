"""The demo company's performance cycles (issue 6, step 8; S9.4, S9.1): a closed 2026-Q3 with
reviews, a calibration against the forced distribution and one appeal, and a running 2026-Q4
with plan changes, a flagged mid-cycle change and a hand-entered value waiting for approval.

Read through the services, as the pages do; the demo is the session's (tests/conftest.py).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from northstar.cycles import actuals, appeals, reviews, scores
from northstar.cycles import service as cycles
from northstar.cycles.models import (
    ActualOrigin,
    AppealRoute,
    AppealState,
    Approval,
    CycleChange,
    CycleState,
    ReviewStep,
)
from northstar.demo import cycles as demo_cycles
from northstar.scorecards.models import TeamMember
from northstar.security import service as security
from northstar.security.models import User
from northstar.security.principal import Principal


def login(db: Session, username: str) -> Principal:
    user = db.scalar(select(User).where(User.username == username))
    assert user is not None
    return security.principal_of(user)


@pytest.mark.req("S9.4")
def test_the_closed_quarter_was_reviewed_calibrated_appealed_confirmed_and_closed(
    demo: list[Any], db: Session
) -> None:
    hr = login(db, "hr")
    q3 = cycles.get_cycle(db, demo_cycles.CLOSED)
    assert q3.state is CycleState.closed and q3.published_at is not None and q3.closed_at is not None
    assert q3.forced_distribution == {k: str(v) for k, v in demo_cycles.FORCED.items()}
    participants = cycles.all_participants(db, q3)
    found = scores.reviews_of(db, q3)
    assert len(participants) > 250 and set(found) == {p.id for p in participants}

    # every self-review is written or waived by HR with a reason; every manager review is by
    # someone other than the person, with comments and a rating of each rubric indicator
    waived = [r for r in found.values() if r.self_waived]
    assert 2 <= len(waived) <= 10
    rules = cycles.rules_of(db, q3)
    accounts = {u.username: u.employee_id for u in security.get_all_users(db)}
    rubric_rated = 0
    for p in participants:
        r = found[p.id]
        assert r.self_waived or len(r.self_comment) >= 20, p.employee.number
        # a login rates as itself; anyone else acts under their employee number (demo/cycles.py)
        assert r.manager_comment and r.rater and r.rater != p.employee.number
        assert accounts.get(r.rater) != p.employee_id
        for a in p.assignments:
            if rules.kind(a.card) == "rubric":
                assert r.manager_ratings.get(a.card.code), (p.employee.number, a.card.code)
                rubric_rated += 1
        assert r.final_grade is not None and r.score_status == "scored"
    assert rubric_rated > 0
    # the comments vary: drawn from phrase lists per person, not one text for everyone
    assert len({r.manager_comment for r in found.values()}) > 50
    assert len({r.self_comment for r in found.values() if r.self_comment}) > 50

    # the R&D team indicator's members have their contribution evaluated by their manager
    members = {m.employee_id: m.team_indicator_id for m in db.scalars(select(TeamMember))}
    team = [p for p in participants if p.employee_id in members]
    assert team
    for p in team:
        assert found[p.id].contributions.get(str(members[p.employee_id])), p.employee.number

    # the values no metric gives were entered by hand, named their reviewer, and were approved
    hand = [a for a in actuals.actuals_of(db, q3).values() if a.origin is ActualOrigin.manual]
    assert hand and all(a.approval is Approval.approved and a.note for a in hand)
    assert all(a.reviewer and a.reviewer != a.entered_by for a in hand)

    # calibration: the distribution beside the forced one, and each change with its reason
    dist = reviews.distribution(db, hr, q3)
    assert dist.total == len(participants) and dist.ungraded == 0
    assert {row.code: row.forced_share for row in dist.rows} == demo_cycles.FORCED
    assert sum(row.count for row in dist.rows) == len(participants)
    calibrated = [c for c in dist.changes if c.appeal_id is None]
    assert 3 <= len(calibrated) <= 8
    for c in calibrated:
        assert c.reason and c.old_grade != c.new_grade and c.actor_name == "hr"
        assert found[c.participant_id].final_grade == c.new_grade

    # one appeal, routed skip-level (the rater's own manager), decided with reasons, never by the rater
    appealed = appeals.list_appeals(db, hr, q3)
    assert len(appealed) == 1
    appeal = appealed[0]
    rater = found[appeal.participant_id].rater
    assert appeal.route is AppealRoute.skip_level and appeal.handler == "executive" and rater == "manager"
    assert appeal.state in (AppealState.upheld, AppealState.dismissed)
    assert appeal.decision and appeal.decided_by and appeal.decided_by != rater
    assert appeal.decided_by == appeal.handler

    # everyone confirmed, except an appellant whose appeal was dismissed
    unconfirmed = {pid for pid, r in found.items() if r.step is not ReviewStep.confirmed}
    assert unconfirmed == ({appeal.participant_id} if appeal.state is AppealState.dismissed else set())


@pytest.mark.req("S9.1")
def test_the_running_quarter_has_its_plan_changes_a_flagged_mid_cycle_change_and_a_pending_value(
    demo: list[Any], db: Session
) -> None:
    hr = login(db, "hr")
    q4 = cycles.get_cycle(db, demo_cycles.RUNNING)
    assert q4.state is CycleState.running and q4.started_at is not None and q4.published_at is None
    assert len(cycles.all_participants(db, q4)) > 250

    changes = list(db.scalars(select(CycleChange).where(CycleChange.cycle_id == q4.id)).unique())
    assert all(c.reason for c in changes)
    planned = [c for c in changes if not c.mid_cycle]
    mid = [c for c in changes if c.mid_cycle]
    # planning: the managers' per-person target changes, by someone other than the person
    personal = [c for c in planned if c.selector.startswith("employee ")]
    assert len(personal) >= 2 and all(c.actor_name != c.selector.split()[1] for c in personal)
    # running: HR's one change, flagged on every scorecard it touched
    assert len(mid) == 1 and mid[0].actor_name == "hr"
    flags = cycles.list_flags(db, hr, q4)
    assert len(flags) == len(mid[0].lines) > 1 and all(f.change.reason for f in flags)

    # the computed actuals for the part of the quarter the data covers, and one value by hand
    # waiting for the ``manager`` login's approval, which does not count until approved
    taken = actuals.actuals_of(db, q4).values()
    assert sum(a.origin is ActualOrigin.computed for a in taken) > 500
    pending = actuals.pending_for(db, login(db, "manager"), [q4.id])
    assert len(pending) == 1
    value = pending[0]
    assert value.origin is ActualOrigin.manual and value.approval is Approval.pending and not value.counts
    assert value.note and value.evidence and value.reviewer == "manager"


@pytest.mark.req("S9.4")
@pytest.mark.req("S9.1")
def test_the_employee_login_has_a_q3_result_and_a_q4_scorecard(demo: list[Any], db: Session) -> None:
    me = login(db, "employee")
    assert me.employee_id is not None
    q3 = cycles.get_cycle(db, demo_cycles.CLOSED)
    q4 = cycles.get_cycle(db, demo_cycles.RUNNING)
    mine = cycles.get_participants(db, me, q3)
    assert [p.employee_id for p in mine] == [me.employee_id]
    number = mine[0].employee.number
    review = scores.review_for(db, cycles.get_participant(db, me, q3, number))
    assert review.final_grade and review.score is not None and review.manager_comment and review.self_comment
    assert review.step is ReviewStep.confirmed

    p4 = cycles.get_participant(db, me, q4, number)
    sheet = scores.sheet(db, q4, p4)
    weights = sum((line.assignment.weight for line in sheet.lines), Decimal(0))
    assert sheet.lines and weights == 100
    assert any(line.origin == "computed" for line in sheet.lines)
    # their lead's hand-entered value is marked and held; HR's mid-cycle change is flagged on their card
    held = [line for line in sheet.lines if line.held]
    assert len(held) == 1 and held[0].origin == "manual"
    assert cycles.list_flags(db, me, q4, number=number)
