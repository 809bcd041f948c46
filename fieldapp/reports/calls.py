"""Calls-for-service CSV import (from the dispatch / records system).

The file has a header row and, per call: a date/time, a call type, and a pseudonymous person key
(empty when no person is attached), optionally the dispatch's own call id.  Accepted headers
(case and spaces ignored): date/time = "date/time", "datetime", "called_at", "date"; call type =
"call type", "call_type", "type"; person key = "person key", "person_key", "key"; call id =
"call id", "call_id", "incident", "id".

Times with an offset ("2026-03-02T14:05:00-04:00", "...Z") are taken as they are; times without
one are local time of the configured TIMEZONE.  Stored in UTC.

All or nothing: if any row is wrong, nothing is stored and every wrong row is reported (up to
MAX_ERRORS), e.g. "Row 7: date/time “yesterday” is not a date and time".  Re-importing the same
file stores nothing twice: a call's id is the dispatch call id when given, else a hash of
(date/time, call type, person key).
"""

import csv
import hashlib
import io
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import gettext as _

from fieldapp import clock
from fieldapp.reports import bp, store

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


def parse(text: str, tz: str, batch: str, now: str) -> ImportResult:
    """Check every row of a calls CSV; return the rows to store and the errors found."""
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if not header:
        return ImportResult([], [_("The file is empty.")])
    columns = _header_map(header)
    missing = [label for field, label in (("called_at", _("date/time")),
                                           ("call_type", _("call type")),
                                           ("person_key", _("person key")))
               if field not in columns]
    if missing:
        return ImportResult([], [_("Missing column(s): %(names)s. The first row must name the "
                                   "columns date/time, call type and person key.",
                                   names=", ".join(missing))])
    rows, errors, total = [], [], 0
    for number, record in enumerate(reader, start=2):
        if not any(cell.strip() for cell in record):
            continue
        total += 1

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
        rows.append({"id": natural, "called_at": called_at, "call_type": call_type,
                     "person_key": person_key or None, "imported_at": now,
                     "import_batch": batch})
    if total == 0 and not errors:
        errors.append(_("The file has no calls."))
    return ImportResult(rows, errors, total)


def import_text(db, text: str, tz: str, now: str) -> tuple[ImportResult, int]:
    """Parse and, when every row is right, store.  Returns (result, number of new calls)."""
    result = parse(text, tz, str(uuid.uuid4()), now)
    if result.errors:
        return result, 0
    return result, store.insert_calls(db, result.rows)


def decode(data: bytes) -> str | None:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


@click.command("import-calls")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@with_appcontext
def import_calls_command(path: str) -> None:
    """Import a calls-for-service CSV (date/time, call type, person key); safe to re-run."""
    from fieldapp.db import get_db

    with open(path, "rb") as handle:
        text = decode(handle.read())
    if text is None:
        click.echo("The file is not UTF-8 or Windows-1252 text.", err=True)
        raise SystemExit(2)
    result, added = import_text(get_db(), text, current_app.config["TIMEZONE"], clock.iso())
    if result.errors:
        for error in result.errors:
            click.echo(error, err=True)
        click.echo(f"Nothing imported: {len(result.errors)} error(s).", err=True)
        raise SystemExit(1)
    click.echo(f"Imported {added} new call(s) of {result.total} in the file "
               f"({result.total - added} already there).")


@bp.record_once
def _register_cli(state) -> None:
    state.app.cli.add_command(import_calls_command)
