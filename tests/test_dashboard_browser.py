"""The dashboards in a real browser on the demo company (S7.2, S7.3, S9.2): each one in Chinese and
in English with its ECharts charts drawn, kept as screenshots under test-artifacts/; and one
enterprise number followed down to the source rows it counted."""

from __future__ import annotations

import pytest

from tests.test_browser import ARTIFACTS, _sign_in

pytestmark = [pytest.mark.browser, pytest.mark.one_database]
playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

PASSWORDS = {"executive": "Northstar-exec-2026", "employee": "Northstar-employee-2026"}
#: (screenshot name, who, path, the chart that must be drawn, the title in zh-CN and in en)
DASHBOARDS = [
    ("enterprise", "executive", "/dashboards/enterprise?period=2026-Q3", "status-map", "企业仪表盘", "Enterprise dashboard"),
    ("department", "executive", "/dashboards/departments/CSC?period=2026-Q3", "distribution-chart", "客户服务中心", "Customer Service Center"),
    ("journey", "executive", "/dashboards/journey?period=2026-Q3", "score-heatmap", "旅程 × 部门", "Journey × department"),
    ("indicator", "executive", "/dashboards/indicators/csat?by=customer&period=2026-Q3", "slice-chart", "客户满意度", "Customer satisfaction"),
    ("personal", "employee", "/dashboards/me?period=2026-Q3", None, "(HC", "(HC"),
]  # fmt: skip


@pytest.mark.req("S7.2", "S9.2")
@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_every_dashboard_draws_in_both_languages(live_server, browser, demo, locale):
    ARTIFACTS.mkdir(exist_ok=True)
    zh = locale == "zh-CN"
    pages = {}
    for who in PASSWORDS:
        context = browser.new_context(locale=locale, viewport={"width": 1440, "height": 900})
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda m, errors=errors: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
        _sign_in(page, live_server, who, PASSWORDS[who])
        pages[who] = (page, errors)
    for name, who, path, chart, title_zh, title_en in DASHBOARDS:
        page, errors = pages[who]
        page.goto(f"{live_server}{path}")
        expect(page.get_by_test_id("dashboard-title")).to_contain_text(title_zh if zh else title_en)
        period = page.get_by_test_id("dashboard-period")
        expect(period).to_have_text("2026年第3季度" if zh else "Q3 2026")
        if chart:
            expect(page.get_by_test_id(chart)).to_have_attribute("data-chart-ready", "true")
            assert page.get_by_test_id(chart).locator("canvas").count() >= 1
        # every table's trend column is drawn too
        sparks = page.locator("[data-chart=spark]")
        if sparks.count():
            expect(sparks.first).to_have_attribute("data-chart-ready", "true")
        expect(page.get_by_test_id("export-all")).to_have_text("导出 Excel" if zh else "Export to Excel")
        page.screenshot(path=str(ARTIFACTS / f"dashboard-{name}-{locale}.png"), full_page=True)
        assert not errors, f"{name}: {errors}"
    # the employee's own dashboard: their indicators and each score's arithmetic
    page, _ = pages["employee"]
    arithmetic = page.get_by_test_id("arithmetic")
    expect(arithmetic).to_contain_text("目标值" if zh else "target")
    legend = page.get_by_test_id("status-legend")
    expect(legend).to_contain_text("达标" if zh else "on target")


@pytest.mark.req("S7.3")
def test_an_enterprise_number_followed_down_to_its_source_rows(live_server, browser, demo):
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(locale="en-US", viewport={"width": 1440, "height": 900})
    page = context.new_page()
    _sign_in(page, live_server, "executive", PASSWORDS["executive"])
    page.goto(f"{live_server}/dashboards/enterprise?period=2026-Q3")
    scorecard = page.get_by_test_id("table-scorecard")
    row = scorecard.locator("tr", has_text="(csat)")
    shown = row.locator("a[href^='/data/actuals/']").first
    number = shown.inner_text()  # "88.33%"
    shown.click()
    page.wait_for_url(f"{live_server}/data/actuals/*")
    expect(page.get_by_test_id("value")).to_have_text(number)
    # the rows counted: every survey answer of the quarter, paged
    part = page.get_by_test_id("part").first
    expect(part.get_by_test_id("row-count")).to_contain_text("of 1,794")
    assert part.get_by_test_id("rows").locator("tbody tr").count() == 25
    expect(part.get_by_test_id("conditions")).to_contain_text("answered_at")
    page.screenshot(path=str(ARTIFACTS / "dashboard-enterprise-to-rows.png"), full_page=True)

    # the strategy map's objective opens its indicators on the same page
    page.goto(f"{live_server}/dashboards/enterprise?period=2026-Q3")
    expect(page.get_by_test_id("status-map")).to_have_attribute("data-chart-ready", "true")
    assert page.locator("#objective-C5").count() == 1
