"""Issue 22 in the board report: numbers, percentages, durations, months, quarters and dates
through Babel (fieldapp/formats.py) on the page, in the charts' labels and values, and in the
CSV's labels, while the CSV's keys stay the same English codes in every language."""

import re

import pytest

import fieldapp.cli  # noqa: F401  (imports the areas in the app's order)
from tests.support import login, make_app
from tests.support.reports import REPORT_NOW, add_cases, csv_records, html_tables, load

# February 2026, HRP, with the diversion cases: every diversion figure is shown (no cell of
# 1 to 4), so rates and hours appear.
FEBRUARY = "start=2026-02-01&end=2026-02-28&police_service=HRP"
NNBSP, NBSP = "\u202f", "\u00a0"


@pytest.fixture
def client(tmp_path):
    app = make_app(tmp_path, NOW=REPORT_NOW)
    load(app.config["DATABASE"])
    add_cases(app.config["DATABASE"])
    client = app.test_client()
    login(client, "coordinator")
    return client


def charts(html: str) -> dict[str, dict[str, list[str]]]:
    """{chart id: {"labels", "values", "tooltips"}} of the page's SVG charts."""
    found = {}
    for chart_id, svg in re.findall(r'<svg class="chart" id="([^"]+)".*?>(.*?)</svg>', html,
                                    flags=re.S):
        found[chart_id] = {
            "labels": re.findall(r'class="chart-label"[^>]*>([^<]*)<', svg),
            "values": re.findall(r'class="chart-value"[^>]*>([^<]*)<', svg),
            "tooltips": re.findall(r'<g class="chart-row"><title>([^<]*)</title>', svg)}
    return found


def test_french_page_charts_and_csv_labels_follow_babel(client):
    english = client.get(f"/reports/?{FEBRUARY}").get_data(as_text=True)
    english_csv = csv_records(client.get(f"/reports/board.csv?{FEBRUARY}"))
    client.post("/language", data={"language": "fr"})
    french = client.get(f"/reports/?{FEBRUARY}").get_data(as_text=True)
    french_csv = csv_records(client.get(f"/reports/board.csv?{FEBRUARY}"))

    # Percentages: "23.8%" / "23,8 %" (no break before the sign).
    shares = {row[0]: row[1] for row in html_tables(french)["diversion"][1:]}
    assert f"23,8{NBSP}%" in shares.values()
    assert "23.8%" in {row[1] for row in html_tables(english)["diversion"][1:]}
    # Dates: "1er février 2026" (the first of the month as an ordinal), quarter "T1 2026".
    assert "1er février 2026" in french and "February 1, 2026" in english
    assert "T1 2026" in french and "Q1 2026" in english
    # Charts: month labels in words, values and tooltips in the reader's language.
    month_chart = charts(french)["chart-activity_by_month"]
    assert ["février 2026"] == month_chart["labels"]
    assert month_chart["tooltips"] and month_chart["tooltips"][0].startswith("février 2026 — ")
    assert ["February 2026"] == charts(english)["chart-activity_by_month"]["labels"]
    diversion_chart = charts(french)["chart-diversion"]
    assert diversion_chart["labels"][0] == "Contacts liés à la santé mentale"
    assert not any(re.search(r"\d\.\d", v) for c in charts(french).values()
                   for v in c["values"])
    # The CSV: labels in the reader's language, keys and numbers the same in both.
    keys = ("table", "row_key", "column_key", "value", "unit", "suppressed", "suppression")
    assert sorted(tuple(r[k] for k in keys) for r in english_csv) == sorted(
        tuple(r[k] for k in keys) for r in french_csv)
    months = {r["row_key"]: r["row_label"] for r in french_csv
              if r["table"] == "activity_by_month"}
    assert {"2026-02": "février 2026"} == months
    shares = [r["value"] for r in french_csv if r["row_key"] == "mh_diverted_share"]
    assert ["23.8"] == shares  # a number, not "23,8 %"


def test_thousands_in_french_charts_and_tables(tmp_path):
    """A count of 12,345 reads "12 345" (narrow no-break space) in French, in the chart too."""
    from fieldapp.reports import charts as chart_module
    from fieldapp.reports.suppression import count

    app = make_app(tmp_path, NOW=REPORT_NOW)
    with app.test_request_context(headers={"Accept-Language": "fr"}):
        from flask_babel import force_locale

        with force_locale("fr"):
            cell = count(12345)
            svg = chart_module.bar_chart("c", "t", "d", ["n"], [("a", [cell])])
    assert cell.text in (f"12{NNBSP}345", f"12{NBSP}345")
    assert cell.text in svg and 12345 == cell.value
