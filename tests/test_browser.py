"""Real browser: Playwright drives Debian's Chromium against a live server on loopback."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import select

pytestmark = [pytest.mark.browser, pytest.mark.one_database]
playwright_api = pytest.importorskip("playwright.sync_api")

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def _sign_in(page, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/login", wait_until="domcontentloaded")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


def test_employee_sees_own_record_switches_language_and_cannot_open_a_colleague(
    live_server, browser, demo, db, request
):
    from northstar.org.models import Employee
    from northstar.security.models import User

    ARTIFACTS.mkdir(exist_ok=True)
    tag = request.node.callspec.id
    creds = {d.username: d.password for d in demo}
    me = db.scalar(select(User).where(User.username == "employee")).employee
    colleague = db.scalar(select(Employee).where(Employee.department_id != me.department_id).limit(1))

    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    console_errors: list[str] = []
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
    _sign_in(page, live_server, "employee", creds["employee"])

    # The home page shows my own record, in Chinese (browser language).
    record = page.get_by_test_id("my-record")
    assert me.name in record.inner_text()
    assert "退出登录" in page.get_by_test_id("logout").inner_text()
    record.get_by_role("link", name=me.name).click()
    page.wait_for_url(f"{live_server}/org/employees/{me.id}")
    assert page.get_by_test_id("employee-name").inner_text().startswith(me.name)
    assert "年" in page.get_by_test_id("start-date").inner_text()  # 2023年5月1日
    page.screenshot(path=str(ARTIFACTS / f"employee-record-zh-{tag}.png"), full_page=True)

    # Switch to English, then back to Chinese; the page stays where it is.
    page.get_by_test_id("switch-language").click()
    page.wait_for_url(f"{live_server}/org/employees/{me.id}")
    assert page.get_by_test_id("logout").inner_text() == "Sign out"
    assert "Start date" in page.get_by_test_id("employee-record").inner_text()
    page.screenshot(path=str(ARTIFACTS / f"employee-record-en-{tag}.png"), full_page=True)
    page.get_by_test_id("switch-language").click()
    page.wait_for_url(f"{live_server}/org/employees/{me.id}")
    assert page.get_by_test_id("logout").inner_text() == "退出登录"

    # A colleague's record is not there for me.
    response = page.goto(f"{live_server}/org/employees/{colleague.id}")
    assert response is not None and response.status in (403, 404)
    assert colleague.name not in page.content()
    assert page.get_by_test_id("error-status").inner_text().startswith(str(response.status))
    page.screenshot(path=str(ARTIFACTS / f"employee-refused-{tag}.png"))
    assert not [e for e in console_errors if "Content Security Policy" in e], console_errors
    context.close()

    # HR opens the same record.
    hr = browser.new_context(locale="en-US").new_page()
    _sign_in(hr, live_server, "hr", creds["hr"])
    response = hr.goto(f"{live_server}/org/employees/{colleague.id}")
    assert response is not None and response.status == 200
    assert hr.get_by_test_id("employee-name").inner_text().startswith(colleague.name)
    hr.screenshot(path=str(ARTIFACTS / f"hr-opens-colleague-{tag}.png"), full_page=True)


def test_hr_searches_people_live_and_the_scripts_run_under_the_csp(live_server, browser, demo):
    creds = {d.username: d.password for d in demo}
    page = browser.new_context(locale="en-US").new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    _sign_in(page, live_server, "hr", creds["hr"])
    # The home page draws its chart with the locally served ECharts.
    chart = page.get_by_test_id("kind-chart")
    playwright_api.expect(chart).to_have_attribute("data-chart-ready", "true")
    assert chart.locator("canvas").count() == 1
    page.goto(f"{live_server}/org/employees")
    total = page.get_by_test_id("employee-count").inner_text()
    page.fill("#q", "HC0001")  # htmx replaces the table as the user types
    # (a locator assertion, not wait_for_function: the CSP rightly refuses string evaluation)
    playwright_api.expect(page.get_by_test_id("employee-count")).to_have_text(re.compile(r"^1 "))
    assert page.get_by_test_id("employee-count").inner_text() != total
    assert page.locator("[data-testid=employee-table] tbody tr").count() == 1
    page.goto(f"{live_server}/docs")
    page.wait_for_selector(".swagger-ui .info", timeout=15000)  # Swagger UI started from a file, not inline
    ARTIFACTS.mkdir(exist_ok=True)
    page.goto(f"{live_server}/org/departments")
    page.screenshot(path=str(ARTIFACTS / "departments-en.png"), full_page=True)
    assert not [e for e in errors if "Content Security Policy" in e], errors


@pytest.mark.req("S1.1", "S2.2", "S2.3", "S3.4")
def test_hr_walks_from_the_strategy_record_to_a_pool_candidate_and_the_responsibility_map(
    live_server, browser, demo, request
):
    """The demo, as HR sees it: strategy record → key segment → its value proposition →
    suggested indicators → one added to R&D's KPI pool → the responsibility map."""
    expect = playwright_api.expect
    ARTIFACTS.mkdir(exist_ok=True)
    tag = request.node.callspec.id
    page = browser.new_page(locale="zh-CN", viewport={"width": 1366, "height": 900})
    _sign_in(page, live_server, "hr", "Northstar-hr-2026")

    page.click("text=客户价值")
    page.click("[data-testid=value-tabs] >> text=战略")
    priorities = page.locator("[data-testid=priority]")
    expect(priorities).to_have_count(5)
    # problem resolution for the automotive key accounts: the scorecard design points indicators at it
    resolution = priorities.nth(4)
    expect(resolution.locator("[data-testid=indicator-count]")).not_to_have_text("0")
    page.screenshot(path=str(ARTIFACTS / f"value-strategy-zh-{tag}.png"), full_page=True)

    resolution.locator("a").click()
    expect(page.locator("h1")).to_contain_text("汽车零部件大客户")
    drivers = page.locator("[data-testid=ranked-drivers] li")
    expect(drivers.first).to_contain_text("交付")
    expect(drivers.nth(2)).to_contain_text("问题解决")
    page.screenshot(path=str(ARTIFACTS / f"value-segment-zh-{tag}.png"), full_page=True)
    suggestion = page.locator("[data-testid=suggestion][data-code=closure_cycle]")
    expect(suggestion).to_contain_text("问题闭环周期")
    suggestion.locator("select[name=department_id]").select_option(label="研发中心")
    suggestion.locator("button").click()
    expect(page.locator("h1")).to_contain_text("研发中心")
    expect(page.locator("[data-testid=candidate]", has_text="问题闭环周期")).to_have_count(1)
    page.screenshot(path=str(ARTIFACTS / f"value-pool-zh-{tag}.png"), full_page=True)

    page.click("[data-testid=value-tabs] >> text=责任矩阵")
    expect(page.locator("[data-testid=heatmap]")).to_have_attribute("data-chart-ready", "true")
    row = page.locator("[data-testid=map-row]", has_text="交期承诺可靠")
    expect(row.locator(".ns-role-responsible")).to_have_count(2)
    expect(page.locator("[data-testid=shared]")).to_contain_text("准时交付")
    page.screenshot(path=str(ARTIFACTS / f"value-map-zh-{tag}.png"), full_page=True)

    page.click("[data-testid=switch-language]")
    expect(page.locator("h1")).to_contain_text("responsibility map")
    page.screenshot(path=str(ARTIFACTS / f"value-map-en-{tag}.png"), full_page=True)
    page.close()


@pytest.mark.req("S4.1", "S4.2", "S5.2", "S6.1", "S6.2", "S6.4")
def test_hr_walks_the_scorecard_design_and_an_employee_sees_their_own_scorecard(
    live_server, browser, demo, request
):
    """Steps 4–6 on the demo: the enterprise scorecard customer first, the strategy map, IT's KPI
    pool as the method's table, a position's key responsibilities assigned to all its holders,
    the alignment tree; then an agent's own scorecard, in both languages."""
    expect = playwright_api.expect
    ARTIFACTS.mkdir(exist_ok=True)
    tag = request.node.callspec.id
    page = browser.new_page(locale="zh-CN", viewport={"width": 1366, "height": 900})
    _sign_in(page, live_server, "hr", "Northstar-hr-2026")

    page.click("nav >> text=计分卡")
    expect(page.locator("[data-testid=design-ok]")).to_be_visible()
    objectives = page.locator("[data-testid=objective]")
    expect(objectives.first).to_contain_text("C1")
    expect(page.locator("[data-testid=weight-total]")).to_contain_text("100")
    page.screenshot(path=str(ARTIFACTS / f"design-bsc-zh-{tag}.png"), full_page=True)

    page.click("[data-testid=design-tabs] >> text=战略地图")
    chart = page.locator("[data-testid=strategy-map]")
    expect(chart).to_have_attribute("data-chart-ready", "true")
    expect(page.locator("[data-testid=map-layer]")).to_have_count(4)
    page.screenshot(path=str(ARTIFACTS / f"design-map-zh-{tag}.png"), full_page=True)

    page.click("[data-testid=design-tabs] >> text=部门KPI池")
    page.locator("[data-testid=pool-row]", has_text="信息技术部").locator("a").first.click()
    uptime = page.locator("[data-testid=candidate]", has_text="关键系统稳定可用率")
    expect(uptime).to_contain_text("A")
    expect(page.locator("[data-testid=candidate]", has_text="版本上线按计划完成率")).to_contain_text("B")
    page.screenshot(path=str(ARTIFACTS / f"design-pool-it-zh-{tag}.png"), full_page=True)

    page.click("[data-testid=design-tabs] >> text=岗位")
    page.locator("[data-testid=position-row]", has_text="客服专员").locator("a").first.click()
    expect(page.locator("[data-testid=responsibility]")).not_to_have_count(0)
    page.click("[data-testid=assign-button]")
    expect(page.locator("[data-testid=assign-result]")).to_contain_text("21")
    page.screenshot(path=str(ARTIFACTS / f"design-position-zh-{tag}.png"), full_page=True)

    page.click("[data-testid=design-tabs] >> text=对齐树")
    expect(page.locator("[data-testid=alignment-tree] [data-testid=node]").first).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / f"design-alignment-zh-{tag}.png"), full_page=True)

    page.click("[data-testid=switch-language]")
    page.goto(f"{live_server}/scorecard", wait_until="domcontentloaded")
    expect(page.locator("body")).to_contain_text("Customer")
    page.screenshot(path=str(ARTIFACTS / f"design-bsc-en-{tag}.png"), full_page=True)
    page.close()

    agent = browser.new_page(locale="zh-CN", viewport={"width": 1366, "height": 900})
    _sign_in(agent, live_server, "employee", "Northstar-employee-2026")
    agent.click("nav >> text=我的绩效卡")
    items = agent.locator("[data-testid=item]")
    expect(items).not_to_have_count(0)
    expect(agent.locator("[data-testid=total]")).to_contain_text("100")
    agent.screenshot(path=str(ARTIFACTS / f"mine-zh-{tag}.png"), full_page=True)
    agent.click("[data-testid=switch-language]")
    expect(agent.locator("h1")).to_contain_text("scorecard")
    agent.screenshot(path=str(ARTIFACTS / f"mine-en-{tag}.png"), full_page=True)
    agent.close()
