"""The board report in real Chromium: desktop, phone and print, axe-core clean."""

import pytest

from tests.conftest import axe_violations, browser_login, screenshot
from tests.test_reports_dataset import HRP_Q1, NOW, load

pytestmark = pytest.mark.browser


@pytest.fixture
def report_server(live_server):
    live_server.app.config["NOW"] = NOW
    load(live_server.app.config["DATABASE"])
    return live_server


def test_report_at_desktop_width_and_in_print_passes_axe(report_server, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    browser_login(page, report_server.url, "coordinator")
    page.wait_for_load_state()
    page.goto(f"{report_server.url}/reports/?{HRP_Q1}")
    assert "Board report" == page.locator("h1").inner_text()
    assert 7 == page.locator("section.report-section").count()
    assert page.locator("svg.chart title").count() >= 9
    screenshot(page, "reports_board_desktop")
    assert [] == axe_violations(page)
    page.emulate_media(media="print")
    assert page.locator(".report-filters").is_hidden()
    assert page.locator(".report-print-title").is_visible()
    assert page.locator(".report-generated").is_visible()
    screenshot(page, "reports_board_print")
    page.emulate_media(media="screen")
    page.goto(f"{report_server.url}/reports/calls")
    assert "Calls for service" == page.locator("h1").inner_text()
    assert [] == axe_violations(page)
    context.close()


def test_report_at_phone_width_fits_and_filters_with_htmx(report_server, phone):
    page = phone.new_page()
    browser_login(page, report_server.url, "coordinator")
    page.wait_for_load_state()
    page.goto(f"{report_server.url}/reports/?{HRP_Q1}")
    page.select_option("#report-ps", "RCMP")
    with page.expect_response(lambda r: "/reports/" in r.url and r.status == 200):
        page.get_by_role("button", name="Show report").click()
    page.wait_for_url("**police_service=RCMP**")
    assert "RCMP Halifax District" in page.locator(".report-meta").inner_text()
    page.go_back()
    page.goto(f"{report_server.url}/reports/?{HRP_Q1}")
    overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    screenshot(page, "reports_board_phone")
    assert overflow is False
    assert [] == axe_violations(page)
