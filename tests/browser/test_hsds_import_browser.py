"""Issue 12 in real headless Chromium: the coordinator uploads a messy 2-1-1 export through the
form and sees its reconciliation; an officer then filters the directory by Haitian Creole."""

import pytest
from playwright.sync_api import expect

from bench.hsds_messy import write_messy, zip_package
from tests.support import browser_login

pytestmark = pytest.mark.browser


def test_coordinator_uploads_the_export_and_an_officer_filters_by_haitian_creole(
        live_server, browser, phone, tmp_path):
    write_messy(tmp_path / "export", services=300)
    package = zip_package(tmp_path / "export", tmp_path / "export.zip", inner="export")
    context = browser.new_context()
    page = context.new_page()
    browser_login(page, live_server.url, "coordinator")
    page.wait_for_load_state("networkidle")
    page.goto(f"{live_server.url}/directory/manage/import")
    page.set_input_files("#package", str(package))
    page.click("form button.primary[type=submit]")
    result = page.locator("#import-result")
    expect(result).to_contain_text("Imported export.zip", timeout=60_000)
    expect(result).to_contain_text("eligibility.csv")
    page.locator("#import-result a[href*='/directory/manage/imports/']").click()
    page.wait_for_url("**/directory/manage/imports/*")
    expect(page.locator("table.dir-reconciliation")).to_contain_text("languages.csv")
    expect(page.locator("body")).to_contain_text("Rows kept but not linked")
    context.close()

    officer = phone.new_page()
    browser_login(officer, live_server.url, "officer")
    officer.wait_for_load_state("networkidle")
    officer.goto(f"{live_server.url}/directory/?q=fictional")
    officer.locator("details.dir-more summary").tap()
    options = [o.strip() for o in officer.eval_on_selector_all(
        "#dir-language option", "options => options.map(o => o.textContent)")]
    assert "Haitian Creole" in options
    assert not [o for o in options if "request" in o.lower() or "(" in o]
    officer.select_option("#dir-language", label="Haitian Creole")
    officer.wait_for_url("**language=ht*")
    officer.wait_for_load_state("networkidle")
    cards = officer.locator("#dir-results .dir-card")
    assert cards.count() > 0
    for text in cards.all_inner_texts():
        assert "Haitian Creole" in text
