from flask import Blueprint

bp = Blueprint("referrals", __name__)

from fieldapp.referrals import cli, routes  # noqa: E402,F401
