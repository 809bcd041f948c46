"""A coordinator compares a sync conflict's two versions and merges them field by field, in
real headless Chromium."""

import json

import pytest

from tests.support import axe_violations, browser_login, login, screenshot
from tests.support.pwa import contact

pytestmark = pytest.mark.browser


def test_coordinator_merges_a_conflict_field_by_field(live_server, phone):
    officer = live_server.app.test_client()
    login(officer, "officer")
    original = contact(note="first note (demo)", outcome="information_given")
    changed = {**original, "note": "second note (demo)", "outcome": "deescalated"}
    assert 200 == officer.post("/api/sync", json={"contacts": [original]}).status_code
    answer = officer.post("/api/sync", json={"contacts": [changed]}).get_json()
    assert "conflict" == answer["results"]["contacts"][0]["status"]

    page = phone.new_page()
    browser_login(page, live_server.url, "coordinator")
    page.wait_for_load_state()
    page.goto(f"{live_server.url}/sync/conflicts")
    page.locator(".pwa-conflict a").first.click()
    page.wait_for_url("**/sync/conflicts/*")

    # The differing fields are marked for the eye and, in text, for screen readers.
    differing = page.locator("tr.differs")
    assert ["note", "outcome"] == sorted(differing.evaluate_all(
        "rows => rows.map(r => r.dataset.field)"))
    assert page.locator("tr.differs mark").first.is_visible()
    assert 2 == page.locator("tr.differs .visually-hidden",
                             has_text="differs from the stored version").count()
    assert page.get_by_text("De-escalated / resolved").is_visible()  # labels, not codes
    assert [] == axe_violations(page)
    screenshot(page, "pwa_conflict_side_by_side_phone")

    # Keep the stored outcome, take the phone's note, merge.
    page.check("input[name=pick_note][value=phone]")
    page.check("input[name=pick_outcome][value=stored]")
    page.click("button[name=choice][value=merge]")
    page.wait_for_url(f"{live_server.url}/sync/conflicts")
    assert page.get_by_text("Resolved.").is_visible()

    db = live_server.db()
    stored = db["contact"].get(original["id"])
    assert ("second note (demo)", "information_given") == (stored["note"], stored["outcome"])
    conflict = next(db["sync_conflict"].rows_where("item_id = ?", [original["id"]]))
    assert ("resolved", "merge") == (conflict["state"], conflict["resolution"])
    event = next(db["audit_event"].rows_where("action = 'sync_conflict_resolved'"))
    assert ["note"] == json.loads(event["detail"])["from_phone"]
    page.goto(f"{live_server.url}/sync/conflicts/{conflict['id']}")
    assert page.locator(".badge", has_text="Resolved").is_visible()
    db.conn.close()
