"""Directory search: words (FTS5, bm25), filters, distance and open-now, then the cards.

No Flask here: routes pass `now` (aware UTC datetime) and `tz` (the configured time zone) in.
A search runs a bounded number of queries whatever the page size: one for the page of matching
services (a second when a first pass over the best hits or the first services by name falls
short; near a place, up to four widening steps), then one for all the page's children.
"""

from __future__ import annotations

import functools
import json
import math
import re
import sqlite3
import sys
import threading
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlite_utils import Database

from fieldapp.db import select
from fieldapp.directory import hours
from fieldapp.directory.store import json_list, placeholders
from fieldapp.directory.verification import verification

CRISIS_CATEGORY = "mental_health_crisis"
# bm25 weights, in the column order of service_fts:
# name, alternate_name, organization_name, description, category_text, keywords
BM25 = "bm25(service_fts, 10.0, 4.0, 3.0, 1.0, 2.0, 2.0)"
# The words index's tokenizer (migrations.py: create_hsds_tables); fts_query stems the forms of
# a word being typed with the same one.
TOKENIZE = "porter unicode61 remove_diacritics 2"
# The words index keeps a prefix index for stems of these lengths (migrations.py:
# add_search_prefix_index): a prefix-matched word of 2-10 letters ("counsel"*, "hous"*) reads
# one precomputed list instead of gathering every word that starts so.  Results unchanged.
PREFIX_LENGTHS = (2, 3, 4, 5, 6, 7, 8, 9, 10)
WORD = re.compile(r"\w+", re.UNICODE)
# Letters an unfinished English suffix is made of ("housi|ng", "shelt|er", "counsel|ling").
SUFFIX_LETTERS = set("aeiouylnsgr")
MAX_WORDS = 10


def fts_query(q: str, forms: Callable[[str], tuple[str, ...]] | None = None) -> str:
    """User text as a safe FTS5 query: each word quoted and prefix-matched, all words required.

    Only word characters survive, so `"`, `*`, `-`, `(`, `AND`, `NEAR(` can never be FTS syntax.
    The last word is being typed: the index is stemmed (porter), so "housi" must also try
    "hous"* to reach "housing"; shorter forms of the last word are OR-ed in for that, but only
    those that can match more (`_last_word_forms`).

    Every typed word counts once in the ranking (a product decision): bm25 scores each phrase
    of the query, and FTS5 stems a prefix term too, so "services"* OR "service"* OR "servic"*
    were three times "servic"*: that word weighed three times the others, and only when its
    shorter forms happened to stem alike ("food services", not "food bank"), and FTS5 read and
    scored its list three times.  Now one phrase per stem, and none whose matches another kept
    phrase already has: the same services match, and the last word weighs as much as the
    others.

    `forms`: the forms of the last word to OR in (default `_last_word_forms`; the tests pass
    `typed_forms`, the rule before that decision, as the reference for the set of matches).
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
    options = (forms or _last_word_forms)(last)
    parts.append("(" + " OR ".join(f'"{o}"*' for o in options) + ")" if len(options) > 1
                 else f'"{options[0]}"*')
    return " AND ".join(parts)


def typed_forms(last: str) -> tuple[str, ...]:
    """A word being typed and its shorter forms: up to two letters of an unfinished English
    suffix off ("housi|ng", "counsel|ling"), never below four letters."""
    options = [last]
    stem = last
    while len(stem) > 4 and len(last) - len(stem) < 2 and stem[-1].lower() in SUFFIX_LETTERS:
        stem = stem[:-1]
        options.append(stem)
    return tuple(options)


@functools.lru_cache(maxsize=4096)
def _last_word_forms(last: str) -> tuple[str, ...]:
    """The forms of a word being typed to OR in the query: the word and its shorter forms
    (up to two letters of an unfinished English suffix off: "housi|ng", "counsel|ling"), less
    each form whose terms, as the words index stems them, a kept form's already match: the
    same terms ("services", "service", "servic": all "servic"), or a longer last term (a
    prefix term "housi"* matches a subset of "hou"*, the stem of "hous").  The OR of the
    kept forms matches exactly what the OR of all did, with one phrase per distinct stem."""
    options = typed_forms(last)
    if len(options) == 1:
        return options
    terms = _index_terms(tuple(options))
    kept: list[int] = []
    # Shortest stems first: a form is dropped when a kept one's terms are its terms but the
    # last, which it starts with (a kept form's matches include its matches).
    for i in sorted(range(len(options)), key=lambda i: len("".join(terms[i]))):
        mine = terms[i]
        if not mine or not any(
                terms[k] and terms[k][:-1] == mine[:-1] and mine[-1].startswith(terms[k][-1])
                for k in kept):
            kept.append(i)
    return tuple(options[i] for i in sorted(kept))


_TOKENIZER = threading.local()


def _index_terms(forms: tuple[str, ...]) -> list[tuple[str, ...]]:
    """The terms the words index's tokenizer (TOKENIZE: SQLite's own porter and unicode61)
    makes of each form, read back from a private in-memory FTS5 table (one per thread; the
    rows are rolled back).  About 30 µs of CPU, once per word: _last_word_forms is cached."""
    conn = getattr(_TOKENIZER, "conn", None)
    if conn is None:
        conn = sqlite3.connect(":memory:", isolation_level=None)
        conn.execute(f"CREATE VIRTUAL TABLE words USING fts5(word, tokenize='{TOKENIZE}')")
        conn.execute("CREATE VIRTUAL TABLE terms USING fts5vocab(words, 'instance')")
        _TOKENIZER.conn = conn
    conn.execute("BEGIN")
    try:
        conn.executemany("INSERT INTO words(rowid, word) VALUES (?, ?)", enumerate(forms))
        rows = conn.execute("SELECT doc, term FROM terms ORDER BY doc, offset").fetchall()
    finally:
        conn.execute("ROLLBACK")
    terms: list[list[str]] = [[] for _ in forms]
    for doc, term in rows:
        terms[doc].append(term)
    return [tuple(t) for t in terms]


def merge_index(db: Database) -> None:
    """Merge the words index's segments into one (FTS5 'optimize').  A bulk load leaves a
    dozen or more, and a search reads each word's list from every one of them; merged, the
    long-tail mix costs about a sixth less CPU.  What the index holds, and so every bm25
    value and every result, is unchanged; later writes add small segments that FTS5 merges
    as it goes."""
    db.execute("INSERT INTO service_fts(service_fts) VALUES('optimize')")


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
    # An exceptional day (hours.exceptional: a row dated for a few days) replaces the regular
    # hours of the days it covers; without times it is a closure.
    exceptional = """({0}.valid_from IS NOT NULL AND {0}.valid_from != ''
        AND {0}.valid_to IS NOT NULL AND {0}.valid_to != ''
        AND julianday(substr({0}.valid_to, 1, 10)) - julianday(substr({0}.valid_from, 1, 10))
            BETWEEN 0 AND :exception_days)"""
    params["exception_days"] = hours.EXCEPTION_DAYS - 1
    sql = head + """
      AND sch.opens_at IS NOT NULL AND sch.closes_at IS NOT NULL
      AND (sch.freq IS NULL OR sch.freq IN ('WEEKLY', 'DAILY', ''))
      AND (sch.valid_from IS NULL OR sch.valid_from = '' OR sch.valid_from <= :on_date)
      AND (sch.valid_to IS NULL OR sch.valid_to = '' OR substr(sch.valid_to, 1, 10) >= :on_date)
      AND (
        (sch.opens_at <= :on_hm
         AND (sch.closes_at > :on_hm OR sch.closes_at <= sch.opens_at OR sch.closes_at = '23:59')
         AND (sch.byday IS NULL OR sch.byday = '' OR instr(sch.byday, :on_today) > 0)
         AND (""" + exceptional.format("sch") + """ OR NOT EXISTS (
            SELECT 1 FROM schedule x WHERE x.service_id = sch.service_id
            AND x.valid_from <= :on_date AND substr(x.valid_to, 1, 10) >= :on_date
            AND (x.byday IS NULL OR x.byday = '' OR instr(x.byday, :on_today) > 0)
            AND """ + exceptional.format("x") + """)))
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


# The first pass of a word search ranks this many best hits (with filters: HITS_FILTERED);
# a search without words first looks at the HEAD first services by name.
HITS, HITS_FILTERED, HEAD = 200, 400, 1000
_COLUMNS = """s.id, s.name, s.organization_id, s.organization_name, s.description,
    s.accepts_referrals, s.assured_date, s.intake_phone, s.populations, s.alert,
    s.interpretation_available"""


def _ranked_page(db: Database, where: list[str], params: dict, limit: int, offset: int,
                 filtered: bool) -> list[dict]:
    """A page of a word search: exact name first, then bm25, then name and id.

    Ranked in the FTS index alone (rowid, bm25), the filters checked on those ids, the page
    cut, and only then the page's wide columns read.  First over the best hits only: if the
    hits were cut off and fewer than a page survive the filters (a selective filter, archived
    listings), over every hit.  The result is the same: a service beyond the cut ranks below
    every hit kept.

    The ranked hits are read once, as they come (a co-routine: the CROSS JOIN keeps them the
    outer loop, and nothing else reads them); whether they were cut off is a count of the
    first hits by rowid, up to the cut, which FTS5 stops listing there.  Kept in a table for a
    second reader (the count), the ranked statement built each hit's row before its cut:
    about 2 ms more for the slowest searches at 100,000 services."""
    first = (max(HITS_FILTERED, 10 * (limit + offset)) if filtered
             else max(HITS, 2 * (limit + offset)))
    for hits in (first, None):
        cut = "ORDER BY rank LIMIT :hits" if hits else ""
        count = ("(SELECT count(*) FROM (SELECT 1 FROM service_fts WHERE service_fts MATCH"
                 " :match LIMIT :hits))" if hits else "NULL")
        rows = select(db, f"""WITH page AS MATERIALIZED (
                SELECT hits.rowid AS rid, hits.rank AS rank FROM (
                    SELECT rowid, {BM25} AS rank FROM service_fts
                    WHERE service_fts MATCH :match {cut}) AS hits
                CROSS JOIN service s ON s.rowid = hits.rowid
                WHERE {' AND '.join(where)}
                ORDER BY lower(s.name) = :exact DESC, hits.rank, s.name COLLATE NOCASE, s.id
                LIMIT :limit OFFSET :offset)
            SELECT {_COLUMNS}, page.rank AS rank, {count} AS hit_count
            FROM page JOIN service s ON s.rowid = page.rid
            ORDER BY lower(s.name) = :exact DESC, page.rank, s.name COLLATE NOCASE, s.id""",
                      {**params, "hits": hits})
        truncated = hits is not None and (not rows or rows[0]["hit_count"] >= hits)
        for row in rows:
            del row["hit_count"]
        if len(rows) >= limit or not truncated:
            return rows
    return rows  # pragma: no cover (the loop's last pass returns)


def _near_page(db: Database, where: list[str], params: dict, match: str,
               near: tuple[float, float, float], limit: int, offset: int) -> list[dict]:
    """A page of the services within `km` of (lat, lon), nearest first (then an exact name,
    then a word in the name, then name and id).

    Starts from the locations in a box around the place (the position index) and widens it:
    within km/8, km/4, km/2, then km.  The services within r are the first ones of the whole
    ordered list (distance comes first), so once they fill the page, that page is the one the
    whole radius would give; the last step is the whole radius.  A service's distance is its
    nearest non-confidential location's, whichever step finds it."""
    lat, lon, km = near
    distance = _distance_sql(db)
    where = list(where)
    order = ["near.distance"]
    if match:
        # The words only select (no bm25 for every hit); at one address, the services with a
        # word in their name before the others.
        where.append("s.rowid IN (SELECT rowid FROM service_fts WHERE service_fts MATCH :match)")
        params["name_match"] = "name : (" + match.replace(" AND ", " OR ") + ")"
        order += ["lower(s.name) = :exact DESC",
                  "s.rowid IN (SELECT rowid FROM service_fts WHERE service_fts MATCH"
                  " :name_match) DESC"]
    order += ["s.name COLLATE NOCASE", "s.id"]
    params.update(lat=lat, lon=lon, km=km)
    steps = [km / 8, km / 4, km / 2] if km > 0 else []  # (never a zero step repeated)
    for n, r in enumerate([*steps, km]):
        last = n == len(steps)
        # A step's box has a margin (the box is an approximation of the circle); the last is
        # the whole radius's own box.
        min_lat, max_lat, min_lon, max_lon = bounding_box(lat, lon, km if last else r * 1.05)
        rows = select(db, f"""SELECT {_COLUMNS}, near.distance AS distance
            FROM (SELECT sal.service_id, min({distance}) AS distance
                  FROM location lo JOIN service_at_location sal ON sal.location_id = lo.id
                  WHERE lo.latitude BETWEEN :min_lat AND :max_lat
                    AND lo.longitude BETWEEN :min_lon AND :max_lon
                    AND coalesce(lo.confidential, 0) = 0
                  GROUP BY sal.service_id) AS near
            JOIN service s ON s.id = near.service_id
            WHERE near.distance <= :radius AND {' AND '.join(where)}
            ORDER BY {', '.join(order)}
            LIMIT :limit OFFSET :offset""",
                      {**params, "radius": r, "min_lat": min_lat, "max_lat": max_lat,
                       "min_lon": min_lon, "max_lon": max_lon})
        if last or len(rows) >= limit:
            return rows
    return []  # pragma: no cover (the last step returns)


def _listed_page(db: Database, per_row: list[str], by_set: list[str], params: dict,
                 limit: int, offset: int, filtered: bool) -> list[dict]:
    """A page of a search without words or place: services by name (then id).

    First over the first services by name only (the name index, no sort), each checked by
    indexed look-ups; if those were cut off and fewer than a page pass the filters (a
    selective filter), over every service, the filters as sets of ids.  The result is the
    same: the services that pass among the first by name are the first that pass.  Either
    way the page's ids are sorted first and its wide columns read only for the page."""
    head = max(HEAD, 20 * (limit + offset)) if filtered else None
    if head is not None:
        rows = select(db, f"""WITH head AS MATERIALIZED (
                SELECT rowid AS rid FROM service ORDER BY name COLLATE NOCASE, id LIMIT :head),
            page AS MATERIALIZED (
                SELECT s.rowid AS rid FROM head JOIN service s ON s.rowid = head.rid
                WHERE {' AND '.join(per_row)}
                ORDER BY s.name COLLATE NOCASE, s.id LIMIT :limit OFFSET :offset)
            SELECT {_COLUMNS}, (SELECT count(*) FROM head) AS head_count
            FROM page JOIN service s ON s.rowid = page.rid
            ORDER BY s.name COLLATE NOCASE, s.id""", {**params, "head": head})
        cut = not rows or rows[0]["head_count"] >= head
        for row in rows:
            del row["head_count"]
        if len(rows) >= limit or not cut:
            return rows
    return select(db, f"""WITH page AS MATERIALIZED (
            SELECT s.rowid AS rid FROM service s WHERE {' AND '.join(by_set)}
            ORDER BY s.name COLLATE NOCASE, s.id LIMIT :limit OFFSET :offset)
        SELECT {_COLUMNS} FROM page JOIN service s ON s.rowid = page.rid
        ORDER BY s.name COLLATE NOCASE, s.id""", params)


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
    kept=None,
) -> list[dict]:
    """Active services matching `q` and the filters, best first, each with its card details.
    `kept`: the card details kept per worker (directory/cache.py: details), or None.

    Ranking: exact name match, then bm25 (name over organization over description); with
    `near` (lat, lon, km) the nearest first, then an exact name, then a word in the name.
    Words in `q` are prefix-matched and quoted; every typed word counts once in bm25 (one
    phrase per stem of the word being typed: fts_query).
    """
    params: dict = {"limit": int(limit), "offset": int(offset)}
    match = fts_query(q)
    if match:
        params.update(match=match, exact=(q or "").strip().lower())
    filtered = bool(category or population or accepts_referrals or language or open_now)

    def conditions(few: bool) -> list[str]:
        """The filters in SQL.  With `few` candidates (the best FTS hits, the services near the
        place, the first services by name) each is checked by an indexed look-up (EXISTS);
        otherwise one pass builds the set of ids (IN), so the planner can start from the
        smallest set."""
        where = ["s.archived_at IS NULL",
                 "coalesce(s.status, 'active') NOT IN ('inactive', 'defunct')"]
        if category:
            where.append("EXISTS (SELECT 1 FROM service_category sc WHERE sc.service_id = s.id"
                         " AND sc.category = :category)" if few else "s.id IN (SELECT"
                         " service_id FROM service_category WHERE category = :category)")
            params["category"] = category
        if population:
            # populations is a JSON list of codes (validated identifiers): '"code"' is in it.
            where.append("instr(s.populations, :population) > 0")
            params["population"] = json.dumps(str(population))
        if accepts_referrals:
            where.append("s.accepts_referrals = 1")
        if language:
            where.append("EXISTS (SELECT 1 FROM language lg WHERE lg.service_id = s.id"
                         " AND (lower(lg.code) = :language OR lower(lg.name) = :language))"
                         if few else "s.id IN (SELECT service_id FROM language"
                         " WHERE lower(code) = :language OR lower(name) = :language)")
            params["language"] = language.strip().lower()
        if open_now:
            sql, open_params = _open_now_sql(now, tz, per_service=bool(few or category))
            where.append(sql)
            params.update(open_params)
        return where

    if near:
        rows = _near_page(db, conditions(True), params, match, near, int(limit), int(offset))
    elif match:
        rows = _ranked_page(db, conditions(True), params, int(limit), int(offset), filtered)
    else:
        rows = _listed_page(db, conditions(True), conditions(False), params, int(limit),
                            int(offset), filtered)
    return _with_card_details(db, rows, now, tz, kept)


# The children of a page of services in one statement: (kind, service_id, sort keys, values).
# Each part keeps the order its card shows (phones: fax last; addresses: physical first;
# languages by name; categories in the project's order); the values are padded to one width.
_CHILD_COLUMNS = 13
_PHONE, _SCHEDULE, _LANGUAGE, _ADDRESS, _CATEGORY = range(5)
_PHONE_KEYS = ("service_id", "number", "extension", "type", "description")
_SCHEDULE_KEYS = ("service_id", "freq", "byday", "opens_at", "closes_at", "valid_from",
                  "valid_to", "description")
_LANGUAGE_KEYS = ("service_id", "name", "code")
_ADDRESS_KEYS = ("service_id", "location_id", "location_name", "latitude", "longitude",
                 "confidential", "address_1", "address_2", "city", "state_province",
                 "postal_code", "country", "address_type")
_ADDRESS_TEXT_KEYS = (*_ADDRESS_KEYS, "text")


def _children_sql(marks: str) -> str:
    def part(kind: int, s1: str, s2: str, values: list[str], source: str) -> str:
        padded = values + ["NULL"] * (_CHILD_COLUMNS - len(values))
        return f"SELECT {kind}, {s1}, {s2}, {', '.join(padded)} {source}"

    return " UNION ALL ".join([
        part(_PHONE, "coalesce(type, '') = 'fax'", "id",
             ["service_id", "number", "extension", "type", "description"],
             f"FROM phone WHERE service_id IN ({marks})"),
        part(_SCHEDULE, "0", "rowid",
             ["service_id", "freq", "byday", "opens_at", "closes_at", "valid_from", "valid_to",
              "description"], f"FROM schedule WHERE service_id IN ({marks})"),
        part(_LANGUAGE, "name", "rowid", ["service_id", "name", "code"],
             f"FROM language WHERE service_id IN ({marks})"),
        part(_ADDRESS, "coalesce(ad.address_type, 'physical') != 'physical'", "lo.id",
             ["sal.service_id", "lo.id", "lo.name", "lo.latitude", "lo.longitude",
              "coalesce(lo.confidential, 0)", "ad.address_1", "ad.address_2", "ad.city",
              "ad.state_province", "ad.postal_code", "ad.country", "ad.address_type"],
             "FROM service_at_location sal JOIN location lo ON lo.id = sal.location_id"
             f" LEFT JOIN address ad ON ad.location_id = lo.id WHERE sal.service_id IN ({marks})"),
        part(_CATEGORY, "c.position", "0", ["sc.service_id", "sc.category"],
             "FROM service_category sc LEFT JOIN directory_category c ON c.code = sc.category"
             f" WHERE sc.service_id IN ({marks})"),
    ]) + " ORDER BY 1, 4, 2, 3"


_HOURS: dict = {}


def _hours_status(pattern: tuple, schedules: tuple, now: datetime, tz: str,
                  minute: datetime | None = None) -> dict:
    """hours.status, kept per opening pattern and minute: most listings share a few patterns.
    `pattern`: the (freq, byday, opens_at, closes_at, valid_from, valid_to) of each row;
    `schedules`: the schedule rows (tuples of _SCHEDULE_KEYS), made dicts only on a miss;
    `minute`: `now` without its seconds (a page computes it once).
    The status returned is shared: never changed by its callers."""
    key = (pattern, now.replace(second=0, microsecond=0) if minute is None else minute, tz)
    found = _HOURS.get(key)
    if found is None:
        if len(_HOURS) > 5000:
            _HOURS.clear()
        found = _HOURS[key] = hours.status(
            [dict(zip(_SCHEDULE_KEYS, row, strict=True)) for row in schedules], now, tz)
    return found


def _address_text(row: tuple) -> str:
    """store.address_with_text's "text" of a child address row: its non-empty parts (address_1,
    address_2, city, state_province, postal_code) joined by commas."""
    return ", ".join(p.strip() for p in row[9:14] if p and str(p).strip())


def _with_card_details(db: Database, services: list[dict], now: datetime, tz: str,
                       kept=None) -> list[dict]:
    """Phones, hours, languages, address, categories of a page of services: one query, for the
    services whose details `kept` does not hold already; none when it holds them all.

    `kept` (directory/cache.py): get_many(ids) gives what it holds, put(id, details) keeps the
    details `_read_card_details` read and gives back what get_many will give for them.
    cache.details: the details tuples, and each service gets its card's dicts here, in one
    pass.  cache.cards (`kept.cards`, the search page, whose cards cache.cards keeps
    rendered): an entry with the listing's `schedules` and `pattern`, and each service gets
    only what changes with the clock (its hours and verification) and the entry
    ("card_details"); `card_fields` makes the rest when a card must be rendered."""
    if not services:
        return []
    found = kept.get_many([s["id"] for s in services]) if kept is not None else {}
    missing = [s["id"] for s in services if s["id"] not in found]
    if missing:
        for sid, details in _read_card_details(db, missing).items():
            found[sid] = kept.put(sid, details) if kept is not None else details
    today = local_now(now, tz).date()
    minute = now.replace(second=0, microsecond=0)
    verified: dict = {}  # per verification date: a page's listings share a few
    if getattr(kept, "cards", False):
        for service in services:
            entry = found[service["id"]]
            service["hours"] = _hours_status(entry.pattern, entry.schedules, now, tz, minute)
            assured = service.get("assured_date")
            if assured not in verified:
                verified[assured] = verification(assured, today)
            service.update(verified[assured])
            service["card_details"] = entry
        return services
    for service in services:
        _card_dicts(service, found[service["id"]])
        # A copy per card: callers may add to it; the lists inside are never changed.
        status = _hours_status(found[service["id"]][2], found[service["id"]][1], now, tz,
                               minute)
        service["hours"] = {**status, "next": dict(status["next"])}
        service.update(verification(service.get("assured_date"), today))
    return services


def _card_dicts(service: dict, details: tuple) -> None:
    """A service's card dicts from its details tuple (`_read_card_details`), with their keys
    in the order they always had (a dict's order shows in JSON)."""
    phones, schedules, _pattern, languages, addresses, first, categories = details
    service["phones"] = [dict(zip(_PHONE_KEYS, row, strict=True)) for row in phones]
    service["schedules"] = [dict(zip(_SCHEDULE_KEYS, row, strict=True)) for row in schedules]
    service["hours"] = None  # (its place in the key order; set by the caller)
    service["languages"] = [{"code": code, "name": name} for code, name in languages]
    service["addresses"] = listed = [dict(zip(_ADDRESS_TEXT_KEYS, row, strict=True))
                                     for row in addresses]
    service["address"] = listed[first] if first is not None else None
    service["categories"] = list(categories)
    service["populations"] = json_list(service.get("populations"))


def card_fields(service: dict, details: tuple) -> dict:
    """The whole card of a service `_with_card_details` gave to cache.cards (hours and
    verification only): a new dict with every key a card may show, from its `details`."""
    full = {key: value for key, value in service.items() if key != "card_details"}
    status = service["hours"]
    _card_dicts(full, details)
    full["hours"] = {**status, "next": dict(status["next"])}
    return full


def _read_card_details(db: Database, ids: list[str]) -> dict[str, tuple]:
    """{service id: (phone rows, schedule rows, opening pattern, (code, name) of each language,
    address rows (with their text), the index of the first address with a text or None,
    categories)} of `ids`, in one statement: tuples, kept per worker (cache.details)."""
    marks = placeholders(ids)
    phones: dict = {}
    schedules: dict = {}
    patterns: dict = {}
    languages: dict = {}
    seen_languages: dict = {}
    addresses: dict = {}
    categories: dict = {}
    for row in db.conn.execute(_children_sql(marks), ids * 5):
        kind, sid = row[0], row[3]
        if kind == _PHONE:
            phones.setdefault(sid, []).append(row[3:8])
        elif kind == _SCHEDULE:
            # Kept as they are (cache.details packs the rest): their short texts (ids, days,
            # times) recur on every listing, shared.
            row = tuple(sys.intern(v) if type(v) is str and len(v) < 64 else v for v in row)
            schedules.setdefault(sid, []).append(row[3:11])
            patterns.setdefault(sid, []).append(row[4:10])
        elif kind == _LANGUAGE:
            # store.language_names: each language once, by code (else name), in name order.
            name, code = row[4], row[5]
            key = (code or name or "").lower()
            seen = seen_languages.setdefault(sid, set())
            if key and key not in seen:
                seen.add(key)
                languages.setdefault(sid, []).append(((code or "").lower(), name or ""))
        elif kind == _ADDRESS:
            # Search results never carry a confidential location (a shelter's street address).
            if not row[8]:
                addresses.setdefault(sid, []).append((*row[3:16], _address_text(row)))
        else:
            categories.setdefault(sid, []).append(row[4])
    found = {}
    for sid in ids:
        listed = tuple(addresses.get(sid, ()))
        first = next((i for i, address in enumerate(listed) if address[-1]), None)
        found[sid] = (tuple(phones.get(sid, ())), tuple(schedules.get(sid, ())),
                      tuple(patterns.get(sid, ())), tuple(languages.get(sid, ())), listed,
                      first, tuple(categories.get(sid, ())))
    return found


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
