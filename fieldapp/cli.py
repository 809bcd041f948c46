"""Flask commands.  The one convention: each area lists its commands in `<area>/cli.py` as
`commands`, and init_app (called by create_app) registers them all, with the core's own:
demo, backup and check-copy here, init-db in db.py."""

import sqlite3
from datetime import datetime, timedelta

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


def _newest_contact(conn: sqlite3.Connection) -> str | None:
    return conn.execute("select max(created_at) from contact").fetchone()[0]


def copy_problems(copy_path: str, live: sqlite3.Connection, max_behind: timedelta) -> list[str]:
    """What keeps the database file at `copy_path` from standing in for the live one: SQLite's
    integrity check, the migrations applied, and how far its newest contact is behind the
    live database's (a replica that stopped replicating)."""
    copy = sqlite3.connect(f"file:{copy_path}?mode=ro", uri=True)
    try:
        try:
            check = [row[0] for row in copy.execute("pragma integrity_check(20)")]
        except sqlite3.DatabaseError as error:  # not a database, or too damaged to read
            check = [str(error)]
        if check != ["ok"]:
            return [f"SQLite's integrity check failed: {'; '.join(check)}"]
        applied = "select migration_set, name from _sqlite_migrations"
        try:
            missing = set(live.execute(applied)) - set(copy.execute(applied))
            copy_newest = _newest_contact(copy)
        except sqlite3.DatabaseError as error:
            return [f"it is not a fieldapp database ({error})"]
        problems = []
        if missing:
            problems.append(f"it lacks {len(missing)} of the live database's migrations "
                            f"(such as {'/'.join(sorted(missing)[0])})")
        live_newest = _newest_contact(live)
        if live_newest and (copy_newest is None or datetime.fromisoformat(live_newest)
                            - datetime.fromisoformat(copy_newest) > max_behind):
            problems.append(f"its newest contact was stored at {copy_newest or 'no time'}, "
                            f"the live database's at {live_newest}: is the copy being kept up?")
        return problems
    finally:
        copy.close()


@click.command("check-copy")
@click.argument("copy", type=click.Path(exists=True, dir_okay=False))
@click.option("--max-behind", default=10, show_default=True,
              help="Minutes the copy's newest contact may be behind the live database's.")
@with_appcontext
def check_copy_command(copy: str, max_behind: int) -> None:
    """Check that COPY (a restored Litestream replica, a backup) could replace the live
    database: it passes SQLite's integrity check, has every migration and is up to date."""
    problems = copy_problems(copy, get_db().conn, timedelta(minutes=max_behind))
    if problems:
        raise click.ClickException(f"{copy} is not a good copy: " + " ".join(
            f"({n}) {problem}." for n, problem in enumerate(problems, 1)))
    click.echo(f"{copy}: integrity check ok, every migration, newest contact at most "
               f"{max_behind} minutes behind")


def init_app(app: Flask) -> None:
    """Register the core's commands and every area's."""
    for command in (db.init_db_command, demo_command, backup_command, check_copy_command):
        app.cli.add_command(command)
    for module in AREA_COMMANDS:
        for command in module.commands:
            app.cli.add_command(command)
