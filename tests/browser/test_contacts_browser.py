"""Logging contacts by tapping only, at phone size, in real headless Chromium."""

import re

import pytest

from fieldapp.contacts import demo
from tests.support import PHONE, axe_violations, browser_login, screenshot

pytestmark = pytest.mark.browser


class Taps:
    """Taps on the page, counted (the common case must take <= 6 after the home screen)."""

    def __init__(self, page):
        self.page = page
        self.count = 0

    def __call__(self, selector: str):
        self.page.tap(selector)
        self.count += 1


UUID_URL = r"/contacts/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"


def contacts_violations(page) -> list[dict]:
    return axe_violations(page)


def chip(name: str, value: str) -> str:
    return f"label.chip:has(input[name={name}][value='{value}'])"


def test_officer_logs_an_individual_and_a_group_contact_by_tapping_only(live_server, phone):
    page = phone.new_page()
    browser_login(page, live_server.url, "officer")
    page.wait_for_url(f"{live_server.url}/contacts/new")  # the officer's home
    screenshot(page, "contacts_form_phone_light")

    tap = Taps(page)
    tap(chip("place_id", demo.PLACE_DROPIN))  # a recent place
    tap(chip("kind", "wellness_check"))
    tap(chip("populations", "senior_65_plus"))
    tap(chip("outcome", "information_given"))
    tap(".contacts-save button")
    page.wait_for_url(re.compile(UUID_URL))
    assert tap.count <= 6
    assert 5 == tap.count
    assert page.get_by_text("Contact saved.").is_visible()
    screenshot(page, "contacts_saved_phone")
    contact_id = page.url.rsplit("/", 1)[1]
    row = live_server.db()["contact"].get(contact_id)
    assert (demo.PLACE_DROPIN, "wellness_check", "information_given", 0) == (
        row["place_id"], row["kind"], row["outcome"], row["is_group"])

    page.tap("text=Log another contact")
    page.wait_for_url(f"{live_server.url}/contacts/new")
    group = Taps(page)
    group("text=School visit — presentation")
    page.wait_for_url("**/contacts/new?template=school_presentation")
    group(chip("place_id", demo.PLACE_HARBOUR_HIGH))
    group(chip("headcount_choice", "30"))
    screenshot(page, "contacts_group_phone")
    group(".contacts-save button")
    page.wait_for_url(re.compile(UUID_URL))
    assert 4 == group.count
    row = live_server.db()["contact"].get(page.url.rsplit("/", 1)[1])
    assert (1, 30, "12_17", "school_visit", demo.PLACE_HARBOUR_HIGH) == (
        row["is_group"], row["headcount"], row["age_band"], row["kind"], row["place_id"])


def test_contact_form_has_no_axe_violations_in_english_and_french(live_server, phone):
    page = phone.new_page()
    browser_login(page, live_server.url, "officer")
    page.wait_for_url(f"{live_server.url}/contacts/new")
    page.tap(chip("kind", "mental_health"))  # shows the diversion panel too
    page.tap(chip("is_group", "1"))  # and the group fields
    assert [] == contacts_violations(page)
    with page.expect_navigation():
        page.tap("button[name=language][value=fr]")
    assert "fr" == page.evaluate("document.documentElement.lang")
    assert page.get_by_text("Type de contact").is_visible()
    page.tap(chip("kind", "mental_health"))
    page.tap("details.contacts-person summary")
    assert [] == contacts_violations(page)
    screenshot(page, "contacts_form_phone_fr")
    page.tap(".contacts-save button")  # no outcome: refused with messages, in French
    page.wait_for_selector("#form-errors")
    assert page.get_by_text("Choisissez un résultat.").first.is_visible()
    assert [] == contacts_violations(page)


def test_use_my_location_stores_coordinates_only_when_tapped(live_server, browser):
    context = browser.new_context(**PHONE, geolocation={"latitude": 44.6488, "longitude": -63.5752},
                                  permissions=["geolocation"])
    page = context.new_page()
    browser_login(page, live_server.url, "officer")
    page.wait_for_url(f"{live_server.url}/contacts/new")
    assert "" == page.input_value("#lat")
    page.tap("#use-location")
    page.wait_for_function("document.getElementById('lat').value !== ''")
    page.tap(chip("place_id", ""))  # no listed place: the coordinates are the place
    page.tap(chip("kind", "basic_needs"))
    page.tap(chip("outcome", "information_given"))
    page.tap(".contacts-save button")
    page.wait_for_url(re.compile(UUID_URL))
    row = live_server.db()["contact"].get(page.url.rsplit("/", 1)[1])
    context.close()
    assert (44.6488, -63.5752, None) == (row["lat"], row["lon"], row["place_id"])


def test_a_form_from_long_ago_stores_the_moment_of_saving(live_server, phone):
    """A page opened from the phone's cache carries the time it was made; unless the officer
    typed a time, the contact happened when it was saved."""
    from datetime import UTC, datetime, timedelta

    page = phone.new_page()
    browser_login(page, live_server.url, "officer")
    page.wait_for_url(f"{live_server.url}/contacts/new")
    page.evaluate("document.querySelector('input[name=occurred_at]').value = "
                  "'2026-01-01T08:00:00+00:00'")
    for selector in (chip("place_id", demo.PLACE_DROPIN), chip("kind", "wellness_check"),
                     chip("outcome", "information_given"), ".contacts-save button"):
        page.tap(selector)
    page.wait_for_url(re.compile(UUID_URL))
    stored = live_server.db()["contact"].get(page.url.rsplit("/", 1)[1])["occurred_at"]
    assert datetime.now(UTC) - datetime.fromisoformat(stored) < timedelta(minutes=2)
