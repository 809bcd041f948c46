"""Normalizing one cell: times, dates, numbers, phone extensions, lists, flags."""

from __future__ import annotations

import json
import re
from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

from flask import current_app, has_app_context

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


# Fields holding a URI (HSDS `format: uri`): a bare domain gets https://, what can never be a
# URI is kept as raw text (extra_json "_raw", exported in the profile's original_text only).
URI_FIELDS = {
    "organization": ("website", "uri", "logo"), "service": ("url",), "location": ("url",),
    "accessibility": ("url",), "required_document": ("uri",), "taxonomy": ("uri",),
    "taxonomy_term": ("term_uri",), "url": ("url",), "schedule": ("schedule_link",),
    "service_area": ("uri",),
}
_SCHEME = re.compile(r"^(https?|ftp|mailto|tel):", re.I)
_HOST = re.compile(r"^(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.)+[a-z]{2,63}\.?(?::\d{1,5})?"
                   r"(?:[/?#]\S*)?$", re.I)


def normalize_url(value) -> str | None:
    """A URI: 'www.example.org' -> 'https://www.example.org'; 'http://x.org/a' as is; None for
    text that cannot be one ('see our Facebook page', 'N/A')."""
    text = str(value or "").strip()
    if not text or any(ch.isspace() for ch in text) or '"' in text or "<" in text:
        return None
    if _SCHEME.match(text):
        scheme, _, rest = text.partition(":")
        if scheme.lower() in ("http", "https", "ftp"):
            rest = rest[2:] if rest.startswith("//") else None
            if not rest or not _HOST.match(rest):
                return None
        return text
    if text.startswith("//"):
        text = text[2:]
    if "@" in text.split("/")[0] or not _HOST.match(text):
        return None
    return "https://" + text


_RANGE = re.compile(r"^\s*(?P<opens>[^-–—]+?)\s*(?:-|–|—|\bto\b|\bà\b)\s*(?P<closes>[^-–—]+?)\s*$",
                    re.I)


def split_time_range(value) -> tuple[str, str] | None:
    """'8:00am-5:00pm' (one cell) -> ('8:00am', '5:00pm'); None when it is no range of times."""
    match = _RANGE.match(str(value or ""))
    if not match:
        return None
    opens, closes = match["opens"], match["closes"]
    if normalize_time(opens)[0] is None or normalize_time(closes)[0] is None:
        return None
    return opens, closes


def default_country() -> str:
    """The deployment's country (ISO 3166-1 alpha-2, FIELDAPP_COUNTRY; CA by default): the
    country of an address whose source names none."""
    if has_app_context():
        return str(current_app.config.get("COUNTRY") or "CA").upper()
    return "CA"


def default_timezone() -> str:
    """The deployment's time zone (FIELDAPP_TIMEZONE): the zone the directory's opening times
    are in, and the zone a package's local times mean unless the import names another."""
    if has_app_context():
        return str(current_app.config.get("TIMEZONE") or "America/Halifax")
    return "America/Halifax"


def zone_shift(source: str, target: str, on: str) -> int:
    """Minutes to add to a local time of zone `source` to read it in zone `target`, on the
    date `on` (YYYY-MM-DD; the import's day: both zones' daylight saving as it is then)."""
    if source == target:
        return 0
    moment = datetime.fromisoformat(f"{on[:10]}T12:00:00")
    offsets = [moment.replace(tzinfo=ZoneInfo(zone)).utcoffset() for zone in (source, target)]
    return int((offsets[1] - offsets[0]).total_seconds() // 60)


def shift_times(opens: str | None, closes: str | None, byday: str | None, minutes: int,
                day_codes: list[str]) -> tuple[str | None, str | None, str | None]:
    """Opening hours ("HH:MM", RFC 5545 day codes) moved by `minutes` (another zone): a time
    that passes midnight moves its days along; a closing time after midnight wraps (overnight)."""
    if not minutes or opens is None:
        return opens, closes, byday
    start = int(opens[:2]) * 60 + int(opens[3:5]) + minutes
    days = start // (24 * 60)
    start -= days * 24 * 60

    def text(value: int) -> str:
        return f"{value // 60:02d}:{value % 60:02d}"

    new_closes = closes
    if closes is not None:
        end = int(closes[:2]) * 60 + int(closes[3:5]) + minutes - days * 24 * 60
        new_closes = "24:00" if end == 24 * 60 else text(end % (24 * 60))
    if days and byday:
        codes = [c.strip() for c in byday.split(",") if c.strip()]
        byday = ",".join(day_codes[(day_codes.index(c[-2:]) + days) % 7] if c[-2:] in day_codes
                         else c for c in codes)
    return text(start), new_closes, byday


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def is_zone(name) -> bool:
    """An IANA time zone name this system knows ("America/Toronto")."""
    return isinstance(name, str) and name in _zones()
