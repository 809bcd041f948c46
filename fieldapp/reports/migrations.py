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


# Columns of report_contact_population copied from the contact, in table order.
MIRRORED = ("occurred_at", "deleted_at", "police_service", "team", "person_id")


@migrations()
def create_contact_population_mirror(db: Database) -> None:
    # The populations table of the report joined every contact of the period to
    # contact_population: one random index probe per contact, the most expensive query of a
    # whole-year report (0.4-0.5 s CPU for 250,000 contacts).  This table holds each
    # (contact, population) with the contact's columns that the report filters and counts on,
    # clustered by occurred_at, so that the period is one range scan and no join.  It is a
    # copy, not a total: triggers on contact and contact_population keep it row for row equal
    # to their join (inserts, edits, undo, merges that move contacts, deletes).
    db.execute("""
        create table if not exists report_contact_population (
            occurred_at text not null, contact_id text not null, population text not null,
            deleted_at text, police_service text, team text, person_id text,
            primary key (occurred_at, contact_id, population)) without rowid""")
    copy = ("insert or replace into report_contact_population (occurred_at, contact_id, "
            "population, deleted_at, police_service, team, person_id) ")
    from_population = ("select {c}.occurred_at, {cp}.contact_id, coalesce({cp}.population, ''), "
                       "{c}.deleted_at, {c}.police_service, {c}.team, {c}.person_id ")
    forget_contact = ("delete from report_contact_population "
                      "where occurred_at = old.occurred_at and contact_id = old.id;")
    forget_population = ("delete from report_contact_population "
                         "where occurred_at in (select occurred_at from contact "
                         "where id = old.contact_id) "
                         "and contact_id = old.contact_id "
                         "and population = coalesce(old.population, '');")
    add_contact = (copy + from_population.format(c="new", cp="cp")
                   + "from contact_population cp where cp.contact_id = new.id;")
    add_population = (copy + from_population.format(c="c", cp="new")
                      + "from contact c where c.id = new.contact_id;")
    triggers = {
        "report_contact_inserted": ("after insert on contact", add_contact),
        "report_contact_updated": (
            f"after update of id, {', '.join(MIRRORED)} on contact",
            forget_contact + add_contact),
        "report_contact_deleted": ("after delete on contact", forget_contact),
        "report_population_inserted": ("after insert on contact_population", add_population),
        "report_population_updated": ("after update on contact_population",
                                      forget_population + add_population),
        "report_population_deleted": ("after delete on contact_population", forget_population),
    }
    for name, (event, body) in triggers.items():
        db.execute(f"create trigger if not exists {name} {event} begin {body} end")
    db.execute(copy + from_population.format(c="c", cp="cp")
               + "from contact_population cp join contact c on c.id = cp.contact_id")


@migrations()
def create_person_report_index(db: Database) -> None:
    # People and the repeat-call cohort are counted per person: walking this index (person,
    # then time, with every column the report filters on) groups a person's contacts with no
    # sort, and finds "another contact within N days" with one seek.  SQLite serializes sorts
    # and temporary b-trees across threads (a global allocator lock), so avoiding them is what
    # lets the report's concurrent queries really run side by side.
    db.execute(
        "create index if not exists idx_contact_person_report on contact (person_id, "
        "occurred_at, deleted_at, police_service, team)")


@migrations()
def add_service_joint_police_health(db: Database) -> None:
    # A service run by police together with health (e.g. a mobile crisis team with officers
    # and clinicians) is not a non-police partner: the board report counts referrals accepted
    # by it apart from diversion (store.DIVERTED / store.JOINT).  On the directory's service
    # table; 0 for every existing service.
    if "joint_police_health" not in db["service"].columns_dict:
        db["service"].add_column("joint_police_health", int, not_null_default=0)


@migrations()
def create_referral_contact_report_index(db: Database) -> None:
    # Diversion asks, for each mental-health contact, whether a partner accepted a referral
    # made from it and which service: with accepted_at and service_id in the index that is one
    # index-only probe, no table look-up (measured on a year of 250,000 contacts, 40,000
    # referrals: the mental-health pass 0.145 s -> 0.126 s CPU).  It leads with contact_id,
    # so the plain contact_id index is redundant.
    db.execute("create index if not exists idx_referral_contact_report on referral "
               "(contact_id, accepted_at, service_id)")
    db.execute("drop index if exists idx_referral_contact")


@migrations()
def create_partnership_history(db: Database) -> None:
    # The board report shows the partnership register as it was at the end of the period
    # (issue 21), not today's.  The directory keeps only today's service_partnership rows, so
    # this table keeps each partnership's life: added_at, removed_at (null while it lasts).
    # Triggers on service_partnership write it in the same transaction as the directory's
    # own write (the one write rule), whoever writes (the service form, the HSDS import, a
    # merge of duplicates).  The time is the service's updated_at, which the directory stamps
    # with the app's clock before it changes links; '' (since ever) when the service has
    # none, and SQLite's clock for a removal whose service is gone.  Partnerships already
    # there when the history starts count from the start.
    db.execute("""
        create table if not exists report_partnership_history (
            service_id text not null, police_service text not null,
            added_at text not null, removed_at text)""")
    db.execute("create index if not exists idx_report_partnership_history on "
               "report_partnership_history (service_id, police_service, removed_at)")
    stamp = ("(select nullif(s.updated_at, '') from service s "
             "where s.id = {row}.service_id)")
    add = ("insert into report_partnership_history (service_id, police_service, added_at) "
           f"values (new.service_id, new.police_service, coalesce({stamp.format(row='new')}, "
           "''));")
    remove = ("update report_partnership_history set removed_at = coalesce("
              f"{stamp.format(row='old')}, strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now')) "
              "where service_id = old.service_id and police_service = old.police_service "
              "and removed_at is null;")
    triggers = {
        "report_partnership_inserted": ("after insert on service_partnership", add),
        "report_partnership_updated": ("after update on service_partnership", remove + add),
        "report_partnership_deleted": ("after delete on service_partnership", remove),
    }
    for name, (event, body) in triggers.items():
        db.execute(f"create trigger if not exists {name} {event} begin {body} end")
    db.execute("insert into report_partnership_history (service_id, police_service, added_at) "
               "select service_id, police_service, '' from service_partnership")


@migrations()
def create_contact_cells_report_index(db: Database) -> None:
    # The report's grids of contacts and of people (store.contact_cells, store.people_cells:
    # month × police service × team [× kind]) were GROUP BYs over every contact of the
    # period: a sort of every row, 0.35 s and 0.23 s CPU for a year of 250,000 contacts.
    # With the grid's columns leading this index, each cell is one range of it (police
    # service, team, kind, then the month's times), counted by a seek and a walk with no sort
    # (measured: 0.35 s -> 0.06 s and 0.23 s -> 0.15 s).  Every column the grids count is in
    # the index, so the walks never visit the table.
    db.execute(
        "create index if not exists idx_contact_cells_report on contact (police_service, team, "
        "kind, occurred_at, deleted_at, is_group, headcount, outcome, person_id, id)")


@migrations()
def create_population_cells_report_index(db: Database) -> None:
    # The population grid (store.population_cells: month × police service × team ×
    # population, contacts and different people) was a GROUP BY over every (contact,
    # population) of the period: a sort of every row, 0.43 s CPU for a year of 250,000
    # contacts.  With the grid's columns leading this index of the populations mirror, each
    # cell is one range of it, counted by a seek and an index-only walk with no sort.
    db.execute(
        "create index if not exists idx_report_population_cells on report_contact_population "
        "(population, police_service, team, occurred_at, deleted_at, person_id)")


@migrations()
def create_referred_report_indexes(db: Database) -> None:
    # People referred by population (store.referred_by_population, the summary's costliest
    # query) looked up, for each referral of the period, its row (for contact_id), its
    # contact (for deleted_at and person_id: a wide row) and the contact's populations: three
    # random look-ups per referral.  With contact_id in an index by sending time, and the
    # populations mirror indexed by contact with the contact's deleted_at and person_id, it
    # is one index-only probe per referral (measured on a quarter of 10,000 referrals:
    # 0.08 s -> 0.035 s CPU).
    db.execute("create index if not exists idx_referral_sent_contact on referral "
               "(sent_at, contact_id, officer_id, police_service)")
    db.execute("create index if not exists idx_report_population_contact on "
               "report_contact_population (contact_id, population, deleted_at, person_id)")
