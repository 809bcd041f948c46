"""Issue 18: the whole read-only HSDS 3.1 API (organizations, taxonomies, taxonomy terms,
services at locations, each by id), NDJSON, modified_after as an instant, Allow on 405, every
body strictly valid against the fieldapp profile; README lists it all and links the profile."""

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

import fieldapp.accounts  # noqa: F401  (the foundation needs accounts imported before security)
from bench.hsds_messy import write_messy
from fieldapp.directory import api_bp, hsds
from fieldapp.directory.hsds import profile
from tests.support import NOW, make_app
from tests.support.hsds_schema import core_view, strict_errors


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
        assert all(json.loads(line)["id"] for line in response.get_data(as_text=True).splitlines())
    assert 400 == client.get("/api/hsds/services?format=xml").status_code


def test_ndjson_is_streamed_100_lines_at_a_time_as_they_are_made(api, db, tmp_path):
    app, client = api
    write_messy(tmp_path / "in", services=150)
    with app.app_context():
        hsds.import_package(db, tmp_path / "in", NOW)
    total = client.get("/api/hsds/services").get_json()["total_items"]
    assert total > 200
    response = client.get("/api/hsds/services?format=ndjson", buffered=False)
    assert response.is_streamed
    chunks = iter(response.response)
    first = next(chunks).decode()
    assert 100 == len(first.splitlines())
    # the lines not sent yet are not made yet: a change made now is in them
    last = json.loads(first.splitlines()[-1])["id"]
    ids = [s["id"] for s in pages(client, "/api/hsds/services")]
    later = ids[ids.index(last) + 1:]
    db.execute("update service set name = 'Renamed while streaming' where id = ?", [later[0]])
    db.conn.commit()
    rest = [json.loads(line) for chunk in chunks for line in chunk.decode().splitlines()]
    response.close()
    assert later == [s["id"] for s in rest]
    assert "Renamed while streaming" == rest[0]["name"]


def test_every_hsds_endpoint_follows_the_one_access_rule(tmp_path):
    """Anonymous callers get 401 from every data endpoint unless PUBLIC_DIRECTORY_API; the
    profile's files (no directory data) are open to anyone."""
    closed = make_app(tmp_path / "closed")
    opened = make_app(tmp_path / "open", PUBLIC_DIRECTORY_API=1)
    rules = [r for r in closed.url_map.iter_rules() if r.endpoint.startswith(api_bp.name + ".")
             and r.rule.startswith("/api/hsds/") and "GET" in r.methods]
    assert len(rules) >= 13
    for rule in rules:
        url = rule.rule.replace("<path:name>", "openapi.json")
        for name in rule.arguments - {"name"}:
            url = url.replace(f"<{name}>", "no-such-id")
        anonymous, public = closed.test_client().get(url), opened.test_client().get(url)
        if rule.rule.startswith("/api/hsds/profile/"):
            assert 200 == anonymous.status_code == public.status_code, url
        else:
            assert 401 == anonymous.status_code, url
            assert public.status_code in (200, 404), url


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


def test_proximity_keeps_exactly_the_links_within_the_distance(api, db):
    """Four locations on a meridian far from the demo's (1 degree of latitude: 111.2 km): at the
    postcode, 3 km and 30 km north of it, and a confidential one 0.5 km south, never shown."""
    _app, client = api
    sid = next(db.query("select id from service where archived_at is null order by rowid"))["id"]
    for n, (km, confidential) in enumerate([(0, 0), (3, 0), (30, 0), (-0.5, 1)]):
        lid = f"00000000-0000-4000-8000-0000000001{n:02}"
        db["location"].insert({"id": lid, "name": f"Point {n}", "location_type": "physical",
                               "latitude": 47.0 + km / 111.195, "longitude": -66.0,
                               "confidential": confidential})
        db["address"].insert({"id": f"00000000-0000-4000-8000-0000000002{n:02}",
                              "location_id": lid, "address_1": f"{n} Meridian Road",
                              "city": "Nowhere", "state_province": "NB", "country": "CA",
                              "address_type": "physical",
                              "postal_code": "E9Z 9Z9" if n in (0, 3) else "E9Z 1A1"})
        db["service_at_location"].insert({"id": f"00000000-0000-4000-8000-0000000003{n:02}",
                                          "service_id": sid, "location_id": lid})
    db.conn.commit()

    def near(query):
        return sorted(s["location"]["name"] for s in
                      pages(client, f"/api/hsds/service_at_locations?{query}"))

    assert ["Point 0"] == near("postcode=E9Z9Z9") == near("postcode=e9z 9z9")
    assert ["Point 0"] == near("postcode=E9Z9Z9&proximity=1")
    assert ["Point 0", "Point 1"] == near("postcode=E9Z9Z9&proximity=5")
    assert ["Point 0", "Point 1", "Point 2"] == near("postcode=E9Z9Z9&proximity=31")
    assert "Point 3" not in json.dumps(pages(client, "/api/hsds/service_at_locations?full=true"))
    for bad in ("far", "-1", "nan", "20001"):
        response = client.get(f"/api/hsds/service_at_locations?postcode=E9Z9Z9&proximity={bad}")
        assert 400 == response.status_code, bad


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
