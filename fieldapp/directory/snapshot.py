"""The phone's offline copy of the directory: compact JSON, versioned by a hash of its content.

Format (the offline area depends on it; keep it):
{"version": "<sha256 of the services>", "generated_at": iso,
 "services": [{"id", "name", "org", "desc" (<= 160 chars), "phone", "address", "lat", "lon",
               "cats": [codes], "pops": [codes], "langs": [codes], "ref": 0|1, "intake": phone,
               "hours": "24/7" | [[weekday 0=Mon, "HH:MM", "HH:MM"], ...], "verified": "YYYY-MM-DD"}]}
Plain functions over a sqlite_utils.Database; a fixed number of queries whatever the size.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict

from fieldapp.directory import hours

DESC_MAX = 160


def _short(text: str | None) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= DESC_MAX else text[:DESC_MAX - 1].rstrip() + "…"


def _grouped(db, sql: str) -> dict[str, list[dict]]:
    grouped: dict[str, list[dict]] = defaultdict(list)
    for row in db.query(sql):
        grouped[row["key"]].append(row)
    return grouped


def services(db) -> list[dict]:
    """Every listed (not archived) service in snapshot form, ordered by id."""
    rows = list(db.query(
        "SELECT id, name, organization_name, description, accepts_referrals, intake_phone, "
        "populations, assured_date FROM service WHERE archived_at IS NULL "
        "AND status NOT IN ('inactive', 'defunct') ORDER BY id"))
    phones = _grouped(db, "SELECT service_id AS key, number, extension, type FROM phone "
                          "WHERE service_id IS NOT NULL ORDER BY rowid")
    places = _grouped(db, """
        SELECT sal.service_id AS key, l.latitude, l.longitude,
               (SELECT trim(coalesce(a.address_1, '') || ', ' || coalesce(a.city, ''), ', ')
                  FROM address a WHERE a.location_id = l.id
                  ORDER BY a.address_type <> 'physical', a.rowid LIMIT 1) AS address
        FROM service_at_location sal JOIN location l ON l.id = sal.location_id
        ORDER BY sal.rowid""")
    cats = _grouped(db, "SELECT sc.service_id AS key, sc.category FROM service_category sc "
                        "JOIN directory_category c ON c.code = sc.category ORDER BY c.position")
    langs = _grouped(db, "SELECT service_id AS key, code FROM language WHERE service_id IS NOT "
                         "NULL AND code IS NOT NULL ORDER BY rowid")
    schedules = _grouped(db, "SELECT service_id AS key, byday, opens_at, closes_at, freq, "
                             "valid_from, valid_to FROM schedule WHERE service_id IS NOT NULL")
    out = []
    for row in rows:
        sid = row["id"]
        phone = next((p for p in phones.get(sid, []) if (p["type"] or "voice") == "voice"), None)
        phone = phone or next(iter(phones.get(sid, [])), None)
        place = next(iter(places.get(sid, [])), {})
        weekly = [s for s in schedules.get(sid, []) if not s["valid_from"] and not s["valid_to"]]
        if weekly and hours.always_open(weekly):
            week = "24/7"
        else:
            week = [[s.day, hours.format_minutes(s.start), hours.format_minutes(s.end)]
                    for s in hours.shifts(weekly)]
        number = None
        if phone:
            number = phone["number"] + (f" ext {phone['extension']}" if phone["extension"] else "")
        out.append({
            "id": sid, "name": row["name"], "org": row["organization_name"] or "",
            "desc": _short(row["description"]), "phone": number,
            "address": place.get("address") or None,
            "lat": place.get("latitude"), "lon": place.get("longitude"),
            "cats": [c["category"] for c in cats.get(sid, [])],
            "pops": json.loads(row["populations"] or "[]"),
            "langs": sorted({lang["code"] for lang in langs.get(sid, [])}),
            "ref": 1 if row["accepts_referrals"] else 0,
            "intake": row["intake_phone"],
            "hours": week,
            "verified": row["assured_date"],
        })
    return out


def build(db, now: str) -> dict:
    items = services(db)
    canonical = json.dumps(items, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    version = hashlib.sha256(canonical.encode()).hexdigest()[:32]
    return {"version": version, "generated_at": now, "services": items}


def dumps(snapshot: dict) -> str:
    return json.dumps(snapshot, separators=(",", ":"), ensure_ascii=False)
