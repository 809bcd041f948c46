"""Directory search in real headless Chromium at phone size: active search, a filter, a
service page; the search page passes axe-core."""

import pytest
from playwright.sync_api import expect

from tests.support import PHONE, axe_violations, browser_login, screenshot

pytestmark = pytest.mark.browser


def test_officer_types_filters_and_opens_a_service_on_a_phone(live_server, phone):
    page = phone.new_page()
    errors = []
    page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    browser_login(page, live_server.url, "officer")
    page.wait_for_load_state("networkidle")
    page.goto(f"{live_server.url}/directory/")
    results = page.locator("#dir-results")
    cards = results.locator(".dir-card")
    expect(results).to_contain_text("Crisis services, open ones first")
    assert cards.count() > 0

    # Active search: typing updates the results without submitting the form.
    page.locator("#dir-q").press_sequentially("food", delay=30)
    page.wait_for_url("**/directory/?q=food*")
    expect(results).not_to_contain_text("Crisis services, open ones first")
    found = cards.count()
    assert 0 < found
    assert "food" in cards.first.locator("h2").inner_text().lower()  # name matches rank first

    # Tap a filter: the results narrow to services that accept referrals.
    page.locator("input[name=referrals]").tap()
    page.wait_for_url("**referrals=1*")
    page.wait_for_load_state("networkidle")
    assert cards.count() <= found
    assert all("Accepts referrals" in text for text in cards.all_inner_texts())
    screenshot(page, "directory_phone")
    overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    assert overflow is False

    # Open a service page.
    name = cards.first.locator("h2 a").inner_text()
    cards.first.locator("h2 a").tap()
    page.wait_for_url("**/directory/services/*")
    assert name == page.locator("h1").inner_text()
    assert page.locator("a[href^='tel:']").count() > 0
    screenshot(page, "directory_service_phone")
    assert [] == [e for e in errors if "Content Security Policy" in e]


def test_directory_search_page_passes_axe(live_server, page):
    browser_login(page, live_server.url, "officer")
    page.wait_for_load_state("networkidle")
    page.goto(f"{live_server.url}/directory/?q=crisis")
    assert [] == axe_violations(page)


def test_near_me_asks_for_the_position_only_on_tap(live_server, browser):
    context = browser.new_context(**PHONE, geolocation={"latitude": 44.6488,
                                                         "longitude": -63.5752})
    context.grant_permissions(["geolocation"], origin=live_server.url)
    page = context.new_page()
    browser_login(page, live_server.url, "officer")
    page.wait_for_load_state("networkidle")
    page.goto(f"{live_server.url}/directory/")
    assert "" == page.locator("#dir-lat").input_value()  # nothing asked or sent before the tap
    page.locator("details.dir-more summary").tap()
    page.fill("#dir-place", "Central Library")
    page.locator("#dir-near-button").tap()
    page.wait_for_url("**lat=44.6488*")
    assert "place=" not in page.url  # the position replaces a typed place
    page.wait_for_load_state("networkidle")
    distances = page.locator(".dir-distance").all_inner_texts()
    context.close()
    assert distances and all("km away" in d for d in distances)


def test_coordinator_sees_a_field_error_on_change_and_the_save_refused(live_server, page):
    """The service form's inline check (hx-post on change) swaps the field's error slot, and a
    save with errors keeps what was typed; one form class answers both."""
    browser_login(page, live_server.url, "coordinator")
    page.goto(f"{live_server.url}/directory/manage/services/new")
    page.locator("#intake_email").fill("not-an-email")
    page.locator("#intake_email").blur()
    expect(page.locator("#intake_email-error")).to_contain_text("Enter an e-mail address")
    page.locator("#intake_email").fill("intake@example.org")
    page.locator("#intake_email").blur()
    expect(page.locator("#intake_email-error")).to_have_text("")
    page.locator("#url").fill("ftp://example.org")
    page.locator("button[type=submit].primary").click()
    expect(page.locator("#url-error")).to_contain_text("Enter a web address starting with https://.")
    expect(page.locator("#name-error")).to_contain_text("Enter the service")
    assert "ftp://example.org" == page.locator("#url").input_value()
    assert "intake@example.org" == page.locator("#intake_email").input_value()
