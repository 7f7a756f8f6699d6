"""Registered data sources, pushes, the spec in force, bindings, batch computation, drill-down,
scope and data quality, through the JSON API on the small organisation.

tickets.csv (GBK, UTC):
  id opened_at         dept  owner customer project contacts status
  1  2026-01-05 09:00  OPS   E003  C1       P1      1        closed
  2  2026-01-10 10:00  OPS-A E004  C2       P1      2        closed
  3  2026-01-20 11:00  OPS-A E004  C1       P2      1        closed
  4  2026-01-25 12:00  FIN   E006  C3       P2      1        open
  5  2026-02-03 08:00  OPS-A E004  C1       P1      1        closed
  6  2026-02-14 12:00  OPS   E003  C2       P2      3        closed
fcr_rate = 100 × closed with one contact / closed. January: E004 1/2 → 50, E003 1/1 → 100,
E006 0/0 → no value; the OPS subtree (OPS, OPS-A) 2/3 → 66.67, the company 2/3; February: E004
100, E003 0, OPS 1/2 → 50.
"""

from __future__ import annotations

import sqlite3
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session, sessionmaker

from northstar.config import Settings
from northstar.data.models import DataSource, MetricActual, SourceSnapshot
from northstar.data.quality import source_quality
from northstar.db import unit_of_work
from northstar.indicators.models import IndicatorCard
from northstar.org.models import Department, Employee
from northstar.pools.models import CandidateSource, KpiCandidate
from northstar.scorecards.models import PersonalScorecard, ScorecardItem
from northstar.strategy.models import Objective, ObjectiveIndicator, Perspective, StrategyRecord
from tests.conftest import PG_URL, login
from tests.factories import PASSWORD, build_small_org

TICKETS = """id,opened_at,dept,owner,customer,project,subject,contacts,status
1,2026-01-05 09:00:00,OPS,E003,C1,P1,打印机无法连接,1,closed
2,2026-01-10 10:00:00,OPS-A,E004,C2,P1,发票抬头错误,2,closed
3,2026-01-20 11:00:00,OPS-A,E004,C1,P2,交付延迟,1,closed
4,2026-01-25 12:00:00,FIN,E006,C3,P2,对账差异,1,open
5,2026-02-03 08:00:00,OPS-A,E004,C1,P1,安装预约,1,closed
6,2026-02-14 12:00:00,OPS,E003,C2,P2,退货申请,3,closed
"""

#: E006 closes a ticket in January too, so that three people make January's company figure
THIRD_CLOSER = "7,2026-01-28 09:00:00,FIN,E006,C3,P2,对账差异复核,1,closed\n"

TICKETS_SOURCE: dict[str, Any] = {
    "code": "tickets",
    "name": "CRM 工单",
    "name_en": "CRM tickets",
    "system": "crm",
    "kind": "file",
    "location": "tickets.csv",
    "time_column": "opened_at",
    "fresh_days": 30,
    "columns": {
        "columns": [
            {"name": "id", "type": "integer"},
            {"name": "opened_at", "type": "timestamp"},
            {"name": "dept"},
            {"name": "owner"},
            {"name": "customer"},
            {"name": "project"},
            {"name": "subject", "required": False},
            {"name": "contacts", "type": "integer", "min": 1},
            {"name": "status", "allowed": ["open", "closed"]},
        ],
        "key": ["id"],
        "extra": "forbid",
    },
}

SURVEYS_SOURCE: dict[str, Any] = {
    "code": "surveys",
    "name": "满意度调查",
    "name_en": "Surveys",
    "system": "survey",
    "kind": "push",
    "time_column": "answered_at",
    "columns": {
        "columns": [
            {"name": "response_id"},
            {"name": "answered_at", "type": "timestamp"},
            {"name": "owner"},
            {"name": "dept"},
            {"name": "score", "type": "integer", "min": 0, "max": 10},
        ],
        "key": ["response_id"],
        "extra": "forbid",
    },
}

SPEC = """
version: "1"
timezone: UTC
sources:
  tickets:
    table: tickets
    time_column: opened_at
    key: [id]
    dimensions: {department: dept, owner: owner, customer: customer, project: project}
  surveys:
    table: surveys
    time_column: answered_at
    key: [response_id]
    dimensions: {department: dept, owner: owner}
measures:
  tickets: {source: tickets, agg: count}
  closed: {source: tickets, agg: count, where: [{column: status, op: eq, value: closed}]}
  fcr: {source: tickets, agg: count, where: [{column: status, op: eq, value: closed},
                                             {column: contacts, op: eq, value: 1}]}
metrics:
  tickets: {type: simple, measure: tickets}
  fcr_rate: {type: ratio, numerator: fcr, denominator: closed, scale: 100, unit: percent,
             label: Solved at the first contact, label_zh: 首次接触即解决}
  nps: {type: nps, source: surveys, column: score, label: Net promoter score}
"""

JAN, FEB = date(2026, 1, 1), date(2026, 2, 1)


def _arrange(factory: sessionmaker[Session]) -> None:
    """Cards fcr and nps; fcr on the scorecards of E003, E004 and E006, in the OPS pool's core set
    and on a company objective; nps on E004's scorecard."""
    build_small_org(factory)
    with unit_of_work(factory) as db:
        fcr = IndicatorCard(code="fcr", name="首次解决率", name_en="First-contact resolution")
        nps = IndicatorCard(code="nps", name="净推荐值", name_en="NPS")
        db.add_all([fcr, nps])
        db.flush()
        people = {e.number: e for e in db.scalars(select(Employee))}
        for number, cards in (("E003", [fcr]), ("E004", [fcr, nps]), ("E006", [fcr])):
            card_ = PersonalScorecard(employee_id=people[number].id, period="2026")
            db.add(card_)
            db.flush()
            for c in cards:
                db.add(ScorecardItem(scorecard_id=card_.id, card_id=c.id, weight=Decimal(50)))
        ops = db.scalar(select(Department).where(Department.code == "OPS"))
        assert ops is not None
        db.add(
            KpiCandidate(
                department_id=ops.id,
                name="首次解决率",
                source=CandidateSource.library,
                card_id=fcr.id,
                core=True,
            )
        )
        record = StrategyRecord(period="2026")
        db.add(record)
        db.flush()
        objective = Objective(
            record_id=record.id, code="C1", perspective=Perspective.customer, name="一次解决"
        )
        db.add(objective)
        db.flush()
        db.add(ObjectiveIndicator(objective_id=objective.id, card_id=fcr.id, weight=Decimal(100)))


@pytest.fixture
def world(session_factory: sessionmaker[Session], settings: Settings, client: TestClient) -> dict[str, str]:
    """The arranged organisation, tickets.csv in GBK in the data directory, admin signed in."""
    _arrange(session_factory)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    (settings.data_dir / "tickets.csv").write_bytes(TICKETS.encode("gbk"))
    return {"X-CSRF-Token": login(client, "admin", PASSWORD)}


def _setup(client: TestClient, h: dict[str, str], *, compute: bool = True) -> None:
    assert client.post("/api/v1/data/sources", json=TICKETS_SOURCE, headers=h).status_code == 201
    assert client.post("/api/v1/data/sources", json=SURVEYS_SOURCE, headers=h).status_code == 201
    loaded = client.post("/api/v1/data/sources/tickets/load", headers=h)
    assert loaded.status_code == 200, loaded.text
    assert client.put("/api/v1/data/spec", json={"text": SPEC}, headers=h).status_code == 200
    for card, metric in (("fcr", "fcr_rate"), ("nps", "nps")):
        bound = client.put(f"/api/v1/data/bindings/{card}", json={"metric": metric}, headers=h)
        assert bound.status_code == 200, bound.text
    if compute:
        run = client.post(
            "/api/v1/data/compute", json={"start": "2026-01-01", "end": "2026-03-01"}, headers=h
        )
        assert run.status_code == 200, run.text


def _actuals(client: TestClient, **query: Any) -> dict[tuple[str, str, str], Any]:
    """(scope kind, scope key, period) → value as text, for every actual the client may see."""
    page = client.get("/api/v1/data/actuals", params={"size": 500, **query})
    assert page.status_code == 200, page.text
    return {(a["scope_kind"], a["scope_key"], a["period_start"]): a["value"] for a in page.json()["items"]}


def _number(value: str | None) -> float | None:
    return None if value is None else round(float(value), 4)


# -- sources -----------------------------------------------------------------------------------


@pytest.mark.req("S7.1")
def test_a_gbk_csv_source_loads_into_a_snapshot_and_loading_the_same_data_again_writes_nothing(
    world: dict[str, str], client: TestClient, settings: Settings, db: Session
) -> None:
    h = world
    assert client.post("/api/v1/data/sources", json=TICKETS_SOURCE, headers=h).status_code == 201
    first = client.post("/api/v1/data/sources/tickets/load", headers=h).json()
    assert first["changed"] is True and first["snapshot"]["rows"] == 6 and first["snapshot"]["number"] == 1
    # the snapshot is a Parquet file in the managed store, under the data directory
    assert list((settings.data_dir / "store" / "sources" / "tickets").glob("snapshot-00001-*.parquet"))
    assert first["snapshot"]["last_event"].startswith("2026-02-14T12:00:00")
    again = client.post("/api/v1/data/sources/tickets/load", headers=h).json()
    assert again["changed"] is False and again["snapshot"]["number"] == 1


@pytest.mark.req("S7.1")
def test_a_file_with_a_bad_value_and_an_extra_column_loads_nothing_and_the_snapshot_stays(
    world: dict[str, str], client: TestClient, settings: Settings
) -> None:
    h = world
    client.post("/api/v1/data/sources", json=TICKETS_SOURCE, headers=h)
    client.post("/api/v1/data/sources/tickets/load", headers=h)
    bad = TICKETS.replace("id,opened_at", "id,opened_at", 1).splitlines()
    bad[0] += ",note"
    bad[3] = bad[3].replace(",1,closed", ",one,closed") + ",x"
    (settings.data_dir / "tickets.csv").write_bytes(("\n".join(bad) + "\n").encode("gbk"))
    refused = client.post("/api/v1/data/sources/tickets/load", headers=h)
    assert refused.status_code == 422
    body = refused.json()
    messages = " | ".join(p["message"] for p in body["error"]["problems"])
    assert 'column "note" is not declared' in messages
    assert 'column "contacts" must hold whole numbers' in messages and "rows 4" in messages
    assert {p["field"] for p in body["error"]["problems"]} == {"note", "contacts"}
    current = client.get("/api/v1/data/sources/tickets").json()["snapshot"]
    assert current["number"] == 1 and current["rows"] == 6


@pytest.mark.req("S7.1")
def test_registering_a_source_with_a_time_column_it_does_not_declare_is_refused_by_field(
    world: dict[str, str], client: TestClient
) -> None:
    bad_code = client.post("/api/v1/data/sources", json={**TICKETS_SOURCE, "code": "Tickets!"}, headers=world)
    assert bad_code.status_code == 422
    (problem,) = bad_code.json()["error"]["problems"]
    assert problem["field"] == "code" and "lower-case letters" in problem["message"]
    wrong = client.post(
        "/api/v1/data/sources", json={**TICKETS_SOURCE, "time_column": "created"}, headers=world
    )
    assert wrong.status_code == 422
    (problem,) = wrong.json()["error"]["problems"]
    assert "time_column created is not among the declared columns" in problem["message"]


@pytest.mark.req("S7.1")
def test_a_sql_table_is_read_through_sqlalchemy_and_a_missing_table_is_named(
    world: dict[str, str], client: TestClient, settings: Settings
) -> None:
    h = world
    with sqlite3.connect(settings.data_dir / "hr.sqlite") as con:
        con.execute("create table training (id integer primary key, held_on date, owner text, hours real)")
        con.executemany(
            "insert into training values (?, ?, ?, ?)",
            [(1, "2026-01-08", "E003", 2.5), (2, "2026-01-15", "E004", 4.0), (3, "2026-02-02", "E004", 1.5)],
        )
    source = {
        "code": "training",
        "name": "培训记录",
        "kind": "sql",
        "location": "sqlite:///hr.sqlite",
        "table": "training",
        "time_column": "held_on",
        "columns": {
            "columns": [
                {"name": "id", "type": "integer"},
                {"name": "held_on", "type": "date"},
                {"name": "owner"},
                {"name": "hours", "type": "decimal", "scale": 2},
            ],
            "key": ["id"],
        },
    }
    assert client.post("/api/v1/data/sources", json=source, headers=h).status_code == 201
    loaded = client.post("/api/v1/data/sources/training/load", headers=h)
    assert loaded.status_code == 200, loaded.text
    assert loaded.json()["snapshot"]["rows"] == 3
    missing = client.post(
        "/api/v1/data/sources", json={**source, "code": "training2", "table": "courses"}, headers=h
    )
    assert missing.status_code == 201
    refused = client.post("/api/v1/data/sources/training2/load", headers=h)
    assert refused.status_code == 422
    assert "has no table courses" in refused.json()["error"]["message"]
    # a table name is a name, never SQL text
    injected = client.post(
        "/api/v1/data/sources",
        json={**source, "code": "training3", "table": "training; drop table x"},
        headers=h,
    )
    assert injected.status_code == 422


@pytest.mark.req("S7.1")
def test_a_postgresql_table_is_read_as_a_source(world: dict[str, str], client: TestClient) -> None:
    """The source database is the PostgreSQL test server, whichever database the app runs on."""
    if not PG_URL:
        pytest.skip("no PostgreSQL server to read from: set NORTHSTAR_TEST_POSTGRES_URL (.ci/run does)")
    engine = create_engine(PG_URL)
    with engine.begin() as con:
        con.execute(text("create schema if not exists erp_source"))
        con.execute(text("drop table if exists erp_source.deliveries"))
        con.execute(
            text("create table erp_source.deliveries (line text primary key, due date, qty numeric(10,2))")
        )
        con.execute(
            text(
                "insert into erp_source.deliveries values ('L1', '2026-01-05', 3.5), ('L2', '2026-01-09', 2)"
            )
        )
    try:
        source = {
            "code": "deliveries",
            "name": "交付",
            "kind": "sql",
            "location": PG_URL,
            "table": "erp_source.deliveries",
            "time_column": "due",
            "columns": {
                "columns": [
                    {"name": "line"},
                    {"name": "due", "type": "date"},
                    {"name": "qty", "type": "decimal"},
                ],
                "key": ["line"],
            },
        }
        assert client.post("/api/v1/data/sources", json=source, headers=world).status_code == 201
        loaded = client.post("/api/v1/data/sources/deliveries/load", headers=world)
        assert loaded.status_code == 200, loaded.text
        assert loaded.json()["snapshot"]["rows"] == 2
    finally:
        with engine.begin() as con:
            con.execute(text("drop schema erp_source cascade"))
        engine.dispose()


# -- pushes ------------------------------------------------------------------------------------


@pytest.mark.req("S7.1")
def test_a_retried_push_counts_once_and_a_reused_key_or_a_known_row_is_refused(
    world: dict[str, str], client: TestClient
) -> None:
    h = world
    client.post("/api/v1/data/sources", json=SURVEYS_SOURCE, headers=h)
    rows = [
        {
            "response_id": "R1",
            "answered_at": "2026-01-07 10:00:00",
            "owner": "E004",
            "dept": "OPS-A",
            "score": 10,
        },
        {
            "response_id": "R2",
            "answered_at": "2026-01-08 10:00:00",
            "owner": "E004",
            "dept": "OPS-A",
            "score": 3,
        },
        {
            "response_id": "R3",
            "answered_at": "2026-01-09 10:00:00",
            "owner": "E004",
            "dept": "OPS-A",
            "score": 9,
        },
    ]
    url = "/api/v1/data/sources/surveys/batches"
    first = client.post(url, json=rows, headers={**h, "Idempotency-Key": "jan-1"})
    assert first.status_code == 201, first.text
    assert first.json()["rows"] == 3 and first.json()["replayed"] is False
    retried = client.post(url, json=rows, headers={**h, "Idempotency-Key": "jan-1"})
    assert retried.status_code == 200 and retried.json()["replayed"] is True
    assert client.get("/api/v1/data/sources/surveys").json()["snapshot"]["rows"] == 3
    reused = client.post(url, json=rows[:1], headers={**h, "Idempotency-Key": "jan-1"})
    assert (
        reused.status_code == 409
        and "already used for a different batch" in reused.json()["error"]["message"]
    )
    known = client.post(url, json=[rows[1]], headers={**h, "Idempotency-Key": "jan-2"})
    assert known.status_code == 422
    assert (
        "repeat keys (response_id) already received" in known.json()["error"]["message"]
        and "R2" in known.json()["error"]["message"]
    )
    no_key = client.post(url, json=rows, headers=h)
    assert no_key.status_code == 422 and "Idempotency-Key" in no_key.json()["error"]["message"]
    bad = [{**rows[0], "response_id": "R9", "score": "ten"}]
    refused = client.post(url, json=bad, headers={**h, "Idempotency-Key": "jan-3"})
    assert refused.status_code == 422
    (problem,) = refused.json()["error"]["problems"]
    assert problem["field"] == "score" and problem["row"] == 1 and '"ten"' in problem["message"]
    csv = "response_id,answered_at,owner,dept,score\nR4,2026-02-01 09:00:00,E004,OPS-A,11\n"
    pushed = client.post(
        url, content=csv.encode(), headers={**h, "Idempotency-Key": "feb-1", "Content-Type": "text/csv"}
    )
    assert pushed.status_code == 201, pushed.text
    snapshot = client.get("/api/v1/data/sources/surveys").json()["snapshot"]
    # the refused batches added nothing; the score of 11 loads but counts as invalid
    assert snapshot["rows"] == 4 and snapshot["number"] == 2
    assert snapshot["quality"]["score"] == {"nulls": 0, "invalid": 1}


@pytest.mark.req("S7.1")
def test_malformed_pushes_are_refused_with_the_fix(world: dict[str, str], client: TestClient) -> None:
    h = world
    client.post("/api/v1/data/sources", json=SURVEYS_SOURCE, headers=h)
    client.post("/api/v1/data/sources", json=TICKETS_SOURCE, headers=h)
    url = "/api/v1/data/sources/surveys/batches"
    broken = client.post(
        url, content=b"[{", headers={**h, "Idempotency-Key": "a", "Content-Type": "application/json"}
    )
    assert broken.status_code == 422 and "not valid JSON" in broken.json()["error"]["message"]
    xml = client.post(
        url, content=b"<rows/>", headers={**h, "Idempotency-Key": "b", "Content-Type": "application/xml"}
    )
    assert xml.status_code == 422 and "application/json or text/csv" in xml.json()["error"]["message"]
    to_file = client.post(
        "/api/v1/data/sources/tickets/batches", json=[{"id": 1}], headers={**h, "Idempotency-Key": "c"}
    )
    assert to_file.status_code == 422 and "does not accept pushed rows" in to_file.json()["error"]["message"]


# -- spec, bindings, computation ------------------------------------------------------------------


@pytest.mark.req("S7.2")
def test_a_spec_naming_an_unregistered_source_or_an_undeclared_column_is_refused_by_path(
    world: dict[str, str], client: TestClient
) -> None:
    h = world
    client.post("/api/v1/data/sources", json=TICKETS_SOURCE, headers=h)
    wrong = SPEC.replace("table: surveys", "table: survey_results").replace(
        "owner: owner, customer", "owner: agent, customer"
    )
    refused = client.put("/api/v1/data/spec", json={"text": wrong}, headers=h)
    assert refused.status_code == 422
    fields = {p["field"] for p in refused.json()["error"]["problems"]}
    assert fields == {"sources.surveys.table", "sources.tickets.dimensions.owner"}
    assert client.get("/api/v1/data/spec").json() is None


@pytest.mark.req("S7.2", "S7.3")
def test_actuals_per_person_department_subtree_company_and_customer_match_hand_computed_values(
    world: dict[str, str], client: TestClient
) -> None:
    _setup(client, world)
    got = {k: _number(v) for k, v in _actuals(client, card="fcr").items()}
    assert got == {
        ("person", "E003", "2026-01-01"): 100.0,
        ("person", "E004", "2026-01-01"): 50.0,
        ("person", "E006", "2026-01-01"): None,
        ("person", "E003", "2026-02-01"): 0.0,
        ("person", "E004", "2026-02-01"): 100.0,
        ("department", "OPS", "2026-01-01"): 66.6667,
        ("department", "OPS", "2026-02-01"): 50.0,
        ("company", "", "2026-01-01"): 66.6667,
        ("company", "", "2026-02-01"): 50.0,
        ("customer", "C1", "2026-01-01"): 100.0,
        ("customer", "C2", "2026-01-01"): 0.0,
        ("customer", "C1", "2026-02-01"): 100.0,
        ("customer", "C2", "2026-02-01"): 0.0,
        ("project", "P1", "2026-01-01"): 50.0,
        ("project", "P2", "2026-01-01"): 100.0,
        ("project", "P1", "2026-02-01"): 100.0,
        ("project", "P2", "2026-02-01"): 0.0,
        # fcr is on the enterprise scorecard, so every department subtree gets a slice where
        # the data gives it a value: HQ is everyone (as the company), OPS-A tickets 2, 3 and 5;
        # FIN's only ticket is open, so FIN has no value and no slice
        ("department", "HQ", "2026-01-01"): 66.6667,
        ("department", "HQ", "2026-02-01"): 50.0,
        ("department", "OPS-A", "2026-01-01"): 50.0,
        ("department", "OPS-A", "2026-02-01"): 100.0,
        # how each customer sees OPS (whose pool holds fcr): its subtree's tickets of C1 are
        # 1, 3 (Jan) and 5 (Feb), all first-contact; of C2 ticket 2 (Jan) and 6 (Feb), neither
        ("dept_customer", "OPS/C1", "2026-01-01"): 100.0,
        ("dept_customer", "OPS/C2", "2026-01-01"): 0.0,
        ("dept_customer", "OPS/C1", "2026-02-01"): 100.0,
        ("dept_customer", "OPS/C2", "2026-02-01"): 0.0,
    }
    # the surveys source was registered but never pushed to: E004's NPS is a gap with its reason
    run = client.get("/api/v1/data/runs").json()[0]
    assert run["actuals"] == len(got)
    assert [(g["card"], g["scope_key"], g["reason"]) for g in run["gaps"]] == [("nps", "E004", "not_loaded")]


@pytest.mark.req("S7.3")
def test_the_drill_down_of_a_department_value_lists_exactly_its_numerator_and_denominator_rows(
    world: dict[str, str], client: TestClient
) -> None:
    _setup(client, world)
    page = client.get(
        "/api/v1/data/actuals",
        params={"card": "fcr", "scope_kind": "department", "scope_key": "OPS", "period_start": "2026-01-01"},
    ).json()
    (actual,) = page["items"]
    detail = client.get(f"/api/v1/data/actuals/{actual['id']}").json()
    assert detail["metric"] == "fcr_rate" and len(detail["spec_hash"]) == 16
    assert detail["sources"]["tickets"]["snapshot"] == 1 and detail["sources"]["tickets"]["rows"] == 6
    assert [f["part"] for f in detail["row_filter"]] == ["numerator", "denominator"]
    assert detail["row_filter"][0]["equals"] == {"dept": ["OPS", "OPS-A"]}
    numerator = client.get(f"/api/v1/data/actuals/{actual['id']}/rows", params={"part": 0}).json()
    assert [r["id"] for r in numerator["rows"]] == [1, 3] and numerator["total"] == 2
    assert numerator["rows"][0]["subject"] == "打印机无法连接"
    denominator = client.get(
        f"/api/v1/data/actuals/{actual['id']}/rows", params={"part": 1, "size": 2}
    ).json()
    assert denominator["total"] == 3 and [r["id"] for r in denominator["rows"]] == [1, 2]
    second = client.get(
        f"/api/v1/data/actuals/{actual['id']}/rows", params={"part": 1, "size": 2, "page": 2}
    ).json()
    assert [r["id"] for r in second["rows"]] == [3]
    assert client.get(f"/api/v1/data/actuals/{actual['id']}/rows", params={"part": 5}).status_code == 422


@pytest.mark.req("S7.3")
def test_a_value_keeps_listing_the_rows_it_was_computed_from_after_the_source_moves_on(
    world: dict[str, str], client: TestClient, settings: Settings
) -> None:
    _setup(client, world)
    (actual,) = client.get(
        "/api/v1/data/actuals", params={"card": "fcr", "scope_key": "E004", "period_start": "2026-01-01"}
    ).json()["items"]
    extra = "7,2026-01-28 09:00:00,OPS-A,E004,C2,P1,补充,1,closed\n"
    (settings.data_dir / "tickets.csv").write_bytes((TICKETS + extra).encode("gbk"))
    assert client.post("/api/v1/data/sources/tickets/load", headers=world).json()["snapshot"]["number"] == 2
    rows = client.get(f"/api/v1/data/actuals/{actual['id']}/rows", params={"part": 1}).json()
    assert [r["id"] for r in rows["rows"]] == [2, 3]


@pytest.mark.req("S7.2")
def test_pushed_surveys_compute_nps_and_recomputing_replaces_the_values(
    world: dict[str, str], client: TestClient
) -> None:
    h = world
    _setup(client, h, compute=False)
    rows = [
        {
            "response_id": f"R{i}",
            "answered_at": "2026-01-07 10:00:00",
            "owner": "E004",
            "dept": "OPS-A",
            "score": s,
        }
        for i, s in enumerate([10, 9, 8, 3, 10])
    ]
    client.post("/api/v1/data/sources/surveys/batches", json=rows, headers={**h, "Idempotency-Key": "k"})
    for _ in range(2):
        run = client.post(
            "/api/v1/data/compute", json={"start": "2026-01-01", "end": "2026-02-01"}, headers=h
        )
        assert run.status_code == 200 and run.json()["gaps"] == []
    # promoters 3, detractors 1 of 5 answers: 100 × (3 − 1) / 5 = 40
    assert {k: Decimal(v) for k, v in _actuals(client, card="nps").items()} == {
        ("person", "E004", "2026-01-01"): Decimal(40)
    }


# -- scope ---------------------------------------------------------------------------------------


@pytest.mark.req("S7.3")
def test_an_employee_sees_own_figures_and_aggregates_of_three_people_or_more_but_no_colleague_and_no_rows(
    world: dict[str, str], client: TestClient, app: Any, settings: Settings
) -> None:
    # January's company figure rests on three people (E003, E004, E006), February's on two
    (settings.data_dir / "tickets.csv").write_bytes((TICKETS + THIRD_CLOSER).encode("gbk"))
    _setup(client, world)
    every = client.get("/api/v1/data/actuals", params={"card": "fcr", "size": 500}).json()["items"]
    by_key = {(a["scope_kind"], a["scope_key"], a["period_start"]): a for a in every}
    assert by_key[("company", "", "2026-01-01")]["people"] == 3
    assert by_key[("company", "", "2026-02-01")]["people"] == 2
    assert by_key[("department", "OPS-A", "2026-01-01")]["people"] == 1
    assert by_key[("customer", "C1", "2026-01-01")]["people"] == 2
    assert by_key[("person", "E004", "2026-01-01")]["people"] == 1
    theirs = by_key[("person", "E003", "2026-01-01")]
    january, february = by_key[("company", "", "2026-01-01")], by_key[("company", "", "2026-02-01")]
    with TestClient(app) as emp:
        login(emp, "emp", PASSWORD)  # E004 of OPS-A
        seen = set(_actuals(emp, card="fcr"))
        # not February's company figure (E003 and E004: with their own, E004 would read E003's),
        # not OPS-A's (E004 alone)
        assert seen == {
            ("person", "E004", "2026-01-01"),
            ("person", "E004", "2026-02-01"),
            ("company", "", "2026-01-01"),
        }
        assert emp.get(f"/api/v1/data/actuals/{theirs['id']}").status_code == 404
        assert emp.get(f"/api/v1/data/actuals/{theirs['id']}/rows").status_code == 404
        assert emp.get(f"/api/v1/data/actuals/{february['id']}").status_code == 404
        rows = emp.get(f"/api/v1/data/actuals/{january['id']}/rows")
        assert rows.status_code == 403 and "HR, executives and auditors" in rows.json()["error"]["message"]
    with TestClient(app) as mgr:
        login(mgr, "mgr", PASSWORD)  # head of OPS: OPS and OPS-A are theirs, people and figures
        seen = set(_actuals(mgr, card="fcr"))
        assert {k for k, _, _ in seen} == {"person", "department", "dept_customer", "company"}
        assert ("department", "OPS-A", "2026-01-01") in seen
        # every customer and project slice rests on one or two people, some outside OPS
        assert ("customer", "C1", "2026-01-01") not in seen and ("company", "", "2026-02-01") not in seen
        assert mgr.get(f"/api/v1/data/actuals/{theirs['id']}/rows").status_code == 200


@pytest.mark.req("S7.1")
def test_only_admin_and_hr_register_load_and_compute(
    world: dict[str, str], client: TestClient, app: Any
) -> None:
    _setup(client, world)
    with TestClient(app) as mgr:
        h = {"X-CSRF-Token": login(mgr, "mgr", PASSWORD)}
        assert mgr.post("/api/v1/data/sources/tickets/load", headers=h).status_code == 403
        assert (
            mgr.post(
                "/api/v1/data/compute", json={"start": "2026-01-01", "end": "2026-02-01"}, headers=h
            ).status_code
            == 403
        )


# -- quality ---------------------------------------------------------------------------------------


@pytest.mark.req("S7.5")
def test_quality_shows_freshness_null_and_invalid_shares_coverage_and_the_automatic_share(
    world: dict[str, str], client: TestClient, db: Session
) -> None:
    _setup(client, world)
    report = client.get("/api/v1/data/quality").json()
    by_code = {s["code"]: s for s in report["sources"]}
    assert by_code["surveys"]["status"] == "never"
    tickets = by_code["tickets"]
    # the last ticket is of 14 February 2026, so the 30-day freshness has long passed
    assert tickets["status"] == "stale" and tickets["rows"] == 6
    columns = {c["name"]: c for c in tickets["columns"]}
    assert columns["subject"]["nulls"] == 0 and columns["status"]["invalid"] == 0
    coverage = {c["kind"]: (c["assignments"], c["computed"]) for c in report["coverage"]}
    # E006 has tickets but no closed one (no value), E004's NPS has no data loaded
    assert coverage == {"person": (4, 2), "department": (1, 1), "company": (1, 1)}
    # scorecard items 4 + pool core 1 + enterprise 1, all on bound cards
    assert (report["automatic"], report["manual"], report["automatic_share"]) == (6, 0, "100.0")
    assert db.scalar(select(SourceSnapshot.rows)) == 6
    assert db.query(MetricActual).count() > 0


@pytest.mark.req("S7.5")
def test_the_empty_share_counts_the_required_columns_and_invalid_values_count_everywhere() -> None:
    # an open ticket has no closing time: its optional column is empty by nature, while an empty
    # ticket number is a gap in the data
    source = DataSource(
        code="tickets",
        fresh_days=7,
        columns={
            "columns": [
                {"name": "id"},
                {"name": "opened_at", "type": "timestamp"},
                {"name": "closed_at", "type": "timestamp", "required": False},
            ]
        },
    )
    at = datetime(2026, 3, 1, 8)
    snapshot = SourceSnapshot(
        rows=10,
        loaded_at=at,
        last_event=at - timedelta(days=2),
        quality={
            "id": {"nulls": 1, "invalid": 0},
            "opened_at": {"nulls": 0, "invalid": 3},
            "closed_at": {"nulls": 6, "invalid": 0},
        },
    )
    q = source_quality(source, snapshot, at)
    assert [(c.name, c.required, c.null_share) for c in q.columns] == [
        ("id", True, Decimal("10.0")),
        ("opened_at", True, Decimal("0.0")),
        ("closed_at", False, Decimal("60.0")),
    ]
    # 1 empty of 2 required columns × 10 rows; 3 invalid of 3 columns × 10 rows
    assert (q.null_share, q.invalid_share, q.status, q.age_days) == (
        Decimal("5.0"),
        Decimal("10.0"),
        "fresh",
        2,
    )


@pytest.mark.req("S7.6")
def test_the_pyspark_engine_computes_the_same_actuals_from_the_same_snapshots(
    world: dict[str, str], client: TestClient, settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    from northstar.data.compute import compute_actuals
    from northstar.security.principal import SYSTEM_PRINCIPAL

    _setup(client, world)
    duckdb = {k: _number(v) for k, v in _actuals(client, card="fcr").items()}
    spark_settings = settings.model_copy(update={"metrics_engine": "pyspark"})
    with unit_of_work(session_factory) as s:
        run = compute_actuals(s, SYSTEM_PRINCIPAL, spark_settings, start=JAN, end=date(2026, 3, 1))
        assert run.engine == "pyspark"
    spark = {k: _number(v) for k, v in _actuals(client, card="fcr").items()}
    assert spark == duckdb and len(spark) == 25


@pytest.mark.req("S7.1")
def test_a_survey_system_pushes_with_an_api_token_and_no_session(
    world: dict[str, str], client: TestClient, app: Any
) -> None:
    """The machine client's way in: a bearer token of an HR service account, no cookie, no CSRF."""
    client.post("/api/v1/data/sources", json=SURVEYS_SOURCE, headers=world)
    created = client.post("/api/v1/tokens", json={"name": "Survey tool", "role": "hr"}, headers=world)
    assert created.status_code == 201, created.text
    auth = {"Authorization": f"Bearer {created.json()['token']}"}
    rows = [
        {
            "response_id": "T1",
            "answered_at": "2026-03-02 08:00:00",
            "owner": "E003",
            "dept": "OPS",
            "score": 9,
        }
    ]
    with TestClient(app) as machine:
        pushed = machine.post(
            "/api/v1/data/sources/surveys/batches", json=rows, headers={**auth, "Idempotency-Key": "mar-1"}
        )
        assert pushed.status_code == 201, pushed.text
        again = machine.post(
            "/api/v1/data/sources/surveys/batches", json=rows, headers={**auth, "Idempotency-Key": "mar-1"}
        )
        assert again.status_code == 200 and again.json()["replayed"] is True
        anonymous = machine.post(
            "/api/v1/data/sources/surveys/batches", json=rows, headers={"Idempotency-Key": "mar-2"}
        )
        # without a token the request is a browser's without a session: refused by the CSRF check
        assert anonymous.status_code == 403
    assert client.get("/api/v1/data/sources/surveys").json()["snapshot"]["rows"] == 1
