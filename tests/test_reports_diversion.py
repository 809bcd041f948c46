"""What counts as diverted: a mental-health contact whose referral a non-police partner
ACCEPTED, and that was not escalated to police.  Joint police-health teams are reported apart.

The fixed dataset of tests/test_reports_dataset.py (1 diverted HRP contact in 2026-Q1: c10) plus
five mental-health contacts of each case below, so that every figure is shown (5 or more)."""

import pytest

import fieldapp.cli  # noqa: F401  (imports the areas in the app's order)
from tests.support import login, make_app
from tests.support.reports import (
    HRP_Q1,
    PER_CASE,
    REPORT_NOW,
    add_cases,
    html_tables,
    load,
    overview,
)


@pytest.fixture
def report_app(tmp_path):
    app = make_app(tmp_path, NOW=REPORT_NOW)
    load(app.config["DATABASE"])
    add_cases(app.config["DATABASE"])
    return app


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
    client = report_app.test_client()
    login(client, "coordinator")
    # February: the cases' month (plus c09), where no month × police service × team cell is
    # from 1 to 4, so that every figure is shown; the quarter covers January and March, with
    # 2 mental-health contacts each, and is withheld on the dataset (issue 21).
    tables = html_tables(client.get(
        "/reports/?start=2026-02-01&end=2026-02-28&police_service=HRP").get_data(as_text=True))
    assert [["Mental-health-related contacts", "21"],
            ["Diverted to non-police services (referral accepted, not escalated)", "5"],
            ["Share diverted to non-police services", "23.8%"],
            ["Handled with a joint police–health team (referral accepted, not escalated)",
             "5"],
            ["Share handled with a joint police–health team", "23.8%"],
            ["Escalated to police enforcement", "5"],
            ["Police-escalation rate (mental-health contacts)", "23.8%"]] == \
        tables["diversion"][1:8]
    quarter = html_tables(client.get(f"/reports/?{HRP_Q1}").get_data(as_text=True))
    assert ["Mental-health-related contacts", "x"] == quarter["diversion"][1]


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
    demo.load(db, app.config, REPORT_NOW)
    assert version == db.execute("select n from directory_version").fetchone()[0]
