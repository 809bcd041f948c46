"""The words of a search (fts_query, issue 13): every typed word counts once in the ranking,
and the services that match are the ones the query with all the last word's forms matched.

The last word is being typed, so fts_query ORs in its shorter forms ("housi" must reach
"housing", stemmed "hous").  It used to OR every one of them: FTS5 stems a prefix term too,
so "services"* OR "service"* OR "servic"* was "servic"* three times, and bm25 counted that
word three times.  Now it keeps one form per stem and none whose matches a kept form already
has; `all_forms_query` below is the old builder, the reference for the set of matches.
"""

import re
import threading

import pytest

import fieldapp.accounts  # noqa: F401  (the foundation's import order: accounts first)
from fieldapp.db import connect
from fieldapp.directory import search as directory_search
from fieldapp.directory.search import BM25, fts_query
from tests.support import make_app
from tests.support.directory import add_service, ids, search


def all_forms_query(q: str) -> str:
    """fts_query as it was before (b09590e): every shorter form of the last word OR-ed in."""
    return fts_query(q, forms=directory_search.typed_forms)


# Listings whose words come in many forms, stemmed apart or alike ("house", "hours" and
# "housing" stem to "hous", "hour", "hous"; "counselling" to "counsel", "counseling" to
# "counsel", "counsellor" to "counsellor"), with accents, beside the demo's 60.
CRAFTED = [
    ("Harbour Housing Help", "Housing help, house repairs, household goods; open hours 9-5."),
    ("Northside Shelters", "Shelters, a sheltered living room; shelf of donated clothes."),
    ("Valley Counselling", "Counselling and counseling; a counsellor; counsel on call."),
    ("Support Services Hub", "Services, service desk, servicing of devices, serving meals."),
    ("Seniors Centre", "Senior centre and seniority programs for older adults."),
    ("Food Bank North", "Food, foods and a foodbank for families; family meals."),
    ("Eviction Prevention", "Evictions stopped, evicted tenants helped, evict notices read."),
    ("Detox Centre", "Detox and detoxification, withdrawal management."),
    ("Aide légale", "Aide légale et juridique; legal aid, legalities explained."),
    ("Sécurité alimentaire", "Sécurité alimentaire pour aînés; accès facile, café."),
    ("Agency Living", "Agencies and agency staff; living, lives and lively livid talks."),
]
WORDS = ["housing", "shelters", "counselling", "services", "seniors", "food", "eviction",
         "detox", "légal", "sécurité", "aînés", "agencies", "living", "families", "hours"]


@pytest.fixture(scope="module")
def directory(tmp_path_factory):
    app = make_app(tmp_path_factory.mktemp("words"))
    db = connect(app.config["DATABASE"])
    for name, description in CRAFTED:
        add_service(db, name, description=description)
    yield db
    db.conn.close()


def typed_queries(db) -> list[str]:
    """Every prefix of the words above (as typed, unaccented and in capitals), alone and after
    another word, and every prefix of 5+ letters of the words of the demo's names."""
    names = " ".join(r[0] for r in db.execute("SELECT name FROM service").fetchall())
    demo = sorted({w.lower() for w in re.findall(r"[^\W\d_]{5,}", names)})
    queries = []
    for word in WORDS:
        for variant in {word, word.upper(), word.replace("é", "e").replace("î", "i")}:
            for n in range(1, len(variant) + 1):
                queries += [variant[:n], f"food {variant[:n]}", f"aide {variant[:n]}"]
    for word in demo:
        queries += [word[:n] for n in range(5, len(word) + 1)]
    return queries


def matches(db, match: str) -> list[int]:
    return [r[0] for r in db.execute(
        "SELECT rowid FROM service_fts WHERE service_fts MATCH ? ORDER BY rowid", [match])]


def test_the_same_services_match_as_with_every_form_of_the_last_word(directory):
    db = directory
    queries = typed_queries(db)
    assert len(queries) > 600
    fewer = 0
    for q in queries:
        new, old = fts_query(q), all_forms_query(q)
        assert matches(db, old) == matches(db, new), (q, old, new)
        assert new.count('"') <= old.count('"')
        fewer += new.count('"') < old.count('"')
    assert fewer > 100  # the rule did drop forms (services, seniors, shelters, ...)
    # Many matches at all (the words are in the listings): not a comparison of empty sets.
    assert sum(bool(matches(db, fts_query(q))) for q in queries) > len(queries) / 2


def test_the_same_services_are_found_with_every_form_of_the_last_word(directory, monkeypatch):
    db = directory
    queries = [q for word in WORDS for q in (word, word[:-1], f"food {word[:-2]}")]
    new = {q: sorted(ids(search(db, q, limit=500))) for q in queries}
    monkeypatch.setattr(directory_search, "fts_query", all_forms_query)
    assert new == {q: sorted(ids(search(db, q, limit=500))) for q in queries}


@pytest.mark.parametrize(("typed", "forms"), [
    ("services", ("services",)),            # services, service, servic: all "servic"
    ("seniors", ("senio",)),                # senior, senior, senio: "senio" matches both
    ("counselling", ("counselling",)),      # counsel; counsellin, counselli start so
    ("housi", ("hous",)),                   # housi; "hous" stems to "hou"
    ("living", ("living", "livi")),         # live and livi: neither's matches hold the other's
    ("légal", ("léga",)),                   # legal, lega
])
def test_one_form_per_stem_and_none_a_kept_one_already_matches(typed, forms):
    assert forms == directory_search._last_word_forms(typed)


def test_a_typed_word_counts_once_in_the_ranking(tmp_path):
    app = make_app(tmp_path)
    db = connect(app.config["DATABASE"])
    food_name = add_service(db, "Wombat Food Bank", description="Services for families.")
    services_name = add_service(db, "Wombat Services Hub", description="Food for families.")
    for place in ("Harbour", "Valley", "Coastal"):
        add_service(db, f"{place} Support Services", description="Outreach services.")

    def count(word):
        return db.execute("SELECT count(*) FROM service_fts WHERE service_fts MATCH ?",
                          [f'"{word}"*']).fetchone()[0]

    def ranks(match):
        return dict(db.execute(f"SELECT s.id, {BM25} FROM service_fts JOIN service s"
                               " ON s.rowid = service_fts.rowid WHERE service_fts MATCH ?",
                               [match]).fetchall())

    # "food" is the rarer word here, so a listing with it in its name comes first: each word
    # counts once.  With every form OR-ed in, "services" counted three times and the
    # listing named for it came first (bm25 -18.38 against -16.43).
    assert count("food") < count("servic")
    assert [food_name, services_name] == ids(search(db, "wombat food services"))
    assert [services_name, food_name] == sorted(
        ranks(all_forms_query("wombat food services")),
        key=ranks(all_forms_query("wombat food services")).get)
    # The bm25 of the typed words is that of one phrase per word.
    assert ranks('"wombat"* AND "food"* AND "servic"*') == pytest.approx(
        ranks(fts_query("wombat food services")))
    assert ranks('"wombat"* AND "food"* AND "servic"*') == pytest.approx(
        ranks(fts_query("wombat food servic")))
    db.conn.close()


def test_the_stems_are_read_per_thread(directory):
    words = [w[:n] for w in WORDS for n in range(5, len(w) + 1)] * 3
    forms = [directory_search._last_word_forms.__wrapped__(w) for w in words]
    results, errors = {}, []

    def run(n):
        try:
            results[n] = [directory_search._last_word_forms.__wrapped__(w) for w in words]
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert ([], [forms] * 4) == (errors, [results[n] for n in range(4)])
    assert directory_search._last_word_forms.cache_info().maxsize is not None
