"""The board report's one-page summary in real Chromium: printed to PDF on A4 and Letter, in
English and French, it is exactly one page; axe-core clean on screen, at desktop and phone
width."""

import re

import pytest

from tests.support import axe_violations, browser_login, screenshot
from tests.support.reports import REPORT_NOW, add_cases, add_earlier_periods, load

pytestmark = pytest.mark.browser

# A page object of a PDF ("/Type /Page"), not the page tree ("/Type /Pages").
PAGE_OBJECT = re.compile(rb"/Type\s*/Page(?![A-Za-z])")


def pdf_pages(pdf: bytes) -> int:
    assert pdf.startswith(b"%PDF")
    return len(PAGE_OBJECT.findall(pdf))


def print_pages(page, paper: str) -> int:
    return pdf_pages(page.pdf(format=paper, print_background=False))


def test_summary_prints_on_one_page_in_english_and_french_on_the_demo_data(live_server,
                                                                           browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    browser_login(page, live_server.url, "coordinator")
    page.wait_for_load_state()
    page.goto(f"{live_server.url}/reports/summary")
    assert "Board report summary" == page.locator("h1").inner_text()
    assert [] == axe_violations(page)
    pages = {"en": {paper: print_pages(page, paper) for paper in ("A4", "Letter")}}
    page.get_by_role("button", name="Français").click()
    page.wait_for_load_state()
    assert "Résumé du rapport à la Commission de police" == page.locator("h1").inner_text()
    pages["fr"] = {paper: print_pages(page, paper) for paper in ("A4", "Letter")}
    page.emulate_media(media="print")
    screenshot(page, "reports_summary_print_fr")
    page.emulate_media(media="screen")
    assert {"en": {"A4": 1, "Letter": 1}, "fr": {"A4": 1, "Letter": 1}} == pages
    # The page count is real: the full report, the summary's appendix, takes several pages.
    page.goto(f"{live_server.url}/reports/")
    assert pdf_pages(page.pdf(format="A4")) > 3
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    assert [] == axe_violations(page)  # the full report with its summary link
    context.close()


def test_summary_with_three_periods_of_data_prints_on_one_page(live_server, browser):
    live_server.app.config["NOW"] = REPORT_NOW
    load(live_server.app.config["DATABASE"])
    add_earlier_periods(live_server.app.config["DATABASE"])
    # February 2026 with the diversion cases: figures shown on the dataset (issue 21: the
    # hand-built quarter's months hold 1 to 4 of nearly everything, so its findings are all
    # withheld), hence three findings to print.
    add_cases(live_server.app.config["DATABASE"])
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    browser_login(page, live_server.url, "coordinator")
    page.wait_for_load_state()
    page.goto(f"{live_server.url}/reports/summary?start=2026-02-01&end=2026-02-28"
              "&police_service=HRP")
    assert page.locator(".summary-findings li").count() >= 2
    screenshot(page, "reports_summary_desktop")
    pages = {"en": {paper: print_pages(page, paper) for paper in ("A4", "Letter")}}
    page.get_by_role("button", name="Français").click()
    page.wait_for_load_state()
    assert page.locator(".summary-findings li").count() >= 2
    pages["fr"] = {paper: print_pages(page, paper) for paper in ("A4", "Letter")}
    assert {"en": {"A4": 1, "Letter": 1}, "fr": {"A4": 1, "Letter": 1}} == pages
    context.close()


def test_summary_fits_a_small_phone(live_server, browser):
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True,
                                  has_touch=True)
    page = context.new_page()
    browser_login(page, live_server.url, "coordinator")
    page.wait_for_load_state()
    page.goto(f"{live_server.url}/reports/summary")
    assert 360 >= page.evaluate("document.documentElement.scrollWidth")
    screenshot(page, "reports_summary_phone")
    assert [] == axe_violations(page)
    context.close()
