"""What leaves the server through the HSDS API and exports (fieldapp/directory/disclosure.py):
never a confidential location's street, postal code or coordinates, never a staff e-mail; only
a coordinator's explicit, audited internal export carries them."""

import io
import itertools
import json
import zipfile
from pathlib import Path

import pytest

from fieldapp import audit
from fieldapp.db import connect
from fieldapp.directory import api_bp
from tests.policy import USERS
from tests.support import login, make_app

STREET = "7 Lantern Hollow (fictional)"
POSTAL = "B3H 9Z7"
LATITUDE, LONGITUDE = 44.613579, -63.624681
SECRETS = [STREET, "Lantern Hollow", POSTAL, POSTAL.replace(" ", ""), "44.613579", "63.624681",
           "44.61358", "63.62468"]
CALLERS = USERS + ["partner3@demo.test"]


@pytest.fixture
def public_app(tmp_path):
    """The demo app with the HSDS API open to the public and a confidential shelter whose
    address and coordinates are easy to spot (its phone is at the location too)."""
    app = make_app(tmp_path, PUBLIC_DIRECTORY_API=1)
    db = connect(app.config["DATABASE"])
    location_id = db.execute("select id from location where confidential = 1").fetchone()[0]
    db["location"].update(location_id, {"latitude": LATITUDE, "longitude": LONGITUDE,
                                        "extra_json": json.dumps({"_raw": {
                                            "latitude": str(LATITUDE)}})})
    db.execute("update address set address_1 = ?, postal_code = ? where location_id = ?",
               [STREET, POSTAL, location_id])
    db["phone"].insert({"id": "5b1e4c2a-0000-4000-8000-00000000c0f1", "location_id": location_id,
                        "number": "902-555-0199", "description": f"Door buzzer at {STREET}"})
    db["metadata"].insert({"id": "5b1e4c2a-0000-4000-8000-00000000c0f2",
                           "resource_id": location_id, "resource_type": "location",
                           "field_name": "address_1", "previous_value": "Old place",
                           "replacement_value": STREET, "last_action_type": "update",
                           "updated_by": "coordinator@demo.test"})
    # A partner's login used as a listing's contact e-mail is a staff e-mail too.
    db.execute("update service set email = 'partner@demo.test' where rowid = "
               "(select min(rowid) from service)")
    db.conn.commit()
    db.conn.close()
    return app


def _client(app, who):
    client = app.test_client()
    if who != "anonymous":
        login(client, who)
    return client


def _ids(app) -> dict:
    db = connect(app.config["DATABASE"])
    row = db.execute(
        "select sal.service_id, l.id, sal.id, a.id, l.organization_id from location l "
        "join service_at_location sal on sal.location_id = l.id "
        "join address a on a.location_id = l.id where l.confidential = 1").fetchone()
    emails = [r[0] for r in db.execute("select email from user")]
    db.conn.close()
    return {"service": row[0], "candidates": list(row), "emails": emails}


def _api_urls(app, candidates) -> list[str]:
    """Every GET endpoint of the API blueprint, each URL variable tried with every id of the
    confidential shelter (service, location, link, address, organization)."""
    urls = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith(api_bp.name + ".") or "GET" not in rule.methods:
            continue
        names = sorted(rule.arguments)
        for values in itertools.product(candidates, repeat=len(names)):
            with app.test_request_context():
                urls.append(app.url_for(rule.endpoint, **dict(zip(names, values, strict=True))))
    return urls


QUERIES = [{}, {"full": "true"}, {"minimal": "true"}, {"search": "shelter"},
           {"full": "true", "search": "shelter"}]


def _api_bodies(client, url):
    """Every page of every variant of one API URL."""
    for query in QUERIES:
        for page in range(1, 50):
            response = client.get(url, query_string={**query, "page": page, "per_page": 100})
            yield response
            body = response.get_json(silent=True)
            if not isinstance(body, dict) or body.get("last_page") is not False:
                break


def _unzipped(data: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return b"".join(archive.read(name) for name in archive.namelist())


def _found(data: bytes, needles) -> list[str]:
    text = data.decode("utf-8", "replace").lower()
    return [n for n in needles if n.lower() in text]


@pytest.mark.parametrize("who", CALLERS)
def test_no_api_endpoint_gives_any_caller_a_confidential_address_or_staff_email(public_app,
                                                                                   who):
    ids = _ids(public_app)
    client = _client(public_app, who)
    leaks, answered, saw_shelter = [], 0, False
    for url in _api_urls(public_app, ids["candidates"]):
        for response in _api_bodies(client, url):
            answered += response.status_code == 200
            saw_shelter |= ids["service"].encode() in response.data
            found = _found(response.data, SECRETS + ids["emails"])
            if found:
                leaks.append(f"{response.request.url}: {found}")
    assert [] == leaks
    assert answered and saw_shelter, "the walk reached the shelter's listing"


@pytest.mark.parametrize("who", CALLERS)
def test_no_shared_export_download_carries_a_confidential_address_or_staff_email(public_app,
                                                                                   who):
    ids = _ids(public_app)
    client = _client(public_app, who)
    response = client.get("/directory/manage/export.zip")
    if who == "coordinator":
        assert 200 == response.status_code
        data = _unzipped(response.data)
        assert ids["service"].encode() in data
    else:
        assert response.status_code in (302, 404)
        data = response.data
    assert [] == _found(data, SECRETS + ids["emails"])
    if who != "coordinator":
        refused = client.post("/directory/manage/export-internal.zip")
        assert refused.status_code in (302, 404)
        assert [] == _found(refused.data, SECRETS)


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_cli_export_leaves_out_confidential_address_and_staff_emails(public_app, tmp_path, fmt):
    ids = _ids(public_app)
    result = public_app.test_cli_runner().invoke(
        args=["export-hsds", str(tmp_path / "out"), "--format", fmt])
    assert 0 == result.exit_code, result.output
    data = b"".join(p.read_bytes() for p in sorted(Path(tmp_path / "out").iterdir()))
    assert ids["service"].encode() in data
    assert [] == _found(data, SECRETS + ids["emails"])


def test_internal_export_is_a_coordinator_post_that_carries_the_address_and_is_audited(
        public_app):
    client = _client(public_app, "coordinator")
    assert 405 == client.get("/directory/manage/export-internal.zip").status_code
    assert 400 == client.post("/directory/manage/export-internal.zip", csrf=False).status_code
    response = client.post("/directory/manage/export-internal.zip")
    assert 200 == response.status_code
    data = _unzipped(response.data)
    assert [STREET, POSTAL, "44.613579"] == _found(data, [STREET, POSTAL, "44.613579"])
    db = connect(public_app.config["DATABASE"])
    events = audit.events(db, "hsds_exported_internal")
    db.conn.close()
    assert 1 == len(events) and "coordinator" == events[0]["role"]


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_cli_internal_export_carries_the_address_and_is_audited(public_app, tmp_path, fmt):
    result = public_app.test_cli_runner().invoke(
        args=["export-hsds", str(tmp_path / "out"), "--format", fmt, "--internal"])
    assert 0 == result.exit_code, result.output
    data = b"".join(p.read_bytes() for p in sorted(Path(tmp_path / "out").iterdir()))
    assert STREET.encode() in data and b"44.613579" in data
    db = connect(public_app.config["DATABASE"])
    events = audit.events(db, "hsds_exported_internal")
    db.conn.close()
    assert [{"format": fmt, "via": "cli"}] == [json.loads(e["detail"]) for e in events]


def test_api_leaves_out_a_staff_assurer_email_and_keeps_an_outside_one(login_as, db):
    staff, outside = [r["id"] for r in db.query(
        "select id from service where assurer_email = 'coordinator@demo.test' limit 2")]
    db["service"].update(outside, {"assurer_email": "listings@agency.example",
                                   "intake_instructions": "Ask COORDINATOR@demo.test, or "
                                                          "notcoordinator@demo.test."})
    client = login_as("partner")
    assert "assurer_email" not in client.get(f"/api/hsds/services/{staff}").get_json()
    body = client.get(f"/api/hsds/services/{outside}").get_json()
    assert ("listings@agency.example", "Ask , or notcoordinator@demo.test.") == (
        body["assurer_email"], body["intake_instructions"])
    listing = client.get("/api/hsds/services?per_page=100")
    assert b"coordinator@demo.test" not in listing.data.replace(b"notcoordinator@", b"")


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_internal_export_imported_again_keeps_the_location_confidential(db, runner, tmp_path,
                                                                        fmt):
    location_id = db.execute("select id from location where confidential = 1").fetchone()[0]
    result = runner.invoke(args=["export-hsds", str(tmp_path / "out"), "--format", fmt,
                                 "--internal"])
    assert 0 == result.exit_code, result.output
    db.execute("delete from address where location_id = ?", [location_id])
    db.execute("delete from location where id = ?", [location_id])
    db.conn.commit()
    source = tmp_path / "out" / ("services.json" if fmt == "json" else "")
    assert 0 == runner.invoke(args=["import-hsds", str(source)]).exit_code
    assert 1 == db["location"].get(location_id)["confidential"]
