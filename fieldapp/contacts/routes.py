"""Officer quick contacts, the people they concern, and the coordinator's places and vocabularies.

Thin views: parse the form, authorize, call the store, render.  Partners get 404 everywhere here.
"""

import json
import uuid
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import abort, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from fieldapp import clock, formats
from fieldapp.contacts import bp, people, places, store, usual, vocab
from fieldapp.contacts.forms import (
    HEADCOUNT_CHOICES,
    ActiveForm,
    ContactEditForm,
    ContactFilterForm,
    ContactForm,
    FavouriteForm,
    MergePersonForm,
    NearForm,
    NoteCheckForm,
    PeopleSearchForm,
    PlaceForm,
    RetiredForm,
    VocabularyForm,
)
from fieldapp.contacts.recording import record_contact
from fieldapp.contacts.times import iso, parse_time
from fieldapp.db import get_db, own_transaction
from fieldapp.directory.search import crisis_services
from fieldapp.security import audit_event, found_or_404, role_required
from fieldapp.views import is_htmx, render

STAFF = ("officer", "coordinator")
PAGE_SIZE = 25
NOTE_WARNINGS = {
    "phone": _l("a phone number"),
    "address": _l("an address"),
    "health": _l("a health diagnosis"),
}


# --- template helpers ----------------------------------------------------------------------


@bp.app_template_filter("contacts_when")
def contacts_when(value: str | None, style: str = "short") -> str:
    """A stored UTC instant shown in the team's time zone and the user's language (style
    "day": its date only)."""
    moment = parse_time(value)
    if moment is None:
        return ""
    if style == "day":
        return formats.day(moment, "medium")  # "Oct 1, 2026" / "1er oct. 2026"
    return formats.moment(moment, style)  # "10/1/26, 14:05" / "01/10/2026 à 14 h 05"


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


def _referral_url(contact_id: str) -> str:
    """The one-tap "Refer" link."""
    return url_for("referrals.new_referral", contact_id=contact_id)


def _crisis_services() -> list[dict]:
    """Crisis services from the directory, open ones first."""
    return crisis_services(get_db(), now=clock.now(), tz=current_app.config["TIMEZONE"], limit=5)


def _warning_text(codes: list[str]) -> str:
    """"a phone number", "a phone number and an address", "x, y and z"."""
    words = [str(NOTE_WARNINGS[c]) for c in codes]
    if len(words) <= 1:
        return "".join(words)
    return _("%(first)s and %(last)s", first=", ".join(words[:-1]), last=words[-1])


# --- the log-contact form ------------------------------------------------------------------


def _quick_place_ids(db, user: dict, favourites: list[str], by_id: dict) -> list[str]:
    """The places the form offers first: favourites, then the latest used, three at most."""
    quick_ids = [pid for pid in favourites if pid in by_id]
    for place in places.recent_places(db, user["id"]):
        if place["id"] not in quick_ids and place["id"] in by_id:
            quick_ids.append(place["id"])
    return quick_ids[:3]  # the common contact fits one phone screen (issue 15)


def _form_context(db, form: ContactEditForm, *, editing=None, people_found=None) -> dict:
    """What the log-contact form shows (new and edit), around the form's own values and
    errors; `people_found`: the people search's results, when a search ran."""
    user = _user()
    values = form.values()
    rows = vocab.extensions(db)
    favourites = places.favourite_place_ids(db, user["id"])
    all_places = places.places(db, user["police_service"])
    by_id = {p["id"]: p for p in all_places}
    quick_ids = _quick_place_ids(db, user, favourites, by_id)
    chosen = values.get("place_id")
    if chosen and chosen in by_id and chosen not in quick_ids:
        quick_ids.append(chosen)
    person = store.resolve_person(db, values["person_id"]) if values.get("person_id") else None
    offered = {name: vocab.choices(name, rows) for name in vocab.VOCABULARIES}
    first = usual.most_used(db, user, _now(),
                            {name: [code for code, _label in pairs]
                             for name, pairs in offered.items()})
    return {
        "form": form,
        "values": values,
        "kinds": offered["kind"],
        "populations": offered["population"],
        "outcomes": offered["outcome"],
        "usual": first,
        "age_bands": list(vocab.AGE_BANDS.items()),
        "headcount_choices": HEADCOUNT_CHOICES,
        "quick_places": [by_id[pid] for pid in quick_ids],
        "other_places": [p for p in all_places if p["id"] not in quick_ids],
        "favourites": set(favourites),
        "templates": [(code, t["label"]) for code, t in vocab.TEMPLATES.items()],
        "offline_templates": _offline_templates(),
        "has_last": store.last_contact(db, user["id"]) is not None,
        "crisis": _crisis_services(),
        "note_warning": _warning_text(store.note_warnings(values.get("note"))),
        "person": person,
        "editing": editing,
        "people_query": form.people_query() if people_found is not None else "",
        "people": people_found,
    }


def _offline_templates() -> dict:
    """What the form's script needs to fill in a template on a page from the phone's cache
    (which was cached without one): each template's values, and what this page applied."""
    applied = ""  # what the server was asked for (and did, when it could)
    if request.method == "GET":
        if request.args.get("template"):
            applied = request.args["template"]
        elif request.args.get("repeat") == "last":
            applied = "repeat"
    return {
        "applied": applied,
        "templates": {code: {"label": str(t["label"]),
                             "values": {k: [str(x) for x in v] if isinstance(v, list) else str(v)
                                        for k, v in t["values"].items()}}
                      for code, t in vocab.TEMPLATES.items()},
        "words": {
            "filled": _("“%(name)s” filled in from this phone: check it before saving.",
                        name="{name}"),
            "unknown": _("This template is not on this phone: fill in the form."),
            "repeat": _("The last contact is not on this phone, so it could not be repeated: "
                        "fill in the form."),
        },
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
                "headcount": _text_or_empty(last["headcount"]), "age_band": last["age_band"],
                "person_id": last["person_id"],
            })
    return values


def _text_or_empty(value) -> str:
    return "" if value is None else str(value)


def _find_people(db, query: str, exclude: str = "") -> list[dict]:
    """People of the officer's service matching an alias, the search audited."""
    found = [p for p in people.search_people(db, _user(), query) if p["id"] != exclude]
    audit_event("people_searched", object_type="person", detail={"results": len(found)})
    return found


def _people_search_instead(db, form: ContactEditForm) -> list[dict] | None:
    """Search people instead of saving: on "Search" (no JavaScript), or when an alias is typed
    in the search box but nobody chosen, so a contact is never saved without its person (that
    refusal goes on the form's person_id).  Returns the people found, or None to save."""
    query = form.people_query()
    if form.search_people.data is not None:
        return _find_people(db, query) if query else []
    adding = isinstance(form, ContactForm) and form.adds_person()
    if query and not (form.person_id.data or "").strip() and not adding and not form.group:
        form.add_errors({"person_id": _("Choose the person, or clear the search box.")})
        return _find_people(db, query)
    return None


@bp.route("/new", methods=["GET", "POST"])
@role_required(*STAFF)
def new_contact():
    """The officer's home: log a quick contact in a few taps."""
    db = get_db()
    if request.method == "GET":
        form = ContactForm(formdata=None, data=_initial_values(db))
        return render("contacts/new.html", **_form_context(db, form))

    form = ContactForm(request.form)
    if not form.new_person_id.data:
        form.new_person_id.data = str(uuid.uuid4())
    found = _people_search_instead(db, form)
    if found is not None:
        return render("contacts/new.html", status=422 if form.errors else 200,
                      **_form_context(db, form, people_found=found))
    result = record_contact(db, form, _user(), _now(), current_app.config["TIMEZONE"])
    if result["status"] == "invalid":
        return render("contacts/new.html", status=422, **_form_context(db, form))
    if result["status"] == "conflict":
        form.id.data = str(uuid.uuid4())
        form.add_errors({"form": _("This form was already saved with other values. Check "
                                   "“My contacts”; this is a fresh copy.")})
        return render("contacts/new.html", status=409, **_form_context(db, form))
    if result["status"] == "created":
        audit_event("contact_created", object_type="contact", object_id=result["id"],
                    detail={"kind": form.kind.data, "group": form.group})
        if result.get("person_id"):
            audit_event("person_linked", object_type="person", object_id=result["person_id"])
    refer = _referral_url(result["id"]) if form.then.data == "refer" else None
    return redirect(refer or url_for("contacts.detail", contact_id=result["id"]), code=303)


@bp.get("/places/near")
@role_required(*STAFF)
def near_places():
    """After "Use my location": the nearest known places not already offered first, as chips
    for the form's place choice (htmx fragment, asked by static/js/contacts.js; offline the
    phone ranks the places of the cached form itself), or as a page."""
    form = NearForm(request.args)
    if not form.validate():
        return render("contacts/near.html", "contacts/_near_places.html", status=422, places=[])
    db = get_db()
    user = _user()
    by_id = {p["id"]: p for p in places.places(db, user["police_service"])}
    offered = _quick_place_ids(db, user, places.favourite_place_ids(db, user["id"]), by_id)
    nearest = places.nearest_places(db, user["police_service"], form.lat.data, form.lon.data,
                                    exclude=set(offered))
    for place in nearest:
        place["distance"] = formats.decimal(place["km"])
    return render("contacts/near.html", "contacts/_near_places.html", places=nearest)


@bp.post("/note-check")
@role_required(*STAFF)
@own_transaction  # reads only: no write lock
def note_check():
    """The gentle warning under the note (htmx, on change)."""
    form = NoteCheckForm(request.form)
    warnings = store.note_warnings(form.note.data or "")
    return render("contacts/_note_warning.html", note_warning=_warning_text(warnings))


@bp.post("/people/search")
@role_required(*STAFF)
@own_transaction  # reads only: no write lock
def search_people():
    """Find people by alias (a POST: names never travel in URLs); returns choices."""
    form = PeopleSearchForm(request.form)
    query, purpose = form.q.data or "", form.purpose_value
    if purpose == "merge" and current_user.role != "coordinator":
        abort(404)
    found = _find_people(get_db(), query, form.exclude.data or "")
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
        favourite=contact["place_id"] in places.favourite_place_ids(db, user["id"]),
        offer_install=store.can_undo(contact, user, now),  # just saved: the install hint's moment
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
        values = {**contact, "is_group": str(contact["is_group"] or 0),
                  "headcount": _text_or_empty(contact["headcount"])}
        form = ContactEditForm(formdata=None, data=values)
        return render("contacts/edit.html", **_form_context(db, form, editing=contact))
    form = ContactEditForm(request.form)
    form.id.data = contact_id
    found = _people_search_instead(db, form)
    if found is not None:
        return render("contacts/edit.html", status=422 if form.errors else 200,
                      **_form_context(db, form, editing=contact, people_found=found))
    item = form.contact_item(current_app.config["TIMEZONE"])
    result = store.update_contact(db, contact, item, user, now)
    if result["status"] == "invalid":
        form.add_errors(result["errors"])
        return render("contacts/edit.html", status=422,
                      **_form_context(db, form, editing=contact))
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
    known = {p["id"] for p in places.places(db, current_user.police_service)}
    if place_id not in known:
        found_or_404(None, "place", place_id)
    now_favourite = places.toggle_favourite(db, current_user.id, place_id, _now())
    flash(_("Added to your favourite places.") if now_favourite
          else _("Removed from your favourite places."), "ok")
    back = FavouriteForm(request.form).contact_id.data
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
    return iso(datetime.combine(day, time(0), tzinfo=_tz()))


@bp.get("/")
@role_required(*STAFF)
def my_contacts():
    """My contacts (a coordinator: the police service's), newest first, infinite scroll."""
    db = get_db()
    form = ContactFilterForm(request.args)
    shown = form.values()
    filters = {"kind": shown["kind"] or None, "place_id": shown["place_id"] or None,
               "since": _day_bound(shown["from"], end=False),
               "until": _day_bound(shown["to"], end=True)}
    before = None
    if form.before_at.data and form.before_id.data:
        before = (form.before_at.data, form.before_id.data)
    mine = current_user.role == "officer"
    rows, has_more = store.list_contacts(db, _user(), mine=mine, before=before,
                                         limit=PAGE_SIZE, **filters)
    next_url = None
    if has_more:
        last = rows[-1]
        query = {k: v for k, v in shown.items() if v}
        next_url = url_for("contacts.my_contacts", before_at=last["occurred_at"],
                           before_id=last["id"], **query)
    if before is not None and is_htmx():
        return render("contacts/_rows.html", rows=rows, next_url=next_url, mine=mine)
    rows_vocab = vocab.extensions(db)
    kinds = [(c, vocab.label("kind", c, rows_vocab))
             for c in sorted(vocab.known_codes("kind", rows_vocab))]
    all_places = places.places(db, current_user.police_service, include_inactive=True)
    # The contacts still in the phone's outbox are listed by offline-app.js, in these words.
    waiting = {
        "kind": dict(kinds),
        "outcome": {c: vocab.label("outcome", c, rows_vocab)
                    for c in vocab.known_codes("outcome", rows_vocab)},
        "place": {p["id"]: p["name"] for p in all_places},
        "words": {"waiting": _("Waiting to send"),
                  "attention": _("Not accepted: see the sync bar")},
    } if mine else None
    return render(
        "contacts/list.html", "contacts/_list.html", rows=rows, next_url=next_url, mine=mine,
        kinds=kinds, places=all_places, filters=shown, waiting=waiting,
    )


# --- people ---------------------------------------------------------------------------------


def _load_person(person_id: str) -> dict:
    return found_or_404(people.get_person(get_db(), person_id, _user()), "person", person_id)


def _person_page(found: dict, *, people_found: list | None = None, query: str = ""):
    """The person page; `people_found`: the merge search's results, when one ran."""
    db, person_id = get_db(), found["id"]
    config = current_app.config
    history = people.person_history(db, person_id, _now(), _user(),
                                    repeat_contacts=int(config.get("REPEAT_CONTACTS", 2)),
                                    repeat_days=int(config.get("REPEAT_DAYS", 60)))
    audit_event("person_viewed", object_type="person", object_id=person_id)
    merged_into = None
    if found["merged_into_id"]:
        merged_into = store.resolve_person(db, found["merged_into_id"])
    return render("contacts/person.html", person=found, history=history,
                  merged_into=merged_into, people=people_found, people_query=query)


@bp.get("/people/<person_id>")
@role_required(*STAFF)
def person(person_id):
    """A person's timeline, recent counts, repeat involvement and consents (every view audited).

    An officer reads their own contacts and referrals in full, the team's as a summary."""
    return _person_page(_load_person(person_id))


@bp.post("/people/<person_id>/merge")
@role_required("coordinator")
def merge_person(person_id):
    """Merge this duplicate into another person, keeping all history (coordinators).

    "Search" (the people search without JavaScript), or an alias typed with nobody chosen,
    lists the people found on the page instead of merging."""
    db = get_db()
    duplicate = _load_person(person_id)
    form = MergePersonForm(request.form)
    into_id, query = form.into_id.data or "", form.q.data or ""
    if form.search_people.data is not None or (query and not into_id):
        found = _find_people(db, query, exclude=person_id) if query else []
        return _person_page(duplicate, people_found=found, query=query)
    keep = people.get_person(db, into_id, _user()) if into_id else None
    if (keep is None or keep["id"] == person_id or keep["merged_into_id"]
            or duplicate["merged_into_id"] or keep["deidentified_at"]):
        flash(_("Choose another person to keep."), "error")
        return redirect(url_for("contacts.person", person_id=person_id), code=303)
    moved = people.merge_people(db, keep["id"], person_id, _now())
    audit_event("person_merged", object_type="person", object_id=person_id,
                detail={"into": keep["id"], **moved})
    flash(_("Merged: all contacts and referrals now belong to this person."), "ok")
    return redirect(url_for("contacts.person", person_id=keep["id"]), code=303)


# --- coordinator: places and vocabularies -----------------------------------------------------


def _manage_context(db, place_form=None, vocabulary_form=None) -> dict:
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
    return {"places": places.places(db, current_user.police_service, include_inactive=True),
            "entries": entries,
            "place_form": place_form or PlaceForm(formdata=None),
            "vocabulary_form": vocabulary_form or VocabularyForm(formdata=None),
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
    form = PlaceForm(request.form)
    if not form.validate():
        return render("contacts/manage.html", status=422, **_manage_context(db, place_form=form))
    row = places.add_place(db, form.name.data, form.kind.data, current_user.police_service,
                           _now())
    audit_event("place_added", object_type="place", object_id=row["id"])
    flash(_("Place added."), "ok")
    return redirect(url_for("contacts.manage"), code=303)


@bp.post("/manage/places/<place_id>/active")
@role_required("coordinator")
def set_place_active(place_id):
    """Hide a place from the form (old contacts keep it), or offer it again."""
    db = get_db()
    known = {p["id"] for p in places.places(db, current_user.police_service,
                                           include_inactive=True)}
    if place_id not in known:
        found_or_404(None, "place", place_id)
    active = ActiveForm(request.form).value
    places.set_place_active(db, place_id, active)
    audit_event("place_active" if active else "place_retired", object_type="place",
                object_id=place_id)
    return redirect(url_for("contacts.manage"), code=303)


@bp.post("/manage/vocabulary")
@role_required("coordinator")
def add_vocabulary():
    """Add an entry to a vocabulary (labels in English and French)."""
    db = get_db()
    form = VocabularyForm(request.form)
    row, errors = {}, {}
    if form.validate():
        row, errors = places.add_vocabulary_entry(db, form.data, _now())
        form.code.errors = [*form.code.errors, *errors.values()]
    if not row:
        return render("contacts/manage.html", status=422,
                      **_manage_context(db, vocabulary_form=form))
    audit_event("vocabulary_added", object_type="vocabulary",
                object_id=f"{row['vocabulary']}:{row['code']}")
    flash(_("Entry added."), "ok")
    return redirect(url_for("contacts.manage"), code=303)


@bp.post("/manage/vocabulary/<vocabulary>/<code>")
@role_required("coordinator")
def retire_vocabulary(vocabulary, code):
    """Retire an entry (old records keep it, forms stop offering it), or restore it."""
    retired = RetiredForm(request.form).value
    if not places.set_vocabulary_retired(get_db(), vocabulary, code, retired, _now()):
        found_or_404(None, "vocabulary", f"{vocabulary}:{code}")
    audit_event("vocabulary_retired" if retired else "vocabulary_restored",
                object_type="vocabulary", object_id=f"{vocabulary}:{code}")
    return redirect(url_for("contacts.manage"), code=303)
