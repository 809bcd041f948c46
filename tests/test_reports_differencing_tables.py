"""Issue 21: the attacks of tests/test_reports_differencing.py on every other published table —
people, contacts and people by population, referrals by partner service, diversion and the
repeat-call effect (the cohort, calls and repeat callers before and after first engagement).

A year of seeded random contacts (each naming a person of their own, a population or none,
some about mental health, some with a referral to one of three partner services in every
state) is published in every view a coordinator can ask for: every month, quarter, the year
and runs of two months; all police services, HRP or RCMP; all teams or one.  Each table's
counts are sums of unknown cells (month × police service × team × row); the attack solves the
whole system of published figures of a family (linear algebra modulo a large prime: every
difference of periods, police services and teams, and every combination of them) and must
recover no count from 1 to 4: no cell, no month × police service × team block, and no figure
shown as "<5" anywhere.  The order of rows must not depend on a hidden count either.
"""

import itertools
import random
from datetime import date

import pytest

import fieldapp.cli  # noqa: F401  (imports the areas in the app's order)
from fieldapp.db import connect
from fieldapp.reports import store, tables
from fieldapp.reports.period import Period
from fieldapp.reports.suppression import SUPPRESSED
from tests.support import make_app
from tests.support.reports import (
    ATTACK_TZ,
    ATTACK_YEAR,
    FILTERS,
    OFFICER_A,
    OFFICER_B,
    PERIODS,
    PRIME,
    REPORT_NOW,
    S1,
    S2,
    load,
    reduce_row,
)

TZ, YEAR = ATTACK_TZ, ATTACK_YEAR
MONTHS = [f"{YEAR}-{m:02d}" for m in range(1, 13)]
OFFICER_C = "c0000000-0000-4000-8000-00000000000c"  # HRP, team Other
GROUPS = {("HRP", "Hand"): OFFICER_A, ("HRP", "Other"): OFFICER_C, ("RCMP", "Other"): OFFICER_B}
JOINT = "sj-joint-diff"
SERVICES = [S1, S2, JOINT]
POPULATIONS = ["veteran", "youth_12_17", None]
# A referral's state: (received, accepted, connected, declined for a partner reason)
STATES = {"sent": (0, 0, 0, 0), "accepted": (1, 1, 0, 0), "connected": (1, 1, 1, 0),
          "declined": (1, 0, 0, 1)}
REFERRAL_COLUMNS = {"made": None, "received": 0, "accepted": 1, "connected": 2,
                    "declined_partner": 3}
CLASSES = ["mh_diverted", "mh_joint", "mh_escalated", "other"]
SIZES = [0, 1, 1, 2, 3, 4, 5, 6, 7, 9, 12, 20]
FAMILIES = ["people", "population", "diversion",
            *(f"referrals_{c}" for c in REFERRAL_COLUMNS),
            "calls_before", "calls_after", "callers_before", "callers_after"]




def groups_of(ps, team) -> list[tuple]:
    return [g for g in GROUPS if ps in (None, g[0]) and team in (None, g[1])]


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """(truth, figures): {family: {unknown: true count}} and {family: [(cover, text, value)]}
    for every count of the families' tables in every view; and the tables by view."""
    folder = tmp_path_factory.mktemp("differencing_tables")
    app = make_app(folder, NOW=REPORT_NOW)
    load(app.config["DATABASE"])
    rng = random.Random(2121)
    truth = {family: {} for family in FAMILIES}

    def add(family, key, n=1):
        truth[family][key] = truth[family].get(key, 0) + n

    db = connect(app.config["DATABASE"])
    with db.atomic():
        db["user"].upsert({"id": OFFICER_C, "email": "other-hrp@report.test",
                           "name": "Const. Other HRP (test)", "role": "officer",
                           "police_service": "HRP", "team": "Other", "language": "en",
                           "active": 1, "password_hash": "x"}, pk="id")
        db["service"].insert({"id": JOINT, "organization_id": db.execute(
            "select organization_id from service where id = ?", [S1]).fetchone()[0],
            "name": "Joint team (differencing)", "joint_police_health": 1})
        # The call records run from mid-2023 to mid-2025: every 2024 window lies inside them.
        for i, called in enumerate(("2023-06-01T00:00:00+00:00", "2025-06-30T00:00:00+00:00")):
            db["calls_for_service"].insert({"id": f"bound-{i}", "called_at": called,
                                            "call_type": "x", "person_key": None,
                                            "imported_at": REPORT_NOW})
        for month, (group, officer) in itertools.product(MONTHS, GROUPS.items()):
            ps, team = group
            for i in range(rng.choice(SIZES)):
                cid = f"t-{month}-{ps}-{team}-{i}"
                at = f"{month}-{rng.randint(2, 27):02d}T15:00:00+00:00"
                population = rng.choice(POPULATIONS)
                mental = rng.random() < 0.5
                escalated = mental and rng.random() < 0.25
                referral = rng.choice([None, None, *((s, st) for s in SERVICES for st in STATES)])
                db["person"].insert({"id": f"p-{cid}", "alias": "x", "police_service": ps,
                                     "created_at": "2020-01-01T00:00:00"})
                db["contact"].insert({
                    "id": cid, "police_service": ps, "team": team, "officer_id": officer,
                    "occurred_at": at, "created_at": at, "person_id": f"p-{cid}",
                    "kind": "mental_health" if mental else "wellness_check",
                    "outcome": "escalated_police" if escalated else "information_given",
                    "is_group": 0})
                add("people", (month, *group))
                if rng.random() < 0.6:  # a linked records-system key, and calls around t0
                    before, after = rng.choice([0, 1, 2, 3]), rng.choice([0, 1, 2, 3])
                    db["person_key"].insert({"person_key": f"k-{cid}", "person_id": f"p-{cid}",
                                             "linked_at": "2026-01-01T00:00:00+00:00"})
                    for j, days in enumerate([-5] * before + [5] * after):
                        day = date.fromisoformat(at[:10]).toordinal() + days
                        called = f"{date.fromordinal(day).isoformat()}T12:00:00+00:00"
                        db["calls_for_service"].insert({
                            "id": f"call-{cid}-{j}", "called_at": called, "call_type": "x",
                            "person_key": f"k-{cid}", "imported_at": REPORT_NOW})
                    add("calls_before", (month, *group), before)
                    add("calls_after", (month, *group), after)
                    add("callers_before", (month, *group), int(before >= 2))
                    add("callers_after", (month, *group), int(after >= 2))
                if population:
                    db["contact_population"].insert({"contact_id": cid,
                                                     "population": population})
                    add("population", (month, *group, population))
                if referral:
                    service, state = referral
                    received, accepted, connected, declined = STATES[state]
                    stamp = at if received else None
                    db["referral"].insert({
                        "id": f"r-{cid}", "contact_id": cid, "service_id": service,
                        "organization_id": db.execute(
                            "select organization_id from service where id = ?",
                            [service]).fetchone()[0],
                        "officer_id": officer, "police_service": ps, "urgency": "today",
                        "consent": "verbal", "status": state,
                        "status_reason": "no_capacity" if declined else None,
                        "created_at": at, "sent_at": at, "received_at": stamp,
                        "accepted_at": at if accepted else None,
                        "connected_at": at if connected else None,
                        "declined_at": at if declined else None})
                    for column, index in REFERRAL_COLUMNS.items():
                        if index is None or (received, accepted, connected, declined)[index]:
                            add(f"referrals_{column}", (month, *group, service))
                if mental:
                    accepted_by = referral and STATES[referral[1]][1] and referral[0]
                    kind = ("mh_escalated" if escalated else
                            "mh_joint" if accepted_by == JOINT else
                            "mh_diverted" if accepted_by else "other")
                    add("diversion", (month, *group, kind))
    figures = {family: [] for family in truth}
    views = {}
    with app.test_request_context():
        for period, (ps, team) in itertools.product(PERIODS, FILTERS):
            filters = store.Filters(period.start_utc, period.end_utc, ps, team)
            by_id = tables.all_tables(tables.build(db, filters, period, app.config, REPORT_NOW,
                                                   "2026-07-20"))
            views[(period.key, ps, team)] = by_id
            for family, items in view_figures(by_id, period, ps, team).items():
                figures[family] += items
    db.conn.close()
    return truth, figures, views


def view_figures(by_id: dict, period: Period, ps, team) -> dict:
    months = [m for m, _s, _e in period.months()]
    groups = groups_of(ps, team)

    def cells(rows):
        return frozenset((m, *g, r) for m in months for g in groups for r in rows)

    figures = {family: [] for family in FAMILIES}
    people = frozenset((m, *g) for m in months for g in groups)
    # Every contact names a person of its own, first engaged then: people, contacts and the
    # repeat-call cohort are the same sums of the month × police service × team cells.
    rows = {row[0].key: row for t in ("activity_summary", "people_summary", "repeat_calls")
            for row in by_id[t].rows}
    for key in ("contacts", "unique_people", "cohort"):
        figures["people"].append((people, rows[key][1].text, rows[key][1].value))
    # The repeat-call effect: sums over the people first engaged in each cell.
    calls = {row[0].key: row[1] for t in ("repeat_calls", "repeat_callers")
             for row in by_id[t].rows}
    for family, key in (("calls_before", "calls_before"), ("calls_after", "calls_after"),
                        ("callers_before", "callers_before"),
                        ("callers_after", "callers_after")):
        figures[family].append((people, calls[key].text, calls[key].value))
    for row in by_id["activity_by_month"].rows:
        month_cover = frozenset((row[0].key, *g) for g in groups)
        figures["people"].append((month_cover, row[1].text, row[1].value))
    for row in by_id["people_by_population"].rows:
        for cell in row[1:]:  # contacts and people: one person per contact
            figures["population"].append((cells([row[0].key]), cell.text, cell.value))
    table = by_id["referrals_by_service"]
    for row in table.rows:
        services = SERVICES if row[0].key == tables.ALL else [row[0].key]
        for column in REFERRAL_COLUMNS:
            cell = row[table.column_keys.index(column)]
            figures[f"referrals_{column}"].append((cells(services), cell.text, cell.value))
    mh = {row[0].key: row[1] for row in by_id["diversion"].rows}
    figures["diversion"].append((cells(CLASSES), mh["mh_contacts"].text,
                                 mh["mh_contacts"].value))
    for kind in CLASSES[:3]:
        figures["diversion"].append((cells([kind]), mh[kind].text, mh[kind].value))
    return figures


class System:
    """The linear system of a family's published figures (an echelon basis modulo PRIME)."""

    def __init__(self, figures: list):
        self.index: dict = {}
        self.basis: dict = {}
        for cover, _text, value in figures:
            if value is not None:
                row = reduce_row(self.vector(cover), self.basis)
                if row:
                    pivot = min(row)
                    inverse = pow(row[pivot], PRIME - 2, PRIME)
                    self.basis[pivot] = {c: v * inverse % PRIME for c, v in row.items()}

    def vector(self, cover) -> dict:
        return {self.index.setdefault(u, len(self.index)): 1 for u in cover}

    def solvable(self, cover) -> bool:
        return not reduce_row(self.vector(cover), self.basis)


def secrets(family: str, truth: dict, figures: list) -> dict:
    """{cover: true count} of what must stay hidden: every cell from 1 to 4, every month ×
    police service × team block from 1 to 4, and every figure shown as "<5"."""
    cells = truth[family]
    hidden = {frozenset([u]): n for u, n in cells.items() if 0 < n < 5}
    blocks: dict = {}
    for u, n in cells.items():
        blocks.setdefault(u[:3], {})[u] = n
    for members in blocks.values():
        n = sum(members.values())
        if 0 < n < 5:
            hidden[frozenset(members)] = n
    for cover, text, _value in figures:
        if text == SUPPRESSED:
            hidden[cover] = sum(cells.get(u, 0) for u in cover)
    return hidden




@pytest.mark.parametrize("family", FAMILIES)
def test_published_figures_are_the_true_sums(published, family):
    """The attack is only worth something if the model of what each figure adds up is
    right, and if the views show and hide figures of the family."""
    truth, figures, _views = published
    shown = [(cover, value) for cover, _t, value in figures[family] if value is not None]
    assert shown and any(t == SUPPRESSED for _c, t, _v in figures[family])
    for cover, value in shown:
        assert sum(truth[family].get(u, 0) for u in cover) == value, family


@pytest.mark.parametrize("family", FAMILIES)
def test_no_combination_of_published_figures_gives_a_small_count(published, family):
    """Differencing periods (a quarter less its months, the year less quarters), police
    services (All less HRP) and teams, and any combination of those: none gives a hidden
    count from 1 to 4."""
    truth, figures, _views = published
    system = System(figures[family])
    hidden = secrets(family, truth, figures[family])
    assert len(hidden) > 10, family
    recovered = {tuple(sorted(cover))[0]: n for cover, n in hidden.items()
                 if system.solvable(cover)}
    assert {} == recovered, family


@pytest.mark.parametrize("table_id, column", [("referrals_by_service", 1),
                                              ("people_by_population", 1)])
def test_row_order_reveals_no_hidden_count(published, table_id, column):
    """Rows sorted by a count: shown counts first (largest first), hidden ones after, by label
    alone; the total row stays last."""
    _truth, _figures, views = published
    shown = hidden = 0
    for by_id in views.values():
        rows = by_id[table_id].rows
        if table_id == "referrals_by_service":
            assert tables.ALL == rows[-1][0].key
            rows = rows[:-1]
        values = [row[column].value for row in rows]
        first_hidden = next((i for i, v in enumerate(values) if v is None), len(values))
        assert all(v is None for v in values[first_hidden:])
        assert values[:first_hidden] == sorted(values[:first_hidden], reverse=True)
        labels = [row[0].text.casefold() for row in rows[first_hidden:]]
        assert labels == sorted(labels)
        shown, hidden = shown + first_hidden, hidden + len(values) - first_hidden
    assert shown >= 1 and hidden >= 1


def test_derived_figures_of_a_hidden_count_are_withheld(published):
    """A rate or median resting on a hidden count is "–", never a number that would give the
    count back (connected ÷ made × made = connected)."""
    _truth, _figures, views = published
    checked = 0
    for by_id in views.values():
        table = by_id["referrals_by_service"]
        keys = table.column_keys
        for row in table.rows:
            for rate, bases in (("connected_share", ("made", "connected")),
                                ("median_hours_to_accept", ("accepted",)),
                                ("median_hours_to_connect", ("connected",))):
                if any(row[keys.index(b)].value is None for b in bases):
                    assert row[keys.index(rate)].value is None
                    checked += 1
    assert checked > 50
