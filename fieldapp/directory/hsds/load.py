"""Import: collect the rows of a package, check references, and write them (idempotent upsert
under the one write rule)."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

from fieldapp.db import writing
from fieldapp.directory import categories
from fieldapp.directory.hsds.map_json import _json_rows
from fieldapp.directory.hsds.map_rows import Derived, _normalize
from fieldapp.directory.hsds.names import (
    CATEGORY_TAXONOMY_ID,
    HELD_FILES,
    MAX_PACKAGE_BYTES,
    ORDER,
    TABLES,
    NotHSDS,
    derived_id,
    map_id,
)
from fieldapp.directory.hsds.read import Package, Rows, _csv_rows, held_rows, read_input
from fieldapp.directory.hsds.reconcile import ImportReport
from fieldapp.directory.hsds.values import default_timezone, number_text, zone_shift
from fieldapp.directory.hsds_tables import REFERENCE_COLUMNS
from fieldapp.directory.search import merge_index

# --- import -----------------------------------------------------------------------------------


# Tables whose rows are things of their own: a second row with the same id is refused.
ENTITIES = {"organization", "service", "location", "program", "taxonomy", "taxonomy_term",
            "unit"}
# Child tables: a row naming none of these owners is kept but unlinked.
OWNERS = {
    "phone": ("service_id", "location_id", "organization_id", "contact_id",
              "service_at_location_id"),
    "language": ("service_id", "location_id", "phone_id"),
    "schedule": ("service_id", "location_id", "service_at_location_id"),
    "address": ("location_id",), "accessibility": ("location_id",),
    "service_at_location": ("service_id",),
    "agency_contact": ("organization_id", "service_id", "service_at_location_id", "location_id"),
    "funding": ("organization_id", "service_id"),
    "service_area": ("service_id", "service_at_location_id"),
    "required_document": ("service_id",), "cost_option": ("service_id",),
    "service_capacity": ("service_id",), "url": ("organization_id", "service_id"),
    "organization_identifier": ("organization_id",), "attribute": ("link_id",),
}


def collect(package: Package, report: ImportReport, *, zone: str = "", target: str = "",
            on: str = "") -> tuple[dict[str, list[dict]], Derived]:
    """Every row of the package, normalized; `zone`: the zone the package's local times mean,
    `target` the directory's, `on` the import's date (values.zone_shift)."""
    rows = Rows(package.rows)
    usable = _csv_rows(package, rows, report)
    usable += _json_rows(package, rows, report)
    if not usable:
        found = ", ".join(sorted(list(package.csv) + package.other)) or "no CSV or JSON files"
        raise NotHSDS(f"{package.name} is not an HSDS package: no HSDS tables found ({found}). "
                      "Expected a datapackage (organizations.csv, services.csv, ...) or HSDS JSON.")
    report.format = ("json" if package.json and not package.csv else
                     "csv-3.x" if any(f in package.csv for f in ("schedules.csv",
                                                                   "service_at_location.csv",
                                                                   "taxonomy_terms.csv"))
                     or not any(f in package.csv for f in ("regular_schedules.csv",
                                                            "physical_addresses.csv",
                                                            "taxonomy.csv", "mail_addresses.csv"))
                     else "csv-legacy")
    derived = Derived(zone, target, on)
    tables: dict[str, dict[str, dict]] = {table: {} for table in ORDER}
    for table in ORDER:
        contents: dict[str, str] = {}
        # raw rows of a table are dropped once normalized: the package is never held twice
        for where, record in rows.by_table.pop(table, []):
            report.read(where)
            report.last_code = None
            row = _normalize(table, where, record, report, derived)
            if row is None:
                report.count(table, "skipped")
                report.settle(where, "refused", report.last_code or "unreadable")
                continue
            _place(table, where, row, tables[table], report, contents)
    for table, derived_rows in derived.rows.items():
        for record in derived_rows:
            full = {field: record.get(field) for field in TABLES[table]}
            full.update({"source_id": None, "extra_json": None})
            tables[table].setdefault(full["id"], full)
    _hold(package, tables["service"], report)
    # Older layouts link a service to its organization only through its location.
    for service in tables["service"].values():
        if service.get("organization_id"):
            continue
        for sal in tables["service_at_location"].values():
            location = tables["location"].get(sal["location_id"] or "")
            if sal["service_id"] == service["id"] and location and location["organization_id"]:
                service["organization_id"] = location["organization_id"]
                break
        if not service.get("organization_id"):
            report.problem("missing_organization_id", "services")
    return {t: list(v.values()) for t, v in tables.items() if v}, derived


def _hold(package: Package, services: dict[str, dict], report: ImportReport) -> None:
    """Rows of older files with no HSDS 3 table (eligibility, payments): kept on their service
    (extra_json), or kept unlinked in the import's record when they name no service."""
    seen: set[tuple] = set()
    for where, record in held_rows(package, report):
        report.read(where)
        key, column = HELD_FILES[where]
        value = (record.get(column) or "").strip() or json.dumps(
            {k: v for k, v in record.items() if k and v}, ensure_ascii=False)
        service_id = map_id("service", record.get("service_id"))
        identity = (where, record.get("id"), service_id, value)
        if identity in seen:
            report.settle(where, "merged", "exact duplicate")
            continue
        seen.add(identity)
        service = services.get(service_id or "")
        if service is None:
            report.keep_unlinked(where, record.get("id") or value,
                                 "service_id names no row" if service_id else "blank service_id")
            continue
        extra = json.loads(service.get("extra_json") or "{}")
        if value not in extra.setdefault(key, []):
            extra[key].append(value)
        service["extra_json"] = json.dumps(extra, ensure_ascii=False, sort_keys=True)
        report.settle(where, "imported")


def _content(row: dict) -> str:
    return json.dumps({k: _cmp(v) for k, v in row.items() if k != "id"}, sort_keys=True)


def _place(table: str, where: str, row: dict, rows: dict[str, dict],
           report: ImportReport, contents: dict[str, str] | None = None) -> None:
    """Keep one normalized row: new, an exact duplicate (merged), a copy of a nested JSON
    object (merged), or a child row reusing another row's id with other content (kept under a
    derived id, its original id in source_id).  `contents`: the content of rows already kept,
    by id, computed once (a 1.x child file repeats one id for every row of a service)."""
    existing = rows.get(row["id"])
    if existing is None:
        rows[row["id"]] = row
        report.origin[(table, row["id"])] = where
        return
    contents = {} if contents is None else contents
    content = _content(row)
    kept = contents.get(row["id"])
    if kept is None:
        kept = contents[row["id"]] = _content(existing)
    if kept == content:
        report.settle(where, "merged", "exact duplicate")
        return
    # Nested JSON repeats objects (a phone under the service and its location): merge the
    # copies; only conflicting values make another row.
    # (a CSV file repeats no objects: its rows never merge this way)
    if not where.endswith(".csv") and not any(
            v is not None and k != "extra_json" and existing.get(k) is not None
            and _cmp(existing[k]) != _cmp(v) for k, v in row.items()):
        for key, value in row.items():
            if existing.get(key) is None and value is not None:
                existing[key] = value
        contents.pop(row["id"], None)  # the kept row changed
        report.settle(where, "merged", "same object repeated")
        return
    if table in ENTITIES:
        report.problem("duplicate_id", where, row["source_id"])
        report.count(table, "skipped")
        report.settle(where, "refused", "duplicate_id")
        return
    # 1.x exports reuse the service id as the id of its languages, phones, ...: real rows
    original = row.get("source_id") or row["id"]
    row["id"] = derived_id(table, "collision", where, original, content)
    report.problem("colliding_id", where, original)
    if row["id"] in rows:
        report.settle(where, "merged", "exact duplicate")
        return
    rows[row["id"]] = row
    contents[row["id"]] = content
    report.origin[(table, row["id"])] = where


def _existing(db, table: str, ids: list[str]) -> dict[str, dict]:
    found = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        marks = ",".join("?" * len(chunk))
        for row in db.query(f"SELECT * FROM [{table}] WHERE id IN ({marks})", chunk):
            found[row["id"]] = row
    return found


def _check_references(db, tables: dict[str, list[dict]], report: ImportReport) -> None:
    """Report dangling references and settle every row read: imported, or kept but unlinked
    (a reference to nothing, or a child row that names no owner)."""
    known = {table: {row["id"] for row in rows} for table, rows in tables.items()}
    wanted: dict[str, set] = defaultdict(set)
    columns = {table: [(c, REFERENCE_COLUMNS[c]) for c in TABLES[table] if c in REFERENCE_COLUMNS]
               for table in tables}
    for table, rows in tables.items():
        for row in rows:
            for column, target in columns[table]:
                value = row.get(column)
                if value and value not in known.get(target, ()):
                    wanted[target].add(value)
    present = {target: set(_existing(db, target, sorted(ids))) for target, ids in wanted.items()}
    origin = report.origin
    for table, rows in tables.items():
        owners = OWNERS.get(table, ())
        for row in rows:
            reason = ""
            for column, target in columns[table]:
                value = row.get(column)
                if value and value not in known.get(target, ()) and \
                        value not in present.get(target, ()):
                    report.problem("dangling_reference", f"{table}.{column}", row.get(column))
                    reason = reason or f"{column} names no row"
            if owners and not any(row.get(column) for column in owners):
                reason = reason or f"blank {' / '.join(owners)}"
            where = origin.get((table, row["id"]))
            if where is None:
                continue  # derived from a cell of another row: not a row read
            if reason:
                report.keep_unlinked(where, row.get("source_id"), reason)
            else:
                report.settle(where, "imported")


def _categorized(db) -> set[tuple[str, str]]:
    return {(r["service_id"], r["category"])
            for r in db.query("SELECT service_id, category FROM service_category")}


def write(db, tables: dict[str, list[dict]], derived: Derived, report: ImportReport,
          now: str, police_services=None) -> None:
    """Upsert rows by id; unchanged rows are not touched (idempotent)."""
    for table in ORDER:
        rows = tables.get(table)
        if not rows:
            continue
        existing = _existing(db, table, [row["id"] for row in rows])
        inserts, updates = [], []
        categorized = _categorized(db) if table == "attribute" else set()
        for row in rows:
            old = existing.get(row["id"])
            if old is None and row.get("link_type") == "category" and \
                    (row.get("link_id"), row.get("value")) in categorized:
                # fieldapp's own export writes its categories as attributes: already stored
                report.count(table, "unchanged")  # as the service's categories
                continue
            if old is None and _project_category_row(table, row):
                # ... and the taxonomy of its categories, which categories.py defines (exports
                # and the API write it from there): the attribute becomes the service's
                report.count(table, "unchanged")  # category (_derive_categories), not a row
                continue
            if old is None:
                inserts.append({**row, "created_at": now, "updated_at": now})
                continue
            changed = {k: v for k, v in row.items() if _cmp(old.get(k)) != _cmp(v)}
            if changed:
                updates.append((row["id"], {**changed, "updated_at": now}))
            else:
                report.count(table, "unchanged")
        columns = {}
        for row in inserts:
            columns.update(dict.fromkeys(row))
        if inserts:
            _insert_rows(db, table, {c: _default(table, c) for c in columns}, inserts)
            report.count(table, "inserted", len(inserts))
        for row_id, changes in updates:
            db[table].update(row_id, changes)
        if updates:
            report.count(table, "updated", len(updates))
    _derive_categories(db, tables, derived)
    if derived.interpretation:
        flagged = sorted(derived.interpretation)
        for start in range(0, len(flagged), 500):
            chunk = flagged[start:start + 500]
            db.execute("UPDATE service SET interpretation_available = 1 WHERE id IN "
                       f"({','.join('?' * len(chunk))}) AND interpretation_available = 0", chunk)
    if derived.categories:
        service_ids = {sid for sid, _ in derived.categories}
        present = set(_existing(db, "service", sorted(service_ids)))
        pairs = [(s, c) for s, c in sorted(derived.categories) if s in present]
        before = db.execute("SELECT count(*) FROM service_category").fetchone()[0]
        db.conn.executemany("INSERT OR IGNORE INTO service_category (service_id, category) "
                            "VALUES (?, ?)", pairs)
        added = db.execute("SELECT count(*) FROM service_category").fetchone()[0] - before
        if added:
            report.count("service_category", "inserted", added)
    if derived.partnerships:
        allowed = set(police_services or [])
        present = set(_existing(db, "service", sorted({s for s, _ in derived.partnerships})))
        pairs = []
        for service_id, police in sorted(derived.partnerships):
            if service_id not in present:
                continue
            if allowed and police not in allowed:
                report.problem("unknown_police_service", "services.csv:partnerships", police)
                continue
            pairs.append((service_id, police))
        before = db.execute("SELECT count(*) FROM service_partnership").fetchone()[0]
        db.conn.executemany("INSERT OR IGNORE INTO service_partnership (service_id, "
                            "police_service) VALUES (?, ?)", pairs)
        added = db.execute("SELECT count(*) FROM service_partnership").fetchone()[0] - before
        if added:
            report.count("service_partnership", "inserted", added)


def _project_category_row(table: str, row: dict) -> bool:
    """A row of fieldapp's own category taxonomy, as its exports write it (export.py)."""
    if table == "taxonomy":
        return row["id"] == CATEGORY_TAXONOMY_ID
    if table == "taxonomy_term":
        return row.get("taxonomy_id") == CATEGORY_TAXONOMY_ID and \
            row["id"] == derived_id("taxonomy_term", "fieldapp-category", row.get("code"))
    return table == "attribute" and row.get("link_type") == "category" and \
        row.get("taxonomy_term_id") == derived_id("taxonomy_term", "fieldapp-category",
                                                  row.get("value"))


def _insert_rows(db, table: str, defaults: dict, rows: list[dict]) -> None:
    """Insert rows (a missing column takes its default) by multi-row INSERT statements of up
    to 1,000 rows.  Measured on the 5,000-service package (bench/RESULTS.md): half the CPU of
    sqlite-utils' insert_all (which checks every value of every row for JSON) and of one
    executemany per table (a statement per row)."""
    columns = list(defaults)
    size = max(1, min(1000, 30000 // len(columns)))  # under SQLite's 32,766 variables
    one = "(" + ", ".join("?" * len(columns)) + ")"
    head = f"INSERT INTO [{table}] ({', '.join(f'[{c}]' for c in columns)}) VALUES "
    pairs = list(defaults.items())
    for start in range(0, len(rows), size):
        chunk = rows[start:start + size]
        db.conn.execute(head + ", ".join([one] * len(chunk)),
                        [row.get(c, d) for row in chunk for c, d in pairs])


def _cmp(value):
    if value is None or type(value) is str:  # most values: no call
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return number_text(value)
    return str(value)


def _default(table: str, column: str):
    if table == "service":
        return {"accepts_referrals": 0, "joint_police_health": 0, "populations": "[]",
                "keywords": "", "status": "active"}.get(column)
    if table == "location" and column == "confidential":
        return 0
    return None


def _derive_categories(db, tables: dict[str, list[dict]], derived: Derived) -> None:
    """Project categories from taxonomy attributes of imported services."""
    attributes = [a for a in tables.get("attribute", []) if a.get("taxonomy_term_id")]
    if not attributes:
        return
    term_ids = sorted({a["taxonomy_term_id"] for a in attributes})
    terms = {t["id"]: t for t in tables.get("taxonomy_term", [])}
    terms.update(_existing(db, "taxonomy_term", [t for t in term_ids if t not in terms]))
    for attribute in attributes:
        if (attribute.get("link_entity") or "service") != "service":
            continue
        term = terms.get(attribute["taxonomy_term_id"])
        if not term:
            continue
        found = []
        if term.get("taxonomy_id") == CATEGORY_TAXONOMY_ID and term.get("code") in \
                categories.BY_CODE:
            found = [term["code"]]
        elif term.get("code"):
            found = categories.categories_for_oe_code(term["code"])
        if not found:
            found = categories.categories_for_term_name(term.get("name"))
        for code in found:
            derived.categories.add((attribute["link_id"], code))


def import_package(db, path, now: str, *, filename: str | None = None, police_services=None,
                   dry_run: bool = False, max_bytes: int = MAX_PACKAGE_BYTES,
                   max_rows: int | None = None, timezone: str | None = None) -> ImportReport:
    """Import an HSDS package (path, or bytes or a seekable binary stream + filename).  Raises
    NotHSDS when the input is not HSDS at all, uploads.UploadRefused when it is damaged or over
    `max_bytes` unpacked / `max_rows` rows (nothing written either way); otherwise imports
    what is usable and reports the rest.  `timezone` (an IANA zone, "America/Toronto"): the
    zone the package's local times mean, FIELDAPP_TIMEZONE by default; its times are stored
    in FIELDAPP_TIMEZONE's clock.  ZoneInfoNotFoundError for a zone that does not exist."""
    source = filename or (Path(path).name if isinstance(path, (str, Path)) else "")
    report = ImportReport(source)
    target = default_timezone()
    zone = timezone or target
    zone_shift(zone, target, now)  # a zone that does not exist fails before anything is read
    report.timezone = zone
    package = read_input(path, report, filename, max_bytes=max_bytes, max_rows=max_rows)
    try:
        tables, derived = collect(package, report, zone=zone, target=target, on=now)
    finally:
        package.close()
    _check_references(db, tables, report)
    with writing(db):
        if not dry_run:
            write(db, tables, derived, report, now, police_services)
            merge_index(db)  # a bulk load leaves the words index in many segments
        report.import_id = db["hsds_import"].insert({
            "at": now, "source": report.source, "format": report.format,
            "dry_run": int(dry_run),
            "report_json": json.dumps(report.to_dict(), ensure_ascii=False)}).last_pk
    return report
