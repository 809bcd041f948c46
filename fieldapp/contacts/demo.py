"""Demo places, people and ~30 contacts by the two demo officers (all fictional; idempotent).

Ids are fixed so that other areas (referrals, reports) and tests can refer to them.
"""

import uuid
from datetime import timedelta

from sqlite_utils import Database

from fieldapp.contacts import store
from fieldapp.db import writing

OFFICER_ID = "0d5e7a10-0000-4000-8000-000000000002"
OFFICER2_ID = "0d5e7a10-0000-4000-8000-000000000003"
COORDINATOR_ID = "0d5e7a10-0000-4000-8000-000000000001"

NAMESPACE = uuid.UUID("c0de0000-4a1b-4c2d-8e3f-000000000000")


def demo_id(name: str) -> str:
    return str(uuid.uuid5(NAMESPACE, name))


# Places kept by the coordinator (fictional schools and community sites).
PLACE_HARBOUR_HIGH = demo_id("place:harbour-high")
PLACE_MAPLE_ELEMENTARY = demo_id("place:maple-elementary")
PLACE_NORTHEND_JUNIOR = demo_id("place:northend-junior")
PLACE_LIBRARY = demo_id("place:central-library")
PLACE_DROPIN = demo_id("place:dropin-centre")
PLACE_SENIORS_HALL = demo_id("place:seniors-hall")
# (id, name, kind, (lat, lon)): the position lets the directory search near a place (near.py).
PLACES = [
    (PLACE_HARBOUR_HIGH, "Harbour View High School (demo)", "school", (44.6460, -63.5730)),
    (PLACE_MAPLE_ELEMENTARY, "Maple Street Elementary (demo)", "school", (44.6405, -63.5910)),
    (PLACE_NORTHEND_JUNIOR, "North End Junior High (demo)", "school", (44.6620, -63.6000)),
    (PLACE_LIBRARY, "Central Library steps (demo)", "community_site", (44.6430, -63.5770)),
    (PLACE_DROPIN, "Gottingen Drop-in Centre (demo)", "community_site", (44.6520, -63.5860)),
    (PLACE_SENIORS_HALL, "Bayview Seniors' Hall (demo)", "community_site", (44.6480, -63.6250)),
]

# People (aliases only, all fictional).  JD and MK show repeat involvement.
PERSON_JD = demo_id("person:jd")  # officer's, 3 contacts in the last weeks (repeat)
PERSON_MK = demo_id("person:mk")  # officer's and officer2's (both worked with M.K.)
PERSON_RT = demo_id("person:rt")  # officer's only, a single contact
PERSON_GS = demo_id("person:gs")  # officer2's only (a senior)
PEOPLE = [
    (PERSON_JD, "J.D. (demo)", 1987, ["mental_health", "unsheltered"], OFFICER_ID),
    (PERSON_MK, "M.K. (demo)", 2009, ["youth_12_17"], OFFICER_ID),
    (PERSON_RT, "R.T. (demo)", None, [], OFFICER_ID),
    (PERSON_GS, "Grandpa S. (demo)", 1941, ["senior_65_plus", "veteran"], OFFICER2_ID),
]

# (key, officer, days ago, hour UTC, place, kind, populations, outcome, person, group, note)
CONTACTS = [
    ("c01", OFFICER_ID, 1, 15, PLACE_DROPIN, "mental_health", ["mental_health", "unsheltered"],
     "partner_on_scene", PERSON_JD, None, "Crisis team came within 20 minutes."),
    ("c02", OFFICER_ID, 9, 18, PLACE_LIBRARY, "housing_need", ["unsheltered"],
     "information_given", PERSON_JD, None, None),
    ("c03", OFFICER_ID, 23, 14, PLACE_DROPIN, "wellness_check", ["mental_health"],
     "deescalated", PERSON_JD, None, None),
    ("c04", OFFICER_ID, 2, 13, PLACE_HARBOUR_HIGH, "school_visit", ["youth_12_17"],
     "information_given", None, (28, "12_17"), "Talk on online safety, grade 9."),
    ("c05", OFFICER_ID, 4, 16, PLACE_HARBOUR_HIGH, "school_visit", ["youth_12_17"],
     "warm_referral", PERSON_MK, None, None),
    ("c06", OFFICER2_ID, 12, 17, PLACE_NORTHEND_JUNIOR, "family_concern", ["youth_12_17"],
     "safety_plan", PERSON_MK, None, None),
    ("c07", OFFICER_ID, 30, 15, PLACE_LIBRARY, "disorderly_noncriminal", [],
     "deescalated", PERSON_RT, None, None),
    ("c08", OFFICER2_ID, 3, 14, PLACE_SENIORS_HALL, "senior_concern",
     ["senior_65_plus", "veteran"], "warm_referral", PERSON_GS, None, None),
    ("c09", OFFICER2_ID, 40, 14, PLACE_SENIORS_HALL, "veteran_support",
     ["senior_65_plus", "veteran"], "information_given", PERSON_GS, None, None),
    ("c10", OFFICER_ID, 5, 13, PLACE_MAPLE_ELEMENTARY, "school_visit", ["child_under_12"],
     "information_given", None, (45, "under_12"), None),
    ("c11", OFFICER2_ID, 6, 13, PLACE_NORTHEND_JUNIOR, "school_visit", ["youth_12_17"],
     "information_given", None, (60, "12_17"), None),
    ("c12", OFFICER_ID, 7, 19, PLACE_DROPIN, "substance_use", ["substance_use"],
     "declined_services", None, None, None),
    ("c13", OFFICER_ID, 8, 20, PLACE_LIBRARY, "basic_needs", ["unsheltered"],
     "transported_safe_place", None, None, None),
    ("c14", OFFICER2_ID, 10, 21, PLACE_DROPIN, "mental_health", ["mental_health"],
     "escalated_ambulance", None, None, None),
    ("c15", OFFICER_ID, 11, 14, PLACE_SENIORS_HALL, "community_engagement", ["senior_65_plus"],
     "information_given", None, (22, "65_plus"), "Coffee with seniors."),
    ("c16", OFFICER2_ID, 13, 15, PLACE_LIBRARY, "community_engagement", [],
     "information_given", None, (15, "mixed"), None),
    ("c17", OFFICER_ID, 14, 22, PLACE_DROPIN, "disorderly_noncriminal", ["substance_use"],
     "escalated_police", None, None, None),
    ("c18", OFFICER2_ID, 15, 12, PLACE_HARBOUR_HIGH, "school_visit", ["youth_12_17"],
     "information_given", None, (30, "12_17"), None),
    ("c19", OFFICER_ID, 16, 16, None, "wellness_check", ["senior_65_plus"],
     "no_longer_needed", None, None, None),
    ("c20", OFFICER2_ID, 17, 18, PLACE_DROPIN, "housing_need", ["unsheltered"],
     "warm_referral", None, None, None),
    ("c21", OFFICER_ID, 18, 14, PLACE_NORTHEND_JUNIOR, "situation_table", ["youth_12_17"],
     "situation_table_referral", None, None, None),
    ("c22", OFFICER2_ID, 19, 15, PLACE_LIBRARY, "veteran_support", ["veteran"],
     "information_given", None, None, None),
    ("c23", OFFICER_ID, 20, 17, PLACE_DROPIN, "mental_health", ["mental_health"],
     "partner_on_scene", None, None, None),
    ("c24", OFFICER2_ID, 21, 13, PLACE_MAPLE_ELEMENTARY, "school_visit", ["child_under_12"],
     "information_given", None, (25, "under_12"), None),
    ("c25", OFFICER_ID, 22, 19, PLACE_LIBRARY, "other", [], "unable_to_locate", None, None,
     None),
    ("c26", OFFICER2_ID, 24, 16, PLACE_SENIORS_HALL, "wellness_check", ["senior_65_plus"],
     "safety_plan", None, None, None),
    ("c27", OFFICER_ID, 26, 20, PLACE_DROPIN, "basic_needs", ["unsheltered", "substance_use"],
     "information_given", None, None, None),
    ("c28", OFFICER2_ID, 28, 14, PLACE_NORTHEND_JUNIOR, "family_concern", ["child_under_12"],
     "warm_referral", None, None, None),
    ("c29", OFFICER_ID, 33, 15, PLACE_HARBOUR_HIGH, "school_visit", ["youth_12_17"],
     "information_given", None, (120, "12_17"), "Assembly, whole school."),
    ("c30", OFFICER2_ID, 35, 18, PLACE_DROPIN, "substance_use", ["substance_use"],
     "deescalated", None, None, None),
]

CONTACT_IDS = {key: demo_id(f"contact:{key}") for key, *_rest in CONTACTS}
# A contact of officer with no person: officer2 may not open it.
OFFICER_PRIVATE_CONTACT = CONTACT_IDS["c12"]
# A contact of officer with M.K., whom officer2 has also worked with: officer2 may open it.
OFFICER_SHARED_CONTACT = CONTACT_IDS["c05"]


def load(db: Database, config: dict, now: str) -> None:
    police_service = "HRP"
    for place_id, name, kind, (lat, lon) in PLACES:
        db["place"].upsert({"id": place_id, "name": name, "kind": kind,
                            "police_service": police_service, "lat": lat, "lon": lon,
                            "active": 1, "created_at": now}, pk="id")
    now_dt = store.parse_time(now)
    for person_id, alias, birth_year, flags, creator in PEOPLE:
        existing = list(db.query("select id from person where id = ?", [person_id]))
        if not existing:
            created = store.iso(now_dt - timedelta(days=45))
            db["person"].insert({"id": person_id, "alias": alias, "birth_year": birth_year,
                                 "flags": store.json.dumps(flags) if flags else None,
                                 "police_service": police_service, "created_by": creator,
                                 "created_at": created, "updated_at": created})
    day = now_dt.replace(minute=0, second=0, microsecond=0)
    for key, officer, days, hour, place, kind, pops, outcome, person, group, note in CONTACTS:
        contact_id = CONTACT_IDS[key]
        if db.execute("select 1 from contact where id = ?", [contact_id]).fetchone():
            continue
        occurred = store.iso((day - timedelta(days=days)).replace(hour=hour))
        headcount, age_band = group if group else (None, None)
        with writing(db):
            db["contact"].insert({
                "id": contact_id, "officer_id": officer, "police_service": police_service,
                "team": None, "occurred_at": occurred, "created_at": occurred,
                "updated_at": occurred, "place_id": place,
                "place_text": None if place else "Parking lot behind the rink (demo)",
                "lat": None, "lon": None, "kind": kind, "outcome": outcome, "note": note,
                "person_id": person, "is_group": 1 if group else 0, "headcount": headcount,
                "age_band": age_band,
            })
            for population in pops:
                db["contact_population"].insert({"contact_id": contact_id,
                                                 "population": population}, ignore=True)
