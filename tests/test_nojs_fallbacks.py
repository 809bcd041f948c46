"""Pages that work without JavaScript (issue 23): the install hint's Dismiss form, the sync bar's
no-script state, controls that need JavaScript rendered hidden, the inbox row's way back."""

import re

import pytest

import fieldapp.accounts  # noqa: F401  (blueprint imports must start at accounts)

# isort: split
from fieldapp.referrals import store
from tests.support import NOW
from tests.support.referrals import OFFICER_ID, client_for, referral_item, user_row

HX = {"HX-Request": "true"}


def send(app, db, **overrides) -> str:
    item = referral_item(**overrides)
    with app.app_context():
        assert "created" == store.apply_referral(db, item, user_row(db, OFFICER_ID), NOW)["status"]
    return item["id"]


def install_hint(html: str) -> str:
    return re.search(r'<aside class="pwa-banner" id="pwa-install".*?</aside>', html, re.S).group(0)


def test_install_hint_dismiss_is_a_csrf_form(login_as):
    html = login_as("officer").get("/contacts/new?x=1").get_data(as_text=True)
    hint = install_hint(html)
    assert 'method="post" action="/install-hint/dismiss"' in hint
    assert 'name="csrf_token"' in hint
    assert 'name="next" value="/contacts/new?x=1"' in hint


def test_dismissing_the_install_hint_sets_the_scripts_cookie_and_goes_back(login_as):
    officer = login_as("officer")
    response = officer.post("/install-hint/dismiss", data={"next": "/directory/?q=food"})
    assert 302 == response.status_code
    assert "/directory/?q=food" == response.headers["Location"]
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("fieldapp_install_hint=1;")
    assert "HttpOnly" not in cookie  # offline-app.js reads it
    assert ' hidden>' in install_hint(officer.get("/contacts/new").get_data(as_text=True))


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "javascript:x"])
def test_install_hint_dismiss_never_leaves_the_site(login_as, target):
    response = login_as("officer").post("/install-hint/dismiss", data={"next": target})
    assert "/" == response.headers["Location"]


def test_install_hint_dismiss_needs_csrf(login_as):
    response = login_as("officer").post("/install-hint/dismiss", data={"next": "/"}, csrf=False)
    assert 400 == response.status_code
    assert "Set-Cookie" not in response.headers or "fieldapp_install_hint" not in response.headers[
        "Set-Cookie"]


def test_sync_bar_has_a_noscript_state_and_hides_the_scripts_text(login_as):
    html = login_as("officer").get("/contacts/new").get_data(as_text=True)
    assert '<span id="syncbar-text" hidden>' in html
    assert "<noscript><span class=\"syncbar-noscript\">Offline saving needs JavaScript" in html


def test_controls_that_need_javascript_render_hidden(login_as):
    officer = login_as("officer")
    assert re.search(r'<button type="button" id="use-location" hidden',
                     officer.get("/contacts/new").get_data(as_text=True))
    directory = officer.get("/directory/").get_data(as_text=True)
    assert '<p class="hint" id="dir-q-hint" hidden>' in directory
    assert re.search(r'<button type="button" id="dir-near-button" hidden', directory)


def test_inbox_row_forms_carry_the_filtered_inbox(referral_app):
    app, db = referral_app
    send(app, db)
    html = client_for(app, "partner").get("/referrals/?status=unanswered").get_data(as_text=True)
    row = re.search(r'<tr id="referral-.*?</tr>', html, re.S).group(0)
    assert 2 == row.count('name="next" value="/referrals/?status=unanswered"')  # Accept, Decline


def test_partner_accepting_without_htmx_goes_back_to_the_filtered_inbox(referral_app):
    app, db = referral_app
    referral_id = send(app, db)
    partner = client_for(app, "partner")
    response = partner.post(f"/referrals/{referral_id}/accept",
                            data={"fragment": "row", "next": "/referrals/?status=unanswered"})
    assert 302 == response.status_code
    assert "/referrals/?status=unanswered" == response.headers["Location"]
    assert "accepted" == db.execute("select status from referral where id = ?",
                                    [referral_id]).fetchone()[0]


def test_partner_transition_with_an_offsite_next_goes_to_the_referral(referral_app):
    app, db = referral_app
    referral_id = send(app, db)
    response = client_for(app, "partner").post(
        f"/referrals/{referral_id}/accept", data={"next": "https://evil.example/referrals/"})
    assert f"/referrals/{referral_id}" == response.headers["Location"]


def test_htmx_accept_from_the_row_still_swaps_the_row(referral_app):
    app, db = referral_app
    referral_id = send(app, db)
    response = client_for(app, "partner").post(
        f"/referrals/{referral_id}/accept", headers=HX,
        data={"fragment": "row", "next": "/referrals/?status=unanswered"})
    assert 200 == response.status_code
    assert response.get_data(as_text=True).lstrip().startswith(
        f'<tr id="referral-{referral_id}"')


def test_officer_referral_page_has_a_refresh_link(referral_app):
    app, db = referral_app
    referral_id = send(app, db)
    html = client_for(app, "officer").get(f"/referrals/{referral_id}").get_data(as_text=True)
    assert f'<a href="/referrals/{referral_id}">Refresh</a>' in html


def test_install_hint_on_a_posted_page_goes_back_home(login_as):
    html = login_as("partner").get("/referrals/").get_data(as_text=True)
    assert 'id="pwa-install"' not in html  # partners have no sync bar nor hint
    officer = login_as("officer")
    hint = install_hint(officer.post("/contacts/new", data={}).get_data(as_text=True))
    assert 'name="next" value=""' in hint
