"""Data access of the pwa area: applying a phone's batch of offline records, sync conflicts.

The records themselves are written by each area's own functions (contacts, with the person
typed on their form, by fieldapp.contacts.recording; referrals by fieldapp.referrals.store);
this module orders the batch, isolates each item in a savepoint and keeps conflicts for review.
No Flask in here."""

import json
import logging
import sqlite3

from flask_babel import lazy_gettext as _l
from sqlite_utils import Database

from fieldapp import replay
from fieldapp.contacts import recording
from fieldapp.db import writing
from fieldapp.referrals import store as referrals_store

log = logging.getLogger(__name__)

# Batch key -> (item type, the area's function that stores one item), in dependency order:
# people before the contacts that name them, contacts before the referrals that come from them.
# ("people" only comes from phones of the previous version, which sent a contact's new person
# as its own record; a contact now carries it in its form entries.)
ORDER = [
    ("people", "person", recording.apply_synced_person),
    ("contacts", "contact", recording.apply_synced_contact),
    ("referrals", "referral", referrals_store.apply_referral),
]
STATUSES = {"created", "unchanged", "conflict", "invalid"}
MAX_ITEMS = 1000
RECEIPTS_MAX = 10  # ids a phone may ask the status of at once


class BatchError(ValueError):
    """The batch as a whole is malformed (not one item can be read)."""


def check_batch(batch) -> int:
    """Raise BatchError unless `batch` is {"people": [...], "contacts": [...], ...}."""
    if not isinstance(batch, dict):
        raise BatchError("The batch must be a JSON object.")
    unknown = set(batch) - {key for key, *_ in ORDER} - {"device_now"}
    if unknown:
        raise BatchError("Unknown record types: " + ", ".join(sorted(unknown)))
    count = 0
    for key, *_ in ORDER:
        items = batch.get(key, [])
        if not isinstance(items, list):
            raise BatchError(f"{key} must be a list.")
        count += len(items)
    if count > MAX_ITEMS:
        raise BatchError(f"At most {MAX_ITEMS} records per batch.")
    return count


def apply_batch(db: Database, batch: dict, user: dict, now: str,
                clock_offset: int | None = None) -> dict:
    """Apply every item of `batch`, each all-or-nothing, and answer per item; its times are
    corrected by `clock_offset` (server clock minus the phone's, seconds; None: not known).

    Returns {"people": [{"id", "status", "errors"}, ...], "contacts": [...], "referrals": [...]}.
    """
    results: dict[str, list[dict]] = {}
    with writing(db):
        for key, item_type, apply in ORDER:
            results[key] = [_apply_one(db, apply, item_type, item, user, now, clock_offset)
                            for item in batch.get(key) or []]
    return results


def _apply_one(db, apply, item_type: str, item, user: dict, now: str,
               clock_offset: int | None = None) -> dict:
    item_id = item.get("id") if isinstance(item, dict) else None
    if not isinstance(item_id, str) or not item_id:
        return _result(item_id, "invalid", {"id": str(_l("Every record needs its id."))})
    try:
        with writing(db):  # a savepoint: the item is stored whole or not at all
            outcome = apply(db, item, user, now, clock_offset=clock_offset)
            if outcome.get("status") == "conflict":
                # An applier may give the item in its area's shape (a contact's form entries
                # parsed): the conflict page compares that, field by field.
                kept = outcome.pop("item", item)
                if record_conflict(db, item_type, kept, user, now) == "unchanged":
                    outcome = {"id": outcome.get("id"), "status": "unchanged", "errors": {}}
    except sqlite3.IntegrityError as error:
        log.warning("sync: %s %s refused by the database: %s", item_type, item_id, error)
        return _result(item_id, "invalid",
                       {"_": str(_l("A record it refers to is missing or not yours."))})
    except sqlite3.OperationalError:  # busy, full or failing disk: the whole batch is a 503/507
        raise
    except Exception:  # a bug must not lose the rest of the batch; the phone keeps the item
        log.exception("sync: applying %s %s failed", item_type, item_id)
        return _result(item_id, "invalid", {"_": str(_l("The server could not store this "
                                                        "record."))})
    status = outcome.get("status")
    if status not in STATUSES:
        log.error("sync: %s answered status %r", item_type, status)
        return _result(item_id, "invalid", {"_": str(_l("The server could not store this "
                                                        "record."))})
    return _result(outcome.get("id", item_id), status, outcome.get("errors") or {})


def _result(item_id, status: str, errors: dict) -> dict:
    return {"id": item_id, "status": status, "errors": errors}


def record_conflict(db: Database, item_type: str, item: dict, user: dict, now: str) -> str:
    """Keep a conflicting item once, under the sender's police service, and answer its status.

    A resend of the same payload (same raw hash, fieldapp.replay) adds nothing and never
    reopens a conflict already reviewed or resolved; once resolved, the sender's phone is told
    "unchanged" so its outbox lets the item go.
    """
    raw = replay.raw_hash(item)
    payload = json.dumps(item, sort_keys=True, ensure_ascii=False)
    known = list(db.query(
        "select state from sync_conflict where item_type = ? and item_id = ? "
        "and user_id is ? and (raw_hash = ? or (raw_hash is null and payload = ?))",
        [item_type, item["id"], user.get("id"), raw, payload]))
    if any(row["state"] == "resolved" for row in known):
        return "unchanged"
    if not known:
        db["sync_conflict"].insert({"item_type": item_type, "item_id": item["id"],
                                    "payload": payload, "raw_hash": raw, "state": "open",
                                    "user_id": user["id"],
                                    "police_service": user.get("police_service"),
                                    "received_at": now})
    return "conflict"


def _scope(user: dict) -> tuple[str, list]:
    """Whose conflicts `user` may read: a coordinator those of their police service, an officer
    their own phone's (within their police service); anyone else none."""
    if user.get("role") == "coordinator":
        return "c.police_service = ?", [user.get("police_service")]
    if user.get("role") == "officer":
        return "c.police_service = ? and c.user_id = ?", [user.get("police_service"), user["id"]]
    return "0", []


CONFLICT_SELECT = ("select c.*, u.name as user_name from sync_conflict c "
                   "left join user u on u.id = c.user_id ")


def conflicts_to_review(db: Database, user: dict) -> list[dict]:
    """Open and reviewed conflicts `user` may read, oldest first, with the sender's name."""
    where, params = _scope(user)
    return list(db.query(
        CONFLICT_SELECT + f"where {where} and c.state in ('open', 'reviewed') "
        "order by c.received_at, c.id", params))


def open_conflict_count(db: Database, user: dict) -> int:
    """How many conflicts `user` may read are still open (the "Records to review" link)."""
    where, params = _scope(user)
    return db.execute(f"select count(*) from sync_conflict c where {where} "
                      "and c.state = 'open'", params).fetchone()[0]


def conflict_for(db: Database, user: dict, conflict_id: int) -> dict | None:
    """The conflict if `user` may read it, else None (a 404), with its phone payload parsed."""
    where, params = _scope(user)
    rows = list(db.query(CONFLICT_SELECT + f"where c.id = ? and {where}", [conflict_id, *params]))
    if not rows:
        return None
    conflict = rows[0]
    try:
        conflict["item"] = json.loads(conflict["payload"])
    except ValueError:
        conflict["item"] = {}
    return conflict


def mark_reviewed(db: Database, conflict_id: int, user_id: str, now: str) -> None:
    with writing(db):
        db.execute("update sync_conflict set state = 'reviewed', reviewed_at = ?, "
                   "reviewed_by = ? where id = ? and state = 'open'", [now, user_id, conflict_id])


def mark_resolved(db: Database, conflict_id: int, user_id: str, now: str,
                  resolution: str) -> None:
    with writing(db):
        db["sync_conflict"].update(conflict_id, {"state": "resolved", "resolved_at": now,
                                                 "resolved_by": user_id,
                                                 "resolution": resolution})
