"""Demo accounts (fictional people on the .test domain, which never receives mail)."""

from sqlite_utils import Database
from werkzeug.security import check_password_hash

from fieldapp.accounts import store
from fieldapp.directory.demo import CRISIS_TEAM_ID, SENIORS_SERVICE_ID, YOUTH_SHELTER_ID

USERS = [
    {"id": "0d5e7a10-0000-4000-8000-000000000001", "email": "coordinator@demo.test",
     "name": "Casey Coordinator", "role": "coordinator", "police_service": "HRP"},
    {"id": "0d5e7a10-0000-4000-8000-000000000002", "email": "officer@demo.test",
     "name": "Const. Olivia Demo", "role": "officer", "police_service": "HRP"},
    {"id": "0d5e7a10-0000-4000-8000-000000000003", "email": "officer2@demo.test",
     "name": "Const. Omar Demo", "role": "officer", "police_service": "HRP"},
    {"id": "0d5e7a10-0000-4000-8000-000000000004", "email": "partner@demo.test",
     "name": "Pat Partner (Crisis Team)", "role": "partner", "organization_id": CRISIS_TEAM_ID},
    {"id": "0d5e7a10-0000-4000-8000-000000000005", "email": "partner2@demo.test",
     "name": "Pia Partner (Youth Shelter)", "role": "partner",
     "organization_id": YOUTH_SHELTER_ID},
    {"id": "0d5e7a10-0000-4000-8000-000000000006", "email": "partner3@demo.test",
     "name": "Paul Partner (Seniors)", "role": "partner", "organization_id": SENIORS_SERVICE_ID},
]


def load(db: Database, config: dict, now: str) -> None:
    password = config["DEMO_PASSWORD"]
    for demo_user in USERS:
        fields = {"organization_id": None, "police_service": None, "language": "en", **demo_user}
        user_id = fields.pop("id")
        existing = store.get_user(db, user_id)
        if existing is None:
            store.create_user(db, fields, password, hash_method=config["PASSWORD_HASH_METHOD"],
                              now=now, user_id=user_id)
            continue
        store.update_user(db, user_id, {**fields, "active": 1}, now=now)
        if not check_password_hash(existing["password_hash"], password):
            store.set_password(db, user_id, password, hash_method=config["PASSWORD_HASH_METHOD"],
                               now=now)
