"""What the directory's HSDS API and exports may publish: the ONE place of that rule.

Every HSDS output (the API under /api/hsds, `export.zip`, `flask export-hsds` CSV and JSON) asks a
`Disclosure` which rows it may carry and passes every value it writes through `clean`:

- A confidential location (a shelter whose address the service form says is "shown to nobody")
  never leaves the server: not its row (coordinates), not its addresses (street, postal code),
  not its links to services, nor anything hanging from those (phones, schedules, contacts,
  attributes, metadata that may hold an old address).  The service itself is still listed.
- The e-mail of any user account (staff: officers, partners, coordinators; for example the
  coordinator who verified a listing, HSDS `assurer_email`) is left out of every value.

Only a coordinator's explicit internal export (`internal=True`; audited by its caller) carries
everything.  The directory's own pages, search and phone snapshot hide confidential locations in
their SQL (search.py, store.py, snapshot.py).
"""

from __future__ import annotations

import re
from functools import cached_property

from fieldapp.directory.hsds_tables import HSDS_TABLES, REFERENCE_COLUMNS

# table -> columns holding the id of another row ("link_id"/"resource_id" point at any table)
_POINTERS = {
    table: [c for c in fields.split() if c in REFERENCE_COLUMNS or c in ("link_id", "resource_id")]
    for _name, table, _file, fields in HSDS_TABLES
}


def withheld_ids(db) -> set[str]:
    """Ids of the confidential locations and of every row hanging from them."""
    fresh = {"location": {row["id"] for row in db.query(
        "SELECT id FROM location WHERE coalesce(confidential, 0) = 1")}}
    found: set[str] = set(fresh["location"])
    while any(fresh.values()):
        reached: dict[str, set[str]] = {}
        for table, columns in _POINTERS.items():
            for column in columns:
                target = REFERENCE_COLUMNS.get(column)
                ids = sorted(fresh.get(target, ()) if target else set().union(*fresh.values()))
                for start in range(0, len(ids), 500):
                    chunk = ids[start:start + 500]
                    marks = ",".join("?" * len(chunk))
                    reached.setdefault(table, set()).update(row["id"] for row in db.query(
                        f"SELECT id FROM [{table}] WHERE [{column}] IN ({marks})", chunk))
        fresh = {table: ids - found for table, ids in reached.items()}
        for ids in fresh.values():
            found |= ids
    return found


def staff_emails(db) -> set[str]:
    """Every user account's e-mail, lower case."""
    return {row["email"].strip().lower() for row in db.query("SELECT email FROM user")
            if row["email"] and row["email"].strip()}


def _pattern(emails: set[str]) -> re.Pattern | None:
    if not emails:
        return None
    alternatives = "|".join(re.escape(e) for e in sorted(emails, key=len, reverse=True))
    return re.compile(rf"(?<![\w.+-])(?:mailto:)?(?:{alternatives})(?!\.?[\w-])", re.I)


class Disclosure:
    """The rule for one output: shared (default) or a coordinator's internal export."""

    def __init__(self, db, *, internal: bool = False):
        self.db = db
        self.internal = internal
        self._staff = None if internal else _pattern(staff_emails(db))

    @cached_property
    def withheld(self) -> set[str]:
        return set() if self.internal else withheld_ids(self.db)

    def allows(self, row: dict) -> bool:
        """May this stored row (of any HSDS table) appear in the output?"""
        return row.get("id") not in self.withheld

    def clean(self, value):
        """`value` (a cell, or a nested object of the API) without any staff e-mail."""
        if self._staff is None:
            return value
        if isinstance(value, str):
            if not self._staff.search(value):
                return value
            return self._staff.sub("", value).strip() or None
        if isinstance(value, dict):  # a value left empty is left out (JSON has no nulls)
            cleaned = {key: self.clean(item) for key, item in value.items()}
            return {key: item for key, item in cleaned.items()
                    if item is not None or value[key] is None}
        if isinstance(value, list):
            return [self.clean(item) for item in value]
        return value


def shared(db) -> Disclosure:
    """What anyone may receive: the API (every role) and every export meant for sharing."""
    return Disclosure(db)


def internal(db) -> Disclosure:
    """A coordinator's internal export: everything (the caller audits it)."""
    return Disclosure(db, internal=True)
