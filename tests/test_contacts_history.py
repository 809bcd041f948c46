"""Editing, undo, scope, person pages, repeat involvement, merging, lists."""

import json
import uuid

import pytest

from fieldapp import audit
from fieldapp.contacts import demo, people
from tests.support import NOW, make_app, selects
from tests.support.contacts import at, contact_form, db_of, login_client, stored_by

OFFICER = {"id": demo.OFFICER_ID, "role": "officer", "police_service": "HRP"}


# --- edit and undo --------------------------------------------------------------------------


def test_author_edits_within_24_hours_and_old_values_are_kept_and_audited(frozen):
    contact_id = stored_by(frozen, OFFICER, at(hours_before=23), note="first")
    client = login_client(frozen)
    edit = contact_form(id=contact_id, occurred_at=at(hours_before=23), outcome="safety_plan",
                        populations=["veteran"], note="second")
    assert 303 == client.post(f"/contacts/{contact_id}/edit", data=edit).status_code
    db = db_of(frozen)
    row = db["contact"].get(contact_id)
    assert ("safety_plan", "second") == (row["outcome"], row["note"])
    revision = next(db["contact_revision"].rows_where("contact_id = ?", [contact_id]))
    assert {"outcome": "information_given", "note": "first", "populations": []} == json.loads(
        revision["old_values"])
    assert demo.OFFICER_ID == revision["edited_by"]
    event = audit.events(db, "contact_edited")[-1]
    assert (contact_id, ["note", "outcome", "populations"]) == (
        event["object_id"], json.loads(event["detail"])["fields"])
    assert "first" not in (event["detail"] or "")  # the audit keeps codes, never the note


def test_edit_after_24_hours_is_refused(frozen):
    contact_id = stored_by(frozen, OFFICER, at(hours_before=24, days_before=0.01))
    client = login_client(frozen)
    assert 403 == client.get(f"/contacts/{contact_id}/edit").status_code
    response = client.post(f"/contacts/{contact_id}/edit", data=contact_form(
        id=contact_id, occurred_at=at(hours_before=25), outcome="safety_plan"))
    assert 403 == response.status_code
    assert "information_given" == db_of(frozen)["contact"].get(contact_id)["outcome"]
    assert "Edit (24 hours)" not in client.get(f"/contacts/{contact_id}").get_data(as_text=True)


def test_only_the_author_may_edit(frozen):
    contact_id = stored_by(frozen, OFFICER, at(hours_before=1))
    assert 404 == login_client(frozen, "coordinator").get(
        f"/contacts/{contact_id}/edit").status_code


def test_undo_within_10_minutes_and_not_after(frozen):
    recent = stored_by(frozen, OFFICER, at(hours_before=9 / 60))
    older = stored_by(frozen, OFFICER, at(hours_before=11 / 60))
    client = login_client(frozen)
    assert 303 == client.post(f"/contacts/{recent}/undo").status_code
    assert 404 == client.get(f"/contacts/{recent}").status_code
    assert 403 == client.post(f"/contacts/{older}/undo").status_code
    assert db_of(frozen)["contact"].get(older)["deleted_at"] is None


# --- scope ----------------------------------------------------------------------------------


def test_officer2_cannot_open_officers_contact_without_a_shared_person(login_as):
    officer2 = login_as("officer2")
    assert 404 == officer2.get(f"/contacts/{demo.OFFICER_PRIVATE_CONTACT}").status_code
    assert 404 == officer2.get(f"/contacts/people/{demo.PERSON_JD}").status_code


def test_officer2_sees_officers_contact_with_a_shared_person_only_as_a_summary(login_as):
    officer2 = login_as("officer2")
    assert 404 == officer2.get(f"/contacts/{demo.OFFICER_SHARED_CONTACT}").status_code
    page = officer2.get(f"/contacts/people/{demo.PERSON_MK}")
    assert 200 == page.status_code
    assert "1 contact by the team, last on" in page.get_data(as_text=True)
    assert demo.OFFICER_SHARED_CONTACT not in page.get_data(as_text=True)


def test_coordinator_sees_every_contact_of_the_police_service(login_as):
    coordinator = login_as("coordinator")
    page = coordinator.get("/contacts/").get_data(as_text=True)
    assert "Const. Omar Demo" in page and "Const. Olivia Demo" in page
    assert 200 == coordinator.get(f"/contacts/{demo.OFFICER_PRIVATE_CONTACT}").status_code


def every_contacts_url():
    return [
        ("GET", "/contacts/new"), ("POST", "/contacts/new"), ("GET", "/contacts/"),
        ("GET", f"/contacts/{demo.OFFICER_SHARED_CONTACT}"),
        ("GET", f"/contacts/{demo.OFFICER_SHARED_CONTACT}/edit"),
        ("POST", f"/contacts/{demo.OFFICER_SHARED_CONTACT}/undo"),
        ("POST", "/contacts/note-check"), ("POST", "/contacts/people/search"),
        ("GET", f"/contacts/people/{demo.PERSON_MK}"),
        ("POST", f"/contacts/people/{demo.PERSON_MK}/merge"),
        ("POST", f"/contacts/places/{demo.PLACE_LIBRARY}/favourite"),
        ("GET", "/contacts/manage"), ("POST", "/contacts/manage/places"),
        ("POST", f"/contacts/manage/places/{demo.PLACE_LIBRARY}/active"),
        ("POST", "/contacts/manage/vocabulary"),
        ("POST", "/contacts/manage/vocabulary/kind/other"),
    ]


@pytest.mark.parametrize("who", ["partner", "partner2"])
def test_partners_get_404_everywhere_in_contacts(app, login_as, who):
    client = login_as(who)
    statuses = {f"{method} {url}": client.open(url, method=method,
                                                data={"q": "J.D", "note": "x"}).status_code
                for method, url in every_contacts_url()}
    assert {key: 404 for key in statuses} == statuses
    contact_rules = {r.rule for r in app.url_map.iter_rules() if r.endpoint.startswith("contacts.")}
    assert len(contact_rules) <= len(every_contacts_url())


# --- people ---------------------------------------------------------------------------------


def test_person_search_is_a_post_and_names_never_go_in_urls(login_as):
    client = login_as("officer")
    by_get = client.get("/contacts/people/search?q=J.D")
    assert (404, False) == (by_get.status_code, "J.D. (demo)" in by_get.get_data(as_text=True))
    rule = next(r for r in client.application.url_map.iter_rules()
                if r.endpoint == "contacts.search_people")
    assert {"POST"} == rule.methods - {"OPTIONS"}
    response = client.post("/contacts/people/search", data={"q": "J.D"},
                           headers={"HX-Request": "true"})
    assert 200 == response.status_code
    assert "J.D. (demo)" in response.get_data(as_text=True)
    form = client.get("/contacts/new").get_data(as_text=True)
    assert 'hx-post="/contacts/people/search"' in form


def test_every_view_of_a_person_page_is_audited(login_as, db):
    client = login_as("officer")
    client.get(f"/contacts/people/{demo.PERSON_JD}")
    client.get(f"/contacts/people/{demo.PERSON_JD}")
    views = [e for e in audit.events(db, "person_viewed") if e["object_id"] == demo.PERSON_JD]
    assert [demo.OFFICER_ID, demo.OFFICER_ID] == [e["user_id"] for e in views]


@pytest.mark.parametrize("second_contact_days_ago, repeat", [(60, True), (61, False)])
def test_repeat_indicator_at_the_60_day_boundary(frozen, second_contact_days_ago, repeat):
    person = {"id": str(uuid.uuid4()), "alias": "B.B. (demo)"}
    with frozen.app_context():
        from fieldapp.db import get_db

        assert "created" == people.apply_person(get_db(), person, OFFICER, at(days_before=70))[
            "status"]
    stored_by(frozen, OFFICER, at(days_before=3), person_id=person["id"])
    client = login_client(frozen)
    page = client.get(f"/contacts/people/{person['id']}").get_data(as_text=True)
    assert "No repeat involvement" in page  # one contact in 60 days
    stored_by(frozen, OFFICER, at(days_before=second_contact_days_ago), person_id=person["id"])
    page = client.get(f"/contacts/people/{person['id']}").get_data(as_text=True)
    assert repeat == ("Repeat involvement: 2 contacts in 60 days" in page)


def test_repeat_rule_is_configurable(tmp_path):
    app = make_app(tmp_path, NOW=NOW, REPEAT_CONTACTS=3, REPEAT_DAYS=30)
    client = login_client(app)
    page = client.get(f"/contacts/people/{demo.PERSON_JD}").get_data(as_text=True)
    # J.D. has demo contacts 1, 9 and 23 days ago
    assert "Repeat involvement: 3 contacts in 30 days" in page


def test_person_page_shows_referrals_and_consent(frozen):
    db = db_of(frozen)
    db["referral"].insert({
        "id": str(uuid.uuid4()), "person_id": demo.PERSON_JD, "service_id": "svc-demo",
        "organization_id": "6f1c2d3e-5a4b-4c8d-9e0f-000000000001", "officer_id": demo.OFFICER_ID,
        "status": "accepted", "consent": "verbal", "urgency": "today",
        "shared": json.dumps(["name"]), "created_at": at(days_before=1)})
    page = login_client(frozen).get(f"/contacts/people/{demo.PERSON_JD}").get_data(
        as_text=True)
    assert "Referral" in page and "Verbal yes" in page and "accepted" in page


def test_coordinator_merges_duplicates_keeping_all_history(frozen):
    db = db_of(frozen)
    before = {p: db.execute("select count(*) from contact where person_id = ?",
                            [p]).fetchone()[0] for p in (demo.PERSON_JD, demo.PERSON_RT)}
    client = login_client(frozen, "coordinator")
    response = client.post(f"/contacts/people/{demo.PERSON_RT}/merge",
                           data={"into_id": demo.PERSON_JD})
    assert 303 == response.status_code
    db = db_of(frozen)
    assert sum(before.values()) == db.execute(
        "select count(*) from contact where person_id = ?", [demo.PERSON_JD]).fetchone()[0]
    assert demo.PERSON_JD == db["person"].get(demo.PERSON_RT)["merged_into_id"]
    assert "person_merged" == audit.events(db, "person_merged")[-1]["action"]
    # a phone still holding the old id files its contact under the kept person
    contact_id = stored_by(frozen, OFFICER, at(hours_before=1), person_id=demo.PERSON_RT)
    assert demo.PERSON_JD == db_of(frozen)["contact"].get(contact_id)["person_id"]


# --- lists ----------------------------------------------------------------------------------


def test_my_contacts_newest_first_with_filters(login_as):
    client = login_as("officer")
    page = client.get("/contacts/").get_data(as_text=True)
    assert "Const. Omar Demo" not in page
    filtered = client.get(f"/contacts/?kind=school_visit&place_id={demo.PLACE_HARBOUR_HIGH}")
    text = filtered.get_data(as_text=True)
    assert 3 == text.count('class="contacts-row"')  # c04, c05 and c29


def test_infinite_scroll_fetches_the_next_page_as_a_fragment(frozen):
    for hour in range(30):
        stored_by(frozen, OFFICER, at(hours_before=hour + 0.5))
    client = login_client(frozen)
    page = client.get("/contacts/").get_data(as_text=True)
    assert 25 == page.count('class="contacts-row"')
    assert 'hx-trigger="revealed"' in page
    next_url = page.split('class="contacts-more-link" hx-get="')[1].split('"')[0].replace(
        "&amp;", "&")
    fragment = client.get(next_url, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in fragment
    assert 22 == fragment.count('class="contacts-row"')  # 30 new + 17 demo = 47 in all


def test_contacts_list_runs_a_bounded_number_of_queries(frozen, query_log):
    client = login_client(frozen)
    query_log.clear()
    client.get("/contacts/")
    few = len(selects(query_log))
    for hour in range(40):
        stored_by(frozen, OFFICER, at(hours_before=hour + 0.5), person_id=demo.PERSON_JD,
                  populations=["mental_health"])
    query_log.clear()
    assert 200 == client.get("/contacts/").status_code
    many = len(selects(query_log))
    assert few == many
    assert many <= 12


def test_filters_answer_htmx_with_the_list_fragment_only(login_as):
    response = login_as("officer").get("/contacts/?kind=mental_health",
                                       headers={"HX-Request": "true"})
    text = response.get_data(as_text=True)
    assert ("<html" in text, "HX-Request" in response.headers["Vary"]) == (False, True)
    assert 2 == text.count('class="contacts-row"')  # c01 and c23


def test_contacts_templates_have_no_inline_script_style_or_handlers():
    from pathlib import Path

    offenders = []
    for path in (Path(__file__).parent.parent / "templates/contacts").glob("*.html"):
        text = path.read_text()
        for pattern in ("style=", "<script>", " onclick=", " onchange=", " onsubmit="):
            if pattern in text:
                offenders.append(f"{path.name}: {pattern}")
    assert [] == offenders
