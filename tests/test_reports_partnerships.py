"""Issue 21: the HRP/RCMP partnership register as it was in the period (kept as history, not
today's table), the overlapping services by name, and no suppression of public directory
data."""


import fieldapp.cli  # noqa: F401  (imports the areas in the app's order)
from fieldapp.db import connect
from fieldapp.reports import store
from fieldapp.reports.period import quarter
from tests.support.directory import edit_form
from tests.support.reports import HRP_Q1, Q1, html_tables

Q3 = "quarter=2026-Q3"


def register(client, query: str) -> dict:
    page = client.get(f"/reports/?{query}").get_data(as_text=True)
    tables = html_tables(page)
    return {"categories": tables["partnerships"][1:],
            "overlaps": {row[0]: row[1] for row in tables["partnership_overlaps"][1:]},
            "page": page}


def test_register_of_the_period_is_shown_whole_and_not_suppressed(coordinator):
    q1 = register(coordinator, HRP_Q1)
    # s6 was archived on 1 May 2026, after Q1: it was in the directory then (7 housing
    # services, not today's 6).  Counts of 1 to 4 are shown: services are public data.
    assert [["Housing & shelter", "7", "6", "3", "2", "—"],
            ["Mental health & crisis", "1", "1", "1", "1", "—"],
            ["Seniors", "1", "0", "0", "0", "HRP, RCMP"],
            ["Youth", "1", "1", "0", "0", "RCMP"],
            ["All services", "9", "7", "4", "3", ""]] == q1["categories"]
    # The overlapping services are listed by name.
    assert ("Services partnered by every police service at the end of the period: "
            "Harbourside Mobile Crisis Team (demo) — Service s1-crisis-line (test); "
            "Northwind Youth Shelter (demo) — Service s4 (test); "
            "Northwind Youth Shelter (demo) — Service s7 (test).") in q1["page"]
    # In Q3 (after 1 May) s6 is archived: today's register.
    q3 = register(coordinator, Q3)
    assert ["Housing & shelter", "6", "5", "3", "2", "—"] == q3["categories"][0]


def test_a_partnership_changed_after_the_period_leaves_the_periods_register(report_app,
                                                                          coordinator):
    """HRP ends its partnership with s4 on 20 July 2026 (the app's clock), through the
    directory's service form: Q1's register still shows s4 partnered by both (an open
    overlap); Q3's shows it resolved in the period."""
    before = register(coordinator, Q1)
    data = edit_form(coordinator, "s4", joint=False)
    assert ["HRP", "RCMP"] == data.getlist("partnered_with")
    data.setlist("partnered_with", ["RCMP"])
    response = coordinator.post("/directory/manage/services/s4", data=data)
    assert 303 == response.status_code, response.get_data(as_text=True)[:400]

    db = connect(report_app.config["DATABASE"])
    assert [("RCMP",)] == db.execute("select police_service from service_partnership "
                                     "where service_id = 's4'").fetchall()
    period = quarter(2026, 1, "America/Halifax")
    assert {"s1-crisis-line", "s4", "s7"} == store.partnerships(
        db, ["HRP", "RCMP"], period.end_utc)["overlapping_ids"]
    assert {"s1-crisis-line", "s7"} == store.partnerships(db, ["HRP", "RCMP"])["overlapping_ids"]
    db.conn.close()

    after = register(coordinator, Q1)
    assert before["categories"] == after["categories"]
    assert {"Overlaps open at the end of the period": "3",
            "Overlaps resolved in the period": "0",
            "New overlaps in the period": "0"} == after["overlaps"]
    q3 = register(coordinator, Q3)
    assert ["Housing & shelter", "6", "4", "3", "1", "—"] == q3["categories"][0]
    assert {"Overlaps open at the end of the period": "2",
            "Overlaps resolved in the period": "1",
            "New overlaps in the period": "0"} == q3["overlaps"]
    summary = coordinator.get(f"/reports/summary?{Q3}").get_data(as_text=True)
    assert "Overlaps resolved in the period: 1" in summary
