"""The nearest known places on the log-contact form (issue 15): favourites first, then, after
"Use my location", the team's places nearest the phone (the directory's distance), then "other
place".  Browser side: tests/browser/test_contacts_near_browser.py.  Also what the form hands
its script for templates opened offline (tests/browser/test_offline_says_browser.py)."""

import json
import re

from fieldapp.contacts import demo, places
from fieldapp.directory.search import distance_km

SENIORS_HALL = (44.6481, -63.6249)  # a few metres from Bayview Seniors' Hall (demo)


def test_places_are_ranked_by_the_directorys_distance(db):
    nearest = places.nearest_places(db, "HRP", *SENIORS_HALL, limit=6)
    assert demo.PLACE_SENIORS_HALL == nearest[0]["id"]
    assert [p["km"] for p in nearest] == sorted(p["km"] for p in nearest)
    hall = nearest[0]
    assert distance_km(*SENIORS_HALL, hall["lat"], hall["lon"]) == hall["km"] < 0.1
    assert all(p["lat"] is not None for p in nearest)
    without = places.nearest_places(db, "HRP", *SENIORS_HALL, exclude={demo.PLACE_SENIORS_HALL})
    assert demo.PLACE_SENIORS_HALL not in [p["id"] for p in without]
    assert places.NEAREST == len(without)


def test_the_fragment_offers_the_nearest_places_not_already_first(login_as):
    client = login_as("officer")
    form = client.get("/contacts/new").get_data(as_text=True)
    first_row = form.split('id="near-places"')[0]
    offered = set(re.findall(r'name="place_id" value="([^"]+)"', first_row))
    assert offered  # the officer's favourites and latest places
    url = "/contacts/places/near?lat={}&lon={}".format(*SENIORS_HALL)
    page = client.get(url).get_data(as_text=True)  # without htmx: a page listing them
    assert "<h1>Nearest places</h1>" in page and "Bayview Seniors" in page
    answer = client.get(url, headers={"HX-Request": "true"})
    assert 200 == answer.status_code
    html = answer.get_data(as_text=True)
    ids = re.findall(r'name="place_id" value="([^"]+)"', html)
    assert demo.PLACE_SENIORS_HALL == ids[0]
    assert not offered & set(ids)
    assert "0 km" in html or "0.0 km" in html
    assert 422 == client.get("/contacts/places/near?lat=91&lon=0",
                             headers={"HX-Request": "true"}).status_code
    assert 422 == client.get("/contacts/places/near?lat=x").status_code


def test_the_form_never_asks_for_the_position_and_carries_the_places_positions(login_as):
    html = login_as("officer").get("/contacts/new").get_data(as_text=True)
    assert re.search(r'id="near-places"[^>]*hidden', html)
    assert 'data-lat="44.648" data-lon="-63.625"' in html  # Bayview Seniors' Hall, for offline
    assert re.search(r'id="use-location" hidden', html)  # revealed by the script, tapped by hand


def test_partners_never_see_the_places(login_as):
    assert 404 == login_as("partner").get("/contacts/places/near?lat=44.6&lon=-63.6").status_code


def test_the_form_tells_its_script_what_the_server_applied(login_as):
    client = login_as("officer")

    def island(url):
        html = client.get(url).get_data(as_text=True)
        return json.loads(re.search(r'id="contact-templates">(.*?)</script>', html).group(1))

    assert "" == island("/contacts/new")["applied"]  # (the page the phone caches)
    data = island("/contacts/new?template=wellness_senior")
    assert "wellness_senior" == data["applied"]
    assert {"kind": "wellness_check", "populations": ["senior_65_plus"],
            "outcome": "information_given", "is_group": "0"} == \
        data["templates"]["wellness_senior"]["values"]
    assert "repeat" == island("/contacts/new?repeat=last")["applied"]
