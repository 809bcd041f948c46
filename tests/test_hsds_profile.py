"""Issue 18: the fieldapp HSDS profile is published, served, named, and what the exports and the
API write validates STRICTLY against it (additional properties false everywhere), and against
the core schemas once the profile's fields are taken out; frictionless validates the export of
a messy 2-1-1 package with the official 3.1 datapackage.json and with the profile's;
hsds-validator (PyPI, Open Referral's pydantic models of 3.1) passes the API's core view."""

import csv
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from frictionless import Package

import fieldapp.accounts  # noqa: F401  (the foundation needs accounts imported before security)
from bench.hsds_messy import write_messy
from fieldapp.db import connect
from fieldapp.directory import hsds
from fieldapp.directory.hsds import profile
from fieldapp.directory.hsds.names import HSDS_NAME, ORDER, ORIGINAL
from tests.support import NOW, make_app
from tests.support.hsds_schema import (
    ALL_PROFILE_FIELDS,
    SCHEMAS,
    core_view,
    strict_errors,
)


def test_the_committed_profile_is_what_build_makes(tmp_path):
    written = profile.build(SCHEMAS, tmp_path)
    for path in written:
        committed = profile.PROFILE_DIR / path.relative_to(tmp_path)
        assert committed.read_text() == path.read_text(), committed


def test_the_profile_is_served_and_named_by_the_api_root(app):
    client = app.test_client()
    index = client.get("/api/hsds/profile/").get_json()
    for url in [index["openapi_url"], index["datapackage_url"], *index["schemas"].values()]:
        response = client.get(url)
        assert 200 == response.status_code, url
        response.get_json()
    app.config["PUBLIC_DIRECTORY_API"] = True
    root = client.get("/api/hsds/").get_json()
    assert "3.1" == root["version"]
    assert root["profile"].endswith("/api/hsds/profile/")
    assert 200 == client.get(root["openapi_url"]).status_code


@pytest.fixture(scope="module")
def messy_export(tmp_path_factory):
    """The messy 2-1-1 package (bare domains, no countries, 8:00am, extensions) imported into
    the demo directory, then exported (CSV and JSON)."""
    root = tmp_path_factory.mktemp("messy18")
    write_messy(root / "in", services=300)
    app = make_app(root)
    db = connect(app.config["DATABASE"])
    with app.app_context():
        hsds.import_package(db, root / "in", NOW)
        hsds.export_csv(db, root / "csv")
        hsds.export_json(db, root / "json")
    return app, db, root


def test_frictionless_finds_no_error_with_the_profile_datapackage(messy_export):
    _app, _db, root = messy_export
    descriptor = json.loads((root / "csv" / "datapackage.json").read_text())
    assert descriptor["hsds_profile"].endswith("/api/hsds/profile/")
    report = Package(str(root / "csv" / "datapackage.json")).validate()
    assert report.valid, report.flatten(["resourceName", "rowNumber", "fieldName", "type",
                                          "note"])[:20]


def test_frictionless_finds_no_error_with_the_official_datapackage(messy_export, tmp_path):
    """A core-only consumer: the profile's columns left out, the official descriptor."""
    _app, _db, root = messy_export
    official = json.loads((SCHEMAS / "datapackage.json").read_text())
    for resource in official["resources"]:
        table = next(t for t in ORDER if HSDS_NAME[t] == resource["name"])
        names = [f["name"] for f in resource["schema"]["fields"]]
        with (root / "csv" / resource["path"]).open(newline="") as handle:
            rows = list(csv.DictReader(handle))
        if names != hsds.TABLES[table]:  # the official unit and service_capacity lack fields
            names = list(hsds.TABLES[table])
            resource["schema"]["fields"] = [{"name": n, "type": "string"} for n in names]
        with (tmp_path / resource["path"]).open("w", newline="") as handle:
            writer = csv.DictWriter(handle, names, extrasaction="ignore",
                                    lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
        assert not set(names) & ALL_PROFILE_FIELDS
    (tmp_path / "datapackage.json").write_text(json.dumps(official))
    report = Package(str(tmp_path / "datapackage.json")).validate()
    assert report.valid, report.flatten(["resourceName", "rowNumber", "fieldName", "type",
                                          "note"])[:20]


def test_every_exported_service_validates_strictly(messy_export):
    _app, _db, root = messy_export
    services = json.loads((root / "json" / "services.json").read_text())
    assert len(services) >= 300
    assert [] == [e for s in services for e in strict_errors("service", s)][:20]
    assert [] == [e for s in services for e in strict_errors("service", core_view(s),
                                                             core=True)][:20]


def test_every_api_service_validates_strictly(messy_export):
    app, db, _root = messy_export
    app.config["PUBLIC_DIRECTORY_API"] = True
    client = app.test_client()
    seen, page = 0, 1
    while True:
        body = client.get(f"/api/hsds/services?full=true&per_page=100&page={page}").get_json()
        for service in body["contents"]:
            assert [] == strict_errors("service", service)
            assert [] == strict_errors("service", core_view(service), core=True)
            one = client.get(f"/api/hsds/services/{service['id']}").get_json()
            assert [] == strict_errors("service", one)
            assert [] == strict_errors("service", core_view(one), core=True)
            seen += 1
        if body["last_page"]:
            break
        page += 1
    assert seen == db.execute("select count(*) from service where archived_at is null"
                              ).fetchone()[0] >= 300


def test_no_url_that_is_no_uri_and_every_time_hh_mm(messy_export):
    _app, _db, root = messy_export
    services = json.loads((root / "json" / "services.json").read_text())
    text = json.dumps(core_view(services))
    assert "see our Facebook page" not in text
    assert "www.service" not in text.replace("https://www.service", "")
    assert any(s.get(ORIGINAL, {}).get("url") == "see our Facebook page" for s in services)
    for s in services:
        for schedule in s.get("schedules", []) + [x for sal in s.get("service_at_locations", [])
                                                  for x in sal.get("schedules", [])]:
            for field in ("opens_at", "closes_at"):
                if field in schedule:
                    assert len(schedule[field]) == 5 and schedule[field][2] == ":", schedule




# Installed by `make setup-test` in its own venv (see the Makefile: its pins stay out of .venv).
HSDS_VALIDATE = Path(__file__).parent.parent / ".venv-hsds-validator" / "bin" / "hsds-validate"


def hsds_validate(services: list[dict], folder: Path) -> dict:
    """hsds-validator's verdict on `services`, one file each in <folder>/service/ (it picks the
    model by the folder's name), against the official 3.1 schemas only (it refuses any file of
    the schema folder that is not an object schema: openapi.json, datapackage.json, SOURCE.txt)."""
    schemas = folder / "schema"
    schemas.mkdir(parents=True)
    for path in SCHEMAS.glob("*.json"):
        if path.name not in ("openapi.json", "datapackage.json"):
            shutil.copy(path, schemas / path.name)
    target = folder / "service"
    target.mkdir()
    for number, service in enumerate(services):
        (target / f"{number:05}-{service.get('id', 'no-id')}.json").write_text(
            json.dumps(service, ensure_ascii=False), encoding="utf-8")
    done = subprocess.run([str(HSDS_VALIDATE), str(target), str(schemas)], capture_output=True,
                          text=True, timeout=600, check=True)
    out = done.stdout  # a few lines of progress, then the JSON verdict
    return json.loads(out[out.index("\n{") + 1:])


def test_hsds_validator_passes_every_api_service_in_the_core_view(messy_export, tmp_path):
    """Every service of the messy fixture, as /services?full=true and as /services/{id} give it,
    profile fields removed: hsds-validator finds no failure; and it does fail what it should."""
    app, db, _root = messy_export
    app.config["PUBLIC_DIRECTORY_API"] = True
    client = app.test_client()
    listed, page = [], 1
    while True:
        body = client.get(f"/api/hsds/services?full=true&per_page=100&page={page}").get_json()
        listed += [core_view(s) for s in body["contents"]]
        if body["last_page"]:
            break
        page += 1
    messy = [s for s in listed if s["name"].startswith("Fictional service ")]
    services = messy + [core_view(client.get(f"/api/hsds/services/{s['id']}").get_json())
                        for s in messy]
    assert 300 == len(messy)
    verdict = hsds_validate(services, tmp_path / "messy")
    assert verdict["success"], verdict["errors"][:5]
    assert {"total_files": 600, "successful": 600, "failed": 0} == verdict["summary"]
    # The demo directory's services fail on one thing only: their organizations' fictional
    # addresses are on the reserved .test domain, which email-validator refuses as never
    # deliverable (a policy beyond HSDS's `format: email`; real addresses pass).
    demo = [s for s in listed if not s["name"].startswith("Fictional service ")]
    verdict = hsds_validate(demo, tmp_path / "demo")
    failing = {f"{n:05}-{s['id']}.json" for n, s in enumerate(demo)
               if s.get("organization", {}).get("email", "").endswith(".test")}
    assert failing == set(verdict["failed_files"])
    assert {("organization.email", True)} == {
        (e["column"], "special-use or reserved name" in e["error"])
        for f in verdict["errors"] for e in f["errors"]}
    # ... and it fails what it should: a profile field left in a core service, a missing name
    broken = [dict(messy[0], accepts_referrals=True),
              {k: v for k, v in messy[1].items() if k != "name"}, messy[2]]
    verdict = hsds_validate(broken, tmp_path / "broken")
    assert not verdict["success"]
    assert {"total_files": 3, "successful": 1, "failed": 2} == verdict["summary"]
    assert {("accepts_referrals", "Extra inputs are not permitted"), ("name", "Field required")
            } == {(e["column"], e["error"]) for f in verdict["errors"] for e in f["errors"]}
