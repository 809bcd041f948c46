"""The one write rule (fieldapp/db.py): a request that writes takes the write lock up front, its
audit row commits with its change or not at all, a lock held past the busy timeout is a 503 with
Retry-After, a full disk is a 507, and nothing acknowledged is ever lost."""

import os
import sqlite3
import subprocess
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from fieldapp import audit
from fieldapp import db as dbmodule
from tests.support import login, make_app


def contact(**overrides) -> dict:
    moment = (datetime.now(UTC) - timedelta(minutes=5)).isoformat(timespec="seconds")
    item = {"id": str(uuid.uuid4()), "occurred_at": moment, "place_text": "Write-rule place",
            "kind": "wellness_check", "populations": [], "outcome": "information_given",
            "note": "", "is_group": 0, "person_id": None}
    item.update(overrides)
    return item


def stored(app, contact_id: str) -> int:
    conn = sqlite3.connect(app.config["DATABASE"])
    try:
        return conn.execute("select count(*) from contact where id = ?",
                            [contact_id]).fetchone()[0]
    finally:
        conn.close()


def form_of(item: dict) -> dict:
    return {"id": item["id"], "occurred_at": item["occurred_at"], "kind": item["kind"],
            "outcome": item["outcome"], "place_text": item["place_text"], "is_group": "0"}


@pytest.fixture
def hold_lock(app, monkeypatch):
    """hold_lock(): another writer takes the write lock; the app waits at most 300 ms for it."""
    held = []

    def take():
        monkeypatch.setattr(dbmodule, "BUSY_TIMEOUT_MS", 300)
        other = sqlite3.connect(app.config["DATABASE"], isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        held.append(other)
        return other

    yield take
    for other in held:
        if other.in_transaction:
            other.execute("ROLLBACK")
        other.close()


def test_an_audit_failure_rolls_back_the_change_it_records(app, login_as, monkeypatch):
    officer = login_as("officer")
    item = contact()

    def broken(*args, **kwargs):
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(audit, "record", broken)
    with pytest.raises(RuntimeError):
        officer.post("/api/sync", json={"contacts": [item]})
    assert 0 == stored(app, item["id"])
    monkeypatch.undo()
    response = officer.post("/api/sync", json={"contacts": [item]})
    assert "created" == response.get_json()["results"]["contacts"][0]["status"]
    assert 1 == stored(app, item["id"])


def test_a_lock_held_past_the_busy_timeout_answers_503_and_the_resend_is_stored(
        app, login_as, hold_lock):
    officer = login_as("officer")
    held_lock = hold_lock()
    item = contact()
    response = officer.post("/api/sync", json={"contacts": [item]})
    assert 503 == response.status_code
    assert response.headers["Retry-After"].isdigit()
    assert "try again" in response.get_json()["error"]
    held_lock.execute("ROLLBACK")
    assert 0 == stored(app, item["id"])
    response = officer.post("/api/sync", json={"contacts": [item]})
    assert "created" == response.get_json()["results"]["contacts"][0]["status"]


def test_the_contact_form_says_busy_and_keeps_nothing_half_written(app, login_as, hold_lock):
    officer = login_as("officer")
    held_lock = hold_lock()
    item = contact()
    response = officer.post("/contacts/new", data=form_of(item))
    assert 503 == response.status_code
    assert "your entry is kept" in response.get_data(as_text=True)
    assert "Content-Security-Policy" in response.headers
    held_lock.execute("ROLLBACK")
    assert 0 == stored(app, item["id"])


def test_a_post_that_only_reads_needs_no_write_lock(app, login_as, hold_lock):
    officer = login_as("officer")
    hold_lock()
    response = officer.post("/contacts/note-check", data={"note": "a plain note"})
    assert response.status_code < 500


def test_writing_takes_the_lock_before_it_reads(app):
    """BEGIN IMMEDIATE: a second writer cannot slip in between this one's read and write."""
    first = dbmodule.connect(app.config["DATABASE"])
    log: list[str] = []
    first.conn.set_trace_callback(log.append)
    with dbmodule.writing(first):
        first.execute("select count(*) from contact").fetchone()
    assert log[0] == "BEGIN IMMEDIATE"
    first.conn.close()


def test_nested_writing_is_a_savepoint_that_rolls_back_alone(app):
    database = dbmodule.connect(app.config["DATABASE"])
    with dbmodule.writing(database):
        database.execute("create table scratch (n integer)")
        database.execute("insert into scratch values (1)")
        with pytest.raises(ZeroDivisionError):
            with dbmodule.writing(database):
                database.execute("insert into scratch values (2)")
                raise ZeroDivisionError
    assert [(1,)] == database.execute("select n from scratch").fetchall()
    database.conn.close()


def test_deeply_nested_json_gets_400_with_a_message(login_as):
    officer = login_as("officer")
    body = "[" * 100_000 + "]" * 100_000
    response = officer.post("/api/sync", data=body, content_type="application/json")
    assert 400 == response.status_code
    assert "nested too deeply" in response.get_json()["error"]
    nested: list = [1]
    for _ in range(30):
        nested = [nested]
    response = officer.post("/api/sync", json={"contacts": [contact(note=nested)]})
    assert 400 == response.status_code


def test_a_sync_batch_too_large_gets_413_with_a_message(app, login_as):
    app.config["SYNC_MAX_BYTES"] = 10_000
    officer = login_as("officer")
    batch = {"contacts": [contact(note="x" * 900) for _ in range(20)]}
    response = officer.post("/api/sync", json=batch)
    assert 413 == response.status_code
    assert "too large" in response.get_json()["error"]
    assert all(0 == stored(app, c["id"]) for c in batch["contacts"])


def test_not_json_gets_400(login_as):
    response = login_as("officer").post("/api/sync", data="{not json",
                                        content_type="application/json")
    assert 400 == response.status_code


# --- a full disk ------------------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path):
    """A 6 MB tmpfs (root only); skipped with a reason where mounting is not allowed."""
    mount_point = tmp_path / "small-disk"
    mount_point.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root; the sqlite max_page_count variant runs")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", str(mount_point)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    yield mount_point
    subprocess.run(["umount", "-l", str(mount_point)], check=False)


def fill(folder: Path) -> Path:
    """Fill the disk to the last byte; returns the filler file."""
    filler = folder / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (65536, 512, 1):
            try:
                while True:
                    os.write(fd, b"\0" * size)
            except OSError:
                pass
    finally:
        os.close(fd)
    return filler


def test_a_full_disk_answers_507_loses_nothing_and_healthz_is_degraded(small_disk):
    app = make_app(small_disk, HEALTH_MIN_FREE_MB=0.5)
    # Another worker's open connection keeps the WAL and its index in place (as under gunicorn);
    # after a TRUNCATE checkpoint the next large write must grow the WAL.
    keeper = sqlite3.connect(app.config["DATABASE"])
    keeper.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    officer = app.test_client()
    login(officer, "officer")
    kept = contact()
    assert "created" == officer.post("/api/sync", json={"contacts": [kept]}).get_json()[
        "results"]["contacts"][0]["status"]
    assert 200 == app.test_client().get("/healthz").status_code

    filler = fill(small_disk)
    batch = {"contacts": [contact(note="n" * 500) for _ in range(200)]}
    response = officer.post("/api/sync", json=batch)
    assert 507 == response.status_code, response.get_data(as_text=True)[:300]
    assert "storage" in response.get_json()["error"]
    health = app.test_client().get("/healthz")
    assert 503 == health.status_code
    assert "degraded" == health.get_json()["status"]
    assert health.get_json()["reasons"]

    filler.unlink()
    assert 1 == stored(app, kept["id"])  # nothing acknowledged was lost
    assert all(0 == stored(app, c["id"]) for c in batch["contacts"])
    response = officer.post("/api/sync", json=batch)
    assert 200 == response.status_code
    assert all(1 == stored(app, c["id"]) for c in batch["contacts"])
    assert 200 == app.test_client().get("/healthz").status_code
    keeper.close()


def test_a_database_at_its_page_limit_answers_507(app, login_as, monkeypatch):
    """The same answer where no disk can be filled: SQLite's max_page_count makes it full."""
    real_connect = dbmodule.connect

    def capped(path, *settings):
        database = real_connect(path, *settings)
        pages = database.execute("PRAGMA page_count").fetchone()[0]
        database.execute(f"PRAGMA max_page_count = {pages}")
        return database

    officer = login_as("officer")
    monkeypatch.setattr(dbmodule, "connect", capped)
    dbmodule.drop_thread_connection(app)  # the next request opens a (capped) connection
    batch = {"contacts": [contact(note="n" * 900) for _ in range(300)]}
    response = officer.post("/api/sync", json=batch)
    assert 507 == response.status_code
    monkeypatch.undo()
    assert all(0 == stored(app, c["id"]) for c in batch["contacts"])
