"""What the published report may show: "<5" only in count columns (a derived figure of a hidden
count is "–", footnoted), and no row placed by a hidden count."""

import pytest

import fieldapp.cli  # noqa: F401  (imports the areas in the app's order)
from fieldapp.db import connect
from fieldapp.directory.demo import YOUTH_SHELTER_ID
from fieldapp.reports import store, tables
from fieldapp.reports.period import quarter
from fieldapp.reports.suppression import (
    COUNT,
    SUPPRESSED,
    WITHHELD,
    count,
    publication_order,
    text,
)
from tests.support import login, make_app
from tests.support.reports import HRP_Q1, OFFICER_A, REPORT_NOW, html_tables, load


def report_with(tmp_path, name: str, kinds: dict, populations: dict, referrals: dict) -> dict:
    """The HRP 2026-Q1 page's tables on the fixed dataset plus `kinds[kind]` contacts of each
    kind, `populations[population]` contacts (of kind "other") in each population and
    `referrals[service]` referrals sent to each service."""
    folder = tmp_path / name
    folder.mkdir()
    app = make_app(folder, NOW=REPORT_NOW)
    load(app.config["DATABASE"])
    db = connect(app.config["DATABASE"])
    at = "2026-02-17T15:00:00+00:00"
    with db.atomic():
        for kind, n in kinds.items():
            for i in range(n):
                db["contact"].insert({
                    "id": f"{kind}-{i}", "officer_id": OFFICER_A, "police_service": "HRP",
                    "team": "Hand", "occurred_at": at, "created_at": at, "kind": kind,
                    "outcome": "information_given", "is_group": 0})
        for population, n in populations.items():
            for i in range(n):
                db["contact"].insert({
                    "id": f"{population}-{i}", "officer_id": OFFICER_A, "police_service": "HRP",
                    "team": "Hand", "occurred_at": at, "created_at": at, "kind": "other",
                    "outcome": "information_given", "is_group": 0})
                db["contact_population"].insert({"contact_id": f"{population}-{i}",
                                                 "population": population})
        for service, n in referrals.items():
            for i in range(n):
                db["referral"].insert({
                    "id": f"{service}-{i}", "service_id": service,
                    "organization_id": YOUTH_SHELTER_ID, "officer_id": OFFICER_A,
                    "police_service": "HRP", "urgency": "today", "consent": "verbal",
                    "status": "sent", "created_at": at, "sent_at": at})
    db.conn.close()
    client = app.test_client()
    login(client, "coordinator")
    return html_tables(client.get(f"/reports/?{HRP_Q1}").get_data(as_text=True))


def test_order_of_hidden_rows_does_not_depend_on_their_true_counts(tmp_path):
    # Two datasets that differ only in counts that are hidden (1 to 4), with the same totals:
    # sorted by their counts, their rows would swap places.
    first = report_with(tmp_path, "a", {"senior_concern": 4, "veteran_support": 1},
                        {"veteran": 1, "child_under_12": 3}, {"s4": 4, "s5": 1})
    second = report_with(tmp_path, "b", {"senior_concern": 1, "veteran_support": 4},
                         {"veteran": 3, "child_under_12": 1}, {"s4": 1, "s5": 4})
    for table in ("activity_by_kind", "people_by_population", "referrals_by_service"):
        assert first[table] == second[table], table
    # The hidden rows come after the shown ones, by label.
    kinds = first["activity_by_kind"][1:]
    # ("<5", or "x" where the kind grid withholds a count: issue 21)
    hidden = [row for row in kinds if row[1] in (SUPPRESSED, "x")]
    assert any(row[1] == SUPPRESSED for row in hidden)
    assert [row[0] for row in hidden] == sorted(row[0] for row in hidden)
    assert kinds[-len(hidden):] == hidden


@pytest.fixture
def sections(tmp_path):
    app = make_app(tmp_path, NOW=REPORT_NOW)
    load(app.config["DATABASE"])
    period = quarter(2026, 1, "America/Halifax")
    db = connect(app.config["DATABASE"])
    with app.test_request_context():
        yield tables.build(db, store.Filters(period.start_utc, period.end_utc, "HRP"), period,
                           app.config, REPORT_NOW, "2026-07-20")
    db.conn.close()


def test_no_suppressed_mark_in_a_non_count_column(sections):
    cells = [cell for table in tables.all_tables(sections).values()
             for row in table.rows for cell in row[1:]]
    assert any(cell.text == SUPPRESSED for cell in cells)
    for cell in cells:
        if cell.text in (SUPPRESSED, WITHHELD):
            assert COUNT == cell.unit, cell
        if cell.derived_withheld:
            assert COUNT != cell.unit, cell


def test_withheld_rates_have_a_footnote_on_the_page(tmp_path):
    app = make_app(tmp_path, NOW=REPORT_NOW)
    load(app.config["DATABASE"])
    client = app.test_client()
    login(client, "coordinator")
    html = client.get(f"/reports/?{HRP_Q1}").get_data(as_text=True)
    assert 'aria-describedby="note-referrals_by_service-withheld">–</td>' in html
    assert ('id="note-referrals_by_service-withheld">– withheld: based on fewer than 5'
            in html)
    assert 'id="note-activity_by_kind-withheld"' not in html  # no rate there
    for table in html_tables(html).values():
        header, *rows = table
        for row in rows:
            for column, cell in zip(header[1:], row[1:], strict=True):
                if any(word in column for word in ("÷", "Median", "48 h", "rate", "Share")):
                    assert SUPPRESSED != cell, (column, row)


def test_hidden_rows_follow_shown_rows_alphabetically_ignoring_case_and_accents():
    rows = [[text(label), count(n)] for label, n in
            [("zèbre", 1), ("Écoles", 4), ("eau", 2), ("Alpha", 7), ("Bêta", 9), ("beta", 7)]]
    assert ["Bêta", "Alpha", "beta", "eau", "Écoles", "zèbre"] == [
        row[0].text for row in publication_order(rows, 1)]
