"""The directory's rendered search pages and results, kept per worker.

The key holds everything the directory's search page and results depend on, so a hit is
exact: the directory's version (bumped by triggers on every write to a listing), the local
minute (open-now badges, "opens at", "verified N days ago"), the page's language, the user's
role (and a partner's organization: its own listings), and the search.
FIELDAPP_DIRECTORY_RESULTS_CACHE=0 turns it off.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime

from cachetools import LRUCache
from flask import current_app, render_template
from flask_babel import get_locale
from flask_login import current_user
from markupsafe import Markup

from fieldapp.directory import snapshot
from fieldapp.directory.search import local_now


def rendered(template: str, criteria: dict, db, now: datetime, tz: str,
             context: Callable[[], dict]) -> Markup:
    """`template` rendered with `context()`, or taken from this worker's cache."""
    size = int(current_app.config.get("DIRECTORY_RESULTS_CACHE", 0))
    if size <= 0:
        return Markup(render_template(template, **context()))
    cache, lock = current_app.extensions.setdefault(
        "fieldapp.directory_results", (LRUCache(maxsize=size), threading.Lock()))
    key = (template, str(get_locale()), current_user.role,
           current_user.organization_id if current_user.role == "partner" else None,
           tuple(sorted(criteria.items())), snapshot.data_version(db),
           local_now(now, tz).strftime("%Y-%m-%dT%H:%M"))
    with lock:
        html = cache.get(key)
    if html is None:
        html = Markup(render_template(template, **context()))
        with lock:
            cache[key] = html
    return html
