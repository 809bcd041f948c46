"""Issue 18: fieldapp's own export (CSV and JSON) imported again changes nothing: every row
"unchanged", every table's count kept, source_id kept, no taxonomy term or parent lost; and
imported into a fresh directory it gives every row again, exactly."""

import json

import pytest

import fieldapp.accounts  # noqa: F401  (the foundation needs accounts imported before security)
from bench.hsds_messy import write_messy
from fieldapp.db import connect, migrate
from fieldapp.directory import hsds
from tests.support import NOW
from tests.support.hsds_schema import FIXTURES, strict_errors

LATER = "2026-04-01T00:00:00+00:00"
SOURCES = ["messy", "examples", "ohana"]


def counts(db):
    return {table: db[table].count for table in hsds.ORDER}


def snapshot(db):
    return {table: {r["id"]: r for r in db.query(f"select * from [{table}]")}
            for table in hsds.ORDER}


def package_of(source, tmp_path):
    if source == "messy":
        write_messy(tmp_path / "in", services=300)
        return tmp_path / "in"
    if source == "examples":
        return FIXTURES / "examples-3.1" / "csv"
    return FIXTURES / "ohana-smc"


def export(db, fmt, out):
    """fieldapp's own export, internal (confidential locations too), and what to import of it:
    the CSV package's folder, or the JSON export's folder (services.json and tabular.json)."""
    if fmt == "csv":
        hsds.export_csv(db, out, internal=True)
    else:
        hsds.export_json(db, out, internal=True)
    return out


@pytest.mark.parametrize("fmt", ["csv", "json"])
@pytest.mark.parametrize("source", SOURCES)
def test_import_export_import_changes_nothing(app, db, tmp_path, fmt, source):
    with app.app_context():
        hsds.import_package(db, package_of(source, tmp_path), NOW)
        before, rows = counts(db), snapshot(db)
        out = tmp_path / "out"
        if fmt == "csv":
            hsds.export_csv(db, out, internal=True)
            again = hsds.import_package(db, out, LATER)
        else:
            hsds.export_json(db, out, internal=True)
            again = hsds.import_package(db, out / "services.json", LATER)
    assert 0 == again.changed, again.to_text()
    assert before == counts(db)
    after = snapshot(db)
    for table, old in rows.items():
        for row_id, row in old.items():
            assert row == after[table][row_id], (table, row_id)


def dangling_parents(db):
    return db.execute("select count(*) from taxonomy_term where parent_id is not null and "
                      "parent_id not in (select id from taxonomy_term)").fetchone()[0]


def app_rows(db):
    """What an import derives beside the HSDS tables: categories and police partnerships."""
    return (sorted(map(tuple, db.execute("select * from service_category").fetchall())),
            sorted(map(tuple, db.execute("select * from service_partnership").fetchall())))


@pytest.mark.parametrize("fmt", ["csv", "json"])
@pytest.mark.parametrize("source", SOURCES)
def test_the_export_imported_into_a_fresh_directory_is_the_same_directory(app, tmp_path, fmt,
                                                                          source):
    """Import -> export -> import into a fresh database: every count of every table equal,
    every row equal (source_id and every taxonomy term and parent kept), every row "unchanged"
    when the export is imported again; both directories start empty (the demo's rows were not
    imported, so they would differ by their dates alone)."""
    first, fresh = (connect(str(tmp_path / name)) for name in ("first.db", "fresh.db"))
    migrate(first)
    migrate(fresh)
    with app.app_context():
        one = hsds.import_package(first, package_of(source, tmp_path), NOW)
        out = export(first, fmt, tmp_path / "out")
        two = hsds.import_package(fresh, out, NOW)
        again = hsds.import_package(fresh, export(fresh, fmt, tmp_path / "again"), LATER)
    assert counts(first) == counts(fresh)
    assert all(counts(first)[t] for t in ("service", "organization", "location"))
    before, after = snapshot(first), snapshot(fresh)
    for table, rows in before.items():
        for row_id, row in rows.items():
            assert row == after[table].get(row_id), (table, row_id)
    assert app_rows(first) == app_rows(fresh)
    assert dangling_parents(first) == dangling_parents(fresh)
    assert {k: n for k, n in one.problems.items() if k[0] == "dangling_reference"} == \
        {k: n for k, n in two.problems.items() if k[0] == "dangling_reference"}
    assert 0 == again.changed, again.to_text()
    assert snapshot(fresh) == after


def test_every_taxonomy_term_and_parent_survives_the_json_route(app, tmp_path):
    """Ohana's 290 terms, of which services use 6: all of them, with their parents."""
    first, fresh = (connect(str(tmp_path / name)) for name in ("first.db", "fresh.db"))
    migrate(first)
    migrate(fresh)
    with app.app_context():
        hsds.import_package(first, FIXTURES / "ohana-smc", NOW)
        hsds.import_package(fresh, export(first, "json", tmp_path / "out"), NOW)
    assert 290 == fresh["taxonomy_term"].count == first["taxonomy_term"].count
    with_parent = fresh.execute("select count(*) from taxonomy_term where parent_id is not null"
                                ).fetchone()[0]
    assert with_parent > 200
    assert 0 == dangling_parents(fresh) == dangling_parents(first)
    used = fresh.execute("select count(distinct taxonomy_term_id) from attribute").fetchone()[0]
    assert used < 10
    # tabular.json: HSDS's tabular JSON (keyed by CSV file name), each row strictly valid
    tabular = json.loads((tmp_path / "out" / "tabular.json").read_text())
    assert 290 - used == len(tabular["taxonomy_terms.csv"])
    assert set(tabular) <= set(hsds.CSV_FILE.values())
    table = {file: t for t, file in hsds.CSV_FILE.items()}
    assert [] == [e for file, rows in tabular.items() for row in rows
                  for e in strict_errors(hsds.HSDS_NAME[table[file]], row)]
