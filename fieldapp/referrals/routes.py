"""Warm referrals and the partner inbox (placeholder until the referrals issue lands)."""

from flask_babel import lazy_gettext as _l

from fieldapp.referrals import bp
from fieldapp.security import role_required
from fieldapp.views import render


@bp.get("/")
@role_required("officer", "partner", "coordinator")
def inbox():
    """Referrals within the user's scope; the partner's home."""
    return render("placeholder.html", title=_l("Referrals"))
