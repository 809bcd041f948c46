"""One sqlite_utils.Database per request on g, and the schema migrations of every area."""

import importlib
import sqlite3
from pathlib import Path

import click
import sqlite_utils
from flask import Flask, current_app, g
from flask.cli import with_appcontext

# Each area keeps its schema in fieldapp/<area>/migrations.py (a sqlite_utils Migrations set).
# Applied in this order: later areas may refer to tables of earlier ones.
MIGRATION_AREAS = ["directory", "accounts", "contacts", "referrals", "reports", "pwa"]

BUSY_TIMEOUT_MS = 5000


def connect(path: str) -> sqlite_utils.Database:
    """Open the database with the pragmas every connection needs."""
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA synchronous = NORMAL")
    return sqlite_utils.Database(conn)


def migrate(db: sqlite_utils.Database) -> None:
    """Apply every pending migration of every area."""
    for area in MIGRATION_AREAS:
        importlib.import_module(f"fieldapp.{area}.migrations").migrations.apply(db)


def get_db() -> sqlite_utils.Database:
    """The request's database connection, opened on first use."""
    if "db" not in g:
        g.db = connect(current_app.config["DATABASE"])
        query_log = current_app.extensions.get("fieldapp.query_log")
        if query_log is not None:
            g.db.conn.set_trace_callback(query_log.append)
    return g.db


def close_db(_error=None) -> None:
    db = g.pop("db", None)
    if db is not None:
        db.conn.close()


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Create the database file if needed and apply pending migrations."""
    migrate(get_db())
    click.echo(f"Database ready: {current_app.config['DATABASE']}")


def init_app(app: Flask) -> None:
    Path(app.config["DATABASE"]).parent.mkdir(parents=True, exist_ok=True)
    db = connect(app.config["DATABASE"])
    try:
        migrate(db)
    finally:
        db.conn.close()
    app.teardown_appcontext(close_db)
    app.cli.add_command(init_db_command)
