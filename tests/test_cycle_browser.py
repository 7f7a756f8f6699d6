"""One quarter, end to end, in a real browser (S9.1, S9.3, S9.4): HR opens a 2026-Q2 cycle piloted on
the demo company's Product Management department, its head sets a target, HR starts the cycle and
takes the actuals from data, a value is entered by hand and approved, the employee self-reviews,
the head reviews his team, HR calibrates one grade with a reason and publishes, the employee
confirms, HR closes the cycle, and an edit sent afterwards is refused with the closed-cycle message.

The department's head and one product manager get accounts here, as an admin would create them;
HR waives the self-reviews of the members without one. Other cycles the demo may hold (another
quarter, the whole company) are left alone: the pilot names its own code and department.
"""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from northstar.cycles.models import Cycle, CycleParticipant
from northstar.db import unit_of_work
from northstar.org.models import Department, Employee
from northstar.security import service as security
from northstar.security.models import Role
from northstar.security.principal import SYSTEM_PRINCIPAL
from tests.test_browser import ARTIFACTS, _sign_in

pytestmark = [pytest.mark.browser, pytest.mark.one_database]
playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

CODE = "2026-Q2"
DEPARTMENT = "PM"
HR_PASSWORD = "Northstar-hr-2026"
HEAD = ("pm_head", "Northstar-pm-head-2026")
MEMBER = ("pm_member", "Northstar-pm-member-2026")
CLOSED_ZH = "已关闭的考核周期不能再由任何人修改。"
CLOSED_EN = "A closed cycle cannot be changed by anyone."


def _accounts(factory: sessionmaker[Session]) -> tuple[str, str]:
    """Accounts for the department's head (manager) and its first product manager (employee)."""
    with unit_of_work(factory) as db:
        dept = db.scalar(select(Department).where(Department.code == DEPARTMENT))
        assert dept is not None and dept.head_id is not None
        head = db.get(Employee, dept.head_id)
        member = db.scalar(
            select(Employee)
            .where(
                Employee.department_id == dept.id,
                Employee.id != dept.head_id,
                Employee.end_date.is_(None),
                Employee.start_date <= date(2026, 4, 1),
            )
            .order_by(Employee.number)
            .limit(1)
        )
        assert head is not None and member is not None
        for (username, password), emp, role in ((HEAD, head, Role.manager), (MEMBER, member, Role.employee)):
            security.create_user(
                db, SYSTEM_PRINCIPAL.actor, username=username, role=role, password=password,
                employee_number=emp.number,
            )  # fmt: skip
        return head.number, member.number


def _participants(factory: sessionmaker[Session]) -> list[str]:
    with factory() as db:
        return list(
            db.scalars(
                select(Employee.number)
                .join(CycleParticipant, CycleParticipant.employee_id == Employee.id)
                .join(Cycle, CycleParticipant.cycle_id == Cycle.id)
                .where(Cycle.code == CODE)
                .order_by(Employee.number)
            )
        )


def _shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"cycle-{name}.png"), full_page=True)


def _move(page, base: str, to: str, reason: str) -> None:
    page.goto(f"{base}/cycles/{CODE}")
    page.select_option("[data-testid=move-to]", to)
    page.fill("[data-testid=move-reason]", reason)
    page.click("[data-testid=move-submit]")
    expect(page.get_by_test_id("cycle-state")).to_have_attribute("data-state", to)


def _person(page, base: str, number: str) -> None:
    page.goto(f"{base}/cycles/{CODE}/people/{number}")


@pytest.mark.req("S9.1", "S9.3", "S9.4")
def test_one_quarter_end_to_end_for_a_small_department(
    live_server,
    browser,
    demo,
    session_factory: sessionmaker[Session],
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    base = live_server
    head, member = _accounts(session_factory)
    errors: list[str] = []

    def page_for(username: str, password: str, locale: str = "zh-CN"):
        p = browser.new_context(locale=locale, viewport={"width": 1366, "height": 900}).new_page()
        p.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        _sign_in(p, base, username, password)
        return p

    # HR opens the quarter for the pilot department and opens planning, which enrols its people
    hr = page_for("hr", HR_PASSWORD)
    hr.click("[data-testid=nav-cycles]")
    expect(hr.get_by_test_id("create-cycle")).to_be_visible()
    _shot(hr, "list-zh")
    hr.fill("#c-code", CODE)
    hr.fill("#c-name", "2026年二季度产品管理部试点")
    hr.fill("#c-name-en", "Q2 2026 Product Management pilot")
    hr.select_option("#c-kind", "quarter")
    hr.select_option("#c-dept", DEPARTMENT)
    hr.fill("#c-start", "2026-04-01")
    hr.fill("#c-end", "2026-06-30")
    hr.click("[data-testid=create-cycle-submit]")
    expect(hr.get_by_test_id("cycle-state")).to_have_attribute("data-state", "draft")
    expect(hr.get_by_test_id("coverage")).to_contain_text(DEPARTMENT)
    _move(hr, base, "planning", "二季度目标设定开始")
    people = _participants(session_factory)
    assert head in people and member in people and len(people) >= 3
    expect(hr.locator("[data-testid=progress-row]")).to_have_count(len(people))
    _shot(hr, "planning-zh")

    # the head sets a target for his product manager: a shorter requirement-to-delivery cycle
    boss = page_for(*HEAD)
    boss.click("[data-testid=nav-cycles]")
    boss.click(f"[data-testid=cycle-row][data-code='{CODE}'] a")
    boss.click(f"[data-testid=progress-row][data-number='{member}'] a")
    row = boss.locator("[data-testid=plan-row][data-card=requirement_to_delivery_cycle]")
    row.locator("[data-testid=plan-target]").fill("70")  # lower is better: above the threshold is refused
    boss.fill("[data-testid=plan-reason]", "二季度目标面谈")
    boss.click("[data-testid=plan-submit]")
    expect(boss.get_by_test_id("error")).to_contain_text("requirement_to_delivery_cycle.targets.target")
    row.locator("[data-testid=plan-target]").fill("42")
    boss.click("[data-testid=plan-submit]")
    expect(boss.get_by_test_id("notice")).to_be_visible()
    line = boss.locator("[data-testid=line][data-card=requirement_to_delivery_cycle]")
    expect(line.get_by_test_id("anchors")).to_contain_text("42")
    expect(line.get_by_test_id("targets-override")).to_be_visible()
    _shot(boss, "plan-zh")

    # HR starts the cycle and takes the actuals from data (the demo computed 2026's quarters)
    _move(hr, base, "running", "目标已确认")
    hr.click("[data-testid=take-actuals]")
    expect(hr.get_by_test_id("notice")).to_be_visible()
    _shot(hr, "running-zh")

    # a figure the data does not compute is entered by hand with evidence; the head approves it
    _person(hr, base, member)
    entry = hr.locator("[data-testid=enter-actual][data-card=key_feature_adoption]")
    entry.locator("summary").click()
    entry.get_by_test_id("enter-value").fill("62")
    entry.get_by_test_id("enter-note").fill("二季度功能使用统计报告")
    entry.get_by_test_id("enter-reviewer").fill(HEAD[0])
    entry.get_by_test_id("enter-file").set_input_files(
        files=[{"name": "功能采用率.csv", "mimeType": "text/csv", "buffer": "功能,采用率\nA,62\n".encode()}]
    )
    entry.get_by_test_id("enter-submit").click()
    adoption = hr.locator("[data-testid=line][data-card=key_feature_adoption]")
    expect(adoption.get_by_test_id("origin-manual")).to_be_visible()
    expect(adoption.get_by_test_id("approval-pending")).to_be_visible()
    expect(adoption.get_by_test_id("evidence-link")).to_contain_text("功能采用率.csv")
    _person(boss, base, member)
    boss.locator("[data-testid=decide-actual][data-card=key_feature_adoption] [data-testid=approve]").click()
    adoption = boss.locator("[data-testid=line][data-card=key_feature_adoption]")
    expect(adoption.get_by_test_id("approval-approved")).to_be_visible()
    expect(adoption.get_by_test_id("origin-manual")).to_be_visible()
    computed = boss.locator("[data-testid=line][data-card=requirement_to_delivery_cycle]")
    expect(computed.get_by_test_id("origin-computed")).to_have_attribute(
        "href", re.compile(r"^/data/actuals/\d+$")
    )
    _shot(boss, "person-running-zh")

    # review: the employee sees the step due, follows it and submits the self-review
    _move(hr, base, "review", "季度结束，进入评估")
    me = page_for(*MEMBER)
    expect(me.get_by_test_id("nav-cycles-due")).to_be_visible()  # the badge htmx loads after the page
    me.click("[data-testid=nav-cycles]")
    me.click(f"[data-testid=due-item][data-step=self_review][data-cycle='{CODE}'] a")
    me.get_by_test_id("self-comment-input").fill("二季度需求交付周期缩短，功能采用率达到 62%。")
    me.click("[data-testid=self-submit]")
    expect(me.get_by_test_id("self-comment")).to_contain_text("功能采用率")
    expect(me.get_by_test_id("origin-manual")).to_be_visible()  # marked on the employee's own page too
    _shot(me, "self-review-zh")

    # HR waives the self-reviews of those without an account; the head writes his own
    for number in people:
        if number in (member, head):
            continue
        _person(hr, base, number)
        hr.fill("[data-testid=waive-reason]", "未开通系统账号，由经理直接评估")
        hr.click("[data-testid=waive-submit]")
        expect(hr.get_by_test_id("self-waived")).to_be_visible()
    _person(boss, base, head)
    boss.get_by_test_id("self-comment-input").fill("带领团队完成二季度版本规划。")
    boss.click("[data-testid=self-submit]")
    expect(boss.get_by_test_id("self-comment")).to_be_visible()

    # the head reviews his team; HR reviews the head (his own manager has no account)
    for number in people:
        reviewer = hr if number == head else boss
        _person(reviewer, base, number)
        reviewer.get_by_test_id("manager-comment-input").fill("二季度表现稳定，按计划交付。")
        reviewer.click("[data-testid=manager-submit]")
        expect(reviewer.get_by_test_id("manager-comment")).to_be_visible()
    _person(boss, base, member)
    _shot(boss, "manager-review-zh")

    # calibration: one grade changed with a reason, the distribution and its chart, then publication
    _move(hr, base, "calibration", "评估全部完成")
    hr.click("[data-testid=tab-calibration]")
    expect(hr.get_by_test_id("distribution-chart")).to_have_attribute("data-chart-ready", "true")
    assert hr.locator("[data-testid=distribution-chart] canvas").count() == 1
    row = hr.locator(f"[data-testid=calibration-row][data-number='{member}']")
    before = row.get_by_test_id("system-grade").inner_text().strip()
    new_grade = "A" if before != "A" else "B"
    row.get_by_test_id("calibrate-grade").select_option(new_grade)
    row.get_by_test_id("calibrate-reason").fill("功能采用率提升明显，客户反馈积极")
    row.get_by_test_id("calibrate-submit").click()
    change = hr.locator(f"[data-testid=calibration-change][data-number='{member}']")
    expect(change).to_contain_text("功能采用率提升明显")
    expect(change).to_contain_text(new_grade)
    _shot(hr, "calibration-zh")
    # a colleague keeps this calibration page open; it will send a change after the cycle closed
    stale = page_for("hr", HR_PASSWORD)
    stale.goto(f"{base}/cycles/{CODE}/calibration")
    hr.once("dialog", lambda d: d.accept())
    hr.click("[data-testid=publish]")
    expect(hr.get_by_test_id("published")).to_be_visible()

    # the employee sees the calibrated grade and confirms it
    _person(me, base, member)
    expect(me.get_by_test_id("final-grade")).to_have_text(new_grade)
    me.click("[data-testid=confirm-submit]")
    expect(me.get_by_test_id("confirmed")).to_be_visible()
    _shot(me, "confirmed-zh")

    # HR closes the cycle; the stale page's change is refused with the closed-cycle message
    _move(hr, base, "closed", "二季度考核结束")
    expect(hr.get_by_test_id("allowed-text")).to_contain_text(CLOSED_ZH)
    stale_row = stale.locator(f"[data-testid=calibration-row][data-number='{member}']")
    stale_row.get_by_test_id("calibrate-grade").select_option("C")
    stale_row.get_by_test_id("calibrate-reason").fill("补充调整")
    stale_row.get_by_test_id("calibrate-submit").click()
    expect(stale.get_by_test_id("error")).to_contain_text(CLOSED_ZH)
    _shot(stale, "refused-zh")
    # so is a plan change posted to the person page, and nothing changed
    token = hr.locator("meta[name=csrf-token]").get_attribute("content")
    response = hr.request.post(
        f"{base}/cycles/{CODE}/people/{member}/plan",
        form={"csrf_token": token or "", "reason": "事后修改", "weight-1": "50", "version-1": "1"},
        headers={"Accept-Language": "zh-CN"},
    )
    assert response.status == 409 and CLOSED_ZH in response.text()
    _person(me, base, member)
    expect(me.get_by_test_id("final-grade")).to_have_text(new_grade)

    # the same pages in English
    hr.goto(f"{base}/cycles/{CODE}")
    hr.click("[data-testid=switch-language]")
    expect(hr.get_by_test_id("allowed-text")).to_contain_text(CLOSED_EN)
    _shot(hr, "closed-en")
    hr.click("[data-testid=tab-calibration]")
    expect(hr.get_by_test_id("distribution-chart")).to_have_attribute("data-chart-ready", "true")
    _shot(hr, "calibration-en")
    _person(hr, base, member)
    expect(hr.get_by_test_id("origin-manual")).to_contain_text("entered by hand")
    _shot(hr, "person-en")
    hr.click("[data-testid=nav-cycles]")
    expect(
        hr.locator(f"[data-testid=cycle-row][data-code='{CODE}'] [data-testid=cycle-state]")
    ).to_have_attribute("data-state", "closed")
    _shot(hr, "list-en")
    assert not [e for e in errors if "Content Security Policy" in e], errors
