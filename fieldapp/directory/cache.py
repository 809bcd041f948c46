"""The directory's rendered search pages and results, kept per worker.

`rendered`: the key holds everything the directory's search page and results depend on, so a hit is
exact: the directory's version (bumped by triggers on every write to a listing), the local
minute (open-now badges, "opens at", "verified N days ago"), the page's language, the user's
role (and a partner's organization: its own listings), and the search.
FIELDAPP_DIRECTORY_RESULTS_CACHE=0 turns it off.

`around`: the search page around the results (the form, its options), kept whatever the words
typed: they and the results are filled in.  `results`: the results around their cards, kept
per language and shape (how many, which page links); the cards and links are filled in.
FIELDAPP_DIRECTORY_FORM_CACHE=0 turns both off.

`cards`: the result cards, kept across searches (a long-tail search shows cards that other
searches showed): the parts that show the listing per listing, directory version, language
and heading level; the hours badge, distance and verification, which change with the clock
and the search, per value and language.  FIELDAPP_DIRECTORY_CARD_CACHE=0 turns it off.

`page`: the whole search page around its content (base.html: head, menu, sync bar), kept per
user, language and what else it shows; the CSRF token, the server's clock, the address and the
content are filled in.  FIELDAPP_DIRECTORY_PAGE_CACHE=0 turns it off.

`details`: a listing's card details (phones, schedules, languages, addresses, categories) as
search.py reads them, kept per listing and directory version (packed, about 2 KB each): a
search reads its page's children only for the listings no earlier search showed; the search
page's services carry only their hours and verification (`card_details`), the rest is made
when a card is rendered.  FIELDAPP_DIRECTORY_DETAILS_CACHE=0 turns it off.
"""

from __future__ import annotations

import marshal
import re
import secrets
import threading
import weakref
from collections.abc import Callable
from datetime import datetime

from cachetools import LRUCache
from flask import (
    current_app,
    get_template_attribute,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_login import current_user
from markupsafe import Markup, escape

from fieldapp.directory import categories
from fieldapp.directory.search import card_fields, local_now


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


def _joined(parts: tuple, live: dict) -> str:
    """A kept copy's `parts` joined, each stand-in replaced by its live text in `live`."""
    return "".join([live.get(part, part) for part in parts])


# Stand-ins for the cards and the links to the previous and next page of results.
_CARDS, _PREV, _NEXT = (f"fieldapp-{secrets.token_hex(12)}" for _ in range(3))
_RESULTS_LIVE = re.compile("(" + "|".join((_CARDS, _PREV, _NEXT)) + ")")


def results(template: str, context: dict) -> Markup:
    """`template` (the results) rendered with `context`, or this worker's copy of it for
    results of the same shape with the cards and the links to the previous and next page
    filled in.  The key: the language and every plain value of the context (a list by its
    length, a dict by whether it is empty), so the count, the headings and which links show.
    A list of results around a place, or the browsing page, is rendered as it is.  A copy is
    kept only when, filled in, it equals the results rendered afresh in the same request.
    FIELDAPP_DIRECTORY_FORM_CACHE=0 turns it off (with `around`)."""
    size = int(current_app.config.get("DIRECTORY_FORM_CACHE", 0))
    if size <= 0 or context.get("place") or context.get("browsing"):
        return Markup(render_template(template, **context))
    key = (template, str(get_locale()), tuple(sorted(
        (name, len(value) if isinstance(value, list)
         else bool(value) if isinstance(value, dict) else value)
        for name, value in context.items()
        if isinstance(value, (str, int, float, bool, type(None), list, dict)))))
    cache, lock = current_app.extensions.setdefault(
        "fieldapp.directory_results_around", (LRUCache(maxsize=size), threading.Lock()))
    with lock:
        kept = cache.get(key)
    if kept is not None:
        return _filled(*kept, context)
    html = render_template(template, **context)
    called = []

    def cards_stand_in(services, labels_module, level="h2", version=None):
        called.append(level)
        return Markup(_CARDS)

    def url_stand_in(endpoint, **values):
        if endpoint == "directory.search" and values and values == context.get("prev_args"):
            return _PREV
        if endpoint == "directory.search" and values and values == context.get("next_args"):
            return _NEXT
        return url_for(endpoint, **values)

    shell = render_template(template, **context, directory_cards=cards_stand_in,
                            url_for=url_stand_in)
    parts = tuple(_RESULTS_LIVE.split(shell))
    if len(called) == 1 and parts.count(_CARDS) == 1 and _filled(parts, called[0],
                                                                  context) == html:
        with lock:
            cache[key] = (parts, called[0])
    return Markup(html)


def _filled(parts: tuple, level: str, context: dict) -> Markup:
    """The results kept as `parts` with their cards (heading `level`) and links filled in."""
    live = {_CARDS: cards(context["results"], labels(), level, context["directory_version"])}
    for stand_in, args in ((_PREV, context.get("prev_args")), (_NEXT, context.get("next_args"))):
        if args:
            live[stand_in] = escape(url_for("directory.search", **args))
    return Markup(_joined(parts, live))


class Kept:
    """A dict kept per worker and bounded: when full, the entry kept first leaves first.  Reads
    take no lock (a dict's get is atomic); writes take it."""

    def __init__(self, size: int):
        self.size, self.data, self.lock = size, {}, threading.Lock()

    def __len__(self) -> int:
        return len(self.data)

    def get(self, key):
        return self.data.get(key)

    def put(self, key, value) -> None:
        with self.lock:
            if key not in self.data and len(self.data) >= self.size:
                del self.data[next(iter(self.data))]
            self.data[key] = value


def _kept(name: str, size: int) -> Kept:
    """The app's Kept `name` (current_app.extensions[name] = (kept, its lock))."""
    found = current_app.extensions.get(name)
    if found is None:
        kept = Kept(size)
        found = current_app.extensions.setdefault(name, (kept, kept.lock))
    return found[0]


class _Entry:
    """A listing's card details (search._read_card_details) at one directory version: its
    schedule rows and opening pattern as they are (its hours, on every search), the whole
    details packed (marshal, about a quarter of the tuples' memory: every listing of a
    directory of thousands fits), read back only to render its card."""

    __slots__ = ("schedules", "pattern", "packed")

    def __init__(self, details: tuple, packed: bytes | None = None):
        self.schedules, self.pattern = details[1], details[2]
        self.packed = marshal.dumps(details) if packed is None else packed

    def details(self) -> tuple:
        return marshal.loads(self.packed)


class _ReadEntry(_Entry):
    """An entry as `put` gives it back to the search that read its details: the same, with the
    details it was made from (not unpacked again for its first card; never kept)."""

    __slots__ = ("read",)

    def __init__(self, details: tuple):
        super().__init__(details)
        self.read = details

    def details(self) -> tuple:
        return self.read


class _Details:
    """The card details of the listings at one directory version (search._with_card_details
    reads them through get_many and put): the details tuples.  The details are shared, never
    changed."""

    cards = False

    def __init__(self, kept: Kept, version: int):
        self.kept, self.version = kept, version

    def _entries(self, service_ids: list[str]):
        version, get = self.version, self.kept.get
        return ((sid, get((sid, version))) for sid in service_ids)

    def get_many(self, service_ids: list[str]) -> dict:
        """{id: details} of the ids kept."""
        return {sid: entry.details() for sid, entry in self._entries(service_ids) if entry}

    def put(self, service_id: str, details: tuple) -> tuple:
        self.kept.put((service_id, self.version), _Entry(details))
        return details


class _CardDetails(_Details):
    """The same, for the search page, whose cards `cards` keeps rendered: the entries
    (schedules and pattern for the hours; the details only when a card is rendered)."""

    cards = True

    def get_many(self, service_ids: list[str]) -> dict:
        return {sid: entry for sid, entry in self._entries(service_ids) if entry}

    def put(self, service_id: str, details: tuple) -> _Entry:
        entry = _ReadEntry(details)
        self.kept.put((service_id, self.version), _Entry(details, entry.packed))
        return entry


def _details_kept(version) -> Kept | None:
    size = int(current_app.config.get("DIRECTORY_DETAILS_CACHE", 0))
    if size <= 0 or version is None:
        return None
    return _kept("fieldapp.directory_details", size)


def details(version) -> _Details | None:
    """The card details kept for the directory at `version` (read once by the request: a
    listing written since then files its details under the old version, never looked up
    again), or None when it is off."""
    kept = _details_kept(version)
    return None if kept is None else _Details(kept, version)


def card_details(version) -> _Details | None:
    """What the search page's cards need kept (`details`' entries; `cards` renders them), or
    `details` when the cards are not kept."""
    kept = _details_kept(version)
    if kept is None or int(current_app.config.get("DIRECTORY_CARD_CACHE", 0)) <= 0:
        return details(version)
    return _CardDetails(kept, version)


_CARD_MACROS = ("card", "card_head", "card_body", "hours_badge", "distance", "verified",
                "layout")


def _card_macros() -> dict:
    """The macros of directory/_card.html and the text of its `layout` around its five parts,
    looked up once per app (every time when the templates reload: debug)."""
    found = current_app.extensions.get("fieldapp.directory_card_macros")
    if found is None or current_app.jinja_env.auto_reload:
        found = {name: get_template_attribute("directory/_card.html", name)
                 for name in _CARD_MACROS}
        stand_ins = [f"fieldapp-{secrets.token_hex(12)}" for _ in range(5)]
        framed = str(found["layout"](*(Markup(s) for s in stand_ins)))
        frame = re.split("|".join(stand_ins), framed)
        assert len(frame) == 6, "directory/_card.html: layout shows each part once"
        found["frame"] = tuple(Markup(text) for text in frame)
        current_app.extensions["fieldapp.directory_card_macros"] = found
    return found


def cards(services: list[dict], labels, level: str, version) -> Markup:
    """The result cards of `services` (the `card` macro of directory/_card.html), from their
    kept parts.  `version`: the directory's version the page was searched at.

    A card is its `layout` around five parts: the head and body show the listing (kept per
    listing, version, language and heading level: `DIRECTORY_CARD_CACHE`), the hours badge,
    distance and verification change with the clock and the search (kept per value and
    language, a few hundred).  A service from `card_details` (search._with_card_details)
    carries only its hours and verification: its other fields are made from its kept details
    when its head and body are rendered."""
    macros = _card_macros()
    size = int(current_app.config.get("DIRECTORY_CARD_CACHE", 0))
    if size <= 0 or version is None:
        return Markup("".join([macros["card"](s, labels, level) for s in services]))
    kept = _kept("fieldapp.directory_cards", size)
    live = _kept("fieldapp.directory_card_live", _LIVE_KEPT)
    # The language: `labels` is the module labels() keeps per app and language, so the same
    # object for the same language (get_locale per card cost more than the card's look-up).
    language = labels if labels in _LABEL_MODULES else str(get_locale())
    frame = macros["frame"]
    out = []
    for service in services:
        key = (service["id"], version, language, level)
        parts = kept.get(key)
        if parts is None:
            entry = service.get("card_details")
            full = service if entry is None else card_fields(service, entry.details())
            parts = (macros["card_head"](full, labels, level), macros["card_body"](full, labels))
            kept.put(key, parts)
        # The hours status of a service from card_details is shared per opening pattern and
        # minute (search._hours_status): kept by its identity (the entry holds it, so its id
        # is not reused); any other by its repr (plain values, built the same way every time).
        status = service["hours"]
        shared = "card_details" in service
        hours_key = ("hours", language, id(status) if shared else repr(status))
        hours_html = live.get(hours_key)
        if hours_html is None or (shared and hours_html[0] is not status):
            hours_html = (status, macros["hours_badge"](service, labels))
            live.put(hours_key, hours_html)
        distance_key = ("distance", language, service.get("distance"))
        distance_html = live.get(distance_key)
        if distance_html is None:
            distance_html = macros["distance"](service, labels)
            live.put(distance_key, distance_html)
        verified_key = ("verified", language, service.get("verified_days"),
                        service.get("stale"))
        verified_html = live.get(verified_key)
        if verified_html is None:
            verified_html = macros["verified"](service, labels)
            live.put(verified_key, verified_html)
        out += (frame[0], parts[0], frame[1], hours_html[1], frame[2], distance_html, frame[3],
                parts[1], frame[4], verified_html, frame[5])
    return Markup("".join(out))


# The live parts of cards kept per worker (hours badges, distances, verification lines per
# language): a few hundred values in a day.
_LIVE_KEPT = 4096


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
        return _joined(parts, live)
    kept_count = (lambda: count)  # noqa: E731 - read once above, not again per render
    html = render_template(template, content_html=content_html, pwa_server_now=now,
                           pwa_records_to_review=kept_count)
    shell = render_template(template, content_html=Markup(_CONTENT), pwa_server_now=_NOW,
                            pwa_records_to_review=kept_count, csrf_token=lambda: _CSRF,
                            request=_RequestStandIn(request._get_current_object()))
    parts = tuple(_LIVE.split(shell))
    if parts.count(_CONTENT) == 1 and _joined(parts, live) == html:
        with lock:
            cache[key] = parts
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
