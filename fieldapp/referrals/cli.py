"""Flask commands of the referrals area: `flask referrals send-mail` and `flask referrals expire`.

Run send-mail every minute from a timer (systemd or cron); it is safe to run several at once.
"""

import click
from flask import current_app
from flask.cli import with_appcontext

from fieldapp import clock
from fieldapp.db import get_db
from fieldapp.referrals import lifecycle, mail, store


@click.group("referrals")
def group() -> None:
    """Referral e-mails and expiry (run from timers)."""


@group.command("send-mail")
@click.option("--limit", default=1000, show_default=True,
              help="At most this many e-mails in one run.")
@with_appcontext
def send_mail_command(limit: int) -> None:
    """Send the referral e-mails that are due; a failed one is tried again later (backoff)."""
    counts = mail.send_due(get_db(), limit=limit)
    click.echo(f"referral e-mails: {counts['sent']} sent, {counts['retry']} to retry, "
               f"{counts['failed']} failed for good")


@group.command("expire")
@with_appcontext
def expire_command() -> None:
    """Close as expired the referrals nobody answered in REFERRAL_EXPIRE_DAYS (default 7)."""
    db, now = get_db(), clock.iso()
    days = int(current_app.config.get("REFERRAL_EXPIRE_DAYS", 7))
    expired = 0
    for referral_id in store.stale_referrals(db, now=now, days=days):
        try:
            lifecycle.transition(db, referral_id, "expire", user=None, now=now)
            expired += 1
        except lifecycle.TransitionError:
            continue  # answered meanwhile
    click.echo(f"{expired} referral(s) expired")


commands = [group]
