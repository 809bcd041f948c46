"""HSDS 3.x JSON (nested services, organizations, locations) flattened into rows per table."""

from __future__ import annotations

import hashlib
import json

from fieldapp.directory.hsds.names import FILES, HSDS_NAME, NotHSDS, derived_id
from fieldapp.directory.hsds.read import Package, Rows
from fieldapp.directory.hsds.reconcile import ImportReport
from fieldapp.directory.hsds.values import _clean

NESTED = {
    "service": {
        "organization": ("organization", "parent", "organization_id"),
        "program": ("program", "parent", "program_id"),
        "phones": ("phone", "child", "service_id"),
        "schedules": ("schedule", "child", "service_id"),
        "service_areas": ("service_area", "child", "service_id"),
        "service_at_locations": ("service_at_location", "child", "service_id"),
        "languages": ("language", "child", "service_id"),
        "funding": ("funding", "child", "service_id"),
        "cost_options": ("cost_option", "child", "service_id"),
        "required_documents": ("required_document", "child", "service_id"),
        "contacts": ("agency_contact", "child", "service_id"),
        "capacities": ("service_capacity", "child", "service_id"),
        "attributes": ("attribute", "child", "link_id"),
        "metadata": ("metadata", "child", "resource_id"),
        "additional_urls": ("url", "child", "service_id"),
    },
    "organization": {
        "additional_websites": ("url", "child", "organization_id"),
        "funding": ("funding", "child", "organization_id"),
        "contacts": ("agency_contact", "child", "organization_id"),
        "phones": ("phone", "child", "organization_id"),
        "locations": ("location", "child", "organization_id"),
        "programs": ("program", "child", "organization_id"),
        "organization_identifiers": ("organization_identifier", "child", "organization_id"),
        "attributes": ("attribute", "child", "link_id"),
        "metadata": ("metadata", "child", "resource_id"),
        "services": ("service", "child", "organization_id"),
    },
    "service_at_location": {
        "location": ("location", "parent", "location_id"),
        "service": ("service", "parent", "service_id"),
        "service_areas": ("service_area", "child", "service_at_location_id"),
        "contacts": ("agency_contact", "child", "service_at_location_id"),
        "phones": ("phone", "child", "service_at_location_id"),
        "schedules": ("schedule", "child", "service_at_location_id"),
        "attributes": ("attribute", "child", "link_id"),
        "metadata": ("metadata", "child", "resource_id"),
    },
    "location": {
        "languages": ("language", "child", "location_id"),
        "addresses": ("address", "child", "location_id"),
        "contacts": ("agency_contact", "child", "location_id"),
        "accessibility": ("accessibility", "child", "location_id"),
        "phones": ("phone", "child", "location_id"),
        "schedules": ("schedule", "child", "location_id"),
        "attributes": ("attribute", "child", "link_id"),
        "metadata": ("metadata", "child", "resource_id"),
    },
    "agency_contact": {"phones": ("phone", "child", "contact_id")},
    "phone": {"languages": ("language", "child", "phone_id")},
    "service_capacity": {"unit": ("unit", "parent", "unit_id")},
    "attribute": {"taxonomy_term": ("taxonomy_term", "parent", "taxonomy_term_id")},
    "taxonomy_term": {"taxonomy_detail": ("taxonomy", "parent", "taxonomy_id")},
}
for _table in ("program", "funding", "cost_option", "service_area", "required_document",
               "accessibility", "address", "language", "schedule", "url", "unit",
               "organization_identifier", "service_capacity", "phone", "agency_contact",
               "taxonomy", "taxonomy_term"):
    NESTED.setdefault(_table, {})
    NESTED[_table].setdefault("attributes", ("attribute", "child", "link_id"))
    NESTED[_table].setdefault("metadata", ("metadata", "child", "resource_id"))
LINK_ENTITY = {"service": "service", "organization": "organization", "location": "location",
               "service_at_location": "service_at_location", "agency_contact": "contact"}


def _flatten(table: str, obj: dict, rows: Rows, where: str, report: ImportReport,
             parent: tuple[str, str, object] | None = None) -> None:
    if not isinstance(obj, dict):
        report.problem("not_an_object", where, str(obj)[:60])
        return
    record = {}
    nested = NESTED.get(table, {})
    for key, value in obj.items():
        if key in nested:
            continue
        record[key] = value
    if _clean(obj.get("id")) is None or isinstance(obj.get("id"), (dict, list)):
        # children need their parent's id: a blank id gets a content-derived one, reported
        digest = hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode())
        obj = {**obj, "id": derived_id(table, "blank", digest.hexdigest())}
        record["id"] = obj["id"]
        record["_blank_id"] = True
    if parent is not None:
        column, parent_id, parent_table = parent
        if not record.get(column):
            record[column] = parent_id
        if column == "link_id" and not record.get("link_entity"):
            record["link_entity"] = LINK_ENTITY.get(parent_table, parent_table)
        if column == "resource_id" and not record.get("resource_type"):
            record["resource_type"] = HSDS_NAME.get(parent_table, parent_table)
    for key, (child_table, how, column) in nested.items():
        value = obj.get(key)
        if value in (None, "", []):
            continue
        if how == "parent":
            if isinstance(value, dict):
                _flatten(child_table, value, rows, where, report)
                if not record.get(column) and value.get("id"):
                    record[column] = value["id"]
        else:
            for child in value if isinstance(value, list) else [value]:
                _flatten(child_table, child, rows, where, report,
                         (column, obj.get("id"), table))
    rows.add(table, where, record)


def _json_kind(sample: dict) -> str | None:
    """Which HSDS object a JSON item is (the API's lists hold one kind each)."""
    keys = set(sample)
    if not keys:
        return "service"
    if keys & {"services", "additional_websites", "organization_identifiers", "tax_status",
               "year_incorporated", "legal_status", "website", "programs"}:
        return "organization"
    if keys & {"status", "service_at_locations", "organization", "eligibility_description",
               "assured_date", "additional_urls", "organization_id", "program_id",
               "application_process", "fees_description"}:
        return "service"
    if "name" not in keys and keys & {"location", "service", "location_id", "service_id"}:
        return "service_at_location"
    if keys & {"location_type", "latitude", "longitude", "addresses", "transportation"}:
        return "location"
    if keys & {"code", "taxonomy_detail", "term_uri", "parent_id", "taxonomy_id"}:
        return "taxonomy_term"
    if "version" in keys and "name" in keys:
        return "taxonomy"
    if "name" in keys:
        return "service"
    return None


def _json_rows(package: Package, rows: Rows, report: ImportReport) -> int:
    usable = 0
    for where, document in package.json:
        if isinstance(document, dict) and any(str(k).endswith(".csv") for k in document):
            # the "tabular" JSON: {"services.csv": [rows], ...}
            for file_name, records in document.items():
                base = str(file_name).lower()
                if base not in FILES or not isinstance(records, list):
                    report.problem("unknown_file", f"{where}:{file_name}")
                    continue
                table, fixed, _renames = FILES[base]
                usable += 1
                for record in records:
                    if isinstance(record, dict):
                        rows.add(table, f"{where}:{file_name}", {**fixed, **record})
            continue
        if isinstance(document, dict) and isinstance(document.get("contents"), list):
            items = document["contents"]
        elif isinstance(document, list):
            items = document
        elif isinstance(document, dict) and "id" in document and _json_kind(document):
            items = [document]
        else:
            if where.endswith(".json") and package.csv:
                report.problem("unknown_file", where)
                continue
            raise NotHSDS(f"{where}: JSON that is not HSDS (expected a list of services, a Page "
                          "with 'contents', or one service)")
        sample = next((i for i in items if isinstance(i, dict)), {})
        kind = _json_kind(sample)
        if items and kind is None:
            raise NotHSDS(f"{where}: JSON that is not HSDS (items are not services, "
                          "organizations, locations or taxonomy terms)")
        usable += 1
        for item in items:
            _flatten(kind, item, rows, where, report)
    return usable
