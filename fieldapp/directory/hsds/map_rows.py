"""One raw row (any HSDS generation: 1.x/2.0 columns, Ohana cells, 3.x) normalized into the
directory's HSDS 3.1 columns."""

from __future__ import annotations

import hashlib
import json
import re
from collections import defaultdict
from datetime import datetime
from functools import lru_cache

from fieldapp.directory import categories, languages, limits, phones
from fieldapp.directory.hsds.names import (
    DAY_CODES,
    DAY_NAMES,
    NUMBER_FIELDS,
    ORIGINAL,
    SERVICE_APP_FIELDS,
    SERVICE_FLAGS,
    STATUSES,
    TABLE_OF_HSDS,
    TABLES,
    derived_id,
    map_id,
)
from fieldapp.directory.hsds.reconcile import ImportReport
from fieldapp.directory.hsds.values import (
    URI_FIELDS,
    _clean,
    default_country,
    is_zone,
    normalize_date,
    normalize_time,
    normalize_url,
    number_text,
    shift_times,
    split_extension,
    split_list,
    split_time_range,
    truthy,
    zone_shift,
)
from fieldapp.directory.hsds_tables import REFERENCE_COLUMNS

# --- normalization of one row -----------------------------------------------------------------

def _source_values(table: str, record: dict) -> tuple[dict, bool]:
    """A row of fieldapp's own export carries the source's values in `original_text` (the
    fieldapp HSDS profile): put them back, so that importing the export again reads exactly
    what the first import read.  Returns (record, source_id_was_none)."""
    original = record.pop(ORIGINAL, None)
    record.pop("source_id", None)  # fieldapp's storage column, never a source's
    if isinstance(original, str) and original.strip().startswith("{"):
        try:
            original = json.loads(original)
        except ValueError:
            return {**record, ORIGINAL: original}, False
    if not isinstance(original, dict):
        if original is not None:
            record[ORIGINAL] = original
        return record, False
    record = dict(record)
    source_id = False  # the source's id, when it is not the one the row's id is made from
    for key, value in original.items():
        if key == "source_id":
            source_id = value
        elif value is None:
            record.pop(key, None)  # the source had no such column: the export's default
        else:
            record[key] = value
    return record, source_id



# per table, computed once: its fields but the id, and its fields holding numbers
_FIELDS = {table: [f for f in fields if f != "id"] for table, fields in TABLES.items()}
_NUMBERS = {table: [f for f in fields if f in NUMBER_FIELDS] for table, fields in TABLES.items()}


@lru_cache(maxsize=4096)
def _column(key) -> str:
    return str(key).strip().lower()


def _normalize(table: str, where: str, record: dict, report: ImportReport,
               derived: Derived) -> dict | None:
    fields = TABLES[table]
    raw: dict = {}
    extra: dict = {}
    row: dict = {}
    record, kept_source_id = _source_values(table, record)
    # one pass: column names as lower case, cells cleaned, padded values noted (most cells are
    # text: the common case without a call)
    padded: dict = {}
    cleaned: dict = {}
    for key, value in record.items():
        key = _column(key)
        if type(value) is str:
            text = value.strip()
            if text != value and text:
                padded[key] = value
            cleaned[key] = text or None
        else:
            cleaned[key] = _clean(value)
    record = cleaned
    # Columns the source has: an update never blanks a field the package does not carry.
    present = set(record) | {"weekday", "number", "extension"}
    if padded:
        report.problem("padded_value", where, next(iter(padded)))
    namespaced = bool(record.pop("_file_id", None))
    blank = bool(record.pop("_blank_id", None))
    source_id = None if blank else record.get("id")
    if isinstance(source_id, (dict, list)):
        source_id = None
    if blank:
        report.problem("blank_id", where)
        row["id"] = record["id"]
        row["source_id"] = None
    elif not source_id:
        report.problem("blank_id", where)
        digest = hashlib.sha256(json.dumps(record, sort_keys=True, default=str).encode())
        row["id"] = derived_id(table, "blank", digest.hexdigest())
        row["source_id"] = None
    else:
        row["id"] = map_id(table, source_id)
        row["source_id"] = source_id
        if namespaced:
            row["source_id"] = None  # the original id is not unique within the package
    if kept_source_id is not False:
        row["source_id"] = kept_source_id
    for field in _FIELDS[table]:
        value = record.pop(field, None)
        if value is None:
            row[field] = None
            continue
        if type(value) is not str and isinstance(value, (dict, list)):
            extra[field] = value
            value = None
        if value is not None and field in REFERENCE_COLUMNS:
            target = REFERENCE_COLUMNS[field]
            mapped = map_id(target, value)
            if mapped != value:
                raw[field] = value
            value = mapped
        row[field] = value
    record.pop("id", None)
    # polymorphic references
    if table == "attribute" and row.get("link_id"):
        entity = (row.get("link_entity") or "").lower()
        target = TABLE_OF_HSDS.get(entity, entity or "unknown")
        mapped = map_id(target, row["link_id"])
        if mapped != row["link_id"]:
            raw["link_id"] = row["link_id"]
        row["link_id"] = mapped
    if table == "metadata" and row.get("resource_id"):
        target = TABLE_OF_HSDS.get((row.get("resource_type") or "").lower(), "unknown")
        mapped = map_id(target, row["resource_id"])
        if mapped != row["resource_id"]:
            raw["resource_id"] = row["resource_id"]
        row["resource_id"] = mapped

    # numbers: stored as compact text (latitude/longitude as REAL)
    for field in _NUMBERS[table]:
        if row.get(field) is not None:
            text = number_text(row[field])
            if text is None:
                report.problem("not_a_number", f"{where}:{field}", row[field])
                raw[field] = row[field]
                row[field] = None
            elif text != row[field]:
                raw[field] = row[field]
                row[field] = text
    if table == "location":
        for field in ("latitude", "longitude"):
            if row.get(field) is not None:
                row[field] = float(row[field])

    if table == "phone" and row.get("number"):
        number, extension = split_extension(row["number"])
        if extension:
            report.problem("extension_in_number", where, row["number"])
            raw["number"] = row["number"]
            row["number"] = number
            if not row.get("extension"):
                row["extension"] = extension
    if table == "phone" and not row.get("number"):
        report.problem("missing_number", where)
        return None
    if table == "phone" and phones.parse(row["number"], row.get("extension")).e164 is None:
        # kept as given and shown as text (no tel: number can be made of it), counted
        report.problem("unreadable_phone", where, row["number"])

    if table == "schedule":
        weekday = record.pop("weekday", None)
        if weekday and not row.get("byday"):
            code = DAY_NAMES.get(str(weekday).strip().lower())
            if code is None and str(weekday).strip().isdigit() and 1 <= int(weekday) <= 7:
                code = DAY_CODES[int(weekday) - 1]
            if code:
                row["byday"] = code
                if not row.get("freq"):
                    row["freq"] = "WEEKLY"
            else:
                report.problem("unreadable_weekday", where, weekday)
        if weekday:
            raw["weekday"] = weekday
        if truthy(record.get("closed")):  # 1.x holiday schedules: closed on those dates
            for field in ("opens_at", "closes_at"):
                if row.get(field) is not None:
                    raw[field] = row[field]
                    row[field] = None
        both = split_time_range(row.get("opens_at")) if not row.get("closes_at") else None
        if both:  # "8:00am-5:00pm" in one cell
            raw["opens_at"] = row["opens_at"]
            row["opens_at"], row["closes_at"] = both
            present.add("closes_at")
        opens, _ = normalize_time(row.get("opens_at"))
        closes, assumed = normalize_time(row.get("closes_at"), closing_after=opens)
        for field, value in (("opens_at", opens), ("closes_at", closes)):
            if row.get(field) is not None:
                if value is None:
                    report.problem("unreadable_time", f"{where}:{field}", row[field])
                if value != row[field]:
                    raw.setdefault(field, row[field])
                    if value is not None and not re.fullmatch(r"\d{2}:\d{2}(:00)?", row[field]):
                        report.problem("time_normalized", f"{where}:{field}", row[field])
                row[field] = value
        if both:  # the source had no closing time of its own (null: see _source_values)
            raw["closes_at"] = None
        if assumed:
            report.problem("closing_time_assumed_pm", where, raw.get("closes_at"))
        for field in ("valid_from", "valid_to", "dtstart", "until"):
            if row.get(field):
                value = normalize_date(row[field])
                if value != row[field]:
                    raw[field] = row[field]
                    if value is None:
                        report.problem("unreadable_date", f"{where}:{field}", row[field])
                row[field] = value
        if table == "schedule" and row.get("freq") == "DAILY" and not row.get("byday") \
                and row.get("valid_from") and row.get("valid_from") == row.get("valid_to"):
            # a dated exception (holiday hours): the weekday of that date, bounded by the dates
            try:
                day = datetime.strptime(row["valid_from"], "%Y-%m-%d").weekday()
                row["byday"] = DAY_CODES[day]
            except ValueError:
                pass
        if row.get("freq") == "DAILY":  # HSDS 3.1 knows WEEKLY and MONTHLY only
            raw["freq"] = "DAILY" if "freq" not in raw else raw["freq"]
            row["freq"] = "WEEKLY"
        if row.get("byday"):
            byday = ",".join(p.strip().upper() for p in re.split(r"[,; ]+", row["byday"]) if p)
            if byday != row["byday"]:
                raw["byday"] = row["byday"]
            row["byday"] = byday
        # the zone the row's local times mean: the import's, or the one fieldapp's own export
        # kept for it (original_text), so that the export imports again unchanged
        zone = record.pop("_timezone", None)
        zone = zone if is_zone(zone) else derived.zone
        shift = derived.shift_for(zone)
        if shift and row.get("opens_at"):
            # another zone's clock: the directory keeps its own zone's times
            opens, closes, byday = shift_times(row["opens_at"], row.get("closes_at"),
                                               row.get("byday"), shift, DAY_CODES)
            for field, value in (("opens_at", opens), ("closes_at", closes), ("byday", byday)):
                if value != row.get(field):
                    raw.setdefault(field, row.get(field))
                    row[field] = value
            extra["_timezone"] = zone
            report.problem("times_in_other_zone", where, zone)

    for field in URI_FIELDS.get(table, ()):
        if row.get(field) is not None:
            value = normalize_url(row[field])
            if value != row[field]:
                raw[field] = row[field]
                report.problem("url_normalized" if value else "not_a_uri", f"{where}:{field}",
                               row[field])
            row[field] = value
    if table == "address" and not row.get("country"):
        row["country"] = default_country()  # the source names none: the deployment's
        present.add("country")

    if table in limits.BY_TABLE and _too_long(table, where, row, record, report):
        return None
    if table == "service":
        if not row.get("name"):
            report.problem("missing_name", where)
            return None
        status = (row.get("status") or "").lower()
        if status not in STATUSES:
            if row.get("status"):
                report.problem("unknown_status", where, row["status"])
                raw["status"] = row["status"]
            row["status"] = "active"
        elif status != row["status"]:
            raw["status"] = row["status"]
            row["status"] = status
        if row.get("assured_date"):
            value = normalize_date(row["assured_date"])
            if value != row["assured_date"]:
                raw["assured_date"] = row["assured_date"]
                row["assured_date"] = value
        # app fields and extension columns
        for flag in SERVICE_FLAGS:
            if flag in record:
                row[flag] = 1 if truthy(record.pop(flag)) else 0
        for field in ("intake_phone", "intake_email", "intake_instructions"):
            if field in record:
                row[field] = record.pop(field)
        if "populations" in record:
            values = split_list(record.pop("populations"))
            known = [v for v in values if v in categories.POPULATIONS]
            for v in values:
                if v not in categories.POPULATIONS:
                    report.problem("unknown_population", where, v)
            row["populations"] = json.dumps(known)
        if "keywords" in record:
            row["keywords"] = ", ".join(split_list(record.pop("keywords")))
        for police in split_list(record.pop("partnerships", None)):
            derived.partnerships.add((row["id"], police.upper()))
        for code in split_list(record.pop("categories", None)):
            if code in categories.BY_CODE:
                derived.categories.add((row["id"], code))
            else:
                report.problem("unknown_category", where, code)
        for name in split_list(record.pop("languages", None)):
            derived.add_language("service_id", row["id"], name)
        if record.get("location_id"):  # Ohana: one location per service
            location_id = map_id("location", record.pop("location_id"))
            derived.add("service_at_location", {
                "id": derived_id("service_at_location", row["id"], location_id),
                "service_id": row["id"], "location_id": location_id})
        for code in split_list(record.pop("taxonomy_ids", None)):
            term_id = map_id("taxonomy_term", code)
            derived.add("attribute", {
                "id": derived_id("attribute", row["id"], term_id), "link_id": row["id"],
                "link_entity": "service", "link_type": "taxonomy", "taxonomy_term_id": term_id})
        for name in split_list(record.pop("service_areas", None)):
            derived.add("service_area", {"id": derived_id("service_area", row["id"], name),
                                         "service_id": row["id"], "name": name})
        documents = record.pop("required_documents", None)
        if documents:
            derived.add("required_document", {
                "id": derived_id("required_document", row["id"], documents),
                "service_id": row["id"], "document": documents})
    if table in ("service", "organization"):
        for source in split_list(record.pop("funding_sources", None)):
            derived.add("funding", {"id": derived_id("funding", row["id"], source),
                                    f"{table}_id": row["id"], "source": source})
    if table == "organization" and not row.get("name"):
        report.problem("missing_name", where)
        return None
    if table == "location":
        for name in split_list(record.pop("languages", None)):
            derived.add_language("location_id", row["id"], name)
        access = record.get("accessibility")
        if isinstance(access, str):
            record.pop("accessibility")
            for item in split_list(access):
                derived.add("accessibility", {"id": derived_id("accessibility", row["id"], item),
                                              "location_id": row["id"], "description": item})
        if "confidential" in record:
            row["confidential"] = 1 if truthy(record.pop("confidential")) else 0
        if not row.get("location_type") and "location_type" in present:
            row["location_type"] = "physical"
    if table == "language" and row.get("name"):
        _language(row, raw, derived)
    if table == "address" and not row.get("address_type") and "address_type" in present:
        row["address_type"] = "physical"
    if table == "language" and row.get("code") and "name" in present:
        present.add("code")
    if table == "schedule" and "weekday" in record or raw.get("weekday"):
        present |= {"byday", "freq"}
    if table == "service" and "status" not in present:
        row.pop("status", None)
    for field in fields:
        if field != "id" and field not in present and row.get(field) is None:
            row.pop(field, None)

    for key, value in record.items():
        if value is not None:
            extra[key] = value
    for key, value in padded.items():
        if key in fields and key not in raw and key != "id":
            raw[key] = value
    if raw:
        extra["_raw"] = raw
    if extra:
        row["extra_json"] = json.dumps(extra, ensure_ascii=False, sort_keys=True)
    return row


def _too_long(table: str, where: str, row: dict, record: dict, report: ImportReport) -> bool:
    """Does the row carry a value longer than the directory's form allows (limits.py)?  Such a
    row is skipped, each field reported with its length and the row's id."""
    values = {field: value for field, value in row.items()
              if field not in ("id", "source_id") and field not in REFERENCE_COLUMNS}
    if table == "service":
        values.update({field: ", ".join(map(str, record[field]))
                       if isinstance(record.get(field), list) else record.get(field)
                       for field in SERVICE_APP_FIELDS})
    found = limits.too_long(table, values)
    for field, length, limit in found:
        report.problem("too_long", f"{where}:{field}",
                       f"{length} > {limit} characters, id {str(row.get('source_id'))[:60]}")
    return bool(found)


class Derived:
    """Rows implied by cells of older layouts, and app links (categories, partnerships)."""

    def __init__(self, zone: str = "", target: str = "", on: str = ""):
        self.zone = zone  # the zone the package's local times mean
        self.target = target or zone  # the directory's zone
        self.on = on  # the import's date: each zone's daylight saving as it is that day
        self._shifts: dict[str, int] = {}
        self.rows: dict[str, list[dict]] = defaultdict(list)
        self.categories: set[tuple[str, str]] = set()
        self.partnerships: set[tuple[str, str]] = set()
        self.interpretation: set[str] = set()  # services that offer interpretation

    def shift_for(self, zone: str) -> int:
        """Minutes from `zone`'s clock to the directory's (0 for the directory's own)."""
        if not zone or zone == self.target:
            return 0
        if zone not in self._shifts:
            self._shifts[zone] = zone_shift(zone, self.target, self.on)
        return self._shifts[zone]

    def add(self, table: str, row: dict) -> None:
        self.rows[table].append(row)

    def add_language(self, column: str, owner_id: str, name: str) -> None:
        row = {"id": derived_id("language", owner_id, name.lower()), column: owner_id,
               "name": name}
        _language(row, {}, self)
        self.add("language", row)


def _language(row: dict, raw: dict, derived: Derived) -> None:
    """A language cell as a language: BCP 47 code, English name, the rest as a note; the raw
    text kept; "upon request" / "interpretation" flags the service (interpretation_available)."""
    parsed = languages.parse(row["name"])
    if not row.get("code") and parsed.code:
        row["code"] = parsed.code
    if parsed.code and row.get("code") == parsed.code and parsed.name != row["name"]:
        raw["name"] = row["name"]
        row["name"] = parsed.name
    if parsed.note and not row.get("note"):
        row["note"] = parsed.note
    if parsed.interpretation and row.get("service_id"):
        derived.interpretation.add(row["service_id"])
