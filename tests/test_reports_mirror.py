"""report_contact_population (the copy of each contact's populations with the contact's period,
filter and person columns that the report scans instead of a join) stays row for row equal to
the join it copies, whatever happens to contacts and their populations."""

from fieldapp.contacts import people
from fieldapp.contacts import store as contacts

JOIN = """select c.occurred_at, cp.contact_id, cp.population, c.deleted_at, c.police_service,
                 c.team, c.person_id
          from contact_population cp join contact c on c.id = cp.contact_id"""
COPY = """select occurred_at, contact_id, population, deleted_at, police_service, team, person_id
          from report_contact_population"""
MIRROR_NOW = "2026-03-02T15:00:00+00:00"


def assert_copy_matches(db):
    assert sorted(db.execute(JOIN).fetchall()) == sorted(db.execute(COPY).fetchall())


def a_person_with_contacts(db) -> tuple[str, list[str]]:
    row = db.execute("""select person_id from contact c
                        join contact_population cp on cp.contact_id = c.id
                        where person_id is not null group by person_id
                        order by count(*) desc limit 1""").fetchone()
    ids = [r[0] for r in db.execute("select id from contact where person_id = ?", [row[0]])]
    return row[0], ids


def test_the_copy_is_filled_from_the_demo_data(db):
    assert db["report_contact_population"].count > 0
    assert_copy_matches(db)


def test_new_contact_and_its_populations_are_copied(db):
    officer = db.execute("select id from user where role = 'officer' limit 1").fetchone()[0]
    db["contact"].insert({"id": "c-new", "officer_id": officer, "police_service": "HRP",
                          "team": "T", "occurred_at": MIRROR_NOW, "created_at": MIRROR_NOW})
    db["contact_population"].insert_all([{"contact_id": "c-new", "population": "veteran"},
                                         {"contact_id": "c-new", "population": "youth_12_17"}])
    assert 2 == db.execute("select count(*) from report_contact_population "
                           "where contact_id = 'c-new'").fetchone()[0]
    assert_copy_matches(db)


def test_populations_recorded_before_their_contact_are_copied_when_it_arrives(db):
    db.execute("PRAGMA foreign_keys = OFF")
    db["contact_population"].insert({"contact_id": "c-late", "population": "veteran"})
    officer = db.execute("select id from user limit 1").fetchone()[0]
    db["contact"].insert({"id": "c-late", "officer_id": officer, "occurred_at": MIRROR_NOW,
                          "created_at": MIRROR_NOW})
    assert_copy_matches(db)


def test_editing_a_contact_and_its_populations_updates_the_copy(db):
    contact_id = db.execute("select contact_id from contact_population limit 1").fetchone()[0]
    # What contacts.store.update_contact does: update the row, replace the populations.
    with db.atomic():
        db["contact"].update(contact_id, {"occurred_at": MIRROR_NOW, "team": "Other",
                                          "police_service": "RCMP", "kind": "other"})
        db.execute("delete from contact_population where contact_id = ?", [contact_id])
        db["contact_population"].insert_all([{"contact_id": contact_id, "population": p}
                                             for p in ("senior_65_plus", "unsheltered")])
    assert_copy_matches(db)
    db.execute("update contact_population set population = 'veteran' "
               "where contact_id = ? and population = 'unsheltered'", [contact_id])
    assert_copy_matches(db)


def test_undo_and_delete_update_the_copy(db):
    first, second, third = [r[0] for r in db.execute(
        "select distinct contact_id from contact_population limit 3")]
    contacts.undo_contact(db, first, MIRROR_NOW)
    assert_copy_matches(db)
    with db.atomic():
        db.execute("delete from contact_population where contact_id = ?", [second])
        db.execute("delete from referral where contact_id = ?", [second])
        db.execute("delete from contact where id = ?", [second])
    assert_copy_matches(db)
    db.execute("PRAGMA foreign_keys = OFF")  # the contact goes first, its populations stay
    db.execute("delete from contact where id = ?", [third])
    assert_copy_matches(db)


def test_merging_people_moves_their_contacts_in_the_copy(db):
    keep, _ = a_person_with_contacts(db)
    other = db.execute("""select person_id from contact c
                          join contact_population cp on cp.contact_id = c.id
                          where person_id is not null and person_id != ? limit 1""",
                       [keep]).fetchone()[0]
    people.merge_people(db, keep, other, MIRROR_NOW)
    assert 0 == db.execute("select count(*) from report_contact_population where person_id = ?",
                           [other]).fetchone()[0]
    assert_copy_matches(db)


def test_deidentifying_people_keeps_the_copy_equal(db):
    person, _ = a_person_with_contacts(db)
    people.deidentify_people(db, [person], MIRROR_NOW)
    assert_copy_matches(db)
