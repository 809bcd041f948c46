"""Partners' edit proposals: recorded as changes against the listing, shown to a
coordinator as a diff, then applied or rejected."""

from __future__ import annotations

import json

from sqlite_utils import Database

from fieldapp.db import writing
from fieldapp.directory.store import new_id

# What a partner may propose for their own listing (shown as a diff to the coordinator).
PROPOSABLE_FIELDS = [
    "name", "description", "eligibility_description", "fees_description", "application_process",
    "intake_phone", "intake_email", "intake_instructions", "email", "url", "alert",
]


def propose_edit(db: Database, service: dict, changes: dict, *, by_user_id: str, now: str) -> str:
    """Record a partner's proposed changes to a listing; the listing itself is not touched."""
    base = {field: service.get(field) for field in changes}
    proposal_id = new_id()
    db["service_edit_proposal"].insert({
        "id": proposal_id, "service_id": service["id"],
        "organization_id": service["organization_id"], "proposed_by": by_user_id,
        "proposed_at": now, "changes_json": json.dumps(changes, sort_keys=True),
        "base_json": json.dumps(base, sort_keys=True), "status": "pending",
    })
    return proposal_id


def proposals(db: Database, *, status: str = "pending", organization_id: str | None = None
              ) -> list[dict]:
    where, params = ["p.status = ?"], [status]
    if organization_id:
        where.append("p.organization_id = ?")
        params.append(organization_id)
    return list(db.query(
        f"""SELECT p.*, s.name AS service_name, s.organization_name, u.name AS proposer_name
        FROM service_edit_proposal p JOIN service s ON s.id = p.service_id
        LEFT JOIN user u ON u.id = p.proposed_by
        WHERE {' AND '.join(where)} ORDER BY p.proposed_at""", params))


def get_proposal(db: Database, proposal_id: str) -> dict | None:
    rows = list(db.query(
        """SELECT p.*, s.name AS service_name, s.organization_name, u.name AS proposer_name
        FROM service_edit_proposal p JOIN service s ON s.id = p.service_id
        LEFT JOIN user u ON u.id = p.proposed_by WHERE p.id = ?""", [proposal_id]))
    if not rows:
        return None
    proposal = rows[0]
    changes = json.loads(proposal["changes_json"] or "{}")
    base = json.loads(proposal["base_json"] or "{}")
    current = next(db.query("SELECT * FROM service WHERE id = ?", [proposal["service_id"]]))
    proposal["diff"] = [
        {"field": field, "before": base.get(field), "current": current.get(field),
         "after": value, "changed_since": (current.get(field) or None) != (base.get(field) or None)}
        for field, value in changes.items()
    ]
    return proposal


def decide_proposal(db: Database, proposal_id: str, *, approve: bool, by_user_id: str,
                    now: str) -> bool:
    """Approve (apply the changes to the listing) or reject a pending proposal."""
    proposal = get_proposal(db, proposal_id)
    if proposal is None or proposal["status"] != "pending":
        return False
    with writing(db):
        if approve:
            changes = {field: value for field, value in json.loads(proposal["changes_json"]).items()
                       if field in PROPOSABLE_FIELDS}
            if changes:
                db["service"].update(proposal["service_id"], {**changes, "updated_at": now})
        db.execute("UPDATE service_edit_proposal SET status = ?, decided_by = ?, decided_at = ?"
                   " WHERE id = ? AND status = 'pending'",
                   ["approved" if approve else "rejected", by_user_id, now, proposal_id])
    return True
