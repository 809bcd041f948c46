"""The partner inbox, the officer's live status, the coordinator's view: each within scope."""

import re

import fieldapp.accounts  # noqa: F401  (blueprint imports must start at accounts)

# isort: split
from fieldapp.referrals import lifecycle, store
from tests.support import NOW, selects
from tests.support.referrals import (
    CANARY,
    OFFICER_ID,
    PARTNER_ID,
    SVC_ALT_CRISIS,
    SVC_CRISIS,
    SVC_YOUTH,
    add_contact,
    client_for,
    referral_item,
    user_row,
)

HX = {"HX-Request": "true"}
Y_NAME = "Yvonne OtherAgency"
Y_NOTE = "CANARY-other-agency-note-91c2"


def send(app, db, user_id=OFFICER_ID, now=NOW, **overrides):
    item = referral_item(**overrides)
    with app.app_context():
        assert "created" == store.apply_referral(db, item, user_row(db, user_id), now)["status"]
    return item["id"]


def two_agencies(app, db):
    """A referral to the crisis team (X, partner) and one to the youth shelter (Y, partner2)."""
    contact = add_contact(db, note=CANARY)
    x = send(app, db, contact_id=contact, consent="not_obtainable",
             consent_reason="CANARY-consent-reason-55ad")
    y = send(app, db, service_id=SVC_YOUTH, person_name=Y_NAME, handoff_note=Y_NOTE)
    return x, y


def test_partner_of_one_agency_never_sees_another_agencys_referrals(referral_app):
    app, db = referral_app
    x, y = two_agencies(app, db)
    partner = client_for(app, "partner")
    link_y = db.execute("select id from referral_link where referral_id = ?", [y]).fetchone()[0]
    with app.test_request_context():
        from fieldapp.referrals import mail
        token_y = mail.make_token(link_y)
    seen = [
        partner.get("/referrals/"), partner.get("/referrals/", headers=HX),
        partner.get("/referrals/?status=sent"), partner.get("/referrals/?status=unanswered",
                                                            headers=HX),
        partner.post("/referrals/search", data={"q": Y_NAME}, headers=HX),
        partner.post("/referrals/search", data={"q": "OtherAgency"}),
        partner.post("/referrals/search", data={"q": ""}, headers=HX),
        partner.post("/referrals/search", data={"q": y[:8]}, headers=HX),
        partner.get("/referrals/export.csv"),
        partner.get(f"/referrals/{x}"), partner.get(f"/referrals/{x}/status", headers=HX),
        partner.post(f"/referrals/{x}/accept", data={"fragment": "row"}, headers=HX),
    ]
    for response in seen:
        assert response.status_code < 400
        body = response.get_data(as_text=True)
        assert y not in body and Y_NOTE not in body
        assert Y_NAME not in body.replace(f'value="{Y_NAME}"', "")
    assert x in seen[0].get_data(as_text=True)
    assert x in seen[8].get_data(as_text=True)
    # Guessing ids: every route answers 404, and nothing changes.
    for response in [
        partner.get(f"/referrals/{y}"), partner.get(f"/referrals/{y}/status", headers=HX),
        partner.post(f"/referrals/{y}/accept", data={"fragment": "row"}, headers=HX),
        partner.post(f"/referrals/{y}/decline", data={"reason": "duplicate"}),
        partner.get(f"/referrals/link/{token_y}"),
    ]:
        assert 404 == response.status_code
    assert "sent" == db["referral"].get(y)["status"]
    assert db["referral_link"].get(link_y)["used_at"] is None


def test_partner_pages_contain_none_of_the_officers_notes(referral_app):
    app, db = referral_app
    x, _ = two_agencies(app, db)
    partner = client_for(app, "partner")
    pages = [partner.get(f"/referrals/{x}"), partner.get("/referrals/"),
             partner.get(f"/referrals/{x}/status", headers=HX),
             partner.post(f"/referrals/{x}/accept", data={"fragment": "status"}, headers=HX),
             partner.get("/referrals/export.csv")]
    officer = client_for(app, "officer")
    assert 302 == officer.post(f"/referrals/{x}/withdraw",
                               data={"note": "CANARY-withdraw-note-0b7e"}).status_code
    pages.append(partner.get(f"/referrals/{x}"))
    for response in pages:
        body = response.get_data(as_text=True)
        assert CANARY not in body
        assert "CANARY-consent-reason-55ad" not in body
        assert "CANARY-withdraw-note-0b7e" not in body
    # The hand-off note, written for the partner, is there.
    assert "Prefers afternoons; hand-off for the partner." in pages[0].get_data(as_text=True)


def test_mark_received_is_a_post_the_page_offers_and_counts_once(referral_app):
    app, db = referral_app
    x = send(app, db)
    partner = client_for(app, "partner")
    page = partner.get(f"/referrals/{x}").get_data(as_text=True)
    assert "Mark received" in page and f'action="/referrals/{x}/receive"' in page
    assert 302 == partner.post(f"/referrals/{x}/receive").status_code
    assert 409 == partner.post(f"/referrals/{x}/receive").status_code
    assert ("received", NOW) == (db["referral"].get(x)["status"], db["referral"].get(x)[
        "received_at"])
    assert ["sent", "received"] == [e["to_status"] for e in db.query(
        "select to_status from referral_event where referral_id = ? order by id", [x])]


def test_partner_inbox_lists_new_first_with_urgency_and_the_unanswered_count(referral_app):
    app, db = referral_app
    old = send(app, db, urgency="this_week", now="2026-03-02T12:00:00+00:00")
    answered = send(app, db, urgency="today", now="2026-03-02T13:00:00+00:00")
    new = send(app, db, urgency="urgent", now="2026-03-02T13:30:00+00:00")
    with app.app_context():
        lifecycle.transition(db, answered, "accept", user=user_row(db, PARTNER_ID), now=NOW)
    body = client_for(app, "partner").get("/referrals/").get_data(as_text=True)
    assert body.index(new) < body.index(old) < body.index(answered)
    assert "2 referrals not yet answered" in body
    assert "Urgent" in body


def test_accept_in_one_tap_swaps_the_row(referral_app):
    app, db = referral_app
    x = send(app, db)
    response = client_for(app, "partner").post(f"/referrals/{x}/accept",
                                               data={"fragment": "row"}, headers=HX)
    body = response.get_data(as_text=True)
    assert 200 == response.status_code
    assert body.lstrip().startswith(f'<tr id="referral-{x}"')
    assert "accepted" == db["referral"].get(x)["status"]
    # Accepting from "sent" records the receipt first: both steps are in the history.
    assert ["sent", "received", "accepted"] == [e["to_status"] for e in db.query(
        "select to_status from referral_event where referral_id = ? order by id", [x])]


def test_decline_needs_a_reason_and_records_it(referral_app):
    app, db = referral_app
    x = send(app, db)
    partner = client_for(app, "partner")
    refused = partner.post(f"/referrals/{x}/decline", data={"fragment": "row"}, headers=HX)
    assert 400 == refused.status_code
    assert "Choose a reason." in refused.get_data(as_text=True)
    assert 200 == partner.post(f"/referrals/{x}/decline",
                               data={"fragment": "row", "reason": "no_capacity"},
                               headers=HX).status_code
    assert ("declined", "no_capacity") == (db["referral"].get(x)["status"],
                                           db["referral"].get(x)["status_reason"])


def test_an_illegal_transition_answers_409_with_a_clear_message(referral_app):
    app, db = referral_app
    x = send(app, db)
    partner = client_for(app, "partner")
    partner.post(f"/referrals/{x}/accept")
    response = partner.post(f"/referrals/{x}/accept")
    assert 409 == response.status_code
    assert "This referral is accepted: it cannot be accepted now." in response.get_data(
        as_text=True)
    response = partner.post(f"/referrals/{x}/close", data={"reason": "completed",
                                                            "fragment": "status"}, headers=HX)
    assert 409 == response.status_code
    assert 'id="referral-status"' in response.get_data(as_text=True)


def test_partner_records_the_follow_up_to_the_outcome(referral_app):
    app, db = referral_app
    x = send(app, db)
    partner = client_for(app, "partner")
    for action, data in [("accept", {}), ("attempt_contact", {}), ("connect", {}),
                         ("close", {"reason": "completed"})]:
        assert 302 == partner.post(f"/referrals/{x}/{action}", data=data).status_code
    row = db["referral"].get(x)
    assert ("closed", "completed") == (row["status"], row["outcome"])


def test_officer_sees_live_status_with_a_receipt_line_in_local_time(referral_app):
    app, db = referral_app
    x = send(app, db, now="2026-03-02T13:52:00+00:00")
    with app.app_context():
        partner = user_row(db, PARTNER_ID)
        lifecycle.transition(db, x, "receive", user=partner, now="2026-03-02T13:55:00+00:00")
        lifecycle.transition(db, x, "accept", user=partner, now="2026-03-02T13:57:00+00:00")
    officer = client_for(app, "officer")
    page = officer.get("/referrals/").get_data(as_text=True)
    text = re.sub(r"<[^>]+>", "", page)
    assert "sent 09:52 · received 09:55 · accepted 09:57" in " ".join(text.split())
    assert 'hx-trigger="every 15s"' in page
    fragment = officer.get("/referrals/", headers=HX).get_data(as_text=True)
    assert fragment.lstrip().startswith('<section id="my-referrals"')
    status = officer.get(f"/referrals/{x}/status", headers=HX).get_data(as_text=True)
    assert "accepted" in status and 'hx-trigger="every 15s"' in status


def test_other_officer_gets_404_for_my_referral(referral_app):
    app, db = referral_app
    x = send(app, db)
    officer2 = client_for(app, "officer2")
    assert 404 == officer2.get(f"/referrals/{x}").status_code
    assert 404 == officer2.post(f"/referrals/{x}/withdraw", data={"note": "no"}).status_code
    assert x not in officer2.get("/referrals/").get_data(as_text=True)


def test_officer_withdraws_with_a_reason_before_connection_only(referral_app):
    app, db = referral_app
    x = send(app, db)
    officer = client_for(app, "officer")
    assert 400 == officer.post(f"/referrals/{x}/withdraw", data={"note": ""}).status_code
    assert 302 == officer.post(f"/referrals/{x}/withdraw",
                               data={"note": "person went to hospital"}).status_code
    assert ("closed", "withdrawn") == (db["referral"].get(x)["status"],
                                       db["referral"].get(x)["outcome"])
    connected = send(app, db)
    with app.app_context():
        partner = user_row(db, PARTNER_ID)
        lifecycle.transition(db, connected, "accept", user=partner, now=NOW)
        lifecycle.transition(db, connected, "connect", user=partner, now=NOW)
    assert 409 == officer.post(f"/referrals/{connected}/withdraw",
                               data={"note": "too late"}).status_code


def test_an_officer_cannot_take_partner_actions(referral_app):
    app, db = referral_app
    x = send(app, db)
    assert 404 == client_for(app, "officer").post(f"/referrals/{x}/accept").status_code


def test_coordinator_sees_all_referrals_of_the_service_with_filters_and_response_times(
        referral_app):
    app, db = referral_app
    x, y = two_agencies(app, db)
    with app.app_context():
        lifecycle.transition(db, x, "accept", user=user_row(db, PARTNER_ID),
                             now="2026-03-02T14:10:00+00:00")
    coordinator = client_for(app, "coordinator")
    page = coordinator.get("/referrals/").get_data(as_text=True)
    assert x in page and y in page
    assert "Response times per partner" in page
    filtered = coordinator.get("/referrals/?status=accepted").get_data(as_text=True)
    assert x in filtered and y not in filtered
    with app.app_context():
        times = {t["organization_id"]: t for t in store.response_times(db, "HRP")}
    crisis = db["referral"].get(x)["organization_id"]
    assert (1, 10) == (times[crisis]["answered"], times[crisis]["median_answer_minutes"])
    assert 200 == coordinator.get(f"/referrals/{x}").status_code


def test_coordinator_reassigns_a_referral_declined_for_capacity(referral_app):
    app, db = referral_app
    x = send(app, db)
    partner = client_for(app, "partner")
    partner.post(f"/referrals/{x}/decline", data={"reason": "no_capacity"})
    coordinator = client_for(app, "coordinator")
    page = coordinator.get(f"/referrals/{x}").get_data(as_text=True)
    assert "Reassign to another service" in page and SVC_ALT_CRISIS in page
    response = coordinator.post(f"/referrals/{x}/reassign", data={"service_id": SVC_ALT_CRISIS})
    assert 302 == response.status_code
    new_id = response.headers["Location"].rsplit("/", 1)[1]
    new = db["referral"].get(new_id)
    assert (x, SVC_ALT_CRISIS, OFFICER_ID, "sent") == (
        new["replaces_referral_id"], new["service_id"], new["officer_id"], new["status"])
    assert new["person_name"] == db["referral"].get(x)["person_name"]
    # Only a capacity decline can be reassigned.
    assert 409 == coordinator.post(f"/referrals/{new_id}/reassign",
                                   data={"service_id": SVC_CRISIS}).status_code


def test_partner_inbox_settings_choose_acceptance_from_the_e_mail(referral_app):
    app, db = referral_app
    partner = client_for(app, "partner")
    assert 302 == partner.post("/referrals/settings", data={"accept_from_email": "1"}).status_code
    with app.app_context():
        assert 1 == store.org_setting(db, user_row(db, PARTNER_ID)["organization_id"])[
            "accept_from_email"]


def test_inbox_and_officer_list_run_the_same_number_of_queries_for_3_or_30_referrals(
        referral_app, query_log):
    app, db = referral_app
    partner, officer = client_for(app, "partner"), client_for(app, "officer")
    counts = []
    for total in (3, 30):
        while db["referral"].count < total:
            send(app, db)
        for client in (partner, officer):
            query_log.clear()
            assert 200 == client.get("/referrals/", headers=HX).status_code
            counts.append(len(selects(query_log)))
    assert counts[:2] == counts[2:]


def test_the_inbox_and_a_referral_speak_french(referral_app):
    app, db = referral_app
    x = send(app, db)
    db.execute("update user set language = 'fr' where id = ?", [PARTNER_ID])
    partner = client_for(app, "partner")
    inbox = partner.get("/referrals/").get_data(as_text=True)
    assert "Orientations vers votre organisme" in inbox
    assert "1 orientation sans réponse" in inbox
    page = partner.get(f"/referrals/{x}").get_data(as_text=True)
    assert "Orientation de l’équipe communautaire" in page and "Accepter" in page
