"""Positions by the key-responsibility-output method (S6.1): a design saved whole through the
JSON API and piece by piece through the page, its findings with their fixes, and who may edit."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from northstar.audit import AuditLog
from northstar.catalogue.library import library_card
from northstar.customers import service as customers
from northstar.customers.models import CustomerCategory
from northstar.db import unit_of_work
from northstar.indicators import service as indicators
from northstar.indicators.schemas import CardIn
from northstar.org import service as org
from northstar.security.principal import SYSTEM_PRINCIPAL
from tests.conftest import login
from tests.factories import PASSWORD, build_small_org

#: the cards of the test design: (code, role); the first two point at customer value
CARDS = ("on_time_delivery_rate", "response_time", "budget_variance", "safety_incidents", "collection_cycle")


def set_up(factory: sessionmaker[Session]) -> None:
    """The small organisation, five complete library cards, one draft card and three customers."""
    build_small_org(factory)
    with unit_of_work(factory) as db:
        for code in CARDS:
            card = library_card(code)
            assert card is not None
            indicators.create_card(db, SYSTEM_PRINCIPAL, card)
        indicators.create_card(db, SYSTEM_PRINCIPAL, CardIn(code="draft_card", name="草稿指标"))
        customers.create_customer(
            db, SYSTEM_PRINCIPAL, code="KA", name="汽车大客户", name_en="Automotive key accounts",
            category=CustomerCategory.key_account,
        )  # fmt: skip
        customers.create_customer(
            db,
            SYSTEM_PRINCIPAL,
            code="END",
            name="终端用户",
            name_en="End users",
            category=CustomerCategory.end_user,
        )
        customers.create_customer(
            db, SYSTEM_PRINCIPAL, code="FIN-C", name="财务部", name_en="Finance department",
            category=CustomerCategory.department, department_code="FIN",
        )  # fmt: skip


def design(**changes: Any) -> dict[str, Any]:
    """A valid design: 3 responsibilities, one output each, 3 core indicators, weights 100."""
    body: dict[str, Any] = {
        "responsibilities": [
            {
                "name": "保障订单准时交付",
                "name_en": "Deliver orders on time",
                "customers": ["KA"],
                "outputs": [
                    {
                        "name": "准时交付的订单",
                        "name_en": "Orders delivered on time",
                        "indicator": {"card": "on_time_delivery_rate", "weight": 30},
                        "supporting": [{"card": "safety_incidents", "role": "quality", "weight": 10}],
                    }
                ],
            },
            {
                "name": "快速响应客户问题",
                "name_en": "Answer customer problems fast",
                "customers": ["KA", "END"],
                "outputs": [{"name": "及时的响应", "indicator": {"card": "response_time", "weight": 25}}],
            },
            {
                "name": "按时提交运营数据",
                "name_en": "Hand in operating data on time",
                "customers": ["FIN-C"],
                "outputs": [
                    {"name": "准确的运营报表", "indicator": {"card": "budget_variance", "weight": 25}}
                ],
            },
        ],
        "other_indicators": [{"card": "collection_cycle", "role": "collaboration", "weight": 10}],
    }
    body.update(changes)
    return body


@pytest.fixture
def setup(session_factory: sessionmaker[Session]) -> None:
    set_up(session_factory)


def as_user(client: TestClient, username: str) -> dict[str, str]:
    return {"X-CSRF-Token": login(client, username, PASSWORD)}


def position_id(client: TestClient, code: str = "OPS-AG") -> int:
    rows = client.get("/api/v1/positions/designs").json()
    return next(p["id"] for p in rows if p["code"] == code)


def save(client: TestClient, h: dict[str, str], body: dict[str, Any], pid: int | None = None) -> Any:
    pid = pid or position_id(client)
    return client.put(f"/api/v1/positions/{pid}/design", json=body, headers=h)


@pytest.mark.req("S6.1")
def test_a_position_with_three_responsibilities_outputs_and_indicators_is_valid(
    client: TestClient, setup: None, db: Session
) -> None:
    h = as_user(client, "hr")
    r = save(client, h, design())
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["findings"] == []
    assert out["weight_sum"] == "100"
    got = out["design"]
    assert [x["customers"] for x in got["responsibilities"]] == [["KA"], ["END", "KA"], ["FIN-C"]]
    assert got["responsibilities"][0]["outputs"][0]["indicator"]["card"] == "on_time_delivery_rate"
    assert got["responsibilities"][0]["outputs"][0]["supporting"][0]["role"] == "quality"
    assert got["other_indicators"][0]["role"] == "collaboration"
    row = next(p for p in client.get("/api/v1/positions/designs").json() if p["code"] == "OPS-AG")
    assert (row["responsibilities"], row["outputs"], row["indicators"]) == (3, 3, 5)
    assert (row["status"], row["errors"], row["holders"]) == ("complete", 0, 2)
    audited = db.scalars(select(AuditLog.field).where(AuditLog.entity == "position_design")).all()
    assert "responsibilities[1].customers" in audited and "indicator:response_time" in audited


@pytest.mark.req("S6.1")
def test_saving_the_design_again_keeps_the_rows_that_people_inherit(client: TestClient, setup: None) -> None:
    h = as_user(client, "hr")
    assert save(client, h, design()).status_code == 200
    body = design()
    body["responsibilities"][1]["outputs"][0]["indicator"]["weight"] = 35
    body["other_indicators"] = []
    r = save(client, h, body)
    assert r.status_code == 200, r.text
    assert r.json()["findings"] == []
    assert r.json()["design"]["responsibilities"][1]["outputs"][0]["indicator"]["weight"] == "35"


@pytest.mark.req("S6.1")
def test_six_responsibilities_are_saved_as_a_draft_with_a_finding_and_its_fix(
    client: TestClient, setup: None
) -> None:
    h = as_user(client, "hr")
    body = design()
    body["responsibilities"] += [
        {"name": f"职责{n}", "customers": ["END"], "outputs": [{"name": f"产出{n}"}]} for n in range(4, 7)
    ]
    r = save(client, h, body)
    assert r.status_code == 200, r.text
    findings = r.json()["findings"]
    first = findings[0]
    assert first["path"] == "responsibilities" and first["severity"] == "warning"
    assert "6, more than 5" in first["message"] and "keep 3–5" in first["message"]
    # the three extra outputs have no core indicator: each reported where it is, with the fix
    paths = {f["path"] for f in findings}
    assert "responsibilities[5].outputs[0].indicator" in paths


@pytest.mark.req("S6.1")
def test_three_outputs_are_refused_naming_the_path_and_nothing_is_stored(
    client: TestClient, setup: None
) -> None:
    h = as_user(client, "hr")
    body = design()
    body["responsibilities"][1]["outputs"] += [{"name": "产出二"}, {"name": "产出三"}]
    r = save(client, h, body)
    assert r.status_code == 422
    problem = r.json()["error"]["problems"][0]
    assert problem["field"] == "responsibilities[1].outputs"
    assert "3 key outputs" in problem["message"] and "1–2" in problem["message"]
    stored = client.get(f"/api/v1/positions/{position_id(client)}/design").json()
    assert stored["design"]["responsibilities"] == []


@pytest.mark.req("S6.1")
def test_weights_of_90_are_reported_with_the_sum_and_which_way_to_move(
    client: TestClient, setup: None
) -> None:
    h = as_user(client, "hr")
    body = design()
    body["other_indicators"] = []
    r = save(client, h, body)
    assert r.status_code == 200
    [finding] = r.json()["findings"]
    assert finding["path"] == "weights" and finding["severity"] == "error"
    assert "90%, not 100%" in finding["message"] and "add 10 points" in finding["message"]
    row = next(p for p in client.get("/api/v1/positions/designs").json() if p["code"] == "OPS-AG")
    assert (row["status"], row["weight_sum"]) == ("draft", "90")


@pytest.mark.req("S6.1")
def test_missing_customers_core_indicators_and_incomplete_cards_are_findings(
    client: TestClient, setup: None
) -> None:
    h = as_user(client, "hr")
    body = design()
    body["responsibilities"][2]["customers"] = []
    body["responsibilities"][2]["outputs"][0]["indicator"] = None
    body["other_indicators"][0] = {"card": "draft_card", "role": "collaboration", "weight": 35}
    findings = {f["path"]: f for f in save(client, h, body).json()["findings"]}
    assert "names no customer" in findings["responsibilities[2].customers"]["message"]
    assert "no core indicator" in findings["responsibilities[2].outputs[0].indicator"]["message"]
    draft = findings["other_indicators[0]"]
    assert (
        draft["severity"] == "warning"
        and "Definition" in draft["message"]
        and "Data owner" in draft["message"]
    )


@pytest.mark.req("S6.1")
def test_unknown_codes_a_card_used_twice_and_a_core_outside_an_output_are_refused(
    client: TestClient, setup: None
) -> None:
    h = as_user(client, "hr")
    body = copy.deepcopy(design())
    body["responsibilities"][0]["customers"] = ["NOPE"]
    body["responsibilities"][1]["outputs"][0]["indicator"]["card"] = "on_time_delivery_rate"
    body["other_indicators"][0]["role"] = "core"
    body["responsibilities"][2]["outputs"][0]["indicator"]["candidate"] = {
        "department": "OPS",
        "indicator": "x",
    }
    r = save(client, h, body)
    assert r.status_code == 422
    problems = {p["field"]: p["message"] for p in r.json()["error"]["problems"]}
    assert 'Unknown customer code "NOPE"' in problems["responsibilities[0].customers[0]"]
    assert (
        "already on this position at responsibilities[0].outputs[0].indicator"
        in (problems["responsibilities[1].outputs[0].indicator.card"])
    )
    assert "quality or collaboration" in problems["other_indicators[0].role"]
    assert 'no candidate "x"' in problems["responsibilities[2].outputs[0].indicator.candidate.indicator"]


@pytest.mark.req("S6.1")
def test_a_manager_designs_positions_of_their_department_only(
    client: TestClient, setup: None, session_factory: sessionmaker[Session]
) -> None:
    with unit_of_work(session_factory) as s:
        org.create_position(s, SYSTEM_PRINCIPAL, code="FIN-AC", name="会计", department_code="FIN")
    h = as_user(client, "mgr")
    assert save(client, h, design()).status_code == 200
    r = save(client, h, design(), position_id(client, "FIN-AC"))
    assert r.status_code == 403
    assert "own department" in r.json()["error"]["message"]
    for user in ("emp", "aud"):
        other = TestClient(client.app)
        assert save(other, as_user(other, user), design()).status_code == 403


@pytest.mark.req("S6.1")
def test_a_design_saved_on_an_old_read_is_refused_with_a_conflict(client: TestClient, setup: None) -> None:
    h = as_user(client, "hr")
    version = client.get(f"/api/v1/positions/{position_id(client)}/design").json()["version"]
    assert save(client, h, design(version=version)).status_code == 200
    r = save(client, h, design(version=version))
    assert r.status_code == 409
    assert "changed by someone else" in r.json()["error"]["message"]


@pytest.mark.req("S6.1")
def test_the_position_pages_show_the_tree_and_edit_it_piece_by_piece(client: TestClient, setup: None) -> None:
    h = as_user(client, "hr")
    pid = position_id(client)
    page = client.get(f"/positions/{pid}?lang=en")
    assert page.status_code == 200
    assert 'data-testid="empty-design"' in page.text
    version = client.get(f"/api/v1/positions/{pid}/design").json()["version"]
    form = {"csrf_token": h["X-CSRF-Token"], "version": str(version)}
    r = client.post(
        f"/positions/{pid}/responsibilities",
        data=form
        | {"name": "保障订单准时交付", "name_en": "Deliver orders on time", "customer": ["KA", "END"]},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    form["version"] = str(version + 1)
    r = client.post(
        f"/positions/{pid}/responsibilities/0/outputs",
        data=form | {"name": "准时交付的订单", "card": "on_time_delivery_rate", "weight": "60"},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    form["version"] = str(version + 2)
    r = client.post(
        f"/positions/{pid}/indicators",
        data=form | {"card": "safety_incidents", "role": "quality", "weight": "40", "at": "0.0"},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    page = client.get(f"/positions/{pid}?lang=en")
    assert "Deliver orders on time" in page.text and "Automotive key accounts" in page.text
    assert "On-time delivery rate" in page.text
    assert "Key responsibilities: 1, fewer than 3. Add 2 more" in page.text
    assert "Assign to all 2 holders" in page.text
    zh = client.get(f"/positions/{pid}?lang=zh-CN")
    assert "保障订单准时交付" in zh.text and "准时交付率" in zh.text and "汽车大客户" in zh.text
    listing = client.get("/positions?lang=en")
    assert 'data-code="OPS-AG"' in listing.text and "Operations" in listing.text


@pytest.mark.req("S6.1")
def test_a_third_output_from_the_page_shows_the_problem_on_the_page(client: TestClient, setup: None) -> None:
    h = as_user(client, "hr")
    pid = position_id(client)
    body = design()
    body["responsibilities"][0]["outputs"].append({"name": "第二产出"})
    assert save(client, h, body).status_code == 200
    version = client.get(f"/api/v1/positions/{pid}/design").json()["version"]
    r = client.post(
        f"/positions/{pid}/responsibilities/0/outputs?lang=en",
        data={"csrf_token": h["X-CSRF-Token"], "version": str(version), "name": "第三产出"},
    )
    assert r.status_code == 422
    assert "responsibilities[0].outputs" in r.text and "3 key outputs" in r.text
    assert "第三产出" not in client.get(f"/positions/{pid}").text
