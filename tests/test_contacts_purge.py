"""Retention: `flask purge` de-identifies people with no contact or open referral for N days."""

import uuid

from fieldapp import audit
from fieldapp.contacts import people, store
from tests.support import NOW, make_app
from tests.support.contacts import OFFICER, at, db_of


def person_with_history(app, *, created_days, contact_days=(), referral=None) -> str:
    person_id = str(uuid.uuid4())
    with app.app_context():
        from fieldapp.db import get_db

        db = get_db()
        assert "created" == people.apply_person(db, {
            "id": person_id, "alias": f"P-{person_id[:4]} (demo)", "birth_year": 1970,
            "created_at": at(days_before=created_days)}, OFFICER, NOW)["status"]
        for days in contact_days:
            assert "created" == store.apply_contact(db, {
                "id": str(uuid.uuid4()), "occurred_at": at(days_before=days),
                "place_text": "Rink (demo)", "kind": "other", "outcome": "information_given",
                "person_id": person_id, "note": "old note"}, OFFICER, NOW)["status"]
        if referral:
            status, days = referral
            db["referral"].insert({
                "id": str(uuid.uuid4()), "person_id": person_id, "service_id": "svc-demo",
                "organization_id": "6f1c2d3e-5a4b-4c8d-9e0f-000000000001",
                "officer_id": OFFICER["id"], "status": status, "consent": "verbal",
                "urgency": "this_week", "person_name": "Someone (demo)",
                "created_at": at(days_before=days), "updated_at": at(days_before=days)})
    return person_id


def arrange(app) -> dict:
    return {
        "stale": person_with_history(app, created_days=800, contact_days=[750]),
        "never_contacted": person_with_history(app, created_days=800),
        "closed_referral": person_with_history(app, created_days=800, contact_days=[760],
                                               referral=("closed", 740)),
        "recent_contact": person_with_history(app, created_days=800, contact_days=[750, 700]),
        "open_referral": person_with_history(app, created_days=800, contact_days=[750],
                                             referral=("accepted", 745)),
        "new": person_with_history(app, created_days=100),
    }


def test_purge_dry_run_lists_exactly_the_expected_people_and_changes_nothing(tmp_path):
    app = make_app(tmp_path, NOW=NOW)
    people = arrange(app)
    result = app.test_cli_runner().invoke(args=["purge", "--dry-run"])
    assert 0 == result.exit_code, result.output
    listed = {line.split()[3] for line in result.output.splitlines()
              if line.startswith("would de-identify person")}
    assert {people["stale"], people["never_contacted"], people["closed_referral"]} == listed
    assert "3 people would de-identify" in result.output
    db = db_of(app)
    assert 0 == db.execute("select count(*) from person where deidentified_at is not null"
                           ).fetchone()[0]
    assert "purge_dry_run" == audit.events(db, "purge_dry_run")[-1]["action"]


def test_purge_deidentifies_and_audits_but_keeps_the_counts(tmp_path):
    app = make_app(tmp_path, NOW=NOW)
    people = arrange(app)
    contacts_before = db_of(app).execute("select count(*) from contact").fetchone()[0]
    result = app.test_cli_runner().invoke(args=["purge"])
    assert 0 == result.exit_code, result.output
    db = db_of(app)
    stale = db["person"].get(people["stale"])
    assert (None, None, NOW) == (stale["alias"], stale["birth_year"], stale["deidentified_at"])
    assert [None] == [r["note"] for r in db["contact"].rows_where(
        "person_id = ?", [people["stale"]])]
    assert [None] == [r["person_name"] for r in db["referral"].rows_where(
        "person_id = ?", [people["closed_referral"]])]
    assert "P-" in db["person"].get(people["open_referral"])["alias"]
    assert contacts_before == db.execute("select count(*) from contact").fetchone()[0]
    audited = {e["object_id"] for e in audit.events(db, "person_deidentified")}
    assert {people["stale"], people["never_contacted"], people["closed_referral"]} == audited
    # a second run finds nobody left
    again = app.test_cli_runner().invoke(args=["purge", "--dry-run"])
    assert "0 people would de-identify" in again.output


def test_retention_days_is_configurable(tmp_path):
    app = make_app(tmp_path, NOW=NOW, RETENTION_DAYS=10000)
    arrange(app)
    result = app.test_cli_runner().invoke(args=["purge", "--dry-run"])
    assert "0 people would de-identify" in result.output
