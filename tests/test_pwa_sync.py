"""POST /api/sync: a phone's batch of offline records, idempotent by client UUID."""

import uuid

import pytest

from tests.support import login
from tests.support.pwa import OCCURRED, contact, person, referral, referral_service, statuses


def test_replaying_the_same_batch_three_times_stores_each_record_once(officer, frozen_db):
    new_person = person()
    batch = {"people": [new_person],
             "contacts": [contact(person_id=new_person["id"]), contact(), contact()]}
    answers = [officer.post("/api/sync", json=batch) for _ in range(3)]

    assert [200, 200, 200] == [a.status_code for a in answers]
    assert ["created"] == statuses(answers[0], "people")
    assert ["created"] * 3 == statuses(answers[0], "contacts")
    for replay in answers[1:]:
        assert ["unchanged"] == statuses(replay, "people")
        assert ["unchanged"] * 3 == statuses(replay, "contacts")
    ids = [c["id"] for c in batch["contacts"]]
    stored = frozen_db.execute(
        f"select count(*) from contact where id in ({','.join('?' * len(ids))})", ids).fetchone()
    assert 3 == stored[0]
    assert 1 == frozen_db.execute("select count(*) from person where id = ?",
                                  [new_person["id"]]).fetchone()[0]
    assert 0 == frozen_db.execute("select count(*) from sync_conflict").fetchone()[0]


def test_same_id_with_different_payload_is_a_conflict_and_keeps_the_original(officer, frozen_db):
    original = contact(note="first version")
    assert ["created"] == statuses(officer.post("/api/sync", json={"contacts": [original]}),
                                   "contacts")
    changed = {**original, "note": "second version"}
    for _ in range(2):  # replaying the conflict records it once
        answer = officer.post("/api/sync", json={"contacts": [changed]})
        assert ["conflict"] == statuses(answer, "contacts")

    assert "first version" == frozen_db["contact"].get(original["id"])["note"]
    conflicts = list(frozen_db["sync_conflict"].rows)
    assert 1 == len(conflicts)
    assert ("contact", original["id"]) == (conflicts[0]["item_type"], conflicts[0]["item_id"])
    assert "second version" in conflicts[0]["payload"]


def test_one_invalid_item_is_reported_and_the_valid_ones_are_stored(officer, frozen_db):
    good = [contact(), contact()]
    bad = contact(kind="no_such_kind")
    answer = officer.post("/api/sync", json={"contacts": [good[0], bad, good[1]]})

    assert ["created", "invalid", "created"] == statuses(answer, "contacts")
    assert "kind" in answer.get_json()["results"]["contacts"][1]["errors"]
    assert frozen_db["contact"].get(good[0]["id"])
    assert frozen_db["contact"].get(good[1]["id"])
    assert 0 == frozen_db.execute("select count(*) from contact where id = ?",
                                  [bad["id"]]).fetchone()[0]


def test_a_contact_naming_an_invalid_new_person_is_refused_whole(officer, frozen_db):
    bad_person = person(alias="")
    answer = officer.post("/api/sync", json={
        "people": [bad_person], "contacts": [contact(person_id=bad_person["id"])]})

    assert ["invalid"] == statuses(answer, "people")
    assert ["invalid"] == statuses(answer, "contacts")
    assert 0 == frozen_db.execute("select count(*) from contact where person_id = ?",
                                  [bad_person["id"]]).fetchone()[0]


def test_people_contacts_and_referrals_are_applied_in_dependency_order(officer, frozen_db):
    service_id = referral_service(frozen_db)
    new_person = person()
    new_contact = contact(person_id=new_person["id"])
    new_referral = referral(service_id, contact_id=new_contact["id"],
                            person_id=new_person["id"])
    # Listed in the "wrong" order on purpose: the server orders them.
    batch = {"referrals": [new_referral], "contacts": [new_contact], "people": [new_person]}
    answer = officer.post("/api/sync", json=batch)

    assert ["created"] == statuses(answer, "referrals"), answer.get_json()
    assert ["unchanged"] == statuses(officer.post("/api/sync", json=batch), "referrals")
    assert 1 == frozen_db.execute("select count(*) from referral where id = ?",
                                  [new_referral["id"]]).fetchone()[0]


@pytest.mark.parametrize("who", ["partner", "partner2"])
def test_partners_cannot_sync(login_as, who):
    answer = login_as(who).post("/api/sync", json={"contacts": [contact()]})
    assert 404 == answer.status_code


def test_sync_without_a_session_answers_401_json(client):
    answer = client.post("/api/sync", json={"contacts": [contact()]})
    assert 401 == answer.status_code
    assert "login_url" in answer.get_json()


def test_sync_without_csrf_token_is_refused(login_as):
    answer = login_as("officer").post("/api/sync", json={"contacts": [contact()]}, csrf=False)
    assert 400 == answer.status_code


@pytest.mark.parametrize("batch", [[], "x", {"contacts": "x"}, {"notes": []}])
def test_a_malformed_batch_is_a_400_and_stores_nothing(login_as, batch):
    answer = login_as("officer").post("/api/sync", json=batch)
    assert 400 == answer.status_code
    assert answer.get_json()["error"]


def test_an_item_without_id_is_invalid(officer):
    item = contact()
    del item["id"]
    assert ["invalid"] == statuses(officer.post("/api/sync", json={"contacts": [item]}),
                                   "contacts")


def test_csrf_endpoint_gives_a_fresh_token_and_the_user_key(login_as):
    answer = login_as("officer").get("/api/csrf")
    assert 200 == answer.status_code
    assert answer.get_json()["csrf_token"]
    assert "no-store" == answer.headers["Cache-Control"]
    assert answer.headers["X-Fieldapp-User"]


def test_user_keys_differ_between_users(login_as):
    keys = {login_as(who).get("/api/csrf").headers["X-Fieldapp-User"]
            for who in ("officer", "officer2")}
    assert 2 == len(keys)


def test_discarding_queued_records_at_logout_is_audited(login_as, db):
    ids = [str(uuid.uuid4()), str(uuid.uuid4())]
    answer = login_as("officer").post("/api/sync/discard", json={"ids": ids})
    assert 200 == answer.status_code
    event = list(db.query("select * from audit_event where action = 'outbox_discarded'"))[-1]
    assert "2" == event["object_id"]
    assert ids[0] in event["detail"]


def test_coordinator_marks_a_conflict_reviewed_and_it_stays_listed_as_reviewed(
        officer, frozen, frozen_db):
    original = contact(note="first")
    officer.post("/api/sync", json={"contacts": [original]})
    officer.post("/api/sync", json={"contacts": [{**original, "note": "second"}]})
    coordinator = frozen.test_client()
    login(coordinator, "coordinator")
    page = coordinator.get("/sync/conflicts")
    assert 200 == page.status_code
    conflict_id = frozen_db.execute("select id from sync_conflict").fetchone()[0]
    assert f"/sync/conflicts/{conflict_id}" in page.get_data(as_text=True)
    answer = coordinator.post(f"/sync/conflicts/{conflict_id}/review")
    assert 303 == answer.status_code
    row = frozen_db["sync_conflict"].get(conflict_id)
    assert ("reviewed", None) == (row["state"], row["resolved_at"])
    assert row["reviewed_at"]
    html = coordinator.get("/sync/conflicts").get_data(as_text=True)
    assert f"/sync/conflicts/{conflict_id}" in html and "Reviewed" in html


def test_receipts_tell_an_officer_where_their_referrals_stand(officer, frozen_db):
    service_id = referral_service(frozen_db)
    mine = referral(service_id)
    officer.post("/api/sync", json={"referrals": [mine]})
    others = list(frozen_db.query("select id from referral where officer_id != "
                                  "(select id from user where email = 'officer@demo.test') "
                                  "limit 1"))
    ids = [mine["id"], str(uuid.uuid4())] + [r["id"] for r in others]
    answer = officer.get("/api/sync/receipts", query_string=[("id", i) for i in ids])
    assert {mine["id"]: {"status": "sent", "label": "sent"}} == answer.get_json()["referrals"]


# --- a stored record is never refused on resend (the replay check comes before validation) ----


def test_a_stored_contact_resent_after_its_kind_was_retired_is_unchanged_not_invalid(
        officer, frozen, frozen_db):
    stored = contact(kind="school_visit")
    assert ["created"] == statuses(officer.post("/api/sync", json={"contacts": [stored]}),
                                   "contacts")
    coordinator = frozen.test_client()
    login(coordinator, "coordinator")
    assert 303 == coordinator.post("/contacts/manage/vocabulary/kind/school_visit",
                                   data={"retired": "1"}).status_code
    # A new contact with the retired kind is refused; the stored one sent again is not.
    assert ["invalid"] == statuses(officer.post(
        "/api/sync", json={"contacts": [contact(kind="school_visit")]}), "contacts")
    answer = officer.post("/api/sync", json={"contacts": [stored]})
    assert ["unchanged"] == statuses(answer, "contacts"), answer.get_json()
    assert 0 == frozen_db.execute("select count(*) from sync_conflict").fetchone()[0]


def test_a_stored_person_resent_after_its_flag_was_retired_is_unchanged(
        officer, frozen, frozen_db):
    stored = person(flags=["veteran"])
    assert ["created"] == statuses(officer.post("/api/sync", json={"people": [stored]}),
                                   "people")
    frozen_db["vocabulary"].insert({"vocabulary": "population", "code": "veteran",
                                    "retired": 1, "created_at": OCCURRED})
    frozen_db.conn.commit()
    assert ["unchanged"] == statuses(officer.post("/api/sync", json={"people": [stored]}),
                                     "people")


def test_a_stored_referral_resent_after_its_service_was_archived_is_unchanged_not_invalid(
        officer, frozen_db):
    service_id = referral_service(frozen_db)
    stored = referral(service_id)
    assert ["created"] == statuses(officer.post("/api/sync", json={"referrals": [stored]}),
                                   "referrals")
    frozen_db.execute("update service set archived_at = ? where id = ?", [OCCURRED, service_id])
    frozen_db.conn.commit()
    assert ["invalid"] == statuses(officer.post(
        "/api/sync", json={"referrals": [referral(service_id)]}), "referrals")
    answer = officer.post("/api/sync", json={"referrals": [stored]})
    assert ["unchanged"] == statuses(answer, "referrals"), answer.get_json()
    assert 1 == frozen_db.execute("select count(*) from referral where id = ?",
                                  [stored["id"]]).fetchone()[0]


def test_a_record_stored_before_raw_hashes_were_kept_is_still_recognised_by_its_fields(
        officer, frozen_db):
    stored = contact()
    officer.post("/api/sync", json={"contacts": [stored]})
    frozen_db.execute("update contact set raw_hash = null where id = ?", [stored["id"]])
    frozen_db.conn.commit()
    # Today's check applies: the same fields, even sent in another encoding, are a replay.
    assert ["unchanged"] == statuses(officer.post(
        "/api/sync", json={"contacts": [{**stored, "is_group": "0"}]}), "contacts")


def test_volatile_keys_do_not_make_a_resend_look_different(officer, frozen_db):
    stored = contact()
    officer.post("/api/sync", json={"contacts": [stored]})
    again = {**stored, "sent_at": "2026-03-02T13:59:00Z", "_attempt": 3}
    assert ["unchanged"] == statuses(officer.post("/api/sync", json={"contacts": [again]}),
                                     "contacts")


def test_key_order_does_not_make_a_resend_look_different():
    from fieldapp import replay

    item = contact()
    assert replay.raw_hash(item) == replay.raw_hash(dict(reversed(list(item.items()))))
    assert replay.raw_hash(item) != replay.raw_hash({**item, "note": "changed"})
