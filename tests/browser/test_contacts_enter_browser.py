"""Enter in a text field runs the form's main action, never "Save and refer" (issue 23).

Real headless Chromium at phone size, with JavaScript on and off.
"""

import re

import pytest

from fieldapp.contacts import demo
from tests.support import PHONE, browser_login

pytestmark = pytest.mark.browser

UUID_URL = re.compile(r"/contacts/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def chip(name: str, value: str) -> str:
    return f"label.chip:has(input[name={name}][value='{value}'])"


@pytest.fixture(params=["js", "nojs"])
def context(request, browser):
    """A phone-sized context, with JavaScript on or off."""
    context = browser.new_context(**PHONE, java_script_enabled=request.param == "js")
    yield context
    context.close()


def start_mental_health_contact(page, base_url: str):
    """The form with "Save and refer" showing (a mental-health contact), otherwise valid."""
    page.goto(f"{base_url}/contacts/new")
    page.tap(chip("place_id", demo.PLACE_DROPIN))
    page.tap(chip("kind", "mental_health"))
    page.tap(chip("outcome", "information_given"))
    assert page.get_by_role("button", name="Save and refer").is_visible()


# Each text field, with what to do first to show it and what to type.
FIELDS = [
    ("#place_text", None, "Corner of Main and 2nd"),
    ("#headcount", chip("is_group", "1"), "12"),
    ("#new_alias", "summary:has-text('Person (optional)')", "Enter test alias"),
    ("#new_birth_year", "summary:has-text('Person (optional)')", "1980"),
    ("#occurred_local", "summary:has-text('It happened earlier')", None),
]


@pytest.mark.parametrize(("field", "reveal", "text"), FIELDS, ids=[f[0] for f in FIELDS])
def test_enter_in_a_contact_text_field_saves_and_never_refers(live_server, context, field,
                                                              reveal, text):
    page = context.new_page()
    browser_login(page, live_server.url, "officer")
    page.wait_for_url(f"{live_server.url}/contacts/new")
    start_mental_health_contact(page, live_server.url)
    if reveal:
        page.tap(reveal)
    if text is not None:
        page.fill(field, text)
    else:
        page.focus(field)
    with page.expect_navigation():
        page.press(field, "Enter")
    assert "/referrals/" not in page.url
    if UUID_URL.search(page.url):  # saved: the main action ran
        row = live_server.db()["contact"].get(page.url.rsplit("/", 1)[1])
        assert "mental_health" == row["kind"]
    else:  # refused with a message: nothing was sent anywhere else
        assert page.url.endswith("/contacts/new")
        assert page.locator("#form-errors").is_visible()


def test_enter_in_the_referral_form_sends_the_referral_not_another_action(live_server,
                                                                             context):
    page = context.new_page()
    browser_login(page, live_server.url, "officer")
    page.wait_for_url(f"{live_server.url}/contacts/new")
    start_mental_health_contact(page, live_server.url)
    with page.expect_navigation():
        page.get_by_role("button", name="Save and refer").click()
    assert "/referrals/new" in page.url
    referral_url = page.url
    buttons = page.locator("#referral-form button[type=submit], #referral-form button:not([type])")
    # Issue 19: the form's default button checks and sends (the summary), before the Search.
    assert ["Check and send", "Search", "Check and send"] == [
        b.strip() for b in buttons.all_inner_texts()]
    for field in ("#consent_reason", "#person_name", "#person_phone", "#person_birth_year",
                  "#preferred_contact"):
        page.goto(referral_url)
        page.locator("#referral-form input[name=service_id]").first.check()
        # (the reason field shows only when consent could not be obtained)
        page.check("#referral-form input[name=consent][value=%s]"
                   % ("not_obtainable" if field == "#consent_reason" else "verbal"))
        page.fill(field, "1990" if "year" in field else "Sam")
        with page.expect_request(lambda r: r.method == "POST") as sent:
            page.press(field, "Enter")
        # The only thing Enter sends is the referral form itself, to its own action.
        assert f"{live_server.url}/referrals/new" == sent.value.url
        assert "service_id=" in sent.value.post_data
        assert "step=review" in sent.value.post_data
