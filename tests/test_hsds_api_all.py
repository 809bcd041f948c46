"""Issue 18: the whole read-only HSDS 3.1 API (organizations, taxonomies, taxonomy terms,
services at locations, each by id), NDJSON, modified_after as an instant, Allow on 405, every
body strictly valid against the fieldapp profile; README lists it all and links the profile."""

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

import fieldapp.accounts  # noqa: F401  (the foundation needs accounts imported before security)
from fieldapp.directory import hsds
from fieldapp.directory.hsds import profile
from tests.support import make_app
from tests.test_hsds_profile import core_view, strict_errors


@pytest.fixture
def api(tmp_path):
    app = make_app(tmp_path, PUBLIC_DIRECTORY_API=1)
    return app, app.test_client()


def pages(client, url):
    """Every item of every page of a list endpoint."""
    items, page = [], 1
    while True:
        body = client.get(f"{url}{'&' if '?' in url else '?'}page={page}&per_page=100")
        assert 200 == body.status_code, (url, body.data[:300])
        body = body.get_json()
        items += body["contents"]
        if body["last_page"]:
            return items
        page += 1


@pytest.mark.parametrize("url, schema", [
    ("/api/hsds/organizations", "organization"),
    ("/api/hsds/organizations?full_service=true", "organization"),
    ("/api/hsds/taxonomies", "taxonomy"),
    ("/api/hsds/taxonomy_terms", "taxonomy_term"),
    ("/api/hsds/service_at_locations", "service_at_location"),
    ("/api/hsds/service_at_locations?full=true", "service_at_location"),
    ("/api/hsds/services", "service"),
])
def test_every_list_and_each_item_is_served_and_strictly_valid(api, url, schema):
    _app, client = api
    items = pages(client, url)
    assert items, url
    for item in items:
        assert [] == strict_errors(schema, item)
        assert [] == strict_errors(schema, core_view(item), core=True)
    base = url.split("?")[0]
    for item in items[:5]:
        one = client.get(f"{base}/{item['id']}")
        assert 200 == one.status_code, one.data[:300]
        assert [] == strict_errors(schema, one.get_json())
    assert 404 == client.get(f"{base}/no-such-id").status_code


def test_organizations_full_service_nests_whole_services(api):
    _app, client = api
    full = pages(client, "/api/hsds/organizations?full_service=true")
    assert any(s.get("service_at_locations") for o in full for s in o["services"])
    org = next(o for o in full if o["services"])
    one = client.get(f"/api/hsds/organizations/{org['id']}?full_service=true").get_json()
    assert one["services"] == org["services"]


def test_taxonomy_terms_by_taxonomy_top_only_and_parent(api, db):
    app, client = api
    db["taxonomy"].insert({"id": "tx", "name": "T", "description": "d"}, pk="id")
    db["taxonomy_term"].insert_all([
        {"id": "top", "name": "Top", "description": "d", "taxonomy_id": "tx"},
        {"id": "kid", "name": "Kid", "description": "d", "taxonomy_id": "tx", "parent_id": "top"},
    ], pk="id")
    terms = pages(client, "/api/hsds/taxonomy_terms?taxonomy_id=tx")
    assert {"top", "kid"} == {t["id"] for t in terms}
    assert ["top"] == [t["id"] for t in pages(client, "/api/hsds/taxonomy_terms?taxonomy_id=tx"
                                                      "&top_only=true")]
    assert ["kid"] == [t["id"] for t in pages(client, "/api/hsds/taxonomy_terms?parent_id=top")]
    assert 200 == client.get("/api/hsds/taxonomies/tx").status_code


def test_ndjson_streams_every_result_without_pages(api):
    _app, client = api
    response = client.get("/api/hsds/services?format=ndjson")
    assert response.mimetype == "application/x-ndjson"
    lines = [json.loads(line) for line in response.get_data(as_text=True).splitlines()]
    assert len(lines) == client.get("/api/hsds/services").get_json()["total_items"] > 25
    for url in ("/api/hsds/organizations", "/api/hsds/taxonomy_terms",
                "/api/hsds/service_at_locations"):
        response = client.get(url + "?format=ndjson")
        assert 200 == response.status_code and response.mimetype == "application/x-ndjson"
    assert 400 == client.get("/api/hsds/services?format=xml").status_code


def test_modified_after_is_an_instant_in_any_utc_offset(api, db):
    _app, client = api
    sid = next(db.query("select id from service where archived_at is null order by rowid"))["id"]
    db.execute("update service set updated_at = '2020-01-01T00:00:00+00:00', "
               "last_modified = null")
    db.execute("update service set updated_at = '2026-03-02T14:00:00+00:00' where id = ?",
               [sid])
    db.conn.commit()
    moment = datetime(2026, 3, 2, 13, 30, tzinfo=UTC)
    for offset in (0, -5, 5.5):  # UTC, Halifax-ish winter, India
        zone = timezone(timedelta(hours=offset))
        text = moment.astimezone(zone).isoformat()
        body = client.get("/api/hsds/services", query_string={"modified_after": text})
        assert [sid] == [s["id"] for s in body.get_json()["contents"]], text
        later = (moment + timedelta(hours=1)).astimezone(zone).isoformat()
        body = client.get("/api/hsds/services", query_string={"modified_after": later})
        assert [] == body.get_json()["contents"], later
    assert 1 == client.get("/api/hsds/services?modified_after=2026-03-02T13:30:00Z"
                           ).get_json()["total_items"]
    for garbage in ("not-a-date", "2026-13-45", "yesterday"):
        response = client.get("/api/hsds/services", query_string={"modified_after": garbage})
        assert 400 == response.status_code, garbage


def test_proximity_in_km_around_the_postcode(api, db):
    _app, client = api
    rows = list(db.query("select a.postal_code, l.latitude, l.longitude from address a join "
                         "location l on l.id = a.location_id where coalesce(l.confidential, 0) "
                         "= 0 and a.postal_code is not null and l.latitude is not null"))
    code = rows[0]["postal_code"]
    at = pages(client, f"/api/hsds/service_at_locations?postcode={code}")
    assert at
    near = pages(client, f"/api/hsds/service_at_locations?postcode={code}&proximity=1")
    far = pages(client, f"/api/hsds/service_at_locations?postcode={code}&proximity=5000")
    assert {s["id"] for s in at} <= {s["id"] for s in near} or near
    assert len(far) >= len(near) >= 1
    everything = pages(client, "/api/hsds/service_at_locations")
    assert len(far) == len([s for s in everything if s.get("location", {}).get("latitude")
                            is not None])
    assert 400 == client.get(f"/api/hsds/service_at_locations?postcode={code}&proximity=far"
                             ).status_code


def test_405_names_the_allowed_methods(api):
    _app, client = api
    for url in ("/api/hsds/services", "/api/hsds/organizations", "/api/hsds/"):
        response = client.post(url)
        assert 405 == response.status_code
        assert "GET" in response.headers["Allow"]


def test_the_hsds_names_are_exported():
    assert hsds.parse_instant("2026-03-02") is not None


def test_the_readme_lists_every_endpoint_and_parameter_and_links_the_profile():
    """README's directory API section: one table row per endpoint of the app's own OpenAPI
    (the profile's openapi.json), naming each of its parameters, and a link to the profile."""
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    section = readme.split("### The directory's HSDS 3.1 API and the fieldapp profile")[1]
    section = section.split("\n### ")[0]
    api = profile.read("openapi.json")

    def name(parameter):
        while "$ref" in parameter:
            parameter = api["components"]["parameters"][parameter["$ref"].rsplit("/", 1)[-1]]
        return parameter["name"]

    rows = [line for line in section.splitlines() if line.startswith("| `GET /api/hsds/")]
    for path, item in api["paths"].items():
        if path == "/":
            assert "| `GET /api/hsds/` |" in section
            continue
        base = path.removesuffix("/{id}")
        [row] = [r for r in rows if r.startswith(f"| `GET /api/hsds{base}`")]
        assert f"`{base}/{{id}}`" in row, path
        for parameter in map(name, item["get"].get("parameters", [])):
            where = section if parameter in ("page", "per_page", "format") else row
            assert f"`{parameter}" in where, (path, parameter)
    assert "format=ndjson" in section
    assert "[`/api/hsds/profile/`](fieldapp/directory/profile/)" in section
    assert (Path(__file__).parent.parent / "fieldapp/directory/profile/openapi.json").exists()
