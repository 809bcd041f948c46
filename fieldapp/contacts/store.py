"""Quick contacts: the one write path of a new contact (web form and offline sync alike:
idempotent by the client UUID, all-or-nothing per item), its validation, edits and undo, and
reading contacts under the scope rule.  Plain functions over a sqlite_utils.Database, dicts in
and out.  People are in people.py, places and vocabularies in places.py, times in times.py.
"""

import json
import re
from datetime import UTC, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlite_utils import Database

from fieldapp import replay
from fieldapp.contacts import vocab
from fieldapp.contacts.records import (
    already_stored,
    checked_id,
    codes,
    fingerprint,
    flag,
    invalid,
    number,
    police_service_of,
    resolve_person,
    store_once,
    text,
    whole_number,
)
from fieldapp.contacts.times import ahead_after_correction, check_device_time, iso, parse_time
from fieldapp.db import insert, writing

NOTE_MAX = 1000
PLACE_TEXT_MAX = 120
HEADCOUNT_MIN, HEADCOUNT_MAX = 1, 2000
UNDO_WINDOW = timedelta(minutes=10)
EDIT_WINDOW = timedelta(hours=24)

# What validate_contact returns about the phone rather than the contact (not edited, not compared).
DEVICE_FIELDS = ("device_occurred_at", "clock_offset_seconds")


# --- note warnings --------------------------------------------------------------------------

PHONE_RE = re.compile(r"(?<!\d)(\+?1[\s.-]?)?\(?\d{3}\)?[\s.-]?\d{3}[\s.-]?\d{4}(?!\d)")
ADDRESS_RE = re.compile(
    r"\b\d{1,5}[a-z]?\s+(?:[\w'’.-]+\s+){0,3}"
    r"(?:st|street|ave|avenue|rd|road|dr|drive|ln|lane|blvd|boulevard|crt|court|cres|crescent|"
    r"way|pl|place|terr?|terrace|hwy|highway)\b\.?"
    r"|\b\d{1,5},?\s+(?:rue|chemin|boul|boulevard|avenue|av)\b"
    r"|\b[A-CEGHJ-NPR-TVXY]\d[A-CEGHJ-NPR-TV-Z]\s?\d[A-CEGHJ-NPR-TV-Z]\d\b",
    re.IGNORECASE,
)
HEALTH_RE = re.compile(
    r"\b(?:diagnos\w*|schizo\w*|bipola\w*|psychos[ie]s|psychoti\w*|ptsd|tspt|adhd|tdah|autis\w*|"
    r"dementia|d[ée]mence|alzheimer\w*|depress\w*|d[ée]pression|anxiety disorder|hiv|vih|"
    r"hepatitis|h[ée]patite|diabet\w*|diab[èe]te|epilep\w*|[ée]pilep\w*|borderline|"
    r"personality disorder|trouble de la personnalit[ée]|fasd|ocd|toc)\b",
    re.IGNORECASE,
)


def note_warnings(note: str | None) -> list[str]:
    """What a note seems to contain that the team should not keep: phone, address, health."""
    if not note:
        return []
    found = []
    if PHONE_RE.search(note):
        found.append("phone")
    if ADDRESS_RE.search(note):
        found.append("address")
    if HEALTH_RE.search(note):
        found.append("health")
    return found



def _place(db: Database, place_id: str) -> dict | None:
    rows = list(db.query("select * from place where id = ?", [place_id]))
    return rows[0] if rows else None


def validate_contact(db: Database, item: dict, user: dict, now: str,
                     rows: list[dict] | None = None,
                     clock_offset: int | None = None) -> tuple[dict, list[str], dict]:
    """Normalized fields, population codes and errors {field: message} of a contact item.

    `occurred_at` is the time corrected by the phone's `clock_offset` (see check_device_time),
    the one every reader uses; `device_occurred_at` keeps the time as the phone sent it."""
    rows = vocab.extensions(db) if rows is None else rows
    errors: dict = {}
    fields: dict = {}
    now_dt = parse_time(now) or datetime.now(UTC)
    if not isinstance(item, dict):
        return {}, [], {"id": _l("This record is not readable.")}

    moment, problem = check_device_time(item.get("occurred_at"), now_dt, clock_offset)
    if problem == "missing":
        errors["occurred_at"] = _l("Give the date and time of the contact.")
    elif problem == "future" and clock_offset is not None:
        errors["occurred_at"] = ahead_after_correction()
    elif problem == "future":
        errors["occurred_at"] = _l("The time of the contact is in the future.")
    elif problem == "past":
        errors["occurred_at"] = _l("The time of the contact is too far in the past.")
    else:
        fields["occurred_at"] = iso(moment)
        fields["device_occurred_at"] = iso(parse_time(item.get("occurred_at")))
        fields["clock_offset_seconds"] = clock_offset

    place_id = text(item.get("place_id"))
    place_text = text(item.get("place_text"))
    fields["place_id"] = None
    fields["place_text"] = None
    if place_id:
        place = _place(db, place_id)
        if place is None or (place["police_service"] not in (None, "", police_service_of(user))):
            errors["place_id"] = _l("Choose a place from the list.")
        else:
            fields["place_id"] = place_id
    elif place_text:
        if len(place_text) > PLACE_TEXT_MAX:
            errors["place_text"] = _l("Keep the place to %(max)d characters.", max=PLACE_TEXT_MAX)
        else:
            fields["place_text"] = place_text

    lat, lon = number(item.get("lat")), number(item.get("lon"))
    fields["lat"] = fields["lon"] = None
    if lat is False or lon is False or (lat is None) != (lon is None):
        errors["lat"] = _l("The location is not readable; tap “use my location” again.")
    elif lat is not None and not (-90 <= lat <= 90 and -180 <= lon <= 180):
        errors["lat"] = _l("The location is out of range.")
    elif lat is not None:
        fields["lat"], fields["lon"] = round(lat, 6), round(lon, 6)
    if not (fields["place_id"] or fields["place_text"] or fields["lat"] is not None
            or "place_id" in errors or "place_text" in errors or "lat" in errors):
        errors["place_id"] = _l("Choose a place, type one, or use your location.")

    kind = item.get("kind")
    if not kind:
        errors["kind"] = _l("Choose the kind of contact.")
    elif not isinstance(kind, str) or kind not in vocab.active_codes("kind", rows):
        errors["kind"] = _l("This kind of contact is not in the list.")
    else:
        fields["kind"] = kind

    populations = codes(item.get("populations"))
    if populations is None or any(p not in vocab.active_codes("population", rows)
                                  for p in populations):
        errors["populations"] = _l("A population is not in the list.")
        populations = []
    populations = sorted(set(populations))

    outcome = item.get("outcome")
    if not outcome:
        errors["outcome"] = _l("Choose an outcome.")
    elif not isinstance(outcome, str) or outcome not in vocab.active_codes("outcome", rows):
        errors["outcome"] = _l("This outcome is not in the list.")
    else:
        fields["outcome"] = outcome

    note = item.get("note")
    if note is not None and not isinstance(note, str):
        errors["note"] = _l("The note is not readable.")
    else:
        note = (note or "").strip()
        if len(note) > NOTE_MAX:
            errors["note"] = _l("Keep the note to %(max)d characters (it has %(count)d).",
                                max=NOTE_MAX, count=len(note))
        fields["note"] = note or None

    is_group = flag(item.get("is_group"))
    if is_group is None:
        errors["is_group"] = _l("Choose individual or group.")
        is_group = False
    fields["is_group"] = int(is_group)
    fields["headcount"] = fields["age_band"] = None
    if is_group:
        headcount = whole_number(item.get("headcount"))
        if headcount is None:
            errors["headcount"] = _l("Give the number of people in the group.")
        elif headcount is False or not HEADCOUNT_MIN <= headcount <= HEADCOUNT_MAX:
            errors["headcount"] = _l("The headcount must be a whole number from %(min)d to "
                                     "%(max)d.", min=HEADCOUNT_MIN, max=HEADCOUNT_MAX)
        else:
            fields["headcount"] = headcount
        age_band = item.get("age_band")
        if not age_band:
            errors["age_band"] = _l("Choose the age band of the group.")
        elif age_band not in vocab.AGE_BANDS:
            errors["age_band"] = _l("This age band is not in the list.")
        else:
            fields["age_band"] = age_band

    person_id = text(item.get("person_id"))
    fields["person_id"] = None
    if person_id:
        person = resolve_person(db, person_id)
        if is_group:
            errors["person_id"] = _l("A group contact records no person.")
        elif (person is None or person["deidentified_at"]
              or person["police_service"] != police_service_of(user)):
            errors["person_id"] = _l("This person is not found.")
        else:
            fields["person_id"] = person["id"]
    return fields, populations, errors


# --- the write path: contacts ------------------------------------------------------------------


def apply_contact(db: Database, item: dict, user: dict, now: str,
                  clock_offset: int | None = None, raw: str | None = None) -> dict:
    """Store one contact made on a phone or the web form (idempotent by client UUID);
    `clock_offset`: the server's clock minus the phone's, in seconds, if the phone said;
    `raw`: the fingerprint of the record as the phone sent it (default: of `item`)."""
    contact_id, refused = checked_id(item, user)
    if refused:
        return refused
    raw = raw or replay.raw_hash(item)
    stored = already_stored(db, "contact", contact_id, "officer_id", raw, user)
    if stored:
        return stored
    fields, populations, errors = validate_contact(db, item, user, now, clock_offset=clock_offset)
    if contact_id is None:
        return invalid(item.get("id"), {"id": _l("The record has no valid id."), **errors})
    if errors:
        return invalid(contact_id, errors)
    payload_hash = fingerprint({**_as_sent(fields), "populations": populations})
    row = {"id": contact_id, **fields, "officer_id": user["id"],
           "police_service": police_service_of(user), "team": user.get("team"),
           "created_at": now, "updated_at": now, "payload_hash": payload_hash}
    row["raw_hash"] = raw  # the payload as received: a resend is known before validation

    def write():
        insert(db, "contact", row)
        insert(db, "contact_population",
               *[{"contact_id": contact_id, "population": p} for p in populations])

    return store_once(db, "contact", contact_id, "officer_id", payload_hash, user, write, raw)


def _as_sent(fields: dict) -> dict:
    """A contact's fields with its time as the phone sent it: a replay is the same record
    whatever the phone's clock read when it was sent again."""
    sent = {k: v for k, v in fields.items() if k not in DEVICE_FIELDS}
    sent["occurred_at"] = fields["device_occurred_at"]
    return sent


# --- reading contacts under the scope rule ----------------------------------------------------


def scope_sql(user: dict, alias: str = "c") -> tuple[str, list]:
    """SQL condition on contact `alias` for what `user` may see (deleted contacts never)."""
    role = user.get("role")
    if role == "coordinator":
        return f"{alias}.deleted_at is null and {alias}.police_service = ?", [
            user.get("police_service")]
    if role == "officer":
        # An officer opens only their own contacts: other officers' contacts with the same
        # person reach them as a summary on the person page (person_history), never whole.
        return (f"{alias}.deleted_at is null and {alias}.police_service = ? and "
                f"{alias}.officer_id = ?", [user.get("police_service"), user["id"]])
    return "0", []


CONTACT_SELECT = (
    "select c.*, pl.name as place_name, pe.alias as person_alias, u.name as officer_name "
    "from contact c left join place pl on pl.id = c.place_id "
    "left join person pe on pe.id = c.person_id left join user u on u.id = c.officer_id "
)


def with_populations(db: Database, contacts: list[dict]) -> list[dict]:
    """Attach the population codes of every contact in one query."""
    by_id = {c["id"]: c for c in contacts}
    for contact in contacts:
        contact["populations"] = []
    if by_id:
        marks = ",".join("?" * len(by_id))
        for row in db.query(f"select contact_id, population from contact_population where "
                            f"contact_id in ({marks}) order by population", list(by_id)):
            by_id[row["contact_id"]]["populations"].append(row["population"])
    return contacts


def get_contact(db: Database, contact_id: str, user: dict) -> dict | None:
    """One contact the user may see, with its populations; None otherwise."""
    where, params = scope_sql(user)
    rows = list(db.query(CONTACT_SELECT + f"where c.id = ? and {where}", [contact_id, *params]))
    return with_populations(db, rows)[0] if rows else None


def list_contacts(db: Database, user: dict, *, mine: bool, kind: str | None = None,
                  place_id: str | None = None, since: str | None = None,
                  until: str | None = None, before: tuple[str, str] | None = None,
                  limit: int = 25) -> tuple[list[dict], bool]:
    """A page of contacts, newest first (keyset on occurred_at, id); (rows, has_more)."""
    where, params = scope_sql(user)
    clauses = [where]
    if mine:
        clauses.append("c.officer_id = ?")
        params.append(user["id"])
    if kind:
        clauses.append("c.kind = ?")
        params.append(kind)
    if place_id:
        clauses.append("c.place_id = ?")
        params.append(place_id)
    if since:
        clauses.append("c.occurred_at >= ?")
        params.append(since)
    if until:
        clauses.append("c.occurred_at < ?")
        params.append(until)
    if before:
        clauses.append("(c.occurred_at < ? or (c.occurred_at = ? and c.id < ?))")
        params += [before[0], before[0], before[1]]
    sql = (CONTACT_SELECT + "where " + " and ".join(clauses)
           + " order by c.occurred_at desc, c.id desc limit ?")
    rows = list(db.query(sql, [*params, limit + 1]))
    return with_populations(db, rows[:limit]), len(rows) > limit


def last_contact(db: Database, user_id: str) -> dict | None:
    rows = list(db.query("select * from contact where officer_id = ? and deleted_at is null "
                         "order by created_at desc limit 1", [user_id]))
    return with_populations(db, rows)[0] if rows else None


def contact_revisions(db: Database, contact_id: str) -> list[dict]:
    return [{**r, "old_values": json.loads(r["old_values"])} for r in db.query(
        "select r.*, u.name as editor_name from contact_revision r "
        "left join user u on u.id = r.edited_by where contact_id = ? order by r.id",
        [contact_id])]


def can_undo(contact: dict, user: dict, now: str) -> bool:
    created = parse_time(contact["created_at"])
    return (contact["officer_id"] == user["id"] and created is not None
            and parse_time(now) - created <= UNDO_WINDOW)


def can_edit(contact: dict, user: dict, now: str) -> bool:
    created = parse_time(contact["created_at"])
    return (contact["officer_id"] == user["id"] and created is not None
            and parse_time(now) - created <= EDIT_WINDOW)


def update_contact(db: Database, contact: dict, item: dict, user: dict, now: str) -> dict:
    """Edit a contact; the old values of what changed go to contact_revision."""
    fields, populations, errors = validate_contact(db, item, user, now)
    if errors:
        return {"id": contact["id"], "status": "invalid", "errors": errors}
    old = {k: contact[k] for k, v in fields.items()
           if k not in DEVICE_FIELDS and contact[k] != v}
    if "occurred_at" not in old:  # the phone's time and clock stay those it first sent
        fields = {k: v for k, v in fields.items() if k not in DEVICE_FIELDS}
    if sorted(contact["populations"]) != populations:
        old["populations"] = sorted(contact["populations"])
    if not old:
        return {"id": contact["id"], "status": "unchanged", "errors": {}, "changed": []}
    with writing(db):
        db["contact_revision"].insert({"contact_id": contact["id"], "edited_by": user["id"],
                                       "edited_at": now, "old_values": json.dumps(old)})
        db["contact"].update(contact["id"], {**fields, "updated_at": now})
        db.execute("delete from contact_population where contact_id = ?", [contact["id"]])
        if populations:
            db["contact_population"].insert_all(
                [{"contact_id": contact["id"], "population": p} for p in populations])
    return {"id": contact["id"], "status": "updated", "errors": {}, "changed": sorted(old)}


def undo_contact(db: Database, contact_id: str, now: str) -> None:
    with writing(db):
        db["contact"].update(contact_id, {"deleted_at": now, "updated_at": now})

