"""Error pages: a plain page for browsers, a short fragment for htmx, JSON for the API.

Every error answer carries the security headers itself: the after-request hooks that normally
add them may be the very thing that failed.
"""

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


def error_page(status: int, message: str):
    if _wants_json():
        response = make_response(jsonify(error=message, status=status), status)
    else:
        response = render("errors/error.html", "errors/_error.html", status=status,
                          status_code=status, message=message)
    return _with_security_headers(response)


def _with_security_headers(response):
    for name, value in ERROR_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def init_app(app: Flask) -> None:
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
        return error_page(405, _("That action is not available here."))

    @app.errorhandler(413)
    def too_large(error):
        return error_page(413, _("The file or form is too large."))

    @app.errorhandler(500)
    def server_error(error):
        return error_page(500, _("Something went wrong on our side. Nothing was lost; "
                                 "please try again."))
