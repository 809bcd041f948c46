"""The directory's rendered search pages and results, kept per worker.

`rendered`: the key holds everything the directory's search page and results depend on, so a hit is
exact: the directory's version (bumped by triggers on every write to a listing), the local
minute (open-now badges, "opens at", "verified N days ago"), the page's language, the user's
role (and a partner's organization: its own listings), and the search.
FIELDAPP_DIRECTORY_RESULTS_CACHE=0 turns it off.

`card`: one result card, kept across searches (a long-tail search shows cards that other
searches showed).  Its key is what the card shows: the listing at the directory's version, its
hours and verification as computed for now (so a card changes only when its badge does, not
every minute), the distance, the heading level and the language.
FIELDAPP_DIRECTORY_CARD_CACHE=0 turns it off.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime

from cachetools import LRUCache
from flask import current_app, get_template_attribute, render_template
from flask_babel import get_locale
from flask_login import current_user
from markupsafe import Markup

from fieldapp.directory import categories
from fieldapp.directory.search import local_now


def rendered(template: str, criteria: dict, version: int, now: datetime, tz: str,
             context: Callable[[], dict]) -> Markup:
    """`template` rendered with `context()`, or taken from this worker's cache.  `version`: the
    directory's version (snapshot.data_version), read once by the request."""
    size = int(current_app.config.get("DIRECTORY_RESULTS_CACHE", 0))
    if size <= 0:
        return Markup(render_template(template, **context()))
    cache, lock = current_app.extensions.setdefault(
        "fieldapp.directory_results", (LRUCache(maxsize=size), threading.Lock()))
    key = (template, str(get_locale()), current_user.role,
           current_user.organization_id if current_user.role == "partner" else None,
           tuple(sorted(criteria.items())), version,
           local_now(now, tz).strftime("%Y-%m-%dT%H:%M"))
    with lock:
        html = cache.get(key)
    if html is None:
        html = Markup(render_template(template, **context()))
        with lock:
            cache[key] = html
    return html


def _frozen(value):
    """A hashable copy of a card's computed parts (dicts and lists of plain values)."""
    if isinstance(value, dict):
        return tuple(sorted((k, _frozen(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return tuple(_frozen(v) for v in value)
    return value


def card(service: dict, labels, level: str, version) -> Markup:
    """The result card of `service` (the `card` macro of directory/_card.html), or this
    worker's copy of it.  `version`: the directory's version the page was searched at."""
    macro = get_template_attribute("directory/_card.html", "card")
    size = int(current_app.config.get("DIRECTORY_CARD_CACHE", 0))
    if size <= 0 or version is None:
        return Markup(macro(service, labels, level))
    cache, lock = current_app.extensions.setdefault(
        "fieldapp.directory_cards", (LRUCache(maxsize=size), threading.Lock()))
    key = (service["id"], version, str(get_locale()), level, service.get("distance"),
           _frozen(service["hours"]), service.get("verified_days"), service.get("stale"))
    with lock:
        html = cache.get(key)
    if html is None:
        html = Markup(macro(service, labels, level))
        with lock:
            cache[key] = html
    return html


def labels():
    """The card strings of directory/_labels.html in the current language, translated once
    per worker and language (a results page would otherwise translate them on every render)."""
    found = current_app.extensions.setdefault("fieldapp.directory_labels", {})
    locale = str(get_locale())
    module = found.get(locale)
    if module is None:
        module = found[locale] = current_app.jinja_env.get_template(
            "directory/_labels.html").make_module()
    return module


def choices() -> dict:
    """The search form's category and population options, their labels translated once per
    worker and language (lazy strings would be translated again on every page).  Markup, as
    the lazy strings were: a label is our own text, shown as it always was."""
    found = current_app.extensions.setdefault("fieldapp.directory_choices", {})
    locale = str(get_locale())
    hit = found.get(locale)
    if hit is None:
        hit = found[locale] = {
            "categories": [(c.code, Markup(str(c.label))) for c in categories.CATEGORIES],
            "populations": [(code, Markup(str(label)))
                            for code, label in categories.POPULATIONS.items()],
        }
    return hit
