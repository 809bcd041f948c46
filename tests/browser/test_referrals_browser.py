"""Warm referral end to end in real Chromium: an officer on a phone, a partner at a desk."""

import re

import pytest

from tests.support import axe_violations, browser_login, screenshot
from tests.support.referrals import SVC_CRISIS, add_services

pytestmark = pytest.mark.browser
DESKTOP = {"viewport": {"width": 1280, "height": 900}}


def test_officer_sends_urgent_referral_partner_accepts_officer_sees_it(live_server, browser,
                                                                       phone):
    db = live_server.db()
    add_services(db)
    db.conn.close()
    officer = phone.new_page()
    browser_login(officer, live_server.url, "officer")
    officer.wait_for_url(re.compile(r".*/contacts/.*"))
    officer.goto(f"{live_server.url}/referrals/new?service_id={SVC_CRISIS}")
    officer.get_by_label("Verbal yes").check()
    for what in ("Name", "Phone", "Hand-off note"):
        officer.locator("#ref-shared").get_by_label(what, exact=True).check()
    officer.fill("#person_name", "Robin Browser-Test")
    officer.fill("#person_phone", "902-555-0142")
    officer.get_by_label("Urgent").check()
    officer.fill("#handoff_note", "Expecting your call this afternoon.")
    officer.get_by_role("button", name="Check and send").click()  # the summary (issue 19)
    officer.get_by_role("button", name="Send referral").click()
    officer.wait_for_url(re.compile(r".*/referrals/[0-9a-f-]{36}$"))
    assert officer.get_by_role("heading", name="Make the warm call").is_visible()
    assert "tel:902-555-0100" == officer.locator("a.ref-call").get_attribute("href")
    referral_url = officer.url

    desk = browser.new_context(**DESKTOP)
    partner = desk.new_page()
    browser_login(partner, live_server.url, "partner")
    partner.wait_for_url(f"{live_server.url}/referrals/")
    row = partner.locator("tr", has_text="Robin Browser-Test")
    assert row.locator(".ref-urgent").is_visible()
    screenshot(partner, "referrals_partner_inbox_desktop")
    assert [] == axe_violations(partner)
    row.get_by_role("button", name="Accept").click()
    partner.locator("tr", has_text="Robin Browser-Test").locator(
        ".ref-status-accepted").wait_for()
    desk.close()

    officer.goto(referral_url)
    status = officer.locator("#referral-status")
    assert "accepted" == status.locator(".ref-status-now").inner_text().lower()
    receipt = " ".join(status.locator(".ref-receipt").inner_text().split())
    assert re.search(r"sent \d\d:\d\d · received \d\d:\d\d · accepted \d\d:\d\d", receipt)
    screenshot(officer, "referrals_officer_referral_phone")
    officer.goto(f"{live_server.url}/referrals/")
    assert officer.locator(".ref-card").first.locator(".ref-status-accepted").is_visible()
    overflow = officer.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    screenshot(officer, "referrals_officer_list_phone")
    assert overflow is False


def test_a_refused_tap_shows_its_message_in_the_row_in_place(live_server, browser):
    """A 409 swaps in like any answer (base.html's htmx responseHandling), with no script of
    the referrals area: the partner reads why, on the same page."""
    desk = browser.new_context(**DESKTOP)
    partner = desk.new_page()
    browser_login(partner, live_server.url, "partner")
    partner.wait_for_url(f"{live_server.url}/referrals/")
    row = partner.locator("tr.ref-row", has=partner.get_by_role("button", name="Accept")).first
    row_id = row.get_attribute("id")
    referral_id = row_id.removeprefix("referral-")
    db = live_server.db()  # meanwhile, a colleague at the agency accepted it
    db.execute("update referral set status = 'accepted', accepted_at = sent_at where id = ?",
               [referral_id])
    db.conn.commit()
    db.conn.close()
    row.get_by_role("button", name="Accept").click()
    refused = partner.locator(f"#{row_id} [role=alert]")
    refused.wait_for()
    assert "it cannot be accepted now" in refused.inner_text()
    assert f"{live_server.url}/referrals/" == partner.url
    assert 1 == partner.locator(f"#{row_id}").count()
    desk.close()
