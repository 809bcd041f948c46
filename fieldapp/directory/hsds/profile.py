"""The fieldapp HSDS profile: what fieldapp adds to HSDS 3.1 core, as Open Referral's profiles do
(JSON schemas that extend the core ones, a profile openapi.json and datapackage.json).

The files live in fieldapp/directory/profile/ (served at /api/hsds/profile/..., named by the
API root's `profile` and by every export).  They are BUILT from the official core files by
`build(core_dir)` (python -m fieldapp.directory.hsds.profile tests/fixtures/hsds/schema-3.1)
and committed; a test checks that the committed files are what `build` makes.

Profile fields (everything else an output carries is HSDS core):
- every object: `original_text`, the source's values before normalizing, its own id and its
  unknown columns (a JSON object; JSON text in CSV);
- service: the directory's own fields (SERVICE_PROFILE_FIELDS);
- location: `confidential` (internal exports only).
"""

from __future__ import annotations

import copy
import json
import re
import sys
from pathlib import Path

from flask import current_app, has_app_context, has_request_context, request

from fieldapp.directory.hsds.names import (
    CSV_FILE,
    HSDS_NAME,
    HSDS_VERSION,
    NUMBER_FIELDS,
    ORDER,
    ORIGINAL,
    TABLES,
)

PROFILE_DIR = Path(__file__).resolve().parent.parent / "profile"
PROFILE_NAME = "fieldapp"
PROFILE_PATH = "/api/hsds/profile/"  # the stable address of the profile under the app

_ORIGINAL = {
    "name": ORIGINAL, "title": "Original text", "type": "object",
    "description": "fieldapp profile: the source's value of every field fieldapp normalized or "
                   "could not read (for example opens_at '8:00am', url 'see our Facebook page'), "
                   "the source's own id (`id`, null when it had none) and the source's columns "
                   "that HSDS does not define.  An import of the export reads these back.",
}
# (name, JSON schema type, tabular type, description)
SERVICE_PROFILE_FIELDS = [
    ("accepts_referrals", {"type": "boolean"}, "boolean",
     "The service takes referrals through fieldapp."),
    ("joint_police_health", {"type": "boolean"}, "boolean",
     "A team run by police with health services."),
    ("interpretation_available", {"type": "boolean"}, "boolean",
     "Interpretation is available on request."),
    ("intake_phone", {"type": "string"}, "string", "The phone number for referrals."),
    ("intake_email", {"type": "string"}, "string", "The e-mail address for referrals."),
    ("intake_instructions", {"type": "string"}, "string", "How to refer someone."),
    ("populations", {"type": "array", "items": {"type": "string"}}, "string",
     "Populations served (fieldapp codes; comma-separated in CSV)."),
    ("keywords", {"type": "string"}, "string", "Search keywords, comma-separated."),
    ("partnerships", {"type": "array", "items": {"type": "string"}}, "string",
     "Police services the service works with (comma-separated in CSV)."),
]
LOCATION_PROFILE_FIELDS = [
    ("confidential", {"type": "boolean"}, "boolean",
     "The address is shown to nobody (internal exports only; never in shared outputs)."),
]


# JSON only (no tabular type): the API's organization carries its services (full_service).
ORGANIZATION_PROFILE_FIELDS = [
    ("services", {"type": "array", "items": {"$ref": "service.json"}}, None,
     "The organization's listed services (HSDS API: summaries, or nested with "
     "full_service=true)."),
]


def profile_fields(table: str) -> list[tuple[str, dict, str | None, str]]:
    extra = {"service": SERVICE_PROFILE_FIELDS, "location": LOCATION_PROFILE_FIELDS,
             "organization": ORGANIZATION_PROFILE_FIELDS}
    original = (ORIGINAL, {"type": "object"}, "object", _ORIGINAL["description"])
    return [*extra.get(table, []), original]


def profile_columns(table: str, *, internal: bool = False) -> list[str]:
    """The CSV columns fieldapp's profile adds to a table (in the profile datapackage order)."""
    return [name for name, _json, tab, _doc in profile_fields(table)
            if tab and (internal or name != "confidential")]


def _schema(core: dict, table: str) -> dict:
    schema = copy.deepcopy(core)
    for name, json_type, _tab, doc in profile_fields(table):
        schema["properties"][name] = {"name": name, "title": name.replace("_", " ").capitalize(),
                                      "description": doc, **json_type, "profile": PROFILE_NAME}
    schema["description"] = (schema.get("description", "") +
                             " (fieldapp HSDS profile: core plus the fields marked profile.)")
    return schema


def _datapackage(core: dict) -> dict:
    package = copy.deepcopy(core)
    package["name"] = "fieldapp_hsds_profile"
    package["title"] = "Human Services Data Specification 3.1, fieldapp profile"
    package["version"] = HSDS_VERSION
    by_name = {r["name"]: r for r in package["resources"]}
    resources = []
    for table in ORDER:
        resource = by_name[HSDS_NAME[table]]
        assert resource["path"] == CSV_FILE[table], resource["path"]
        named = {f["name"]: f for f in resource["schema"]["fields"]}
        if list(named) != TABLES[table]:  # the official unit and service_capacity lack fields
            resource["schema"]["fields"] = [named.get(f) or {
                "name": f, "type": "number" if f in NUMBER_FIELDS else "datetime"
                if f == "updated" else "string", "constraints": {"required": f == "id"}}
                for f in TABLES[table]]
        for name, _json, tab, doc in profile_fields(table):
            if tab is None:
                continue
            resource["schema"]["fields"].append({
                "name": name, "type": tab, "description": doc,
                "constraints": {"required": False}, "profile": PROFILE_NAME})
        resources.append(resource)
    package["resources"] = resources
    return package


def _openapi(core: dict) -> dict:
    """The official openapi.json, its schema references pointing at the profile's schemas,
    POST operations left out (the API is read-only)."""
    text = json.dumps(core)
    for base in ("https://raw.githubusercontent.com/openreferral/specification/3.0/schema/",
                 "https://raw.githubusercontent.com/openreferral/specification/3.1/schema/"):
        text = text.replace(base, "schema/")
    text = re.sub(r'"schema/compiled/([a-z_]+?)(?:_list)?\.json"', r'"schema/\1.json"', text)
    api = json.loads(text)
    api["info"]["title"] = "HSDS 3.1 API, fieldapp profile"
    api["info"]["description"] = ("The read-only HSDS 3.1 API of a fieldapp directory: core HSDS "
                                  "plus the fieldapp profile's fields.")
    parameters = api["components"]["parameters"]  # what fieldapp accepts, said exactly
    parameters["page"]["schema"] = {"type": "integer", "minimum": 1, "maximum": 1000000}
    parameters["per_page"]["schema"] = {"type": "integer", "minimum": 1, "maximum": 100}
    parameters["format"]["schema"] = {"type": "string", "enum": ["json", "ndjson"]}
    parameters["modified_after"]["schema"] = {"type": "string", "format": "date-time"}
    parameters["proximity"]["schema"] = {"type": "number", "minimum": 0, "maximum": 20000}
    parameters["proximity"]["description"] = (
        "fieldapp: a distance in kilometres around the centroid of the known locations of "
        "`postcode`.")
    error = {"content": {"application/json": {"schema": {
        "type": "object", "properties": {"error": {"type": "string"}}}}}}
    for name, path in api["paths"].items():
        path.pop("post", None)
        responses = path["get"]["responses"]
        if name != "/" and "{id}" not in name:
            responses["200"]["content"]["application/x-ndjson"] = {"schema": {
                "description": "format=ndjson: every result, one JSON object a line, unpaged"}}
        responses["400"] = {"description": "A parameter that cannot be read (fieldapp)", **error}
        if "{id}" in name:
            responses["404"] = {"description": "No such object, or not shown (fieldapp)"}
        responses["401"] = {"description": "Login needed: the directory's API is not public "
                                           "(fieldapp)"}
    contents = (api["paths"]["/services"]["get"]["responses"]["200"]["content"]
                ["application/json"]["schema"]["properties"]["contents"])
    contents["items"] = {"anyOf": [contents["items"], {
        "type": "object", "required": ["id"], "additionalProperties": False,
        "description": "minimal=true: the id and the time of the last change",
        "properties": {"id": {"type": "string"},
                       "last_modified": {"type": ["string", "null"]}}}]}
    api["servers"] = [{"url": PROFILE_PATH.replace("/profile/", ""),
                       "description": "this fieldapp directory"}]
    return api


def build(core_dir, out_dir=PROFILE_DIR) -> list[Path]:
    """Write the profile's files into out_dir from the official core files in core_dir."""
    core_dir, out_dir = Path(core_dir), Path(out_dir)
    (out_dir / "schema").mkdir(parents=True, exist_ok=True)
    written = []

    def put(path: Path, data: dict) -> None:
        path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        written.append(path)

    for table in ORDER:
        name = HSDS_NAME[table]
        core = json.loads((core_dir / f"{name}.json").read_text(encoding="utf-8"))
        put(out_dir / "schema" / f"{name}.json", _schema(core, table))
    put(out_dir / "datapackage.json",
        _datapackage(json.loads((core_dir / "datapackage.json").read_text(encoding="utf-8"))))
    put(out_dir / "openapi.json",
        _openapi(json.loads((core_dir / "openapi.json").read_text(encoding="utf-8"))))
    return written


def profile_url() -> str:
    """The profile's address: absolute under BASE_URL or the current request, else the path."""
    if has_request_context():
        return request.host_url.rstrip("/") + PROFILE_PATH
    if has_app_context() and current_app.config.get("BASE_URL"):
        return current_app.config["BASE_URL"].rstrip("/") + PROFILE_PATH
    return PROFILE_PATH


def read(name: str) -> dict:
    return json.loads((PROFILE_DIR / name).read_text(encoding="utf-8"))


if __name__ == "__main__":  # python -m fieldapp.directory.hsds.profile <core schema folder>
    for path in build(sys.argv[1]):
        print(path)
