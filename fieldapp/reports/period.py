"""Report periods: quarters (the default) or custom date ranges, in the service's time zone.

A period is a half-open range of local dates [start, end); the store compares UTC ISO strings,
so the bounds are converted here once ("YYYY-MM-DDTHH:MM:SS", no suffix, which sorts correctly
against stored values such as "2026-03-02T14:00:00+00:00").
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

MAX_DAYS = 366 * 2


@dataclass(frozen=True)
class Period:
    start: date  # first local day
    end: date  # day after the last local day
    key: str  # "2026-Q1" or "2026-01-01..2026-03-31"
    tz: str

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    def utc(self, day: date) -> str:
        """Local midnight of `day` as a UTC ISO string without suffix."""
        local = datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(self.tz))
        return local.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")

    @property
    def start_utc(self) -> str:
        return self.utc(self.start)

    @property
    def end_utc(self) -> str:
        return self.utc(self.end)

    def months(self) -> list[tuple[str, str, str]]:
        """(YYYY-MM, start UTC, end UTC) of every calendar month overlapping the period."""
        result = []
        day = self.start
        while day < self.end:
            following = date(day.year + day.month // 12, day.month % 12 + 1, 1)
            stop = min(following, self.end)
            result.append((f"{day.year}-{day.month:02d}", self.utc(day), self.utc(stop)))
            day = stop
        return result


def quarter_of(day: date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


def quarter(year: int, q: int, tz: str) -> Period:
    start = date(year, 3 * (q - 1) + 1, 1)
    end = date(year + 1, 1, 1) if q == 4 else date(year, 3 * q + 1, 1)
    return Period(start, end, f"{year}-Q{q}", tz)


def recent_quarters(today: date, tz: str, count: int = 8) -> list[Period]:
    year, q = quarter_of(today)
    periods = []
    for _ in range(count):
        periods.append(quarter(year, q, tz))
        year, q = (year, q - 1) if q > 1 else (year - 1, 4)
    return periods


class PeriodError(ValueError):
    pass


def parse(args: dict, today: date, tz: str) -> Period:
    """The period asked for by GET params: quarter=2026-Q1, or start/end dates (end inclusive)
    of whole months (the start the 1st of a month, the end the last day of a month); the
    current quarter when nothing is given.  Raises PeriodError with a message code.

    Custom periods are refused, not snapped, when they do not cover whole months: a snapped
    period would silently report other dates than the ones asked for."""
    start_text, end_text = (args.get("start") or "").strip(), (args.get("end") or "").strip()
    if start_text or end_text:
        try:
            start = date.fromisoformat(start_text)
            end = date.fromisoformat(end_text) + timedelta(days=1)
        except ValueError:
            raise PeriodError("dates") from None
        if end <= start:
            raise PeriodError("order")
        if start.day != 1 or end.day != 1:
            # Whole months only: two custom periods a day apart would tell, by difference,
            # the count of that day (issue 21; see suppression.grid_cells).
            raise PeriodError("months")
        if (end - start).days > MAX_DAYS:
            raise PeriodError("length")
        return Period(start, end, f"{start.isoformat()}..{(end - timedelta(days=1)).isoformat()}",
                      tz)
    text = (args.get("quarter") or "").strip()
    if text:
        try:
            year_text, q_text = text.upper().split("-Q")
            year, q = int(year_text), int(q_text)
        except ValueError:
            raise PeriodError("quarter") from None
        if not (1 <= q <= 4 and 2000 <= year <= 2100):
            raise PeriodError("quarter")
        return quarter(year, q, tz)
    return quarter(*quarter_of(today), tz)


def _year_before(day: date) -> date:
    """The same day a year earlier (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


def previous(period: Period) -> Period:
    """The period of the same length just before: the previous quarter for a quarter, else as
    many days ending the day before `period` starts."""
    if "Q" in period.key:
        year, q = quarter_of(period.start)
        return quarter(*((year, q - 1) if q > 1 else (year - 1, 4)), period.tz)
    start = period.start - (period.end - period.start)
    return Period(start, period.start,
                  f"{start.isoformat()}..{(period.start - timedelta(days=1)).isoformat()}",
                  period.tz)


def year_before(period: Period) -> Period:
    """The same period a year earlier (the same quarter, or the same dates)."""
    if "Q" in period.key:
        year, q = quarter_of(period.start)
        return quarter(year - 1, q, period.tz)
    start, last = _year_before(period.start), _year_before(period.last_day)
    return Period(start, last + timedelta(days=1), f"{start.isoformat()}..{last.isoformat()}",
                  period.tz)
