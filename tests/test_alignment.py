"""Cascading (S6.4): the links from a person's indicator up through the manager's item, the
department indicator and the enterprise objective to a declared customer value; the alignment
tree that shows them across different people; the breaks in it with their fixes — through the
services, the JSON API and the page as a user sees them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, update
from sqlalchemy.orm import Session, sessionmaker

from northstar.audit import AuditLog
from northstar.db import unit_of_work
from northstar.errors import Forbidden, ValidationFailed
from northstar.indicators import service as indicators
from northstar.indicators.schemas import CardIn
from northstar.org.models import Department, Employee
from northstar.pools.models import CandidateSource, KpiCandidate
from northstar.positions.models import IndicatorRole
from northstar.scorecards import alignment
from northstar.scorecards.models import PersonalScorecard, ScorecardItem
from northstar.security.models import User
from northstar.security.principal import SYSTEM_PRINCIPAL
from northstar.security.service import principal_of
from northstar.strategy.models import Objective, ObjectiveLink, Perspective, StrategyPriority, StrategyRecord
from northstar.web.i18n import Translator
from tests.conftest import login
from tests.factories import PASSWORD, build_small_org

P = SYSTEM_PRINCIPAL
EN = Translator("en")


def _dept(db: Session, code: str) -> Department:
    return db.query(Department).filter_by(code=code).one()


def _emp(db: Session, number: str) -> Employee:
    return db.query(Employee).filter_by(number=number).one()


def _card(db: Session, code: str, name: str, name_en: str) -> int:
    return indicators.create_card(db, P, CardIn(code=code, name=name, name_en=name_en)).id


@pytest.fixture
def chain(session_factory: sessionmaker[Session]) -> dict[str, int]:
    """Customer value "on-time delivery" → customer objective C1 (driven by process objective P1)
    → the OPS indicator "on-time delivery rate" → 王经理's item → 张三's item (two people), plus a
    financial objective serving no customer value. Returns ids by name."""
    build_small_org(session_factory)
    with unit_of_work(session_factory) as db:
        otd = _card(db, "otd_rate", "准时交付率", "On-time delivery rate")
        plan = _card(db, "plan_hit", "计划达成率", "Plan hit rate")
        fpy = _card(db, "fpy", "一次合格率", "First-pass yield")
        rec = StrategyRecord(period="2026", title="2026")
        value = StrategyPriority(rank=1, driver_code="on_time_delivery", statement="按承诺日期交付")
        rec.priorities.append(value)
        db.add(rec)
        db.flush()
        c1 = Objective(
            record_id=rec.id,
            code="C1",
            name="准时交付",
            name_en="Deliver on time",
            perspective=Perspective.customer,
            priority_id=value.id,
        )
        p1 = Objective(
            record_id=rec.id,
            code="P1",
            name="稳定排产",
            name_en="Plan production reliably",
            perspective=Perspective.process,
        )
        f9 = Objective(
            record_id=rec.id,
            code="F9",
            name="降低库存",
            name_en="Cut inventory",
            perspective=Perspective.financial,
        )
        db.add_all([c1, p1, f9])
        db.flush()
        db.add(ObjectiveLink(cause_id=p1.id, effect_id=c1.id))
        ops = KpiCandidate(
            department=_dept(db, "OPS"),
            name="准时交付率",
            name_en="On-time delivery rate",
            source=CandidateSource.library,
            indicator_code="otd_rate",
            core=True,
            objective=c1,
            card_id=otd,
        )
        ops_plan = KpiCandidate(
            department=_dept(db, "OPS"),
            name="计划达成率",
            name_en="Plan hit rate",
            source=CandidateSource.library,
            indicator_code="plan_hit",
            core=True,
            objective=p1,
            card_id=plan,
        )
        db.add_all([ops, ops_plan])
        mgr_card = PersonalScorecard(employee=_emp(db, "E002"), period="2026")
        a1_card = PersonalScorecard(employee=_emp(db, "E004"), period="2026")
        mgr_item = ScorecardItem(card_id=otd, role=IndicatorRole.core, weight=Decimal(40), candidate=ops)
        mgr_card.items.append(mgr_item)
        a1_item = ScorecardItem(
            card_id=otd, role=IndicatorRole.core, weight=Decimal(50), parent_item=mgr_item
        )
        a1_card.items.append(a1_item)
        db.add_all([mgr_card, a1_card])
        db.flush()
        return {
            "record": rec.id,
            "value": value.id,
            "c1": c1.id,
            "p1": p1.id,
            "f9": f9.id,
            "ops": ops.id,
            "ops_plan": ops_plan.id,
            "mgr_item": mgr_item.id,
            "a1_item": a1_item.id,
            "mgr_card": mgr_card.id,
            "a1_card": a1_card.id,
            "otd": otd,
            "fpy": fpy,
            "plan": plan,
        }


def _find(nodes: list[dict[str, Any]], kind: str, label_en: str) -> dict[str, Any]:
    for n in nodes:
        if n["kind"] == kind and n["label"] and n["label"]["en"] == label_en:
            return n
    raise AssertionError(f"no {kind} {label_en!r} among {[(n['kind'], n['label']) for n in nodes]}")


def _breaks(db: Session, record_id: int) -> list[alignment.Break]:
    return alignment.alignment_breaks(db, db.get(StrategyRecord, record_id))


@pytest.mark.req("S6.4")
def test_the_tree_runs_from_the_customer_value_down_to_the_manager_and_then_the_employee(
    db: Session, chain: dict[str, int]
) -> None:
    tree = alignment.alignment_tree(db, db.get(StrategyRecord, chain["record"])).as_dict()
    assert tree["record"]["period"] == "2026"
    [value] = tree["values"]
    assert value["kind"] == "customer_value"
    assert value["label"] == {"zh": "稳定交付与准时", "en": "Stable, on-time delivery"}
    assert value["detail"]["rank"] == 1
    assert value["owner"] == {"kind": "enterprise"}
    c1 = _find(value["children"], "objective", "Deliver on time")
    assert c1["detail"] == {"code": "C1", "perspective": "customer"}
    ops = _find(c1["children"], "department_indicator", "On-time delivery rate")
    assert ops["owner"]["kind"] == "department" and ops["owner"]["code"] == "OPS"
    assert ops["owner"]["label"] == {"zh": "运营部", "en": "Operations"}
    assert ops["href"] == f"/pools/{ops['owner']['id']}#candidate-{chain['ops']}"
    mgr = ops["children"][0]
    assert mgr["kind"] == "personal_item" and mgr["owner"]["label"]["zh"] == "王经理"
    assert mgr["detail"] == {"card": "otd_rate", "role": "core", "weight": "40", "period": "2026"}
    a1 = mgr["children"][0]
    assert a1["kind"] == "personal_item" and a1["owner"]["label"]["zh"] == "张三"
    assert a1["href"] == f"/scorecards/{chain['a1_card']}#item-{chain['a1_item']}"
    # the process objective that drives C1 hangs below it, with its own department indicator
    p1 = _find(c1["children"], "objective", "Plan production reliably")
    assert [c["label"]["en"] for c in p1["children"]] == ["Plan hit rate"]
    # the financial objective serves no customer value: it is not in the tree
    assert "F9" not in str(tree)


@pytest.mark.req("S6.4")
def test_the_tree_is_built_from_a_fixed_number_of_queries_whatever_its_size(
    db: Session, chain: dict[str, int], session_factory: sessionmaker[Session]
) -> None:
    def count_queries() -> int:
        seen: list[str] = []
        engine = db.get_bind()

        def listener(*args: Any) -> None:
            seen.append(args[2])

        event.listen(engine, "before_cursor_execute", listener)
        try:
            with session_factory() as fresh:
                alignment.alignment(fresh, fresh.get(StrategyRecord, chain["record"]))
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        return len(seen)

    small = count_queries()
    with unit_of_work(session_factory) as s:
        ops = s.get(KpiCandidate, chain["ops"])
        for number in ("E003", "E005", "E006", "E007"):
            sc = PersonalScorecard(employee=_emp(s, number), period="2026")
            sc.items.append(
                ScorecardItem(
                    card_id=chain["otd"], role=IndicatorRole.core, weight=Decimal(30), candidate=ops
                )
            )
            s.add(sc)
    assert count_queries() == small


@pytest.mark.req("S6.4")
def test_linking_the_managers_item_below_the_employees_item_is_refused_naming_the_chain(
    db: Session, chain: dict[str, int]
) -> None:
    mgr_item = db.get(ScorecardItem, chain["mgr_item"])
    a1_item = db.get(ScorecardItem, chain["a1_item"])
    with pytest.raises(ValidationFailed) as err:
        alignment.link_item(db, P, mgr_item, parent_item=a1_item)
    text_ = EN.gettext(err.value.message, **err.value.params)
    assert "would make a loop" in text_
    assert (
        "王经理 · On-time delivery rate → 张三 · On-time delivery rate → 王经理 · On-time delivery rate"
        in text_
    )
    assert "link 王经理 · On-time delivery rate to the department indicator it serves" in text_
    assert err.value.problems[0].field == "parent_item_id"
    db.rollback()
    assert db.get(ScorecardItem, chain["mgr_item"]).parent_item_id is None


@pytest.mark.req("S6.4")
def test_an_item_may_not_serve_an_indicator_of_a_department_outside_its_persons_line(
    db: Session, chain: dict[str, int]
) -> None:
    fin_cand = KpiCandidate(
        department=_dept(db, "FIN"),
        name="回款率",
        name_en="Collection rate",
        source=CandidateSource.new,
        core=True,
    )
    db.add(fin_cand)
    db.flush()
    a1_item = db.get(ScorecardItem, chain["a1_item"])
    with pytest.raises(ValidationFailed) as err:
        alignment.link_item(db, P, a1_item, candidate=fin_cand)
    text_ = EN.gettext(err.value.message, **err.value.params)
    assert "张三 works in Operations A" in text_
    assert "Finance, which is neither Operations A nor a department above it" in text_
    assert "Operations A, Operations, Headquarters" in text_
    # the department's own indicator, or one above it, is fine; the new link replaces the old one
    ops = db.get(KpiCandidate, chain["ops"])
    alignment.link_item(db, P, a1_item, candidate=ops)
    assert (a1_item.candidate_id, a1_item.parent_item_id) == (ops.id, None)
    row = db.query(AuditLog).filter_by(entity="personal_scorecard", field="otd_rate.link").one()
    assert (row.old, row.new) == ("item:E002/2026/otd_rate", "indicator:OPS/otd_rate")


@pytest.mark.req("S6.4")
def test_only_designers_and_the_managers_of_the_persons_department_set_links(
    db: Session, chain: dict[str, int]
) -> None:
    emp = principal_of(db.query(User).filter_by(username="emp").one())
    fin_mgr = principal_of(db.query(User).filter_by(username="mgr").one())
    a1_item = db.get(ScorecardItem, chain["a1_item"])
    with pytest.raises(Forbidden):
        alignment.link_item(db, emp, a1_item)
    alignment.link_item(db, fin_mgr, a1_item, candidate=db.get(KpiCandidate, chain["ops"]))
    with pytest.raises(ValidationFailed, match="one thing only"):
        alignment.link_item(
            db,
            P,
            a1_item,
            candidate=db.get(KpiCandidate, chain["ops"]),
            parent_item=db.get(ScorecardItem, chain["mgr_item"]),
        )


@pytest.mark.req("S6.4")
def test_breaks_name_the_unlinked_core_item_the_objective_without_value_and_each_fix(
    db: Session, chain: dict[str, int]
) -> None:
    a1_card = db.get(PersonalScorecard, chain["a1_card"])
    a1_card.items.append(ScorecardItem(card_id=chain["fpy"], role=IndicatorRole.core, weight=Decimal(30)))
    a1_card.items.append(ScorecardItem(card_id=chain["plan"], role=IndicatorRole.quality, weight=Decimal(20)))
    db.flush()
    found = {(b.kind, b.severity): b.as_dict(EN.gettext) for b in _breaks(db, chain["record"])}
    item = found[("item_unlinked", "error")]
    assert item["message"] == (
        "张三 · First-pass yield (core) has no upward link: it serves no department indicator, no other "
        "person's item and no team indicator."
    )
    assert item["fix"].startswith("Link it to the department indicator it serves")
    assert item["href"].startswith(f"/scorecards/{chain['a1_card']}#item-")
    # a quality indicator needs no link: told as information only
    assert found[("item_unlinked", "info")]["message"].startswith("张三 · Plan hit rate (quality)")
    obj = found[("objective_without_value", "warning")]
    assert obj["message"].startswith(
        "The objective F9 Cut inventory (financial) reaches no declared customer value"
    )
    assert "Draw its arrow to the objective it drives" in obj["fix"]
    assert obj["href"] == f"/scorecard?record={chain['record']}#objective-{chain['f9']}"
    # errors come first
    assert [b.severity for b in _breaks(db, chain["record"])][0] == "error"


@pytest.mark.req("S6.4")
def test_a_circle_written_straight_into_the_database_is_reported_as_a_loop(
    db: Session, chain: dict[str, int], session_factory: sessionmaker[Session]
) -> None:
    # as an import that bypassed the services would leave it: 王经理's item now serves 张三's
    with unit_of_work(session_factory) as s:
        s.execute(
            update(ScorecardItem)
            .where(ScorecardItem.id == chain["mgr_item"])
            .values(parent_item_id=chain["a1_item"])
        )
    with session_factory() as fresh:
        rec = fresh.get(StrategyRecord, chain["record"])
        result = alignment.alignment(fresh, rec)
        loops = [b.as_dict(EN.gettext) for b in result.breaks if b.kind == "loop"]
        assert len(loops) == 1
        assert loops[0]["severity"] == "error"
        assert loops[0]["message"] == (
            "These links go round in a circle: 王经理 · On-time delivery rate → 张三 · On-time delivery rate → "
            "王经理 · On-time delivery rate."
        )
        assert "Clear one link of the circle" in loops[0]["fix"]
        # neither item reaches the department indicator any more, and the tree still builds
        ops = result.tree.as_dict()["values"][0]["children"][0]["children"][0]
        assert ops["children"] == []


@pytest.mark.req("S6.4")
def test_a_core_department_indicator_with_no_link_and_a_chain_that_stops_are_reported(
    db: Session, chain: dict[str, int]
) -> None:
    ops = db.get(KpiCandidate, chain["ops"])
    alignment.link_candidate(db, P, ops)  # clears its objective
    found = {b.kind: b.as_dict(EN.gettext) for b in _breaks(db, chain["record"])}
    assert found["indicator_unlinked"]["message"] == (
        "The core indicator OPS On-time delivery rate is linked to neither an enterprise objective nor an "
        "indicator of the department above."
    )
    # the people below it are not told again: the fix is on the department indicator
    assert "chain_ends" not in found
    # nothing serves the customer value's objective now but the process objective's indicator
    alignment.link_candidate(db, P, ops, objective=db.get(Objective, chain["c1"]))
    assert "indicator_unlinked" not in {b.kind for b in _breaks(db, chain["record"])}


@pytest.mark.req("S6.4")
def test_a_customer_value_no_objective_serves_is_a_break(db: Session, chain: dict[str, int]) -> None:
    rec = db.get(StrategyRecord, chain["record"])
    rec.priorities.append(StrategyPriority(rank=2, driver_code="quality"))
    db.flush()
    [gap] = [b.as_dict(EN.gettext) for b in _breaks(db, chain["record"]) if b.kind == "value_unserved"]
    assert gap["message"].startswith("No enterprise objective serves the declared customer value #2 ")
    assert "in the balanced scorecard" in gap["fix"]


# --- the JSON API and the page --------------------------------------------------------------------


def _as(client: TestClient, username: str) -> dict[str, str]:
    return {"X-CSRF-Token": login(client, username, PASSWORD)}


@pytest.mark.req("S6.4")
def test_the_api_gives_the_nested_tree_and_the_breaks_in_the_readers_language(
    client: TestClient, chain: dict[str, int]
) -> None:
    _as(client, "hr")
    r = client.get(f"/api/v1/alignment/{chain['record']}")
    assert r.status_code == 200, r.text
    value = r.json()["values"][0]
    c1 = _find(value["children"], "objective", "Deliver on time")
    ops = _find(c1["children"], "department_indicator", "On-time delivery rate")
    assert [n["owner"]["code"] for n in (ops["children"][0], ops["children"][0]["children"][0])] == [
        "E002",
        "E004",
    ]
    r = client.get(f"/api/v1/alignment/{chain['record']}/breaks", headers={"Accept-Language": "en"})
    kinds = {b["kind"]: b for b in r.json()}
    assert kinds["objective_without_value"]["subject"] == {"kind": "objective", "id": chain["f9"]}
    assert kinds["objective_without_value"]["fix"].startswith("Draw its arrow")


@pytest.mark.req("S6.4")
def test_a_loop_sent_to_the_api_is_refused_with_the_chain_and_nothing_changes(
    client: TestClient, chain: dict[str, int]
) -> None:
    h = _as(client, "hr")
    r = client.post(
        f"/api/v1/alignment/items/{chain['mgr_item']}/link",
        json={"parent_item_id": chain["a1_item"]},
        headers=h,
    )
    assert r.status_code == 422
    assert (
        "王经理 · On-time delivery rate → 张三 · On-time delivery rate → 王经理"
        in r.json()["error"]["message"]
    )
    tree = client.get(f"/api/v1/alignment/{chain['record']}").json()
    assert "张三" in str(tree)  # the chain is as it was
    r = client.post(
        f"/api/v1/alignment/candidates/{chain['ops']}/link", json={"objective_id": chain["p1"]}, headers=h
    )
    assert r.status_code == 200 and r.json()["objective_code"] == "P1"


@pytest.mark.req("S6.4")
def test_the_page_shows_the_tree_from_customer_value_to_people_in_both_languages(
    client: TestClient, chain: dict[str, int]
) -> None:
    _as(client, "hr")
    page = client.get("/alignment?lang=en")
    assert page.status_code == 200, page.text
    html = page.text
    for text_ in (
        "Stable, on-time delivery",
        "Deliver on time",
        "On-time delivery rate",
        "王经理",
        "张三",
        "Plan production reliably",
    ):
        assert text_ in html
    assert html.index("Breaks in the alignment") < html.index("From customer value down to people")
    assert "F9 Cut inventory (financial) reaches no declared customer value" in html
    assert 'data-kind="personal_item"' in html and "<details" in html and "<script>" not in html
    zh = client.get("/alignment?lang=zh-CN").text
    assert 'lang="zh-CN"' in zh and "稳定交付与准时" in zh and "准时交付率" in zh
    # filtering by another department keeps nothing of OPS
    fin = client.get(f"/alignment?lang=en&department_id={_dept_id(client, 'FIN')}").text
    assert "王经理" not in fin and "Nothing of this department reaches a declared customer value yet." in fin


def _dept_id(client: TestClient, code: str) -> int:
    return next(d["id"] for d in client.get("/api/v1/departments").json() if d["code"] == code)


@pytest.mark.req("S6.4")
def test_an_unlinked_core_item_is_fixed_from_the_breaks_list_in_one_step(
    client: TestClient, chain: dict[str, int], session_factory: sessionmaker[Session]
) -> None:
    with unit_of_work(session_factory) as s:
        sc = s.get(PersonalScorecard, chain["a1_card"])
        item = ScorecardItem(card_id=chain["fpy"], role=IndicatorRole.core, weight=Decimal(30))
        sc.items.append(item)
        s.flush()
        item_id = item.id
    h = _as(client, "mgr")
    html = client.get("/alignment?lang=en").text
    assert "张三 · First-pass yield (core) has no upward link" in html
    assert f'action="/alignment/items/{item_id}/link"' in html
    assert f'value="candidate:{chain["ops"]}"' in html  # an indicator of 张三's department line
    r = client.post(
        f"/alignment/items/{item_id}/link",
        data={
            "target": f"candidate:{chain['ops']}",
            "next": "/alignment?lang=en",
            "csrf_token": h["X-CSRF-Token"],
        },
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/alignment?lang=en"
    assert "First-pass yield (core) has no upward link" not in client.get("/alignment?lang=en").text


@pytest.mark.req("S6.4")
def test_an_employee_sees_the_chain_above_them_without_the_managers_item(
    client: TestClient, chain: dict[str, int]
) -> None:
    _as(client, "emp")
    tree = client.get(f"/api/v1/alignment/{chain['record']}").json()
    ops = tree["values"][0]["children"][0]["children"][0]
    mgr = ops["children"][0]
    assert mgr["hidden"] is True and mgr["label"] is None and mgr["owner"] is None and mgr["href"] is None
    assert mgr["children"][0]["owner"]["label"]["zh"] == "张三"
    assert "王经理" not in str(tree)
    r = client.post(f"/api/v1/alignment/items/{chain['a1_item']}/link", json={}, headers=_as(client, "emp"))
    assert r.status_code == 403


@pytest.mark.req("S6.4")
def test_without_a_strategy_record_the_page_says_where_the_tree_starts(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    build_small_org(session_factory)
    _as(client, "exec")
    page = client.get("/alignment?lang=en")
    assert page.status_code == 200
    assert "There is no strategy record yet: the tree starts from the customer values" in page.text
