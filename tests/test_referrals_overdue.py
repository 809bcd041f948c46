"""Urgent referrals nobody accepted in time, at a frozen clock."""

import pytest

import fieldapp.accounts  # noqa: F401  (blueprint imports must start at accounts)

# isort: split
from fieldapp.db import connect
from fieldapp.referrals import lifecycle, store
from tests.support import NOW, login, make_app
from tests.support.referrals import (
    OFFICER2_ID,
    OFFICER_ID,
    PARTNER_ID,
    SVC_CRISIS,
    add_services,
    clear_demo_referrals,
    crisis_ids,
    referral_item,
    user_row,
)


def at(minutes_ago: int) -> str:
    return f"2026-03-02T{13 if minutes_ago else 14}:{(60 - minutes_ago) % 60:02d}:00+00:00"


@pytest.fixture
def clockwork(tmp_path):
    app = make_app(tmp_path, NOW=NOW)
    db = connect(app.config["DATABASE"])
    add_services(db)
    clear_demo_referrals(db)
    yield app, db
    db.conn.close()


def send(app, db, minutes_ago, user_id=OFFICER_ID, **overrides):
    item = referral_item(**overrides)
    with app.app_context():
        store.apply_referral(db, item, user_row(db, user_id), at(minutes_ago))
    return item["id"]


def test_only_urgent_referrals_unanswered_past_the_limit_are_overdue(clockwork):
    app, db = clockwork
    late = send(app, db, 31)
    exactly = send(app, db, 30)
    recent = send(app, db, 29)
    not_urgent = send(app, db, 50, urgency="today")
    answered = send(app, db, 45)
    opened = send(app, db, 40)
    with app.app_context():
        partner = user_row(db, PARTNER_ID)
        lifecycle.transition(db, answered, "accept", user=partner, now=at(20))
        lifecycle.transition(db, opened, "receive", user=partner, now=at(35))
        found = store.overdue_referrals(db, officer_id=OFFICER_ID, now=NOW, minutes=30)
    ids = [r["id"] for r in found]
    # Oldest first.
    assert [opened, late, exactly] == [i for i in ids if i in (late, exactly, opened)]
    assert {recent, not_urgent, answered}.isdisjoint(ids)
    first = found[1]
    assert 31 == first["minutes_waiting"]
    # The next matching service: another crisis service that accepts referrals.
    assert first["next_service"]["id"] != SVC_CRISIS
    assert first["next_service"]["id"] in crisis_ids(db)
    assert first["next_service"]["accepts_referrals"]


def test_overdue_is_scoped_to_the_officer_or_the_police_service(clockwork):
    app, db = clockwork
    mine = send(app, db, 40)
    theirs = send(app, db, 40, user_id=OFFICER2_ID)
    with app.app_context():
        assert [mine] == [r["id"] for r in store.overdue_referrals(
            db, officer_id=OFFICER_ID, now=NOW, minutes=30)]
        assert {mine, theirs} == {r["id"] for r in store.overdue_referrals(
            db, police_service="HRP", now=NOW, minutes=30)}
        assert [] == store.overdue_referrals(db, police_service="RCMP", now=NOW, minutes=30)


def test_the_officer_page_flags_it_with_the_next_service_and_a_call_now_button(clockwork):
    app, db = clockwork
    late = send(app, db, 45)
    with app.app_context():
        next_service = store.overdue_referrals(db, officer_id=OFFICER_ID, now=NOW,
                                               minutes=30)[0]["next_service"]
    phone = next_service["intake_phone"] or next_service["phones"][0]["number"]
    officer = app.test_client()
    login(officer, "officer")
    page = officer.get("/referrals/").get_data(as_text=True)
    assert "Urgent referrals not accepted" in page
    assert next_service["name"] in page
    assert f'href="tel:{phone.replace(" ", "")}"' in page
    assert f"/referrals/{late}" in page
    coordinator = app.test_client()
    login(coordinator, "coordinator")
    assert next_service["name"] in coordinator.get("/referrals/").get_data(as_text=True)


def test_the_limit_comes_from_config(tmp_path):
    app = make_app(tmp_path, NOW=NOW, URGENT_ACCEPT_MINUTES=10)
    db = connect(app.config["DATABASE"])
    add_services(db)
    late = send(app, db, 15)
    officer = app.test_client()
    login(officer, "officer")
    assert f"/referrals/{late}" in officer.get("/referrals/").get_data(as_text=True).split(
        "Urgent referrals not accepted")[1].split("</section>")[0]
    db.conn.close()


def test_the_overdue_fragment_can_be_included_by_another_page(clockwork):
    app, db = clockwork
    send(app, db, 45)
    with app.test_request_context():
        from flask import render_template
        from flask_login import login_user

        from fieldapp.security import User

        row = {**user_row(db, OFFICER_ID), "session_token": "t", "must_change_password": 0}
        login_user(User(row))
        html = render_template("referrals/_overdue.html")
    assert "Urgent referrals not accepted" in html and 'href="tel:' in html


def test_the_expire_command_closes_referrals_nobody_answered_in_time(tmp_path):
    app = make_app(tmp_path, NOW="2026-03-10T14:00:00+00:00", REFERRAL_EXPIRE_DAYS=7)
    db = connect(app.config["DATABASE"])
    add_services(db)
    clear_demo_referrals(db)
    with app.app_context():
        officer = user_row(db, OFFICER_ID)
        old, recent = referral_item(), referral_item()
        store.apply_referral(db, old, officer, "2026-03-02T13:00:00+00:00")
        store.apply_referral(db, recent, officer, "2026-03-05T13:00:00+00:00")
    result = app.test_cli_runner().invoke(args=["referrals", "expire"])
    assert "1 referral(s) expired" in result.output
    assert ("closed", "expired") == (db["referral"].get(old["id"])["status"],
                                     db["referral"].get(old["id"])["outcome"])
    assert "sent" == db["referral"].get(recent["id"])["status"]
    db.conn.close()
