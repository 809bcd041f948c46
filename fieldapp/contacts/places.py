"""Places (the schools and community sites officers pick from, and their favourites) and the
coordinators' vocabulary extensions."""

import re
import uuid

from flask_babel import lazy_gettext as _l
from sqlite_utils import Database

from fieldapp.contacts import vocab
from fieldapp.contacts.records import text
from fieldapp.db import writing

PLACE_TEXT_MAX = 120


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
    name = text(fields.get("name"))
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
    code = text(fields.get("code")).lower()
    if not re.fullmatch(r"[a-z][a-z0-9_]{1,39}", code):
        errors["code"] = _l("The code is 2 to 40 lowercase letters, digits or underscores.")
    elif vocabulary in vocab.VOCABULARIES and code in vocab.known_codes(vocabulary,
                                                                          vocab.extensions(db)):
        errors["code"] = _l("This code already exists.")
    label_en, label_fr = text(fields.get("label_en")), text(fields.get("label_fr"))
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

