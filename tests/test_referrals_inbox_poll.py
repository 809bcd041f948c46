"""The partner inbox's poll (issue 15): an htmx request for the list carries an ETag; asking
again with it while nothing changed answers 304 with no body; a change answers 200."""

from tests.support.referrals import add_services, form_of, referral_item


def test_an_unchanged_inbox_poll_answers_304_and_a_change_answers_200(login_as, db):
    add_services(db)
    partner = login_as("partner")
    htmx = {"HX-Request": "true"}
    first = partner.get("/referrals/", headers=htmx)
    etag = first.headers["ETag"]
    assert 200 == first.status_code and 'hx-trigger="every 20s"' in first.get_data(as_text=True)
    again = partner.get("/referrals/", headers={**htmx, "If-None-Match": etag})
    assert 304 == again.status_code and b"" == again.data
    assert "no-store" in again.headers["Cache-Control"]  # the browser keeps no copy

    officer = login_as("officer")
    item = referral_item(person_name="Poll Test", created_at=None)
    sent = officer.post("/referrals/new", data=form_of(item))
    assert sent.status_code in (302, 303), sent.get_data(as_text=True)[:300]
    changed = partner.get("/referrals/", headers={**htmx, "If-None-Match": etag})
    assert 200 == changed.status_code and "Poll Test" in changed.get_data(as_text=True)


def test_the_full_page_is_not_conditional_and_the_tab_shows_the_unanswered_count(login_as):
    page = login_as("partner").get("/referrals/")
    html = page.get_data(as_text=True)
    assert "ETag" not in page.headers
    assert 'aria-live="polite"' in html
    title = html.split("<title>")[1].split("</title>")[0]
    assert title.startswith("(") and "Referrals" in title
