"""Verification of listings: how long ago each was checked, the queue of stale ones, and
the one-tap "checked today" (HSDS assured_date), logged in service_verification."""

from __future__ import annotations

from datetime import date, timedelta

from sqlite_utils import Database

from fieldapp.db import writing

STALE_AFTER_DAYS = 180


def verification(assured_date: str | None, today: date,
                 stale_after: int = STALE_AFTER_DAYS) -> dict:
    """How long ago a listing was verified: {"verified_days": N or None, "stale": bool}."""
    try:
        verified = date.fromisoformat(str(assured_date)[:10]) if assured_date else None
    except ValueError:
        verified = None
    if verified is None:
        return {"verified_days": None, "stale": True}
    days = max((today - verified).days, 0)
    return {"verified_days": days, "stale": days > stale_after}


# The number to call to check a listing: its intake line, else its first phone.
_PHONE = """coalesce(nullif(intake_phone, ''), (SELECT number FROM phone
             WHERE phone.service_id = service.id AND coalesce(number, '') != ''
             ORDER BY CASE type WHEN 'voice' THEN 0 ELSE 1 END, created_at, id LIMIT 1))
           AS call_phone"""


def needs_verification(db: Database, *, today: date, days: int, limit: int = 200) -> list[dict]:
    """Active services never verified or verified more than `days` days before `today`,
    the oldest first."""
    cutoff = (today - timedelta(days=days)).isoformat()
    rows = list(db.query(
        f"""SELECT id, name, organization_name, assured_date, assurer_email, {_PHONE}
        FROM service WHERE archived_at IS NULL AND (assured_date IS NULL OR assured_date = ''
              OR substr(assured_date, 1, 10) < ?)
        ORDER BY coalesce(assured_date, '') , name COLLATE NOCASE LIMIT ?""", [cutoff, limit]))
    for row in rows:
        row.update(verification(row["assured_date"], today, days))
    return rows


def mark_verified(db: Database, service_id: str, *, today: date, by_user: dict, now: str) -> dict:
    """Set the verified date (HSDS assured_date) to today and the verifier; logged."""
    with writing(db):
        db.execute("UPDATE service SET assured_date = ?, assurer_email = ?, updated_at = ?"
                   " WHERE id = ?", [today.isoformat(), by_user.get("email"), now, service_id])
        db["service_verification"].insert({"service_id": service_id,
                                           "verified_on": today.isoformat(),
                                           "verified_by": by_user.get("id"), "at": now})
    return queue_row(db, service_id, today=today)


def queue_row(db: Database, service_id: str, *, today: date) -> dict:
    """One row of the queue as it stands (after a tap)."""
    row = next(db.query(f"SELECT id, name, organization_name, assured_date, assurer_email,"
                        f" {_PHONE} FROM service WHERE id = ?", [service_id]))
    row.update(verification(row["assured_date"], today))
    return row
