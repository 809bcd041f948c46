"""Route policy of the directory's search and upkeep pages (see tests/policy/__init__.py)."""

from fieldapp.directory.demo import CRISIS_TEAM_ID
from tests.policy import LOGGED_IN

EVERY_ROLE = LOGGED_IN
COORDINATOR = {"coordinator"}


def crisis_service(db) -> dict:
    """A listed service of the crisis team (partner@demo.test's organization)."""
    row = db.execute("SELECT id FROM service WHERE organization_id = ? AND archived_at IS NULL"
                     " ORDER BY name LIMIT 1", [CRISIS_TEAM_ID]).fetchone()
    return {"service_id": row[0] if row else "no-demo-service"}


POLICY = {
    "directory.search": {"roles": EVERY_ROLE},
    "directory.service_detail": {"roles": EVERY_ROLE, "args": crisis_service},
    "directory.propose_edit": {"roles": {"partner"}, "args": crisis_service},
    "directory.manage": {"roles": COORDINATOR},
    "directory.new_service": {"roles": COORDINATOR},
    "directory.edit_service": {"roles": COORDINATOR, "args": crisis_service},
    "directory.validate_service": {"roles": COORDINATOR},
    "directory.archive_service": {"roles": COORDINATOR},
    "directory.new_organization": {"roles": COORDINATOR},
    "directory.validate_organization": {"roles": COORDINATOR},
    "directory.edit_organization": {"roles": COORDINATOR,
                                    "args": lambda db: {"organization_id": CRISIS_TEAM_ID}},
    "directory.archive_organization": {"roles": COORDINATOR},
    "directory.verify_queue": {"roles": COORDINATOR},
    "directory.verify_service": {"roles": COORDINATOR},
    "directory.service_changed": {"roles": COORDINATOR},
    "directory.save_service_section": {
        "roles": COORDINATOR, "args": lambda db: crisis_service(db) | {"section": "phones"}},
    "directory.duplicates": {"roles": COORDINATOR},
    "directory.merge": {"roles": COORDINATOR},
    "directory.keep_apart": {"roles": COORDINATOR},
    "directory.partnerships": {"roles": COORDINATOR},
    "directory.proposals": {"roles": COORDINATOR},
    "directory.proposal_detail": {"roles": COORDINATOR},
    "directory.decide_proposal": {"roles": COORDINATOR},
}
