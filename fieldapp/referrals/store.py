"""Data access of the referrals area: plain functions over a sqlite_utils Database.

All SQL of the area lives here (status changes live in lifecycle.py).  Scope rule, in one place
(`referral_for`): a partner reaches referrals addressed to its organization, an officer their own,
a coordinator those of their police service.

About 650 lines: the referral's writes and its one scope rule stay together; the read-only
views (partner view, inbox ordering, response times) are the next split, into views.py.
"""

import hashlib
import json
import re
import secrets
import statistics
import uuid
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlite_utils import Database

from fieldapp import replay
from fieldapp.contacts import store as contacts_store
from fieldapp.db import writing
from fieldapp.directory.search import matching_services
from fieldapp.directory.store import get_service as directory_get_service
from fieldapp.referrals import lifecycle, outbox

CONSENTS = ["verbal", "written", "guardian", "not_obtainable", "none"]
SHAREABLE = ["name", "phone", "birth_year", "note"]
URGENCIES = ["urgent", "today", "this_week"]
URGENCY_RANK = {"urgent": 0, "today": 1, "this_week": 2}
HANDOFF_NOTE_MAX = 1000
REASON_MAX = 300
NAME_MAX = 120
PREFERRED_MAX = 200
LINK_HOURS = 72
# The fields of a referral a phone sends; their fingerprint makes replays idempotent.
PAYLOAD_FIELDS = ["service_id", "contact_id", "person_id", "consent", "consent_reason", "shared",
                  "person_name", "person_phone", "person_birth_year", "handoff_note",
                  "preferred_contact", "urgency"]
# What a partner may ever see of a referral (consented copies only; never the contact or person).
PARTNER_FIELDS = ["id", "service_id", "organization_id", "urgency", "consent", "shared",
                  "person_name", "person_phone", "person_birth_year", "handoff_note",
                  "preferred_contact", "status", "status_reason", "outcome", "created_at",
                  "sent_at", "received_at", "accepted_at", "declined_at", "attempted_at",
                  "connected_at", "closed_at", "service_name", "replaces_referral_id"]
# What the partner receives, in the order shown: (column, label, the shared code that carries
# it, None when every referral carries it).  The officer's check-your-answers summary and the
# partner's page are both built from this one list (`partner_view`), so they cannot drift apart.
PARTNER_VIEW = [
    ("service_name", _l("Service"), None),
    ("urgency", _l("Urgency"), None),
    ("consent", _l("Consent"), None),
    ("person_name", _l("Name"), "name"),
    ("person_phone", _l("Phone"), "phone"),
    ("person_birth_year", _l("Year of birth"), "birth_year"),
    ("preferred_contact", _l("Preferred contact"), "phone"),
    ("handoff_note", _l("Hand-off note"), "note"),
]
# What the officer may type that a consent or an unticked box keeps from the partner.
TYPED_FIELDS = {"person_name": "name", "person_phone": "phone",
                "person_birth_year": "birth_year", "preferred_contact": "phone",
                "handoff_note": "note"}
SELECT = """
    select r.*, s.name as service_name, s.intake_phone as intake_phone,
           s.intake_instructions as intake_instructions, o.name as organization_name,
           u.name as officer_name
    from referral r
    left join service s on s.id = r.service_id
    left join organization o on o.id = r.organization_id
    left join user u on u.id = r.officer_id
"""


class ReferralError(Exception):
    """A request about a referral that cannot be honoured (status 400 or 409)."""

    def __init__(self, message, status: int = 400):
        super().__init__(str(message))
        self.message = message
        self.status = status


# --- sending -----------------------------------------------------------------------------------


def apply_referral(db: Database, item: dict, user: dict, now: str,
                   clock_offset: int | None = None, *, officer_id: str | None = None,
                   replaces: str | None = None) -> dict:
    """Store a referral sent by a phone or the form (one path for both); idempotent by id.
    A reassignment sends it for the original's officer (`officer_id`), replacing `replaces`.

    Returns {"id", "status": created|unchanged|conflict|invalid, "errors": {field: message}}.
    A created referral is 'sent', has its first event, and its e-mail queued in the outbox.
    """
    referral_id = str(item.get("id") or "").strip()
    try:
        referral_id = str(uuid.UUID(referral_id))
    except ValueError:
        return {"id": referral_id or None, "status": "invalid",
                "errors": {"id": _msg(_l("A referral needs a client UUID."))}}
    # A resend of the exact payload stored is "unchanged" before validation (fieldapp.replay).
    raw = replay.raw_hash(item)
    sender = officer_id or user["id"]
    existing = db["referral"].get(referral_id) if _exists(db, referral_id) else None
    if replay.is_replay(existing, existing and existing["officer_id"], sender, raw):
        return {"id": referral_id, "status": "unchanged", "errors": {}}
    clean, errors = validate(db, item, user)
    created_at, created_error = _device_created_at(item.get("created_at"), now, clock_offset)
    if created_error:
        errors["created_at"] = created_error
    fingerprint = _fingerprint(clean) if not errors else None
    if existing is not None:
        if replay.is_replay(existing, existing["officer_id"], sender, raw, fingerprint):
            return {"id": referral_id, "status": "unchanged", "errors": {}}
        return {"id": referral_id, "status": "conflict",
                "errors": {"id": _msg(_l("A different referral already has this id."))}}
    if errors:
        return {"id": referral_id, "status": "invalid", "errors": errors}

    service = clean.pop("_service")
    link_id = secrets.token_urlsafe(18)
    expires = (datetime.fromisoformat(now) + timedelta(hours=_link_hours())).isoformat(
        timespec="seconds")
    with writing(db):
        db["referral"].insert({
            **clean, "shared": json.dumps(clean["shared"]), "id": referral_id,
            "organization_id": service["organization_id"],
            "officer_id": officer_id or user["id"], "created_by": user["id"],
            "police_service": user.get("police_service"), "status": "sent",
            "created_at": created_at or now, "sent_at": now,
            "device_created_at": _device_raw(item.get("created_at")) if created_at else None,
            "clock_offset_seconds": clock_offset if created_at else None,
            "updated_at": now, "payload_hash": fingerprint, "replaces_referral_id": replaces,
            "raw_hash": raw,
        })
        lifecycle.record_sent(db, referral_id, user=user, now=now)
        address = _intake_address(db, service)
        db["referral_link"].insert({
            "id": link_id, "referral_id": referral_id,
            "organization_id": service["organization_id"], "created_at": now,
            "expires_at": expires, "mailed_to": address})
        # The e-mail is a row of the same transaction: a referral rolled back sends nothing.
        outbox.queue(db, referral_id=referral_id, link_id=link_id, to_address=address, now=now)
    return {"id": referral_id, "status": "created", "errors": {}}


def validate(db: Database, item: dict, user: dict) -> tuple[dict, dict]:
    """Check a referral as a whole; return (clean fields, errors by field)."""
    errors: dict[str, str] = {}
    text = {key: _text(item.get(key)) for key in (
        "service_id", "contact_id", "person_id", "consent", "consent_reason", "person_name",
        "person_phone", "handoff_note", "preferred_contact", "urgency")}
    if user.get("role") not in ("officer", "coordinator"):
        errors["user"] = _msg(_l("Only officers and coordinators send referrals."))

    service = get_service(db, text["service_id"]) if text["service_id"] else None
    if not text["service_id"]:
        errors["service_id"] = _msg(_l("Choose a service."))
    elif service is None or service.get("archived_at"):
        errors["service_id"] = _msg(_l("This service does not exist."))
    elif not service.get("accepts_referrals"):
        errors["service_id"] = _msg(_l("This service does not accept referrals."))

    consent = text["consent"]
    if consent not in CONSENTS:
        errors["consent"] = _msg(_l("Record the consent basis."))
    if consent == "not_obtainable" and not text["consent_reason"]:
        errors["consent_reason"] = _msg(_l("Give the reason consent could not be obtained."))
    elif len(text["consent_reason"] or "") > REASON_MAX:
        errors["consent_reason"] = _msg(_l("The reason is too long."))

    shared = item.get("shared") or []
    if isinstance(shared, str):
        shared = [part for part in re.split(r"[,\s]+", shared) if part]
    if not isinstance(shared, list) or any(part not in SHAREABLE for part in shared):
        errors["shared"] = _msg(_l(
            "Choose what is shared among name, phone, year of birth, note."))
        shared = []
    shared = sorted(set(shared), key=SHAREABLE.index)
    if consent == "none" and shared:
        errors["shared"] = _msg(_l("An information-only referral shares no personal details."))

    urgency = text["urgency"]
    if urgency not in URGENCIES:
        errors["urgency"] = _msg(_l("Choose the urgency."))
    if len(text["handoff_note"] or "") > HANDOFF_NOTE_MAX:
        errors["handoff_note"] = _msg(_l(
            "The hand-off note is too long (at most %(n)s characters).", n=HANDOFF_NOTE_MAX))
    if len(text["preferred_contact"] or "") > PREFERRED_MAX:
        errors["preferred_contact"] = _msg(_l("This is too long."))

    person = None
    if text["contact_id"] and not contact_visible(db, text["contact_id"], user):
        errors["contact_id"] = _msg(_l("This contact does not exist."))
    if text["person_id"]:
        person = referable_person(db, text["person_id"], user)
        if person is None:
            errors["person_id"] = _msg(_l("This person does not exist."))

    # Copies of consented details only: what is not shared is not stored for the partner.
    name = text["person_name"] or (person or {}).get("alias")
    birth_year = item.get("person_birth_year") or (person or {}).get("birth_year")
    if "name" in shared and not name:
        errors["person_name"] = _msg(_l("Give the name to share."))
    elif len(name or "") > NAME_MAX:
        errors["person_name"] = _msg(_l("This is too long."))
    phone = text["person_phone"]
    if "phone" in shared and not phone:
        errors["person_phone"] = _msg(_l("Give the phone number to share."))
    elif phone and not re.fullmatch(r"[0-9 +().\-extEXT]{7,30}", phone):
        errors["person_phone"] = _msg(_l("This does not look like a phone number."))
    if "birth_year" in shared:
        try:
            birth_year = int(birth_year)
            if not 1900 <= birth_year <= 2100:
                raise ValueError
        except (TypeError, ValueError):
            errors["person_birth_year"] = _msg(_l("Give the year of birth (four digits)."))
    if "note" in shared and not text["handoff_note"]:
        errors["handoff_note"] = _msg(_l("Write the hand-off note, or do not share it."))

    clean = {
        "service_id": text["service_id"], "contact_id": text["contact_id"],
        "person_id": text["person_id"], "consent": consent,
        "consent_reason": text["consent_reason"] if consent == "not_obtainable" else None,
        "shared": shared, "urgency": urgency,
        "person_name": name if "name" in shared else None,
        "person_phone": phone if "phone" in shared else None,
        "person_birth_year": birth_year if "birth_year" in shared else None,
        "handoff_note": text["handoff_note"] if "note" in shared else None,
        # How to reach the person is a contact detail: it goes with the shared phone only.
        "preferred_contact": text["preferred_contact"] if "phone" in shared else None,
        "_service": service,
    }
    return clean, errors


def _fingerprint(clean: dict) -> str:
    payload = {key: clean.get(key) for key in PAYLOAD_FIELDS}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def _text(value) -> str | None:
    if value is None:
        return None
    value = str(value).strip()
    return value or None


def _device_created_at(value, now: str, clock_offset: int | None = None
                       ) -> tuple[str | None, str | None]:
    """(the phone's creation time corrected by its clock offset, or None when it gave none;
    error) under the contacts' one rule (contacts.store.check_device_time)."""
    if not value:
        return None, None
    moment, problem = contacts_store.check_device_time(value, now, clock_offset)
    if problem == "future" and clock_offset is not None:
        return None, _msg(contacts_store.ahead_after_correction())
    if moment is None:
        return None, _msg(_l("The creation time is not valid."))
    return contacts_store.iso(moment), None


def _device_raw(value) -> str:
    """The creation time as the phone sent it, in UTC."""
    return contacts_store.iso(contacts_store.parse_time(value))


def _exists(db: Database, referral_id: str) -> bool:
    return bool(list(db.query("select 1 from referral where id = ?", [referral_id])))


def contact_visible(db: Database, contact_id: str, user: dict) -> bool:
    """A referral may start from any contact the user may see (the contacts area's rule)."""
    return contacts_store.get_contact(db, contact_id, user) is not None


def visible_contact(db: Database, contact_id: str, user: dict) -> dict | None:
    """The contact a referral starts from, if the user may see it (its kind, person, place)."""
    return contacts_store.get_contact(db, contact_id, user)


def referable_person(db: Database, person_id: str, user: dict) -> dict | None:
    """A person the user may refer: one of their police service (officers can find any of
    them by alias in the people search), never a merged-away record."""
    rows = list(db.query("select * from person where id = ? and merged_into_id is null",
                         [person_id]))
    if not rows:
        return None
    person = rows[0]
    if person["created_by"] == user.get("id") or (
            person["police_service"] and person["police_service"] == user.get("police_service")):
        return person
    return None


def _msg(text, **values) -> str:
    """Messages are plain strings in results (JSON for the sync API), translated when asked."""
    return str(text)


def _link_hours() -> int:
    try:
        return int(current_app.config.get("REFERRAL_LINK_HOURS", LINK_HOURS))
    except RuntimeError:
        return LINK_HOURS


# --- services (the directory's tables, read through its store) ---------------------------------


def get_service(db: Database, service_id: str | None) -> dict | None:
    if not service_id:
        return None
    service = directory_get_service(db, service_id)
    return dict(service) if service else None


def _intake_address(db: Database, service: dict) -> str | None:
    if service.get("intake_email"):
        return service["intake_email"]
    rows = list(db.query("select email from organization where id = ?",
                         [service["organization_id"]]))
    return rows[0]["email"] if rows else None


def service_categories(db: Database, service_id: str) -> list[str]:
    return [row["category"] for row in db.query(
        "select category from service_category where service_id = ?", [service_id])]


def is_mental_health_contact(db: Database, contact_id: str | None, user: dict) -> bool:
    """Whether a contact the user may see was a mental-health call (anyone else's: False)."""
    if not contact_id:
        return False
    contact = contacts_store.get_contact(db, contact_id, user)
    return contact is not None and contact["kind"] == "mental_health"


# --- reading, within scope --------------------------------------------------------------------


def referral_for(db: Database, user: dict, referral_id: str) -> dict | None:
    """The referral if `user` may see it, else None (the routes answer 404)."""
    if not user or not referral_id:
        return None
    role = user.get("role")
    if role == "partner":
        where, param = "r.organization_id = ?", user.get("organization_id")
    elif role == "officer":
        where, param = "r.officer_id = ?", user.get("id")
    elif role == "coordinator":
        where, param = "r.police_service = ?", user.get("police_service")
    else:
        return None
    if not param:
        return None
    rows = list(db.query(SELECT + f" where r.id = ? and {where}", [referral_id, param]))
    return _decorate(rows[0]) if rows else None


def for_partner(referral: dict) -> dict:
    """Only what a partner may see: consented copies, the hand-off note, status and times.

    The preferred contact goes with the shared phone (older rows stored it more widely)."""
    shown = {key: referral.get(key) for key in PARTNER_FIELDS}
    shared = shown["shared"] if isinstance(shown["shared"], list) else json.loads(
        shown["shared"] or "[]")
    if shown["consent"] == "none" or "phone" not in shared:
        shown["preferred_contact"] = None
    return shown


def partner_view(referral: dict) -> list[dict]:
    """The partner's fields of a referral (or of a form's clean values), in PARTNER_VIEW's
    order: [{"key", "label", "value"}], empty values left out.  An information-only referral
    carries no personal field whatever was typed."""
    shared = referral.get("shared") or []
    if isinstance(shared, str):
        shared = json.loads(shared)
    rows = []
    for key, label, code in PARTNER_VIEW:
        if code is not None and (referral.get("consent") == "none" or code not in shared):
            continue
        value = referral.get(key)
        if value not in (None, ""):
            rows.append({"key": key, "label": str(label), "value": value})
    return rows


def kept_from_partner(item: dict, clean: dict) -> list[dict]:
    """What the officer typed that the partner will not receive (the summary says so):
    [{"key", "label", "value"}]."""
    sent = {row["key"] for row in partner_view(clean)}
    labels = {key: label for key, label, _code in PARTNER_VIEW}
    kept = []
    for key in TYPED_FIELDS:
        value = _text(item.get(key))
        if value and key not in sent:
            kept.append({"key": key, "label": str(labels[key]), "value": value})
    return kept


def _decorate(row: dict) -> dict:
    row = dict(row)
    row["shared"] = json.loads(row["shared"]) if row.get("shared") else []
    row["unanswered"] = row["status"] in lifecycle.OPEN_STATUSES
    return row


def partner_inbox(db: Database, organization_id: str, *, status: str | None = None,
                  q: str | None = None, limit: int = 200) -> list[dict]:
    """Referrals addressed to one organization: unanswered first, then newest first."""
    if not status and not q:
        return _partner_inbox_page(db, organization_id, limit)
    where, params = ["r.organization_id = ?"], [organization_id]
    _filters(where, params, status=status, q=q)
    # Unanswered first: urgent before the others, then the longest waiting (an overdue one has
    # waited longest); then the answered ones, newest first.
    order = ("(r.status in ('sent', 'received')) desc,"
             " case r.urgency when 'urgent' then 0 when 'today' then 1 else 2 end"
             " * (r.status in ('sent', 'received')),"
             " case when r.status in ('sent', 'received') then r.sent_at end,"
             " r.sent_at desc")
    # Sort and cut the page on the referral table alone, then join the page's 200 rows.
    sql = (SELECT.replace("from referral r", "from (select r.id as page_id from referral r"
                          " where " + " and ".join(where) + f" order by {order} limit ?) page"
                          " join referral r on r.id = page.page_id") + f" order by {order}")
    return [for_partner(_decorate(row)) for row in db.query(sql, [*params, limit])]


def _partner_inbox_page(db: Database, organization_id: str, limit: int) -> list[dict]:
    """The unfiltered inbox in two index-ordered reads: every unanswered referral (urgent
    first, then the longest waiting: an overdue one has waited longest), then the newest
    answered ones up to `limit`."""
    open_rows = list(db.query(
        SELECT + " where r.organization_id = ? and r.status in ('sent', 'received')"
        " order by case r.urgency when 'urgent' then 0 when 'today' then 1 else 2 end,"
        " r.sent_at limit ?", [organization_id, limit]))
    rest = limit - len(open_rows)
    answered = list(db.query(
        SELECT.replace("from referral r", "from (select r.id as page_id from referral r"
                       " indexed by idx_referral_organization_id_sent_at"
                       " where r.organization_id = ? and r.status not in ('sent', 'received')"
                       " order by r.sent_at desc limit ?) page"
                       " join referral r on r.id = page.page_id") + " order by r.sent_at desc",
        [organization_id, rest])) if rest > 0 else []
    return [for_partner(_decorate(row)) for row in open_rows + answered]


def unanswered_count(db: Database, organization_id: str) -> int:
    return db.execute(
        "select count(*) from referral where organization_id = ? and status in ('sent',"
        " 'received')", [organization_id]).fetchone()[0]


def officer_referrals(db: Database, officer_id: str, *, limit: int = 100) -> list[dict]:
    """An officer's own referrals, newest first."""
    return [_decorate(row) for row in db.query(
        SELECT + " where r.officer_id = ? order by r.sent_at desc limit ?", [officer_id, limit])]


def coordinator_referrals(db: Database, police_service: str, *, status: str | None = None,
                          organization_id: str | None = None, urgency: str | None = None,
                          q: str | None = None, limit: int = 200) -> list[dict]:
    """All referrals of a police service, with filters, newest first."""
    where, params = ["r.police_service = ?"], [police_service]
    if organization_id:
        where.append("r.organization_id = ?")
        params.append(organization_id)
    _filters(where, params, status=status, urgency=urgency, q=q)
    return [_decorate(row) for row in db.query(
        SELECT + " where " + " and ".join(where) + " order by r.sent_at desc limit ?",
        [*params, limit])]


def _filters(where: list, params: list, *, status=None, urgency=None, q=None) -> None:
    if status == "unanswered":
        where.append("r.status in ('sent', 'received')")
    elif status in lifecycle.STATUSES:
        where.append("r.status = ?")
        params.append(status)
    if urgency in URGENCIES:
        where.append("r.urgency = ?")
        params.append(urgency)
    if q:
        pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        where.append("(r.person_name like ? escape '\\' or r.handoff_note like ? escape '\\'"
                     " or r.id like ? escape '\\')")
        params.extend([pattern, pattern, pattern])


def organizations_of(db: Database, police_service: str) -> list[dict]:
    """Organizations that received referrals of a police service (for the filter)."""
    return list(db.query(
        "select distinct o.id, o.name from referral r join organization o"
        " on o.id = r.organization_id where r.police_service = ? order by o.name",
        [police_service]))


def events_of(db: Database, referral_id: str) -> list[dict]:
    return list(db.query(
        "select e.*, u.name as user_name, u.role as user_role from referral_event e"
        " left join user u on u.id = e.user_id where e.referral_id = ? order by e.id",
        [referral_id]))


def response_times(db: Database, police_service: str, *, since: str | None = None) -> list[dict]:
    """Per partner organization: referrals, answered, median minutes to answer, connected
    (referrals sent since `since`, all when None)."""
    rows = db.query(
        "select r.organization_id, o.name, r.sent_at, r.accepted_at, r.declined_at,"
        " r.connected_at from referral r join organization o"
        " on o.id = r.organization_id where r.police_service = ? and r.sent_at >= ?",
        [police_service, since or ""])
    by_org: dict[str, dict] = {}
    for row in rows:
        entry = by_org.setdefault(row["organization_id"], {
            "organization_id": row["organization_id"], "name": row["name"], "referrals": 0,
            "answered": 0, "accepted": 0, "connected": 0, "_answer": [], "_connect": []})
        entry["referrals"] += 1
        answered = row["accepted_at"] or row["declined_at"]
        if answered:
            entry["answered"] += 1
            entry["_answer"].append(_minutes(row["sent_at"], answered))
        if row["accepted_at"]:
            entry["accepted"] += 1
        if row["connected_at"]:
            entry["connected"] += 1
            entry["_connect"].append(_minutes(row["sent_at"], row["connected_at"]) / 60)
    result = []
    for entry in by_org.values():
        answer, connect = entry.pop("_answer"), entry.pop("_connect")
        entry["median_answer_minutes"] = round(statistics.median(answer)) if answer else None
        entry["median_connect_hours"] = round(statistics.median(connect), 1) if connect else None
        result.append(entry)
    return sorted(result, key=lambda entry: entry["name"])


def _minutes(start: str, end: str) -> float:
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds() / 60


# --- overdue urgent referrals -----------------------------------------------------------------


def overdue_referrals(db: Database, officer_id: str | None = None,
                      police_service: str | None = None, *, now: str,
                      minutes: int = 30, tz: str = "America/Halifax") -> list[dict]:
    """Urgent referrals not answered within `minutes`, each with the next matching service."""
    cutoff = (datetime.fromisoformat(now) - timedelta(minutes=minutes)).isoformat(
        timespec="seconds")
    where, params = ["r.urgency = 'urgent'", "r.status in ('sent', 'received')",
                     "r.sent_at <= ?"], [cutoff]
    if officer_id:
        where.append("r.officer_id = ?")
        params.append(officer_id)
    if police_service:
        where.append("r.police_service = ?")
        params.append(police_service)
    # Few referrals are unanswered at any time: always start from the (status, sent_at) index.
    sql = SELECT.replace("from referral r",
                         "from referral r indexed by idx_referral_status_sent_at")
    rows = [_decorate(row) for row in db.query(
        sql + " where " + " and ".join(where) + " order by r.sent_at", params)]
    alternatives: dict[tuple, dict | None] = {}  # one directory look-up per service
    for row in rows:
        row["minutes_waiting"] = int(_minutes(row["sent_at"], now))
        key = (row["service_id"], row["organization_id"])
        if key not in alternatives:
            alternatives[key] = next_matching_service(db, row, now=now, tz=tz)
        row["next_service"] = alternatives[key]
    return rows


def next_matching_service(db: Database, referral: dict, *, now: str, tz: str) -> dict | None:
    """Another service of the same category that accepts referrals (the directory decides)."""
    categories = service_categories(db, referral["service_id"])
    if not categories:
        return None
    for category in categories:
        found = matching_services(db, category=category,
                                  exclude_service_id=referral["service_id"],
                                  now=datetime.fromisoformat(now), tz=tz, limit=1)
        found = [dict(s) for s in found if dict(s).get("organization_id")
                 != referral["organization_id"]] or [dict(s) for s in found]
        if found:
            return found[0]
    return None


def stale_referrals(db: Database, *, now: str, days: int) -> list[str]:
    """Ids of referrals nobody answered within `days` (to be closed as expired)."""
    cutoff = (datetime.fromisoformat(now) - timedelta(days=days)).isoformat(timespec="seconds")
    return [row["id"] for row in db.query(
        "select id from referral indexed by idx_referral_status_sent_at"
        " where status in ('sent', 'received') and sent_at <= ?"
        " order by sent_at", [cutoff])]


# --- reassigning, organization settings, links -------------------------------------------------


def reassign_referral(db: Database, original: dict, service_id: str, user: dict,
                      now: str, new_id: str | None = None) -> dict:
    """A new referral to another service, linked to one declined for lack of capacity."""
    if original["status"] != "declined" or original["status_reason"] != "no_capacity":
        raise ReferralError(_msg(_l("Only a referral declined for lack of capacity can be "
                                 "reassigned.")), status=409)
    if service_id == original["service_id"]:
        raise ReferralError(_msg(_l("Choose another service.")))
    shared = original["shared"]
    if isinstance(shared, str):
        shared = json.loads(shared)
    item = {key: original.get(key) for key in PAYLOAD_FIELDS}
    item.update({"id": new_id or str(uuid.uuid4()), "service_id": service_id, "shared": shared,
                 "created_at": now})
    result = apply_referral(db, item, user, now, officer_id=original["officer_id"],
                    replaces=original["id"])
    if result["status"] != "created":
        raise ReferralError("; ".join(result["errors"].values()) or result["status"])
    return result


def org_setting(db: Database, organization_id: str) -> dict:
    rows = list(db.query("select * from referral_org_setting where organization_id = ?",
                         [organization_id]))
    return rows[0] if rows else {"organization_id": organization_id, "accept_from_email": 0}


def set_accept_from_email(db: Database, organization_id: str, value: bool, user_id: str,
                          now: str) -> None:
    db["referral_org_setting"].upsert({"organization_id": organization_id,
                                       "accept_from_email": int(value), "updated_at": now,
                                       "updated_by": user_id}, pk="organization_id")


def get_link(db: Database, link_id: str) -> dict | None:
    rows = list(db.query("select * from referral_link where id = ?", [link_id]))
    return rows[0] if rows else None


def use_link(db: Database, link_id: str, user_id: str, now: str) -> bool:
    """Mark a link used; False when it was already used (single use, race-safe)."""
    cursor = db.execute("update referral_link set used_at = ?, used_by = ? where id = ?"
                        " and used_at is null", [now, user_id, link_id])
    return cursor.rowcount == 1


def intake_address_now(db: Database, referral_id: str) -> str | None:
    """Where a referral's e-mail goes today: its service's intake address, else its
    organization's (a coordinator's retry uses the address as corrected since)."""
    rows = list(db.query("select service_id from referral where id = ?", [referral_id]))
    service = get_service(db, rows[0]["service_id"]) if rows else None
    return _intake_address(db, service) if service else None
