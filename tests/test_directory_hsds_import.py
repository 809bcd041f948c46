"""HSDS import: official 3.1 examples (CSV and JSON), the Ohana San Mateo sample, idempotency,
hostile packages and non-HSDS input."""

import io
import json
import shutil
import zipfile

import pytest

import fieldapp.accounts  # noqa: F401  (the foundation needs accounts imported before security)
from fieldapp import uploads
from fieldapp.directory import hsds
from tests.support import NOW
from tests.support.hsds_schema import FIXTURES

EXAMPLES_CSV = FIXTURES / "examples-3.1" / "csv"
EXAMPLES_JSON = FIXTURES / "examples-3.1" / "json"
OHANA = FIXTURES / "ohana-smc"
LATER = "2026-03-09T10:00:00+00:00"
TABLES = hsds.ORDER + ["service_category", "service_partnership"]


def counts(db) -> dict:
    return {table: db[table].count for table in TABLES}


def delta(before: dict, after: dict) -> dict:
    return {t: after[t] - before[t] for t in TABLES if after[t] != before[t]}


def dump(db) -> dict:
    return {t: list(db.query(f"select * from [{t}] order by rowid")) for t in TABLES}


def test_official_csv_examples_import_one_row_per_table(db):
    before = counts(db)
    report = hsds.import_package(db, EXAMPLES_CSV, NOW)
    expected = {t: 1 for t in hsds.ORDER}
    assert expected == delta(before, counts(db))
    assert "csv-3.x" == report.format
    assert 1 == report.problems[("unreadable_datapackage_json", "datapackage.json")]
    assert 9 == sum(n for (code, _), n in report.problems.items() if code == "dangling_reference")
    service = db["service"].get("ac148810-d857-441c-9679-408f346de14b")
    assert "Community Counselling" == service["name"]
    assert "Example Organization Inc." == service["organization_name"]
    assert "ac148810-d857-441c-9679-408f346de14b" == service["source_id"]
    schedule = db["schedule"].get("48102e86-bb50-41c4-8f1e-e269368c41d1")
    assert ("10:00", "18:00") == (schedule["opens_at"], schedule["closes_at"])
    assert {"opens_at": "10:00:00", "closes_at": "18:00:00"} == json.loads(
        schedule["extra_json"])["_raw"]


def test_official_json_service_imports_nested_objects_once(db):
    before = counts(db)
    report = hsds.import_package(db, EXAMPLES_JSON / "service_full.json", NOW)
    expected = {t: 1 for t in hsds.ORDER if t != "meta_table_description"}
    assert expected == delta(before, counts(db))
    assert "json" == report.format
    assert 0 == sum(n for (code, _), n in report.problems.items() if code == "duplicate_id")
    phone = db["phone"].get("1554f2e2-a373-45db-a3fa-9fc48a61c15e")
    assert "100" == phone["extension"]


def test_json_page_and_list_forms_are_accepted(db, tmp_path):
    page = json.loads((EXAMPLES_JSON / "service_list.json").read_text())
    path = tmp_path / "page.json"
    path.write_text(json.dumps(page))
    hsds.import_package(db, path, NOW)
    listed = tmp_path / "list.json"
    listed.write_text(json.dumps(page["contents"]))
    before = counts(db)
    hsds.import_package(db, listed, NOW)
    assert {} == delta(before, counts(db))
    assert db["service"].get("ac148810-d857-441c-9679-408f346de14b")


def test_ohana_san_mateo_sample_imports_with_exact_counts(db):
    before = counts(db)
    report = hsds.import_package(db, OHANA, NOW)
    assert {
        "organization": 8, "service": 23, "location": 22, "service_at_location": 23,
        "address": 42,  # 21 addresses + 21 mail addresses
        "phone": 54, "agency_contact": 31, "program": 1,
        "schedule": 15,  # 11 regular + 4 holiday
        "taxonomy_term": 290, "attribute": 6, "language": 32, "accessibility": 41,
        "service_area": 32, "funding": 59, "required_document": 1,
        "service_category": 1,
    } == delta(before, counts(db))
    assert "csv-legacy" == report.format
    assert 0 == sum(n for (code, _), n in report.problems.items()
                    if code in ("duplicate_id", "dangling_reference", "blank_id"))
    # services reach their organization through their location
    assert 0 == db.execute("select count(*) from service where source_id is not null and "
                           "organization_id is null").fetchone()[0]
    # 12-hour times normalized, raw kept
    row = next(db.query("select * from schedule where extra_json like '%4:00 PM%'"))
    assert ("14:00", "16:00") == (row["opens_at"], row["closes_at"])
    assert "MO" == row["byday"]


@pytest.mark.parametrize("source", [EXAMPLES_CSV, EXAMPLES_JSON / "service_full.json", OHANA])
def test_importing_the_same_package_twice_changes_nothing(db, source):
    hsds.import_package(db, source, NOW)
    first = dump(db)
    report = hsds.import_package(db, source, LATER)
    assert 0 == report.changed
    assert first == dump(db)


def test_zip_package_is_accepted(db, tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in EXAMPLES_CSV.glob("*.csv"):
            archive.write(path, f"hsds/{path.name}")
    before = counts(db)
    report = hsds.import_package(db, buffer.getvalue(), NOW, filename="package.zip")
    assert 1 == delta(before, counts(db))["service"]
    assert 24 == len(report.counts)


def test_zip_file_on_disk_is_read_member_by_member(db, tmp_path):
    path = tmp_path / "package.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for csv_path in EXAMPLES_CSV.glob("*.csv"):
            archive.write(csv_path, csv_path.name)
    before = counts(db)
    hsds.import_package(db, path, NOW)
    assert 1 == delta(before, counts(db))["service"]


def test_windows_1252_csv_file_is_read_as_a_stream(db, tmp_path):
    folder = tmp_path / "cp1252"
    folder.mkdir()
    (folder / "organizations.csv").write_bytes(
        "id,name,description\norg-é,Société d’entraide,Aide\n".encode("cp1252"))
    hsds.import_package(db, folder, NOW)
    assert ["Société d’entraide"] == [row["name"] for row in db["organization"].rows_where(
        "source_id = ?", ["org-é"])]


def test_caps_apply_to_packages_read_from_disk(db, tmp_path):
    before = counts(db)
    with pytest.raises(uploads.UploadTooLarge, match="has more than 3 rows"):
        hsds.import_package(db, EXAMPLES_CSV, NOW, max_rows=3)
    with pytest.raises(uploads.UploadTooLarge, match="unpacks to more than 1 KB"):
        hsds.import_package(db, EXAMPLES_CSV, NOW, max_bytes=1024)
    assert before == counts(db)


def test_cli_import_refuses_a_package_over_the_row_cap(app, runner, db):
    app.config["UPLOAD_MAX_ROWS"] = 3
    before = counts(db)
    result = runner.invoke(args=["import-hsds", str(EXAMPLES_CSV)])
    assert 2 == result.exit_code
    assert "has more than 3 rows" in result.output
    assert before == counts(db)


def write_hostile(folder):
    folder.mkdir()
    (folder / "datapackage.json").write_text(json.dumps({"resources": [
        {"name": n, "path": f"{n}.csv"} for n in
        ("organizations", "services", "phones", "schedules", "locations")]}))
    (folder / "organizations.csv").write_text(
        "id,name,description,internal_rating\n"
        "org-1,  Padded Org  ,Fine,5\n"
        ",No Id Org,blank id,3\n"
        "org-1,Same Id Again,duplicate,1\n")
    (folder / "services.csv").write_text(
        "id,organization_id,name,status,intake_code\n"
        "svc-1,org-1,Shelter One,active,X1\n"
        "svc-2,org-missing,Dangling Service,active,X2\n"
        "svc-1,org-1,Shelter Duplicate,active,X3\n"
        ",org-1,No Id Service,active,X4\n"
        "svc-3,org-1,,active,X5\n"
        "svc-4,org-1,Odd Status,sometimes,X6\n")
    (folder / "phones.csv").write_text(
        "id,service_id,number,type\n"
        "ph-1,svc-1,902-555-0101 ext 12,voice\n"
        "ph-2,svc-1, 902-555-0199 x7 ,voice\n"
        "ph-3,svc-gone,902-555-0100,voice\n"
        "ph-4,svc-1,,voice\n")
    (folder / "schedules.csv").write_text(
        "id,service_id,byday,opens_at,closes_at\n"
        "sc-1,svc-1,MO,9:00a,5:00\n"
        "sc-2,svc-1,TU,9am,4:30 PM\n"
        "sc-3,svc-1,WE,20:00,08:00\n"
        "sc-4,svc-1,TH,whenever,later\n")


def test_hostile_package_imports_what_is_usable_and_reports_every_problem(db, tmp_path):
    folder = tmp_path / "hostile"
    write_hostile(folder)
    before = counts(db)
    report = hsds.import_package(db, folder, NOW)
    problems = report.problems
    assert 1 == problems[("missing_declared_file", "locations.csv")]
    assert 1 == problems[("blank_id", "organizations.csv")]
    assert 1 == problems[("blank_id", "services.csv")]
    assert 1 == problems[("duplicate_id", "organizations.csv")]
    assert 1 == problems[("duplicate_id", "services.csv")]
    assert 1 == problems[("dangling_reference", "service.organization_id")]
    assert 1 == problems[("dangling_reference", "phone.service_id")]
    assert 1 == problems[("missing_name", "services.csv")]
    assert 1 == problems[("missing_number", "phones.csv")]
    assert 2 == problems[("extension_in_number", "phones.csv")]
    assert 1 == problems[("closing_time_assumed_pm", "schedules.csv")]
    assert 1 == problems[("unreadable_time", "schedules.csv:opens_at")]
    assert 1 == problems[("unknown_status", "services.csv")]
    assert {"organization": 2, "service": 4, "phone": 3, "schedule": 4} == \
        delta(before, counts(db))
    org = db["organization"].get(hsds.map_id("organization", "org-1"))
    assert "Padded Org" == org["name"]
    assert {"internal_rating": "5", "_raw": {"name": "  Padded Org  "}} == \
        json.loads(org["extra_json"])
    svc1 = hsds.map_id("service", "svc-1")
    phones = {r["number"]: r["extension"] for r in db["phone"].rows_where("service_id = ?",
                                                                           [svc1])}
    assert {"902-555-0101": "12", "902-555-0199": "7"} == phones
    hours = {r["byday"]: (r["opens_at"], r["closes_at"])
             for r in db["schedule"].rows_where("service_id = ?", [svc1])}
    assert {"MO": ("09:00", "17:00"), "TU": ("09:00", "16:30"), "WE": ("20:00", "08:00"),
            "TH": (None, None)} == hours
    raw = json.loads(db["schedule"].get(hsds.map_id("schedule", "sc-1"))["extra_json"])["_raw"]
    assert {"opens_at": "9:00a", "closes_at": "5:00", "service_id": "svc-1"} == raw
    assert "X1" == json.loads(db["service"].get(svc1)["extra_json"])["intake_code"]
    text = report.to_text()
    assert "1 x missing_declared_file in locations.csv" in text
    # and once more: nothing changes
    assert 0 == hsds.import_package(db, folder, LATER).changed


@pytest.mark.parametrize("name, content", [
    ("calls.csv", "date,time,address\n2026-01-01,10:00,1 Main St\n"),
    ("notes.txt", "hello"),
    ("list.json", json.dumps([{"foo": 1}])),
    ("broken.json", "{not json"),
])
def test_non_hsds_file_is_rejected_clearly_and_nothing_is_written(db, tmp_path, name, content):
    path = tmp_path / name
    path.write_text(content)
    before = dump(db)
    with pytest.raises(hsds.NotHSDS) as error:
        hsds.import_package(db, path, NOW)
    assert name in str(error.value)
    assert before == dump(db)


def test_folder_without_hsds_tables_is_rejected(db, tmp_path):
    folder = tmp_path / "nothsds"
    folder.mkdir()
    (folder / "services.csv").write_text("a,b,c\n1,2,3\n")
    (folder / "calls.csv").write_text("date,time\n")
    before = dump(db)
    with pytest.raises(hsds.NotHSDS, match="no HSDS tables"):
        hsds.import_package(db, folder, NOW)
    assert before == dump(db)


@pytest.mark.parametrize("raw, closing_after, expected", [
    ("9:00a", None, "09:00"), ("9am", None, "09:00"), ("5 p.m.", None, "17:00"),
    ("17h30", None, "17:30"), ("10:00:00", None, "10:00"), ("0900", None, "09:00"),
    ("noon", None, "12:00"), ("12:00 AM", None, "00:00"), ("5:00", "09:00", "17:00"),
    ("05:00", "09:00", "05:00"), ("8:00", "20:00", "08:00"), ("24:00", "00:00", "24:00"),
    ("13:00", None, "13:00"), ("25:00", None, None), ("later", None, None),
])
def test_times_are_normalized_to_24_hour_clock(raw, closing_after, expected):
    assert expected == hsds.normalize_time(raw, closing_after=closing_after)[0]


def test_partnerships_categories_and_app_fields_come_from_extension_columns(db, tmp_path):
    folder = tmp_path / "ext"
    shutil.copytree(EXAMPLES_CSV, folder)
    services = (folder / "services.csv").read_text().splitlines()
    services[0] += ",accepts_referrals,intake_phone,populations,partnerships,categories"
    services[1] += ',true,902-555-0100,"veteran,senior_65_plus",HRP,"veterans,seniors"'
    (folder / "services.csv").write_text("\n".join(services) + "\n")
    hsds.import_package(db, folder, NOW, police_services=["HRP", "RCMP"])
    service = db["service"].get("ac148810-d857-441c-9679-408f346de14b")
    assert (1, "902-555-0100", ["veteran", "senior_65_plus"]) == (
        service["accepts_referrals"], service["intake_phone"], json.loads(service["populations"]))
    assert [{"police_service": "HRP"}] == list(db.query(
        "select police_service from service_partnership where service_id = ?", [service["id"]]))
    assert {"veterans", "seniors"} == {r["category"] for r in db["service_category"].rows_where(
        "service_id = ?", [service["id"]])}
    assert "vétérans" in service["category_text"] or "vétérans" in db["service"].get(
        service["id"])["category_text"]


def test_nested_json_without_ids_keeps_children_linked_and_maps_open_eligibility(db, tmp_path):
    path = tmp_path / "noids.json"
    path.write_text(json.dumps([{"name": "Shelter without id", "status": "active",
                                 "languages": [{"name": "French"}],
                                 "attributes": [{"taxonomy_term": {
                                     "id": "t-1", "code": "103-01",
                                     "name": "Emergency Shelter"}}]},
                                {"name": {"not": "a name"}}, 7]))
    report = hsds.import_package(db, path, NOW)
    assert 1 == report.problems[("missing_name", "noids.json")]
    assert 1 == report.problems[("not_an_object", "noids.json")]
    service = next(db.query("select * from service where name = 'Shelter without id'"))
    assert service["source_id"] is None
    assert [("French", "fr")] == [(r["name"], r["code"]) for r in db["language"].rows_where(
        "service_id = ?", [service["id"]])]
    assert ["housing_shelter"] == [r["category"] for r in db["service_category"].rows_where(
        "service_id = ?", [service["id"]])]
    assert 0 == hsds.import_package(db, path, LATER).changed


def test_reimport_never_blanks_fields_or_app_data_the_package_does_not_carry(db, tmp_path):
    hsds.import_package(db, EXAMPLES_CSV, NOW)
    sid = "ac148810-d857-441c-9679-408f346de14b"
    db["service"].update(sid, {"accepts_referrals": 1, "status": "inactive",
                               "intake_phone": "902-555-0100"})
    db.execute("insert into service_category values (?, 'health')", [sid])
    folder = tmp_path / "slim"
    folder.mkdir()
    (folder / "services.csv").write_text(
        "id,organization_id,name\n"
        f"{sid},d9d5e0f5-d3ce-4f73-9a2f-4dd0ecc6c610,Community Counselling\n")
    report = hsds.import_package(db, folder, LATER)
    assert 0 == report.changed
    service = db["service"].get(sid)
    assert ("2005-01-01", 1, "inactive", "902-555-0100") == (
        service["assured_date"], service["accepts_referrals"], service["status"],
        service["intake_phone"])
    assert ["health"] == [r["category"] for r in db["service_category"].rows_where(
        "service_id = ?", [sid])]


def test_hsds_1_1_package_with_older_file_names(db, tmp_path):
    folder = tmp_path / "hsds11"
    folder.mkdir()
    files = {
        "organizations.csv": "id,name,description,email,url\n1,Old Org,desc,a@demo.test,"
                             "https://old.demo.test\n",
        "services.csv": "id,organization_id,program_id,name,description,status\n"
                        "10,1,,Old Service,Does things,active\n",
        "locations.csv": "id,organization_id,name,latitude,longitude\n5,1,Old Place,44.6,-63.5\n",
        "services_at_location.csv": "id,service_id,location_id\n7,10,5\n",
        "physical_addresses.csv": "id,location_id,address_1,city,state_province,postal_code,"
                                  "country\n3,5,1 Old St,Halifax,NS,B3K 0A1,CA\n",
        "postal_addresses.csv": "id,location_id,address_1,city,state_province,postal_code,"
                                "country\n3,5,PO Box 1,Halifax,NS,B3K 0A1,CA\n",
        "regular_schedules.csv": "id,service_id,weekday,opens_at,closes_at\n1,10,1,9:00,5:00\n"
                                 "2,10,Saturday,10am,2pm\n",
        "holiday_schedules.csv": "id,service_id,closed,opens_at,closes_at,start_date,end_date\n"
                                 "1,10,false,10:00,14:00,2026-12-24,2026-12-24\n",
        "taxonomy.csv": "id,name,parent_id,parent_name,vocabulary\n103,Housing,,,OE\n"
                        "103-01,Emergency Shelter,103,Housing,OE\n",
        "services_taxonomy.csv": "id,service_id,taxonomy_id,taxonomy_detail\n1,10,103-01,\n",
        "phones.csv": "id,service_id,number,extension,type,language\n1,10,902-555-0100,,voice,en\n",
        "languages.csv": "id,service_id,language\n1,10,French\n",
        "accessibility_for_disabilities.csv": "id,location_id,accessibility,details\n"
                                              "1,5,Ramp,At the side door\n",
        "eligibility.csv": "id,service_id,eligibility\n1,10,adults\n",
    }
    for name, text in files.items():
        (folder / name).write_text(text)
    before = counts(db)
    report = hsds.import_package(db, folder, NOW)
    assert "csv-legacy" == report.format
    # issue 12: an older file with no HSDS 3 table is no longer ignored, its rows stay on
    # their service (was: 1 == problems[("file_not_imported", "eligibility.csv")])
    assert ["adults"] == json.loads(
        db["service"].get(hsds.map_id("service", "10"))["extra_json"])["eligibility"]
    assert {"imported": 1, "read": 1} == dict(report.files["eligibility.csv"])
    assert {"organization": 1, "service": 1, "location": 1, "service_at_location": 1,
            "address": 2, "schedule": 3, "taxonomy_term": 2, "attribute": 1, "phone": 1,
            "language": 1, "accessibility": 1, "service_category": 1} == delta(before, counts(db))
    sid = hsds.map_id("service", "10")
    hours = sorted((r["byday"], r["opens_at"], r["closes_at"], r["valid_from"])
                   for r in db["schedule"].rows_where("service_id = ?", [sid]))
    assert [("MO", "09:00", "17:00", None), ("SA", "10:00", "14:00", None),
            ("TH", "10:00", "14:00", "2026-12-24")] == hours
    assert ["housing_shelter"] == [r["category"] for r in db["service_category"].rows_where(
        "service_id = ?", [sid])]
    assert {"physical", "postal"} == {r["address_type"] for r in db["address"].rows_where(
        "location_id = ?", [hsds.map_id("location", "5")])}


@pytest.mark.parametrize("code, expected", [
    ("103-01", ["housing_shelter"]), ("101-04", ["housing_shelter"]),
    ("106-01-02", ["substance_use", "health"]), ("101-07", ["mental_health_crisis"]),
    ("111-01", ["legal"]), ("102-04", ["food_basic_needs"]), ("107-03", ["income"]),
    ("109-04", ["family"]), ("105-01", []), ("", []),
])
def test_open_eligibility_codes_map_to_project_categories(code, expected):
    from fieldapp.directory import categories

    assert sorted(expected) == sorted(categories.categories_for_oe_code(code))


@pytest.mark.parametrize("name, table", [
    ("service_full.json", "service"), ("service_list.json", "service"),
    ("organization_full.json", "organization"), ("organization_list.json", "organization"),
    ("service_at_location_full.json", "service_at_location"),
    ("service_at_location_list.json", "service_at_location"), ("location.json", "location"),
    ("taxonomy.json", "taxonomy"), ("taxonomy_list.json", "taxonomy"),
    ("taxonomy_term.json", "taxonomy_term"), ("taxonomy_term_list.json", "taxonomy_term"),
    ("tabular.json", "service"),
])
def test_every_official_json_example_imports_as_its_own_kind(db, name, table):
    before = counts(db)
    report = hsds.import_package(db, EXAMPLES_JSON / name, NOW)
    assert 1 == delta(before, counts(db)).get(table), report.to_text()
    if table in ("location", "taxonomy", "taxonomy_term"):  # not mistaken for services
        assert 0 == delta(before, counts(db)).get("service", 0)


def test_api_root_json_is_not_hsds_data(db):
    with pytest.raises(hsds.NotHSDS):
        hsds.import_package(db, EXAMPLES_JSON / "base.json", NOW)


def test_import_skips_and_reports_rows_longer_than_the_forms_allow(db, tmp_path):
    from fieldapp.directory import limits

    folder = tmp_path / "long"
    folder.mkdir()
    longest = "N" * limits.SERVICE["name"]
    (folder / "organizations.csv").write_text(
        "id,name,description\n"
        "org-ok,Long Test Org (demo),Fine\n"
        f"org-long,{'O' * (limits.ORGANIZATION['name'] + 1)},Too long a name\n")
    (folder / "services.csv").write_text(
        "id,organization_id,name,description,keywords\n"
        f"svc-huge,org-ok,{'x' * 130_000},Hostile,\n"
        f"svc-keywords,org-ok,Many keywords (demo),Fine,{'k' * 501}\n"
        f"svc-edge,org-ok,{longest},Exactly at the limit,\n"
        "svc-ok,org-ok,Ordinary service (demo),Fine,food\n")
    before = counts(db)
    report = hsds.import_package(db, folder, NOW)
    assert 1 == report.problems[("too_long", "services.csv:name")]
    assert 1 == report.problems[("too_long", "services.csv:keywords")]
    assert 1 == report.problems[("too_long", "organizations.csv:name")]
    assert "130000 > 200 characters, id svc-huge" == \
        report.examples[("too_long", "services.csv:name")]
    assert (2, 1) == (report.counts["service"]["skipped"],
                      report.counts["organization"]["skipped"])
    assert {"organization": 1, "service": 2} == delta(before, counts(db))
    names = {r["name"] for r in db.query("select name from service where length(name) >= 200")}
    assert {longest} == names
    assert "too_long in services.csv:name (e.g. 130000 > 200" in report.to_text()


def test_json_import_applies_the_same_length_limits(db, tmp_path):
    path = tmp_path / "services.json"
    path.write_text(json.dumps([{"id": "svc-json-long", "name": "y" * 201, "status": "active"}]))
    report = hsds.import_package(db, path, NOW)
    assert 1 == report.problems[("too_long", "services.json:name")]
    assert 0 == db.execute("select count(*) from service where name = ?", ["y" * 201]
                           ).fetchone()[0]


def test_service_form_and_import_share_one_length_limit(app, db, tmp_path, monkeypatch):
    from werkzeug.datastructures import MultiDict

    from fieldapp.directory import limits, routes

    monkeypatch.setitem(limits.SERVICE, "name", 10)
    with app.test_request_context():
        _values, errors = routes.parse_service_form(MultiDict({"name": "Eleven char"}), {})
    assert "name" in errors
    path = tmp_path / "services.json"
    path.write_text(json.dumps([{"id": "svc-eleven", "name": "Eleven char", "status": "active"},
                                {"id": "svc-ten", "name": "Ten chars.", "status": "active"}]))
    report = hsds.import_package(db, path, NOW)
    assert "11 > 10 characters, id svc-eleven" == \
        report.examples[("too_long", "services.json:name")]
    assert 1 == report.counts["service"]["inserted"]
