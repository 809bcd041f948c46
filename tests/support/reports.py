"""The board report's tests' data: a hand-built dataset whose every figure is known (see
EXPECTED in tests/test_reports_board.py), earlier periods for the summary, joint-team cases for
diversion, and readers of the report's HTML tables and CSV.

Report: 2026-Q1 (America/Halifax: 2026-01-01T04:00Z up to 2026-04-01T03:00Z, daylight time from
8 March), clock frozen at REPORT_NOW."""

import csv
import io
import itertools
from datetime import date
from html.parser import HTMLParser

import fieldapp.cli  # noqa: F401  (imports the areas in the app's order)
from fieldapp.db import connect
from fieldapp.directory.demo import CRISIS_TEAM_ID, YOUTH_SHELTER_ID
from fieldapp.reports import calls, store
from fieldapp.reports.period import Period, quarter

REPORT_NOW = "2026-07-20T12:00:00+00:00"
Q1 = "quarter=2026-Q1"
HRP_Q1 = "quarter=2026-Q1&police_service=HRP"

OFFICER_A = "a0000000-0000-4000-8000-00000000000a"  # HRP, team Hand
OFFICER_B = "b0000000-0000-4000-8000-00000000000b"  # RCMP, team Other
S1, S2 = "s1-crisis-line", "s2-youth-beds"

# id, occurred_at (UTC), kind, outcome, person, populations, headcount (group), officer, deleted
CONTACTS = [
    ("c01", "2026-01-05T15:00:00+00:00", "school_visit", "information_given", None,
     ["youth_12_17"], 20, OFFICER_A, None),
    ("c02", "2026-01-12T15:00:00+00:00", "school_visit", "information_given", None,
     ["youth_12_17"], 25, OFFICER_A, None),
    ("c03", "2026-02-03T15:00:00+00:00", "school_visit", "information_given", None,
     ["youth_12_17"], 30, OFFICER_A, None),
    ("c04", "2026-02-10T15:00:00+00:00", "school_visit", "information_given", None,
     ["youth_12_17"], 3, OFFICER_A, None),
    ("c05", "2026-03-02T15:00:00+00:00", "school_visit", None, "p01", ["youth_12_17"], None,
     OFFICER_A, None),
    ("c06", "2026-03-09T15:00:00+00:00", "school_visit", "information_given", "p02",
     ["youth_12_17"], None, OFFICER_A, None),
    ("c07", "2026-01-08T10:00:00+00:00", "mental_health", "warm_referral", "p03",
     ["mental_health"], None, OFFICER_A, None),
    ("c08", "2026-01-20T10:00:00+00:00", "mental_health", "escalated_police", "p03",
     ["mental_health"], None, OFFICER_A, None),
    ("c09", "2026-02-15T10:00:00+00:00", "mental_health", "partner_on_scene", "p04", [], None,
     OFFICER_A, None),
    ("c10", "2026-03-01T10:00:00+00:00", "mental_health", "information_given", "p05", [], None,
     OFFICER_A, None),
    ("c11", "2026-03-20T10:00:00+00:00", "mental_health", "escalated_police", "p06", [], None,
     OFFICER_A, None),
    ("c12", "2026-01-15T10:00:00+00:00", "wellness_check", "deescalated", "p07",
     ["mental_health", "senior_65_plus"], None, OFFICER_A, None),
    ("c13", "2026-02-20T10:00:00+00:00", "wellness_check", "transported_safe_place", "p07",
     ["senior_65_plus"], None, OFFICER_A, None),
    ("c14", "2026-03-25T10:00:00+00:00", "wellness_check", None, "p08", ["senior_65_plus"],
     None, OFFICER_A, None),
    ("c15", "2026-01-25T10:00:00+00:00", "housing_need", "warm_referral", "p09",
     ["unsheltered"], None, OFFICER_A, None),
    ("c16", "2026-02-01T10:00:00+00:00", None, None, "p10", [], None, OFFICER_A, None),
    # 23:59:59 on 31 March, local time: the last second of the quarter.
    ("c17", "2026-04-01T02:59:59+00:00", None, "deescalated", "p11", [], None, OFFICER_A, None),
    # 61 days before c11: p06 is not a repeat person.
    ("c18", "2026-01-18T10:00:00+00:00", "wellness_check", "deescalated", "p06", [], None,
     OFFICER_A, None),
    # Outside the quarter (local 31 Dec 23:59:59 / 1 Apr 00:00), or undone.
    ("x1", "2026-01-01T03:59:59+00:00", "mental_health", "warm_referral", "p03", [], None,
     OFFICER_A, None),
    ("x2", "2026-04-01T03:00:00+00:00", "wellness_check", "deescalated", "p09", [], None,
     OFFICER_A, None),
    ("x3", "2026-02-05T10:00:00+00:00", "mental_health", "escalated_police", "p12",
     ["mental_health"], None, OFFICER_A, "2026-02-05T10:05:00+00:00"),
    # RCMP, team Other: only in "all police services".
    ("r1", "2026-02-02T12:00:00+00:00", "substance_use", "information_given", "p13",
     ["substance_use"], None, OFFICER_B, None),
    ("r2", "2026-02-20T12:00:00+00:00", "substance_use", "escalated_police", "p13",
     ["substance_use"], None, OFFICER_B, None),
]

# id, service, sent_at, hours to (received, accepted, connected, declined), reason, contact, officer
H = None
REFERRALS = [
    ("R01", S1, "2026-01-10T12:00:00+00:00", (1, 2, 10, H), None, None, OFFICER_A),
    ("R02", S1, "2026-01-11T12:00:00+00:00", (H, 4, 48, H), None, None, OFFICER_A),
    ("R03", S1, "2026-01-20T12:00:00+00:00", (H, 6, 49, H), None, None, OFFICER_A),
    ("R04", S1, "2026-02-01T12:00:00+00:00", (H, 8, 20, H), None, None, OFFICER_A),
    ("R05", S1, "2026-02-05T12:00:00+00:00", (H, 30, H, H), None, None, OFFICER_A),
    ("R06", S1, "2026-02-10T12:00:00+00:00", (1, H, H, 5), "no_capacity", None, OFFICER_A),
    ("R07", S1, "2026-02-12T12:00:00+00:00", (1, H, H, 5), "person_declined", None, OFFICER_A),
    ("R08", S1, "2026-03-30T12:00:00+00:00", (H, H, H, H), None, None, OFFICER_A),
    ("R09", S1, "2026-03-01T12:00:00+00:00", (H, 1, 5, H), None, "c10", OFFICER_A),
    ("R10", S1, "2026-03-05T12:00:00+00:00", (H, 3, 30, H), None, None, OFFICER_A),
    ("R11", S2, "2026-01-15T12:00:00+00:00", (H, 2, 12, H), None, None, OFFICER_A),
    ("R12", S2, "2026-03-31T20:00:00+00:00", (1, H, H, 2), "not_eligible", None, OFFICER_A),
    ("R13", S2, "2026-04-01T03:00:00+00:00", (H, 1, 2, H), None, None, OFFICER_A),
    ("R14", S2, "2026-02-03T12:00:00+00:00", (H, 1, H, H), None, None, OFFICER_B),
]

# id, organization, categories, partnered police services, assured_date, archived
SERVICES = [
    (S1, CRISIS_TEAM_ID, ["mental_health_crisis"], ["HRP", "RCMP"], "2026-07-01", False),
    (S2, YOUTH_SHELTER_ID, ["youth", "housing_shelter"], ["HRP"], "2025-12-01", False),
    ("s3", YOUTH_SHELTER_ID, ["housing_shelter"], ["RCMP"], None, False),
    ("s4", YOUTH_SHELTER_ID, ["housing_shelter"], ["HRP", "RCMP"], "2026-01-21", False),
    ("s5", YOUTH_SHELTER_ID, ["housing_shelter"], ["HRP"], "2026-01-20", False),
    ("s6", YOUTH_SHELTER_ID, ["housing_shelter"], ["HRP"], "2026-06-01", True),
    ("s7", YOUTH_SHELTER_ID, ["housing_shelter"], ["HRP", "RCMP"], "2026-06-01", False),
    ("s8", YOUTH_SHELTER_ID, ["housing_shelter"], ["HRP"], "2026-06-01", False),
    ("s9", CRISIS_TEAM_ID, ["seniors"], [], "2026-06-01", False),
]

KEYS = {"K1": "p07", "K2": "p06", "K3": "p09", "K4": "p10", "K5": "p04", "K6": "p08",
        "K7": "p11", "K8": "p03"}

CALLS_CSV = """call id,date/time,call type,person key
A-0,2025-10-20T00:00:00Z,check wellbeing,K0
A-1,2025-10-20T10:00:00Z,disturbance,K2
A-2,2025-12-01T10:00:00Z,disturbance,K2
A-3,2026-01-18T09:59:59Z,disturbance,K2
A-4,2026-01-18T10:00:00Z,disturbance,K2
A-5,2026-04-18T10:00:00Z,disturbance,K2
A-6,2025-10-20T09:59:59Z,disturbance,K2
B-1,2025-11-15T10:00:00Z,mental health,K3
B-2,2025-12-15T10:00:00Z,mental health,K3
B-3,2026-01-10T10:00:00Z,mental health,K3
B-4,2026-02-20T10:00:00Z,mental health,K3
C-1,2026-01-01T10:00:00Z,trespass,K4
D-1,2026-01-20T10:00:00Z,noise,K5
D-2,2026-03-01T10:00:00Z,noise,K5
D-3,2026-04-01T10:00:00Z,noise,K5
E-1,2026-02-01T00:00:00Z,wellbeing,K6
E-2,2026-02-15T10:00:00Z,wellbeing,K6
E-3,2026-05-01T10:00:00Z,wellbeing,K6
F-1,2025-12-01T10:00:00Z,theft,K1
F-2,2026-02-01T10:00:00Z,theft,K1
G-1,2026-05-01T10:00:00Z,theft,K7
H-1,2026-01-10T10:00:00Z,theft,K8
Z-9,2026-06-20T00:00:00Z,check wellbeing,K0
"""

WIPE = ["mail_outbox", "referral_link", "referral_event", "referral", "contact_population",
        "contact_revision",
        "sync_conflict", "contact", "person_key", "calls_for_service", "person",
        "service_partnership", "service_category", "service_edit_proposal",
        "service_verification", "service"]


def _plus(moment: str, hours):
    from datetime import datetime, timedelta

    if hours is None:
        return None
    return (datetime.fromisoformat(moment) + timedelta(hours=hours)).isoformat()


def load(path: str) -> None:
    """Replace the demo's contacts, referrals and services with the hand-built dataset."""
    db = connect(path)
    db.execute("PRAGMA foreign_keys = OFF")
    with db.atomic():
        for table in WIPE:
            if db[table].exists():
                db.execute(f"delete from [{table}]")
        for user_id, ps, team in ((OFFICER_A, "HRP", "Hand"), (OFFICER_B, "RCMP", "Other")):
            db["user"].upsert({"id": user_id, "email": f"{team.lower()}@report.test",
                               "name": f"Const. {team} (test)", "role": "officer",
                               "police_service": ps, "team": team, "language": "en",
                               "active": 1, "password_hash": "x"}, pk="id")
        people = sorted({c[4] for c in CONTACTS if c[4]} | {"p08"})
        for person_id in people:
            db["person"].insert({"id": person_id, "alias": f"Test {person_id}",
                                 "police_service": "HRP", "created_at": "2025-01-01T00:00:00",
                                 "merged_into_id": "p01" if person_id == "p08" else None})
        for (cid, at, kind, outcome, person, pops, headcount, officer, deleted) in CONTACTS:
            ps, team = ("HRP", "Hand") if officer == OFFICER_A else ("RCMP", "Other")
            db["contact"].insert({
                "id": cid, "officer_id": officer, "police_service": ps, "team": team,
                "occurred_at": at, "created_at": at, "kind": kind, "outcome": outcome,
                "person_id": person, "is_group": 1 if headcount else 0, "headcount": headcount,
                "deleted_at": deleted})
            for population in pops:
                db["contact_population"].insert({"contact_id": cid, "population": population})
        for (rid, service, sent, hours, reason, contact, officer) in REFERRALS:
            received, accepted, connected, declined = (_plus(sent, h) for h in hours)
            status = ("connected" if connected else "accepted" if accepted else
                      "declined" if declined else "received" if received else "sent")
            db["referral"].insert({
                "id": rid, "contact_id": contact, "service_id": service,
                "organization_id": CRISIS_TEAM_ID if service == S1 else YOUTH_SHELTER_ID,
                "officer_id": officer, "police_service": "HRP" if officer == OFFICER_A else "RCMP",
                "urgency": "today", "consent": "verbal", "status": status,
                "status_reason": reason, "created_at": sent, "sent_at": sent,
                "received_at": received, "accepted_at": accepted, "connected_at": connected,
                "declined_at": declined})
        for (sid, org, categories, partners, assured, archived) in SERVICES:
            db["service"].insert({"id": sid, "organization_id": org,
                                  "name": f"Service {sid} (test)", "assured_date": assured,
                                  "archived_at": "2026-05-01T00:00:00+00:00" if archived
                                  else None})
            for category in categories:
                db["service_category"].insert({"service_id": sid, "category": category})
            for ps in partners:
                db["service_partnership"].insert({"service_id": sid, "police_service": ps})
        for key, person_id in KEYS.items():
            db["person_key"].insert({"person_key": key, "person_id": person_id,
                                     "linked_at": "2026-07-01T00:00:00+00:00"})
    result, added = calls.import_text(db, CALLS_CSV, "America/Halifax", REPORT_NOW)
    assert [] == result.errors
    db.execute("PRAGMA foreign_keys = ON")
    db.conn.close()


class Tables(HTMLParser):
    """{table id: [[cell text, ...], ...]} of the report's data tables (header row first)."""

    def __init__(self):
        super().__init__()
        self.tables, self.current, self.row, self.cell, self.in_caption = {}, None, None, None, 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and (attrs.get("id") or "").startswith("table-"):
            self.current = self.tables.setdefault(attrs["id"][6:], [])
        elif tag == "caption":
            self.in_caption += 1
        elif self.current is not None and tag == "tr":
            self.row = []
        elif self.row is not None and tag in ("td", "th"):
            self.cell = ""

    def handle_endtag(self, tag):
        if tag == "table":
            self.current = None
        elif tag == "caption":
            self.in_caption -= 1
        elif tag in ("td", "th") and self.cell is not None:
            self.row.append(self.cell.strip())
            self.cell = None
        elif tag == "tr" and self.row is not None:
            self.current.append(self.row)
            self.row = None

    def handle_data(self, data):
        if self.cell is not None and not self.in_caption:
            self.cell += data


def html_tables(html: str) -> dict:
    parser = Tables()
    parser.feed(html)
    return parser.tables


def csv_records(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


# 2025-Q4 (the period before 2026-Q1): six veterans (HRP), five of them referred, accepted
# after 2 h and connected after 10 to 50 h.
VETERANS = [(f"v{i}", f"2025-11-{10 + i:02d}T15:00:00+00:00") for i in range(1, 7)]
# 2025-Q1 (a year before 2026-Q1): ten mental-health contacts; eight referred and accepted
# (diverted), five of them connected after 6 h; two escalated to police.
MENTAL_HEALTH = [(f"m{i:02d}", f"2025-02-{i + 1:02d}T15:00:00+00:00") for i in range(1, 11)]


def add_earlier_periods(path: str) -> None:
    db = connect(path)
    with db.atomic():
        for i, (cid, at) in enumerate(VETERANS, 1):
            _contact(db, cid, at, "veteran_support", "warm_referral", f"pv{i}", ["veteran"])
            if i <= 5:
                _referral(db, f"VR{i}", cid, at, accepted=2, connected=10 * i)
        for i, (cid, at) in enumerate(MENTAL_HEALTH, 1):
            outcome = "escalated_police" if i > 8 else "warm_referral"
            _contact(db, cid, at, "mental_health", outcome, f"pm{i}", ["mental_health"])
            if i <= 8:
                _referral(db, f"MR{i}", cid, at, accepted=1, connected=6 if i <= 5 else None)
    db.conn.close()


def _contact(db, cid, at, kind, outcome, person, populations):
    db["person"].insert({"id": person, "alias": f"Test {person}", "police_service": "HRP",
                         "created_at": "2024-01-01T00:00:00"})
    db["contact"].insert({"id": cid, "officer_id": OFFICER_A, "police_service": "HRP",
                          "team": "Hand", "occurred_at": at, "created_at": at, "kind": kind,
                          "outcome": outcome, "person_id": person, "is_group": 0})
    for population in populations:
        db["contact_population"].insert({"contact_id": cid, "population": population})


def _referral(db, rid, contact, sent, accepted, connected):
    db["referral"].insert({
        "id": rid, "contact_id": contact, "service_id": S1, "organization_id": CRISIS_TEAM_ID,
        "officer_id": OFFICER_A, "police_service": "HRP", "urgency": "today",
        "consent": "verbal", "status": "connected" if connected else "accepted",
        "created_at": sent, "sent_at": sent, "accepted_at": _plus(sent, accepted),
        "connected_at": _plus(sent, connected)})


JOINT = "sj-mobile-joint"
PER_CASE = 5


def add_cases(path: str) -> None:
    db = connect(path)
    with db.atomic():
        db["service"].insert({"id": JOINT, "organization_id": CRISIS_TEAM_ID,
                              "name": "Joint mobile team (test)", "joint_police_health": 1})
        for case, (outcome, referrals) in CASES.items():
            for i in range(PER_CASE):
                cid = f"{case}-{i}"
                at = f"2026-02-{10 + i:02d}T15:00:00+00:00"
                db["contact"].insert({
                    "id": cid, "officer_id": OFFICER_A, "police_service": "HRP",
                    "team": "Hand", "occurred_at": at, "created_at": at,
                    "kind": "mental_health", "outcome": outcome, "is_group": 0})
                for j, (service, accepted) in enumerate(referrals):
                    declined = not accepted and i % 2
                    db["referral"].insert({
                        "id": f"{cid}-r{j}", "contact_id": cid, "service_id": service,
                        "organization_id": CRISIS_TEAM_ID, "officer_id": OFFICER_A,
                        "police_service": "HRP", "urgency": "today", "consent": "verbal",
                        "status": "accepted" if accepted else
                                  "declined" if declined else "sent",
                        "status_reason": "no_capacity" if declined else None,
                        "created_at": at, "sent_at": at,
                        "accepted_at": at if accepted else None,
                        "declined_at": at if declined else None})
    db.conn.close()


def overview(app) -> dict:
    period = quarter(2026, 1, "America/Halifax")
    filters = store.Filters(period.start_utc, period.end_utc, "HRP")
    db = connect(app.config["DATABASE"])
    try:
        return store.contacts_overview(db, filters, period.months())
    finally:
        db.conn.close()


# case: (contact outcome, [(service, accepted?)] of the referrals made from the contact)
CASES = {
    # referrals made, never accepted (sent; declined by the partner): not diverted
    "never_accepted": ("warm_referral", [(S1, False)]),
    # accepted by the joint police-health team only: joint, not diverted
    "joint": ("partner_on_scene", [(JOINT, True)]),
    # accepted by a non-police partner, but escalated to police: escalated only
    "escalated": ("escalated_police", [(S1, True)]),
    # accepted by a non-police partner (and also by the joint team): diverted
    "diverted": ("deescalated", [(S1, True), (JOINT, True)]),
}


# The differencing attacks (tests/test_reports_differencing*.py) solve the published figures as
# one linear system: each figure a row over the hidden cells, reduced to echelon form modulo a
# large prime (exact, no floating point).
PRIME = (1 << 61) - 1


def reduce_row(row: dict, basis: dict) -> dict:
    """What is left of `row` (cell -> coefficient) once the basis's rows are taken out; empty
    when the basis already determines it."""
    row = dict(row)
    while row:
        pivot = min(row)
        if pivot not in basis:
            return row
        factor = row[pivot]
        for column, value in basis[pivot].items():
            row[column] = (row.get(column, 0) - factor * value) % PRIME
            if not row[column]:
                del row[column]
    return row


# The year the differencing attacks publish (tests/test_reports_differencing*.py): every month,
# quarter, the year and every two-month run, for every police service and team filter.
ATTACK_YEAR = 2024
ATTACK_TZ = "America/Halifax"


def month_period(first: int, last: int) -> Period:
    end = date(ATTACK_YEAR + (last == 12), last % 12 + 1, 1)
    return Period(date(ATTACK_YEAR, first, 1), end,
                  f"{ATTACK_YEAR}-{first:02d}..{ATTACK_YEAR}-{last:02d}", ATTACK_TZ)


PERIODS = ([month_period(m, m) for m in range(1, 13)]
           + [quarter(ATTACK_YEAR, q, ATTACK_TZ) for q in range(1, 5)]
           + [month_period(1, 12)]
           + [month_period(m, m + 1) for m in range(1, 12)])
FILTERS = list(itertools.product([None, "HRP", "RCMP"], [None, "Hand", "Other"]))
