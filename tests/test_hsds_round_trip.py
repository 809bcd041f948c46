"""Issue 18: fieldapp's own export (CSV and JSON) imported again changes nothing: every row
"unchanged", every table's count kept, source_id kept, no taxonomy term or parent lost."""

import pytest

import fieldapp.accounts  # noqa: F401  (the foundation needs accounts imported before security)
from bench.hsds_messy import write_messy
from fieldapp.directory import hsds
from tests.support import NOW
from tests.support.hsds_schema import FIXTURES

LATER = "2026-04-01T00:00:00+00:00"


def counts(db):
    return {table: db[table].count for table in hsds.ORDER}


def snapshot(db):
    return {table: {r["id"]: r for r in db.query(f"select * from [{table}]")}
            for table in hsds.ORDER}


@pytest.mark.parametrize("fmt", ["csv", "json"])
@pytest.mark.parametrize("source", ["messy", "examples", "ohana"])
def test_import_export_import_changes_nothing(app, db, tmp_path, fmt, source):
    if source == "messy":
        write_messy(tmp_path / "in", services=300)
        package = tmp_path / "in"
    elif source == "examples":
        package = FIXTURES / "examples-3.1" / "csv"
    else:
        package = FIXTURES / "ohana-smc"
    with app.app_context():
        hsds.import_package(db, package, NOW)
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
