"""Sync conflicts: open, reviewed, resolved; the two versions side by side; keep what is
stored, use the phone's version or merge field by field, through the areas' own store
functions, within the reviewer's scope."""

import json
import re

import pytest

from tests.support import NOW, login
from tests.support.pwa import contact, person, referral, referral_service, statuses


@pytest.fixture
def as_user(frozen):
    def _as(who: str):
        client = frozen.test_client()
        login(client, who)
        return client

    return _as


def conflict_of(phone, key: str, original: dict, changed: dict, db) -> int:
    """Store `original` from the phone, then send `changed` under the same id: a conflict."""
    assert ["created"] == statuses(phone.post("/api/sync", json={key: [original]}), key)
    assert ["conflict"] == statuses(phone.post("/api/sync", json={key: [changed]}), key)
    return db.execute("select id from sync_conflict where item_id = ? and state = 'open'",
                      [original["id"]]).fetchone()[0]


@pytest.fixture
def contact_conflict(as_user, frozen_db):
    """The officer's phone stored a contact, then sent another note, kind and outcome."""
    officer = as_user("officer")
    original = contact(note="first note", kind="wellness_check", outcome="information_given")
    changed = {**original, "note": "second note", "kind": "senior_concern",
               "outcome": "deescalated"}
    return {"id": conflict_of(officer, "contacts", original, changed, frozen_db),
            "original": original, "changed": changed, "officer": officer}


def resolve(client, conflict_id: int, choice: str, **picks):
    return client.post(f"/sync/conflicts/{conflict_id}/resolve",
                       data={"choice": choice, **{f"pick_{k}": v for k, v in picks.items()}})


def audit_rows(db, action: str) -> list[dict]:
    return list(db.query("select * from audit_event where action = ? order by id", [action]))


# --- the lifecycle --------------------------------------------------------------------------


def test_a_resend_does_not_reopen_a_reviewed_conflict(as_user, frozen_db, contact_conflict):
    coordinator = as_user("coordinator")
    assert 303 == coordinator.post(f"/sync/conflicts/{contact_conflict['id']}/review").status_code
    answer = contact_conflict["officer"].post("/api/sync",
                                              json={"contacts": [contact_conflict["changed"]]})

    assert ["conflict"] == statuses(answer, "contacts")  # still to be decided: the phone keeps it
    assert "reviewed" == frozen_db["sync_conflict"].get(contact_conflict["id"])["state"]
    assert 0 == frozen_db.execute("select count(*) from sync_conflict where state = 'open'"
                                  ).fetchone()[0]


def test_a_resend_after_resolution_answers_unchanged_and_opens_no_new_conflict(
        as_user, frozen_db, contact_conflict):
    assert 303 == resolve(as_user("coordinator"), contact_conflict["id"], "stored").status_code
    answer = contact_conflict["officer"].post("/api/sync",
                                              json={"contacts": [contact_conflict["changed"]]})

    assert ["unchanged"] == statuses(answer, "contacts")  # the phone's outbox lets it go
    assert [("resolved", "stored")] == [
        (r["state"], r["resolution"]) for r in frozen_db["sync_conflict"].rows]


def test_another_different_version_after_resolution_is_a_new_conflict(
        as_user, frozen_db, contact_conflict):
    resolve(as_user("coordinator"), contact_conflict["id"], "stored")
    third = {**contact_conflict["original"], "note": "third note"}
    answer = contact_conflict["officer"].post("/api/sync", json={"contacts": [third]})
    assert ["conflict"] == statuses(answer, "contacts")
    assert 1 == frozen_db.execute("select count(*) from sync_conflict where state = 'open'"
                                  ).fetchone()[0]


# --- the side-by-side view --------------------------------------------------------------------


def test_side_by_side_view_marks_the_differing_fields_for_eyes_and_screen_readers(
        as_user, contact_conflict):
    page = as_user("officer").get(f"/sync/conflicts/{contact_conflict['id']}")
    assert 200 == page.status_code
    html = page.get_data(as_text=True)
    differing = {row.split('"')[0] for row in html.split('class="differs" data-field="')[1:]}
    assert {"note", "kind", "outcome"} == differing
    assert "<mark>second note</mark>" in html
    assert "differs from the stored version" in html  # the visually-hidden text
    # Codes read as people read them.
    assert "Wellness check" in html and "Senior concern" in html
    assert "De-escalated / resolved" in html
    assert "senior_concern" not in html.replace('value="senior_concern"', "")
    assert not re.search(r">\s*None\s*<", html)


def test_officer_sees_records_to_review_with_the_count_of_open_conflicts(
        as_user, contact_conflict):
    html = as_user("officer").get("/contacts/").get_data(as_text=True)
    assert "Records to review (1)" in html
    assert "Records to review (" not in as_user("officer2").get("/contacts/").get_data(
        as_text=True)


# --- resolving --------------------------------------------------------------------------------


def test_keep_stored_changes_nothing_and_is_audited_without_values(
        as_user, frozen_db, contact_conflict):
    before = frozen_db["contact"].get(contact_conflict["original"]["id"])
    assert 303 == resolve(as_user("coordinator"), contact_conflict["id"], "stored").status_code

    assert before == frozen_db["contact"].get(contact_conflict["original"]["id"])
    row = frozen_db["sync_conflict"].get(contact_conflict["id"])
    assert ("resolved", "stored") == (row["state"], row["resolution"])
    event = audit_rows(frozen_db, "sync_conflict_resolved")[-1]
    assert contact_conflict["original"]["id"] == event["object_id"]
    assert {"conflict_id": contact_conflict["id"], "choice": "stored", "from_phone": [],
            "changed": []} == json.loads(event["detail"])


def test_use_the_phones_version_edits_the_contact_and_keeps_the_old_values(
        as_user, frozen_db, contact_conflict):
    contact_id = contact_conflict["original"]["id"]
    assert 303 == resolve(contact_conflict["officer"], contact_conflict["id"], "phone").status_code

    stored = frozen_db["contact"].get(contact_id)
    assert ("second note", "senior_concern", "deescalated") == (
        stored["note"], stored["kind"], stored["outcome"])
    revision = list(frozen_db.query("select * from contact_revision where contact_id = ?",
                                    [contact_id]))
    assert "first note" == json.loads(revision[0]["old_values"])["note"]
    detail = audit_rows(frozen_db, "sync_conflict_resolved")[-1]["detail"]
    assert ["kind", "note", "outcome"] == json.loads(detail)["changed"]
    assert "second note" not in detail and "first note" not in detail
    # The phone's copy is cleared: its next sync hears "unchanged" and drops it.
    answer = contact_conflict["officer"].post("/api/sync",
                                              json={"contacts": [contact_conflict["changed"]]})
    assert ["unchanged"] == statuses(answer, "contacts")


def test_field_by_field_merge_takes_only_the_fields_chosen_from_the_phone(
        as_user, frozen_db, contact_conflict):
    answer = resolve(as_user("coordinator"), contact_conflict["id"], "merge",
                     note="phone", kind="stored", outcome="phone")
    assert 303 == answer.status_code
    stored = frozen_db["contact"].get(contact_conflict["original"]["id"])
    assert ("second note", "wellness_check", "deescalated") == (
        stored["note"], stored["kind"], stored["outcome"])
    detail = json.loads(audit_rows(frozen_db, "sync_conflict_resolved")[-1]["detail"])
    assert ("merge", ["note", "outcome"]) == (detail["choice"], detail["from_phone"])


def test_an_invalid_merge_shows_the_errors_and_changes_nothing(
        as_user, frozen_db, contact_conflict):
    coordinator = as_user("coordinator")
    assert 303 == coordinator.post("/contacts/manage/vocabulary/kind/senior_concern",
                                   data={"retired": "1"}).status_code
    before = frozen_db["contact"].get(contact_conflict["original"]["id"])
    answer = resolve(coordinator, contact_conflict["id"], "merge", kind="phone")

    assert 422 == answer.status_code
    assert "This kind of contact is not in the list." in answer.get_data(as_text=True)
    assert before == frozen_db["contact"].get(contact_conflict["original"]["id"])
    assert "open" == frozen_db["sync_conflict"].get(contact_conflict["id"])["state"]
    assert [] == audit_rows(frozen_db, "sync_conflict_resolved")


def test_use_the_phones_version_of_a_person_goes_through_the_people_rules(
        as_user, frozen_db):
    officer = as_user("officer")
    original = person(alias="First Alias (demo)")
    changed = {**original, "alias": "Second Alias (demo)", "birth_year": 1960}
    conflict_id = conflict_of(officer, "people", original, changed, frozen_db)
    assert 303 == resolve(as_user("coordinator"), conflict_id, "phone").status_code
    stored = frozen_db["person"].get(original["id"])
    assert ("Second Alias (demo)", 1960) == (stored["alias"], stored["birth_year"])


def test_a_sent_referral_can_only_keep_what_is_stored(as_user, frozen_db):
    officer = as_user("officer")
    service_id = referral_service(frozen_db)
    original = referral(service_id, urgency="today")
    conflict_id = conflict_of(officer, "referrals", original,
                              {**original, "urgency": "urgent"}, frozen_db)
    page = officer.get(f"/sync/conflicts/{conflict_id}").get_data(as_text=True)
    assert "only the stored version can be kept" in page
    assert 'value="phone"' not in page and 'value="merge"' not in page

    assert 400 == resolve(officer, conflict_id, "phone").status_code
    assert "today" == frozen_db["referral"].get(original["id"])["urgency"]
    assert 303 == resolve(officer, conflict_id, "stored").status_code
    assert "resolved" == frozen_db["sync_conflict"].get(conflict_id)["state"]


# --- scope --------------------------------------------------------------------------------


def test_officer_cannot_see_or_resolve_another_officers_conflict(as_user, frozen_db,
                                                                 contact_conflict):
    other = as_user("officer2")
    assert 404 == other.get(f"/sync/conflicts/{contact_conflict['id']}").status_code
    assert 404 == resolve(other, contact_conflict["id"], "stored").status_code
    assert 404 == other.post(f"/sync/conflicts/{contact_conflict['id']}/review").status_code
    assert "open" == frozen_db["sync_conflict"].get(contact_conflict["id"])["state"]


def test_coordinator_of_another_police_service_gets_404(as_user, frozen_db, contact_conflict):
    frozen_db.execute("update sync_conflict set police_service = 'RCMP' where id = ?",
                      [contact_conflict["id"]])
    frozen_db.conn.commit()
    coordinator = as_user("coordinator")  # of HRP
    assert 404 == coordinator.get(f"/sync/conflicts/{contact_conflict['id']}").status_code
    assert 404 == resolve(coordinator, contact_conflict["id"], "phone").status_code
    assert "open" == frozen_db["sync_conflict"].get(contact_conflict["id"])["state"]


def test_conflicts_marked_reviewed_before_the_lifecycle_stay_reviewed_not_resolved():
    from sqlite_utils import Database

    from fieldapp.pwa import migrations

    db = Database(memory=True)
    db["user"].create({"id": str, "police_service": str}, pk="id")
    migrations.create_sync_conflict(db)
    migrations.scope_sync_conflict_to_police_service(db)
    db["sync_conflict"].insert_all([
        {"id": 1, "item_type": "contact", "item_id": "a", "payload": "{}", "received_at": NOW},
        {"id": 2, "item_type": "contact", "item_id": "b", "payload": "{}", "received_at": NOW,
         "resolved_at": NOW, "resolved_by": "u1"}])
    migrations.give_sync_conflicts_a_lifecycle(db)

    rows = {r["id"]: r for r in db["sync_conflict"].rows}
    assert "open" == rows[1]["state"]
    # "Mark as reviewed" decided nothing: the phone was never told, so it is not resolved.
    assert ("reviewed", NOW, "u1", None) == (rows[2]["state"], rows[2]["reviewed_at"],
                                             rows[2]["reviewed_by"], rows[2]["resolved_at"])
