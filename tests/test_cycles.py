"""Performance cycles (S9.1, S9.3): kind and dates, coverage and enrolment, the state/role guard
table, the plan in bulk and per person, targets checked against the card, weights at start,
frozen cards, mid-cycle change flags, the diff from the previous cycle, version conflicts and
closed cycles refused by the service and, on PostgreSQL, by the database.

The small organisation (tests/factories.py) with complete cards and 2026 scorecards:
  E001 ceo   HQ                csat 100
  E002 mgr   OPS   OPS-AG      fcr 40, aht 30, csat 30
  E003 b1    OPS   OPS-AG      fcr 40, aht 30, csat 30
  E004 a1    OPS-A             fcr 50, csat 50, complaints 0 (a penalty: no weight)
  E005 fin   FIN               csat 100
  E006 x     FIN (reports to mgr)  fcr 60, csat 40
  E007 fin2  FIN               no scorecard
  E099       OPS, left 2025    fcr 100
fcr: linear higher-is-better 60 / 80 / 95; aht: linear lower-is-better 30 / 20 / 15;
csat: four bands <70, 70–85, 85–95, ≥95.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from northstar.audit import AuditLog
from northstar.cycles import diff as cycle_diff
from northstar.cycles import guards, reviews
from northstar.cycles import plan as planning
from northstar.cycles import service as cycles
from northstar.cycles.guards import StateRefused
from northstar.cycles.models import CycleState
from northstar.cycles.schemas import CycleIn
from northstar.db import unit_of_work
from northstar.errors import Forbidden, NorthstarError, NotFound, ValidationFailed
from northstar.indicators import service as indicators
from northstar.indicators.models import IndicatorCard, StatPeriod
from northstar.org import service as org
from northstar.org.models import Employee
from northstar.scorecards import service as personal
from northstar.scorecards.models import PersonalScorecard, ScorecardItem
from northstar.scoring.rules import Polarity
from northstar.security.models import Role
from northstar.security.principal import SYSTEM_PRINCIPAL, Principal
from northstar.strategy.models import Perspective
from tests.conftest import login
from tests.factories import PASSWORD, build_small_org

FCR = {"kind": "linear", "threshold": 60, "target": 80, "stretch": 95}
AHT = {"kind": "linear", "threshold": 30, "target": 20, "stretch": 15}
CSAT = {
    "kind": "bands",
    "bands": [
        {"upper": 70, "score": 60, "description": "不满意"},
        {"lower": 70, "upper": 85, "score": 80, "description": "基本满意"},
        {"lower": 85, "upper": 95, "score": 100, "description": "满意"},
        {"lower": 95, "score": 120, "description": "非常满意"},
    ],
}
COMPLAINTS = {"kind": "penalty", "points": 5, "max_points": 20}
SCORECARDS = {
    "E001": {"csat": 100},
    "E002": {"fcr": 40, "aht": 30, "csat": 30},
    "E003": {"fcr": 40, "aht": 30, "csat": 30},
    "E004": {"fcr": 50, "csat": 50, "complaints": 0},
    "E005": {"csat": 100},
    "E006": {"fcr": 60, "csat": 40},
    "E099": {"fcr": 100},
}
Q1 = "2026-Q1-OPS"


def _card(code: str, rule: dict[str, Any], polarity: Polarity, unit: str) -> IndicatorCard:
    """A card with every element of S6.3, so that a cycle can assess it."""
    return IndicatorCard(
        code=code,
        name=code.upper(),
        name_en=code.upper(),
        definition="定义",
        purpose="目的",
        formula="a / b",
        formula_notes="说明",
        measures=[{"code": "a", "name": "甲"}, {"code": "b", "name": "乙"}],
        rule=rule,
        polarity=polarity,
        perspective=Perspective.customer,
        data_source="CRM",
        period=StatPeriod.month,
        data_owner="客服部",
        unit=unit,
    )


def _principal(role: Role, employee_id: int | None = None, name: str | None = None) -> Principal:
    return Principal(
        user_id=None,
        username=name or role.value,
        display_name=name or role.value,
        role=role,
        employee_id=employee_id,
    )


@pytest.fixture
def world(session_factory: sessionmaker[Session]) -> dict[str, Principal]:
    """The organisation, cards and scorecards above; the principals by account name."""
    small = build_small_org(session_factory)
    with unit_of_work(session_factory) as db:
        org.create_employee(
            db, SYSTEM_PRINCIPAL, number="E099", name="周离", department_code="OPS",
            start_date=date(2020, 1, 1), end_date=date(2025, 6, 30),
        )  # fmt: skip
        cards = {
            "fcr": _card("fcr", FCR, Polarity.higher_better, "percent"),
            "aht": _card("aht", AHT, Polarity.lower_better, "minutes"),
            "csat": _card("csat", CSAT, Polarity.higher_better, "score"),
            "complaints": _card("complaints", COMPLAINTS, Polarity.lower_better, "count"),
        }
        db.add_all(cards.values())
        db.flush()
        people = {e.number: e for e in db.scalars(select(Employee))}
        for number, items in SCORECARDS.items():
            emp = people[number]
            sc = PersonalScorecard(employee_id=emp.id, period="2026", position_id=emp.position_id)
            db.add(sc)
            db.flush()
            for code, weight in items.items():
                db.add(ScorecardItem(scorecard_id=sc.id, card_id=cards[code].id, weight=Decimal(weight)))
    return {
        "hr": _principal(Role.hr),
        "admin": _principal(Role.admin),
        "exec": _principal(Role.executive, small.id("ceo"), "exec"),
        "mgr": _principal(Role.manager, small.id("mgr"), "mgr"),
        "emp": _principal(Role.employee, small.id("a1"), "emp"),
        "aud": _principal(Role.auditor),
    }


def _cycle_in(code: str = Q1, **kw: Any) -> CycleIn:
    values: dict[str, Any] = {
        "code": code,
        "name": "2026年一季度运营试点",
        "name_en": "Q1 2026 Operations pilot",
        "kind": "quarter",
        "start": date(2026, 1, 1),
        "end": date(2026, 3, 31),
        "department": "OPS",
    }
    return CycleIn(**(values | kw))


def run(factory: sessionmaker[Session], fn: Callable[[Session], Any]) -> Any:
    """One unit of work, as a request would have it: committed if ``fn`` succeeds."""
    with unit_of_work(factory) as db:
        return fn(db)


def create(factory: sessionmaker[Session], p: Principal, data: CycleIn | None = None) -> None:
    run(factory, lambda db: cycles.create_cycle(db, p, data or _cycle_in()))


def move(
    factory: sessionmaker[Session], p: Principal, to: CycleState, code: str = Q1, reason: str = "on plan"
) -> None:
    def go(db: Session) -> None:
        c = cycles.get_cycle(db, code)
        cycles.move(db, p, c, to, version=c.version, reason=reason)

    run(factory, go)


def plan(
    factory: sessionmaker[Session],
    p: Principal,
    number: str,
    card: str,
    *,
    weight: int | None = None,
    targets: dict[str, Any] | None = None,
    code: str = Q1,
    reason: str = "agreed in the planning talk",
) -> None:
    def go(db: Session) -> None:
        c = cycles.get_cycle(db, code)
        part = cycles.get_participant(db, p, c, number)
        a = next(a for a in part.assignments if a.card.code == card)
        w = None if weight is None else Decimal(weight)
        planning.set_person_plan(
            db, p, c, number, [planning.PlanItem(a.id, a.version, w, targets)], reason=reason
        )

    run(factory, go)


E = TypeVar("E", bound=NorthstarError)


def refused(exc: type[E], fn: Callable[[], Any], *fragments: str) -> E:
    """``fn`` raises ``exc`` whose English message contains every fragment."""
    with pytest.raises(exc) as info:
        fn()
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, message
    return info.value


def problems(response: Any) -> dict[str, str]:
    """Field → message of a refused request."""
    body = response.json()
    return {p["field"]: p["message"] for p in body["error"].get("problems", [])}


def participants(client: TestClient, code: str = Q1) -> dict[str, dict[str, Any]]:
    r = client.get(f"/api/v1/cycles/{code}/participants")
    assert r.status_code == 200, r.text
    return {p["employee_number"]: p for p in r.json()}


def item(participant: dict[str, Any], card: str) -> dict[str, Any]:
    return next(i for i in participant["items"] if i["card"] == card)


def as_user(client: TestClient, username: str) -> dict[str, str]:
    return {"X-CSRF-Token": login(client, username, PASSWORD)}


# --- set-up: kind, dates, coverage ----------------------------------------------------------


@pytest.mark.req("S9.1")
def test_a_cycle_s_dates_must_fit_its_kind_and_two_cycles_of_a_kind_may_not_plan_the_same_people(
    client: TestClient, world: dict[str, Principal]
) -> None:
    h = as_user(client, "hr")
    body = _cycle_in().model_dump(mode="json")

    r = client.post("/api/v1/cycles", json=body | {"start": "2026-02-01", "end": "2026-04-30"}, headers=h)
    assert r.status_code == 422
    assert "1 January, 1 April, 1 July or 1 October" in problems(r)["start"]
    r = client.post("/api/v1/cycles", json=body | {"end": "2026-03-30"}, headers=h)
    assert "ends on 2026-03-31" in problems(r)["end"]
    r = client.post(
        "/api/v1/cycles",
        json=body
        | {
            "kind": "year",
            "start": "2026-01-01",
            "end": "2026-12-31",
            "forced_distribution": {"S": 20, "A": 70, "B": 20},
        },
        headers=h,
    )
    assert "adds up to 110%" in problems(r)["forced_distribution"]
    r = client.post("/api/v1/cycles", json=body | {"forced_distribution": {"X": 100}}, headers=h)
    assert "not a grade of this cycle" in problems(r)["forced_distribution.X"]
    r = client.post("/api/v1/cycles", json=body | {"kind": "month", "end": "2026-02-28"}, headers=h)
    assert "ends on 2026-01-31" in problems(r)["end"]

    r = client.post(
        "/api/v1/cycles", json=body | {"forced_distribution": {"S": 20, "A": 70, "B": 10}}, headers=h
    )
    assert r.status_code == 201, r.text
    made = r.json()
    assert (made["state"], made["department"], made["scorecard_period"], made["version"]) == (
        "draft",
        "OPS",
        "2026",
        1,
    )
    assert [(g["code"], g["min_score"]) for g in made["grades"]] == [
        ("S", "110"), ("A", "95"), ("B", "80"), ("C", "60"), ("D", "0"),
    ]  # fmt: skip
    assert made["forced_distribution"] == {"S": "20", "A": "70", "B": "10"}
    assert made["allowed"] == ["edit", "advance"] and made["next_state"] == "planning"

    # the whole company's first quarter would plan the OPS people twice; FIN's pilot would not
    whole = client.post("/api/v1/cycles", json=body | {"code": "2026-Q1", "department": None}, headers=h)
    assert whole.status_code == 422
    assert "Cycle 2026-Q1-OPS (2026-01-01 – 2026-03-31)" in problems(whole)["start"]
    fin = client.post("/api/v1/cycles", json=body | {"code": "2026-Q1-FIN", "department": "FIN"}, headers=h)
    assert fin.status_code == 201, fin.text
    month = client.post(
        "/api/v1/cycles",
        json=body | {"code": "2026-01", "kind": "month", "end": "2026-01-31", "department": None},
        headers=h,
    )
    assert month.status_code == 201, month.text
    assert [c["code"] for c in client.get("/api/v1/cycles", params={"kind": "quarter"}).json()] == [
        "2026-Q1-FIN",
        "2026-Q1-OPS",
    ]


@pytest.mark.req("S9.1")
def test_opening_planning_enrols_the_pilot_subtree_or_the_company_with_their_scorecards(
    session_factory: sessionmaker[Session], world: dict[str, Principal]
) -> None:
    hr = world["hr"]
    create(session_factory, hr)
    create(session_factory, hr, _cycle_in("2026-01", kind="month", end=date(2026, 1, 31), department=None))
    move(session_factory, hr, CycleState.planning)
    move(session_factory, hr, CycleState.planning, code="2026-01")

    def plans(code: str) -> dict[str, dict[str, str]]:
        def read(db: Session) -> dict[str, dict[str, str]]:
            c = cycles.get_cycle(db, code)
            return {
                p.employee.number: {a.card.code: str(a.weight) for a in p.assignments}
                for p in cycles.get_participants(db, hr, c)
            }

        return run(session_factory, read)

    # OPS and its subtree OPS-A; not E099, who left before the cycle
    assert plans(Q1) == {
        "E002": {"fcr": "40", "aht": "30", "csat": "30"},
        "E003": {"fcr": "40", "aht": "30", "csat": "30"},
        "E004": {"fcr": "50", "csat": "50", "complaints": "0"},
    }
    # the company: everyone employed in January with a 2026 scorecard (E007 has none)
    assert sorted(plans("2026-01")) == ["E001", "E002", "E003", "E004", "E005", "E006"]
    enrolled = run(
        session_factory,
        lambda db: db.scalar(
            select(func.count()).where(AuditLog.entity == "cycle_participant", AuditLog.action == "enrol")
        ),
    )
    assert enrolled == 9

    # FIN's pilot reads the 2027 scorecards, which no one has yet: nothing to enrol, it stays in draft
    create(session_factory, hr, _cycle_in("2026-Q1-FIN", department="FIN", scorecard_period="2027"))
    refused(
        ValidationFailed,
        lambda: move(session_factory, hr, CycleState.planning, code="2026-Q1-FIN"),
        "No one can be enrolled in cycle 2026-Q1-FIN",
        "2027",
    )
    assert run(session_factory, lambda db: cycles.get_cycle(db, "2026-Q1-FIN").state) is CycleState.draft


# --- the guard table ------------------------------------------------------------------------

#: what the roles may do in each state (S9.1), as the requirement states it
EXPECTED_GUARDS = {
    CycleState.draft: {Role.hr: ["edit", "advance"], Role.admin: ["edit", "advance"]},
    CycleState.planning: {
        Role.hr: ["edit", "advance", "plan", "remind"],
        Role.admin: ["edit", "advance", "plan", "remind"],
        Role.manager: ["plan"],
    },
    CycleState.running: {
        Role.hr: ["advance", "plan", "change_card", "actuals", "approve_actual", "remind"],
        Role.admin: ["advance", "plan", "change_card", "actuals", "approve_actual", "remind"],
        Role.manager: ["actuals", "approve_actual"],
        Role.executive: ["actuals", "approve_actual"],
    },
    CycleState.review: {
        Role.hr: ["advance", "actuals", "approve_actual", "self_review", "manager_review", "remind"],
        Role.admin: ["advance", "actuals", "approve_actual", "self_review", "manager_review", "remind"],
        Role.manager: ["actuals", "approve_actual", "self_review", "manager_review"],
        Role.executive: ["actuals", "approve_actual", "self_review", "manager_review"],
        Role.employee: ["self_review"],
    },
    CycleState.calibration: {
        Role.hr: [
            "advance",
            "reopen",
            "calibrate",
            "publish",
            "confirm",
            "appeal",
            "decide_appeal",
            "remind",
        ],
        Role.admin: [
            "advance",
            "reopen",
            "calibrate",
            "publish",
            "confirm",
            "appeal",
            "decide_appeal",
            "remind",
        ],
        Role.manager: ["confirm", "appeal", "decide_appeal"],
        Role.executive: ["confirm", "appeal", "decide_appeal"],
        Role.employee: ["confirm", "appeal"],
    },
    CycleState.closed: {},
}


@pytest.mark.req("S9.1")
def test_the_guard_table_gives_each_state_its_actions_and_roles() -> None:
    for state in CycleState:
        for role in Role:
            got = [a.value for a in guards.actions_for(state, role)]
            assert got == EXPECTED_GUARDS[state].get(role, []), (state, role)


@pytest.mark.req("S9.1")
def test_each_state_allows_its_actions_and_refuses_the_rest_naming_the_state(
    session_factory: sessionmaker[Session], world: dict[str, Principal]
) -> None:
    f, hr, mgr, emp = session_factory, world["hr"], world["mgr"], world["emp"]

    def edit(p: Principal, **kw: Any) -> None:
        def go(db: Session) -> None:
            c = cycles.get_cycle(db, Q1)
            cycles.update_cycle(db, p, c, _cycle_in(**kw), version=c.version, reason="rename")

        run(f, go)

    def bulk(p: Principal) -> None:
        def go(db: Session) -> None:
            c = cycles.get_cycle(db, Q1)
            cards = [planning.BulkCard("fcr", targets={"threshold": 60, "target": 82, "stretch": 95})]
            planning.bulk_plan(
                db, p, c, cards, version=c.version, reason="one target for agents", position="OPS-AG"
            )

        run(f, go)

    # draft: HR sets up and opens planning; nobody plans yet
    refused(
        Forbidden,
        lambda: create(f, mgr, _cycle_in("X")),
        "draft",
        "your role (manager)",
        "In draft, HR sets the cycle up",
    )
    create(f, hr)
    refused(
        Forbidden,
        lambda: edit(mgr, name="改名"),
        "Cycle 2026-Q1-OPS is in draft",
        "may not change the cycle's settings",
    )
    refused(
        StateRefused,
        lambda: bulk(hr),
        "is in draft: you cannot change targets and weights now",
        "opens planning",
    )
    refused(Forbidden, lambda: move(f, mgr, CycleState.planning), "may not move the cycle on")
    edit(hr, name="一季度运营试点")
    refused(StateRefused, lambda: move(f, hr, CycleState.running), "its next state is planning")
    move(f, hr, CycleState.planning)

    # planning: HR edits (not what enrolment fixed), managers plan for their people only
    err = refused(ValidationFailed, lambda: edit(hr, scorecard_period="2027", end=date(2026, 3, 31)))
    assert [p.field for p in err.problems] == ["scorecard_period"]
    edit(hr, name_en="Operations pilot, Q1")
    plan(f, mgr, "E003", "fcr", targets={"threshold": 60, "target": 85, "stretch": 95})
    bulk(mgr)  # reaches E003 only: a manager does not plan for themselves
    refused(Forbidden, lambda: plan(f, mgr, "E002", "fcr", weight=40), "may not set your own targets")
    refused(NotFound, lambda: plan(f, mgr, "E005", "csat", weight=100), "No participant E005")
    refused(
        Forbidden,
        lambda: plan(f, emp, "E004", "fcr", weight=50),
        "in planning",
        "your role (employee)",
        "managers set them",
    )
    refused(Forbidden, lambda: plan(f, world["exec"], "E004", "fcr", weight=50), "your role (executive)")
    refused(Forbidden, lambda: plan(f, world["aud"], "E004", "fcr", weight=50), "your role (auditor)")
    refused(Forbidden, lambda: move(f, mgr, CycleState.running), "may not move the cycle on")
    refused(StateRefused, lambda: move(f, hr, CycleState.review), "its next state is running")
    move(f, hr, CycleState.running)

    # running: HR only, with a reason, and the weights must stay at 100%
    refused(
        Forbidden,
        lambda: plan(f, mgr, "E003", "fcr", weight=40),
        "is running",
        "While the cycle runs, only HR changes",
    )
    refused(
        StateRefused, lambda: edit(hr, name="再改"), "is running: you cannot change the cycle's settings now"
    )
    refused(ValidationFailed, lambda: plan(f, hr, "E003", "fcr", weight=50, reason="   "), "Give a reason")
    err = refused(
        ValidationFailed, lambda: plan(f, hr, "E003", "fcr", weight=50), "The plan of 李一 cannot be saved"
    )
    assert [(p.field, p.params["total"]) for p in err.problems] == [("participants.E003.weights", "110")]
    plan(
        f,
        hr,
        "E003",
        "csat",
        targets={
            "bands": [{"upper": 75}, {"lower": 75, "upper": 85}, {"lower": 85, "upper": 95}, {"lower": 95}]
        },
    )
    move(f, hr, CycleState.review)

    # review and calibration: the plan is fixed; calibration may go back to review, with a reason
    refused(
        StateRefused,
        lambda: plan(f, hr, "E003", "fcr", weight=40),
        "is in review",
        "In review, the plan is fixed",
    )
    refused(ValidationFailed, lambda: move(f, hr, CycleState.calibration), "every manager review")
    review_everyone(f, world)
    move(f, hr, CycleState.calibration)
    refused(StateRefused, lambda: bulk(hr), "In calibration, the plan is fixed")
    refused(Forbidden, lambda: move(f, mgr, CycleState.review), "may not reopen the cycle for review")
    refused(ValidationFailed, lambda: move(f, hr, CycleState.review, reason=""), "Give a reason")
    move(f, hr, CycleState.review, reason="two ratings in OPS-A need a second look")
    move(f, hr, CycleState.calibration)
    refused(ValidationFailed, lambda: move(f, hr, CycleState.closed), "cannot close yet")
    run(
        f,
        lambda db: reviews.publish(
            db, hr, cycles.get_cycle(db, Q1), version=cycles.get_cycle(db, Q1).version
        ),
    )
    refused(
        StateRefused, lambda: move(f, hr, CycleState.review, reason="again"), "no longer go back to review"
    )
    move(f, hr, CycleState.closed)

    # closed: nothing, for anyone
    for attempt in (
        lambda: plan(f, hr, "E003", "fcr", weight=40),
        lambda: bulk(world["admin"]),
        lambda: edit(hr, name="关闭后"),
        lambda: move(f, hr, CycleState.review),
    ):
        refused(StateRefused, attempt, "is closed", "A closed cycle cannot be changed by anyone.")
    c = run(f, lambda db: cycles.get_cycle(db, Q1))
    assert c.closed_at is not None and c.state is CycleState.closed
    moves = run(
        f,
        lambda db: [
            (a.action, a.old, a.new, a.reason)
            for a in db.scalars(
                select(AuditLog)
                .where(AuditLog.entity == "cycle", AuditLog.field == "state")
                .order_by(AuditLog.id)
            )
        ],
    )
    assert ("reopen", "calibration", "review", "two ratings in OPS-A need a second look") in moves
    assert [m[2] for m in moves] == [
        "planning",
        "running",
        "review",
        "calibration",
        "review",
        "calibration",
        "closed",
    ]


def review_everyone(f: sessionmaker[Session], world: dict[str, Principal], code: str = Q1) -> None:
    """Self-reviews (E003's waived by HR), then the manager reviews: what calibration waits for."""

    def go(db: Session) -> None:
        c = cycles.get_cycle(db, code)
        reviews.save_self_review(db, world["emp"], c, "E004", comment="目标达成", submit=True, version=None)
        reviews.save_self_review(db, world["mgr"], c, "E002", comment="带队完成", submit=True, version=None)
        reviews.waive_self_review(db, world["hr"], c, "E003", reason="长期病假")
        for number, rater in (("E002", "hr"), ("E003", "mgr"), ("E004", "mgr")):
            reviews.save_manager_review(
                db, world[rater], c, number, comment="认可", submit=True, version=None
            )

    run(f, go)


# --- the plan -------------------------------------------------------------------------------


def _put_plan(
    client: TestClient,
    h: dict[str, str],
    number: str,
    card: str,
    reason: str = "agreed",
    code: str = Q1,
    **values: Any,
) -> Any:
    a = item(participants(client, code)[number], card)
    body = {"items": [{"assignment_id": a["id"], "version": a["version"], **values}], "reason": reason}
    return client.put(f"/api/v1/cycles/{code}/participants/{number}/plan", json=body, headers=h)


def _bulk(
    client: TestClient,
    h: dict[str, str],
    cards: list[dict[str, Any]],
    reason: str = "agreed",
    code: str = Q1,
    **selection: Any,
) -> Any:
    version = client.get(f"/api/v1/cycles/{code}").json()["version"]
    body = {"version": version, "cards": cards, "reason": reason} | selection
    return client.post(f"/api/v1/cycles/{code}/plan/bulk", json=body, headers=h)


def _to(client: TestClient, h: dict[str, str], state: str, code: str = Q1, reason: str = "on plan") -> Any:
    version = client.get(f"/api/v1/cycles/{code}").json()["version"]
    return client.post(
        f"/api/v1/cycles/{code}/state", json={"to": state, "version": version, "reason": reason}, headers=h
    )


def _planning(client: TestClient, h: dict[str, str], code: str = Q1, **kw: Any) -> None:
    r = client.post("/api/v1/cycles", json=_cycle_in(code, **kw).model_dump(mode="json"), headers=h)
    assert r.status_code == 201, r.text
    r = _to(client, h, "planning", code)
    assert r.status_code == 200, r.text


def _anchor(p: dict[str, Any], card: str, key: str = "target") -> str:
    return str(item(p, card)["anchors"][key])


@pytest.mark.req("S9.1", "S9.3")
def test_bulk_targets_by_position_and_department_keep_personal_overrides_unless_asked(
    client: TestClient, world: dict[str, Principal], db: Session
) -> None:
    h = as_user(client, "hr")
    _planning(client, h)
    agents = {"threshold": 65, "target": 85, "stretch": 95}
    r = _bulk(
        client, h, [{"card": "fcr", "targets": agents}], reason="agents start higher", position="OPS-AG"
    )
    assert r.status_code == 200, r.text
    assert (r.json()["participants"], r.json()["changed"], r.json()["kept_overrides"]) == (2, 2, 0)
    ps = participants(client)
    assert [_anchor(ps[n], "fcr") for n in ("E002", "E003", "E004")] == ["85", "85", "80"]

    # one person's own target, then a department-wide set that keeps it
    r = _put_plan(
        client,
        h,
        "E003",
        "fcr",
        reason="E003 leads the FCR pilot",
        targets={"threshold": 70, "target": 90, "stretch": 98},
    )
    assert r.status_code == 200, r.text
    assert item(r.json(), "fcr")["targets_override"] is True
    r = _bulk(
        client,
        h,
        [
            {"card": "fcr", "targets": {"threshold": 60, "target": 88, "stretch": 95}},
            {"card": "csat", "weight": 30},
        ],
        reason="one bar for OPS",
        department="OPS",
    )
    assert (r.json()["participants"], r.json()["changed"], r.json()["kept_overrides"]) == (3, 3, 1)
    ps = participants(client)
    assert [_anchor(ps[n], "fcr") for n in ("E002", "E003", "E004")] == ["88", "90", "88"]
    assert item(ps["E004"], "csat")["weight"] == "30" and ps["E004"]["weight_sum"] == "80"

    # asked to overwrite, the bulk set replaces the personal target too
    r = _bulk(
        client,
        h,
        [{"card": "fcr", "targets": {"threshold": 60, "target": 82, "stretch": 95}}],
        reason="back to one bar",
        position="OPS-AG",
        overwrite=True,
    )
    assert (r.json()["changed"], r.json()["kept_overrides"]) == (2, 0)
    e003 = item(participants(client)["E003"], "fcr")
    assert (e003["anchors"]["target"], e003["targets_override"]) == ("82", False)

    # a reason is required, a blank one too
    r = _bulk(client, h, [{"card": "fcr", "weight": 40}], reason="   ", position="OPS-AG")
    assert r.status_code == 422 and "reason" in problems(r)
    assert (
        client.post(
            f"/api/v1/cycles/{Q1}/plan/bulk",
            json={"version": 1, "cards": [{"card": "fcr", "weight": 40}], "position": "OPS-AG"},
            headers=h,
        ).status_code
        == 422
    )
    r = _bulk(client, h, [{"card": "nps", "weight": 40}], position="OPS-AG")
    assert "No one in position OPS-AG holds nps" in problems(r)["cards[0].card"]

    # every change is in the cycle's log and the audit trail, with its reason; none is a flag yet
    changes = client.get(f"/api/v1/cycles/{Q1}/changes").json()
    assert [(c["selector"], c["kind"], c["reason"], len(c["lines"])) for c in changes] == [
        ("position OPS-AG", "targets", "back to one bar", 2),
        ("department OPS", "weight", "one bar for OPS", 1),
        ("department OPS", "targets", "one bar for OPS", 2),
        ("employee E003", "targets", "E003 leads the FCR pilot", 1),
        ("position OPS-AG", "targets", "agents start higher", 2),
    ]
    assert changes[-1]["lines"][0]["old"] == "threshold 60 · target 80 · stretch 95"
    assert changes[-1]["lines"][0]["new"] == "threshold 65 · target 85 · stretch 95"
    assert not any(c["mid_cycle"] for c in changes)
    assert client.get(f"/api/v1/cycles/{Q1}/flags").json() == []
    reasons = db.scalars(select(AuditLog.reason).where(AuditLog.entity == "cycle_assignment")).all()
    assert len(reasons) == 8 and "one bar for OPS" in reasons

    # scope: the employee sees their own cycle scorecard, the auditor everything but writes nothing
    h = as_user(client, "emp")
    assert list(participants(client)) == ["E004"]
    assert client.get(f"/api/v1/cycles/{Q1}/participants/E003").status_code == 404
    assert _put_plan(client, h, "E004", "fcr", weight=50).status_code == 403
    h = as_user(client, "aud")
    assert list(participants(client)) == ["E002", "E003", "E004"]
    assert _bulk(client, h, [{"card": "fcr", "weight": 40}], position="OPS-AG").status_code == 403


@pytest.mark.req("S9.1", "S9.3")
def test_targets_contradicting_the_card_s_polarity_or_band_table_are_refused_by_field(
    client: TestClient, world: dict[str, Principal]
) -> None:
    h = as_user(client, "hr")
    _planning(client, h)
    before = participants(client)["E003"]
    cases = [
        (
            "fcr",
            {"threshold": 90, "target": 80, "stretch": 95},
            "fcr.targets.target",
            "higher-is-better, so the target must be above the threshold 90",
        ),
        (
            "aht",
            {"threshold": 30, "target": 35, "stretch": 40},
            "aht.targets.target",
            "lower-is-better, so the target must be below the threshold 30",
        ),
        (
            "fcr",
            {"threshold": 60, "target": 80, "stretch": 70},
            "fcr.targets.stretch",
            "stretch value must lie beyond the target",
        ),
        ("fcr", {"target": "eighty"}, "fcr.targets.target", '"eighty" is not a number'),
        ("fcr", {"cap": 100}, "fcr.targets.cap", '"cap" is not a target of a linear rule'),
        (
            "csat",
            {"bands": [{"upper": 70}, {"lower": 60, "upper": 85}, {"lower": 85, "upper": 95}, {"lower": 95}]},
            "csat.targets.bands[1].lower",
            "overlaps band 1",
        ),
        (
            "csat",
            {"bands": [{"upper": 70}, {"lower": 75, "upper": 85}, {"lower": 85, "upper": 95}, {"lower": 95}]},
            "csat.targets.bands[1].lower",
            "gap between band 1",
        ),
        ("csat", {"bands": [{"upper": 70}, {"lower": 70}]}, "csat.targets.bands", "has 4 bands"),
        (
            "csat",
            {"bands": [{"score": 50}, {}, {}, {}]},
            "csat.targets.bands[0].score",
            "not a bound of a band",
        ),
    ]
    for card, targets, field, fragment in cases:
        r = _put_plan(client, h, "E003", card, targets=targets)
        assert r.status_code == 422, (card, targets)
        assert fragment in problems(r).get(field, ""), (field, problems(r))
    r = _put_plan(client, h, "E004", "complaints", targets={"points": 3})
    assert "A penalty rule has no targets to set" in problems(r)["complaints.targets"]
    r = _bulk(client, h, [{"card": "fcr", "targets": {"threshold": 90, "target": 80}}], position="OPS-AG")
    assert "higher-is-better" in problems(r)["cards[0].targets.target"]
    assert participants(client)["E003"] == before  # nothing changed

    # within the polarity a tighter band table is fine
    r = _put_plan(
        client,
        h,
        "E003",
        "csat",
        targets={
            "bands": [{"upper": 75}, {"lower": 75, "upper": 88}, {"lower": 88, "upper": 96}, {"lower": 96}]
        },
    )
    assert r.status_code == 200, r.text
    assert [b["lower"] for b in item(r.json(), "csat")["anchors"]["bands"]] == [None, "75", "88", "96"]


@pytest.mark.req("S9.1")
def test_starting_a_cycle_lists_everyone_whose_weights_do_not_add_up_to_100(
    client: TestClient, world: dict[str, Principal]
) -> None:
    h = as_user(client, "hr")
    _planning(client, h)
    assert _put_plan(client, h, "E003", "fcr", weight=50).status_code == 200
    assert _put_plan(client, h, "E004", "csat", weight=40).status_code == 200
    r = _to(client, h, "running")
    assert r.status_code == 422
    assert r.json()["error"]["message"] == "Cycle 2026-Q1-OPS cannot start: fix the problems listed."
    assert problems(r) == {
        "participants.E003.weights": "李一 (E003): the weights add up to 110%, not 100%.",
        "participants.E004.weights": "张三 (E004): the weights add up to 90%, not 100%.",
    }
    assert client.get(f"/api/v1/cycles/{Q1}").json()["state"] == "planning"
    assert client.get(f"/api/v1/cycles/{Q1}/cards").json()[0]["frozen"] is False

    assert _put_plan(client, h, "E003", "fcr", weight=40).status_code == 200
    assert _put_plan(client, h, "E004", "csat", weight=50).status_code == 200
    r = _to(client, h, "running")
    assert r.status_code == 200, r.text
    assert r.json()["started_at"] and r.json()["allowed"] == [
        "advance",
        "plan",
        "change_card",
        "actuals",
        "approve_actual",
        "remind",
    ]


# --- running: frozen cards, mid-cycle changes -----------------------------------------------


def _running(client: TestClient, h: dict[str, str]) -> None:
    _planning(client, h)
    r = _to(client, h, "running")
    assert r.status_code == 200, r.text


@pytest.mark.req("S9.3")
def test_a_running_cycle_keeps_the_card_version_it_froze_until_hr_takes_the_new_one_in(
    client: TestClient, world: dict[str, Principal], session_factory: sessionmaker[Session]
) -> None:
    h = as_user(client, "hr")
    _running(client, h)

    def edit_card(db: Session) -> None:
        card = indicators.get_card_by_code(db, "fcr")
        data = indicators.to_card_in(card).model_copy(
            update={"rule": FCR | {"target": 85}, "formula_notes": "改"}
        )
        indicators.update_card(db, world["hr"], card, data, version=card.version, reason="new definition")

    run(session_factory, edit_card)
    fcr = next(c for c in client.get(f"/api/v1/cycles/{Q1}/cards").json() if c["card"] == "fcr")
    assert (fcr["frozen"], fcr["card_version"], fcr["current_version"], fcr["rule"]["target"]) == (
        True,
        1,
        2,
        80,
    )
    assert _anchor(participants(client)["E004"], "fcr") == "80"

    def scored_with(db: Session) -> Any:
        c = cycles.get_cycle(db, Q1)
        a = next(
            a for a in cycles.get_participant(db, world["hr"], c, "E004").assignments if a.card.code == "fcr"
        )
        return cycles.effective_rule(db, a)

    assert run(session_factory, scored_with) == FCR

    r = client.post(
        f"/api/v1/cycles/{Q1}/cards/fcr/take-new-version", json={"version": 99, "reason": "x"}, headers=h
    )
    assert r.status_code == 409 and r.json()["error"]["code"] == "conflict"
    version = client.get(f"/api/v1/cycles/{Q1}").json()["version"]
    r = client.post(
        f"/api/v1/cycles/{Q1}/cards/fcr/take-new-version",
        json={"version": version, "reason": "the FCR definition was corrected"},
        headers=h,
    )
    assert r.status_code == 200, r.text
    assert (r.json()["card_version"], r.json()["rule"]["target"]) == (2, 85)
    ps = participants(client)
    assert [_anchor(ps[n], "fcr") for n in ("E002", "E003", "E004")] == ["85", "85", "85"]
    assert run(session_factory, scored_with) == FCR | {"target": 85}
    assert [ps[n]["flags"] for n in ("E002", "E003", "E004")] == [1, 1, 1]
    flags = client.get(f"/api/v1/cycles/{Q1}/flags").json()
    assert sorted((f["employee_number"], f["kind"], f["old"], f["new"], f["reason"]) for f in flags) == [
        (
            n,
            "card",
            "v1 threshold 60 · target 80 · stretch 95",
            "v2 threshold 60 · target 85 · stretch 95",
            "the FCR definition was corrected",
        )
        for n in ("E002", "E003", "E004")
    ]
    version = client.get(f"/api/v1/cycles/{Q1}").json()["version"]
    again = client.post(
        f"/api/v1/cycles/{Q1}/cards/fcr/take-new-version",
        json={"version": version, "reason": "again"},
        headers=h,
    )
    assert again.status_code == 409 and "already uses version 2" in again.json()["error"]["message"]


@pytest.mark.req("S9.3")
def test_a_change_inside_a_running_cycle_is_recorded_and_flagged_on_every_scorecard_it_touches(
    client: TestClient, anon_client: TestClient, world: dict[str, Principal]
) -> None:
    h = as_user(client, "hr")
    _running(client, h)
    m = as_user(anon_client, "mgr")
    r = _put_plan(anon_client, m, "E003", "fcr", weight=50)
    assert r.status_code == 403 and "While the cycle runs, only HR changes" in r.json()["error"]["message"]

    r = _bulk(client, h, [{"card": "fcr", "weight": 50}], reason="FCR counts more", position="OPS-AG")
    assert r.status_code == 422
    assert set(problems(r)) == {"participants.E002.weights", "participants.E003.weights"}
    r = _bulk(
        client,
        h,
        [{"card": "fcr", "weight": 50}, {"card": "aht", "weight": 20}],
        reason="FCR counts more from February",
        position="OPS-AG",
    )
    assert r.status_code == 200, r.text
    assert (r.json()["participants"], r.json()["changed"]) == (2, 4)

    flags = client.get(f"/api/v1/cycles/{Q1}/flags").json()
    assert sorted((f["employee_number"], f["card"], f["old"], f["new"]) for f in flags) == [
        ("E002", "aht", "30", "20"), ("E002", "fcr", "40", "50"), ("E003", "aht", "30", "20"), ("E003", "fcr", "40", "50"),
    ]  # fmt: skip
    assert {(f["reason"], f["by"]) for f in flags} == {("FCR counts more from February", "hr")}
    changes = client.get(f"/api/v1/cycles/{Q1}/changes").json()
    assert all(c["mid_cycle"] for c in changes) and len(changes) == 2
    ps = participants(client)
    assert [ps[n]["flags"] for n in ("E002", "E003", "E004")] == [2, 2, 0]
    assert (ps["E003"]["weight_sum"], item(ps["E003"], "fcr")["flags"]) == ("100", 1)

    # each sees the flags on the scorecards they may see
    assert len(anon_client.get(f"/api/v1/cycles/{Q1}/flags").json()) == 4
    as_user(anon_client, "emp")
    assert anon_client.get(f"/api/v1/cycles/{Q1}/flags").json() == []
    assert len(client.get(f"/api/v1/cycles/{Q1}/flags", params={"employee": "E003"}).json()) == 2


# --- between cycles -------------------------------------------------------------------------


@pytest.mark.req("S9.3")
def test_the_diff_from_the_previous_cycle_shows_cards_weights_and_targets_with_their_reasons(
    client: TestClient, world: dict[str, Principal], session_factory: sessionmaker[Session]
) -> None:
    h = as_user(client, "hr")
    _planning(client, h)
    assert (
        _put_plan(
            client, h, "E004", "fcr", targets={"threshold": 60, "target": 82, "stretch": 95}
        ).status_code
        == 200
    )
    assert _to(client, h, "running").status_code == 200  # Q1 froze aht as it was

    # between the quarters: aht's target moves, E003's scorecard drops aht and weighs fcr more, and
    # E008 joins OPS-A
    def between(db: Session) -> None:
        hr = world["hr"]
        card = indicators.get_card_by_code(db, "aht")
        data = indicators.to_card_in(card).model_copy(update={"rule": AHT | {"target": 18}})
        indicators.update_card(
            db, hr, card, data, version=card.version, reason="the benchmark moved to 18 minutes"
        )
        sc = personal.find_scorecard(db, org.get_employee_by_number(db, hr, number="E003"), "2026")
        assert sc is not None
        aht = next(i for i in sc.items if i.card.code == "aht")
        personal.remove_item(
            db, hr, sc, aht.id, version=sc.version, reason="handling time is not the agents' to steer"
        )
        fcr = next(i for i in sc.items if i.card.code == "fcr")
        personal.adjust_item(
            db,
            hr,
            sc,
            fcr.id,
            version=sc.version,
            weight=Decimal(70),
            reason="first-contact resolution is the focus",
        )
        emp = org.create_employee(
            db, hr, number="E008", name="吴新", department_code="OPS-A", start_date=date(2026, 4, 1)
        )
        new = PersonalScorecard(employee_id=emp.id, period="2026")
        db.add(new)
        db.flush()
        db.add(
            ScorecardItem(
                scorecard_id=new.id, card_id=indicators.get_card_by_code(db, "csat").id, weight=Decimal(100)
            )
        )

    run(session_factory, between)
    q2 = "2026-Q2-OPS"
    _planning(
        client, h, q2, start=date(2026, 4, 1), end=date(2026, 6, 30), name_en="Q2 2026 Operations pilot"
    )
    r = _put_plan(
        client,
        h,
        "E004",
        "fcr",
        code=q2,
        reason="raise the bar after Q1",
        targets={"threshold": 65, "target": 85, "stretch": 95},
    )
    assert r.status_code == 200, r.text

    diff = client.get(f"/api/v1/cycles/{q2}/diff").json()
    assert (diff["previous"], diff["cards_added"], diff["cards_removed"]) == (Q1, [], [])
    people = {p["employee_number"]: p for p in diff["people"]}
    assert sorted(people) == ["E002", "E003", "E004", "E008"]
    (line,) = people["E002"]["lines"]
    assert (line["card"], line["change"], line["old"]["target"], line["new"]["target"], line["reasons"]) == (
        "aht",
        "targets",
        "20",
        "18",
        ["the benchmark moved to 18 minutes"],
    )
    assert people["E003"]["status"] == "kept"
    assert [
        (ln["card"], ln["change"], ln["old"], ln["new"], ln["reasons"]) for ln in people["E003"]["lines"]
    ] == [
        ("aht", "removed", "30", None, ["handling time is not the agents' to steer"]),
        ("fcr", "weight", "40", "70", ["first-contact resolution is the focus"]),
    ]
    (line,) = people["E004"]["lines"]
    assert (line["card"], line["change"], line["reasons"]) == ("fcr", "targets", ["raise the bar after Q1"])
    assert (
        line["old"]["threshold"],
        line["old"]["target"],
        line["new"]["threshold"],
        line["new"]["target"],
    ) == ("60", "82", "65", "85")
    assert people["E008"]["status"] == "joined"
    assert [(ln["card"], ln["change"], ln["new"]) for ln in people["E008"]["lines"]] == [
        ("csat", "added", "100")
    ]

    assert client.get(f"/api/v1/cycles/{Q1}/diff").json()["previous"] is None
    mine = run(
        session_factory, lambda db: cycle_diff.diff_previous(db, world["emp"], cycles.get_cycle(db, q2))
    )
    assert [p.number for p in mine.people] == ["E004"]


# --- concurrent edits and closed cycles -----------------------------------------------------


@pytest.mark.req("S9.1")
def test_a_save_based_on_a_stale_version_gets_409_and_the_other_save_is_kept(
    client: TestClient, anon_client: TestClient, world: dict[str, Principal]
) -> None:
    h = as_user(client, "hr")
    _planning(client, h)
    m = as_user(anon_client, "mgr")
    read_by_hr = item(participants(client)["E003"], "fcr")
    assert (
        _put_plan(
            anon_client, m, "E003", "fcr", targets={"threshold": 60, "target": 86, "stretch": 95}
        ).status_code
        == 200
    )

    body = {
        "items": [{"assignment_id": read_by_hr["id"], "version": read_by_hr["version"], "weight": 45}],
        "reason": "x",
    }
    stale = client.put(f"/api/v1/cycles/{Q1}/participants/E003/plan", json=body, headers=h)
    assert stale.status_code == 409
    assert stale.json()["error"]["code"] == "conflict"
    assert "was changed by someone else while you were editing" in stale.json()["error"]["message"]
    now = item(participants(client)["E003"], "fcr")
    assert (now["anchors"]["target"], now["weight"], now["version"]) == (
        "86",
        "40",
        read_by_hr["version"] + 1,
    )

    # the cycle's version guards bulk sets and moves the same way
    cycle = client.get(f"/api/v1/cycles/{Q1}").json()
    assert _bulk(client, h, [{"card": "csat", "weight": 30}], department="OPS").status_code == 200
    old = {
        "version": cycle["version"],
        "cards": [{"card": "csat", "weight": 35}],
        "reason": "x",
        "department": "OPS",
    }
    assert client.post(f"/api/v1/cycles/{Q1}/plan/bulk", json=old, headers=h).status_code == 409
    moved = client.post(
        f"/api/v1/cycles/{Q1}/state",
        json={"to": "running", "version": cycle["version"], "reason": "x"},
        headers=h,
    )
    assert moved.status_code == 409
    assert client.get(f"/api/v1/cycles/{Q1}").json()["state"] == "planning"


@pytest.mark.req("S9.1")
def test_a_closed_cycle_is_refused_by_the_service_and_on_postgresql_by_the_database_too(
    client: TestClient, world: dict[str, Principal], session_factory: sessionmaker[Session], db_url: str
) -> None:
    h = as_user(client, "hr")
    _running(client, h)
    assert _to(client, h, "review").status_code == 200
    review_everyone(session_factory, world)
    assert _to(client, h, "calibration").status_code == 200
    version = client.get(f"/api/v1/cycles/{Q1}").json()["version"]
    assert (
        client.post(f"/api/v1/cycles/{Q1}/publish", json={"version": version}, headers=h).status_code == 200
    )
    assert _to(client, h, "closed").status_code == 200
    r = _put_plan(client, h, "E003", "fcr", weight=40)
    assert r.status_code == 409 and r.json()["error"]["code"] == "cycle_state"
    assert "A closed cycle cannot be changed by anyone." in r.json()["error"]["message"]
    assert _bulk(client, h, [{"card": "fcr", "weight": 40}], position="OPS-AG").status_code == 409
    assert _to(client, h, "review").status_code == 409
    cycle_id = client.get(f"/api/v1/cycles/{Q1}").json()["id"]

    if not db_url.startswith("postgresql"):
        return
    # The database refuses what a script or a bug would do behind the service's back.
    engine = session_factory.kw["bind"]
    statements = [
        ("UPDATE cycle_assignment SET weight = 99 WHERE cycle_id = :id", "cycle_assignment of closed cycle"),
        ("DELETE FROM cycle_participant WHERE cycle_id = :id", "closed cycle"),
        (
            "INSERT INTO cycle_change (cycle_id, at, actor_name, kind, card_id, selector, reason, mid_cycle) "
            "SELECT :id, now(), 'x', 'weight', card_id, 'x', 'x', false FROM cycle_card WHERE cycle_id = :id LIMIT 1",
            "cycle_change of closed cycle",
        ),
        ("UPDATE cycle SET state = 'review' WHERE id = :id", "is closed and cannot change"),
        ("DELETE FROM cycle WHERE id = :id", "is closed and cannot change"),
    ]
    for sql, message in statements:
        with pytest.raises(DBAPIError, match=message), engine.begin() as conn:
            conn.execute(text(sql), {"id": cycle_id})
    with engine.connect() as conn:
        assert (
            conn.execute(
                text("SELECT count(*) FROM cycle_assignment WHERE cycle_id = :id AND weight = 99"),
                {"id": cycle_id},
            ).scalar()
            == 0
        )

    # the trigger is about closed cycles only: an open cycle's rows take a raw update
    _planning(client, h, "2026-Q2-OPS", start=date(2026, 4, 1), end=date(2026, 6, 30))
    with engine.begin() as conn:
        changed = conn.execute(
            text(
                "UPDATE cycle_assignment SET weight = 41 FROM cycle WHERE cycle.id = cycle_assignment.cycle_id AND cycle.code = '2026-Q2-OPS'"
            )
        )
        assert changed.rowcount == 9


@pytest.mark.req("S9.3")
def test_a_card_a_cycle_planned_with_cannot_be_deleted_and_the_refusal_names_the_cycle(
    client: TestClient, world: dict[str, Principal], session_factory: sessionmaker[Session]
) -> None:
    h = as_user(client, "hr")
    _planning(client, h)

    def take_off_scorecards(db: Session) -> int:
        card = indicators.get_card_by_code(db, "complaints")
        for item in db.scalars(select(ScorecardItem).where(ScorecardItem.card_id == card.id)):
            db.delete(item)
        return card.id

    card_id = run(session_factory, take_off_scorecards)
    refused = client.delete(f"/api/v1/indicators/{card_id}", headers=h, params={"lang": "en"})
    assert refused.status_code == 409, refused.text
    (problem,) = refused.json()["error"]["problems"]
    assert problem["message"].startswith("Used by the performance cycle ") and problem["field"] == "card_id"
