"""People: the write path of a new person (web form and offline sync alike), search, the
person page's history, merges and de-identification at the end of retention."""

import json
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
    invalid,
    police_service_of,
    store_once,
    stored_row,
    whole_number,
)
from fieldapp.contacts.store import CONTACT_SELECT, with_populations
from fieldapp.contacts.times import ahead_after_correction, check_device_time, iso, parse_time
from fieldapp.db import writing

ALIAS_MAX = 80
BIRTH_YEAR_MIN = 1900
OPEN_REFERRAL_EXCLUDED = ("closed", "declined")


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
    birth_year = whole_number(item.get("birth_year"))
    if birth_year is False or (birth_year is not None
                               and not BIRTH_YEAR_MIN <= birth_year <= now_dt.year):
        errors["birth_year"] = _l("The year of birth must be between %(min)d and %(max)d.",
                                  min=BIRTH_YEAR_MIN, max=now_dt.year)
    else:
        fields["birth_year"] = birth_year
    flags = codes(item.get("flags"))
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
    person_id, refused = checked_id(item, user)
    if refused:
        return refused
    raw = replay.raw_hash(item)
    stored = already_stored(db, "person", person_id, "created_by", raw, user)
    if stored:
        return stored
    fields, errors = validate_person(db, item, user, now, clock_offset=clock_offset)
    if person_id is None:
        return invalid(item.get("id"), {"id": _l("The record has no valid id."), **errors})
    if errors:
        return invalid(person_id, errors)
    payload_hash = fingerprint({k: v for k, v in fields.items()
                          if k not in ("created_at", "device_created_at", "clock_offset_seconds")})
    row = {"id": person_id, **fields, "created_at": fields["created_at"] or now,
           "police_service": police_service_of(user), "created_by": user["id"],
           "updated_at": now, "payload_hash": payload_hash}
    row["raw_hash"] = raw  # the payload as received: a resend is known before validation
    return store_once(db, "person", person_id, "created_by", payload_hash, user,
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
    everything = with_populations(db, list(db.query(
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
    keep = stored_row(db, "person", keep_id)
    merged = stored_row(db, "person", merged_id)
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
