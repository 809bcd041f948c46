"""Demo calls for service (fictional dispatch records) and person-key links, loaded only when
the contacts area's demo people exist; and the demo's joint police-health service (the mobile
crisis team, run by police with health).  Idempotent: calls have fixed call ids, links are
upserts, the mark is set again."""

from datetime import datetime, timedelta

from sqlite_utils import Database

from fieldapp.contacts.demo import PERSON_JD, PERSON_MK
from fieldapp.directory.demo_build import uid
from fieldapp.reports import calls, calls_store, store

# (call id, days before now, call type, person key)
CALLS = [
    ("DEMO-0001", 150, "check wellbeing", "DEMO-KEY-JD"),
    ("DEMO-0002", 110, "disturbance", "DEMO-KEY-JD"),
    ("DEMO-0003", 70, "disturbance", "DEMO-KEY-JD"),
    ("DEMO-0004", 40, "mental health", "DEMO-KEY-JD"),
    ("DEMO-0005", 25, "mental health", "DEMO-KEY-JD"),
    ("DEMO-0006", 5, "check wellbeing", "DEMO-KEY-JD"),
    ("DEMO-0007", 95, "noise", "DEMO-KEY-MK"),
    ("DEMO-0008", 3, "noise", "DEMO-KEY-MK"),
    ("DEMO-0009", 60, "theft", "DEMO-KEY-UNLINKED"),
    ("DEMO-0010", 12, "traffic", ""),
]

# Demo directory services (demo_build keys) run jointly by police and health.
JOINT_SERVICES = ["crisis_mobile"]


def load(db: Database, config: dict, now: str) -> None:
    _mark_joint_services(db)
    people = {"DEMO-KEY-JD": PERSON_JD, "DEMO-KEY-MK": PERSON_MK}
    if not all(calls_store.person_exists(db, person_id) for person_id in people.values()):
        return
    moment = datetime.fromisoformat(now)
    lines = ["call id,date/time,call type,person key"]
    for call_id, days, call_type, key in CALLS:
        called_at = (moment - timedelta(days=days)).isoformat(timespec="seconds")
        lines.append(f"{call_id},{called_at},{call_type},{key}")
    result = calls.parse("\n".join(lines) + "\n", config["TIMEZONE"], "demo", now)
    calls_store.insert_calls(db, result.rows)
    for key, person_id in people.items():
        calls_store.link_key(db, key, person_id, None, now)


def _mark_joint_services(db: Database) -> None:
    """The demo's mobile crisis response attends with or without police: a joint team."""
    for key in JOINT_SERVICES:
        store.set_joint_police_health(db, uid("service", key))
