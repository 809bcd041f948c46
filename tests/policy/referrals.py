"""Routes of the referrals area: who may succeed (everyone else gets 404 or the login page)."""

import json

from tests.policy import LOGGED_IN

URGENT_NEW_ID = "7e0f0000-0000-4000-8000-000000000001"  # officer -> crisis team (demo)
DECLINED_ID = "7e0f0000-0000-4000-8000-000000000004"  # officer2 -> youth shelter, no capacity
CRISIS_TEAM_ID = "6f1c2d3e-5a4b-4c8d-9e0f-000000000001"
YOUTH_SHELTER_ID = "6f1c2d3e-5a4b-4c8d-9e0f-000000000002"
OFFICER_ID = "0d5e7a10-0000-4000-8000-000000000002"
OFFICER2_ID = "0d5e7a10-0000-4000-8000-000000000003"


def _demo_referral(db, referral_id, organization_id, officer_id, status, reason=None):
    """The demo referral, or the same row inserted directly when the directory's demo has no
    services yet (the referrals demo then has nothing to refer to)."""
    if not list(db.query("select 1 from referral where id = ?", [referral_id])):
        db["referral"].insert({
            "id": referral_id, "service_id": "policy-service", "organization_id": organization_id,
            "officer_id": officer_id, "police_service": "HRP", "urgency": "urgent",
            "consent": "verbal", "shared": json.dumps([]), "status": status,
            "status_reason": reason, "created_at": "2026-01-01T00:00:00+00:00",
            "sent_at": "2026-01-01T00:00:00+00:00"})
    return referral_id


def urgent(db):
    return {"referral_id": _demo_referral(db, URGENT_NEW_ID, CRISIS_TEAM_ID, OFFICER_ID,
                                          "sent")}


RCMP_REFERRAL_ID = "7e0f0000-0000-4000-8000-0000000000f1"


def rcmp_failed_mail(db) -> dict:
    """A referral e-mail of the RCMP that failed for good."""
    if not list(db.query("select 1 from referral where id = ?", [RCMP_REFERRAL_ID])):
        db["referral"].insert({
            "id": RCMP_REFERRAL_ID, "service_id": "policy-service",
            "organization_id": CRISIS_TEAM_ID, "officer_id": OFFICER_ID,
            "police_service": "RCMP", "urgency": "today", "consent": "verbal",
            "shared": json.dumps([]), "status": "sent",
            "created_at": "2026-01-01T00:00:00+00:00", "sent_at": "2026-01-01T00:00:00+00:00"})
        db["referral_link"].insert({
            "id": "policy-rcmp-link", "referral_id": RCMP_REFERRAL_ID,
            "organization_id": CRISIS_TEAM_ID, "created_at": "2026-01-01T00:00:00+00:00",
            "expires_at": "2026-01-04T00:00:00+00:00"})
    mail_id = db["mail_outbox"].insert({
        "referral_id": RCMP_REFERRAL_ID, "link_id": "policy-rcmp-link", "status": "failed",
        "attempts": 8, "next_attempt_at": "2026-01-01T00:00:00+00:00",
        "last_error": "ConnectionRefusedError", "created_at": "2026-01-01T00:00:00+00:00",
        "failed_at": "2026-01-01T02:00:00+00:00"}).last_pk
    return {"mail_id": mail_id}


PARTNERS = {"partner", "partner2"}
SENDERS = {"officer", "officer2", "coordinator"}

POLICY = {
    "referrals.inbox": {"roles": LOGGED_IN},
    "referrals.search": {"roles": PARTNERS | {"coordinator"}},
    "referrals.export": {"roles": PARTNERS | {"coordinator"}},
    "referrals.settings": {"roles": PARTNERS},
    "referrals.new_referral": {"roles": SENDERS},
    "referrals.create": {"roles": SENDERS},
    "referrals.service_options": {"roles": SENDERS},
    "referrals.detail": {"roles": {"officer", "partner", "coordinator"}, "args": urgent},
    "referrals.status": {"roles": {"officer", "partner", "coordinator"}, "args": urgent},
    "referrals.transition": {
        "roles": {"partner"},
        "args": lambda db: {**urgent(db), "action": "accept"},
    },
    # Undo only the partner's own answer of a few seconds ago (else 409, never someone else's).
    "referrals.undo": {"roles": {"partner"}, "args": urgent},
    "referrals.reassign": {
        "roles": {"coordinator"},
        "args": lambda db: {"referral_id": _demo_referral(
            db, DECLINED_ID, YOUTH_SHELTER_ID, OFFICER2_ID, "declined", "no_capacity")},
    },
    "referrals.email_link": {"roles": PARTNERS},  # random tokens: 404 for everyone
    "referrals.use_email_link": {"roles": PARTNERS},  # POST: uses the link (random: 404)
    "referrals.mail_failures": {"roles": {"coordinator"}},
    "referrals.retry_mail": {
        "roles": {"coordinator"}, "args": lambda db: {"mail_id": 999999},
        # A coordinator sends again only the e-mails of their own police service.
        "objects": [{"why": "a failed e-mail of an RCMP referral", "args": rcmp_failed_mail,
                     "roles": {"rcmp_coordinator"}}],
    },
}
