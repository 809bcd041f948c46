"""Who reads what about a person (security review, issue 20, items 3 and 4).

An officer reads their own contacts and referrals in full; other officers' contacts with the
same person reach them only as a summary ("n contacts by the team, last on <date>") beside the
person's alias, year of birth and populations.  Notes and consent records stay with their
author and the coordinators of the same police service.  A coordinator sees only their own
police service's people, contacts and sync conflicts; anything else is a 404.
"""

import json
import uuid

import pytest

from fieldapp.accounts import store as accounts_store
from fieldapp.contacts import demo
from tests.support import DEMO_PASSWORD, NOW, login
from tests.support.contacts import contact_form

OCCURRED = "2026-03-02T13:30:00+00:00"
CRISIS_TEAM_ID = "6f1c2d3e-5a4b-4c8d-9e0f-000000000001"
RCMP_USERS = {"rcmp_officer": ("rcmp-officer@demo.test", "officer"),
              "rcmp_coordinator": ("rcmp-coordinator@demo.test", "coordinator")}

# What the walk plants, each a text that appears only where its field is shown.
ALIAS = "Walk Person (demo)"
BIRTH = "Born 1971"
OFFICER_NOTE = "Walk note by officer (demo)"
OFFICER2_NOTE = "Walk note by officer2 (demo)"
CONSENT_REASON = "Walk consent reason (demo)"
PHONE = "902-555-0148"
CONFLICT_NOTE = "Walk conflict note (demo)"
RCMP_CONFLICT_NOTE = "RCMP conflict note (demo)"


@pytest.fixture
def frozen(frozen):
    """conftest's `frozen` app, with an RCMP officer and coordinator."""
    app = frozen
    with app.app_context():
        from fieldapp.db import get_db

        for email, role in RCMP_USERS.values():
            accounts_store.create_user(
                get_db(), {"email": email, "name": f"RCMP {role} (demo)", "role": role,
                           "police_service": "RCMP", "organization_id": None, "language": "en"},
                DEMO_PASSWORD, hash_method=app.config["PASSWORD_HASH_METHOD"], now=NOW)
    return app


def client_of(app, who: str):
    client = app.test_client()
    if who != "anonymous":
        login(client, RCMP_USERS.get(who, (who,))[0])
    return client


def db_of(app):
    from fieldapp.db import connect

    return connect(app.config["DATABASE"])


def sync_contact(client, **fields) -> dict:
    item = {"id": str(uuid.uuid4()), "occurred_at": OCCURRED, "place_text": "Walk park (demo)",
            "kind": "wellness_check", "populations": [], "outcome": "information_given",
            "is_group": 0, **fields}
    response = client.post("/api/sync", json={"contacts": [item]})
    assert "created" == response.get_json()["results"]["contacts"][0]["status"]
    return item


def conflict_from(client, note: str) -> str:
    """A contact a phone sends twice with different notes: the second is a sync conflict."""
    item = sync_contact(client, note="first version (demo)")
    answer = client.post("/api/sync", json={"contacts": [{**item, "note": note}]}).get_json()
    assert "conflict" == answer["results"]["contacts"][0]["status"]
    return item["id"]


# --- item 3: a search and one contact do not open another officer's history --------------------


def test_searching_and_naming_a_person_does_not_open_other_officers_notes_or_consents(frozen):
    db = db_of(frozen)
    db["referral"].insert({
        "id": str(uuid.uuid4()), "person_id": demo.PERSON_JD, "service_id": "svc-demo",
        "organization_id": CRISIS_TEAM_ID, "officer_id": demo.OFFICER_ID,
        "police_service": "HRP", "status": "accepted", "consent": "not_obtainable",
        "consent_reason": CONSENT_REASON, "urgency": "today", "shared": json.dumps([]),
        "created_at": OCCURRED})
    db.conn.commit()
    officer2 = client_of(frozen, "officer2")
    found = officer2.post("/contacts/people/search", data={"q": "J.D."}).get_data(as_text=True)
    assert demo.PERSON_JD in found
    form = contact_form(person_id=demo.PERSON_JD, note=OFFICER2_NOTE)
    assert 303 == officer2.post("/contacts/new", data=form).status_code

    page = officer2.get(f"/contacts/people/{demo.PERSON_JD}").get_data(as_text=True)
    assert "J.D. (demo)" in page and OFFICER2_NOTE not in page  # notes are on the detail page
    assert "3 contacts by the team, last on" in page and "1 referral by the team" in page
    assert CONSENT_REASON not in page and "Crisis team came within 20 minutes." not in page
    officer_contacts = [demo.CONTACT_IDS[k] for k in ("c01", "c02", "c03")]
    assert [] == [c for c in officer_contacts if c in page]
    assert f"/contacts/{form['id']}" in page  # officer2's own contact, in full
    for contact_id in officer_contacts:
        assert 404 == officer2.get(f"/contacts/{contact_id}").status_code
    listing = officer2.get("/contacts/", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert [] == [c for c in officer_contacts if c in listing]

    assert 303 == officer2.post(f"/contacts/{form['id']}/undo").status_code
    assert 404 == officer2.get(f"/contacts/people/{demo.PERSON_JD}").status_code


def test_the_author_and_the_coordinator_read_every_note_and_consent_record(frozen):
    db = db_of(frozen)
    db["referral"].insert({
        "id": str(uuid.uuid4()), "person_id": demo.PERSON_MK, "service_id": "svc-demo",
        "organization_id": CRISIS_TEAM_ID, "officer_id": demo.OFFICER_ID,
        "police_service": "HRP", "status": "sent", "consent": "not_obtainable",
        "consent_reason": CONSENT_REASON, "urgency": "today", "shared": json.dumps([]),
        "created_at": OCCURRED})
    db.conn.commit()
    author = client_of(frozen, "officer").get(f"/contacts/people/{demo.PERSON_MK}")
    assert CONSENT_REASON in author.get_data(as_text=True)
    assert "1 contact by the team" in author.get_data(as_text=True)  # officer2's c06
    coordinator = client_of(frozen, "coordinator").get(f"/contacts/people/{demo.PERSON_MK}")
    page = coordinator.get_data(as_text=True)
    assert CONSENT_REASON in page and "by the team" not in page
    assert demo.CONTACT_IDS["c05"] in page and demo.CONTACT_IDS["c06"] in page


def test_the_team_summary_is_in_french_for_a_french_officer(frozen):
    officer2 = client_of(frozen, "officer2")
    officer2.post("/language", data={"language": "fr"})
    page = officer2.get(f"/contacts/people/{demo.PERSON_MK}").get_data(as_text=True)
    assert "1 contact de l’équipe, le dernier le" in page
    assert "restent à l’agent qui les a saisis" in page


def test_an_officers_sync_answer_never_carries_another_officers_record(frozen):
    officer = client_of(frozen, "officer")
    mine = sync_contact(officer, note=OFFICER_NOTE, person_id=demo.PERSON_MK)
    officer2 = client_of(frozen, "officer2")
    answer = officer2.post("/api/sync", json={"contacts": [{**mine, "note": "other"}]})
    assert "conflict" == answer.get_json()["results"]["contacts"][0]["status"]
    assert OFFICER_NOTE not in answer.get_data(as_text=True)


# --- item 4: coordinators stay within their own police service ---------------------------------


def test_a_coordinator_reads_and_resolves_only_their_own_police_services_conflicts(frozen):
    hrp_conflict = conflict_from(client_of(frozen, "officer"), CONFLICT_NOTE)
    rcmp_conflict = conflict_from(client_of(frozen, "rcmp_officer"), RCMP_CONFLICT_NOTE)
    db = db_of(frozen)
    hrp_row, rcmp_row = (db.execute("select id from sync_conflict where item_id = ?",
                                    [item_id]).fetchone()[0]
                         for item_id in (hrp_conflict, rcmp_conflict))

    hrp = client_of(frozen, "coordinator")
    page = hrp.get("/sync/conflicts").get_data(as_text=True)
    assert f"/sync/conflicts/{hrp_row}" in page and f"/sync/conflicts/{rcmp_row}" not in page
    assert CONFLICT_NOTE in hrp.get(f"/sync/conflicts/{hrp_row}").get_data(as_text=True)
    assert 404 == hrp.get(f"/sync/conflicts/{rcmp_row}").status_code
    assert 404 == hrp.post(f"/sync/conflicts/{rcmp_row}/resolve",
                           data={"choice": "stored"}).status_code
    assert db_of(frozen)["sync_conflict"].get(rcmp_row)["resolved_at"] is None

    rcmp = client_of(frozen, "rcmp_coordinator")
    page = rcmp.get("/sync/conflicts").get_data(as_text=True)
    assert f"/sync/conflicts/{rcmp_row}" in page and f"/sync/conflicts/{hrp_row}" not in page
    assert 303 == rcmp.post(f"/sync/conflicts/{rcmp_row}/resolve",
                            data={"choice": "stored"}).status_code
    assert db_of(frozen)["sync_conflict"].get(rcmp_row)["resolved_at"]


def test_a_coordinator_of_another_police_service_gets_404_for_people_and_contacts(frozen):
    rcmp = client_of(frozen, "rcmp_coordinator")
    assert 404 == rcmp.get(f"/contacts/people/{demo.PERSON_JD}").status_code
    assert 404 == rcmp.get(f"/contacts/{demo.CONTACT_IDS['c01']}").status_code
    assert 404 == rcmp.post(f"/contacts/people/{demo.PERSON_RT}/merge",
                            data={"into_id": demo.PERSON_JD}).status_code
    listing = rcmp.get("/contacts/").get_data(as_text=True)
    assert "J.D. (demo)" not in listing and demo.CONTACT_IDS["c01"] not in listing
    found = rcmp.post("/contacts/people/search", data={"q": "demo"}).get_data(as_text=True)
    assert "J.D. (demo)" not in found and "Nobody found" in found
    assert "J.D. (demo)" not in rcmp.get("/reports/calls").get_data(as_text=True)


# --- every personal field, as every role ---------------------------------------------------------

ROLES = ["officer", "officer2", "coordinator", "rcmp_officer", "rcmp_coordinator", "partner",
         "partner2", "anonymous"]
# field -> the roles that may read it in any output of the walk (person page, contact pages,
# contact list and its htmx fragment, people search, sync conflicts, the referral's page).
# The phone and name given with consent to the crisis team show only on the referral's page.
VISIBLE = {
    ALIAS: {"officer", "officer2", "coordinator", "partner"},
    BIRTH: {"officer", "officer2", "coordinator"},
    OFFICER_NOTE: {"officer", "coordinator"},
    OFFICER2_NOTE: {"officer2", "coordinator"},
    CONSENT_REASON: {"officer", "coordinator"},
    PHONE: {"officer", "coordinator", "partner"},
    # A conflict's phone version: the officer whose phone sent it and their coordinators.
    CONFLICT_NOTE: {"officer", "coordinator"},
    RCMP_CONFLICT_NOTE: {"rcmp_officer", "rcmp_coordinator"},
}


@pytest.fixture
def walk(frozen):
    """A person of officer's (HRP) with a note, a consent record, a phone given to a partner, a
    contact by officer2 with a note of its own, and one sync conflict in each police service."""
    officer, officer2 = client_of(frozen, "officer"), client_of(frozen, "officer2")
    person = {"id": str(uuid.uuid4()), "alias": ALIAS, "birth_year": 1971, "flags": [],
              "created_at": OCCURRED}
    answer = officer.post("/api/sync", json={"people": [person]}).get_json()
    assert "created" == answer["results"]["people"][0]["status"]
    mine = sync_contact(officer, person_id=person["id"], note=OFFICER_NOTE)
    theirs = sync_contact(officer2, person_id=person["id"], note=OFFICER2_NOTE)
    db = db_of(frozen)
    referral_id = str(uuid.uuid4())
    service_id = db.execute("select id from service where organization_id = ? limit 1",
                            [CRISIS_TEAM_ID]).fetchone()[0]
    db["referral"].insert({
        "id": referral_id, "person_id": person["id"], "contact_id": mine["id"],
        "service_id": service_id, "organization_id": CRISIS_TEAM_ID,
        "officer_id": demo.OFFICER_ID, "police_service": "HRP", "status": "sent",
        "consent": "not_obtainable", "consent_reason": CONSENT_REASON, "urgency": "today",
        "shared": json.dumps(["name", "phone"]), "person_name": ALIAS, "person_phone": PHONE,
        "sent_at": OCCURRED, "created_at": OCCURRED})
    db.conn.commit()
    conflict_items = [conflict_from(officer, CONFLICT_NOTE),
                      conflict_from(client_of(frozen, "rcmp_officer"), RCMP_CONFLICT_NOTE)]
    conflicts = [db.execute("select id from sync_conflict where item_id = ?",
                            [item_id]).fetchone()[0] for item_id in conflict_items]
    return {"person": person["id"], "contacts": [mine["id"], theirs["id"]],
            "referral": referral_id, "conflicts": conflicts}


@pytest.mark.parametrize("role", ROLES)
def test_every_personal_field_as_every_role(frozen, walk, role):
    client = client_of(frozen, role)
    outputs = [("GET", f"/contacts/people/{walk['person']}", {}),
               *[("GET", f"/contacts/{c}", {}) for c in walk["contacts"]],
               ("GET", "/contacts/", {}), ("GET", "/contacts/?kind=wellness_check", {}),
               ("POST", "/contacts/people/search", {"q": "Walk"}),
               ("GET", "/sync/conflicts", {}), ("GET", f"/referrals/{walk['referral']}", {}),
               *[("GET", f"/sync/conflicts/{c}", {}) for c in walk["conflicts"]]]
    seen = ""
    for method, url, data in outputs:
        for headers in ({}, {"HX-Request": "true"}):
            response = client.open(url, method=method, data=data, headers=headers)
            seen += response.get_data(as_text=True)
    shown = {field for field in VISIBLE if field in seen}
    assert {field for field, roles in VISIBLE.items() if role in roles} == shown
