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
