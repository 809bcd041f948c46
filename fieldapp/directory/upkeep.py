"""Upkeep of listings by coordinators: organizations and services created, edited and
archived, with a service's categories, partnerships, phones, address, languages and weekly
hours saved all or nothing.  `values` come validated from forms.py."""

from __future__ import annotations

import json

from sqlite_utils import Database

from fieldapp.db import writing
from fieldapp.directory import hours
from fieldapp.directory.store import get_service, grouped, new_id

SERVICE_TEXT_FIELDS = [
    "name", "alternate_name", "description", "url", "email", "eligibility_description",
    "fees_description", "application_process", "intake_phone", "intake_email",
    "intake_instructions", "minimum_age", "maximum_age", "keywords", "alert",
]
ORGANIZATION_FIELDS = ["name", "alternate_name", "description", "email", "website"]


def list_organizations(db: Database, *, include_archived: bool = True, q: str = "") -> list[dict]:
    """Organizations with their services (id, name, archived_at), by name."""
    where, params = [], []
    if not include_archived:
        where.append("o.archived_at IS NULL")
    if q:
        where.append("(o.name LIKE ? OR EXISTS (SELECT 1 FROM service s2 WHERE"
                     " s2.organization_id = o.id AND s2.name LIKE ?))")
        params += [f"%{q}%", f"%{q}%"]
    orgs = list(db.query(
        f"SELECT o.id, o.name, o.archived_at FROM organization o"
        f" {'WHERE ' + ' AND '.join(where) if where else ''} ORDER BY o.name COLLATE NOCASE",
        params))
    services = grouped(db.query(
        "SELECT id, organization_id, name, archived_at, assured_date FROM service"
        " ORDER BY name COLLATE NOCASE"), key="organization_id")
    for org in orgs:
        org["services"] = services.get(org["id"], [])
    return orgs


def services_of_organization(db: Database, organization_id: str | None) -> list[dict]:
    """An organization's active services (id, name): a partner's own listings."""
    if not organization_id:
        return []
    return list(db.query("SELECT id, name FROM service WHERE organization_id = ?"
                         " AND archived_at IS NULL ORDER BY name COLLATE NOCASE",
                         [organization_id]))


def organization_choices(db: Database) -> list[dict]:
    return list(db.query("SELECT id, name FROM organization WHERE archived_at IS NULL"
                         " ORDER BY name COLLATE NOCASE"))


def save_organization(db: Database, values: dict, *, organization_id: str | None, now: str) -> str:
    """Create (organization_id None) or update an organization; returns its id."""
    record = {field: values.get(field) or None for field in ORGANIZATION_FIELDS}
    with writing(db):
        if organization_id:
            db["organization"].update(organization_id, {**record, "updated_at": now})
        else:
            organization_id = new_id()
            db["organization"].insert({"id": organization_id, **record, "created_at": now,
                                       "updated_at": now})
    return organization_id


def archive_organization(db: Database, organization_id: str, *, now: str) -> None:
    """Archive an organization and all its services (hidden from search, history kept)."""
    with writing(db):
        db.execute("UPDATE organization SET archived_at = ?, updated_at = ? WHERE id = ?",
                   [now, now, organization_id])
        db.execute("UPDATE service SET archived_at = ?, updated_at = ? WHERE organization_id = ?"
                   " AND archived_at IS NULL", [now, now, organization_id])


def archive_service(db: Database, service_id: str, *, now: str, restore: bool = False) -> None:
    db.execute("UPDATE service SET archived_at = ?, updated_at = ? WHERE id = ?",
               [None if restore else now, now, service_id])


def blank_service_values(organization_id: str = "") -> dict:
    """The form's values of a new service (of `organization_id` when given)."""
    values = {field: "" for field in SERVICE_TEXT_FIELDS}
    values.update(organization_id=organization_id, accepts_referrals=False,
                  joint_police_health=False, categories=[],
                  populations=[], partnered_with=[], languages=[], phones=[], address={},
                  confidential=False,
                  schedule={"always_open": False, "days": {c: [] for c in hours.DAY_CODES}})
    return values


def service_form_values(service: dict) -> dict:
    """The edit form's values of a stored service (get_service output)."""
    values = {field: service.get(field) or "" for field in SERVICE_TEXT_FIELDS}
    values["organization_id"] = service.get("organization_id") or ""
    values["accepts_referrals"] = bool(service.get("accepts_referrals"))
    values["joint_police_health"] = bool(service.get("joint_police_health"))
    values["categories"] = list(service.get("categories") or [])
    values["populations"] = list(service.get("populations") or [])
    values["partnered_with"] = list(service.get("partnered_with") or [])
    values["languages"] = [lang["code"] or lang["name"] for lang in service.get("languages", [])]
    values["phones"] = [{"id": p["id"], "number": p["number"] or "",
                         "extension": p["extension"] or "", "type": p["type"] or "voice"}
                        for p in service.get("phones", [])]
    address = next((a for a in service.get("addresses", []) if a.get("address_id")),
                   (service.get("addresses") or [None])[0])
    values["address"] = {
        key: (address or {}).get(key) if (address or {}).get(key) is not None else ""
        for key in ("address_1", "address_2", "city", "state_province", "postal_code",
                    "latitude", "longitude")
    }
    values["confidential"] = bool((address or {}).get("confidential"))
    values["schedule"] = schedule_form_values(service.get("schedules", []))
    return values


def schedule_form_values(rows: list[dict]) -> dict:
    """{"always_open": bool, "days": {code: [(opens, closes), ...]}} from schedule rows."""
    weekly = hours.shifts(rows)
    days = {code: [] for code in hours.DAY_CODES}
    for shift in weekly:
        days[hours.DAY_CODES[shift.day]].append(
            (hours.format_minutes(shift.start), hours.format_minutes(shift.end)))
    return {"always_open": bool(weekly) and hours.always_open(rows), "days": days}


def _schedule_rows(schedule: dict) -> list[tuple[str, str, str]]:
    """(byday, opens_at, closes_at) rows of a schedule form value."""
    if schedule.get("always_open"):
        return [(",".join(hours.DAY_CODES), "00:00", "24:00")]
    rows = []
    for code in hours.DAY_CODES:
        for opens, closes in schedule.get("days", {}).get(code, []):
            rows.append((code, opens, closes))
    return rows


# The service form's sections, each saved on its own (issue 19): section -> (the keys of
# ServiceForm.values() it owns, the form fields and row-error prefixes whose errors are its).
SERVICE_SECTIONS = {
    "listing": (["organization_id", "name", "alternate_name", "description", "keywords",
                 "alert", "url", "email"], ()),
    "intake": (["accepts_referrals", "joint_police_health", "intake_phone", "intake_email",
                "intake_instructions", "eligibility_description", "minimum_age",
                "maximum_age", "fees_description", "application_process"], ()),
    "categories": (["categories"], ()),
    "populations": (["populations"], ()),
    "partners": (["partnered_with"], ()),
    "languages": (["languages"], ()),
    "phones": (["phones"], ("phone_number_",)),
    "address": (["address", "confidential", "address_1", "address_2", "city",
                 "state_province", "postal_code", "latitude", "longitude"], ()),
    "hours": (["schedule", "always_open"], tuple(f"{code}_" for code in hours.DAY_CODES)),
}


def section_errors(section: str, errors: dict, row_errors: dict) -> dict:
    """The errors of one section of the service form (field errors and row errors)."""
    keys, prefixes = SERVICE_SECTIONS[section]
    found = {name: e for name, e in errors.items() if name in keys}
    found.update({name: e for name, e in row_errors.items()
                  if any(name.startswith(p) for p in prefixes)})
    return found


def section_values(section: str, stored: dict, posted: dict) -> dict:
    """The stored values of a service with one section's posted values over them."""
    keys, _prefixes = SERVICE_SECTIONS[section]
    return {**stored, **{key: posted[key] for key in keys if key in posted}}


def save_service(db: Database, values: dict, *, service_id: str | None, now: str) -> str:
    """Create or update a service with its categories, populations, partnerships, phones,
    address, languages and weekly hours, all or nothing.  `values` is already validated."""
    record = {field: (values.get(field) or None) for field in SERVICE_TEXT_FIELDS}
    record["keywords"] = values.get("keywords") or ""
    record["organization_id"] = values["organization_id"]
    record["accepts_referrals"] = 1 if values.get("accepts_referrals") else 0
    # Created by the reports area's migration (which runs after the directory's); the board
    # report counts referrals accepted by such a service apart from non-police diversion.
    record["joint_police_health"] = 1 if values.get("joint_police_health") else 0
    record["populations"] = json.dumps(sorted(values.get("populations") or []))
    with writing(db):
        if service_id:
            db["service"].update(service_id, {**record, "updated_at": now})
            before = get_service(db, service_id)
        else:
            service_id = new_id()
            db["service"].insert({"id": service_id, **record, "status": "active",
                                  "created_at": now, "updated_at": now})
            before = None
        _replace_links(db, "service_category", "category", service_id,
                       values.get("categories") or [])
        _replace_links(db, "service_partnership", "police_service", service_id,
                       values.get("partnered_with") or [])
        _save_phones(db, service_id, values.get("phones") or [], now)
        _save_languages(db, service_id, values.get("languages") or [], before, now)
        _save_schedule(db, service_id, values.get("schedule") or {}, before, now)
        _save_address(db, service_id, values, before, now)
    return service_id


def _replace_links(db: Database, table: str, column: str, service_id: str, codes: list[str]):
    existing = {r[column] for r in db.query(
        f"SELECT {column} FROM {table} WHERE service_id = ?", [service_id])}
    wanted = set(codes)
    for code in existing - wanted:
        db.execute(f"DELETE FROM {table} WHERE service_id = ? AND {column} = ?", [service_id, code])
    for code in sorted(wanted - existing):
        db.execute(f"INSERT INTO {table} (service_id, {column}) VALUES (?, ?)", [service_id, code])


def _save_phones(db: Database, service_id: str, phones: list[dict], now: str) -> None:
    existing = {r["id"] for r in db.query("SELECT id FROM phone WHERE service_id = ?",
                                          [service_id])}
    kept = set()
    for phone in phones:
        row = {"number": phone["number"], "extension": phone.get("extension") or None,
               "type": phone.get("type") or "voice", "updated_at": now}
        if phone.get("id") in existing:
            db["phone"].update(phone["id"], row)
            kept.add(phone["id"])
        else:
            db["phone"].insert({"id": new_id(), "service_id": service_id, **row,
                                "created_at": now})
    for gone in existing - kept:
        db.execute("DELETE FROM phone WHERE id = ?", [gone])


def _save_languages(db: Database, service_id: str, codes: list[str], before, now: str) -> None:
    current = sorted(lang["code"] or lang["name"] for lang in (before or {}).get("languages", []))
    if before is not None and current == sorted(codes):
        return  # unchanged: keep imported rows (source ids, extra columns) as they are
    db.execute("DELETE FROM language WHERE service_id = ?", [service_id])
    for code in codes:
        name = LANGUAGES.get(code, code)
        db["language"].insert({"id": new_id(), "service_id": service_id,
                               "code": code if code in LANGUAGES else None, "name": name,
                               "created_at": now, "updated_at": now})


def _save_schedule(db: Database, service_id: str, schedule: dict, before, now: str) -> None:
    if before is not None and (schedule_form_values(before["schedules"])
                               == schedule_form_values(_as_rows(schedule))):
        return  # unchanged hours: keep the stored rows
    # the form edits the regular week: exceptional days (holidays, hours.exceptional) stay
    regular = [row["id"] for row in db.query(
        "SELECT id, valid_from, valid_to FROM schedule WHERE service_id = ?", [service_id])
        if not hours.exceptional(row)]
    for start in range(0, len(regular), 500):
        chunk = regular[start:start + 500]
        db.execute(f"DELETE FROM schedule WHERE id IN ({', '.join('?' * len(chunk))})", chunk)
    for byday, opens, closes in _schedule_rows(schedule):
        db["schedule"].insert({"id": new_id(), "service_id": service_id, "freq": "WEEKLY",
                               "byday": byday, "opens_at": opens, "closes_at": closes,
                               "created_at": now, "updated_at": now})


def _as_rows(schedule: dict) -> list[dict]:
    return [{"freq": "WEEKLY", "byday": b, "opens_at": o, "closes_at": c}
            for b, o, c in _schedule_rows(schedule)]


def _save_address(db: Database, service_id: str, values: dict, before, now: str) -> None:
    address = values.get("address") or {}
    fields = ("address_1", "address_2", "city", "state_province", "postal_code")
    has_text = any(address.get(f) for f in fields)
    lat, lon = address.get("latitude"), address.get("longitude")
    located = next((a for a in (before or {}).get("addresses", [])), None)
    if not has_text and lat in (None, "") and located is None:
        return
    if located is None:
        location_id = new_id()
        db["location"].insert({"id": location_id, "organization_id": values["organization_id"],
                               "location_type": "physical", "created_at": now,
                               "updated_at": now})
        db["service_at_location"].insert({"id": new_id(), "service_id": service_id,
                                          "location_id": location_id, "created_at": now,
                                          "updated_at": now})
        address_id = None
    else:
        location_id, address_id = located["location_id"], located.get("address_id")
    db["location"].update(location_id, {
        "latitude": float(lat) if lat not in (None, "") else None,
        "longitude": float(lon) if lon not in (None, "") else None,
        "confidential": 1 if values.get("confidential") else 0, "updated_at": now})
    row = {f: address.get(f) or None for f in fields}
    if address_id:
        db["address"].update(address_id, {**row, "updated_at": now})
    elif has_text:
        db["address"].insert({"id": new_id(), "location_id": location_id,
                              "address_type": "physical", "country": "CA", **row,
                              "created_at": now, "updated_at": now})


# Languages offered in the upkeep form: ISO 639 code -> stored English name (HSDS language.name).
LANGUAGES = {
    "en": "English", "fr": "French", "ar": "Arabic", "zh": "Chinese", "es": "Spanish",
    "mic": "Mi'kmaw", "ase": "American Sign Language", "pt": "Portuguese", "ti": "Tigrinya",
    "fa": "Persian", "uk": "Ukrainian", "de": "German", "ko": "Korean", "hi": "Hindi",
    "pa": "Punjabi", "tl": "Tagalog", "vi": "Vietnamese",
}
