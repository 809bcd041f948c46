"""The directory search's cold path (issue 13): a bounded number of SQL statements whatever
the number of results, the ranking on a fixed small directory, and the same results whether
the rendered results and cards come from the caches or not (fixed and long-tail queries)."""

import re
from pathlib import Path

import pytest

import fieldapp.accounts  # noqa: F401  (the foundation's import order: accounts first)
from bench.directory_search import HTTP_QUERIES, add_rich_services, long_tail_queries
from fieldapp.db import connect
from fieldapp.directory import cache as directory_cache
from fieldapp.directory import search as directory_search
from fieldapp.directory import snapshot
from fieldapp.directory.demo import YOUTH_SHELTER_ID
from tests.conftest import login, make_app, selects
from tests.support.directory import MONDAY_10, WEEKDAYS, add_service, hours_for, ids, search

NOW = MONDAY_10.isoformat()


def _fragment(client, q: str) -> str:
    response = client.get(f"/directory/?q={q}", headers={"HX-Request": "true"})
    assert 200 == response.status_code
    return response.get_data(as_text=True)


def _page(client, q: str) -> str:
    """The whole page, its session's CSRF tokens left out."""
    response = client.get(f"/directory/?q={q}")
    assert 200 == response.status_code
    return re.sub(r"[\w-]{20,}\.[\w-]{4,}\.[\w-]{20,}", "(token)", response.get_data(as_text=True))


@pytest.fixture
def cold(tmp_path):
    """The app with its caches off: every request searches and renders every card and form."""
    return make_app(tmp_path, NOW=NOW, DIRECTORY_RESULTS_CACHE=0, DIRECTORY_CARD_CACHE=0,
                    DIRECTORY_FORM_CACHE=0, DIRECTORY_DETAILS_CACHE=0, DIRECTORY_PAGE_CACHE=0)


@pytest.mark.parametrize("fragment", [True, False])
def test_a_search_page_runs_one_search_and_one_query_for_its_cards(cold, fragment):
    db = connect(cold.config["DATABASE"])
    client = cold.test_client()
    login(client, "officer")
    cold.extensions["fieldapp.query_log"] = log = []
    get = _fragment if fragment else _page

    def statements(q: str) -> tuple[list[str], int]:
        get(client, "zephyr")  # the session's once-a-minute refresh is not counted
        log.clear()
        html = get(client, q)
        # FTS5's own statements ("-- SELECT ... FROM service_fts_idx") are not ours.
        return [sql for sql in selects(log) if not sql.lstrip().startswith("--")], \
            html.count('class="dir-card"')

    add_service(db, "Quokka Pantry", phones=["902-555-0101"], languages=["en"])
    few, few_cards = statements("quokka")
    for n in range(30):
        add_service(db, f"Quokka Extra {n}", phones=["902-555-0100", "902-555-0199"],
                    languages=["en", "fr"], schedule=hours_for(WEEKDAYS, ("09:00", "17:00")),
                    lat=44.65, lon=-63.57, address_1=f"{n} Demo Road",
                    categories=["health", "food_basic_needs"])
    many, many_cards = statements("quokka")
    db.conn.close()
    assert (1, 20) == (few_cards, many_cards)
    assert len(few) == len(many), many
    # The search itself: one FTS query for the page and one for all its cards' children.
    assert 1 == sum("MATCH" in sql for sql in many)
    assert 1 == sum("UNION ALL" in sql for sql in many)
    # Plus the session and the directory's version; a full page also the language list's
    # version and the records to review: bounded, whatever the number of cards (tightened
    # from 6 and 9: one statement each, no savepoint around the session's).
    assert len(many) <= (4 if fragment else 6), many


def test_ranking_on_a_fixed_small_directory(tmp_path):
    app = make_app(tmp_path)
    db = connect(app.config["DATABASE"])
    made = {
        "name": add_service(db, "Wombat Food Bank", description="Groceries every week."),
        "exact": add_service(db, "Wombat Food", description="Hot meals."),
        "alternate": add_service(db, "Harbour Hampers", description="Wombat food hampers.",
                                 keywords="wombat"),
        "description": add_service(db, "Northside Groceries",
                                   description="Wombat families, food and clothing."),
        "youth": add_service(db, "Wombat Youth Drop-in", organization_id=YOUTH_SHELTER_ID,
                             description="Snacks and food for youth.", lat=44.6488,
                             lon=-63.5752, address_1="1 Demo St", city="Halifax"),
        "far": add_service(db, "Wombat Food Pantry", description="Food pantry.", lat=44.70,
                           lon=-63.50, address_1="2 Demo St", city="Bedford"),
    }
    name = {v: k for k, v in made.items()}
    # The exact name first, then bm25: both words in the name (and again in the description
    # first), then one word in the name, then the words in keywords and description only.
    assert ["exact", "far", "name", "youth", "alternate", "description"] == [
        name[i] for i in ids(search(db, "wombat food"))]
    assert ["youth"] == [name[i] for i in ids(search(db, "wombat youth"))]
    # Near me: the nearest first, within the radius only.
    assert ["youth", "far"] == [name[i] for i in ids(search(db, "wombat",
                                                            near=(44.6488, -63.5752, 25.0)))]
    db.conn.close()


@pytest.fixture(scope="module")
def rich(tmp_path_factory):
    """The demo plus 150 rich generated listings, its long-tail sample (40 two-word queries
    with >= 2 matches each) and the fixed mix of bench/directory_search.py."""
    path = tmp_path_factory.mktemp("rich")
    app = make_app(path, NOW=NOW)
    db = connect(app.config["DATABASE"])
    add_rich_services(db, 150, seed=5)
    db.conn.close()
    queries = long_tail_queries(Path(app.config["DATABASE"]), want=40, seed=5)
    assert len(queries) == 40
    return path, [q.replace(" ", "+") for q in queries] + HTTP_QUERIES


def _client(path, **config):
    app = make_app(path, NOW=NOW, **config)
    client = app.test_client()
    login(client, "officer")
    return app, client


def test_fixed_and_long_tail_queries_give_the_same_pages_with_the_caches_on_and_off(rich):
    path, queries = rich
    _cold_app, cold = _client(path, DIRECTORY_RESULTS_CACHE=0, DIRECTORY_CARD_CACHE=0,
                              DIRECTORY_FORM_CACHE=0, DIRECTORY_DETAILS_CACHE=0,
                              DIRECTORY_PAGE_CACHE=0)
    _cards_app, cards = _client(path, DIRECTORY_RESULTS_CACHE=0)  # card cache only
    warm_app, warm = _client(path)  # both caches (the defaults)
    for q in queries:
        expected = _fragment(cold, q)
        assert 'class="dir-card"' in expected or q.startswith("&"), q
        for client in (cards, cards, warm, warm):  # a miss, then a hit
            assert expected == _fragment(client, q), q
    for q in queries[:5] + queries[-3:]:
        expected = _page(cold, q)
        assert expected == _page(warm, q) == _page(warm, q), q
    assert len(warm_app.extensions["fieldapp.directory_cards"][0]) > 100


def test_the_kept_page_around_the_results_is_the_page_rendered_afresh(rich):
    """cache.around keeps the form once per set of filters and fills in the words typed: the
    same page as rendered afresh, for words HTML would read, with filters, a place, a position,
    a page number, in both languages and for each role."""
    path, queries = rich
    searches = [queries[0], queries[1], "%3Cb%3E%22x%26y%27+%3C%2Fb%3E", "caf%C3%A9+%26amp%3B",
                "", queries[2] + "&open=1&category=health", "&place=B3H+1A1&km=5",
                queries[3] + "&lat=44.65&lon=-63.57&km=10", queries[4] + "&page=2&all=1",
                queries[0] + "&language=fr&population=senior_65_plus&referrals=1"]
    for who in ("officer", "partner", "coordinator"):
        for language in ("en", "fr"):
            pages = {}
            for name, config in (("afresh", {"DIRECTORY_FORM_CACHE": 0}),
                                 ("kept", {"DIRECTORY_RESULTS_CACHE": 0})):
                app = make_app(path, NOW=NOW, **config)
                client = app.test_client()
                login(client, who)
                client.post("/language", data={"language": language})
                pages[name] = [_page(client, q) for q in searches + searches]
            assert pages["afresh"] == pages["kept"], (who, language)
            assert "&lt;b&gt;&#34;x&amp;y&#39; &lt;/b&gt;" in pages["kept"][2]
            assert ("Rechercher des services" in pages["kept"][0]) == (language == "fr")


def test_a_kept_card_follows_its_listing_and_the_clock(tmp_path):
    app = make_app(tmp_path, NOW="2026-03-02T20:59:00+00:00",  # Monday 16:59 in Halifax
                   DIRECTORY_RESULTS_CACHE=0)
    db = connect(app.config["DATABASE"])
    service = add_service(db, "Numbat Office", schedule=hours_for(WEEKDAYS, ("09:00", "17:00")),
                          phones=["902-555-0123"])
    client = app.test_client()
    login(client, "officer")
    first = _fragment(client, "numbat")
    # the card shows numbers in the national format (issue 12)
    assert "Open now" in first and "(902) 555-0123" in first
    assert first == _fragment(client, "numbat")  # its card is kept
    app.config["NOW"] = "2026-03-02T21:00:00+00:00"  # 17:00: closed
    closed = _fragment(client, "numbat")
    assert "Closed now" in closed and "Open now" not in closed
    db.execute("UPDATE phone SET number = '902-555-0777' WHERE service_id = ?", [service])
    assert "(902) 555-0777" in _fragment(client, "numbat")
    client.post("/language", data={"language": "fr"})
    assert "Fermé" in _fragment(client, "numbat")
    db.conn.close()


def test_kept_card_details_give_the_same_services_as_read_afresh(rich):
    """cache.details keeps each listing's children per directory version: search_services with
    it gives the same services, key for key and in the same key order, as without it, when it
    misses and when it hits."""
    path, queries = rich
    app = make_app(path, NOW=NOW)
    db = connect(app.config["DATABASE"])
    words = [q.replace("+", " ") for q in queries if "&" not in q and "=" not in q]
    with app.test_request_context():
        kept = directory_cache.details(snapshot.data_version(db))
        for q in words + words:  # misses, then hits
            afresh = directory_search.search_services(db, q, now=MONDAY_10, tz="America/Halifax")
            from_kept = directory_search.search_services(db, q, now=MONDAY_10,
                                                         tz="America/Halifax", kept=kept)
            assert afresh == from_kept, q
            assert [list(s) for s in afresh] == [list(s) for s in from_kept], q
    db.conn.close()


def test_a_search_showing_kept_cards_reads_no_children(tmp_path):
    """With the results cache off, a search whose cards an earlier search showed runs the
    session, the directory's version and the FTS page: no statement for the cards' children;
    a listing written since is read again."""
    app = make_app(tmp_path, NOW=NOW, DIRECTORY_RESULTS_CACHE=0)
    db = connect(app.config["DATABASE"])
    for n in range(5):
        add_service(db, f"Wombat Place {n}", phones=["902-555-0100"], languages=["en"],
                    schedule=hours_for(WEEKDAYS, ("09:00", "17:00")), categories=["health"])
    client = app.test_client()
    login(client, "officer")
    app.extensions["fieldapp.query_log"] = log = []

    def statements(q: str) -> tuple[list[str], str]:
        log.clear()
        html = _fragment(client, q)
        return [sql for sql in selects(log) if not sql.lstrip().startswith("--")], html

    _fragment(client, "zephyr")  # the session's once-a-minute refresh is not counted
    first, first_html = statements("wombat")
    again, again_html = statements("wombat+place")
    assert 1 == sum("UNION ALL" in sql for sql in first)
    assert 0 == sum("UNION ALL" in sql for sql in again), again
    assert len(again) <= 3, again  # the session, the directory's version, the FTS page
    assert first_html.count('class="dir-card"') == again_html.count('class="dir-card"') == 5
    db.execute("UPDATE phone SET number = '902-555-0777' WHERE service_id IN"
               " (SELECT id FROM service WHERE name = 'Wombat Place 3')")
    changed, changed_html = statements("wombat")
    assert 1 == sum("UNION ALL" in sql for sql in changed)
    assert "(902) 555-0777" in changed_html
    db.conn.close()


def test_the_kept_page_around_the_content_is_the_page_rendered_afresh(rich):
    """cache.page keeps base.html around the search per session and fills in the CSRF token,
    the clock, the address (words HTML would read included) and the content: the same pages,
    for each role and language, as rendered afresh; a HEAD request and a page with a flashed
    message too; two users never share a page."""
    path, queries = rich
    searches = [queries[0], "%3Cb%3E%22x%26y%27+%3C%2Fb%3E", "o'neil&x=\"<b>", "",
                queries[2] + "&open=1", queries[3] + "&lat=44.65&lon=-63.57&km=10"]
    for who in ("officer", "partner", "coordinator"):
        for language in ("en", "fr"):
            pages = {}
            for name, config in (("afresh", {"DIRECTORY_PAGE_CACHE": 0}), ("kept", {})):
                app = make_app(path, NOW=NOW, **config)
                client = app.test_client()
                login(client, who)
                client.post("/language", data={"language": language})
                pages[name] = [_page(client, q) for q in searches + searches]
                pages[name].append(client.head(f"/directory/?q={searches[0]}").headers["Vary"])
                with client.session_transaction() as session:
                    session["_flashes"] = [("info", "Saved <now>.")]
                pages[name].append(_page(client, queries[0]))
                pages[name].append(_page(client, queries[0]))
                if name == "kept":
                    assert len(app.extensions["fieldapp.directory_page"][0]) >= 1
            assert pages["afresh"] == pages["kept"], (who, language)
            kept = pages["kept"]
            assert 'name="next" value="/directory/?q=%3Cb%3E%22x%26y%27+%3C%2Fb%3E"' in kept[1]
            assert 'value="/directory/?q=o&#39;neil&amp;x=&#34;&lt;b&gt;"' in kept[2]
            assert "Saved &lt;now&gt;." in kept[-2] and "Saved &lt;now&gt;." not in kept[-1]
    app = make_app(path, NOW=NOW)
    officer, coordinator = app.test_client(), app.test_client()
    login(officer, "officer")
    login(coordinator, "coordinator")
    for _ in range(2):
        mine, theirs = _page(officer, queries[0]), _page(coordinator, queries[0])
        assert 'data-role="officer"' in mine and 'data-role="coordinator"' in theirs
        assert re.search(r'data-user-key="(\w+)"', mine).group(1) != \
            re.search(r'data-user-key="(\w+)"', theirs).group(1)


def test_cards_kept_in_tiny_caches_are_the_cards_rendered_afresh(rich):
    """The kept cards and details are bounded (the first kept leaves first): with room for
    one card, one listing and a few live parts, every fragment is the one rendered afresh, in
    both languages, with a place (distance) and for a partner."""
    path, queries = rich
    searches = [*queries[:12], "&lat=44.65&lon=-63.57&km=10", queries[3] + "&open=1", ""]
    for who, language in (("officer", "en"), ("partner", "fr")):
        fragments = {}
        for name, config in (("afresh", {"DIRECTORY_CARD_CACHE": 0,
                                         "DIRECTORY_DETAILS_CACHE": 0}),
                             ("tiny", {"DIRECTORY_CARD_CACHE": 1,
                                       "DIRECTORY_DETAILS_CACHE": 1})):
            app = make_app(path, NOW=NOW, DIRECTORY_RESULTS_CACHE=0, **config)
            client = app.test_client()
            login(client, who)
            client.post("/language", data={"language": language})
            fragments[name] = [_fragment(client, q) for q in searches + searches]
            if name == "tiny":
                assert len(app.extensions["fieldapp.directory_cards"][0]) == 1
                assert len(app.extensions["fieldapp.directory_details"][0]) == 1
        assert fragments["afresh"] == fragments["tiny"], (who, language)
        assert "dir-distance" in fragments["tiny"][12]


def test_kept_leaves_first_in_first_out():
    kept = directory_cache.Kept(2)
    for key in "abc":
        kept.put(key, key.upper())
    kept.put("b", "B2")  # kept again: it keeps its place (b came in before c)
    kept.put("d", "D")
    assert [None, None, "C", "D"] == [kept.get(k) for k in "abcd"]
    assert 2 == len(kept)
