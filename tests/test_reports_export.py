"""The analyst's CSV of the board report (reports/export.py): stable keys in every language,
numbers as numbers, suppression as a flag, period and filters in the name and in every row,
and a Frictionless descriptor that `frictionless validate` accepts with it."""

import json
import re

import pytest
from frictionless import validate

import fieldapp.cli  # noqa: F401  (imports the areas in the app's order)
from fieldapp.reports import export, tables
from fieldapp.reports.period import quarter
from fieldapp.reports.suppression import count
from tests.support import login, make_app
from tests.support.reports import HRP_Q1, Q1, REPORT_NOW, csv_records, load

KEYS = ("table", "row_key", "column_key", "value", "unit", "suppressed", "suppression",
        "period_start", "period_end", "police_service", "team")


@pytest.fixture
def coordinator(tmp_path):
    """A coordinator's client on the fixed dataset."""
    app = make_app(tmp_path, NOW=REPORT_NOW)
    load(app.config["DATABASE"])
    client = app.test_client()
    login(client, "coordinator")
    return client


def test_csv_keys_are_identical_in_english_and_french(coordinator):
    english = csv_records(coordinator.get(f"/reports/board.csv?{HRP_Q1}"))
    coordinator.post("/language", data={"language": "fr"})
    french_response = coordinator.get(f"/reports/board.csv?{HRP_Q1}")
    french = csv_records(french_response)
    assert export.COLUMNS == list(french[0])
    # The same figures under the same keys (hidden rows follow the page's alphabetical order
    # of labels, which differs between languages).
    assert sorted([r[k] for k in KEYS] for r in english) == sorted(
        [r[k] for k in KEYS] for r in french)
    # The labels are the page's, in the page's language.
    assert "Contacts" == english[0]["row_label"]
    assert "Contacts" == french[0]["row_label"]  # the app's one French term (issue 22)
    assert "All contacts escalated to police enforcement" in {r["row_label"] for r in english}
    assert "Contacts transférés à l’application de la loi (tous)" in {
        r["row_label"] for r in french}
    assert "board-2026Q1-HRP-all.csv" in french_response.headers["Content-Disposition"]


def test_numbers_are_numbers_and_suppression_is_a_flag(coordinator):
    records = csv_records(coordinator.get(f"/reports/board.csv?{Q1}"))
    for record in records:
        if record["suppressed"] == "true":
            assert "" == record["value"] and record["suppression"], record
        else:
            assert "false" == record["suppressed"] and "" == record["suppression"]
            assert re.fullmatch(r"-?\d+(\.\d+)?|", record["value"]), record
    assert {"count", "percent", "hours"} == {r["unit"] for r in records}
    # The hand-built referral total is withheld on the dataset (issue 21: its months hold 1
    # to 4 referrals); the figures it would show, as the export writes them: plain numbers.
    row = tables._referral_row("all", "All services", {
        "made": 13, "connected": 7, "connected_48h": 6, "accept_median": 3.0, "accept_n": 9,
        "connect_median": 20.0, "connect_n": 7}, {
        key: count(n) for key, n in (("made", 13), ("received", 12), ("accepted", 9),
                                     ("connected", 7), ("connected_48h", 6),
                                     ("declined_partner", 2), ("declined_person", 1))})
    table = tables.Table("referrals_by_service", "Referrals", ["Service"] * len(row), [row],
                         column_keys=tables.REFERRAL_COLUMN_KEYS)
    total = {r[2]: r[3] for r in export.rows([table], quarter(2026, 1, "America/Halifax"),
                                             None, None)}
    assert (13, 53.8, 3.0, 20.0, 46.2) == (
        total["made"], total["connected_share"], total["median_hours_to_accept"],
        total["median_hours_to_connect"], total["connected_48h_share"])


def test_period_and_filters_are_in_the_file_name_and_in_every_row(coordinator):
    response = coordinator.get("/reports/board.csv?start=2026-01-01&end=2026-03-31"
                               "&police_service=RCMP&team=Other&table=diversion")
    assert ('filename="board-20260101-20260331-RCMP-Other-diversion.csv"'
            in response.headers["Content-Disposition"])
    records = csv_records(response)
    assert {("2026-01-01", "2026-03-31", "RCMP", "Other")} == {
        (r["period_start"], r["period_end"], r["police_service"], r["team"]) for r in records}
    every = coordinator.get(f"/reports/board.csv?{Q1}")
    assert 'filename="board-2026Q1-all-all.csv"' in every.headers["Content-Disposition"]
    assert {("", "")} == {(r["police_service"], r["team"]) for r in csv_records(every)}
    descriptor = coordinator.get(f"/reports/board.datapackage.json?{HRP_Q1}")
    assert ('filename="board-2026Q1-HRP-all.datapackage.json"'
            in descriptor.headers["Content-Disposition"])
    assert {"start": "2026-01-01", "end": "2026-03-31", "key": "2026-Q1"} == \
        descriptor.get_json()["period"]


@pytest.mark.parametrize("query, language", [
    (HRP_Q1, "en"), (Q1, "fr"), (f"{HRP_Q1}&table=referrals_by_service", "en"),
])
def test_frictionless_validates_the_csv_with_its_descriptor(coordinator, tmp_path, query,
                                                            language):
    coordinator.post("/language", data={"language": language})
    csv_response = coordinator.get(f"/reports/board.csv?{query}")
    descriptor = coordinator.get(f"/reports/board.datapackage.json?{query}").get_json()
    name = re.search(r'filename="([^"]+)"', csv_response.headers["Content-Disposition"])[1]
    assert name == descriptor["resources"][0]["path"]
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / name).write_bytes(csv_response.data)
    (folder / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    report = validate(str(folder / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    assert len(csv_records(csv_response)) == report.tasks[0].stats["rows"]


def test_frictionless_catches_a_number_with_its_unit(coordinator, tmp_path):
    """The check is real: "54.8%" in the value column is refused."""
    csv_response = coordinator.get(f"/reports/board.csv?{HRP_Q1}")
    descriptor = coordinator.get(f"/reports/board.datapackage.json?{HRP_Q1}").get_json()
    text = csv_response.get_data(as_text=True).replace(",78,count,", ",78%,count,", 1)
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "board-2026Q1-HRP-all.csv").write_text(text, encoding="utf-8")
    (folder / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    report = validate(str(folder / "datapackage.json"))
    assert not report.valid
    assert ["type-error"] == [error[0] for error in report.flatten(["type"])]


def test_every_table_has_stable_column_and_row_keys(coordinator):
    records = csv_records(coordinator.get(f"/reports/board.csv?{HRP_Q1}"))
    assert set(tables.SECTION_OF_TABLE) == {r["table"] for r in records}
    assert all(r["row_key"] and r["column_key"] for r in records)
    assert len(records) == len({(r["table"], r["row_key"], r["column_key"]) for r in records})
