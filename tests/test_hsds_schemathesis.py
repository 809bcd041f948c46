"""Issue 18: schemathesis (--checks all), bounded (25 examples per operation, a fixed seed),
against the app's own OpenAPI: the fieldapp profile's openapi.json (core plus profile); in
pytest, and as the command a consumer runs (every phase: coverage, which sends the methods the
API does not answer, fuzzing and stateful)."""

import json
import re
import subprocess
import sys
from pathlib import Path

import hypothesis
import pytest
import schemathesis

import fieldapp.accounts  # noqa: F401  (the foundation needs accounts imported before security)
from fieldapp.directory.hsds import profile
from tests.support import LiveServer, make_app


def bundled() -> dict:
    """The profile's openapi.json with its schemas inlined as components (no HTTP fetches)."""
    text = json.dumps(profile.read("openapi.json"))
    api = json.loads(re.sub(r'"schema/([a-z_]+)\.json"', r'"#/components/schemas/\1"', text))
    for path in sorted((profile.PROFILE_DIR / "schema").glob("*.json")):
        schema = re.sub(r'"\$ref": "([a-z_]+)\.json"', r'"$ref": "#/components/schemas/\1"',
                        path.read_text())
        api["components"]["schemas"][path.stem] = json.loads(schema)
    return api


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return make_app(tmp_path_factory.mktemp("schemathesis"), PUBLIC_DIRECTORY_API=1)


SCHEMA = schemathesis.openapi.from_dict(bundled())


@SCHEMA.parametrize()
@hypothesis.settings(max_examples=25, deadline=None, derandomize=True,
                     suppress_health_check=list(hypothesis.HealthCheck))
def test_api_conforms_to_its_openapi(case, app):
    case.call_and_validate(app=app)


def test_schemathesis_run_checks_all_finds_no_failure(tmp_path):
    """`schemathesis run --checks all`, as the issue ran it, against the app served on a port."""
    (tmp_path / "openapi.json").write_text(json.dumps(bundled()))
    server = LiveServer(make_app(tmp_path, PUBLIC_DIRECTORY_API=1))
    server.thread.start()
    try:
        done = subprocess.run(
            [str(Path(sys.executable).parent / "schemathesis"), "run", "openapi.json",
             "--url", f"{server.url}/api/hsds", "--checks", "all", "--max-examples", "25",
             "--seed", "1", "--workers", "1"],
            cwd=tmp_path, capture_output=True, text=True, timeout=900)
    finally:
        server.server.shutdown()
    summary = done.stdout[done.stdout.rfind("SUMMARY"):]
    assert 0 == done.returncode, done.stdout[-3000:]
    assert "Tested: 11" in summary and "Failures" not in summary, summary
    assert re.search(r"(\d+) generated, \1 passed", summary), summary
