"""The status machine, table-driven: every action from every status, legal or not."""

import itertools
import json
import uuid

import pytest

import fieldapp.accounts  # noqa: F401  (blueprint imports must start at accounts)

# isort: split
from fieldapp.db import connect
from fieldapp.directory.demo import CRISIS_TEAM_ID
from fieldapp.referrals import lifecycle
from tests.support import NOW, make_app
from tests.support.referrals import OFFICER_ID, PARTNER_ID, SVC_CRISIS, add_services

# (action, reason) variants a user can ask for.
VARIANTS = [("receive", None), ("accept", None), ("decline", "no_capacity"),
            ("decline", "not_eligible"), ("decline", "duplicate"), ("decline", "person_declined"),
            ("attempt_contact", None), ("connect", None), ("close", "completed"),
            ("close", "unable_to_contact"), ("withdraw", None), ("expire", None)]

# The whole legal table, written out: (from status, action, reason) -> to status.
LEGAL = {
    ("sent", "receive", None): "received",
    ("sent", "accept", None): "accepted",
    ("received", "accept", None): "accepted",
    **{(status, "decline", reason): "declined" for status in ("sent", "received")
       for reason in ("no_capacity", "not_eligible", "duplicate", "person_declined")},
    ("accepted", "attempt_contact", None): "contact_attempted",
    ("accepted", "connect", None): "connected",
    ("contact_attempted", "connect", None): "connected",
    ("connected", "close", "completed"): "closed",
    ("accepted", "close", "unable_to_contact"): "closed",
    ("contact_attempted", "close", "unable_to_contact"): "closed",
    **{(status, "withdraw", None): "closed"
       for status in ("sent", "received", "accepted", "contact_attempted")},
    ("sent", "expire", None): "closed",
    ("received", "expire", None): "closed",
}
CASES = [(status, action, reason) for status, (action, reason)
         in itertools.product(lifecycle.STATUSES, VARIANTS)]


@pytest.fixture(scope="module")
def machine(tmp_path_factory):
    app = make_app(tmp_path_factory.mktemp("lifecycle"))
    db = connect(app.config["DATABASE"])
    add_services(db)
    users = {row["id"]: row for row in db.query("select * from user")}
    yield app, db, users
    db.conn.close()


def actor(users, action):
    if action == "expire":
        return None
    if action == "withdraw":
        return users[OFFICER_ID]
    return users[PARTNER_ID]


def referral_in(db, status: str) -> str:
    referral_id = str(uuid.uuid4())
    db["referral"].insert({
        "id": referral_id, "service_id": SVC_CRISIS, "organization_id": CRISIS_TEAM_ID,
        "officer_id": OFFICER_ID, "police_service": "HRP", "urgency": "urgent",
        "consent": "verbal", "shared": json.dumps([]), "status": status,
        "created_at": "2026-03-02T13:00:00+00:00", "sent_at": "2026-03-02T13:00:00+00:00"})
    return referral_id


def counts(db, referral_id):
    events = db.execute("select count(*) from referral_event where referral_id = ?",
                        [referral_id]).fetchone()[0]
    audits = db.execute("select count(*) from audit_event where object_id = ?",
                        [referral_id]).fetchone()[0]
    return events, audits


@pytest.mark.parametrize(("status", "action", "reason"), CASES,
                         ids=[f"{s}-{a}-{r or ''}" for s, a, r in CASES])
def test_every_transition_is_legal_or_refused_as_the_table_says(machine, status, action,
                                                                   reason):
    app, db, users = machine
    referral_id = referral_in(db, status)
    note = "called twice" if action == "withdraw" else None
    user = actor(users, action)
    with app.app_context():
        if (status, action, reason) in LEGAL:
            updated = lifecycle.transition(db, referral_id, action, user=user, now=NOW,
                                           reason=reason, note=note)
            target = LEGAL[(status, action, reason)]
            assert target == updated["status"]
            row = db["referral"].get(referral_id)
            assert target == row["status"]
            assert NOW == row[lifecycle.STAMP[target]]
            events = list(db.query("select * from referral_event where referral_id = ?",
                                   [referral_id]))
            assert 1 == len(events)
            event = events[0]
            expected_reason = reason or lifecycle.DEFAULT_REASON.get(action)
            assert (status, target, expected_reason, NOW, user["id"] if user else None) == (
                event["from_status"], event["to_status"], event["reason"], event["at"],
                event["user_id"])
            audits = list(db.query("select * from audit_event where object_id = ?",
                                   [referral_id]))
            assert ["referral_" + action] == [a["action"] for a in audits]
            assert {"from": status, "to": target, "reason": expected_reason} == json.loads(
                audits[0]["detail"])
            if target in ("declined", "closed"):
                assert expected_reason == row["status_reason"]
        else:
            with pytest.raises(lifecycle.IllegalTransition) as refused:
                lifecycle.transition(db, referral_id, action, user=user, now=NOW,
                                     reason=reason, note=note)
            assert 409 == refused.value.status
            assert str(refused.value.message)
            assert status == db["referral"].get(referral_id)["status"]
            assert (0, 0) == counts(db, referral_id)


def test_the_legal_table_covers_every_action():
    assert set(lifecycle.ACTIONS) == {action for _, action, _ in LEGAL}


@pytest.mark.parametrize(("action", "reason", "note"), [
    ("decline", None, None),  # a decline needs a reason
    ("decline", "completed", None),  # not a decline reason
    ("close", None, None),  # closing needs an outcome
    ("close", "withdrawn", None),  # withdrawing is the officer's action
    ("withdraw", None, None),  # the officer says why
    ("accept", None, "x" * 501),  # note too long
])
def test_a_transition_with_a_bad_reason_is_refused_with_400_and_writes_nothing(
        machine, action, reason, note):
    app, db, users = machine
    status = "received" if action in ("decline", "accept") else (
        "connected" if action == "close" else "sent")
    referral_id = referral_in(db, status)
    with app.app_context(), pytest.raises(lifecycle.InvalidReason) as refused:
        lifecycle.transition(db, referral_id, action, user=actor(users, action), now=NOW,
                             reason=reason, note=note)
    assert 400 == refused.value.status
    assert status == db["referral"].get(referral_id)["status"]
    assert (0, 0) == counts(db, referral_id)


@pytest.mark.parametrize(("action", "who"), [
    ("accept", OFFICER_ID), ("withdraw", PARTNER_ID), ("expire", PARTNER_ID)])
def test_a_role_that_may_not_take_an_action_is_refused(machine, action, who):
    app, db, users = machine
    referral_id = referral_in(db, "received")
    with app.app_context(), pytest.raises(lifecycle.IllegalTransition):
        lifecycle.transition(db, referral_id, action, user=users[who], now=NOW, note="why")
    assert (0, 0) == counts(db, referral_id)


def test_allowed_actions_show_the_partner_only_what_the_table_allows():
    assert ["accept", "decline"] == lifecycle.allowed_actions("received", "partner")
    assert ["withdraw"] == lifecycle.allowed_actions("accepted", "officer")
    assert [] == lifecycle.allowed_actions("connected", "officer")
    assert [] == lifecycle.allowed_actions("closed", "partner")
