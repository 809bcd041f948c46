"""The one-page summary of the board report (/reports/summary) on the hand-built dataset
(tests/test_reports_dataset.py) plus the earlier periods below: every key measure's three
values, the direction of change, suppression, and the findings computed from them."""

from datetime import date

import pytest

import fieldapp.cli  # noqa: F401  (imports the areas in the app's order)
from fieldapp.db import connect
from fieldapp.reports import period as periods
from fieldapp.reports import summary
from fieldapp.reports.suppression import Cell, count, rate
from tests.support import login, make_app
from tests.support.reports import REPORT_NOW, add_earlier_periods, html_tables, load


@pytest.fixture
def summary_app(tmp_path):
    app = make_app(tmp_path, NOW=REPORT_NOW)
    load(app.config["DATABASE"])
    add_earlier_periods(app.config["DATABASE"])
    return app


@pytest.fixture
def coordinator(summary_app):
    client = summary_app.test_client()
    login(client, "coordinator")
    return client


def summary_rows(html: str) -> dict[str, list[str]]:
    """{measure label: [this period, previous, a year before]}, each earlier period followed
    by its change column (arrow and text for screen readers); a population's label is
    prefixed by its group's first letters ("People co / …")."""
    result, group = {}, ""
    for row in html_tables(html)["summary"][1:]:
        if len(row) == 1:
            group = row[0]
        else:
            label = f"{group[:9]} / {row[0]}" if "population" in group else row[0]
            result[label] = [row[1], f"{row[2]} {row[3]}".strip(),
                             f"{row[4]} {row[5]}".strip()]
    return result


# Each key measure of 2026-Q1 (all police services): this period, 2025-Q4, 2025-Q1, as shown.
EXPECTED_Q1 = {
    # 20, 7 and 10 contacts: the first two are sums over grid cells under 5 (February's 2 RCMP
    # contacts would be All minus HRP), so they are withheld in every report (cross-report
    # suppression); with a figure hidden, no direction.
    "Contacts logged": ["x", "x", "10"],
    # Veterans: six in 2025-Q4, none since.
    "People co / Veterans": ["0", "6 ↓this period is lower", "0 =this period is the same"],
    "People co / Seniors (65+)": ["<5", "0", "0"],
    "People co / At-risk youth (12–17)": ["<5", "0", "0"],
    "People co / Mental health": ["<5", "0", "10"],
    "People co / Displaced or unsheltered": ["<5", "0", "0"],
    # 2026-Q1's 13 referrals (and 9 accepted, 7 connected) lie in months of 1 to 4
    # referrals per police service and team: withheld on the dataset (issue 21), so no
    # direction; the median connection time (20.0 h) rests on them and is withheld too.
    "Referrals made": ["x", "5", "8"],
    "Accepted by the partner": ["x", "5", "8"],
    "Connected (the partner reached the person)": ["x", "5", "5"],
    # 2025-Q4: 10 to 50 h; 2025-Q1: 6 h five times.
    "Median hours from sending to connection": ["–", "30.0 h", "6.0 h"],
    # 2026-Q1's 6 lie in months of 1 to 4; x1 (31 December, local) is the only one of
    # 2025-Q4.
    "Mental-health contacts": ["x", "<5", "10"],
    # 2025-Q1: 8 diverted and 2 escalated of 10: the 2 escalated are a class from 1 to 4,
    # and the diverted its complementary cell (10 less 8 would give it).
    "Handled without police (diverted)": ["<5", "0", "x"],
    "Share handled without police": ["–", "–", "–"],
}


def test_summary_shows_each_key_measure_for_three_periods(coordinator):
    response = coordinator.get("/reports/summary?quarter=2026-Q1")
    assert 200 == response.status_code
    rows = summary_rows(response.get_data(as_text=True))
    for label, expected in EXPECTED_Q1.items():
        assert expected == rows[label], label


def test_summary_people_referred_by_population(summary_app):
    with summary_app.test_request_context():
        result = _build(summary_app, periods.quarter(2026, 1, "America/Halifax"))
    referred = {m.key: [c.text for c in m.cells] for g in result.groups for m in g.measures
                if m.key.startswith("people_referred_")}
    assert ["0", "5", "0"] == referred["people_referred_veteran"]
    assert ["0", "0", "8"] == referred["people_referred_mental_health"]
    assert ["0", "0", "0"] == referred["people_referred_unsheltered"]


def _build(app, period, police_service=None):
    from fieldapp.reports import store

    db = connect(app.config["DATABASE"])
    filters = store.Filters(period.start_utc, period.end_utc, police_service, None)
    return summary.build(db, filters, period, app.config)


def test_summary_findings_are_computed_from_shown_measures(coordinator):
    html = coordinator.get("/reports/summary?quarter=2026-Q1").get_data(as_text=True)
    findings = html[html.index('id="findings-h"'):html.index('id="measures-h"')]
    # Every 2026-Q1 figure a finding would quote is withheld on the dataset (issue 21).
    assert "Too few records in this period for findings that protect privacy." in findings
    assert "handled without police" not in findings
    # The same findings from the figures 2026-Q1 had before (13 referrals made, 5 the
    # quarter before; 9 accepted, 7 connected): computed, not written by hand.
    with coordinator.application.test_request_context():
        def measure(key, cells):
            return summary.Measure(key, key.replace("_", " "), tuple(cells))

        groups = [summary.Group("Referrals", [
            measure("referrals_made", [count(13), count(5), count(8)]),
            measure("referrals_accepted", [count(9), count(5), count(8)]),
            measure("referrals_connected", [count(7), count(5), count(5)]),
            measure("mh_diverted_share", [rate(3, 6), rate(1, 2), rate(8, 10)])])]
        assert [
            "The largest increase on the previous period was in referrals made: from 5 to 13 "
            "(+160.0%).",
            "Partners accepted 9 of the 13 referrals made (69.2%), and 7 were connected.",
        ] == summary.findings(groups)


def test_summary_diversion_finding_without_a_previous_share(summary_app):
    with summary_app.test_request_context():
        result = _build(summary_app, periods.quarter(2025, 1, "America/Halifax"))
        # 2025-Q1's diverted share is withheld on the dataset (2 escalated of 10: see
        # EXPECTED_Q1), so no finding quotes it.
        assert ["Partners accepted 8 of the 8 referrals made (100.0%), and 5 were connected."
                ] == result.findings
        share = summary.Measure("mh_diverted_share", "share",
                                (rate(8, 10), Cell(None, "—", unit="percent"), rate(0, 0)))
        assert ["80.0% of mental-health contacts were handled without police (a partner "
                "outside police accepted a referral)."] == summary.findings(
            [summary.Group("g", [share, summary.Measure("referrals_made", "m",
                                                        (count(0),) * 3),
                                 summary.Measure("referrals_accepted", "a", (count(0),) * 3),
                                 summary.Measure("referrals_connected", "c",
                                                 (count(0),) * 3)])])


def test_suppressed_values_never_appear_in_findings():
    def measure(key, unit_cells):
        return summary.Measure(key, key, tuple(unit_cells))

    hidden, shown = count(3), count(12)
    groups = [summary.Group("g", [
        measure("contacts", [shown, hidden, count(0)]),  # a rise from a hidden count
        measure("referrals_made", [hidden, shown, shown]),
        measure("referrals_accepted", [hidden, shown, shown]),
        measure("referrals_connected", [hidden, shown, shown]),
        measure("mh_diverted_share", [rate(3, 12), rate(6, 12), rate(6, 12)]),
    ])]
    assert [] == summary.findings(groups)
    assert [] == summary.findings([summary.Group("g", [
        measure("contacts", [shown, count(0), count(0)]),
        measure("referrals_made", [shown, shown, shown]),
        measure("referrals_accepted", [count(4), shown, shown]),
        measure("referrals_connected", [shown, shown, shown]),
        measure("mh_diverted_share", [Cell(None, "—", unit="percent")] * 3)])])


def test_direction_only_when_both_values_are_shown():
    assert summary.UP == summary.direction(count(5), count(6))
    assert summary.DOWN == summary.direction(count(6), count(0))
    assert summary.SAME == summary.direction(count(0), count(0))
    assert summary.direction(count(4), count(9)) is None
    assert summary.direction(count(9), count(1)) is None
    assert summary.direction(rate(0, 0), rate(5, 10)) is None


def test_summary_hides_the_population_rows_the_full_report_hides(coordinator):
    """HRP 2026-Q1: the summary's people contacted per population are the full report's."""
    board = html_tables(coordinator.get("/reports/?quarter=2026-Q1&police_service=HRP")
                        .get_data(as_text=True))["people_by_population"]
    people = {row[0]: row[2] for row in board[1:]}
    rows = summary_rows(coordinator.get("/reports/summary?quarter=2026-Q1&police_service=HRP")
                        .get_data(as_text=True))
    assert people["Senior 65+"] == rows["People co / Seniors (65+)"][0]
    assert people["Youth 12-17"] == rows["People co / At-risk youth (12–17)"][0]


def test_previous_period_of_a_quarter_is_the_quarter_before():
    q1 = periods.quarter(2026, 1, "America/Halifax")
    assert "2025-Q4" == periods.previous(q1).key
    assert "2025-Q1" == periods.year_before(q1).key


def test_previous_period_of_dates_has_the_same_length_just_before():
    days = periods.Period(date(2026, 3, 1), date(2026, 3, 11), "2026-03-01..2026-03-10", "UTC")
    before = periods.previous(days)
    assert (date(2026, 2, 19), date(2026, 3, 1)) == (before.start, before.end)
    leap = periods.Period(date(2024, 2, 29), date(2024, 3, 1), "2024-02-29..2024-02-29", "UTC")
    assert (date(2023, 2, 28), date(2023, 3, 1)) == (periods.year_before(leap).start,
                                                       periods.year_before(leap).end)


def test_summary_links_to_the_full_report_as_its_appendix(coordinator):
    html = coordinator.get("/reports/summary?quarter=2026-Q1&police_service=HRP").get_data(
        as_text=True)
    assert 'href="/reports/?quarter=2026-Q1&amp;police_service=HRP"' in html
    board = coordinator.get("/reports/?quarter=2026-Q1").get_data(as_text=True)
    assert 'href="/reports/summary?quarter=2026-Q1"' in board


def test_summary_with_a_bad_filter_says_why(coordinator):
    response = coordinator.get("/reports/summary?quarter=2026-Q9")
    assert 400 == response.status_code
    assert "Choose a quarter from the list." in response.get_data(as_text=True)


def test_summary_in_french(coordinator):
    coordinator.post("/language", data={"language": "fr"})
    html = coordinator.get("/reports/summary?quarter=2026-Q1").get_data(as_text=True)
    assert "Constats clés" in html
    assert "Vétérans" in html


def test_running_header_stylesheet_names_period_police_service_and_time(coordinator):
    response = coordinator.get("/reports/print.css?quarter=2026-Q1&police_service=HRP"
                               "&at=2026-07-20T12:00:00%2B00:00")
    assert 200 == response.status_code
    assert "text/css" == response.mimetype
    css = response.get_data(as_text=True)
    assert "@top-left" in css
    assert "Q1 2026" in css and "Halifax Regional Police" in css
    assert "Generated Jul 20\\2c  2026" in css


def test_running_header_stylesheet_refuses_a_bad_filter(coordinator):
    assert 400 == coordinator.get("/reports/print.css?police_service=NOPE").status_code


def test_css_string_cannot_end_the_string_or_the_rule():
    from fieldapp.reports.routes import css_string

    assert '"a\\22 \\3b  \\7d  b\\5c "' == css_string('a"; } b\\')


def test_summary_and_report_link_their_running_header(coordinator):
    for path in ("/reports/summary?quarter=2026-Q1", "/reports/?quarter=2026-Q1"):
        html = coordinator.get(path).get_data(as_text=True)
        assert ('href="/reports/print.css?at=2026-07-20T12:00:00%2B00:00&amp;quarter=2026-Q1"'
                in html), path


def test_summary_repeat_calls_are_the_full_reports(coordinator):
    """HRP 2026-Q1: the people compared stay withheld ("x") as in section 5 of the report."""
    html = coordinator.get("/reports/summary?quarter=2026-Q1&police_service=HRP").get_data(
        as_text=True)
    # 10 calls before and 5 after, withheld on the dataset (issue 21) as in section 5.
    assert ("People compared: x; Calls in the 90 days before: x; Calls in the 90 days after: "
            "x; Change in calls: –.") in html
    board = html_tables(coordinator.get("/reports/?quarter=2026-Q1&police_service=HRP")
                        .get_data(as_text=True))["repeat_calls"]
    assert ["… compared (both windows within the call records)", "x"] in board


def test_summary_partnerships_are_the_registers_totals(coordinator):
    html = coordinator.get("/reports/summary?quarter=2026-Q1").get_data(as_text=True)
    # The register at the end of 2026-Q1, public directory data: not suppressed.
    assert ("Partnered by HRP: 7; Partnered by RCMP: 4; Partnered by all police services "
            "(overlaps): 3; Overlaps resolved in the period: 0.") in html
