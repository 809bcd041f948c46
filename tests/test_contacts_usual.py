"""The officer's most-used options (contacts/usual.py): what the log-contact form shows first."""

from datetime import UTC, datetime, timedelta

from fieldapp.contacts import demo, usual, vocab

OFFERED = {name: list(codes) for name, codes in vocab.BUILTIN.items()}


def now() -> str:
    return datetime.now(UTC).isoformat()


def test_the_officer_sees_their_own_most_used_first(db):
    first = usual.most_used(db, {"id": demo.OFFICER_ID, "police_service": "HRP"}, now(), OFFERED)
    # The demo officer's last 60 days: four school visits, then the kinds logged twice (latest
    # first), ...
    assert "school_visit" == first["kind"][0]
    assert {"unsheltered", "youth_12_17"} == set(first["population"][:2])
    assert "information_given" == first["outcome"][0]
    assert all(len(codes) == usual.LIMIT for codes in first.values())
    assert "veteran_support" not in first["kind"]  # only officer2 logs it: behind "More…"


def test_a_new_officer_sees_the_teams_most_used_then_the_defaults(db):
    team = usual.most_used(db, {"id": "new-officer", "police_service": "HRP"}, now(), OFFERED)
    assert "school_visit" == team["kind"][0]  # the team's most logged kind
    elsewhere = usual.most_used(db, {"id": "new-officer", "police_service": "NONE"}, now(),
                                OFFERED)
    assert {k: v[:usual.LIMIT] for k, v in usual.TEAM_DEFAULTS.items()} == elsewhere


def test_only_the_last_60_days_count_and_only_active_codes_are_offered(db):
    later = (datetime.now(UTC) + timedelta(days=usual.DAYS + 45)).isoformat()
    first = usual.most_used(db, {"id": demo.OFFICER_ID, "police_service": "HRP"}, later, OFFERED)
    assert usual.TEAM_DEFAULTS["kind"] == first["kind"]
    retired = {**OFFERED, "kind": [c for c in OFFERED["kind"] if c != "wellness_check"]}
    first = usual.most_used(db, {"id": "x", "police_service": "NONE"}, now(), retired)
    assert "wellness_check" not in first["kind"] and len(first["kind"]) == usual.LIMIT
