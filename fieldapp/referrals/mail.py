"""The one e-mail of a new referral: a signed, single-use, expiring link, and nothing personal.

Configuration (FIELDAPP_SMTP_* in the environment): SMTP_HOST, SMTP_PORT (25), SMTP_USERNAME,
SMTP_PASSWORD, SMTP_STARTTLS (false), SMTP_FROM.  With SMTP_HOST empty no mail is sent (logged).
The link's lifetime is REFERRAL_LINK_HOURS (72).  The link's origin is BASE_URL, never the
request's Host header (which anyone can set).  Without BASE_URL, debug and testing fall back to
the request's (or localhost's) origin; production sends the e-mail without a link, and says so
in the log.
"""

import smtplib
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from flask import current_app, g, has_app_context, has_request_context, url_for
from flask_babel import force_locale, gettext
from itsdangerous import BadSignature, URLSafeSerializer
from sqlite_utils import Database

from fieldapp.referrals import store

SALT = "fieldapp.referral-link"


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
        if has_request_context():
            return url_for("referrals.email_link", token=token, _external=True)
        base = "http://localhost"
    with current_app.test_request_context(base_url=base):
        return url_for("referrals.email_link", token=token, _external=True)


def compose(facts: dict, url: str | None, hours: int) -> EmailMessage:
    """The message: urgency and the link only, in English and French (without a link when
    there is no BASE_URL to put it on: then the inbox is where to look)."""
    parts, subjects = [], []
    for language in current_app.config.get("LANGUAGES", ["en", "fr"]):
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
                gettext("This link works once and expires in %(hours)s hours.", hours=hours),
            ]))
    message = EmailMessage()
    message["Subject"] = " / ".join(subjects)
    message["From"] = current_app.config.get("SMTP_FROM") or "fieldapp@localhost"
    message["To"] = facts["mailed_to"]
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="fieldapp.local")
    # 8bit keeps the link on one line for any mail reader (quoted-printable would fold it).
    message.set_content("\n\n---\n\n".join(parts) + "\n", cte="8bit")
    return message


def send_when_committed(db: Database, link_id: str) -> None:
    """Send now, or, inside a caller's open transaction (a sync batch), after the request: an
    e-mail must never announce a referral that a rollback then removed."""
    if db.conn.in_transaction and has_request_context():
        g.setdefault("referral_mail_pending", []).append(link_id)
        return
    send_new_referral(db, link_id)


def flush_pending(db: Database) -> None:
    """After the request: send the e-mails of links that were committed and not yet mailed."""
    for link_id in g.pop("referral_mail_pending", []):
        link = store.get_link(db, link_id)
        if link is not None and link["mailed_at"] is None:
            send_new_referral(db, link_id)


def send_new_referral(db: Database, link_id: str) -> bool:
    """Send the e-mail of one new referral's link; True when the SMTP server took it."""
    if not has_app_context():
        return False
    config = current_app.config
    facts = store.link_mail_facts(db, link_id)
    log = current_app.logger
    if facts is None or not facts["mailed_to"]:
        log.warning("referral link %s: no intake address, no e-mail sent", link_id)
        return False
    if not config.get("SMTP_HOST"):
        log.info("SMTP_HOST is empty: referral e-mail not sent (link %s)", link_id)
        return False
    from fieldapp import clock

    url = link_url(link_id)
    if url is None:
        log.warning("BASE_URL is not set: the e-mail of referral link %s goes without its link "
                    "(set FIELDAPP_BASE_URL to the public origin, e.g. https://fieldapp.example"
                    ".org)", link_id)
    message = compose(facts, url, int(config.get("REFERRAL_LINK_HOURS", 72)))
    try:
        with smtplib.SMTP(config["SMTP_HOST"], int(config.get("SMTP_PORT") or 25),
                          timeout=10) as smtp:
            if _truthy(config.get("SMTP_STARTTLS")):
                smtp.starttls()
            if config.get("SMTP_USERNAME"):
                smtp.login(config["SMTP_USERNAME"], config.get("SMTP_PASSWORD") or "")
            smtp.send_message(message)
    except (smtplib.SMTPException, OSError) as error:
        log.error("referral link %s: e-mail failed: %s", link_id, type(error).__name__)
        store.mark_mailed(db, link_id, at=None, error=type(error).__name__)
        return False
    store.mark_mailed(db, link_id, at=clock.iso(), error=None)
    return True


def _truthy(value) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)
