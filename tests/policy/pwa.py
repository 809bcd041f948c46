import json

from tests.policy import EVERYONE, LOGGED_IN

RCMP_CONFLICT_ID = 9001


def rcmp_conflict(db) -> dict:
    """An open sync conflict sent by a phone of the RCMP."""
    db["sync_conflict"].upsert({
        "id": RCMP_CONFLICT_ID, "item_type": "contact", "item_id": "policy-rcmp-contact",
        "payload": '{"id": "policy-rcmp-contact", "note": "RCMP (demo)"}',
        "police_service": "RCMP", "received_at": "2026-01-01T00:00:00+00:00",
        "resolved_at": None}, pk="id")
    return {"conflict_id": RCMP_CONFLICT_ID}


HRP_CONFLICT_ID = 9002


def officer_conflict(db) -> dict:
    """An open sync conflict the demo officer's phone sent about one of their own contacts."""
    officer = db.execute("select id from user where email = 'officer@demo.test'").fetchone()[0]
    contact = db.execute("select id from contact where officer_id = ? limit 1",
                         [officer]).fetchone()
    item_id = contact[0] if contact else "policy-hrp-contact"
    db["sync_conflict"].upsert({
        "id": HRP_CONFLICT_ID, "item_type": "contact", "item_id": item_id,
        "payload": json.dumps({"id": item_id, "note": "phone version (demo)"}),
        "user_id": officer, "police_service": "HRP", "state": "open",
        "received_at": "2026-01-01T00:00:00+00:00", "resolved_at": None}, pk="id")
    db.conn.commit()
    return {"conflict_id": HRP_CONFLICT_ID}


POLICY = {
    "pwa.service_worker": {"roles": EVERYONE},
    "pwa.offline_page": {"roles": EVERYONE},
    "pwa.offline_script": {"roles": EVERYONE, "args": lambda db: {"name": "outbox.js"}},
    "pwa.csrf_token": {"roles": LOGGED_IN},
    "pwa.sync": {"roles": {"officer", "officer2", "coordinator"}},
    "pwa.receipts": {"roles": {"officer", "officer2", "coordinator"}},
    "pwa.discard": {"roles": {"officer", "officer2", "coordinator"}},
    "pwa.dismiss_install_hint": {"roles": {"officer", "officer2", "coordinator"}},
    # Officers see their own phone's conflicts, coordinators their police service's.
    "pwa.conflicts": {"roles": {"officer", "officer2", "coordinator"}},
    "pwa.conflict": {
        "roles": {"officer", "coordinator"}, "args": officer_conflict,
        "objects": [{"why": "a conflict sent from an RCMP phone", "args": rcmp_conflict,
                     "roles": {"rcmp_coordinator"}},
                    {"why": "a conflict sent by the officer's phone", "args": officer_conflict,
                     "roles": {"officer", "coordinator"}}],
    },
    "pwa.review_conflict": {
        "roles": {"officer", "coordinator"}, "args": officer_conflict,
        "objects": [{"why": "a conflict sent from an RCMP phone", "args": rcmp_conflict,
                     "roles": {"rcmp_coordinator"}}],
    },
    "pwa.resolve_conflict": {
        "roles": {"officer", "coordinator"}, "args": officer_conflict,
        # A coordinator resolves only the conflicts of their own police service.
        "objects": [{"why": "a conflict sent from an RCMP phone", "args": rcmp_conflict,
                     "roles": {"rcmp_coordinator"}}],
    },
}
