"""What the directory's templates call: the `directory_*` template globals (links, labels in
the interface language) and the labels of days, phone kinds and listing fields."""

from __future__ import annotations

from urllib.parse import quote_plus

from babel.dates import get_day_names
from flask import g
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from fieldapp.directory import bp, cache, categories, phones

LANGUAGE_BY_NAME = {"english": "en", "french": "fr", "français": "fr", "francais": "fr"}

PHONE_TYPES = {"voice": _l("voice"), "fax": _l("fax"), "text": _l("text messages"),
               "cell": _l("mobile"), "pager": _l("pager"), "textphone": _l("TTY"),
               "video": _l("video"), "tty": _l("TTY")}

DAY_NAMES = [_l("Monday"), _l("Tuesday"), _l("Wednesday"), _l("Thursday"), _l("Friday"),
             _l("Saturday"), _l("Sunday")]

FIELD_LABELS = {
    "name": _l("Name"), "alternate_name": _l("Other name"), "description": _l("Description"),
    "eligibility_description": _l("Eligibility"), "fees_description": _l("Fees"),
    "application_process": _l("How to apply"), "intake_phone": _l("Referral intake phone"),
    "intake_email": _l("Referral intake e-mail"), "intake_instructions":
    _l("Intake instructions"), "email": _l("E-mail"), "url": _l("Web address"),
    "alert": _l("Alert"), "keywords": _l("Keywords"), "minimum_age": _l("Minimum age"),
    "maximum_age": _l("Maximum age"),
}


@bp.app_template_global("directory_cards")
def cards(services: list[dict], labels, level: str = "h2", version=None):
    """The result cards (directory/_card.html's `card` of each), kept rendered per worker:
    cache.cards."""
    return cache.cards(services, labels, level, version)


@bp.app_template_global("directory_labels")
def labels():
    """The card strings in the current language (directory/_labels.html), kept per language."""
    return cache.labels()


@bp.app_template_global("directory_map_url")
def map_url(address: dict | None) -> str | None:
    """A link that shows the place on OpenStreetMap (no tiles served by us)."""
    if not address:
        return None
    if address.get("text"):
        return "https://www.openstreetmap.org/search?query=" + quote_plus(address["text"])
    if address.get("latitude") is not None and address.get("longitude") is not None:
        lat, lon = address["latitude"], address["longitude"]
        return f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=17/{lat}/{lon}"
    return None


@bp.app_template_global("directory_tel_url")
def tel_url(phone: dict) -> str:
    return phones.tel_url(phone)  # E.164 and ;ext= (libphonenumber)


@bp.app_template_global("directory_phone_text")
def phone_text(phone: dict) -> str:
    return phones.national(phone)  # "(902) 555-0142"; garbage stays as given


@bp.app_template_global("directory_category_label")
def category_label(code):
    return categories.label(code)


@bp.app_template_global("directory_population_label")
def population_label(code):
    label = categories.POPULATIONS.get(code)
    return str(label) if label else code


@bp.app_template_global("directory_language_label")
def language_label(code, name=None):
    """A language's name in the interface language, from the locale's own data (CLDR:
    "French", "français"); the stored name when the code is unknown."""
    key = (code or "").lower() or LANGUAGE_BY_NAME.get((name or "").lower(), "")
    if not key:
        return name or code or ""
    # Looked up once per request: a page of cards names the same few languages many times.
    cache = g.setdefault("directory_language_labels", {})
    if key not in cache:
        label = get_locale().languages.get(key)
        cache[key] = label[:1].upper() + label[1:] if label else (name or code or "")
    return cache[key]


@bp.app_template_global("directory_phone_type")
def phone_type_label(code):
    label = PHONE_TYPES.get((code or "").lower())
    return str(label) if label else code


@bp.app_template_global("directory_web_url")
def web_url(url):
    """Only http(s) links from imported data become links (never javascript: and the like)."""
    text = (url or "").strip()
    return text if text.lower().startswith(("http://", "https://")) else None


@bp.app_template_global("directory_weekday")
def weekday_name(index: int) -> str:
    """A weekday's name as written inside a sentence, from the locale's own data
    ("Tuesday", "mardi")."""
    return get_day_names("wide", locale=get_locale())[int(index) % 7]


@bp.app_template_global("directory_field_label")
def field_label(field):
    label = FIELD_LABELS.get(field)
    return str(label) if label else field
