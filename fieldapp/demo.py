"""Fictional demo data, loaded area by area (`flask --app fieldapp demo`; idempotent).

Each area that has demo data provides `fieldapp/<area>/demo.py` with
`load(db, config, now) -> None`; they run in AREAS order, so later areas may use earlier data.
Every name, address and phone number here is invented.
"""

import importlib
import importlib.util

from sqlite_utils import Database

AREAS = ["directory", "accounts", "contacts", "referrals", "reports"]


def load(db: Database, config: dict, now: str) -> list[str]:
    """Run every area's demo loader; return the areas loaded."""
    loaded = []
    for area in AREAS:
        name = f"fieldapp.{area}.demo"
        if importlib.util.find_spec(name) is None:
            continue
        importlib.import_module(name).load(db, config, now)
        loaded.append(area)
    return loaded
