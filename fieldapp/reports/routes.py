"""Board report (placeholder until the reports issue lands)."""

from flask_babel import lazy_gettext as _l

from fieldapp.reports import bp
from fieldapp.security import role_required
from fieldapp.views import render


@bp.get("/")
@role_required("coordinator")
def board():
    """The board report for a period."""
    return render("placeholder.html", title=_l("Reports"))
