"""One sqlite_utils.Database per thread (lent to each request on g), the one write rule, and
every area's migrations.

A connection is kept per thread and lent to one request at a time: opening one (the file, the
schema of ~60 tables, the pragmas) and starting every request with a cold page cache cost about
2 ms of CPU per request (bench/RESULTS.md, "search cold path").  When a request ends, every
cursor it left open is closed (so no read snapshot outlives the request), an unfinished
transaction is rolled back, and the next request gets the connection as new.  A database file
replaced on disk (a restore) is noticed by its inode and opened afresh.

The write rule: a transaction that writes takes SQLite's write lock up front (`BEGIN IMMEDIATE`)
through `writing(db)`, never a deferred transaction that reads and then writes (in WAL mode that
fails at once with SQLITE_BUSY_SNAPSHOT when another writer committed in between, and no busy
timeout can wait it out).  Writers queue on the busy timeout instead of failing.

Every request with an unsafe method (POST, PUT, PATCH, DELETE) runs its view inside one
`writing()` transaction (`wrap_unsafe_views`), so the change and its audit row commit together
or not at all.  A view that must do slow work before writing (a password hash, parsing an
upload) is marked `@own_transaction` and wraps its writes in `writing()` itself.  Stores use
`writing()` too: inside a request it is a savepoint, in a CLI command it is the transaction.
A lock that outlasts the busy timeout raises `sqlite3.OperationalError` ("database is locked"),
which errors.py answers with 503 and Retry-After, never a 500 and never a refused record.
"""

import fcntl
import importlib
import os
import sqlite3
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from functools import wraps
from pathlib import Path

import click
import sqlite_utils
from flask import Flask, current_app, g, request
from flask.cli import with_appcontext

# Each area keeps its schema in fieldapp/<area>/migrations.py (a sqlite_utils Migrations set).
# Applied in this order: later areas may refer to tables of earlier ones.
MIGRATION_AREAS = ["directory", "accounts", "contacts", "referrals", "reports", "pwa"]

BUSY_TIMEOUT_MS = 5000
SYNCHRONOUS_MODES = ("FULL", "NORMAL", "EXTRA")
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

# Writers queue before they ask SQLite for its lock.  SQLite's busy handler polls with sleeps
# that grow to 100 ms, so under many writers the lock sat free while every waiter slept, and an
# unlucky writer could starve past the timeout.  Instead: the threads of one process queue on a
# Python lock (woken at once), and the processes on an advisory lock file beside the database,
# polled every 2 ms at most.  BEGIN IMMEDIATE then almost never waits; the busy timeout stays for
# anything else that writes (sqlite3 shell, Litestream's checkpoints).
_process_writer = threading.RLock()
_lock_files: dict[str, int] = {}
_held = threading.local()


class _Connection(sqlite3.Connection):
    """A connection that knows its open cursors, so that the end of a request can close those
    a caller left unfinished: an unfinished cursor holds a read snapshot, and a kept connection
    must not carry one into the next request.  (sqlite3's own `execute()` makes its cursor
    without calling `cursor()`, hence the three shortcuts here.)"""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fieldapp_cursors: weakref.WeakSet = weakref.WeakSet()

    def cursor(self, *args, **kwargs):
        cursor = super().cursor(*args, **kwargs)
        self.fieldapp_cursors.add(cursor)
        return cursor

    def execute(self, sql, parameters=(), /):
        return self.cursor().execute(sql, parameters)

    def executemany(self, sql, parameters, /):
        return self.cursor().executemany(sql, parameters)

    def executescript(self, script, /):
        return self.cursor().executescript(script)

    def close_cursors(self) -> None:
        """Close every cursor still open (each one's statement is reset: no snapshot left)."""
        for cursor in list(self.fieldapp_cursors):
            cursor.close()
        self.fieldapp_cursors.clear()


def connect(path: str, synchronous: str = "FULL",
            wal_autocheckpoint: int = 1000) -> sqlite_utils.Database:
    """Open the database with the pragmas every connection needs.

    `synchronous = FULL` (the default) makes every acknowledged commit survive a power loss;
    NORMAL is faster but may roll back the last commits (see bench/RESULTS.md for the cost).
    `wal_autocheckpoint`: the WAL's length in pages at which a commit checkpoints it; 0 leaves
    checkpoints to Litestream (config SQLITE_WAL_AUTOCHECKPOINT).
    """
    if synchronous.upper() not in SYNCHRONOUS_MODES:
        raise ValueError(f"synchronous must be one of {SYNCHRONOUS_MODES}, not {synchronous!r}")
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False,
                           factory=_Connection)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute(f"PRAGMA synchronous = {synchronous.upper()}")
    conn.execute(f"PRAGMA wal_autocheckpoint = {int(wal_autocheckpoint)}")
    db = sqlite_utils.Database(conn)
    db.fieldapp_lock_path = str(Path(path).resolve()) + "-writer.lock"
    return db


def _lock_file(path: str) -> int:
    if path not in _lock_files:
        _lock_files[path] = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    return _lock_files[path]


def _take_process_lock(db, deadline: float) -> int | None:
    """Queue with the other processes; returns the locked file (None: not ours to take)."""
    path = getattr(db, "fieldapp_lock_path", None)
    if path is None or getattr(_held, "fd", None) is not None:
        return None
    fd = _lock_file(path)
    pause = 0.0001
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            _held.fd = fd
            return fd
        except BlockingIOError:
            if time.monotonic() > deadline:
                raise sqlite3.OperationalError(
                    "database is locked (other processes' writers queued past the busy "
                    "timeout)") from None
            time.sleep(pause)
            pause = min(pause * 2, 0.002)


@contextmanager
def writing(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """The one way to write: `with writing(db): ...` commits all of it or none of it.

    Outside a transaction it starts one with BEGIN IMMEDIATE (the write lock is taken before
    anything is read, so no later statement can fail on a stale snapshot); inside one (a
    request's transaction, or an enclosing `writing()`) it is a savepoint.
    """
    if db.conn.in_transaction:
        with db.atomic():  # a savepoint of the enclosing transaction
            yield db
        return
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    if not _process_writer.acquire(timeout=BUSY_TIMEOUT_MS / 1000):
        raise sqlite3.OperationalError("database is locked (writers of this process queued "
                                       "past the busy timeout)")
    fd = None
    try:
        fd = _take_process_lock(db, deadline)
        db.conn.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            if db.conn.in_transaction:
                db.conn.execute("ROLLBACK")
            raise
        try:
            db.conn.execute("COMMIT")
        except BaseException:
            if db.conn.in_transaction:
                db.conn.execute("ROLLBACK")
            raise
    finally:
        if fd is not None:
            _held.fd = None
            fcntl.flock(fd, fcntl.LOCK_UN)
        _process_writer.release()


def insert(db: sqlite_utils.Database, table: str, *rows: dict) -> None:
    """Insert rows (all with the same keys) with one plain INSERT statement.

    For the hot write paths (a phone's batch, the audit row): sqlite-utils' `insert()` reads the
    table's schema on every call, which cost more than the insert itself."""
    if not rows:
        return
    columns = list(rows[0])
    sql = (f"INSERT INTO [{table}] ({', '.join(f'[{c}]' for c in columns)}) "
           f"VALUES ({', '.join('?' for _ in columns)})")
    values = [[row[c] for c in columns] for row in rows]
    if db.conn.in_transaction:
        db.conn.executemany(sql, values)
    else:
        with writing(db):
            db.conn.executemany(sql, values)


def select(db: sqlite_utils.Database, sql: str, params=()) -> list[dict]:
    """The rows of a SELECT as dicts, with no savepoint around it (sqlite-utils' `query()` opens
    and releases one per call, which the hot paths cannot afford)."""
    cursor = db.conn.execute(sql, params)
    keys = [d[0] for d in cursor.description]
    return [dict(zip(keys, row, strict=True)) for row in cursor.fetchall()]


def own_transaction(view):
    """Mark a view that runs outside the request's write transaction: it reads only, or it does
    slow work first (a password hash, parsing an upload) and opens `writing()` itself where it
    writes."""
    view.own_transaction = True
    return view


def _in_request_transaction(view):
    @wraps(view)
    def wrapped(*args, **kwargs):
        if request.method not in UNSAFE_METHODS:
            return view(*args, **kwargs)
        # The body is read before the lock is taken: a phone uploading slowly over a weak
        # signal must not hold every other writer back while its bytes arrive.
        if request.mimetype in ("multipart/form-data", "application/x-www-form-urlencoded"):
            request.form  # noqa: B018  (parsing reads the body)
        else:
            request.get_data(cache=True)
        with writing(get_db()):
            return view(*args, **kwargs)

    return wrapped


def wrap_unsafe_views(app: Flask) -> None:
    """Run every view that accepts an unsafe method inside one `writing()` transaction."""
    for endpoint, view in list(app.view_functions.items()):
        rule_methods = {m for rule in app.url_map.iter_rules(endpoint) for m in rule.methods}
        if rule_methods & UNSAFE_METHODS and not getattr(view, "own_transaction", False):
            app.view_functions[endpoint] = _in_request_transaction(view)


def migrate(db: sqlite_utils.Database) -> None:
    """Apply every pending migration of every area."""
    for area in MIGRATION_AREAS:
        importlib.import_module(f"fieldapp.{area}.migrations").migrations.apply(db)


def get_db() -> sqlite_utils.Database:
    """The request's database connection: this thread's kept connection, lent on first use."""
    if "db" not in g:
        g.db = _thread_connection(current_app)
        query_log = current_app.extensions.get("fieldapp.query_log")
        if query_log is not None:
            g.db.conn.set_trace_callback(query_log.append)
    return g.db


def _file_identity(path: str) -> tuple[int, int] | None:
    try:
        found = os.stat(path)
    except OSError:
        return None
    return found.st_dev, found.st_ino


def connection_settings(app: Flask) -> tuple[str, int]:
    """connect()'s settings from the app's config: synchronous, wal_autocheckpoint."""
    return app.config["SQLITE_SYNCHRONOUS"], app.config["SQLITE_WAL_AUTOCHECKPOINT"]


def _thread_connection(app: Flask) -> sqlite_utils.Database:
    """This thread's connection to the app's database, opened when it has none yet, when the
    configured file or settings changed, or when the file was replaced on disk (a restore)."""
    kept = app.extensions["fieldapp.db_threads"]
    path, settings = app.config["DATABASE"], connection_settings(app)
    db = getattr(kept, "db", None)
    identity = _file_identity(path)
    if db is not None:
        if identity is not None and db.fieldapp_opened == (path, settings, BUSY_TIMEOUT_MS,
                                                           identity):
            return db
        kept.db = None
        db.conn.close()
    db = connect(path, *settings)
    db.fieldapp_opened = (path, settings, BUSY_TIMEOUT_MS, _file_identity(path))
    kept.db = db
    return db


def drop_thread_connection(app: Flask) -> None:
    """Close this thread's kept connection: its next request opens a new one (after a test has
    changed how connections are opened)."""
    kept = app.extensions["fieldapp.db_threads"]
    db = getattr(kept, "db", None)
    kept.db = None
    if db is not None:
        db.conn.close()


def close_db(_error=None) -> None:
    """Give the request's connection back: its leftover cursors closed, an unfinished
    transaction rolled back (never commit what a failed request left half done)."""
    db = g.pop("db", None)
    if db is None:
        return
    try:
        db.conn.set_trace_callback(None)
        db.conn.close_cursors()
        if db.conn.in_transaction:
            db.conn.rollback()
    except BaseException:
        # Whatever state it is in, this connection is not lent again.
        drop_thread_connection(current_app)
        db.conn.close()
        raise


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Create the database file if needed and apply pending migrations."""
    migrate(get_db())
    click.echo(f"Database ready: {current_app.config['DATABASE']}")


def init_app(app: Flask) -> None:
    Path(app.config["DATABASE"]).parent.mkdir(parents=True, exist_ok=True)
    db = connect(app.config["DATABASE"], *connection_settings(app))
    migrate(db)
    # Kept open (idle) for the life of the process: when the last connection to a WAL database
    # closes, SQLite checkpoints the whole WAL and deletes it, which with a connection per
    # request cost about 9 ms on every request that happened to be alone (bench/RESULTS.md).
    # (So gunicorn must not `--preload` the app: a connection, like the writer lock file below,
    # must not cross a fork.  Each worker builds its own app.)
    app.extensions["fieldapp.db_keeper"] = db
    # Each thread's connection (get_db), kept between requests; closed with its thread.
    app.extensions["fieldapp.db_threads"] = threading.local()
    app.teardown_appcontext(close_db)

