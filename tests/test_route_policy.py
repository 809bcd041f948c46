"""Every route, walked as every kind of user, against the policy tables in tests/policy/."""

import uuid

import pytest

from tests.conftest import login
from tests.policy import USERS, load_policy

POLICY = load_policy()


def routes(app):
    found = []
    for rule in app.url_map.iter_rules():
        methods = rule.methods - {"HEAD", "OPTIONS"}
        found.append((rule, "GET" if "GET" in methods else sorted(methods)[0]))
    # Logging out ends the walk's session, so it goes last.
    return sorted(found, key=lambda item: item[0].endpoint == "accounts.logout")


def test_every_route_is_in_the_policy(app):
    missing = sorted({rule.endpoint for rule, _ in routes(app)} - POLICY.keys())
    assert [] == missing, "add these endpoints to a table in tests/policy/"


@pytest.mark.parametrize("user", USERS)
def test_no_unexpected_success_for_any_user(app, db, user):
    client = app.test_client()
    if user != "anonymous":
        login(client, user)
    unexpected = []
    for rule, method in routes(app):
        entry = POLICY.get(rule.endpoint)
        if entry is None:
            continue
        args = entry["args"](db) if "args" in entry else {
            name: str(uuid.uuid4()) for name in rule.arguments}
        with app.test_request_context():
            url = app.url_for(rule.endpoint, **args)
        response = client.open(url, method=method)
        allowed = user in entry["roles"]
        status = response.status_code
        if allowed:
            if method == "GET" and status >= 400 and "args" in entry:
                unexpected.append(f"{method} {url}: {status}, expected success for {user}")
            continue
        if user == "anonymous":
            to_login = status == 302 and response.headers["Location"].startswith("/login")
            if not (to_login or (url.startswith("/api/") and status == 401)):
                unexpected.append(f"{method} {url}: {status}, expected the login page")
        elif status != 404:
            unexpected.append(f"{method} {url}: {status}, expected 404 for {user}")
    assert [] == unexpected
