"""Helpers of the contacts tests: a valid contact form, contacts stored as if at a given time."""

import uuid
from datetime import timedelta

from fieldapp.contacts import demo, store
from tests.support import NOW, login

OFFICER = {"id": demo.OFFICER_ID, "role": "officer", "police_service": "HRP"}


def contact_form(**overrides) -> dict:
    """A valid individual contact as the web form posts it."""
    form = {"id": str(uuid.uuid4()), "occurred_at": "2026-03-02T13:30:00+00:00",
            "place_id": demo.PLACE_LIBRARY, "kind": "wellness_check",
            "populations": ["senior_65_plus"], "outcome": "information_given", "is_group": "0"}
    form.update(overrides)
    return {k: v for k, v in form.items() if v is not None}


def count(db, table: str) -> int:
    return db.execute(f"select count(*) from [{table}]").fetchone()[0]


def login_client(app, who="officer"):
    client = app.test_client()
    login(client, who)
    return client


OFFICER2 = {"id": demo.OFFICER2_ID, "role": "officer", "police_service": "HRP"}


def at(hours_before: float = 0, days_before: float = 0) -> str:
    moment = store.parse_time(NOW) - timedelta(hours=hours_before, days=days_before)
    return store.iso(moment)


def stored_by(app, user, created_at: str, **fields) -> str:
    """A contact stored through the one write path as if saved at `created_at`."""
    item = {"id": str(uuid.uuid4()), "occurred_at": created_at, "place_id": demo.PLACE_LIBRARY,
            "kind": "wellness_check", "populations": [], "outcome": "information_given",
            "is_group": 0, **fields}
    with app.app_context():
        from fieldapp.db import get_db

        result = store.apply_contact(get_db(), item, user, created_at)
    assert "created" == result["status"], result
    return item["id"]


def db_of(app):
    from fieldapp.db import connect

    return connect(app.config["DATABASE"])
