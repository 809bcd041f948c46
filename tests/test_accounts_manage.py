"""Coordinators manage accounts; nobody else can."""

import pytest

from fieldapp.accounts import store
from fieldapp.directory.demo import CRISIS_TEAM_ID
from tests.support import EMAILS, login


def test_coordinator_creates_an_account_and_sees_its_one_time_password_once(app, login_as, db):
    coordinator = login_as("coordinator")
    response = coordinator.post("/accounts/users", data={
        "email": "New.Partner@demo.test", "name": "Nia New", "role": "partner",
        "organization_id": CRISIS_TEAM_ID, "language": "fr"})
    assert 201 == response.status_code
    page = response.get_data(as_text=True)
    user = store.get_user_by_email(db, "new.partner@demo.test")
    assert "partner" == user["role"] and CRISIS_TEAM_ID == user["organization_id"]
    password = page.split('class="otp">')[1].split("<")[0]
    assert password not in coordinator.get("/accounts/users").get_data(as_text=True)
    # The new user must choose a password first.
    newcomer = app.test_client()
    first = newcomer.post("/login", data={"email": "new.partner@demo.test", "password": password})
    assert "/account/password" == first.headers["Location"]
    assert 302 == newcomer.get("/referrals/").status_code
    changed = newcomer.post("/account/password", data={
        "current_password": password, "new_password": "my own long passphrase"})
    assert "/referrals/" == changed.headers["Location"]
    assert 1 == db["audit_event"].count_where("action = 'user_created'")


@pytest.mark.parametrize(("fields", "field"), [
    ({"email": "not-an-email", "name": "X", "role": "officer", "police_service": "HRP"}, "email"),
    ({"email": "officer@demo.test", "name": "X", "role": "officer", "police_service": "HRP"},
     "email"),
    ({"email": "a@demo.test", "name": "", "role": "officer", "police_service": "HRP"}, "name"),
    ({"email": "a@demo.test", "name": "X", "role": "admin"}, "role"),
    ({"email": "a@demo.test", "name": "X", "role": "partner"}, "organization_id"),
    ({"email": "a@demo.test", "name": "X", "role": "officer", "police_service": "XYZ"},
     "police_service"),
])
def test_bad_account_fields_get_a_message_and_nothing_is_written(login_as, db, fields, field):
    before = db["user"].count
    response = login_as("coordinator").post("/accounts/users", data=fields)
    assert 400 == response.status_code
    assert f'id="{field}-error"' in response.get_data(as_text=True)
    assert before == db["user"].count


def test_role_change_swaps_the_row_for_htmx_and_ends_sessions(login_as, db):
    officer2 = login_as("officer2")
    coordinator = login_as("coordinator")
    user_id = store.get_user_by_email(db, EMAILS["officer2"])["id"]
    response = coordinator.post(f"/accounts/users/{user_id}/role",
                                data={"role": "coordinator", "police_service": "HRP"},
                                headers={"HX-Request": "true"})
    assert 200 == response.status_code
    body = response.get_data(as_text=True)
    assert body.startswith(f'<tr id="user-{user_id}"')
    assert "coordinator" == store.get_user(db, user_id)["role"]
    assert 302 == officer2.get("/contacts/new").status_code


def test_reenabled_account_can_log_in_again(app, login_as, db):
    coordinator = login_as("coordinator")
    user_id = store.get_user_by_email(db, EMAILS["officer2"])["id"]
    coordinator.post(f"/accounts/users/{user_id}/active", data={"active": "0"})
    coordinator.post(f"/accounts/users/{user_id}/active", data={"active": "1"})
    assert 302 == login(app.test_client(), "officer2").status_code
    actions = [r["action"] for r in db["audit_event"].rows_where("action like 'user_%'")]
    assert ["user_disabled", "user_enabled"] == actions


def test_coordinator_cannot_disable_themself(login_as, db):
    me = store.get_user_by_email(db, EMAILS["coordinator"])["id"]
    response = login_as("coordinator").post(f"/accounts/users/{me}/active", data={"active": "0"})
    assert 400 == response.status_code
    assert 1 == store.get_user(db, me)["active"]


@pytest.mark.parametrize("who", ["officer", "partner"])
def test_officers_and_partners_cannot_reach_account_management(login_as, db, who):
    client = login_as(who)
    target = store.get_user_by_email(db, EMAILS["officer2"])["id"]
    assert 404 == client.get("/accounts/users").status_code
    assert 404 == client.post("/accounts/users", data={"email": "x@demo.test"}).status_code
    assert 404 == client.post(f"/accounts/users/{target}/active",
                              data={"active": "0"}).status_code
    assert 1 == store.get_user(db, target)["active"]


def test_unknown_user_id_is_404(login_as):
    response = login_as("coordinator").post("/accounts/users/nope/active", data={"active": "0"})
    assert 404 == response.status_code


def test_language_preference_is_saved_and_used(login_as, db):
    officer = login_as("officer")
    officer.post("/language", data={"language": "fr", "next": "/contacts/new"})
    assert "fr" == store.get_user_by_email(db, EMAILS["officer"])["language"]
    assert "Se déconnecter" in officer.get("/contacts/new").get_data(as_text=True)


def test_browser_language_picks_french_on_the_login_page(client):
    page = client.get("/login", headers={"Accept-Language": "fr-CA,fr;q=0.9,en;q=0.5"})
    assert '<html lang="fr">' in page.get_data(as_text=True)
    assert "Se connecter" in page.get_data(as_text=True)


def test_new_account_cannot_choose_a_common_password_at_first_login(app, login_as, db):
    coordinator = login_as("coordinator")
    response = coordinator.post("/accounts/users", data={
        "email": "new.officer@demo.test", "name": "Noa New", "role": "officer",
        "police_service": "HRP", "language": "en"})
    password = response.get_data(as_text=True).split('class="otp">')[1].split("<")[0]
    newcomer = app.test_client()
    newcomer.post("/login", data={"email": "new.officer@demo.test", "password": password})
    refused = newcomer.post("/account/password", data={
        "current_password": password, "new_password": "password1234"})
    assert 400 == refused.status_code
    assert 1 == store.get_user_by_email(db, "new.officer@demo.test")["must_change_password"]
