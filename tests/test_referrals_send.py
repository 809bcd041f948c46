"""Sending a referral: one store path for the phone's sync and the form; consent first."""

import json
import re

import pytest

import fieldapp.accounts  # noqa: F401  (blueprint imports must start at accounts)

# isort: split
from fieldapp.directory.demo import CRISIS_TEAM_ID
from fieldapp.referrals import store
from tests.support import NOW
from tests.support.referrals import (
    CANARY,
    OFFICER2_ID,
    OFFICER_ID,
    PARTNER_ID,
    SVC_CRISIS,
    SVC_NO_REFERRALS,
    SVC_YOUTH,
    add_contact,
    add_person,
    add_services,
    crisis_ids,
    form_of,
    referral_item,
    user_row,
)


@pytest.fixture
def services(db):
    """The demo database with the referral tests' services."""
    add_services(db)
    return db


def apply(app, db, item, user_id=OFFICER_ID):
    with app.app_context():
        return store.apply_referral(db, item, user_row(db, user_id), NOW)


def test_a_new_referral_is_sent_with_its_first_event(app, services):
    db = services
    item = referral_item()
    assert {"id": item["id"], "status": "created", "errors": {}} == apply(app, db, item)
    row = db["referral"].get(item["id"])
    assert ("sent", NOW, CRISIS_TEAM_ID, OFFICER_ID, "HRP") == (
        row["status"], row["sent_at"], row["organization_id"], row["officer_id"],
        row["police_service"])
    events = list(db.query("select * from referral_event where referral_id = ?", [item["id"]]))
    assert [(None, "sent", OFFICER_ID)] == [(e["from_status"], e["to_status"], e["user_id"])
                                           for e in events]
    assert 1 == db.execute("select count(*) from audit_event where action = 'referral_sent'"
                           " and object_id = ?", [item["id"]]).fetchone()[0]


def test_the_same_referral_sent_twice_is_stored_once(app, services):
    db = services
    item = referral_item()
    assert "created" == apply(app, db, item)["status"]
    assert "unchanged" == apply(app, db, dict(item))["status"]
    assert 1 == db.execute("select count(*) from referral where id = ?", [item["id"]]).fetchone()[0]
    assert 1 == db.execute("select count(*) from referral_event where referral_id = ?",
                           [item["id"]]).fetchone()[0]
    assert 1 == db.execute("select count(*) from referral_link where referral_id = ?",
                           [item["id"]]).fetchone()[0]


def test_the_same_id_with_a_different_payload_is_a_conflict_and_writes_nothing(app, services):
    db = services
    item = referral_item()
    apply(app, db, item)
    result = apply(app, db, {**item, "urgency": "this_week"})
    assert "conflict" == result["status"]
    assert "urgent" == db["referral"].get(item["id"])["urgency"]
    # Another officer replaying someone else's id learns nothing and changes nothing.
    assert "conflict" == apply(app, db, item, user_id=OFFICER2_ID)["status"]


@pytest.mark.parametrize(("overrides", "field"), [
    ({"consent": None}, "consent"),
    ({"consent": "maybe"}, "consent"),
    ({"consent": "not_obtainable"}, "consent_reason"),
    ({"service_id": SVC_NO_REFERRALS}, "service_id"),
    ({"service_id": "5e0c0000-0000-4000-8000-00000000ffff"}, "service_id"),
    ({"service_id": None}, "service_id"),
    ({"urgency": "soon"}, "urgency"),
    ({"shared": ["name", "address"]}, "shared"),
    ({"consent": "none"}, "shared"),  # information only: nothing personal may be shared
    ({"handoff_note": "x" * 1001}, "handoff_note"),
    ({"person_name": None}, "person_name"),
    ({"person_phone": "call me"}, "person_phone"),
    ({"contact_id": "c0000000-0000-4000-8000-000000000000"}, "contact_id"),
    ({"person_id": "b0000000-0000-4000-8000-000000000000"}, "person_id"),
    ({"id": "not-a-uuid"}, "id"),
])
def test_an_invalid_referral_is_refused_whole(app, services, overrides, field):
    db = services
    item = referral_item(**overrides)
    result = apply(app, db, item)
    assert "invalid" == result["status"]
    assert field in result["errors"]
    assert 0 == db.execute("select count(*) from referral").fetchone()[0] - _demo_count(db)
    assert 0 == db.execute("select count(*) from referral_link where referral_id = ?",
                           [item["id"]]).fetchone()[0]


def _demo_count(db):
    return db.execute("select count(*) from referral where id like '7e0f0000-%'").fetchone()[0]


def test_an_officer_cannot_refer_from_another_officers_contact_or_a_person_of_another_service(
        app, services):
    db = services
    their_contact = add_contact(db, officer_id=OFFICER2_ID)
    other_person = add_person(db, created_by=OFFICER2_ID, police_service="RCMP")
    result = apply(app, db, referral_item(contact_id=their_contact, person_id=other_person))
    assert {"contact_id", "person_id"} <= result["errors"].keys()
    mine = add_contact(db)
    person = add_person(db)
    assert "created" == apply(app, db, referral_item(contact_id=mine, person_id=person))["status"]


def test_an_information_only_referral_stores_no_personal_details(app, services):
    db = services
    item = referral_item(consent="none", shared=[], preferred_contact="evenings")
    assert "created" == apply(app, db, item)["status"]
    row = db["referral"].get(item["id"])
    assert (None, None, None, None, None, "[]") == (
        row["person_name"], row["person_phone"], row["person_birth_year"], row["handoff_note"],
        row["preferred_contact"], row["shared"])


def test_only_consented_fields_are_copied_for_the_partner(app, services):
    db = services
    person = add_person(db, alias="Alias From Record")
    item = referral_item(shared=["name"], person_id=person, person_name=None,
                         person_phone="902-555-0199", handoff_note="not shared")
    assert "created" == apply(app, db, item)["status"]
    row = db["referral"].get(item["id"])
    assert ("Alias From Record", None, None, ["name"]) == (
        row["person_name"], row["person_phone"], row["handoff_note"], json.loads(row["shared"]))


def test_a_partner_cannot_send_a_referral(app, services):
    db = services
    assert "user" in apply(app, db, referral_item(), user_id=PARTNER_ID)["errors"]


# --- the form: same path ------------------------------------------------------------------


def test_the_form_sends_through_the_same_path_and_shows_the_warm_call(login_as, services):
    officer = login_as("officer")
    item = referral_item(service_id=SVC_CRISIS)
    response = officer.post("/referrals/new", data=form_of(item))
    assert 302 == response.status_code
    assert f"/referrals/{item['id']}" == response.headers["Location"]
    page = officer.get(response.headers["Location"]).get_data(as_text=True)
    assert "Call the intake line; ask for the on-call clinician." in page
    assert 'href="tel:902-555-0100"' in page
    # Submitting the same form again (a double tap) stores it once.
    assert 302 == officer.post("/referrals/new", data=form_of(item)).status_code
    assert 1 == services.execute("select count(*) from referral where id = ?",
                                 [item["id"]]).fetchone()[0]


def test_the_form_refuses_a_referral_without_a_consent_basis_with_400(login_as, services):
    officer = login_as("officer")
    item = referral_item(consent=None)
    response = officer.post("/referrals/new", data=form_of(item))
    assert 400 == response.status_code
    assert "Record the consent basis." in response.get_data(as_text=True)
    assert services["referral"].count == _demo_count(services)


def test_the_form_page_offers_crisis_services_first_for_a_mental_health_contact(
        login_as, services):
    contact = add_contact(services, kind="mental_health")
    page = login_as("officer").get(f"/referrals/new?contact_id={contact}").get_data(as_text=True)
    offered = re.findall(r'name="service_id" value="([^"]+)"', page)
    crisis = crisis_ids(services)
    assert offered and offered[0] in crisis
    first_other = next(i for i, sid in enumerate(offered) if sid not in crisis)
    assert all(sid in crisis for sid in offered[:first_other])
    assert SVC_NO_REFERRALS not in offered  # does not accept referrals


def test_the_form_page_with_a_service_id_shows_that_service(login_as, services):
    page = login_as("officer").get(f"/referrals/new?service_id={SVC_YOUTH}").get_data(
        as_text=True)
    assert "Test Youth Beds" in page
    assert f'name="service_id" value="{SVC_YOUTH}"' in page


def test_the_service_search_fragment_lists_services_that_accept_referrals(login_as, services):
    response = login_as("officer").get("/referrals/services?q=youth",
                                       headers={"HX-Request": "true"})
    body = response.get_data(as_text=True)
    assert 200 == response.status_code
    assert "Test Youth Beds" in body and "Test Drop-in" not in body
    assert "<html" not in body


def test_form_ignores_a_person_the_officer_cannot_see(login_as, services):
    person = add_person(services, alias="Hidden Person", created_by=OFFICER2_ID,
                        police_service="RCMP")
    page = login_as("officer").get(f"/referrals/new?person_id={person}").get_data(as_text=True)
    assert "Hidden Person" not in page


def test_canary_of_contact_note_never_reaches_the_referral(app, services):
    contact = add_contact(services, note=CANARY)
    item = referral_item(contact_id=contact)
    assert "created" == apply(app, services, item)["status"]
    assert CANARY not in json.dumps(services["referral"].get(item["id"]))


def test_an_undone_contact_cannot_start_a_referral(login_as, services):
    contact = add_contact(services)
    services.execute("update contact set deleted_at = '2026-01-01T00:00:00+00:00' where id = ?",
                     [contact])
    item = referral_item(contact_id=contact)
    response = login_as("officer").post("/referrals/new", data=form_of(item))
    assert 400 == response.status_code
    assert 0 == services["referral"].count_where("id = ?", [item["id"]])
