"""Helpers of the pwa tests: the records a phone queues (contacts, people, referrals)."""

import uuid

OCCURRED = "2026-03-02T13:30:00+00:00"


def contact(**fields) -> dict:
    return {"id": str(uuid.uuid4()), "occurred_at": OCCURRED, "place_text": "Main St park (demo)",
            "kind": "wellness_check", "populations": ["senior_65_plus"],
            "outcome": "information_given", "note": "", "is_group": 0, **fields}


def person(**fields) -> dict:
    return {"id": str(uuid.uuid4()), "alias": "Demo Person", "birth_year": 1950, "flags": [],
            "created_at": OCCURRED, **fields}


def referral_service(db) -> str:
    rows = list(db.query("select id from service where accepts_referrals = 1 "
                         "and archived_at is null limit 1"))
    assert rows, "the demo directory has services that accept referrals"
    return rows[0]["id"]


def referral(service_id: str, **fields) -> dict:
    return {"id": str(uuid.uuid4()), "service_id": service_id, "consent": "verbal",
            "shared": ["name"], "person_name": "Demo Person", "urgency": "today",
            "handoff_note": "", "created_at": OCCURRED, **fields}


def statuses(response, key) -> list[str]:
    return [item["status"] for item in response.get_json()["results"][key]]
