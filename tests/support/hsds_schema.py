"""Validate HSDS objects against the official 3.1 JSON Schemas kept in tests/fixtures/hsds."""

import csv
import json
from pathlib import Path

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

import fieldapp.accounts  # noqa: F401  (the foundation's import order: accounts first)
from fieldapp.directory.hsds import profile
from fieldapp.directory.hsds.names import HSDS_NAME, ORDER

FIXTURES = Path(__file__).parent.parent / "fixtures" / "hsds"
SCHEMAS = FIXTURES / "schema-3.1"


def _registry() -> Registry:
    resources = []
    for path in SCHEMAS.glob("*.json"):
        if path.name == "openapi.json":
            continue
        contents = json.loads(path.read_text())
        resource = Resource.from_contents(contents, default_specification=DRAFT202012)
        resources.append((path.name, resource))
    return Registry().with_resources(resources)


REGISTRY = _registry()


def validator(name: str) -> Draft202012Validator:
    schema = json.loads((SCHEMAS / f"{name}.json").read_text())
    return Draft202012Validator(schema, registry=REGISTRY)


def errors(name: str, obj: dict) -> list[str]:
    return [f"{name}: {'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in validator(name).iter_errors(obj)]


def csv_row_as_object(name: str, row: dict) -> dict:
    """A CSV row typed like the schema says (numbers as numbers, empty cells left out)."""
    schema = json.loads((SCHEMAS / f"{name}.json").read_text())
    out = {}
    for key, value in row.items():
        if value in ("", None):
            continue
        kind = schema["properties"].get(key, {}).get("type")
        if kind == "number":
            value = float(value)
        out[key] = value
    return out


def package_errors(folder: Path) -> list[str]:
    """Every schema error of a Tabular Data Package written by export-hsds."""
    descriptor = json.loads((folder / "datapackage.json").read_text())
    found = []
    for resource in descriptor["resources"]:
        path = folder / resource["path"]
        if not path.exists():
            found.append(f"missing {resource['path']}")
            continue
        schema = json.loads((SCHEMAS / f"{resource['name']}.json").read_text())
        if schema.get("path") != resource["path"]:
            found.append(f"{resource['name']}: path {resource['path']} != {schema.get('path')}")
        with path.open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                obj = csv_row_as_object(resource["name"], row)
                nested = {k for k, v in schema["properties"].items()
                          if "$ref" in v or v.get("type") in ("object", "array")}
                for field in schema.get("required", []):
                    if field in nested and field + "_id" in obj:
                        obj.setdefault(field, {})  # tabular form: the object is the *_id column
                for field in schema.get("tabular_required", []):
                    if field not in obj:
                        found.append(f"{resource['name']}: {field} required in tabular form")
                found += [e for e in errors(resource["name"], obj)
                          if not any(f"{n}:" in e or f": {n}/" in e for n in nested)]
    return found


def as_given(value):
    """An exported object (or CSV row) with the source's values put back from the fieldapp
    profile's `original_text` (the export writes clean values; the raw ones travel there)."""
    if isinstance(value, list):
        return [as_given(item) for item in value]
    if not isinstance(value, dict):
        return value
    out = {key: as_given(item) for key, item in value.items() if key != "original_text"}
    original = value.get("original_text") or {}
    if isinstance(original, str):
        original = json.loads(original)
    for key, item in original.items():
        if key != "id":
            out[key] = item
    return out


# The fieldapp profile (issue 18): strict validation, as the specification validates its own
# examples, and the core view a core-only consumer keeps.
PROFILE_FIELDS = {HSDS_NAME[t]: {f[0] for f in profile.profile_fields(t)} for t in ORDER}
ALL_PROFILE_FIELDS = set().union(*PROFILE_FIELDS.values())


def strict(schema):
    """The schema with additional properties false on every object, as the specification
    validates its own examples (compiletojsonschema
    --set-additional-properties-false-everywhere)."""
    if isinstance(schema, dict):
        out = {k: strict(v) for k, v in schema.items()}
        if "properties" in out and "additionalProperties" not in out:
            out["additionalProperties"] = False
        return out
    if isinstance(schema, list):
        return [strict(v) for v in schema]
    return schema


def registry(folder):
    resources = [(p.name, Resource.from_contents(strict(json.loads(p.read_text())),
                                                 default_specification=DRAFT202012))
                 for p in folder.glob("*.json") if p.name not in ("openapi.json",
                                                                  "datapackage.json")]
    return Registry().with_resources(resources)


PROFILE_REGISTRY = registry(profile.PROFILE_DIR / "schema")
CORE_REGISTRY = registry(SCHEMAS)


def strict_errors(name, obj, *, core=False):
    reg = CORE_REGISTRY if core else PROFILE_REGISTRY
    schema = reg.contents(f"{name}.json")
    return [f"{name}: {'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in Draft202012Validator(schema, registry=reg).iter_errors(obj)]


def core_view(value):
    """What a core-only consumer keeps: the object without the profile's fields."""
    if isinstance(value, list):
        return [core_view(v) for v in value]
    if isinstance(value, dict):
        return {k: core_view(v) for k, v in value.items() if k not in ALL_PROFILE_FIELDS}
    return value
