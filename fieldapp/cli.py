"""Flask commands.  The one convention: each area lists its commands in `<area>/cli.py` as
`commands`, and init_app (called by create_app) registers them all, with the core's own:
demo and backup here, init-db in db.py."""

import sqlite3

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from fieldapp import clock, db, demo
from fieldapp.accounts import cli as accounts_cli
from fieldapp.contacts import cli as contacts_cli
from fieldapp.db import get_db
from fieldapp.directory import cli as directory_cli
from fieldapp.referrals import cli as referrals_cli
from fieldapp.reports import cli as reports_cli

AREA_COMMANDS = (accounts_cli, directory_cli, contacts_cli, referrals_cli, reports_cli)


@click.command("demo")
@with_appcontext
def demo_command() -> None:
    """Load the fictional demo data (safe to run again)."""
    loaded = demo.load(get_db(), current_app.config, clock.iso())
    click.echo(f"Demo data loaded: {', '.join(loaded)}")


@click.command("backup")
@click.argument("destination", type=click.Path(dir_okay=False, writable=True))
@with_appcontext
def backup_command(destination: str) -> None:
    """Copy the live database to DESTINATION with SQLite's online backup (safe while serving)."""
    target = sqlite3.connect(destination)
    try:
        with target:
            get_db().conn.backup(target)
        check = target.execute("pragma integrity_check").fetchone()[0]
    finally:
        target.close()
    if check != "ok":
        raise click.ClickException(f"backup failed its integrity check: {check}")
    click.echo(f"Backed up to {destination} (integrity check ok)")


def init_app(app: Flask) -> None:
    """Register the core's commands and every area's."""
    for command in (db.init_db_command, demo_command, backup_command):
        app.cli.add_command(command)
    for module in AREA_COMMANDS:
        for command in module.commands:
            app.cli.add_command(command)
