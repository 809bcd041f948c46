"""The one CSV rule: every cell the app writes is shown by a spreadsheet, never run as a formula.

A spreadsheet treats a cell starting with = + - @ (or a tab or carriage return) as a formula (CSV
injection, OWASP).  Such text gets a leading apostrophe; numbers, and text that is only a number
such as "-3", "+1.5" or "-50.0%", are left as they are.  Every CSV the app writes (board report,
referrals export, HSDS export, audit trail) goes through `cell` or `writer`.
"""

import csv
import re

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?\d[\d.,\u00a0\u202f ]*%?\Z")  # -3, +1.5, -50.0%, -1 234,5 %


def cell(value):
    """`value` as it may go into a CSV cell."""
    if isinstance(value, str) and value.startswith(FORMULA_START) and not _NUMBER.match(value):
        return "'" + value
    return value


class _SafeWriter:
    def __init__(self, inner):
        self._inner = inner

    def writerow(self, row):
        if isinstance(row, dict):
            return self._inner.writerow({key: cell(value) for key, value in row.items()})
        return self._inner.writerow([cell(value) for value in row])

    def writerows(self, rows):
        for row in rows:
            self.writerow(row)

    def writeheader(self):
        return self._inner.writeheader()


def writer(handle, **kwargs):
    """A csv.writer whose every cell goes through `cell`."""
    return _SafeWriter(csv.writer(handle, **kwargs))


def dict_writer(handle, fieldnames, **kwargs):
    """A csv.DictWriter whose every value goes through `cell`."""
    return _SafeWriter(csv.DictWriter(handle, fieldnames=fieldnames, **kwargs))
