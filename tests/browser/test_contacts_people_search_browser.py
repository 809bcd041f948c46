"""The people search on the contact form, with JavaScript off and on (issue 23)."""

import re

import pytest

from fieldapp.contacts import demo
from tests.support import PHONE, browser_login

pytestmark = pytest.mark.browser

UUID_URL = re.compile(r"/contacts/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def chip(name: str, value: str) -> str:
    return f"label.chip:has(input[name={name}][value='{value}'])"


@pytest.fixture
def no_js(browser):
    context = browser.new_context(**PHONE, java_script_enabled=False)
    yield context
    context.close()


def fill_contact_with_a_typed_place(page, base_url: str):
    browser_login(page, base_url, "officer")
    page.wait_for_url(f"{base_url}/contacts/new")
    page.tap(chip("place_id", ""))
    page.fill("#place_text", "Corner of Main and 2nd")
    page.tap(chip("kind", "wellness_check"))
    page.tap(chip("outcome", "information_given"))
    page.tap("summary:has-text('Person (optional)')")
    page.fill("#person-q", "J.D")


def contacts(live_server) -> int:
    return live_server.db().execute("select count(*) from contact").fetchone()[0]


def test_without_javascript_search_lists_people_and_the_chosen_one_is_saved(live_server, no_js):
    page = no_js.new_page()
    fill_contact_with_a_typed_place(page, live_server.url)
    before = contacts(live_server)
    with page.expect_navigation():
        page.tap("button[name=search_people]")
    assert page.url.endswith("/contacts/new")
    assert before == contacts(live_server)
    assert "Corner of Main and 2nd" == page.input_value("#place_text")
    assert "J.D" == page.input_value("#person-q")
    page.tap(chip("person_id", demo.PERSON_JD))
    with page.expect_navigation():
        page.tap(".contacts-save button")
    assert UUID_URL.search(page.url)
    row = live_server.db()["contact"].get(page.url.rsplit("/", 1)[1])
    assert (demo.PERSON_JD, "Corner of Main and 2nd", "wellness_check") == (
        row["person_id"], row["place_text"], row["kind"])


def test_without_javascript_enter_in_the_search_box_never_saves_without_the_person(
        live_server, no_js):
    page = no_js.new_page()
    fill_contact_with_a_typed_place(page, live_server.url)
    before = contacts(live_server)
    with page.expect_navigation():
        page.press("#person-q", "Enter")
    assert before == contacts(live_server)
    assert page.get_by_text("Choose the person, or clear the search box.").first.is_visible()
    assert page.locator(chip("person_id", demo.PERSON_JD)).is_visible()
    assert "Corner of Main and 2nd" == page.input_value("#place_text")


def test_with_javascript_enter_in_the_search_box_searches_in_place(live_server, phone):
    page = phone.new_page()
    fill_contact_with_a_typed_place(page, live_server.url)
    before = contacts(live_server)
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    page.press("#person-q", "Enter")
    page.locator(f"#people-results {chip('person_id', demo.PERSON_JD)}").wait_for()
    assert page.url.endswith("/contacts/new") and before == contacts(live_server)
    assert [f"{live_server.url}/contacts/people/search"] == posts  # htmx only, no page submit
    page.tap("button[name=search_people]")  # the button too: htmx, not a page submit
    page.wait_for_load_state("networkidle")
    assert [f"{live_server.url}/contacts/people/search"] * 2 == posts
    page.tap(chip("person_id", demo.PERSON_JD))
    with page.expect_navigation():
        page.tap(".contacts-save button")
    row = live_server.db()["contact"].get(page.url.rsplit("/", 1)[1])
    assert demo.PERSON_JD == row["person_id"]
