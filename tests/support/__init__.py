"""Helpers of the tests (no tests, no fixtures: those live in tests/conftest.py).

`make_app` builds the demo database once per process for each clock and configuration, then
gives every test its own copy (sqlite3's backup API: about 10 ms, where loading the demo costs
0.2–1.2 s)."""

import atexit
import hashlib
import os
import re
import shutil
import sqlite3
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer
from werkzeug.serving import make_server

from fieldapp import clock, create_app, demo
from fieldapp.db import connect, get_db

# The tests' frozen clock: 10:00 in Halifax on a Monday (the `frozen` fixture's NOW).
NOW = "2026-03-02T14:00:00+00:00"

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
SCREENSHOTS = Path(__file__).parent.parent / "screenshots"


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


BASE_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret-key-not-for-production",
    "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",  # fast hashes in tests; production: 600,000
    "DEMO_PASSWORD": DEMO_PASSWORD,
}
# Settings that only change how the app answers, never what the demo loaders write: apps that
# differ only in these share one built demo database.
NOT_IN_DEMO_DATA = {"PROPAGATE_EXCEPTIONS", "PREFERRED_URL_SCHEME", "HEALTH_MIN_FREE_MB",
                    "PWA_BACKOFF_BASE_MS", "DIRECTORY_RESULTS_CACHE", "PUBLIC_DIRECTORY_API"}

_built: dict[tuple, Path] = {}
_build_folder: Path | None = None


def make_app(tmp_path: Path, **config):
    """The app on tmp_path/test.db holding the demo data (loaded at config NOW, if given)."""
    database = Path(tmp_path) / "test.db"
    shared = database.exists()  # a second app of the same test, on the first one's database
    if not shared:
        copy_database(demo_database(config), database)
    app = create_app({**BASE_CONFIG, "DATABASE": str(database), **config})
    app.test_client_class = CsrfClient
    if shared:  # load the demo into it (idempotent), keeping what the test arranged there
        with app.app_context():
            demo.load(get_db(), app.config, clock.iso())
    return app


def demo_database(config: dict) -> Path:
    """A demo database built for `config`, once per process (the template every test copies)."""
    key = tuple(sorted((name, repr(value)) for name, value in config.items()
                       if name not in NOT_IN_DEMO_DATA))
    if not config.get("NOW"):
        # The demo is loaded at the real time: build it again each hour, so that no test sees
        # demo data from another day than its own.
        key += (("built", datetime.now(UTC).strftime("%Y-%m-%dT%H")),)
    if key not in _built:
        global _build_folder
        if _build_folder is None:
            _build_folder = Path(tempfile.mkdtemp(prefix="fieldapp-demo-"))
            atexit.register(shutil.rmtree, _build_folder, True)
        path = _build_folder / f"demo-{len(_built)}.db"
        app = create_app({**BASE_CONFIG, "DATABASE": str(path), **config})
        with app.app_context():
            demo.load(get_db(), app.config, clock.iso())
        keeper = app.extensions.pop("fieldapp.db_keeper")
        keeper.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        keeper.conn.close()
        _built[key] = path
    return _built[key]


def copy_database(source: Path, target: Path) -> None:
    """Copy a database with sqlite3's online backup API."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    src.close()
    dst.close()


def login(client, who: str, password: str = DEMO_PASSWORD):
    """Log `client` in as a demo user ('officer', 'partner', 'coordinator', ...)."""
    email = EMAILS.get(who, who)
    response = client.post("/login", data={"email": email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response


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
    script = page.evaluate("location.origin") + "/static/vendor/axe.min.js"
    # A phone just put back online can fail its first request (the service worker's network
    # comes back a moment after the page's): wait until the script can be fetched.
    fetched = f"fetch('{script}', {{cache: 'no-store'}}).then(r => r.ok, () => false)"
    deadline = time.monotonic() + 10
    while not page.evaluate(fetched):
        assert time.monotonic() < deadline, f"{script} could not be fetched for 10 s"
        page.wait_for_timeout(100)
    page.add_script_tag(url=script)
    return page.evaluate(
        "axe.run().then(r => r.violations.map(v => ({id: v.id, impact: v.impact, "
        "nodes: v.nodes.map(n => n.target.join(' '))})))"
    )
