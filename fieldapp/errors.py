"""Error pages: a plain page for browsers, a short fragment for htmx, JSON for the API."""

from flask import Flask, jsonify, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError

from fieldapp.views import render


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def error_page(status: int, message: str):
    if _wants_json():
        return jsonify(error=message, status=status), status
    return render("errors/error.html", "errors/_error.html", status=status,
                  status_code=status, message=message)


def init_app(app: Flask) -> None:
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
