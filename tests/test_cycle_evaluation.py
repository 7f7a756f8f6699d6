"""The evaluation flow of a cycle (S9.4, S6.5, S9.1): actuals from the metrics engine or by hand
with a reviewer, scores with their arithmetic, self and manager review in order, concurrent
edits, calibration against a forced distribution, publication, confirmation, appeals routed
away from the rater, progress and reminders, and the closed cycle refused by the service and,
on PostgreSQL, by the database.

The organisation, cards and scorecards are those of tests/test_cycles.py (pilot OPS: E002 mgr,
E003 李一, E004 张三 with the account ``emp``). The quarter's fcr is computed from six CRM tickets:
E003 closed 2 tickets, 1 at first contact (50%); E004 closed 3, 2 at first contact (66.6667%).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from northstar.config import Settings
from northstar.cycles import service as cycles
from northstar.cycles.models import CycleState
from northstar.db import unit_of_work
from northstar.indicators.models import IndicatorCard
from northstar.org.models import Department
from northstar.pools.models import CandidateSource, KpiCandidate
from northstar.scorecards.models import TeamIndicator, TeamMember
from northstar.security.principal import Principal
from tests import test_cycles
from tests.conftest import login
from tests.factories import PASSWORD
from tests.test_cycles import Q1, _cycle_in, create, move
from tests.test_data_sources import TICKETS, TICKETS_SOURCE

#: the organisation, cards and scorecards of tests/test_cycles.py, as a fixture here
world = test_cycles.world

SPEC = """
version: "1"
timezone: UTC
sources:
  tickets:
    table: tickets
    time_column: opened_at
    key: [id]
    dimensions: {department: dept, owner: owner, customer: customer, project: project}
measures:
  closed: {source: tickets, agg: count, where: [{column: status, op: eq, value: closed}]}
  fcr: {source: tickets, agg: count, where: [{column: status, op: eq, value: closed},
                                             {column: contacts, op: eq, value: 1}]}
metrics:
  fcr_rate: {type: ratio, numerator: fcr, denominator: closed, scale: 100, unit: percent}
"""
URL = f"/api/v1/cycles/{Q1}"


def as_user(client: TestClient, username: str) -> dict[str, str]:
    return {"X-CSRF-Token": login(client, username, PASSWORD)}


def ok(r: Any, status: int = 200) -> Any:
    assert r.status_code == status, r.text
    return r.json()


def error(r: Any, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    return dict(r.json()["error"])


def fields(r: Any) -> dict[str, str]:
    return {p["field"]: p["message"] for p in r.json()["error"].get("problems", [])}


def arrange_pilot(
    session_factory: sessionmaker[Session],
    principals: dict[str, Principal],
    settings: Settings,
    client: TestClient,
) -> None:
    """The OPS pilot of Q1 2026 in planning with a forced distribution, tickets loaded, fcr bound."""
    hr = principals["hr"]
    create(session_factory, hr, _cycle_in(forced_distribution={"A": 40, "B": 40, "C": 20}))
    move(session_factory, hr, CycleState.planning)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    (settings.data_dir / "tickets.csv").write_bytes(TICKETS.encode("gbk"))
    h = as_user(client, "admin")
    ok(client.post("/api/v1/data/sources", json=TICKETS_SOURCE, headers=h), 201)
    ok(client.post("/api/v1/data/sources/tickets/load", headers=h))
    ok(client.put("/api/v1/data/spec", json={"text": SPEC}, headers=h))
    ok(client.put("/api/v1/data/bindings/fcr", json={"metric": "fcr_rate"}, headers=h))


@pytest.fixture
def running(
    session_factory: sessionmaker[Session],
    world: dict[str, Principal],
    settings: Settings,
    client: TestClient,
) -> dict[str, Principal]:
    """The pilot above, running."""
    arrange_pilot(session_factory, world, settings, client)
    move(session_factory, world["hr"], CycleState.running)
    return world


def enter(client: TestClient, h: dict[str, str], number: str, card: str, value: str, reviewer: str) -> Any:
    return client.put(
        f"{URL}/participants/{number}/actuals/{card}",
        json={"value": value, "note": "月度质检报告", "reviewer": reviewer},
        headers=h,
    )


def approve(client: TestClient, h: dict[str, str], actual: dict[str, Any]) -> Any:
    return client.post(
        f"{URL}/actuals/{actual['id']}/decision",
        json={"approve": True, "version": actual["version"]},
        headers=h,
    )


def line(sheet: dict[str, Any], card: str) -> dict[str, Any]:
    return next(x for x in sheet["lines"] if x["card"] == card)


@pytest.mark.req("S9.4")
@pytest.mark.req("S7.3")
def test_actuals_come_from_the_engine_or_by_hand_and_every_score_shows_its_arithmetic(
    running: dict[str, Principal], client: TestClient
) -> None:
    h = as_user(client, "hr")
    taken = ok(client.post(f"{URL}/actuals/take", headers=h))
    # fcr is bound: E003 and E004 have tickets, E002 none; aht, csat and complaints are not bound
    assert (taken["added"], taken["without_data"], taken["by_hand"]) == (2, 1, 6)

    # hand-entered: csat 90 and two complaints for E004, checked by mgr; refused when it makes no sense
    assert "not a number" in fields(enter(client, h, "E004", "csat", "九十", "mgr"))["value"]
    assert "no active user" in error(enter(client, h, "E004", "csat", "90", "nobody"), 422)["message"]
    assert (
        "someone else"
        in error(enter(client, as_user(client, "mgr"), "E004", "csat", "90", "mgr"), 422)["message"]
    )
    h = as_user(client, "hr")
    csat = ok(enter(client, h, "E004", "csat", "90", "mgr"))
    complaints = ok(enter(client, h, "E004", "complaints", "2", "mgr"))
    assert (csat["hand_entered"], csat["approval"], csat["counts"]) == (True, "pending", False)
    evidence = ok(
        client.post(
            f"{URL}/actuals/{csat['id']}/evidence",
            files={"file": ("../质检报告.pdf", b"%PDF-1.4 quality report", "application/pdf")},
            headers=h,
        ),
        201,
    )
    assert evidence["filename"] == "质检报告.pdf" and evidence["size"] == 23

    # waiting for approval the hand values do not count: only fcr is scored, renormalised to 100%
    sheet = ok(client.get(f"{URL}/participants/E004/score"))
    assert line(sheet, "csat")["held"] and line(sheet, "csat")["hand_entered"]
    assert line(sheet, "fcr")["origin"] == "computed" and not line(sheet, "fcr")["hand_entered"]
    assert Decimal(line(sheet, "fcr")["value"]).quantize(Decimal("0.0001")) == Decimal("66.6667")
    # 60 + (66.6667 − 60) ÷ (80 − 60) × (100 − 60) = 73.33
    assert Decimal(line(sheet, "fcr")["score"]) == Decimal("73.33")
    assert Decimal(sheet["total"]) == Decimal("73.33") and sheet["grade"] == "C"

    m = as_user(client, "mgr")
    assert "Only mgr" in error(approve(client, as_user(client, "exec"), csat), 403)["message"]
    m = as_user(client, "mgr")
    ok(approve(client, m, csat))
    ok(approve(client, m, complaints))
    sheet = ok(client.get(f"{URL}/participants/E004/score"))
    # (73.33 × 50 + 100 × 50) ÷ 100 = 86.67, minus 2 complaints × 5 points = 76.67
    assert Decimal(line(sheet, "csat")["score"]) == Decimal(100)
    assert Decimal(sheet["total"]) == Decimal("76.67") and sheet["grade"] == "C"
    arithmetic = "\n".join(sheet["arithmetic"])
    assert "86.67" in arithmetic and "76.67" in arithmetic, arithmetic
    assert line(sheet, "fcr")["arithmetic"] == [
        "66.6667 lies between the threshold 60 (60) and the target 80 (100): "
        "60 + (66.6667 − 60) ÷ (80 − 60) × (100 − 60) = 73.33."
    ]

    # the employee sees their own hand-entered value marked, and its evidence; not a colleague's
    e = as_user(client, "emp")
    mine = {a["card"]: a for a in ok(client.get(f"{URL}/participants/E004/actuals", headers=e))}
    assert mine["csat"]["hand_entered"] and mine["csat"]["reviewer"] == "mgr"
    assert mine["fcr"]["lineage"]["metric"] == "fcr_rate" and mine["fcr"]["metric_actual_id"]
    got = client.get(mine["csat"]["evidence"][0]["url"])
    assert got.status_code == 200 and got.content == b"%PDF-1.4 quality report"
    assert client.get(f"{URL}/participants/E003/actuals").status_code == 404

    # taking actuals again keeps the hand-entered values
    h = as_user(client, "hr")
    again = ok(client.post(f"{URL}/actuals/take", headers=h))
    assert (again["added"], again["unchanged"]) == (0, 2)


def _to_review(f: sessionmaker[Session], principals: dict[str, Principal]) -> None:
    move(f, principals["hr"], CycleState.review)


@pytest.mark.req("S9.4")
def test_reviews_come_in_order_and_the_second_of_two_concurrent_saves_gets_a_conflict(
    running: dict[str, Principal], client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    e = as_user(client, "emp")
    r = client.put(f"{URL}/participants/E004/self-review", json={"comment": "早", "submit": True}, headers=e)
    assert "is running: you cannot write a self-review now" in error(r, 409)["message"]
    _to_review(session_factory, running)

    m = as_user(client, "mgr")
    r = client.put(
        f"{URL}/participants/E004/manager-review", json={"comment": "好", "submit": True}, headers=m
    )
    assert "has not submitted the self-review yet" in error(r, 409)["message"]
    r = client.put(f"{URL}/participants/E004/self-review", json={"comment": "代写"}, headers=m)
    assert "Only 张三 writes their own self-review" in error(r, 403)["message"]
    r = client.put(f"{URL}/participants/E002/manager-review", json={"comment": "自评"}, headers=m)
    assert "cannot review yourself" in error(r, 403)["message"]
    # a rubric self-rating on a card that is no rubric is named
    e = as_user(client, "emp")
    r = client.put(
        f"{URL}/participants/E004/self-review", json={"ratings": {"fcr": "A"}, "submit": True}, headers=e
    )
    assert set(fields(r)) == {"ratings.fcr", "comment"}
    saved = ok(
        client.put(f"{URL}/participants/E004/self-review", json={"comment": "完成了一季度目标"}, headers=e)
    )
    assert saved["step"] == "open"
    done = ok(
        client.put(
            f"{URL}/participants/E004/self-review",
            json={"comment": "完成了一季度目标，客户投诉减少", "submit": True, "version": saved["version"]},
            headers=e,
        )
    )
    assert done["step"] == "self_submitted"
    r = client.put(f"{URL}/participants/E004/self-review", json={"comment": "改", "submit": True}, headers=e)
    assert "was submitted on" in error(r, 409)["message"]

    # two people edit the same review from the same read: the second is told, the first is kept
    m = as_user(client, "mgr")
    v = ok(client.get(f"{URL}/participants/E004/review"))["version"]
    ok(
        client.put(
            f"{URL}/participants/E004/manager-review", json={"comment": "经理的草稿", "version": v}, headers=m
        )
    )
    h = as_user(client, "hr")
    r = client.put(
        f"{URL}/participants/E004/manager-review", json={"comment": "HR 的草稿", "version": v}, headers=h
    )
    assert "was changed by someone else while you were editing" in error(r, 409)["message"]
    assert ok(client.get(f"{URL}/participants/E004/review"))["manager_comment"] == "经理的草稿"

    # calibration waits for every manager review, naming who is missing
    r = client.post(
        f"{URL}/state", json={"to": "calibration", "version": _version(client), "reason": "按期"}, headers=h
    )
    assert set(fields(r)) == {
        "participants.E002.review",
        "participants.E003.review",
        "participants.E004.review",
    }
    # an appeal before the results are out is refused with the state
    e = as_user(client, "emp")
    r = client.post(f"{URL}/participants/E004/appeals", json={"reason": "我不同意这个评分结果"}, headers=e)
    assert "is in review: you cannot appeal a result now" in error(r, 409)["message"]


def _version(client: TestClient) -> int:
    return int(ok(client.get(URL))["version"])


@pytest.mark.req("S9.4")
@pytest.mark.req("S6.5")
def test_team_contributions_are_evaluated_in_the_manager_review(
    running: dict[str, Principal], client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    with unit_of_work(session_factory) as db:
        cycle = cycles.get_cycle(db, Q1)
        e3, e4 = (cycles.get_participant(db, running["hr"], cycle, n) for n in ("E003", "E004"))
        fcr = next(a.card for a in e4.assignments if a.card.code == "fcr")
        team = TeamIndicator(department_id=e4.department_id, card_id=fcr.id, period="2026", name="团队首解率")
        team.members = [
            TeamMember(employee_id=e3.employee_id, share=Decimal(60)),
            TeamMember(employee_id=e4.employee_id, share=Decimal(40)),
        ]
        db.add(team)
        db.flush()
        team_id = str(team.id)
    _to_review(session_factory, running)
    e = as_user(client, "emp")
    ok(
        client.put(
            f"{URL}/participants/E004/self-review", json={"comment": "协作完成", "submit": True}, headers=e
        )
    )
    m = as_user(client, "mgr")
    r = client.put(
        f"{URL}/participants/E004/manager-review", json={"comment": "稳定", "submit": True}, headers=m
    )
    assert f"contributions.{team_id}" in fields(r)
    done = ok(
        client.put(
            f"{URL}/participants/E004/manager-review",
            json={"comment": "稳定", "contributions": {team_id: "承担了 40% 的回访"}, "submit": True},
            headers=m,
        )
    )
    assert done["step"] == "manager_submitted" and done["contributions"] == {team_id: "承担了 40% 的回访"}


def _review_everyone(client: TestClient) -> None:
    e = as_user(client, "emp")
    ok(
        client.put(
            f"{URL}/participants/E004/self-review", json={"comment": "目标达成", "submit": True}, headers=e
        )
    )
    m = as_user(client, "mgr")
    ok(
        client.put(
            f"{URL}/participants/E002/self-review", json={"comment": "带队完成", "submit": True}, headers=m
        )
    )
    h = as_user(client, "hr")
    r = client.post(f"{URL}/participants/E003/self-review/waive", json={"reason": "长期病假"}, headers=h)
    assert ok(r)["self_waived"] == "长期病假"
    ok(
        client.put(
            f"{URL}/participants/E002/manager-review", json={"comment": "合格", "submit": True}, headers=h
        )
    )
    m = as_user(client, "mgr")
    for n in ("E003", "E004"):
        ok(
            client.put(
                f"{URL}/participants/{n}/manager-review", json={"comment": "认可", "submit": True}, headers=m
            )
        )


@pytest.mark.req("S9.4")
@pytest.mark.req("S9.1")
def test_calibration_shows_the_distribution_beside_the_forced_one_and_appeals_skip_the_rater(
    running: dict[str, Principal], client: TestClient, session_factory: sessionmaker[Session], db_url: str
) -> None:
    h = as_user(client, "hr")
    ok(client.post(f"{URL}/actuals/take", headers=h))
    # E002: fcr 60 → 60, aht 30 → 60, csat 60 → 60: total 60, C. E003: fcr 50 → 0 (below the
    # threshold), aht 20 → 100, csat 96 → 120: 0×40+100×30+120×30 = 66, C. E004: fcr 73.33, csat 90 → 100: 86.67, B.
    for number, card, value, reviewer in (
        ("E002", "fcr", "60", "exec"),
        ("E002", "aht", "30", "exec"),
        ("E002", "csat", "60", "exec"),
        ("E003", "aht", "20", "mgr"),
        ("E003", "csat", "96", "mgr"),
        ("E004", "csat", "90", "mgr"),
    ):
        a = ok(enter(client, h, number, card, value, reviewer))
        ok(approve(client, as_user(client, reviewer), a))
        h = as_user(client, "hr")
    _to_review(session_factory, running)
    _review_everyone(client)
    h = as_user(client, "hr")
    ok(
        client.post(
            f"{URL}/state",
            json={"to": "calibration", "version": _version(client), "reason": "评审完成"},
            headers=h,
        )
    )

    d = ok(client.get(f"{URL}/distribution"))
    rows = {r["grade"]: r for r in d["rows"]}
    assert d["total"] == 3 and d["ungraded"] == 0
    assert {g: rows[g]["count"] for g in "SABCD"} == {"S": 0, "A": 0, "B": 1, "C": 2, "D": 0}
    # forced 40/40/20 of 3 people: A 1.2 → 1, B 1.2 → 1, C 0.6 → 1
    assert {g: rows[g]["forced_count"] for g in "ABC"} == {"A": 1, "B": 1, "C": 1}
    assert (rows["C"]["difference"], rows["A"]["difference"], rows["S"]["forced_share"]) == (1, -1, None)
    assert Decimal(rows["C"]["share"]) == Decimal("66.7")

    # HR changes a grade with a reason; a manager may not; the change shows with its reason
    review = ok(client.get(f"{URL}/participants/E003/review"))
    m = as_user(client, "mgr")
    r = client.post(
        f"{URL}/participants/E003/grade",
        json={"grade": "B", "reason": "x", "version": review["version"]},
        headers=m,
    )
    assert r.status_code == 403
    h = as_user(client, "hr")
    r = client.post(
        f"{URL}/participants/E003/grade",
        json={"grade": "B", "reason": " ", "version": review["version"]},
        headers=h,
    )
    assert error(r, 422)["problems"][0]["field"] == "reason"
    ok(
        client.post(
            f"{URL}/participants/E003/grade",
            json={"grade": "B", "reason": "病假期间仍完成回访改进", "version": review["version"]},
            headers=h,
        )
    )
    d = ok(client.get(f"{URL}/distribution", params={"department": "OPS-A"}))
    assert d["total"] == 1 and d["changes"] == []
    d = ok(client.get(f"{URL}/distribution"))
    assert {r["grade"]: r["count"] for r in d["rows"]}["B"] == 2
    assert [
        (c["employee_number"], c["old_grade"], c["new_grade"], c["reason"], c["by"]) for c in d["changes"]
    ] == [("E003", "C", "B", "病假期间仍完成回访改进", "hr")]

    # the employee can neither confirm nor appeal before publication
    e = as_user(client, "emp")
    r = client.post(
        f"{URL}/participants/E004/appeals", json={"reason": "我认为评分没有考虑回访工作"}, headers=e
    )
    assert "not published yet" in error(r, 409)["message"]
    h = as_user(client, "hr")
    ok(client.post(f"{URL}/publish", json={"version": _version(client)}, headers=h))
    review = ok(client.get(f"{URL}/participants/E004/review"))
    r = client.post(
        f"{URL}/participants/E004/grade",
        json={"grade": "A", "reason": "再议", "version": review["version"]},
        headers=h,
    )
    assert "are published: a grade now changes only through an appeal" in error(r, 409)["message"]

    # E004 was rated by mgr (E002), whose manager is the CEO (account exec): the skip-level route
    e = as_user(client, "emp")
    r = client.post(f"{URL}/participants/E004/appeals", json={"reason": "太短"}, headers=e)
    assert fields(r) == {} and "at least a sentence" in error(r, 422)["message"]
    appeal = ok(
        client.post(
            f"{URL}/participants/E004/appeals",
            json={"reason": "我认为评分没有考虑我承担的回访工作", "route": "skip_level"},
            headers=e,
        ),
        201,
    )
    assert (appeal["route"], appeal["handler"], appeal["state"]) == ("skip_level", "exec", "open")
    assert (
        "still open"
        in error(
            client.post(f"{URL}/participants/E004/confirm", json={"version": review["version"]}, headers=e),
            409,
        )["message"]
    )
    m = as_user(client, "mgr")
    assert ok(client.get(f"{URL}/appeals")) == []  # the rater does not even see it
    decision = {"uphold": True, "decision": "回访工作量属实", "grade": "A", "version": appeal["version"]}
    r = client.post(f"{URL}/appeals/{appeal['id']}/decision", json=decision, headers=m)
    assert r.status_code == 404
    h = as_user(client, "hr")
    r = client.post(
        f"{URL}/state", json={"to": "closed", "version": _version(client), "reason": "结束"}, headers=h
    )
    assert f"appeals.{appeal['id']}" in fields(r)
    x = as_user(client, "exec")
    decided = ok(client.post(f"{URL}/appeals/{appeal['id']}/decision", json=decision, headers=x))
    assert (decided["state"], decided["new_grade"], decided["decided_by"]) == ("upheld", "A", "exec")
    d = ok(client.get(f"{URL}/distribution"))
    assert d["changes"][0]["appeal_id"] == appeal["id"] and d["changes"][0]["new_grade"] == "A"

    e = as_user(client, "emp")
    review = ok(client.get(f"{URL}/participants/E004/review"))
    assert review["final_grade"] == "A"
    ok(
        client.post(
            f"{URL}/participants/E004/confirm",
            json={"comment": "认可", "version": review["version"]},
            headers=e,
        )
    )
    h = as_user(client, "hr")
    closed = ok(
        client.post(
            f"{URL}/state", json={"to": "closed", "version": _version(client), "reason": "结束"}, headers=h
        )
    )
    assert closed["state"] == "closed"

    # closed: the service refuses everyone; on PostgreSQL the database refuses a raw write too
    r = client.post(f"{URL}/participants/E003/self-review/waive", json={"reason": "补"}, headers=h)
    assert "A closed cycle cannot be changed by anyone." in error(r, 409)["message"]
    e = as_user(client, "emp")
    r = client.post(f"{URL}/participants/E004/appeals", json={"reason": "我还是不同意这个结果"}, headers=e)
    assert "is closed" in error(r, 409)["message"]
    if db_url.startswith("postgresql"):
        with session_factory() as db:
            cycle_id = cycles.get_cycle(db, Q1).id
        for sql in (
            "UPDATE cycle_review SET final_grade = 'S' WHERE cycle_id = :id",
            "DELETE FROM cycle_actual WHERE cycle_id = :id",
            "UPDATE cycle_appeal SET state = 'open' WHERE cycle_id = :id",
            "DELETE FROM cycle_calibration WHERE cycle_id = :id",
        ):
            with session_factory() as db, pytest.raises(DBAPIError, match="of closed cycle"):
                db.execute(text(sql), {"id": cycle_id})
                db.commit()


@pytest.mark.req("S9.4")
def test_progress_names_who_has_not_done_their_step_and_reminders_reach_them(
    running: dict[str, Principal], client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    _to_review(session_factory, running)
    e = as_user(client, "emp")
    assert ok(client.get("/api/v1/cycles/due")) == [{"cycle": Q1, "step": "self_review", "count": 1}]
    h = as_user(client, "hr")
    pr = ok(client.get(f"{URL}/progress"))
    assert pr["waiting"] == {"self_review": 3}
    assert {r["employee_number"]: r["rater"] for r in pr["rows"]} == {
        "E002": "高总",
        "E003": "王经理",
        "E004": "王经理",
    }
    assert ok(client.post(f"{URL}/reminders", headers=h)) == {
        "reminded": 2
    }  # emp and mgr; E003 has no account
    e = as_user(client, "emp")
    mine = ok(client.get("/api/v1/cycles/reminders"))
    assert [(r["cycle"], r["step"], r["sent_by"]) for r in mine] == [(Q1, "self_review", "hr")]
    ok(
        client.put(
            f"{URL}/participants/E004/self-review", json={"comment": "已完成", "submit": True}, headers=e
        )
    )
    assert ok(client.get("/api/v1/cycles/due")) == []
    assert client.post(f"/api/v1/cycles/reminders/{mine[0]['id']}/read", headers=e).status_code == 204
    assert ok(client.get("/api/v1/cycles/reminders")) == []
    as_user(client, "mgr")
    assert ok(client.get("/api/v1/cycles/due")) == [
        {"cycle": Q1, "step": "self_review", "count": 1},
        {"cycle": Q1, "step": "manager_review", "count": 1},
    ]
    h = as_user(client, "hr")
    assert ok(client.get(f"{URL}/progress"))["waiting"] == {"self_review": 2, "manager_review": 1}


@pytest.mark.req("S9.4")
def test_department_and_enterprise_scorecards_roll_up_from_the_computed_figures(
    running: dict[str, Principal], client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    with unit_of_work(session_factory) as db:
        ops = db.scalar(select(Department).where(Department.code == "OPS"))
        fcr = db.scalar(select(IndicatorCard).where(IndicatorCard.code == "fcr"))
        assert ops is not None and fcr is not None
        db.add(
            KpiCandidate(
                department_id=ops.id, name="首次解决率", source=CandidateSource.library, card_id=fcr.id,
                core=True, weight=Decimal(100),
            )
        )  # fmt: skip
    h = as_user(client, "hr")
    ok(client.post(f"{URL}/actuals/take", headers=h))
    units = ok(client.get(f"{URL}/scorecards"))
    # a pilot cycle has no enterprise scorecard; OPS's subtree closed 5 tickets, 3 at first contact: 60% → 60
    assert units["enterprise"] is None
    (ops_sheet,) = units["departments"]
    assert (ops_sheet["code"], Decimal(ops_sheet["lines"][0]["value"])) == ("OPS", Decimal(60))
    assert (Decimal(ops_sheet["total"]), ops_sheet["grade"]) == (Decimal(60), "C")
    assert any("60" in step for step in ops_sheet["arithmetic"])


@pytest.mark.req("S9.4")
def test_the_cli_takes_actuals_shows_progress_and_sends_reminders(
    running: dict[str, Principal],
    session_factory: sessionmaker[Session],
    db_url: str,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from typer.testing import CliRunner

    from northstar.cli import app as cli
    from northstar.config import get_settings

    monkeypatch.setenv("NORTHSTAR_DATABASE_URL", db_url)
    monkeypatch.setenv("NORTHSTAR_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        taken = runner.invoke(cli, ["cycles", "take-actuals", Q1])
        assert taken.exit_code == 0, taken.output
        assert f"{Q1}: 2 added, 0 refreshed, 0 unchanged" in taken.output
        _to_review(session_factory, running)
        shown = runner.invoke(cli, ["cycles", "progress", Q1])
        assert "write your self-review: 3" in shown.output and "E004 张三" in shown.output
        reminded = runner.invoke(cli, ["cycles", "remind", Q1])
        assert f"{Q1}: 2 people reminded." in reminded.output
        listed = runner.invoke(cli, ["cycles", "list"])
        assert Q1 in listed.output and "review" in listed.output
        missing = runner.invoke(cli, ["cycles", "remind", "2030-Q9"])
        assert missing.exit_code == 1 and 'No performance cycle with code "2030-Q9"' in missing.output
    finally:
        get_settings.cache_clear()
