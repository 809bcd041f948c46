"""The progressive web app's files, served at the site root so their scope is the whole site."""

from pathlib import Path

from flask import current_app, send_from_directory

from fieldapp.pwa import bp
from fieldapp.security import public


def _offline_dir() -> Path:
    return Path(current_app.root_path).parent / "offline"


@bp.get("/manifest.webmanifest")
@public
def manifest():
    """The web app manifest."""
    response = send_from_directory(_offline_dir(), "manifest.webmanifest",
                                   mimetype="application/manifest+json", max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    return response
