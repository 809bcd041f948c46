"""Numbers, percentages, durations, dates and quarters in the reader's language, through Babel
(flask_babel uses the request's locale): "54.3%" / "54,3 %", "29.0 h" / "29,0 h",
"October 1, 2026" / "1er octobre 2026", "Q4 2026" / "T4 2026".

Stored values and CSV keys never go through here: only what people read.  Registered as Jinja
filters by i18n.init_app (decimal, percent, hours, day, quarter_label).
"""

import re
from datetime import date

from babel import Locale
from babel.dates import format_date as babel_date
from babel.numbers import format_decimal as babel_decimal
from babel.numbers import format_percent as babel_percent
from flask import has_request_context
from flask_babel import get_locale

NBSP = "\u00a0"


def _locale() -> Locale:
    """The request's locale; English outside a request (CLI, benchmarks)."""
    locale = get_locale() if has_request_context() else None
    return locale or Locale("en")


def _language() -> str:
    return _locale().language


def format_decimal(value, format: str) -> str:
    return babel_decimal(value, format=format, locale=_locale())


def format_percent(value, format: str) -> str:
    return babel_percent(value, format=format, locale=_locale())


def format_date(value: date, pattern: str) -> str:
    return babel_date(value, pattern, locale=_locale())


def decimal(value: float | int, digits: int = 1) -> str:
    """A number with `digits` decimals: 1,234.5 / 1 234,5."""
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, format=pattern)


def count(value: int) -> str:
    return format_decimal(int(value), format="#,##0")


def percent(share: float, digits: int = 1, signed: bool = False) -> str:
    """`share` in percent (54.3 -> "54.3%" / "54,3 %"); `signed` shows + for a rise."""
    body = "#,##0" + ("." + "0" * digits if digits else "")
    if signed:
        french = _language() == "fr"
        pattern = (f"+{body}{NBSP}%;-{body}{NBSP}%" if french else f"+{body}%;-{body}%")
        return format_percent(share / 100, format=pattern)
    return format_percent(share / 100, format=body + ("\u00a0%" if _language() == "fr" else "%"))


def hours(value: float, digits: int = 1) -> str:
    """A duration in hours: "29.0 h" / "29,0 h" (no break between the number and its unit)."""
    return decimal(value, digits) + (NBSP if _language() == "fr" else " ") + "h"


_FIRST = re.compile(r"^1(?=[ \u00a0\u202f][^\W\d])")


def ordinal_first(text: str, language: str | None = None) -> str:
    """French writes the first of the month as an ordinal: "1er octobre", "1er oct." (a date
    formatted day first, as every French pattern is)."""
    return _FIRST.sub("1er", text) if (language or _language()) == "fr" else text


def day(value: date, pattern: str = "long") -> str:
    """A date by a Babel pattern ("long", "medium", "d MMMM"...), "1er octobre" in French."""
    return ordinal_first(format_date(value, pattern))


def quarter_label(start: date) -> str:
    """A calendar quarter by its first day: "Q4 2026" / "T4 2026" (CLDR's abbreviated quarter)."""
    return format_date(start, "QQQ y")
