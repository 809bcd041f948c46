"""Issue 23: distance search by a typed place (a postcode, an address or a saved place), found
in the directory's own addresses and the team's saved places, without any outside geocoder and
without the browser's position."""

from fieldapp.contacts import demo as contacts_demo
from fieldapp.directory import near

# A demo listing: Harbourside Crisis Office (demo), 110 Gottingen Lane, Halifax, B3K 0A1.
HARBOURSIDE = (44.6521, -63.5866)


def test_a_full_postcode_is_the_position_of_its_directory_address(db):
    found = near.resolve(db, "b3k0a1")
    assert (found["lat"], found["lon"]) == HARBOURSIDE
    assert "B3K 0A1" == found["label"]


def test_an_unknown_postcode_falls_back_to_its_area(db):
    found = near.resolve(db, "B3K 9Z9")
    assert "B3K" == found["label"]
    assert 44.6 < found["lat"] < 44.7


def test_a_street_address_and_a_location_name_are_found(db):
    found = near.resolve(db, "110 gottingen lane")
    assert (found["lat"], found["lon"]) == HARBOURSIDE
    assert "110 Gottingen Lane" == found["label"]
    assert (near.resolve(db, "Harbourside Crisis")["lat"]) == HARBOURSIDE[0]


def test_a_saved_place_of_the_team_is_found_by_part_of_its_name(db):
    _, name, _, (lat, lon) = contacts_demo.PLACES[0]
    found = near.resolve(db, "harbour view high", police_service="HRP")
    assert (lat, lon, name) == (found["lat"], found["lon"], found["label"])
    assert near.resolve(db, "harbour view high", police_service="OTHER") is None


def test_nothing_matches_a_made_up_place(db):
    assert near.resolve(db, "Atlantis Boulevard 9") is None
    assert near.resolve(db, "   ") is None


def test_confidential_locations_never_place_anything(db):
    db.execute("update location set confidential = 1 where latitude = ? and longitude = ?",
               HARBOURSIDE)
    found = near.resolve(db, "110 Gottingen Lane")
    assert found is None or (found["lat"], found["lon"]) != HARBOURSIDE


def test_the_search_page_searches_near_a_typed_place_without_a_position(login_as):
    client = login_as("officer")
    page = client.get("/directory/?place=B3K+0A1&km=2").get_data(as_text=True)
    assert "Within 2 km of B3K 0A1." in page
    assert 'name="place" type="search" value="B3K 0A1"' in page
    assert 'id="dir-lat" value=""' in page  # a typed place is searched again, not its position
    assert "0.0 km away" in page  # nearest first: the services at that very address
    assert "place=B3K+0A1&amp;km=2" in page  # "More results" keeps the place


def test_an_unknown_place_says_so_and_searches_without_distance(login_as):
    client = login_as("partner")
    page = client.get("/directory/?place=Atlantis&q=crisis").get_data(as_text=True)
    assert "No address or place matches" in page
    assert "Atlantis" in page
    assert "km away" not in page


def test_the_next_page_and_clearing_keep_or_drop_the_place(login_as):
    client = login_as("coordinator")
    page = client.get("/directory/?place=Central+Library&km=25&all=1").get_data(as_text=True)
    assert "Within 25 km of Central Library steps (demo)." in page
    assert "place=Central+Library" in page or "place=Central%20Library" in page


def test_a_typed_place_is_shown_escaped(login_as):
    page = login_as("officer").get("/directory/?place=%3Cb%3Ex%3C/b%3E").get_data(as_text=True)
    assert "<b>x</b>" not in page and "&lt;b&gt;x&lt;/b&gt;" in page
