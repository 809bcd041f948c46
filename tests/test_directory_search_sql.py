"""The search's SQL (issue 13) gives the pages that one plain statement over every match gives.

search_services ranks in the FTS index alone and cuts the hits before the filters, sorts ids
before reading wide columns, and searches near a place in widening steps (km/8 .. km).  Here a
reference written the plain way (every match, every filter, the whole radius, one ORDER BY,
as the search was before those changes) decides, on a fixed generated directory, for word,
filter, near and paging searches: the same ids in the same order, the same bm25 and distances.
"""

import json
import re
from pathlib import Path

import pytest

import fieldapp.accounts  # noqa: F401  (the foundation's import order: accounts first)
from bench.directory_search import add_rich_services, long_tail_queries
from fieldapp.db import connect
from fieldapp.directory import search as directory_search
from fieldapp.directory.search import (
    BM25,
    _distance_sql,
    _open_now_sql,
    bounding_box,
    fts_query,
)
from tests.conftest import make_app
from tests.support.directory import MONDAY_10, TZ, search

HERE = (44.65, -63.58)


def reference(db, q="", *, category=None, population=None, open_now=False,
              accepts_referrals=False, language=None, near=None, limit=21, offset=0):
    """(id, rank or distance) of the page, from one statement over every match."""
    where = ["s.archived_at IS NULL", "coalesce(s.status, 'active') NOT IN ('inactive', 'defunct')"]
    params = {"limit": limit, "offset": offset}
    if category:
        where.append("s.id IN (SELECT service_id FROM service_category WHERE category = :category)")
        params["category"] = category
    if population:
        where.append("instr(s.populations, :population) > 0")
        params["population"] = json.dumps(population)
    if accepts_referrals:
        where.append("s.accepts_referrals = 1")
    if language:
        where.append("s.id IN (SELECT service_id FROM language"
                     " WHERE lower(code) = :language OR lower(name) = :language)")
        params["language"] = language
    if open_now:
        sql, more = _open_now_sql(MONDAY_10, TZ)
        where.append(sql)
        params.update(more)
    match = fts_query(q)
    params.update(match=match, exact=q.strip().lower())
    if near:
        lat, lon, km = near
        min_lat, max_lat, min_lon, max_lon = bounding_box(lat, lon, km)
        params.update(lat=lat, lon=lon, km=km, min_lat=min_lat, max_lat=max_lat,
                      min_lon=min_lon, max_lon=max_lon,
                      name_match="name : (" + match.replace(" AND ", " OR ") + ")")
        words = ("AND s.rowid IN (SELECT rowid FROM service_fts WHERE service_fts MATCH :match)"
                 if match else "")
        name_first = ("lower(s.name) = :exact DESC, s.rowid IN (SELECT rowid FROM service_fts"
                      " WHERE service_fts MATCH :name_match) DESC," if match else "")
        sql = f"""SELECT s.id, near.distance FROM service s JOIN (
                SELECT s2.id, (SELECT min({_distance_sql(db)})
                    FROM service_at_location sal JOIN location lo ON lo.id = sal.location_id
                    WHERE sal.service_id = s2.id
                      AND lo.latitude BETWEEN :min_lat AND :max_lat
                      AND lo.longitude BETWEEN :min_lon AND :max_lon
                      AND coalesce(lo.confidential, 0) = 0) AS distance
                FROM service s2) AS near ON near.id = s.id
            WHERE near.distance <= :km {words} AND {' AND '.join(where)}
            ORDER BY near.distance, {name_first} s.name COLLATE NOCASE, s.id
            LIMIT :limit OFFSET :offset"""
    elif match:
        sql = f"""SELECT s.id, {BM25} AS rank FROM service s
            JOIN service_fts ON service_fts.rowid = s.rowid
            WHERE service_fts MATCH :match AND {' AND '.join(where)}
            ORDER BY lower(s.name) = :exact DESC, rank, s.name COLLATE NOCASE, s.id
            LIMIT :limit OFFSET :offset"""
    else:
        sql = f"""SELECT s.id, NULL FROM service s WHERE {' AND '.join(where)}
            ORDER BY s.name COLLATE NOCASE, s.id LIMIT :limit OFFSET :offset"""
    return [tuple(row) for row in db.execute(sql, params).fetchall()]


def page(db, q="", **filters):
    found = search(db, q, **filters)
    key = "distance" if filters.get("near") else "rank"
    return [(s["id"], s.get(key)) for s in found]


@pytest.fixture(scope="module")
def directory(tmp_path_factory):
    """The demo plus 700 generated rich listings (2-4 locations each around HERE), some
    archived, and 30 of its two-word queries."""
    path = tmp_path_factory.mktemp("sql")
    app = make_app(path)
    db = connect(app.config["DATABASE"])
    add_rich_services(db, 700, seed=21)
    with db.atomic():
        db.execute("UPDATE service SET archived_at = '2026-01-01' WHERE rowid % 17 = 0")
        db.execute("UPDATE service SET status = 'inactive' WHERE rowid % 23 = 0")
    queries = long_tail_queries(Path(app.config["DATABASE"]), want=30, seed=21)
    yield db, queries
    db.conn.close()


FILTERS = [
    {},
    {"category": "food_basic_needs"},
    {"category": "legal", "open_now": True},
    {"open_now": True},
    {"language": "ar"},
    {"accepts_referrals": True, "population": "senior_65_plus"},
    {"population": "veteran", "language": "fr", "open_now": True},
]
WORDS = ["", "shelter", "shel", "food bank", "counselling", "youth", "program services",
         "crisis", "zzqx"]


@pytest.fixture(params=["shipped", "short"])
def cuts(request, monkeypatch):
    """The first passes as shipped, and so short that the second pass runs often."""
    if request.param == "short":
        monkeypatch.setattr(directory_search, "HITS", 3)
        monkeypatch.setattr(directory_search, "HITS_FILTERED", 7)
        monkeypatch.setattr(directory_search, "HEAD", 9)


@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: "+".join(f) or "none")
def test_word_and_filter_pages_are_those_of_one_plain_statement(directory, filters, cuts):
    db, queries = directory
    for q in WORDS + queries:
        for limit, offset in ((21, 0), (5, 0), (21, 21), (10, 395)):
            expected = reference(db, q, limit=limit, offset=offset, **filters)
            assert expected == page(db, q, limit=limit, offset=offset, **filters), (q, limit,
                                                                                     offset)


@pytest.mark.parametrize("km", [0.5, 2.0, 5.0, 10.0, 40.0])
@pytest.mark.parametrize("filters", FILTERS[:4], ids=lambda f: "+".join(f) or "none")
def test_near_pages_are_those_of_the_whole_radius(directory, km, filters):
    db, queries = directory
    for q in WORDS + queries[:10]:
        for where in (HERE, (44.80, -63.30)):
            for limit, offset in ((21, 0), (3, 0), (5, 5), (21, 21)):
                near = (*where, km)
                expected = reference(db, q, near=near, limit=limit, offset=offset, **filters)
                assert expected == page(db, q, near=near, limit=limit, offset=offset,
                                        **filters), (q, near, limit, offset)


def test_the_directory_exercises_the_cut_and_the_steps(directory):
    db, _queries = directory
    # A common word has more hits than the first pass keeps (200 / 400 with a filter) ...
    hits = db.execute("SELECT count(*) FROM service_fts WHERE service_fts MATCH ?",
                      [fts_query("program services")]).fetchone()[0]
    assert hits > 400
    # ... and a short radius holds a few services, a long one many.
    assert 0 < len(reference(db, near=(*HERE, 2.0), limit=1000)) < 100
    assert len(reference(db, near=(*HERE, 40.0), limit=1000)) > 500


def test_merging_the_words_index_changes_no_result(directory):
    db, queries = directory
    segments = "SELECT count(DISTINCT segid) FROM service_fts_idx"
    searches = [(q, filters) for q in WORDS + queries for filters in FILTERS[:3]]
    before = [page(db, q, **filters) for q, filters in searches]
    assert db.execute(segments).fetchone()[0] > 1  # the bulk load left several
    with db.atomic():
        directory_search.merge_index(db)
    assert 1 == db.execute(segments).fetchone()[0]
    assert before == [page(db, q, **filters) for q, filters in searches]


def test_the_prefix_indexes_change_no_result(directory, tmp_path):
    """The words index keeps prefix indexes (migrations.py: add_search_prefix_index); the same
    directory indexed without them gives the same pages, bm25 values included."""
    db, queries = directory
    table = "SELECT sql FROM sqlite_master WHERE name = 'service_fts'"
    assert "prefix='2 3 4 5 6 7 8 9 10'" in db.execute(table).fetchone()[0]
    searches = [(q, filters) for q in WORDS + queries for filters in FILTERS[:3]]
    with_prefixes = [page(db, q, **filters) for q, filters in searches]
    copy = tmp_path / "without-prefixes.db"
    db.execute("VACUUM INTO ?", [str(copy)])
    plain = connect(str(copy))
    sql = plain.execute(table).fetchone()[0]
    with plain.atomic():
        plain.execute("DROP TABLE service_fts")
        plain.execute(re.sub(r"prefix='[^']*',\s*", "", sql))
        plain.execute("INSERT INTO service_fts(service_fts) VALUES('rebuild')")
    assert "prefix" not in plain.execute(table).fetchone()[0]
    assert with_prefixes == [page(plain, q, **filters) for q, filters in searches]
    plain.conn.close()


@pytest.mark.parametrize("km", [0.0, 0.001])
def test_a_zero_or_tiny_radius_is_answered(directory, km):
    db, _queries = directory
    assert reference(db, near=(*HERE, km)) == page(db, near=(*HERE, km))
    assert reference(db, "shelter", near=(*HERE, km)) == page(db, "shelter", near=(*HERE, km))
