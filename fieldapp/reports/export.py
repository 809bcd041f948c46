"""The board report for analysts: one long ("tidy") CSV with a row per figure, and the
Frictionless Data Package descriptor (Table Schema) that describes it.

Keys are stable English codes whatever the interface language (table, row_key, column_key,
unit, suppression); translated labels sit in their own columns.  Numbers are plain numbers
(54.8, not "54.8%"; 30.3, not "30.3 h"): the unit says what they are.  A figure that may not
be shown has an empty value, suppressed = true and the reason in `suppression`.  Every row
repeats the period and the filters, so that files of several periods can be stacked.
"""

import re
from collections.abc import Iterator

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from fieldapp.reports.suppression import (
    COUNT,
    DERIVED_WITHHELD,
    HOURS,
    NUMBER,
    PERCENT,
    SUPPRESSED,
    TEXT,
    WITHHELD,
    Cell,
)

# Why a figure is not shown (the CSV's `suppression` column; empty when it is shown).
SUPPRESSION_OF_TEXT = {SUPPRESSED: "under_5", WITHHELD: "complementary",
                       DERIVED_WITHHELD: "derived"}

# (name, Table Schema type, description): the CSV's columns, in order.
FIELDS = [
    ("table", "string", _l("Table of the report (stable key).")),
    ("row_key", "string", _l("Row of the table: a code or id (stable key); 'all' for a total.")),
    ("column_key", "string", _l("Column of the table (stable key).")),
    ("value", "number", _l("The figure; empty when suppressed or when there is nothing to "
                           "compute (no denominator, no values).")),
    ("unit", "string", _l("count, percent (0-100), hours or number.")),
    ("suppressed", "boolean", _l("true when the figure is withheld to protect privacy.")),
    ("suppression", "string", _l("Why: under_5 (a count from 1 to 4), complementary (a "
                                 "count of 5 or more withheld so that a count under 5 cannot "
                                 "be worked out from a total or from other reports), derived "
                                 "(a rate, median or change based on a suppressed count); "
                                 "empty when shown.")),
    ("table_label", "string", _l("Title of the table in the language of the export.")),
    ("row_label", "string", _l("Label of the row in the language of the export.")),
    ("column_label", "string", _l("Label of the column in the language of the export.")),
    ("period_start", "date", _l("First day of the period (local time).")),
    ("period_end", "date", _l("Last day of the period, included (local time).")),
    ("police_service", "string", _l("Police service filter; empty for all police services.")),
    ("team", "string", _l("Team filter; empty for all teams.")),
]
COLUMNS = [name for name, _type, _description in FIELDS]


def rows(tables: list, period, police_service: str | None, team: str | None) -> Iterator[list]:
    """One CSV row (in COLUMNS order) per figure of `tables`; label-only cells (such as the
    gaps of the partnership register, which follow from its counts) are left out."""
    context = [period.start.isoformat(), period.last_day.isoformat(), police_service or "",
               team or ""]
    for table in tables:
        for row in table.rows:
            label = row[0]
            for column_key, column, cell in zip(table.column_keys[1:], table.columns[1:],
                                                row[1:], strict=True):
                if cell.unit == TEXT:
                    continue
                yield [table.id, label.key, column_key, _number(cell), cell.unit,
                       "true" if cell.suppressed else "false",
                       SUPPRESSION_OF_TEXT.get(cell.text, "") if cell.suppressed else "",
                       table.title, label.text, column, *context]


def _number(cell: Cell) -> int | float | str:
    if cell.value is None or cell.suppressed:
        return ""
    return int(cell.value) if cell.unit == COUNT else float(cell.value)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_") or "x"


def filename(period, police_service: str | None, team: str | None, table_id: str = "",
             extension: str = "csv") -> str:
    """board-2026Q1-HRP-all.csv: the period, the police service and the team ("all" when not
    filtered), and the table when only one."""
    if "Q" in period.key:
        when = period.key.replace("-", "")
    else:
        when = f"{period.start:%Y%m%d}-{period.last_day:%Y%m%d}"
    parts = ["board", when, _slug(police_service or "all"), _slug(team or "all")]
    if table_id:
        parts.append(_slug(table_id))
    return "-".join(parts) + "." + extension


def descriptor(csv_name: str, period, police_service: str | None, team: str | None,
               table_ids: list[str]) -> dict:
    """A Frictionless Data Package describing the CSV named `csv_name` (in the same folder)."""
    name = csv_name.rsplit(".", 1)[0].lower()
    return {
        "name": name,
        "title": _("Board report"),
        "description": _(
            "Figures of the board report, one row per figure. Counts from 1 to 4 are "
            "suppressed, and so are counts that would let them be worked out and the rates "
            "and medians based on them."),
        "profile": "tabular-data-package",
        "period": {"start": period.start.isoformat(), "end": period.last_day.isoformat(),
                   "key": period.key},
        "filters": {"police_service": police_service or None, "team": team or None},
        "resources": [{
            "name": name,
            "path": csv_name,
            "profile": "tabular-data-resource",
            "format": "csv",
            "mediatype": "text/csv",
            "encoding": "utf-8",
            "dialect": {"delimiter": ",", "header": True},
            "schema": {
                "fields": [_field(*field, table_ids) for field in FIELDS],
                "primaryKey": ["table", "row_key", "column_key"],
                "missingValues": [""],
            },
        }],
    }


def _field(name: str, kind: str, description, table_ids: list[str]) -> dict:
    field = {"name": name, "type": kind, "description": str(description)}
    constraints = {
        "table": {"required": True, "enum": table_ids},
        "row_key": {"required": True},
        "column_key": {"required": True},
        "unit": {"required": True, "enum": [COUNT, PERCENT, HOURS, NUMBER]},
        "suppressed": {"required": True},
        "suppression": {"enum": list(SUPPRESSION_OF_TEXT.values())},
    }.get(name)
    if constraints:
        field["constraints"] = constraints
    if kind == "boolean":
        field.update(trueValues=["true"], falseValues=["false"])
    return field
