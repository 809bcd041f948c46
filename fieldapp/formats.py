"""Numbers, percentages, durations, dates and quarters in the reader's language, through Babel
(flask_babel uses the request's locale): "54.3%" / "54,3 %", "29.0 h" / "29,0 h",
"October 1, 2026" / "1er octobre 2026", "Q4 2026" / "T4 2026", "14:05" / "14 h 05",
"12 minutes ago" / "il y a 12 minutes".

Stored values and CSV keys never go through here: only what people read.  Registered as Jinja
filters by i18n.init_app (decimal, count, number, percent, hours, day, time, moment, ago,
quarter_label).  Stored instants (ISO 8601 text in UTC) are shown in the team's time zone
(config TIMEZONE).  Outside a request the language is flask_babel's forced one (an e-mail's
French part: `force_locale("fr")`), else English.
"""

import re
from datetime import UTC, date, datetime, tzinfo
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date as babel_date
from babel.dates import format_datetime as babel_datetime
from babel.dates import format_timedelta as babel_timedelta
from babel.numbers import format_decimal as babel_decimal
from babel.numbers import format_percent as babel_percent
from flask import current_app, has_app_context
from flask_babel import get_locale

NBSP = "\u00a0"


def _locale() -> Locale:
    """The request's (or force_locale's) locale; English outside an app (CLI, benchmarks)."""
    locale = get_locale() if has_app_context() else None
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


def number(value: float | int, max_digits: int = 3) -> str:
    """A number with only the decimals it has (up to `max_digits`): 2.5 / 2,5, 10 / 10."""
    return format_decimal(value, format="#,##0." + "#" * max_digits)


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


def _zone() -> tzinfo:
    return ZoneInfo(current_app.config["TIMEZONE"]) if has_app_context() else UTC


def instant(value: str | datetime | None) -> datetime | None:
    """A stored instant (ISO 8601 text, UTC when it names no zone) in the team's time zone."""
    if not value:
        return None
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(_zone())


def day(value: date | datetime | str, pattern: str = "long") -> str:
    """A date by a Babel pattern ("long", "medium", "d MMMM"...), "1er octobre" in French.
    An instant (a datetime or stored ISO text) is dated in the team's time zone."""
    if isinstance(value, str) and len(value) == 10:
        value = date.fromisoformat(value)
    elif isinstance(value, (str, datetime)):
        value = instant(value)
    if not value:
        return ""
    return ordinal_first(format_date(value, pattern))


def time(value: datetime | str | None) -> str:
    """The time of day of an instant, in the team's time zone, on the 24-hour clock the
    police work by: "14:05" in English; in French the Canadian usage of the Government of
    Canada's style guides, "14 h 05" ("14 h" on the hour), with no-break spaces."""
    moment = instant(value)
    if moment is None:
        return ""
    if _language() == "fr":
        pattern = "H'\u00a0h'" + ("\u00a0mm" if moment.minute else "")
    else:
        pattern = "HH:mm"
    return babel_datetime(moment, pattern, locale=_locale())


def moment(value: datetime | str | None, date_pattern: str = "long") -> str:
    """A date and time: "October 1, 2026, 14:05" / "1er octobre 2026 à 14 h 05"."""
    when = instant(value)
    if when is None:
        return ""
    if _language() == "fr":  # CLDR's "{1}, {0}" reads as a list; French writes "à"
        return f"{day(when, date_pattern)} à {time(when)}"
    joined = _locale().datetime_formats.get(date_pattern, "{1}, {0}")
    return joined.replace("{1}", day(when, date_pattern)).replace("{0}", time(when))


def ago(value: datetime | str | None, now: datetime) -> str:
    """How long before `now` an instant was: "12 minutes ago" / "il y a 12 minutes"."""
    when = instant(value)
    if when is None:
        return ""
    return babel_timedelta(when - now, granularity="minute", add_direction=True,
                           locale=_locale())


def quarter_label(start: date) -> str:
    """A calendar quarter by its first day: "Q4 2026" / "T4 2026" (CLDR's abbreviated quarter)."""
    return format_date(start, "QQQ y")
