"""HSDS export: valid against the 3.1 schemas, lossless round trips, the CLI commands."""

import csv
import json
import shutil

import fieldapp.accounts  # noqa: F401  (the foundation needs accounts imported before security)
from fieldapp.directory import hsds
from tests.support import NOW
from tests.support.hsds_schema import FIXTURES, as_given, errors, package_errors

EXAMPLES_CSV = FIXTURES / "examples-3.1" / "csv"
EXAMPLES_JSON = FIXTURES / "examples-3.1" / "json"
OHANA = FIXTURES / "ohana-smc"


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_csv_export_of_demo_and_imports_validates_against_hsds_3_1(db, tmp_path):
    hsds.import_package(db, EXAMPLES_CSV, NOW)
    hsds.import_package(db, OHANA, NOW)
    counts = hsds.export_csv(db, tmp_path / "out")
    assert [] == package_errors(tmp_path / "out")
    descriptor = json.loads((tmp_path / "out" / "datapackage.json").read_text())
    assert 24 == len(descriptor["resources"])
    assert db["service"].count == counts["service"]


def test_json_export_services_each_validate_against_the_service_schema(db, tmp_path):
    hsds.import_package(db, EXAMPLES_JSON / "service_full.json", NOW)
    hsds.import_package(db, OHANA, NOW)
    n = hsds.export_json(db, tmp_path)
    services = json.loads((tmp_path / "services.json").read_text())
    assert db["service"].count == n == len(services)
    assert [] == [e for service in services for e in errors("service", service)]
    crisis = next(s for s in services if s["name"] == "Mobile Crisis Response (demo)")
    assert crisis["accepts_referrals"] is True
    assert ["HRP", "RCMP"] == crisis["partnerships"]
    # 24:00 is no time of day in HSDS (issue 18): the end of the day, as given in original_text
    assert "23:59" == crisis["schedules"][0]["closes_at"]
    assert "24:00" == crisis["schedules"][0]["original_text"]["closes_at"]
    assert {"mental_health_crisis", "health"} == {a["value"] for a in crisis["attributes"]}


def test_csv_round_trip_of_the_official_examples_is_lossless(app, db, tmp_path):
    hsds.import_package(db, EXAMPLES_CSV, NOW)
    hsds.export_csv(db, tmp_path / "out")
    files = sorted(EXAMPLES_CSV.glob("*.csv"))
    rows = 0
    for original in files:
        exported = {row["id"]: as_given(row)
                    for row in read_csv(tmp_path / "out" / original.name)}
        for row in read_csv(original):
            rows += 1
            assert row == {k: exported[row["id"]].get(k) for k in row}, original.name
    assert len(files) >= 20 and rows >= 20, (len(files), rows)  # 24 files, 24 rows


def test_import_export_import_changes_nothing_and_keeps_unknown_columns(db, tmp_path):
    folder = tmp_path / "in"
    shutil.copytree(EXAMPLES_CSV, folder)
    lines = (folder / "services.csv").read_text().splitlines()
    lines[0] += ",county_code,internal_notes"
    lines[1] += ",NS-HFX,\"kept, with a comma\""
    (folder / "services.csv").write_text("\n".join(lines) + "\n")
    hsds.import_package(db, folder, NOW)
    hsds.export_csv(db, tmp_path / "out", internal=True)
    exported = read_csv(tmp_path / "out" / "services.csv")
    row = as_given(next(r for r in exported if r["id"] == "ac148810-d857-441c-9679-408f346de14b"))
    assert ("NS-HFX", "kept, with a comma") == (row["county_code"], row["internal_notes"])
    report = hsds.import_package(db, tmp_path / "out", "2026-04-01T00:00:00+00:00")
    assert 0 == report.changed, report.to_text()


def contained(theirs, mine, path="") -> list[str]:
    """Where `theirs` is not found in `mine` (our export may add links the original implied)."""
    if isinstance(theirs, dict):
        if not isinstance(mine, dict):
            return [path]
        return [p for key, value in theirs.items()
                for p in contained(value, mine.get(key), f"{path}/{key}")]
    if isinstance(theirs, list):
        if not isinstance(mine, list):
            return [path]
        missing = []
        for item in theirs:
            candidates = [m for m in mine if not isinstance(item, dict)
                          or m.get("id") == item.get("id")]
            if not any(not contained(item, m) for m in candidates):
                missing.append(f"{path}[{item.get('id') if isinstance(item, dict) else item}]")
        return missing
    return [] if theirs == mine else [f"{path}: {theirs!r} != {mine!r}"]


def test_json_round_trip_reproduces_the_official_full_service(db):
    original = json.loads((EXAMPLES_JSON / "service_full.json").read_text())
    hsds.import_package(db, EXAMPLES_JSON / "service_full.json", NOW)
    [exported] = hsds.full_services(db, [original["id"]])
    # Our nested organization carries its scalar fields; its own lists live in their tables.
    original["organization"] = {k: v for k, v in original["organization"].items()
                                if not isinstance(v, list)}
    assert [] == contained(original, as_given(exported))


def test_demo_directory_round_trips_through_the_internal_export(db, tmp_path):
    hsds.export_csv(db, tmp_path / "out", internal=True)
    report = hsds.import_package(db, tmp_path / "out", "2026-05-01T00:00:00+00:00",
                                 police_services=["HRP", "RCMP"])
    assert 0 == report.changed, report.to_text()
    assert [] == package_errors(tmp_path / "out")


def test_shared_export_is_valid_and_reimporting_it_keeps_the_confidential_address(db, tmp_path):
    before = db.execute("select a.address_1, a.postal_code, l.latitude from location l "
                        "join address a on a.location_id = l.id where l.confidential = 1"
                        ).fetchall()
    assert before, "the demo directory has a confidential shelter"
    hsds.export_csv(db, tmp_path / "out")
    assert [] == package_errors(tmp_path / "out")
    hsds.import_package(db, tmp_path / "out", "2026-05-01T00:00:00+00:00",
                        police_services=["HRP", "RCMP"])
    assert before == db.execute("select a.address_1, a.postal_code, l.latitude from location l "
                                "join address a on a.location_id = l.id where l.confidential = 1"
                                ).fetchall()


def test_cli_import_and_export(runner, db, tmp_path):
    result = runner.invoke(args=["import-hsds", str(EXAMPLES_CSV)])
    assert 0 == result.exit_code, result.output
    assert "service: inserted 1" in result.output
    assert "dangling_reference" in result.output
    result = runner.invoke(args=["export-hsds", str(tmp_path / "csv"), "--format", "csv"])
    assert 0 == result.exit_code, result.output
    assert (tmp_path / "csv" / "datapackage.json").exists()
    result = runner.invoke(args=["export-hsds", str(tmp_path / "json"), "--format", "json"])
    assert 0 == result.exit_code, result.output
    assert db["service"].count == len(json.loads((tmp_path / "json" / "services.json")
                                                 .read_text()))


def test_cli_rejects_non_hsds_with_a_clear_message(runner, tmp_path):
    path = tmp_path / "calls.csv"
    path.write_text("date,time,address\n")
    result = runner.invoke(args=["import-hsds", str(path)])
    assert 2 == result.exit_code
    assert "not an HSDS file" in result.output


def test_csv_export_writes_formula_like_cells_as_text(db, tmp_path):
    formula = '=HYPERLINK("https://evil.example/","Click")'
    sid = next(db.query("select id from service order by rowid limit 1"))["id"]
    db["service"].update(sid, {"name": formula, "alternate_name": "@SUM(A1)",
                               "description": "-2+3"})
    hsds.export_csv(db, tmp_path / "out")
    row = next(r for r in read_csv(tmp_path / "out" / "services.csv") if r["id"] == sid)
    assert ("'" + formula, "'@SUM(A1)", "'-2+3") == (
        row["name"], row["alternate_name"], row["description"])
