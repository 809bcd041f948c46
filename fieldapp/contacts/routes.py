"""Officer quick contacts, the people they concern, and the coordinator's places and vocabularies.

Thin views: parse the form, authorize, call the store, render.  Partners get 404 everywhere here.
"""

import json
import uuid
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import abort, current_app, flash, redirect, request, url_for
from flask_babel import format_date, format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

# Loads fieldapp.security through the accounts package first: importing security directly
# before anything else runs into the foundation's accounts <-> security import cycle.
import fieldapp.accounts  # noqa: F401
from fieldapp import clock
from fieldapp.contacts import bp, store, vocab
from fieldapp.db import get_db, own_transaction, writing
from fieldapp.security import audit_event, found_or_404, role_required
from fieldapp.views import render

STAFF = ("officer", "coordinator")
PAGE_SIZE = 25
HEADCOUNT_CHOICES = (5, 10, 15, 20, 25, 30, 50, 100)
NOTE_WARNINGS = {
    "phone": _l("a phone number"),
    "address": _l("an address"),
    "health": _l("a health diagnosis"),
}


class _Rollback(Exception):
    """Undo the writes of a form whose second record turned out invalid."""


# --- template helpers ----------------------------------------------------------------------


@bp.app_template_filter("contacts_when")
def contacts_when(value: str | None, style: str = "short") -> str:
    """A stored UTC instant shown in the team's time zone and the user's language (style
    "day": its date only)."""
    moment = store.parse_time(value)
    if moment is None:
        return ""
    return format_date(moment, "medium") if style == "day" else format_datetime(moment, style)


@bp.app_template_filter("contacts_json_list")
def contacts_json_list(value) -> list:
    """A JSON list column (e.g. what a consent covers) as a list; anything else as empty."""
    try:
        parsed = json.loads(value or "[]")
    except (TypeError, ValueError):
        return []
    return [str(v) for v in parsed] if isinstance(parsed, list) else []


@bp.app_context_processor
def contacts_helpers() -> dict:
    return {"contacts_label": vocab.label, "contacts_age_band": vocab.age_band_label}


def _now() -> str:
    return clock.iso()


def _user() -> dict:
    return current_user.row


def _tz() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])


def _referral_url(contact_id: str) -> str | None:
    """The one-tap "Refer" link, when the referrals area provides it."""
    if "referrals.new_referral" in current_app.view_functions:
        return url_for("referrals.new_referral", contact_id=contact_id)
    return None


def _crisis_services() -> list[dict]:
    """Crisis services from the directory (open ones first), if the directory offers them."""
    try:
        from fieldapp.directory.search import crisis_services
    except (ImportError, AttributeError):
        return []
    try:
        return crisis_services(get_db(), now=clock.now(), tz=current_app.config["TIMEZONE"],
                               limit=5)
    except (AttributeError, KeyError, TypeError):
        return []


def _warning_text(codes: list[str]) -> str:
    """"a phone number", "a phone number and an address", "x, y and z"."""
    words = [str(NOTE_WARNINGS[c]) for c in codes]
    if len(words) <= 1:
        return "".join(words)
    return _("%(first)s and %(last)s", first=", ".join(words[:-1]), last=words[-1])


# --- the log-contact form ------------------------------------------------------------------


def _form_item(form) -> dict:
    """A contact item (the sync payload's shape) from the web form."""
    return {
        "id": form.get("id", ""),
        "occurred_at": _form_time(form),
        "place_id": form.get("place_id", ""),
        "place_text": form.get("place_text", ""),
        "lat": form.get("lat", ""),
        "lon": form.get("lon", ""),
        "kind": form.get("kind", ""),
        "populations": form.getlist("populations"),
        "outcome": form.get("outcome", ""),
        "note": form.get("note", ""),
        "person_id": form.get("person_id", ""),
        "is_group": form.get("is_group", "0"),
        # A typed number wins over the size chips.
        "headcount": form.get("headcount", "").strip() or form.get("headcount_choice", ""),
        "age_band": form.get("age_band", ""),
    }


def _form_time(form) -> str:
    """The hidden instant of the form, or the local date-time the officer typed instead."""
    typed = form.get("occurred_local", "").strip()
    if typed:
        try:
            local = datetime.fromisoformat(typed)
        except ValueError:
            return "not-a-time"
        if local.tzinfo is None:
            local = local.replace(tzinfo=_tz())
        return store.iso(local)
    return form.get("occurred_at", "")


def _form_context(db, values: dict, *, errors=None, editing=None, people_query: str = "",
                  people: list | None = None) -> dict:
    user = _user()
    rows = vocab.extensions(db)
    favourites = store.favourite_place_ids(db, user["id"])
    all_places = store.places(db, user["police_service"])
    by_id = {p["id"]: p for p in all_places}
    quick_ids = [pid for pid in favourites if pid in by_id]
    for place in store.recent_places(db, user["id"]):
        if place["id"] not in quick_ids and place["id"] in by_id:
            quick_ids.append(place["id"])
    quick_ids = quick_ids[:6]
    chosen = values.get("place_id")
    if chosen and chosen in by_id and chosen not in quick_ids:
        quick_ids.append(chosen)
    quick = [by_id[pid] for pid in quick_ids]
    others = [p for p in all_places if p["id"] not in quick_ids]
    warnings = store.note_warnings(values.get("note"))
    person = None
    if values.get("person_id"):
        person = store.resolve_person(db, values["person_id"])
    return {
        "values": values,
        "errors": errors or {},
        "kinds": vocab.choices("kind", rows),
        "populations": vocab.choices("population", rows),
        "outcomes": vocab.choices("outcome", rows),
        "age_bands": list(vocab.AGE_BANDS.items()),
        "headcount_choices": HEADCOUNT_CHOICES,
        "quick_places": quick,
        "other_places": others,
        "favourites": set(favourites),
        "templates": [(code, t["label"]) for code, t in vocab.TEMPLATES.items()],
        "has_last": store.last_contact(db, user["id"]) is not None,
        "crisis": _crisis_services(),
        "note_warning": _warning_text(warnings),
        "person": person,
        "editing": editing,
        "people_query": people_query,
        "people": people,
        "can_refer": "referrals.new_referral" in current_app.view_functions,
    }


def _initial_values(db) -> dict:
    values = {"id": str(uuid.uuid4()), "occurred_at": _now(), "is_group": "0",
              "populations": [], "new_person_id": str(uuid.uuid4())}
    template = vocab.TEMPLATES.get(request.args.get("template", ""))
    if template:
        values.update({k: (str(v) if k == "is_group" else v)
                       for k, v in template["values"].items()})
    elif request.args.get("repeat") == "last":
        last = store.last_contact(db, current_user.id)
        if last:
            values.update({
                "place_id": last["place_id"], "place_text": last["place_text"],
                "kind": last["kind"], "populations": last["populations"],
                "outcome": last["outcome"], "is_group": str(last["is_group"] or 0),
                "headcount": last["headcount"], "age_band": last["age_band"],
                "person_id": last["person_id"],
            })
    return values


def _find_people(db, query: str, exclude: str = "") -> list[dict]:
    """People of the officer's service matching an alias, the search audited."""
    found = [p for p in store.search_people(db, _user(), query) if p["id"] != exclude]
    audit_event("people_searched", object_type="person", detail={"results": len(found)})
    return found


def _people_search_instead(db, form, *, may_add_person: bool) -> tuple[dict, dict] | None:
    """Search people instead of saving: on "Search" (no JavaScript), or when an alias is typed
    in the search box but nobody chosen, so a contact is never saved without its person.
    Returns the form context's search part and errors, or None to save."""
    query = form.get("q", "").strip()
    if "search_people" in form:
        return {"people_query": query, "people": _find_people(db, query) if query else []}, {}
    adding = may_add_person and form.get("new_alias", "").strip()
    if query and not form.get("person_id") and not adding and form.get("is_group") != "1":
        errors = {"person_id": _("Choose the person, or clear the search box.")}
        return {"people_query": query, "people": _find_people(db, query)}, errors
    return None


@bp.route("/new", methods=["GET", "POST"])
@role_required(*STAFF)
def new_contact():
    """The officer's home: log a quick contact in a few taps."""
    db = get_db()
    if request.method == "GET":
        return render("contacts/new.html", **_form_context(db, _initial_values(db)))

    form = request.form
    item = _form_item(form)
    values = {**item, "occurred_local": form.get("occurred_local", ""),
              "new_person_id": form.get("new_person_id") or str(uuid.uuid4()),
              "new_alias": form.get("new_alias", ""),
              "new_birth_year": form.get("new_birth_year", ""),
              "new_flags": form.getlist("new_flags")}
    search = _people_search_instead(db, form, may_add_person=True)
    if search:
        found, errors = search
        values["person_id"] = form.get("person_id", "")
        return render("contacts/new.html", status=422 if errors else 200,
                      **_form_context(db, values, errors=errors, **found))
    user, now = _user(), _now()
    errors: dict = {}
    result: dict = {}
    try:
        with writing(db):
            if values["new_alias"].strip() and form.get("is_group", "0") != "1":
                person = store.apply_person(db, {
                    "id": values["new_person_id"], "alias": values["new_alias"],
                    "birth_year": values["new_birth_year"], "flags": values["new_flags"]},
                    user, now)
                if person["status"] in ("invalid", "conflict"):
                    errors.update({f"new_{k}": v for k, v in person["errors"].items()})
                    raise _Rollback
                item["person_id"] = values["person_id"] = person["id"]
            result = store.apply_contact(db, item, user, now)
            if result["status"] == "invalid":
                errors.update(result["errors"])
                raise _Rollback
    except _Rollback:
        pass
    if errors:
        if "new_id" in errors:
            errors["new_alias"] = errors.pop("new_id")
        values["person_id"] = form.get("person_id", "")
        return render("contacts/new.html", status=422,
                      **_form_context(db, values, errors=errors))
    if result["status"] == "conflict":
        return render("contacts/new.html", status=409, **_form_context(
            db, {**values, "id": str(uuid.uuid4())},
            errors={"form": _("This form was already saved with other values. Check "
                              "“My contacts”; this is a fresh copy.")}))
    if result["status"] == "created":
        audit_event("contact_created", object_type="contact", object_id=result["id"],
                    detail={"kind": item["kind"], "group": item["is_group"] == "1"})
        if item.get("person_id"):
            audit_event("person_linked", object_type="person", object_id=item["person_id"])
    refer = _referral_url(result["id"]) if form.get("then") == "refer" else None
    return redirect(refer or url_for("contacts.detail", contact_id=result["id"]), code=303)


@bp.post("/note-check")
@role_required(*STAFF)
@own_transaction  # reads only: no write lock
def note_check():
    """The gentle warning under the note (htmx, on change)."""
    warnings = store.note_warnings(request.form.get("note", ""))
    return render("contacts/_note_warning.html", note_warning=_warning_text(warnings))


@bp.post("/people/search")
@role_required(*STAFF)
@own_transaction  # reads only: no write lock
def search_people():
    """Find people by alias (a POST: names never travel in URLs); returns choices."""
    query = request.form.get("q", "")
    purpose = "merge" if request.form.get("purpose") == "merge" else "attach"
    if purpose == "merge" and current_user.role != "coordinator":
        abort(404)
    found = _find_people(get_db(), query, request.form.get("exclude", ""))
    return render("contacts/_people_results.html", people=found, query=query.strip(),
                  purpose=purpose)


# --- one contact ------------------------------------------------------------------------------


def _load_contact(contact_id: str) -> dict:
    return found_or_404(store.get_contact(get_db(), contact_id, _user()), "contact", contact_id)


@bp.get("/<contact_id>")
@role_required(*STAFF)
def detail(contact_id):
    """What was stored, with undo (10 minutes) and edit (24 hours) for its author."""
    db = get_db()
    contact = _load_contact(contact_id)
    now, user = _now(), _user()
    mental_health = vocab.is_mental_health(contact["kind"], contact["populations"])
    return render(
        "contacts/detail.html", contact=contact,
        can_undo=store.can_undo(contact, user, now), can_edit=store.can_edit(contact, user, now),
        revisions=store.contact_revisions(db, contact_id),
        note_warning=_warning_text(store.note_warnings(contact["note"])),
        refer_url=_referral_url(contact_id) if contact["officer_id"] == user["id"] else None,
        crisis=_crisis_services() if mental_health else [],
        favourite=contact["place_id"] in store.favourite_place_ids(db, user["id"]),
    )


@bp.route("/<contact_id>/edit", methods=["GET", "POST"])
@role_required(*STAFF)
def edit(contact_id):
    """Correct a contact within 24 hours of saving it (its author only; old values kept)."""
    db = get_db()
    contact = _load_contact(contact_id)
    user, now = _user(), _now()
    if contact["officer_id"] != user["id"]:
        found_or_404(None, "contact", contact_id)
    if not store.can_edit(contact, user, now):
        audit_event("contact_edit_refused", object_type="contact", object_id=contact_id,
                    outcome="403")
        return render("contacts/locked.html", status=403, contact=contact)
    if request.method == "GET":
        values = {**contact, "is_group": str(contact["is_group"] or 0)}
        return render("contacts/edit.html", **_form_context(db, values, editing=contact))
    item = _form_item(request.form)
    item["id"] = contact_id
    search = _people_search_instead(db, request.form, may_add_person=False)
    if search:
        found, errors = search
        values = {**item, "occurred_local": request.form.get("occurred_local", "")}
        return render("contacts/edit.html", status=422 if errors else 200,
                      **_form_context(db, values, errors=errors, editing=contact, **found))
    result = store.update_contact(db, contact, item, user, now)
    if result["status"] == "invalid":
        values = {**item, "occurred_local": request.form.get("occurred_local", "")}
        return render("contacts/edit.html", status=422,
                      **_form_context(db, values, errors=result["errors"], editing=contact))
    if result["status"] == "updated":
        audit_event("contact_edited", object_type="contact", object_id=contact_id,
                    detail={"fields": result["changed"]})
        flash(_("Changes saved. The previous values are kept."), "ok")
    return redirect(url_for("contacts.detail", contact_id=contact_id), code=303)


@bp.post("/<contact_id>/undo")
@role_required(*STAFF)
def undo(contact_id):
    """Take back a contact saved less than 10 minutes ago."""
    db = get_db()
    contact = _load_contact(contact_id)
    if contact["officer_id"] != current_user.id:
        found_or_404(None, "contact", contact_id)
    if not store.can_undo(contact, _user(), _now()):
        return render("contacts/locked.html", status=403, contact=contact, undo=True)
    store.undo_contact(db, contact_id, _now())
    audit_event("contact_undone", object_type="contact", object_id=contact_id)
    flash(_("The contact was removed."), "ok")
    return redirect(url_for("contacts.new_contact"), code=303)


@bp.post("/places/<place_id>/favourite")
@role_required(*STAFF)
def toggle_favourite(place_id):
    """Add a place to one's favourites (shown first on the form), or take it off."""
    db = get_db()
    places = {p["id"] for p in store.places(db, current_user.police_service)}
    if place_id not in places:
        found_or_404(None, "place", place_id)
    now_favourite = store.toggle_favourite(db, current_user.id, place_id, _now())
    flash(_("Added to your favourite places.") if now_favourite
          else _("Removed from your favourite places."), "ok")
    back = request.form.get("contact_id")
    if back and store.get_contact(db, back, _user()):
        return redirect(url_for("contacts.detail", contact_id=back), code=303)
    return redirect(url_for("contacts.new_contact"), code=303)


# --- lists ----------------------------------------------------------------------------------


def _day_bound(text: str, *, end: bool) -> str | None:
    try:
        day = datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        return None
    if end:
        day += timedelta(days=1)
    return store.iso(datetime.combine(day, time(0), tzinfo=_tz()))


@bp.get("/")
@role_required(*STAFF)
def my_contacts():
    """My contacts (a coordinator: the police service's), newest first, infinite scroll."""
    db = get_db()
    args = request.args
    filters = {"kind": args.get("kind") or None, "place_id": args.get("place_id") or None,
               "since": _day_bound(args.get("from", ""), end=False),
               "until": _day_bound(args.get("to", ""), end=True)}
    before = None
    if args.get("before_at") and args.get("before_id"):
        before = (args["before_at"], args["before_id"])
    mine = current_user.role == "officer"
    rows, has_more = store.list_contacts(db, _user(), mine=mine, before=before,
                                         limit=PAGE_SIZE, **filters)
    next_url = None
    if has_more:
        last = rows[-1]
        query = {k: v for k, v in args.items() if k in ("kind", "place_id", "from", "to") and v}
        next_url = url_for("contacts.my_contacts", before_at=last["occurred_at"],
                           before_id=last["id"], **query)
    if before is not None and request.headers.get("HX-Request"):
        return render("contacts/_rows.html", rows=rows, next_url=next_url, mine=mine)
    rows_vocab = vocab.extensions(db)
    return render(
        "contacts/list.html", "contacts/_list.html", rows=rows, next_url=next_url, mine=mine,
        kinds=[(c, vocab.label("kind", c, rows_vocab))
               for c in sorted(vocab.known_codes("kind", rows_vocab))],
        places=store.places(db, current_user.police_service, include_inactive=True),
        filters={"kind": args.get("kind", ""), "place_id": args.get("place_id", ""),
                 "from": args.get("from", ""), "to": args.get("to", "")},
    )


# --- people ---------------------------------------------------------------------------------


def _load_person(person_id: str) -> dict:
    return found_or_404(store.get_person(get_db(), person_id, _user()), "person", person_id)


@bp.get("/people/<person_id>")
@role_required(*STAFF)
def person(person_id):
    """A person's timeline, recent counts, repeat involvement and consents (every view audited).

    An officer reads their own contacts and referrals in full, the team's as a summary."""
    db = get_db()
    found = _load_person(person_id)
    config = current_app.config
    history = store.person_history(db, person_id, _now(), _user(),
                                   repeat_contacts=int(config.get("REPEAT_CONTACTS", 2)),
                                   repeat_days=int(config.get("REPEAT_DAYS", 60)))
    audit_event("person_viewed", object_type="person", object_id=person_id)
    merged_into = None
    if found["merged_into_id"]:
        merged_into = store.resolve_person(db, found["merged_into_id"])
    return render("contacts/person.html", person=found, history=history,
                  merged_into=merged_into)


@bp.post("/people/<person_id>/merge")
@role_required("coordinator")
def merge_person(person_id):
    """Merge this duplicate into another person, keeping all history (coordinators)."""
    db = get_db()
    duplicate = _load_person(person_id)
    into_id = request.form.get("into_id", "")
    keep = store.get_person(db, into_id, _user()) if into_id else None
    if (keep is None or keep["id"] == person_id or keep["merged_into_id"]
            or duplicate["merged_into_id"] or keep["deidentified_at"]):
        flash(_("Choose another person to keep."), "error")
        return redirect(url_for("contacts.person", person_id=person_id), code=303)
    moved = store.merge_people(db, keep["id"], person_id, _now())
    audit_event("person_merged", object_type="person", object_id=person_id,
                detail={"into": keep["id"], **moved})
    flash(_("Merged: all contacts and referrals now belong to this person."), "ok")
    return redirect(url_for("contacts.person", person_id=keep["id"]), code=303)


# --- coordinator: places and vocabularies -----------------------------------------------------


def _manage_context(db, errors=None, values=None) -> dict:
    rows = vocab.extensions(db)
    retired = {(r["vocabulary"], r["code"]) for r in rows if r["retired"]}
    entries = []
    for name in vocab.VOCABULARIES:
        for code in list(vocab.BUILTIN[name]) + [r["code"] for r in rows if r["vocabulary"] == name
                                                 and r["code"] not in vocab.BUILTIN[name]]:
            entries.append({"vocabulary": name, "code": code,
                            "label": vocab.label(name, code, rows),
                            "builtin": code in vocab.BUILTIN[name],
                            "retired": (name, code) in retired})
    return {"places": store.places(db, current_user.police_service, include_inactive=True),
            "entries": entries, "errors": errors or {}, "values": values or {},
            "place_kinds": list(vocab.PLACE_KINDS.items()),
            "vocabularies": [("kind", _l("Kinds of contact")), ("population", _l("Populations")),
                             ("outcome", _l("Outcomes"))]}


@bp.get("/manage")
@role_required("coordinator")
def manage():
    """Places and vocabulary extensions (coordinators)."""
    return render("contacts/manage.html", **_manage_context(get_db()))


@bp.post("/manage/places")
@role_required("coordinator")
def add_place():
    """Add a school or community site to the list officers pick from."""
    db = get_db()
    row, errors = store.add_place(db, request.form, current_user.police_service, _now())
    if errors:
        return render("contacts/manage.html", status=422,
                      **_manage_context(db, errors=errors, values=request.form))
    audit_event("place_added", object_type="place", object_id=row["id"])
    flash(_("Place added."), "ok")
    return redirect(url_for("contacts.manage"), code=303)


@bp.post("/manage/places/<place_id>/active")
@role_required("coordinator")
def set_place_active(place_id):
    """Hide a place from the form (old contacts keep it), or offer it again."""
    db = get_db()
    places = {p["id"] for p in store.places(db, current_user.police_service,
                                            include_inactive=True)}
    if place_id not in places:
        found_or_404(None, "place", place_id)
    active = request.form.get("active") == "1"
    store.set_place_active(db, place_id, active)
    audit_event("place_active" if active else "place_retired", object_type="place",
                object_id=place_id)
    return redirect(url_for("contacts.manage"), code=303)


@bp.post("/manage/vocabulary")
@role_required("coordinator")
def add_vocabulary():
    """Add an entry to a vocabulary (labels in English and French)."""
    db = get_db()
    row, errors = store.add_vocabulary_entry(db, request.form, _now())
    if errors:
        return render("contacts/manage.html", status=422,
                      **_manage_context(db, errors=errors, values=request.form))
    audit_event("vocabulary_added", object_type="vocabulary",
                object_id=f"{row['vocabulary']}:{row['code']}")
    flash(_("Entry added."), "ok")
    return redirect(url_for("contacts.manage"), code=303)


@bp.post("/manage/vocabulary/<vocabulary>/<code>")
@role_required("coordinator")
def retire_vocabulary(vocabulary, code):
    """Retire an entry (old records keep it, forms stop offering it), or restore it."""
    retired = request.form.get("retired") == "1"
    if not store.set_vocabulary_retired(get_db(), vocabulary, code, retired, _now()):
        found_or_404(None, "vocabulary", f"{vocabulary}:{code}")
    audit_event("vocabulary_retired" if retired else "vocabulary_restored",
                object_type="vocabulary", object_id=f"{vocabulary}:{code}")
    return redirect(url_for("contacts.manage"), code=303)
