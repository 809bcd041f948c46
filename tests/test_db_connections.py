"""A connection kept per thread (fieldapp/db.py): lent to one request at a time, and given
back as new: no cursor, snapshot or transaction of one request reaches the next, and a database
file replaced on disk is opened afresh."""

import shutil
import threading

from fieldapp.db import connect, get_db


def _count(db, table="phone") -> int:
    return db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_a_thread_keeps_its_connection_between_requests_and_threads_do_not_share(app):
    with app.app_context():
        first = get_db()
        assert get_db() is first  # one per request
    with app.app_context():
        assert get_db() is first  # the same thread: kept
    other = []

    def in_thread():
        with app.app_context():
            other.append(get_db())

    thread = threading.Thread(target=in_thread)
    thread.start()
    thread.join()
    assert other[0] is not first


def test_an_unfinished_cursor_does_not_carry_its_snapshot_into_the_next_request(app, db):
    with app.app_context():
        kept = get_db()
        before = _count(kept)
        left_open = kept.conn.execute("SELECT id FROM phone")  # read one row, then forgotten
        left_open.fetchone()
    # Another connection writes between the two requests.
    service_id = db.execute("SELECT id FROM service LIMIT 1").fetchone()[0]
    with db.conn:
        db.execute("INSERT INTO phone (id, service_id, number) VALUES ('p-new', ?, '902-555-0100')",
                   [service_id])
    with app.app_context():
        assert get_db() is kept
        assert _count(get_db()) == before + 1  # a fresh snapshot, not the old one


def test_an_unfinished_transaction_is_rolled_back_not_carried_over(app, db):
    with app.app_context():
        before = _count(get_db())
        get_db().conn.execute("DELETE FROM phone")  # implicit BEGIN, never committed
        assert get_db().conn.in_transaction
    with app.app_context():
        assert not get_db().conn.in_transaction
        assert _count(get_db()) == before
    assert _count(db) == before


def test_a_database_file_replaced_on_disk_is_opened_afresh(app, tmp_path):
    path = app.config["DATABASE"]
    copy = tmp_path / "restored.db"
    with app.app_context():
        kept = get_db()
        before = _count(kept)
        shutil.copy(path, copy)
    restored = connect(str(copy))
    with restored.conn:
        restored.execute("DELETE FROM phone")
    restored.conn.close()
    shutil.move(copy, path)  # a restore: a new file under the same name
    with app.app_context():
        assert get_db() is not kept
        assert before > 0 and _count(get_db()) == 0


def test_the_query_log_sees_only_its_own_requests(app):
    log: list[str] = []
    app.extensions["fieldapp.query_log"] = log
    with app.app_context():
        get_db().execute("SELECT 1").fetchone()
    assert log == ["SELECT 1"]
    del app.extensions["fieldapp.query_log"]
    with app.app_context():
        get_db().execute("SELECT 2").fetchone()
    assert log == ["SELECT 1"]


def _autocheckpoint(app) -> int:
    with app.app_context():
        return get_db().execute("PRAGMA wal_autocheckpoint").fetchone()[0]


def test_the_wal_autocheckpoint_setting_reaches_every_connection(app):
    """SQLite's default of 1000 pages; 0 (as deploy/ runs it beside Litestream) leaves the
    checkpoints to Litestream, and a changed setting reopens the kept connection."""
    assert 1000 == _autocheckpoint(app)
    app.config["SQLITE_WAL_AUTOCHECKPOINT"] = 0
    assert 0 == _autocheckpoint(app)
    assert 0 == connect(app.config["DATABASE"], "FULL", 0).execute(
        "PRAGMA wal_autocheckpoint").fetchone()[0]
