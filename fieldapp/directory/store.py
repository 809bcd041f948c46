"""One listing as its pages show it, shared by search, upkeep, merges and proposals.

get_service / get_organization read one listing (for its page, the upkeep form, a merge, a
proposal's diff); new_id makes every id; the row helpers (grouped, language_names,
address_with_text, json_list) shape service rows the same way for a page and for search.py's
result cards.  Plain functions over a Database, no Flask.
"""

from __future__ import annotations

import json
import uuid

from sqlite_utils import Database


def new_id() -> str:
    return str(uuid.uuid4())


def placeholders(ids: list[str]) -> str:
    """"?, ?, ?": one SQL parameter per id."""
    return ", ".join("?" for _ in ids)


def grouped(rows, key: str = "service_id") -> dict[str, list[dict]]:
    """Rows by the value of their `key` column."""
    found: dict[str, list[dict]] = {}
    for row in rows:
        found.setdefault(row[key], []).append(row)
    return found


def language_names(rows: list[dict]) -> list[dict]:
    """A service's languages once each: [{code (lower case, may be empty), name}]."""
    seen, names = set(), []
    for row in rows:
        key = (row.get("code") or row.get("name") or "").lower()
        if key and key not in seen:
            seen.add(key)
            names.append({"code": (row.get("code") or "").lower(), "name": row.get("name") or ""})
    return names


def address_with_text(row: dict) -> dict:
    """An address row with "text": its non-empty parts joined by commas."""
    parts = [row.get("address_1"), row.get("address_2"), row.get("city"),
             row.get("state_province"), row.get("postal_code")]
    text = ", ".join(p.strip() for p in parts if p and str(p).strip())
    return {**row, "text": text}


def json_list(value) -> list:
    """A stored JSON list (populations) as a list; [] when empty or unreadable."""
    if isinstance(value, list):
        return value
    try:
        parsed = json.loads(value or "[]")
    except (TypeError, ValueError):
        return []
    return parsed if isinstance(parsed, list) else []


def get_service(db: Database, service_id: str) -> dict | None:
    """One service with everything its page shows, or None.  Archived services are returned
    (with archived_at set): referrals keep pointing at them."""
    rows = list(db.query("SELECT * FROM service WHERE id = ?", [service_id]))
    if not rows:
        return None
    service = rows[0]
    org = list(db.query("SELECT id, name, description, email, website, archived_at"
                        " FROM organization WHERE id = ?", [service["organization_id"]]))
    service["organization"] = org[0] if org else None
    service["organization_name"] = service.get("organization_name") or (
        org[0]["name"] if org else "")
    service["phones"] = list(db.query(
        "SELECT id, number, extension, type, description FROM phone WHERE service_id = ?"
        " ORDER BY coalesce(type, '') = 'fax', id", [service_id]))
    service["schedules"] = list(db.query(
        "SELECT id, freq, byday, opens_at, closes_at, valid_from, valid_to, description"
        " FROM schedule WHERE service_id = ? ORDER BY opens_at", [service_id]))
    service["languages"] = language_names(list(db.query(
        "SELECT name, code FROM language WHERE service_id = ? ORDER BY name", [service_id])))
    service["addresses"] = [address_with_text(a) for a in db.query(
        """SELECT lo.id AS location_id, lo.name AS location_name, lo.latitude, lo.longitude,
            coalesce(lo.confidential, 0) AS confidential, lo.transportation,
            ad.id AS address_id, ad.address_1, ad.address_2, ad.city, ad.state_province,
            ad.postal_code, ad.country, ad.address_type
            FROM service_at_location sal JOIN location lo ON lo.id = sal.location_id
            LEFT JOIN address ad ON ad.location_id = lo.id
            WHERE sal.service_id = ?
            ORDER BY coalesce(ad.address_type, 'physical') != 'physical', lo.id""", [service_id])]
    service["address"] = next((a for a in service["addresses"] if not a["confidential"]
                               and a["text"]), None)
    service["categories"] = [r["category"] for r in db.query(
        "SELECT sc.category FROM service_category sc LEFT JOIN directory_category c"
        " ON c.code = sc.category WHERE sc.service_id = ? ORDER BY c.position", [service_id])]
    service["partnered_with"] = [r["police_service"] for r in db.query(
        "SELECT police_service FROM service_partnership WHERE service_id = ?"
        " ORDER BY police_service", [service_id])]
    service["populations"] = json_list(service.get("populations"))
    return service


def get_organization(db: Database, organization_id: str) -> dict | None:
    rows = list(db.query("SELECT * FROM organization WHERE id = ?", [organization_id]))
    return rows[0] if rows else None


def service_details(db: Database, service: dict) -> dict:
    """What a service's page shows beyond its card, from the HSDS tables older exports fill:
    required documents, service areas, funding, costs, its program, the accessibility of its
    places, the rows of older files kept on it (extra_json: eligibility, payments accepted),
    and its schedule rows with what the source wrote (extra_json, for "hours as given")."""
    service_id = service["id"]

    def rows(sql: str, params: list) -> list[dict]:
        return list(db.query(sql, params))

    try:
        extra = json.loads(service.get("extra_json") or "{}")
    except (TypeError, ValueError):
        extra = {}
    held = {key: [str(v) for v in extra.get(key, []) if v]
            for key in ("eligibility", "payments_accepted")
            if isinstance(extra, dict) and isinstance(extra.get(key), list)}
    return {
        "held": {k: v for k, v in held.items() if v},
        "required_documents": rows("SELECT document, uri FROM required_document"
                                   " WHERE service_id = ? ORDER BY document", [service_id]),
        "service_areas": rows("SELECT name, description FROM service_area WHERE service_id = ?"
                              " ORDER BY name", [service_id]),
        "funding": rows("SELECT source FROM funding WHERE service_id = ? ORDER BY source",
                        [service_id]),
        "cost_options": rows("SELECT option, amount, currency, amount_description FROM"
                             " cost_option WHERE service_id = ? ORDER BY option", [service_id]),
        "program": next(iter(rows("SELECT name, description FROM program WHERE id = ?",
                                  [service.get("program_id")])), None)
        if service.get("program_id") else None,
        "accessibility": rows(
            "SELECT DISTINCT ac.description, ac.details FROM service_at_location sal"
            " JOIN accessibility ac ON ac.location_id = sal.location_id"
            " WHERE sal.service_id = ? ORDER BY ac.description", [service_id]),
        "schedule_sources": rows(
            "SELECT byday, opens_at, closes_at, valid_from, valid_to, extra_json FROM schedule"
            " WHERE service_id = ? AND extra_json IS NOT NULL", [service_id]),
    }
