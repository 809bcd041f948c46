"""Helpers of the tests that walk every route and page against the policy tables in
tests/policy/."""

from fieldapp.accounts import store as accounts_store
from tests.policy import OTHER_SERVICE_USERS, load_policy
from tests.support import DEMO_PASSWORD

POLICY = load_policy()
# Who reads the pages in the walks (the policy tables' roles, and no one logged in).
PAGE_USERS = ("officer", "coordinator", "partner", "partner2", "anonymous")


def routes(app):
    found = []
    for rule in app.url_map.iter_rules():
        methods = rule.methods - {"HEAD", "OPTIONS"}
        found.append((rule, "GET" if "GET" in methods else sorted(methods)[0]))
    # Logging out ends the walk's session, so it goes last.
    return sorted(found, key=lambda item: item[0].endpoint == "accounts.logout")


def get_pages(app, db):
    """(url, roles allowed) for every GET route of the policy table that can be built (with
    the args of the policy table)."""
    for rule, method in routes(app):
        entry = POLICY.get(rule.endpoint)
        if method != "GET" or entry is None or rule.endpoint == "static":
            continue
        if rule.arguments and "args" not in entry:
            continue
        args = entry["args"](db) if "args" in entry else {}
        with app.test_request_context():
            yield app.url_for(rule.endpoint, **args), entry["roles"]


def pages(app, db):
    """(url, user) for every GET page and every user allowed to see it."""
    for url, roles in get_pages(app, db):
        for user in PAGE_USERS:
            if user.rstrip("2") in roles:
                yield url, user


def html_pages(app, db):
    """(url, allowed user) for every GET page: the first allowed of the usual users."""
    pages = []
    for url, roles in get_pages(app, db):
        user = next((u for u in ("officer", "coordinator", "partner", "anonymous")
                     if u in roles), None)
        if user:
            pages.append((url, user))
    return pages


def add_other_service_users(app) -> None:
    with app.app_context():
        from fieldapp.db import get_db

        for email, role, police_service in OTHER_SERVICE_USERS.values():
            accounts_store.create_user(
                get_db(), {"email": email, "name": f"{police_service} {role} (demo)",
                           "role": role, "police_service": police_service,
                           "organization_id": None, "language": "en"},
                DEMO_PASSWORD, hash_method=app.config["PASSWORD_HASH_METHOD"],
                now="2026-01-01T00:00:00+00:00")
