"""The board report in real Chromium: desktop, phone and print, axe-core clean."""

import pytest

from tests.support import axe_violations, browser_login, screenshot
from tests.support.reports import HRP_Q1, REPORT_NOW, load

pytestmark = pytest.mark.browser


@pytest.fixture
def report_server(live_server):
    live_server.app.config["NOW"] = REPORT_NOW
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
    page.select_option("#police_service", "RCMP")
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


def test_coordinator_links_a_calls_key_to_a_person_found_by_alias(report_server, phone):
    from fieldapp.db import connect

    db = connect(report_server.app.config["DATABASE"])
    db["person"].insert({"id": "browser-key-person", "alias": "Osprey Linktest (demo)",
                         "police_service": "HRP", "created_at": "2026-01-01T00:00:00+00:00"})
    db.conn.close()
    page = phone.new_page()
    browser_login(page, report_server.url, "coordinator")
    page.wait_for_load_state()
    page.goto(f"{report_server.url}/reports/calls")
    stats = page.locator(".report-stats").inner_text()
    assert "built-in" not in stats and "23" in stats
    page.fill("#person_key", "RMS-4242")
    page.fill("#link-q", "osprey")
    page.get_by_role("button", name="Search", exact=True).click()
    page.get_by_label("Osprey Linktest (demo)").check()  # the htmx-swapped choice
    screenshot(page, "reports_calls_link_phone")
    assert [] == axe_violations(page)
    page.get_by_role("button", name="Link", exact=True).click()
    page.wait_for_load_state()
    assert "Key linked." in page.content()
    row = page.locator("tr", has_text="RMS-4242")
    assert "Osprey Linktest (demo)" in row.inner_text()
