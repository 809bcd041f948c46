"""Issue 21: small counts hidden in one report must not be recovered from other reports.

A coordinator can ask for every month, quarter, year or run of whole months, for all police
services or one, for all teams or one.  These tests publish all of those views of a year of
seeded random contacts, then attack them as a reader would: by differencing (a quarter less two
of its months, All less HRP, a year less three quarters, ...), by solving the whole system of
published figures (linear algebra: a hidden count is recovered when it is a combination of
published ones), and by the order of rows.  No count from 1 to 4 of the month × police service
× team grid, and no count shown as "<5" anywhere, may be recovered.
"""

import itertools
import random

import pytest

import fieldapp.cli  # noqa: F401  (imports the areas in the app's order)
from fieldapp.db import connect
from fieldapp.reports import store, suppression, tables
from fieldapp.reports.period import Period
from fieldapp.reports.suppression import SUPPRESSED
from tests.support import login, make_app
from tests.support.reports import (
    ATTACK_TZ,
    ATTACK_YEAR,
    FILTERS,
    OFFICER_A,
    OFFICER_B,
    PERIODS,
    PRIME,
    REPORT_NOW,
    html_tables,
    load,
    reduce_row,
)

TZ, YEAR = ATTACK_TZ, ATTACK_YEAR
MONTHS = [f"{YEAR}-{m:02d}" for m in range(1, 13)]
# (police service, team) of the contacts: HRP has two teams, so a team view differs from HRP.
GROUPS = [("HRP", "Hand"), ("HRP", "Other"), ("RCMP", "Other")]
KINDS = ["mental_health", "wellness_check", "school_visit", None]
# Many small cells on purpose: about half of the grid is from 1 to 4.
SIZES = [0, 1, 1, 2, 3, 4, 5, 6, 7, 9, 12, 20]




def unknown(month: str, group: tuple, kind) -> tuple:
    return (month, *group, kind)


UNKNOWNS = [unknown(m, g, k) for m in MONTHS for g in GROUPS for k in KINDS]
INDEX = {u: i for i, u in enumerate(UNKNOWNS)}


def grid_key(u: tuple) -> tuple:
    return u[:3]


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """(truth, figures): the true count of every unknown (month, police service, team, kind),
    and every count published in any view as (set of unknowns it adds up, text, value)."""
    folder = tmp_path_factory.mktemp("differencing")
    app = make_app(folder, NOW=REPORT_NOW)
    load(app.config["DATABASE"])
    rng = random.Random(21)
    truth = dict.fromkeys(UNKNOWNS, 0)
    db = connect(app.config["DATABASE"])
    with db.atomic():
        for month, (ps, team) in itertools.product(MONTHS, GROUPS):
            for i in range(rng.choice(SIZES)):
                kind = rng.choice(KINDS)
                truth[unknown(month, (ps, team), kind)] += 1
                at = f"{month}-{rng.randint(2, 27):02d}T15:00:00+00:00"
                db["contact"].insert({
                    "id": f"d-{month}-{ps}-{team}-{i}", "police_service": ps, "team": team,
                    "officer_id": OFFICER_A if ps == "HRP" else OFFICER_B,
                    "occurred_at": at, "created_at": at, "kind": kind,
                    "outcome": "information_given", "is_group": 0})
    figures = []
    with app.test_request_context():
        for period, (ps, team) in itertools.product(PERIODS, FILTERS):
            filters = store.Filters(period.start_utc, period.end_utc, ps, team)
            sections = []
            for only in ("activity", "diversion", "data-quality"):
                sections += tables.build(db, filters, period, app.config, REPORT_NOW, "2026-07-20",
                                         only)
            figures += view_figures(tables.all_tables(sections), period, ps, team)
    db.conn.close()
    return app, truth, figures


def covered(months, ps, team, kinds=KINDS) -> frozenset:
    return frozenset(unknown(m, g, k) for m in months for g in GROUPS for k in kinds
                     if ps in (None, g[0]) and team in (None, g[1]))


def view_figures(by_id: dict, period: Period, ps, team) -> list:
    """Every count of the view that is a sum of the unknowns, with what it covers."""
    months = [m for m, _s, _e in period.months()]
    figures = []

    def add(cell, cover):
        figures.append((cover, cell.text, cell.value))

    for row in by_id["activity_summary"].rows:
        if row[0].key == "contacts":
            add(row[1], covered(months, ps, team))
        if row[0].key == "school_engagements":
            add(row[1], covered(months, ps, team, ["school_visit"]))
    for row in by_id["activity_by_month"].rows:
        add(row[1], covered([row[0].key], ps, team))
    for row in by_id["activity_by_kind"].rows:
        kind = None if row[0].key == tables.NOT_RECORDED else row[0].key
        add(row[1], covered(months, ps, team, [kind]))
    for row in by_id["diversion"].rows:
        if row[0].key == "contacts":
            add(row[1], covered(months, ps, team))
    for row in by_id["data_quality"].rows:
        if row[0].key == "contacts_without_kind":
            add(row[1], covered(months, ps, team, [None]))
    return figures


def secrets(truth: dict, figures: list) -> dict:
    """What must stay hidden: {set of unknowns: true count} for every grid cell (month ×
    police service × team) from 1 to 4 and every sum of grid cells shown as "<5" somewhere.
    (Counts of one kind shown as "<5": test_no_combination_of_published_figures_gives_a_small_
    count_of_one_kind.)"""
    hidden = {}
    for month, group in itertools.product(MONTHS, GROUPS):
        cover = frozenset(unknown(month, group, k) for k in KINDS)
        n = sum(truth[u] for u in cover)
        if 0 < n < 5:
            hidden[cover] = n
    for cover, text, _value in figures:
        if text == SUPPRESSED and len({u[3] for u in cover}) == len(KINDS):
            hidden[cover] = sum(truth[u] for u in cover)
    return hidden


def shown(figures: list) -> dict:
    return {cover: value for cover, _text, value in figures if value is not None}


def test_published_figures_are_the_true_sums(published):
    """The attack is only worth something if the model of what a figure adds up is right."""
    _app, truth, figures = published
    assert any(text == SUPPRESSED for _c, text, _v in figures)
    for cover, value in shown(figures).items():
        assert sum(truth[u] for u in cover) == value


def test_differencing_periods_services_and_teams_recovers_no_small_count(published):
    """The attacks of issue 21 written out: a quarter (or the year, or two months) less
    published months; All less one police service; All teams less one team; and the same one
    step further (a difference of differences)."""
    _app, truth, figures = published
    known = shown(figures)
    hidden = secrets(truth, figures)
    # Peel published figures off published figures, again and again: Q4 - October - November,
    # All - HRP, a year - three quarters, (All - HRP) - one team, ...
    derived = dict(known)
    frontier = list(known.items())
    while frontier and len(derived) < 100_000:
        following = []
        for (big, a), (small, b) in itertools.product(frontier, known.items()):
            if small < big and (big - small) not in derived:
                derived[big - small] = a - b
                following.append((big - small, a - b))
        frontier = following
    recovered = {cover: n for cover, n in hidden.items() if cover in derived}
    assert {} == recovered




def span(figures: list) -> dict:
    """An echelon basis (modulo PRIME) of the cells of every published figure."""
    basis = {}
    for cover in shown(figures):
        row = reduce_row({INDEX[u]: 1 for u in cover}, basis)
        if row:
            pivot = min(row)
            inverse = pow(row[pivot], PRIME - 2, PRIME)
            basis[pivot] = {c: v * inverse % PRIME for c, v in row.items()}
    return basis


def solvable(cover, basis: dict) -> bool:
    return not reduce_row({INDEX[u]: 1 for u in cover}, basis)


def test_no_combination_of_published_figures_gives_a_small_count(published):
    """The strongest linear attack: a hidden count is recovered when its cells are a linear
    combination of the cells of published figures (solved modulo a large prime, where sums of
    0/1 rows behave as over the rationals)."""
    _app, truth, figures = published
    basis = span(figures)
    recovered = {}
    for cover, n in secrets(truth, figures).items():
        if solvable(cover, basis):
            recovered[tuple(sorted(grid_key(u) for u in cover))[0]] = n
    assert {} == recovered


def test_no_combination_of_published_figures_gives_a_small_count_of_one_kind(published):
    """The same attack on counts of one kind shown as "<5" (e.g. a kind's quarter less its
    other two months, or a month's total less its other kinds)."""
    _app, truth, figures = published
    basis = span(figures)
    recovered = [cover for cover, text, _v in figures
                 if text == SUPPRESSED and len({u[3] for u in cover}) == 1
                 and solvable(cover, basis)]
    assert [] == recovered


def test_row_order_reveals_no_hidden_count(published):
    """An ordering attack: in a table sorted by count, a hidden row placed between two shown
    rows is bounded by them.  Hidden rows must come after every shown row, by label; months
    stay in calendar order whatever their counts."""
    app = published[0]
    db = connect(app.config["DATABASE"])
    shown = hidden = 0
    with app.test_request_context():
        for period, (ps, team) in itertools.product(PERIODS, FILTERS):
            filters = store.Filters(period.start_utc, period.end_utc, ps, team)
            by_id = tables.all_tables(tables.build(db, filters, period, app.config, REPORT_NOW,
                                                   "2026-07-20", "activity"))
            rows = by_id["activity_by_kind"].rows
            values = [row[1].value for row in rows]
            first_hidden = next((i for i, v in enumerate(values) if v is None), len(values))
            assert all(v is None for v in values[first_hidden:]), (period.key, ps, team)
            shown, hidden = shown + first_hidden, hidden + len(values) - first_hidden
            assert values[:first_hidden] == sorted(values[:first_hidden], reverse=True)
            labels = [row[0].text.casefold() for row in rows[first_hidden:]]
            assert labels == sorted(labels)
            months = [row[0].key for row in by_id["activity_by_month"].rows]
            assert months == [m for m, _s, _e in period.months()]
    db.conn.close()
    assert shown >= 1 and hidden >= 1, (shown, hidden)  # both kinds of row were ordered


@pytest.mark.parametrize("cells, expected", [
    ([10, 20], "30"),  # nothing small
    ([0, 7], "7"),  # a zero hides nothing
    ([26, 1], "x"),  # the 1 would come out of All less HRP
    ([1, 2], "<5"),  # small itself
    ([0, 0], "0"),
])
def test_a_sum_is_shown_only_if_none_of_its_grid_cells_is_small(cells, expected):
    assert expected == suppression.grid_count(cells).text


@pytest.fixture
def coordinator_q4(tmp_path):
    """Issue 21's example: Q4 2024 has 30 contacts, October 1 (RCMP), November 24, December 5
    (HRP, team Hand)."""
    app = make_app(tmp_path, NOW=REPORT_NOW)
    load(app.config["DATABASE"])
    db = connect(app.config["DATABASE"])
    with db.atomic():
        for month, n, ps in (("10", 1, "RCMP"), ("11", 24, "HRP"), ("12", 5, "HRP")):
            for i in range(n):
                at = f"{YEAR}-{month}-{10 + i % 15}T15:00:00+00:00"
                db["contact"].insert({
                    "id": f"q4-{month}-{i}", "police_service": ps,
                    "team": "Hand" if ps == "HRP" else "Other",
                    "officer_id": OFFICER_A if ps == "HRP" else OFFICER_B,
                    "occurred_at": at, "created_at": at, "kind": "wellness_check",
                    "outcome": "information_given", "is_group": 0})
    db.conn.close()
    client = app.test_client()
    login(client, "coordinator")
    return client


def test_quarter_less_its_published_months_does_not_give_the_hidden_month(coordinator_q4):
    def contacts(query):
        page = html_tables(coordinator_q4.get(f"/reports/?{query}").get_data(as_text=True))
        return page["activity_summary"][1][1], page["activity_by_month"][1:], \
            page["activity_by_kind"][1:]

    total, months, kinds = contacts(f"quarter={YEAR}-Q4")
    assert "x" == total  # 30 less November's 24 and December's 5 would give October's 1
    assert [["October 2024", "<5"], ["November 2024", "24"], ["December 2024", "5"]] == months
    assert ["x"] == [row[1] for row in kinds]  # adding up the kinds would give the 30
    assert ("24", [["November 2024", "24"]]) == contacts(
        f"start={YEAR}-11-01&end={YEAR}-11-30")[:2]
    # All less HRP would give RCMP's October, and the other way round.
    assert "x" == contacts(f"start={YEAR}-10-01&end={YEAR}-11-30")[0]
    assert "24" == contacts(f"start={YEAR}-10-01&end={YEAR}-11-30&police_service=HRP")[0]
    assert "<5" == contacts(f"start={YEAR}-10-01&end={YEAR}-11-30&police_service=RCMP")[0]


@pytest.mark.parametrize("query", [
    "start=2024-10-02&end=2024-12-31",  # not the 1st
    "start=2024-10-01&end=2024-12-30",  # not the last day
    "start=2024-11-15&end=2024-11-15",  # one day
])
def test_custom_periods_of_part_of_a_month_are_refused(coordinator_q4, query):
    page = coordinator_q4.get(f"/reports/?{query}")
    assert 400 == page.status_code
    assert ("A custom period covers whole months: start it on the first day of a month and "
            "end it on the last day of a month.") in page.get_data(as_text=True)
    assert 400 == coordinator_q4.get(f"/reports/board.csv?{query}").status_code


def test_custom_periods_of_whole_months_are_accepted(coordinator_q4):
    for query in ("start=2024-02-01&end=2024-02-29", "start=2024-10-01&end=2025-03-31"):
        assert 200 == coordinator_q4.get(f"/reports/?{query}").status_code


def test_no_combination_of_published_figures_gives_a_small_cell_of_one_kind(published):
    """The finest secrets: a month × police service × team × kind cell from 1 to 4 is not a
    combination of published figures either (totals less kinds, months less months, ...)."""
    _app, truth, figures = published
    basis = span(figures)
    small = [u for u, n in truth.items() if 0 < n < 5]
    assert len(small) > 50
    assert [] == [u for u in small if solvable(frozenset([u]), basis)]
