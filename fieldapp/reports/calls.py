"""Calls-for-service CSV import (from the dispatch / records system).

The file has a header row and, per call: a date/time, a call type, and a pseudonymous person key
(empty when no person is attached), optionally the dispatch's own call id.  Accepted headers
(case and spaces ignored): date/time = "date/time", "datetime", "called_at", "date"; call type =
"call type", "call_type", "type"; person key = "person key", "person_key", "key"; call id =
"call id", "call_id", "incident", "id".

Times with an offset ("2026-03-02T14:05:00-04:00", "...Z") are taken as they are; times without
one are local time of the configured TIMEZONE.  Stored in UTC.

Uploads are read as streams, row by row, never whole (fieldapp/uploads.py); a file over
UPLOAD_MAX_UNPACKED_BYTES or UPLOAD_MAX_ROWS, or not readable as CSV, is refused whole.

All or nothing: if any row is wrong, nothing is stored and every wrong row is reported (up to
MAX_ERRORS), e.g. "Row 7: date/time “yesterday” is not a date and time".  Re-importing the same
file stores nothing twice: a call's id is the dispatch call id when given, else a hash of
(date/time, call type, person key).
"""

import hashlib
import io
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask_babel import gettext as _

from fieldapp import uploads
from fieldapp.reports import calls_store

MAX_ERRORS = 50
MAX_FIELD = 200
FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M")
HEADERS = {
    "called_at": {"date/time", "datetime", "date_time", "called_at", "date", "call time",
                  "call_time"},
    "call_type": {"call type", "call_type", "type"},
    "person_key": {"person key", "person_key", "key"},
    "call_id": {"call id", "call_id", "incident", "id"},
}


@dataclass
class ImportResult:
    rows: list[dict]
    errors: list[str]
    total: int = 0


def _header_map(header: list[str]) -> dict[str, int]:
    found = {}
    for index, name in enumerate(header):
        clean = " ".join(name.strip().lower().replace("\ufeff", "").split())
        for field, names in HEADERS.items():
            if clean in names and field not in found:
                found[field] = index
    return found


def parse_time(value: str, tz: str) -> datetime | None:
    value = value.strip()
    if not value:
        return None
    moment = None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        for fmt in FORMATS:
            try:
                moment = datetime.strptime(value, fmt)
                break
            except ValueError:
                continue
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(tz))
    return moment.astimezone(UTC)


def _read(records: Iterator[list[str]], tz: str, batch: str, now: str,
          result: ImportResult) -> Iterator[dict]:
    """The calls of a CSV, one at a time, as rows to store; wrong rows are counted and
    described in `result.errors` instead (the caller stores nothing when there are any)."""
    header = next(records, None)
    if not header:
        result.errors.append(_("The file is empty."))
        return
    columns = _header_map(header)
    missing = [label for field, label in (("called_at", _("date/time")),
                                           ("call_type", _("call type")),
                                           ("person_key", _("person key")))
               if field not in columns]
    if missing:
        result.errors.append(_("Missing column(s): %(names)s. The first row must name the "
                               "columns date/time, call type and person key.",
                               names=", ".join(missing)))
        return
    errors = result.errors
    for number, record in enumerate(records, start=2):
        if not any(cell.strip() for cell in record):
            continue
        result.total += 1

        def cell(field, record=record):
            index = columns.get(field)
            return record[index].strip() if index is not None and index < len(record) else ""

        problems = []
        raw_time = cell("called_at")
        moment = parse_time(raw_time, tz)
        if not raw_time:
            problems.append(_("date/time is empty"))
        elif moment is None:
            problems.append(_("date/time “%(value)s” is not a date and time (use "
                              "2026-03-02 14:05 or ISO 8601)", value=raw_time[:40]))
        call_type = cell("call_type")
        if not call_type:
            problems.append(_("call type is empty"))
        person_key = cell("person_key")
        call_id = cell("call_id")
        if any(len(v) > MAX_FIELD for v in (call_type, person_key, call_id)):
            problems.append(_("a value is longer than %(n)s characters", n=MAX_FIELD))
        if problems:
            if len(errors) < MAX_ERRORS:
                errors.append(_("Row %(row)s: %(problems)s.", row=number,
                                problems="; ".join(problems)))
            elif len(errors) == MAX_ERRORS:
                errors.append(_("… and more rows with errors."))
            continue
        called_at = moment.isoformat(timespec="seconds")
        natural = call_id or hashlib.sha256(
            f"{called_at}\x1f{call_type}\x1f{person_key}".encode()).hexdigest()[:32]
        yield {"id": natural, "called_at": called_at, "call_type": call_type,
               "person_key": person_key or None, "imported_at": now, "import_batch": batch}
    if result.total == 0 and not errors:
        errors.append(_("The file has no calls."))


def _capped(records: Iterator[list[str]], name: str,
            max_rows: int | None) -> Iterator[list[str]]:
    for count, record in enumerate(records):
        if max_rows is not None and count > max_rows:  # the header is row 0
            raise uploads.too_many_rows(name, max_rows)
        yield record


def parse(text: str, tz: str, batch: str, now: str) -> ImportResult:
    """Check every row of a calls CSV held in memory; return the rows to store and the errors
    found (the demo's few calls; uploads are read as streams by import_file)."""
    result = ImportResult([], [])
    result.rows = list(_read(uploads.csv_rows(io.StringIO(text, newline=""), "calls.csv"),
                             tz, batch, now, result))
    return result


def import_text(db, text: str, tz: str, now: str) -> tuple[ImportResult, int]:
    """Parse and, when every row is right, store.  Returns (result, number of new calls)."""
    result = parse(text, tz, str(uuid.uuid4()), now)
    if result.errors:
        return result, 0
    return result, calls_store.insert_calls(db, result.rows)


def import_file(db, opener: uploads.Opener, tz: str, now: str, *, name: str = "calls.csv",
                max_bytes: int, max_rows: int | None) -> tuple[ImportResult, int]:
    """Import a calls CSV read as a stream (an upload or a file), never held whole: a first
    reading counts its bytes and finds its encoding, a second checks every row, and only when
    all are right a third stores them.  Returns (result, number of new calls); raises
    uploads.UploadRefused (nothing stored) when it is over a cap or not readable as CSV."""
    encoding = uploads.sniff_encoding(opener, name, uploads.ByteBudget(max_bytes, name))
    if encoding is None:
        return ImportResult([], [_("The file is not UTF-8 or Windows-1252 text.")]), 0
    batch = str(uuid.uuid4())
    result = ImportResult([], [])
    with uploads.open_text(opener, name, encoding) as text:
        for _row in _read(_capped(uploads.csv_rows(text, name), name, max_rows), tz, batch,
                          now, result):
            pass
    if result.errors:
        return result, 0
    with uploads.open_text(opener, name, encoding) as text:
        added = calls_store.insert_calls(db, _read(uploads.csv_rows(text, name), tz, batch, now,
                                             ImportResult([], [])))
    return result, added
