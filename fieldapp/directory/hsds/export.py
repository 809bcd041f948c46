"""Writing HSDS 3.1: the Tabular Data Package (datapackage.json + CSV), as far as the
disclosure rule lets rows out."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

from fieldapp import csv_safe
from fieldapp.directory import categories, disclosure
from fieldapp.directory.disclosure import Disclosure
from fieldapp.directory.hsds import profile
from fieldapp.directory.hsds.names import (
    CATEGORY_TAXONOMY_ID,
    CSV_FILE,
    HSDS_NAME,
    HSDS_VERSION,
    ORDER,
    ORIGINAL,
    REQUIRED_TEXT,
    SERVICE_FLAGS,
    TABLES,
    derived_id,
    map_id,
)
from fieldapp.directory.hsds.values import (
    URI_FIELDS,
    default_country,
    normalize_url,
    number_text,
    split_extension,
)
from fieldapp.directory.hsds_tables import REFERENCE_COLUMNS

# --- export -----------------------------------------------------------------------------------


def _restore(row: dict, table: str) -> tuple[dict, dict]:
    """HSDS fields of a stored row, clean (normalized values only), and its `original_text`
    (the fieldapp profile's field): the source's raw value of every field the importer
    normalized or could not read, the source's own id (`id`; null when it had none) and the
    source's unknown columns.  An import of the export puts them back (map_rows.py)."""
    extra = json.loads(row.get("extra_json") or "{}")
    raw = extra.pop("_raw", {}) if isinstance(extra.get("_raw"), dict) else {}
    original = {**extra, **raw}
    out = {}
    for field in TABLES[table]:
        value = row.get(field)
        if isinstance(value, float):
            value = number_text(value)
        out[field] = value
    for field in URI_FIELDS.get(table, ()):
        if out.get(field) is not None:
            value = normalize_url(out[field])
            if value != out[field]:
                original.setdefault(field, out[field])
            out[field] = value
    if table == "schedule":
        for field in ("opens_at", "closes_at"):
            if out.get(field) == "24:00":  # the end of the day: not a time of day in HSDS
                original.setdefault(field, "24:00")
                out[field] = "23:59"
    if table == "phone" and out.get("number"):
        number, extension = split_extension(out["number"])
        if extension:  # the extension once, in `extension`
            original.setdefault("number", out["number"])
            out["number"] = number
            out["extension"] = out.get("extension") or extension
    defaults = {}
    if table == "location" and not out.get("location_type"):
        defaults["location_type"] = "physical"
    if table == "address":
        if not out.get("address_type"):
            defaults["address_type"] = "physical"
        if not out.get("country"):
            defaults["country"] = default_country()
    for field in REQUIRED_TEXT.get(table, ()):
        if not out.get(field):
            defaults[field] = out.get("name") or "-"  # HSDS requires it; old data lacks it
    for field, value in defaults.items():  # the source had none: null in original_text
        original.setdefault(field, out.get(field) or None)
        out[field] = value
    if "source_id" in row and row.get("source_id") != row.get("id"):
        source_id = row.get("source_id")
        if source_id is not None and map_id(table, source_id) == row.get("id"):
            original["id"] = source_id  # the row's id is made from it: importing it again
        else:  # gives the same row
            original["source_id"] = source_id
    return out, original


def _all(db, table: str, where: str = "", params=()) -> list[dict]:
    return list(db.query(f"SELECT * FROM [{table}] {where} ORDER BY rowid", params))


def _service_extensions(db, service: dict, partnerships: dict) -> dict:
    out = {}
    for flag in SERVICE_FLAGS:
        out[flag] = "true" if service.get(flag) else "false"
    for field in ("intake_phone", "intake_email", "intake_instructions"):
        out[field] = service.get(field)
    out["populations"] = ",".join(json.loads(service.get("populations") or "[]")) or None
    out["keywords"] = service.get("keywords") or None
    out["partnerships"] = ",".join(sorted(partnerships.get(service["id"], []))) or None
    return out


def _category_attributes(db, service_ids: list[str] | None = None) -> list[dict]:
    """HSDS attributes expressing service_category rows (deterministic ids)."""
    rows = db.query("SELECT service_id, category FROM service_category ORDER BY service_id, "
                    "category")
    out = []
    for row in rows:
        if service_ids is not None and row["service_id"] not in service_ids:
            continue
        term_id = derived_id("taxonomy_term", "fieldapp-category", row["category"])
        out.append({"id": derived_id("attribute", row["service_id"], term_id),
                    "link_id": row["service_id"], "taxonomy_term_id": term_id,
                    "link_type": "category", "link_entity": "service",
                    "value": row["category"], "label": categories.label(row["category"]),
                    "extra_json": None})
    return out


def category_taxonomy_rows() -> tuple[dict, list[dict]]:
    taxonomy = {"id": CATEGORY_TAXONOMY_ID, "name": "fieldapp service categories",
                "description": "Service categories of the fieldapp directory (project-owned), "
                               "mapped to Open Eligibility.",
                "uri": None, "version": "1", "extra_json": None}
    terms = []
    for category in categories.CATEGORIES:
        terms.append({"id": derived_id("taxonomy_term", "fieldapp-category", category.code),
                      "code": category.code, "name": str(category.code.replace("_", " ")),
                      "description": category.search_text, "parent_id": None,
                      "taxonomy": "fieldapp", "language": "en",
                      "taxonomy_id": CATEGORY_TAXONOMY_ID, "term_uri": None,
                      "extra_json": None})
    return taxonomy, terms


def export_tables(db, rule: Disclosure | None = None) -> dict[str, list[dict]]:
    """Every HSDS table as rows of CSV cells (HSDS fields, extensions, unknown columns), as far
    as `rule` (default: the shared one, see disclosure.py) lets them out."""
    rule = rule or disclosure.shared(db)
    partnerships = defaultdict(list)
    for row in db.query("SELECT service_id, police_service FROM service_partnership"):
        partnerships[row["service_id"]].append(row["police_service"])
    out: dict[str, list[dict]] = {}
    category_attrs = _category_attributes(db)
    used_categories = {a["value"] for a in category_attrs}
    for table in ORDER:
        stored = _all(db, table)
        if table == "attribute":
            ids = {r["id"] for r in stored}
            pairs = {(r["link_id"], r["taxonomy_term_id"]) for r in stored}
            stored += [a for a in category_attrs if a["id"] not in ids
                       and (a["link_id"], a["taxonomy_term_id"]) not in pairs]
        if table == "taxonomy" and used_categories:
            taxonomy, _ = category_taxonomy_rows()
            if CATEGORY_TAXONOMY_ID not in {r["id"] for r in stored}:
                stored.append(taxonomy)
        if table == "taxonomy_term" and used_categories:
            _, terms = category_taxonomy_rows()
            ids = {r["id"] for r in stored}
            stored += [t for t in terms if t["code"] in used_categories and t["id"] not in ids]
        rows = []
        for row in stored:
            if not rule.allows(row):
                continue
            fields, original = _restore(row, table)
            if table == "service":
                fields.update(_service_extensions(db, row, partnerships))
            if table == "location" and row.get("confidential"):
                fields["confidential"] = "true"  # extension column (internal exports only)
            if table == "schedule":
                for field in ("opens_at", "closes_at"):
                    if fields.get(field):  # the tabular `time` type is HH:MM:SS
                        original.setdefault(field, row.get(field))
                        fields[field] += ":00"
            fields[ORIGINAL] = original
            rows.append(fields)
        if rows:
            out[table] = rows
    written = {table: {r["id"] for r in rows} for table, rows in out.items()}
    for table, rows in out.items():
        schema = profile.read(f"schema/{HSDS_NAME[table]}.json")
        needed = set(schema.get("required", [])) | set(schema.get("tabular_required", []))
        for fields in rows:
            original = fields[ORIGINAL]
            for column, target in REFERENCE_COLUMNS.items():
                value = fields.get(column)
                if value and column not in needed and value not in written.get(target, ()):
                    # a reference to no row of the package: kept in original_text only, so
                    # that every reference of the package resolves (foreign keys)
                    original.setdefault(column, value)
                    fields[column] = None
            fields[ORIGINAL] = json.dumps(original, ensure_ascii=False, sort_keys=True) \
                if original else None
        out[table] = [rule.clean(fields) for fields in rows]
    return out


def export_csv(db, outdir, *, internal: bool = False) -> dict[str, int]:
    """Write a 3.x Tabular Data Package (datapackage.json + one CSV per table) into outdir:
    the shared package, or with `internal` everything (confidential addresses included)."""
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    tables = export_tables(db, disclosure.Disclosure(db, internal=internal))
    descriptor = profile.read("datapackage.json")
    by_name = {r["name"]: r for r in descriptor["resources"]}
    resources, counts = [], {}
    for table in ORDER:
        rows = tables.get(table, [])
        resource = by_name[HSDS_NAME[table]]
        if not internal:
            resource["schema"]["fields"] = [f for f in resource["schema"]["fields"]
                                            if f["name"] != "confidential"]
        columns = [f["name"] for f in resource["schema"]["fields"]]
        path = outdir / CSV_FILE[table]
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv_safe.dict_writer(handle, columns, lineterminator="\n",
                                          extrasaction="ignore")
            writer.writeheader()
            for row in rows:
                writer.writerow({c: ("" if row.get(c) is None else row.get(c)) for c in columns})
        counts[HSDS_NAME[table]] = len(rows)
        resources.append(resource)
    descriptor.update({
        "name": "fieldapp-directory", "title": "fieldapp partner-service directory (HSDS 3.1)",
        "version": HSDS_VERSION, "resources": resources,
        "hsds_version": HSDS_VERSION, "hsds_profile": profile.profile_url()})
    (outdir / "datapackage.json").write_text(json.dumps(descriptor, indent=2) + "\n",
                                              encoding="utf-8")
    return counts
