"""Shared fixtures: an app on a fresh SQLite file with demo data, clients per role, a live
server and real headless Chromium for browser tests."""

import hashlib
import os
import re
import threading
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer
from werkzeug.serving import make_server

from fieldapp import clock, create_app, demo
from fieldapp.db import connect

DEMO_PASSWORD = "correct horse battery staple"
EMAILS = {
    "officer": "officer@demo.test",
    "officer2": "officer2@demo.test",
    "partner": "partner@demo.test",  # the mobile crisis team
    "partner2": "partner2@demo.test",
    "coordinator": "coordinator@demo.test",
}
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 2}
SCREENSHOTS = Path(__file__).parent / "screenshots"


class CsrfClient(FlaskClient):
    """A test client that sends a valid CSRF token with every state-changing request,
    unless called with csrf=False (to test that such requests are refused)."""

    def open(self, *args, csrf: bool = True, **kwargs):
        method = (kwargs.get("method") or "GET").upper()
        if csrf and method not in ("GET", "HEAD", "OPTIONS"):
            headers = dict(kwargs.pop("headers", None) or {})
            headers.setdefault("X-CSRFToken", self.csrf_token())
            kwargs["headers"] = headers
        return super().open(*args, **kwargs)

    def csrf_token(self) -> str:
        """The signed token Flask-WTF expects, seeded into this client's session."""
        with self.session_transaction() as session:
            raw = session.get("csrf_token")
            if raw is None:
                raw = session["csrf_token"] = hashlib.sha1(os.urandom(64)).hexdigest()
        serializer = URLSafeTimedSerializer(self.application.secret_key, salt="wtf-csrf-token")
        return serializer.dumps(raw)


def make_app(tmp_path: Path, **config):
    app = create_app({
        "TESTING": True,
        "DATABASE": str(tmp_path / "test.db"),
        "SECRET_KEY": "test-secret-key-not-for-production",
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",  # fast hashes in tests; production: 600,000
        "DEMO_PASSWORD": DEMO_PASSWORD,
        **config,
    })
    app.test_client_class = CsrfClient
    with app.app_context():
        from fieldapp.db import get_db

        demo.load(get_db(), app.config, clock.iso())
    return app


@pytest.fixture
def app(tmp_path):
    """The app on a fresh database holding the demo data."""
    return make_app(tmp_path)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def db(app):
    """A direct connection to the test database, for arranging and checking data."""
    database = connect(app.config["DATABASE"])
    yield database
    database.conn.close()


def login(client, who: str, password: str = DEMO_PASSWORD):
    """Log `client` in as a demo user ('officer', 'partner', 'coordinator', ...)."""
    email = EMAILS.get(who, who)
    response = client.post("/login", data={"email": email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response


@pytest.fixture
def login_as(app):
    """login_as('officer') -> a new client logged in as that demo user."""

    def _login_as(who: str):
        new_client = app.test_client()
        login(new_client, who)
        return new_client

    return _login_as


# For test modules that define their own `frozen` app (a clock of their choosing):


@pytest.fixture
def officer(frozen):
    """A client logged in as the demo officer on the module's `frozen` app."""
    client = frozen.test_client()
    login(client, "officer")
    return client


@pytest.fixture
def frozen_db(frozen):
    """A direct connection to the module's `frozen` app's database."""
    database = connect(frozen.config["DATABASE"])
    yield database
    database.conn.close()


@pytest.fixture
def query_log(app):
    """The SQL statements the app runs while the test is going (cleared on entry)."""
    log: list[str] = []
    app.extensions["fieldapp.query_log"] = log
    yield log
    app.extensions.pop("fieldapp.query_log", None)


def selects(log: list[str]) -> list[str]:
    return [sql for sql in log if re.match(r"\s*(select|with)\b", sql, re.I)]


# --- live server and browser ------------------------------------------------------------------


class LiveServer:
    def __init__(self, app):
        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def db(self):
        return connect(self.app.config["DATABASE"])


@pytest.fixture
def live_server(tmp_path):
    """The app served on 127.0.0.1 (a secure context, so service workers register)."""
    server = LiveServer(make_app(tmp_path))
    server.thread.start()
    yield server
    server.server.shutdown()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": "/usr/bin/chromium",
            "args": CHROMIUM_ARGS}


@pytest.fixture
def phone(browser):
    """A fresh phone-sized browser context (390x844, touch)."""
    context = browser.new_context(**PHONE)
    yield context
    context.close()


def browser_login(page, base_url: str, who: str, password: str = DEMO_PASSWORD):
    page.goto(f"{base_url}/login")
    page.fill("#email", EMAILS.get(who, who))
    page.fill("#password", password)
    page.click("button[type=submit].primary")


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def axe_violations(page) -> list[dict]:
    """Run axe-core on the page, loading it from our own origin (the CSP blocks inline
    injection).  Returns [{id, impact, nodes}] for each violation."""
    origin = page.evaluate("location.origin")
    page.add_script_tag(url=f"{origin}/static/vendor/axe.min.js")
    return page.evaluate(
        "axe.run().then(r => r.violations.map(v => ({id: v.id, impact: v.impact, "
        "nodes: v.nodes.map(n => n.target.join(' '))})))"
    )


def save_a_contact(page, base_url: str) -> None:
    """Log one quick contact on the officer's form (the install hint's moment: issue 15)."""
    from fieldapp.contacts import demo

    page.goto(f"{base_url}/contacts/new")
    for name, value in (("place_id", demo.PLACE_DROPIN), ("kind", "wellness_check"),
                        ("outcome", "information_given")):
        page.locator(f"label.chip:has(input[name={name}][value='{value}'])").click()
    page.locator(".contacts-save button").click()
    page.wait_for_url(f"{base_url}/contacts/*-*")
