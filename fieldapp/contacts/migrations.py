"""Schema of the contacts area: places, people, quick contacts, coordinator vocabularies.

Records a phone can create (person, contact) have client-generated UUID ids and device times.
"""

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("contacts")


@migrations()
def create_contacts(db: Database) -> None:
    # Schools and community sites kept by coordinators.
    db["place"].create(
        {"id": str, "name": str, "kind": str, "police_service": str, "address": str,
         "lat": float, "lon": float, "active": int, "created_at": str},
        pk="id", not_null={"name", "kind"}, defaults={"active": 1},
    )

    # Coordinator extensions of the built-in vocabularies (kinds, populations, outcomes).
    db["vocabulary"].create(
        {"vocabulary": str, "code": str, "label_en": str, "label_fr": str, "retired": int,
         "created_at": str},
        pk=("vocabulary", "code"), defaults={"retired": 0},
    )

    db["person"].create(
        {
            "id": str,
            "alias": str,
            "birth_year": int,
            "flags": str,  # JSON list of self-identified population codes
            "police_service": str,
            "created_by": str,
            "created_at": str,  # device time
            "updated_at": str,
            "merged_into_id": str,
            "deidentified_at": str,
        },
        pk="id",
        foreign_keys=[("created_by", "user", "id"), ("merged_into_id", "person", "id")],
    )
    db["person"].create_index(["police_service"])
    db["person"].create_index(["merged_into_id"])

    db["contact"].create(
        {
            "id": str,
            "officer_id": str,
            "police_service": str,
            "team": str,
            "occurred_at": str,  # ISO 8601 UTC, from the device
            "created_at": str,   # when the server stored it
            "updated_at": str,
            "place_id": str,
            "place_text": str,
            "lat": float,
            "lon": float,
            "kind": str,
            "outcome": str,
            "note": str,
            "person_id": str,
            "is_group": int,
            "headcount": int,
            "age_band": str,
            "deleted_at": str,  # undo within 10 minutes
        },
        pk="id",
        not_null={"officer_id", "occurred_at", "created_at"},
        defaults={"is_group": 0},
        foreign_keys=[("officer_id", "user", "id"), ("person_id", "person", "id"),
                      ("place_id", "place", "id")],
    )
    db["contact"].create_index(["officer_id", "occurred_at"])
    db["contact"].create_index(["police_service", "occurred_at"])
    db["contact"].create_index(["person_id", "occurred_at"])
    db["contact"].create_index(["kind", "occurred_at"])

    # One row per population of a contact, so reports count populations in SQL.
    db["contact_population"].create(
        {"contact_id": str, "population": str},
        pk=("contact_id", "population"),
        foreign_keys=[("contact_id", "contact", "id")],
    )
    db["contact_population"].create_index(["population"])

    # Old values of every edit of a contact (edits are audited too).
    db["contact_revision"].create(
        {"id": int, "contact_id": str, "edited_by": str, "edited_at": str, "old_values": str},
        pk="id", foreign_keys=[("contact_id", "contact", "id")],
    )
    db["contact_revision"].create_index(["contact_id"])


@migrations()
def add_payload_hashes_and_favourites(db: Database) -> None:
    # The hash of the payload that created a record: replaying the same client UUID with the
    # same payload is "unchanged", with a different one a "conflict" (even after later edits).
    db["contact"].add_column("payload_hash", str)
    db["person"].add_column("payload_hash", str)
    db["place"].create_index(["police_service", "active"])

    # An officer's own favourite places (shown first on the log-contact form).
    db["favourite_place"].create(
        {"user_id": str, "place_id": str, "created_at": str},
        pk=("user_id", "place_id"),
        foreign_keys=[("user_id", "user", "id"), ("place_id", "place", "id")],
    )


@migrations()
def index_contacts_by_officer_and_creation(db: Database) -> None:
    # "Repeat last contact" looks up an officer's most recently saved contact.
    db["contact"].create_index(["officer_id", "created_at"], if_not_exists=True)


@migrations()
def add_raw_payload_hashes(db: Database) -> None:
    # The fingerprint of a record as the phone sent it (fieldapp.replay): a resend of that
    # exact payload is "unchanged" before any validation, so rules made since (a retired code,
    # a time now too old) never refuse a record already stored.  Older rows: NULL, and the
    # payload_hash check applies as before.
    db["contact"].add_column("raw_hash", str)
    db["person"].add_column("raw_hash", str)


@migrations()
def keep_device_times_and_clock_offsets(db: Database) -> None:
    # A phone's clock may be hours off.  occurred_at (contact) and created_at (person) hold the
    # time corrected by the phone's clock offset, the one every reader uses; the time the phone
    # sent and the offset (server clock minus phone clock, seconds; null when the phone did not
    # say, as with older phones and the web form) are kept beside it.
    db["contact"].add_column("device_occurred_at", str)
    db["contact"].add_column("clock_offset_seconds", int)
    db["person"].add_column("device_created_at", str)
    db["person"].add_column("clock_offset_seconds", int)
