from tests.policy import EVERYONE, LOGGED_IN

POLICY = {
    "static": {"roles": EVERYONE, "args": lambda db: {"filename": "css/app.css"}},
    "healthz": {"roles": EVERYONE},
    "pwa.manifest": {"roles": EVERYONE},
    "accounts.login": {"roles": EVERYONE},
    "accounts.set_language": {"roles": EVERYONE},
    "accounts.index": {"roles": LOGGED_IN},
    "accounts.logout": {"roles": LOGGED_IN},
    "accounts.change_password": {"roles": LOGGED_IN},
    "accounts.users": {"roles": {"coordinator"}},
    "accounts.create_user": {"roles": {"coordinator"}},
    "accounts.change_role": {
        "roles": {"coordinator"},
        "args": lambda db: {"user_id": "0d5e7a10-0000-4000-8000-000000000003"},
    },
    "accounts.set_active": {
        "roles": {"coordinator"},
        "args": lambda db: {"user_id": "0d5e7a10-0000-4000-8000-000000000003"},
    },
}
