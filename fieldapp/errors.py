"""Error pages: a plain page for browsers, a short fragment for htmx, JSON for the API.

Every error answer carries the security headers itself: the after-request hooks that normally
add them may be the very thing that failed.
"""

import logging
import sqlite3

from flask import Flask, jsonify, make_response, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import SecurityError

from fieldapp.security import CSP
from fieldapp.views import render

ERROR_HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff",
                 "Referrer-Policy": "same-origin", "X-Frame-Options": "DENY"}


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


log = logging.getLogger(__name__)

# How long a client should wait before retrying when the database is busy (seconds).
RETRY_AFTER_SECONDS = 2
_BUSY = {"SQLITE_BUSY", "SQLITE_LOCKED"}


def error_page(status: int, message: str, headers: dict | None = None):
    if _wants_json():
        response = make_response(jsonify(error=message, status=status), status)
    else:
        response = render("errors/error.html", "errors/_error.html", status=status,
                          status_code=status, message=message)
    response.headers.update(headers or {})
    return _with_security_headers(response)


def _with_security_headers(response):
    for name, value in ERROR_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def database_error(error: sqlite3.DatabaseError):
    """A busy database, a full disk or a failing disk: say so, with a status a client can act on.

    The request's transaction has been rolled back, so nothing was half written; the phone's
    outbox keeps its item and retries (503 and 507 are not "needs attention")."""
    name = getattr(error, "sqlite_errorname", "") or ""
    retry = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    if name.startswith(tuple(_BUSY)) or "locked" in str(error):
        log.warning("database busy past the timeout: %s", error)
        return error_page(503, _("fieldapp is busy right now. Nothing was saved yet: your entry "
                                 "is kept, try again in a moment."), retry)
    if name == "SQLITE_FULL" or "disk is full" in str(error):
        log.error("database disk full: %s", error)
        return error_page(507, _("The server has run out of storage. Nothing was saved: your "
                                 "entry is kept. Tell your coordinator."), retry)
    if name.startswith("SQLITE_IOERR") or "disk I/O error" in str(error):
        log.error("database disk error: %s", error)
        return error_page(503, _("The server cannot write to its storage right now. Nothing "
                                 "was saved: your entry is kept, try again later."), retry)
    raise error


def init_app(app: Flask) -> None:
    app.register_error_handler(sqlite3.DatabaseError, database_error)

    @app.errorhandler(SecurityError)
    def untrusted_host(error):
        # A Host outside TRUSTED_HOSTS: no URL can be built for it, so no page with links.
        return _with_security_headers(make_response(
            (_("This address is not served here."), 400, {"Content-Type": "text/plain"})))

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return error_page(400, _("This form has expired or was not sent from fieldapp. "
                                 "Reload the page and try again; nothing was saved."))

    @app.errorhandler(400)
    def bad_request(error):
        return error_page(400, _("The request could not be understood. Nothing was saved."))

    @app.errorhandler(404)
    def not_found(error):
        return error_page(404, _("There is nothing here, or it is not yours to see."))

    @app.errorhandler(405)
    def method_not_allowed(error):
        response = make_response(error_page(405, _("That action is not available here.")))
        for name, value in error.get_headers():  # RFC 9110: a 405 names the allowed methods
            if name == "Allow":
                response.headers["Allow"] = value
        return response

    @app.errorhandler(413)
    def too_large(error):
        return error_page(413, _("The file or form is too large."))

    @app.errorhandler(500)
    def server_error(error):
        return error_page(500, _("Something went wrong on our side. Nothing was lost; "
                                 "please try again."))
