"""The board report's hand-built dataset (tests/support/reports.py): the loader really wipes the
demo rows, so the figures are only these."""

import fieldapp.cli  # noqa: F401  (imports the areas in the app's order)
from fieldapp.db import connect
from tests.support import make_app
from tests.support.reports import CONTACTS, REFERRALS, REPORT_NOW, load


def test_dataset_replaces_demo_rows(tmp_path):
    app = make_app(tmp_path, NOW=REPORT_NOW)
    load(app.config["DATABASE"])
    db = connect(app.config["DATABASE"])
    assert len(CONTACTS) == db["contact"].count
    assert len(REFERRALS) == db["referral"].count
    assert 23 == db["calls_for_service"].count
    assert [] == list(db.query("PRAGMA foreign_key_check"))
