"""The write path shared by contacts and people: field parsers, the person a record names,
and storing a record once by its client UUID (a resend is "unchanged", a different record
under a known id a "conflict", see fieldapp.replay).  No Flask in here."""

import hashlib
import json
import re
import sqlite3
import uuid

from flask_babel import lazy_gettext as _l
from sqlite_utils import Database

from fieldapp import replay
from fieldapp.db import select, writing

RECORDING_ROLES = ("officer", "coordinator")


def client_uuid(value) -> str | None:
    try:
        return str(uuid.UUID(str(value)))
    except (ValueError, TypeError, AttributeError):
        return None


def text(value) -> str:
    return value.strip() if isinstance(value, str) else ""


def whole_number(value):
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


def number(value):
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return False
    try:
        parsed = float(value)
    except (TypeError, ValueError):
        return False
    return parsed if parsed == parsed and abs(parsed) != float("inf") else False


def flag(value) -> bool | None:
    if value in (None, "", 0, "0", False, "false", "off", "no"):
        return False
    if value in (1, "1", True, "true", "on", "yes"):
        return True
    return None


def codes(value) -> list | None:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return list(value)
    return None


def fingerprint(fields: dict) -> str:
    return hashlib.sha256(json.dumps(fields, sort_keys=True, default=str).encode()).hexdigest()


def police_service_of(user: dict) -> str | None:
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


def strings(errors: dict) -> dict:
    return {field: str(message) for field, message in errors.items()}


def invalid(record_id, errors: dict) -> dict:
    return {"id": record_id, "status": "invalid", "errors": strings(errors)}


def checked_id(item, user: dict) -> tuple[str | None, dict | None]:
    """The record's client UUID, or the "invalid" answer for an unreadable item or a user who
    may not record.  (The id itself is checked after the fields, so every error is reported.)"""
    if not isinstance(item, dict):
        return None, invalid(None, {"id": _l("This record is not readable.")})
    if user.get("role") not in RECORDING_ROLES:
        return None, invalid(item.get("id"),
                              {"id": _l("Only officers and coordinators record contacts.")})
    return client_uuid(item.get("id")), None


def already_stored(db: Database, table: str, record_id: str | None, owner: str, raw: str,
                    user: dict) -> dict | None:
    """The "unchanged" answer when this exact payload was stored before under this id by this
    user (checked before validation: a stored record is never refused on resend), else None."""
    existing = stored_row(db, table, record_id) if record_id else None
    if existing is not None and replay.is_replay(existing, existing[owner], user["id"], raw):
        return {"id": record_id, "status": "unchanged", "errors": {}}
    return None


def store_once(db: Database, table: str, record_id: str, owner: str, payload_hash: str,
                user: dict, write, raw: str | None = None) -> dict:
    """Run `write()` (inside a transaction) unless the record exists: then it is a replay,
    answered "unchanged" or "conflict" (also when a concurrent request stored it first)."""
    existing = stored_row(db, table, record_id)
    if existing is None:
        try:
            with writing(db):
                write()
            return {"id": record_id, "status": "created", "errors": {}}
        except sqlite3.IntegrityError:
            existing = stored_row(db, table, record_id)
            if existing is None:
                raise
    return replay_answer(existing, existing[owner], payload_hash, user, raw)


def stored_row(db: Database, table: str, record_id: str) -> dict | None:
    found = select(db, f"select * from [{table}] where id = ?", [record_id])
    return found[0] if found else None


def replay_answer(existing: dict, owner_id: str, payload_hash: str, user: dict,
            raw: str | None = None) -> dict:
    if replay.is_replay(existing, owner_id, user["id"], raw, payload_hash):
        return {"id": existing["id"], "status": "unchanged", "errors": {}}
    return {"id": existing["id"], "status": "conflict",
            "errors": {"id": str(_l("A different record was already stored with this id."))}}

