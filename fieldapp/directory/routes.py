"""Directory pages: search and service pages for everyone; upkeep for coordinators;
edit proposals from partners for their own organization's listings."""

from __future__ import annotations

import re
import threading
from urllib.parse import quote_plus

from cachetools import LRUCache
from flask import abort, current_app, g, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup

from fieldapp import clock
from fieldapp.db import get_db, own_transaction
from fieldapp.directory import bp, categories, hours, languages, limits, phones, snapshot, store
from fieldapp.security import audit_event, found_or_404, role_required
from fieldapp.views import render

PAGE_SIZE = 20
RADIUS_CHOICES = (2, 5, 10, 25)


def _tz() -> str:
    return current_app.config.get("TIMEZONE") or "America/Halifax"


def _float(value: str | None, low: float, high: float) -> float | None:
    try:
        number = float(value) if value not in (None, "") else None
    except ValueError:
        return None
    return number if number is not None and low <= number <= high else None


def search_args(args) -> dict:
    """The search form's values, checked: unknown codes and unreadable numbers are dropped."""
    category = args.get("category") or None
    population = args.get("population") or None
    language = (args.get("language") or "").strip()[:40] or None
    lat = _float(args.get("lat"), -90, 90)
    lon = _float(args.get("lon"), -180, 180)
    km = _float(args.get("km"), 0.1, 200) or 10.0
    try:
        page = max(1, min(int(args.get("page") or 1), 500))
    except ValueError:
        page = 1
    return {
        "q": (args.get("q") or "")[:200],
        "category": category if category in categories.BY_CODE else None,
        "population": population if population in categories.POPULATIONS else None,
        "open_now": args.get("open") == "1",
        "accepts_referrals": args.get("referrals") == "1",
        "language": language,
        "near": (lat, lon, km) if lat is not None and lon is not None else None,
        "page": page,
        "all": args.get("all") == "1",
    }


def _query_args(criteria: dict, **changes) -> dict:
    """URL arguments of a search (for pages, map links, clearing a filter)."""
    values = {**criteria, **changes}
    args = {"q": values["q"] or None, "category": values["category"],
            "population": values["population"], "language": values["language"],
            "open": "1" if values["open_now"] else None,
            "referrals": "1" if values["accepts_referrals"] else None,
            "page": values["page"] if values["page"] > 1 else None,
            "all": "1" if values.get("all") else None}
    if values["near"]:
        lat, lon, km = values["near"]
        args.update(lat=f"{lat:.5f}", lon=f"{lon:.5f}", km=f"{km:g}")
    return {k: v for k, v in args.items() if v not in (None, "")}


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


def tel_url(phone: dict) -> str:
    return phones.tel_url(phone)  # E.164 and ;ext= (libphonenumber)


@bp.app_template_global("directory_has_endpoint")
def _has_endpoint(endpoint: str) -> bool:
    return endpoint in current_app.view_functions


@bp.app_template_global("directory_map_url")
def _map_url_global(address):
    return map_url(address)


@bp.app_template_global("directory_tel_url")
def _tel_url_global(phone):
    return tel_url(phone)


@bp.app_template_global("directory_category_label")
def _category_label(code):
    return categories.label(code)


@bp.app_template_global("directory_population_label")
def _population_label(code):
    label = categories.POPULATIONS.get(code)
    return str(label) if label else code


LANGUAGE_BY_NAME = {"english": "en", "french": "fr", "français": "fr", "francais": "fr"}


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
        from flask_babel import get_locale

        label = get_locale().languages.get(key)
        cache[key] = label[:1].upper() + label[1:] if label else (name or code or "")
    return cache[key]


PHONE_TYPES = {"voice": _l("voice"), "fax": _l("fax"), "text": _l("text messages"),
               "cell": _l("mobile"), "pager": _l("pager"), "textphone": _l("TTY"),
               "video": _l("video"), "tty": _l("TTY")}


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
    from babel.dates import get_day_names
    from flask_babel import get_locale

    return get_day_names("wide", locale=get_locale())[int(index) % 7]


DAY_NAMES = [_l("Monday"), _l("Tuesday"), _l("Wednesday"), _l("Thursday"), _l("Friday"),
             _l("Saturday"), _l("Sunday")]


def _fragment_for_htmx() -> bool:
    # A history restore (back button after hx-push-url) needs the whole page.
    return not request.headers.get("HX-History-Restore-Request")


@bp.get("/")
@role_required("officer", "partner", "coordinator")
def search():
    """Search the directory of partner services (active search; a plain GET form without JS)."""
    criteria = search_args(request.args)
    db = get_db()
    now, tz = clock.now(), _tz()

    def results_html() -> Markup:
        return _rendered("directory/_results.html", criteria, db, now,
                         lambda: _results_context(db, criteria, now, tz))

    if request.headers.get("HX-Request") and _fragment_for_htmx():
        response = render("directory/search.html", "directory/_results_slot.html",
                          results_html=results_html())
        # The address bar shows the search without the form's empty fields.
        response.headers["HX-Push-Url"] = url_for("directory.search", **_query_args(criteria))
        return response
    content_html = _rendered("directory/_search_content.html", criteria, db, now, lambda: {
        "criteria": criteria,
        "results_html": results_html(),
        "clear_near_args": _query_args(criteria, near=None, page=1),
        "radius_choices": RADIUS_CHOICES,
        "category_options": [(c.code, c.label) for c in categories.CATEGORIES],
        "population_options": list(categories.POPULATIONS.items()),
        "language_options": languages.options(db, get_locale().language),
        "own_listings": store.services_of_organization(db, current_user.organization_id)
        if current_user.role == "partner" else [],
    })
    return render("directory/search.html", content_html=content_html)


def _rendered(template: str, criteria: dict, db, now, context) -> Markup:
    """`template` rendered with `context()`, or taken from this worker's cache.

    The key holds everything the directory's search page and results depend on, so a hit is
    exact: the directory's version (bumped by triggers on every write to a listing), the
    local minute (open-now badges, "opens at", "verified N days ago"), the page's language,
    the user's role (and a partner's organization: its own listings), and the search.
    FIELDAPP_DIRECTORY_RESULTS_CACHE=0 turns it off.
    """
    size = int(current_app.config.get("DIRECTORY_RESULTS_CACHE", 0))
    if size <= 0:
        return Markup(render_template(template, **context()))
    cache, lock = current_app.extensions.setdefault(
        "fieldapp.directory_results", (LRUCache(maxsize=size), threading.Lock()))
    key = (template, str(get_locale()), current_user.role,
           current_user.organization_id if current_user.role == "partner" else None,
           tuple(sorted(criteria.items())), snapshot.data_version(db),
           store.local_now(now, _tz()).strftime("%Y-%m-%dT%H:%M"))
    with lock:
        html = cache.get(key)
    if html is None:
        html = Markup(render_template(template, **context()))
        with lock:
            cache[key] = html
    return html


def _results_context(db, criteria: dict, now, tz: str) -> dict:
    # Nothing asked yet: the crisis services (open ones first) and the categories, rather
    # than the first names of an alphabetical list of hundreds.  ?all=1 lists everything.
    browsing = not (store.fts_query(criteria["q"]) or criteria["category"]
                    or criteria["population"] or criteria["open_now"]
                    or criteria["accepts_referrals"] or criteria["language"] or criteria["near"]
                    or criteria["all"] or criteria["page"] > 1)
    if browsing:
        found = store.crisis_services(db, now=now, tz=tz, limit=5)
    else:
        found = store.search_services(
            db, criteria["q"], category=criteria["category"], population=criteria["population"],
            open_now=criteria["open_now"], accepts_referrals=criteria["accepts_referrals"],
            language=criteria["language"], near=criteria["near"], now=now, tz=tz,
            limit=PAGE_SIZE + 1, offset=(criteria["page"] - 1) * PAGE_SIZE,
        )
    more = len(found) > PAGE_SIZE
    return {
        "browsing": browsing,
        "browse_categories": [(c.code, c.label) for c in categories.CATEGORIES],
        "results": found[:PAGE_SIZE],
        "more": more,
        "next_args": _query_args(criteria, page=criteria["page"] + 1) if more else None,
        "prev_args": _query_args(criteria, page=criteria["page"] - 1)
        if criteria["page"] > 1 else None,
    }


def _refer_url(service_id: str) -> str:
    if "referrals.new_referral" in current_app.view_functions:
        return url_for("referrals.new_referral", service_id=service_id)
    return "/referrals/new?service_id=" + quote_plus(service_id)


@bp.get("/services/<service_id>")
@role_required("officer", "partner", "coordinator")
def service_detail(service_id):
    """Everything about one service: hours, phones, address, eligibility, fees, intake."""
    service = found_or_404(store.get_service(get_db(), service_id), "service", service_id)
    now, tz = clock.now(), _tz()
    today = store.local_now(now, tz).date()
    service["hours"] = hours.status(service["schedules"], now, tz)
    service.update(store.verification(service.get("assured_date"), today, _verify_days()))
    can_propose = (current_user.role == "partner"
                   and current_user.organization_id == service["organization_id"])
    return render(
        "directory/service.html",
        service=service,
        week=hours.week(service["schedules"]),
        day_names=DAY_NAMES,
        police_services=current_app.config.get("POLICE_SERVICES", {}),
        refer_url=_refer_url(service_id) if current_user.role == "officer"
        and service["accepts_referrals"] and not service.get("archived_at") else None,
        can_propose=can_propose,
    )


def _verify_days() -> int:
    return int(current_app.config.get("DIRECTORY_VERIFY_DAYS", 180))


# --- upkeep (coordinators) --------------------------------------------------------------------

TIME = re.compile(r"^(\d{1,2}):(\d{2})$")
PHONE = re.compile(r"^[0-9+()\-. ]{7,30}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE_TYPE_CHOICES = ["voice", "text", "fax", "cell", "textphone"]


def _clean_time(value: str) -> str | None:
    """"9:30" -> "09:30"; None when it is not a time of day."""
    match = TIME.match((value or "").strip())
    if not match:
        return None
    h, m = int(match.group(1)), int(match.group(2))
    return f"{h:02d}:{m:02d}" if h < 24 and m < 60 else None


def parse_service_form(form, police_services) -> tuple[dict, dict]:
    """(values, errors) of the service form; errors maps field name -> message."""
    errors: dict[str, str] = {}
    values: dict = {field: (form.get(field) or "").strip() for field in store.SERVICE_TEXT_FIELDS}
    values["organization_id"] = (form.get("organization_id") or "").strip()
    values["accepts_referrals"] = form.get("accepts_referrals") == "1"
    values["joint_police_health"] = form.get("joint_police_health") == "1"
    values["confidential"] = form.get("confidential") == "1"
    if not values["name"]:
        errors["name"] = _("Enter the service's name.")
    for field in store.SERVICE_TEXT_FIELDS:
        limit = limits.limit("service", field)
        if len(values.get(field) or "") > limit:
            errors[field] = _("At most %(n)s characters.", n=limit)
    for field in ("email", "intake_email"):
        if values[field] and not EMAIL.match(values[field]):
            errors[field] = _("Enter an e-mail address like name@example.org.")
    if values["url"] and not values["url"].lower().startswith(("http://", "https://")):
        errors["url"] = _("Enter a web address starting with https://.")
    if values["intake_phone"] and not PHONE.match(values["intake_phone"]):
        errors["intake_phone"] = _("Enter a phone number like 902-555-0100.")
    ages = {}
    for field in ("minimum_age", "maximum_age"):
        if values[field]:
            if not values[field].isdigit() or int(values[field]) > 120:
                errors[field] = _("Enter an age in years (0 to 120).")
            else:
                ages[field] = int(values[field])
    if len(ages) == 2 and ages["minimum_age"] > ages["maximum_age"]:
        errors["maximum_age"] = _("The maximum age is below the minimum age.")
    values["categories"] = [c for c in form.getlist("categories") if c in categories.BY_CODE]
    values["populations"] = [p for p in form.getlist("populations")
                             if p in categories.POPULATIONS]
    values["partnered_with"] = [p for p in form.getlist("partnered_with")
                                if p in police_services]
    values["languages"] = [code for code in dict.fromkeys(form.getlist("languages"))
                           if code and len(code) <= 40]
    phones = []
    rows = zip(form.getlist("phone_id"), form.getlist("phone_number"),
               form.getlist("phone_extension"), form.getlist("phone_type"), strict=False)
    for index, (phone_id, number, extension, kind) in enumerate(rows):
        number, extension = (number or "").strip(), (extension or "").strip()
        if not number and not extension:
            continue
        if not PHONE.match(number):
            errors[f"phone_number_{index}"] = _("Enter a phone number like 902-555-0100.")
        if extension and not extension.isdigit():
            errors[f"phone_number_{index}"] = _("The extension is digits only.")
        phones.append({"id": phone_id or None, "number": number, "extension": extension,
                       "type": kind if kind in PHONE_TYPE_CHOICES else "voice"})
    values["phones"] = phones
    address = {key: (form.get(key) or "").strip() for key in
               ("address_1", "address_2", "city", "state_province", "postal_code",
                "latitude", "longitude")}
    lat, lon = address["latitude"], address["longitude"]
    if bool(lat) != bool(lon):
        errors["latitude"] = _("Give both latitude and longitude, or neither.")
    elif lat and (_float(lat, -90, 90) is None or _float(lon, -180, 180) is None):
        errors["latitude"] = _("Latitude is -90 to 90 and longitude -180 to 180.")
    values["address"] = address
    schedule = {"always_open": form.get("always_open") == "1", "days": {}}
    for code in hours.DAY_CODES:
        shifts = []
        for n in (1, 2):
            opens, closes = form.get(f"{code}_open{n}", ""), form.get(f"{code}_close{n}", "")
            if not opens.strip() and not closes.strip():
                continue
            o, c = _clean_time(opens), _clean_time(closes)
            if o is None or c is None:
                errors[f"{code}_open{n}"] = _("Give an opening and a closing time (HH:MM).")
            elif o == c == "00:00":
                shifts.append(("00:00", "24:00"))  # midnight to midnight: all day
            elif o == c:
                errors[f"{code}_open{n}"] = _("Opening and closing times are the same.")
            else:
                shifts.append((o, c))
        schedule["days"][code] = shifts
    values["schedule"] = schedule
    return values, errors


def _organization_known(db, organization_id: str) -> bool:
    return bool(organization_id) and store.get_organization(db, organization_id) is not None


def _service_form_context(db, values, errors, service=None):
    if service is not None:
        today = store.local_now(clock.now(), _tz()).date()
        service = {**service, **store.verification(service.get("assured_date"), today,
                                                   _verify_days())}
    return {
        "values": values, "errors": errors, "service": service,
        "organizations": store.organization_choices(db),
        "category_options": [(c.code, c.label) for c in categories.CATEGORIES],
        "population_options": list(categories.POPULATIONS.items()),
        "police_services": current_app.config.get("POLICE_SERVICES", {}),
        "language_choices": list(dict.fromkeys([*store.LANGUAGES, *values.get("languages", [])])),
        "phone_types": PHONE_TYPE_CHOICES,
        "day_codes": hours.DAY_CODES, "day_names": DAY_NAMES,
        "limits": limits.SERVICE,
    }


def _blank_service_values(organization_id: str = "") -> dict:
    values = {field: "" for field in store.SERVICE_TEXT_FIELDS}
    values.update(organization_id=organization_id, accepts_referrals=False,
                  joint_police_health=False, categories=[],
                  populations=[], partnered_with=[], languages=[], phones=[], address={},
                  confidential=False,
                  schedule={"always_open": False, "days": {c: [] for c in hours.DAY_CODES}})
    return values


def _managed_service(service_id: str) -> dict:
    return found_or_404(store.get_service(get_db(), service_id), "service", service_id)


@bp.get("/manage")
@role_required("coordinator")
def manage():
    """Upkeep home: organizations and their services, and the queues that need attention."""
    db = get_db()
    q = (request.args.get("q") or "").strip()[:100]
    today = store.local_now(clock.now(), _tz()).date()
    return render(
        "directory/manage/index.html", q=q,
        organizations=store.list_organizations(db, q=q),
        stale_count=len(store.needs_verification(db, today=today, days=_verify_days(),
                                                 limit=10000)),
        proposal_count=len(store.proposals(db)),
    )


def _save_service_response(service_id: str | None):
    db = get_db()
    service = store.get_service(db, service_id) if service_id else None
    values, errors = parse_service_form(request.form,
                                        current_app.config.get("POLICE_SERVICES", {}))
    if not _organization_known(db, values["organization_id"]):
        errors["organization_id"] = _("Choose the organization that runs this service.")
    if errors:
        return render("directory/manage/service_form.html", status=400,
                      **_service_form_context(db, values, errors, service))
    saved_id = store.save_service(db, values, service_id=service_id, now=clock.iso())
    audit_event("directory_service_saved", object_type="service", object_id=saved_id,
                detail={"created": service_id is None})
    response = redirect(url_for("directory.service_detail", service_id=saved_id), 303)
    if request.headers.get("HX-Request"):
        response = current_app.response_class(status=204)
        response.headers["HX-Redirect"] = url_for("directory.service_detail",
                                                  service_id=saved_id)
    return response


@bp.route("/manage/services/new", methods=["GET", "POST"])
@role_required("coordinator")
def new_service():
    """Create a service (with hours, phones, address, languages, categories)."""
    if request.method == "POST":
        return _save_service_response(None)
    organization_id = request.args.get("organization_id", "")
    return render("directory/manage/service_form.html",
                  **_service_form_context(get_db(), _blank_service_values(organization_id), {}))


@bp.route("/manage/services/<service_id>", methods=["GET", "POST"])
@role_required("coordinator")
def edit_service(service_id):
    """Edit a service's listing; validation errors come back inline."""
    service = _managed_service(service_id)
    if request.method == "POST":
        return _save_service_response(service_id)
    return render("directory/manage/service_form.html",
                  **_service_form_context(get_db(), store.service_form_values(service), {},
                                          service))


@bp.post("/manage/services/validate")
@role_required("coordinator")
@own_transaction  # reads only: no write lock
def validate_service():
    """Inline validation of one field (htmx, on change): the field's error or nothing."""
    values, errors = parse_service_form(request.form,
                                        current_app.config.get("POLICE_SERVICES", {}))
    field = request.headers.get("HX-Trigger-Name") or request.args.get("field") or ""
    if field in ("phone_number",):
        field = next((k for k in errors if k.startswith("phone_number_")), field)
    return render("directory/manage/_field_error.html", name=field, errors=errors,
                  status=200)


@bp.post("/manage/services/<service_id>/archive")
@role_required("coordinator")
def archive_service(service_id):
    """Archive (or restore) a service: hidden from search, referrals keep pointing at it."""
    _managed_service(service_id)
    restore = request.form.get("restore") == "1"
    store.archive_service(get_db(), service_id, now=clock.iso(), restore=restore)
    audit_event("directory_service_restored" if restore else "directory_service_archived",
                object_type="service", object_id=service_id)
    return redirect(url_for("directory.manage"), 303)


def parse_organization_form(form) -> tuple[dict, dict]:
    values = {field: (form.get(field) or "").strip() for field in store.ORGANIZATION_FIELDS}
    errors = {}
    if not values["name"]:
        errors["name"] = _("Enter the organization's name.")
    for field in store.ORGANIZATION_FIELDS:
        limit = limits.limit("organization", field)
        if len(values[field]) > limit:
            errors[field] = _("At most %(n)s characters.", n=limit)
    if values["email"] and not EMAIL.match(values["email"]):
        errors["email"] = _("Enter an e-mail address like name@example.org.")
    if values["website"] and not values["website"].lower().startswith(("http://", "https://")):
        errors["website"] = _("Enter a web address starting with https://.")
    return values, errors


def _organization_form(organization_id: str | None):
    db = get_db()
    organization = None
    if organization_id:
        organization = found_or_404(store.get_organization(db, organization_id),
                                    "organization", organization_id)
    if request.method == "GET":
        values = {f: (organization or {}).get(f) or "" for f in store.ORGANIZATION_FIELDS}
        return render("directory/manage/organization_form.html", values=values, errors={},
                      organization=organization, limits=limits.ORGANIZATION)
    values, errors = parse_organization_form(request.form)
    if errors:
        return render("directory/manage/organization_form.html", status=400, values=values,
                      errors=errors, organization=organization, limits=limits.ORGANIZATION)
    saved_id = store.save_organization(db, values, organization_id=organization_id,
                                       now=clock.iso())
    audit_event("directory_organization_saved", object_type="organization", object_id=saved_id,
                detail={"created": organization_id is None})
    return redirect(url_for("directory.manage", _anchor=f"org-{saved_id}"), 303)


@bp.post("/manage/organizations/validate")
@role_required("coordinator")
@own_transaction  # reads only: no write lock
def validate_organization():
    """Inline validation of one organization field (htmx, on change)."""
    _values, errors = parse_organization_form(request.form)
    field = request.headers.get("HX-Trigger-Name") or request.args.get("field") or ""
    return render("directory/manage/_field_error.html", name=field, errors=errors)


@bp.route("/manage/organizations/new", methods=["GET", "POST"])
@role_required("coordinator")
def new_organization():
    """Create an organization."""
    return _organization_form(None)


@bp.route("/manage/organizations/<organization_id>", methods=["GET", "POST"])
@role_required("coordinator")
def edit_organization(organization_id):
    """Edit an organization."""
    return _organization_form(organization_id)


@bp.post("/manage/organizations/<organization_id>/archive")
@role_required("coordinator")
def archive_organization(organization_id):
    """Archive an organization and its services."""
    db = get_db()
    found_or_404(store.get_organization(db, organization_id), "organization", organization_id)
    store.archive_organization(db, organization_id, now=clock.iso())
    audit_event("directory_organization_archived", object_type="organization",
                object_id=organization_id)
    return redirect(url_for("directory.manage"), 303)


@bp.get("/manage/verify")
@role_required("coordinator")
def verify_queue():
    """Listings not verified in the last DIRECTORY_VERIFY_DAYS days, oldest first."""
    days = _verify_days()
    today = store.local_now(clock.now(), _tz()).date()
    return render("directory/manage/verify.html", days=days,
                  rows=store.needs_verification(get_db(), today=today, days=days))


@bp.post("/manage/services/<service_id>/verify")
@role_required("coordinator")
def verify_service(service_id):
    """One tap: the listing was checked today (htmx swaps the row)."""
    db = get_db()
    _managed_service(service_id)
    today = store.local_now(clock.now(), _tz()).date()
    row = store.mark_verified(db, service_id, today=today, by_user=current_user.row,
                              now=clock.iso())
    audit_event("directory_service_verified", object_type="service", object_id=service_id)
    if not request.headers.get("HX-Request"):
        if request.form.get("back") == "edit":
            return redirect(url_for("directory.edit_service", service_id=service_id), 303)
        return redirect(url_for("directory.verify_queue"), 303)
    return render("directory/manage/verify.html", "directory/manage/_verify_row.html",
                  row=row, days=_verify_days(),
                  rows=store.needs_verification(db, today=today, days=_verify_days()))


@bp.get("/manage/duplicates")
@role_required("coordinator")
def duplicates():
    """Possible duplicate services and organizations (near-identical name, phone, address)."""
    return render("directory/manage/duplicates.html", **store.possible_duplicates(get_db()))


@bp.post("/manage/merge")
@role_required("coordinator")
def merge():
    """Merge a duplicate into the chosen survivor; references follow the survivor."""
    db = get_db()
    kind = request.form.get("kind")
    survivor_id = request.form.get("survivor_id") or ""
    pair = [request.form.get("a_id") or "", request.form.get("b_id") or ""]
    if kind not in ("service", "organization") or survivor_id not in pair or pair[0] == pair[1]:
        return render("errors/error.html", status=400, status_code=400,
                      message=_("Choose which listing to keep."))
    duplicate_id = pair[1] if survivor_id == pair[0] else pair[0]
    merge_function = store.merge_services if kind == "service" else store.merge_organizations
    try:
        moved = merge_function(db, survivor_id=survivor_id, duplicate_id=duplicate_id,
                               by_user_id=current_user.id, now=clock.iso())
    except ValueError:
        abort(404)
    audit_event("directory_merged", object_type=kind, object_id=survivor_id,
                detail={"duplicate_id": duplicate_id, "moved": moved})
    return redirect(url_for("directory.duplicates"), 303)


@bp.post("/manage/duplicates/keep-apart")
@role_required("coordinator")
def keep_apart():
    """Not duplicates after all: the pair leaves the possible-duplicates page."""
    db = get_db()
    kind = request.form.get("kind")
    a_id, b_id = request.form.get("a_id") or "", request.form.get("b_id") or ""
    load = store.get_service if kind == "service" else store.get_organization
    if kind not in ("service", "organization") or a_id == b_id:
        abort(404)
    found_or_404(load(db, a_id), kind, a_id)
    found_or_404(load(db, b_id), kind, b_id)
    store.keep_apart(db, kind=kind, a_id=a_id, b_id=b_id, by_user_id=current_user.id,
                     now=clock.iso())
    audit_event("directory_kept_apart", object_type=kind, object_id=a_id,
                detail={"other_id": b_id})
    return redirect(url_for("directory.duplicates"), 303)


@bp.get("/manage/partnerships")
@role_required("coordinator")
def partnerships():
    """Partnership register: which police services partner with which services."""
    police = current_app.config.get("POLICE_SERVICES", {})
    return render("directory/manage/partnerships.html", police_services=police,
                  **store.partnership_register(get_db(), list(police)))


@bp.get("/manage/proposals")
@role_required("coordinator")
def proposals():
    """Partners' proposed edits waiting for a decision."""
    return render("directory/manage/proposals.html", proposals=store.proposals(get_db()))


FIELD_LABELS = {
    "name": _l("Name"), "alternate_name": _l("Other name"), "description": _l("Description"),
    "eligibility_description": _l("Eligibility"), "fees_description": _l("Fees"),
    "application_process": _l("How to apply"), "intake_phone": _l("Referral intake phone"),
    "intake_email": _l("Referral intake e-mail"), "intake_instructions":
    _l("Intake instructions"), "email": _l("E-mail"), "url": _l("Web address"),
    "alert": _l("Alert"), "keywords": _l("Keywords"), "minimum_age": _l("Minimum age"),
    "maximum_age": _l("Maximum age"),
}


@bp.app_template_global("directory_field_label")
def _field_label(field):
    label = FIELD_LABELS.get(field)
    return str(label) if label else field


def _proposal_or_404(proposal_id: str) -> dict:
    return found_or_404(store.get_proposal(get_db(), proposal_id), "service_edit_proposal",
                        proposal_id)


@bp.get("/manage/proposals/<proposal_id>")
@role_required("coordinator")
def proposal_detail(proposal_id):
    """A proposal as a diff against the listing."""
    return render("directory/manage/proposal.html", proposal=_proposal_or_404(proposal_id))


@bp.post("/manage/proposals/<proposal_id>/decide")
@role_required("coordinator")
def decide_proposal(proposal_id):
    """Approve (apply) or reject a partner's proposal."""
    proposal = _proposal_or_404(proposal_id)
    decision = request.form.get("decision")
    if decision not in ("approve", "reject"):
        return render("directory/manage/proposal.html", status=400, proposal=proposal,
                      error=_("Choose approve or reject."))
    done = store.decide_proposal(get_db(), proposal_id, approve=decision == "approve",
                                 by_user_id=current_user.id, now=clock.iso())
    if not done:
        return render("directory/manage/proposal.html", status=409, proposal=proposal,
                      error=_("This proposal was already decided."))
    audit_event(f"directory_proposal_{decision}d", object_type="service",
                object_id=proposal["service_id"], detail={"proposal_id": proposal_id})
    return redirect(url_for("directory.proposals"), 303)


# --- partners propose edits to their own listings ---------------------------------------------


@bp.route("/services/<service_id>/propose", methods=["GET", "POST"])
@role_required("partner")
def propose_edit(service_id):
    """A partner proposes changes to their own organization's listing (a coordinator decides)."""
    service = store.get_service(get_db(), service_id)
    if service is not None and service["organization_id"] != current_user.organization_id:
        service = None  # not yours: the same 404 as not found
    service = found_or_404(service, "service", service_id)
    if request.method == "GET":
        values = {f: service.get(f) or "" for f in store.PROPOSABLE_FIELDS}
        return render("directory/propose.html", service=service, values=values, errors={},
                      fields=store.PROPOSABLE_FIELDS)
    values = {f: (request.form.get(f) or "").strip() for f in store.PROPOSABLE_FIELDS}
    errors = {}
    if not values["name"]:
        errors["name"] = _("Enter the service's name.")
    for field in ("email", "intake_email"):
        if values[field] and not EMAIL.match(values[field]):
            errors[field] = _("Enter an e-mail address like name@example.org.")
    if values["url"] and not values["url"].lower().startswith(("http://", "https://")):
        errors["url"] = _("Enter a web address starting with https://.")
    if values["intake_phone"] and not PHONE.match(values["intake_phone"]):
        errors["intake_phone"] = _("Enter a phone number like 902-555-0100.")
    for field, value in values.items():
        if len(value) > 4000:
            errors[field] = _("At most %(n)s characters.", n=4000)
    changes = {f: v or None for f, v in values.items() if (v or None) != (service.get(f) or None)}
    if not changes and not errors:
        errors["form"] = _("Nothing was changed.")
    if errors:
        return render("directory/propose.html", status=400, service=service, values=values,
                      errors=errors, fields=store.PROPOSABLE_FIELDS)
    proposal_id = store.propose_edit(get_db(), service, changes, by_user_id=current_user.id,
                                     now=clock.iso())
    audit_event("directory_proposal_made", object_type="service", object_id=service_id,
                detail={"proposal_id": proposal_id, "fields": sorted(changes)})
    return render("directory/propose.html", status=201, service=service, values=values,
                  errors={}, fields=store.PROPOSABLE_FIELDS, sent=True)
