"""The progressive web app: its files at the site root (so their scope is the whole site),
the CSRF token and sync endpoints the phone's outbox uses, and the coordinator's conflict list."""

import hashlib
import hmac
import json
from pathlib import Path

from flask import (
    abort,
    current_app,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from fieldapp import clock
from fieldapp.accounts.routes import safe_next
from fieldapp.db import get_db
from fieldapp.pwa import bp, store, versions
from fieldapp.pwa.forms import ConflictForm, DismissForm
from fieldapp.pwa.strings import client_strings, shell_parts
from fieldapp.referrals import lifecycle
from fieldapp.referrals import store as referrals_store
from fieldapp.security import audit_event, found_or_404, public, role_required
from fieldapp.views import BadJson, json_body, render

# Offline files served at the root; the service worker imports outbox.js.
OFFLINE_SCRIPTS = {"outbox.js"}

# What the service worker stores at install: URL -> file (relative to the project root).
PRECACHE = {
    "/offline.html": "templates/pwa/offline.html",
    "/static/css/app.css": "static/css/app.css",
    "/static/vendor/htmx.min.js": "static/vendor/htmx.min.js",
    "/static/js/app.js": "static/js/app.js",
    "/offline/outbox.js": "offline/outbox.js",
    "/static/js/offline-app.js": "static/js/offline-app.js",
    "/static/js/offline-directory.js": "static/js/offline-directory.js",
    # The offline directory's search worker and its library (vendored from npm).
    "/static/js/offline-directory-worker.js": "static/js/offline-directory-worker.js",
    "/static/vendor/minisearch.js": "static/vendor/minisearch.js",
    "/manifest.webmanifest": "offline/manifest.webmanifest",
    "/static/icons/icon-192.png": "static/icons/icon-192.png",
    "/static/icons/icon.svg": "static/icons/icon.svg",
    # The other areas' page scripts, so their pages work offline (when the files exist).
    "/static/js/contacts.js": "static/js/contacts.js",
    "/static/js/directory.js": "static/js/directory.js",
    "/static/js/referrals.js": "static/js/referrals.js",
}
_stamped: dict = {}


def _offline_dir() -> Path:
    return Path(current_app.root_path).parent / "offline"


def user_key(user_id: str) -> str:
    """An opaque per-user key naming the phone's cache of that user's pages (not the user id).
    Computed once per user and app (every page and its headers carry it)."""
    kept = current_app.extensions.setdefault("fieldapp.pwa_user_keys", {})
    key = kept.get(user_id)
    if key is None:
        if len(kept) > 10_000:
            kept.clear()
        secret = current_app.config["SECRET_KEY"].encode()
        key = kept[user_id] = hmac.new(secret, f"pwa-user:{user_id}".encode(),
                                       hashlib.sha256).hexdigest()[:20]
    return key


@bp.app_context_processor
def pwa_context():
    """What base.html needs for the sync bar and the service worker."""
    user = current_user._get_current_object()  # once: each proxy look-up costs
    key = user_key(user.id) if user.is_authenticated else ""
    return {"pwa_user_key": key, "pwa_strings": client_strings, "pwa_shell_parts": shell_parts,
            "pwa_records_to_review": _records_to_review,
            "item_type_labels": versions.ITEM_TYPES,
            "pwa_backoff_ms": current_app.config.get("PWA_BACKOFF_BASE_MS", 2000),
            "pwa_server_now": clock.iso(),
            "pwa_can_sync": bool(user.is_authenticated
                                 and user.role in ("officer", "coordinator"))}


def _records_to_review() -> int:
    """Open conflicts the user may resolve (called by the full page only, not by fragments)."""
    user = current_user._get_current_object()
    if not (user.is_authenticated and user.role in ("officer", "coordinator")):
        return 0
    return store.open_conflict_count(get_db(), user.row)


@bp.after_app_request
def pwa_headers(response):
    """Tell the service worker whose page this is; wipe the device's data at logout."""
    if request.endpoint == "accounts.logout":
        response.headers["Clear-Site-Data"] = '"cache", "storage"'
    elif (user := current_user._get_current_object()) and user.is_authenticated:
        response.headers["X-Fieldapp-User"] = user_key(user.id)
    return response


@bp.get("/manifest.webmanifest")
@public
def manifest():
    """The web app manifest."""
    response = send_from_directory(_offline_dir(), "manifest.webmanifest",
                                   mimetype="application/manifest+json", max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/sw.js")
@public
def service_worker():
    """The service worker, at the root so it may control every page."""
    response = current_app.response_class(_stamped_service_worker(), mimetype="text/javascript")
    response.headers["Service-Worker-Allowed"] = "/"
    response.headers["Cache-Control"] = "no-cache"
    return response


def _stamped_service_worker() -> str:
    """sw.js with its version (a hash of itself and every precached file) and precache list.

    Any change to a precached file changes the worker's bytes, so phones see an update."""
    root = _offline_dir().parent
    present = {url: root / path for url, path in PRECACHE.items() if (root / path).exists()}
    files = [root / "offline" / "sw.js", *present.values()]
    stamp = tuple((str(f), f.stat().st_mtime_ns if f.exists() else 0) for f in files)
    if _stamped.get("stamp") != stamp:
        digest = hashlib.sha256()
        for f in files:
            digest.update(f.read_bytes())
        source = files[0].read_text()
        source = source.replace("__VERSION__", digest.hexdigest()[:12])
        source = source.replace("__PRECACHE__", json.dumps(list(present)))
        _stamped.update(stamp=stamp, source=source)
    return _stamped["source"]


@bp.get("/offline/<name>")
@public
def offline_script(name: str):
    """The outbox script, shared by the pages and the service worker."""
    if name not in OFFLINE_SCRIPTS:
        abort(404)
    response = send_from_directory(_offline_dir(), name, mimetype="text/javascript", max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/offline.html")
@public
def offline_page():
    """The page the service worker shows for a page that is not on the phone."""
    response = make_response(render_template("pwa/offline.html"))
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/api/csrf")
def csrf_token():
    """A fresh CSRF token for the outbox, which replays records long after the page loaded."""
    response = jsonify(csrf_token=generate_csrf(), server_now=clock.iso())
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/api/sync")
@role_required("officer", "coordinator")
def sync():
    """Store a batch of records made offline; answer per record (idempotent by client id)."""
    config = current_app.config
    try:
        batch = json_body(config["SYNC_MAX_BYTES"], config["JSON_MAX_DEPTH"])
    except BadJson as error:
        return jsonify(error=str(error)), error.status
    try:
        count = store.check_batch(batch)
    except store.BatchError as error:
        return jsonify(error=str(error)), 400
    now = clock.iso()
    offset = None
    if "device_now" in batch:  # the phone's clock when it sent the batch (newer phones say)
        try:
            offset = clock.offset_seconds(batch["device_now"], clock.now())
        except ValueError:
            return jsonify(error="device_now must be an ISO 8601 time with its UTC offset"), 400
    results = store.apply_batch(get_db(), batch, current_user.row, now, offset)
    statuses: dict[str, int] = {}
    for items in results.values():
        for item in items:
            statuses[item["status"]] = statuses.get(item["status"], 0) + 1
    if statuses.get("created") or statuses.get("conflict") or statuses.get("invalid"):
        audit_event("sync", object_type="batch", object_id=str(count), detail=statuses)
    response = jsonify(results=results, received_at=now, clock_offset_seconds=offset)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/api/sync/discard")
@role_required("officer", "coordinator")
def discard():
    """Record that the officer chose to discard queued records at logout (ids only)."""
    try:
        data = json_body(current_app.config["SYNC_MAX_BYTES"], current_app.config["JSON_MAX_DEPTH"])
    except BadJson as error:
        return jsonify(error=str(error)), error.status
    ids = data.get("ids") if isinstance(data, dict) else None
    valid = (isinstance(ids, list) and 0 < len(ids) <= store.MAX_ITEMS
             and all(isinstance(i, str) and 0 < len(i) <= 64 for i in ids))
    if not valid:
        return jsonify(error="ids must be a list of record ids"), 400
    audit_event("outbox_discarded", object_type="outbox", object_id=str(len(ids)),
                detail={"ids": ids[:100]})
    return jsonify(discarded=len(ids))


# The cookie offline-app.js sets when it has shown the install hint once (it reads it too,
# so it is not HttpOnly); the Dismiss form sets the same one for phones without JavaScript.
INSTALL_HINT_COOKIE = "fieldapp_install_hint"


@bp.post("/install-hint/dismiss")
@role_required("officer", "coordinator")
def dismiss_install_hint():
    """Hide the install hint for good on this browser, then go back to the page it was on."""
    form = DismissForm(request.form)
    response = redirect(safe_next(form.next.data) or url_for("accounts.index"))
    response.set_cookie(INSTALL_HINT_COOKIE, "1", max_age=31536000, path="/",
                        samesite="Lax", secure=request.is_secure)
    return response


@bp.get("/api/sync/receipts")
@role_required("officer", "coordinator")
def receipts():
    """Where the referrals a phone recently sent stand now (received, accepted...), by id."""
    db = get_db()
    answer = {}
    for referral_id in request.args.getlist("id")[:store.RECEIPTS_MAX]:
        referral = referrals_store.referral_for(db, current_user.row, referral_id[:64])
        if referral is not None:
            status = referral["status"]
            answer[referral["id"]] = {"status": status,
                                      "label": str(lifecycle.STATUS_LABELS.get(status, status))}
    response = jsonify(referrals=answer)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/sync/conflicts")
@role_required("officer", "coordinator")
def conflicts():
    """Records to review: what phones sent with a known id but different content (a
    coordinator: their police service's phones; an officer: their own)."""
    rows = store.conflicts_to_review(get_db(), current_user.row)
    audit_event("sync_conflicts_viewed", object_type="sync_conflict", object_id=str(len(rows)))
    return render("pwa/conflicts.html", conflicts=rows)


def _load_conflict(conflict_id: int) -> dict:
    return found_or_404(store.conflict_for(get_db(), current_user.row, conflict_id),
                        "sync_conflict", conflict_id)


def _conflict_page(conflict: dict, *, errors=None, picks=None, status: int = 200):
    db, user = get_db(), current_user.row
    stored = versions.stored_record(db, conflict, user)
    return render("pwa/conflict.html", status=status, conflict=conflict,
                  stored_found=stored is not None,
                  rows=versions.compare(db, conflict, stored, user),
                  choices=versions.allowed_choices(conflict, stored),
                  errors=errors or {}, picks=picks or {})


@bp.get("/sync/conflicts/<int:conflict_id>")
@role_required("officer", "coordinator")
def conflict(conflict_id: int):
    """The stored version and the phone's, field by field, with the differences marked."""
    found = _load_conflict(conflict_id)
    audit_event("sync_conflict_viewed", object_type=found["item_type"],
                object_id=found["item_id"])
    return _conflict_page(found)


@bp.post("/sync/conflicts/<int:conflict_id>/review")
@role_required("officer", "coordinator")
def review_conflict(conflict_id: int):
    """Mark a conflict as reviewed (nothing is decided yet; a resend does not reopen it)."""
    found = _load_conflict(conflict_id)
    if found["state"] == "open":
        store.mark_reviewed(get_db(), conflict_id, current_user.id, clock.iso())
        audit_event("sync_conflict_reviewed", object_type=found["item_type"],
                    object_id=found["item_id"])
        flash(_("Marked as reviewed."), "info")
    return redirect(url_for("pwa.conflicts"), code=303)


@bp.post("/sync/conflicts/<int:conflict_id>/resolve")
@role_required("officer", "coordinator")
def resolve_conflict(conflict_id: int):
    """Keep the stored version, use the phone's, or merge them field by field."""
    db, user, now = get_db(), current_user.row, clock.iso()
    found = _load_conflict(conflict_id)
    if found["state"] == "resolved":
        return redirect(url_for("pwa.conflicts"), code=303)
    form = ConflictForm(request.form)
    choice, picks = form.choice.data or "", form.pick.data
    stored = versions.stored_record(db, found, user)
    result = versions.resolve(db, found, stored, user, now, choice, picks)
    if result["status"] == "refused":
        return _conflict_page(found, picks=picks, status=400, errors={
            "_": _("This choice is not available for this record.")})
    if result["status"] == "invalid":
        return _conflict_page(found, picks=picks, status=422, errors=result["errors"])
    store.mark_resolved(db, conflict_id, user["id"], now, choice)
    audit_event("sync_conflict_resolved", object_type=found["item_type"],
                object_id=found["item_id"],
                detail={"conflict_id": conflict_id, "choice": choice,
                        "from_phone": result["from_phone"], "changed": result["changed"]})
    flash(_("Resolved. The phone will let go of its copy at its next sync."), "ok")
    return redirect(url_for("pwa.conflicts"), code=303)
