"""Open now and today's hours from HSDS schedule rows, at frozen instants in America/Halifax."""

from datetime import UTC, datetime

import pytest

import fieldapp.accounts  # noqa: F401  (the foundation's import order: accounts before security)
from fieldapp.directory import hours

TZ = "America/Halifax"  # UTC-4 in March before the 8th (AST), UTC-3 after (ADT)


def at(local_iso: str) -> datetime:
    """An aware UTC instant for a wall-clock time in Halifax."""
    from zoneinfo import ZoneInfo

    return datetime.fromisoformat(local_iso).replace(tzinfo=ZoneInfo(TZ)).astimezone(UTC)


def row(byday, opens_at, closes_at, **extra):
    return {"freq": "WEEKLY", "byday": byday, "opens_at": opens_at, "closes_at": closes_at,
            **extra}


WEEKDAYS_SPLIT = [row("MO,TU,WE,TH,FR", "09:00", "12:00"), row("MO,TU,WE,TH,FR", "13:00", "17:00")]
OVERNIGHT = [row("FR,SA", "20:00", "04:00")]
ALWAYS = [row(day, "00:00", "23:59") for day in hours.DAY_CODES]


@pytest.mark.parametrize(("local", "expected"), [
    ("2026-03-02T08:59", False),   # Monday before opening
    ("2026-03-02T09:00", True),    # opening minute
    ("2026-03-02T11:59", True),
    ("2026-03-02T12:30", False),   # lunch gap between the split shifts
    ("2026-03-02T13:00", True),
    ("2026-03-02T17:00", False),   # closing minute is closed
    ("2026-03-07T10:00", False),   # Saturday: closed day
])
def test_split_shifts_open_now(local, expected):
    assert expected is hours.is_open(WEEKDAYS_SPLIT, at(local), TZ)


@pytest.mark.parametrize(("local", "expected"), [
    ("2026-03-06T19:59", False),   # Friday evening before opening
    ("2026-03-06T23:30", True),    # Friday night
    ("2026-03-07T03:59", True),    # Saturday early morning: still Friday's shift
    ("2026-03-07T04:00", False),
    ("2026-03-08T02:00", True),    # Sunday early morning: Saturday's shift
    ("2026-03-09T02:00", False),   # Monday early morning: no Sunday shift
    ("2026-03-06T02:00", False),   # Friday early morning: no Thursday shift
])
def test_overnight_hours_open_now(local, expected):
    assert expected is hours.is_open(OVERNIGHT, at(local), TZ)


def test_open_all_week_is_24_7_and_open_at_any_minute():
    assert hours.always_open(ALWAYS)
    for local in ("2026-03-02T00:00", "2026-03-04T23:59", "2026-03-08T12:00"):
        assert hours.is_open(ALWAYS, at(local), TZ) is True


def test_no_schedule_means_unknown_not_closed():
    assert hours.is_open([], at("2026-03-02T10:00"), TZ) is None
    assert hours.status([], at("2026-03-02T10:00"), TZ)["known"] is False


def test_uses_configured_time_zone_not_utc():
    # 12:30 UTC on Monday is 08:30 in Halifax: not yet open, though 12:30 UTC is in a shift.
    now = datetime(2026, 3, 2, 12, 30, tzinfo=UTC)
    assert hours.is_open(WEEKDAYS_SPLIT, now, TZ) is False
    assert hours.is_open(WEEKDAYS_SPLIT, now, "UTC") is False  # 12:30 is the lunch gap in UTC
    assert hours.is_open(WEEKDAYS_SPLIT, datetime(2026, 3, 2, 13, 30, tzinfo=UTC), TZ) is True


def test_daylight_saving_change_keeps_wall_clock_hours():
    # After 8 March Halifax is UTC-3: 09:30 local is 12:30 UTC.
    assert hours.is_open(WEEKDAYS_SPLIT, datetime(2026, 3, 9, 12, 30, tzinfo=UTC), TZ) is True


def test_today_hours_lists_split_shifts_and_overnight_end():
    assert ["09:00–12:00", "13:00–17:00"] == hours.status(
        WEEKDAYS_SPLIT, at("2026-03-02T10:00"), TZ)["today"]
    assert ["20:00–04:00"] == hours.status(OVERNIGHT, at("2026-03-06T10:00"), TZ)["today"]
    assert [] == hours.status(WEEKDAYS_SPLIT, at("2026-03-07T10:00"), TZ)["today"]


def test_times_with_seconds_and_blank_byday_mean_every_day():
    rows = [{"opens_at": "08:00:00", "closes_at": "16:00:00", "byday": ""}]
    assert hours.is_open(rows, at("2026-03-08T09:00"), TZ) is True


def test_schedule_outside_its_validity_dates_is_ignored():
    rows = [row("MO", "09:00", "17:00", valid_to="2026-02-28")]
    assert hours.is_open(rows, at("2026-03-02T10:00"), TZ) is None


def test_unreadable_times_are_skipped_not_raised():
    rows = [row("MO", "nine", "5pm"), row("MO", "25:00", "26:00"), row("MO", None, "")]
    assert hours.is_open(rows, at("2026-03-02T10:00"), TZ) is None


@pytest.mark.parametrize(("hours_rows", "local", "expected"), [
    (WEEKDAYS_SPLIT, "2026-03-02T10:00", {"closes": "12:00"}),
    (WEEKDAYS_SPLIT, "2026-03-02T12:30", {"opens": "13:00", "in_days": 0, "day": 0}),
    (WEEKDAYS_SPLIT, "2026-03-02T18:00", {"opens": "09:00", "in_days": 1, "day": 1}),
    (WEEKDAYS_SPLIT, "2026-03-06T18:00", {"opens": "09:00", "in_days": 3, "day": 0}),  # Fri
    (OVERNIGHT, "2026-03-06T23:00", {"closes": "04:00"}),
    (OVERNIGHT, "2026-03-07T03:00", {"closes": "04:00"}),                  # Sat, Fri's shift
    (OVERNIGHT, "2026-03-08T05:00", {"opens": "20:00", "in_days": 5, "day": 4}),  # Sun
    ([row("MO", "20:00", "24:00"), row("TU", "00:00", "02:00")], "2026-03-02T21:00",
     {"closes": "02:00"}),                                                 # back to back
    (ALWAYS, "2026-03-02T10:00", {}),
])
def test_when_it_next_closes_or_opens(hours_rows, local, expected):
    assert expected == hours.status(hours_rows, at(local), TZ)["next"]
