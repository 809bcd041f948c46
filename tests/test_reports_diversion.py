"""What counts as diverted: a mental-health contact whose referral a non-police partner
ACCEPTED, and that was not escalated to police.  Joint police-health teams are reported apart.

The fixed dataset of tests/test_reports_dataset.py (1 diverted HRP contact in 2026-Q1: c10) plus
five mental-health contacts of each case below, so that every figure is shown (5 or more)."""

import pytest

import fieldapp.cli  # noqa: F401  (imports the areas in the app's order)
from fieldapp.db import connect
from fieldapp.reports import store
from fieldapp.reports.period import quarter
from tests.test_reports_board import html_tables
from tests.test_reports_dataset import CRISIS_TEAM_ID, HRP_Q1, NOW, OFFICER_A, S1, load

JOINT = "sj-mobile-joint"

# case: (contact outcome, [(service, accepted?)] of the referrals made from the contact)
CASES = {
    # referrals made, never accepted (sent; declined by the partner): not diverted
    "never_accepted": ("warm_referral", [(S1, False)]),
    # accepted by the joint police-health team only: joint, not diverted
    "joint": ("partner_on_scene", [(JOINT, True)]),
    # accepted by a non-police partner, but escalated to police: escalated only
    "escalated": ("escalated_police", [(S1, True)]),
    # accepted by a non-police partner (and also by the joint team): diverted
    "diverted": ("deescalated", [(S1, True), (JOINT, True)]),
}
PER_CASE = 5


def add_cases(path: str) -> None:
    db = connect(path)
    with db.atomic():
        db["service"].insert({"id": JOINT, "organization_id": CRISIS_TEAM_ID,
                              "name": "Joint mobile team (test)", "joint_police_health": 1})
        for case, (outcome, referrals) in CASES.items():
            for i in range(PER_CASE):
                cid = f"{case}-{i}"
                at = f"2026-02-{10 + i:02d}T15:00:00+00:00"
                db["contact"].insert({
                    "id": cid, "officer_id": OFFICER_A, "police_service": "HRP",
                    "team": "Hand", "occurred_at": at, "created_at": at,
                    "kind": "mental_health", "outcome": outcome, "is_group": 0})
                for j, (service, accepted) in enumerate(referrals):
                    declined = not accepted and i % 2
                    db["referral"].insert({
                        "id": f"{cid}-r{j}", "contact_id": cid, "service_id": service,
                        "organization_id": CRISIS_TEAM_ID, "officer_id": OFFICER_A,
                        "police_service": "HRP", "urgency": "today", "consent": "verbal",
                        "status": "accepted" if accepted else
                                  "declined" if declined else "sent",
                        "status_reason": "no_capacity" if declined else None,
                        "created_at": at, "sent_at": at,
                        "accepted_at": at if accepted else None,
                        "declined_at": at if declined else None})
    db.conn.close()


@pytest.fixture
def report_app(tmp_path):
    from tests.conftest import make_app

    app = make_app(tmp_path, NOW=NOW)
    load(app.config["DATABASE"])
    add_cases(app.config["DATABASE"])
    return app


def overview(app) -> dict:
    period = quarter(2026, 1, "America/Halifax")
    filters = store.Filters(period.start_utc, period.end_utc, "HRP")
    db = connect(app.config["DATABASE"])
    try:
        return store.contacts_overview(db, filters, period.months())
    finally:
        db.conn.close()


def test_referral_made_but_never_accepted_is_not_diverted(report_app):
    data = overview(report_app)
    # c10 only from the fixed dataset, and the 5 contacts accepted by a non-police partner.
    assert 1 + PER_CASE == data["mh_diverted"]


def test_accepted_referral_to_a_joint_team_is_reported_apart(report_app):
    data = overview(report_app)
    assert PER_CASE == data["mh_joint"]


def test_escalated_contact_is_never_diverted(report_app):
    data = overview(report_app)
    # c08, c11 of the fixed dataset and the 5 escalated after an accepted referral.
    assert 2 + PER_CASE == data["mh_escalated"]
    assert 6 + 4 * PER_CASE == data["mh_contacts"]
    # Diverted, joint and escalated are disjoint: never more than the contacts.
    assert (data["mh_diverted"] + data["mh_joint"] + data["mh_escalated"]
            <= data["mh_contacts"])


def test_diversion_table_shows_diverted_joint_and_escalated_apart(report_app):
    from tests.conftest import login

    client = report_app.test_client()
    login(client, "coordinator")
    tables = html_tables(client.get(f"/reports/?{HRP_Q1}").get_data(as_text=True))
    assert [["Mental-health-related contacts", "26"],
            ["Diverted to non-police services (referral accepted, not escalated)", "6"],
            ["Share diverted to non-police services", "23.1%"],
            ["Handled with a joint police–health team (referral accepted, not escalated)",
             "5"],
            ["Share handled with a joint police–health team", "19.2%"],
            ["Escalated to police enforcement", "7"],
            ["Police-escalation rate (mental-health contacts)", "26.9%"]] == \
        tables["diversion"][1:8]


def test_demo_mobile_crisis_team_is_joint(app, db):
    from fieldapp.directory.demo_build import uid

    assert 1 == db["service"].get(uid("service", "crisis_mobile"))["joint_police_health"]
    assert 1 == db.execute(
        "select count(*) from service where joint_police_health = 1").fetchone()[0]


def test_cli_marks_and_unmarks_a_joint_service(app, runner, db):
    from fieldapp.directory.demo_build import uid

    service_id = uid("service", "crisis_line")
    result = runner.invoke(args=["joint-service", service_id])
    assert 0 == result.exit_code, result.output
    assert 1 == db["service"].get(service_id)["joint_police_health"]
    runner.invoke(args=["joint-service", service_id, "--off"])
    assert 0 == db["service"].get(service_id)["joint_police_health"]
    assert 1 == runner.invoke(args=["joint-service", "no-such-service"]).exit_code


def test_loading_the_demo_again_leaves_the_directory_version(app, db):
    from fieldapp.reports import demo

    version = db.execute("select n from directory_version").fetchone()[0]
    demo.load(db, app.config, NOW)
    assert version == db.execute("select n from directory_version").fetchone()[0]
