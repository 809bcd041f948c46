"""Directory search: FTS prefix and accent folding, hostile input, filters, open now at a frozen
clock, ranking, result cards, the service page, and the query budget of a search."""

from datetime import UTC, datetime

import pytest

import fieldapp.accounts  # noqa: F401  (the foundation's import order: accounts first)
from fieldapp.directory import search as directory_search
from fieldapp.directory import store, upkeep
from fieldapp.directory.demo import CRISIS_TEAM_ID, SENIORS_SERVICE_ID, YOUTH_SHELTER_ID
from tests.support import NOW, login, make_app, selects
from tests.support.directory import (
    MONDAY_10,
    TZ,
    WEEKDAYS,
    add_service,
    hours_for,
    ids,
    search,
)


@pytest.fixture
def listings(db):
    """A small directory with words no demo listing uses (Zephyr...), so results are exact."""
    return {
        "shelter": add_service(
            db, "Zephyr Youth Shelter", organization_id=YOUTH_SHELTER_ID,
            description="Emergency beds for youth 16-24.", categories=["housing_shelter", "youth"],
            populations=["youth_12_17"], languages=["en", "fr"], accepts_referrals=True,
            schedule={"always_open": True, "days": {}}, phones=["902-555-0150"],
            lat=44.6488, lon=-63.5752, address_1="12 Demo Street", city="Halifax",
            verified="2026-02-20"),
        "securite": add_service(
            db, "Zephyr Sécurité alimentaire", description="Banque alimentaire, repas chauds.",
            categories=["food_basic_needs"], languages=["fr"],
            schedule=hours_for(WEEKDAYS, ("09:00", "12:00"), ("13:00", "17:00")),
            lat=44.67, lon=-63.57, verified="2025-01-10"),
        "night": add_service(
            db, "Zephyr Night Outreach", description="Overnight street outreach van.",
            organization_id=SENIORS_SERVICE_ID, categories=["housing_shelter"],
            accepts_referrals=True, schedule=hours_for(["FR", "SA"], ("20:00", "04:00")),
            lat=45.36, lon=-63.28),  # Truro: ~95 km from Halifax
        "crisis": add_service(
            db, "Zephyr Crisis Line", description="Crisis line for youth shelter residents.",
            categories=["mental_health_crisis"], accepts_referrals=True,
            schedule={"always_open": True, "days": {}}, phones=["902-555-0199"]),
    }


def test_prefix_finds_whole_word(db, listings):
    # "shel" reaches "Shelter" in a name, a description and a category's words.
    found = ids(search(db, "zephyr shel"))
    assert {listings["shelter"], listings["night"], listings["crisis"]} == set(found)
    assert listings["shelter"] == found[0]
    assert listings["shelter"] == ids(search(db, "Zephyr Youth Shelte"))[0]  # still typing
    assert [] == ids(search(db, "zephyr shelx"))


def test_accents_fold_both_ways(db, listings):
    assert [listings["securite"]] == ids(search(db, "zephyr securite"))
    assert [listings["securite"]] == ids(search(db, "ZEPHYR SÉCURITÉ"))


def test_category_words_in_french_match(db, listings):
    assert listings["shelter"] in ids(search(db, "zephyr logement"))


@pytest.mark.parametrize("hostile", [
    '"', '""', '"zephyr', "zephyr*", "*", "-zephyr", "zephyr -shelter", "AND", "zephyr AND",
    "NEAR(", "NEAR(zephyr shelter", "zephyr OR", "NOT", "(", ")", "{col}:zephyr", "^zephyr",
    "name:zephyr", "'; DROP TABLE service; --", "\x00", "🙂", "a" * 500,
])
def test_fts_syntax_characters_never_raise(db, listings, hostile):
    search(db, hostile)  # no exception


def test_fts_syntax_in_the_page_request_is_a_normal_answer(login_as, listings):
    officer = login_as("officer")
    for q in ['"', "NEAR(", "zephyr -", "AND *"]:
        assert 200 == officer.get("/directory/", query_string={"q": q}).status_code


def test_exact_name_match_ranks_first(db, listings):
    found = ids(search(db, "Zephyr Crisis Line"))
    assert listings["crisis"] == found[0]
    # "shelter" in the name outranks "shelter" in a description
    found = ids(search(db, "zephyr shelter"))
    assert found.index(listings["shelter"]) < found.index(listings["crisis"])


def test_filters_combine(db, listings):
    assert {listings["shelter"], listings["night"]} == set(
        ids(search(db, "zephyr", category="housing_shelter")))
    assert [listings["shelter"]] == ids(search(db, "zephyr", category="housing_shelter",
                                               population="youth_12_17"))
    assert [listings["night"]] == ids(search(db, "zephyr", category="housing_shelter",
                                             language=None, accepts_referrals=True,
                                             near=(45.36, -63.28, 10)))
    assert [listings["securite"]] == ids(search(db, "zephyr", language="fr",
                                               accepts_referrals=False, open_now=True,
                                               category="food_basic_needs"))
    assert [] == ids(search(db, "zephyr", language="fr", accepts_referrals=True,
                            category="food_basic_needs"))


def test_language_filter_matches_code_or_name(db, listings):
    assert {listings["shelter"], listings["securite"]} == set(ids(search(db, "zephyr",
                                                                        language="fr")))
    assert {listings["shelter"], listings["securite"]} == set(ids(search(db, "zephyr",
                                                                        language="French")))


def test_near_me_keeps_services_within_the_radius_nearest_first(db, listings):
    found = search(db, "zephyr", near=(44.6488, -63.5752, 5))
    assert [listings["shelter"], listings["securite"]] == ids(found)
    assert found[0]["distance"] < 0.01 < found[1]["distance"] < 5


@pytest.mark.parametrize(("instant", "expected"), [
    ("2026-03-02T14:00:00+00:00", {"shelter", "securite", "crisis"}),  # Mon 10:00
    ("2026-03-02T16:30:00+00:00", {"shelter", "crisis"}),              # Mon 12:30 lunch gap
    ("2026-03-07T01:30:00+00:00", {"shelter", "crisis", "night"}),     # Fri 21:30
    ("2026-03-07T07:30:00+00:00", {"shelter", "crisis", "night"}),     # Sat 03:30 (Fri night)
    ("2026-03-09T06:30:00+00:00", {"shelter", "crisis"}),              # Mon 03:30 (no Sun)
])
def test_open_now_at_a_frozen_clock(db, listings, instant, expected):
    now = datetime.fromisoformat(instant)
    found = search(db, "zephyr", open_now=True, now=now)
    assert {listings[k] for k in expected} == set(ids(found))
    # The SQL filter and the badge (hours.py) agree.
    everything = search(db, "zephyr", now=now)
    assert {listings[k] for k in expected} == {s["id"] for s in everything if s["hours"]["open"]}


def test_archived_services_leave_the_search(db, listings):
    upkeep.archive_service(db, listings["crisis"], now="2026-03-02T00:00:00+00:00")
    assert listings["crisis"] not in ids(search(db, "zephyr"))


def test_cards_carry_phones_hours_languages_address_and_verification(db, listings):
    card = {s["id"]: s for s in search(db, "zephyr")}
    shelter, securite = card[listings["shelter"]], card[listings["securite"]]
    assert ["902-555-0150"] == [p["number"] for p in shelter["phones"]]
    assert shelter["hours"]["always_open"]
    assert ["09:00–12:00", "13:00–17:00"] == securite["hours"]["today"]
    assert ["en", "fr"] == [lang["code"] for lang in shelter["languages"]]
    assert "12 Demo Street, Halifax" == shelter["address"]["text"]
    assert (10, False) == (shelter["verified_days"], shelter["stale"])
    assert securite["stale"]


def test_crisis_and_matching_services(db, listings):
    crisis = directory_search.crisis_services(db, now=MONDAY_10, tz=TZ, limit=100)
    assert listings["crisis"] in ids(crisis)
    assert all(c["accepts_referrals"] for c in crisis)
    assert all("mental_health_crisis" in c["categories"] for c in crisis)
    open_flags = [c["hours"]["open"] is True for c in crisis]
    assert sorted(open_flags, reverse=True) == open_flags  # open ones first
    assert 5 >= len(directory_search.crisis_services(db, now=MONDAY_10, tz=TZ))
    alternatives = directory_search.matching_services(db, category="housing_shelter",
                                           exclude_service_id=listings["shelter"],
                                           now=MONDAY_10, tz=TZ, limit=100)
    assert listings["shelter"] not in ids(alternatives)
    assert listings["night"] in ids(alternatives)


def test_get_service_has_everything(db, listings):
    service = store.get_service(db, listings["shelter"])
    assert "Northwind Youth Shelter (demo)" == service["organization_name"]
    assert ["housing_shelter", "youth"] == service["categories"]
    assert ["youth_12_17"] == service["populations"]
    assert None is store.get_service(db, "no-such-id")


def test_search_page_without_javascript_shows_cards(login_as, listings):
    page = login_as("officer").get("/directory/?q=zephyr+shel")
    html = page.get_data(as_text=True)
    assert 200 == page.status_code
    assert "<form" in html and 'name="q"' in html
    assert "Zephyr Youth Shelter" in html
    assert 'href="tel:+19025550150"' in html  # E.164 since issue 12 (was tel:9025550150)
    assert "https://www.openstreetmap.org/search?query=12+Demo+Street%2C+Halifax" in html
    assert "Open 24/7" in html


def test_htmx_search_returns_only_the_results_fragment(login_as, listings):
    response = login_as("officer").get("/directory/?q=zephyr", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert "<html" not in html and "dir-card" in html
    assert "HX-Request" in response.headers["Vary"]
    assert "/directory/?q=zephyr" == response.headers["HX-Push-Url"]


def test_history_restore_gets_the_whole_page(login_as, listings):
    response = login_as("officer").get("/directory/?q=zephyr", headers={
        "HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" in response.get_data(as_text=True)


def test_open_now_filter_on_the_page_at_a_frozen_clock(tmp_path):
    app = make_app(tmp_path, NOW=NOW)
    from fieldapp.db import connect
    db = connect(app.config["DATABASE"])
    night = add_service(db, "Zephyr Night Outreach", schedule=hours_for(["FR"], ("20:00", "04:00")))
    day = add_service(db, "Zephyr Day Centre", schedule=hours_for(["MO"], ("09:00", "17:00")))
    client = app.test_client()
    login(client, "officer")
    html = client.get("/directory/?q=zephyr&open=1").get_data(as_text=True)
    assert "Zephyr Day Centre" in html and "Zephyr Night Outreach" not in html
    assert "until 17:00" in html
    html = client.get("/directory/?q=zephyr+night").get_data(as_text=True)
    assert "opens Friday at 20:00" in html
    assert night != day


def test_service_page_shows_intake_eligibility_fees_and_refer_link(login_as, db, listings):
    db.execute("UPDATE service SET eligibility_description = 'Ages 16-24', fees_description ="
               " 'Free', intake_instructions = 'Call first', intake_phone = '902-555-0151'"
               " WHERE id = ?", [listings["shelter"]])
    html = login_as("officer").get(f"/directory/services/{listings['shelter']}").get_data(
        as_text=True)
    for text in ("Ages 16-24", "Free", "Call first", "902-555-0151", "Refer",
                 f"service_id={listings['shelter']}"):
        assert text in html
    partner_html = login_as("partner").get(f"/directory/services/{listings['shelter']}")
    assert "Refer<" not in partner_html.get_data(as_text=True)


def test_unknown_service_is_404(login_as):
    assert 404 == login_as("officer").get("/directory/services/nope").status_code


def test_search_runs_a_bounded_number_of_queries(login_as, db, listings, query_log):
    officer = login_as("officer")

    def count(q):
        query_log.clear()
        response = officer.get(f"/directory/?q={q}", headers={"HX-Request": "true"})
        assert 200 == response.status_code
        return len(selects(query_log)), response.get_data(as_text=True).count('class="dir-card"')

    # The worker's connection is new: FTS5 reads its config once, here (words no card below
    # has: the cards' details, kept per worker, are read by the searches counted).
    count("quokka")
    few = count("zephyr+shelter")
    for n in range(25):
        add_service(db, f"Zephyr Extra {n}", phones=["902-555-0100"], languages=["en"],
                    schedule=hours_for(WEEKDAYS, ("09:00", "17:00")), lat=44.65, lon=-63.57,
                    address_1=f"{n} Demo Road", categories=["health"])
    many = count("zephyr")
    assert 20 == many[1] and few[1] < 5
    # One query for the services, one for the children of the page's cards (phones,
    # schedules, languages, addresses and categories), plus the session lookup and the
    # directory's version (the results cache key): the same for 20 cards as for 3.
    assert few[0] == many[0]
    assert many[0] <= 4, selects(query_log)


def test_open_now_sql_agrees_with_the_badge_over_a_week_of_demo_hours(db):
    from datetime import timedelta

    monday = datetime(2026, 3, 2, 4, 0, tzinfo=UTC)  # Monday 00:00 in Halifax
    disagreements = []
    for step in range(0, 7 * 24 * 60, 151):  # every 151 minutes: every hour, many minutes
        now = monday + timedelta(minutes=step)
        everything = search(db, now=now, limit=1000)
        by_badge = {s["id"] for s in everything if s["hours"]["open"]}
        by_sql = set(ids(search(db, now=now, open_now=True, limit=1000)))
        if by_badge != by_sql:
            disagreements.append((now.isoformat(), by_badge ^ by_sql))
    assert [] == disagreements


def test_words_only_search_falls_back_when_the_best_hits_are_archived(db):
    db["service"].insert_all([
        {"id": f"zf-{n:03d}", "organization_id": CRISIS_TEAM_ID, "name": f"Zephyrfast {n}",
         "archived_at": "2026-01-01" if n < 230 else None} for n in range(235)])
    found = search(db, "zephyrfast", limit=10)
    assert [f"zf-{n}" for n in range(230, 235)] == ids(found)
    assert 0 == len([s for s in search(db, "zephyrfast", limit=300) if s["id"] < "zf-230"])


def test_empty_search_shows_crisis_services_and_categories(login_as, listings):
    officer = login_as("officer")
    html = officer.get("/directory/").get_data(as_text=True)
    assert "Crisis services, open ones first" in html
    assert 'href="/directory/?category=housing_shelter"' in html
    assert html.count('class="dir-card"') <= 5
    everything = officer.get("/directory/?all=1").get_data(as_text=True)
    assert 20 == everything.count('class="dir-card"')
    assert "all=1" in everything.split("dir-pages", 1)[1]  # the next page keeps listing all


@pytest.mark.parametrize(("typed", "query"), [
    ("shel", '"shel"*'),
    ("zephyr shel", '"zephyr"* AND "shel"*'),
    # The last word's shorter forms, one per stem the index can match with (fts_query):
    # "housin", "housi" and "hous" stem to "housin", "housi" and "hou", the last one's matches
    # include the others'; "services", "service" and "servic" all stem to "servic".
    ("housin", '"hous"*'),
    ("food services", '"food"* AND "services"*'),
    ("living", '("living"* OR "livi"*)'),
    ('"AND NEAR(', '"AND"* AND "NEAR"*'),
    ("-*", ""),
    ("a b", '"a" AND "b"'),
])
def test_user_text_becomes_quoted_prefix_terms(typed, query):
    assert query == directory_search.fts_query(typed)


def test_confidential_address_never_reaches_search_results(login_as, db):
    hidden = add_service(db, "Zephyr Safe House", address_1="99 Secret Lane", city="Halifax",
                         lat=44.65, lon=-63.57)
    db.execute("UPDATE location SET confidential = 1 WHERE id IN (SELECT location_id FROM"
               " service_at_location WHERE service_id = ?)", [hidden])
    found = search(db, "zephyr safe")
    assert [hidden] == ids(found)
    assert ([], None) == (found[0]["addresses"], found[0]["address"])
    assert [] == ids(search(db, "zephyr safe", near=(44.65, -63.57, 5)))
    html = login_as("officer").get(f"/directory/services/{hidden}").get_data(as_text=True)
    assert "Secret Lane" not in html and "The address is confidential." in html
    html = login_as("officer").get("/directory/?q=zephyr+safe").get_data(as_text=True)
    assert "Secret Lane" not in html


# --- the rendered-results cache (per worker, exact) ----------------------------------------------


def _search_page(client, q, **headers):
    response = client.get(f"/directory/?q={q}", headers={"HX-Request": "true", **headers})
    assert 200 == response.status_code
    return response.get_data(as_text=True)


def test_a_repeated_search_is_served_from_the_cache_until_a_listing_changes(
        login_as, db, listings, query_log):
    officer = login_as("officer")
    first = _search_page(officer, "zephyr")
    query_log.clear()
    assert first == _search_page(officer, "zephyr")
    assert not any("service_fts" in sql for sql in query_log)  # not searched again
    assert len(selects(query_log)) <= 2  # the session and the directory's version

    db.execute("UPDATE phone SET number = '902-555-0777' WHERE service_id = ?",
               [listings["crisis"]])
    changed = _search_page(officer, "zephyr")
    # the card shows the number in the national format (issue 12)
    assert "(902) 555-0777" in changed and "(902) 555-0777" not in first
    upkeep.archive_service(db, listings["crisis"], now="2026-03-02T14:00:00+00:00")
    assert "Zephyr Crisis Line" not in _search_page(officer, "zephyr")


def test_cached_results_follow_the_clock_to_the_minute(app, login_as, db):
    add_service(db, "Zephyr Office Hours", schedule=hours_for(WEEKDAYS, ("09:00", "17:00")))
    officer = login_as("officer")
    app.config["NOW"] = "2026-03-02T20:59:00+00:00"  # Monday 16:59 in Halifax
    assert "Open now" in _search_page(officer, "zephyr+office")
    app.config["NOW"] = "2026-03-02T21:00:00+00:00"  # 17:00: closed
    page = _search_page(officer, "zephyr+office")
    assert "Closed now" in page and "Open now" not in page


def test_cached_results_keep_each_language_apart(login_as, listings):
    officer = login_as("officer")
    english = _search_page(officer, "zephyr")
    officer.post("/language", data={"language": "fr"})
    french = _search_page(officer, "zephyr")
    assert "4 services found" in english and "Accepts referrals" in english
    assert "4 services trouvés" in french and "Accepte les orientations" in french


def test_the_cache_can_be_turned_off(tmp_path):
    app = make_app(tmp_path, DIRECTORY_RESULTS_CACHE=0)
    client = app.test_client()
    login(client, "officer")
    app.extensions["fieldapp.query_log"] = logged = []
    first = _search_page(client, "crisis")
    logged.clear()
    assert first == _search_page(client, "crisis")
    assert any("service_fts" in sql for sql in logged)  # searched again
    assert "fieldapp.directory_results" not in app.extensions


def test_cached_search_pages_keep_roles_and_partner_organizations_apart(login_as, db):
    pages = {who: login_as(who).get("/directory/?q=crisis").get_data(as_text=True)
             for who in ("coordinator", "officer", "partner", "partner2", "partner")}
    assert "Directory upkeep" in pages["coordinator"] and "Directory upkeep" not in pages["officer"]
    own = {who: db.execute("SELECT s.name FROM service s JOIN user u ON u.organization_id ="
                           " s.organization_id WHERE u.email = ? ORDER BY s.name LIMIT 1",
                           [f"{who}@demo.test"]).fetchone()[0] for who in ("partner", "partner2")}
    assert own["partner"] != own["partner2"]
    for who, other in (("partner", "partner2"), ("partner2", "partner")):
        listings = pages[who].split('class="dir-own"')[1].split("</details>")[0]
        assert own[who] in listings and own[other] not in listings


def test_near_me_at_one_address_puts_services_named_for_the_words_first(db):
    desk = add_service(db, "Alpha Help Desk", description="Zephyr legal questions answered.",
                       lat=44.7001, lon=-63.6001)
    clinic = add_service(db, "Zephyr Legal Clinic", description="Advice.",
                         lat=44.7001, lon=-63.6001)
    found = search(db, "zephyr legal", near=(44.70, -63.60, 5.0))
    assert [clinic, desk] == ids(found)[:2]
    assert found[0]["distance"] == found[1]["distance"]


def test_filtered_word_search_falls_back_when_the_best_hits_do_not_pass_the_filter(db):
    # 450 services have the word in their name (the best hits); only three accept referrals,
    # and those have the word in their description alone: below the ranked cut of 400.
    db["service"].insert_all(
        [{"id": f"zs-{n:03d}", "organization_id": CRISIS_TEAM_ID, "name": f"Zephyrslow {n}",
          "accepts_referrals": 0} for n in range(450)]
        + [{"id": f"zs-r{n}", "organization_id": CRISIS_TEAM_ID, "name": f"Referral desk {n}",
            "description": "Also zephyrslow.", "accepts_referrals": 1} for n in range(3)])
    assert ["zs-r0", "zs-r1", "zs-r2"] == ids(search(db, "zephyrslow", accepts_referrals=True,
                                                     limit=21))
