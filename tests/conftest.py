"""Shared fixtures: an app on a fresh copy of the demo database, clients per role, a live
server and real headless Chromium for browser tests.  Helpers (make_app, login, ...) live in
the tests/support package."""

import pytest
from aiosmtpd.controller import Controller

from fieldapp.db import connect
from tests.support import (  # noqa: F401  (re-exported for tests that import them from here)
    CHROMIUM_ARGS,
    DEMO_PASSWORD,
    EMAILS,
    NOW,
    PHONE,
    SCREENSHOTS,
    CsrfClient,
    LiveServer,
    axe_violations,
    browser_login,
    login,
    make_app,
    screenshot,
    selects,
)
from tests.support.referrals import Inbox, add_services, clear_demo_referrals, free_port
from tests.support.reports import REPORT_NOW, load


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


@pytest.fixture
def login_as(app):
    """login_as('officer') -> a new client logged in as that demo user."""

    def _login_as(who: str):
        new_client = app.test_client()
        login(new_client, who)
        return new_client

    return _login_as


@pytest.fixture
def frozen(tmp_path):
    """The app on a fresh demo database with its clock frozen at NOW (a Monday, 10:00 in
    Halifax).  A module may extend it by defining its own `frozen(frozen)`."""
    return make_app(tmp_path, NOW=NOW)


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
def referral_app(frozen):
    """(app, db): the `frozen` app with the referral tests' services and no demo referrals."""
    db = connect(frozen.config["DATABASE"])
    add_services(db)
    clear_demo_referrals(db)
    yield frozen, db
    db.conn.close()


@pytest.fixture
def report_app(tmp_path):
    """An app at REPORT_NOW on the board report tests' hand-built dataset
    (tests/support/reports.py: load)."""
    app = make_app(tmp_path, NOW=REPORT_NOW)
    load(app.config["DATABASE"])
    return app


@pytest.fixture
def coordinator(report_app):
    """A coordinator's client of `report_app`."""
    client = report_app.test_client()
    login(client, "coordinator")
    return client


@pytest.fixture
def smtp():
    """(inbox, port): a real SMTP server on loopback (aiosmtpd) keeping what it receives."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield inbox, controller.port
    controller.stop()


@pytest.fixture
def query_log(request):
    """The SQL statements the test's app runs while the test is going (cleared on entry): the
    `referral_app` or `frozen` app when the test uses one, else `app`."""
    if "referral_app" in request.fixturenames:
        app = request.getfixturevalue("referral_app")[0]
    elif "frozen" in request.fixturenames:
        app = request.getfixturevalue("frozen")
    else:
        app = request.getfixturevalue("app")
    log: list[str] = []
    app.extensions["fieldapp.query_log"] = log
    yield log
    app.extensions.pop("fieldapp.query_log", None)


# --- live server and browser ------------------------------------------------------------------


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
