"""Flask commands of the referrals area: `flask referrals send-mail` (and `expire`, in routes.py).

Run send-mail every minute from a timer (systemd or cron); it is safe to run several at once.
"""

import click
from flask.cli import with_appcontext

from fieldapp.db import get_db
from fieldapp.referrals import bp, mail


@bp.cli.command("send-mail")
@click.option("--limit", default=1000, show_default=True,
              help="At most this many e-mails in one run.")
@with_appcontext
def send_mail_command(limit: int) -> None:
    """Send the referral e-mails that are due; a failed one is tried again later (backoff)."""
    counts = mail.send_due(get_db(), limit=limit)
    click.echo(f"referral e-mails: {counts['sent']} sent, {counts['retry']} to retry, "
               f"{counts['failed']} failed for good")
