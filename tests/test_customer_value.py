"""Customer value design (steps 1–3): strategy record, customers, segments, value propositions
with suggested indicators, journey, processes and the responsibility map — through the JSON API
as a client sees it, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from northstar.audit import AuditLog
from tests.conftest import login
from tests.factories import PASSWORD, build_small_org


@pytest.fixture
def org(session_factory: sessionmaker[Session]) -> None:
    build_small_org(session_factory)


def as_user(client: TestClient, username: str) -> dict[str, str]:
    return {"X-CSRF-Token": login(client, username, PASSWORD)}


def make_segment(client: TestClient, h: dict[str, str], code: str = "KA", **extra: Any) -> dict[str, Any]:
    body = {
        "code": code,
        "name": "汽车大客户",
        "name_en": "Automotive key accounts",
        "market": "b2b",
        "is_key": True,
        "dimensions": [
            {"dimension": "industry", "value": "汽车零部件"},
            {"dimension": "lifecycle", "value": "mature"},
        ],
    } | extra
    r = client.post("/api/v1/segments", json=body, headers=h)
    assert r.status_code == 201, r.text
    return r.json()


def propose(client: TestClient, h: dict[str, str], segment_id: int, drivers: list[tuple[int, str]]) -> Any:
    return client.put(
        f"/api/v1/segments/{segment_id}/proposition",
        json={
            "cares_most": "产线不停",
            "better_than_competitors": "4 小时到场",
            "relationship_value": "长期伙伴",
            "drivers": [{"rank": r, "driver": d} for r, d in drivers],
        },
        headers=h,
    )


@pytest.mark.req("S2.1", "S2.2")
def test_a_segment_keeps_its_dimensions_and_its_ranked_value_proposition(
    client: TestClient, org: None
) -> None:
    h = as_user(client, "hr")
    seg = make_segment(client, h)
    assert [d["dimension"] for d in seg["dimensions"]] == ["industry", "lifecycle"]
    r = propose(client, h, seg["id"], [(2, "quality"), (1, "on_time_delivery"), (3, "problem_resolution")])
    assert r.status_code == 200, r.text
    prop = client.get(f"/api/v1/segments/{seg['id']}/proposition").json()
    assert [d["driver"] for d in prop["drivers"]] == ["on_time_delivery", "quality", "problem_resolution"]
    assert prop["better_than_competitors"] == "4 小时到场"


@pytest.mark.req("S2.2")
def test_two_drivers_with_the_same_rank_are_refused_naming_both_and_nothing_is_stored(
    client: TestClient, org: None
) -> None:
    h = as_user(client, "hr")
    seg = make_segment(client, h)
    r = propose(client, h, seg["id"], [(1, "quality"), (1, "price")])
    assert r.status_code == 422
    problem = r.json()["error"]["problems"][0]
    assert problem["field"] == "rank"
    assert "Product quality" in problem["message"] and "Price and value for money" in problem["message"]
    assert "own rank" in problem["message"]
    assert client.get(f"/api/v1/segments/{seg['id']}/proposition").status_code == 404
    # in Chinese for a Chinese-speaking user
    r = propose(client, h | {"Accept-Language": "zh-CN"}, seg["id"], [(1, "quality"), (1, "price")])
    message = r.json()["error"]["problems"][0]["message"]
    assert "排序" in message and "品质" in message


@pytest.mark.req("S2.1")
def test_a_dimension_given_twice_is_refused(client: TestClient, org: None) -> None:
    h = as_user(client, "hr")
    r = client.post(
        "/api/v1/segments",
        json={
            "code": "X",
            "name": "X",
            "market": "b2c",
            "dimensions": [{"dimension": "persona", "value": "a"}, {"dimension": "persona", "value": "b"}],
        },
        headers=h,
    )
    assert r.status_code == 422
    assert r.json()["error"]["problems"][0]["field"] == "dimensions"
    assert client.get("/api/v1/segments").json() == []


@pytest.mark.req("S2.3")
def test_suggestions_follow_the_driver_ranking_and_one_can_be_added_to_a_departments_pool(
    client: TestClient, org: None
) -> None:
    h = as_user(client, "hr")
    seg = make_segment(client, h)
    assert propose(client, h, seg["id"], [(1, "responsiveness"), (2, "on_time_delivery")]).status_code == 200
    suggestions = client.get(f"/api/v1/segments/{seg['id']}/suggestions").json()
    codes = [s["indicator_code"] for s in suggestions]
    # the seed's two examples, in the order of the ranking
    assert codes[:4] == [
        "response_time",
        "requirement_to_delivery_cycle",
        "resolution_rate",
        "innovation_proposals",
    ]
    assert codes.index("on_time_delivery_rate") > codes.index("innovation_proposals")
    assert [s["best_rank"] for s in suggestions] == sorted(s["best_rank"] for s in suggestions)

    depts = {d["code"]: d["id"] for d in client.get("/api/v1/departments").json()}
    r = client.post(
        f"/api/v1/departments/{depts['OPS']}/pool/suggestions",
        json={"segment_id": seg["id"], "indicator_code": "response_time"},
        headers=h,
    )
    assert r.status_code == 201, r.text
    cand = r.json()
    assert (cand["source"], cand["driver"], cand["segment_code"]) == ("suggestion", "responsiveness", "KA")
    assert cand["name"] == "响应时长"
    pool = client.get(f"/api/v1/departments/{depts['OPS']}/pool").json()
    assert [c["indicator_code"] for c in pool] == ["response_time"]
    again = client.post(
        f"/api/v1/departments/{depts['OPS']}/pool/suggestions",
        json={"segment_id": seg["id"], "indicator_code": "response_time"},
        headers=h,
    )
    assert again.status_code == 409
    assert "already in the KPI pool" in again.json()["error"]["message"]


@pytest.mark.req("S1.1")
def test_the_strategy_record_counts_the_indicators_pointing_at_each_declared_value(
    client: TestClient, org: None
) -> None:
    h = as_user(client, "exec")
    seg = make_segment(client, h)
    propose(client, h, seg["id"], [(1, "on_time_delivery"), (2, "quality")])
    rec = client.post(
        "/api/v1/strategy",
        json={
            "period": "2027",
            "customer_focus": "汽车大客户:交期",
            "aspiration": "最靠谱的伙伴",
            "horizon_years": 3,
        },
        headers=h,
    ).json()
    r = client.put(
        f"/api/v1/strategy/{rec['id']}/priorities",
        json={
            "priorities": [
                {"rank": 1, "driver": "on_time_delivery", "segment_code": "KA"},
                {"rank": 2, "driver": "customisation", "segment_code": "KA"},
            ]
        },
        headers=h,
    )
    assert r.status_code == 200, r.text
    assert [p["indicator_count"] for p in r.json()["priorities"]] == [0, 0]

    depts = {d["code"]: d["id"] for d in client.get("/api/v1/departments").json()}
    added = client.post(
        f"/api/v1/departments/{depts['OPS']}/pool/suggestions",
        json={"segment_id": seg["id"], "indicator_code": "on_time_delivery_rate"},
        headers=h,
    ).json()
    counts = [p["indicator_count"] for p in client.get(f"/api/v1/strategy/{rec['id']}").json()["priorities"]]
    assert counts == [1, 0]
    assert client.delete(f"/api/v1/pool/{added['id']}", headers=h).status_code == 204
    counts = [p["indicator_count"] for p in client.get(f"/api/v1/strategy/{rec['id']}").json()["priorities"]]
    assert counts == [0, 0]
    # the count is computed, so the API does not accept it as input
    assert (
        "indicator_count"
        not in client.get("/api/v1/openapi.json").json()["components"]["schemas"]["PriorityIO"]["properties"]
    )


@pytest.mark.req("S1.1")
def test_a_horizon_outside_three_to_five_years_is_refused(client: TestClient, org: None) -> None:
    h = as_user(client, "hr")
    r = client.post("/api/v1/strategy", json={"period": "2027", "horizon_years": 8}, headers=h)
    assert r.status_code == 422
    assert r.json()["error"]["problems"][0]["field"] == "horizon_years"


@pytest.mark.req("S1.2")
def test_the_registry_holds_external_and_internal_customers(client: TestClient, org: None) -> None:
    h = as_user(client, "hr")
    make_segment(client, h)
    ext = client.post(
        "/api/v1/customers",
        json={"code": "C1", "name": "东岳汽车", "category": "key_account", "segment_code": "KA"},
        headers=h,
    )
    assert ext.status_code == 201 and ext.json()["kind"] == "external"
    internal = client.post(
        "/api/v1/customers",
        json={"code": "I-OPS", "name": "运营部", "category": "department", "department_code": "OPS"},
        headers=h,
    )
    assert internal.status_code == 201 and internal.json()["kind"] == "internal"
    no_dept = client.post(
        "/api/v1/customers", json={"code": "I-X", "name": "?", "category": "department"}, headers=h
    )
    assert no_dept.status_code == 422
    assert no_dept.json()["error"]["problems"][0]["field"] == "department_code"
    assert [c["code"] for c in client.get("/api/v1/customers?kind=internal").json()] == ["I-OPS"]


@pytest.mark.req("S1.3")
def test_a_manager_declares_the_customers_and_products_of_their_own_department_only(
    client: TestClient, org: None
) -> None:
    h = as_user(client, "hr")
    client.post(
        "/api/v1/customers",
        json={"code": "I-FIN", "name": "财务部", "category": "department", "department_code": "FIN"},
        headers=h,
    )
    depts = {d["code"]: d["id"] for d in client.get("/api/v1/departments").json()}
    client.post("/logout", headers=h)

    m = as_user(client, "mgr")
    ok = client.post(
        f"/api/v1/departments/{depts['OPS-A']}/customers", json={"customer_code": "I-FIN"}, headers=m
    )
    assert ok.status_code == 201, ok.text
    product = client.post(
        f"/api/v1/departments/{depts['OPS-A']}/products",
        json={"name": "准确的业务数据", "customer_code": "I-FIN"},
        headers=m,
    )
    assert product.status_code == 201
    refused = client.post(
        f"/api/v1/departments/{depts['HQ']}/customers", json={"customer_code": "I-FIN"}, headers=m
    )
    assert refused.status_code == 403
    assert "own department" in refused.json()["error"]["message"]
    declared = client.get(f"/api/v1/departments/{depts['OPS-A']}/declarations").json()
    assert [c["customer_code"] for c in declared["customers"]] == ["I-FIN"]
    assert [p["name"] for p in declared["products"]] == ["准确的业务数据"]
    client.post("/logout", headers=m)

    e = as_user(client, "emp")
    assert client.get(f"/api/v1/departments/{depts['OPS-A']}/declarations").status_code == 200
    assert (
        client.post(
            f"/api/v1/departments/{depts['OPS-A']}/products", json={"name": "x"}, headers=e
        ).status_code
        == 403
    )


@pytest.mark.req("S3.1", "S3.2")
def test_the_default_journey_has_the_methods_seven_stages_and_a_segment_can_have_its_own(
    client: TestClient, org: None
) -> None:
    h = as_user(client, "hr")
    stages = client.post("/api/v1/journey/default", headers=h).json()["stages"]
    assert [s["name"] for s in stages] == [
        "认知",
        "购买决策",
        "下单",
        "生产/交付",
        "使用",
        "服务/续约",
        "推荐/流失",
    ]
    order = stages[2]
    tp = client.post(
        f"/api/v1/journey/stages/{order['id']}/touchpoints",
        json={"name": "交期承诺可靠", "moment_of_truth": True, "driver": "on_time_delivery"},
        headers=h,
    )
    assert tp.status_code == 201 and tp.json()["moment_of_truth"] is True

    seg = make_segment(client, h)
    follows = client.get(f"/api/v1/journey?segment_id={seg['id']}").json()
    assert follows["own"] is False and len(follows["stages"]) == 7
    added = client.post(
        "/api/v1/journey/stages",
        json={
            "name": "问题解决",
            "name_en": "Problem resolution",
            "segment_id": seg["id"],
            "after_stage_id": None,
        },
        headers=h,
    )
    assert added.status_code == 201
    own = client.get(f"/api/v1/journey?segment_id={seg['id']}").json()
    assert own["own"] is True and own["stages"][-1]["name"] == "问题解决"
    assert own["stages"][2]["touchpoints"][0]["name"] == "交期承诺可靠"  # copied with the journey
    assert len(client.get("/api/v1/journey").json()["stages"]) == 7  # the company journey is unchanged


@pytest.mark.req("S3.3")
def test_a_process_step_owned_by_an_unknown_department_is_refused_and_nothing_is_stored(
    client: TestClient, org: None
) -> None:
    h = as_user(client, "hr")
    stages = client.post("/api/v1/journey/default", headers=h).json()["stages"]
    body = {
        "name": "问题反馈到闭环",
        "owner_department": "OPS",
        "steps": [
            {"name": "受理", "department": "运营部", "stage_id": stages[5]["id"]},
            {"name": "技术支持", "department": "技术支持部"},
        ],
    }
    r = client.put("/api/v1/processes/F2C", json=body, headers=h)
    assert r.status_code == 422
    problem = r.json()["error"]["problems"][0]
    assert problem["field"] == "steps[1].department"
    assert "技术支持部" in problem["message"] and "code or name" in problem["message"]
    assert client.get("/api/v1/processes").json() == []

    body["steps"][1]["department"] = "财务(政策)"  # a remark in brackets and the 部 suffix are tolerated
    ok = client.put("/api/v1/processes/F2C", json=body, headers=h)
    assert ok.status_code == 200, ok.text
    assert [s["department_code"] for s in ok.json()["steps"]] == ["OPS", "FIN"]
    assert ok.json()["steps"][0]["stage_id"] == stages[5]["id"]


@pytest.mark.req("S3.4")
def test_shared_touchpoints_get_a_proposed_shared_indicator_whose_shares_sum_to_100(
    client: TestClient, org: None
) -> None:
    h = as_user(client, "hr")
    stages = client.post("/api/v1/journey/default", headers=h).json()["stages"]
    tp = client.post(
        f"/api/v1/journey/stages/{stages[3]['id']}/touchpoints",
        json={"name": "准时交付", "moment_of_truth": True, "driver": "on_time_delivery"},
        headers=h,
    ).json()
    for code, role in (("OPS", "responsible"), ("OPS-A", "responsible"), ("FIN", "contributes")):
        r = client.put(
            "/api/v1/responsibility",
            json={"touchpoint_id": tp["id"], "department_code": code, "role": role},
            headers=h,
        )
        assert r.status_code == 204
    row = client.get("/api/v1/responsibility").json()[0]
    assert {(c["department_code"], c["role"]) for c in row["departments"]} == {
        ("OPS", "responsible"),
        ("OPS-A", "responsible"),
        ("FIN", "contributes"),
    }
    proposal = client.get("/api/v1/shared-indicators/proposals").json()[0]
    assert proposal["indicator_code"] == "on_time_delivery_rate"
    shares = {s["department"]: float(s["share"]) for s in proposal["shares"]}
    assert shares == {"OPS": 40.0, "OPS-A": 40.0, "FIN": 20.0}

    bad = client.put(
        f"/api/v1/touchpoints/{tp['id']}/shared-indicator",
        json={
            "name": "准时交付率",
            "shares": [{"department": "OPS", "share": 50}, {"department": "FIN", "share": 40}],
        },
        headers=h,
    )
    assert bad.status_code == 422
    assert "90%" in bad.json()["error"]["problems"][0]["message"]
    assert client.get("/api/v1/shared-indicators").json() == []
    good = client.put(
        f"/api/v1/touchpoints/{tp['id']}/shared-indicator",
        json={"name": "准时交付率", "indicator_code": "on_time_delivery_rate", "shares": proposal["shares"]},
        headers=h,
    )
    assert good.status_code == 200, good.text
    assert client.get("/api/v1/shared-indicators/proposals").json() == []


@pytest.mark.req("S1.2", "S2.1", "S3.3")
def test_employees_read_the_design_but_cannot_change_it(client: TestClient, org: None) -> None:
    h = as_user(client, "emp")
    assert client.get("/api/v1/segments").status_code == 200
    r = client.post("/api/v1/segments", json={"code": "Z", "name": "Z", "market": "b2b"}, headers=h)
    assert r.status_code == 403
    for page in (
        "/value",
        "/strategy?all=1",
        "/customers",
        "/segments",
        "/journey",
        "/processes",
        "/responsibility",
    ):
        assert client.get(page).status_code == 200, page


@pytest.mark.req("S2.1", "S2.2")
def test_every_design_change_is_in_the_audit_trail(client: TestClient, org: None, db: Session) -> None:
    h = as_user(client, "hr")
    seg = make_segment(client, h)
    propose(client, h, seg["id"], [(1, "quality")])
    entities = set(db.scalars(select(AuditLog.entity).where(AuditLog.actor_name == "hr")))
    assert {"segment", "value_proposition"} <= entities
    row = db.scalar(
        select(AuditLog).where(AuditLog.entity == "value_proposition", AuditLog.field == "drivers")
    )
    assert row is not None and row.new == "1. quality"
    assert db.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.entity == "segment")) >= 1
