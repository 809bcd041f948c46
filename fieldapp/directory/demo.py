"""Demo partner organizations (fictional).  Their ids are fixed: demo accounts refer to them."""

from sqlite_utils import Database

CRISIS_TEAM_ID = "6f1c2d3e-5a4b-4c8d-9e0f-000000000001"
YOUTH_SHELTER_ID = "6f1c2d3e-5a4b-4c8d-9e0f-000000000002"
SENIORS_SERVICE_ID = "6f1c2d3e-5a4b-4c8d-9e0f-000000000003"

ORGANIZATIONS = [
    {"id": CRISIS_TEAM_ID, "name": "Harbourside Mobile Crisis Team (demo)",
     "description": "Demo: mental-health mobile crisis team, 24/7.",
     "email": "intake@crisis.demo.test"},
    {"id": YOUTH_SHELTER_ID, "name": "Northwind Youth Shelter (demo)",
     "description": "Demo: emergency shelter and outreach for youth 16-24.",
     "email": "intake@youth-shelter.demo.test"},
    {"id": SENIORS_SERVICE_ID, "name": "Bayview Seniors' Outreach (demo)",
     "description": "Demo: wellness visits and supports for seniors living alone.",
     "email": "intake@seniors.demo.test"},
]


def load(db: Database, config: dict, now: str) -> None:
    for organization in ORGANIZATIONS:
        db["organization"].upsert({**organization, "created_at": now, "updated_at": now}, pk="id")
