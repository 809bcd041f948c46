"""The nearest known places on the log-contact form (issue 15), in real Chromium at phone size
with a granted geolocation: favourites first, then after "Use my location" (never on load) the
nearest places, then "other place"; online from the server, offline from the cached form."""

import pytest

from fieldapp.contacts import demo
from tests.support import axe_violations, browser_login
from tests.support.browser import officer_ready

pytestmark = pytest.mark.browser

NEAR_SENIORS_HALL = {"latitude": 44.6481, "longitude": -63.6249}
# Counts the page's position requests, to show that none is made on load.
COUNT_ASKS = """
  window.positionAsks = 0;
  const ask = navigator.geolocation.getCurrentPosition.bind(navigator.geolocation);
  navigator.geolocation.getCurrentPosition = (...args) => {
    window.positionAsks += 1;
    ask(...args);
  };
"""


def place_order(page) -> list[str]:
    """The place choice's chips in screen order: their values ("" is "other place"), visible
    ones only."""
    return page.evaluate("""() => [...document.querySelectorAll(
        'fieldset:has(input[name=place_id]) > .chips .chip')]
        .filter((chip) => chip.offsetParent !== null)
        .map((chip) => chip.querySelector('input').value)""")


def located(phone, base_url):
    phone.grant_permissions(["geolocation"], origin=base_url)
    phone.set_geolocation(NEAR_SENIORS_HALL)
    phone.add_init_script(COUNT_ASKS)


def test_use_my_location_puts_the_nearest_places_after_the_favourites(live_server, phone):
    located(phone, live_server.url)
    page = phone.new_page()
    browser_login(page, live_server.url, "officer")
    page.wait_for_url(f"{live_server.url}/contacts/new")
    before = place_order(page)
    assert "" == before[-1]  # "other place" last
    assert demo.PLACE_SENIORS_HALL not in before
    assert page.locator("#near-places").is_hidden()
    assert 0 == page.evaluate("window.positionAsks")  # never on load

    page.locator("#use-location").tap()
    page.wait_for_selector("#near-places .chip")
    after = place_order(page)
    assert 1 == page.evaluate("window.positionAsks")
    assert before[:-1] == after[:len(before) - 1]  # the favourites and latest places first
    nearest = after[len(before) - 1:-1]
    assert demo.PLACE_SENIORS_HALL == nearest[0]  # then the nearest, nearest first
    assert 3 == len(nearest) and "" == after[-1]
    assert "km" in page.locator("#near-places .chip").first.inner_text()
    # A place among the nearest is not offered twice.
    assert 1 == page.locator(f"input[name=place_id][value='{demo.PLACE_SENIORS_HALL}']").count() \
        - page.locator(f".chip[hidden] input[value='{demo.PLACE_SENIORS_HALL}']").count()
    assert [] == axe_violations(page)

    page.locator(f"#near-places .chip:has(input[value='{demo.PLACE_SENIORS_HALL}'])").tap()
    page.locator("label.chip:has(input[name=kind][value='wellness_check'])").tap()
    page.locator("label.chip:has(input[name=outcome][value='information_given'])").tap()
    page.locator(".contacts-save button").tap()
    page.wait_for_url(f"{live_server.url}/contacts/*-*")
    contact_id = page.url.rsplit("/", 1)[1]
    row = live_server.db().execute("select place_id, lat from contact where id = ?",
                                   [contact_id]).fetchone()
    assert demo.PLACE_SENIORS_HALL == row[0]
    assert abs(row[1] - NEAR_SENIORS_HALL["latitude"]) < 1e-4


def test_offline_the_phone_ranks_the_places_of_the_cached_form(server, phone):
    located(phone, server.url)
    page = phone.new_page()
    officer_ready(page, server.url)
    phone.set_offline(True)
    page.reload()  # the form from the phone's cache
    before = place_order(page)
    page.locator("#use-location").tap()
    page.wait_for_selector("#near-places .chip")
    after = place_order(page)
    assert before[:-1] == after[:len(before) - 1]
    assert demo.PLACE_SENIORS_HALL == after[len(before) - 1]
    assert "" == after[-1]
    # "Remove location" takes the nearest away again and gives the place back to its list.
    page.locator("#use-location").tap()
    assert page.locator("#near-places").is_hidden()
    assert 0 == page.locator(".chip[hidden]:has(input[name=place_id])").count()
