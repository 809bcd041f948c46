# Contacts: officers and coordinators only; partners get 404 everywhere here.
from datetime import UTC, datetime

import fieldapp.accounts  # noqa: F401  (imports security before the contacts package)
from fieldapp.contacts import demo

FRESH_CONTACT = "c0de0000-0000-4000-8000-00000000f125"


def fresh_contact(db) -> dict:
    """A contact officer saved just now (so its author may still edit and undo it)."""
    now = datetime.now(UTC).isoformat(timespec="seconds")
    db["contact"].upsert({"id": FRESH_CONTACT, "officer_id": demo.OFFICER_ID,
                          "police_service": "HRP", "occurred_at": now, "created_at": now,
                          "updated_at": now, "place_id": demo.PLACE_LIBRARY, "kind": "other",
                          "outcome": "information_given", "is_group": 0, "deleted_at": None},
                         pk="id")
    return {"contact_id": FRESH_CONTACT}

STAFF = {"officer", "officer2", "coordinator"}

POLICY = {
    "contacts.new_contact": {"roles": STAFF},
    "contacts.my_contacts": {"roles": STAFF},
    "contacts.note_check": {"roles": STAFF},
    # the nearest known places to a position (the query string, as the form's script sends it)
    "contacts.near_places": {"roles": STAFF, "args": lambda db: {"lat": 44.648, "lon": -63.625}},
    "contacts.search_people": {"roles": STAFF},
    # officer's own contact with no person: officer2 has not worked with anyone in it.
    "contacts.detail": {
        "roles": {"officer", "coordinator"},
        "args": lambda db: {"contact_id": demo.OFFICER_PRIVATE_CONTACT},
        "objects": [
            # Working with the same person does not open another officer's contact.
            {"why": "officer's contact with M.K., whom officer2 also worked with",
             "args": lambda db: {"contact_id": demo.OFFICER_SHARED_CONTACT},
             "roles": {"officer", "coordinator"}},
            {"why": "officer2's contact with M.K.",
             "args": lambda db: {"contact_id": demo.CONTACT_IDS["c06"]},
             "roles": {"officer2", "coordinator"}},
        ],
    },
    # Only the author edits or undoes, and only soon after saving.
    "contacts.edit": {"roles": {"officer"}, "args": fresh_contact},
    "contacts.undo": {"roles": {"officer"}, "args": fresh_contact},
    "contacts.toggle_favourite": {"roles": STAFF,
                                  "args": lambda db: {"place_id": demo.PLACE_LIBRARY}},
    # R.T. is officer's alone.
    "contacts.person": {
        "roles": {"officer", "coordinator"},
        "args": lambda db: {"person_id": demo.PERSON_RT},
        "objects": [
            # Both officers worked with M.K.: officer2 opens the person (officer's contacts
            # show there only as a count); the RCMP coordinator does not.
            {"why": "a person both HRP officers worked with",
             "args": lambda db: {"person_id": demo.PERSON_MK},
             "roles": {"officer", "officer2", "coordinator"}},
        ],
    },
    "contacts.merge_person": {
        "roles": {"coordinator"},
        "args": lambda db: {"person_id": demo.PERSON_RT},
        "objects": [{"why": "an HRP person", "args": lambda db: {"person_id": demo.PERSON_MK},
                     "roles": {"coordinator"}}],
    },
    "contacts.manage": {"roles": {"coordinator"}},
    "contacts.add_place": {"roles": {"coordinator"}},
    "contacts.set_place_active": {"roles": {"coordinator"},
                                  "args": lambda db: {"place_id": demo.PLACE_LIBRARY}},
    "contacts.add_vocabulary": {"roles": {"coordinator"}},
    "contacts.retire_vocabulary": {"roles": {"coordinator"},
                                   "args": lambda db: {"vocabulary": "kind", "code": "other"}},
}
