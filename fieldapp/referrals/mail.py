"""The one e-mail of a new referral: a signed, single-use, expiring link, and nothing personal.

The store queues it in the outbox (referrals/outbox.py) in the referral's own transaction; this
module sends what is due, never inside a request and never inside a transaction: claim a row
(short write) -> SMTP conversation -> record the result (short write).  `flask referrals
send-mail` runs it from a timer; with MAIL_SEND_AFTER_REQUEST (default on) a daemon thread also
sends a request's new e-mails as soon as it has committed.  A failed attempt is tried again
after 1, 2, 4 ... minutes (MAIL_RETRY_BASE_SECONDS, doubling, up to MAIL_RETRY_MAX_SECONDS, each
up to a quarter longer at random so that senders spread out); after MAIL_MAX_ATTEMPTS (8), or
at once when the server refuses it for good (5xx), it is failed for good and listed for the
coordinators of the referral's police service, who may send it again.

Configuration (FIELDAPP_SMTP_* in the environment): SMTP_HOST, SMTP_PORT (25), SMTP_USERNAME,
SMTP_PASSWORD, SMTP_STARTTLS (false), SMTP_FROM, SMTP_TIMEOUT (10 s).  With SMTP_HOST empty
nothing is sent and the e-mails stay queued (logged).  The link's lifetime is
REFERRAL_LINK_HOURS (72).  The link's origin is BASE_URL, never a request's Host header (the
sender runs outside requests).  Without BASE_URL, debug and testing use http://localhost;
production sends the e-mail without a link, and says so in the log.
"""

import hashlib
import logging
import random
import secrets
import smtplib
import threading
from collections import Counter
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate

from flask import Flask, current_app, g, has_request_context, url_for
from flask_babel import force_locale, gettext
from itsdangerous import BadSignature, URLSafeSerializer
from sqlite_utils import Database

from fieldapp import clock, formats
from fieldapp.db import get_db
from fieldapp.referrals import outbox

SALT = "fieldapp.referral-link"
# A claimed row is another sender's for this long (longer than any SMTP conversation); a
# sender that died mid-send leaves its row to the next run after it.
CLAIM_SECONDS = 600
# Threads of one process that send after requests at the same time; past this (a server that
# does not answer), a request's e-mails are left to the timer's send-mail.
BACKGROUND_SENDERS = 4
_background_senders = threading.BoundedSemaphore(BACKGROUND_SENDERS)


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def make_token(link_id: str) -> str:
    return _serializer().dumps(link_id)


def read_token(token: str) -> str | None:
    """The link id a token carries, or None when the signature is not ours."""
    try:
        value = _serializer().loads(token)
    except BadSignature:
        return None
    return value if isinstance(value, str) else None


def link_url(link_id: str) -> str | None:
    """The link's address on BASE_URL; None in production when BASE_URL is not set."""
    token = make_token(link_id)
    base = current_app.config.get("BASE_URL")
    if not base:
        if not (current_app.debug or current_app.testing):
            return None
        base = "http://localhost"
    with current_app.test_request_context(base_url=base):
        return url_for("referrals.email_link", token=token, _external=True)


def compose(facts: dict, url: str | None, hours: int, message_id: str) -> EmailMessage:
    """The message: urgency and the link only, in English and French (without a link when
    there is no BASE_URL to put it on: then the inbox is where to look).

    The recipient is an agency's intake mailbox: the message speaks both languages, the
    service's own first (the languages its directory listing gives, in `service_languages`:
    a French-speaking service reads French first).  Each part is wholly in its own language:
    its words (with French typography, from the compiled catalogue) and its numbers and dates
    (fieldapp/formats.py: "expires in 72 hours (October 1, 2026, 14:00)" / "expire dans
    72 heures (1er octobre 2026 à 14 h)")."""
    parts, subjects = [], []
    for language in languages_for(facts):
        with force_locale(language):
            if facts["urgency"] == "urgent":
                subjects.append(gettext("New urgent referral"))
                lead = gettext("A new urgent referral from the community team.")
            else:
                subjects.append(gettext("New referral"))
                lead = gettext("A new referral from the community team.")
            if url is None:
                parts.append("\n".join([
                    lead, gettext("Open it in your agency's referrals inbox in fieldapp.")]))
                continue
            parts.append("\n".join([
                lead,
                gettext("Open it in fieldapp (you will be asked to log in):"),
                url,
                gettext("This link works once and expires in %(hours)s hours (%(when)s).",
                        hours=formats.count(hours), when=formats.moment(facts["expires_at"])),
            ]))
    message = EmailMessage()
    message["Subject"] = " / ".join(subjects)
    message["From"] = current_app.config.get("SMTP_FROM") or "fieldapp@localhost"
    message["To"] = facts["to_address"]
    message["Date"] = formatdate(localtime=False)
    # The same on every attempt, so a server that took an attempt whose answer was lost can
    # tell the next one is the same message.
    message["Message-ID"] = message_id
    # 8bit keeps the link on one line for any mail reader (quoted-printable would fold it).
    message.set_content("\n\n---\n\n".join(parts) + "\n", cte="8bit")
    return message


def languages_for(facts: dict) -> list[str]:
    """The app's languages, those the recipient's service lists first (stable otherwise)."""
    languages = list(current_app.config.get("LANGUAGES", ["en", "fr"]))
    spoken = set((facts.get("service_languages") or "").split(","))
    return sorted(languages, key=lambda language: language not in spoken)


def send_due(db: Database, *, only: list[int] | None = None, limit: int = 1000) -> Counter:
    """Send the e-mails that are due (or those of `only` that are due), one claim at a time.

    Returns how many were "sent", queued to "retry" and "failed" for good.  When the server
    cannot be reached, the other rows of this run are not tried again (each would wait for
    SMTP_TIMEOUT): they count the same failed attempt and wait for their next one.
    """
    config, log, counts = current_app.config, current_app.logger, Counter()
    if not config.get("SMTP_HOST"):
        log.info("SMTP_HOST is empty: referral e-mails not sent (%d queued)",
                 outbox.queued_count(db))
        return counts
    claimer, seen, server_error = secrets.token_hex(8), set(), None
    while len(seen) < limit:
        now = clock.now()
        row = outbox.claim_next(db, now=clock.iso(now),
                                lease_until=clock.iso(now + timedelta(seconds=CLAIM_SECONDS)),
                                claimer=claimer, only=only, skip=seen)
        if row is None:
            break
        seen.add(row["id"])
        try:
            outcome, error = _deliver(row, server_error)
        except Exception as exc:  # a bug in one e-mail must not stop the queue behind it
            log.exception("referral e-mail %s could not be composed", row["id"])
            outcome, error = "deferred", type(exc).__name__
        if outcome == "sent":
            outbox.record_sent(db, row["id"], now=clock.iso())
            counts["sent"] += 1
            continue
        if outcome == "unreachable":
            server_error = error
        retry_at = None if outcome == "refused" else _retry_at(row["attempts"])
        outbox.record_failure(db, row["id"], error=error, now=clock.iso(), retry_at=retry_at)
        counts["retry" if retry_at else "failed"] += 1
        # A retry is routine (a warning); an e-mail failed for good needs a person (an error).
        log.log(logging.WARNING if retry_at else logging.ERROR,
                "referral e-mail %s (referral %s): attempt %s failed: %s%s", row["id"],
                row["referral_id"], row["attempts"], error,
                f", next attempt at {retry_at}" if retry_at else ", failed for good")
    return counts


def _deliver(row: dict, server_error: str | None) -> tuple[str, str | None]:
    """One SMTP conversation (outside any transaction): ("sent", None), or ("refused",
    error) for good, ("deferred", error) to try again, ("unreachable", error) when the server
    itself failed (not tried again in this run)."""
    if not row["to_address"]:
        return "refused", outbox.NO_ADDRESS
    if server_error is not None:
        return "unreachable", server_error
    config = current_app.config
    now = clock.now()
    expires = datetime.fromisoformat(row["expires_at"])
    url = None
    if not row["used_at"] and expires > now:  # a late e-mail points to the inbox instead
        url = link_url(row["link_id"])
        if url is None:
            current_app.logger.warning(
                "BASE_URL is not set: the e-mail of referral link %s goes without its link (set"
                " FIELDAPP_BASE_URL to the public origin, e.g. https://fieldapp.example.org)",
                row["link_id"])
    hours = max(1, int((expires - now).total_seconds() // 3600))
    g.setdefault("referral_mail", True)  # flask-babel's force_locale needs a non-empty g
    message = compose(row, url, hours, _message_id(row))
    try:
        with smtplib.SMTP(config["SMTP_HOST"], int(config.get("SMTP_PORT") or 25),
                          timeout=float(config.get("SMTP_TIMEOUT") or 10)) as smtp:
            if _truthy(config.get("SMTP_STARTTLS")):
                smtp.starttls()
            if config.get("SMTP_USERNAME"):
                smtp.login(config["SMTP_USERNAME"], config.get("SMTP_PASSWORD") or "")
            smtp.send_message(message)
    except smtplib.SMTPRecipientsRefused as error:
        code = min((code for code, _ in error.recipients.values()), default=0)
        return ("refused" if code >= 500 else "deferred"), f"{type(error).__name__} {code}"
    except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as error:
        return (("refused" if error.smtp_code >= 500 else "deferred"),
                f"{type(error).__name__} {error.smtp_code}")
    except (smtplib.SMTPException, OSError) as error:
        return "unreachable", type(error).__name__
    return "sent", None


def _message_id(row: dict) -> str:
    digest = hashlib.sha256(row["link_id"].encode()).hexdigest()[:16]
    return f"<referral-mail-{row['id']}.{digest}@fieldapp.local>"


def _retry_at(attempts: int) -> str | None:
    """When to try again after `attempts` failed attempts; None when they are used up."""
    config = current_app.config
    if attempts >= int(config.get("MAIL_MAX_ATTEMPTS") or 8):
        return None
    base = float(config.get("MAIL_RETRY_BASE_SECONDS") or 60)
    cap = float(config.get("MAIL_RETRY_MAX_SECONDS") or 3600)
    delay = min(cap, base * 2 ** (attempts - 1) * random.uniform(1.0, 1.25))
    return clock.iso(clock.now() + timedelta(seconds=max(1.0, delay)))


# --- soon after the request ---------------------------------------------------------------------


def remember_queued(_db, mail_id: int) -> None:
    """Receiver of outbox.mail_queued: note a request's new e-mail, to send once it commits."""
    if has_request_context():
        g.setdefault("referral_mail_queued", []).append(mail_id)


def send_after_request(response):
    """After a request that queued e-mails (and has committed: its view's transaction ended),
    send them from a daemon thread: the request never waits for the SMTP server, and the
    timer's `send-mail` sends whatever this misses."""
    queued = g.pop("referral_mail_queued", None)
    config = current_app.config
    if queued and config.get("MAIL_SEND_AFTER_REQUEST") and config.get("SMTP_HOST"):
        start_background_send(current_app._get_current_object(), queued)
    return response


def start_background_send(app: Flask, only: list[int]) -> threading.Thread | None:
    """Send the e-mails `only` from a daemon thread; None when enough threads already wait
    on the server (the timer sends these)."""
    if not _background_senders.acquire(blocking=False):
        app.logger.info("referral e-mails %s left to send-mail: %d senders busy", only,
                        BACKGROUND_SENDERS)
        return None
    thread = threading.Thread(target=_send_in_background, args=(app, list(only)),
                              name="referral-mail", daemon=True)
    try:
        thread.start()
    except BaseException:
        _background_senders.release()
        raise
    return thread


def _send_in_background(app: Flask, only: list[int]) -> None:
    try:
        with app.app_context():
            send_due(get_db(), only=only)
    except Exception:  # the timer's send-mail sends it later; a thread must not die loud
        app.logger.exception("referral e-mail: sending after the request failed")
    finally:
        _background_senders.release()


def _truthy(value) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)
