"""Places (the schools and community sites officers pick from, and their favourites) and the
coordinators' vocabulary extensions."""

import uuid

from flask_babel import lazy_gettext as _l
from sqlite_utils import Database

from fieldapp.contacts import vocab
from fieldapp.db import writing
from fieldapp.directory.search import distance_km

PLACE_TEXT_MAX = 120
NEAREST = 3  # nearest known places offered after "Use my location"


def places(db: Database, police_service: str | None, *, include_inactive: bool = False) -> list:
    """The coordinators' list of schools and community sites of a police service."""
    active = "" if include_inactive else " and active = 1"
    return list(db.query(
        "select * from place where (police_service = ? or police_service is null)"
        f"{active} order by kind desc, name", [police_service]))


def nearest_places(db: Database, police_service: str | None, lat: float, lon: float, *,
                   exclude: tuple | list | set = (), limit: int = NEAREST) -> list[dict]:
    """The team's active places with a position, nearest first (the directory's distance,
    directory/search.py), each with its `km`; `exclude`: ids already offered (favourites)."""
    found = [{**p, "km": distance_km(lat, lon, p["lat"], p["lon"])}
             for p in places(db, police_service)
             if p["lat"] is not None and p["lon"] is not None and p["id"] not in exclude]
    return sorted(found, key=lambda p: (p["km"], p["name"]))[:limit]


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


def add_place(db: Database, name: str, kind: str, police_service: str, now: str) -> dict:
    """Add a place (its fields checked by forms.PlaceForm)."""
    row = {"id": str(uuid.uuid4()), "name": name, "kind": kind, "police_service": police_service,
           "active": 1, "created_at": now}
    db["place"].insert(row)
    return row


def set_place_active(db: Database, place_id: str, active: bool) -> None:
    db["place"].update(place_id, {"active": int(active)})


def add_vocabulary_entry(db: Database, fields: dict, now: str) -> tuple[dict, dict]:
    """Add an entry (its fields checked by forms.VocabularyForm) unless its code exists; returns
    (the row, {}) or ({}, {"code": why})."""
    vocabulary, code = fields["vocabulary"], fields["code"]
    if code in vocab.known_codes(vocabulary, vocab.extensions(db)):
        return {}, {"code": _l("This code already exists.")}
    row = {"vocabulary": vocabulary, "code": code, "label_en": fields["label_en"],
           "label_fr": fields["label_fr"], "retired": 0, "created_at": now}
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

