"""Login, logout, sessions and lockout."""

from datetime import UTC, datetime, timedelta

import pytest

from fieldapp.accounts import store
from tests.conftest import DEMO_PASSWORD, EMAILS, login


@pytest.mark.parametrize(
    ("who", "home"),
    [("officer", "/contacts/new"), ("partner", "/referrals/"), ("coordinator", "/directory/")],
)
def test_each_role_lands_on_its_home(client, who, home):
    response = login(client, who)
    assert home == response.headers["Location"]
    assert 200 == client.get(home).status_code


def test_bad_password_is_refused_with_a_message(client):
    response = client.post("/login", data={"email": EMAILS["officer"], "password": "wrong"})
    assert 401 == response.status_code
    assert "do not match" in response.get_data(as_text=True)


def test_login_without_csrf_token_is_refused_and_logs_nobody_in(client):
    response = client.post("/login", data={"email": EMAILS["officer"], "password": DEMO_PASSWORD},
                           csrf=False)
    assert 400 == response.status_code
    assert 302 == client.get("/contacts/new").status_code


def test_session_cookie_replayed_after_logout_gives_no_access(app, client):
    login(client, "officer")
    stolen = client.get_cookie("fieldapp_session").value
    assert 302 == client.post("/logout").status_code
    thief = app.test_client()
    thief.set_cookie("fieldapp_session", stolen)
    response = thief.get("/contacts/new")
    assert 302 == response.status_code
    assert response.headers["Location"].startswith("/login")


def test_sixth_failure_locks_that_account_but_not_another(client, app, db):
    for _ in range(5):
        assert 401 == client.post(
            "/login", data={"email": EMAILS["officer"], "password": "nope-nope-nope"}
        ).status_code
    locked = client.post("/login", data={"email": EMAILS["officer"], "password": DEMO_PASSWORD})
    assert 429 == locked.status_code
    assert "locked" in locked.get_data(as_text=True)
    other = app.test_client()
    assert 302 == login(other, "officer2").status_code
    assert db["audit_event"].count_where("action = 'login_locked'") == 1


def test_lock_ends_after_the_window(app, client, db):
    long_ago = (datetime.now(UTC) - timedelta(minutes=16)).isoformat(timespec="seconds")
    for _ in range(6):
        store.record_failure(db, EMAILS["officer"], long_ago)
    assert 302 == login(client, "officer").status_code


def test_disabling_a_user_kills_their_live_session(app, client, login_as, db):
    officer = login_as("officer")
    assert 200 == officer.get("/contacts/new").status_code
    coordinator = login_as("coordinator")
    officer_id = store.get_user_by_email(db, EMAILS["officer"])["id"]
    response = coordinator.post(f"/accounts/users/{officer_id}/active", data={"active": "0"})
    assert 302 == response.status_code
    assert 302 == officer.get("/contacts/new").status_code
    assert 401 == client.post(
        "/login", data={"email": EMAILS["officer"], "password": DEMO_PASSWORD}
    ).status_code


def test_password_change_ends_other_sessions(app, login_as):
    laptop = login_as("officer")
    phone = login_as("officer")
    new_password = "a much longer passphrase for the phone"
    response = phone.post("/account/password", data={
        "current_password": DEMO_PASSWORD, "new_password": new_password})
    assert 302 == response.status_code
    assert 200 == phone.get("/contacts/new").status_code
    assert 302 == laptop.get("/contacts/new").status_code


@pytest.mark.parametrize(("password", "ok"), [("short", False), ("x" * 11, False),
                                                ("x" * 12, True), ("y" * 80, True)])
def test_password_rules_are_length_only(login_as, password, ok):
    officer = login_as("officer")
    response = officer.post("/account/password", data={
        "current_password": DEMO_PASSWORD, "new_password": password})
    assert (302 if ok else 400) == response.status_code


def test_idle_timeout_ends_the_session(app, client, db):
    login(client, "officer")
    stale = (datetime.now(UTC) - timedelta(minutes=31)).isoformat(timespec="seconds")
    db.execute("update user_session set last_seen_at = ?", [stale])
    assert 302 == client.get("/contacts/new").status_code


def test_absolute_timeout_ends_the_session(app, client, db):
    login(client, "officer")
    start = (datetime.now(UTC) - timedelta(hours=12, minutes=1)).isoformat(timespec="seconds")
    db.execute("update user_session set created_at = ?", [start])
    assert 302 == client.get("/contacts/new").status_code


def test_expired_session_on_htmx_request_answers_hx_redirect(client):
    response = client.get("/contacts/new", headers={"HX-Request": "true"})
    assert "/login" == response.headers["HX-Redirect"]
    assert 401 == response.status_code


def test_login_follows_only_local_next(client):
    response = client.post("/login", data={"email": EMAILS["officer"], "password": DEMO_PASSWORD,
                                           "next": "https://evil.example/"})
    assert "/contacts/new" == response.headers["Location"]


def test_login_events_are_audited_without_passwords(client, db):
    client.post("/login", data={"email": EMAILS["officer"], "password": "wrong-password-x"})
    login(client, "officer")
    client.post("/logout")
    actions = [row["action"] for row in db["audit_event"].rows_where(
        "action in ('login_failed', 'login', 'logout')", order_by="id")]
    assert ["login_failed", "login", "logout"] == actions
    dump = "".join(str(row) for row in db["audit_event"].rows)
    assert "wrong-password-x" not in dump and DEMO_PASSWORD not in dump


def test_default_password_hash_meets_owasp_guidance():
    from fieldapp import config

    method, _, iterations = config.PASSWORD_HASH_METHOD.split(":")
    assert "pbkdf2" == method and int(iterations) >= 600_000
