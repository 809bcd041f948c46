"""All SQL of calls for service (imported from the dispatch/records system) and of the links
of their pseudonymous person keys to fieldapp's people.  The report's own queries over calls
are in store.py."""

from sqlite_utils import Database

from fieldapp.db import writing


def _one(db: Database, sql: str, params: dict) -> dict:
    return next(db.query(sql, params))


def insert_calls(db: Database, rows: list[dict]) -> int:
    """Store calls; a call already stored (same id) is left as it is.  Returns how many new."""
    before = db.execute("select count(*) from calls_for_service").fetchone()[0]
    with writing(db):
        db.conn.executemany(
            """insert or ignore into calls_for_service
               (id, called_at, call_type, person_key, imported_at, import_batch)
               values (:id, :called_at, :call_type, :person_key, :imported_at, :import_batch)""",
            rows)
    return db.execute("select count(*) from calls_for_service").fetchone()[0] - before


def calls_summary(db: Database, police_service: str | None) -> dict:
    """Calls imported, their different person keys, and the keys linked to people of
    `police_service`."""
    return _one(db, """
        select count(*) as calls, count(distinct person_key) as person_keys,
               min(called_at) as first_call, max(called_at) as last_call,
               (select count(*) from person_key k join person p on p.id = k.person_id
                where p.police_service is :police_service) as linked_keys
        from calls_for_service""", {"police_service": police_service})


def person_exists(db: Database, person_id: str) -> bool:
    return bool(db.execute("select 1 from person where id = ?", [person_id]).fetchone())


def person_of_service(db: Database, person_id: str, police_service: str | None) -> bool:
    """The person exists, is not merged away or de-identified, and belongs to the police
    service (a coordinator links keys only to its own service's people)."""
    return bool(db.execute(
        "select 1 from person where id = ? and police_service is ? and merged_into_id is null"
        " and deidentified_at is null", [person_id, police_service]).fetchone())


def key_service(db: Database, person_key: str) -> tuple[bool, str | None]:
    """(linked, police service of the linked person) of a records-system key."""
    row = db.execute("select p.police_service from person_key k left join person p"
                     " on p.id = k.person_id where k.person_key = ?", [person_key]).fetchone()
    return (row is not None, row[0] if row else None)


def link_key(db: Database, person_key: str, person_id: str, user_id: str, now: str) -> None:
    db["person_key"].upsert({"person_key": person_key, "person_id": person_id,
                             "linked_by": user_id, "linked_at": now}, pk="person_key")


def unlink_key(db: Database, person_key: str, police_service: str | None) -> bool:
    """Remove the link of a key to a person of `police_service`; False when there is none."""
    with writing(db):
        cursor = db.execute(
            "delete from person_key where person_key = ? and person_id in"
            " (select id from person where police_service is ?)", [person_key, police_service])
    return cursor.rowcount > 0


def key_links(db: Database, police_service: str | None, limit: int = 200) -> list[dict]:
    """The most recent links to people of `police_service`, with the person's alias and how
    many calls carry the key."""
    return list(db.query("""
        select k.person_key, k.person_id, k.linked_at, p.alias,
               (select count(*) from calls_for_service f where f.person_key = k.person_key)
                   as calls
        from person_key k join person p on p.id = k.person_id
        where p.police_service is ?
        order by k.linked_at desc, k.person_key limit ?""", [police_service, limit]))
