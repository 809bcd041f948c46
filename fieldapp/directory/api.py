"""JSON endpoints of the directory under /api: the read-only HSDS API and the phone's snapshot.

HSDS API (follows HSDS 3.1 openapi.json): GET /api/hsds/, /api/hsds/services (Page envelope;
search, page, per_page, taxonomy_term_id, taxonomy_id, organization_id, modified_after,
full, minimal),
/api/hsds/services/<id> (full nested service).  Logged-in users of every role; with
PUBLIC_DIRECTORY_API (FIELDAPP_PUBLIC_DIRECTORY_API=1) also anonymous callers.  Every caller gets
the same shared data (directory/disclosure.py): no confidential location, no staff e-mail.
Snapshot: GET /api/directory/snapshot (officers, partners, coordinators), ETag = version.
"""

from functools import wraps

from flask import abort, current_app, jsonify, request, send_from_directory
from flask_login import current_user

from fieldapp import clock
from fieldapp.db import get_db
from fieldapp.directory import api_bp, hsds, snapshot
from fieldapp.directory.hsds import profile
from fieldapp.security import found_or_404, public, role_required, unauthorized

MAX_PER_PAGE = 100


def hsds_access(view):
    """Logged-in users; anyone when the site opens the directory API to the public."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated and not current_app.config.get(
                "PUBLIC_DIRECTORY_API"):
            return unauthorized()
        return view(*args, **kwargs)

    return public(wrapped)


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    value = request.args.get(name, "")
    if value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        abort(400, description=f"{name} must be a whole number")
    if not low <= number <= high:
        abort(400, description=f"{name} must be between {low} and {high}")
    return number


@api_bp.errorhandler(400)
def bad_request(error):
    return jsonify(error=getattr(error, "description", "bad request")), 400


@api_bp.get("/hsds/")
@hsds_access
def hsds_root():
    """HSDS API root: the specification version, the fieldapp profile and this API's OpenAPI
    description (the profile's)."""
    base = profile.profile_url()
    return jsonify(version=hsds.HSDS_VERSION, profile=base, openapi_url=base + "openapi.json")


@api_bp.get("/hsds/profile/")
@public
def hsds_profile():
    """The fieldapp HSDS profile: where its files are (no directory data: open to anyone)."""
    base = profile.profile_url()
    return jsonify(
        name=profile.PROFILE_NAME, hsds_version=hsds.HSDS_VERSION,
        description="HSDS 3.1 core plus fieldapp's fields (each marked profile: fieldapp).",
        openapi_url=base + "openapi.json", datapackage_url=base + "datapackage.json",
        schemas={name: f"{base}schema/{name}.json" for name in sorted(hsds.HSDS_NAME.values())},
        licence="CC BY-SA 4.0, adapted from Open Referral's HSDS 3.1 (https://openreferral.org/)")


@api_bp.get("/hsds/profile/<path:name>")
@public
def hsds_profile_file(name):
    """One file of the profile (schema/<object>.json, openapi.json, datapackage.json)."""
    if not name.endswith((".json", ".txt")):
        abort(404)
    return send_from_directory(profile.PROFILE_DIR, name, max_age=3600)


@api_bp.get("/hsds/services")
@hsds_access
def hsds_services():
    """Paginated services (HSDS Page); full=true nests every related object, minimal=true gives
    only ids and modification times."""
    page = _int_arg("page", 1, 1, 10**6)
    per_page = _int_arg("per_page", 25, 1, MAX_PER_PAGE)
    db = get_db()
    result = hsds.list_services(
        db, search=request.args.get("search", "")[:200],
        taxonomy_term_id=request.args.get("taxonomy_term_id", "")[:64],
        taxonomy_id=request.args.get("taxonomy_id", "")[:64],
        organization_id=request.args.get("organization_id", "")[:64],
        modified_after=request.args.get("modified_after", "")[:40],
        page=page, per_page=per_page)
    ids = result["contents"]
    if request.args.get("minimal", "").lower() in ("1", "true", "yes"):
        rows = {r["id"]: r for r in db.query(
            f"SELECT id, coalesce(updated_at, last_modified) AS modified FROM service "
            f"WHERE id IN ({','.join('?' * len(ids))})", ids)} if ids else {}
        result["contents"] = [{"id": i, "last_modified": rows[i]["modified"]} for i in ids]
    elif request.args.get("full", "").lower() in ("1", "true", "yes"):
        result["contents"] = hsds.full_services(db, ids)
    else:
        result["contents"] = hsds.service_summaries(db, ids)
    return jsonify(result)


@api_bp.get("/hsds/services/<service_id>")
@hsds_access
def hsds_service(service_id):
    """One fully nested service."""
    db = get_db()
    row = next(iter(db.query("SELECT id FROM service WHERE id = ? AND archived_at IS NULL",
                             [service_id])), None)
    found_or_404(row, "service", service_id)
    return jsonify(hsds.full_services(db, [service_id])[0])


@api_bp.get("/directory/snapshot")
@role_required("officer", "partner", "coordinator")
def directory_snapshot():
    """The phone's offline copy of the directory; 304 when the phone already has this version."""
    data, body = snapshot.cached(get_db(), current_app.config["DATABASE"], clock.iso())
    etag = f'"{data["version"]}"'
    if etag in [t.strip() for t in request.headers.get("If-None-Match", "").split(",")] or \
            request.headers.get("If-None-Match", "").strip() == data["version"]:
        response = current_app.response_class(status=304)
    else:
        response = current_app.response_class(body, mimetype="application/json")
    response.headers["ETag"] = etag
    response.headers["Cache-Control"] = "no-cache"
    return response
