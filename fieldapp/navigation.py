"""Navigation by role, and each role's home page."""

from flask import current_app, has_request_context, request, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

# (endpoint, label) per role, in the order they appear in the menu.
NAV = {
    "officer": [
        ("contacts.new_contact", _l("Log contact")),
        ("directory.search", _l("Directory")),
        ("referrals.inbox", _l("Referrals")),
        ("contacts.my_contacts", _l("My contacts")),
    ],
    "partner": [
        ("referrals.inbox", _l("Referrals")),
        ("directory.search", _l("Directory")),
    ],
    "coordinator": [
        ("directory.search", _l("Directory")),
        ("referrals.inbox", _l("Referrals")),
        ("contacts.my_contacts", _l("Contacts")),
        ("reports.board", _l("Reports")),
        ("accounts.users", _l("Accounts")),
        ("accounts.audit", _l("Audit trail")),
        ("pwa.conflicts", _l("Sync conflicts")),
    ],
}

HOME = {"officer": "contacts.new_contact", "partner": "referrals.inbox",
        "coordinator": "directory.search"}


def nav_for(role: str | None) -> list[tuple[str, str, str]]:
    """(endpoint, url, label) for the menu of `role`: built once per app, script root (the
    URLs) and language (the labels), not on every page.  The labels are Markup, as the lazy
    strings were (our own text, shown as it always was)."""
    found = current_app.extensions.setdefault("fieldapp.nav", {})
    key = (role, request.script_root, str(get_locale()))
    menu = found.get(key)
    if menu is None:
        if len(found) > 64:  # a few roles, languages and script roots: never more
            found.clear()
        menu = found[key] = [(endpoint, url_for(endpoint), Markup(str(label)))
                             for endpoint, label in NAV.get(role or "", [])]
    return menu


def fixed_url(endpoint: str, **values) -> str:
    """url_for(endpoint, **values) for a URL that depends on nothing but the app and the script
    root (a static file, a page without arguments): built once per app, not on every page.
    Only for the templates' literal arguments (a bounded set), never for request data."""
    found = current_app.extensions.setdefault("fieldapp.fixed_urls", {})
    key = (endpoint, request.script_root if has_request_context() else None,
           *sorted(values.items()))
    url = found.get(key)
    if url is None:
        if len(found) > 512:  # the templates' literals: never this many
            found.clear()
        url = found[key] = url_for(endpoint, **values)
    return url


def home_url(role: str) -> str:
    return url_for(HOME[role])


ROLE_LABELS = {"officer": _l("Officer"), "partner": _l("Partner agency"),
               "coordinator": _l("Coordinator")}


def role_label(role: str) -> str:
    return str(ROLE_LABELS.get(role, role))
