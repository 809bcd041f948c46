"""HSDS names, ids and file layouts: which HSDS object each table and file holds, and how a
package's ids become the directory's (deterministic UUIDs)."""

from __future__ import annotations

import hashlib
import re
import uuid
from functools import lru_cache

from fieldapp.directory.hsds_tables import HSDS_TABLES

HSDS_VERSION = "3.1"
# The core specification this directory speaks: the commit its schemas were copied from (see
# tests/fixtures/hsds/schema-3.1/SOURCE.txt); fieldapp's additions are hsds/profile.py's.
SPEC_URL = ("https://github.com/openreferral/specification/tree/"
            "abc731c8ac11825010e9d74a0ab61dcd48e880ec")
# The fieldapp profile's field on every object: the source's values before normalizing, its own
# id and its unknown columns (a JSON object; JSON text in CSV).
ORIGINAL = "original_text"
NAMESPACE = uuid.UUID("0b9a7c52-3f0e-4c1e-9a53-6d2f1c0e8a11")
CATEGORY_TAXONOMY_ID = str(uuid.uuid5(NAMESPACE, "taxonomy:fieldapp-categories"))

TABLES = {table: fields.split() for _name, table, _file, fields in HSDS_TABLES}
HSDS_NAME = {table: name for name, table, _file, _fields in HSDS_TABLES}
CSV_FILE = {table: file for _name, table, file, _fields in HSDS_TABLES}
ORDER = [table for _name, table, _file, _fields in HSDS_TABLES]
TABLE_OF_HSDS = {name: table for name, table, _file, _fields in HSDS_TABLES}

SERVICE_APP_FIELDS = ["accepts_referrals", "joint_police_health", "interpretation_available",
                      "intake_phone", "intake_email", "intake_instructions", "populations",
                      "keywords"]
# App fields that are flags: "true"/"false" cells in CSV, booleans in JSON.
SERVICE_FLAGS = ["accepts_referrals", "joint_police_health", "interpretation_available"]
SERVICE_EXTENSION_COLUMNS = SERVICE_APP_FIELDS + ["partnerships"]
NUMBER_FIELDS = {"year_incorporated", "latitude", "longitude", "extension", "minimum_age",
                 "maximum_age", "timezone", "count", "interval", "amount", "available", "maximum"}
INTERNAL = {"source_id", "extra_json", "created_at", "updated_at", "archived_at",
            "organization_name", "category_text", "confidential"}
REQUIRED_TEXT = {"organization": ("description",), "program": ("description",),
                 "taxonomy": ("description",), "taxonomy_term": ("description",)}
STATUSES = {"active", "inactive", "defunct", "temporarily closed"}
DAY_CODES = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
DAY_NAMES = {"monday": "MO", "tuesday": "TU", "wednesday": "WE", "thursday": "TH",
             "friday": "FR", "saturday": "SA", "sunday": "SU", "mon": "MO", "tue": "TU",
             "wed": "WE", "thu": "TH", "fri": "FR", "sat": "SA", "sun": "SU",
             "lundi": "MO", "mardi": "TU", "mercredi": "WE", "jeudi": "TH", "vendredi": "FR",
             "samedi": "SA", "dimanche": "SU"}

# Older (1.x/2.0, Ohana) file names -> (table, fixed values, column renames).
FILES: dict[str, tuple[str, dict, dict]] = {}
for _table in ORDER:
    FILES[CSV_FILE[_table]] = (_table, {}, {})
    FILES.setdefault(f"{_table}.csv", (_table, {}, {}))
    FILES.setdefault(f"{_table}s.csv", (_table, {}, {}))
FILES["contacts.csv"] = ("agency_contact", {}, {})
FILES.pop("agency_contact.csv", None)
FILES.pop("agency_contacts.csv", None)
FILES.update({
    "services.csv": ("service", {}, {"website": "url", "eligibility": "eligibility_description"}),
    "organizations.csv": ("organization", {}, {"url": "website"}),  # HSDS 1.x: url
    "locations.csv": ("location", {}, {}),
    "physical_addresses.csv": ("address", {"address_type": "physical"}, {}),
    "postal_addresses.csv": ("address", {"address_type": "postal"}, {}),
    "mail_addresses.csv": ("address", {"address_type": "postal"}, {}),
    "regular_schedules.csv": ("schedule", {"freq": "WEEKLY"}, {}),
    "holiday_schedules.csv": ("schedule", {"freq": "DAILY"},  # -> WEEKLY within the dates
                              {"start_date": "valid_from", "end_date": "valid_to"}),
    "services_at_location.csv": ("service_at_location", {}, {}),
    "services_taxonomy.csv": ("attribute", {"link_entity": "service", "link_type": "taxonomy"},
                              {"service_id": "link_id", "taxonomy_id": "taxonomy_term_id",
                               "taxonomy_detail": "value"}),
    "service_taxonomy.csv": ("attribute", {"link_entity": "service", "link_type": "taxonomy"},
                             {"service_id": "link_id", "taxonomy_id": "taxonomy_term_id",
                              "taxonomy_detail": "value"}),
    "taxonomy.csv": ("taxonomy_term", {}, {"vocabulary": "taxonomy"}),
    "accessibility_for_disabilities.csv": ("accessibility", {}, {"accessibility": "description"}),
    "service_area.csv": ("service_area", {}, {"service_area": "name"}),
    "service_areas.csv": ("service_area", {}, {"service_area": "name"}),  # 2-1-1 exports
    "languages.csv": ("language", {}, {"language": "name"}),
    "phones.csv": ("phone", {}, {"number_type": "type"}),
})
# Files that share a table with another file of the same package: their ids get their own
# namespace ("1" in mail_addresses.csv is not "1" in addresses.csv).
SECONDARY_FILES = {"postal_addresses.csv", "mail_addresses.csv", "holiday_schedules.csv"}
# Files that only carry HSDS data an older version had and 3.x dropped: reported, not imported.
IGNORED_FILES = {"datapackage.json"}
# Older files with no HSDS 3 table: each row is kept on its service (extra_json, under the key,
# shown on the service page); rows naming no service are kept unlinked in the import's record.
HELD_FILES = {"eligibility.csv": ("eligibility", "eligibility"),
              "payment_accepted.csv": ("payments_accepted", "payment")}
MAX_PACKAGE_BYTES = 200 * 1024 * 1024


class NotHSDS(ValueError):
    """The input is not an HSDS package at all; nothing was written."""


# --- ids ------------------------------------------------------------------------------------

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def is_uuid(value) -> bool:
    return bool(value) and bool(_UUID.match(str(value)))


def map_id(table: str, raw) -> str | None:
    """Stored id of a row (or reference) whose id in the package is `raw`."""
    if raw is None:
        return None
    return _mapped(table, str(raw).strip())


@lru_cache(maxsize=65536)  # a package names each service in every child file: hash it once
def _mapped(table: str, raw: str) -> str | None:
    if raw == "":
        return None
    return raw if is_uuid(raw) else uuid5_text(f"{table}:{raw}")


def derived_id(table: str, *parts) -> str:
    return uuid5_text(f"{table}:" + "|".join(str(p) for p in parts))


_NAMESPACE_BYTES = NAMESPACE.bytes


def uuid5_text(name: str) -> str:
    """str(uuid.uuid5(NAMESPACE, name)), without building a UUID object (an import makes one
    per row: the object and its str() cost more than the hash)."""
    digest = bytearray(hashlib.sha1(_NAMESPACE_BYTES + name.encode("utf-8"),
                                    usedforsecurity=False).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
