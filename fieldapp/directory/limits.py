"""Longest text a directory field may hold: the ONE table used by the service and organization
forms (forms.py) and by the HSDS import (hsds.py), so an import cannot store what the form
refuses (a 130,000-character service name shown to everyone)."""

DEFAULT = 4000  # any other text field of a service or an organization
SERVICE = {"name": 200, "alternate_name": 200, "keywords": 500, "alert": 500, "url": 500,
           "email": 200, "intake_email": 200, "intake_phone": 40}
ORGANIZATION = {"name": 200, "alternate_name": 200, "email": 200, "website": 500,
                "description": 4000}
BY_TABLE = {"service": SERVICE, "organization": ORGANIZATION}


def limit(table: str, field: str) -> int:
    """Most characters `field` of a `table` row may have."""
    return BY_TABLE[table].get(field, DEFAULT)


def too_long(table: str, values: dict) -> list[tuple[str, int, int]]:
    """(field, length, limit) for every text value of a service or organization row that is
    longer than its form allows."""
    found = []
    for field, value in values.items():
        if isinstance(value, str) and len(value) > limit(table, field):
            found.append((field, len(value), limit(table, field)))
    return found
