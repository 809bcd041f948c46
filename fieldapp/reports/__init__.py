from flask import Blueprint

bp = Blueprint("reports", __name__)

from fieldapp.reports import cli, routes  # noqa: E402,F401
