"""Commands of the contacts area: `flask purge` (retention)."""

import click
from flask import current_app
from flask.cli import with_appcontext

from fieldapp import audit, clock
from fieldapp.contacts import people
from fieldapp.db import get_db


@click.command("purge")
@with_appcontext
@click.option("--dry-run", is_flag=True, help="List who would be de-identified; change nothing.")
def purge_command(dry_run: bool) -> None:
    """De-identify people with no contact or open referral for RETENTION_DAYS (audited)."""
    db = get_db()
    days = int(current_app.config.get("RETENTION_DAYS", 730))
    now = clock.iso()
    candidates = people.purge_candidates(db, now, days)
    verb = "would de-identify" if dry_run else "de-identified"
    for person in candidates:
        click.echo(f"{verb} person {person['id']} (last contact "
                   f"{person['last_contact_at'] or 'none'}, created {person['created_at']})")
    if not dry_run and candidates:
        people.deidentify_people(db, [p["id"] for p in candidates], now)
        for person in candidates:
            audit.record(db, at=now, action="person_deidentified", object_type="person",
                         object_id=person["id"], detail={"retention_days": days})
    audit.record(db, at=now, action="purge_dry_run" if dry_run else "purge_run",
                 object_type="person", detail={"count": len(candidates), "retention_days": days})
    click.echo(f"{len(candidates)} {'people' if len(candidates) != 1 else 'person'} {verb} "
               f"(no contact or open referral for {days} days).")


commands = [purge_command]
