"""The enterprise balanced scorecard (S4.1–S4.3): objectives built from the customer perspective,
cause-and-effect links climbing the strategy map, the design check with a fix for every rule,
the map's data and the pages — through the services and the JSON API as a client sees them."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from northstar.audit import AuditLog
from northstar.customers import service as customers
from northstar.customers.models import Market
from northstar.db import unit_of_work
from northstar.errors import Forbidden, ValidationFailed
from northstar.indicators import service as indicators
from northstar.indicators.schemas import CardIn
from northstar.security.models import Role
from northstar.security.principal import SYSTEM_PRINCIPAL, Principal
from northstar.strategy import design_check, scorecard
from northstar.strategy import service as strategy
from northstar.strategy.design_check import Severity
from northstar.strategy.models import Perspective
from northstar.web.i18n import Translator
from tests.conftest import login
from tests.factories import PASSWORD, build_small_org

P = SYSTEM_PRINCIPAL
EN = Translator("en")


def complete_card(code: str, name: str, name_en: str, perspective: str) -> CardIn:
    return CardIn(
        code=code,
        name=name,
        name_en=name_en,
        definition="定义",
        purpose="目的",
        formula="good / total * 100",
        formula_notes="口径说明",
        measures=[{"code": "good", "name": "达标数"}, {"code": "total", "name": "总数"}],
        unit="percent",
        polarity="higher_better",
        rule={"kind": "linear", "threshold": 80, "target": 95},
        perspective=perspective,
        data_source="系统",
        period="month",
        data_owner="运营部",
    )


@pytest.fixture
def design(session_factory: sessionmaker[Session]) -> dict[str, int]:
    """A small organisation, a strategy record declaring one customer value, and four cards
    (one of them a draft lacking most elements). Returns ids by name."""
    build_small_org(session_factory)
    with unit_of_work(session_factory) as db:
        customers.create_segment(
            db, P, code="KA", name="汽车大客户", name_en="Automotive key accounts", market=Market.b2b
        )
        rec = strategy.create_record(db, P, period="2026", title="客户为先")
        strategy.save_priorities(
            db, P, rec, [strategy.PriorityIn(rank=1, driver_code="on_time_delivery", segment_code="KA")]
        )
        ids = {"record": rec.id, "priority": rec.priorities[0].id}
        for code, name, name_en, persp in [
            ("nps", "净推荐值", "Net promoter score", "customer"),
            ("otd", "交付准时率", "On-time delivery", "process"),
            ("revenue_share", "重点客户收入占比", "Key-account revenue share", "financial"),
        ]:
            ids[code] = indicators.create_card(db, P, complete_card(code, name, name_en, persp)).id
        ids["training"] = indicators.create_card(
            db, P, CardIn(code="training", name="客户场景培训参与率", name_en="Customer-scenario training")
        ).id
    return ids


def build(db: Session, ids: dict[str, int]) -> dict[str, Any]:
    """Objectives in all four perspectives, created learning-first to show the order is not creation order."""
    rec = strategy.get_record(db, record_id=ids["record"])
    objs = {
        "L1": scorecard.create_objective(
            db,
            P,
            rec,
            code="L1",
            name="客户场景能力",
            name_en="Customer-scenario skills",
            perspective="learning",
        ),
        "P1": scorecard.create_objective(
            db, P, rec, code="P1", name="准时交付", name_en="Deliver on time", perspective=Perspective.process
        ),
        "F1": scorecard.create_objective(
            db,
            P,
            rec,
            code="F1",
            name="重点客户收入增长",
            name_en="Grow key-account revenue",
            perspective="financial",
        ),
        "C2": scorecard.create_objective(
            db,
            P,
            rec,
            code="C2",
            name="客户推荐",
            name_en="Customers recommend us",
            perspective="customer",
            rank=2,
        ),
        "C1": scorecard.create_objective(
            db,
            P,
            rec,
            code="C1",
            name="交付让客户安心",
            name_en="Deliveries customers rely on",
            perspective="customer",
            rank=1,
            priority_id=ids["priority"],
        ),
    }
    return {"rec": rec} | objs


def rules(findings: list[design_check.Finding]) -> dict[str, list[str]]:
    """Rule → codes of the objectives it concerns ('' for the whole scorecard)."""
    out: dict[str, list[str]] = {}
    for f in findings:
        out.setdefault(f.rule, []).append(f.objective.code if f.objective else "")
    return out


@pytest.mark.req("S4.1")
def test_objectives_are_listed_customer_perspective_first_then_financial_process_learning_by_rank(
    session_factory: sessionmaker[Session], design: dict[str, int]
) -> None:
    with unit_of_work(session_factory) as db:
        b = build(db, design)
        listed = [o.code for o in scorecard.get_objectives(db, b["rec"])]
        assert listed == ["C1", "C2", "F1", "P1", "L1"]
        # ranks count within a perspective; the next free one is given when none is asked
        assert b["P1"].rank == 1
        extra = scorecard.create_objective(
            db, P, b["rec"], code="P2", name="一次安装成功", perspective="process"
        )
        assert extra.rank == 2
        entries = db.scalars(select(AuditLog).where(AuditLog.entity == "objective")).all()
        assert {e.entity_id for e in entries} >= {"2026/C1", "2026/P2"}


@pytest.mark.req("S4.1")
def test_bad_objective_fields_are_refused_each_naming_its_field_and_nothing_is_stored(
    session_factory: sessionmaker[Session], design: dict[str, int]
) -> None:
    with unit_of_work(session_factory) as db:
        other = strategy.create_record(db, P, period="2027")
        strategy.save_priorities(
            db, P, other, [strategy.PriorityIn(rank=1, driver_code="quality", segment_code="KA")]
        )
        foreign_priority = other.priorities[0].id
        rec = strategy.get_record(db, record_id=design["record"])
        scorecard.create_objective(db, P, rec, code="C1", name="交付", perspective="customer")
    with unit_of_work(session_factory) as db:
        rec = strategy.get_record(db, record_id=design["record"])
        with pytest.raises(ValidationFailed) as caught:
            scorecard.create_objective(
                db,
                P,
                rec,
                code="C1",
                name=" ",
                perspective="marketing",
                priority_id=foreign_priority,
                driver_code="speed",
            )
        problems = {p.field: EN.gettext(p.message, **p.params) for p in caught.value.problems}
        assert set(problems) == {"code", "name", "perspective", "priority_id", "driver"}
        assert "C1 is taken" in problems["code"]
        assert "customer, financial, process or learning" in problems["perspective"]
        assert "not declared in the strategy record of 2026" in problems["priority_id"]
        assert "value-driver catalogue" in problems["driver"]
        assert [o.code for o in scorecard.get_objectives(db, rec)] == ["C1"]


@pytest.mark.req("S4.2")
def test_links_must_climb_the_map_and_a_down_pointing_arrow_is_refused_naming_both_objectives(
    session_factory: sessionmaker[Session], design: dict[str, int]
) -> None:
    with unit_of_work(session_factory) as db:
        b = build(db, design)
        with pytest.raises(ValidationFailed) as caught:
            scorecard.add_link(db, P, b["C1"], b["P1"])
        problem = caught.value.problems[0]
        message = EN.gettext(problem.message, **problem.params)
        assert problem.field == "effect_code"
        assert "C1 Deliveries customers rely on" in message and "P1 Deliver on time" in message
        assert "points down" in message and "P1 Deliver on time → C1 Deliveries customers rely on" in message
        zh = Translator("zh_CN").gettext(problem.message, **problem.params)
        assert "C1 交付让客户安心" in zh and "P1 准时交付" in zh
        for cause, effect, words in [
            ("C1", "C1", "cannot drive itself"),
            ("C1", "C2", "both in the customer perspective"),
            ("F1", "L1", "points down"),
        ]:
            with pytest.raises(ValidationFailed) as caught:
                scorecard.add_link(db, P, b[cause], b[effect])
            assert words in str(caught.value)
        link = scorecard.add_link(db, P, b["P1"], b["C1"])
        assert (link.cause.code, link.effect.code) == ("P1", "C1")
        # a link may skip a layer
        scorecard.add_link(db, P, b["L1"], b["C2"])
        with pytest.raises(ValidationFailed, match="already drives"):
            scorecard.add_link(db, P, b["P1"], b["C1"])
        assert [(x.cause.code, x.effect.code) for x in scorecard.get_links(db, b["rec"])] == [
            ("L1", "C2"),
            ("P1", "C1"),
        ]
        # moving an objective to another perspective may not turn its arrows around
        with pytest.raises(ValidationFailed) as caught:
            scorecard.update_objective(db, P, b["P1"], version=b["P1"].version, perspective="financial")
        assert "would no longer point up" in EN.gettext(
            caught.value.problems[0].message, **caught.value.problems[0].params
        )


@pytest.mark.req("S4.2", "S4.3")
def test_the_design_check_reports_every_rule_with_its_fix_and_goes_quiet_once_the_design_is_fixed(
    session_factory: sessionmaker[Session], design: dict[str, int]
) -> None:
    with unit_of_work(session_factory) as db:
        rec = strategy.get_record(db, record_id=design["record"])
        only_process = scorecard.create_objective(db, P, rec, code="P9", name="临时", perspective="process")
        found = design_check.check_design(db, rec)
        assert rules(found)["no_customer_objective"] == [""]
        text = found[0].text(EN.gettext)
        assert found[0].severity is Severity.error and "build the customer perspective first" in text
        scorecard.delete_objective(db, P, only_process)

        b = build(db, design)
        scorecard.add_link(db, P, b["L1"], b["F1"])  # learning straight to finance: reaches no customer
        scorecard.add_link(db, P, b["C2"], b["F1"])
        scorecard.attach_indicator(db, P, b["C1"], indicators.get_card(db, design["nps"]), weight=40)
        scorecard.attach_indicator(db, P, b["P1"], indicators.get_card(db, design["otd"]))
        scorecard.attach_indicator(db, P, b["L1"], indicators.get_card(db, design["training"]), weight=20)
        found = design_check.check_design(db, rec)
        assert rules(found) == {
            "orphaned": ["C1", "P1"],
            "no_indicator": ["C2", "F1"],
            "weight_missing": ["P1"],
            "weights_not_100": [""],
            "customer_not_driven": ["C2"],
            "customer_value_missing": ["C2"],
            "learning_not_reaching_customer": ["L1"],
            "card_incomplete": ["L1"],
        }
        assert [f.severity for f in found][:5] == [Severity.error] * 5  # errors first
        messages = {f.rule: f.text(EN.gettext) for f in found}
        assert (
            "P1 Deliver on time is linked to no other objective: draw its cause-and-effect arrows"
            in messages["orphaned"]
        )
        assert "attach at least one indicator card" in messages["no_indicator"]
        assert "add up to 60%, not 100%" in messages["weights_not_100"]
        assert "lacks" in messages["card_incomplete"] and "complete the card" in messages["card_incomplete"]
        incomplete = next(f for f in found if f.rule == "card_incomplete")
        assert "definition" in incomplete.missing and incomplete.card is not None

        # the S4.2 rules show once the objectives are linked, but not the right way
        scorecard.add_link(db, P, b["P1"], b["F1"])
        scorecard.add_link(db, P, b["C1"], b["F1"])
        scorecard.remove_link(db, P, next(x for x in scorecard.get_links(db, rec) if x.cause.code == "C2"))
        scorecard.add_link(db, P, b["L1"], b["P1"])
        found = rules(design_check.check_design(db, rec))
        assert found["process_drives_no_customer"] == ["P1"]
        assert found["orphaned"] == ["C2"]
        assert "financial_not_converted" not in found
        scorecard.remove_link(db, P, next(x for x in scorecard.get_links(db, rec) if x.cause.code == "C1"))
        assert rules(design_check.check_design(db, rec))["financial_not_converted"] == ["F1"]

        # fix everything: the check goes quiet
        scorecard.remove_link(db, P, next(x for x in scorecard.get_links(db, rec) if x.cause.code == "P1"))
        scorecard.add_link(db, P, b["P1"], b["C1"])
        scorecard.add_link(db, P, b["P1"], b["C2"])
        scorecard.add_link(db, P, b["C1"], b["F1"])
        scorecard.add_link(db, P, b["C2"], b["F1"])
        scorecard.update_objective(db, P, b["C2"], version=b["C2"].version, priority_id=design["priority"])
        scorecard.set_indicator_weight(db, P, b["P1"].indicators[0], weight="20")
        scorecard.attach_indicator(
            db, P, b["C2"], indicators.get_card_by_code(db, "revenue_share"), weight=10
        )
        scorecard.attach_indicator(
            db,
            P,
            b["F1"],
            indicators.create_card(db, P, complete_card("margin", "毛利率", "Gross margin", "financial")),
            weight=10,
        )
        training = indicators.get_card(db, design["training"])
        full = complete_card("training", training.name, training.name_en, "learning")
        indicators.update_card(db, P, training, full, version=training.version)
        assert design_check.check_design(db, rec) == []


@pytest.mark.req("S4.3")
def test_weights_are_percentages_and_a_card_measures_one_objective_of_a_scorecard(
    session_factory: sessionmaker[Session], design: dict[str, int]
) -> None:
    with unit_of_work(session_factory) as db:
        b = build(db, design)
        nps = indicators.get_card(db, design["nps"])
        for bad in ("0", "120", "abc"):
            with pytest.raises(ValidationFailed) as caught:
                scorecard.attach_indicator(db, P, b["C1"], nps, weight=bad)
            assert caught.value.problems[0].field == "weight"
        scorecard.attach_indicator(db, P, b["C1"], nps, weight="12.5%")
        with pytest.raises(ValidationFailed, match="already measures"):
            scorecard.attach_indicator(db, P, b["C2"], nps, weight=10)
        assert str(scorecard.weight_total(scorecard.get_objectives(db, b["rec"]))) == "12.5"


@pytest.mark.req("S4.1", "S4.2", "S4.3")
def test_a_scorecard_built_through_the_api_gives_objectives_links_the_map_and_the_design_check(
    client: TestClient, design: dict[str, int]
) -> None:
    h = {"X-CSRF-Token": login(client, "exec", PASSWORD)}
    rid = design["record"]
    base = f"/api/v1/strategy/{rid}"
    created = {}
    for body in [
        {
            "code": "L1",
            "name": "客户场景能力",
            "name_en": "Customer-scenario skills",
            "perspective": "learning",
        },
        {"code": "P1", "name": "准时交付", "name_en": "Deliver on time", "perspective": "process"},
        {
            "code": "F1",
            "name": "重点客户收入增长",
            "name_en": "Grow key-account revenue",
            "perspective": "financial",
        },
        {
            "code": "C1",
            "name": "交付让客户安心",
            "name_en": "Deliveries customers rely on",
            "perspective": "customer",
            "priority_id": design["priority"],
            "driver": "on_time_delivery",
        },
    ]:
        r = client.post(f"{base}/objectives", json=body, headers=h)
        assert r.status_code == 201, r.text
        created[body["code"]] = r.json()
    assert created["C1"]["priority_rank"] == 1 and created["C1"]["driver"] == "on_time_delivery"
    assert [o["code"] for o in client.get(f"{base}/objectives").json()] == ["C1", "F1", "P1", "L1"]

    r = client.post(f"{base}/links", json={"cause_code": "F1", "effect_code": "C1"}, headers=h)
    assert r.status_code == 422
    problem = r.json()["error"]["problems"][0]
    assert problem["field"] == "effect_code"
    assert (
        "F1 Grow key-account revenue" in problem["message"]
        and "C1 Deliveries customers rely on" in problem["message"]
    )
    r = client.post(f"{base}/links", json={"cause_code": "F1", "effect_code": "X9"}, headers=h)
    assert r.status_code == 422 and r.json()["error"]["problems"][0]["field"] == "effect_code"
    for cause, effect in [("L1", "P1"), ("P1", "C1"), ("C1", "F1")]:
        r = client.post(f"{base}/links", json={"cause_code": cause, "effect_code": effect}, headers=h)
        assert r.status_code == 201, r.text

    check = client.get(f"{base}/design-check").json()
    assert check["ok"] is False and check["weight_total"] == "0"
    assert {f["rule"] for f in check["findings"]} == {"no_indicator"}
    assert {f["objective_code"] for f in check["findings"]} == {"C1", "F1", "P1", "L1"}

    for code, card in [("C1", "nps"), ("P1", "otd"), ("F1", "revenue_share")]:
        r = client.post(
            f"/api/v1/objectives/{created[code]['id']}/indicators",
            json={"card_code": card, "weight": 30},
            headers=h,
        )
        assert r.status_code == 201, r.text
    r = client.post(
        f"/api/v1/objectives/{created['L1']['id']}/indicators", json={"card_code": "no_such_card"}, headers=h
    )
    assert r.status_code == 422 and r.json()["error"]["problems"][0]["field"] == "card_code"
    r = client.post(
        f"/api/v1/objectives/{created['L1']['id']}/indicators",
        json={"card_id": design["training"], "weight": "10"},
        headers=h,
    )
    assert r.status_code == 201
    training = r.json()
    assert training["weight"] == "10" and "definition" in training["missing"]

    check = client.get(f"{base}/design-check", headers={"Accept-Language": "en"}).json()
    assert check["ok"] is True and check["errors"] == 0 and check["weight_total"] == "100"
    assert [(f["rule"], f["card_code"]) for f in check["findings"]] == [("card_incomplete", "training")]

    c1 = client.get(f"/api/v1/objectives/{created['C1']['id']}").json()
    assert c1["causes"] == ["P1"] and c1["effects"] == ["F1"] and c1["indicators"][0]["card_code"] == "nps"
    r = client.patch(
        f"/api/v1/objectives/{created['C1']['id']}",
        json={"name_en": "Deliveries our customers rely on", "version": c1["version"]},
        headers=h,
    )
    assert r.status_code == 200 and r.json()["version"] == c1["version"] + 1
    stale = client.patch(
        f"/api/v1/objectives/{created['C1']['id']}", json={"rank": 3, "version": c1["version"]}, headers=h
    )
    assert stale.status_code == 409

    plan = client.get(f"{base}/map", headers={"Accept-Language": "en"}).json()
    assert [layer["perspective"] for layer in plan["layers"]] == [
        "learning",
        "process",
        "customer",
        "financial",
    ]
    assert [layer["label"] for layer in plan["layers"]] == [
        "Learning and growth",
        "Internal process",
        "Customer",
        "Financial",
    ]
    assert plan["layers"][2]["objectives"][0] | {"id": 0} == {
        "id": 0,
        "code": "C1",
        "name": "交付让客户安心",
        "name_en": "Deliveries our customers rely on",
        "label": "Deliveries our customers rely on",
        "rank": 1,
        "indicator_count": 1,
        "finding_count": 0,
    }
    assert [(x["cause_code"], x["effect_code"]) for x in plan["links"]] == [
        ("L1", "P1"),
        ("P1", "C1"),
        ("C1", "F1"),
    ]
    zh = client.get(f"{base}/map", headers={"Accept-Language": "zh-CN"}).json()
    assert (
        zh["layers"][2]["label"] == "客户" and zh["layers"][2]["objectives"][0]["label"] == "交付让客户安心"
    )

    link_id = plan["links"][0]["id"]
    assert client.delete(f"/api/v1/objective-links/{link_id}", headers=h).status_code == 204
    item = c1["indicators"][0]["id"]
    r = client.patch(f"/api/v1/objective-indicators/{item}", json={"weight": 40}, headers=h)
    assert r.status_code == 200 and r.json()["weight"] == "40"
    assert client.delete(f"/api/v1/objective-indicators/{item}", headers=h).status_code == 204
    assert client.delete(f"/api/v1/objectives/{created['L1']['id']}", headers=h).status_code == 204
    assert [o["code"] for o in client.get(f"{base}/objectives").json()] == ["C1", "F1", "P1"]
    assert [x["cause_code"] for x in client.get(f"{base}/links").json()] == ["P1", "C1"]


@pytest.mark.req("S4.1")
def test_managers_and_employees_may_read_the_scorecard_but_not_change_it(
    client: TestClient, session_factory: sessionmaker[Session], design: dict[str, int]
) -> None:
    with unit_of_work(session_factory) as db:
        b = build(db, design)
        ids = {k: v.id for k, v in b.items() if k != "rec"}
    base = f"/api/v1/strategy/{design['record']}"
    for user in ("mgr", "emp"):
        client.cookies.clear()
        h = {"X-CSRF-Token": login(client, user, PASSWORD)}
        assert client.get(f"{base}/objectives").status_code == 200
        writes = [
            client.post(
                f"{base}/objectives", json={"code": "X", "name": "X", "perspective": "customer"}, headers=h
            ),
            client.patch(f"/api/v1/objectives/{ids['C1']}", json={"name": "Y", "version": 1}, headers=h),
            client.delete(f"/api/v1/objectives/{ids['C1']}", headers=h),
            client.post(f"{base}/links", json={"cause_code": "P1", "effect_code": "C1"}, headers=h),
            client.post(f"/api/v1/objectives/{ids['C1']}/indicators", json={"card_code": "nps"}, headers=h),
        ]
        assert [w.status_code for w in writes] == [403] * 5, [w.text for w in writes]
        page = client.get(f"/scorecard?record={design['record']}")
        assert page.status_code == 200 and 'action="/scorecard/' not in page.text
    employee = Principal(user_id=None, username="e", display_name="e", role=Role.employee, employee_id=None)
    with unit_of_work(session_factory) as db, pytest.raises(Forbidden):
        rec = strategy.get_record(db, record_id=design["record"])
        scorecard.create_objective(db, employee, rec, code="Z", name="Z", perspective="customer")


def _texts(html: str, testid: str) -> list[str]:
    return [
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", m)).strip()
        for m in re.findall(rf'data-testid="{testid}"[^>]*>(.*?)</li>', html, flags=re.S)
    ]


@pytest.mark.req("S4.1", "S4.3")
def test_the_scorecard_page_shows_findings_and_objectives_customer_first_in_chinese_and_english(
    client: TestClient, session_factory: sessionmaker[Session], design: dict[str, int]
) -> None:
    with unit_of_work(session_factory) as db:
        b = build(db, design)
        scorecard.add_link(db, P, b["P1"], b["C1"])
        scorecard.attach_indicator(db, P, b["C1"], indicators.get_card(db, design["nps"]), weight=50)
        scorecard.attach_indicator(db, P, b["L1"], indicators.get_card(db, design["training"]), weight=50)
    login(client, "hr", PASSWORD)
    page = client.get("/scorecard?lang=zh-CN")
    assert page.status_code == 200
    html = page.text
    order = [
        html.index(f'data-testid="perspective-{p}"') for p in ("customer", "financial", "process", "learning")
    ]
    assert order == sorted(order)
    assert re.findall(r'data-testid="objective" data-code="(\w+)"', html) == ["C1", "C2", "F1", "P1", "L1"]
    assert "交付让客户安心" in html and "准时交付" in html and "汽车大客户" in html
    assert html.index('data-testid="findings"') < html.index('data-testid="perspective-customer"')
    assert f'href="/indicators/{design["nps"]}"' in html
    assert len(re.findall(r'data-testid="finding" data-severity="error"', html)) >= 3

    en = client.get(f"/scorecard?record={design['record']}&lang=en").text
    findings = _texts(en, "finding")
    assert any("F1 Grow key-account revenue is linked to no other objective" in f for f in findings)
    assert any("Learning objective L1 Customer-scenario skills drives nothing" in f for f in findings)
    assert any("Indicator card Customer-scenario training of L1" in f for f in findings)
    assert "Deliveries customers rely on" in en and "Customer perspective" in en
    assert f'id="objective-{b["C1"].id}"' in client.get(f"/scorecard?record_id={design['record']}").text
    assert 'action="/scorecard/objectives/' in en  # HR designs: the forms are there

    # a refused form shows the problem on the page and stores nothing
    token = login(client, "hr", PASSWORD)
    r = client.post(
        f"/scorecard/{design['record']}/links?lang=en",
        data={"cause_code": "C1", "effect_code": "P1", "csrf_token": token},
    )
    assert r.status_code == 422
    assert "points down the strategy map" in r.text and 'data-testid="objective"' in r.text
    r = client.post(
        f"/scorecard/{design['record']}/objectives?lang=en",
        data={"code": "C1", "name": "重复", "perspective": "customer", "csrf_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 422 and "C1 is taken" in r.text and 'value="重复"' in r.text
    r = client.post(
        f"/scorecard/{design['record']}/objectives",
        data={
            "code": "C3",
            "name": "新目标",
            "perspective": "customer",
            "priority_id": str(design["priority"]),
            "csrf_token": token,
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert "新目标" in client.get(r.headers["location"]).text


@pytest.mark.req("S4.2")
def test_the_map_page_carries_the_layers_and_links_for_the_chart_and_lists_the_findings(
    client: TestClient, session_factory: sessionmaker[Session], design: dict[str, int]
) -> None:
    with unit_of_work(session_factory) as db:
        b = build(db, design)
        scorecard.add_link(db, P, b["L1"], b["P1"])
        scorecard.add_link(db, P, b["P1"], b["C1"])
    login(client, "emp", PASSWORD)
    for lang, customer, name in [("en", "Customer", "Deliver on time"), ("zh-CN", "客户", "准时交付")]:
        page = client.get(f"/scorecard/map?lang={lang}")
        assert page.status_code == 200
        match = re.search(r'data-chart="strategy-map" data-chart-data="([^"]*)"', page.text)
        assert match
        data = json.loads(match.group(1).replace("&#34;", '"').replace("&quot;", '"').replace("&amp;", "&"))
        assert [layer["perspective"] for layer in data["layers"]] == [
            "learning",
            "process",
            "customer",
            "financial",
        ]
        assert data["layers"][2]["label"] == customer
        assert data["layers"][1]["objectives"][0]["label"] == name
        assert [(x["cause_code"], x["effect_code"]) for x in data["links"]] == [("L1", "P1"), ("P1", "C1")]
        assert 'data-testid="findings"' in page.text and 'data-testid="design-tabs"' in page.text
