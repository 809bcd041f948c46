"""The systemd units and Litestream config in deploy/: systemd accepts them, they keep their
hardening, and every command they run exists in this project (the gunicorn app path, the
flask commands, the binaries of the venv)."""

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from fieldapp import config as default_config
from tests.support import make_app

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
SERVICES = sorted(DEPLOY.glob("*.service"))
TIMERS = sorted(DEPLOY.glob("*.timer"))
INSTALL_DIR = "/opt/fieldapp"
INSTANCE_DIR = f"{INSTALL_DIR}/instance"
VENV_BIN = f"{INSTALL_DIR}/.venv/bin/"
EXEC_KEYS = ("ExecStartPre", "ExecStart", "ExecStartPost", "ExecReload", "ExecStop")
HARDENING = {
    "NoNewPrivileges": "yes",
    "ProtectSystem": "strict",
    "PrivateTmp": "yes",
    "ProtectHome": "yes",
    "PrivateDevices": "yes",
    "ProtectKernelTunables": "yes",
    "ProtectKernelModules": "yes",
    "ProtectControlGroups": "yes",
    "RestrictAddressFamilies": "AF_UNIX AF_INET AF_INET6",
    "RestrictNamespaces": "yes",
    "RestrictSUIDSGID": "yes",
    "LockPersonality": "yes",
    "CapabilityBoundingSet": "",
    "SystemCallArchitectures": "native",
    "SystemCallFilter": "@system-service",
    "User": "fieldapp",
    "UMask": "0077",
}


def parse_unit(path: Path) -> dict[str, list[tuple[str, str]]]:
    """A unit file as {section: [(key, value), ...]}, repeated keys kept in order."""
    sections: dict[str, list[tuple[str, str]]] = {}
    current = None
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], [])
            continue
        assert current is not None, f"{path.name}: {line!r} outside a section"
        key, sep, value = line.partition("=")
        assert sep, f"{path.name}: not a key=value line: {line!r}"
        current.append((key.strip(), value.strip()))
    return sections


def values(unit: dict, section: str, key: str) -> list[str]:
    return [v for k, v in unit.get(section, []) if k == key]


def one(unit: dict, section: str, key: str) -> str:
    found = values(unit, section, key)
    assert len(found) == 1, f"[{section}] {key}= appears {len(found)} times"
    return found[0]


def command_lines(unit: dict) -> list[list[str]]:
    """Every Exec* command as argv, after systemd's own unescaping ($$ and %%), with a
    `/bin/sh -c '...'` wrapper opened up."""
    argvs = []
    for key in EXEC_KEYS:
        for value in values(unit, "Service", key):
            argv = shlex.split(value.lstrip("-@:+!").replace("$$", "$").replace("%%", "%"))
            if argv[:2] == ["/bin/sh", "-c"]:
                argv = shlex.split(argv[2].removeprefix("exec "))
            argvs.append(argv)
    return argvs


def flask_commands(unit: dict) -> list[tuple[str, ...]]:
    """The flask command words of every `flask --app fieldapp ...` line of a unit."""
    found = []
    for argv in command_lines(unit):
        if not argv[0].endswith("/flask"):
            continue
        assert argv[1:3] == ["--app", "fieldapp"], argv
        words = []
        for word in argv[3:]:
            if word.startswith("-") or "/" in word:
                break
            words.append(word)
        found.append(tuple(words))
    return found


UNITS = {path.name: parse_unit(path) for path in SERVICES + TIMERS}


def test_deploy_holds_the_units_the_readme_names():
    names = {path.name for path in SERVICES + TIMERS}
    assert {"fieldapp.service", "fieldapp-litestream.service", "fieldapp-upkeep.service",
            "fieldapp-upkeep.timer", "fieldapp-nightly.service",
            "fieldapp-nightly.timer"} <= names
    assert (DEPLOY / "litestream.yml").exists()


@pytest.mark.parametrize("name", [p.name for p in SERVICES])
def test_every_service_keeps_its_hardening(name):
    unit = UNITS[name]
    for key, expected in HARDENING.items():
        assert one(unit, "Service", key) == expected, f"{name}: {key}"
    assert one(unit, "Service", "Group") == "fieldapp"
    assert re.fullmatch(r"\d+[KMG]", one(unit, "Service", "MemoryMax")), name
    writable = " ".join(values(unit, "Service", "ReadWritePaths")).split()
    assert INSTANCE_DIR in writable, f"{name}: the database folder must be writable"
    assert all(path in (INSTANCE_DIR, "/var/backups/fieldapp") for path in writable), writable
    assert one(unit, "Service", "AmbientCapabilities") == ""
    # Secrets come from a root-owned file, never from the unit.
    for key, value in unit["Service"]:
        assert "SECRET" not in value.upper() or key == "EnvironmentFile", (name, key)


def test_the_app_service_runs_gunicorn_on_the_app_factory():
    unit = UNITS["fieldapp.service"]
    assert one(unit, "Service", "EnvironmentFile") == "/etc/fieldapp/fieldapp.env"
    assert one(unit, "Service", "WorkingDirectory") == INSTALL_DIR
    assert one(unit, "Service", "Type") == "notify"  # gunicorn calls sd_notify when ready
    [argv] = [a for a in command_lines(unit) if a[0].endswith("/gunicorn")]
    assert argv[0] == VENV_BIN + "gunicorn"
    assert argv[-1] == "fieldapp:create_app()"
    text = " ".join(argv)
    for flag in ("--no-control-socket", "--workers 2", "--threads 4", "--bind 127.0.0.1:8000"):
        assert flag in text
    # The app path string resolves to this project's factory.
    module, _, call = argv[-1].partition(":")
    imported = __import__(module)
    assert callable(getattr(imported, call.removesuffix("()")))
    assert ("init-db",) in flask_commands(unit)
    # Two malloc arenas, not one per thread (the worker memory budget: bench/RESULTS.md).
    assert "MALLOC_ARENA_MAX=2" in [v for k, v in unit["Service"] if k == "Environment"]


def test_every_executable_the_units_run_is_in_the_venv_or_the_system():
    venv_bin = Path(sys.executable).parent
    checked = 0
    for name in (p.name for p in SERVICES):
        for argv in command_lines(UNITS[name]):
            checked += 1
            program = argv[0]
            if program.startswith(VENV_BIN):
                assert (venv_bin / program.removeprefix(VENV_BIN)).exists(), (name, program)
            else:
                assert program in ("/bin/kill", "/bin/sh"), (name, program)
    assert len(SERVICES) >= 4 and checked >= len(SERVICES)  # every unit runs a command


def _resolve(app, words: tuple[str, ...]):
    return app.test_cli_runner().invoke(args=[*words, "--help"])


@pytest.fixture(scope="module")
def cli_app(tmp_path_factory):
    return make_app(tmp_path_factory.mktemp("deploy-cli"))


def test_every_flask_command_the_units_run_exists(cli_app):
    commands = {words for name in UNITS for words in flask_commands(UNITS[name])}
    assert {("referrals", "expire"), ("referrals", "send-mail"), ("purge",), ("backup",),
            ("init-db",)} <= commands
    for words in sorted(commands):
        result = _resolve(cli_app, words)
        assert result.exit_code == 0 and "Usage:" in result.output, (words, result.output)


def test_every_unit_that_runs_the_app_leaves_checkpoints_to_litestream():
    """The app's own WAL checkpoints race Litestream's and can tear the replica
    (tests/test_litestream.py): every unit running flask or gunicorn turns them off."""
    running_the_app = [name for name in UNITS if name.endswith(".service") and any(
        argv[0].endswith(("/flask", "/gunicorn")) for argv in command_lines(UNITS[name]))]
    assert len(running_the_app) >= 4, running_the_app
    for name in running_the_app:
        settings = " ".join(values(UNITS[name], "Service", "Environment")).split()
        assert "FIELDAPP_SQLITE_WAL_AUTOCHECKPOINT=0" in settings, name


def test_every_timer_starts_its_own_service():
    for timer in TIMERS:
        unit = UNITS[timer.name]
        assert (DEPLOY / timer.name.replace(".timer", ".service")).exists()
        assert values(unit, "Timer", "OnCalendar"), timer.name
        assert one(unit, "Timer", "Persistent") == "true"
        assert one(unit, "Install", "WantedBy") == "timers.target"
    upkeep = flask_commands(UNITS["fieldapp-upkeep.service"])
    assert ("referrals", "expire") in upkeep and ("referrals", "send-mail") in upkeep
    nightly = flask_commands(UNITS["fieldapp-nightly.service"])
    assert ("purge",) in nightly and ("backup",) in nightly


def test_litestream_replicates_the_file_the_app_uses():
    """deploy/litestream.yml names the database the app service opens by default, and the
    Litestream service reads that config and may write beside the database."""
    config = (DEPLOY / "litestream.yml").read_text()
    db_path = f"{INSTANCE_DIR}/{default_config.DATABASE}"
    assert re.search(rf"^\s*- path: {re.escape(db_path)}$", config, re.M), db_path
    unit = UNITS["fieldapp-litestream.service"]
    argvs = command_lines(unit)
    assert [VENV_BIN + "litestream", "replicate", "-config",
            "/etc/fieldapp/litestream.yml"] in argvs
    [restore] = [a for a in argvs if a[1:2] == ["restore"]]
    assert {"-if-db-not-exists", "-if-replica-exists"} <= set(restore) and restore[-1] == db_path
    assert one(unit, "Unit", "Before") == "fieldapp.service"


def test_the_app_starts_after_litestreams_first_sync():
    """The Litestream unit is started (and fieldapp.service, ordered after it, starts) only once
    deploy/litestream-first-sync has seen Litestream sync the database, through the control
    socket that litestream.yml opens in the unit's runtime folder."""
    unit = UNITS["fieldapp-litestream.service"]
    [post] = [shlex.split(v) for v in values(unit, "Service", "ExecStartPost")]
    script, binary, socket, database = post[1:]
    assert post[0] == "/bin/sh" and script == f"{INSTALL_DIR}/deploy/litestream-first-sync"
    assert (DEPLOY / "litestream-first-sync").exists()
    assert binary == VENV_BIN + "litestream"
    assert database == f"{INSTANCE_DIR}/{default_config.DATABASE}"
    config = (DEPLOY / "litestream.yml").read_text()
    assert re.search(rf"^socket:\n  enabled: true\n  path: {re.escape(socket)}$", config, re.M)
    assert socket.startswith(f"/run/{one(unit, 'Service', 'RuntimeDirectory')}/")
    assert "fieldapp-litestream.service" in one(UNITS["fieldapp.service"], "Unit", "After")


# --- systemd's own checks (when systemd-analyze is installed) ------------------------------


@pytest.fixture(scope="module")
def installed_copies(tmp_path_factory):
    """The units with /opt/fieldapp pointed at this checkout, so that systemd can check that
    every program they run is there."""
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze not installed (Debian: apt-get install systemd); the "
                    "parse checks of the units above still ran")
    folder = tmp_path_factory.mktemp("units")
    for path in SERVICES + TIMERS:
        (folder / path.name).write_text(path.read_text().replace(INSTALL_DIR, str(ROOT)))
    return folder


def test_systemd_analyze_verify_accepts_every_unit(installed_copies):
    units = sorted(str(p) for p in installed_copies.iterdir())
    answer = subprocess.run(["systemd-analyze", "verify", *units], capture_output=True,
                            text=True, timeout=120, cwd=installed_copies)
    output = answer.stdout + answer.stderr
    ours = [line for line in output.splitlines() if "fieldapp" in line]
    assert answer.returncode == 0 and [] == ours, output


@pytest.mark.parametrize("name", [p.name for p in SERVICES])
def test_systemd_rates_every_service_well_hardened(installed_copies, name):
    answer = subprocess.run(["systemd-analyze", "security", "--offline=yes", "--no-pager",
                             str(installed_copies / name)], capture_output=True, text=True,
                            timeout=120)
    match = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", answer.stdout)
    if match is None and "--offline" in answer.stderr:
        pytest.skip("this systemd-analyze has no offline security check (systemd < 250)")
    assert match, answer.stdout + answer.stderr
    assert float(match.group(1)) <= 2.0, answer.stdout
