"""Calls-for-service import (command line and upload) and person-key links."""

import io

import pytest

import fieldapp.cli  # noqa: F401  (imports the areas in the app's order)
from fieldapp import audit

GOOD = """Date/Time,Call Type,Person Key
2026-03-02 14:05,disturbance,K-100
2026-03-03T09:00:00-04:00,wellbeing check,K-101
2026-03-04 10:00:00,noise,
"""
BAD = """date/time,call type,person key
yesterday,disturbance,K-1
2026-03-02 14:05,,K-2
,noise,K-3
2026-03-05 08:00,noise,K-4
"""


def test_demo_loads_fictional_calls_linked_to_demo_people(db):
    assert 10 == db["calls_for_service"].count
    assert {"DEMO-KEY-JD", "DEMO-KEY-MK"} == {r["person_key"] for r in db["person_key"].rows}


def test_calls_page_counts_calls_keys_and_this_services_links(login_as, db):
    html = login_as("coordinator").get("/reports/calls").get_data(as_text=True)
    keys = db.execute("select count(distinct person_key) from calls_for_service").fetchone()[0]

    def figure(label):
        return html.split(f"<dt>{label}</dt><dd>")[1].split("</dd>")[0]

    assert ("10", str(keys), "2") == (figure("Calls imported"), figure("Different person keys"),
                                      figure("Keys linked to people"))


@pytest.fixture
def no_calls(db):
    """Start from no calls and no links (the demo loads a few)."""
    db.execute("delete from calls_for_service")
    db.execute("delete from person_key")
    return db


def test_cli_imports_and_reimport_adds_nothing(runner, no_calls, db, tmp_path):
    path = tmp_path / "calls.csv"
    path.write_text(GOOD)
    result = runner.invoke(args=["import-calls", str(path)])
    assert 0 == result.exit_code, result.output
    assert "Imported 3 new call(s) of 3" in result.output
    again = runner.invoke(args=["import-calls", str(path)])
    assert "Imported 0 new call(s) of 3 in the file (3 already there)" in again.output
    rows = list(db.query("select called_at, call_type, person_key from calls_for_service "
                         "order by called_at"))
    # Local times (America/Halifax, UTC-4 in March before the 8th) are stored in UTC.
    assert [{"called_at": "2026-03-02T18:05:00+00:00", "call_type": "disturbance",
             "person_key": "K-100"},
            {"called_at": "2026-03-03T13:00:00+00:00", "call_type": "wellbeing check",
             "person_key": "K-101"},
            {"called_at": "2026-03-04T14:00:00+00:00", "call_type": "noise",
             "person_key": None}] == rows


def test_cli_reports_every_bad_row_and_imports_nothing(runner, no_calls, db, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(BAD)
    result = runner.invoke(args=["import-calls", str(path)])
    assert 1 == result.exit_code
    assert "Row 2: date/time “yesterday” is not a date and time" in result.output
    assert "Row 3: call type is empty." in result.output
    assert "Row 4: date/time is empty." in result.output
    assert "Nothing imported: 3 error(s)." in result.output
    assert 0 == db["calls_for_service"].count


def test_missing_columns_are_named(runner, tmp_path):
    path = tmp_path / "cols.csv"
    path.write_text("when,what\n2026-03-02,x\n")
    result = runner.invoke(args=["import-calls", str(path)])
    assert "Missing column(s): date/time, call type, person key." in result.output


def test_call_ids_make_reimport_idempotent_even_when_rows_change(runner, no_calls, db, tmp_path):
    path = tmp_path / "ids.csv"
    path.write_text("call id,date/time,call type,person key\n"
                    "X1,2026-03-02 14:05,noise,K\nX2,2026-03-02 15:05,noise,K\n")
    runner.invoke(args=["import-calls", str(path)])
    path.write_text("call id,date/time,call type,person key\nX1,2026-03-02 14:05,noise,K\n")
    runner.invoke(args=["import-calls", str(path)])
    assert 2 == db["calls_for_service"].count


def test_upload_imports_and_is_audited(login_as, no_calls, db):
    client = login_as("coordinator")
    response = client.post("/reports/calls", data={
        "file": (io.BytesIO(GOOD.encode()), "calls.csv")}, content_type="multipart/form-data")
    assert 302 == response.status_code
    assert 3 == db["calls_for_service"].count
    page = client.get("/reports/calls").get_data(as_text=True)
    assert "Imported 3 new call(s) of 3 in the file (0 already there)." in page
    assert 1 == len(audit.events(db, "calls_imported"))


def test_upload_with_bad_rows_shows_them_and_stores_nothing(login_as, no_calls, db):
    client = login_as("coordinator")
    response = client.post("/reports/calls", data={
        "file": (io.BytesIO(BAD.encode()), "bad.csv")}, content_type="multipart/form-data")
    assert 400 == response.status_code
    html = response.get_data(as_text=True)
    assert "Nothing was imported." in html and "Row 3: call type is empty." in html
    assert 0 == db["calls_for_service"].count


def test_upload_without_file_or_csrf_is_refused(login_as, no_calls, db):
    client = login_as("coordinator")
    assert 400 == client.post("/reports/calls", data={}).status_code
    refused = client.post("/reports/calls", csrf=False, data={
        "file": (io.BytesIO(GOOD.encode()), "calls.csv")}, content_type="multipart/form-data")
    assert 400 == refused.status_code
    assert 0 == db["calls_for_service"].count


def post_calls(client, content: bytes, filename: str = "calls.csv"):
    return client.post("/reports/calls", data={"file": (io.BytesIO(content), filename)},
                       content_type="multipart/form-data")


def test_upload_over_the_row_cap_is_refused_and_stores_nothing(app, login_as, no_calls, db):
    app.config["UPLOAD_MAX_ROWS"] = 2
    response = post_calls(login_as("coordinator"), GOOD.encode())
    assert 413 == response.status_code
    assert "calls.csv has more than 2 rows" in response.get_data(as_text=True)
    assert 0 == db["calls_for_service"].count
    assert 1 == len(audit.events(db, "calls_import_rejected"))


def test_upload_over_the_unpacked_cap_is_refused_and_stores_nothing(app, login_as, no_calls,
                                                                     db):
    app.config["UPLOAD_MAX_UNPACKED_BYTES"] = 1024
    big = GOOD + "".join(f"2026-03-05 08:{n % 60:02d},noise,K-{n}\n" for n in range(100))
    response = post_calls(login_as("coordinator"), big.encode())
    assert 413 == response.status_code
    assert "calls.csv unpacks to more than 1 KB" in response.get_data(as_text=True)
    assert 0 == db["calls_for_service"].count


def test_upload_with_a_value_over_the_csv_field_limit_answers_400(login_as, no_calls, db):
    long_value = GOOD + f'2026-03-05 08:00,"{"x" * 200_000}",K-9\n'
    response = post_calls(login_as("coordinator"), long_value.encode())
    assert 400 == response.status_code
    assert "calls.csv, line 5: a value is longer than 128 KB" in response.get_data(as_text=True)
    assert 0 == db["calls_for_service"].count


def test_windows_1252_upload_is_read_and_stored_once(login_as, no_calls, db):
    text = "date/time,call type,person key\n2026-03-02 14:05,détresse,K-é\n"
    client = login_as("coordinator")
    assert 302 == post_calls(client, text.encode("cp1252")).status_code
    assert 302 == post_calls(client, text.encode("cp1252")).status_code
    assert [("détresse", "K-é")] == [(r["call_type"], r["person_key"])
                                     for r in db["calls_for_service"].rows]


def test_upload_that_is_not_text_is_refused(login_as, no_calls, db):
    response = post_calls(login_as("coordinator"), b"date/time\x81\x8d\n")
    assert 400 == response.status_code
    assert "not UTF-8 or Windows-1252 text" in response.get_data(as_text=True)


def test_cli_refuses_a_file_over_the_row_cap(app, runner, no_calls, db, tmp_path):
    app.config["UPLOAD_MAX_ROWS"] = 2
    path = tmp_path / "calls.csv"
    path.write_text(GOOD)
    result = runner.invoke(args=["import-calls", str(path)])
    assert 2 == result.exit_code
    assert "calls.csv has more than 2 rows" in result.output
    assert 0 == db["calls_for_service"].count


def _a_person(db, person_id="pk-person", alias="Key test (demo)", police_service="HRP"):
    db["person"].insert({"id": person_id, "alias": alias, "police_service": police_service,
                         "created_at": "2026-01-01T00:00:00+00:00"}, replace=True)
    return person_id


def test_coordinator_links_and_unlinks_a_key(login_as, no_calls, db):
    client = login_as("coordinator")
    person_id = _a_person(db)
    response = client.post("/reports/calls/keys",
                           data={"person_key": "K-100", "person_id": person_id})
    assert 302 == response.status_code
    assert person_id == db["person_key"].get("K-100")["person_id"]
    assert "Key test (demo)" in client.get("/reports/calls").get_data(as_text=True)
    assert 302 == client.post("/reports/calls/keys/unlink",
                              data={"person_key": "K-100"}).status_code
    assert 0 == db["person_key"].count
    assert 404 == client.post("/reports/calls/keys/unlink",
                              data={"person_key": "K-100"}).status_code
    assert 1 == len(audit.events(db, "person_key_linked"))


def test_link_needs_a_real_person_and_a_key(login_as, no_calls, db):
    client = login_as("coordinator")
    response = client.post("/reports/calls/keys", data={"person_key": "", "person_id": "nope"})
    assert 400 == response.status_code
    html = response.get_data(as_text=True)
    assert "Enter the person key from the records system." in html
    assert "Choose a person found by alias, or enter the id of a person" in html
    assert 0 == db["person_key"].count


def test_coordinator_finds_the_person_by_alias_then_links(login_as, no_calls, db):
    client = login_as("coordinator")
    person_id = _a_person(db, alias="Kestrel Alias (demo)")
    found = client.post("/contacts/people/search", data={"q": "kestrel"},
                        headers={"HX-Request": "true"}).get_data(as_text=True)
    assert f'name="person_id" value="{person_id}"' in found  # a choice inside the link form
    assert 302 == client.post("/reports/calls/keys", data={
        "person_key": "K-7", "person_id": person_id, "person_id_typed": ""}).status_code
    assert person_id == db["person_key"].get("K-7")["person_id"]


def test_keys_stay_within_the_coordinators_police_service(login_as, no_calls, db):
    client = login_as("coordinator")  # HRP
    other = _a_person(db, "rcmp-person", "Other force (demo)", police_service="RCMP")
    refused = client.post("/reports/calls/keys", data={"person_key": "K-1", "person_id": other})
    assert 400 == refused.status_code and 0 == db["person_key"].count
    # A key another police service linked: not listed, not taken over, not removed.
    db["person_key"].insert({"person_key": "K-2", "person_id": other, "linked_by": None,
                             "linked_at": "2026-01-01T00:00:00+00:00"})
    assert "Other force" not in client.get("/reports/calls").get_data(as_text=True)
    taken = client.post("/reports/calls/keys",
                        data={"person_key": "K-2", "person_id": _a_person(db)})
    assert 400 == taken.status_code
    assert "already linked to a person of another police service" in taken.get_data(as_text=True)
    assert 404 == client.post("/reports/calls/keys/unlink", data={"person_key": "K-2"}).status_code
    assert other == db["person_key"].get("K-2")["person_id"]
