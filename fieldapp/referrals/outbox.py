"""Data access of the referral e-mail outbox (the referrals store, split by concern).

A new referral's e-mail is a `mail_outbox` row written in the referral's own transaction
(`queue`), so a referral rolled back sends nothing.  The sender (referrals/mail.py) claims a
due row in a short write transaction, talks to the SMTP server outside any transaction, then
records the result in another short one.  A claim is a lease (`claimed_until`): two senders
never hold the same row, and a sender that died mid-send leaves a row the next run takes again.

Statuses: queued (waiting for its next attempt) -> sent, or -> failed (for good: out of
attempts, or refused permanently); a coordinator's retry puts a failed row back in the queue.
"""

from blinker import Namespace
from sqlite_utils import Database

from fieldapp.db import writing

# Sent (with the row's id) when a row is queued, so the web layer can send it soon after the
# request commits; stores know nothing of requests.
signals = Namespace()
mail_queued = signals.signal("referral-mail-queued")

NO_ADDRESS = "no_address"  # last_error of a row with no intake address to send to


def queue(db: Database, *, referral_id: str, link_id: str, to_address: str | None,
          now: str) -> int:
    """Queue the e-mail of a new referral's link, due at once (inside the caller's
    transaction)."""
    with writing(db):
        mail_id = db["mail_outbox"].insert({
            "referral_id": referral_id, "link_id": link_id, "to_address": to_address,
            "status": "queued", "attempts": 0, "next_attempt_at": now, "created_at": now,
        }).last_pk
    mail_queued.send(db, mail_id=mail_id)
    return mail_id


def claim_next(db: Database, *, now: str, lease_until: str, claimer: str,
               only: list[int] | None = None, skip: set[int] | frozenset = frozenset()
               ) -> dict | None:
    """Claim the next due row (one write transaction): count the attempt and lease the row
    until `lease_until`.  Returns the row with what the e-mail may say, or None."""
    where = ["status = 'queued'", "next_attempt_at <= ?",
             "(claimed_until is null or claimed_until <= ?)"]
    params: list = [now, now]
    if only is not None:
        where.append(f"id in ({', '.join('?' * len(only))})")
        params.extend(only)
    if skip:
        where.append(f"id not in ({', '.join('?' * len(skip))})")
        params.extend(skip)
    with writing(db):
        row = db.execute("select id from mail_outbox where " + " and ".join(where)
                         + " order by next_attempt_at, id limit 1", params).fetchone()
        if row is None:
            return None
        claimed = db.execute(
            "update mail_outbox set claimed_until = ?, claimed_by = ?, attempts = attempts + 1,"
            " last_attempt_at = ? where id = ? and status = 'queued'"
            " and (claimed_until is null or claimed_until <= ?)",
            [lease_until, claimer, now, row[0], now]).rowcount
        if claimed != 1:
            return None
        return _with_facts(db, row[0])


def _with_facts(db: Database, mail_id: int) -> dict:
    """The row, with the link's expiry and use, the referral's urgency and the languages the
    service lists (ISO 639-1 codes, comma-separated: its intake reads these first): nothing
    personal."""
    return next(db.query(
        "select m.*, l.expires_at, l.used_at, r.urgency,"
        " (select group_concat(distinct lower(substr(code, 1, 2))) from language"
        "  where service_id = r.service_id and code is not null) as service_languages"
        " from mail_outbox m"
        " join referral_link l on l.id = m.link_id join referral r on r.id = m.referral_id"
        " where m.id = ?", [mail_id]))


def record_sent(db: Database, mail_id: int, *, now: str) -> None:
    with writing(db):
        db.execute("update mail_outbox set status = 'sent', sent_at = ?, last_error = null,"
                   " claimed_until = null where id = ?", [now, mail_id])
        db.execute("update referral_link set mailed_at = ?, mail_error = null where id ="
                   " (select link_id from mail_outbox where id = ?)", [now, mail_id])


def record_failure(db: Database, mail_id: int, *, error: str, now: str,
                   retry_at: str | None) -> None:
    """A failed attempt: queued again for `retry_at`, or failed for good when None."""
    with writing(db):
        if retry_at is None:
            db.execute("update mail_outbox set status = 'failed', failed_at = ?,"
                       " last_error = ?, claimed_until = null where id = ?",
                       [now, error, mail_id])
        else:
            db.execute("update mail_outbox set next_attempt_at = ?, last_error = ?,"
                       " claimed_until = null where id = ?", [retry_at, error, mail_id])
        db.execute("update referral_link set mail_error = ? where id ="
                   " (select link_id from mail_outbox where id = ?)", [error, mail_id])


def queued_count(db: Database) -> int:
    return db.execute("select count(*) from mail_outbox where status = 'queued'").fetchone()[0]


# --- the coordinator's view of e-mails that failed for good ----------------------------------

FAILED_SELECT = """
    select m.id, m.referral_id, m.to_address, m.attempts, m.last_error, m.created_at,
           m.last_attempt_at, m.failed_at, r.urgency, o.name as organization_name
    from mail_outbox m
    join referral r on r.id = m.referral_id
    left join organization o on o.id = r.organization_id
"""


def failed_mails(db: Database, police_service: str | None, *, limit: int = 200) -> list[dict]:
    """E-mails of the police service's referrals that failed for good, newest first."""
    return list(db.query(
        FAILED_SELECT + " where m.status = 'failed' and r.police_service = ?"
        " order by m.failed_at desc, m.id desc limit ?", [police_service, limit]))


def failed_count(db: Database, police_service: str | None) -> int:
    return db.execute(
        "select count(*) from mail_outbox m join referral r on r.id = m.referral_id"
        " where m.status = 'failed' and r.police_service = ?", [police_service]).fetchone()[0]


def mail_for(db: Database, police_service: str | None, mail_id: int) -> dict | None:
    """An outbox row of one of the police service's referrals, else None (a 404)."""
    rows = list(db.query(
        "select m.* from mail_outbox m join referral r on r.id = m.referral_id"
        " where m.id = ? and r.police_service = ?", [mail_id, police_service]))
    return rows[0] if rows else None


def requeue(db: Database, mail_id: int, *, now: str, to_address: str | None) -> bool:
    """Put a failed e-mail back in the queue, due now with its attempts counted from zero, to
    the agency's current intake address (it may have been corrected meanwhile).  False when
    it was not failed (a second click)."""
    with writing(db):
        changed = db.execute(
            "update mail_outbox set status = 'queued', attempts = 0, next_attempt_at = ?,"
            " failed_at = null, claimed_until = null, to_address = coalesce(?, to_address)"
            " where id = ? and status = 'failed'", [now, to_address, mail_id]).rowcount
        if changed:
            db.execute("update referral_link set mailed_to = coalesce(?, mailed_to) where id ="
                       " (select link_id from mail_outbox where id = ?)", [to_address, mail_id])
    if changed:
        mail_queued.send(db, mail_id=mail_id)
    return changed == 1
