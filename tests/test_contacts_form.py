"""Logging a quick contact: the form, the one write path, validation, idempotency."""

import json
import re
import uuid

import pytest

from fieldapp import audit
from fieldapp.contacts import demo, people, store
from tests.support import NOW
from tests.support.contacts import OFFICER, contact_form, count, login_client


def test_form_page_carries_a_fresh_client_uuid(login_as):
    html = login_as("officer").get("/contacts/new").get_data(as_text=True)
    contact_id = re.search(r'name="id" value="([^"]+)"', html).group(1)
    assert str(uuid.UUID(contact_id)) == contact_id


def test_officer_logs_a_contact_and_sees_what_was_stored(frozen):
    client = login_client(frozen)
    form = contact_form(note="Checked in.")
    response = client.post("/contacts/new", data=form)
    assert 303 == response.status_code
    assert f"/contacts/{form['id']}" == response.headers["Location"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Wellness check" in page and "Central Library steps (demo)" in page
    assert "Undo" in page and "Edit" in page
    with frozen.app_context():
        from fieldapp.db import get_db

        db = get_db()
        row = db["contact"].get(form["id"])
        assert (demo.OFFICER_ID, "HRP", "2026-03-02T13:30:00+00:00") == (
            row["officer_id"], row["police_service"], row["occurred_at"])
        pops = [r["population"] for r in db["contact_population"].rows_where(
            "contact_id = ?", [form["id"]])]
        assert ["senior_65_plus"] == pops
        assert ["contact_created"] == [e["action"] for e in audit.events(db, "contact_created")]


def test_same_form_submitted_twice_is_stored_once(frozen):
    client = login_client(frozen)
    form = contact_form()
    first = client.post("/contacts/new", data=form)
    second = client.post("/contacts/new", data=form)
    assert (303, 303) == (first.status_code, second.status_code)
    with frozen.app_context():
        from fieldapp.db import get_db

        db = get_db()
        assert 1 == db.execute("select count(*) from contact where id = ?",
                               [form["id"]]).fetchone()[0]
        assert 1 == len(audit.events(db, "contact_created"))


def test_client_uuid_twice_stores_once_and_a_different_payload_is_a_conflict(db):
    item = {"id": str(uuid.uuid4()), "occurred_at": "2026-03-02T13:00:00Z",
            "place_text": "Corner store (demo)", "kind": "basic_needs",
            "populations": ["unsheltered"], "outcome": "information_given", "is_group": False}
    before = count(db, "contact")
    assert "created" == store.apply_contact(db, item, OFFICER, NOW)["status"]
    assert "unchanged" == store.apply_contact(db, dict(item), OFFICER, NOW)["status"]
    conflict = store.apply_contact(db, {**item, "outcome": "declined_services"}, OFFICER, NOW)
    assert "conflict" == conflict["status"]
    assert before + 1 == count(db, "contact")
    assert "information_given" == db["contact"].get(item["id"])["outcome"]


def test_person_uuid_twice_stores_once(db):
    item = {"id": str(uuid.uuid4()), "alias": "T.W. (demo)", "birth_year": 1990,
            "flags": ["veteran"], "created_at": "2026-03-02T12:00:00Z"}
    before = count(db, "person")
    assert "created" == people.apply_person(db, item, OFFICER, NOW)["status"]
    assert "unchanged" == people.apply_person(db, item, OFFICER, NOW)["status"]
    assert "conflict" == people.apply_person(db, {**item, "alias": "Other"}, OFFICER, NOW)[
        "status"]
    assert before + 1 == count(db, "person")


BAD_CONTACTS = {
    "occurred_at in the future": ({"occurred_at": "2026-03-02T14:06:00+00:00"}, "occurred_at"),
    "occurred_at unreadable": ({"occurred_at": "yesterday"}, "occurred_at"),
    "occurred_at missing": ({"occurred_at": ""}, "occurred_at"),
    "typed time in the future": ({"occurred_local": "2026-03-03T12:00"}, "occurred_at"),
    "unknown kind": ({"kind": "arrest"}, "kind"),
    "no kind": ({"kind": ""}, "kind"),
    "unknown population": ({"populations": ["senior_65_plus", "aliens"]}, "populations"),
    "unknown outcome": ({"outcome": "jailed"}, "outcome"),
    "no outcome": ({"outcome": ""}, "outcome"),
    "note too long": ({"note": "x" * 1001}, "note"),
    "no place at all": ({"place_id": ""}, "place_id"),
    "unknown place": ({"place_id": str(uuid.uuid4())}, "place_id"),
    "place text too long": ({"place_id": "", "place_text": "p" * 121}, "place_text"),
    "latitude without longitude": ({"lat": "44.6"}, "lat"),
    "latitude out of range": ({"lat": "95", "lon": "-63.5"}, "lat"),
    "is_group not a choice": ({"is_group": "maybe"}, "is_group"),
    "group headcount zero": ({"is_group": "1", "headcount": "0", "age_band": "12_17"},
                             "headcount"),
    "group headcount too big": ({"is_group": "1", "headcount": "2001", "age_band": "12_17"},
                                "headcount"),
    "group headcount not a number": ({"is_group": "1", "headcount": "lots",
                                      "age_band": "12_17"}, "headcount"),
    "group without headcount": ({"is_group": "1", "age_band": "12_17"}, "headcount"),
    "group without age band": ({"is_group": "1", "headcount": "20"}, "age_band"),
    "group with unknown age band": ({"is_group": "1", "headcount": "20", "age_band": "old"},
                                    "age_band"),
    "unknown person": ({"person_id": str(uuid.uuid4())}, "person_id"),
    "group with a person": ({"is_group": "1", "headcount": "20", "age_band": "12_17",
                             "person_id": demo.PERSON_RT}, "person_id"),
    "new person alias too long": ({"new_alias": "a" * 81}, "new_alias"),
    "new person born too early": ({"new_alias": "Z (demo)", "new_birth_year": "1850"},
                                  "new_birth_year"),
    "new person born in the future": ({"new_alias": "Z (demo)", "new_birth_year": "2027"},
                                      "new_birth_year"),
    "new person unknown flag": ({"new_alias": "Z (demo)", "new_flags": ["martian"]},
                                "new_flags"),
}


@pytest.mark.parametrize("bad", list(BAD_CONTACTS), ids=list(BAD_CONTACTS))
def test_each_bad_value_is_refused_with_a_message_and_nothing_stored(frozen, bad):
    overrides, field = BAD_CONTACTS[bad]
    client = login_client(frozen)
    with frozen.app_context():
        from fieldapp.db import get_db

        before = (count(get_db(), "contact"), count(get_db(), "person"),
                  count(get_db(), "contact_population"))
    response = client.post("/contacts/new", data=contact_form(**overrides))
    assert 422 == response.status_code
    page = response.get_data(as_text=True)
    assert "Nothing was saved" in page
    assert f'id="{field}-error"' in page
    with frozen.app_context():
        from fieldapp.db import get_db

        after = (count(get_db(), "contact"), count(get_db(), "person"),
                 count(get_db(), "contact_population"))
    assert before == after


BAD_SYNC_ITEMS = {
    "not a uuid": ({"id": "abc"}, "id"),
    "headcount as bool": ({"is_group": True, "headcount": True, "age_band": "mixed"},
                          "headcount"),
    "populations not a list": ({"populations": {"a": 1}}, "populations"),
    "note not text": ({"note": 42}, "note"),
    "lat not a number": ({"lat": "north", "lon": 1}, "lat"),
}


@pytest.mark.parametrize("bad", list(BAD_SYNC_ITEMS), ids=list(BAD_SYNC_ITEMS))
def test_sync_items_with_bad_values_are_invalid_and_not_written(db, bad):
    overrides, field = BAD_SYNC_ITEMS[bad]
    item = {"id": str(uuid.uuid4()), "occurred_at": "2026-03-02T13:00:00Z",
            "place_text": "Rink (demo)", "kind": "other", "outcome": "information_given",
            **overrides}
    before = count(db, "contact")
    result = store.apply_contact(db, item, OFFICER, NOW)
    assert ("invalid", True) == (result["status"], field in result["errors"])
    assert before == count(db, "contact")


@pytest.mark.parametrize("item, field", [
    ({"alias": ""}, "alias"), ({"alias": "a" * 81}, "alias"),
    ({"alias": "X", "birth_year": 1899}, "birth_year"),
    ({"alias": "X", "birth_year": "nineteen"}, "birth_year"),
    ({"alias": "X", "flags": ["unknown"]}, "flags"),
    ({"alias": "X", "created_at": "2030-01-01T00:00:00Z"}, "created_at"),
])
def test_person_items_with_bad_values_are_invalid(db, item, field):
    before = count(db, "person")
    result = people.apply_person(db, {"id": str(uuid.uuid4()), **item}, OFFICER, NOW)
    assert ("invalid", True) == (result["status"], field in result["errors"])
    assert before == count(db, "person")


def test_contact_with_a_new_person_stores_both(frozen):
    client = login_client(frozen)
    form = contact_form(new_alias="K.L. (demo)", new_birth_year="2001",
                        new_flags=["youth_12_17"], new_person_id=str(uuid.uuid4()))
    assert 303 == client.post("/contacts/new", data=form).status_code
    with frozen.app_context():
        from fieldapp.db import get_db

        db = get_db()
        person = db["person"].get(form["new_person_id"])
        assert ("K.L. (demo)", 2001, ["youth_12_17"]) == (
            person["alias"], person["birth_year"], json.loads(person["flags"]))
        assert form["new_person_id"] == db["contact"].get(form["id"])["person_id"]


def test_group_contact_records_headcount_and_age_band_but_no_person(frozen):
    client = login_client(frozen)
    form = contact_form(is_group="1", headcount_choice="30", age_band="12_17",
                        kind="school_visit", populations=["youth_12_17"])
    assert 303 == client.post("/contacts/new", data=form).status_code
    with frozen.app_context():
        from fieldapp.db import get_db

        row = get_db()["contact"].get(form["id"])
        assert (1, 30, "12_17", None) == (row["is_group"], row["headcount"], row["age_band"],
                                          row["person_id"])


@pytest.mark.parametrize("note, warned", [
    ("Call her at 902-555-0147 tomorrow", True),
    ("Lives at 12 Barrington Street", True),
    ("Diagnosed with schizophrenia last year", True),
    ("Talked about the youth drop-in hours", False),
])
def test_note_warning_is_checked_on_the_server(login_as, note, warned):
    response = login_as("officer").post("/contacts/note-check", data={"note": note},
                                        headers={"HX-Request": "true"})
    assert 200 == response.status_code
    assert warned == ("Keep notes to what the team needs" in response.get_data(as_text=True))


def test_mental_health_form_offers_the_diversion_path(login_as):
    page = login_as("officer").get("/contacts/new").get_data(as_text=True)
    assert 'class="contacts-diversion"' in page
    assert "Save and refer" in page


def test_templates_and_repeat_last_prefill_the_form(login_as):
    client = login_as("officer")
    page = client.get("/contacts/new?template=school_presentation").get_data(as_text=True)
    assert re.search(r'value="school_visit" checked', page)
    assert re.search(r'name="is_group" value="1" id="is_group_1" checked', page)
    page = client.get("/contacts/new?repeat=last").get_data(as_text=True)
    # officer's most recent demo contact: the crisis call at the drop-in centre
    assert re.search(r'name="kind" value="mental_health" checked', page)
    assert re.search(rf'value="{demo.PLACE_DROPIN}" checked', page)


def test_favourite_places_come_first(login_as, db):
    client = login_as("officer")
    assert 303 == client.post(f"/contacts/places/{demo.PLACE_MAPLE_ELEMENTARY}/favourite"
                              ).status_code
    page = client.get("/contacts/new").get_data(as_text=True)
    first_place = re.search(r'name="place_id" value="([^"]+)"', page).group(1)
    assert demo.PLACE_MAPLE_ELEMENTARY == first_place


def test_retired_code_is_not_offered_but_old_records_stay_readable(login_as):
    coordinator = login_as("coordinator")
    assert 303 == coordinator.post("/contacts/manage/vocabulary/kind/school_visit",
                                   data={"retired": "1"}).status_code
    officer = login_as("officer")
    assert 'value="school_visit"' not in officer.get("/contacts/new").get_data(as_text=True)
    assert "School visit" in officer.get(
        f"/contacts/{demo.CONTACT_IDS['c04']}").get_data(as_text=True)
    refused = officer.post("/contacts/new", data=contact_form(
        occurred_at=None, kind="school_visit", occurred_local="2026-01-01T10:00"))
    assert 422 == refused.status_code


def test_coordinator_adds_a_kind_that_officers_can_use(login_as):
    coordinator = login_as("coordinator")
    assert 303 == coordinator.post("/contacts/manage/vocabulary", data={
        "vocabulary": "kind", "code": "youth_outreach", "label_en": "Youth outreach",
        "label_fr": "Approche auprès des jeunes"}).status_code
    officer = login_as("officer")
    assert "Youth outreach" in officer.get("/contacts/new").get_data(as_text=True)
    assert 303 == officer.post("/contacts/new", data=contact_form(
        occurred_at=None, occurred_local="2026-01-01T10:00", kind="youth_outreach")).status_code


def test_note_warning_is_shown_again_on_the_saved_contact(frozen):
    client = login_client(frozen)
    form = contact_form(note="Lives at 12 Barrington Street, call 902-555-0199")
    page = client.get(client.post("/contacts/new", data=form).headers["Location"]).get_data(
        as_text=True)
    assert "This note seems to contain a phone number and an address." in page


def test_coordinator_adds_and_hides_a_place(login_as, db):
    coordinator = login_as("coordinator")
    assert 422 == coordinator.post("/contacts/manage/places", data={"name": "", "kind": "x"}
                                   ).status_code
    assert 303 == coordinator.post("/contacts/manage/places", data={
        "name": "Elm Park Rink (demo)", "kind": "community_site"}).status_code
    place = next(db["place"].rows_where("name = ?", ["Elm Park Rink (demo)"]))
    officer = login_as("officer")
    assert "Elm Park Rink (demo)" in officer.get("/contacts/new").get_data(as_text=True)
    assert 303 == coordinator.post(f"/contacts/manage/places/{place['id']}/active",
                                   data={"active": "0"}).status_code
    assert "Elm Park Rink (demo)" not in officer.get("/contacts/new").get_data(as_text=True)


def test_demo_data_loads_twice_without_doubling(app, db):
    from fieldapp.contacts import demo as contacts_demo

    before = (count(db, "contact"), count(db, "person"), count(db, "place"))
    contacts_demo.load(db, app.config, "2026-03-02T14:00:00+00:00")
    assert before == (count(db, "contact"), count(db, "person"), count(db, "place"))
    assert 30 <= count(db, "contact")


def test_a_partner_cannot_record_contacts_or_people_through_the_store(db):
    partner = {"id": "0d5e7a10-0000-4000-8000-000000000004", "role": "partner",
               "police_service": None}
    before = (count(db, "contact"), count(db, "person"))
    contact = store.apply_contact(db, {"id": str(uuid.uuid4()), "occurred_at": NOW,
                                       "place_text": "x", "kind": "other",
                                       "outcome": "information_given"}, partner, NOW)
    person = people.apply_person(db, {"id": str(uuid.uuid4()), "alias": "X"}, partner, NOW)
    assert ("invalid", "invalid") == (contact["status"], person["status"])
    assert before == (count(db, "contact"), count(db, "person"))
