"""The board report on the hand-built dataset (tests/test_reports_dataset.py): every figure of
every table, in the HTML page, in its charts and in the CSV export, with small-cell suppression."""

import re
import sqlite3

import pytest

import fieldapp.cli  # noqa: F401  (imports the areas in the app's order)
from fieldapp import audit
from fieldapp.directory.demo import CRISIS_TEAM_ID
from fieldapp.reports.tables import category_label, vocab_label
from tests.support import selects
from tests.support.reports import HRP_Q1, Q1, csv_records, html_tables

CRISIS = "Harbourside Mobile Crisis Team (demo) — Service s1-crisis-line (test)"
YOUTH = "Northwind Youth Shelter (demo) — Service s2-youth-beds (test)"


def expected_hrp(app) -> dict:
    with app.test_request_context():
        kind = {code: vocab_label("kind", code) for code in
                ("school_visit", "mental_health", "wellness_check", "housing_need")}
        pop = {code: vocab_label("population", code) for code in
               ("youth_12_17", "mental_health", "senior_65_plus", "unsheltered")}
        cat = {code: category_label(code) for code in
               ("housing_shelter", "mental_health_crisis", "seniors", "youth")}
    return {
        # A kind's count is suppressed on the month × police service × team × kind grid
        # (issue 21): school visits (6) and mental health (5) cover cells from 1 to 4, or
        # their complements, so they are withheld in every view.
        "activity_summary": [["Contacts", "18"], ["School engagements", "x"],
                             ["Group contacts", "<5"],
                             ["People reached in groups (headcount)", "78"]],
        # Rows whose count is hidden come last, by label only.
        "activity_by_kind": sorted([[kind["school_visit"], "x"], [kind["mental_health"], "x"],
                                    [kind["wellness_check"], "<5"], ["Not recorded", "<5"],
                                    [kind["housing_need"], "<5"]]),
        "activity_by_month": [["January 2026", "7"], ["February 2026", "5"],
                              ["March 2026", "6"]],
        # Issue 21, every published table suppressed on the dataset: 10 different people,
        # but some month of the quarter met 1 to 4 of them, so the quarter's figure is
        # withheld in every view (the raw figures: test_raw_figures_behind_the_page).
        "people_summary": [["Unique people", "x"], ["Repeat people", "<5"]],
        # Youth: 6 contacts, but a month × police service × team × population cell of 1 to 4.
        "people_by_population": sorted([[pop["youth_12_17"], "x", "<5"]]
                                       + [[label, "<5", "<5"] for label in [
                                           pop["mental_health"], pop["senior_65_plus"],
                                           pop["unsheltered"]]]),
        "referrals_by_service": [
            # The youth shelter's small counts would follow from the total by subtraction:
            # the crisis team's counts, and the rates built on them, are withheld.  Rates and
            # medians are never "<5": "–" (footnoted).
            # The total too covers months of 1 to 4 referrals (January: 4 by team Hand): it
            # is withheld, and so are the rates and medians resting on a withheld count.
            [CRISIS, "x", "x", "x", "x", "–", "–", "–", "–", "<5", "<5"],
            [YOUTH, "<5", "<5", "<5", "<5", "–", "–", "–", "–", "<5", "0"],
            ["All services", "x", "x", "x", "x", "–", "–", "–", "–", "<5", "<5"]],
        # 6 mental-health contacts, in months of 1 to 4: withheld with the shares.
        "diversion": [["Mental-health-related contacts", "x"],
                      # c10 (R09 accepted by S1); c07's warm-referral outcome and c09's
                      # partner on scene are not accepted referrals.
                      ["Diverted to non-police services (referral accepted, not escalated)",
                       "<5"],
                      ["Share diverted to non-police services", "–"],
                      ["Handled with a joint police–health team (referral accepted, not "
                       "escalated)", "0"],
                      ["Share handled with a joint police–health team", "–"],
                      ["Escalated to police enforcement", "<5"],
                      ["Police-escalation rate (mental-health contacts)", "–"],
                      ["All contacts", "18"],
                      ["All contacts escalated to police enforcement", "<5"],
                      ["Police-escalation rate (all contacts)", "–"]],
        # 9 people first engaged, 1 to 4 in some month: every figure covering such a month
        # is withheld (raw figures: test_raw_figures_behind_the_page).
        "repeat_calls": [["People first engaged in the period", "x"],
                         ["… with a linked records-system key", "x"],
                         ["… compared (both windows within the call records)", "x"],
                         ["… not compared: before-window starts before the call records", "<5"],
                         ["… not compared: after-window not over yet", "<5"],
                         ["Calls in the 90 days before", "x"],
                         ["Calls in the 90 days after", "x"],
                         ["Change in calls", "–"],
                         ["People with a call before", "x"],
                         ["People with a call after", "<5"]],
        # Repeat callers: people compared with 2 or more calls in a window (3 before, 1
        # after: test_repeat_callers_are_people_with_enough_calls).
        "repeat_callers": [["Repeat callers in the 90 days before (2 or more calls)", "<5"],
                           ["Repeat callers in the 90 days after (2 or more calls)", "<5"],
                           ["Change in repeat callers", "–"]],
        # The register at the end of the period (s6, archived on 1 May, was in it), public
        # directory data: not suppressed (issue 21; tests/test_reports_partnerships.py).
        "partnerships": [[cat["housing_shelter"], "7", "6", "3", "2", "—"],
                         [cat["mental_health_crisis"], "1", "1", "1", "1", "—"],
                         [cat["seniors"], "1", "0", "0", "0", "HRP, RCMP"],
                         [cat["youth"], "1", "1", "0", "0", "RCMP"],
                         ["All services", "9", "7", "4", "3", ""]],
        "partnership_overlaps": [["Overlaps open at the end of the period", "3"],
                                 ["Overlaps resolved in the period", "0"],
                                 ["New overlaps in the period", "0"]],
        "data_quality": [["Contacts without a kind", "<5"],
                         ["Contacts without an outcome", "<5"],
                         ["Referrals without an answer after 7 days", "<5"],
                         ["Listings not confirmed for over 180 days", "<5"]],
    }


def test_every_figure_of_the_page_is_exact_and_suppressed(report_app, coordinator):
    response = coordinator.get(f"/reports/?{HRP_Q1}")
    assert 200 == response.status_code
    found = html_tables(response.get_data(as_text=True))
    for table_id, rows in expected_hrp(report_app).items():
        assert rows == found[table_id][1:], table_id


MARKS = {"under_5": "<5", "complementary": "x", "derived": "–"}


def page_text(record: dict) -> str | float:
    """What the page shows for a CSV record: the mark of a suppressed figure, "—" for nothing
    to compute, else the number."""
    if record["suppressed"] == "true":
        return MARKS[record["suppression"]]
    return float(record["value"]) if record["value"] else "—"


def page_number(text: str) -> str | float:
    """A page cell as a number ("58.3%" -> 58.3, "4.0 h" -> 4.0), or its mark."""
    number = text.removesuffix("%").removesuffix(" h")
    return float(number) if re.fullmatch(r"[+-]?\d+(\.\d+)?", number) else text


def test_csv_of_each_table_equals_the_page(report_app, coordinator):
    page = html_tables(coordinator.get(f"/reports/?{HRP_Q1}").get_data(as_text=True))
    table_ids = list(expected_hrp(report_app))
    assert len(table_ids) >= 9
    for table_id in table_ids:
        response = coordinator.get(f"/reports/board.csv?{HRP_Q1}&table={table_id}")
        assert 200 == response.status_code
        assert "text/csv" in response.headers["Content-Type"]
        header, *rows = page[table_id]
        shown = {(row[0], column): page_number(cell) for row in rows
                 for column, cell in zip(header[1:], row[1:], strict=True)
                 if column != "Gaps"}  # text: follows from the counts, not in the CSV
        records = csv_records(response)
        assert {table_id} == {r["table"] for r in records}
        assert shown == {(r["row_label"], r["column_label"]): page_text(r) for r in records}
        assert len(shown) == len(records), table_id


def test_csv_of_all_tables_holds_every_figure_with_suppression(report_app, coordinator):
    records = csv_records(coordinator.get(f"/reports/board.csv?{HRP_Q1}"))
    cells = {(r["table"], r["row_key"], r["column_key"]):
             (r["value"], r["unit"], r["suppressed"], r["suppression"]) for r in records}
    assert ("", "count", "true", "under_5") == cells[
        ("activity_summary", "group_contacts", "value")]
    assert ("78", "count", "false", "") == cells[
        ("activity_summary", "group_headcount", "value")]
    assert ("", "percent", "true", "derived") == cells[
        ("referrals_by_service", "s1-crisis-line", "connected_48h_share")]
    assert ("", "count", "true", "complementary") == cells[
        ("referrals_by_service", "s1-crisis-line", "made")]
    assert ("", "percent", "true", "derived") == cells[
        ("referrals_by_service", "all", "connected_48h_share")]
    assert ("", "hours", "true", "derived") == cells[
        ("referrals_by_service", "all", "median_hours_to_accept")]
    assert ("", "hours", "true", "derived") == cells[
        ("referrals_by_service", "s2-youth-beds", "median_hours_to_accept")]
    assert ("", "percent", "true", "derived") == cells[("repeat_calls", "calls_change", "value")]
    expected = expected_hrp(report_app)
    figures = sum(len(r) - 1 for t in expected.values() for r in t) - len(
        expected["partnerships"])  # the gaps column is text
    assert figures == len(records)
    assert not any(re.fullmatch(r"[1-4]", r["value"]) for r in records if r["unit"] == "count"
                   and not r["table"].startswith("partnership"))  # public directory data


def test_no_count_from_1_to_4_is_shown_anywhere_on_the_page(coordinator):
    html = coordinator.get(f"/reports/?{HRP_Q1}").get_data(as_text=True)
    # Except the partnership register: public directory data about services, not people.
    for table_id, table in html_tables(html).items():
        if table_id.startswith("partnership"):
            continue
        for row in table[1:]:
            assert not any(re.fullmatch(r"[1-4]", cell) for cell in row[1:]), row
    html = re.sub(r'<svg class="chart" id="chart-partnerships".*?</svg>', "", html, flags=re.S)
    values = re.findall(r'<text class="chart-value"[^>]*>([^<]*)</text>', html)
    assert values and not any(re.fullmatch(r"[1-4]", v) for v in values)


def test_chart_labels_are_suppressed_like_the_table(coordinator):
    html = coordinator.get(f"/reports/?{HRP_Q1}").get_data(as_text=True)
    chart = re.search(r'<svg class="chart" id="chart-activity_by_kind".*?</svg>', html).group(0)
    values = re.findall(r'<text class="chart-value"[^>]*>([^<]*)</text>', chart)
    # Every kind is hidden on the kind grid (issue 21): "<5" or withheld, by label.
    assert ["&lt;5", "x", "x", "&lt;5", "&lt;5"] == values
    # A suppressed bar is drawn hatched at the threshold's length, never at its real length.
    assert 5 == chart.count("chart-suppressed")
    assert '<title id="chart-activity_by_kind-title">Contacts by kind</title>' in chart


def test_all_police_services_and_team_filters(coordinator):
    every = html_tables(coordinator.get(f"/reports/?{Q1}").get_data(as_text=True))
    # 20 less HRP's 18 would give RCMP's 2 (February): withheld (issue 21).
    assert ["Contacts", "x"] == every["activity_summary"][1]
    assert ["Unique people", "x"] == every["people_summary"][1]
    assert ["All services", "x", "x", "x", "x", "–", "–", "–", "–", "<5",
            "<5"] == every["referrals_by_service"][-1]
    team = html_tables(coordinator.get(f"/reports/?{Q1}&team=Hand").get_data(as_text=True))
    hrp = html_tables(coordinator.get(f"/reports/?{HRP_Q1}").get_data(as_text=True))
    assert hrp == team
    rcmp = html_tables(coordinator.get(f"/reports/?{Q1}&police_service=RCMP")
                       .get_data(as_text=True))
    assert ["Contacts", "<5"] == rcmp["activity_summary"][1]
    assert ["People first engaged in the period", "<5"] == rcmp["repeat_calls"][1]


def test_period_edges_use_local_time(coordinator):
    """31 Dec 23:59:59 and 1 Apr 00:00 (Halifax) are outside Q1; 31 Mar 23:59:59 is inside."""
    march = html_tables(coordinator.get(
        "/reports/?start=2026-03-01&end=2026-03-31&police_service=HRP").get_data(as_text=True))
    assert ["Contacts", "6"] == march["activity_summary"][1]  # c05, c06, c10, c11, c14, c17
    assert [["March 2026", "6"]] == march["activity_by_month"][1:]
    december = html_tables(coordinator.get(
        "/reports/?start=2025-12-01&end=2025-12-31&police_service=HRP").get_data(as_text=True))
    assert ["Contacts", "<5"] == december["activity_summary"][1]  # x1 only
    april = html_tables(coordinator.get(
        "/reports/?start=2026-04-01&end=2026-04-30&police_service=HRP").get_data(as_text=True))
    assert ["Contacts", "<5"] == april["activity_summary"][1]  # x2 only


def test_default_period_is_the_current_quarter(coordinator):
    html = coordinator.get("/reports/").get_data(as_text=True)
    assert "July 1, 2026 – September 30, 2026 (Q3 2026)" in html
    assert 'value="2026-Q3" selected' in html


def test_bad_filters_say_why_and_show_the_default(coordinator):
    response = coordinator.get("/reports/?start=2026-03-31&end=2026-01-01")
    assert 400 == response.status_code
    assert "The end date must be on or after the start date." in response.get_data(as_text=True)
    assert 400 == coordinator.get("/reports/?police_service=NOPE").status_code
    assert 400 == coordinator.get("/reports/board.csv?team=nobody").status_code
    assert 404 == coordinator.get(f"/reports/board.csv?{Q1}&table=nope").status_code


def test_every_csv_export_is_audited(report_app, coordinator):
    coordinator.get(f"/reports/board.csv?{HRP_Q1}&table=diversion")
    coordinator.get(f"/reports/board.csv?{Q1}")
    with report_app.app_context():
        from fieldapp.db import get_db

        events = audit.events(get_db(), "report_exported")
    assert 2 == len(events)
    assert ("diversion", "coordinator") == (events[0]["object_id"], events[0]["role"])
    assert '"period": "2026-Q1"' in events[0]["detail"]
    assert '"police_service": "HRP"' in events[0]["detail"]
    assert "board" == events[1]["object_id"]


@pytest.mark.parametrize("who", ["officer", "officer2", "partner", "partner2"])
def test_officers_and_partners_get_404_on_reports(login_as, who):
    client = login_as(who)
    for url in ("/reports/", "/reports/board.csv", "/reports/board.csv?table=diversion",
                "/reports/calls"):
        assert 404 == client.get(url).status_code, url
    for url in ("/reports/calls", "/reports/calls/keys", "/reports/calls/keys/unlink"):
        assert 404 == client.post(url).status_code, url


def test_officer_csv_attempt_is_not_an_export(app, login_as, db):
    login_as("partner").get("/reports/board.csv")
    assert [] == audit.events(db, "report_exported")


def test_htmx_filter_returns_the_report_fragment(coordinator):
    response = coordinator.get(f"/reports/?{HRP_Q1}", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert "<html" not in html and 'id="table-diversion"' in html
    assert "HX-Request" in response.headers["Vary"]


def test_report_runs_a_fixed_number_of_queries(report_app, coordinator):
    report_app.extensions["fieldapp.query_log"] = log = []
    coordinator.get(f"/reports/?{HRP_Q1}")
    assert len(selects(log)) <= 40
    report_app.extensions.pop("fieldapp.query_log")


def test_french_report(report_app, coordinator):
    coordinator.post("/language", data={"language": "fr"})
    html = coordinator.get(f"/reports/?{HRP_Q1}").get_data(as_text=True)
    assert "Rapport à la Commission de police" in html
    assert "&lt;5" in html
    tables = html_tables(html)
    assert ["janvier 2026", "février 2026", "mars 2026"] == [
        row[0] for row in tables["activity_by_month"][1:]]
    chart = re.search(r'<svg class="chart" id="chart-activity_by_month".*?</svg>', html)[0]
    assert ["janvier 2026", "février 2026", "mars 2026"] == re.findall(
        r'<text class="chart-label"[^>]*>([^<]*)</text>', chart)


def test_csv_labels_cannot_become_spreadsheet_formulas(report_app, coordinator):
    from fieldapp.db import connect

    db = connect(report_app.config["DATABASE"])
    db.execute("update organization set name = '=HYPERLINK(1)' where id = ?", [CRISIS_TEAM_ID])
    db.conn.close()
    records = csv_records(coordinator.get(
        f"/reports/board.csv?{HRP_Q1}&table=referrals_by_service"))
    assert records[0]["row_label"].startswith("'=HYPERLINK(1)")
    # A negative number stays a number (the hand-built figures of a change are all withheld
    # on the dataset now: a table of the report's own kind, written by the export's writer).
    import io

    from fieldapp import csv_safe
    from fieldapp.reports import export, tables
    from fieldapp.reports.period import quarter
    from fieldapp.reports.suppression import change, text

    table = tables.Table("repeat_calls", "Calls", ["Measure", "Value"],
                         [[text("Change in calls", "calls_change"), change(10, 5)]],
                         column_keys=["measure", "value"])
    out = io.StringIO()
    csv_safe.writer(out).writerows(export.rows([table], quarter(2026, 1, "America/Halifax"),
                                               "HRP", None))
    assert "-50.0" == out.getvalue().split(",")[3]


def test_bad_filter_through_htmx_still_shows_its_message(coordinator):
    response = coordinator.get("/reports/?start=2026-03-31&end=2026-01-01",
                               headers={"HX-Request": "true"})
    # 4xx, never 200 for an error (issue 17): base.html's htmx responseHandling swaps it.
    assert 400 == response.status_code
    assert "The end date must be on or after the start date." in response.get_data(as_text=True)


def test_every_table_has_its_section_for_single_table_exports(report_app, coordinator):
    from fieldapp.reports import tables

    page = html_tables(coordinator.get(f"/reports/?{HRP_Q1}").get_data(as_text=True))
    assert set(page) == set(tables.SECTION_OF_TABLE)


def test_one_table_csv_runs_only_its_own_queries(report_app, coordinator):
    report_app.extensions["fieldapp.query_log"] = log = []
    coordinator.get(f"/reports/board.csv?{HRP_Q1}&table=partnerships")
    report_app.extensions.pop("fieldapp.query_log")
    assert not any("from contact c" in sql for sql in selects(log))


def test_report_queries_run_concurrently_and_close_their_connections(report_app):
    from fieldapp.db import connect
    from fieldapp.reports import tables

    opened = []

    def open_db():
        opened.append(connect(report_app.config["DATABASE"]))
        return opened[-1]

    queries = {"a": lambda db: db.execute("select 1").fetchone()[0],
               "b": lambda db: db.execute("select 2").fetchone()[0]}
    assert {"a": 1, "b": 2} == tables.run_queries(queries, None, open_db, workers=2)
    failing = {**queries, "c": lambda db: db.execute("select * from no_such_table")}
    with pytest.raises(sqlite3.OperationalError):
        tables.run_queries(failing, None, open_db, workers=2)
    assert 5 == len(opened)
    for db in opened:
        with pytest.raises(sqlite3.ProgrammingError):  # closed
            db.execute("select 1")


def test_repeat_callers_are_people_with_enough_calls(report_app):
    """Issue 21: repeat callers are counted as people (not calls), from the calls import: with
    a threshold of 1 call they are exactly the people with a call; with 2, fewer."""
    from fieldapp.db import connect
    from fieldapp.reports import store
    from fieldapp.reports.period import quarter

    period = quarter(2026, 1, "America/Halifax")
    filters = store.Filters(period.start_utc, period.end_utc, "HRP")
    db = connect(report_app.config["DATABASE"])
    try:
        one = store.repeat_calls(db, filters, 90, 1)
        two = store.repeat_calls(db, filters, 90, 2)
    finally:
        db.conn.close()
    assert (5, 4) == (one["people_before"], one["people_after"])
    assert (one["people_before"], one["people_after"]) == (one["callers_before"],
                                                           one["callers_after"])
    assert (3, 1) == (two["callers_before"], two["callers_after"])
    assert 10 == two["calls_before"]  # 10 calls of 5 people: callers are not calls


def test_raw_figures_behind_the_page(report_app):
    """The exact figures behind the HRP Q1 page, now mostly withheld on the dataset (issue
    21): the store still computes them right (the arithmetic the page tests checked before
    every table was suppressed on the month × police service × team grid)."""
    from fieldapp.db import connect
    from fieldapp.reports import store
    from fieldapp.reports.period import quarter

    period = quarter(2026, 1, "America/Halifax")
    months = period.months()
    hrp = store.Filters(period.start_utc, period.end_utc, "HRP")
    every = store.Filters(period.start_utc, period.end_utc)
    db = connect(report_app.config["DATABASE"])
    try:
        assert 10 == store.people(db, hrp)["unique_people"]
        assert 11 == store.people(db, every)["unique_people"]
        youth = [r for r in store.populations(db, hrp, ["youth_12_17"])
                 if r["population"] == "youth_12_17"]
        assert 6 == youth[0]["contacts"]
        total = store.referrals(db, hrp, months)["total"]
        assert (12, 11, 8, 7, 6) == tuple(total[k] for k in (
            "made", "received", "accepted", "connected", "connected_48h"))
        assert (3.5, 20.0) == (total["accept_median"], total["connect_median"])
        crisis = [r for r in store.referrals(db, hrp, months)["services"]
                  if r["g"] == "s1-crisis-line"]
        assert (4.0, 25.0) == (crisis[0]["accept_median"], crisis[0]["connect_median"])
        total = store.referrals(db, every, months)["total"]
        assert (13, 12, 9, 7) == tuple(total[k] for k in ("made", "received", "accepted",
                                                          "connected"))
        assert (3.0, 20.0) == (total["accept_median"], total["connect_median"])
        assert 6 == store.mental_health(db, hrp, months)["mh_contacts"]
        calls = store.repeat_calls(db, hrp, 90, 2, months)
        assert (9, 7, 10, 5, 5) == tuple(calls[k] for k in (
            "cohort", "linked", "calls_before", "calls_after", "people_before"))
        # The per-cell rows add up to the totals.
        assert 9 == sum(r["cohort"] for r in calls["cells"])
    finally:
        db.conn.close()
