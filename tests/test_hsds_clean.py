"""Issue 18: HSDS comes in normalized and goes out clean (times HH:MM, URIs, the deployment's
country, a phone's extension once), the source's own text kept in the profile's original_text."""

import csv
import json

import pytest

import fieldapp.accounts  # noqa: F401  (the foundation needs accounts imported before security)
from fieldapp.directory import hsds
from fieldapp.directory.hsds.values import normalize_url, split_time_range
from tests.support import NOW


@pytest.mark.parametrize("text, url", [
    ("www.example.org", "https://www.example.org"),
    ("example.org/help?x=1", "https://example.org/help?x=1"),
    ("http://example.org", "http://example.org"),
    ("https://agency_1.example.test/a", "https://agency_1.example.test/a"),
    ("see our Facebook page", None), ("N/A", None), ("info@example.org", None),
    ("http://", None),
])
def test_urls(text, url):
    assert url == normalize_url(text)


def test_a_range_in_one_cell():
    assert ("8:00am", "5:00pm") == split_time_range("8:00am-5:00pm")
    assert ("9", "5") == split_time_range("9 to 5")
    assert split_time_range("by appointment") is None


def write(folder, files):
    folder.mkdir()
    for name, rows in files.items():
        with (folder / name).open("w", newline="") as handle:
            csv.writer(handle).writerows(rows)


@pytest.fixture
def package(tmp_path):
    folder = tmp_path / "in"
    write(folder, {
        "organizations.csv": [["id", "name", "url"], ["o1", "Agency", "www.agency.example"]],
        "services.csv": [["id", "organization_id", "name", "url"],
                         ["s1", "o1", "Food bank", "see our Facebook page"],
                         ["s2", "o1", "Shelter", "shelter.example/beds"]],
        "locations.csv": [["id", "organization_id", "name"], ["l1", "o1", "Office"]],
        "physical_addresses.csv": [["id", "location_id", "address_1", "city"],
                                   ["a1", "l1", "1 Main St", "Halifax"]],
        "phones.csv": [["id", "service_id", "number", "extension"],
                       ["p1", "s1", "902-555-0101 x12", ""]],
        "regular_schedules.csv": [["id", "service_id", "weekday", "opens_at", "closes_at"],
                                  ["r1", "s1", "Monday", "8:00am-5:00pm", ""],
                                  ["r2", "s1", "Tuesday", "8 AM", "noon"],
                                  ["r3", "s1", "Wednesday", "0800", "24:00"]],
    })
    return folder


def test_import_normalizes_and_export_writes_clean_values(app, db, package, tmp_path):
    app.config["COUNTRY"] = "us"
    with app.app_context():
        hsds.import_package(db, package, NOW)
        hsds.export_csv(db, tmp_path / "out")
    out = tmp_path / "out"

    def rows(name):
        with (out / name).open(newline="") as handle:
            return {r["id"]: r for r in csv.DictReader(handle)}

    org = rows("organizations.csv")[hsds.map_id("organization", "o1")]
    assert "https://www.agency.example" == org["website"]
    services = rows("services.csv")
    food = services[hsds.map_id("service", "s1")]
    assert "" == food["url"]  # no URI can be made of it: never exported as url
    assert {"id": "s1", "url": "see our Facebook page", "organization_id": "o1"} == \
        json.loads(food["original_text"])
    assert "https://shelter.example/beds" == services[hsds.map_id("service", "s2")]["url"]
    s1 = hsds.map_id("service", "s1")
    schedules = {k: r for k, r in rows("schedules.csv").items() if r["service_id"] == s1}
    times = {r["byday"]: (r["opens_at"], r["closes_at"]) for r in schedules.values()
             if r["byday"] in ("MO", "TU", "WE")}
    # CSV: the tabular `time` type (HH:MM:SS); JSON and the API: HH:MM
    assert {"MO": ("08:00:00", "17:00:00"), "TU": ("08:00:00", "12:00:00"),
            "WE": ("08:00:00", "23:59:00")} == times
    monday = next(r for r in schedules.values() if r["byday"] == "MO")
    assert "8:00am-5:00pm" == json.loads(monday["original_text"])["opens_at"]
    address = rows("addresses.csv")[hsds.map_id("address", "a1")]
    assert "US" == address["country"]  # FIELDAPP_COUNTRY, the source names none
    [phone] = [r for r in rows("phones.csv").values()
               if r["service_id"] == hsds.map_id("service", "s1")]
    assert ("902-555-0101", "12") == (phone["number"], phone["extension"])


def test_country_defaults_to_canada_outside_the_app(db, package):
    hsds.import_package(db, package, NOW)
    assert "CA" == db["address"].get(hsds.map_id("address", "a1"))["country"]
