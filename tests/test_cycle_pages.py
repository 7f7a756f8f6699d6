"""The HTML pages of performance cycles (S9.1, S9.3, S9.4, S6.5): the cycle list with HR's create
form and what is due from me, one cycle with its moves and progress, one person's cycle scorecard
with hand-entered values marked and the evaluation flow's forms, calibration, appeals and the
plan's change log — each in Chinese and English, each form refusing bad input with the field named.

The organisation, cards and scorecards are those of tests/test_cycles.py (pilot OPS: E002 mgr,
E003 李一, E004 张三 with the account ``emp``); the quarter's fcr is computed from the six CRM
tickets of tests/test_data_sources.py.
"""

from __future__ import annotations

import html
import re
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from northstar.config import Settings
from northstar.cycles import service as cycles
from northstar.db import unit_of_work
from northstar.scorecards.models import TeamIndicator, TeamMember
from northstar.security.principal import Principal
from tests import test_cycles
from tests.conftest import csrf_of, login
from tests.factories import PASSWORD
from tests.test_cycle_evaluation import arrange_pilot
from tests.test_cycles import Q1

#: the organisation, cards and scorecards of tests/test_cycles.py, as a fixture here
world = test_cycles.world
#: pages: what the user sees; the services behind them are tested on both databases
pytestmark = pytest.mark.one_database
PAGE = f"/cycles/{Q1}"
ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}
EN = {"Accept-Language": "en-US,en;q=0.9"}
PROBLEM_ROW = re.compile(r"<tr><td>[^<]*</td><td>[^<]*</td><td>([^<]*)</td><td>([^<]*)</td></tr>")


def as_user(client: TestClient, username: str) -> str:
    """Sign in as ``username``; the session's CSRF token for the forms."""
    return login(client, username, PASSWORD)


def post(client: TestClient, url: str, data: dict[str, Any], **kw: Any) -> Any:
    """Post a form like a browser (with the page's CSRF token), without following the redirect."""
    token = csrf_of(client.get("/cycles").text)
    return client.post(url, data={"csrf_token": token, **data}, follow_redirects=False, **kw)


def done(r: Any) -> str:
    """The page a successful post went on to, fetched."""
    assert r.status_code == 303, refusal(r)
    return str(r.headers["location"])


def refusal(r: Any) -> str:
    match = re.search(r'data-testid="error">(.*?)(<table|</div>)', r.text, re.S)
    return html.unescape(match.group(1)) if match else r.text[:300]


def fields(r: Any) -> dict[str, str]:
    """The problems table of a refused form: field → message."""
    return {html.unescape(f): html.unescape(m) for f, m in PROBLEM_ROW.findall(r.text)}


def hidden(page: str, after: str, name: str = "version") -> str:
    """The value of the hidden field ``name`` in the first form after the text ``after``."""
    start = page.index(after)
    match = re.compile(rf'name="{name}" value="([^"]*)"').search(page, start)
    assert match, f"no {name} after {after}"
    return match.group(1)


def ids_of(page: str) -> set[str]:
    return set(re.findall(r'data-testid="([^"]+)"', page))


@pytest.fixture
def pilot(
    session_factory: sessionmaker[Session],
    world: dict[str, Principal],
    settings: Settings,
    client: TestClient,
) -> dict[str, Principal]:
    """The OPS pilot of Q1 2026 in planning with a forced distribution; tickets loaded, fcr bound."""
    arrange_pilot(session_factory, world, settings, client)
    return world


def _move(client: TestClient, to: str, reason: str = "按计划推进") -> str:
    as_user(client, "hr")
    page = client.get(PAGE).text
    return done(
        post(client, f"{PAGE}/state", {"to": to, "version": hidden(page, "move-form"), "reason": reason})
    )


@pytest.mark.req("S9.1")
def test_the_cycle_list_creates_a_cycle_and_names_the_field_of_bad_input(
    world: dict[str, Principal],
    client: TestClient,
) -> None:
    as_user(client, "hr")
    for lang, headers in (("zh-CN", ZH), ("en", EN)):
        r = client.get("/cycles", headers=headers)
        assert r.status_code == 200 and f'<html lang="{lang}">' in r.text
        assert {"create-cycle", "due-panel", "reminders", "cycle-table", "nav-cycles"} <= ids_of(r.text)
    form = {
        "code": "2026 Q2!",
        "name": "",
        "name_en": "Q2 2026",
        "kind": "quarter",
        "start": "2026-04-01",
        "end": "30/06/2026",
        "department": "",
    }
    r = post(client, "/cycles", form)
    assert r.status_code == 422
    assert {"code", "name", "end"} <= set(fields(r)), fields(r)
    assert 'value="Q2 2026"' in r.text  # what was typed stays in the form
    # the service's own checks name their fields too: a quarter starts on the first of a quarter
    r = post(
        client,
        "/cycles",
        form | {"code": "2026-Q2", "name": "二季度", "start": "2026-04-02", "end": "2026-06-30"},
    )
    assert r.status_code == 422 and "start" in fields(r), fields(r)
    r = post(
        client,
        "/cycles",
        form | {"code": "2026-Q2", "name": "二季度", "department": "NOPE", "end": "2026-06-30"},
    )
    assert "Unknown department code NOPE" in fields(r)["department"]
    url = done(post(client, "/cycles", form | {"code": "2026-Q2", "name": "二季度", "end": "2026-06-30"}))
    page = client.get(url, headers=EN).text
    assert "Cycle 2026-Q2 is created in draft" in page and 'data-state="draft"' in page
    listed = client.get("/cycles", headers=EN).text
    assert 'data-code="2026-Q2"' in listed and "Whole company" in listed

    # employees see the cycles, not the form, and cannot post it
    as_user(client, "emp")
    r = client.get("/cycles", headers=ZH)
    assert r.status_code == 200 and "create-cycle" not in ids_of(r.text) and "2026-Q2" in r.text
    r = post(
        client,
        "/cycles",
        form | {"code": "2026-Q3", "name": "三季度", "start": "2026-07-01", "end": "2026-09-30"},
    )
    assert r.status_code == 403


@pytest.mark.req("S9.1")
def test_the_cycle_page_moves_the_cycle_shows_progress_and_hides_what_the_role_may_not_do(
    pilot: dict[str, Principal], client: TestClient
) -> None:
    as_user(client, "hr")
    for lang, headers in (("zh-CN", ZH), ("en", EN)):
        r = client.get(PAGE, headers=headers)
        assert r.status_code == 200 and f'<html lang="{lang}">' in r.text
        assert {"move-form", "allowed-text", "progress-table", "remind-form", "cycle-tabs"} <= ids_of(r.text)
    page = client.get(PAGE, headers=EN).text
    assert "In planning, HR changes the cycle" in page and 'data-state="planning"' in page
    assert page.count('data-testid="progress-row"') == 3  # E002, E003, E004 (E099 left in 2025)

    r = post(client, f"{PAGE}/state", {"to": "running", "version": hidden(page, "move-form"), "reason": " "})
    assert r.status_code == 422 and "reason" in fields(r)
    r = post(
        client, f"{PAGE}/state", {"to": "closed", "version": hidden(page, "move-form"), "reason": "跳过"}
    )
    assert r.status_code == 409 and "its next state is running" in refusal(r)
    r = post(client, f"{PAGE}/state", {"to": "running", "version": "0", "reason": "旧页面"})
    assert r.status_code == 409 and "changed by someone else" in refusal(r)
    r = post(client, f"{PAGE}/reminders", {})
    assert "reminded" in done(r)

    started = client.get(_move(client, "running"), headers=EN).text
    assert "is now running" in started and {"take-form", "move-form"} <= ids_of(started)
    assert "take-actuals" in ids_of(started)
    taken = client.get(done(post(client, f"{PAGE}/actuals/take", {})), headers=EN).text
    assert "Actuals taken from data: 2 new" in taken

    filtered = client.get(f"{PAGE}?department=OPS-A", headers=EN).text
    assert re.findall(r'data-testid="progress-row" data-number="(\w+)"', filtered) == ["E004"]

    # the employee sees the state and their own row, none of HR's forms
    as_user(client, "emp")
    page = client.get(PAGE, headers=ZH).text
    assert not {"move-form", "take-form", "publish-form", "remind-form"} & ids_of(page)
    assert re.findall(r'data-testid="progress-row" data-number="(\w+)"', page) == ["E004"]
    assert "my-scorecard" in ids_of(page)


@pytest.mark.req("S9.4")
def test_the_person_page_marks_a_hand_entered_value_and_links_a_computed_one_to_its_rows(
    pilot: dict[str, Principal], client: TestClient
) -> None:
    _move(client, "running")
    done(post(client, f"{PAGE}/actuals/take", {}))
    person = f"{PAGE}/people/E004"
    page = client.get(person, headers=EN).text
    assert {"enter-actual", "lines"} <= ids_of(page)
    # bad input names its field and keeps what was typed
    r = post(client, f"{person}/actuals/csat", {"value": "九十", "note": "质检报告", "reviewer": "mgr"})
    assert r.status_code == 422 and "value" in fields(r) and 'value="九十"' in r.text
    r = post(client, f"{person}/actuals/csat", {"value": "90", "note": "质检报告", "reviewer": "nobody"})
    assert r.status_code == 422 and 'no active user "nobody"' in fields(r)["reviewer"]
    r = post(client, f"{person}/actuals/csat", {"value": "90", "note": " ", "reviewer": "mgr"})
    assert r.status_code == 422 and "note" in fields(r)
    r = post(
        client,
        f"{person}/actuals/csat",
        {"value": "90", "note": "月度质检报告", "reviewer": "mgr"},
        files={"file": ("质检报告.pdf", b"%PDF-1.4 quality report", "application/pdf")},
    )
    assert "done=entered" in done(r)

    # the employee sees their own values: the hand-entered one marked, with its evidence; fcr computed
    as_user(client, "emp")
    for headers in (ZH, EN):
        assert client.get(person, headers=headers).status_code == 200
    page = client.get(person, headers=EN).text
    csat = page[page.index('data-card="csat"') : page.index('data-card="complaints"')]
    assert 'data-testid="origin-manual"' in csat and "entered by hand" in csat
    assert 'data-testid="approval-pending"' in csat and "reviewer: mgr" in csat and "月度质检报告" in csat
    assert 'data-testid="held"' in csat  # waiting for approval it does not count
    evidence = re.search(rf'href="({PAGE}/evidence/\d+)"', csat)
    assert evidence and "质检报告.pdf" in csat
    got = client.get(evidence.group(1))
    assert got.status_code == 200 and got.content == b"%PDF-1.4 quality report"
    fcr = page[page.index('data-card="fcr"') : page.index('data-card="csat"')]
    link = re.search(r'href="/data/actuals/(\d+)" data-testid="origin-computed"', fcr)
    assert link, fcr
    assert client.get(f"/data/actuals/{link.group(1)}").status_code == 200
    assert 'data-testid="arithmetic"' in fcr and "73.33" in fcr  # 60 + (66.67 − 60) ÷ 20 × 40
    assert "enter-actual" not in ids_of(page)  # nobody enters their own actuals

    # the named reviewer approves on the page; the value then counts, still marked as hand-entered
    as_user(client, "mgr")
    page = client.get(person, headers=EN).text
    assert page.count('data-testid="decide-actual"') == 1
    actual = re.search(r"actuals/(\d+)/decision", page)
    assert actual
    url = f"{person}/actuals/{actual.group(1)}/decision"
    r = post(
        client,
        url,
        {"decision": "reject", "note": "", "version": hidden(page, 'data-testid="decide-actual"')},
    )
    assert r.status_code == 422 and "note" in fields(r)
    done(post(client, url, {"decision": "approve", "version": hidden(page, 'data-testid="decide-actual"')}))
    page = client.get(person, headers=EN).text
    csat = page[page.index('data-card="csat"') : page.index('data-card="complaints"')]
    assert 'data-testid="origin-manual"' in csat and 'data-testid="approval-approved"' in csat
    assert 'data-testid="held"' not in csat


@pytest.mark.req("S9.4")
def test_an_employee_cannot_open_a_colleagues_cycle_scorecard(
    pilot: dict[str, Principal], client: TestClient
) -> None:
    as_user(client, "emp")
    assert client.get(f"{PAGE}/people/E004").status_code == 200
    r = client.get(f"{PAGE}/people/E003", headers=EN)
    assert r.status_code == 404 and "李一" not in r.text
    assert "No participant E003" in r.text
    r = post(client, f"{PAGE}/people/E003/self-review", {"comment": "代写", "action": "save"})
    assert r.status_code == 404
    as_user(client, "mgr")
    assert client.get(f"{PAGE}/people/E003").status_code == 200
    as_user(client, "aud")
    page = client.get(f"{PAGE}/people/E003", headers=ZH).text
    assert not {"plan-form", "enter-actual", "self-review-form", "manager-review-form"} & ids_of(page)


@pytest.mark.req("S9.3")
def test_the_plan_form_checks_targets_and_a_change_while_running_is_flagged(
    pilot: dict[str, Principal], client: TestClient
) -> None:
    person = f"{PAGE}/people/E003"
    as_user(client, "mgr")
    page = client.get(person, headers=EN).text
    assert "plan-form" in ids_of(page)
    versions = dict(re.findall(r'name="(version-\d+)" value="(\d+)"', page))
    row = re.compile(r'name="version-(\d+)"').search(
        page, page.index('data-testid="plan-row" data-card="fcr"')
    )
    assert row
    key = row.group(1)
    form = {**versions, "reason": "一季度目标面谈"}
    # a target that contradicts the card's polarity (higher is better) is refused with its field
    r = post(
        client,
        f"{person}/plan",
        form | {f"t-{key}-threshold": "60", f"t-{key}-target": "55", f"t-{key}-stretch": "95"},
    )
    assert r.status_code == 422 and "fcr.targets.target" in fields(r), fields(r)
    assert 'value="55"' in r.text
    r = post(
        client,
        f"{person}/plan",
        form | {f"t-{key}-threshold": "60", f"t-{key}-target": "85", f"t-{key}-stretch": "95", "reason": ""},
    )
    assert r.status_code == 422 and "reason" in fields(r)
    r = post(client, f"{person}/plan", form)
    assert r.status_code == 422 and "items" in fields(r)  # nothing changed
    done(
        post(
            client,
            f"{person}/plan",
            form | {f"t-{key}-threshold": "60", f"t-{key}-target": "85", f"t-{key}-stretch": "95"},
        )
    )
    page = client.get(person, headers=EN).text
    assert "target 85" in page and 'data-testid="targets-override"' in page
    assert 'data-testid="flags"' not in page  # planned before the start: no flag
    # a manager plans for their people, not for themselves
    assert "plan-form" not in ids_of(client.get(f"{PAGE}/people/E002").text)

    _move(client, "running")
    as_user(client, "mgr")
    assert "plan-form" not in ids_of(client.get(person).text)  # while running only HR changes the plan
    as_user(client, "hr")
    page = client.get(f"{PAGE}/people/E004", headers=EN).text
    versions = dict(re.findall(r'name="(version-\d+)" value="(\d+)"', page))
    weights = dict(re.findall(r'name="(weight-\d+)" value="([^"]*)"', page))
    fcr_w, csat_w = list(weights)[:2]
    r = post(client, f"{PAGE}/people/E004/plan", {**versions, **weights, fcr_w: "60", "reason": "加重首解率"})
    assert r.status_code == 422 and "participants.E004.weights" in fields(r)  # 110%, not 100%
    done(
        post(
            client,
            f"{PAGE}/people/E004/plan",
            {**versions, **weights, fcr_w: "60", csat_w: "40", "reason": "加重首解率"},
        )
    )
    page = client.get(f"{PAGE}/people/E004", headers=EN).text
    assert 'data-testid="flags"' in page and page.count('data-testid="line-flag"') == 2
    assert "加重首解率" in page
    changes = client.get(f"{PAGE}/changes", headers=ZH).text
    assert 'data-mid-cycle="true"' in changes and 'data-mid-cycle="false"' in changes
    assert "一季度目标面谈" in changes and "加重首解率" in changes


def _team(session_factory: sessionmaker[Session], pilot: dict[str, Principal]) -> str:
    with unit_of_work(session_factory) as db:
        cycle = cycles.get_cycle(db, Q1)
        e3, e4 = (cycles.get_participant(db, pilot["hr"], cycle, n) for n in ("E003", "E004"))
        fcr = next(a.card for a in e4.assignments if a.card.code == "fcr")
        team = TeamIndicator(department_id=e4.department_id, card_id=fcr.id, period="2026", name="团队首解率")
        team.members = [
            TeamMember(employee_id=e3.employee_id, share=Decimal(60), contribution="回访与复盘"),
            TeamMember(employee_id=e4.employee_id, share=Decimal(40), contribution="一线接待"),
        ]
        db.add(team)
        db.flush()
        return str(team.id)


def _review(client: TestClient, number: str, comment: str, **extra: str) -> Any:
    page = client.get(f"{PAGE}/people/{number}").text
    data = {"comment": comment, "action": "submit", **extra}
    start = page.index('data-testid="manager-review-form"')
    form = page[start : page.index("</form>", start)]
    version = re.search(r'name="version" value="(\d+)"', form)
    if version:  # no review row yet: the first save creates it
        data["version"] = version.group(1)
    return post(client, f"{PAGE}/people/{number}/manager-review", data)


@pytest.mark.req("S9.4", "S6.5", "S9.1")
def test_reviews_calibration_publication_confirmation_appeal_and_the_closed_cycle(
    pilot: dict[str, Principal], client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    team_id = _team(session_factory, pilot)
    _move(client, "running")
    done(post(client, f"{PAGE}/actuals/take", {}))
    _move(client, "review")

    # the employee: something is due, the self-review refuses an empty submission, then goes in
    as_user(client, "emp")
    assert "nav-cycles-due" in client.get("/cycles/due-badge").text
    mine = client.get("/cycles", headers=EN).text
    assert f'href="{PAGE}/people/E004">write your self-review' in mine
    person = f"{PAGE}/people/E004"
    page = client.get(person, headers=ZH).text
    assert "self-review-form" in ids_of(page) and "manager-review-form" not in ids_of(page)
    r = post(client, f"{person}/self-review", {"comment": "", "action": "submit"})
    assert r.status_code == 422 and "comment" in fields(r)
    done(post(client, f"{person}/self-review", {"comment": "协作完成，客户投诉减少", "action": "submit"}))
    assert "self-review-form" not in ids_of(client.get(person).text)

    # the manager: the team indicator with its members and shares, whose contribution must be evaluated
    as_user(client, "mgr")
    page = client.get(person, headers=EN).text
    team = page[page.index('data-testid="team"') :]
    assert "团队首解率" in team and "李一 60%" in team and "张三 40%" in team and "一线接待" in team
    r = _review(client, "E004", "稳定可靠")
    assert r.status_code == 422 and f"contributions.{team_id}" in fields(r), fields(r)
    assert "稳定可靠" in r.text
    done(_review(client, "E004", "稳定可靠", **{f"contribution-{team_id}": "承担了 40% 的回访"}))
    assert "承担了 40% 的回访" in client.get(person).text
    r = _review(client, "E003", "认可")
    assert r.status_code == 409 and "has not submitted the self-review yet" in refusal(r)

    # HR waives the self-reviews of people without an account and reviews the manager
    as_user(client, "hr")
    r = post(client, f"{PAGE}/people/E003/self-review/waive", {"reason": ""})
    assert r.status_code == 422 and "reason" in fields(r)
    done(post(client, f"{PAGE}/people/E003/self-review/waive", {"reason": "没有系统账号"}))
    done(post(client, f"{PAGE}/people/E002/self-review/waive", {"reason": "长期出差"}))
    done(_review(client, "E002", "合格"))
    as_user(client, "mgr")
    done(_review(client, "E003", "认可", **{f"contribution-{team_id}": "负责回访"}))
    _move(client, "calibration", "评估完成")

    # calibration: the distribution beside the forced one, the chart, per department, the change form
    as_user(client, "hr")
    calibration = f"{PAGE}/calibration"
    for lang, headers in (("zh-CN", ZH), ("en", EN)):
        r = client.get(calibration, headers=headers)
        assert r.status_code == 200 and f'<html lang="{lang}">' in r.text
        assert {"distribution", "distribution-chart", "by-department", "calibration-people"} <= ids_of(r.text)
    page = client.get(calibration, headers=EN).text
    assert "/cycles/calibration-chart.js" in page and 'data-cycle-chart="grades"' in page
    assert "Forced distribution" in html.unescape(page)
    grade_rows = re.findall(r'data-testid="grade-row" data-grade="(\w)"', page)
    assert grade_rows == ["S", "A", "B", "C", "D"]
    assert client.get("/cycles/calibration-chart.js").status_code == 200
    version = hidden(page, 'action="/cycles/2026-Q1-OPS/calibration/E004"')
    r = post(client, f"{calibration}/E004", {"grade": "Z", "reason": "拔高", "version": version})
    assert r.status_code == 422 and "grade" in fields(r)
    r = post(client, f"{calibration}/E004", {"grade": "A", "reason": "", "version": version})
    assert r.status_code == 422 and "reason" in fields(r)
    done(post(client, f"{calibration}/E004", {"grade": "A", "reason": "客户表扬多次", "version": version}))
    page = client.get(f"{calibration}?department=OPS-A", headers=EN).text
    change = page[page.index('data-testid="calibration-change"') :]
    assert "客户表扬多次" in change and "hr" in change and "→ <strong>A</strong>" in change
    assert re.findall(r'data-testid="calibration-row" data-number="(\w+)"', page) == ["E004"]
    done(post(client, f"{calibration}-publish", {"version": hidden(page, 'data-testid="publish-form"')}))
    assert "calibrate-form" not in ids_of(client.get(calibration).text)

    # the employee appeals to the skip-level manager (never the manager who rated), who dismisses it
    as_user(client, "emp")
    page = client.get(person, headers=EN).text
    assert {"confirm-form", "appeal-form"} <= ids_of(page)
    assert re.search(r'data-testid="final-grade">A<', page)
    r = post(client, f"{person}/appeal", {"reason": "不同意", "route": "skip_level"})
    assert r.status_code == 422 and "reason" in fields(r)
    done(post(client, f"{person}/appeal", {"reason": "回访量是团队最高，评级应更高", "route": "skip_level"}))
    as_user(client, "mgr")
    assert "decide-appeal" not in ids_of(client.get(f"{PAGE}/appeals").text)
    as_user(client, "exec")
    page = client.get(f"{PAGE}/appeals", headers=ZH).text
    assert "decide-appeal" in ids_of(page) and "回访量是团队最高" in page
    found = re.search(r"/appeals/(\d+)/decision", page)
    assert found, "the appeals page offers a decision form"
    appeal = found.group(1)
    r = post(
        client,
        f"{PAGE}/appeals/{appeal}/decision",
        {"outcome": "dismiss", "decision": "", "version": hidden(page, "decide-appeal")},
    )
    assert r.status_code == 422 and "decision" in fields(r)
    done(
        post(
            client,
            f"{PAGE}/appeals/{appeal}/decision",
            {"outcome": "dismiss", "decision": "评级已反映表现", "version": hidden(page, "decide-appeal")},
        )
    )
    as_user(client, "emp")
    page = client.get(person, headers=EN).text
    assert "评级已反映表现" in page and 'data-state="dismissed"' in page
    done(
        post(
            client,
            f"{person}/confirm",
            {"comment": "接受", "version": hidden(page, 'data-testid="confirm-form"')},
        )
    )
    assert 'data-testid="confirmed"' in client.get(person).text

    # HR closes the cycle; every page still renders for every role, and any later edit is refused
    closed = client.get(_move(client, "closed", "季度结束"), headers=EN).text
    assert 'data-state="closed"' in closed and "A closed cycle cannot be changed by anyone." in closed
    for username in ("hr", "mgr", "emp", "exec", "aud"):
        as_user(client, username)
        for url in ("/cycles", PAGE, person, calibration, f"{PAGE}/appeals", f"{PAGE}/changes"):
            for lang, headers in (("zh-CN", ZH), ("en", EN)):
                r = client.get(url, headers=headers)
                assert r.status_code == 200, (username, url, r.text[:300])
                assert f'<html lang="{lang}">' in r.text
                assert not {"plan-form", "enter-actual", "calibrate-form", "move-form"} & ids_of(r.text)
    as_user(client, "hr")
    r = post(client, f"{calibration}/E004", {"grade": "B", "reason": "补充调整", "version": version})
    assert r.status_code == 409 and "A closed cycle cannot be changed by anyone." in refusal(r)
    r = client.post(
        f"{calibration}/E004",
        data={
            "csrf_token": csrf_of(client.get(PAGE, headers=ZH).text),
            "grade": "B",
            "reason": "补充",
            "version": version,
        },
        headers=ZH,
        follow_redirects=False,
    )
    assert r.status_code == 409 and "已关闭的考核周期不能再由任何人修改。" in refusal(r)


@pytest.mark.req("S9.1")
def test_reminders_reach_the_people_with_a_step_due_and_are_marked_read(
    pilot: dict[str, Principal], client: TestClient
) -> None:
    _move(client, "running")
    _move(client, "review")
    as_user(client, "hr")
    assert "reminded" in done(post(client, f"{PAGE}/reminders", {}))
    as_user(client, "emp")
    page = client.get("/cycles", headers=EN).text
    assert page.count('data-testid="reminder"') == 1 and "write your self-review" in page
    found = re.search(r"/cycles/reminders/(\d+)/read", page)
    assert found, "the cycles page offers to mark the reminder read"
    reminder = found.group(1)
    assert "done=read" in done(post(client, f"/cycles/reminders/{reminder}/read", {}))
    assert 'data-testid="reminder"' not in client.get("/cycles").text
    as_user(client, "mgr")
    r = post(client, f"/cycles/reminders/{reminder}/read", {})
    assert r.status_code == 404  # someone else's reminder
