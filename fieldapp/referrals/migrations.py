"""Schema of the referrals area.  Only referrals/lifecycle.py changes referral.status."""

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("referrals")


@migrations()
def create_referrals(db: Database) -> None:
    db["referral"].create(
        {
            "id": str,  # client-generated UUID
            "contact_id": str,
            "person_id": str,
            "service_id": str,
            "organization_id": str,  # the receiving agency: the partner's scope
            "officer_id": str,
            "police_service": str,
            "urgency": str,  # urgent | today | this_week
            "consent": str,  # verbal | written | guardian | not_obtainable | none
            "consent_reason": str,
            "shared": str,  # JSON list of what the consent covers: name, phone, birth_year, note
            "person_name": str,  # copies of consented details only
            "person_phone": str,
            "person_birth_year": int,
            "handoff_note": str,
            "preferred_contact": str,
            "status": str,  # sent | received | accepted | declined | contact_attempted
            #                 | connected | closed
            "status_reason": str,
            "outcome": str,
            "created_at": str,  # device time
            "sent_at": str,
            "received_at": str,
            "accepted_at": str,
            "declined_at": str,
            "attempted_at": str,
            "connected_at": str,
            "closed_at": str,
            "replaces_referral_id": str,
            "updated_at": str,
        },
        pk="id",
        not_null={"service_id", "organization_id", "officer_id", "status", "consent",
                  "urgency", "created_at"},
        foreign_keys=[("contact_id", "contact", "id"), ("person_id", "person", "id"),
                      ("organization_id", "organization", "id"), ("officer_id", "user", "id"),
                      ("replaces_referral_id", "referral", "id")],
    )
    db["referral"].create_index(["organization_id", "status", "sent_at"])
    db["referral"].create_index(["officer_id", "sent_at"])
    db["referral"].create_index(["police_service", "sent_at"])
    db["referral"].create_index(["person_id"])
    db["referral"].create_index(["service_id"])

    db["referral_event"].create(
        {"id": int, "referral_id": str, "at": str, "user_id": str, "from_status": str,
         "to_status": str, "reason": str, "note": str},
        pk="id", not_null={"referral_id", "at", "to_status"},
        foreign_keys=[("referral_id", "referral", "id")],
    )
    db["referral_event"].create_index(["referral_id", "at"])


@migrations()
def add_referral_links_and_settings(db: Database) -> None:
    # Fingerprint of what the phone sent, so a replay is "unchanged" and a different payload
    # under the same client UUID is a "conflict" (never an overwrite).
    db["referral"].add_column("payload_hash", str)
    db["referral"].add_column("created_by", str)

    # The single-use, expiring links e-mailed to the receiving agency (one per new referral).
    db["referral_link"].create(
        {"id": str, "referral_id": str, "organization_id": str, "created_at": str,
         "expires_at": str, "mailed_to": str, "mailed_at": str, "mail_error": str,
         "used_at": str, "used_by": str},
        pk="id", not_null={"referral_id", "created_at", "expires_at"},
        foreign_keys=[("referral_id", "referral", "id")],
    )
    db["referral_link"].create_index(["referral_id"])

    # Per-organization choices of a partner agency about referrals.
    db["referral_org_setting"].create(
        {"organization_id": str, "accept_from_email": int, "updated_at": str,
         "updated_by": str},
        pk="organization_id", defaults={"accept_from_email": 0},
        foreign_keys=[("organization_id", "organization", "id")],
    )


@migrations()
def add_referral_open_status_index(db: Database) -> None:
    # Overdue and expiry look-ups: unanswered referrals by time, across organizations.
    db["referral"].create_index(["status", "sent_at"], if_not_exists=True)
    # The partner inbox pages through answered referrals newest first.
    db["referral"].create_index(["organization_id", "sent_at"], if_not_exists=True)


@migrations()
def add_mail_outbox(db: Database) -> None:
    # The transactional outbox of referral e-mails: a row is written in the same transaction as
    # its referral, and `flask referrals send-mail` (or a thread after the request) sends it.
    # No body is stored: the message is composed at send time from the link and the urgency,
    # so the row holds nothing personal (the address is the agency's intake address).
    db["mail_outbox"].create(
        {"id": int, "referral_id": str, "link_id": str, "to_address": str, "status": str,
         "attempts": int, "next_attempt_at": str, "claimed_until": str, "claimed_by": str,
         "last_error": str, "last_attempt_at": str, "created_at": str, "sent_at": str,
         "failed_at": str},
        pk="id", not_null={"referral_id", "link_id", "status", "attempts", "next_attempt_at",
                           "created_at"},
        defaults={"status": "queued", "attempts": 0},
        foreign_keys=[("referral_id", "referral", "id"), ("link_id", "referral_link", "id")],
    )
    db["mail_outbox"].create_index(["status", "next_attempt_at"])
    db["mail_outbox"].create_index(["referral_id"])
    # E-mails that failed before the outbox existed were never tried again: list them as
    # failed for good, so a coordinator sees them and can send them again.
    db.execute(
        "insert into mail_outbox (referral_id, link_id, to_address, status, attempts,"
        " next_attempt_at, last_error, last_attempt_at, created_at, failed_at)"
        " select referral_id, id, mailed_to, 'failed', 1, created_at, mail_error, created_at,"
        " created_at, created_at from referral_link"
        " where mailed_at is null and mail_error is not null")


@migrations()
def add_referral_raw_payload_hash(db: Database) -> None:
    # The fingerprint of the referral as the phone sent it (fieldapp.replay): a resend of that
    # exact payload is "unchanged" before validation (a service since archived, a time now out
    # of range never refuse a referral already stored).  Older rows: NULL, payload_hash applies.
    db["referral"].add_column("raw_hash", str)


@migrations()
def keep_device_created_at_and_clock_offset(db: Database) -> None:
    # created_at is the phone's time corrected by its clock offset (server minus phone,
    # seconds; null when the phone did not say); the time as the phone sent it is kept.
    db["referral"].add_column("device_created_at", str)
    db["referral"].add_column("clock_offset_seconds", int)
