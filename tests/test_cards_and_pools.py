"""Indicator cards (S6.3) taken from the library, and department KPI pools (S5.1–S5.3): through the
JSON API and the pages, as a designer or a manager sees them."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from northstar.catalogue.library import library_card
from northstar.db import unit_of_work
from northstar.indicators.models import IndicatorCard
from northstar.org import service as org
from northstar.security.principal import SYSTEM_PRINCIPAL
from northstar.strategy import scorecard as bsc
from northstar.strategy import service as strategy
from northstar.web.i18n import Translator
from tests.conftest import login
from tests.factories import PASSWORD, build_small_org


@pytest.fixture
def org_ids(session_factory: sessionmaker[Session]) -> None:
    build_small_org(session_factory)


def as_user(client: TestClient, username: str) -> dict[str, str]:
    return {"X-CSRF-Token": login(client, username, PASSWORD)}


def departments(client: TestClient) -> dict[str, int]:
    return {d["code"]: d["id"] for d in client.get("/api/v1/departments").json()}


def card_body(code: str = "key_nps", **changes: Any) -> dict[str, Any]:
    """A complete card: the library's NPS card under a code of our own."""
    source = library_card("nps")
    assert source is not None
    return source.model_dump(mode="json") | {"code": code} | changes


def new_candidate(
    client: TestClient, h: dict[str, str], dept_id: int, name: str, **extra: Any
) -> dict[str, Any]:
    body = {"name": name, "driver": "quality", "perspective": "customer"} | extra
    r = client.post(f"/api/v1/departments/{dept_id}/pool", json=body, headers=h)
    assert r.status_code == 201, r.text
    return r.json()


def admit(client: TestClient, h: dict[str, str], cand_id: int, tier: str = "A") -> dict[str, Any]:
    r = client.patch(
        f"/api/v1/pool/{cand_id}",
        json={"affects_value": True, "affects_note": "交付", "perceivable": True, "tier": tier},
        headers=h,
    )
    assert r.status_code == 200, r.text
    return r.json()


def core_size_findings(client: TestClient, dept_id: int) -> list[dict[str, Any]]:
    found = client.get(f"/api/v1/departments/{dept_id}/pool/findings").json()
    return [f for f in found if f["field"] == "core" and f["candidate_id"] is None]


# --- indicator cards ---------------------------------------------------------------------------


@pytest.mark.req("S6.3")
def test_a_card_missing_an_element_is_kept_as_a_draft_and_its_page_names_the_missing_element(
    client: TestClient, org_ids: None
) -> None:
    h = as_user(client, "hr")
    complete = client.post("/api/v1/indicators", json=card_body(), headers=h)
    assert complete.status_code == 201, complete.text
    assert (complete.json()["missing"], complete.json()["assessable"]) == ([], True)

    draft = client.post(
        "/api/v1/indicators", json=card_body("draft_nps", data_owner="", data_owner_en=""), headers=h
    )
    assert draft.status_code == 201, draft.text
    assert (draft.json()["missing"], draft.json()["assessable"]) == (["data_owner"], False)
    drafts = client.get("/api/v1/indicators", params={"complete": "false"}).json()
    assert [c["code"] for c in drafts] == ["draft_nps"]

    page = client.get(f"/indicators/{draft.json()['id']}", params={"lang": "en"})
    assert page.status_code == 200
    assert "This card is a draft and cannot be assessed yet." in page.text
    assert '<li data-testid="missing-element">Data owner</li>' in page.text
    zh = client.get(f"/indicators/{draft.json()['id']}", params={"lang": "zh-CN"})
    owner_zh = Translator("zh_CN").gettext("Data owner")
    assert f'<li data-testid="missing-element">{owner_zh}</li>' in zh.text
    assert "净推荐值(NPS)" in zh.text

    # the complete card shows the seed's elements, its band table among them
    full = client.get(f"/indicators/{complete.json()['id']}", params={"lang": "en"}).text
    assert 'data-testid="missing-banner"' not in full
    assert "Customer experience manager" in full and full.count('data-testid="band"') == 5
    listing = client.get("/indicators", params={"lang": "en"}).text
    assert "Draft" in listing and "Missing: Data owner" in listing


@pytest.mark.req("S6.3")
def test_formula_band_and_polarity_errors_name_their_field_and_nothing_is_stored(
    client: TestClient, org_ids: None
) -> None:
    h = as_user(client, "hr")
    r = client.post("/api/v1/indicators", json=card_body(formula="promoters - passives"), headers=h)
    assert r.status_code == 422
    problem = r.json()["error"]["problems"][0]
    assert problem["field"] == "formula" and '"passives"' in problem["message"]

    bands = card_body()["rule"]["bands"]
    bands[1]["lower"] = 5  # band 1 ends at 0, band 2 now starts at 5: a gap
    r = client.post("/api/v1/indicators", json=card_body(rule={"kind": "bands", "bands": bands}), headers=h)
    assert r.status_code == 422
    problem = r.json()["error"]["problems"][0]
    assert problem["field"].startswith("rule.bands[1]") and "gap" in problem["message"]

    r = client.post("/api/v1/indicators", json=card_body(polarity="lower_better"), headers=h)
    assert r.status_code == 422
    assert [p["field"] for p in r.json()["error"]["problems"]] == ["polarity"]

    assert client.get("/api/v1/indicators").json() == []

    # the edit form names the field too, and keeps what was typed
    token = h["X-CSRF-Token"]
    form = {"csrf_token": token, "code": "bad_yaml", "name": "坏规则", "rule": "kind: [bands"}
    page = client.post("/indicators/new", data=form, params={"lang": "en"})
    assert page.status_code == 422
    assert "The scoring rule is not valid YAML" in page.text and "bad_yaml" in page.text
    assert client.get("/api/v1/indicators").json() == []


@pytest.mark.req("S6.3")
def test_a_stale_version_is_refused_and_an_update_is_audited(client: TestClient, org_ids: None) -> None:
    h = as_user(client, "hr")
    card = client.post("/api/v1/indicators", json=card_body(), headers=h).json()
    body = card_body(data_owner="客户体验总监") | {"version": card["version"], "reason": "调整责任人"}
    r = client.put(f"/api/v1/indicators/{card['id']}", json=body, headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["data_owner"] == "客户体验总监"
    stale = client.put(f"/api/v1/indicators/{card['id']}", json=body, headers=h)
    assert stale.status_code == 409


@pytest.mark.req("S6.3")
def test_the_edit_form_keeps_a_card_as_it_was_and_names_a_band_gap_in_the_yaml_rule(
    client: TestClient, org_ids: None
) -> None:
    h = as_user(client, "hr")
    card = client.post("/api/v1/indicators", json=card_body(), headers=h).json()
    form_page = client.get(f"/indicators/{card['id']}/edit", params={"lang": "en"})
    assert form_page.status_code == 200 and "kind: bands" in form_page.text
    form = {
        "csrf_token": h["X-CSRF-Token"],
        "version": str(card["version"]),
        "measures": "\n".join(f"{m['code']} | {m['name']} | {m['name_en']}" for m in card["measures"]),
        "rule": yaml.safe_dump(card["rule"], allow_unicode=True),
        "touchpoint_id": "",
        **{k: v or "" for k, v in card.items() if isinstance(v, str | None) and k not in ("rule",)},
    }
    saved = client.post(f"/indicators/{card['id']}/edit", data=form, follow_redirects=False)
    assert saved.status_code == 303, saved.text[:2000]
    after = client.get(f"/api/v1/indicators/{card['id']}").json()
    assert {k: after[k] for k in card if k != "version"} == {k: card[k] for k in card if k != "version"}

    gap = card["rule"] | {
        "bands": [b | ({"lower": 5} if i == 1 else {}) for i, b in enumerate(card["rule"]["bands"])]
    }
    form |= {"version": str(after["version"]), "rule": yaml.safe_dump(gap, allow_unicode=True)}
    page = client.post(f"/indicators/{card['id']}/edit", data=form, params={"lang": "en"})
    assert page.status_code == 422
    assert "rule.bands[1]" in page.text and "There is a gap between band 1" in page.text
    assert client.get(f"/api/v1/indicators/{card['id']}").json()["rule"] == card["rule"]


@pytest.mark.req("S6.3", "S5.2")
def test_a_library_card_is_adopted_once_and_a_used_card_cannot_be_deleted(
    client: TestClient, org_ids: None
) -> None:
    h = as_user(client, "hr")
    lib = client.get("/api/v1/indicators/library", params={"domain": "company", "q": "NPS"}).json()
    assert "nps" in [c["code"] for c in lib]
    adopted = client.post("/api/v1/indicators/library/nps/adopt", headers=h)
    assert adopted.status_code == 201, adopted.text
    assert (adopted.json()["library_code"], adopted.json()["assessable"]) == ("nps", True)
    again = client.post("/api/v1/indicators/library/nps/adopt", headers=h, params={"lang": "en"})
    assert again.status_code == 409
    assert "already in the design" in again.json()["error"]["message"]
    listed = client.get("/api/v1/indicators/library", params={"q": "nps"}).json()
    assert next(c for c in listed if c["code"] == "nps")["design_card_id"] == adopted.json()["id"]
    page = client.get("/indicators/library", params={"q": "NPS", "lang": "en"}).text
    assert "In the design" in page and 'name="q"' in page

    dept = departments(client)["OPS"]
    cand = client.post(f"/api/v1/departments/{dept}/pool/library", json={"code": "nps"}, headers=h).json()
    assert cand["card_id"] == adopted.json()["id"]  # the design's card is linked, not copied again
    refused = client.delete(f"/api/v1/indicators/{adopted.json()['id']}", headers=h, params={"lang": "en"})
    assert refused.status_code == 409
    assert "still in use" in refused.json()["error"]["message"]
    assert "Operations / " in refused.json()["error"]["problems"][0]["message"]
    assert client.delete(f"/api/v1/pool/{cand['id']}", headers=h).status_code == 204
    assert client.delete(f"/api/v1/indicators/{adopted.json()['id']}", headers=h).status_code == 204


@pytest.mark.req("S5.2", "S5.4")
def test_a_suggestion_from_the_library_links_its_card_and_a_manager_adopts_for_their_own_department(
    client: TestClient, org_ids: None, db: Session
) -> None:
    h = as_user(client, "mgr")
    dept = departments(client)["OPS-A"]
    r = client.post(f"/api/v1/departments/{dept}/pool/library", json={"code": "first_pass_yield"}, headers=h)
    assert r.status_code == 201, r.text
    card = db.scalar(select(IndicatorCard).where(IndicatorCard.code == "first_pass_yield"))
    assert card is not None and card.department is not None and card.department.code == "OPS-A"
    assert r.json()["source"] == "library" and r.json()["driver"] == "quality"


# --- department KPI pools ----------------------------------------------------------------------


@pytest.mark.req("S5.2", "S5.3")
def test_a_candidate_is_core_only_with_tier_a_and_two_yes_answers(client: TestClient, org_ids: None) -> None:
    h = as_user(client, "hr")
    dept = departments(client)["OPS"]
    cand = client.post(
        f"/api/v1/departments/{dept}/pool/library", json={"code": "on_time_delivery_rate"}, headers=h
    ).json()
    assert cand["affects_value"] is None and cand["tier"] is None

    r = client.put(
        f"/api/v1/departments/{dept}/pool/core",
        json={"items": [{"candidate_id": cand["id"], "weight": 100}]},
        headers=h,
        params={"lang": "en"},
    )
    assert r.status_code == 422
    messages = " ".join(p["message"] for p in r.json()["error"]["problems"])
    assert "only A-tier" in messages and "first admission question" in messages and "second" in messages

    r = client.patch(
        f"/api/v1/pool/{cand['id']}",
        json={
            "affects_value": True,
            "affects_note": "准时交付直接影响客户产线",
            "perceivable": False,
            "tier": "A",
        },
        headers=h,
    )
    assert r.status_code == 200
    r = client.put(
        f"/api/v1/departments/{dept}/pool/core",
        json={"items": [{"candidate_id": cand["id"], "weight": 100}]},
        headers=h,
        params={"lang": "en"},
    )
    assert r.status_code == 422
    [problem] = r.json()["error"]["problems"]
    assert "second admission question" in problem["message"]
    assert not any(c["core"] for c in client.get(f"/api/v1/departments/{dept}/pool").json())

    admit(client, h, cand["id"])
    r = client.put(
        f"/api/v1/departments/{dept}/pool/core",
        json={"items": [{"candidate_id": cand["id"], "weight": 100}]},
        headers=h,
    )
    assert r.status_code == 200, r.text
    assert [(c["core"], c["weight"]) for c in r.json()] == [(True, "100")]
    # a core candidate keeps its tier: moving it to B is refused until it leaves the core set
    r = client.patch(f"/api/v1/pool/{cand['id']}", json={"tier": "B"}, headers=h, params={"lang": "en"})
    assert r.status_code == 422 and "core set" in r.json()["error"]["message"]


@pytest.mark.req("S5.2")
def test_core_set_size_is_warned_at_two_and_eight_quiet_at_five_and_weights_must_sum_to_100(
    client: TestClient, org_ids: None
) -> None:
    h = as_user(client, "hr")
    dept = departments(client)["FIN"]
    ids = [new_candidate(client, h, dept, f"指标{i}")["id"] for i in range(8)]
    for cand_id in ids:
        admit(client, h, cand_id)

    def choose(weights: list[int]) -> None:
        items = [{"candidate_id": i, "weight": w} for i, w in zip(ids, weights, strict=False)]
        r = client.put(f"/api/v1/departments/{dept}/pool/core", json={"items": items}, headers=h)
        assert r.status_code == 200, r.text

    choose([50, 50])
    [warning] = core_size_findings(client, dept)
    assert warning["severity"] == "warning"
    assert "fewer leaves customer value unmeasured" in warning["message"]
    choose([12, 12, 12, 12, 13, 13, 13, 13])
    [warning] = core_size_findings(client, dept)
    assert "more dilutes attention" in warning["message"] and "8" in warning["message"]
    choose([20, 20, 20, 20, 20])
    assert core_size_findings(client, dept) == []

    choose([20, 20, 20, 20, 10])
    errors = [
        f for f in client.get(f"/api/v1/departments/{dept}/pool/findings").json() if f["field"] == "weight"
    ]
    assert [e["severity"] for e in errors] == ["error"]
    assert "90%" in errors[0]["message"]

    overview = {p["department_code"]: p for p in client.get("/api/v1/pools").json()}
    assert (overview["FIN"]["candidates"], overview["FIN"]["tiers"]["A"], overview["FIN"]["core"]) == (
        8,
        8,
        5,
    )
    assert overview["FIN"]["errors"] >= 1


@pytest.mark.req("S5.1", "S5.2", "S5.3")
def test_the_pool_page_shows_findings_products_and_refuses_a_core_pick_naming_what_is_missing(
    client: TestClient, org_ids: None
) -> None:
    h = as_user(client, "hr")
    dept = departments(client)["OPS"]
    client.post(
        f"/api/v1/departments/{dept}/products",
        json={"name": "准时交付", "name_en": "On-time delivery"},
        headers=h,
    )
    cand = new_candidate(client, h, dept, "关键系统稳定可用时间", driver=None)
    page = client.get(f"/pools/{dept}", params={"lang": "en"})
    assert page.status_code == 200
    assert "points at no customer value" in page.text
    assert "answer the first admission question" in page.text
    overview = client.get("/pools", params={"lang": "en"}).text
    assert "On-time delivery" in overview

    token = h["X-CSRF-Token"]
    r = client.post(
        f"/pools/{dept}/core",
        data={"csrf_token": token, "core": str(cand["id"]), f"weight_{cand['id']}": "100"},
        params={"lang": "en"},
    )
    assert r.status_code == 422
    assert "only A-tier indicators can be core" in r.text
    r = client.post(
        f"/pools/candidates/{cand['id']}/assess",
        data={"csrf_token": token, "affects_value": "yes", "perceivable": "yes", "tier": "A"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    pool = client.get(f"/api/v1/departments/{dept}/pool").json()
    assert (pool[0]["affects_value"], pool[0]["perceivable"], pool[0]["tier"]) == (True, True, "A")
    assert (
        "Admission, tiers and core set"
        in client.get(f"/value/departments/{dept}", params={"lang": "en"}).text
    )


@pytest.mark.req("S5.2", "S6.4")
def test_a_parent_candidate_must_sit_above_and_a_loop_is_refused_naming_the_chain(
    client: TestClient, org_ids: None, session_factory: sessionmaker[Session]
) -> None:
    h = as_user(client, "hr")
    depts = departments(client)
    hq = new_candidate(client, h, depts["HQ"], "客户满意度", name_en="Customer satisfaction")
    fin = new_candidate(client, h, depts["FIN"], "回款周期", name_en="Collection cycle")
    ops_a = new_candidate(client, h, depts["OPS-A"], "准时交付", name_en="On-time delivery")

    r = client.patch(
        f"/api/v1/pool/{hq['id']}",
        json={"parent_candidate_id": ops_a["id"]},
        headers=h,
        params={"lang": "en"},
    )
    assert r.status_code == 422
    assert "is not above Headquarters" in r.json()["error"]["message"]
    r = client.patch(f"/api/v1/pool/{fin['id']}", json={"parent_candidate_id": hq["id"]}, headers=h)
    assert r.status_code == 200 and r.json()["parent_candidate_id"] == hq["id"]

    # a reorganisation puts Finance above Headquarters: linking back would close a loop
    with unit_of_work(session_factory) as s:
        fin_dept = org.get_department_by_code(s, "FIN")
        org.update_department(s, SYSTEM_PRINCIPAL, fin_dept, version=fin_dept.version, parent_code=None)
        hq_dept = org.get_department_by_code(s, "HQ")
        org.update_department(s, SYSTEM_PRINCIPAL, hq_dept, version=hq_dept.version, parent_code="FIN")
    r = client.patch(
        f"/api/v1/pool/{hq['id']}", json={"parent_candidate_id": fin["id"]}, headers=h, params={"lang": "en"}
    )
    assert r.status_code == 422
    message = r.json()["error"]["message"]
    assert "its own ancestor" in message
    assert "Customer satisfaction → Collection cycle → Customer satisfaction" in message
    assert client.get(f"/api/v1/departments/{depts['HQ']}/pool").json()[0]["parent_candidate_id"] is None


@pytest.mark.req("S1.1", "S5.2")
def test_indicators_pointing_at_count_a_card_on_an_objective_once(
    client: TestClient, org_ids: None, session_factory: sessionmaker[Session]
) -> None:
    h = as_user(client, "exec")
    seg = {"code": "KA", "name": "汽车大客户", "market": "b2b", "is_key": True}
    assert client.post("/api/v1/segments", json=seg, headers=h).status_code == 201
    rec = client.post(
        "/api/v1/strategy",
        json={"period": "2027", "customer_focus": "口碑", "aspiration": "客户主动推荐", "horizon_years": 3},
        headers=h,
    ).json()
    r = client.put(
        f"/api/v1/strategy/{rec['id']}/priorities",
        json={"priorities": [{"rank": 1, "driver": "brand_experience", "segment_code": "KA"}]},
        headers=h,
    )
    assert r.status_code == 200, r.text

    def count() -> int:
        return int(client.get(f"/api/v1/strategy/{rec['id']}").json()["priorities"][0]["indicator_count"])

    assert count() == 0
    card = client.post("/api/v1/indicators/library/nps/adopt", headers=h).json()
    assert count() == 0  # a card nobody measures anything with points at nothing yet
    with unit_of_work(session_factory) as s:
        record = strategy.get_record(s, record_id=rec["id"])
        obj = bsc.create_objective(
            s, SYSTEM_PRINCIPAL, record, code="C1", name="客户愿意推荐我们", perspective="customer"
        )
        bsc.attach_indicator(s, SYSTEM_PRINCIPAL, obj, s.get(IndicatorCard, card["id"]), weight=20)
    assert count() == 1
    dept = departments(client)["OPS"]
    assert (
        client.post(f"/api/v1/departments/{dept}/pool/library", json={"code": "nps"}, headers=h).status_code
        == 201
    )
    assert count() == 1  # the same indicator in a pool is still one indicator


@pytest.mark.req("S5.2")
def test_a_manager_edits_their_own_departments_pool_only(client: TestClient, org_ids: None) -> None:
    hr = as_user(client, "hr")
    depts = departments(client)
    fin = new_candidate(client, hr, depts["FIN"], "回款周期")
    ops_a = new_candidate(client, hr, depts["OPS-A"], "准时交付")

    mgr = as_user(client, "mgr")
    r = client.patch(f"/api/v1/pool/{fin['id']}", json={"tier": "A"}, headers=mgr)
    assert r.status_code == 403
    r = client.put(f"/api/v1/departments/{depts['FIN']}/pool/core", json={"items": []}, headers=mgr)
    assert r.status_code == 403
    assert client.patch(f"/api/v1/pool/{ops_a['id']}", json={"tier": "B"}, headers=mgr).status_code == 200
    page = client.get(f"/pools/{depts['FIN']}").text
    assert 'data-testid="save-core"' not in page
    assert 'data-testid="save-core"' in client.get(f"/pools/{depts['OPS-A']}").text
