"""Personal scorecards (S6.2): inherited from the position, assigned to every holder in one action,
adjusted per person under a version check, checked against the method, and seen only in scope."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from northstar.audit import AuditLog
from northstar.db import unit_of_work
from northstar.errors import ValidationFailed
from northstar.org import service as org
from northstar.org.models import Employee
from northstar.positions import service as positions
from northstar.scorecards import personal_io
from northstar.scorecards import service as personal
from northstar.scorecards.models import PersonalScorecard
from northstar.security.principal import SYSTEM_PRINCIPAL
from tests.test_positions import as_user, design, position_id, save, set_up


@pytest.fixture
def holders(session_factory: sessionmaker[Session]) -> None:
    """The test design on OPS-AG, held by mgr, b1 and a1 (emp's account); a former holder has left."""
    set_up(session_factory)
    with unit_of_work(session_factory) as db:
        a1 = org.get_employee_by_number(db, SYSTEM_PRINCIPAL, number="E004")
        org.update_employee(db, SYSTEM_PRINCIPAL, a1, version=a1.version, position_code="OPS-AG")
        org.create_employee(
            db, SYSTEM_PRINCIPAL, number="E099", name="周离", department_code="OPS", position_code="OPS-AG",
            start_date=date(2020, 1, 1), end_date=date(2021, 12, 31),
        )  # fmt: skip


def assign(client: TestClient, h: dict[str, str], **body: Any) -> Any:
    r = client.post(
        f"/api/v1/positions/{position_id(client)}/assign", json={"period": "2026"} | body, headers=h
    )
    assert r.status_code == 200, r.text
    return r.json()


def scorecard_of(client: TestClient, number: str, period: str = "2026") -> dict[str, Any]:
    row = next(
        s
        for s in client.get("/api/v1/scorecards", params={"period": period}).json()
        if s["employee_number"] == number
    )
    return client.get(f"/api/v1/scorecards/{row['id']}").json()


def item(sc: dict[str, Any], card: str) -> dict[str, Any]:
    return next(i for i in sc["items"] if i["card"] == card)


def designed(client: TestClient) -> dict[str, str]:
    h = as_user(client, "hr")
    assert save(client, h, design()).status_code == 200
    return h


@pytest.mark.req("S6.2")
def test_bulk_assignment_gives_three_holders_their_scorecards_in_one_call_and_keeps_an_adjusted_item(
    client: TestClient, holders: None, db: Session
) -> None:
    h = designed(client)
    first = assign(client, h)
    assert (first["holders"], first["created"], first["refreshed"], first["kept_adjusted"]) == (3, 3, 0, 0)
    rows = client.get("/api/v1/scorecards", params={"period": "2026"}).json()
    assert sorted(r["employee_number"] for r in rows) == ["E002", "E003", "E004"]
    assert all((r["item_count"], r["core_count"], r["weight_sum"]) == (5, 3, "100") for r in rows)
    assert (
        db.scalar(
            select(func.count()).where(AuditLog.entity == "personal_scorecard", AuditLog.action == "assign")
        )
        == 3
    )

    # b1's manager gives b1 more weight on on-time delivery and less on response time
    b1 = scorecard_of(client, "E003")
    assert item(b1, "on_time_delivery_rate")["origin"] == "inherited"
    weights = [
        {"item_id": item(b1, "on_time_delivery_rate")["id"], "weight": 40},
        {"item_id": item(b1, "response_time")["id"], "weight": 15},
    ]
    r = client.put(
        f"/api/v1/scorecards/{b1['id']}/weights",
        json={"version": b1["version"], "weights": weights},
        headers=h,
    )
    assert r.status_code == 200, r.text
    assert item(r.json(), "on_time_delivery_rate")["origin"] == "adjusted"

    # the position moves 5 points from response time to on-time delivery and is assigned again
    body = design()
    body["responsibilities"][0]["outputs"][0]["indicator"]["weight"] = 35
    body["responsibilities"][1]["outputs"][0]["indicator"]["weight"] = 20
    assert save(client, h, body).status_code == 200
    second = assign(client, h)
    assert (second["created"], second["refreshed"], second["kept_adjusted"]) == (0, 3, 2)
    assert item(scorecard_of(client, "E003"), "on_time_delivery_rate")["weight"] == "40"
    assert item(scorecard_of(client, "E002"), "on_time_delivery_rate")["weight"] == "35"

    third = assign(client, h, overwrite=True)
    assert third["kept_adjusted"] == 0
    reset = item(scorecard_of(client, "E003"), "on_time_delivery_rate")
    assert (reset["weight"], reset["origin"]) == ("35", "inherited")


@pytest.mark.req("S6.2")
def test_the_position_page_assigns_to_all_holders_and_shows_the_counts(
    client: TestClient, holders: None
) -> None:
    h = designed(client)
    pid = position_id(client)
    r = client.post(
        f"/positions/{pid}/assign?lang=en", data={"csrf_token": h["X-CSRF-Token"], "period": "2026"}
    )
    assert r.status_code == 200
    assert (
        "Assigned for 2026 to 3 holders: 3 scorecards created, 0 refreshed, 0 adjusted items kept." in r.text
    )


@pytest.mark.req("S6.2")
def test_two_core_indicators_are_reported_with_the_fix(client: TestClient, holders: None) -> None:
    h = designed(client)
    assign(client, h)
    sc = scorecard_of(client, "E003")
    r = client.patch(
        f"/api/v1/scorecards/{sc['id']}/items/{item(sc, 'budget_variance')['id']}",
        json={"version": sc["version"], "role": "quality"},
        headers=h,
    )
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["core_count"] == 2
    messages = [f["message"] for f in out["findings"] if f["severity"] == "error"]
    assert messages == [
        "Core indicators: 2, fewer than 3. Make 1 more indicators core, or add core indicators, to reach 3–5."
    ]
    assert item(out, "budget_variance")["origin"] == "adjusted"


@pytest.mark.req("S6.2")
def test_no_indicator_pointing_at_customer_value_is_an_error_and_only_one_a_tip(
    client: TestClient, holders: None
) -> None:
    h = designed(client)
    assign(client, h)
    sc = scorecard_of(client, "E003")
    r = client.delete(
        f"/api/v1/scorecards/{sc['id']}/items/{item(sc, 'response_time')['id']}",
        params={"version": sc["version"]},
        headers=h,
    )
    assert r.status_code == 200, r.text
    tips = [f["message"] for f in r.json()["findings"] if f["severity"] == "tip"]
    assert tips and tips[0].startswith("Only one indicator points at customer value")
    sc = r.json()
    r = client.delete(
        f"/api/v1/scorecards/{sc['id']}/items/{item(sc, 'on_time_delivery_rate')['id']}",
        params={"version": sc["version"]},
        headers=h,
    )
    out = r.json()
    assert out["customer_value_count"] == 0
    errors = [f["message"] for f in out["findings"] if f["severity"] == "error"]
    assert any(
        m.startswith("No indicator points at customer value: add one whose card serves") for m in errors
    )
    assert any("45%, not 100%" in m for m in errors)


@pytest.mark.req("S6.2")
def test_weights_set_together_must_add_up_to_100_and_a_stale_version_is_a_conflict(
    client: TestClient, holders: None
) -> None:
    h = designed(client)
    assign(client, h)
    sc = scorecard_of(client, "E002")
    target = item(sc, "response_time")["id"]
    r = client.put(
        f"/api/v1/scorecards/{sc['id']}/weights",
        json={"version": sc["version"], "weights": [{"item_id": target, "weight": 15}]},
        headers=h,
    )
    assert r.status_code == 422
    assert "90%, not 100%" in r.json()["error"]["problems"][0]["message"]
    ok = client.patch(
        f"/api/v1/scorecards/{sc['id']}/items/{target}",
        json={"version": sc["version"], "note": "重点跟进"},
        headers=h,
    )
    assert ok.status_code == 200
    stale = client.patch(
        f"/api/v1/scorecards/{sc['id']}/items/{target}",
        json={"version": sc["version"], "weight": 20},
        headers=h,
    )
    assert stale.status_code == 409
    message = stale.json()["error"]["message"]
    assert "王经理 · 2026 was changed by someone else" in message and "Reload the page" in message


@pytest.mark.req("S6.2")
def test_an_employee_sees_only_their_own_scorecard_and_cannot_change_it(
    client: TestClient, holders: None
) -> None:
    h = designed(client)
    assign(client, h)
    colleague = scorecard_of(client, "E003")
    own = scorecard_of(client, "E004")
    emp = TestClient(client.app)
    he = as_user(emp, "emp")
    assert [s["employee_number"] for s in emp.get("/api/v1/scorecards").json()] == ["E004"]
    r = emp.get(f"/api/v1/scorecards/{colleague['id']}")
    assert r.status_code == 404
    assert "that you may see" in r.json()["error"]["message"]
    page = emp.get(f"/scorecards/{colleague['id']}?lang=en")
    assert page.status_code == 404 and "everyone sees their own scorecard" in page.text
    r = emp.patch(
        f"/api/v1/scorecards/{own['id']}/items/{own['items'][0]['id']}",
        json={"version": own["version"], "weight": 50},
        headers=he,
    )
    assert r.status_code == 403
    assert "may not change the scorecard of 张三" in r.json()["error"]["message"]
    # the manager sees the department and reports, but may not change their own scorecard
    mgr = TestClient(client.app)
    hm = as_user(mgr, "mgr")
    assert sorted(s["employee_number"] for s in mgr.get("/api/v1/scorecards").json()) == [
        "E002",
        "E003",
        "E004",
    ]
    mine = scorecard_of(mgr, "E002")
    r = mgr.patch(
        f"/api/v1/scorecards/{mine['id']}/items/{mine['items'][0]['id']}",
        json={"version": mine["version"], "weight": 50},
        headers=hm,
    )
    assert r.status_code == 403


@pytest.mark.req("S6.2")
def test_my_scorecard_page_shows_my_indicators_in_chinese_and_english(
    client: TestClient, holders: None, session_factory: sessionmaker[Session]
) -> None:
    h = designed(client)
    assign(client, h)
    emp = TestClient(client.app)
    as_user(emp, "emp")
    zh = emp.get("/scorecards/me?lang=zh-CN")
    assert zh.status_code == 200
    assert "准时交付率" in zh.text and "响应时长" in zh.text and "2026" in zh.text
    assert 'data-origin="inherited"' in zh.text
    en = emp.get("/scorecards/me?lang=en")
    assert "On-time delivery rate" in en.text and "Response time" in en.text
    assert 'data-testid="design-tabs"' not in en.text
    # someone whose scorecard is not set up yet gets told who sets it up
    with unit_of_work(session_factory) as db:
        assert db.scalar(select(Employee.number).where(Employee.number == "E001")) == "E001"
    ceo = TestClient(client.app)
    as_user(ceo, "exec")
    empty = ceo.get("/scorecards/me?lang=en")
    assert empty.status_code == 200
    assert (
        "Your scorecard has not been set up yet." in empty.text
        and "Ask HR to record your position" in empty.text
    )


@pytest.mark.req("S6.2")
def test_the_scorecard_pages_list_people_in_scope_and_edit_weights(client: TestClient, holders: None) -> None:
    h = designed(client)
    assign(client, h)
    listing = client.get("/scorecards?lang=en")
    assert listing.status_code == 200
    assert listing.text.count('data-testid="scorecard-row"') == 3 and "Operations Agent" in listing.text
    sc = scorecard_of(client, "E003")
    page = client.get(f"/scorecards/{sc['id']}?lang=en")
    assert page.status_code == 200 and 'data-testid="weights-form"' in page.text
    form = {"csrf_token": h["X-CSRF-Token"], "version": str(sc["version"])}
    form |= {f"weight-{i['id']}": str(i["weight"]) for i in sc["items"]}
    form[f"weight-{item(sc, 'collection_cycle')['id']}"] = "20"
    r = client.post(f"/scorecards/{sc['id']}/weights?lang=en", data=form)
    assert r.status_code == 422 and "110%, not 100%: take 10 points off" in r.text
    form[f"weight-{item(sc, 'safety_incidents')['id']}"] = "0"
    r = client.post(f"/scorecards/{sc['id']}/weights", data=form, follow_redirects=False)
    assert r.status_code == 303
    page = client.get(f"/scorecards/{sc['id']}?lang=en")
    assert "has weight 0, so it does not count" in page.text


@pytest.mark.req("S6.1", "S6.2")
def test_designs_and_scorecards_round_trip_as_plain_data(
    client: TestClient, holders: None, session_factory: sessionmaker[Session]
) -> None:
    h = designed(client)
    assign(client, h)
    sc = scorecard_of(client, "E003")
    r = client.patch(
        f"/api/v1/scorecards/{sc['id']}/items/{item(sc, 'response_time')['id']}",
        json={"version": sc["version"], "weight": 20, "note": "重点跟进"},
        headers=h,
    )
    assert r.status_code == 200
    with unit_of_work(session_factory) as db:
        pos = org.get_position_by_code(db, "OPS-AG")
        exported = positions.design_of(db, pos)
        twin = org.create_position(
            db, SYSTEM_PRINCIPAL, code="OPS-AG2", name="运营专员二", department_code="OPS"
        )
        positions.save_position_design(db, SYSTEM_PRINCIPAL, twin, exported)
        assert positions.design_of(db, twin) == exported
        b1 = org.get_employee_by_number(db, SYSTEM_PRINCIPAL, number="E003")
        card = personal.find_scorecard(db, b1, "2026")
        assert card is not None
        plain = personal_io.scorecard_of(card)
        assert [(i.card, i.inherited, i.adjusted) for i in plain.items][:2] == [
            ("on_time_delivery_rate", True, False),
            ("safety_incidents", True, False),
        ]
        again = personal_io.save_scorecard(db, SYSTEM_PRINCIPAL, b1, "2027", plain)
        assert personal_io.scorecard_of(again) == plain
        bad = plain.model_copy(update={"position": "NOPE"})
        with pytest.raises(ValidationFailed) as refused:
            personal_io.save_scorecard(db, SYSTEM_PRINCIPAL, b1, "2028", bad)
        fields = {p.field for p in refused.value.problems}
        assert {"position", "items[0].inherited"} <= fields


@pytest.mark.req("S6.2")
def test_an_inherited_indicator_taken_off_by_hand_stays_off_when_the_position_is_assigned_again(
    client: TestClient, holders: None, db: Session
) -> None:
    h = designed(client)
    assign(client, h)
    sc = scorecard_of(client, "E003")
    r = client.delete(
        f"/api/v1/scorecards/{sc['id']}/items/{item(sc, 'response_time')['id']}",
        params={"version": sc["version"]},
        headers=h,
    )
    assert r.status_code == 200, r.text
    again = assign(client, h)
    assert again["refreshed"] == 3
    cards = [i["card"] for i in scorecard_of(client, "E003")["items"]]
    assert "response_time" not in cards
    assert "response_time" in [i["card"] for i in scorecard_of(client, "E002")["items"]]
    stored = db.scalar(
        select(PersonalScorecard)
        .join(Employee)
        .where(Employee.number == "E003", PersonalScorecard.period == "2026")
    )
    assert personal_io.scorecard_of(stored).declined == ["response_time"]

    assign(client, h, overwrite=True)
    assert "response_time" in [i["card"] for i in scorecard_of(client, "E003")["items"]]
