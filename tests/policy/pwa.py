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


POLICY = {
    "pwa.service_worker": {"roles": EVERYONE},
    "pwa.offline_page": {"roles": EVERYONE},
    "pwa.offline_script": {"roles": EVERYONE, "args": lambda db: {"name": "outbox.js"}},
    "pwa.csrf_token": {"roles": LOGGED_IN},
    "pwa.sync": {"roles": {"officer", "officer2", "coordinator"}},
    "pwa.receipts": {"roles": {"officer", "officer2", "coordinator"}},
    "pwa.discard": {"roles": {"officer", "officer2", "coordinator"}},
    "pwa.conflicts": {"roles": {"coordinator"}},
    "pwa.resolve_conflict": {
        "roles": {"coordinator"}, "args": lambda db: {"conflict_id": 1},
        # A coordinator resolves only the conflicts of their own police service.
        "objects": [{"why": "a conflict sent from an RCMP phone", "args": rcmp_conflict,
                     "roles": {"rcmp_coordinator"}}],
    },
}
