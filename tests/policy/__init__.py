"""The route policy: for every endpoint, which users may get a successful answer.

Each area keeps its own table in tests/policy/<area>.py:

    POLICY = {
        "referrals.detail": {
            "roles": {"officer", "partner", "coordinator"},   # who may succeed (< 400)
            "args": lambda db: {"referral_id": <id of a demo referral to the crisis team>},
        },
    }

Users: "anonymous", "officer", "officer2", "partner" (crisis team), "partner2" (youth shelter),
"coordinator".  Everyone not listed must be refused: anonymous is sent to the login page (or
gets 401 on /api/), logged-in users get 404.  "args" is optional: without it, each URL variable
gets a random UUID (everyone then expects 404), so give real demo objects where you can.
Endpoints that accept GET are walked with GET, the others with an empty POST (with a valid CSRF
token); for a POST the check is only that refused users are refused.

Object-level rules (who may open *this* object) are listed under "objects" in the same entry:

    "contacts.detail": {
        ...,
        "objects": [{"why": "officer's contact with a person officer2 also worked with",
                     "args": lambda db: {...}, "roles": {"officer", "coordinator"}}],
    }

Each object case is walked as every user of USERS and OTHER_SERVICE_USERS (an officer and a
coordinator of the RCMP, created for the walk: the demo users all belong to HRP) with the same
rule: "roles" succeed, everyone else gets 404 (anonymous: the login page).
"""

import importlib
import pkgutil

USERS = ["anonymous", "officer", "officer2", "partner", "partner2", "coordinator"]
EVERYONE = set(USERS)
LOGGED_IN = EVERYONE - {"anonymous"}
# Users of the other police service: (e-mail, role, police service).
OTHER_SERVICE_USERS = {
    "rcmp_officer": ("rcmp-officer@demo.test", "officer", "RCMP"),
    "rcmp_coordinator": ("rcmp-coordinator@demo.test", "coordinator", "RCMP"),
}


def load_policy() -> dict:
    merged: dict = {}
    for module in pkgutil.iter_modules(__path__):
        table = importlib.import_module(f"{__name__}.{module.name}").POLICY
        overlap = merged.keys() & table.keys()
        assert not overlap, f"endpoints listed twice: {overlap}"
        merged.update(table)
    return merged
