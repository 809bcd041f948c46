"""Open Referral HSDS exchange: the ONE place that knows HSDS names and shapes.

Storage conventions (see also /tmp/tools/DIRECTORY_SCHEMA.md and hsds_tables.py):
- Tables carry HSDS 3.1 names and fields; HSDS `contact` is stored as `agency_contact`.
- Ids are UUIDs.  An imported row keeps its original id in `source_id`; its stored id is that id
  when it already is a UUID, else uuid5(NAMESPACE, "<table>:<original id>").  References are
  mapped the same way, so ids are deterministic: importing the same package again upserts the
  same rows (idempotent), and a reference to a row that is missing ("dangling") keeps its value.
- `extra_json` keeps unknown columns ({"column": "raw value"}) and, under "_raw", the raw value of
  every field the importer normalized (times, phone numbers, numbers, dates), so an export writes
  back exactly what came in as long as the normalized value was not edited since.
- App fields of service travel in HSDS exchange as extension columns of services.csv (and extra
  properties of a JSON service): accepts_referrals, joint_police_health (a team run by police
  with health, which the board report counts apart from non-police diversion), intake_phone,
  intake_email, intake_instructions, populations, keywords, partnerships (police services,
  "HRP,RCMP").
  Project categories travel as HSDS attributes linking the service to terms of the taxonomy
  CATEGORY_TAXONOMY_ID (term code = category code); Open Eligibility codes map to categories too.
- Accepted input: a 3.x Tabular Data Package (folder or zip, datapackage.json optional), HSDS 3.x
  JSON (list of services, Page with `contents`, one service, or the "tabular" JSON keyed by CSV
  file name), and 1.1/2.0 CSV packages (physical_addresses, postal_addresses, regular_schedules,
  holiday_schedules, services_taxonomy, taxonomy, ... and Ohana's layout with comma-joined cells).
- Import never deletes: rows missing from a later package stay (coordinators archive them).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import uuid
import zipfile
from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path

from flask_babel import gettext

from fieldapp import csv_safe, uploads
from fieldapp.db import writing
from fieldapp.directory import categories, disclosure, limits
from fieldapp.directory.disclosure import Disclosure
from fieldapp.directory.hsds_tables import HSDS_TABLES, REFERENCE_COLUMNS

HSDS_VERSION = "3.1"
PROFILE = "https://openreferral.org/imls/hsds/"
OPENAPI_URL = ("https://raw.githubusercontent.com/openreferral/specification/3.1/schema/"
               "openapi.json")
NAMESPACE = uuid.UUID("0b9a7c52-3f0e-4c1e-9a53-6d2f1c0e8a11")
CATEGORY_TAXONOMY_ID = str(uuid.uuid5(NAMESPACE, "taxonomy:fieldapp-categories"))

TABLES = {table: fields.split() for _name, table, _file, fields in HSDS_TABLES}
HSDS_NAME = {table: name for name, table, _file, _fields in HSDS_TABLES}
CSV_FILE = {table: file for _name, table, file, _fields in HSDS_TABLES}
ORDER = [table for _name, table, _file, _fields in HSDS_TABLES]
TABLE_OF_HSDS = {name: table for name, table, _file, _fields in HSDS_TABLES}

SERVICE_APP_FIELDS = ["accepts_referrals", "joint_police_health", "intake_phone", "intake_email",
                      "intake_instructions", "populations", "keywords"]
# App fields that are flags: "true"/"false" cells in CSV, booleans in JSON.
SERVICE_FLAGS = ["accepts_referrals", "joint_police_health"]
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
LANGUAGE_CODES = {
    "english": "en", "french": "fr", "français": "fr", "spanish": "es", "chinese": "zh",
    "mandarin": "zh", "cantonese": "yue", "tagalog": "tl", "arabic": "ar", "vietnamese": "vi",
    "russian": "ru", "portuguese": "pt", "korean": "ko", "japanese": "ja", "hindi": "hi",
    "punjabi": "pa", "urdu": "ur", "farsi": "fa", "persian": "fa", "german": "de",
    "italian": "it", "polish": "pl", "ukrainian": "uk", "somali": "so", "swahili": "sw",
    "tigrinya": "ti", "dari": "prs", "mi'kmaq": "mic", "mi'kmaw": "mic", "mi’kmaw": "mic",
    "american sign language": "ase", "asl": "ase", "sign language": "sgn", "tongan": "to",
    "samoan": "sm", "hebrew": "he", "greek": "el", "turkish": "tr", "burmese": "my",
}

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
    "organizations.csv": ("organization", {}, {}),
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
    "languages.csv": ("language", {}, {"language": "name"}),
    "phones.csv": ("phone", {}, {"number_type": "type"}),
})
# Files that share a table with another file of the same package: their ids get their own
# namespace ("1" in mail_addresses.csv is not "1" in addresses.csv).
SECONDARY_FILES = {"postal_addresses.csv", "mail_addresses.csv", "holiday_schedules.csv"}
# Files that only carry HSDS data an older version had and 3.x dropped: reported, not imported.
IGNORED_FILES = {"payment_accepted.csv", "eligibility.csv", "datapackage.json"}
MAX_PACKAGE_BYTES = 200 * 1024 * 1024


class NotHSDS(ValueError):
    """The input is not an HSDS package at all; nothing was written."""


class ImportReport:
    """What an import did: rows per table and every problem, with counts."""

    def __init__(self, source: str = ""):
        self.source = source
        self.format = ""
        self.counts: dict[str, Counter] = defaultdict(Counter)
        self.problems: Counter = Counter()
        self.examples: dict[tuple, str] = {}

    def problem(self, code: str, where: str, example: str = "") -> None:
        self.problems[(code, where)] += 1
        if example and (code, where) not in self.examples:
            self.examples[(code, where)] = str(example)[:120]

    def count(self, table: str, what: str, n: int = 1) -> None:
        self.counts[table][what] += n

    @property
    def changed(self) -> int:
        return sum(c["inserted"] + c["updated"] for c in self.counts.values())

    def to_dict(self) -> dict:
        return {
            "source": self.source, "format": self.format,
            "tables": {t: dict(c) for t, c in sorted(self.counts.items())},
            "problems": [{"code": code, "where": where, "count": n,
                          "example": self.examples.get((code, where), "")}
                         for (code, where), n in sorted(self.problems.items())],
        }

    def to_text(self) -> str:
        lines = [f"Imported {self.source} ({self.format})"]
        for table, c in sorted(self.counts.items()):
            parts = ", ".join(f"{k} {v}" for k, v in sorted(c.items()))
            lines.append(f"  {table}: {parts}")
        if self.problems:
            lines.append(f"Problems ({sum(self.problems.values())}):")
            for (code, where), n in sorted(self.problems.items()):
                example = self.examples.get((code, where))
                suffix = f" (e.g. {example})" if example else ""
                lines.append(f"  {n} x {code} in {where}{suffix}")
        else:
            lines.append("No problems.")
        return "\n".join(lines)


# --- ids ------------------------------------------------------------------------------------

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def is_uuid(value) -> bool:
    return bool(value) and bool(_UUID.match(str(value)))


def map_id(table: str, raw) -> str | None:
    """Stored id of a row (or reference) whose id in the package is `raw`."""
    if raw is None or str(raw).strip() == "":
        return None
    raw = str(raw).strip()
    return raw if is_uuid(raw) else str(uuid.uuid5(NAMESPACE, f"{table}:{raw}"))


def derived_id(table: str, *parts) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{table}:" + "|".join(str(p) for p in parts)))


# --- value normalization ----------------------------------------------------------------------

_TIME = re.compile(
    r"^(?P<h>\d{1,2})(?:[:h.]?(?P<m>\d{2}))?(?::(?P<s>\d{2})(?:\.\d+)?)?\s*"
    r"(?P<ap>a\.?m?\.?|p\.?m?\.?)?\s*(?P<tz>Z|[+-]\d{2}:?\d{2})?$", re.I)


def normalize_time(value, closing_after: str | None = None) -> tuple[str | None, bool]:
    """("HH:MM", assumed_pm) for '9:00a', '5 pm', '17h30', '10:00:00', '0900', 'noon' ...;
    (None, False) when unreadable.  A closing time like '5:00' (no am/pm, no leading zero)
    earlier than a morning opening time is taken as pm: assumed_pm is then True."""
    if value is None:
        return None, False
    text = str(value).strip().lower()
    if not text:
        return None, False
    if text in ("noon", "midi"):
        return "12:00", False
    if text in ("midnight", "minuit"):
        return ("24:00" if closing_after else "00:00"), False
    match = _TIME.match(text.replace(" ", "") if re.search(r"\d\s+[ap]", text) is None else text)
    if not match:
        return None, False
    hour = int(match["h"])
    minute = int(match["m"] or 0)
    ap = (match["ap"] or "").replace(".", "")
    if ap:
        if not 1 <= hour <= 12:
            return None, False
        hour = hour % 12 + (12 if ap.startswith("p") else 0)
    if hour > 24 or minute > 59 or (hour == 24 and minute):
        return None, False
    assumed = False
    if (closing_after and not ap and 1 <= hour <= 11 and not match["h"].startswith("0")
            and len(match["h"]) == 1):
        opens = int(closing_after[:2])
        if opens < 12 and hour * 60 + minute <= opens * 60 + int(closing_after[3:5]) \
                and hour + 12 > opens:
            hour += 12
            assumed = True
    return f"{hour:02d}:{minute:02d}", assumed


_EXTENSION = re.compile(r"^(?P<number>.*?\d)\s*(?:,|;)?\s*(?:ext\.?|extension|x|poste|#)\s*"
                        r"(?P<ext>\d{1,6})\s*$", re.I)


def split_extension(number: str) -> tuple[str, str | None]:
    match = _EXTENSION.match(number or "")
    if match:
        return match["number"].strip(), match["ext"]
    return number, None


def normalize_date(value) -> str | None:
    text = str(value or "").strip()
    if not text:
        return None
    if re.match(r"^\d{4}-\d{2}-\d{2}", text):
        return text[:10]
    for fmt in ("%m/%d/%Y", "%m/%d/%y", "%B %d, %Y", "%d %B %Y", "%Y/%m/%d"):
        try:
            return datetime.strptime(text, fmt).date().isoformat()
        except ValueError:
            continue
    match = re.match(r"^(\w+) (\d{1,2}), (\d{1,4})$", text)  # "January 01, 0001"
    if match:
        try:
            return datetime.strptime(f"{match[1]} {match[2]} {int(match[3]):04d}",
                                     "%B %d %Y").date().isoformat()
        except ValueError:
            return None
    return None


def number_text(value) -> str | None:
    """A number as compact text ('100.0' -> '100'); None when not a number."""
    try:
        number = float(str(value).strip())
    except (TypeError, ValueError):
        return None
    if number != number or number in (float("inf"), float("-inf")):
        return None
    return str(int(number)) if number.is_integer() and abs(number) < 1e15 else repr(number)


def truthy(value) -> bool:
    return str(value or "").strip().lower() in ("1", "true", "yes", "y", "t", "oui", "x")


def split_list(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    text = str(value).strip()
    if text.startswith("["):
        try:
            return [str(v).strip() for v in json.loads(text) if str(v).strip()]
        except (ValueError, TypeError):
            pass
    return [part.strip() for part in re.split(r"[,;|]", text) if part.strip()]


def language_code(name: str) -> str | None:
    text = (name or "").strip().lower()
    if re.fullmatch(r"[a-z]{2,3}", text):
        return text
    return LANGUAGE_CODES.get(text)


def _clean(value):
    if value is None:
        return None
    if isinstance(value, (dict, list)):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return number_text(value)
    text = str(value).strip()
    return text if text else None


# --- reading packages -------------------------------------------------------------------------


class Package:
    """Raw input: CSV files by name (opened again as streams when read) and JSON documents,
    with the caps the whole package is read under."""

    def __init__(self, name: str, max_bytes: int = MAX_PACKAGE_BYTES,
                 max_rows: int | None = None):
        self.name = name
        self.csv: dict[str, uploads.Opener] = {}
        self.json: list[tuple[str, object]] = []
        self.declared: list[str] = []
        self.other: list[str] = []
        self.bytes = uploads.ByteBudget(max_bytes, name)
        self.rows = uploads.RowBudget(max_rows, name)
        self.open_files: list = []  # the zip or file the CSV openers read from

    def close(self) -> None:
        for handle in self.open_files:
            handle.close()


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def read_input(path, report: ImportReport, filename: str | None = None, *,
               max_bytes: int = MAX_PACKAGE_BYTES, max_rows: int | None = None) -> Package:
    """Read a folder, zip, CSV or JSON file (a path; bytes or a seekable binary stream with
    `filename`) into a Package.  CSV files stay streams until collect() reads them."""
    if isinstance(path, (bytes, bytearray)):
        path = io.BytesIO(bytes(path))
    if hasattr(path, "read"):
        package = Package(filename or "upload", max_bytes, max_rows)
        return _read_stream(package, path, report)
    path = Path(path)
    if not path.exists():
        raise NotHSDS(f"{path}: no such file or folder")
    package = Package(path.name, max_bytes, max_rows)
    if path.is_dir():
        files = {child.name: _file_opener(child) for child in sorted(path.iterdir())
                 if child.is_file() and child.suffix.lower() in (".csv", ".json")}
        return _from_files(package, files, report)
    package.bytes.check_declared(path.stat().st_size)
    stream = path.open("rb")
    package.open_files.append(stream)
    try:
        return _read_stream(package, stream, report)
    except BaseException:
        package.close()
        raise


def _file_opener(path: Path) -> uploads.Opener:
    return lambda: path.open("rb")


def _read_stream(package: Package, stream, report: ImportReport) -> Package:
    name = package.name
    lower = name.lower()
    stream.seek(0)
    start = stream.read(4)
    stream.seek(0)
    if lower.endswith(".zip") or start == b"PK\x03\x04":
        if _zip_directory_size(stream) > MAX_ZIP_DIRECTORY:
            raise uploads.UploadTooLarge(gettext(
                "%(name)s holds too many files for an HSDS package.", name=name))
        try:
            archive = zipfile.ZipFile(stream)
        except (zipfile.BadZipFile, ValueError, EOFError) as error:
            raise NotHSDS(f"{name}: not a readable zip file ({error})") from None
        files, declared = {}, 0
        for info in archive.infolist():
            base = info.filename.rsplit("/", 1)[-1]
            if info.is_dir() or base.startswith(".") or "__MACOSX" in info.filename:
                continue
            if not base.lower().endswith((".csv", ".json")):
                continue
            # The sizes a zip declares are checked first (nothing unpacked); the bytes actually
            # unpacked are counted again as they are read, since a header can lie.
            declared += info.file_size
            package.bytes.check_declared(declared)
            files.setdefault(base, _member_opener(archive, info))
        package.open_files.append(archive)
        return _from_files(package, files, report)
    opener = uploads.stream_opener(stream)
    if lower.endswith(".json"):
        return _from_files(package, {"__single__.json": opener}, report, single_json=name)
    if lower.endswith(".csv"):
        base = lower.rsplit("/", 1)[-1]
        if base not in FILES:
            raise NotHSDS(
                f"{name} is not an HSDS file: expected a datapackage (folder or zip of HSDS CSV "
                "files such as organizations.csv and services.csv), or HSDS JSON.")
        return _from_files(package, {base: opener}, report)
    text = stream.read(1024).lstrip()[:1]
    if text in (b"[", b"{"):
        return _from_files(package, {"__single__.json": opener}, report, single_json=name)
    raise NotHSDS(f"{name}: not an HSDS package (expected a zip, a folder, CSV or JSON)")


# zipfile reads a zip's whole central directory (one entry per file) into memory at once: a
# small upload listing a million empty files would cost a worker hundreds of MB.  1 MB is
# room for thousands of files; an HSDS package has about thirty.
MAX_ZIP_DIRECTORY = 1024 * 1024


def _zip_directory_size(stream) -> int:
    """The size of the central directory a zip's end record declares (0 when none is found,
    which zipfile then refuses as not a zip)."""
    stream.seek(0, io.SEEK_END)
    stream.seek(max(0, stream.tell() - 22 - 65_535))  # end record + the longest comment
    tail = stream.read()
    stream.seek(0)
    at = tail.rfind(b"PK\x05\x06")
    if at == -1 or len(tail) < at + 16:
        return 0
    return int.from_bytes(tail[at + 12:at + 16], "little")


def _member_opener(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> uploads.Opener:
    return lambda: archive.open(info)


def _read_capped(package: Package, name: str, opener: uploads.Opener) -> bytes:
    return uploads.read_all(opener, name, package.bytes)


# JSON deeper than this is no HSDS document (a service with its locations and their phones is
# about 8 levels); deeper nesting would exhaust the recursion of parsing and flattening.
MAX_JSON_DEPTH = 64


def _json_document(package: Package, name: str, opener: uploads.Opener):
    """One JSON file, parsed; ValueError when it is not JSON, UploadRefused when too deep."""
    data = _read_capped(package, name, opener)
    try:
        document = json.loads(_decode(data))
    except RecursionError:
        raise _too_deep(name) from None
    del data
    stack = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise _too_deep(name)
        children = value.values() if isinstance(value, dict) else value \
            if isinstance(value, list) else ()
        stack.extend((child, depth + 1) for child in children
                     if isinstance(child, (dict, list)))
    return document


def _too_deep(name: str) -> uploads.UploadRefused:
    return uploads.UploadRefused(gettext(
        "%(name)s nests objects more than %(depth)s levels deep; this is not an HSDS document.",
        name=name, depth=MAX_JSON_DEPTH))


def _from_files(package: Package, files: dict[str, uploads.Opener], report: ImportReport,
                single_json: str | None = None) -> Package:
    lowered = {k.lower(): v for k, v in files.items()}
    if "datapackage.json" in lowered:
        try:
            descriptor = _json_document(package, "datapackage.json", lowered["datapackage.json"])
            for resource in descriptor.get("resources") or []:
                target = str(resource.get("path") or "").rsplit("/", 1)[-1].lower()
                if target:
                    package.declared.append(target)
        except (ValueError, AttributeError, TypeError) as error:
            if isinstance(error, uploads.UploadRefused):
                raise
            report.problem("unreadable_datapackage_json", "datapackage.json", str(error)[:60])
    for declared in package.declared:
        if declared not in lowered:
            report.problem("missing_declared_file", declared)
    for file_name, opener in lowered.items():
        if file_name == "datapackage.json":
            continue
        if file_name.endswith(".json"):
            where = single_json or file_name
            try:
                package.json.append((where, _json_document(package, where, opener)))
            except uploads.UploadRefused:
                raise
            except ValueError as error:
                if single_json:
                    raise NotHSDS(f"{single_json}: not valid JSON ({error})") from None
                report.problem("unreadable_json", file_name, str(error))
        elif file_name in FILES:
            package.csv[file_name] = opener
        elif file_name in IGNORED_FILES:
            report.problem("file_not_imported", file_name)
        else:
            package.other.append(file_name)
            report.problem("unknown_file", file_name)
    return package


# --- rows from CSV and nested JSON ----------------------------------------------------------

class Rows:
    """Raw rows per table collected from a package, before normalization (counted against the
    package's row cap as they come)."""

    def __init__(self, budget: uploads.RowBudget | None = None):
        self.by_table: dict[str, list[tuple[str, dict]]] = defaultdict(list)
        self.budget = budget or uploads.RowBudget(None, "")

    def add(self, table: str, where: str, row: dict) -> None:
        self.budget.spend()
        self.by_table[table].append((where, row))


def _csv_records(package: Package, file_name: str, opener: uploads.Opener):
    """(DictReader, its text stream) of one CSV file of the package, read as a stream after
    its bytes were counted and its encoding found."""
    encoding = uploads.sniff_encoding(opener, file_name, package.bytes) or "latin-1"
    text = uploads.open_text(opener, file_name, encoding)
    return uploads.csv_dicts(text, file_name), text


def _csv_rows(package: Package, rows: Rows, report: ImportReport) -> int:
    usable = 0
    for file_name, opener in package.csv.items():
        reader, text = _csv_records(package, file_name, opener)
        with text, uploads.readable_csv(file_name, reader):
            usable += _csv_file_rows(file_name, reader, rows, report)
    return usable


def _csv_file_rows(file_name: str, reader: csv.DictReader, rows: Rows,
                   report: ImportReport) -> int:
    table, fixed, renames = FILES[file_name]
    header = [h.strip().lower() if h else "" for h in (reader.fieldnames or [])]
    known = set(TABLES[table]) | set(renames) | {"taxonomy_id", "id"}
    if table == "service":
        known |= set(SERVICE_EXTENSION_COLUMNS) | {"categories", "languages", "location_id"}
    if not header or not (set(header) & known) or (
            "id" not in header and not (file_name == "taxonomy.csv"
                                        and "taxonomy_id" in header)):
        report.problem("not_an_hsds_table", file_name, ",".join(header[:6]))
        return 0
    reader.fieldnames = header
    for number, record in enumerate(reader, start=2):
        if None in record:  # more cells than headers
            report.problem("extra_cells", file_name, f"line {number}")
            record.pop(None)
        record = {k: v for k, v in record.items() if k}
        if file_name == "taxonomy.csv":  # HSDS 1.x/Ohana: the id is the term's code
            if "id" not in record and "taxonomy_id" in record:
                record["id"] = record.pop("taxonomy_id")
            if not record.get("code"):
                record["code"] = record.get("id")
        for old, new in renames.items():
            if old in record and new not in record:
                record[new] = record.pop(old)
        for key, value in fixed.items():
            if not record.get(key):
                record[key] = value
        if file_name in SECONDARY_FILES and record.get("id"):
            record["id"] = map_id(f"{table}/{file_name}", record["id"])
            record.setdefault("_file_id", True)
        rows.add(table, file_name, record)
    return 1


# nested key -> (table, how): "child" = list of rows pointing to the parent via the column,
# "parent" = one object the parent points to via its column.
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


# --- normalization of one row -----------------------------------------------------------------


def _normalize(table: str, where: str, record: dict, report: ImportReport,
               derived: Derived) -> dict | None:
    fields = TABLES[table]
    raw: dict = {}
    extra: dict = {}
    row: dict = {}
    padded = {str(k).strip().lower(): v for k, v in record.items()
              if isinstance(v, str) and v.strip() and v != v.strip()}
    record = {str(k).strip().lower(): _clean(v) for k, v in record.items()}
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
    for field in fields:
        if field == "id":
            continue
        value = record.pop(field, None)
        if isinstance(value, (dict, list)):
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
    for field in fields:
        if field in NUMBER_FIELDS and row.get(field) is not None:
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
            raw["weekday"] = weekday
        opens, _ = normalize_time(row.get("opens_at"))
        closes, assumed = normalize_time(row.get("closes_at"), closing_after=opens)
        for field, value in (("opens_at", opens), ("closes_at", closes)):
            if row.get(field) is not None:
                if value is None:
                    report.problem("unreadable_time", f"{where}:{field}", row[field])
                if value != row[field]:
                    raw[field] = row[field]
                    if value is not None and not re.fullmatch(r"\d{2}:\d{2}(:00)?", row[field]):
                        report.problem("time_normalized", f"{where}:{field}", row[field])
                row[field] = value
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
    if table == "language" and row.get("name") and not row.get("code"):
        code = language_code(row["name"])
        if code:
            row["code"] = code
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

    def __init__(self):
        self.rows: dict[str, list[dict]] = defaultdict(list)
        self.categories: set[tuple[str, str]] = set()
        self.partnerships: set[tuple[str, str]] = set()

    def add(self, table: str, row: dict) -> None:
        self.rows[table].append(row)

    def add_language(self, column: str, owner_id: str, name: str) -> None:
        self.add("language", {"id": derived_id("language", owner_id, name.lower()),
                              column: owner_id, "name": name, "code": language_code(name)})


# --- import -----------------------------------------------------------------------------------


def collect(package: Package, report: ImportReport) -> tuple[dict[str, list[dict]], Derived]:
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
    derived = Derived()
    tables: dict[str, dict[str, dict]] = {table: {} for table in ORDER}
    for table in ORDER:
        # raw rows of a table are dropped once normalized: the package is never held twice
        for where, record in rows.by_table.pop(table, []):
            row = _normalize(table, where, record, report, derived)
            if row is None:
                report.count(table, "skipped")
                continue
            existing = tables[table].get(row["id"])
            if existing is not None:
                # Nested JSON repeats objects (a phone under the service and its location):
                # merge the copies; only conflicting values are a duplicate id.
                conflict = [k for k, v in row.items() if v is not None and k != "extra_json"
                            and existing.get(k) is not None and _cmp(existing[k]) != _cmp(v)]
                if conflict or where.endswith(".csv"):
                    report.problem("duplicate_id", where, row["source_id"])
                    report.count(table, "skipped")
                    continue
                for key, value in row.items():
                    if existing.get(key) is None and value is not None:
                        existing[key] = value
                continue
            tables[table][row["id"]] = row
    for table, derived_rows in derived.rows.items():
        for record in derived_rows:
            full = {field: record.get(field) for field in TABLES[table]}
            full.update({"source_id": None, "extra_json": None})
            tables[table].setdefault(full["id"], full)
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


def _existing(db, table: str, ids: list[str]) -> dict[str, dict]:
    found = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        marks = ",".join("?" * len(chunk))
        for row in db.query(f"SELECT * FROM [{table}] WHERE id IN ({marks})", chunk):
            found[row["id"]] = row
    return found


def _check_references(db, tables: dict[str, list[dict]], report: ImportReport) -> None:
    known = {table: {row["id"] for row in rows} for table, rows in tables.items()}
    wanted: dict[str, set] = defaultdict(set)
    for rows in tables.values():
        for row in rows:
            for column, target in REFERENCE_COLUMNS.items():
                value = row.get(column)
                if value and value not in known.get(target, ()):
                    wanted[target].add(value)
    present = {target: set(_existing(db, target, sorted(ids))) for target, ids in wanted.items()}
    for table, rows in tables.items():
        for row in rows:
            for column, target in REFERENCE_COLUMNS.items():
                value = row.get(column)
                if value and value not in known.get(target, ()) and \
                        value not in present.get(target, ()):
                    report.problem("dangling_reference", f"{table}.{column}", row.get(column))


def write(db, tables: dict[str, list[dict]], derived: Derived, report: ImportReport,
          now: str, police_services=None) -> None:
    """Upsert rows by id; unchanged rows are not touched (idempotent)."""
    for table in ORDER:
        rows = tables.get(table)
        if not rows:
            continue
        existing = _existing(db, table, [row["id"] for row in rows])
        inserts, updates = [], []
        for row in rows:
            old = existing.get(row["id"])
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
            db[table].insert_all([{c: r.get(c, _default(table, c)) for c in columns}
                                  for r in inserts], batch_size=200)
            report.count(table, "inserted", len(inserts))
        for row_id, changes in updates:
            db[table].update(row_id, changes)
        if updates:
            report.count(table, "updated", len(updates))
    _derive_categories(db, tables, derived)
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


def _cmp(value):
    if value is None:
        return None
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
                   max_rows: int | None = None) -> ImportReport:
    """Import an HSDS package (path, or bytes or a seekable binary stream + filename).  Raises
    NotHSDS when the input is not HSDS at all, uploads.UploadRefused when it is damaged or over
    `max_bytes` unpacked / `max_rows` rows (nothing written either way); otherwise imports
    what is usable and reports the rest."""
    source = filename or (Path(path).name if isinstance(path, (str, Path)) else "")
    report = ImportReport(source)
    package = read_input(path, report, filename, max_bytes=max_bytes, max_rows=max_rows)
    try:
        tables, derived = collect(package, report)
    finally:
        package.close()
    _check_references(db, tables, report)
    if dry_run:
        return report
    with writing(db):
        write(db, tables, derived, report, now, police_services)
    return report


# --- export -----------------------------------------------------------------------------------


def _restore(row: dict, table: str) -> tuple[dict, dict]:
    """HSDS fields of a stored row with raw values restored, and its unknown columns."""
    extra = json.loads(row.get("extra_json") or "{}")
    raw = extra.pop("_raw", {}) if isinstance(extra.get("_raw"), dict) else {}
    out = {}
    for field in TABLES[table]:
        value = row.get(field)
        if field in raw:
            if field in ("weekday",):
                continue
            if _same_after_normalizing(table, field, raw[field], value, row):
                value = raw[field]
        if isinstance(value, float):
            value = number_text(value)
        out[field] = value
    if table == "location" and not out.get("location_type"):
        out["location_type"] = "physical"
    if table == "address" and not out.get("address_type"):
        out["address_type"] = "physical"
    for field in REQUIRED_TEXT.get(table, ()):
        if not out.get(field):
            out[field] = out.get("name") or "-"  # HSDS requires it; older data often lacks it
    return out, extra


def _same_after_normalizing(table, field, raw_value, value, row) -> bool:
    if field in REFERENCE_COLUMNS:
        return False  # non-UUID references export as UUIDs
    if field in ("link_id", "resource_id"):
        return False
    if field in NUMBER_FIELDS:
        if field in ("latitude", "longitude") and value is not None:
            return number_text(raw_value) == number_text(value)
        return number_text(raw_value) == value
    if field in ("opens_at",):
        return normalize_time(raw_value)[0] == value
    if field == "closes_at":
        opens = normalize_time(row.get("opens_at"))[0] if row.get("opens_at") else None
        return normalize_time(raw_value, closing_after=opens)[0] == value
    if field in ("valid_from", "valid_to", "dtstart", "until", "assured_date"):
        return normalize_date(raw_value) == value
    if field == "number":
        return split_extension(raw_value)[0] == value
    if field == "byday":
        return ",".join(p.strip().upper() for p in re.split(r"[,; ]+", raw_value) if p) == value
    if field == "status":
        return False
    return str(raw_value).strip() == value


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
            fields, extra = _restore(row, table)
            if table == "service":
                fields.update(_service_extensions(db, row, partnerships))
            if table == "location" and row.get("confidential"):
                fields["confidential"] = "true"  # extension column (internal exports only)
            for key, value in extra.items():
                if key not in fields:
                    fields[key] = value if not isinstance(value, (dict, list)) else \
                        json.dumps(value, ensure_ascii=False)
            rows.append(rule.clean(fields))
        if rows:
            out[table] = rows
    return out


def _field_type(field: str) -> str:
    if field in NUMBER_FIELDS:
        return "number"
    if field in ("last_modified", "updated"):
        return "datetime"
    if field in ("valid_from", "valid_to", "dtstart", "until", "assured_date",
                 "last_action_date"):
        return "date"
    return "string"


def export_csv(db, outdir, *, internal: bool = False) -> dict[str, int]:
    """Write a 3.x Tabular Data Package (datapackage.json + one CSV per table) into outdir:
    the shared package, or with `internal` everything (confidential addresses included)."""
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    tables = export_tables(db, disclosure.Disclosure(db, internal=internal))
    resources, counts = [], {}
    for table in ORDER:
        rows = tables.get(table, [])
        columns = list(TABLES[table])
        if table == "service":
            columns += SERVICE_EXTENSION_COLUMNS
        for row in rows:
            for key in row:
                if key not in columns:
                    columns.append(key)
        path = outdir / CSV_FILE[table]
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv_safe.dict_writer(handle, columns, lineterminator="\n")
            writer.writeheader()
            for row in rows:
                writer.writerow({c: ("" if row.get(c) is None else row.get(c)) for c in columns})
        counts[HSDS_NAME[table]] = len(rows)
        resources.append({
            "name": HSDS_NAME[table], "path": CSV_FILE[table], "profile": "tabular-data-resource",
            "format": "csv", "mediatype": "text/csv", "encoding": "utf-8",
            "schema": {"fields": [{"name": c, "type": _field_type(c)} for c in columns],
                       "primaryKey": "id"},
        })
    descriptor = {"name": "fieldapp-directory", "profile": "tabular-data-package",
                  "title": "fieldapp partner-service directory (HSDS 3.1)",
                  "version": HSDS_VERSION, "resources": resources}
    (outdir / "datapackage.json").write_text(json.dumps(descriptor, indent=2) + "\n",
                                              encoding="utf-8")
    return counts


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
    fields, extra = _restore(row, table)
    out = {}
    for field, value in fields.items():
        value = _json_value(field, value)
        if value is not None:
            out[field] = value
    for key, value in (extensions or {}).items():
        if value is not None:
            out[key] = value
    for key, value in extra.items():
        out.setdefault(key, value)
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
    """Write services.json (every service, nested): shared, or with `internal` everything."""
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    rule = disclosure.Disclosure(db, internal=internal)
    ids = [r["id"] for r in db.query("SELECT id FROM service ORDER BY rowid")]
    services = []
    for start in range(0, len(ids), 500):
        services += full_services(db, ids[start:start + 500], rule)
    (outdir / "services.json").write_text(
        json.dumps(services, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return len(services)


# --- the HSDS API's queries -------------------------------------------------------------------


def fts_query(text: str) -> str | None:
    """User text as a safe FTS5 query: every word quoted, prefix-matched, ANDed."""
    words = re.findall(r"\w+", text or "", re.UNICODE)
    return " ".join(f'"{word}"*' for word in words[:12]) or None


def list_services(db, *, search: str = "", taxonomy_term_id: str = "", taxonomy_id: str = "",
                  organization_id: str = "", modified_after: str = "", page: int = 1,
                  per_page: int = 25) -> dict:
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
    if modified_after:
        where.append("coalesce(s.updated_at, s.last_modified, '') > ?")
        params.append(modified_after)
    sql_where = " AND ".join(where)
    total = db.execute(f"SELECT count(*) FROM service s {join} WHERE {sql_where}",
                       params).fetchone()[0]
    order = "bm25(service_fts, 10.0, 4.0, 3.0, 1.0, 2.0, 2.0), s.name" if query else "s.name, s.id"
    ids = [r["id"] for r in db.query(
        f"SELECT s.id FROM service s {join} WHERE {sql_where} ORDER BY {order} LIMIT ? OFFSET ?",
        params + [per_page, (page - 1) * per_page])]
    total_pages = max(1, -(-total // per_page))
    return {"total_items": total, "total_pages": total_pages, "page_number": page,
            "size": len(ids), "first_page": page == 1, "last_page": page >= total_pages,
            "empty": not ids, "contents": ids}


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
