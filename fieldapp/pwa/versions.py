"""A sync conflict's two versions side by side, and the choice that resolves it.

The stored record is read and written only through its own area's store functions (people:
fieldapp.contacts.people, contacts: fieldapp.contacts.store, referrals: fieldapp.referrals.store),
under their scope rules and their validation: a merged version that would not pass them is
refused whole.
"""

import json

from flask_babel import lazy_gettext as _l
from sqlite_utils import Database

from fieldapp.contacts import people, vocab
from fieldapp.contacts import places as contacts_places
from fieldapp.contacts import store as contacts_store
from fieldapp.contacts.times import iso, parse_time
from fieldapp.referrals import store as referrals_store

CHOICES = ("stored", "phone", "merge")
ITEM_TYPES = {"contact": _l("Contact"), "person": _l("Person"), "referral": _l("Referral")}

# Per item type: (field, label, how it reads).  Only these fields are compared and merged.
FIELDS = {
    "contact": [
        ("occurred_at", _l("When"), "time"),
        ("place_id", _l("Place"), "place"),
        ("place_text", _l("Place (typed)"), "text"),
        ("lat", _l("Latitude"), "number"),
        ("lon", _l("Longitude"), "number"),
        ("kind", _l("Kind of contact"), "kind"),
        ("populations", _l("Populations"), "population"),
        ("outcome", _l("Outcome"), "outcome"),
        ("note", _l("Note"), "text"),
        ("person_id", _l("Person"), "person"),
        ("is_group", _l("Group"), "flag"),
        ("headcount", _l("Headcount"), "number"),
        ("age_band", _l("Age band"), "age_band"),
    ],
    "person": [
        ("alias", _l("Alias or name"), "text"),
        ("birth_year", _l("Year of birth"), "number"),
        ("flags", _l("Self-identified populations"), "population"),
    ],
    "referral": [
        ("service_id", _l("Service"), "service"),
        ("urgency", _l("Urgency"), "text"),
        ("consent", _l("Consent"), "text"),
        ("consent_reason", _l("Why consent could not be obtained"), "text"),
        ("shared", _l("Shared with the agency"), "list"),
        ("person_name", _l("Name shared"), "text"),
        ("person_phone", _l("Phone shared"), "text"),
        ("person_birth_year", _l("Year of birth shared"), "number"),
        ("preferred_contact", _l("Preferred contact"), "text"),
        ("handoff_note", _l("Hand-off note"), "text"),
        ("contact_id", _l("Contact"), "text"),
        ("person_id", _l("Person"), "person"),
    ],
}
LIST_KINDS = {"population", "list"}


def allowed_choices(conflict: dict, stored: dict | None) -> tuple[str, ...]:
    """A sent referral is the agency's to act on: only its stored version may stay.  A stored
    record the user may not read (or that is gone) can only be kept as it is."""
    if stored is None or conflict["item_type"] == "referral":
        return ("stored",)
    return CHOICES


def stored_record(db: Database, conflict: dict, user: dict) -> dict | None:
    """The stored record of the conflict as its area shows it to `user`, or None."""
    kind, item_id = conflict["item_type"], conflict["item_id"]
    if kind == "contact":
        return contacts_store.get_contact(db, item_id, user)
    if kind == "person":
        person = people.get_person(db, item_id, user)
        return person if person and not person["deidentified_at"] else None
    if kind == "referral":
        return referrals_store.referral_for(db, user, item_id)
    return None


def _stored_item(kind: str, stored: dict) -> dict:
    """The stored record in the shape a phone sends."""
    item = {field: stored.get(field) for field, _label, _how in FIELDS[kind]}
    if kind == "person":
        item["flags"] = stored.get("flag_codes") or []
    if kind == "referral":
        shared = stored.get("shared") or []
        item["shared"] = json.loads(shared) if isinstance(shared, str) else list(shared)
    return {**item, "id": stored["id"]}


def _comparable(how: str, value):
    if value is None or value == "" or value == []:
        return [] if how in LIST_KINDS else None
    if how in LIST_KINDS:
        values = [value] if isinstance(value, str) else value
        return sorted({str(v) for v in values}) if isinstance(values, list) else [str(values)]
    if how == "time":
        moment = parse_time(value)
        return iso(moment) if moment else str(value)
    if how == "flag":
        return 1 if value in (1, "1", True, "true", "on", "yes") else 0
    if how == "number":
        try:
            return float(value)
        except (TypeError, ValueError):
            return str(value)
    return str(value).strip() or None


def _readable(db: Database, how: str, value, places: dict) -> str:
    """A value as people read it: labels for codes, names for ids."""
    value = _comparable(how, value)
    if value is None or value == []:
        return ""
    if how in ("population",):
        return ", ".join(vocab.label("population", code) for code in value)
    if how == "list":
        return ", ".join(value)
    if how in ("kind", "outcome"):
        return vocab.label(how, value)
    if how == "age_band":
        return vocab.age_band_label(value)
    if how == "flag":
        return str(_l("Yes")) if value else str(_l("No"))
    if how == "number":
        return f"{value:g}" if isinstance(value, float) else value
    if how == "place":
        return places.get(value, value)
    if how == "person":
        person = contacts_store.resolve_person(db, value)
        return (person or {}).get("alias") or value
    if how == "service":
        service = referrals_store.get_service(db, value)
        return (service or {}).get("name") or value
    return value


def compare(db: Database, conflict: dict, stored: dict | None, user: dict) -> list[dict]:
    """Field by field: {field, label, how, stored, phone (readable), differs}."""
    kind = conflict["item_type"]
    phone = conflict["item"] if isinstance(conflict["item"], dict) else {}
    mine = _stored_item(kind, stored) if stored else {}
    places = {}
    if kind == "contact":
        places = {p["id"]: p["name"] for p in contacts_places.places(
            db, user.get("police_service"), include_inactive=True)}
    rows = []
    for field, label, how in FIELDS.get(kind, []):
        rows.append({
            "field": field, "label": label, "how": how,
            "stored": _readable(db, how, mine.get(field), places) if stored else None,
            "phone": _readable(db, how, phone.get(field), places),
            "stored_raw": mine.get(field), "phone_raw": phone.get(field),
            "differs": bool(stored) and (_comparable(how, mine.get(field))
                                         != _comparable(how, phone.get(field))),
        })
    return rows


def resolve(db: Database, conflict: dict, stored: dict | None, user: dict, now: str,
            choice: str, picks: dict) -> dict:
    """Apply `choice` (stored, phone, merge; `picks` {field: "stored"|"phone"} for a merge)
    through the record's own store function.  Returns {status: "resolved"|"invalid"|"refused",
    errors, changed (field names written), from_phone (field names taken from the phone)}."""
    if choice not in allowed_choices(conflict, stored):
        return {"status": "refused", "errors": {}, "changed": [], "from_phone": []}
    if choice == "stored":
        return {"status": "resolved", "errors": {}, "changed": [], "from_phone": []}
    kind = conflict["item_type"]
    rows = compare(db, conflict, stored, user)
    differing = [row["field"] for row in rows if row["differs"]]
    if choice == "phone":
        from_phone = differing
    else:
        from_phone = [field for field in differing if picks.get(field) == "phone"]
    if not from_phone:  # nothing taken from the phone: the stored record stays as it is
        return {"status": "resolved", "errors": {}, "changed": [], "from_phone": []}
    item = _stored_item(kind, stored)
    for field in from_phone:
        item[field] = conflict["item"].get(field)
    if kind == "contact":
        result = contacts_store.update_contact(db, stored, item, user, now)
    else:
        result = people.update_person(db, stored, item, user, now)
    if result["status"] == "invalid":
        return {"status": "invalid", "errors": {k: str(v) for k, v in result["errors"].items()},
                "changed": [], "from_phone": from_phone}
    return {"status": "resolved", "errors": {}, "changed": result.get("changed", []),
            "from_phone": sorted(from_phone)}
