"""Security headers and CSRF on every response and state change."""

import pytest

from fieldapp.accounts import store
from tests.policy import load_policy
from tests.support import EMAILS, make_app
from tests.support.pages import html_pages

POLICY = load_policy()


def test_every_html_response_has_a_strict_csp(app, db, login_as):
    clients = {"anonymous": app.test_client()}
    checked = 0
    for url, user in html_pages(app, db):
        if user not in clients:
            clients[user] = login_as(user)
        response = clients[user].get(url)
        if not response.mimetype == "text/html":
            continue
        csp = response.headers["Content-Security-Policy"]
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, url
        for directive in ("default-src 'self'", "script-src 'self'", "style-src 'self'",
                          "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'",
                          "form-action 'self'"):
            assert directive in csp, (url, directive)
        assert "nosniff" == response.headers["X-Content-Type-Options"]
        assert "same-origin" == response.headers["Referrer-Policy"]
        body = response.get_data(as_text=True)
        assert " style=" not in body, f"inline style in {url}"
        assert "<script>" not in body and " onclick=" not in body, f"inline script in {url}"
        checked += 1
    assert checked >= 5


def test_error_pages_carry_the_csp_too(client):
    response = client.get("/no-such-page")
    assert 404 == response.status_code
    assert "Content-Security-Policy" in response.headers


def test_authenticated_pages_are_not_stored(login_as):
    response = login_as("officer").get("/contacts/new")
    assert "no-store" in response.headers["Cache-Control"]


def test_session_cookie_is_httponly_and_lax(client):
    response = client.post("/login", data={"email": EMAILS["officer"],
                                           "password": "correct horse battery staple"})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_https_deployment_marks_cookies_secure(tmp_path):
    app = make_app(tmp_path, PREFERRED_URL_SCHEME="https")
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_request_body_size_is_limited(app):
    assert app.config["MAX_CONTENT_LENGTH"] <= 50 * 1024 * 1024


def test_state_change_without_csrf_token_is_refused_and_changes_nothing(login_as, db):
    coordinator = login_as("coordinator")
    officer_id = store.get_user_by_email(db, EMAILS["officer2"])["id"]
    response = coordinator.post(f"/accounts/users/{officer_id}/active", data={"active": "0"},
                                csrf=False)
    assert 400 == response.status_code
    assert "expired" in response.get_data(as_text=True)
    assert 1 == store.get_user(db, officer_id)["active"]
    created = coordinator.post("/accounts/users", csrf=False, data={
        "email": "new@demo.test", "name": "New", "role": "officer", "police_service": "HRP"})
    assert 400 == created.status_code
    assert store.get_user_by_email(db, "new@demo.test") is None


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_every_unsafe_method_needs_the_token(login_as, method):
    officer = login_as("officer")
    response = getattr(officer, method)("/logout", csrf=False)
    assert response.status_code in (400, 405)


def test_denied_scoped_objects_are_audited(login_as, db):
    officer = login_as("officer")
    assert 404 == officer.get("/accounts/users").status_code
    row = db.execute("select action, outcome, object_id from audit_event "
                     "where action = 'access_denied'").fetchone()
    assert ("access_denied", "404", "accounts.users") == row
