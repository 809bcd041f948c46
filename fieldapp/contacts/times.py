"""The one rule for the times a phone records: parsed, corrected by the phone's clock offset,
refused when implausible.  Used by every record a phone can send (contacts, people, referrals)."""

from datetime import UTC, datetime, timedelta

from flask_babel import lazy_gettext as _l

CLOCK_SKEW = timedelta(minutes=5)  # how far ahead a phone's time may be, its clock unknown
CORRECTED_SKEW = timedelta(hours=24)  # how far ahead it may be, corrected by the phone's offset
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)


def parse_time(value) -> datetime | None:
    """An ISO 8601 instant (naive means UTC) as an aware UTC datetime, or None."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def device_time(value, now, offset: int | None = None) -> datetime | None:
    """A time a phone recorded, as the server's clock read then, if plausible; else None.

    The one rule for every synced record's timestamps (see `check_device_time`)."""
    return check_device_time(value, now, offset)[0]


def check_device_time(value, now, offset: int | None = None) -> tuple[datetime | None, str]:
    """(the corrected time, "") or (None, why: "missing", "future" or "past").

    `offset` is the server's clock minus the phone's, in seconds, measured when the phone sent
    the record (None: the phone did not say, as with older phones and the web form).  Without
    it the time is taken as it is and may be at most CLOCK_SKEW ahead of `now`.  With it the
    time is corrected by the offset; a corrected time ahead of `now` (the phone's clock was
    changed between saving and sending) is taken as `now`, since nothing happened after it
    arrived, unless it is more than CORRECTED_SKEW ahead.  Never before EARLIEST.
    """
    moment = parse_time(value)
    if moment is None:
        return None, "missing"
    now_dt = parse_time(now) if isinstance(now, str) else now
    if offset is None:
        if moment > now_dt + CLOCK_SKEW:
            return None, "future"
    else:
        moment = moment + timedelta(seconds=offset)
        if moment > now_dt + CORRECTED_SKEW:
            return None, "future"
        moment = min(moment, now_dt)
    if moment < EARLIEST:
        return None, "past"
    return moment, ""


def ahead_after_correction():
    """The refusal of a time still too far ahead once the phone's clock is allowed for."""
    return _l("This time is more than 24 hours ahead of the server's clock, even allowing for "
              "the phone's clock. Check the date and time set on the phone.")

