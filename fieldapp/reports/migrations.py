"""Schema of the reports area: calls for service from the dispatch/records system, the
pseudonymous person keys that coordinators link to people, and the indexes the board report
needs on other areas' tables (created only if missing)."""

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("reports")


@migrations()
def create_calls_for_service(db: Database) -> None:
    # One row per dispatched call.  id is the dispatch incident number when the file has one,
    # else a hash of the row, so importing the same file again stores nothing twice.
    db["calls_for_service"].create(
        {
            "id": str,
            "called_at": str,  # ISO 8601 UTC, e.g. 2026-03-02T14:05:00+00:00
            "call_type": str,
            "person_key": str,  # pseudonymous key from the records system (may be empty)
            "imported_at": str,
            "import_batch": str,
        },
        pk="id",
        not_null={"called_at", "call_type"},
    )
    db["calls_for_service"].create_index(["person_key", "called_at"])
    db["calls_for_service"].create_index(["called_at"])

    # Coordinators link a records-system key to a person of fieldapp; one key -> one person.
    db["person_key"].create(
        {"person_key": str, "person_id": str, "linked_by": str, "linked_at": str},
        pk="person_key",
        not_null={"person_id"},
        foreign_keys=[("person_id", "person", "id"), ("linked_by", "user", "id")],
    )
    db["person_key"].create_index(["person_id"])


@migrations()
def create_report_indexes(db: Database) -> None:
    # The report filters contacts by team and period, referrals by period (all services), and
    # finds the contact a referral came from.
    statements = [
        "create index if not exists idx_contact_team_occurred on contact (team, occurred_at)",
        "create index if not exists idx_contact_occurred on contact (occurred_at)",
        "create index if not exists idx_referral_sent on referral (sent_at)",
        "create index if not exists idx_referral_contact on referral (contact_id)",
        "create index if not exists idx_user_team on user (team)",
    ]
    for sql in statements:
        db.execute(sql)


@migrations()
def create_report_covering_index(db: Database) -> None:
    # The report reads every contact of a period several ways: one index holding every column
    # it needs turns each pass into an index-only range scan (about 5x faster than visiting the
    # table), and makes the plain occurred_at index redundant.
    db.execute(
        "create index if not exists idx_contact_report on contact (occurred_at, deleted_at, "
        "police_service, team, kind, outcome, is_group, headcount, person_id, id)")
    db.execute("drop index if exists idx_contact_occurred")


@migrations()
def drop_team_index(db: Database) -> None:
    # With a team filter the planner preferred (team, occurred_at), which is not covering and
    # visits the table for every contact; idx_contact_report holds team, so the range scan on
    # occurred_at filters teams inside the index (measured: team filter 3.9 s -> as fast as
    # without it, bench/report.py).
    db.execute("drop index if exists idx_contact_team_occurred")


@migrations()
def create_referral_report_index(db: Database) -> None:
    # The report reads every referral sent in the period three times (counts and two medians):
    # an index holding every column it needs makes those index-only range scans instead of a
    # table look-up per referral (measured on a year of 40,000 referrals: 0.41 s -> 0.27 s
    # CPU).  It leads with sent_at, so the plain sent_at index is redundant.
    db.execute(
        "create index if not exists idx_referral_report on referral (sent_at, service_id, "
        "police_service, officer_id, received_at, accepted_at, declined_at, attempted_at, "
        "connected_at, closed_at, status_reason)")
    db.execute("drop index if exists idx_referral_sent")
