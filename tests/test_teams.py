"""Team indicators with each member's contribution (S6.5): a result the team owns together, each
member's share (summing to exactly 100%), the item on each member's scorecard linked to it, and
the manager's evaluation of each contribution — through the services, the JSON API and the pages."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from northstar.audit import AuditLog
from northstar.db import unit_of_work
from northstar.errors import ValidationFailed
from northstar.indicators import service as indicators
from northstar.indicators.schemas import CardIn
from northstar.org.models import Department, Employee
from northstar.pools.models import CandidateSource, KpiCandidate
from northstar.positions.models import IndicatorRole
from northstar.scorecards import teams
from northstar.scorecards.models import PersonalScorecard, ScorecardItem, TeamIndicator, TeamMember
from northstar.security.principal import SYSTEM_PRINCIPAL
from northstar.web.i18n import Translator
from tests.conftest import login
from tests.factories import PASSWORD, build_small_org

P = SYSTEM_PRINCIPAL
EN = Translator("en")


@pytest.fixture
def team_design(session_factory: sessionmaker[Session]) -> dict[str, int]:
    """The small organisation, a release-satisfaction card and an OPS indicator it serves; 张三
    (E004, OPS-A) already has a 2026 scorecard carrying that card."""
    build_small_org(session_factory)
    with unit_of_work(session_factory) as db:
        card = indicators.create_card(
            db,
            P,
            CardIn(
                code="release_sat",
                name="版本发布满意度",
                name_en="Release satisfaction",
                definition="客户对版本发布的满意度",
                definition_en="How satisfied customers are with a release",
            ),
        )
        ops = db.scalar(select(Department).where(Department.code == "OPS"))
        cand = KpiCandidate(
            department=ops,
            name="版本发布满意度",
            name_en="Release satisfaction",
            source=CandidateSource.new,
            core=True,
            indicator_code="release_sat",
        )
        db.add(cand)
        a1 = db.scalar(select(Employee).where(Employee.number == "E004"))
        sc = PersonalScorecard(employee=a1, period="2026")
        item = ScorecardItem(card=card, role=IndicatorRole.core, weight=Decimal(35), candidate=cand)
        sc.items.append(item)
        db.add(sc)
        db.flush()
        return {"card": card.id, "candidate": cand.id, "ops": ops.id, "a1_item": item.id, "a1_card": sc.id}


def _emp(db: Session, number: str) -> Employee:
    return db.scalars(select(Employee).where(Employee.number == number)).one()


def _save(db: Session, ids: dict[str, int], members: list[tuple[str, Any]]) -> TeamIndicator:
    return teams.save_team_indicator(
        db,
        P,
        db.get_one(Department, ids["ops"]),
        indicators.get_card(db, ids["card"]),
        "2026",
        [(_emp(db, number), share, None) for number, share in members],
        db.get(KpiCandidate, ids["candidate"]),
    )


@pytest.mark.req("S6.5")
def test_shares_of_60_and_40_make_a_team_and_link_each_members_scorecard_item(
    db: Session, team_design: dict[str, int]
) -> None:
    team = _save(db, team_design, [("E003", 60), ("E004", "40")])
    assert [(m.employee.name, m.share) for m in team.members] == [
        ("李一", Decimal(60)),
        ("张三", Decimal(40)),
    ]
    assert (team.name, team.name_en, team.department.code) == (
        "版本发布满意度",
        "Release satisfaction",
        "OPS",
    )
    # 张三 keeps the item he had (weight and all), now carrying the team indicator instead
    a1_item = db.get(ScorecardItem, team_design["a1_item"])
    assert (a1_item.team_indicator_id, a1_item.candidate_id, a1_item.weight) == (team.id, None, Decimal(35))
    # 李一 had no scorecard for 2026: he gets one with the team item at the starting weight
    b1_card = db.scalar(select(PersonalScorecard).where(PersonalScorecard.employee_id == _emp(db, "E003").id))
    [item] = b1_card.items
    assert (item.card.code, item.role, item.weight, item.team_indicator_id) == (
        "release_sat",
        IndicatorRole.core,
        Decimal(20),
        team.id,
    )
    assert (
        item.adjusted
    )  # the position does not have it: an adjustment, kept when the position is re-assigned
    audited = db.scalars(select(AuditLog.entity_id).where(AuditLog.entity == "team_indicator")).all()
    assert audited and set(audited) == {"OPS/release_sat/2026"}


@pytest.mark.req("S6.5")
def test_shares_of_60_and_30_are_refused_with_the_sum_and_nothing_is_stored(
    db: Session, team_design: dict[str, int]
) -> None:
    with pytest.raises(ValidationFailed) as err:
        _save(db, team_design, [("E003", 60), ("E004", 30)])
    message = EN.gettext(err.value.message, **err.value.params)
    assert message.startswith("The shares add up to 90%, not 100%")
    assert err.value.problems[0].field == "shares"
    db.rollback()
    assert db.scalar(select(func.count()).select_from(TeamIndicator)) == 0
    assert db.scalar(select(func.count()).select_from(PersonalScorecard)) == 1  # only 张三's own
    assert db.get(ScorecardItem, team_design["a1_item"]).candidate_id == team_design["candidate"]


@pytest.mark.req("S6.5")
def test_a_member_outside_the_department_and_a_team_of_one_are_refused(
    db: Session, team_design: dict[str, int]
) -> None:
    with pytest.raises(ValidationFailed) as err:
        _save(db, team_design, [("E003", 50), ("E006", 50)])
    [problem] = err.value.problems
    assert EN.gettext(problem.message, **problem.params).startswith(
        "钱六 works in Finance, outside Operations and the departments below it: only its people can share "
        "the team's result."
    )
    assert (problem.row, problem.field) == (2, "employee")
    with pytest.raises(ValidationFailed) as err:
        _save(db, team_design, [("E003", 100)])
    assert "at least two members" in EN.gettext(err.value.problems[0].message)


@pytest.mark.req("S6.5")
def test_removing_a_member_unlinks_their_item_and_the_contribution_is_the_managers_text(
    db: Session, team_design: dict[str, int]
) -> None:
    team = _save(db, team_design, [("E003", 60), ("E004", 40)])
    b1, a1 = _emp(db, "E003"), _emp(db, "E004")
    teams.evaluate_contributions(
        db, P, team, {b1.id: "主导了发布流程改进", a1.id: "修复了关键缺陷"}, version=team.version
    )
    assert {m.employee.number: m.contribution for m in team.members} == {
        "E003": "主导了发布流程改进",
        "E004": "修复了关键缺陷",
    }
    mgr = _emp(db, "E002")
    teams.save_team_indicator(
        db,
        P,
        team.department,
        team.card,
        "2026",
        [(b1, 50, None), (mgr, 50, None)],
        team.candidate,
        team=team,
        version=team.version,
    )
    assert db.get(ScorecardItem, team_design["a1_item"]).team_indicator_id is None
    assert {m.employee.number: m.contribution for m in team.members} == {
        "E003": "主导了发布流程改进",
        "E002": "",
    }
    assert db.scalar(select(func.count()).select_from(TeamMember)) == 2


# --- the JSON API and the pages -------------------------------------------------------------------


def _as(client: TestClient, username: str) -> dict[str, str]:
    return {"X-CSRF-Token": login(client, username, PASSWORD)}


def _body(members: list[tuple[str, Any]], **extra: Any) -> dict[str, Any]:
    return {
        "department_code": "OPS",
        "card_code": "release_sat",
        "period": "2026",
        "members": [{"employee_number": n, "share": s} for n, s in members],
    } | extra


@pytest.mark.req("S6.5")
def test_the_api_creates_refuses_and_changes_team_indicators(
    client: TestClient, team_design: dict[str, int]
) -> None:
    h = _as(client, "mgr")
    bad = client.post("/api/v1/team-indicators", json=_body([("E003", 60), ("E004", 30)]), headers=h)
    assert bad.status_code == 422
    assert bad.json()["error"]["message"].startswith("The shares add up to 90%, not 100%")
    assert client.get("/api/v1/team-indicators").json() == []
    outside = client.post("/api/v1/team-indicators", json=_body([("E003", 60), ("E006", 40)]), headers=h)
    assert outside.status_code == 422
    assert "outside Operations" in outside.json()["error"]["problems"][0]["message"]
    r = client.post(
        "/api/v1/team-indicators",
        json=_body([("E003", 60), ("E004", 40)], candidate_id=team_design["candidate"]),
        headers=h,
    )
    assert r.status_code == 201, r.text
    team = r.json()
    assert [(m["employee_number"], m["share"]) for m in team["members"]] == [("E003", "60"), ("E004", "40")]
    assert team["total_share"] == "100" and team["hidden_members"] == 0
    again = client.post("/api/v1/team-indicators", json=_body([("E003", 50), ("E004", 50)]), headers=h)
    assert again.status_code == 409
    r = client.put(
        f"/api/v1/team-indicators/{team['id']}/contributions",
        json={
            "version": team["version"],
            "contributions": [{"employee_number": "E004", "contribution": "修复了关键缺陷"}],
        },
        headers=h,
    )
    assert r.status_code == 200, r.text
    assert r.json()["members"][1]["contribution"] == "修复了关键缺陷"
    stale = client.put(
        f"/api/v1/team-indicators/{team['id']}",
        json=_body([("E003", 50), ("E004", 50)]) | {"version": team["version"]},
        headers=h,
    )
    assert stale.status_code == 409
    # the employee reads it: their own row, the other member counted but not named
    _as(client, "emp")
    seen = client.get(f"/api/v1/team-indicators/{team['id']}").json()
    assert [m["employee_number"] for m in seen["members"]] == ["E004"]
    assert (seen["hidden_members"], seen["hidden_share"]) == (1, "60")


@pytest.mark.req("S6.5")
def test_the_team_page_lists_the_members_with_their_shares_in_chinese_and_english(
    client: TestClient, team_design: dict[str, int]
) -> None:
    h = _as(client, "mgr")
    r = client.post("/api/v1/team-indicators", json=_body([("E003", 60), ("E004", 40)]), headers=h)
    team_id = r.json()["id"]
    for lang, tag in (("zh-CN", 'lang="zh-CN"'), ("en", 'lang="en"')):
        page = client.get(f"/scorecards/teams/{team_id}?lang={lang}")
        assert page.status_code == 200, page.text
        html = page.text
        assert tag in html
        assert html.index("李一") < html.index("60%") < html.index("张三") < html.index("40%")
        assert 'data-testid="total-share">100%' in html
    en = client.get(f"/scorecards/teams/{team_id}?lang=en").text
    assert "This result belongs to the team of Operations: it is measured once, for the team as a whole" in en
    assert "Evaluate each member&#39;s contribution" in en
    listing = client.get("/scorecards/teams?lang=en").text
    assert f'href="/scorecards/teams/{team_id}"' in listing and "serves no department indicator" in listing


@pytest.mark.req("S6.5")
def test_the_manager_creates_a_team_and_evaluates_contributions_with_the_page_forms(
    client: TestClient, team_design: dict[str, int]
) -> None:
    h = _as(client, "mgr")
    form = client.get(f"/scorecards/teams?lang=en&department_id={team_design['ops']}").text
    assert 'data-testid="new-team"' in form and "李一" in form and "张三" in form
    ids = _employee_ids(client)
    b1, a1 = ids["E003"], ids["E004"]
    data = {
        "csrf_token": h["X-CSRF-Token"],
        "department_id": str(team_design["ops"]),
        "card_id": str(team_design["card"]),
        "period": "2026",
        "candidate_id": str(team_design["candidate"]),
        "employee_id": [str(b1), str(a1)],
        "share": ["60", "30"],
    }
    refused = client.post("/scorecards/teams?lang=en", data=data)
    assert refused.status_code == 422
    assert "The shares add up to 90%, not 100%" in refused.text
    assert 'value="30"' in refused.text  # the form comes back as it was sent
    done = client.post("/scorecards/teams", data=data | {"share": ["60", "40"]}, follow_redirects=False)
    assert done.status_code == 303
    team_url = done.headers["location"]
    page = client.get(team_url + "?lang=en").text
    version = page.split('name="version" value="')[1].split('"')[0]
    r = client.post(
        team_url + "/contributions",
        data={
            "csrf_token": h["X-CSRF-Token"],
            "version": version,
            "employee_id": [str(b1), str(a1)],
            "contribution": ["主导了发布流程改进", "修复了关键缺陷"],
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    page = client.get(team_url + "?lang=en").text
    assert "主导了发布流程改进" in page and "修复了关键缺陷" in page


def _employee_ids(client: TestClient) -> dict[str, int]:
    """Employee ids by number, as the signed-in user sees them through the API."""
    return {e["number"]: e["id"] for e in client.get("/api/v1/employees?limit=100").json()["items"]}
