"""The partner inbox keeps itself current (issue 15): with the inbox open, an officer sends an
urgent referral and its row appears within the polling interval, without a reload; an unchanged
poll answers 304 and swaps nothing."""

import re

import pytest

from tests.support import LiveServer, axe_violations, browser_login, make_app
from tests.support.referrals import SVC_CRISIS, add_services

pytestmark = pytest.mark.browser
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
POLL = 1  # seconds (20 in production: config INBOX_POLL_SECONDS)


@pytest.fixture
def fast_server(tmp_path):
    server = LiveServer(make_app(tmp_path, INBOX_POLL_SECONDS=POLL))
    server.thread.start()
    yield server
    server.server.shutdown()


def test_a_new_urgent_referral_appears_in_the_open_inbox_and_an_unchanged_poll_is_304(
        fast_server, browser, phone):
    db = fast_server.db()
    add_services(db)
    db.conn.close()
    desk = browser.new_context(**DESKTOP)
    partner = desk.new_page()
    polls = []
    partner.on("response", lambda r: polls.append(
        (r.status, r.request.headers.get("if-none-match")))
               if r.request.headers.get("hx-request") and "/referrals/" in r.url else None)
    browser_login(partner, fast_server.url, "partner")
    partner.wait_for_url(f"{fast_server.url}/referrals/")
    partner.evaluate("window.notReloaded = true")
    title_before = partner.title()

    officer = phone.new_page()
    browser_login(officer, fast_server.url, "officer")
    officer.wait_for_url(re.compile(r".*/contacts/.*"))
    officer.goto(f"{fast_server.url}/referrals/new?service_id={SVC_CRISIS}")
    officer.get_by_label("Verbal yes").check()
    officer.locator("#ref-shared").get_by_label("Name", exact=True).check()
    officer.fill("#person_name", "Robin Live-Inbox")
    officer.get_by_label("Urgent").check()
    officer.get_by_role("button", name="Check and send").first.click()  # the summary (issue 19)
    officer.get_by_role("button", name="Send referral").click()
    officer.wait_for_url(re.compile(r".*/referrals/[0-9a-f-]{36}$"))

    row = partner.locator("tr.ref-row", has_text="Robin Live-Inbox")
    row.wait_for(timeout=(POLL + 3) * 1000)
    assert partner.evaluate("window.notReloaded") is True
    assert row.locator(".badge-new").is_visible()
    assert re.search(r"1 new referral", partner.locator("#inbox-news").inner_text())
    assert partner.locator("#inbox-news").get_attribute("aria-live") == "polite"
    assert partner.title() != title_before and partner.title().startswith("(")
    sent = row.locator(".ref-sent time")
    assert sent.get_attribute("title")  # the exact time; the text is relative
    assert re.search(r"ago|now", sent.inner_text())

    partner.wait_for_timeout((POLL * 2 + 1) * 1000)
    assert any(status == 304 and etag for status, etag in polls), polls
    assert row.locator(".badge-new").is_visible()  # a 304 swaps nothing: the mark stays
    assert [] == axe_violations(partner)
    desk.close()
