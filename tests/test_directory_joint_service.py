"""A joint police–health team (service.joint_police_health) as a directory field: the
coordinator's service form sets and clears it, staff see it on the service page, HSDS carries
it as an extension field of services, and the board report counts a service marked through
the form apart from non-police diversion."""

import csv
import json

import pytest
from werkzeug.datastructures import MultiDict

import fieldapp.accounts  # noqa: F401  (the foundation's import order: accounts first)
from fieldapp.db import connect, migrate
from fieldapp.directory import hsds, proposals
from fieldapp.directory.demo import CRISIS_TEAM_ID
from fieldapp.directory.demo_build import uid
from tests.support import login, make_app
from tests.support.directory import FormValues, edit_form, service_form
from tests.support.reports import (
    HRP_Q1,
    JOINT,
    PER_CASE,
    REPORT_NOW,
    add_cases,
    html_tables,
    load,
    overview,
)

IMPORTED_AT = "2026-05-01T00:00:00+00:00"
LABEL = "Joint police–health team"


def joint_flag(db, service_id) -> int:
    return db.execute("select joint_police_health from service where id = ?",
                      [service_id]).fetchone()[0]


def create_service(client, **overrides) -> str:
    response = client.post("/directory/manage/services/new", data=service_form(**overrides))
    assert 303 == response.status_code, response.get_data(as_text=True)[:500]
    return response.headers["Location"].rsplit("/", 1)[1]


def test_coordinator_marks_a_new_service_joint_through_the_form(login_as, db):
    service_id = create_service(login_as("coordinator"), joint_police_health="1")
    assert 1 == joint_flag(db, service_id)


def test_service_form_leaves_the_joint_flag_off_unless_ticked(login_as, db):
    service_id = create_service(login_as("coordinator"))
    assert 0 == joint_flag(db, service_id)


def test_unticking_the_joint_box_clears_the_flag(login_as, db):
    coordinator = login_as("coordinator")
    service_id = create_service(coordinator, joint_police_health="1")
    response = coordinator.post(f"/directory/manage/services/{service_id}",
                                data=edit_form(coordinator, service_id, joint=False))
    assert 303 == response.status_code
    assert 0 == joint_flag(db, service_id)


def test_saving_the_demo_joint_team_unchanged_keeps_it_joint(login_as, db):
    coordinator = login_as("coordinator")
    crisis_mobile = uid("service", "crisis_mobile")  # marked joint by the reports demo
    page = FormValues()
    page.feed(coordinator.get(f"/directory/manage/services/{crisis_mobile}")
              .get_data(as_text=True))
    response = coordinator.post(f"/directory/manage/services/{crisis_mobile}",
                                data=MultiDict([p for p in page.pairs if p[0] != "csrf_token"]))
    assert 303 == response.status_code, response.get_data(as_text=True)[:500]
    assert 1 == joint_flag(db, crisis_mobile)


def test_edit_form_shows_the_joint_box_ticked_for_a_joint_service(login_as, db):
    coordinator = login_as("coordinator")
    service_id = create_service(coordinator, joint_police_health="1")
    html = coordinator.get(f"/directory/manage/services/{service_id}").get_data(as_text=True)
    assert 'name="joint_police_health" value="1" checked' in html
    assert "reported apart from non-police services in the board report" in html


def test_joint_flag_change_without_csrf_token_is_refused_and_changes_nothing(login_as, db):
    coordinator = login_as("coordinator")
    service_id = create_service(coordinator)
    data = edit_form(coordinator, service_id, joint=True)
    response = coordinator.post(f"/directory/manage/services/{service_id}", csrf=False,
                                data=data)
    assert 400 == response.status_code
    assert 0 == joint_flag(db, service_id)


def test_officers_and_partners_cannot_mark_a_service_joint(login_as, db):
    coordinator = login_as("coordinator")
    service_id = create_service(coordinator)
    data = edit_form(coordinator, service_id, joint=True)
    for who in ("officer", "partner"):
        response = login_as(who).post(f"/directory/manage/services/{service_id}", data=data)
        assert 404 == response.status_code, who
    assert 0 == joint_flag(db, service_id)


def test_partner_proposal_cannot_carry_the_joint_flag(login_as, db):
    service_id = create_service(login_as("coordinator"), organization_id=CRISIS_TEAM_ID)
    partner = login_as("partner")
    form = {field: "" for field in proposals.PROPOSABLE_FIELDS}
    form.update(name="Quillfeather Counselling", description="Now walk-in and by phone.",
                joint_police_health="1")
    response = partner.post(f"/directory/services/{service_id}/propose", data=form)
    assert 201 == response.status_code, response.get_data(as_text=True)[:500]
    (proposal,) = proposals.proposals(db)
    assert "joint_police_health" not in json.loads(proposal["changes_json"])
    assert 0 == joint_flag(db, service_id)


def test_staff_see_the_joint_badge_on_the_service_page(login_as, db):
    service_id = create_service(login_as("coordinator"), joint_police_health="1")
    for who in ("coordinator", "officer"):
        html = login_as(who).get(f"/directory/services/{service_id}").get_data(as_text=True)
        assert f'<span class="badge">{LABEL}</span>' in html, who


def test_partners_and_unmarked_services_show_no_joint_badge(login_as, db):
    coordinator = login_as("coordinator")
    joint = create_service(coordinator, joint_police_health="1")
    plain = create_service(coordinator, name="Plain Counselling")
    html = coordinator.get(f"/directory/services/{plain}").get_data(as_text=True)
    assert LABEL not in html
    html = login_as("partner").get(f"/directory/services/{joint}").get_data(as_text=True)
    assert LABEL not in html


def fresh_db(tmp_path):
    database = connect(str(tmp_path / "fresh.db"))
    migrate(database)
    return database


def test_hsds_csv_export_then_import_into_a_fresh_db_keeps_the_joint_flag(login_as, db,
                                                                          tmp_path):
    coordinator = login_as("coordinator")
    joint = create_service(coordinator, joint_police_health="1")
    plain = create_service(coordinator, name="Plain Counselling")
    hsds.export_csv(db, tmp_path / "out")  # the shared export: the flag is not withheld
    rows = {row["id"]: row for row in csv.DictReader(
        (tmp_path / "out" / "services.csv").open(newline="", encoding="utf-8"))}
    assert ("true", "false") == (rows[joint]["joint_police_health"],
                                 rows[plain]["joint_police_health"])
    fresh = fresh_db(tmp_path)
    try:
        hsds.import_package(fresh, tmp_path / "out", IMPORTED_AT, police_services=["HRP", "RCMP"])
        assert (1, 0) == (joint_flag(fresh, joint), joint_flag(fresh, plain))
        # ... and the next round trip changes nothing.
        hsds.export_csv(fresh, tmp_path / "again")
        report = hsds.import_package(fresh, tmp_path / "again", IMPORTED_AT,
                                     police_services=["HRP", "RCMP"])
        assert 0 == report.changed, report.to_text()
    finally:
        fresh.conn.close()


def test_hsds_json_carries_the_joint_flag_as_a_boolean_and_imports_it(login_as, db,
                                                                       tmp_path):
    joint = create_service(login_as("coordinator"), joint_police_health="1")
    hsds.export_json(db, tmp_path)
    services = {s["id"]: s for s in json.loads((tmp_path / "services.json").read_text())}
    assert services[joint]["joint_police_health"] is True
    stored = {row["id"]: bool(row["joint_police_health"]) for row in db["service"].rows}
    assert stored == {sid: s["joint_police_health"] for sid, s in services.items()}
    fresh = fresh_db(tmp_path)
    try:
        hsds.import_package(fresh, tmp_path / "services.json", IMPORTED_AT,
                            police_services=["HRP", "RCMP"])
        assert 1 == joint_flag(fresh, joint)
    finally:
        fresh.conn.close()


def test_import_without_the_joint_column_leaves_the_flag_alone(login_as, db, tmp_path):
    joint = create_service(login_as("coordinator"), joint_police_health="1")
    hsds.export_csv(db, tmp_path / "out")
    path = tmp_path / "out" / "services.csv"
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    columns = [c for c in rows[0] if c != "joint_police_health"]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, columns, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    hsds.import_package(db, tmp_path / "out", IMPORTED_AT, police_services=["HRP", "RCMP"])
    assert 1 == joint_flag(db, joint)


@pytest.fixture
def report_app(tmp_path):
    """The diversion cases of tests/test_reports_diversion.py, the joint team not yet marked."""
    app = make_app(tmp_path, NOW=REPORT_NOW)
    load(app.config["DATABASE"])
    add_cases(app.config["DATABASE"])
    db = connect(app.config["DATABASE"])
    db["service"].update(JOINT, {"joint_police_health": 0})
    db.conn.close()
    return app


def joint_line(client) -> list[str]:
    """The board report's "joint police–health team" line of the diversion table."""
    tables = html_tables(client.get(f"/reports/?{HRP_Q1}").get_data(as_text=True))
    return next(row for row in tables["diversion"] if row[0].startswith("Handled with a joint"))


def test_board_report_counts_a_service_marked_joint_through_the_form(report_app):
    client = report_app.test_client()
    login(client, "coordinator")
    assert 0 == overview(report_app)["mh_joint"]
    before = joint_line(client)  # read once, so a cached report would show up below
    assert "5" != before[1], before
    response = client.post(f"/directory/manage/services/{JOINT}",
                           data=edit_form(client, JOINT, joint=True))
    assert 303 == response.status_code, response.get_data(as_text=True)[:500]
    assert PER_CASE == overview(report_app)["mh_joint"]
    assert ["Handled with a joint police–health team (referral accepted, not escalated)",
            str(PER_CASE)] == joint_line(client)


def test_hsds_api_lists_and_shows_the_joint_flag(login_as):
    client = login_as("partner")
    crisis_mobile = uid("service", "crisis_mobile")
    listed = client.get("/api/hsds/services?per_page=100").get_json()["contents"]
    assert {crisis_mobile} == {s["id"] for s in listed if s["joint_police_health"] is True}
    shown = client.get(f"/api/hsds/services/{crisis_mobile}").get_json()
    assert shown["joint_police_health"] is True
