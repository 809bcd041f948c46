from flask import Blueprint

bp = Blueprint("directory", __name__)

from fieldapp.directory import routes  # noqa: E402,F401
