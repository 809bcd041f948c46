"""Directory of partner services (placeholder until the directory issue lands)."""

from flask_babel import lazy_gettext as _l

from fieldapp.directory import bp
from fieldapp.security import role_required
from fieldapp.views import render


@bp.get("/")
@role_required("officer", "partner", "coordinator")
def search():
    """Search the directory of partner services."""
    return render("placeholder.html", title=_l("Directory"))
