"""Issue 14: referral e-mail that is never lost and never blocks a request.

The e-mail is a row of the referral's own transaction (mail_outbox); `flask referrals send-mail`
and, after a request, a daemon thread send it, retry it with backoff, and give up on it for good
where the coordinators of the referral's police service see it and may send it again.  The SMTP
servers are real aiosmtpd servers on loopback, or a port where nothing listens.
"""

import asyncio
import smtplib
import threading
from datetime import datetime, timedelta

import pytest
from aiosmtpd.controller import Controller

import fieldapp.accounts  # noqa: F401  (blueprint imports must start at accounts)

# isort: split
from fieldapp import clock
from fieldapp.db import connect, get_db, writing
from fieldapp.referrals import mail, outbox, store
from tests.support import NOW, login, make_app
from tests.support.pages import add_other_service_users
from tests.support.referrals import (
    OFFICER_ID,
    PERSONAL,
    SVC_YOUTH,
    Inbox,
    add_services,
    body_of,
    forget_queued_mail,
    form_of,
    free_port,
    referral_item,
    send_mail,
    user_row,
)


@pytest.fixture
def port():
    """A loopback port where no SMTP server listens (yet)."""
    return free_port()


def build(tmp_path, port, **config):
    app = make_app(tmp_path, NOW=NOW, SMTP_HOST="127.0.0.1", SMTP_PORT=port,
                   SMTP_FROM="fieldapp@demo.test", **{"MAIL_SEND_AFTER_REQUEST": False,
                                                      **config})
    db = connect(app.config["DATABASE"])
    add_services(db)
    forget_queued_mail(db)
    return app, db


@pytest.fixture
def down(tmp_path, port):
    """An app whose SMTP server is down; sending happens only when the test runs send-mail."""
    app, db = build(tmp_path, port)
    yield app, db
    db.conn.close()


def start_sink(port, handler=None):
    handler = handler or Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    return handler, controller


def officer_of(app):
    client = app.test_client()
    login(client, "officer")
    return client


def post_form(client, item):
    response = client.post("/referrals/new", data=form_of(item))
    assert 302 == response.status_code, response.get_data(as_text=True)[:300]


def post_sync(client, *items):
    response = client.post("/api/sync", json={"referrals": list(items)})
    assert 200 == response.status_code
    return [result["status"] for result in response.get_json()["results"]["referrals"]]


def outbox_rows(db) -> list[dict]:
    return list(db.query("select * from mail_outbox order by id"))


def later(moment: str, seconds: int = 1) -> str:
    return clock.iso(datetime.fromisoformat(moment) + timedelta(seconds=seconds))


# --- 1. never lost: queued while the server is down, sent once when it is back -----------------


def test_mail_waits_while_the_smtp_server_is_down_then_goes_exactly_once(down, port):
    app, db = down
    officer = officer_of(app)
    by_form, by_sync = referral_item(), referral_item(service_id=SVC_YOUTH, urgency="today")
    post_form(officer, by_form)
    assert ["created"] == post_sync(officer, by_sync)

    assert "0 sent, 2 to retry, 0 failed for good" in send_mail(app)
    rows = outbox_rows(db)
    assert [by_form["id"], by_sync["id"]] == [row["referral_id"] for row in rows]
    assert [("queued", 1, "ConnectionRefusedError")] * 2 == [
        (row["status"], row["attempts"], row["last_error"]) for row in rows]
    assert all(row["next_attempt_at"] > NOW for row in rows)
    send_mail(app)  # not due yet: not tried again
    assert [1, 1] == [row["attempts"] for row in outbox_rows(db)]

    inbox, controller = start_sink(port)
    try:
        app.config["NOW"] = later(max(row["next_attempt_at"] for row in rows))
        assert "2 sent, 0 to retry" in send_mail(app)
        assert "0 sent, 0 to retry" in send_mail(app)  # nothing twice
    finally:
        controller.stop()
    assert [["intake-test@crisis.demo.test"], ["intake@youth-shelter.demo.test"]] == sorted(
        rcpt for rcpt, _ in inbox.messages)
    assert [("sent", 2)] * 2 == [(row["status"], row["attempts"]) for row in outbox_rows(db)]
    assert [app.config["NOW"]] * 2 == [row["mailed_at"] for row in db.query(
        "select mailed_at from referral_link where referral_id in (?, ?)",
        [by_form["id"], by_sync["id"]])]


def test_the_outbox_row_holds_no_personal_details(down):
    app, db = down
    post_form(officer_of(app), referral_item(handoff_note="CANARY-note-51aa"))
    whole = repr(outbox_rows(db))
    for secret in [*PERSONAL, "CANARY-note-51aa"]:
        assert secret not in whole


def test_retries_back_off_exponentially_with_jitter_up_to_a_cap_then_stop(down):
    app, _ = down
    app.config.update(MAIL_MAX_ATTEMPTS=8, MAIL_RETRY_BASE_SECONDS=60,
                      MAIL_RETRY_MAX_SECONDS=1800)
    start = datetime.fromisoformat(NOW)
    with app.app_context():
        for attempts in range(1, 8):
            wait = (datetime.fromisoformat(mail._retry_at(attempts)) - start).total_seconds()
            expected = 60 * 2 ** (attempts - 1)
            assert min(expected, 1800) <= wait <= min(expected * 1.25, 1800) + 1
        assert mail._retry_at(8) is None  # the eighth failure is the last


def test_two_senders_at_once_send_each_mail_once(tmp_path, port):
    app, db = build(tmp_path, port)
    officer = officer_of(app)
    assert ["created"] * 6 == post_sync(officer, *[referral_item() for _ in range(6)])
    inbox, controller = start_sink(port)

    def sender():
        with app.app_context():
            mail.send_due(get_db())

    try:
        threads = [threading.Thread(target=sender) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    finally:
        controller.stop()
    assert 6 == len(inbox.messages)
    assert 6 == len({message["Message-ID"] for _, message in inbox.messages})
    assert ["sent"] * 6 == [row["status"] for row in outbox_rows(db)]
    db.conn.close()


def test_a_sender_that_died_mid_send_leaves_its_row_to_a_later_run(down, port):
    app, db = down
    post_form(officer_of(app), referral_item())
    with app.app_context():  # claimed, then the process died before it could record anything
        assert outbox.claim_next(get_db(), now=NOW, lease_until=later(NOW, 600),
                                 claimer="dead") is not None
    inbox, controller = start_sink(port)
    try:
        assert "0 sent" in send_mail(app)  # another sender's lease: hands off
        app.config["NOW"] = later(NOW, 601)
        assert "1 sent" in send_mail(app)
    finally:
        controller.stop()
    assert 1 == len(inbox.messages)


def test_an_e_mail_that_cannot_be_composed_waits_and_the_others_still_go(down, port,
                                                                          monkeypatch):
    app, db = down
    post_sync(officer_of(app), referral_item(), referral_item(service_id=SVC_YOUTH))
    first = outbox_rows(db)[0]["id"]
    real_compose = mail.compose

    def compose(facts, *args):
        if facts["id"] == first:
            raise ValueError("a bug")
        return real_compose(facts, *args)

    monkeypatch.setattr(mail, "compose", compose)
    inbox, controller = start_sink(port)
    try:
        assert "1 sent, 1 to retry" in send_mail(app)
    finally:
        controller.stop()
    assert [("queued", 1, "ValueError"), ("sent", 1, None)] == [
        (row["status"], row["attempts"], row["last_error"]) for row in outbox_rows(db)]
    assert 1 == len(inbox.messages)


class Refusing(Inbox):
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        return "550 5.1.1 No such mailbox"


def test_a_permanent_refusal_fails_for_good_at_once(down, port):
    app, db = down
    post_form(officer_of(app), referral_item())
    _, controller = start_sink(port, Refusing())
    try:
        assert "0 sent, 0 to retry, 1 failed for good" in send_mail(app)
    finally:
        controller.stop()
    assert [("failed", 1, "SMTPRecipientsRefused 550")] == [
        (row["status"], row["attempts"], row["last_error"]) for row in outbox_rows(db)]


def test_without_an_intake_address_the_mail_fails_for_good_and_retry_uses_the_new_address(
        down, port):
    app, db = down
    db["service"].update(SVC_YOUTH, {"intake_email": None})
    organization = db["service"].get(SVC_YOUTH)["organization_id"]
    db["organization"].update(organization, {"email": None})
    post_form(officer_of(app), referral_item(service_id=SVC_YOUTH))
    assert "1 failed for good" in send_mail(app)
    coordinator = app.test_client()
    login(coordinator, "coordinator")
    assert "The agency has no intake e-mail address." in coordinator.get(
        "/referrals/mail-failures").get_data(as_text=True)
    db["organization"].update(organization, {"email": "fixed@youth.demo.test"})
    mail_id = outbox_rows(db)[0]["id"]
    coordinator.post(f"/referrals/mail-failures/{mail_id}/retry")
    inbox, controller = start_sink(port)
    try:
        assert "1 sent" in send_mail(app)
    finally:
        controller.stop()
    assert [["fixed@youth.demo.test"]] == [rcpt for rcpt, _ in inbox.messages]


# --- 2. a referral rolled back sends nothing ---------------------------------------------------


def test_a_referral_rolled_back_queues_and_sends_no_mail(tmp_path, port):
    app, db = build(tmp_path, port)
    inbox, controller = start_sink(port)
    try:
        with app.test_request_context():  # an exception inside the referral's transaction
            request_db = get_db()
            with pytest.raises(RuntimeError), writing(request_db):
                assert "created" == store.apply_referral(
                    request_db, referral_item(), user_row(request_db, OFFICER_ID),
                    NOW)["status"]
                raise RuntimeError("after the referral, before the commit")

        def fail_after_queueing(_db, mail_id):
            raise RuntimeError("the sync item fails after its e-mail was queued")

        outbox.mail_queued.connect(fail_after_queueing)
        try:  # the sync stores the item in a savepoint: rolled back, answered "invalid"
            assert ["invalid"] == post_sync(officer_of(app), referral_item())
        finally:
            outbox.mail_queued.disconnect(fail_after_queueing)
        assert ["invalid"] == post_sync(officer_of(app), referral_item(consent="maybe"))
        assert "0 sent, 0 to retry, 0 failed for good" in send_mail(app)
    finally:
        controller.stop()
    assert ([], [], 0) == (outbox_rows(db), inbox.messages, db["referral"].count_where(
        "id not like '7e0f0000-%'"))
    db.conn.close()


# --- 3. the request never waits for the SMTP server --------------------------------------------


class Holding(Inbox):
    """A server that keeps the message's DATA waiting until the test lets it go."""

    def __init__(self):
        super().__init__()
        self.entered, self.release, self.done = (threading.Event(), threading.Event(),
                                                 threading.Event())

    async def handle_DATA(self, server, session, envelope):
        self.entered.set()
        await asyncio.get_running_loop().run_in_executor(None, self.release.wait, 10)
        answer = await super().handle_DATA(server, session, envelope)
        self.done.set()
        return answer


def test_the_request_returns_while_the_smtp_conversation_is_still_going(tmp_path, port,
                                                                        monkeypatch):
    app, db = build(tmp_path, port, MAIL_SEND_AFTER_REQUEST=True, SMTP_TIMEOUT=30)
    connecting = []  # which thread opened each SMTP connection
    real_connect = smtplib.SMTP.connect

    def recording_connect(self, *args, **kwargs):
        connecting.append(threading.current_thread().name)
        return real_connect(self, *args, **kwargs)

    monkeypatch.setattr(smtplib.SMTP, "connect", recording_connect)
    officer = officer_of(app)
    inbox, controller = start_sink(port, Holding())
    try:
        for delivered, post in enumerate((
                lambda: post_form(officer, referral_item()),
                lambda: post_sync(officer, referral_item(service_id=SVC_YOUTH)))):
            inbox.entered.clear(), inbox.release.clear(), inbox.done.clear()
            post()  # returns although the server has not answered the DATA yet
            assert not inbox.done.is_set()
            assert inbox.entered.wait(10), "the e-mail went out after the request"
            assert delivered == len(inbox.messages)
            # Mid-conversation, the sender holds no transaction: another writer goes at once.
            with writing(db):
                db.execute("select 1")
            inbox.release.set()
            assert inbox.done.wait(10)
            for thread in threading.enumerate():
                if thread.name == "referral-mail":
                    thread.join(10)
    finally:
        inbox.release.set()
        controller.stop()
    assert 2 == len(inbox.messages)
    assert ["referral-mail", "referral-mail"] == connecting  # never the request's thread
    assert ["sent", "sent"] == [row["status"] for row in outbox_rows(db)]
    assert "Une nouvelle" in body_of(inbox.messages[0][1])  # French too, from the thread
    db.conn.close()


def test_with_send_after_request_off_no_smtp_connection_is_made_until_send_mail(down, port):
    app, db = down
    inbox, controller = start_sink(port)
    try:
        post_form(officer_of(app), referral_item())
        assert [] == inbox.messages
        assert "1 sent" in send_mail(app)
    finally:
        controller.stop()
    assert 1 == len(inbox.messages)


# --- 4. the coordinator sees what failed for good, and sends it again ---------------------------


def fail_for_good(app, db, item) -> int:
    """Post the referral and let every attempt fail (MAIL_MAX_ATTEMPTS=2, the server down)."""
    post_form(officer_of(app), item)
    send_mail(app)
    app.config["NOW"] = later(outbox_rows(db)[-1]["next_attempt_at"])
    assert "1 failed for good" in send_mail(app)
    return outbox_rows(db)[-1]["id"]


def test_mails_failed_for_good_show_to_the_coordinators_of_their_police_service_only(
        tmp_path, port):
    app, db = build(tmp_path, port, MAIL_MAX_ATTEMPTS=2)
    item = referral_item(handoff_note="CANARY-note-2b7e")
    fail_for_good(app, db, item)
    assert ("failed", 2) == (outbox_rows(db)[0]["status"], outbox_rows(db)[0]["attempts"])

    coordinator = app.test_client()
    login(coordinator, "coordinator")
    page = coordinator.get("/referrals/mail-failures")
    text = page.get_data(as_text=True)
    assert 200 == page.status_code
    assert f"/referrals/{item['id']}" in text and "ConnectionRefusedError" in text
    assert "Test Crisis Outreach" in text or "intake-test@crisis.demo.test" in text
    for secret in [*PERSONAL, "CANARY-note-2b7e"]:
        assert secret not in text
    assert "1 e-mail to a partner agency could not be sent" in coordinator.get(
        "/referrals/").get_data(as_text=True)

    add_other_service_users(app)
    rcmp = app.test_client()
    login(rcmp, "rcmp-coordinator@demo.test")
    assert item["id"] not in rcmp.get("/referrals/mail-failures").get_data(as_text=True)
    for who in ("officer", "partner"):
        other = app.test_client()
        login(other, who)
        assert 404 == other.get("/referrals/mail-failures").status_code
    db.conn.close()


def test_retry_requeues_a_failed_mail_once_audited_and_it_is_then_sent(tmp_path, port):
    app, db = build(tmp_path, port, MAIL_MAX_ATTEMPTS=2)
    item = referral_item()
    mail_id = fail_for_good(app, db, item)
    url = f"/referrals/mail-failures/{mail_id}/retry"
    coordinator = app.test_client()
    login(coordinator, "coordinator")
    assert 400 == coordinator.post(url, csrf=False).status_code  # CSRF
    assert 405 == coordinator.get(url).status_code  # reading changes nothing
    add_other_service_users(app)
    rcmp = app.test_client()
    login(rcmp, "rcmp-coordinator@demo.test")
    assert 404 == rcmp.post(url).status_code
    assert "failed" == outbox_rows(db)[0]["status"]

    response = coordinator.post(url)
    assert (302, "/referrals/mail-failures") == (response.status_code,
                                                 response.headers["Location"])
    coordinator.post(url)  # a second click changes nothing
    row = outbox_rows(db)[0]
    assert ("queued", 0, app.config["NOW"]) == (row["status"], row["attempts"],
                                                row["next_attempt_at"])
    assert [item["id"]] == [r["object_id"] for r in db.query(
        "select object_id from audit_event where action = 'referral_mail_retry'")]
    assert item["id"] not in coordinator.get("/referrals/mail-failures").get_data(as_text=True)

    inbox, controller = start_sink(port)
    try:
        assert "1 sent" in send_mail(app)
    finally:
        controller.stop()
    assert 1 == len(inbox.messages)
    db.conn.close()
