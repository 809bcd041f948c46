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
