"""Who may do what: login sessions, role checks, the 404 loader rule, CSRF, headers, audit."""

import threading
import time
from functools import wraps

from cachetools import LRUCache
from flask import Flask, abort, current_app, g, redirect, request, session, url_for
from flask_login import AnonymousUserMixin, LoginManager, UserMixin, current_user
from flask_wtf.csrf import CSRFProtect, generate_csrf

from fieldapp import audit, clock
from fieldapp.db import get_db

login_manager = LoginManager()
csrf = CSRFProtect()

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)

# Endpoints anyone may reach without logging in.
PUBLIC_ENDPOINTS = {"static", "accounts.login", "accounts.set_language", "healthz"}


class User(UserMixin):
    """The logged-in user; flask-login's id is the server-side session token, not the user id."""

    def __init__(self, row: dict):
        self.row = row
        self.id = row["id"]
        self.role = row["role"]
        self.organization_id = row["organization_id"]
        self.police_service = row["police_service"]
        self.name = row["name"]
        self.email = row["email"]
        self.language = row["language"]
        self.session_token = row["session_token"]
        self.must_change_password = bool(row["must_change_password"])

    def get_id(self) -> str:
        return self.session_token

    def has_role(self, *roles: str) -> bool:
        return self.role in roles


class Anonymous(AnonymousUserMixin):
    role = None
    row = None

    def has_role(self, *roles: str) -> bool:
        return False


@login_manager.unauthorized_handler
def unauthorized():
    """Not logged in (or the session ended): htmx gets HX-Redirect, browsers a redirect."""
    login_url = url_for("accounts.login")
    if request.path.startswith("/api/"):
        from flask import jsonify

        return jsonify(error="login required", login_url=login_url), 401
    if request.headers.get("HX-Request"):
        response = current_app.response_class(status=401)
        response.headers["HX-Redirect"] = login_url
        return response
    if request.method == "GET" and request.path != "/":
        login_url = url_for("accounts.login", next=request.path)
    return redirect(login_url)


def role_required(*roles: str):
    """Only logged-in users with one of `roles`; everyone else gets 404 (or the login page)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            user = current_user._get_current_object()  # once: each proxy look-up costs
            if not user.is_authenticated:
                return unauthorized()
            if not user.has_role(*roles):
                audit_event("access_denied", object_type="route", object_id=request.endpoint,
                            outcome="404")
                abort(404)
            return view(*args, **kwargs)

        wrapped.allowed_roles = roles
        return wrapped

    return decorator


def found_or_404(obj, object_type: str, object_id: str):
    """The one loader rule: an object that does not exist or is not yours is a 404, audited."""
    if obj is None:
        audit_event("access_denied", object_type=object_type, object_id=str(object_id)[:64],
                    outcome="404")
        abort(404)
    return obj


def client_ip() -> str | None:
    return request.remote_addr if request else None


def audit_event(action: str, *, object_type=None, object_id=None, outcome="ok", detail=None,
                user: dict | None = None) -> None:
    """Record an audit event for the current request's user (or `user`, e.g. at login)."""
    if user is None and current_user and current_user.is_authenticated:
        user = current_user.row
    audit.record(
        get_db(), at=clock.iso(), action=action, user=user, object_type=object_type,
        object_id=object_id, outcome=outcome, ip=client_ip(), detail=detail,
    )


def require_login_everywhere():
    """Every endpoint needs a login unless it is listed public (defence in depth)."""
    endpoint = request.endpoint
    if endpoint is None or endpoint in PUBLIC_ENDPOINTS:
        return None
    view = current_app.view_functions.get(endpoint)
    if getattr(view, "public", False):
        return None
    user = current_user._get_current_object()  # once: each proxy look-up costs
    if not user.is_authenticated:
        return unauthorized()
    if user.must_change_password and endpoint not in (
        "accounts.change_password", "accounts.logout", "accounts.set_language",
    ):
        return redirect(url_for("accounts.change_password"))
    return None


def public(view):
    """Mark a view as reachable without login (health checks, the PWA's static files)."""
    view.public = True
    return view


def set_security_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(self)")
    user = current_user._get_current_object()  # once: each proxy look-up costs
    signed_in = bool(user and user.is_authenticated)
    if signed_in and "Cache-Control" not in headers:
        headers["Cache-Control"] = "no-store"
    elif signed_in and request.endpoint != "static":
        # Authenticated responses never sit in shared caches, whatever a view asked for.
        if "private" not in headers["Cache-Control"] and "no-store" not in headers["Cache-Control"]:
            headers["Cache-Control"] = "private, " + headers["Cache-Control"]
    if request.endpoint != "static":
        headers.add("Vary", "Cookie")
    return response


# A session's signed CSRF token is reused for a minute (per worker) rather than signed again on
# every page: the same secret, a signature at most a minute older than a fresh one (the time
# limit, WTF_CSRF_TIME_LIMIT, an hour by default, still counts from its signing).
CSRF_SIGNED_REUSE_SECONDS = 60


def csrf_token() -> str:
    """The templates' csrf_token(): Flask-WTF's generate_csrf, its signature kept per session's
    raw token for CSRF_SIGNED_REUSE_SECONDS (at most a tenth of the time limit)."""
    name = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    if name in g:
        return g.get(name)
    raw = session.get(name)
    kept, lock = current_app.extensions.setdefault(
        "fieldapp.csrf_signed", (LRUCache(maxsize=4096), threading.Lock()))
    limit = current_app.config.get("WTF_CSRF_TIME_LIMIT", 3600)
    reuse = CSRF_SIGNED_REUSE_SECONDS if limit is None else min(CSRF_SIGNED_REUSE_SECONDS,
                                                                 limit / 10)
    if isinstance(raw, str):
        with lock:
            hit = kept.get(raw)
        if hit is not None and 0 <= time.monotonic() - hit[1] < reuse:
            setattr(g, name, hit[0])
            return hit[0]
    token = generate_csrf()
    raw = session.get(name)
    if isinstance(raw, str):
        with lock:
            kept[raw] = (token, time.monotonic())
    return token


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.anonymous_user = Anonymous
    login_manager.session_protection = None  # the server-side session row is the protection
    csrf.init_app(app)
    # Flask-WTF hands generate_csrf to the templates twice (a global and a context
    # processor); this one comes after and wins.
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.context_processor(lambda: {"csrf_token": csrf_token})
    if app.config.get("PREFERRED_URL_SCHEME") == "https":
        app.config["SESSION_COOKIE_SECURE"] = True
    app.before_request(require_login_everywhere)
    app.after_request(set_security_headers)
