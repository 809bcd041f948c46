"""Reading a package: folder, zip, one CSV or JSON file, the datapackage.json descriptor and
the CSV dialects, into raw rows per table (nothing is normalized here)."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections import defaultdict
from pathlib import Path

from flask_babel import gettext

from fieldapp import uploads
from fieldapp.directory.hsds.names import (
    CSV_FILE,
    FILES,
    HELD_FILES,
    IGNORED_FILES,
    MAX_PACKAGE_BYTES,
    SECONDARY_FILES,
    SERVICE_EXTENSION_COLUMNS,
    TABLE_OF_HSDS,
    TABLES,
    NotHSDS,
    map_id,
)
from fieldapp.directory.hsds.reconcile import ImportReport

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
        self.held: dict[str, uploads.Opener] = {}  # names.HELD_FILES found in the package
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
    """Read a folder (any depth: files under data/ too), a zip (holding files or one folder), a
    folder holding one zip, a CSV or JSON file (a path; bytes or a seekable binary stream with
    `filename`), or several uploaded files (a list of (name, stream): a folder sent by a browser)
    into a Package.  CSV files stay streams until collect() reads them."""
    if isinstance(path, (bytes, bytearray)):
        path = io.BytesIO(bytes(path))
    if isinstance(path, list):
        package = Package(filename or "upload", max_bytes, max_rows)
        if len(path) == 1:
            return _read_stream(package, path[0][1], report)
        files = {}
        for name, stream in path:
            relative = str(name).replace("\\", "/").lstrip("/")
            files.setdefault(relative, uploads.stream_opener(stream))
        return _from_files(package, files, report)
    if hasattr(path, "read"):
        package = Package(filename or "upload", max_bytes, max_rows)
        return _read_stream(package, path, report)
    path = Path(path)
    if not path.exists():
        raise NotHSDS(f"{path}: no such file or folder")
    package = Package(path.name, max_bytes, max_rows)
    if path.is_dir():
        found = sorted((child for child in path.rglob("*") if child.is_file()
                        and not any(part.startswith(".") or part == "__MACOSX"
                                    for part in child.relative_to(path).parts)),
                       key=lambda child: (len(child.relative_to(path).parts), str(child)))
        files = {child.relative_to(path).as_posix(): _file_opener(child) for child in found
                 if child.suffix.lower() in (".csv", ".json")}
        zips = [child for child in found if child.suffix.lower() == ".zip"]
        if not files and len(zips) == 1:  # a folder holding the package's zip
            path = zips[0]
        else:
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
            if info.is_dir() or base.startswith(".") or "__MACOSX" in info.filename \
                    or any(part.startswith(".") for part in info.filename.split("/")[:-1]):
                continue
            if not base.lower().endswith((".csv", ".json")):
                continue
            # The sizes a zip declares are checked first (nothing unpacked); the bytes actually
            # unpacked are counted again as they are read, since a header can lie.
            declared += info.file_size
            package.bytes.check_declared(declared)
            files.setdefault(info.filename, _member_opener(archive, info))
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


def _by_name(files: dict[str, uploads.Opener]) -> dict[str, tuple[str, uploads.Opener]]:
    """Files by lower-case base name (the shallowest wins): where a package's files are found
    whatever folder they sit in."""
    found: dict[str, tuple[str, uploads.Opener]] = {}
    for relative in sorted(files, key=lambda r: (r.count("/"), r)):
        found.setdefault(relative.rsplit("/", 1)[-1].lower(), (relative, files[relative]))
    return found


def _resource_file(resource: dict, folder: str, files: dict[str, uploads.Opener],
                   by_name: dict) -> tuple[str, str | None]:
    """(declared name, base name of the file found or None) of one descriptor resource: its
    `path` as written, then the same file name anywhere in the package, then the HSDS file name
    of the resource."""
    declared = str(resource.get("path") or "").replace("\\", "/").strip()
    base = declared.rsplit("/", 1)[-1].lower()
    lowered = {r.lower(): r for r in files}
    for candidate in (folder + declared.lower(), declared.lower()):
        if candidate and candidate in lowered:
            return base, lowered[candidate].rsplit("/", 1)[-1].lower()
    if base in by_name:
        return base, base
    name = str(resource.get("name") or "").strip().lower().replace("-", "_")
    table = TABLE_OF_HSDS.get(name) or (FILES.get(f"{name}.csv") or (None,))[0]
    for candidate in (f"{name}.csv", CSV_FILE.get(table or "", "")):
        if candidate and candidate in by_name:
            return base or candidate, candidate
    return base or f"{name}.csv", None


def _from_files(package: Package, files: dict[str, uploads.Opener], report: ImportReport,
                single_json: str | None = None) -> Package:
    by_name = _by_name(files)
    aliases: dict[str, str] = {}  # a declared file name that is not HSDS -> the HSDS one
    if "datapackage.json" in by_name:
        relative, opener = by_name["datapackage.json"]
        folder = relative[:-len("datapackage.json")].lower()
        try:
            descriptor = _json_document(package, "datapackage.json", opener)
            for resource in descriptor.get("resources") or []:
                if not isinstance(resource, dict):
                    continue
                declared, found = _resource_file(resource, folder, files, by_name)
                package.declared.append(declared)
                if found is None:
                    report.problem("missing_declared_file", declared)
                    continue
                name = str(resource.get("name") or "").strip().lower()
                table = TABLE_OF_HSDS.get(name)
                if found not in FILES and table:
                    aliases[found] = CSV_FILE[table]
        except (ValueError, AttributeError, TypeError) as error:
            if isinstance(error, uploads.UploadRefused):
                raise
            report.problem("unreadable_datapackage_json", "datapackage.json", str(error)[:60])
    for base, (_relative, opener) in by_name.items():
        if base == "datapackage.json":
            continue
        file_name = aliases.get(base, base)
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
            package.csv.setdefault(file_name, opener)
        elif file_name in HELD_FILES:
            package.held.setdefault(file_name, opener)
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


def held_rows(package: Package, report: ImportReport):
    """(file name, record) of every row of the package's HELD_FILES."""
    for file_name, opener in package.held.items():
        reader, text = _csv_records(package, file_name, opener)
        with text, uploads.readable_csv(file_name, reader):
            reader.fieldnames = [h.strip().lower() if h else "" for h in reader.fieldnames or []]
            for record in reader:
                record.pop(None, None)
                package.rows.spend()
                yield file_name, record
