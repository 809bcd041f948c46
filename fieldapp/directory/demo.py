"""Demo directory (fictional): about 60 services of a Halifax-like city, loaded through the HSDS
importer from the 3.1 package in demo_hsds/ (written by demo_build.py).

The three organization ids below are fixed: demo accounts belong to them.  Verified dates in the
package are relative to demo_build.REFERENCE_DATE and are moved to the day the demo loads, so
"verified N days ago" (and the stale ones, over 180 days) stay true.  Idempotent: loading again
on the same day changes nothing.
"""

import copy
from datetime import date, timedelta
from pathlib import Path

from sqlite_utils import Database

from fieldapp.db import writing
from fieldapp.directory import hsds

CRISIS_TEAM_ID = "6f1c2d3e-5a4b-4c8d-9e0f-000000000001"
YOUTH_SHELTER_ID = "6f1c2d3e-5a4b-4c8d-9e0f-000000000002"
SENIORS_SERVICE_ID = "6f1c2d3e-5a4b-4c8d-9e0f-000000000003"

PACKAGE = Path(__file__).parent / "demo_hsds"
REFERENCE_DATE = date(2026, 3, 1)  # = demo_build.REFERENCE_DATE

_parsed = None


def _package():
    """The package read and normalized once per process (tests load the demo for every test)."""
    global _parsed
    if _parsed is None:
        report = hsds.ImportReport("demo_hsds")
        tables, derived = hsds.collect(hsds.read_input(PACKAGE, report), report)
        assert not report.problems, report.to_text()
        _parsed = (tables, derived)
    return _parsed


def load(db: Database, config: dict, now: str) -> None:
    tables, derived = _package()
    shift = date.fromisoformat(now[:10]) - REFERENCE_DATE
    services = []
    for row in tables["service"]:
        row = dict(row)
        if row.get("assured_date"):
            row["assured_date"] = (date.fromisoformat(row["assured_date"]) + shift).isoformat()
        services.append(row)
    tables = {**tables, "service": services}
    report = hsds.ImportReport("demo_hsds")
    with writing(db):
        hsds.write(db, tables, copy.deepcopy(derived), report, now,
                   police_services=list(config.get("POLICE_SERVICES") or []))


def days_ago(now: str, days: int) -> str:
    return (date.fromisoformat(now[:10]) - timedelta(days=days)).isoformat()
