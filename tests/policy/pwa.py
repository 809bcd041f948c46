from tests.policy import EVERYONE, LOGGED_IN

POLICY = {
    "pwa.service_worker": {"roles": EVERYONE},
    "pwa.offline_page": {"roles": EVERYONE},
    "pwa.offline_script": {"roles": EVERYONE, "args": lambda db: {"name": "outbox.js"}},
    "pwa.csrf_token": {"roles": LOGGED_IN},
    "pwa.sync": {"roles": {"officer", "officer2", "coordinator"}},
    "pwa.receipts": {"roles": {"officer", "officer2", "coordinator"}},
    "pwa.discard": {"roles": {"officer", "officer2", "coordinator"}},
    "pwa.conflicts": {"roles": {"coordinator"}},
    "pwa.resolve_conflict": {"roles": {"coordinator"}, "args": lambda db: {"conflict_id": 1}},
}
