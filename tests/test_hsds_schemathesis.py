"""Issue 18: schemathesis (--checks all), bounded (25 examples per operation, a fixed seed),
against the app's own OpenAPI: the fieldapp profile's openapi.json (core plus profile)."""

import json
import re

import hypothesis
import pytest
import schemathesis

import fieldapp.accounts  # noqa: F401  (the foundation needs accounts imported before security)
from fieldapp.directory.hsds import profile
from tests.support import make_app


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
