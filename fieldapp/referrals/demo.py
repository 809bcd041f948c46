"""Demo referrals (fictional) to the demo agencies, in various statuses.  Idempotent.

Skipped for an agency that has no service accepting referrals yet (the directory's demo adds them).
"""

from datetime import datetime, timedelta

from sqlite_utils import Database

from fieldapp.directory.demo import CRISIS_TEAM_ID, SENIORS_SERVICE_ID, YOUTH_SHELTER_ID
from fieldapp.referrals import lifecycle, store

OFFICER_ID = "0d5e7a10-0000-4000-8000-000000000002"
OFFICER2_ID = "0d5e7a10-0000-4000-8000-000000000003"
PARTNER_IDS = {CRISIS_TEAM_ID: "0d5e7a10-0000-4000-8000-000000000004",
               YOUTH_SHELTER_ID: "0d5e7a10-0000-4000-8000-000000000005",
               SENIORS_SERVICE_ID: "0d5e7a10-0000-4000-8000-000000000006"}

# Referral ids are fixed so tests and the route policy can name them.
URGENT_NEW_ID = "7e0f0000-0000-4000-8000-000000000001"  # officer -> crisis team, just sent
ACCEPTED_ID = "7e0f0000-0000-4000-8000-000000000002"
OVERDUE_ID = "7e0f0000-0000-4000-8000-000000000003"
DECLINED_ID = "7e0f0000-0000-4000-8000-000000000004"  # officer2 -> youth shelter, no capacity
CONNECTED_ID = "7e0f0000-0000-4000-8000-000000000005"
CLOSED_ID = "7e0f0000-0000-4000-8000-000000000006"

# (id, organization, officer, minutes ago sent, urgency, consent, then [(action, reason, +min)])
REFERRALS = [
    (URGENT_NEW_ID, CRISIS_TEAM_ID, OFFICER_ID, 4, "urgent", "verbal", []),
    (ACCEPTED_ID, CRISIS_TEAM_ID, OFFICER_ID, 180, "today", "written",
     [("receive", None, 3), ("accept", None, 5)]),
    (OVERDUE_ID, CRISIS_TEAM_ID, OFFICER_ID, 45, "urgent", "not_obtainable", []),
    (DECLINED_ID, YOUTH_SHELTER_ID, OFFICER2_ID, 300, "today", "verbal",
     [("receive", None, 10), ("decline", "no_capacity", 12)]),
    (CONNECTED_ID, SENIORS_SERVICE_ID, OFFICER_ID, 2000, "this_week", "guardian",
     [("receive", None, 60), ("accept", None, 65), ("attempt_contact", None, 300),
      ("connect", None, 1500)]),
    (CLOSED_ID, CRISIS_TEAM_ID, OFFICER2_ID, 5000, "today", "none",
     [("receive", None, 20), ("accept", None, 22), ("connect", None, 600),
      ("close", "completed", 3000)]),
]
NAMES = ["Demo Person A", "Demo Person B", "Demo Person C", "Demo Person D", "Demo Person E"]


def load(db: Database, config: dict, now: str) -> None:
    if not db["service"].exists():
        return
    moment = datetime.fromisoformat(now)
    for index, (referral_id, org, officer_id, ago, urgency, consent, steps) in enumerate(
            REFERRALS):
        if list(db.query("select 1 from referral where id = ?", [referral_id])):
            continue
        service = _service_of(db, org)
        officer = _user(db, officer_id)
        partner = _user(db, PARTNER_IDS[org])
        if service is None or officer is None or partner is None:
            continue
        sent = moment - timedelta(minutes=ago)
        shared = [] if consent == "none" else ["name", "phone", "note"]
        item = {"id": referral_id, "service_id": service, "consent": consent,
                "consent_reason": "Demo: imminent risk, person unable to respond"
                if consent == "not_obtainable" else None,
                "shared": shared, "urgency": urgency,
                "person_name": NAMES[index % len(NAMES)] if shared else None,
                "person_phone": f"902-555-01{10 + index}" if shared else None,
                "handoff_note": "Demo hand-off: prefers afternoons, speaks English and French."
                if shared else None,
                "preferred_contact": "Phone, afternoons" if shared else None,
                "created_at": _iso(sent)}
        result = store.apply_referral(db, item, officer, _iso(sent))
        if result["status"] != "created":
            continue
        for action, reason, after in steps:
            lifecycle.transition(db, referral_id, action, user=partner,
                                 now=_iso(sent + timedelta(minutes=after)), reason=reason)


def _service_of(db: Database, organization_id: str) -> str | None:
    rows = list(db.query(
        "select id from service where organization_id = ? and accepts_referrals = 1"
        " and archived_at is null order by name, id limit 1", [organization_id]))
    return rows[0]["id"] if rows else None


def _user(db: Database, user_id: str) -> dict | None:
    rows = list(db.query("select * from user where id = ?", [user_id]))
    return rows[0] if rows else None


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")
