"""The audit trail of sensitive actions: who did what to which object, never free text."""

import json

from sqlite_utils import Database

from fieldapp.db import insert


def record(
    db: Database,
    *,
    at: str,
    action: str,
    user: dict | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    outcome: str = "ok",
    ip: str | None = None,
    detail: dict | None = None,
) -> None:
    """Append one audit event.  `detail` holds codes and ids only, never notes or passwords."""
    insert(db, "audit_event", {
        "at": at,
        "user_id": user["id"] if user else None,
        "role": user["role"] if user else None,
        "organization_id": user.get("organization_id") if user else None,
        "police_service": user.get("police_service") if user else None,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "outcome": outcome,
        "ip": ip,
        "detail": json.dumps(detail, sort_keys=True) if detail else None,
    })


def events(db: Database, action: str | None = None) -> list[dict]:
    """Audit events, newest last, optionally of one action."""
    if action:
        return list(db["audit_event"].rows_where("action = ?", [action], order_by="id"))
    return list(db["audit_event"].rows_where(order_by="id"))
