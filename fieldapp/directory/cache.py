"""The directory's rendered search pages and results, kept per worker.

`rendered`: the key holds everything the directory's search page and results depend on, so a hit is
exact: the directory's version (bumped by triggers on every write to a listing), the local
minute (open-now badges, "opens at", "verified N days ago"), the page's language, the user's
role (and a partner's organization: its own listings), and the search.
FIELDAPP_DIRECTORY_RESULTS_CACHE=0 turns it off.

`around`: the search page around the results (the form, its options), kept whatever the words
typed: they and the results are filled in.  FIELDAPP_DIRECTORY_FORM_CACHE=0 turns it off.

`card`: one result card, kept across searches (a long-tail search shows cards that other
searches showed).  Its key is what the card shows: the listing at the directory's version, its
hours and verification as computed for now (so a card changes only when its badge does, not
every minute), the distance, the heading level and the language.
FIELDAPP_DIRECTORY_CARD_CACHE=0 turns it off.

`page`: the whole search page around its content (base.html: head, menu, sync bar), kept per
user, language and what else it shows; the CSRF token, the server's clock, the address and the
content are filled in.  FIELDAPP_DIRECTORY_PAGE_CACHE=0 turns it off.

`details`: a listing's card details (phones, schedules, languages, addresses, categories) as
search.py reads them, kept per listing and directory version (compact tuples, about 3 KB
each): a search reads its page's children only for the listings no earlier search showed.
FIELDAPP_DIRECTORY_DETAILS_CACHE=0 turns it off.
"""

from __future__ import annotations

import re
import secrets
import threading
import weakref
from collections.abc import Callable
from datetime import datetime

from cachetools import LRUCache
from flask import current_app, get_template_attribute, render_template, request, session
from flask_babel import get_locale
from flask_login import current_user
from markupsafe import Markup, escape

from fieldapp.directory import categories
from fieldapp.directory.search import local_now


def rendered(template: str, criteria: dict, version: int, now: datetime, tz: str,
             make: Callable[[], Markup]) -> Markup:
    """`make()` (`template` rendered for this search), or this worker's copy of it.
    `version`: the directory's version (snapshot.data_version), read once by the request."""
    size = int(current_app.config.get("DIRECTORY_RESULTS_CACHE", 0))
    if size <= 0:
        return make()
    cache, lock = current_app.extensions.setdefault(
        "fieldapp.directory_results", (LRUCache(maxsize=size), threading.Lock()))
    user = current_user._get_current_object()
    key = (template, str(get_locale()), user.role,
           user.organization_id if user.role == "partner" else None,
           tuple(sorted(criteria.items())), version,
           local_now(now, tz).strftime("%Y-%m-%dT%H:%M"))
    with lock:
        html = cache.get(key)
    if html is None:
        html = make()
        with lock:
            cache[key] = html
    return html


# Stand-ins for the words typed and the results while the page around them is rendered: random
# per process, so no text a user types or a listing holds can be taken for them.
_WORDS, _RESULTS = (f"fieldapp-{secrets.token_hex(12)}" for _ in range(2))


def around(template: str, criteria: dict, version: int, results_html: Markup,
           context: Callable[[dict, Markup], dict]) -> Markup:
    """`template` (the search page's content) rendered with `context(criteria, results_html)`,
    or this worker's copy of it rendered for the same filters with the words and results filled
    in.  The words appear once in the page (the search box), escaped as Jinja escapes them; with
    a position (near), they are also in a link, so that page is kept per search."""
    size = int(current_app.config.get("DIRECTORY_FORM_CACHE", 0))
    if size <= 0:
        return Markup(render_template(template, **context(criteria, results_html)))
    cache, lock = current_app.extensions.setdefault(
        "fieldapp.directory_around", (LRUCache(maxsize=size), threading.Lock()))
    general = criteria if criteria["near"] else {**criteria, "q": _WORDS}
    user = current_user._get_current_object()
    key = (template, str(get_locale()), user.role,
           user.organization_id if user.role == "partner" else None,
           tuple(sorted(general.items())), version)
    with lock:
        parts = cache.get(key)
    if parts is None:
        html = render_template(template, **context(general, Markup(_RESULTS)))
        if html.count(_RESULTS) != 1 or html.count(_WORDS) != (0 if criteria["near"] else 1):
            # Not the page this was made for (a template changed): rendered as it is.
            return Markup(render_template(template, **context(criteria, results_html)))
        head, tail = html.split(_RESULTS)
        parts = tuple(Markup(part) for part in (
            (*head.split(_WORDS), tail) if not criteria["near"] else (head, tail)))
        with lock:
            cache[key] = parts
    if len(parts) == 3:
        return Markup(parts[0] + escape(criteria["q"]) + parts[1] + results_html + parts[2])
    return Markup(parts[0] + results_html + parts[1])


class _Details:
    """The card details of the listings at one directory version (search._with_card_details
    reads them through get_many and put).  The details are shared, never changed."""

    def __init__(self, cache: LRUCache, lock: threading.Lock, version: int):
        self.cache, self.lock, self.version = cache, lock, version

    def get_many(self, service_ids: list[str]) -> dict:
        """{id: details} of the ids kept (one lock for a page)."""
        with self.lock:
            found = ((sid, self.cache.get((sid, self.version))) for sid in service_ids)
            return {sid: details for sid, details in found if details is not None}

    def put(self, service_id: str, details: tuple) -> None:
        with self.lock:
            self.cache[(service_id, self.version)] = details


def details(version) -> _Details | None:
    """The card details kept for the directory at `version` (read once by the request: a
    listing written since then files its details under the old version, never looked up
    again), or None when it is off."""
    size = int(current_app.config.get("DIRECTORY_DETAILS_CACHE", 0))
    if size <= 0 or version is None:
        return None
    cache, lock = current_app.extensions.setdefault(
        "fieldapp.directory_details", (LRUCache(maxsize=size), threading.Lock()))
    return _Details(cache, lock, version)


def _card_macro():
    """The `card` macro of directory/_card.html, looked up once per app (every time when the
    templates reload: debug)."""
    if current_app.jinja_env.auto_reload:
        return get_template_attribute("directory/_card.html", "card")
    found = current_app.extensions.get("fieldapp.directory_card_macro")
    if found is None:
        found = current_app.extensions["fieldapp.directory_card_macro"] = \
            get_template_attribute("directory/_card.html", "card")
    return found


# Stand-ins for the live parts of the page around the content (random per process).
_CSRF, _NOW, _FULL_PATH, _PATH, _CONTENT = (f"fieldapp-{secrets.token_hex(12)}" for _ in range(5))
_LIVE = re.compile("(" + "|".join((_CSRF, _NOW, _FULL_PATH, _PATH, _CONTENT)) + ")")


class _RequestStandIn:
    """The request as the page around the content reads it, its path and full path (with the
    query string: the words typed) replaced by stand-ins."""

    full_path = _FULL_PATH
    path = _PATH

    def __init__(self, real):
        self._real = real

    def __getattr__(self, name):
        return getattr(self._real, name)


def page(template: str, content_html: Markup) -> str:
    """`template` (a page that extends base.html) rendered around `content_html`, or this
    worker's copy of it for the same user, language and request shape with the live parts
    filled in: the CSRF token, the server's clock, the page's path and full path (escaped as
    Jinja escapes them) and the content.

    The key holds everything else the page shows: every plain value the context processors
    give (the pwa user key, role flags, settings), the user, role and organization, the
    language, the method, endpoint and script root, whether there is a query string, the
    install-hint cookie and the count of records to review.  Pages with flashed messages are
    rendered as they are.  A copy is kept only when, filled in, it equals the page rendered
    afresh in the same request."""
    size = int(current_app.config.get("DIRECTORY_PAGE_CACHE", 0))
    if size <= 0 or session.get("_flashes"):
        return render_template(template, content_html=content_html)
    context: dict = {}
    current_app.update_template_context(context)
    to_review = context.get("pwa_records_to_review")
    count = to_review() if callable(to_review) and context.get("pwa_can_sync") else 0
    now = context.get("pwa_server_now")
    token = context["csrf_token"]()
    plain = tuple(sorted((name, value) for name, value in context.items()
                         if isinstance(value, (str, int, float, bool, type(None)))
                         and name != "pwa_server_now"))
    user = current_user._get_current_object()
    key = (template, str(get_locale()), user.get_id(), user.role,
           getattr(user, "organization_id", None), request.method, request.endpoint,
           request.script_root, bool(request.query_string),
           bool(request.cookies.get("fieldapp_install_hint")), count, plain)
    live = {_CSRF: escape(token), _NOW: escape(now), _FULL_PATH: escape(request.full_path),
            _PATH: escape(request.path), _CONTENT: content_html}
    cache, lock = current_app.extensions.setdefault(
        "fieldapp.directory_page", (LRUCache(maxsize=size), threading.Lock()))
    with lock:
        parts = cache.get(key)
    if parts is not None:
        return "".join(live.get(part, part) for part in parts)
    kept_count = (lambda: count)  # noqa: E731 - read once above, not again per render
    html = render_template(template, content_html=content_html, pwa_server_now=now,
                           pwa_records_to_review=kept_count)
    shell = render_template(template, content_html=Markup(_CONTENT), pwa_server_now=_NOW,
                            pwa_records_to_review=kept_count, csrf_token=lambda: _CSRF,
                            request=_RequestStandIn(request._get_current_object()))
    parts = tuple(_LIVE.split(shell))
    if parts.count(_CONTENT) == 1 and "".join(live.get(p, p) for p in parts) == html:
        with lock:
            cache[key] = parts
    return html


def card(service: dict, labels, level: str, version) -> Markup:
    """The result card of `service` (the `card` macro of directory/_card.html), or this
    worker's copy of it.  `version`: the directory's version the page was searched at."""
    macro = _card_macro()
    size = int(current_app.config.get("DIRECTORY_CARD_CACHE", 0))
    if size <= 0 or version is None:
        return Markup(macro(service, labels, level))
    cache, lock = current_app.extensions.setdefault(
        "fieldapp.directory_cards", (LRUCache(maxsize=size), threading.Lock()))
    # The hours status as its repr (plain values, built the same way every time): a fast
    # hashable copy; two equal statuses that differ in it could only cost a miss.
    # The language: `labels` is the module labels() keeps per app and language, so the same
    # object for the same language (get_locale per card cost more than the card's look-up).
    key = (service["id"], version, labels if labels in _LABEL_MODULES else str(get_locale()),
           level, service.get("distance"),
           repr(service["hours"]), service.get("verified_days"), service.get("stale"))
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
        _LABEL_MODULES.add(module)
    return module


# The label modules labels() made (one per app and language): a card keyed by one of them is
# keyed by its language.
_LABEL_MODULES: weakref.WeakSet = weakref.WeakSet()


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
