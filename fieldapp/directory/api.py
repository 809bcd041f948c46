"""JSON endpoints of the directory under /api (HSDS API, directory snapshot)."""

from fieldapp.directory import api_bp  # noqa: F401
