"""Many people at once, against the real app under gunicorn (4 workers x 4 threads): phones
syncing, officers posting the contact form, partners accepting, a coordinator editing listings
and people searching, all together.  The outcome is deterministic, not a timing: no valid write
refused, no answer >= 500, every acknowledged contact stored exactly once."""

import sqlite3

import pytest

from bench import loadmix

# serial: gunicorn with its workers and twenty clients takes the whole machine.
pytestmark = [pytest.mark.slow, pytest.mark.serial]


@pytest.fixture(scope="module")
def mixed_run(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("concurrency") / "load.db")
    ids = loadmix.prepare(path, referrals=60)
    server = loadmix.Server(path, workers=4, threads=4)
    try:
        stats = loadmix.run(server.url, 6, phones=10, officers=3, partners=2, editors=2,
                            searchers=3, batch_size=10, referral_ids=ids["referral_ids"],
                            service_ids=ids["service_ids"])
    finally:
        log = server.stop()
    return path, stats, log


def test_twenty_clients_at_once_get_no_server_error(mixed_run):
    _path, stats, log = mixed_run
    assert [] == stats.errors
    assert {} == stats.server_errors(), log[-3000:]


def test_twenty_clients_at_once_have_no_valid_write_refused(mixed_run):
    _path, stats, _log = mixed_run
    assert [] == stats.refused
    # Each kind of writer got through (the run is not empty).
    assert len(stats.acknowledged) >= 50
    assert stats.accepted and stats.edits >= 1
    assert stats.statuses.get("contact_form 200", 0) >= 1


def test_every_acknowledged_contact_is_stored_exactly_once(mixed_run):
    path, stats, _log = mixed_run
    db = sqlite3.connect(path)
    db.execute("create temp table acked (id text primary key)")
    db.executemany("insert into acked values (?)", [(i,) for i in stats.acknowledged])
    stored = db.execute("select count(*) from contact join acked using (id)").fetchone()[0]
    assert len(stats.acknowledged) == stored
    accepted = db.execute(
        f"select count(*) from referral where status = 'accepted' and id in "
        f"({','.join('?' * len(stats.accepted))})", list(stats.accepted)).fetchone()[0]
    assert len(stats.accepted) == accepted
    # One 'accepted' event per accepted referral, however the requests interleaved.
    events = db.execute(
        f"select count(*) from referral_event where to_status = 'accepted' and referral_id in "
        f"({','.join('?' * len(stats.accepted))})", list(stats.accepted)).fetchone()[0]
    assert len(stats.accepted) == events
