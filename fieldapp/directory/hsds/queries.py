"""The HSDS API's queries: pages of services and their summaries."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from datetime import UTC, datetime

from fieldapp.directory import categories, disclosure
from fieldapp.directory.hsds.export import _service_extensions, category_taxonomy_rows
from fieldapp.directory.hsds.export_json import _json_obj, full_services
from fieldapp.directory.hsds.load import _existing
from fieldapp.directory.hsds.names import CATEGORY_TAXONOMY_ID, SERVICE_FLAGS, derived_id
from fieldapp.directory.search import distance_km

# --- the HSDS API's queries -------------------------------------------------------------------


def fts_query(text: str) -> str | None:
    """User text as a safe FTS5 query: every word quoted, prefix-matched, ANDed."""
    words = re.findall(r"\w+", text or "", re.UNICODE)
    return " ".join(f'"{word}"*' for word in words[:12]) or None


def list_services(db, *, search: str = "", taxonomy_term_id: str = "", taxonomy_id: str = "",
                  organization_id: str = "", modified_after: datetime | None = None,
                  page: int = 1, per_page: int = 25) -> dict:
    """One page of services (HSDS Page envelope; `contents` are service rows' ids in order)."""
    where, params, join = ["s.archived_at IS NULL"], [], ""
    query = fts_query(search)
    if search and not query:
        where.append("0")
    if query:
        join = "JOIN service_fts ON service_fts.rowid = s.rowid"
        where.append("service_fts MATCH ?")
        params.append(query)
    if organization_id:
        where.append("s.organization_id = ?")
        params.append(organization_id)
    if taxonomy_term_id:
        codes = [c for c in categories.CODES
                 if derived_id("taxonomy_term", "fieldapp-category", c) == taxonomy_term_id]
        where.append("(s.id IN (SELECT link_id FROM attribute WHERE taxonomy_term_id = ?)"
                     " OR s.id IN (SELECT service_id FROM service_category WHERE category = ?))")
        params += [taxonomy_term_id, codes[0] if codes else taxonomy_term_id]
    if taxonomy_id:
        clause = ("s.id IN (SELECT a.link_id FROM attribute a JOIN taxonomy_term t "
                  "ON t.id = a.taxonomy_term_id WHERE t.taxonomy_id = ?)")
        if taxonomy_id == CATEGORY_TAXONOMY_ID:
            clause = f"({clause} OR s.id IN (SELECT service_id FROM service_category))"
        where.append(clause)
        params.append(taxonomy_id)
    if modified_after:  # an instant: compared in UTC, whatever offset either side was written in
        _register(db)
        where.append("hsds_utc(coalesce(s.updated_at, s.last_modified)) >= ?")
        params.append(modified_after.astimezone(UTC).isoformat())
    sql_where = " AND ".join(where)
    total = db.execute(f"SELECT count(*) FROM service s {join} WHERE {sql_where}",
                       params).fetchone()[0]
    order = "bm25(service_fts, 10.0, 4.0, 3.0, 1.0, 2.0, 2.0), s.name" if query else "s.name, s.id"
    ids = [r["id"] for r in db.query(
        f"SELECT s.id FROM service s {join} WHERE {sql_where} ORDER BY {order} LIMIT ? OFFSET ?",
        params + [per_page, (page - 1) * per_page])]
    return page_envelope(total, ids, page, per_page)


def service_summaries(db, ids: list[str]) -> list[dict]:
    """Services with their one-to-one fields only (HSDS `service_list` shape), in `ids` order."""
    rows = _existing(db, "service", ids)
    rule = disclosure.shared(db)
    partnerships = defaultdict(list)
    out = []
    for sid in ids:
        row = rows.get(sid)
        if row:
            obj = _json_obj("service", row, _service_extensions(db, row, partnerships))
            obj.pop("partnerships", None)
            for flag in SERVICE_FLAGS:
                obj[flag] = bool(row.get(flag))
            obj["populations"] = json.loads(row.get("populations") or "[]")
            out.append(rule.clean(obj))
    return out


# --- instants, pages, and the other HSDS API lists -------------------------------------------


def parse_instant(text: str) -> datetime | None:
    """An ISO 8601 date or date-time as an aware UTC instant (no offset: UTC); None if garbage."""
    text = (text or "").strip().upper()
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}(:?\d{2})?)?)?", text):
        return None
    text = re.sub(r"(T\d{2}:\d{2}):60", r"\1:59", text.replace(" ", "T"))  # a leap second
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _utc_text(text):
    value = parse_instant(str(text)) if text else None
    return value.isoformat() if value else None


def _register(db) -> None:
    db.register_function(_utc_text, name="hsds_utc", deterministic=True, replace=True)


def page_envelope(total: int, contents: list, page: int, per_page: int) -> dict:
    total_pages = max(1, -(-total // per_page))
    return {"total_items": total, "total_pages": total_pages, "page_number": page,
            "size": len(contents), "first_page": page == 1, "last_page": page >= total_pages,
            "empty": not contents, "contents": contents}


def _page(rows: list, page: int, per_page: int | None) -> tuple[int, list]:
    """(total, the rows of the page); per_page None: every row (ndjson)."""
    if per_page is None:
        return len(rows), rows
    return len(rows), rows[(page - 1) * per_page:page * per_page]


def matches(row: dict, search: str, fields: tuple[str, ...]) -> bool:
    words = re.findall(r"\w+", (search or "").lower())
    text = " ".join(str(row.get(f) or "") for f in fields).lower()
    return all(word in text for word in words)


def organization_ids(db, *, search: str = "", taxonomy_term_id: str = "",
                     taxonomy_id: str = "") -> list[str]:
    rows = [r for r in db.query("SELECT * FROM organization ORDER BY name, id")
            if matches(r, search, ("name", "alternate_name", "description"))]
    if taxonomy_term_id or taxonomy_id:
        services = list_services(db, taxonomy_term_id=taxonomy_term_id, taxonomy_id=taxonomy_id,
                                 per_page=10**9)["contents"]
        owners = {r["organization_id"] for r in _existing(db, "service", services).values()}
        rows = [r for r in rows if r["id"] in owners]
    return [r["id"] for r in rows]


def organizations(db, ids: list[str], *, full_service: bool = False) -> list[dict]:
    """Organizations (core fields) with their services: summaries, or fully nested."""
    rule = disclosure.shared(db)
    rows = _existing(db, "organization", ids)
    services = defaultdict(list)
    if ids:
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            for row in db.query(
                    f"SELECT id, organization_id FROM service WHERE archived_at IS NULL AND "
                    f"organization_id IN ({','.join('?' * len(chunk))}) ORDER BY name, id",
                    chunk):
                services[row["organization_id"]].append(row["id"])
    every = [sid for oid in ids for sid in services.get(oid, [])]
    nested = {s["id"]: s for s in (full_services(db, every) if full_service
                                    else service_summaries(db, every))}
    out = []
    for oid in ids:
        if oid in rows:
            obj = _json_obj("organization", rows[oid])
            obj["services"] = [nested[sid] for sid in services.get(oid, []) if sid in nested]
            out.append(rule.clean(obj))
    return out


def taxonomy_rows(db) -> list[dict]:
    rows = list(db.query("SELECT * FROM taxonomy ORDER BY name, id"))
    if CATEGORY_TAXONOMY_ID not in {r["id"] for r in rows}:
        rows.append(category_taxonomy_rows()[0])
    return rows


def taxonomies(db, rows: list[dict]) -> list[dict]:
    rule = disclosure.shared(db)
    return [rule.clean(_json_obj("taxonomy", row)) for row in rows]


def term_rows(db, *, search: str = "", taxonomy_id: str = "", top_only: bool = False,
              parent_id: str = "") -> list[dict]:
    rows = list(db.query("SELECT * FROM taxonomy_term ORDER BY name, id"))
    stored = {r["id"] for r in rows}
    rows += [t for t in category_taxonomy_rows()[1] if t["id"] not in stored]
    return [r for r in rows
            if matches(r, search, ("code", "name", "description"))
            and (not taxonomy_id or r.get("taxonomy_id") == taxonomy_id)
            and (not top_only or not r.get("parent_id"))
            and (not parent_id or r.get("parent_id") == parent_id)]


def taxonomy_terms(db, rows: list[dict]) -> list[dict]:
    rule = disclosure.shared(db)
    by_id = {r["id"]: r for r in taxonomy_rows(db)}
    out = []
    for row in rows:
        obj = _json_obj("taxonomy_term", row)
        if row.get("taxonomy_id") in by_id:
            obj["taxonomy_detail"] = _json_obj("taxonomy", by_id[row["taxonomy_id"]])
        out.append(rule.clean(obj))
    return out


def _postcode(text) -> str:
    return re.sub(r"\s+", "", str(text or "")).upper()


def service_at_location_ids(db, *, search: str = "", taxonomy_term_id: str = "",
                            taxonomy_id: str = "", organization_id: str = "",
                            modified_after: datetime | None = None, postcode: str = "",
                            proximity_km: float | None = None) -> list[str]:
    """Ids of the links of listed services to locations anyone may see, filtered like services;
    `postcode` with `proximity_km`: within that distance of the centroid of the postcode's
    known locations (directory/search.py's distance), else at that postcode."""
    rule = disclosure.shared(db)
    services = set(list_services(db, search=search, taxonomy_term_id=taxonomy_term_id,
                                 taxonomy_id=taxonomy_id, organization_id=organization_id,
                                 modified_after=modified_after, per_page=10**9)["contents"])
    rows = [r for r in db.query(
        "SELECT sal.id, sal.service_id, sal.location_id, l.latitude, l.longitude "
        "FROM service_at_location sal JOIN location l ON l.id = sal.location_id "
        "ORDER BY sal.rowid") if r["service_id"] in services and rule.allows(r)
        and rule.allows({"id": r["location_id"]})]
    if postcode:
        code = _postcode(postcode)
        at = {r["location_id"] for r in db.query("SELECT location_id, postal_code FROM address")
              if _postcode(r["postal_code"]) == code and rule.allows({"id": r["location_id"]})}
        if proximity_km is None:
            rows = [r for r in rows if r["location_id"] in at]
        else:
            points = [(r["latitude"], r["longitude"]) for r in _existing(
                db, "location", sorted(at)).values() if r["latitude"] is not None
                and r["longitude"] is not None]
            if not points:
                return []
            lat = sum(p[0] for p in points) / len(points)
            lon = sum(p[1] for p in points) / len(points)
            rows = [r for r in rows if r["latitude"] is not None and r["longitude"] is not None
                    and distance_km(lat, lon, r["latitude"], r["longitude"]) <= proximity_km]
    return [r["id"] for r in rows]


def services_at_locations(db, ids: list[str], *, full: bool = False) -> list[dict]:
    """Links with their location (and, `full`, the link's own phones, schedules ...)."""
    rows = _existing(db, "service_at_location", ids)
    by_service = defaultdict(list)
    for sal_id in ids:
        if sal_id in rows:
            by_service[rows[sal_id]["service_id"]].append(sal_id)
    assembled = {}
    for service in full_services(db, list(by_service)):
        for sal in service.get("service_at_locations", []):
            assembled[sal["id"]] = sal
    out = []
    for sal_id in ids:
        sal = assembled.get(sal_id)
        if sal is None:
            continue
        if not full:
            sal = {k: v for k, v in sal.items()
                   if k not in ("service_areas", "contacts", "phones", "schedules")}
        out.append(sal)
    return out
