"""The e-mail of a new referral, received by a real SMTP server on loopback (aiosmtpd).

The store queues it; `flask referrals send-mail` sends it (the thread that sends after a request
is off here, so that every test says when mail goes: see test_referrals_outbox.py for it)."""


import pytest

import fieldapp.accounts  # noqa: F401  (blueprint imports must start at accounts)

# isort: split
from fieldapp.db import connect
from fieldapp.referrals import store
from tests.support import NOW, login, make_app
from tests.support.referrals import (
    CANARY,
    OFFICER_ID,
    PERSONAL,
    SVC_CRISIS,
    SVC_YOUTH,
    add_contact,
    add_services,
    body_of,
    forget_queued_mail,
    link_path,
    referral_item,
    send_mail,
    user_row,
)


@pytest.fixture
def mailing(tmp_path, smtp):
    inbox, port = smtp
    app = make_app(tmp_path, NOW=NOW, SMTP_HOST="127.0.0.1", SMTP_PORT=port,
                   SMTP_FROM="fieldapp@demo.test", MAIL_SEND_AFTER_REQUEST=False)
    db = connect(app.config["DATABASE"])
    add_services(db)
    forget_queued_mail(db)
    yield app, db, inbox
    db.conn.close()


def send(app, db, item):
    """Store a referral as the form and the sync do, then run the sender."""
    with app.test_request_context():
        result = store.apply_referral(db, item, user_row(db, OFFICER_ID), NOW)
    send_mail(app)
    return result


def test_each_new_referral_sends_exactly_one_message_and_a_replay_sends_none(mailing):
    app, db, inbox = mailing
    item = referral_item()
    send(app, db, item)
    assert 1 == len(inbox.messages)
    send(app, db, dict(item))  # the phone replays it
    assert 1 == len(inbox.messages)
    send(app, db, referral_item(service_id=SVC_YOUTH, urgency="today"))
    assert 2 == len(inbox.messages)
    recipients = [rcpt for rcpt, _ in inbox.messages]
    # The service's intake address, else the organization's.
    assert [["intake-test@crisis.demo.test"], ["intake@youth-shelter.demo.test"]] == recipients
    first, second = (message for _, message in inbox.messages)
    assert "A new urgent referral from the community team." in body_of(first)
    assert "A new referral from the community team." in body_of(second)
    assert "Une nouvelle" in body_of(first)  # French too


def test_the_message_leaks_no_personal_details_and_no_note(mailing):
    app, db, inbox = mailing
    contact = add_contact(db, note=CANARY)
    send(app, db, referral_item(contact_id=contact, consent="not_obtainable",
                                consent_reason="CANARY-reason-0c1d"))
    _, message = inbox.messages[0]
    whole = message.as_string()
    for secret in [*PERSONAL, CANARY, "CANARY-reason-0c1d", "Test Crisis Outreach"]:
        assert secret not in whole


def test_the_link_opens_the_referral_once_after_login(mailing):
    app, db, inbox = mailing
    item = referral_item()
    send(app, db, item)
    path = link_path(inbox.messages[0][1])
    anonymous = app.test_client()
    response = anonymous.get(path)
    assert 302 == response.status_code and response.headers["Location"].startswith("/login")
    partner = app.test_client()
    login(partner, "partner")
    page = partner.get(path)
    assert 200 == page.status_code and "Open this referral" in page.get_data(as_text=True)
    assert "sent" == db["referral"].get(item["id"])["status"]  # reading used nothing
    opened = partner.post(path)
    assert (302, f"/referrals/{item['id']}") == (opened.status_code, opened.headers["Location"])
    assert "received" == db["referral"].get(item["id"])["status"]
    for again in (partner.post(path), partner.get(path)):
        assert 410 == again.status_code
        assert "already been used" in again.get_data(as_text=True)


def test_the_link_expires(mailing):
    app, db, inbox = mailing
    send(app, db, referral_item())
    path = link_path(inbox.messages[0][1])
    app.config["NOW"] = "2026-03-05T14:00:01+00:00"  # 72 hours and a second later
    partner = app.test_client()
    login(partner, "partner")
    for response in (partner.get(path), partner.post(path)):
        assert 410 == response.status_code
        assert "expired" in response.get_data(as_text=True)


def test_a_tampered_or_foreign_link_is_404_and_stays_unused(mailing):
    app, db, inbox = mailing
    item = referral_item()
    send(app, db, item)
    path = link_path(inbox.messages[0][1])
    partner2 = app.test_client()
    login(partner2, "partner2")
    assert 404 == partner2.get(path).status_code  # another agency's link
    assert 404 == partner2.post(path).status_code
    partner = app.test_client()
    login(partner, "partner")
    assert 404 == partner.get(path[:-3] + "abc").status_code
    assert 404 == partner.post(path[:-3] + "abc").status_code
    assert db.execute("select used_at from referral_link where referral_id = ?",
                      [item["id"]]).fetchone()[0] is None


def test_the_link_accepts_directly_when_the_agency_chose_so(mailing):
    app, db, inbox = mailing
    item = referral_item(service_id=SVC_CRISIS)
    send(app, db, item)
    partner = app.test_client()
    login(partner, "partner")
    partner.post("/referrals/settings", data={"accept_from_email": "1"})
    path = link_path(inbox.messages[0][1])
    assert "Accept this referral" in partner.get(path).get_data(as_text=True)
    assert "sent" == db["referral"].get(item["id"])["status"]
    partner.post(path, data={"accept": "1"})
    assert "accepted" == db["referral"].get(item["id"])["status"]


def test_without_smtp_host_no_mail_is_sent_and_the_referral_still_goes(tmp_path, smtp, caplog):
    inbox, _ = smtp
    app = make_app(tmp_path, NOW=NOW)
    db = connect(app.config["DATABASE"])
    add_services(db)
    item = referral_item()
    with caplog.at_level("INFO"):
        assert "created" == send(app, db, item)["status"]
    assert [] == inbox.messages
    assert "SMTP_HOST is empty" in caplog.text
    # The e-mail waits in the outbox, untried, for a server to be configured.
    assert [("queued", 0)] == [(row["status"], row["attempts"]) for row in db.query(
        "select * from mail_outbox where referral_id = ?", [item["id"]])]
    db.conn.close()


def test_a_referral_synced_from_the_phone_sends_one_message_after_the_batch_commits(mailing):
    app, db, inbox = mailing
    officer = app.test_client()
    login(officer, "officer")
    item = referral_item()
    statuses = []
    for _ in range(2):  # the outbox replays the same batch
        response = officer.post("/api/sync", json={"referrals": [item]})
        assert 200 == response.status_code
        statuses.append(response.get_json()["results"]["referrals"][0]["status"])
        send_mail(app)
    assert ["created", "unchanged"] == statuses
    assert 1 == len(inbox.messages)
    assert [NOW] == [row["mailed_at"] for row in db["referral_link"].rows_where(
        "referral_id = ?", [item["id"]])]
