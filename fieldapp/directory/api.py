"""JSON endpoints of the directory under /api: the read-only HSDS API and the phone's snapshot.

HSDS API (every GET of HSDS 3.1's openapi.json; this API's own description is the fieldapp
profile's openapi.json, served under /api/hsds/profile/): GET /api/hsds/ (version, profile,
openapi_url); /api/hsds/services and /services/<id>; /organizations and /organizations/<id>
(full_service); /taxonomies and /taxonomies/<id>; /taxonomy_terms (taxonomy_id, top_only,
parent_id) and /taxonomy_terms/<id>; /service_at_locations (postcode, proximity) and
/service_at_locations/<id>.  Lists answer an HSDS Page, or with format=ndjson every result
streamed one per line; modified_after is an instant (400 when it is not); a 405 names the
allowed methods (errors.py).  Logged-in users of every role; with PUBLIC_DIRECTORY_API
(FIELDAPP_PUBLIC_DIRECTORY_API=1) also anonymous callers.  Every caller gets the same shared
data (directory/disclosure.py): no confidential location, no staff e-mail.
Snapshot: GET /api/directory/snapshot (officers, partners, coordinators), ETag = version.
"""

import json
from functools import wraps

from flask import (
    abort,
    current_app,
    jsonify,
    request,
    send_from_directory,
    stream_with_context,
)
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
    if name not in request.args:
        return default
    value = request.args[name]
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


def _flag(name: str) -> bool:
    if name not in request.args:
        return False
    value = request.args[name].strip().lower()
    if value == "false":
        return False
    if value == "true":
        return True
    abort(400, description=f"{name} must be true or false")


def _paging() -> tuple[int, int | None]:
    """(page, per_page); per_page None with format=ndjson: every result, no pages."""
    fmt = request.args.get("format", "json").strip().lower()
    if fmt not in ("json", "ndjson"):
        abort(400, description="format must be json or ndjson")
    page = _int_arg("page", 1, 1, 10**6)
    per_page = _int_arg("per_page", 25, 1, MAX_PER_PAGE)
    return page, (None if fmt == "ndjson" else per_page)


def _modified_after():
    if "modified_after" not in request.args:
        return None
    text = request.args["modified_after"].strip()
    instant = hsds.parse_instant(text[:40])
    if instant is None:
        abort(400, description="modified_after must be an ISO 8601 date-time, for example "
                               "2026-03-02T14:00:00Z")
    return instant


def _answer(ids: list, page: int, per_page: int | None, objects):
    """The HSDS Page of `ids` turned into objects by `objects(ids)`; with per_page None every
    object as NDJSON, one per line, streamed: made and sent 100 at a time, in the request's
    context (stream_with_context).  The request's teardown has closed its connection by then:
    `objects` asks get_db() when called, which opens the stream's own, closed at its end."""
    if per_page is None:
        def lines():
            for start in range(0, len(ids), 100):
                yield "".join(json.dumps(obj, ensure_ascii=False) + "\n"
                              for obj in objects(ids[start:start + 100]))

        return current_app.response_class(stream_with_context(lines()),
                                          mimetype="application/x-ndjson")
    chunk = ids[(page - 1) * per_page:page * per_page]
    return jsonify(hsds.page_envelope(len(ids), objects(chunk), page, per_page))


def _one(objects, item_id: str, kind: str):
    found = objects([item_id])
    found_or_404(found or None, kind, item_id)
    return jsonify(found[0])


@api_bp.get("/hsds/services")
@hsds_access
def hsds_services():
    """Services (HSDS Page, or NDJSON with format=ndjson); full=true nests every related object,
    minimal=true gives only ids and modification times."""
    page, per_page = _paging()
    minimal, full = _flag("minimal"), _flag("full")
    db = get_db()
    ids = hsds.list_services(
        db, search=request.args.get("search", "")[:200],
        taxonomy_term_id=request.args.get("taxonomy_term_id", "")[:64],
        taxonomy_id=request.args.get("taxonomy_id", "")[:64],
        organization_id=request.args.get("organization_id", "")[:64],
        modified_after=_modified_after(), page=1, per_page=10**9)["contents"]

    def objects(chunk):
        db = get_db()  # when called: a streamed answer has its own connection (_answer)
        if minimal:
            rows = {r["id"]: r for r in db.query(
                f"SELECT id, coalesce(updated_at, last_modified) AS modified FROM service "
                f"WHERE id IN ({','.join('?' * len(chunk))})", chunk)} if chunk else {}
            return [{"id": i, "last_modified": rows[i]["modified"]} for i in chunk]
        if full:
            return hsds.full_services(db, chunk)
        return hsds.service_summaries(db, chunk)

    return _answer(ids, page, per_page, objects)


@api_bp.get("/hsds/services/<service_id>")
@hsds_access
def hsds_service(service_id):
    """One fully nested service."""
    db = get_db()
    row = next(iter(db.query("SELECT id FROM service WHERE id = ? AND archived_at IS NULL",
                             [service_id])), None)
    found_or_404(row, "service", service_id)
    return jsonify(hsds.full_services(db, [service_id])[0])


@api_bp.get("/hsds/organizations")
@hsds_access
def hsds_organizations():
    """Organizations with their services (summaries; full_service=true or full=true: nested)."""
    page, per_page = _paging()
    full_service, full = _flag("full_service"), _flag("full")
    full = full_service or full
    db = get_db()
    ids = hsds.organization_ids(db, search=request.args.get("search", "")[:200],
                                taxonomy_term_id=request.args.get("taxonomy_term_id", "")[:64],
                                taxonomy_id=request.args.get("taxonomy_id", "")[:64])
    return _answer(ids, page, per_page,
                   lambda chunk: hsds.organizations(get_db(), chunk, full_service=full))


@api_bp.get("/hsds/organizations/<organization_id>")
@hsds_access
def hsds_organization(organization_id):
    full = _flag("full_service")
    db = get_db()
    return _one(lambda ids: hsds.organizations(db, ids, full_service=full), organization_id,
                "organization")


@api_bp.get("/hsds/taxonomies")
@hsds_access
def hsds_taxonomies():
    """Taxonomies (the directory's categories are one)."""
    page, per_page = _paging()
    db = get_db()
    rows = {r["id"]: r for r in hsds.taxonomy_rows(db)
            if hsds.matches(r, request.args.get("search", "")[:200],
                            ("name", "description"))}
    return _answer(list(rows), page, per_page,
                   lambda chunk: hsds.taxonomies(get_db(), [rows[i] for i in chunk]))


@api_bp.get("/hsds/taxonomies/<taxonomy_id>")
@hsds_access
def hsds_taxonomy(taxonomy_id):
    db = get_db()
    rows = {r["id"]: r for r in hsds.taxonomy_rows(db)}
    return _one(lambda ids: hsds.taxonomies(db, [rows[i] for i in ids if i in rows]),
                taxonomy_id, "taxonomy")


@api_bp.get("/hsds/taxonomy_terms")
@hsds_access
def hsds_taxonomy_terms():
    """Taxonomy terms: taxonomy_id, top_only (terms without a parent), parent_id."""
    page, per_page = _paging()
    db = get_db()
    rows = {r["id"]: r for r in hsds.term_rows(
        db, search=request.args.get("search", "")[:200],
        taxonomy_id=request.args.get("taxonomy_id", "")[:64], top_only=_flag("top_only"),
        parent_id=request.args.get("parent_id", "")[:64])}
    return _answer(list(rows), page, per_page,
                   lambda chunk: hsds.taxonomy_terms(get_db(), [rows[i] for i in chunk]))


@api_bp.get("/hsds/taxonomy_terms/<term_id>")
@hsds_access
def hsds_taxonomy_term(term_id):
    db = get_db()
    rows = {r["id"]: r for r in hsds.term_rows(db)}
    return _one(lambda ids: hsds.taxonomy_terms(db, [rows[i] for i in ids if i in rows]),
                term_id, "taxonomy term")


@api_bp.get("/hsds/service_at_locations")
@hsds_access
def hsds_service_at_locations():
    """Services at locations anyone may see: the service filters, postcode, and proximity
    (km around the centroid of the postcode's locations)."""
    page, per_page = _paging()
    full = _flag("full")
    proximity = request.args.get("proximity")
    km = None
    if proximity is not None:
        try:
            km = float(proximity)
        except ValueError:
            abort(400, description="proximity must be a distance in kilometres")
        if not 0 <= km <= 20000:
            abort(400, description="proximity must be a distance in kilometres")
    db = get_db()
    ids = hsds.service_at_location_ids(
        db, search=request.args.get("search", "")[:200],
        taxonomy_term_id=request.args.get("taxonomy_term_id", "")[:64],
        taxonomy_id=request.args.get("taxonomy_id", "")[:64],
        organization_id=request.args.get("organization_id", "")[:64],
        modified_after=_modified_after(), postcode=request.args.get("postcode", "")[:20],
        proximity_km=km)
    return _answer(ids, page, per_page,
                   lambda chunk: hsds.services_at_locations(get_db(), chunk, full=full))


@api_bp.get("/hsds/service_at_locations/<sal_id>")
@hsds_access
def hsds_service_at_location(sal_id):
    db = get_db()
    allowed = hsds.service_at_location_ids(db)
    return _one(lambda ids: hsds.services_at_locations(
        db, [i for i in ids if i in set(allowed)], full=True), sal_id, "service at location")


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
