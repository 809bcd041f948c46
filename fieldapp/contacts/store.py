"""Data access of the contacts area: quick contacts, people, places, history, retention.

Plain functions over a sqlite_utils.Database, dicts in and out.  `apply_contact` and
`apply_person` are the one write path for new records, used by the web forms and by the
offline sync alike: idempotent by the client UUID, all-or-nothing per item.
"""

import hashlib
import json
import re
import sqlite3
import uuid
from datetime import UTC, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlite_utils import Database

from fieldapp import replay
from fieldapp.contacts import vocab
from fieldapp.db import insert, select, writing

CLOCK_SKEW = timedelta(minutes=5)  # how far ahead a phone's time may be, its clock unknown
CORRECTED_SKEW = timedelta(hours=24)  # how far ahead it may be, corrected by the phone's offset
NOTE_MAX = 1000
ALIAS_MAX = 80
PLACE_TEXT_MAX = 120
HEADCOUNT_MIN, HEADCOUNT_MAX = 1, 2000
BIRTH_YEAR_MIN = 1900
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
UNDO_WINDOW = timedelta(minutes=10)
EDIT_WINDOW = timedelta(hours=24)
OPEN_REFERRAL_EXCLUDED = ("closed", "declined")
RECORDING_ROLES = ("officer", "coordinator")

CONTACT_FIELDS = ("occurred_at", "place_id", "place_text", "lat", "lon", "kind", "outcome", "note",
                  "person_id", "is_group", "headcount", "age_band")


# --- small parsers ------------------------------------------------------------------------------


def parse_time(value) -> datetime | None:
    """An ISO 8601 instant (naive means UTC) as an aware UTC datetime, or None."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def device_time(value, now, offset: int | None = None) -> datetime | None:
    """A time a phone recorded, as the server's clock read then, if plausible; else None.

    The one rule for every synced record's timestamps (see `check_device_time`)."""
    return check_device_time(value, now, offset)[0]


def check_device_time(value, now, offset: int | None = None) -> tuple[datetime | None, str]:
    """(the corrected time, "") or (None, why: "missing", "future" or "past").

    `offset` is the server's clock minus the phone's, in seconds, measured when the phone sent
    the record (None: the phone did not say, as with older phones and the web form).  Without
    it the time is taken as it is and may be at most CLOCK_SKEW ahead of `now`.  With it the
    time is corrected by the offset; a corrected time ahead of `now` (the phone's clock was
    changed between saving and sending) is taken as `now`, since nothing happened after it
    arrived, unless it is more than CORRECTED_SKEW ahead.  Never before EARLIEST.
    """
    moment = parse_time(value)
    if moment is None:
        return None, "missing"
    now_dt = parse_time(now) if isinstance(now, str) else now
    if offset is None:
        if moment > now_dt + CLOCK_SKEW:
            return None, "future"
    else:
        moment = moment + timedelta(seconds=offset)
        if moment > now_dt + CORRECTED_SKEW:
            return None, "future"
        moment = min(moment, now_dt)
    if moment < EARLIEST:
        return None, "past"
    return moment, ""


def ahead_after_correction():
    """The refusal of a time still too far ahead once the phone's clock is allowed for."""
    return _l("This time is more than 24 hours ahead of the server's clock, even allowing for "
              "the phone's clock. Check the date and time set on the phone.")


def _uuid(value) -> str | None:
    try:
        return str(uuid.UUID(str(value)))
    except (ValueError, TypeError, AttributeError):
        return None


def _text(value) -> str:
    return value.strip() if isinstance(value, str) else ""


def _int(value):
    """An int from an int or a string of digits; None when empty; False when not a number."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d{1,9}\s*", value):
        return int(value)
    return False


def _float(value):
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return False
    try:
        number = float(value)
    except (TypeError, ValueError):
        return False
    return number if number == number and abs(number) != float("inf") else False


def _flag(value) -> bool | None:
    if value in (None, "", 0, "0", False, "false", "off", "no"):
        return False
    if value in (1, "1", True, "true", "on", "yes"):
        return True
    return None


def _codes(value) -> list | None:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return list(value)
    return None


def _hash(fields: dict) -> str:
    return hashlib.sha256(json.dumps(fields, sort_keys=True, default=str).encode()).hexdigest()


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


# --- validation ------------------------------------------------------------------------------


def _police_service(user: dict) -> str | None:
    return user.get("police_service")


def resolve_person(db: Database, person_id: str) -> dict | None:
    """The person, following merges to the record that was kept."""
    seen = set()
    while person_id and person_id not in seen:
        seen.add(person_id)
        rows = list(db.query("select * from person where id = ?", [person_id]))
        if not rows:
            return None
        if not rows[0]["merged_into_id"]:
            return rows[0]
        person_id = rows[0]["merged_into_id"]
    return None


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

    place_id = _text(item.get("place_id"))
    place_text = _text(item.get("place_text"))
    fields["place_id"] = None
    fields["place_text"] = None
    if place_id:
        place = _place(db, place_id)
        if place is None or (place["police_service"] not in (None, "", _police_service(user))):
            errors["place_id"] = _l("Choose a place from the list.")
        else:
            fields["place_id"] = place_id
    elif place_text:
        if len(place_text) > PLACE_TEXT_MAX:
            errors["place_text"] = _l("Keep the place to %(max)d characters.", max=PLACE_TEXT_MAX)
        else:
            fields["place_text"] = place_text

    lat, lon = _float(item.get("lat")), _float(item.get("lon"))
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

    populations = _codes(item.get("populations"))
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

    is_group = _flag(item.get("is_group"))
    if is_group is None:
        errors["is_group"] = _l("Choose individual or group.")
        is_group = False
    fields["is_group"] = int(is_group)
    fields["headcount"] = fields["age_band"] = None
    if is_group:
        headcount = _int(item.get("headcount"))
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

    person_id = _text(item.get("person_id"))
    fields["person_id"] = None
    if person_id:
        person = resolve_person(db, person_id)
        if is_group:
            errors["person_id"] = _l("A group contact records no person.")
        elif (person is None or person["deidentified_at"]
              or person["police_service"] != _police_service(user)):
            errors["person_id"] = _l("This person is not found.")
        else:
            fields["person_id"] = person["id"]
    return fields, populations, errors


def _strings(errors: dict) -> dict:
    return {field: str(message) for field, message in errors.items()}


# --- the write path: contacts ------------------------------------------------------------------


def _invalid(record_id, errors: dict) -> dict:
    return {"id": record_id, "status": "invalid", "errors": _strings(errors)}


def _checked_id(item, user: dict) -> tuple[str | None, dict | None]:
    """The record's client UUID, or the "invalid" answer for an unreadable item or a user who
    may not record.  (The id itself is checked after the fields, so every error is reported.)"""
    if not isinstance(item, dict):
        return None, _invalid(None, {"id": _l("This record is not readable.")})
    if user.get("role") not in RECORDING_ROLES:
        return None, _invalid(item.get("id"),
                              {"id": _l("Only officers and coordinators record contacts.")})
    return _uuid(item.get("id")), None


def _already_stored(db: Database, table: str, record_id: str | None, owner: str, raw: str,
                    user: dict) -> dict | None:
    """The "unchanged" answer when this exact payload was stored before under this id by this
    user (checked before validation: a stored record is never refused on resend), else None."""
    existing = _existing(db, table, record_id) if record_id else None
    if existing is not None and replay.is_replay(existing, existing[owner], user["id"], raw):
        return {"id": record_id, "status": "unchanged", "errors": {}}
    return None


def _store_once(db: Database, table: str, record_id: str, owner: str, payload_hash: str,
                user: dict, write, raw: str | None = None) -> dict:
    """Run `write()` (inside a transaction) unless the record exists: then it is a replay,
    answered "unchanged" or "conflict" (also when a concurrent request stored it first)."""
    existing = _existing(db, table, record_id)
    if existing is None:
        try:
            with writing(db):
                write()
            return {"id": record_id, "status": "created", "errors": {}}
        except sqlite3.IntegrityError:
            existing = _existing(db, table, record_id)
            if existing is None:
                raise
    return _replay(existing, existing[owner], payload_hash, user, raw)


def apply_contact(db: Database, item: dict, user: dict, now: str,
                  clock_offset: int | None = None) -> dict:
    """Store one contact made on a phone or the web form (idempotent by client UUID);
    `clock_offset`: the server's clock minus the phone's, in seconds, if the phone said."""
    contact_id, refused = _checked_id(item, user)
    if refused:
        return refused
    raw = replay.raw_hash(item)
    stored = _already_stored(db, "contact", contact_id, "officer_id", raw, user)
    if stored:
        return stored
    fields, populations, errors = validate_contact(db, item, user, now, clock_offset=clock_offset)
    if contact_id is None:
        return _invalid(item.get("id"), {"id": _l("The record has no valid id."), **errors})
    if errors:
        return _invalid(contact_id, errors)
    payload_hash = _hash({**_as_sent(fields), "populations": populations})
    row = {"id": contact_id, **fields, "officer_id": user["id"],
           "police_service": _police_service(user), "team": user.get("team"),
           "created_at": now, "updated_at": now, "payload_hash": payload_hash}
    row["raw_hash"] = raw  # the payload as received: a resend is known before validation

    def write():
        insert(db, "contact", row)
        insert(db, "contact_population",
               *[{"contact_id": contact_id, "population": p} for p in populations])

    return _store_once(db, "contact", contact_id, "officer_id", payload_hash, user, write, raw)


def _as_sent(fields: dict) -> dict:
    """A contact's fields with its time as the phone sent it: a replay is the same record
    whatever the phone's clock read when it was sent again."""
    sent = {k: v for k, v in fields.items() if k not in ("device_occurred_at",
                                                         "clock_offset_seconds")}
    sent["occurred_at"] = fields["device_occurred_at"]
    return sent


def _existing(db: Database, table: str, record_id: str) -> dict | None:
    found = select(db, f"select * from [{table}] where id = ?", [record_id])
    return found[0] if found else None


def _replay(existing: dict, owner_id: str, payload_hash: str, user: dict,
            raw: str | None = None) -> dict:
    if replay.is_replay(existing, owner_id, user["id"], raw, payload_hash):
        return {"id": existing["id"], "status": "unchanged", "errors": {}}
    return {"id": existing["id"], "status": "conflict",
            "errors": {"id": str(_l("A different record was already stored with this id."))}}


# --- the write path: people --------------------------------------------------------------------


def validate_person(db: Database, item: dict, user: dict, now: str,
                    rows: list[dict] | None = None,
                    clock_offset: int | None = None) -> tuple[dict, dict]:
    rows = vocab.extensions(db) if rows is None else rows
    errors: dict = {}
    fields: dict = {}
    now_dt = parse_time(now) or datetime.now(UTC)
    alias = item.get("alias")
    alias = alias.strip() if isinstance(alias, str) else ""
    if not alias:
        errors["alias"] = _l("Give an alias or a name.")
    elif len(alias) > ALIAS_MAX:
        errors["alias"] = _l("Keep the alias to %(max)d characters.", max=ALIAS_MAX)
    else:
        fields["alias"] = alias
    birth_year = _int(item.get("birth_year"))
    if birth_year is False or (birth_year is not None
                               and not BIRTH_YEAR_MIN <= birth_year <= now_dt.year):
        errors["birth_year"] = _l("The year of birth must be between %(min)d and %(max)d.",
                                  min=BIRTH_YEAR_MIN, max=now_dt.year)
    else:
        fields["birth_year"] = birth_year
    flags = _codes(item.get("flags"))
    if flags is None or any(f not in vocab.active_codes("population", rows) for f in flags):
        errors["flags"] = _l("A flag is not in the list.")
    else:
        fields["flags"] = json.dumps(sorted(set(flags))) if flags else None
    created = item.get("created_at")
    if created:
        moment, problem = check_device_time(created, now_dt, clock_offset)
        if problem == "future" and clock_offset is not None:
            errors["created_at"] = ahead_after_correction()
        elif problem:
            errors["created_at"] = _l("The creation time is not valid.")
        else:
            fields["created_at"] = iso(moment)
            fields["device_created_at"] = iso(parse_time(created))
            fields["clock_offset_seconds"] = clock_offset
    else:
        fields["created_at"] = None
    return fields, errors


def apply_person(db: Database, item: dict, user: dict, now: str,
                 clock_offset: int | None = None) -> dict:
    """Store one person made on a phone or the web form (idempotent by client UUID)."""
    person_id, refused = _checked_id(item, user)
    if refused:
        return refused
    raw = replay.raw_hash(item)
    stored = _already_stored(db, "person", person_id, "created_by", raw, user)
    if stored:
        return stored
    fields, errors = validate_person(db, item, user, now, clock_offset=clock_offset)
    if person_id is None:
        return _invalid(item.get("id"), {"id": _l("The record has no valid id."), **errors})
    if errors:
        return _invalid(person_id, errors)
    payload_hash = _hash({k: v for k, v in fields.items()
                          if k not in ("created_at", "device_created_at", "clock_offset_seconds")})
    row = {"id": person_id, **fields, "created_at": fields["created_at"] or now,
           "police_service": _police_service(user), "created_by": user["id"],
           "updated_at": now, "payload_hash": payload_hash}
    row["raw_hash"] = raw  # the payload as received: a resend is known before validation
    return _store_once(db, "person", person_id, "created_by", payload_hash, user,
                       lambda: db["person"].insert(row), raw)


def update_person(db: Database, person: dict, item: dict, user: dict, now: str) -> dict:
    """Correct a person's alias, year of birth or flags (a reviewed sync conflict), under the
    rules of a new person; returns the names of the fields changed."""
    fields, errors = validate_person(db, {**item, "created_at": None}, user, now)
    if errors:
        return {"id": person["id"], "status": "invalid", "errors": errors}
    changed = sorted(k for k in ("alias", "birth_year", "flags") if person[k] != fields[k])
    if not changed:
        return {"id": person["id"], "status": "unchanged", "errors": {}, "changed": []}
    with writing(db):
        db["person"].update(person["id"], {**{k: fields[k] for k in changed},
                                           "updated_at": now})
    return {"id": person["id"], "status": "updated", "errors": {}, "changed": changed}


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


def _with_populations(db: Database, contacts: list[dict]) -> list[dict]:
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
    return _with_populations(db, rows)[0] if rows else None


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
    return _with_populations(db, rows[:limit]), len(rows) > limit


def last_contact(db: Database, user_id: str) -> dict | None:
    rows = list(db.query("select * from contact where officer_id = ? and deleted_at is null "
                         "order by created_at desc limit 1", [user_id]))
    return _with_populations(db, rows)[0] if rows else None


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
    old = {k: contact[k] for k in CONTACT_FIELDS if contact[k] != fields[k]}
    if "occurred_at" not in old:  # the phone's time and clock stay those it first sent
        fields = {k: v for k, v in fields.items()
                  if k not in ("device_occurred_at", "clock_offset_seconds")}
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


# --- places ------------------------------------------------------------------------------------


def places(db: Database, police_service: str | None, *, include_inactive: bool = False) -> list:
    """The coordinators' list of schools and community sites of a police service."""
    active = "" if include_inactive else " and active = 1"
    return list(db.query(
        "select * from place where (police_service = ? or police_service is null)"
        f"{active} order by kind desc, name", [police_service]))


def recent_places(db: Database, user_id: str, limit: int = 4) -> list[dict]:
    """The places of the officer's latest contacts (the last 100 looked at: bounded work)."""
    return list(db.query(
        "select p.*, max(c.occurred_at) as last_used from (select place_id, occurred_at from "
        "contact where officer_id = ? and deleted_at is null order by occurred_at desc "
        "limit 100) c join place p on p.id = c.place_id where p.active = 1 "
        "group by p.id order by last_used desc limit ?", [user_id, limit]))


def favourite_place_ids(db: Database, user_id: str) -> list[str]:
    return [r["place_id"] for r in db.query(
        "select place_id from favourite_place where user_id = ? order by created_at", [user_id])]


def toggle_favourite(db: Database, user_id: str, place_id: str, now: str) -> bool:
    """Add or remove a favourite place; True when it is now a favourite."""
    with writing(db):
        if place_id in favourite_place_ids(db, user_id):
            db.execute("delete from favourite_place where user_id = ? and place_id = ?",
                       [user_id, place_id])
            return False
        db["favourite_place"].insert({"user_id": user_id, "place_id": place_id,
                                      "created_at": now})
        return True


def add_place(db: Database, fields: dict, police_service: str, now: str) -> tuple[dict, dict]:
    errors = {}
    name = _text(fields.get("name"))
    if not name or len(name) > PLACE_TEXT_MAX:
        errors["name"] = _l("Give the name of the place (up to %(max)d characters).",
                            max=PLACE_TEXT_MAX)
    kind = fields.get("kind")
    if kind not in vocab.PLACE_KINDS:
        errors["kind"] = _l("Choose school or community site.")
    if errors:
        return {}, errors
    row = {"id": str(uuid.uuid4()), "name": name, "kind": kind, "police_service": police_service,
           "active": 1, "created_at": now}
    db["place"].insert(row)
    return row, {}


def set_place_active(db: Database, place_id: str, active: bool) -> None:
    db["place"].update(place_id, {"active": int(active)})


def add_vocabulary_entry(db: Database, fields: dict, now: str) -> tuple[dict, dict]:
    errors = {}
    vocabulary = fields.get("vocabulary")
    if vocabulary not in vocab.VOCABULARIES:
        errors["vocabulary"] = _l("Choose a vocabulary.")
    code = _text(fields.get("code")).lower()
    if not re.fullmatch(r"[a-z][a-z0-9_]{1,39}", code):
        errors["code"] = _l("The code is 2 to 40 lowercase letters, digits or underscores.")
    elif vocabulary in vocab.VOCABULARIES and code in vocab.known_codes(vocabulary,
                                                                          vocab.extensions(db)):
        errors["code"] = _l("This code already exists.")
    label_en, label_fr = _text(fields.get("label_en")), _text(fields.get("label_fr"))
    if not label_en or len(label_en) > 80:
        errors["label_en"] = _l("Give the English label (up to 80 characters).")
    if not label_fr or len(label_fr) > 80:
        errors["label_fr"] = _l("Give the French label (up to 80 characters).")
    if errors:
        return {}, errors
    row = {"vocabulary": vocabulary, "code": code, "label_en": label_en, "label_fr": label_fr,
           "retired": 0, "created_at": now}
    db["vocabulary"].insert(row)
    return row, {}


def set_vocabulary_retired(db: Database, vocabulary: str, code: str, retired: bool,
                           now: str) -> bool:
    """Retire or restore a code (built-in or added); False when the code is unknown."""
    if vocabulary not in vocab.VOCABULARIES:
        return False
    if code not in vocab.known_codes(vocabulary, vocab.extensions(db)):
        return False
    existing = list(db.query("select * from vocabulary where vocabulary = ? and code = ?",
                             [vocabulary, code]))
    if existing:
        db["vocabulary"].update((vocabulary, code), {"retired": int(retired)})
    else:
        db["vocabulary"].insert({"vocabulary": vocabulary, "code": code, "retired": int(retired),
                                 "created_at": now})
    return True


# --- people ------------------------------------------------------------------------------------


def search_people(db: Database, user: dict, query: str, limit: int = 10) -> list[dict]:
    """People of the user's police service whose alias contains `query` (never de-identified)."""
    query = (query or "").strip()
    if not query or user.get("role") not in ("officer", "coordinator"):
        return []
    pattern = "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return list(db.query(
        "select id, alias, birth_year from person where police_service = ? and "
        "merged_into_id is null and deidentified_at is null and alias like ? escape '\\' "
        "order by alias limit ?", [user.get("police_service"), pattern, limit]))


def get_person(db: Database, person_id: str, user: dict) -> dict | None:
    """A person the user may see: coordinators of its police service, officers who created it
    or have a contact with it."""
    rows = list(db.query("select * from person where id = ?", [person_id]))
    if not rows or rows[0]["police_service"] != user.get("police_service"):
        return None
    person = rows[0]
    person["flag_codes"] = json.loads(person["flags"]) if person["flags"] else []
    if user.get("role") == "coordinator":
        return person
    if user.get("role") == "officer":
        if person["created_by"] == user["id"]:
            return person
        worked = db.execute("select 1 from contact where person_id = ? and officer_id = ? and "
                            "deleted_at is null limit 1", [person_id, user["id"]]).fetchone()
        return person if worked else None
    return None


def sees_whole_history(user: dict) -> bool:
    """Coordinators (of the person's police service: get_person checks it) see every note and
    consent record; an officer sees only their own, and the rest of the team's as a summary."""
    return user.get("role") == "coordinator"


def person_history(db: Database, person_id: str, now: str, viewer: dict,
                   repeat_contacts: int = 2, repeat_days: int = 60) -> dict:
    """Timeline of the contacts and referrals `viewer` may read in full (their own, or all for
    a coordinator), the team's others as a summary ("n contacts, last on"), counts over 60/90
    days and the repeat flag (over every contact: numbers, not content), and consents."""
    everything = _with_populations(db, list(db.query(
        CONTACT_SELECT + "where c.person_id = ? and c.deleted_at is null "
        "order by c.occurred_at desc, c.id desc", [person_id])))
    all_referrals = person_referrals(db, person_id)
    whole = sees_whole_history(viewer)
    contacts = [c for c in everything if whole or c["officer_id"] == viewer.get("id")]
    referrals = [r for r in all_referrals if whole or r["officer_id"] == viewer.get("id")]
    others = [c for c in everything if not (whole or c["officer_id"] == viewer.get("id"))]
    now_dt = parse_time(now)

    def count_since(days: int) -> int:
        start = iso(now_dt - timedelta(days=days))
        return sum(1 for c in everything if start <= c["occurred_at"] <= now)

    timeline = [{"type": "contact", "at": c["occurred_at"], "item": c} for c in contacts]
    timeline += [{"type": "referral", "at": r["created_at"], "item": r} for r in referrals]
    timeline.sort(key=lambda entry: entry["at"] or "", reverse=True)
    recent = count_since(repeat_days)
    return {
        "contacts": contacts, "referrals": referrals, "timeline": timeline,
        "team": {"contacts": len(others),
                 "last_at": max((c["occurred_at"] for c in others), default=None),
                 "referrals": len(all_referrals) - len(referrals)},
        "count_60": count_since(60), "count_90": count_since(90),
        "repeat_count": recent, "repeat_days": repeat_days,
        "repeat": recent >= repeat_contacts,
        "consents": [r for r in referrals if r.get("consent")],
    }


def person_referrals(db: Database, person_id: str) -> list[dict]:
    if not db["referral"].exists():
        return []
    has_service = db["service"].exists() and "name" in db["service"].columns_dict
    service = ", s.name as service_name" if has_service else ", null as service_name"
    join = " left join service s on s.id = r.service_id" if has_service else ""
    return list(db.query(
        f"select r.id, r.officer_id, r.status, r.urgency, r.consent, r.consent_reason, "
        f"r.shared, r.created_at, r.organization_id, o.name as organization_name{service} "
        f"from referral r left join organization o on o.id = r.organization_id{join} "
        "where r.person_id = ? order by r.created_at desc", [person_id]))


def merge_people(db: Database, keep_id: str, merged_id: str, now: str) -> dict:
    """Merge a duplicate into the person kept: all contacts and referrals move, nothing is lost."""
    keep = _existing(db, "person", keep_id)
    merged = _existing(db, "person", merged_id)
    flags = set(json.loads(keep["flags"] or "[]")) | set(json.loads(merged["flags"] or "[]"))
    with writing(db):
        moved_contacts = db.execute("update contact set person_id = ?, updated_at = ? where "
                                    "person_id = ?", [keep_id, now, merged_id]).rowcount
        moved_referrals = 0
        if db["referral"].exists():
            moved_referrals = db.execute("update referral set person_id = ? where person_id = ?",
                                         [keep_id, merged_id]).rowcount
        db.execute("update person set merged_into_id = ? where merged_into_id = ?",
                   [keep_id, merged_id])
        db["person"].update(keep_id, {
            "flags": json.dumps(sorted(flags)) if flags else None,
            "birth_year": keep["birth_year"] or merged["birth_year"], "updated_at": now})
        db["person"].update(merged_id, {"merged_into_id": keep_id, "updated_at": now})
    return {"contacts": moved_contacts, "referrals": moved_referrals}


# --- retention -------------------------------------------------------------------------------


def purge_candidates(db: Database, now: str, retention_days: int) -> list[dict]:
    """People with no contact, no open referral and no referral activity for `retention_days`."""
    cutoff = iso(parse_time(now) - timedelta(days=retention_days))
    referral_keep = ""
    params: list = [cutoff, cutoff]
    if db["referral"].exists():
        marks = ",".join("?" * len(OPEN_REFERRAL_EXCLUDED))
        referral_keep = (
            " and not exists (select 1 from referral r where r.person_id = p.id and "
            f"(r.status not in ({marks}) or coalesce(r.updated_at, r.created_at) >= ?))")
        params += [*OPEN_REFERRAL_EXCLUDED, cutoff]
    return list(db.query(
        "select p.id, p.created_at, (select max(occurred_at) from contact c where "
        "c.person_id = p.id) as last_contact_at from person p where p.deidentified_at is null "
        "and p.created_at < ? and not exists (select 1 from contact c where c.person_id = p.id "
        f"and c.occurred_at >= ?){referral_keep} order by p.created_at, p.id", params))


def deidentify_people(db: Database, person_ids: list[str], now: str) -> None:
    """Remove what identifies each person: alias, year of birth, flags, their contacts' notes
    and the consented details copied into their referrals.  Counts stay."""
    with writing(db):
        for person_id in person_ids:
            db["person"].update(person_id, {"alias": None, "birth_year": None, "flags": None,
                                            "deidentified_at": now, "updated_at": now})
            db.execute("update contact set note = null where person_id = ?", [person_id])
            db.execute("delete from contact_revision where contact_id in (select id from "
                       "contact where person_id = ?)", [person_id])
            if db["referral"].exists():
                db.execute("update referral set person_name = null, person_phone = null, "
                           "person_birth_year = null, handoff_note = null where person_id = ?",
                           [person_id])
