"""Directory data access: search, service pages and upkeep.  Plain functions over a Database.

No Flask here: routes pass `now` (aware UTC datetime) and `tz` (the configured time zone) in.
A search runs a fixed number of queries whatever the page size: one for the matching services,
then one each for the page's phones, schedules, languages, addresses and categories.
"""

from __future__ import annotations

import json
import math
import re
import uuid
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlite_utils import Database

from fieldapp.db import writing
from fieldapp.directory import hours

CRISIS_CATEGORY = "mental_health_crisis"
# bm25 weights, in the column order of service_fts:
# name, alternate_name, organization_name, description, category_text, keywords
BM25 = "bm25(service_fts, 10.0, 4.0, 3.0, 1.0, 2.0, 2.0)"
STALE_AFTER_DAYS = 180
WORD = re.compile(r"\w+", re.UNICODE)
# Letters an unfinished English suffix is made of ("housi|ng", "shelt|er", "counsel|ling").
SUFFIX_LETTERS = set("aeiouylnsgr")
MAX_WORDS = 10


# --- search -----------------------------------------------------------------------------------


def fts_query(q: str) -> str:
    """User text as a safe FTS5 query: each word quoted and prefix-matched, all words required.

    Only word characters survive, so `"`, `*`, `-`, `(`, `AND`, `NEAR(` can never be FTS syntax.
    The last word is being typed: the index is stemmed (porter), so "housi" must also try
    "hous"* to reach "housing"; shorter stems of the last word are OR-ed in for that.
    """
    words = [w.replace('"', "") for w in WORD.findall(q or "")]
    words = [w for w in words if w.strip("_")][:MAX_WORDS]
    if not words:
        return ""
    # A one-letter prefix would expand to a large part of the vocabulary: exact word only.
    parts = [f'"{w}"*' if len(w) > 1 else f'"{w}"' for w in words[:-1]]
    last = words[-1]
    if len(last) == 1:
        return " AND ".join([*parts, f'"{last}"*' if len(words) == 1 else f'"{last}"'])
    options = [last]
    stem = last
    while len(stem) > 4 and len(last) - len(stem) < 2 and stem[-1].lower() in SUFFIX_LETTERS:
        stem = stem[:-1]
        options.append(stem)
    parts.append("(" + " OR ".join(f'"{o}"*' for o in options) + ")" if len(options) > 1
                 else f'"{last}"*')
    return " AND ".join(parts)


def local_now(now: datetime, tz: str) -> datetime:
    return now.astimezone(ZoneInfo(tz))


def _open_now_sql(now: datetime, tz: str, *, per_service: bool = False) -> tuple[str, dict]:
    """SQL condition "service s has a schedule row open at `now`" (same rules as hours.py).

    One pass over the schedule table, or, with `per_service` (when words or a category
    already narrow the services down), an indexed look-up of each candidate's rows."""
    local = local_now(now, tz)
    params = {
        "on_today": hours.DAY_CODES[local.weekday()],
        "on_yesterday": hours.DAY_CODES[(local.weekday() - 1) % 7],
        "on_hm": local.strftime("%H:%M"),
        "on_date": local.date().isoformat(),
    }
    # Plain comparisons on the stored text (the schema keeps opens_at/closes_at as 'HH:MM' and
    # byday as upper-case codes).
    if per_service:
        head = "EXISTS (SELECT 1 FROM schedule sch WHERE sch.service_id = s.id"
    else:
        head = "s.id IN (SELECT sch.service_id FROM schedule sch WHERE sch.service_id IS NOT NULL"
    sql = head + """
      AND sch.opens_at IS NOT NULL AND sch.closes_at IS NOT NULL
      AND (sch.freq IS NULL OR sch.freq IN ('WEEKLY', 'DAILY', ''))
      AND (sch.valid_from IS NULL OR sch.valid_from = '' OR sch.valid_from <= :on_date)
      AND (sch.valid_to IS NULL OR sch.valid_to = '' OR substr(sch.valid_to, 1, 10) >= :on_date)
      AND (
        (sch.opens_at <= :on_hm
         AND (sch.closes_at > :on_hm OR sch.closes_at <= sch.opens_at OR sch.closes_at = '23:59')
         AND (sch.byday IS NULL OR sch.byday = '' OR instr(sch.byday, :on_today) > 0))
        OR
        (sch.closes_at < sch.opens_at AND :on_hm < sch.closes_at
         AND (sch.byday IS NULL OR sch.byday = '' OR instr(sch.byday, :on_yesterday) > 0))
      ))"""
    return sql, params


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine) in kilometres."""
    if None in (lat1, lon1, lat2, lon2):
        return math.inf
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(min(1.0, math.sqrt(a)))


_SQL_MATH: bool | None = None


def _distance_sql(db: Database) -> str:
    """SQL for the haversine distance (km) from (:lat, :lon) to (lo.latitude, lo.longitude):
    SQLite's math functions when the library has them, else a registered Python function."""
    global _SQL_MATH
    if _SQL_MATH is None:
        try:
            db.execute("SELECT asin(sqrt(power(sin(radians(1)), 2)))").fetchone()
            _SQL_MATH = True
        except Exception:  # noqa: BLE001 - sqlite3.OperationalError: no such function
            _SQL_MATH = False
    if not _SQL_MATH:
        db.register_function(distance_km, deterministic=True, replace=True)
        return "distance_km(:lat, :lon, lo.latitude, lo.longitude)"
    return """(12742.0176 * asin(min(1.0, sqrt(
        power(sin(radians(lo.latitude - :lat) / 2), 2)
        + cos(radians(:lat)) * cos(radians(lo.latitude))
          * power(sin(radians(lo.longitude - :lon) / 2), 2)))))"""


def bounding_box(lat: float, lon: float, km: float) -> tuple[float, float, float, float]:
    """(min_lat, max_lat, min_lon, max_lon) of a box that holds every point within `km`."""
    dlat = km / 111.0
    dlon = km / (111.320 * max(math.cos(math.radians(lat)), 0.01))
    return lat - dlat, lat + dlat, lon - dlon, lon + dlon


def search_services(
    db: Database,
    q: str = "",
    *,
    category: str | None = None,
    population: str | None = None,
    open_now: bool = False,
    accepts_referrals: bool = False,
    language: str | None = None,
    near: tuple[float, float, float] | None = None,
    now: datetime,
    tz: str,
    limit: int = 50,
    offset: int = 0,
) -> list[dict]:
    """Active services matching `q` and the filters, best first, each with its card details.

    Ranking: exact name match, then bm25 (name over organization over description); with
    `near` (lat, lon, km) the nearest first, then an exact name, then a word in the name.
    Words in `q` are prefix-matched and quoted.
    """
    where = ["s.archived_at IS NULL",
             "coalesce(s.status, 'active') NOT IN ('inactive', 'defunct')"]
    params: dict = {"limit": int(limit), "offset": int(offset)}
    select_extra, joins, order = "", "", ["s.name COLLATE NOCASE", "s.id"]
    # Filters on other tables are "s.id IN (one pass over an indexed table)" rather than a
    # correlated EXISTS per service: the planner can then start from the smallest set.
    match = fts_query(q)
    if match:
        joins = "JOIN service_fts ON service_fts.rowid = s.rowid"
        where.append("service_fts MATCH :match")
        params.update(match=match, exact=(q or "").strip().lower())
        select_extra += f", {BM25} AS rank"
        order = ["lower(s.name) = :exact DESC", "rank", *order]
    # With words, the candidates are few (the best FTS hits): each is checked by an indexed
    # look-up (EXISTS); without words, one pass builds the set of ids (IN).
    if category:
        where.append("EXISTS (SELECT 1 FROM service_category sc WHERE sc.service_id = s.id"
                     " AND sc.category = :category)" if match else
                     "s.id IN (SELECT service_id FROM service_category WHERE category = :category)")
        params["category"] = category
    if population:
        # populations is a JSON list of codes (validated identifiers): '"code"' is in the text.
        where.append("instr(s.populations, :population) > 0")
        params["population"] = json.dumps(str(population))
    if accepts_referrals:
        where.append("s.accepts_referrals = 1")
    if language:
        where.append("EXISTS (SELECT 1 FROM language lg WHERE lg.service_id = s.id"
                     " AND (lower(lg.code) = :language OR lower(lg.name) = :language))" if match
                     else "s.id IN (SELECT service_id FROM language"
                     " WHERE lower(code) = :language OR lower(name) = :language)")
        params["language"] = language.strip().lower()
    if open_now:
        sql, open_params = _open_now_sql(now, tz, per_service=bool(match or category))
        where.append(sql)
        params.update(open_params)
    source, with_clause = "service s", ""
    if near:
        lat, lon, km = near
        min_lat, max_lat, min_lon, max_lon = bounding_box(lat, lon, km)
        params.update(lat=lat, lon=lon, km=km, min_lat=min_lat, max_lat=max_lat,
                      min_lon=min_lon, max_lon=max_lon)
        distance = _distance_sql(db)
        in_box = """lo.latitude BETWEEN :min_lat AND :max_lat
              AND lo.longitude BETWEEN :min_lon AND :max_lon
              AND coalesce(lo.confidential, 0) = 0"""
        if match:
            # Measure from each service that has the words, once (a materialized step: the
            # distance is not computed again for the WHERE and the ORDER BY).  The nearest
            # come first, so the words only select (no bm25 for every hit); at one address,
            # the services with a word in their name before the others.
            with_clause = f"""WITH near AS MATERIALIZED (
                SELECT s2.rowid AS rid, (SELECT min({distance})
                    FROM service_at_location sal JOIN location lo ON lo.id = sal.location_id
                    WHERE sal.service_id = s2.id AND {in_box}) AS distance
                FROM service_fts JOIN service s2 ON s2.rowid = service_fts.rowid
                WHERE service_fts MATCH :match)"""
            source = "near JOIN service s ON s.rowid = near.rid"
            joins = ""
            where = [w for w in where if "MATCH" not in w]
            select_extra = ", near.distance AS distance"
            params["name_match"] = "name : (" + match.replace(" AND ", " OR ") + ")"
            order = ["near.distance", "lower(s.name) = :exact DESC",
                     "s.rowid IN (SELECT rowid FROM service_fts WHERE service_fts MATCH"
                     " :name_match) DESC", "s.name COLLATE NOCASE", "s.id"]
            where.append("near.distance <= :km")
        else:
            # Start from the locations inside the bounding box (the latitude/longitude index);
            # the exact distance runs only on those.  Confidential locations are never used.
            source = f"""(SELECT sal.service_id, min({distance}) AS distance
                FROM location lo JOIN service_at_location sal ON sal.location_id = lo.id
                WHERE {in_box} GROUP BY sal.service_id) AS near
                JOIN service s ON s.id = near.service_id"""
            select_extra += ", near.distance AS distance"
            where.append("near.distance <= :km")
            order = ["near.distance", *order]
    columns = """s.id, s.name, s.organization_id, s.organization_name, s.description,
        s.accepts_referrals, s.assured_date, s.intake_phone, s.populations, s.alert"""
    rows = None
    if match and not near:
        # Rank in the FTS index alone, then read (and filter) only the service rows of the
        # best hits: the cost stays bounded however many services contain a common word.
        # If the hits were cut off and fewer than a page survive the filters (a selective
        # filter, archived listings), the full query below decides.  The result is the same:
        # a service beyond the cut ranks below every hit kept.
        words_only = not (category or population or accepts_referrals or language or open_now)
        params["hits"] = (max(200, 2 * (int(limit) + int(offset))) if words_only
                          else max(400, 10 * (int(limit) + int(offset))))
        filters = [w for w in where if "MATCH" not in w]
        rows = list(db.query(f"""WITH hits AS MATERIALIZED (
                SELECT rowid, {BM25} AS rank FROM service_fts
                WHERE service_fts MATCH :match ORDER BY rank LIMIT :hits)
            SELECT {columns}, hits.rank AS rank, (SELECT count(*) FROM hits) AS hit_count
            FROM hits JOIN service s ON s.rowid = hits.rowid
            WHERE {' AND '.join(filters)}
            ORDER BY lower(s.name) = :exact DESC, hits.rank, s.name COLLATE NOCASE, s.id
            LIMIT :limit OFFSET :offset""", params))
        truncated = not rows or rows[0]["hit_count"] >= params["hits"]
        for row in rows:
            row.pop("hit_count", None)
        if len(rows) < int(limit) and truncated:
            rows = None
    if rows is None:
        rows = list(db.query(f"""{with_clause} SELECT {columns}{select_extra}
            FROM {source} {joins}
            WHERE {' AND '.join(where)}
            ORDER BY {', '.join(order)}
            LIMIT :limit OFFSET :offset""", params))
    return _with_card_details(db, rows, now, tz)


def _placeholders(ids: list[str]) -> str:
    return ", ".join("?" for _ in ids)


def _grouped(rows, key: str = "service_id") -> dict[str, list[dict]]:
    grouped: dict[str, list[dict]] = {}
    for row in rows:
        grouped.setdefault(row[key], []).append(row)
    return grouped


def _with_card_details(db: Database, services: list[dict], now: datetime, tz: str) -> list[dict]:
    """Phones, hours, languages, address, categories of a page of services: one query each."""
    if not services:
        return []
    ids = [s["id"] for s in services]
    marks = _placeholders(ids)
    phones = _grouped(db.query(
        f"SELECT service_id, number, extension, type, description FROM phone"
        f" WHERE service_id IN ({marks}) ORDER BY service_id, coalesce(type, '') = 'fax', id", ids))
    schedules = _grouped(db.query(
        f"SELECT service_id, freq, byday, opens_at, closes_at, valid_from, valid_to, description"
        f" FROM schedule WHERE service_id IN ({marks})", ids))
    languages = _grouped(db.query(
        f"SELECT service_id, name, code FROM language WHERE service_id IN ({marks})"
        f" ORDER BY service_id, name", ids))
    addresses = _grouped(db.query(
        f"""SELECT sal.service_id, lo.id AS location_id, lo.name AS location_name,
            lo.latitude, lo.longitude, coalesce(lo.confidential, 0) AS confidential,
            ad.address_1, ad.address_2, ad.city, ad.state_province, ad.postal_code, ad.country,
            ad.address_type
            FROM service_at_location sal JOIN location lo ON lo.id = sal.location_id
            LEFT JOIN address ad ON ad.location_id = lo.id
            WHERE sal.service_id IN ({marks})
            ORDER BY sal.service_id, coalesce(ad.address_type, 'physical') != 'physical', lo.id""",
        ids))
    categories = _grouped(db.query(
        f"SELECT sc.service_id, sc.category FROM service_category sc"
        f" LEFT JOIN directory_category c ON c.code = sc.category"
        f" WHERE sc.service_id IN ({marks}) ORDER BY sc.service_id, c.position", ids))
    today = local_now(now, tz).date()
    for service in services:
        sid = service["id"]
        service["phones"] = phones.get(sid, [])
        service["schedules"] = schedules.get(sid, [])
        service["hours"] = hours.status(service["schedules"], now, tz)
        service["languages"] = _language_names(languages.get(sid, []))
        # Search results never carry a confidential location (a shelter's street address).
        service["addresses"] = [_address(a) for a in addresses.get(sid, [])
                                if not a["confidential"]]
        service["address"] = next((a for a in service["addresses"] if a["text"]), None)
        service["categories"] = [c["category"] for c in categories.get(sid, [])]
        service["populations"] = _json_list(service.get("populations"))
        service.update(verification(service.get("assured_date"), today))
    return services


def _language_names(rows: list[dict]) -> list[dict]:
    seen, names = set(), []
    for row in rows:
        key = (row.get("code") or row.get("name") or "").lower()
        if key and key not in seen:
            seen.add(key)
            names.append({"code": (row.get("code") or "").lower(), "name": row.get("name") or ""})
    return names


def _address(row: dict) -> dict:
    parts = [row.get("address_1"), row.get("address_2"), row.get("city"),
             row.get("state_province"), row.get("postal_code")]
    text = ", ".join(p.strip() for p in parts if p and str(p).strip())
    return {**row, "text": text}


def _json_list(value) -> list:
    if isinstance(value, list):
        return value
    try:
        parsed = json.loads(value or "[]")
    except (TypeError, ValueError):
        return []
    return parsed if isinstance(parsed, list) else []


def verification(assured_date: str | None, today: date,
                 stale_after: int = STALE_AFTER_DAYS) -> dict:
    """How long ago a listing was verified: {"verified_days": N or None, "stale": bool}."""
    try:
        verified = date.fromisoformat(str(assured_date)[:10]) if assured_date else None
    except ValueError:
        verified = None
    if verified is None:
        return {"verified_days": None, "stale": True}
    days = max((today - verified).days, 0)
    return {"verified_days": days, "stale": days > stale_after}


def _open_first(services: list[dict]) -> list[dict]:
    rank = {True: 0, None: 1, False: 2}
    return sorted(services, key=lambda s: rank[s["hours"]["open"]])


def _referral_choices(db: Database, *, category: str, exclude: str | None, now: datetime,
                      tz: str, limit: int) -> list[dict]:
    """Services of `category` that accept referrals: open now first (by SQL), then the rest
    (unknown hours before closed).  Two small searches, whatever the directory's size."""
    found = [s for s in search_services(db, category=category, accepts_referrals=True,
                                        open_now=True, now=now, tz=tz, limit=limit + 1)
             if s["id"] != exclude][:limit]
    if len(found) < limit:
        seen = {s["id"] for s in found} | {exclude}
        rest = search_services(db, category=category, accepts_referrals=True, now=now, tz=tz,
                               limit=limit + len(found) + 1)
        found += _open_first([s for s in rest if s["id"] not in seen])[:limit - len(found)]
    return found


def crisis_services(db: Database, *, now: datetime, tz: str, limit: int = 5) -> list[dict]:
    """Mental-health crisis services that accept referrals, open ones first."""
    return _referral_choices(db, category=CRISIS_CATEGORY, exclude=None, now=now, tz=tz,
                             limit=limit)


def matching_services(db: Database, *, category: str, exclude_service_id: str | None,
                      now: datetime, tz: str, limit: int = 3) -> list[dict]:
    """Other services of `category` that accept referrals (alternatives), open ones first."""
    return _referral_choices(db, category=category, exclude=exclude_service_id, now=now, tz=tz,
                             limit=limit)


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
    service["languages"] = _language_names(list(db.query(
        "SELECT name, code FROM language WHERE service_id = ? ORDER BY name", [service_id])))
    service["addresses"] = [_address(a) for a in db.query(
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
    service["populations"] = _json_list(service.get("populations"))
    return service


_LANGUAGE_OPTIONS: dict = {}


def language_options(db: Database, limit: int = 30) -> list[dict]:
    """Languages the listed services are offered in, most common first: [{value, name}].

    Kept per process and database until the directory changes (directory_version, bumped by
    triggers on every write): the full scan of `language` is not paid on every page."""
    try:
        version = db.execute("SELECT n FROM directory_version WHERE id = 1").fetchone()
        key = (db.execute("PRAGMA database_list").fetchone()[2], limit)
    except Exception:  # noqa: BLE001 - no version table: compute every time
        version, key = None, None
    hit = _LANGUAGE_OPTIONS.get(key) if key else None
    if hit is not None and version is not None and hit[0] == version[0]:
        return hit[1]
    options = list(db.query(
        """SELECT lower(coalesce(nullif(trim(code), ''), trim(name))) AS value,
            max(coalesce(nullif(trim(name), ''), code)) AS name, count(DISTINCT service_id) AS n
            FROM language WHERE service_id IS NOT NULL
            AND coalesce(nullif(trim(code), ''), trim(name)) != ''
            GROUP BY value ORDER BY n DESC, name LIMIT ?""", [limit]))
    if key and version is not None:
        _LANGUAGE_OPTIONS[key] = (version[0], options)
    return options


# --- upkeep: organizations and services -------------------------------------------------------

SERVICE_TEXT_FIELDS = [
    "name", "alternate_name", "description", "url", "email", "eligibility_description",
    "fees_description", "application_process", "intake_phone", "intake_email",
    "intake_instructions", "minimum_age", "maximum_age", "keywords", "alert",
]
ORGANIZATION_FIELDS = ["name", "alternate_name", "description", "email", "website"]
# What a partner may propose for their own listing (shown as a diff to the coordinator).
PROPOSABLE_FIELDS = [
    "name", "description", "eligibility_description", "fees_description", "application_process",
    "intake_phone", "intake_email", "intake_instructions", "email", "url", "alert",
]


def new_id() -> str:
    return str(uuid.uuid4())


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
    services = _grouped(db.query(
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


def get_organization(db: Database, organization_id: str) -> dict | None:
    rows = list(db.query("SELECT * FROM organization WHERE id = ?", [organization_id]))
    return rows[0] if rows else None


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
    db.execute("DELETE FROM schedule WHERE service_id = ?", [service_id])
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


# --- upkeep: verification ---------------------------------------------------------------------


def needs_verification(db: Database, *, today: date, days: int, limit: int = 200) -> list[dict]:
    """Active services never verified or verified more than `days` days before `today`,
    the oldest first."""
    cutoff = (today - timedelta(days=days)).isoformat()
    rows = list(db.query(
        """SELECT id, name, organization_name, assured_date, assurer_email FROM service
        WHERE archived_at IS NULL AND (assured_date IS NULL OR assured_date = ''
              OR substr(assured_date, 1, 10) < ?)
        ORDER BY coalesce(assured_date, '') , name COLLATE NOCASE LIMIT ?""", [cutoff, limit]))
    for row in rows:
        row.update(verification(row["assured_date"], today, days))
    return rows


def mark_verified(db: Database, service_id: str, *, today: date, by_user: dict, now: str) -> dict:
    """Set the verified date (HSDS assured_date) to today and the verifier; logged."""
    with writing(db):
        db.execute("UPDATE service SET assured_date = ?, assurer_email = ?, updated_at = ?"
                   " WHERE id = ?", [today.isoformat(), by_user.get("email"), now, service_id])
        db["service_verification"].insert({"service_id": service_id,
                                           "verified_on": today.isoformat(),
                                           "verified_by": by_user.get("id"), "at": now})
    row = next(db.query("SELECT id, name, organization_name, assured_date, assurer_email"
                        " FROM service WHERE id = ?", [service_id]))
    row.update(verification(row["assured_date"], today))
    return row


# --- upkeep: duplicates and merges ------------------------------------------------------------


def _normal_name(name: str) -> str:
    text = re.sub(r"\(demo\)", " ", (name or "").lower())
    return " ".join(WORD.findall(text))


def _phone_key(number: str | None) -> str:
    digits = "".join(ch for ch in (number or "") if ch.isdigit())
    return digits[-10:] if len(digits) >= 7 else ""


FULL_COMPARE = 3000
SHARED_DETAIL_THRESHOLD = 60.0


def _name_score(a: str, b: str, **_kwargs) -> float:
    """Similarity of two normalized names, 0-100: word order and spacing do not count
    ("Food Bank" = "Foodbank" = "Bank, Food")."""
    from rapidfuzz import fuzz

    return max(fuzz.token_sort_ratio(a, b), fuzz.ratio(a.replace(" ", ""), b.replace(" ", "")))


def possible_duplicates(db: Database, *, threshold: float = 90.0, limit: int = 100) -> dict:
    """Pairs of active services / organizations with near-identical names (rapidfuzz scores,
    see _name_score, >= threshold), the same phone number, or the same street address."""
    from rapidfuzz import process

    # Pairs a coordinator said are different listings (kind "<kind>_distinct").
    kept_apart = {tuple(sorted((r["survivor_id"], r["duplicate_id"]))) for r in db.query(
        "SELECT survivor_id, duplicate_id FROM directory_merge WHERE kind LIKE '%_distinct'")}

    def pairs(items: list[dict], phones: dict, addresses: dict) -> list[dict]:
        found: dict[tuple[str, str], dict] = {}

        def add(a: dict, b: dict, reason: str, score: float | None = None):
            key = tuple(sorted((a["id"], b["id"])))
            if key in kept_apart:
                return
            entry = found.setdefault(key, {"a": a if a["id"] == key[0] else b,
                                           "b": b if a["id"] == key[0] else a,
                                           "reasons": [], "score": 0.0})
            if reason not in entry["reasons"]:
                entry["reasons"].append(reason)
            if score:
                entry["score"] = max(entry["score"], score)

        names = [_normal_name(item["name"]) for item in items]
        # Every pair up to FULL_COMPARE names; beyond, only names whose sorted words start
        # alike are compared (a large directory would otherwise take n² comparisons).
        blocks: dict[str, list[int]] = {}
        for i, name in enumerate(names):
            key = "" if len(names) <= FULL_COMPARE else " ".join(sorted(name.split()))[:2]
            blocks.setdefault(key, []).append(i)
        for members in blocks.values():
            choices = {i: names[i] for i in members}
            for i in members:
                for _choice, score, j in process.extract(
                        names[i], choices, scorer=_name_score, limit=None):
                    if i < j and score >= threshold:
                        add(items[i], items[j], "name", float(score))
        by_id = {item["id"]: item for item in items}
        name_of = {item["id"]: name for item, name in zip(items, names, strict=True)}
        # A shared phone or address alone is normal (one agency's central line, a community
        # hub): it counts when the names are alike too.
        for groups, reason in ((phones, "phone"), (addresses, "address")):
            for ids in groups.values():
                ids = sorted(set(i for i in ids if i in by_id))
                for x in range(len(ids)):
                    for y in range(x + 1, len(ids)):
                        score = _name_score(name_of[ids[x]], name_of[ids[y]])
                        if score >= SHARED_DETAIL_THRESHOLD:
                            add(by_id[ids[x]], by_id[ids[y]], reason, score)
        ordered = sorted(found.values(), key=lambda e: (-len(e["reasons"]), -e["score"],
                                                        e["a"]["name"]))
        return ordered[:limit]

    services = list(db.query(
        "SELECT id, name, organization_id, organization_name FROM service"
        " WHERE archived_at IS NULL ORDER BY name"))
    service_phones: dict[str, list[str]] = {}
    for row in db.query("SELECT p.service_id, p.number FROM phone p JOIN service s"
                        " ON s.id = p.service_id WHERE s.archived_at IS NULL"
                        " AND coalesce(p.type, '') != 'fax'"):
        key = _phone_key(row["number"])
        if key:
            service_phones.setdefault(key, []).append(row["service_id"])
    service_addresses: dict[str, list[str]] = {}
    org_addresses: dict[str, list[str]] = {}
    for row in db.query(
            """SELECT sal.service_id, lo.organization_id, ad.address_1, ad.city
            FROM address ad JOIN location lo ON lo.id = ad.location_id
            JOIN service_at_location sal ON sal.location_id = lo.id
            WHERE coalesce(ad.address_1, '') != ''"""):
        key = _normal_name(f"{row['address_1']} {row['city'] or ''}")
        service_addresses.setdefault(key, []).append(row["service_id"])
    organizations = list(db.query(
        "SELECT id, name FROM organization WHERE archived_at IS NULL ORDER BY name"))
    org_phones: dict[str, list[str]] = {}
    for row in db.query("SELECT organization_id, number FROM phone WHERE organization_id"
                        " IS NOT NULL AND service_id IS NULL"):
        key = _phone_key(row["number"])
        if key:
            org_phones.setdefault(key, []).append(row["organization_id"])
    return {"services": pairs(services, service_phones, service_addresses),
            "organizations": pairs(organizations, org_phones, org_addresses)}


def _tables_with_column(db: Database, column: str, skip: set[str]) -> list[str]:
    found = []
    for table in db.table_names():
        if table in skip or table.startswith(("service_fts", "sqlite_", "_")):
            continue
        if column in db[table].columns_dict:
            found.append(table)
    return found


def merge_services(db: Database, *, survivor_id: str, duplicate_id: str, by_user_id: str,
                   now: str) -> dict:
    """Merge a duplicate service into the survivor, all or nothing.

    Referrals, proposals, contacts and every other row naming the duplicate now name the
    survivor (referrals also follow it to the survivor's organization); phones, languages,
    locations and hours move only where the survivor lacks them; categories and partnerships
    are united.  The duplicate is archived, never deleted, and the merge is recorded.
    """
    survivor, duplicate = get_service(db, survivor_id), get_service(db, duplicate_id)
    if survivor is None or duplicate is None or survivor_id == duplicate_id:
        raise ValueError("merge needs two different services")
    moved: dict[str, int] = {}

    def run(label: str, sql: str, params: list) -> None:
        count = db.execute(sql, params).rowcount
        if count:
            moved[label] = moved.get(label, 0) + count

    with writing(db):
        if "referral" in db.table_names():
            run("referral", "UPDATE referral SET service_id = ?, organization_id = ?"
                " WHERE service_id = ?", [survivor_id, survivor["organization_id"], duplicate_id])
        # Gap filling: the survivor's own details win.
        have = {_phone_key(p["number"]) for p in survivor["phones"]}
        for phone in duplicate["phones"]:
            if _phone_key(phone["number"]) in have:
                run("phone_dropped", "DELETE FROM phone WHERE id = ?", [phone["id"]])
            else:
                run("phone", "UPDATE phone SET service_id = ? WHERE id = ?",
                    [survivor_id, phone["id"]])
        langs = {(lang["code"] or lang["name"]).lower() for lang in survivor["languages"]}
        for row in list(db.query("SELECT id, code, name FROM language WHERE service_id = ?",
                                 [duplicate_id])):
            key = (row["code"] or row["name"] or "").lower()
            if key in langs:
                run("language_dropped", "DELETE FROM language WHERE id = ?", [row["id"]])
            else:
                langs.add(key)
                run("language", "UPDATE language SET service_id = ? WHERE id = ?",
                    [survivor_id, row["id"]])
        if survivor["schedules"]:
            run("schedule_dropped", "DELETE FROM schedule WHERE service_id = ?", [duplicate_id])
        if survivor["addresses"]:
            run("location_link_dropped", "DELETE FROM service_at_location WHERE service_id = ?",
                [duplicate_id])
        for table, column in (("service_category", "category"),
                              ("service_partnership", "police_service")):
            run(table, f"INSERT OR IGNORE INTO {table} (service_id, {column})"
                f" SELECT ?, {column} FROM {table} WHERE service_id = ?",
                [survivor_id, duplicate_id])
            db.execute(f"DELETE FROM {table} WHERE service_id = ?", [duplicate_id])
        # Everything else that names the duplicate (HSDS children, other areas' records).
        skip = {"service", "service_category", "service_partnership", "referral",
                "directory_merge", "service_verification"}
        for table in _tables_with_column(db, "service_id", skip):
            run(table, f"UPDATE OR IGNORE {table} SET service_id = ? WHERE service_id = ?",
                [survivor_id, duplicate_id])
        db.execute("UPDATE attribute SET link_id = ? WHERE link_id = ? AND link_entity = 'service'",
                   [survivor_id, duplicate_id])
        db.execute("UPDATE service SET archived_at = ?, status = 'inactive', updated_at = ?"
                   " WHERE id = ?", [now, now, duplicate_id])
        db["directory_merge"].insert({"kind": "service", "survivor_id": survivor_id,
                                      "duplicate_id": duplicate_id, "merged_by": by_user_id,
                                      "merged_at": now, "moved_json": json.dumps(moved)})
    return moved


def merge_organizations(db: Database, *, survivor_id: str, duplicate_id: str, by_user_id: str,
                        now: str) -> dict:
    """Merge a duplicate organization into the survivor: its services, users, referrals and
    every other row naming it move to the survivor; the duplicate is archived and recorded."""
    if survivor_id == duplicate_id or None in (get_organization(db, survivor_id),
                                               get_organization(db, duplicate_id)):
        raise ValueError("merge needs two different organizations")
    moved: dict[str, int] = {}
    with writing(db):
        for table in _tables_with_column(db, "organization_id",
                                         {"organization", "directory_merge", "audit_event"}):
            count = db.execute(f"UPDATE OR IGNORE {table} SET organization_id = ?"
                               f" WHERE organization_id = ?", [survivor_id, duplicate_id]).rowcount
            if count:
                moved[table] = count
        db.execute("UPDATE organization SET parent_organization_id = ?"
                   " WHERE parent_organization_id = ?", [survivor_id, duplicate_id])
        db.execute("UPDATE organization SET archived_at = ?, updated_at = ? WHERE id = ?",
                   [now, now, duplicate_id])
        db["directory_merge"].insert({"kind": "organization", "survivor_id": survivor_id,
                                      "duplicate_id": duplicate_id, "merged_by": by_user_id,
                                      "merged_at": now, "moved_json": json.dumps(moved)})
    return moved


def keep_apart(db: Database, *, kind: str, a_id: str, b_id: str, by_user_id: str,
               now: str) -> None:
    """Record that two listings flagged as possible duplicates are different (they leave the
    duplicates page).  Kept in directory_merge as kind "<kind>_distinct": the log of decisions
    on pairs."""
    db["directory_merge"].insert({"kind": f"{kind}_distinct", "survivor_id": a_id,
                                  "duplicate_id": b_id, "merged_by": by_user_id,
                                  "merged_at": now, "moved_json": None})


# --- partnership register ---------------------------------------------------------------------


def partnership_register(db: Database, police_services: list[str]) -> dict:
    """Which police services partner with each active service; overlaps (all partner),
    single-force partnerships, and categories where no police service partners with anyone."""
    rows = list(db.query(
        """SELECT s.id, s.name, s.organization_name,
            (SELECT group_concat(police_service, ',') FROM (SELECT police_service
               FROM service_partnership sp WHERE sp.service_id = s.id ORDER BY police_service))
            AS partners
        FROM service s WHERE s.archived_at IS NULL ORDER BY s.name COLLATE NOCASE"""))
    known = set(police_services)
    overlaps, single, none = [], {code: [] for code in police_services}, []
    for row in rows:
        row["partners"] = [p for p in (row["partners"] or "").split(",") if p]
        forces = [p for p in row["partners"] if p in known]
        if len(forces) >= 2:
            overlaps.append(row)
        elif len(forces) == 1:
            single[forces[0]].append(row)
        else:
            none.append(row)
    covered_by: dict[str, set[str]] = {code: set() for code in police_services}
    for r in db.query(
            """SELECT DISTINCT sc.category, sp.police_service FROM service_category sc
            JOIN service s ON s.id = sc.service_id AND s.archived_at IS NULL
            JOIN service_partnership sp ON sp.service_id = sc.service_id"""):
        covered_by.setdefault(r["police_service"], set()).add(r["category"])
    covered = set().union(*covered_by.values()) if covered_by else set()
    codes = [r["code"] for r in db.query("SELECT code FROM directory_category ORDER BY position")]
    gaps = [code for code in codes if code not in covered]
    # Per police service: categories where the other force has a partner and this one none.
    gaps_by_force = {force: [code for code in codes if code in covered
                             and code not in covered_by.get(force, set())]
                     for force in police_services}
    return {"services": rows, "overlaps": overlaps, "single": single, "none": none,
            "gaps": gaps, "gaps_by_force": gaps_by_force}


# --- partners' edit proposals -----------------------------------------------------------------


def propose_edit(db: Database, service: dict, changes: dict, *, by_user_id: str, now: str) -> str:
    """Record a partner's proposed changes to a listing; the listing itself is not touched."""
    base = {field: service.get(field) for field in changes}
    proposal_id = new_id()
    db["service_edit_proposal"].insert({
        "id": proposal_id, "service_id": service["id"],
        "organization_id": service["organization_id"], "proposed_by": by_user_id,
        "proposed_at": now, "changes_json": json.dumps(changes, sort_keys=True),
        "base_json": json.dumps(base, sort_keys=True), "status": "pending",
    })
    return proposal_id


def proposals(db: Database, *, status: str = "pending", organization_id: str | None = None
              ) -> list[dict]:
    where, params = ["p.status = ?"], [status]
    if organization_id:
        where.append("p.organization_id = ?")
        params.append(organization_id)
    return list(db.query(
        f"""SELECT p.*, s.name AS service_name, s.organization_name, u.name AS proposer_name
        FROM service_edit_proposal p JOIN service s ON s.id = p.service_id
        LEFT JOIN user u ON u.id = p.proposed_by
        WHERE {' AND '.join(where)} ORDER BY p.proposed_at""", params))


def get_proposal(db: Database, proposal_id: str) -> dict | None:
    rows = list(db.query(
        """SELECT p.*, s.name AS service_name, s.organization_name, u.name AS proposer_name
        FROM service_edit_proposal p JOIN service s ON s.id = p.service_id
        LEFT JOIN user u ON u.id = p.proposed_by WHERE p.id = ?""", [proposal_id]))
    if not rows:
        return None
    proposal = rows[0]
    changes = json.loads(proposal["changes_json"] or "{}")
    base = json.loads(proposal["base_json"] or "{}")
    current = next(db.query("SELECT * FROM service WHERE id = ?", [proposal["service_id"]]))
    proposal["diff"] = [
        {"field": field, "before": base.get(field), "current": current.get(field),
         "after": value, "changed_since": (current.get(field) or None) != (base.get(field) or None)}
        for field, value in changes.items()
    ]
    return proposal


def decide_proposal(db: Database, proposal_id: str, *, approve: bool, by_user_id: str,
                    now: str) -> bool:
    """Approve (apply the changes to the listing) or reject a pending proposal."""
    proposal = get_proposal(db, proposal_id)
    if proposal is None or proposal["status"] != "pending":
        return False
    with writing(db):
        if approve:
            changes = {field: value for field, value in json.loads(proposal["changes_json"]).items()
                       if field in PROPOSABLE_FIELDS}
            if changes:
                db["service"].update(proposal["service_id"], {**changes, "updated_at": now})
        db.execute("UPDATE service_edit_proposal SET status = ?, decided_by = ?, decided_at = ?"
                   " WHERE id = ? AND status = 'pending'",
                   ["approved" if approve else "rejected", by_user_id, now, proposal_id])
    return True
