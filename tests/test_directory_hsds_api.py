"""The read-only HSDS API and the phone's directory snapshot."""

import json
import uuid

import fieldapp.accounts  # noqa: F401  (the foundation needs accounts imported before security)
from fieldapp.directory import hsds, snapshot
from fieldapp.directory.demo import CRISIS_TEAM_ID
from tests.support import login, make_app
from tests.support.hsds_schema import errors

PAGE_KEYS = {"total_items", "total_pages", "page_number", "size", "first_page", "last_page",
             "empty", "contents"}


def test_api_root_tells_version_profile_and_openapi(login_as):
    body = login_as("officer").get("/api/hsds/").get_json()
    assert "3.1" == body["version"]
    assert body["openapi_url"].endswith("openapi.json")
    assert body["profile"]


def test_api_needs_a_login_unless_opened_to_the_public(client, tmp_path):
    assert 401 == client.get("/api/hsds/services").status_code
    assert 401 == client.get("/api/directory/snapshot").status_code
    public_app = make_app(tmp_path / "public", PUBLIC_DIRECTORY_API=1)
    anonymous = public_app.test_client()
    assert 200 == anonymous.get("/api/hsds/services").status_code
    assert 401 == anonymous.get("/api/directory/snapshot").status_code


def test_services_page_envelope_and_paging(login_as, db):
    client = login_as("partner")
    body = client.get("/api/hsds/services?per_page=10&page=2").get_json()
    total = db.execute("select count(*) from service where archived_at is null").fetchone()[0]
    assert PAGE_KEYS == set(body)
    assert (total, -(-total // 10), 2, 10, False, False, False) == (
        body["total_items"], body["total_pages"], body["page_number"], body["size"],
        body["first_page"], body["last_page"], body["empty"])
    assert [] == [e for s in body["contents"] for e in errors("service", s)]
    last = client.get(f"/api/hsds/services?per_page=10&page={body['total_pages']}").get_json()
    assert last["last_page"] is True
    empty = client.get("/api/hsds/services?per_page=10&page=999").get_json()
    assert (True, 0) == (empty["empty"], empty["size"])
    assert 400 == client.get("/api/hsds/services?per_page=1000").status_code
    assert 400 == client.get("/api/hsds/services?page=abc").status_code


def test_services_filters_search_organization_taxonomy_modified_after(login_as, db):
    client = login_as("officer")
    found = client.get("/api/hsds/services?search=shel").get_json()
    assert "Emergency Youth Shelter (demo)" in [s["name"] for s in found["contents"]]
    for hostile in ['"', "*", "-", "AND", "NEAR(", "a OR", "'; drop table service"]:
        assert 200 == client.get("/api/hsds/services", query_string={"search": hostile}).status_code
    by_org = client.get(f"/api/hsds/services?organization_id={CRISIS_TEAM_ID}&per_page=100")
    orgs = {s["organization_id"] for s in by_org.get_json()["contents"]}
    assert {CRISIS_TEAM_ID} == orgs
    term = hsds.derived_id("taxonomy_term", "fieldapp-category", "veterans")
    veterans = client.get(f"/api/hsds/services?taxonomy_term_id={term}").get_json()
    expected = db.execute("select count(*) from service_category where category = 'veterans'"
                          ).fetchone()[0]
    assert expected == veterans["total_items"] > 0
    later = client.get("/api/hsds/services?modified_after=2999-01-01").get_json()
    assert 0 == later["total_items"]


def test_full_service_and_404(login_as, db):
    client = login_as("coordinator")
    sid = next(db.query("select id from service where name = ?",
                        ["Mobile Crisis Response (demo)"]))["id"]
    body = client.get(f"/api/hsds/services/{sid}").get_json()
    assert [] == errors("service", body)
    assert "Harbourside Mobile Crisis Team (demo)" == body["organization"]["name"]
    assert body["phones"][0]["number"].startswith("902-555-01")
    assert 404 == client.get(f"/api/hsds/services/{uuid.uuid4()}").status_code
    db["service"].update(sid, {"archived_at": "2026-01-01T00:00:00+00:00"})
    assert 404 == client.get(f"/api/hsds/services/{sid}").status_code


def test_api_hides_confidential_locations_from_every_caller(tmp_path):
    app = make_app(tmp_path, PUBLIC_DIRECTORY_API=1)
    from fieldapp.db import connect
    db = connect(app.config["DATABASE"])
    sid = next(db.query("select s.id from service s join service_at_location sal on "
                        "sal.service_id = s.id join location l on l.id = sal.location_id "
                        "where l.confidential = 1 limit 1"))["id"]
    anonymous = app.test_client().get(f"/api/hsds/services/{sid}").get_json()
    assert [] == anonymous.get("service_at_locations", [])
    for who in ("officer", "partner", "coordinator"):
        client = app.test_client()
        login(client, who)
        body = client.get(f"/api/hsds/services/{sid}").get_json()
        assert [] == body.get("service_at_locations", []), who
    db.conn.close()


def test_snapshot_format_etag_and_304(login_as):
    client = login_as("officer")
    response = client.get("/api/directory/snapshot")
    assert 200 == response.status_code
    body = response.get_json()
    assert {"version", "generated_at", "services"} == set(body)
    assert f'"{body["version"]}"' == response.headers["ETag"]
    crisis = next(s for s in body["services"] if s["name"] == "Mobile Crisis Response (demo)")
    assert {"id", "name", "org", "desc", "phone", "address", "lat", "lon", "cats", "pops",
            "langs", "ref", "intake", "hours", "verified"} == set(crisis)
    assert ("24/7", 1, "902-555-0101", ["en", "fr"]) == (
        crisis["hours"], crisis["ref"], crisis["phone"], crisis["langs"])
    assert ["mental_health_crisis", "health"] == crisis["cats"]
    food = next(s for s in body["services"] if s["name"] == "Harbour Food Bank (demo)")
    assert [1, "10:00", "12:00"] in food["hours"] and [5, "09:00", "12:00"] in food["hours"]
    assert all(len(s["desc"]) <= 160 for s in body["services"])
    again = client.get("/api/directory/snapshot",
                       headers={"If-None-Match": response.headers["ETag"]})
    assert 304 == again.status_code
    assert b"" == again.data
    assert 200 == client.get("/api/directory/snapshot",
                             headers={"If-None-Match": '"stale"'}).status_code


def test_snapshot_version_changes_with_content(db):
    first = snapshot.build(db, "2026-03-02T14:00:00+00:00")
    assert first["version"] == snapshot.build(db, "2026-03-03T14:00:00+00:00")["version"]
    db.execute("update service set name = name || ' x' where rowid = 1")
    assert first["version"] != snapshot.build(db, "2026-03-02T14:00:00+00:00")["version"]


def test_snapshot_stays_under_1_mb_per_1000_services(db):
    org = CRISIS_TEAM_ID
    words = ("crisis shelter youth seniors food housing support counselling outreach clinic "
             "community program emergency legal family health income veterans").split()
    rows, schedules, phones = [], [], []
    for i in range(1000):
        sid = str(uuid.UUID(int=i + 1))
        rows.append({"id": sid, "organization_id": org, "name": f"Synthetic service {i} "
                     + " ".join(words[j % len(words)] for j in range(i % 5, i % 5 + 4)),
                     "description": " ".join(words[(i + j) % len(words)] for j in range(80)),
                     "accepts_referrals": i % 2, "intake_phone": "902-555-0199",
                     "populations": json.dumps(["youth_12_17", "unsheltered"]),
                     "assured_date": "2026-01-01"})
        phones.append({"id": str(uuid.UUID(int=10**6 + i)), "service_id": sid,
                       "number": "902-555-0100", "extension": "1234", "type": "voice"})
        for d, day in enumerate(("MO,TU,WE,TH,FR", "SA")):
            schedules.append({"id": str(uuid.UUID(int=2 * 10**6 + 2 * i + d)), "service_id": sid,
                              "freq": "WEEKLY", "byday": day, "opens_at": "09:00",
                              "closes_at": "17:00"})
    db.execute("delete from service")
    db["service"].insert_all(rows)
    db["phone"].insert_all(phones)
    db["schedule"].insert_all(schedules)
    db.conn.executemany("insert into service_category values (?, ?)",
                        [(r["id"], c) for r in rows for c in ("youth", "housing_shelter")])
    data = snapshot.build(db, "2026-03-02T14:00:00+00:00")
    assert 1000 == len(data["services"])
    assert len(snapshot.dumps(data).encode()) < 1_000_000


def test_snapshot_is_cached_until_any_listing_changes(login_as, db, query_log):
    client = login_as("officer")
    first = client.get("/api/directory/snapshot")
    query_log.clear()
    assert first.headers["ETag"] == client.get("/api/directory/snapshot").headers["ETag"]
    assert not any("FROM service_at_location" in sql for sql in query_log)  # served from cache
    sid = next(db.query("select id from service order by name limit 1"))["id"]
    db.execute("delete from service_category where service_id = ?", [sid])
    db.execute("insert into service_category values (?, 'legal')", [sid])
    changed = client.get("/api/directory/snapshot")
    assert first.headers["ETag"] != changed.headers["ETag"]
    entry = next(s for s in changed.get_json()["services"] if s["id"] == sid)
    assert ["legal"] == entry["cats"]


def test_services_full_minimal_and_taxonomy_id(login_as, db):
    client = login_as("officer")
    full = client.get("/api/hsds/services?full=true&per_page=5").get_json()
    assert 5 == len(full["contents"])
    assert all("organization" in s for s in full["contents"])
    assert [] == [e for s in full["contents"] for e in errors("service", s)]
    minimal = client.get("/api/hsds/services?minimal=true&per_page=5").get_json()
    assert {"id", "last_modified"} == set(minimal["contents"][0])
    listed = client.get(f"/api/hsds/services?taxonomy_id={hsds.CATEGORY_TAXONOMY_ID}").get_json()
    assert db.execute("select count(distinct service_id) from service_category").fetchone()[0] \
        == listed["total_items"]


def test_snapshot_never_carries_a_confidential_location(login_as, db):
    row = db.execute(
        "select sal.service_id, a.address_1 from location l "
        "join service_at_location sal on sal.location_id = l.id "
        "join address a on a.location_id = l.id where l.confidential = 1").fetchone()
    assert row is not None, "the demo directory has a confidential shelter"
    service_id, _street = row
    body = login_as("officer").get("/api/directory/snapshot").get_json()
    shelter = next(s for s in body["services"] if s["id"] == service_id)
    assert (None, None, None) == (shelter["address"], shelter["lat"], shelter["lon"])
