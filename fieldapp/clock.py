"""The one source of "now": real UTC time, or the frozen instant set in config NOW."""

from datetime import UTC, datetime

from flask import current_app, has_app_context


def now() -> datetime:
    """Current time as an aware UTC datetime (frozen when config NOW is set)."""
    frozen = current_app.config.get("NOW") if has_app_context() else ""
    if frozen:
        value = datetime.fromisoformat(frozen)
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.now(UTC)


def iso(moment: datetime | None = None) -> str:
    """An aware datetime as the ISO text stored in SQLite (UTC, seconds precision)."""
    moment = moment or now()
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def offset_seconds(device_now: str, server_now: datetime) -> int:
    """How far the server's clock is ahead of a phone's (server now minus the phone's now, in
    whole seconds), from the time the phone stamped on what it sent.  ValueError if
    `device_now` is not an ISO 8601 time with its UTC offset."""
    if not isinstance(device_now, str) or not device_now.strip():
        raise ValueError("device_now must be an ISO 8601 time")
    text = device_now.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError("device_now must carry its UTC offset")
    return round((server_now - moment).total_seconds())
