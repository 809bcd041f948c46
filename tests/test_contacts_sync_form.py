"""A contact sent by the web form and by the phone's outbox (/api/sync) is parsed by the same
code (contacts/forms.py ContactForm) and stored as the same row."""

import json
import uuid

import pytest
from werkzeug.datastructures import MultiDict

from fieldapp.contacts import demo
from tests.support import make_app

NOW = "2026-03-02T14:00:00+00:00"
OCCURRED = "2026-03-02T13:30:00+00:00"
# What differs between two records by design: their ids, when the server got them, and the
# fingerprint of the bytes as received (a form post and a JSON item are different bytes).
NOT_COMPARED = {"id", "created_at", "updated_at", "raw_hash"}


@pytest.fixture
def frozen(tmp_path):
    return make_app(tmp_path, NOW=NOW)


def group_entries() -> list[tuple[str, str]]:
    """A group contact as the browser posts it: chips, a typed headcount over a size chip."""
    return [("occurred_at", OCCURRED), ("place_id", demo.PLACE_LIBRARY), ("place_text", ""),
            ("lat", ""), ("lon", ""), ("kind", "community_engagement"),
            ("populations", "youth_12_17"), ("populations", "senior_65_plus"),
            ("outcome", "information_given"), ("is_group", "1"), ("headcount_choice", "30"),
            ("headcount", "12"), ("age_band", "18_64"), ("person_id", ""), ("q", ""),
            ("new_alias", ""), ("new_birth_year", ""), ("note", "Talked at the steps.")]


def person_entries() -> list[tuple[str, str]]:
    """An individual contact naming a person typed on the form."""
    return [("occurred_at", OCCURRED), ("place_id", ""), ("place_text", "Main St park"),
            ("kind", "wellness_check"), ("outcome", "information_given"), ("is_group", "0"),
            ("person_id", ""), ("new_alias", "Sync Twin"), ("new_birth_year", "1961"),
            ("new_flags", "senior_65_plus"), ("note", "")]


def post_form(client, entries) -> str:
    contact_id = str(uuid.uuid4())
    data = [("id", contact_id), ("new_person_id", str(uuid.uuid4())), *entries]
    response = client.post("/contacts/new", data=MultiDict(data))
    assert 303 == response.status_code, response.get_data(as_text=True)[:500]
    return contact_id


def post_sync(client, entries) -> str:
    contact_id = str(uuid.uuid4())
    item = {"id": contact_id, "saved_at": OCCURRED,
            "entries": [["new_person_id", str(uuid.uuid4())], *map(list, entries)]}
    response = client.post("/api/sync", json={"contacts": [item]})
    assert 200 == response.status_code
    assert ["created"] == [r["status"] for r in response.get_json()["results"]["contacts"]]
    return contact_id


def stored(db, contact_id: str) -> dict:
    row = db.execute("select * from contact where id = ?", [contact_id])
    names = [d[0] for d in row.description]
    contact = dict(zip(names, row.fetchone(), strict=True))
    contact["populations"] = sorted(r[0] for r in db.execute(
        "select population from contact_population where contact_id = ?", [contact_id]))
    person = None
    if contact["person_id"]:
        cursor = db.execute("select * from person where id = ?", [contact["person_id"]])
        person = dict(zip([d[0] for d in cursor.description], cursor.fetchone(), strict=True))
        person = {k: v for k, v in person.items() if k not in NOT_COMPARED | {
            "device_created_at", "clock_offset_seconds"}}
        # The person's id differs, so do the contact's fingerprints that include it.
        contact = {k: v for k, v in contact.items() if k not in ("person_id", "payload_hash")}
    return {"contact": {k: v for k, v in contact.items() if k not in NOT_COMPARED},
            "person": person}


@pytest.mark.parametrize("entries", [group_entries(), person_entries()],
                         ids=["group with typed headcount", "individual with a new person"])
def test_the_same_contact_by_form_and_by_sync_gives_identical_rows(officer, frozen_db, entries):
    by_form = stored(frozen_db, post_form(officer, entries))
    by_sync = stored(frozen_db, post_sync(officer, entries))

    assert by_form == by_sync
    assert len(by_form["contact"]) > 10  # the comparison covers the row, not an empty dict


def test_a_typed_headcount_wins_over_the_size_chip_on_both_paths(officer, frozen_db):
    for contact_id in (post_form(officer, group_entries()), post_sync(officer, group_entries())):
        assert 12 == stored(frozen_db, contact_id)["contact"]["headcount"]


def test_a_synced_form_sent_again_is_unchanged_and_stored_once(officer, frozen_db):
    item = {"id": str(uuid.uuid4()), "saved_at": OCCURRED,
            "entries": [["new_person_id", str(uuid.uuid4())], *map(list, person_entries())]}
    answers = [officer.post("/api/sync", json={"contacts": [item]}).get_json() for _ in range(3)]

    assert ["created", "unchanged", "unchanged"] == [
        a["results"]["contacts"][0]["status"] for a in answers]
    assert 1 == frozen_db.execute("select count(*) from person where alias = 'Sync Twin'"
                                  ).fetchone()[0]


def test_a_synced_form_with_an_error_stores_neither_its_person_nor_its_contact(officer,
                                                                              frozen_db):
    entries = [(k, "not_a_kind" if k == "kind" else v) for k, v in person_entries()]
    item = {"id": str(uuid.uuid4()), "saved_at": OCCURRED,
            "entries": [["new_person_id", str(uuid.uuid4())], *map(list, entries)]}
    answer = officer.post("/api/sync", json={"contacts": [item]}).get_json()

    result = answer["results"]["contacts"][0]
    assert "invalid" == result["status"]
    assert "kind" in result["errors"]
    assert 0 == frozen_db.execute("select count(*) from person where alias = 'Sync Twin'"
                                  ).fetchone()[0]


def test_a_conflicting_synced_form_is_kept_for_review_as_contact_fields(officer, frozen_db):
    entries = [["new_person_id", str(uuid.uuid4())], *map(list, group_entries())]
    item = {"id": str(uuid.uuid4()), "saved_at": OCCURRED, "entries": entries}
    officer.post("/api/sync", json={"contacts": [item]})
    changed = {**item, "entries": [[k, "deescalated" if k == "outcome" else v]
                                   for k, v in entries]}
    answer = officer.post("/api/sync", json={"contacts": [changed]}).get_json()

    assert "conflict" == answer["results"]["contacts"][0]["status"]
    kept = json.loads(frozen_db.execute("select payload from sync_conflict where item_id = ?",
                                        [item["id"]]).fetchone()[0])
    assert ("deescalated", "12", ["senior_65_plus", "youth_12_17"]) == (
        kept["outcome"], kept["headcount"], sorted(kept["populations"]))
