"""Coordinators upload HSDS packages through a form and download the directory as HSDS."""

import io
import zipfile

from tests.support.directory import EXAMPLES_CSV, zipped


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


# --- hostile and malformed uploads (issue 20, items 8 and 11) --------------------------------

ORGANIZATIONS = "id,name,description\norg-1,Upload Org,Fine\n"


def zip_of(files: dict[str, bytes | str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def upload(login_as, content: bytes, filename: str, dry_run: bool = False):
    data = {"package": (io.BytesIO(content), filename)}
    if dry_run:
        data["dry_run"] = "1"
    return login_as("coordinator").post("/directory/manage/import", data=data,
                                        content_type="multipart/form-data")


def directory_counts(db) -> dict:
    return {table: db[table].count for table in ("organization", "service", "phone")}


def test_zip_bomb_is_refused_before_unpacking_with_a_clear_message(app, login_as, db):
    app.config["UPLOAD_MAX_UNPACKED_BYTES"] = 256 * 1024
    services = "id,organization_id,name\n" + "svc-x,org-1,Same Row Again\n" * 40_000  # 1.1 MB
    bomb = zip_of({"organizations.csv": ORGANIZATIONS, "services.csv": services})
    assert len(bomb) < 20_000
    before = directory_counts(db)
    for dry_run in (True, False):
        response = upload(login_as, bomb, "bomb.zip", dry_run=dry_run)
        assert 413 == response.status_code
        page = response.get_data(as_text=True)
        assert "Nothing was imported" in page
        assert "bomb.zip unpacks to more than 256 KB" in page
    assert before == directory_counts(db)


def test_single_csv_over_the_unpacked_cap_is_refused_by_counting_its_bytes(app, login_as, db):
    app.config["UPLOAD_MAX_UNPACKED_BYTES"] = 64 * 1024
    services = "id,organization_id,name\n" + "".join(
        f"svc-{n},org-1,Service {n}\n" for n in range(5_000))
    before = directory_counts(db)
    response = upload(login_as, services.encode(), "services.csv")
    assert 413 == response.status_code
    assert "services.csv unpacks to more than 64 KB" in response.get_data(as_text=True)
    assert before == directory_counts(db)


def test_package_over_the_row_cap_is_refused_and_nothing_is_written(app, login_as, db):
    app.config["UPLOAD_MAX_ROWS"] = 10
    services = "id,organization_id,name\n" + "".join(
        f"svc-{n},org-1,Service {n}\n" for n in range(20))
    before = directory_counts(db)
    response = upload(login_as, zip_of({"organizations.csv": ORGANIZATIONS,
                                        "services.csv": services}), "many.zip")
    assert 413 == response.status_code
    assert "many.zip has more than 10 rows" in response.get_data(as_text=True)
    assert before == directory_counts(db)


def understating(package: bytes, declared: int) -> bytes:
    """The zip with every header (local and central) declaring `declared` bytes unpacked."""
    data = bytearray(package)
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = data.find(signature)
        while start != -1:
            data[start + offset:start + offset + 4] = declared.to_bytes(4, "little")
            start = data.find(signature, start + 4)
    return bytes(data)


def test_zip_whose_headers_understate_the_size_answers_400_and_writes_nothing(login_as, db):
    services = "id,organization_id,name\n" + "svc-1,org-1,Real Service\n" * 2_000
    lying = understating(zip_of({"organizations.csv": ORGANIZATIONS,
                                 "services.csv": services}), 100)
    before = directory_counts(db)
    response = upload(login_as, lying, "lying.zip")
    assert 400 == response.status_code
    page = response.get_data(as_text=True)
    assert "Nothing was imported" in page and "is damaged and cannot be unpacked" in page
    assert before == directory_counts(db)


def test_csv_value_over_the_field_limit_answers_400_and_writes_nothing(login_as, db):
    services = ("id,organization_id,name,description\n"
                "svc-1,org-1,Fine Service,short\n"
                f'svc-2,org-1,Long Service,"{"x" * 200_000}"\n')
    before = directory_counts(db)
    response = upload(login_as, zip_of({"organizations.csv": ORGANIZATIONS,
                                        "services.csv": services}), "long.zip")
    assert 400 == response.status_code
    page = response.get_data(as_text=True)
    assert "services.csv, line 3: a value is longer than 128 KB" in page
    assert before == directory_counts(db)


def test_json_nested_100000_deep_answers_400_and_writes_nothing(login_as, db):
    deep = "[" * 100_000 + "]" * 100_000
    before = directory_counts(db)
    for content, filename, where in (
            (deep.encode(), "services.json", "services.json"),
            (zip_of({"services.json": deep}), "deep.zip", "services.json"),
            (zip_of({"datapackage.json": '{"resources": ' + deep + "}",
                     "organizations.csv": ORGANIZATIONS}), "deep-descriptor.zip",
             "datapackage.json")):
        response = upload(login_as, content, filename)
        assert 400 == response.status_code, filename
        assert f"{where} nests objects more than 64 levels deep" in \
            response.get_data(as_text=True)
    assert before == directory_counts(db)


def test_zip_listing_too_many_files_is_refused_before_its_directory_is_read(login_as, db):
    crowded = zip_of({f"notes/{n:06d}-an-empty-note.txt": "" for n in range(20_000)} |
                     {"organizations.csv": ORGANIZATIONS})
    before = directory_counts(db)
    response = upload(login_as, crowded, "crowded.zip")
    assert 413 == response.status_code
    assert "crowded.zip holds too many files" in response.get_data(as_text=True)
    assert before == directory_counts(db)
