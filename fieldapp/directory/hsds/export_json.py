"""Writing HSDS 3.1 JSON: fully nested services (the API and services.json), and with them, in
tabular.json, every row that no service carries (organizations without services, the whole
taxonomy, rows kept unlinked, ...), so that a JSON export holds the whole directory."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

from fieldapp.directory import disclosure
from fieldapp.directory.disclosure import Disclosure
from fieldapp.directory.hsds.export import (
    _category_attributes,
    _restore,
    _service_extensions,
    category_taxonomy_rows,
    export_tables,
)
from fieldapp.directory.hsds.load import _existing
from fieldapp.directory.hsds.map_json import _flatten
from fieldapp.directory.hsds.names import (
    CATEGORY_TAXONOMY_ID,
    CSV_FILE,
    NUMBER_FIELDS,
    ORDER,
    ORIGINAL,
    SERVICE_FLAGS,
)
from fieldapp.directory.hsds.read import Rows
from fieldapp.directory.hsds.reconcile import ImportReport

# --- nested JSON (full services) ----------------------------------------------------------------


def _json_value(field: str, value):
    if value is None or value == "":
        return None
    if field in NUMBER_FIELDS:
        try:
            number = float(value)
        except (TypeError, ValueError):
            return None
        return int(number) if number.is_integer() else number
    return value


def _json_obj(table: str, row: dict, extensions: dict | None = None) -> dict:
    fields, original = _restore(row, table)
    out = {}
    for field, value in fields.items():
        value = _json_value(field, value)
        if value is not None:
            out[field] = value
    for key, value in (extensions or {}).items():
        if value is not None:
            out[key] = value
    if original:
        out[ORIGINAL] = original
    return out


class Assembler:
    """Builds full HSDS services (nested) with one query per table for a set of services."""

    def __init__(self, db, service_ids: list[str], rule: Disclosure | None = None):
        self.db = db
        self.rule = rule or disclosure.shared(db)
        self.services = {k: v for k, v in _existing(db, "service", service_ids).items()
                         if self.rule.allows(v)}
        self.ids = list(self.services)
        by = self._by
        self.sal = by("service_at_location", "service_id", self.ids)
        sal_ids = [r["id"] for rows in self.sal.values() for r in rows]
        location_ids = sorted({r["location_id"] for rows in self.sal.values() for r in rows
                               if r["location_id"]})
        self.locations = {k: v for k, v in _existing(db, "location", location_ids).items()
                          if self.rule.allows(v)}
        location_ids = list(self.locations)
        org_ids = sorted({s["organization_id"] for s in self.services.values()
                          if s["organization_id"]})
        self.organizations = _existing(db, "organization", org_ids)
        self.programs = _existing(db, "program", sorted({s["program_id"] for s in
                                                         self.services.values()
                                                         if s["program_id"]}))
        self.phones = {col: by("phone", col, ids) for col, ids in (
            ("service_id", self.ids), ("service_at_location_id", sal_ids),
            ("location_id", location_ids))}
        self.schedules = {col: by("schedule", col, ids) for col, ids in (
            ("service_id", self.ids), ("service_at_location_id", sal_ids),
            ("location_id", location_ids))}
        self.contacts = {col: by("agency_contact", col, ids) for col, ids in (
            ("service_id", self.ids), ("service_at_location_id", sal_ids),
            ("location_id", location_ids))}
        contact_ids = [r["id"] for d in self.contacts.values() for rows in d.values()
                       for r in rows]
        self.contact_phones = by("phone", "contact_id", contact_ids)
        phone_ids = [r["id"] for d in list(self.phones.values()) + [self.contact_phones]
                     for rows in d.values() for r in rows]
        self.phone_languages = by("language", "phone_id", phone_ids)
        self.languages = {col: by("language", col, ids) for col, ids in (
            ("service_id", self.ids), ("location_id", location_ids))}
        self.areas = {col: by("service_area", col, ids) for col, ids in (
            ("service_id", self.ids), ("service_at_location_id", sal_ids))}
        self.addresses = by("address", "location_id", location_ids)
        self.accessibility = by("accessibility", "location_id", location_ids)
        self.funding = by("funding", "service_id", self.ids)
        self.cost_options = by("cost_option", "service_id", self.ids)
        self.documents = by("required_document", "service_id", self.ids)
        self.capacities = by("service_capacity", "service_id", self.ids)
        unit_ids = sorted({r["unit_id"] for rows in self.capacities.values() for r in rows
                           if r["unit_id"]})
        self.units = _existing(db, "unit", unit_ids)
        self.urls = by("url", "service_id", self.ids)
        self.metadata = by("metadata", "resource_id", self.ids)
        self.attributes = by("attribute", "link_id", self.ids)
        for attribute in _category_attributes(db, set(self.ids)):
            rows = self.attributes.setdefault(attribute["link_id"], [])
            if not any(r["id"] == attribute["id"] or
                       r["taxonomy_term_id"] == attribute["taxonomy_term_id"] for r in rows):
                rows.append(attribute)
        term_ids = sorted({a["taxonomy_term_id"] for rows in self.attributes.values()
                           for a in rows if a.get("taxonomy_term_id")})
        self.terms = _existing(db, "taxonomy_term", term_ids)
        _, category_terms = category_taxonomy_rows()
        for term in category_terms:
            if term["id"] in term_ids:
                self.terms.setdefault(term["id"], term)
        taxonomy_ids = sorted({t["taxonomy_id"] for t in self.terms.values() if t["taxonomy_id"]})
        self.taxonomies = _existing(db, "taxonomy", taxonomy_ids)
        if CATEGORY_TAXONOMY_ID in taxonomy_ids:
            self.taxonomies.setdefault(CATEGORY_TAXONOMY_ID, category_taxonomy_rows()[0])
        self.partnerships = defaultdict(list)
        if self.ids:
            marks = ",".join("?" * len(self.ids))
            for row in db.query(f"SELECT service_id, police_service FROM service_partnership "
                                f"WHERE service_id IN ({marks})", self.ids):
                self.partnerships[row["service_id"]].append(row["police_service"])

    def _by(self, table: str, column: str, ids: list[str]) -> dict[str, list[dict]]:
        grouped: dict[str, list[dict]] = defaultdict(list)
        ids = sorted(set(i for i in ids if i))
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            marks = ",".join("?" * len(chunk))
            for row in self.db.query(f"SELECT * FROM [{table}] WHERE [{column}] IN ({marks}) "
                                     "ORDER BY rowid", chunk):
                if self.rule.allows(row):
                    grouped[row[column]].append(row)
        return grouped

    def _phone(self, row: dict) -> dict:
        obj = _json_obj("phone", row)
        languages = [_json_obj("language", r) for r in self.phone_languages.get(row["id"], [])]
        if languages:
            obj["languages"] = languages
        return obj

    def _contact(self, row: dict) -> dict:
        obj = _json_obj("agency_contact", row)
        phones = [self._phone(p) for p in self.contact_phones.get(row["id"], [])]
        if phones:
            obj["phones"] = phones
        return obj

    def _location(self, row: dict) -> dict:
        obj = _json_obj("location", row)
        if row.get("confidential"):  # only in internal exports: keeps the address hidden
            obj["confidential"] = True  # wherever the package is imported again
        lid = row["id"]
        parts = {
            "languages": [_json_obj("language", r)
                          for r in self.languages["location_id"].get(lid, [])],
            "addresses": [_json_obj("address", r) for r in self.addresses.get(lid, [])],
            "contacts": [self._contact(r) for r in self.contacts["location_id"].get(lid, [])],
            "accessibility": [_json_obj("accessibility", r)
                              for r in self.accessibility.get(lid, [])],
            "phones": [self._phone(r) for r in self.phones["location_id"].get(lid, [])],
            "schedules": [_json_obj("schedule", r)
                          for r in self.schedules["location_id"].get(lid, [])],
        }
        obj.update({k: v for k, v in parts.items() if v})
        return obj

    def _attribute(self, row: dict) -> dict:
        obj = _json_obj("attribute", row)
        term = self.terms.get(row.get("taxonomy_term_id"))
        if term:
            term_obj = _json_obj("taxonomy_term", term)
            taxonomy = self.taxonomies.get(term.get("taxonomy_id"))
            if taxonomy:
                term_obj["taxonomy_detail"] = _json_obj("taxonomy", taxonomy)
            obj["taxonomy_term"] = term_obj
        return obj

    def service(self, service_id: str) -> dict | None:
        row = self.services.get(service_id)
        if row is None:
            return None
        sid = service_id
        obj = _json_obj("service", row, _service_extensions(self.db, row, self.partnerships))
        for flag in SERVICE_FLAGS:
            obj[flag] = bool(row.get(flag))
        obj["populations"] = json.loads(row.get("populations") or "[]")
        obj["partnerships"] = sorted(self.partnerships.get(sid, []))
        organization = self.organizations.get(row.get("organization_id"))
        if organization:
            obj["organization"] = _json_obj("organization", organization)
        program = self.programs.get(row.get("program_id"))
        if program:
            obj["program"] = _json_obj("program", program)
        sals = []
        for sal in self.sal.get(sid, []):
            location = self.locations.get(sal["location_id"])
            sal_obj = _json_obj("service_at_location", sal)
            parts = {
                "service_areas": [_json_obj("service_area", r)
                                  for r in self.areas["service_at_location_id"].get(sal["id"], [])],
                "contacts": [self._contact(r) for r in
                             self.contacts["service_at_location_id"].get(sal["id"], [])],
                "phones": [self._phone(r) for r in
                           self.phones["service_at_location_id"].get(sal["id"], [])],
                "schedules": [_json_obj("schedule", r) for r in
                              self.schedules["service_at_location_id"].get(sal["id"], [])],
            }
            sal_obj.update({k: v for k, v in parts.items() if v})
            if location:
                sal_obj["location"] = self._location(location)
            sals.append(sal_obj)
        parts = {
            "additional_urls": [_json_obj("url", r) for r in self.urls.get(sid, [])],
            "phones": [self._phone(r) for r in self.phones["service_id"].get(sid, [])],
            "schedules": [_json_obj("schedule", r)
                          for r in self.schedules["service_id"].get(sid, [])],
            "service_areas": [_json_obj("service_area", r)
                              for r in self.areas["service_id"].get(sid, [])],
            "service_at_locations": sals,
            "languages": [_json_obj("language", r)
                          for r in self.languages["service_id"].get(sid, [])],
            "funding": [_json_obj("funding", r) for r in self.funding.get(sid, [])],
            "cost_options": [_json_obj("cost_option", r) for r in self.cost_options.get(sid, [])],
            "required_documents": [_json_obj("required_document", r)
                                   for r in self.documents.get(sid, [])],
            "contacts": [self._contact(r) for r in self.contacts["service_id"].get(sid, [])],
            "capacities": [],
            "attributes": [self._attribute(r) for r in self.attributes.get(sid, [])],
            "metadata": [_json_obj("metadata", r) for r in self.metadata.get(sid, [])],
        }
        for capacity in self.capacities.get(sid, []):
            cap = _json_obj("service_capacity", capacity)
            unit = self.units.get(capacity.get("unit_id"))
            if unit:
                cap["unit"] = _json_obj("unit", unit)
            parts["capacities"].append(cap)
        obj.update({k: v for k, v in parts.items() if v})
        return self.rule.clean(obj)


def full_services(db, service_ids: list[str], rule: Disclosure | None = None) -> list[dict]:
    """Fully nested services, as far as `rule` (default: the shared one) lets them out."""
    assembler = Assembler(db, service_ids, rule)
    return [s for s in (assembler.service(sid) for sid in service_ids) if s is not None]


def export_json(db, outdir, *, internal: bool = False) -> int:
    """Write services.json (every service, nested) and tabular.json (every other row): shared,
    or with `internal` everything.  Returns the number of services."""
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    rule = disclosure.Disclosure(db, internal=internal)
    ids = [r["id"] for r in db.query("SELECT id FROM service ORDER BY rowid")]
    services = []
    for start in range(0, len(ids), 500):
        services += full_services(db, ids[start:start + 500], rule)
    (outdir / "services.json").write_text(
        json.dumps(services, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (outdir / "tabular.json").write_text(
        json.dumps(_rows_not_nested(db, services, rule), indent=2, ensure_ascii=False) + "\n",
        encoding="utf-8")
    return len(services)


def _rows_not_nested(db, services: list[dict], rule: Disclosure) -> dict[str, list[dict]]:
    """HSDS 3.1's tabular JSON (keyed by CSV file name, as the specification's
    examples/tabular.json) of every row the nested services do not carry: an organization's
    own phones, contacts and programs, locations no service uses, every taxonomy term (used or
    not, with its parents), rows kept unlinked.  Which rows the services carry is what the
    importer reads from them (map_json), so the two files never hold one row twice."""
    carried = Rows()
    for service in services:
        _flatten("service", service, carried, "services.json", ImportReport("export"))
    nested = {table: {row["id"] for _where, row in rows}
              for table, rows in carried.by_table.items()}
    out = {}
    for table, rows in export_tables(db, rule).items():
        rest = [_tabular(table, row) for row in rows if row["id"] not in nested.get(table, ())]
        if rest:
            out[CSV_FILE[table]] = rest
    return {name: out[name] for name in (CSV_FILE[t] for t in ORDER) if name in out}


def _tabular(table: str, row: dict) -> dict:
    """A CSV row of export_tables as a JSON object: empty cells left out, numbers as numbers,
    `original_text` as the object it is."""
    out = {}
    for field, value in row.items():
        if field == ORIGINAL and value:
            out[field] = json.loads(value)
            continue
        value = _json_value(field, value)
        if value is not None:
            out[field] = value
    return out
