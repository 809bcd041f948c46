"""Officer quick contacts (placeholder home until the contacts issue lands)."""

from flask_babel import lazy_gettext as _l

from fieldapp.contacts import bp
from fieldapp.security import role_required
from fieldapp.views import render


@bp.get("/new")
@role_required("officer", "coordinator")
def new_contact():
    """The officer's home: log a quick contact."""
    return render("placeholder.html", title=_l("Log contact"))


@bp.get("/")
@role_required("officer", "coordinator")
def my_contacts():
    """The officer's own contacts, newest first."""
    return render("placeholder.html", title=_l("My contacts"))
