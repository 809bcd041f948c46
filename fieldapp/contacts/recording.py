"""Logging a contact from the entries of its form: the one code path of the web form
(contacts.routes.new_contact) and of the phone's offline form (/api/sync, through
fieldapp.pwa.store).

The phone posts the entries the online form posts (offline/outbox.js), as a contact item
{"id": ..., "entries": [[name, value], ...], "saved_at": ...}; both paths parse them with
`ContactForm` and store the new person (if one was typed) and the contact in one savepoint,
all or nothing.  Items queued by phones of the previous version (the store's item shape,
{"id", "occurred_at", "populations": [...], ...}, and the new person as a separate "people"
record) still go through the same form: their keys are the form's field names.
"""

from sqlite_utils import Database
from werkzeug.datastructures import MultiDict

from fieldapp import replay
from fieldapp.contacts import people, store
from fieldapp.contacts.forms import ContactForm
from fieldapp.db import writing


class _Rollback(Exception):
    """Undo the person of a form whose contact turned out invalid (or the other way)."""


def record_contact(db: Database, form: ContactForm, user: dict, now: str, tz: str, *,
                   clock_offset: int | None = None, saved_at: str | None = None,
                   raw: str | None = None) -> dict:
    """Store the person typed on `form` (if any) and its contact; answer like
    `store.apply_contact` ({"id", "status", "errors"}), with the errors also put on the form's
    fields.  `saved_at`: when the phone saved the form (the new person's creation time);
    `raw`: the fingerprint of the item as a phone sent it (fieldapp.replay)."""
    item = form.contact_item(tz)
    result: dict = {}
    try:
        with writing(db):  # a savepoint inside the request's transaction
            person = form.person_item(created_at=saved_at)
            if person is not None:
                stored = people.apply_person(db, person, user, now, clock_offset=clock_offset)
                if stored["status"] in ("invalid", "conflict"):
                    form.add_person_errors(stored["errors"])
                    raise _Rollback
                item["person_id"] = stored["id"]
            result = store.apply_contact(db, item, user, now, clock_offset=clock_offset, raw=raw)
            if result["status"] == "invalid":
                form.add_errors(result["errors"])
                raise _Rollback
    except _Rollback:
        return {"id": item["id"], "status": "invalid", "errors": _form_errors(form)}
    result["person_id"] = item["person_id"]
    return result


def _form_errors(form: ContactForm) -> dict:
    errors = {name: str(messages[0]) for name, messages in form.errors.items()
              if name and messages}
    if form.form_errors:
        errors["form"] = str(form.form_errors[0])
    return errors


def entries(item: dict) -> MultiDict:
    """A synced contact item as the entries of its form."""
    if isinstance(item.get("entries"), list):
        # The phone resolved the time itself (it knows its own time zone): occurred_at is
        # the moment typed or saved, so a typed local time is not read again here.
        pairs = [pair for pair in item["entries"]
                 if isinstance(pair, list | tuple) and len(pair) == 2
                 and all(isinstance(part, str) for part in pair)
                 and pair[0] not in ("id", "occurred_local")]
        return MultiDict([("id", str(item.get("id"))), *pairs])
    # A previous version's item: its keys are the form's names, its values JSON values.
    pairs = []
    for name, value in item.items():
        for one in value if isinstance(value, list) else [value]:
            if one is not None and not isinstance(one, dict | list):
                pairs.append((name, str(int(one)) if isinstance(one, bool) else str(one)))
    return MultiDict(pairs)


def apply_synced_contact(db: Database, item, user: dict, now: str,
                         clock_offset: int | None = None) -> dict:
    """Store one contact a phone sent (fieldapp.pwa.store's applier for "contacts")."""
    if not isinstance(item, dict):
        return store.apply_contact(db, item, user, now, clock_offset=clock_offset)
    form = ContactForm(formdata=entries(item))
    saved_at = item.get("saved_at") if isinstance(item.get("saved_at"), str) else None
    # No time zone needed: a phone's entries carry no local time (see `entries`).
    result = record_contact(db, form, user, now, "UTC", clock_offset=clock_offset,
                            saved_at=saved_at, raw=replay.raw_hash(item))
    person_id = result.pop("person_id", None)
    if result["status"] == "conflict":  # kept for review in the store's shape (pwa/versions.py)
        result["item"] = {**form.contact_item("UTC"), "person_id": person_id}
    return result


def apply_synced_person(db: Database, item, user: dict, now: str,
                        clock_offset: int | None = None) -> dict:
    """Store one person a previous version's phone sent as its own record."""
    return people.apply_person(db, item, user, now, clock_offset=clock_offset)
