# The directory's JSON API under /api (HSDS API and the phone's snapshot).
from tests.policy import LOGGED_IN


def _a_service(db):
    row = next(db.query("select id from service where archived_at is null order by name limit 1"))
    return {"service_id": row["id"]}


POLICY = {
    "directory_api.hsds_root": {"roles": LOGGED_IN, "args": lambda db: {}},
    "directory_api.hsds_services": {"roles": LOGGED_IN, "args": lambda db: {}},
    "directory_api.hsds_service": {"roles": LOGGED_IN, "args": _a_service},
    "directory_api.directory_snapshot": {"roles": LOGGED_IN, "args": lambda db: {}},
}
