# The directory's JSON API under /api (HSDS API and the phone's snapshot).
from fieldapp.directory import hsds
from tests.policy import EVERYONE, LOGGED_IN


def _a_service(db):
    row = next(db.query("select id from service where archived_at is null order by name limit 1"))
    return {"service_id": row["id"]}


def _served(rows, key: str):
    """The first row the API serves (the categories' taxonomy is served, not stored)."""
    def args(db):
        return {key: rows(db)[0]["id"]}
    return args


def _first(table: str, key: str):
    def args(db):
        row = next(db.query(f"select id from [{table}] order by id limit 1"))
        return {key: row["id"]}
    return args


POLICY = {
    "directory_api.hsds_root": {"roles": LOGGED_IN, "args": lambda db: {}},
    "directory_api.hsds_services": {"roles": LOGGED_IN, "args": lambda db: {}},
    "directory_api.hsds_service": {"roles": LOGGED_IN, "args": _a_service},
    "directory_api.directory_snapshot": {"roles": LOGGED_IN, "args": lambda db: {}},
    # The profile holds no directory data: open to anyone (issue 18).
    "directory_api.hsds_profile": {"roles": EVERYONE, "args": lambda db: {}},
    "directory_api.hsds_profile_file": {"roles": EVERYONE,
                                        "args": lambda db: {"name": "openapi.json"}},
    "directory_api.hsds_organizations": {"roles": LOGGED_IN, "args": lambda db: {}},
    "directory_api.hsds_organization": {"roles": LOGGED_IN,
                                        "args": _first("organization", "organization_id")},
    "directory_api.hsds_taxonomies": {"roles": LOGGED_IN, "args": lambda db: {}},
    "directory_api.hsds_taxonomy": {"roles": LOGGED_IN,
                                    "args": _served(hsds.taxonomy_rows, "taxonomy_id")},
    "directory_api.hsds_taxonomy_terms": {"roles": LOGGED_IN, "args": lambda db: {}},
    "directory_api.hsds_taxonomy_term": {"roles": LOGGED_IN,
                                         "args": _served(hsds.term_rows, "term_id")},
    "directory_api.hsds_service_at_locations": {"roles": LOGGED_IN, "args": lambda db: {}},
    "directory_api.hsds_service_at_location": {"roles": LOGGED_IN,
                                               "args": _first("service_at_location", "sal_id")},
}
