"""Opening hours from HSDS schedule rows: open now, today's hours.  Pure functions, no I/O.

A schedule row is a dict with HSDS 3 names: `byday` (RFC 5545 day codes such as "MO" or
"MO,TU,WE"; empty means every day), `opens_at` and `closes_at` ("HH:MM" or "HH:MM:SS", local
time of the configured time zone), `freq` (WEEKLY or DAILY), optional `valid_from`/`valid_to`.
- Several rows on one day are split shifts (09:00-12:00 and 13:00-17:00).
- `closes_at` earlier than `opens_at` is an overnight shift that ends the next morning.
- 00:00 to 24:00 (or 23:59, or opens_at equal to closes_at) is open all day; 24/7 when all
  seven days are.
- A day without a row is a closed day.
- Exceptional days (holidays): a row dated for less than EXCEPTION_DAYS days (`valid_from` and
  `valid_to` both set) replaces the regular hours on the days it covers; without opening times
  it means closed (an HSDS 1.x holiday schedule, `closed`).  The weekly hours leave them out.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

DAY_CODES = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]  # index = date.weekday()
DAY_MINUTES = 24 * 60


@dataclass(frozen=True)
class Shift:
    """One opening on one weekday, in minutes after that day's midnight (end may pass 1440)."""

    day: int
    start: int
    end: int

    @property
    def all_day(self) -> bool:
        return self.start == 0 and self.end >= DAY_MINUTES

    def label(self) -> str:
        return f"{format_minutes(self.start)}–{format_minutes(self.end)}"


def parse_time(value) -> int | None:
    """Minutes after midnight of "HH:MM[:SS]" (24:00 allowed); None when blank or unreadable."""
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    parts = text.split(":")
    try:
        hours, minutes = int(parts[0]), int(parts[1]) if len(parts) > 1 else 0
    except ValueError:
        return None
    if not (0 <= hours <= 24 and 0 <= minutes < 60) or (hours == 24 and minutes):
        return None
    return hours * 60 + minutes


def format_minutes(minutes: int) -> str:
    """"HH:MM" on a 24-hour clock; the end of a day is 24:00, next-morning times wrap."""
    if minutes == DAY_MINUTES:
        return "24:00"
    minutes %= DAY_MINUTES
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def days_of(row: dict) -> list[int]:
    """Weekday indexes (0 = Monday) a schedule row applies to."""
    byday = (row.get("byday") or "").upper()
    if not byday.strip():
        return list(range(7))
    days = []
    for code in byday.replace(";", ",").replace(" ", ",").split(","):
        code = code.strip()[-2:]  # "1MO" style prefixes are monthly rules; keep the day
        if code in DAY_CODES:
            days.append(DAY_CODES.index(code))
    return sorted(set(days))


# A row dated for fewer days than this is an exception to the regular hours (a holiday, a
# closure, the hours of one week); longer ones are regular hours for a season.
EXCEPTION_DAYS = 31


def exceptional(row: dict) -> bool:
    """Is the row the hours (or closure) of a few given days rather than regular hours?"""
    valid_from, valid_to = row.get("valid_from"), row.get("valid_to")
    if not valid_from or not valid_to:
        return False
    try:
        span = (date.fromisoformat(str(valid_to)[:10]) -
                date.fromisoformat(str(valid_from)[:10])).days
    except ValueError:
        return False
    return 0 <= span < EXCEPTION_DAYS


def exceptions(rows: list[dict]) -> list[dict]:
    """The exceptional days of a listing, by date: [{valid_from, valid_to (dates), byday,
    closed, hours (a label, None when closed), description}]."""
    found = []
    for row in rows:
        if not exceptional(row):
            continue
        start, end = parse_time(row.get("opens_at")), parse_time(row.get("closes_at"))
        label = None
        if start is not None and end is not None:
            label = Shift(0, start, end if end > start else end + DAY_MINUTES).label()
        found.append({"valid_from": date.fromisoformat(str(row["valid_from"])[:10]),
                      "valid_to": date.fromisoformat(str(row["valid_to"])[:10]),
                      "byday": row.get("byday") or "",
                      "closed": label is None and not (row.get("opens_at") or
                                                       row.get("closes_at")),
                      "hours": label, "description": row.get("description")})
    return sorted(found, key=lambda e: (e["valid_from"], e["hours"] or ""))


def _valid_on(row: dict, day: date) -> bool:
    valid_from, valid_to = row.get("valid_from"), row.get("valid_to")
    iso = day.isoformat()
    if valid_from and iso < str(valid_from)[:10]:
        return False
    if valid_to and iso > str(valid_to)[:10]:
        return False
    return True


def shifts(rows: list[dict], on: date | None = None) -> list[Shift]:
    """Every weekly shift in `rows` (rows not valid on `on` are left out), sorted.  Without
    `on`, the regular week (exceptional days left out); with it, an exceptional day that covers
    `on` replaces that weekday's regular hours."""
    found: set[Shift] = set()
    replaced = on.weekday() if on is not None and _excepted(rows, on) else None
    for row in rows:
        freq = (row.get("freq") or "WEEKLY").upper()
        if freq not in ("WEEKLY", "DAILY"):
            continue
        if on is None and exceptional(row):
            continue
        if on is not None and not _valid_on(row, on):
            continue
        regular = not exceptional(row)
        start, end = parse_time(row.get("opens_at")), parse_time(row.get("closes_at"))
        if start is None or end is None:
            continue
        if end == 23 * 60 + 59:
            end = DAY_MINUTES
        if end <= start:
            end += DAY_MINUTES  # overnight, or opens_at == closes_at: round the clock
        for day in days_of(row):
            if not (regular and day == replaced):
                found.add(Shift(day, start, end))
    return sorted(found, key=lambda s: (s.day, s.start, s.end))


def _local(now: datetime, tz: str) -> datetime:
    return now.astimezone(ZoneInfo(tz))


def is_open(rows: list[dict], now: datetime, tz: str) -> bool | None:
    """Open at `now`?  None when the listing has no usable hours (unknown, not closed)."""
    local = _local(now, tz)
    return _open_at(shifts(rows, local.date()), local, _excepted(rows, local.date()))


def _excepted(rows: list[dict], on: date) -> bool:
    """Is `on` an exceptional day of the listing (its hours, or its closure, are known)?"""
    return any(exceptional(r) and _valid_on(r, on) and on.weekday() in days_of(r) for r in rows)


def _open_at(weekly: list[Shift], local: datetime, excepted: bool = False) -> bool | None:
    if not weekly:
        return False if excepted else None
    minute = local.hour * 60 + local.minute
    today, yesterday = local.weekday(), (local.weekday() - 1) % 7
    for shift in weekly:
        if shift.day == today and shift.start <= minute < shift.end:
            return True
        if shift.day == yesterday and minute + DAY_MINUTES < shift.end:
            return True
    return False


def _always(weekly: list[Shift]) -> bool:
    return all(any(s.day == day and s.all_day for s in weekly) for day in range(7))


def always_open(rows: list[dict]) -> bool:
    """Open 24 hours on all seven days."""
    return _always(shifts(rows))


def today_shifts(rows: list[dict], now: datetime, tz: str) -> list[Shift]:
    """The shifts that start on today's local date (an overnight shift shows its next-day end)."""
    local = _local(now, tz)
    return [s for s in shifts(rows, local.date()) if s.day == local.weekday()]


def week(rows: list[dict]) -> list[tuple[int, list[Shift]]]:
    """(weekday, shifts) for Monday..Sunday; an empty list is a closed day."""
    weekly = shifts(rows)
    return [(day, [s for s in weekly if s.day == day]) for day in range(7)]


def _next_change(weekly: list[Shift], local: datetime) -> dict:
    """When the current opening ends ({"closes": "HH:MM"}) or, when closed, when the next one
    starts within a week ({"opens": "HH:MM", "in_days": 0..7, "day": weekday})."""
    minute = local.hour * 60 + local.minute
    today = local.weekday()
    # Minutes from today's midnight, over yesterday, today and the week ahead.
    spans = sorted((((s.day - today) % 7) * DAY_MINUTES + s.start,
                    ((s.day - today) % 7) * DAY_MINUTES + s.end) for s in weekly)
    spans = [(a - 7 * DAY_MINUTES, b - 7 * DAY_MINUTES) for a, b in spans] + spans
    current = [(a, b) for a, b in spans if a <= minute < b]
    if current:
        end = max(b for _, b in current)
        # Back-to-back shifts (a split at midnight) read as one opening.
        extended = True
        while extended:
            extended = False
            for a, b in spans:
                if a <= end < b:
                    end, extended = b, True
        return {"closes": format_minutes(end % DAY_MINUTES if end != DAY_MINUTES else end)}
    upcoming = [a for a, _ in spans if a > minute]
    if not upcoming:
        return {}
    start = min(upcoming)
    return {"opens": format_minutes(start % DAY_MINUTES), "in_days": start // DAY_MINUTES,
            "day": (today + start // DAY_MINUTES) % 7}


def status(rows: list[dict], now: datetime, tz: str) -> dict:
    """Everything a result card shows about hours: open now, 24/7, today's shifts as text,
    and when that changes (closes at / opens next)."""
    local = _local(now, tz)
    weekly = shifts(rows)
    valid_today = shifts(rows, local.date()) if any(
        r.get("valid_from") or r.get("valid_to") for r in rows) else weekly
    excepted = _excepted(rows, local.date())
    always = bool(weekly) and _always(weekly) and not excepted
    return {
        "open": _open_at(valid_today, local, excepted),
        "always_open": always,
        "today": [s.label() for s in valid_today if s.day == local.weekday()],
        "known": bool(weekly),
        "next": {} if always or not valid_today else _next_change(valid_today, local),
    }


def as_given(rows: list[dict]) -> list[dict]:
    """Hours the source wrote that could not be read ("by appointment", "varies"): the raw
    text the import kept (extra_json "_raw"), per row: [{days: [weekday], text}]."""
    found = []
    for row in rows:
        if parse_time(row.get("opens_at")) is not None and \
                parse_time(row.get("closes_at")) is not None:
            continue
        try:
            raw = json.loads(row.get("extra_json") or "{}").get("_raw") or {}
        except (TypeError, ValueError, AttributeError):
            continue
        fields = ("opens_at", "closes_at")
        if not isinstance(raw, dict) or exceptional(row) or not any(
                parse_time(row.get(f)) is None and raw.get(f) for f in fields):
            continue  # nothing the source wrote was lost
        parts = [str(raw.get(f) or row.get(f)) for f in fields if raw.get(f) or row.get(f)]
        found.append({"days": days_of(row) if row.get("byday") else [],
                      "text": " – ".join(parts)})
    return found
