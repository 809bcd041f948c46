"""Coordinators upload HSDS packages through a form and download the directory as HSDS."""

import io
import zipfile

from tests.hsds_schema import FIXTURES

EXAMPLES_CSV = FIXTURES / "examples-3.1" / "csv"


def zipped(folder) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in folder.iterdir():
            archive.write(path, path.name)
    return buffer.getvalue()


def test_coordinator_uploads_a_zip_and_sees_the_report(login_as, db):
    client = login_as("coordinator")
    assert 200 == client.get("/directory/manage/import").status_code
    response = client.post("/directory/manage/import", data={
        "package": (io.BytesIO(zipped(EXAMPLES_CSV)), "examples.zip")},
        content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert 200 == response.status_code
    assert "Imported examples.zip" in page
    assert "dangling_reference" not in page  # codes are shown as sentences
    assert "References to a row that is not in the package" in page
    assert db["service"].get("ac148810-d857-441c-9679-408f346de14b")


def test_check_only_writes_nothing(login_as, db):
    before = db["service"].count
    response = login_as("coordinator").post("/directory/manage/import", data={
        "package": (io.BytesIO(zipped(EXAMPLES_CSV)), "examples.zip"), "dry_run": "1"},
        content_type="multipart/form-data")
    assert 200 == response.status_code
    assert "nothing written" in response.get_data(as_text=True)
    assert before == db["service"].count


def test_non_hsds_upload_is_refused_with_a_clear_message(login_as, db):
    before = db["organization"].count
    response = login_as("coordinator").post("/directory/manage/import", data={
        "package": (io.BytesIO(b"date,time,address\n1,2,3\n"), "calls.csv")},
        content_type="multipart/form-data")
    assert 400 == response.status_code
    assert "Nothing was imported" in response.get_data(as_text=True)
    assert before == db["organization"].count


def test_upload_needs_csrf_and_a_coordinator(login_as, app):
    data = {"package": (io.BytesIO(zipped(EXAMPLES_CSV)), "examples.zip")}
    refused = login_as("coordinator").post("/directory/manage/import", data=data,
                                           content_type="multipart/form-data", csrf=False)
    assert 400 == refused.status_code
    for who in ("officer", "partner"):
        assert 404 == login_as(who).get("/directory/manage/import").status_code


def test_export_zip_is_an_hsds_package(login_as):
    response = login_as("coordinator").get("/directory/manage/export.zip")
    assert 200 == response.status_code
    names = zipfile.ZipFile(io.BytesIO(response.data)).namelist()
    assert "datapackage.json" in names and "services.csv" in names
