from flask import Blueprint

bp = Blueprint("directory", __name__)
# JSON endpoints under /api (HSDS API, the phone's directory snapshot).
api_bp = Blueprint("directory_api", __name__)

from fieldapp.directory import api, imports, routes, templating  # noqa: E402,F401
