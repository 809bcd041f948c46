"""The common contact in one screen (issue 15), at 390 x 844 in real Chromium, EN and FR: the
default form from its top to the bottom of Save, the three most common demo contacts by tapping
only with no scroll, and an uncommon one through "More…"."""

import re

import pytest

from fieldapp.contacts import demo
from tests.support import axe_violations, browser_login

pytestmark = pytest.mark.browser

UUID_URL = r"/contacts/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
LIMIT = 1050

# The demo data's most common contacts (fieldapp/contacts/demo.py: school visits with youth,
# information given; mental-health contacts with a partner on scene; wellness checks of seniors).
COMMON = [
    (demo.PLACE_HARBOUR_HIGH, "school_visit", "youth_12_17", "information_given"),
    (demo.PLACE_DROPIN, "mental_health", "mental_health", "partner_on_scene"),
    (demo.PLACE_MAPLE_ELEMENTARY, "wellness_check", "senior_65_plus", "information_given"),
]


def chip(name: str, value: str) -> str:
    return f"label.chip:has(input[name={name}][value='{value}'])"


def form_height(page) -> dict:
    """From the form's top to Save's bottom: as laid out (Save in its place at the form's end)
    and as seen (Save sticky at the bottom of the screen)."""
    return page.evaluate("""() => {
      const form = document.querySelector('form.contact-form');
      const save = form.querySelector('.contacts-save button');
      const seen = save.getBoundingClientRect().bottom - form.getBoundingClientRect().top;
      const bar = save.parentElement;
      bar.style.position = 'static';
      const laidOut = save.getBoundingClientRect().bottom - form.getBoundingClientRect().top;
      bar.style.position = '';
      return {seen, laidOut};
    }""")


def set_language(page, language):
    if page.evaluate("document.documentElement.lang") != language:
        with page.expect_navigation():
            page.tap(f"button[name=language][value={language}]")


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_common_contact_fits_one_screen_and_takes_five_taps_without_scrolling(
        live_server, phone, language):
    page = phone.new_page()
    browser_login(page, live_server.url, "officer")
    page.wait_for_url(f"{live_server.url}/contacts/new")
    set_language(page, language)
    height = form_height(page)
    assert height["laidOut"] <= LIMIT, height
    assert height["seen"] <= LIMIT, height

    for place, kind, population, outcome in COMMON:
        page.goto(f"{live_server.url}/contacts/new")
        taps = [chip("place_id", place), chip("kind", kind), chip("populations", population),
                chip("outcome", outcome)]
        for selector in taps:
            assert page.locator(selector).is_visible(), selector
            box = page.locator(selector).bounding_box()
            assert box["y"] + box["height"] <= 844, (selector, box)
            page.tap(selector)
            assert 0 == page.evaluate("window.scrollY"), selector
        save = page.locator(".contacts-save button")
        assert ":" in save.inner_text()  # "Save: wellness check · senior 65+ · …"
        page.tap(".contacts-save button")
        assert len(taps) + 1 <= 5  # four chips and Save
        page.wait_for_url(re.compile(UUID_URL))
        row = live_server.db()["contact"].get(page.url.rsplit("/", 1)[1])
        assert (place, kind, outcome) == (row["place_id"], row["kind"], row["outcome"])


def test_an_uncommon_contact_through_more(live_server, phone):
    page = phone.new_page()
    browser_login(page, live_server.url, "officer")
    page.wait_for_url(f"{live_server.url}/contacts/new")
    assert not page.locator(chip("kind", "veteran_support")).is_visible()
    page.tap(chip("place_id", demo.PLACE_DROPIN))
    page.locator("fieldset:has(input[name=kind]) details.contacts-more > summary").tap()
    page.tap(chip("kind", "veteran_support"))
    page.locator("fieldset:has(input[name=populations]) details.contacts-more > summary").tap()
    page.tap(chip("populations", "veteran"))
    page.locator("fieldset:has(input[name=outcome]) details.contacts-more > summary").tap()
    page.tap(chip("outcome", "escalated_ambulance"))
    assert [] == axe_violations(page)
    page.tap(".contacts-save button")
    page.wait_for_url(re.compile(UUID_URL))
    contact_id = page.url.rsplit("/", 1)[1]
    db = live_server.db()
    assert ("veteran_support", "escalated_ambulance") == (
        db["contact"].get(contact_id)["kind"], db["contact"].get(contact_id)["outcome"])
    assert [("veteran",)] == db.execute("select population from contact_population where "
                                        "contact_id = ?", [contact_id]).fetchall()
