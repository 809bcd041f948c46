from flask import Blueprint

bp = Blueprint("pwa", __name__)

from fieldapp.pwa import routes  # noqa: E402,F401
