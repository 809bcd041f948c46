"""Every route, walked as every kind of user, against the policy tables in tests/policy/."""

import uuid

import pytest

from tests.policy import OTHER_SERVICE_USERS, USERS, load_policy
from tests.support import login
from tests.support.pages import add_other_service_users, routes

POLICY = load_policy()


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


def object_cases() -> list:
    return [pytest.param(endpoint, case, id=f"{endpoint}: {case['why']}")
            for endpoint, entry in sorted(POLICY.items())
            for case in entry.get("objects", [])]


@pytest.mark.parametrize("endpoint, case", object_cases())
def test_object_level_rules_for_every_user(app, db, endpoint, case):
    """Who may open this object: its "roles" succeed, everyone else gets 404 (or the login)."""
    add_other_service_users(app)
    rule = next(r for r, _ in routes(app) if r.endpoint == endpoint)
    method = "GET" if "GET" in rule.methods else sorted(rule.methods - {"HEAD", "OPTIONS"})[0]
    args = case["args"](db)
    db.conn.commit()
    with app.test_request_context():
        url = app.url_for(endpoint, **args)
    unexpected = []
    for user in [*USERS, *OTHER_SERVICE_USERS]:
        client = app.test_client()
        if user != "anonymous":
            login(client, OTHER_SERVICE_USERS.get(user, (user,))[0])
        status = client.open(url, method=method).status_code
        if user in case["roles"]:
            if method == "GET" and status >= 400:
                unexpected.append(f"{user}: {status}, expected success")
        elif user == "anonymous":
            if status not in (302, 401):
                unexpected.append(f"anonymous: {status}, expected the login page")
        elif status != 404:
            unexpected.append(f"{user}: {status}, expected 404")
    assert [] == unexpected
