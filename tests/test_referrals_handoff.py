"""Issue 19, the warm hand-off: consent first and a summary of exactly what the partner
receives (the partner's page is built from the same list), the path's defaults, and the
partner's queue by waiting time with a call button and an undo."""

import re
from html import unescape

import pytest

import fieldapp.accounts  # noqa: F401  (blueprint imports must start at accounts)

# isort: split
from fieldapp.referrals import lifecycle, store
from tests.support.referrals import (
    OFFICER_ID,
    PARTNER_ID,
    SVC_CRISIS,
    add_contact,
    add_person,
    client_for,
    crisis_ids,
    form_of,
    referral_item,
    user_row,
)

NOW = "2026-03-02T14:00:00+00:00"  # the frozen clock (10:00 in Halifax)
HX = {"HX-Request": "true"}


def fields_of(html: str, block_id: str) -> dict:
    """{data-field: text} of the <dl id=block_id> (or of the whole page's partner fields)."""
    if block_id:
        html = html[html.index(f'id="{block_id}"'):]
        html = html[:html.index("</dl>")]
    found = {}
    for key, text in re.findall(r'<dd data-field="([^"]+)"[^>]*>(.*?)</dd>', html, re.S):
        found[key] = " ".join(unescape(re.sub(r"<[^>]+>", " ", text)).split())
    return found


def review(client, item):
    return client.post("/referrals/new", data={**form_of(item), "step": "review"})


def test_the_form_starts_with_consent_and_has_no_native_validation(referral_app):
    app, _db = referral_app
    page = client_for(app, "officer").get("/referrals/new").get_data(as_text=True)
    form = page[page.index('id="referral-form"'):]
    assert "novalidate" in page[page.index('id="referral-form"') - 200:page.index(
        'id="referral-form"') + 200]
    assert form.index('name="consent"') < form.index('name="shared"') < form.index(
        'name="service_id"') < form.index('name="person_name"')
    assert " required" not in form and "pattern=" not in form


def test_verbal_yes_with_typed_fields_unticked_shows_them_as_kept_in_the_summary(referral_app):
    app, db = referral_app
    officer = client_for(app, "officer")
    item = referral_item(shared=[], person_name="Sam Example", person_phone="902-555-0199",
                         handoff_note="Prefers afternoons.")
    response = review(officer, item)
    page = response.get_data(as_text=True)
    assert 200 == response.status_code
    received, kept = fields_of(page, "ref-receives"), fields_of(page, "ref-kept")
    assert not {"person_name", "person_phone", "handoff_note"} & set(received)
    assert {"person_name", "person_phone", "handoff_note", "preferred_contact"} <= set(kept)
    assert "Sam Example" in kept["person_name"]
    assert 0 == db["referral"].count_where("id = ?", [item["id"]])  # nothing sent yet


def test_information_only_ignores_ticked_boxes_and_says_so(referral_app):
    app, db = referral_app
    officer = client_for(app, "officer")
    item = referral_item(consent="none", shared=["name", "phone"])
    page = review(officer, item).get_data(as_text=True)
    assert "boxes ticked to share personal details were ignored" in page
    received = fields_of(page, "ref-receives")
    assert {"service_name", "urgency", "consent"} == set(received)
    assert "Sam Example" in fields_of(page, "ref-kept")["person_name"]
    # The form shown again with "information only" has the personal fields disabled.
    again = officer.post("/referrals/new", data={**form_of(item), "step": "find"})
    body = again.get_data(as_text=True)
    assert re.search(r'<fieldset[^>]*id="ref-shared"[^>]*disabled', body)
    # Sending from the summary stores nothing personal, and says so.
    sent = officer.post("/referrals/new", data=form_of(item))
    assert 302 == sent.status_code
    row = db["referral"].get(item["id"])
    assert (None, None, "[]") == (row["person_name"], row["person_phone"], row["shared"])


def test_the_partners_page_shows_exactly_the_summarys_fields(referral_app):
    app, db = referral_app
    officer = client_for(app, "officer")
    item = referral_item(shared=["name", "phone", "birth_year", "note"],
                         person_birth_year="1984")
    summary = fields_of(review(officer, item).get_data(as_text=True), "ref-receives")
    # One tap from the summary: its form posts every field back without a step.
    page = review(officer, item).get_data(as_text=True)
    posted = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"',
                             page[page.index('id="referral-review"'):]))
    posted.pop("csrf_token")
    assert 302 == officer.post("/referrals/new", data={
        **posted, "shared": item["shared"]}).status_code
    partner_page = client_for(app, "partner").get(f"/referrals/{item['id']}").get_data(
        as_text=True)
    assert summary == fields_of(partner_page, "")
    assert ["service_name", "urgency", "consent", "person_name", "person_phone",
            "person_birth_year", "preferred_contact", "handoff_note"] == list(summary)


def test_the_summary_refuses_with_422_and_the_error_summary(referral_app):
    app, _db = referral_app
    response = review(client_for(app, "officer"), referral_item(consent=None))
    page = response.get_data(as_text=True)
    assert 422 == response.status_code
    assert 'id="form-errors" tabindex="-1"' in page and 'href="#consent"' in page


def test_search_keeps_everything_typed_without_javascript(referral_app):
    app, _db = referral_app
    item = referral_item(service_id=None, handoff_note="Typed before searching.")
    response = client_for(app, "officer").post(
        "/referrals/new", data={**form_of(item), "step": "find", "q": "youth"})
    page = response.get_data(as_text=True)
    assert 200 == response.status_code
    assert "Test Youth Beds" in page and "Typed before searching." in page
    assert 'value="Sam Example"' in page and 'value="verbal" checked' in page


def test_mental_health_contact_defaults_to_urgent_with_crisis_first_and_the_alias(referral_app):
    app, db = referral_app
    person = add_person(db, alias="Alias Carried Over")
    contact = add_contact(db, kind="mental_health")
    db.execute("update contact set person_id = ? where id = ?", [person, contact])
    page = client_for(app, "officer").get(f"/referrals/new?contact_id={contact}").get_data(
        as_text=True)
    assert 'value="urgent" checked' in page
    assert 'value="Alias Carried Over"' in page
    offered = re.findall(r'name="service_id" value="([^"]+)"', page)
    assert offered[0] in crisis_ids(db)
    other = add_contact(db, kind="check_in")
    page = client_for(app, "officer").get(f"/referrals/new?contact_id={other}").get_data(
        as_text=True)
    assert 'value="today" checked' in page


# --- the partner's queue ---------------------------------------------------------------------


def send(app, db, now, **overrides):
    item = referral_item(**overrides)
    with app.app_context():
        assert "created" == store.apply_referral(db, item, user_row(db, OFFICER_ID), now)[
            "status"]
    return item["id"]


def test_three_urgent_referrals_longest_waiting_first_with_waiting_time_and_call(referral_app):
    app, db = referral_app
    newest = send(app, db, "2026-03-02T13:55:00+00:00")
    oldest = send(app, db, "2026-03-02T12:58:00+00:00")
    middle = send(app, db, "2026-03-02T13:30:00+00:00")
    today = send(app, db, "2026-03-02T12:00:00+00:00", urgency="today")
    body = client_for(app, "partner").get("/referrals/").get_data(as_text=True)
    assert body.index(oldest) < body.index(middle) < body.index(newest) < body.index(today)
    row = body[body.index(f'id="referral-{oldest}"'):]
    row = row[:row.index("</tr>")]
    assert "waiting 62 min" in row and "Overdue" in row
    assert 'class="button ref-tel" href="tel:902-555-0199"' in row
    newest_row = body[body.index(f'id="referral-{newest}"'):]
    assert "waiting 5 min" in newest_row[:newest_row.index("</tr>")]
    assert "Overdue" not in newest_row[:newest_row.index("</tr>")]


def test_no_call_button_without_consent_to_share_the_phone(referral_app):
    app, db = referral_app
    send(app, db, "2026-03-02T13:55:00+00:00", shared=["name"])
    body = client_for(app, "partner").get("/referrals/").get_data(as_text=True)
    assert "tel:902-555-0199" not in body


def test_accept_offers_an_undo_that_restores_the_previous_state(referral_app):
    app, db = referral_app
    x = send(app, db, "2026-03-02T13:00:00+00:00")
    partner = client_for(app, "partner")
    accepted = partner.post(f"/referrals/{x}/accept", data={"fragment": "row"}, headers=HX)
    row = accepted.get_data(as_text=True)
    assert f'action="/referrals/{x}/undo"' in row and "Undo" in row
    undone = partner.post(f"/referrals/{x}/undo", data={"fragment": "row"}, headers=HX)
    assert 200 == undone.status_code
    assert undone.get_data(as_text=True).lstrip().startswith(f'<tr id="referral-{x}"')
    referral = db["referral"].get(x)
    assert ("received", None) == (referral["status"], referral["accepted_at"])
    assert ["sent", "received", "accepted", "received"] == [e["to_status"] for e in db.query(
        "select to_status from referral_event where referral_id = ? order by id", [x])]
    assert 1 == db["audit_event"].count_where("action = 'referral_undo' and object_id = ?", [x])
    # Undone once: nothing left to undo.
    assert 409 == partner.post(f"/referrals/{x}/undo", data={"fragment": "row"},
                               headers=HX).status_code


def test_undo_needs_csrf_and_only_the_same_user_within_the_seconds(referral_app):
    app, db = referral_app
    x = send(app, db, "2026-03-02T13:00:00+00:00", shared=["name"])
    y = send(app, db, "2026-03-02T13:01:00+00:00", shared=["name"])
    partner = client_for(app, "partner")
    assert 302 == partner.post(f"/referrals/{x}/decline", data={"reason": "no_capacity"}
                               ).status_code
    assert 400 == partner.post(f"/referrals/{x}/undo", csrf=False).status_code
    someone_else = {**user_row(db, PARTNER_ID), "id": "another-partner-user"}
    with app.app_context():
        with pytest.raises(lifecycle.IllegalTransition):
            lifecycle.undo(db, x, user=someone_else, now=NOW)
        lifecycle.transition(db, y, "accept", user=user_row(db, PARTNER_ID), now=NOW)
        with pytest.raises(lifecycle.IllegalTransition):
            lifecycle.undo(db, y, user=user_row(db, PARTNER_ID),
                           now="2026-03-02T14:00:11+00:00")
    assert "declined" == db["referral"].get(x)["status"]
    # An officer cannot undo a partner's answer (the route is the partner's).
    assert 404 == client_for(app, "officer").post(f"/referrals/{x}/undo").status_code
    assert 302 == partner.post(f"/referrals/{x}/undo").status_code
    assert ("received", None) == (db["referral"].get(x)["status"],
                                  db["referral"].get(x)["status_reason"])


def test_the_same_service_gets_the_referral_that_was_reviewed(referral_app):
    app, db = referral_app
    item = referral_item(service_id=SVC_CRISIS)
    page = review(client_for(app, "officer"), item).get_data(as_text=True)
    assert f'name="service_id" value="{SVC_CRISIS}"' in page


def test_the_mental_health_path_of_a_contact_queued_on_the_phone(referral_app):
    """A contact still in the phone's outbox is unknown to the server: ?path=mental_health
    (set by the outbox's save-and-refer) gives the same urgent default and crisis-first list."""
    app, db = referral_app
    officer = client_for(app, "officer")
    page = officer.get("/referrals/new?path=mental_health").get_data(as_text=True)
    assert 'value="urgent" checked' in page
    offered = re.findall(r'name="service_id" value="([^"]+)"', page)
    assert offered[0] in crisis_ids(db)
    # Without the path, the crisis services come last and marked, for offline-app.js to put
    # them first when the kept page opens for a queued mental-health contact.
    page = officer.get("/referrals/new").get_data(as_text=True)
    offered = re.findall(r'name="service_id" value="([^"]+)"', page)
    marked = re.findall(r'data-crisis="1"><input type="radio"[^>]*value="([^"]+)"', page)
    assert marked and offered[-len(marked):] == marked
    assert set(marked) <= crisis_ids(db)
