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


def coordinator_page(live_server, context, path: str):
    page = context.new_page()
    browser_login(page, live_server.url, "coordinator")
    page.wait_for_load_state()
    page.goto(f"{live_server.url}{path}")
    return page


def test_without_javascript_enter_in_the_merge_search_lists_people_and_merge_uses_the_choice(
        live_server, no_js):
    page = coordinator_page(live_server, no_js, f"/contacts/people/{demo.PERSON_RT}")
    page.fill("#merge-q", "J.D")
    with page.expect_navigation():
        page.press("#merge-q", "Enter")
    assert live_server.db()["person"].get(demo.PERSON_RT)["merged_into_id"] is None
    assert "J.D" == page.input_value("#merge-q")
    page.tap(chip("into_id", demo.PERSON_JD))
    with page.expect_navigation():
        page.get_by_role("button", name="Merge into the chosen person").tap()
    assert page.url.endswith(f"/contacts/people/{demo.PERSON_JD}")
    assert demo.PERSON_JD == live_server.db()["person"].get(demo.PERSON_RT)["merged_into_id"]


def test_without_javascript_the_merge_search_button_searches_and_never_merges(live_server, no_js):
    page = coordinator_page(live_server, no_js, f"/contacts/people/{demo.PERSON_RT}")
    page.fill("#merge-q", "M.K")
    with page.expect_navigation():
        page.tap("button[name=search_people]")
    assert page.locator(chip("into_id", demo.PERSON_MK)).is_visible()
    assert 0 == page.locator(chip("into_id", demo.PERSON_RT)).count()  # never itself
    assert live_server.db()["person"].get(demo.PERSON_RT)["merged_into_id"] is None


def person_key_of(live_server, key: str):
    rows = list(live_server.db().query("select person_id from person_key where person_key = ?",
                                       [key]))
    return rows[0]["person_id"] if rows else None


def test_without_javascript_the_calls_link_search_keeps_the_key_and_links_the_choice(
        live_server, no_js):
    page = coordinator_page(live_server, no_js, "/reports/calls")
    page.fill("#person_key", "RMS-4242")
    page.fill("#link-q", "J.D")
    with page.expect_navigation():
        page.press("#link-q", "Enter")  # searches: the key is not linked to nobody
    assert person_key_of(live_server, "RMS-4242") is None
    assert "RMS-4242" == page.input_value("#person_key")
    assert "J.D" == page.input_value("#link-q")
    page.tap(chip("person_id", demo.PERSON_JD))
    with page.expect_navigation():
        page.get_by_role("button", name="Link", exact=True).tap()
    assert demo.PERSON_JD == person_key_of(live_server, "RMS-4242")


def test_without_javascript_enter_in_the_key_field_links_once_a_person_is_chosen(
        live_server, no_js):
    page = coordinator_page(live_server, no_js, "/reports/calls")
    page.fill("#link-q", "M.K")
    with page.expect_navigation():
        page.tap("button[name=search_people]")
    page.fill("#person_key", "RMS-77")
    page.tap(chip("person_id", demo.PERSON_MK))
    with page.expect_navigation():
        page.press("#person_key", "Enter")  # the main action: Link, not Search
    assert demo.PERSON_MK == person_key_of(live_server, "RMS-77")


def test_with_javascript_enter_in_the_merge_search_searches_in_place(live_server, phone):
    page = coordinator_page(live_server, phone, f"/contacts/people/{demo.PERSON_RT}")
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    page.fill("#merge-q", "J.D")
    page.press("#merge-q", "Enter")
    page.locator(f"#merge-results {chip('into_id', demo.PERSON_JD)}").wait_for()
    assert [f"{live_server.url}/contacts/people/search"] == posts
    assert live_server.db()["person"].get(demo.PERSON_RT)["merged_into_id"] is None
