"""The phone's offline copy of the directory: compact JSON, versioned by a hash of its content.

Format (the offline area depends on it; keep it):
{"version": "<sha256 of the services>", "generated_at": iso,
 "services": [{"id", "name", "org", "desc" (<= 160 chars), "phone", "address", "lat", "lon",
               "cats": [codes], "pops": [codes], "langs": [codes], "ref": 0|1, "intake": phone,
               "hours": "24/7" | [[weekday 0=Mon, "HH:MM", "HH:MM"], ...],
               "verified": "YYYY-MM-DD"}]}
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


def _grouped(db, sql: str) -> dict[str, list[tuple]]:
    """Rows of `sql` (first column = service id) grouped by service, as tuples (fast)."""
    grouped: dict[str, list[tuple]] = defaultdict(list)
    for row in db.execute(sql):
        grouped[row[0]].append(row[1:])
    return grouped


def _week(rows: tuple) -> str | list:
    """'24/7' or [[weekday, opens, closes], ...] of weekly schedule rows (memoized by pattern:
    most services share a handful of opening patterns)."""
    found = _WEEKS.get(rows)
    if found is None:
        dicts = [{"byday": r[0], "opens_at": r[1], "closes_at": r[2], "freq": r[3]}
                 for r in rows]
        if dicts and hours.always_open(dicts):
            found = "24/7"
        else:
            found = [[s.day, hours.format_minutes(s.start), hours.format_minutes(s.end)]
                     for s in hours.shifts(dicts)]
        if len(_WEEKS) > 5000:
            _WEEKS.clear()
        _WEEKS[rows] = found
    return found


_WEEKS: dict = {}


def services(db) -> list[dict]:
    """Every listed (not archived) service in snapshot form, ordered by id."""
    rows = db.execute(
        "SELECT id, name, organization_name, description, accepts_referrals, intake_phone, "
        "populations, assured_date FROM service WHERE archived_at IS NULL "
        "AND status NOT IN ('inactive', 'defunct') ORDER BY id").fetchall()
    phones = _grouped(db, "SELECT service_id, number, extension, coalesce(type, 'voice') "
                          "FROM phone WHERE service_id IS NOT NULL ORDER BY rowid")
    # A confidential location (a shelter's street address) never leaves the server: the
    # phone's copy carries neither its address nor its coordinates.
    places = _grouped(db, """
        SELECT sal.service_id, l.latitude, l.longitude,
               (SELECT trim(coalesce(a.address_1, '') || ', ' || coalesce(a.city, ''), ', ')
                  FROM address a WHERE a.location_id = l.id
                  ORDER BY a.address_type <> 'physical', a.rowid LIMIT 1)
        FROM service_at_location sal JOIN location l ON l.id = sal.location_id
        WHERE coalesce(l.confidential, 0) = 0
        ORDER BY sal.rowid""")
    cats = _grouped(db, "SELECT sc.service_id, sc.category FROM service_category sc "
                        "JOIN directory_category c ON c.code = sc.category ORDER BY c.position")
    langs = _grouped(db, "SELECT service_id, code FROM language WHERE service_id IS NOT NULL "
                         "AND code IS NOT NULL")
    schedules = _grouped(db, "SELECT service_id, byday, opens_at, closes_at, freq FROM schedule "
                             "WHERE service_id IS NOT NULL AND valid_from IS NULL "
                             "AND valid_to IS NULL ORDER BY byday, opens_at, closes_at")
    out = []
    for sid, name, org, description, ref, intake, populations, verified in rows:
        service_phones = phones.get(sid, ())
        phone = next((p for p in service_phones if p[2] == "voice"), None) or \
            next(iter(service_phones), None)
        number = None
        if phone:
            number = phone[0] + (f" ext {phone[1]}" if phone[1] else "")
        place = next(iter(places.get(sid, ())), (None, None, None))
        out.append({
            "id": sid, "name": name, "org": org or "",
            "desc": _short(description), "phone": number,
            "address": place[2] or None, "lat": place[0], "lon": place[1],
            "cats": [c[0] for c in cats.get(sid, ())],
            "pops": json.loads(populations or "[]"),
            "langs": sorted({lang[0] for lang in langs.get(sid, ())}),
            "ref": 1 if ref else 0,
            "intake": intake,
            "hours": _week(tuple(schedules.get(sid, ()))),
            "verified": verified,
        })
    return out


def build(db, now: str) -> dict:
    items = services(db)
    canonical = json.dumps(items, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    version = hashlib.sha256(canonical.encode()).hexdigest()[:32]
    return {"version": version, "generated_at": now, "services": items}


def dumps(snapshot: dict) -> str:
    return json.dumps(snapshot, separators=(",", ":"), ensure_ascii=False)


def data_version(db) -> int:
    """Bumped by triggers on every write to the tables the snapshot reads."""
    return db.execute("SELECT n FROM directory_version WHERE id = 1").fetchone()[0]


_CACHE: dict = {}


def cached(db, key: str, now: str) -> tuple[dict, str]:
    """(snapshot, its JSON) rebuilt only when the directory changed since the last call with
    the same key (the database path); per process."""
    version = data_version(db)
    hit = _CACHE.get(key)
    if hit is None or hit[0] != version:
        data = build(db, now)
        hit = (version, data, dumps(data))
        _CACHE[key] = hit
    return hit[1], hit[2]
