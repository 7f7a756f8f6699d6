"""The data pages (S7.1–S7.3, S7.5) on the arranged organisation of test_data_sources: the overview
of sources, runs and quality with its Load-now and Compute forms, one source, the metric spec and
bindings, the computed actuals and one value's lineage down to its source rows, in en and zh_CN."""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser
from typing import Any

import pytest
from fastapi.testclient import TestClient

from northstar.config import Settings
from tests import test_data_sources as arranged
from tests.conftest import login
from tests.factories import PASSWORD
from tests.test_data_sources import SPEC, THIRD_CLOSER, TICKETS, _setup

#: the organisation of test_data_sources with tickets.csv in the data directory, admin signed in
world = arranged.world

LANGS = ("en", "zh_CN")
#: pages: what the user sees; the queries behind them are the API's, tested on both databases
pytestmark = pytest.mark.one_database


class _Collector(HTMLParser):
    """The visible text of every element carrying a given data-testid (nested ones included)."""

    VOID = frozenset({"br", "hr", "img", "input", "meta", "link", "col", "source", "wbr"})

    def __init__(self, testid: str) -> None:
        super().__init__(convert_charrefs=True)
        self.testid = testid
        self.open: list[list[Any]] = []  # [depth, attributes, text parts] of matches being read
        self.depth = 0
        self.found: list[tuple[dict[str, str | None], str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.VOID:
            return
        self.depth += 1
        found = dict(attrs)
        if found.get("data-testid") == self.testid:
            self.open.append([self.depth, found, []])

    def handle_endtag(self, tag: str) -> None:
        if tag in self.VOID:
            return
        if self.open and self.open[-1][0] == self.depth:
            _, attrs, parts = self.open.pop()
            self.found.append((attrs, " ".join(" ".join(parts).split())))
            for outer in self.open:
                outer[2].extend(parts)
        self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.open:
            self.open[-1][2].append(data)


def found(html: str, testid: str) -> list[tuple[dict[str, str | None], str]]:
    """(attributes, visible text) of every element with ``data-testid=testid``."""
    parser = _Collector(testid)
    parser.feed(html)
    return parser.found


def texts(html: str, testid: str) -> list[str]:
    return [text for _, text in found(html, testid)]


def row_of(html: str, testid: str, **attrs: str) -> str:
    """The text of the one element with ``testid`` whose data-* attributes match ``attrs``."""
    hits = [text for a, text in found(html, testid) if all(a.get(f"data-{k}") == v for k, v in attrs.items())]
    assert len(hits) == 1, (testid, attrs, hits)
    return hits[0]


def source_rows(html: str) -> dict[str, str]:
    """Source code → its row count, as the overview shows them."""
    codes = [a["data-code"] for a, _ in found(html, "source-row")]
    return dict(zip(codes, texts(html, "rows"), strict=True))


def visible(html: str) -> str:
    main = html.split("<main", 1)[1].split("</main>", 1)[0]
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", main)).split())


def _get(client: TestClient, url: str, lang: str) -> str:
    page = client.get(f"{url}{'&' if '?' in url else '?'}lang={lang}")
    assert page.status_code == 200, page.text[:2000]
    assert f'<html lang="{"zh-CN" if lang == "zh_CN" else "en"}">' in page.text
    return page.text


def _actual_id(client: TestClient, **query: str) -> int:
    (item,) = client.get("/api/v1/data/actuals", params={"card": "fcr", **query}).json()["items"]
    return int(item["id"])


# -- overview and quality (S7.1, S7.5) ------------------------------------------------------------


@pytest.mark.req("S7.1", "S7.5")
@pytest.mark.parametrize("lang", LANGS)
def test_the_overview_shows_each_source_with_its_rows_freshness_and_the_quality_of_the_latest_run(
    world: dict[str, str], client: TestClient, lang: str
) -> None:
    _setup(client, world)
    html = _get(client, "/data", lang)
    tickets = row_of(html, "source-row", code="tickets")
    assert ("CRM 工单" if lang == "zh_CN" else "CRM tickets") in tickets
    assert source_rows(html) == {"surveys": "—", "tickets": "6"}
    # the last ticket is of 14 February 2026 20:00 in Shanghai, shown in the page's language
    assert ("2026年2月14日" if lang == "zh_CN" else "Feb 14, 2026") in tickets
    assert [a.get("data-status") for a, _ in found(html, "freshness")] == ["never", "stale"]
    # the push source shows where and how to push
    push = row_of(html, "push-surveys")
    assert "POST http://testserver/api/v1/data/sources/surveys/batches" in push
    assert "Idempotency-Key: surveys-" in push and "curl -X POST" in push
    # coverage of the latest run: E006 has no closed ticket, E004's NPS has no data
    coverage = {a["data-kind"]: text for a, text in found(html, "coverage-row")}
    assert set(coverage) == {"person", "department", "company"}
    assert coverage["person"].endswith("4 2 50.0%")
    assert coverage["department"].endswith("1 1 100.0%")
    (gap,) = texts(html, "gap")
    assert gap.startswith("nps") and "E004" in gap and "surveys" in gap
    if lang == "en":
        assert "stale latest event" in tickets and "never loaded" in row_of(
            html, "source-row", code="surveys"
        )
        assert "source not loaded" in gap
        assert "6 of 6 indicator assignments (100.0%)" in texts(html, "automatic-share")[0]
    (run,) = texts(html, "run-row")
    assert run.startswith("1 ") and " 25 1 " in f"{run} " and "duckdb" in run
    assert ("2026年1月1日 – 2026年2月28日" if lang == "zh_CN" else "Jan 1, 2026 – Feb 28, 2026") in run


@pytest.mark.req("S7.1")
def test_load_now_stores_a_new_snapshot_says_when_nothing_changed_and_shows_the_problems_of_a_bad_file(
    world: dict[str, str], client: TestClient, settings: Settings
) -> None:
    _setup(client, world, compute=False)
    token = world["X-CSRF-Token"]
    same = client.post("/data/sources/tickets/load", data={"csrf_token": token}, follow_redirects=False)
    assert same.status_code == 303 and same.headers["location"] == "/data?loaded=tickets&changed=0"
    (notice,) = texts(client.get(same.headers["location"]).text, "notice")
    assert notice == "tickets: the data has not changed since snapshot 1; nothing new was stored."
    extra = "7,2026-02-20 09:00:00,OPS-A,E004,C2,P1,补充,1,closed\n"
    (settings.data_dir / "tickets.csv").write_bytes((TICKETS + extra).encode("gbk"))
    loaded = client.post("/data/sources/tickets/load", data={"csrf_token": token})
    assert loaded.status_code == 200
    assert texts(loaded.text, "notice") == ["tickets loaded: snapshot 2 with 7 rows."]
    assert source_rows(loaded.text)["tickets"] == "7"
    bad = TICKETS.splitlines()
    bad[0] += ",note"
    bad[3] = bad[3].replace(",1,closed", ",one,closed") + ",x"
    (settings.data_dir / "tickets.csv").write_bytes(("\n".join(bad) + "\n").encode("gbk"))
    refused = client.post("/data/sources/tickets/load", data={"csrf_token": token})
    assert refused.status_code == 422
    problems = " | ".join(texts(refused.text, "problems"))
    assert (
        'column "note" is not declared' in problems
        and 'column "contacts" must hold whole numbers' in problems
    )
    # all or nothing: snapshot 2 stays current
    page = client.get("/data/sources/tickets").text
    assert [t.split()[:2] for t in texts(page, "snapshot")] == [["2", "7"], ["1", "6"]]


@pytest.mark.req("S7.1", "S7.5")
def test_the_compute_form_runs_a_computation_and_a_bad_range_is_shown_on_the_overview(
    world: dict[str, str], client: TestClient
) -> None:
    _setup(client, world, compute=False)
    token = world["X-CSRF-Token"]
    form = {"csrf_token": token, "start": "2026-01-01", "end": "2026-03-01", "grain": "month"}
    done = client.post("/data/compute", data=form, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/data?run=1"
    page = client.get(done.headers["location"]).text
    assert texts(page, "notice") == ["Computed run 1: 25 actuals stored; assignments left without data: 1."]
    assert len(texts(page, "run-row")) == 1
    backwards = client.post("/data/compute", data={**form, "start": "2026-03-01", "end": "2026-01-01"})
    assert backwards.status_code == 422
    assert texts(backwards.text, "form-error") == ["end: the end date must come after the start date."]
    # the form keeps what was typed, and no run was added
    assert 'value="2026-03-01"' in backwards.text and len(texts(backwards.text, "run-row")) == 1
    not_a_date = client.post("/data/compute", data={**form, "start": "1 March"})
    assert not_a_date.status_code == 422
    assert texts(not_a_date.text, "form-error") == [
        'start: "1 March" is not a date; write it like 2026-01-01.'
    ]


@pytest.mark.req("S7.1")
def test_an_employee_and_an_auditor_can_neither_load_nor_compute_and_the_employee_sees_no_sources(
    world: dict[str, str], client: TestClient, app: Any
) -> None:
    _setup(client, world)
    for username in ("emp", "aud"):
        with TestClient(app) as other:
            token = login(other, username, PASSWORD)
            load = other.post("/data/sources/tickets/load", data={"csrf_token": token})
            assert load.status_code == 403 and texts(load.text, "error-status")[0].startswith("403")
            run = other.post(
                "/data/compute",
                data={"csrf_token": token, "start": "2026-01-01", "end": "2026-02-01", "grain": "month"},
            )
            assert run.status_code == 403
            page = other.get("/data")
            if username == "emp":
                assert page.status_code == 403
                assert other.get("/data/sources/tickets").status_code == 403
                assert other.get("/data/metrics").status_code == 403
            else:
                # the auditor reads everything but is offered no form
                assert page.status_code == 200
                assert 'data-testid="compute-form"' not in page.text and "load-tickets" not in page.text
    runs = client.get("/api/v1/data/runs").json()
    assert len(runs) == 1
    assert client.get("/api/v1/data/sources/tickets").json()["snapshot"]["number"] == 1


# -- one source (S7.1, S7.5) ------------------------------------------------------------------------


@pytest.mark.req("S7.1", "S7.5")
@pytest.mark.parametrize("lang", LANGS)
def test_a_source_page_shows_its_declaration_snapshots_column_quality_and_pushed_batches(
    world: dict[str, str], client: TestClient, lang: str
) -> None:
    h = world
    _setup(client, h, compute=False)
    html = _get(client, "/data/sources/tickets", lang)
    assert texts(html, "location") == ["tickets.csv"]
    assert "open , closed" in row_of(html, "column", name="status")
    assert row_of(html, "column", name="contacts").split()[-2:] == ["1", "—"]
    assert "key" in row_of(html, "column", name="id") or lang == "zh_CN"
    (snapshot,) = texts(html, "snapshot")
    digest = client.get("/api/v1/data/sources/tickets").json()["snapshot"]["content_hash"]
    assert snapshot.split()[:3] == ["1", "6", digest[:12]]
    optional = "可选" if lang == "zh_CN" else "optional"
    assert row_of(html, "column-quality-row", name="subject") == f"subject {optional} 0 · 0.0% 0 · 0.0%"
    assert row_of(html, "column-quality-row", name="status") == "status 0 · 0.0% 0 · 0.0%"
    # a pushed score of 11 loads but counts as invalid: 1 of 2 rows
    rows = [
        {
            "response_id": "R1",
            "answered_at": "2026-01-07 10:00:00",
            "owner": "E004",
            "dept": "OPS-A",
            "score": 9,
        },
        {
            "response_id": "R2",
            "answered_at": "2026-01-08 10:00:00",
            "owner": "E004",
            "dept": "OPS-A",
            "score": 11,
        },
    ]
    pushed = client.post(
        "/api/v1/data/sources/surveys/batches", json=rows, headers={**h, "Idempotency-Key": "jan-1"}
    )
    assert pushed.status_code == 201
    surveys = _get(client, "/data/sources/surveys", lang)
    assert row_of(surveys, "column-quality-row", name="score") == "score 0 · 0.0% 1 · 50.0%"
    (batch,) = texts(surveys, "batch")
    assert batch.startswith("jan-1 2 ") and batch.endswith("admin")
    assert "/api/v1/data/sources/surveys/batches" in row_of(surveys, "push-surveys")


@pytest.mark.req("S7.1")
def test_a_sql_source_page_never_shows_the_database_password(
    world: dict[str, str], client: TestClient
) -> None:
    source = {
        "code": "erp_orders",
        "name": "ERP 订单",
        "system": "erp",
        "kind": "sql",
        "location": "postgresql+psycopg://reader:s3cret-pw@erp.example.com/erp",
        "table": "orders",
        "time_column": "due",
        "columns": {"columns": [{"name": "line"}, {"name": "due", "type": "date"}], "key": ["line"]},
    }
    assert client.post("/api/v1/data/sources", json=source, headers=world).status_code == 201
    page = client.get("/data/sources/erp_orders").text
    assert texts(page, "location") == ["postgresql+psycopg://reader:***@erp.example.com/erp"]
    assert "s3cret" not in page
    assert "s3cret" not in client.get("/data").text


# -- the metric spec and bindings (S7.2) -------------------------------------------------------------


@pytest.mark.req("S7.2")
@pytest.mark.parametrize("lang", LANGS)
def test_the_metrics_page_shows_the_spec_in_force_and_the_cards_bound_to_each_metric(
    world: dict[str, str], client: TestClient, lang: str
) -> None:
    _setup(client, world, compute=False)
    html = _get(client, "/data/metrics", lang)
    spec = client.get("/api/v1/data/spec").json()
    assert texts(html, "spec-hash") == [spec["hash"]]
    assert "fcr_rate: {type: ratio" in texts(html, "spec-text")[0]
    assert row_of(html, "metric", name="fcr_rate").startswith("fcr_rate")
    # a metric's label in the reader's language; one with an English label only shows that one
    labels = {a["data-name"]: text for a, text in found(html, "metric")}
    assert ("首次接触即解决" if lang == "zh_CN" else "Solved at the first contact") in labels["fcr_rate"]
    assert ("Solved at" if lang == "zh_CN" else "首次接触") not in labels["fcr_rate"]
    assert "Net promoter score" in labels["nps"]
    bound = {a["data-card"]: text for a, text in found(html, "bound-card")}
    assert set(bound) == {"fcr", "nps"}
    assert ("首次解决率" if lang == "zh_CN" else "First-contact resolution") in bound["fcr"]
    assert "fcr" in row_of(html, "metric", name="fcr_rate") and "fcr" not in row_of(
        html, "metric", name="tickets"
    )
    assert 'href="/api/v1/data/spec/schema.json"' in html


@pytest.mark.req("S7.2")
def test_a_bad_spec_saved_through_the_form_is_shown_with_its_problem_paths_and_the_text_kept(
    world: dict[str, str], client: TestClient
) -> None:
    _setup(client, world, compute=False)
    token = world["X-CSRF-Token"]
    before = client.get("/api/v1/data/spec").json()["hash"]
    wrong = SPEC.replace("table: surveys", "table: survey_results")
    refused = client.post("/data/metrics/spec", data={"csrf_token": token, "text": wrong})
    assert refused.status_code == 422
    assert texts(refused.text, "form-error")[0].startswith("The metric spec cannot be saved: 1 problem(s)")
    (problems,) = texts(refused.text, "problems")
    assert "sources.surveys.table" in problems and 'no registered data source "survey_results"' in problems
    assert "table: survey_results" in unescape(refused.text.split('name="text"', 1)[1])
    assert client.get("/api/v1/data/spec").json()["hash"] == before
    # a spec that drops a bound metric names the card
    dropped = SPEC.replace(
        "  nps: {type: nps, source: surveys, column: score, label: Net promoter score}\n", ""
    )
    refused = client.post("/data/metrics/spec", data={"csrf_token": token, "text": dropped})
    assert refused.status_code == 422 and 'the metric "nps" is bound to the card nps' in visible(refused.text)
    # a good one is saved and in force
    changed = SPEC.replace('version: "1"', 'version: "2"')
    saved = client.post("/data/metrics/spec", data={"csrf_token": token, "text": changed, "note": "v2"})
    assert saved.status_code == 200 and texts(saved.text, "notice")
    after = client.get("/api/v1/data/spec").json()["hash"]
    assert after != before and texts(saved.text, "spec-hash") == [after]


@pytest.mark.req("S7.2")
def test_binding_and_unbinding_through_the_forms(world: dict[str, str], client: TestClient, app: Any) -> None:
    _setup(client, world, compute=False)
    token = world["X-CSRF-Token"]
    unbound = client.post("/data/metrics/unbind", data={"csrf_token": token, "card": "nps"})
    assert unbound.status_code == 200
    assert {a["data-card"] for a, _ in found(unbound.text, "bound-card")} == {"fcr"}
    rebound = client.post(
        "/data/metrics/bind", data={"csrf_token": token, "card": "nps", "metric": "tickets"}
    )
    assert rebound.status_code == 200
    assert "nps" in row_of(rebound.text, "metric", name="tickets")
    unknown = client.post("/data/metrics/bind", data={"csrf_token": token, "card": "nps", "metric": "csat"})
    assert unknown.status_code == 422
    assert texts(unknown.text, "form-error") == [
        'metric: the spec has no metric "csat"; use one of: fcr_rate, nps, tickets.'
    ]
    with TestClient(app) as mgr:
        mgr_token = login(mgr, "mgr", PASSWORD)
        page = mgr.get("/data/metrics")
        assert page.status_code == 200 and 'data-testid="bind-form"' not in page.text
        refused = mgr.post("/data/metrics/unbind", data={"csrf_token": mgr_token, "card": "fcr"})
        assert refused.status_code == 403
    assert {b["card"] for b in client.get("/api/v1/data/bindings").json()} == {"fcr", "nps"}


# -- computed actuals and their lineage (S7.3) -----------------------------------------------------


@pytest.mark.req("S7.3")
@pytest.mark.parametrize("lang", LANGS)
def test_the_actuals_page_lists_the_values_with_names_periods_and_units_for_the_locale(
    world: dict[str, str], client: TestClient, lang: str
) -> None:
    _setup(client, world)
    html = _get(client, "/data/actuals", lang)
    assert texts(html, "actual-count")[0].startswith("25")
    zh = lang == "zh_CN"
    january = _actual_id(client, scope_key="E004", period_start="2026-01-01")
    e004 = row_of(html, "actual", id=str(january))
    assert "张三 (E004)" in e004 and ("2026年1月" if zh else "Jan 2026") in e004
    assert " 50% 1 2 " in e004
    department = _get(client, "/data/actuals?scope_kind=department&scope_key=OPS&period=2026-01-01", lang)
    (row,) = texts(department, "actual")
    assert ("运营部 (OPS)" if zh else "Operations (OPS)") in row
    assert texts(department, "value") == ["66.67%"] and " 2 3 " in f" {row} "
    # E006 had no closed ticket in January: no value, shown as a dash
    (none,) = texts(_get(client, "/data/actuals?scope_key=E006", lang), "value")
    assert none == "—"


@pytest.mark.req("S7.3")
@pytest.mark.parametrize("lang", LANGS)
def test_the_drill_down_of_the_ops_january_value_lists_exactly_its_rows_with_their_subjects(
    world: dict[str, str], client: TestClient, lang: str
) -> None:
    _setup(client, world)
    actual_id = _actual_id(client, scope_kind="department", scope_key="OPS", period_start="2026-01-01")
    html = _get(client, f"/data/actuals/{actual_id}", lang)
    assert texts(html, "value") == ["66.67%"]
    assert texts(html, "numerator") == ["2"] and texts(html, "denominator") == ["3"]
    detail = client.get(f"/api/v1/data/actuals/{actual_id}").json()
    assert texts(html, "spec-hash") == [detail["spec_hash"]]
    snapshot = row_of(html, "snapshot", code="tickets")
    digest = client.get("/api/v1/data/sources/tickets").json()["snapshot"]["content_hash"]
    assert snapshot.split()[-3:] == ["1", digest[:12], "6"]
    assert "run 1" in texts(html, "run")[0] or lang == "zh_CN"
    numerator, denominator = texts(html, "part")
    # the filter in words: the period, the OPS subtree and the measure's conditions
    conditions = texts(html, "conditions")
    assert "dept" in conditions[0] and "OPS, OPS-A" in conditions[0]
    assert "status" in conditions[0] and "closed" in conditions[0] and "contacts" in conditions[0]
    assert "contacts" not in conditions[1]
    assert ("2026年1月1日" if lang == "zh_CN" else "Jan 1, 2026") in conditions[0]
    rows = texts(html, "row")
    assert [r.split()[0] for r in rows] == ["1", "3", "1", "2", "3"]
    assert "打印机无法连接" in rows[0] and "交付延迟" in rows[1] and "发票抬头错误" in rows[3]
    assert rows[0].split()[1:3] == ["2026-01-05", "09:00:00"]
    # every column of the source is a column of the table
    header = html.split('data-testid="rows"', 1)[1].split("</thead>", 1)[0]
    assert re.findall(r"<code>(\w+)</code>", header) == [
        "id",
        "opened_at",
        "dept",
        "owner",
        "customer",
        "project",
        "subject",
        "contacts",
        "status",
    ]
    assert "denominator" in denominator or lang == "zh_CN"
    assert numerator.count("closed") >= 2


@pytest.mark.req("S7.3")
def test_the_rows_behind_a_value_are_paged_by_twenty_five(
    world: dict[str, str], client: TestClient, settings: Settings
) -> None:
    many = "".join(f"{i},2026-01-2{i % 8} 10:00:00,OPS-A,E004,C1,P1,工单{i},1,closed\n" for i in range(7, 37))
    (settings.data_dir / "tickets.csv").write_bytes((TICKETS + many).encode("gbk"))
    _setup(client, world)
    actual_id = _actual_id(client, scope_key="E004", period_start="2026-01-01")
    first = client.get(f"/data/actuals/{actual_id}").text
    numerator = texts(first, "part")[0]
    assert "Rows 1–25 of 31" in numerator
    assert [r.split()[0] for r in texts(first, "row")[:25]] == ["3", *map(str, range(7, 31))]
    # each part pages on its own: the numerator's next page, the denominator's as it was
    link = found(first, "rows-next")[0][0]["href"]
    assert link is not None and "p0=2" in link and link.endswith("#part-0")
    second = client.get(link).text
    assert "Rows 26–31 of 31" in texts(second, "part")[0]
    assert [r.split()[0] for r in texts(second, "row")][:6] == [str(i) for i in range(31, 37)]
    assert "工单36" in texts(second, "row")[5]
    # the denominator part keeps its own first page
    assert "Rows 1–25 of 32" in texts(second, "part")[1]


@pytest.mark.req("S7.3")
def test_an_employee_sees_their_own_rows_not_a_colleagues_value_and_a_message_instead_of_company_rows(
    world: dict[str, str], client: TestClient, app: Any, settings: Settings
) -> None:
    # three people close tickets in January, so the employee may see the company's January figure
    (settings.data_dir / "tickets.csv").write_bytes((TICKETS + THIRD_CLOSER).encode("gbk"))
    _setup(client, world)
    colleague = _actual_id(client, scope_key="E003", period_start="2026-01-01")
    own = _actual_id(client, scope_key="E004", period_start="2026-01-01")
    company = _actual_id(client, scope_kind="company", period_start="2026-01-01")
    with TestClient(app) as emp:
        login(emp, "emp", PASSWORD)
        listed = emp.get("/data/actuals?card=fcr")
        assert listed.status_code == 200
        # February's company figure rests on two people (E003 and E004): not shown to E004
        assert {(a["data-scope"], a.get("data-period")) for a, _ in found(listed.text, "actual")} == {
            ("person:E004", "2026-01-01"),
            ("person:E004", "2026-02-01"),
            ("company:", "2026-01-01"),
        }
        assert 'href="/data"' not in listed.text.split('data-testid="data-tabs"', 1)[1].split("</ul>", 1)[0]
        hidden = emp.get(f"/data/actuals/{colleague}")
        assert hidden.status_code == 404 and "There is no actual" in visible(hidden.text)
        mine = emp.get(f"/data/actuals/{own}").text
        assert [r.split()[0] for r in texts(mine, "row")] == ["3", "2", "3"]
        assert not texts(mine, "rows-denied")
        shared = emp.get(f"/data/actuals/{company}")
        assert shared.status_code == 200
        assert texts(shared.text, "rows-denied") == [
            "The rows behind company, customer and project figures are shown to HR, executives and auditors."
        ]
        # closed in January: tickets 1, 2, 3 and 7, first-contact 1, 3 and 7
        assert texts(shared.text, "value") == ["75%"] and not texts(shared.text, "row")
        # the filter in words is still shown: it reveals no one's records
        assert len(texts(shared.text, "conditions")) == 2


@pytest.mark.req("S7.1", "S7.5")
def test_before_anything_is_registered_the_pages_say_what_is_missing(
    world: dict[str, str], client: TestClient
) -> None:
    overview = visible(client.get("/data").text)
    assert "No data source is registered yet" in overview and "Nothing has been computed yet." in overview
    metrics = client.get("/data/metrics").text
    assert "No metric spec has been saved yet." in visible(metrics) and not texts(metrics, "spec-hash")
    # without a spec in force there is nothing to bind to, but a spec can be saved
    assert 'data-testid="bind-form"' not in metrics and 'data-testid="spec-form"' in metrics
    actuals = client.get("/data/actuals").text
    assert texts(actuals, "actual-count") == ["0 values"] and "No computed value matches." in visible(actuals)
    refused = client.post(
        "/data/compute",
        data={
            "csrf_token": world["X-CSRF-Token"],
            "start": "2026-01-01",
            "end": "2026-02-01",
            "grain": "month",
        },
    )
    assert refused.status_code == 422
    assert texts(refused.text, "form-error")[0].startswith("No metric spec has been saved yet.")
