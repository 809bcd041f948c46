"""Directory upkeep: coordinator-only pages, validation (400, nothing written), hours and
phones, the verification queue, duplicates and merges, the partnership register, and
partners' proposals that change nothing before a coordinator approves them."""

import json

import pytest
from werkzeug.datastructures import MultiDict

import fieldapp.accounts  # noqa: F401  (the foundation's import order: accounts first)
from fieldapp import audit
from fieldapp.directory import duplicates, partnerships, proposals, store, upkeep
from fieldapp.directory.demo import CRISIS_TEAM_ID, SENIORS_SERVICE_ID, YOUTH_SHELTER_ID
from tests.support import login, make_app
from tests.support.directory import FormValues, add_service, service_form, snapshot

MANAGE_PAGES = ["/directory/manage", "/directory/manage/verify", "/directory/manage/duplicates",
                "/directory/manage/partnerships", "/directory/manage/proposals",
                "/directory/manage/services/new", "/directory/manage/organizations/new"]


def count(db, table):
    return db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


@pytest.mark.parametrize("who", ["officer", "partner"])
def test_manage_pages_are_404_for_officers_and_partners(login_as, who):
    client = login_as(who)
    for url in MANAGE_PAGES:
        assert 404 == client.get(url).status_code, url
    assert 404 == client.post("/directory/manage/services/new", data=service_form()).status_code


def test_coordinator_sees_every_manage_page(login_as):
    coordinator = login_as("coordinator")
    for url in MANAGE_PAGES:
        assert 200 == coordinator.get(url).status_code, url


def test_coordinator_creates_a_service_with_hours_phones_address_languages(login_as, db):
    response = login_as("coordinator").post("/directory/manage/services/new",
                                            data=service_form())
    assert 303 == response.status_code
    service_id = response.headers["Location"].rsplit("/", 1)[1]
    service = store.get_service(db, service_id)
    assert "Quillfeather Counselling" == service["name"]
    assert ["mental_health_crisis", "health"] == service["categories"]
    assert ["HRP"] == service["partnered_with"]
    assert [("902-555-0170", "12")] == [(p["number"], p["extension"]) for p in service["phones"]]
    assert ["en", "fr"] == sorted(lang["code"] for lang in service["languages"])
    assert "1 Demo Lane, Dartmouth, NS" == service["address"]["text"]
    assert {("MO", "09:00", "12:00"), ("MO", "13:00", "17:00"), ("FR", "20:00", "02:00")} == {
        (s["byday"], s["opens_at"], s["closes_at"]) for s in service["schedules"]}
    assert 1 == len(audit.events(db, "directory_service_saved"))


def test_validation_errors_are_400_with_messages_and_nothing_written(login_as, db):
    before = {t: count(db, t) for t in ("service", "phone", "schedule", "language", "location")}
    response = login_as("coordinator").post("/directory/manage/services/new", data=service_form(
        name="", intake_email="not-an-email", phone_number=["12"], MO_close1="",
        latitude="95", minimum_age="30", maximum_age="20", organization_id="nope"))
    html = response.get_data(as_text=True)
    assert 400 == response.status_code
    for message in ("Enter the service&#39;s name.", "Enter an e-mail address",
                    "Enter a phone number like 902-555-0100.",
                    "Give an opening and a closing time", "Latitude is -90 to 90",
                    "The maximum age is below the minimum age.",
                    "Choose the organization that runs this service.", "Nothing was saved."):
        assert message in html, message
    assert 'value="not-an-email"' in html  # what was typed comes back
    assert before == {t: count(db, t) for t in before}


def test_organization_validation_is_400_and_nothing_written(login_as, db):
    before = count(db, "organization")
    response = login_as("coordinator").post("/directory/manage/organizations/new",
                                            data={"name": " ", "website": "javascript:alert(1)"})
    assert 400 == response.status_code
    assert "Enter the organization" in response.get_data(as_text=True)
    assert before == count(db, "organization")


def test_inline_validation_answers_one_field(login_as):
    response = login_as("coordinator").post(
        "/directory/manage/services/validate", data=service_form(intake_email="bad"),
        headers={"HX-Request": "true", "HX-Trigger-Name": "intake_email"})
    html = response.get_data(as_text=True)
    assert 200 == response.status_code
    assert 'id="intake_email-error"' in html and "Enter an e-mail address" in html
    fine = login_as("coordinator").post(
        "/directory/manage/services/validate", data=service_form(),
        headers={"HX-Request": "true", "HX-Trigger-Name": "name"})
    assert "field-error" in fine.get_data(as_text=True)
    assert "Enter" not in fine.get_data(as_text=True)


def test_inline_validation_of_an_organization_field(login_as):
    response = login_as("coordinator").post(
        "/directory/manage/organizations/validate", data={"name": "X", "website": "ftp://x"},
        headers={"HX-Request": "true", "HX-Trigger-Name": "website"})
    assert "Enter a web address starting with https://." in response.get_data(as_text=True)


def test_editing_keeps_unchanged_hours_rows_and_replaces_changed_ones(login_as, db):
    coordinator = login_as("coordinator")
    service_id = coordinator.post("/directory/manage/services/new", data=service_form()
                                  ).headers["Location"].rsplit("/", 1)[1]
    rows_before = {r["id"] for r in store.get_service(db, service_id)["schedules"]}
    phone_id = store.get_service(db, service_id)["phones"][0]["id"]
    edit = f"/directory/manage/services/{service_id}"
    form = service_form(name="Quillfeather Counselling Centre", phone_id=[phone_id, ""],
                        phone_number=["902-555-0170", "902-555-0171"],
                        phone_extension=["12", ""], phone_type=["voice", "text"])
    assert 303 == coordinator.post(edit, data=form).status_code
    service = store.get_service(db, service_id)
    assert rows_before == {r["id"] for r in service["schedules"]}
    assert phone_id in [p["id"] for p in service["phones"]]
    assert 2 == len(service["phones"])
    assert 303 == coordinator.post(edit, data=service_form(always_open="1")).status_code
    service = store.get_service(db, service_id)
    assert [("MO,TU,WE,TH,FR,SA,SU", "00:00", "24:00")] == [
        (s["byday"], s["opens_at"], s["closes_at"]) for s in service["schedules"]]


def test_archive_hides_a_service_from_search_and_keeps_it(login_as, db):
    service_id = add_service(db, "Quillfeather Archive Test")
    coordinator = login_as("coordinator")
    assert 303 == coordinator.post(f"/directory/manage/services/{service_id}/archive").status_code
    assert store.get_service(db, service_id)["archived_at"]
    assert "Quillfeather Archive Test" not in coordinator.get(
        "/directory/?q=quillfeather").get_data(as_text=True)
    assert 200 == coordinator.get(f"/directory/services/{service_id}").status_code


def test_verification_queue_and_one_tap_verified_today(login_as, db):
    stale = add_service(db, "Quillfeather Stale", verified="2020-01-01")
    fresh = add_service(db, "Quillfeather Fresh", verified="2099-01-01")
    coordinator = login_as("coordinator")
    html = coordinator.get("/directory/manage/verify").get_data(as_text=True)
    assert "Quillfeather Stale" in html and "Quillfeather Fresh" not in html
    response = coordinator.post(f"/directory/manage/services/{stale}/verify",
                                headers={"HX-Request": "true"})
    row = response.get_data(as_text=True)
    assert row.startswith(f'<tr id="verify-{stale}"') and "Verified today" in row
    service = store.get_service(db, stale)
    assert "coordinator@demo.test" == service["assurer_email"]
    assert service["assured_date"] > "2020-01-01"
    assert [stale] == [e["object_id"] for e in audit.events(db, "directory_service_verified")]
    # The listing verified recently was neither queued nor touched.
    untouched = store.get_service(db, fresh)
    assert "2099-01-01" == untouched["assured_date"] and not untouched["assurer_email"]


def test_verified_today_from_the_edit_page_returns_to_it(login_as, db):
    stale = add_service(db, "Quillfeather Edit Verify", verified="2020-01-01")
    coordinator = login_as("coordinator")
    assert "Last verified" in coordinator.get(f"/directory/manage/services/{stale}").get_data(
        as_text=True)
    response = coordinator.post(f"/directory/manage/services/{stale}/verify",
                                data={"back": "edit"})
    assert 303 == response.status_code
    assert f"/directory/manage/services/{stale}" == response.headers["Location"]
    assert store.get_service(db, stale)["assured_date"] > "2020-01-01"


def test_verify_days_is_configurable(tmp_path):
    from fieldapp.db import connect
    app = make_app(tmp_path, DIRECTORY_VERIFY_DAYS=7, NOW="2026-03-02T14:00:00+00:00")
    db = connect(app.config["DATABASE"])
    add_service(db, "Quillfeather Ten Days", verified="2026-02-20")
    client = app.test_client()
    login(client, "coordinator")
    assert "Quillfeather Ten Days" in client.get("/directory/manage/verify").get_data(
        as_text=True)


def insert_referral(db, service_id, organization_id):
    officer_id = db.execute("SELECT id FROM user WHERE email = 'officer@demo.test'").fetchone()[0]
    referral_id = store.new_id()
    db["referral"].insert({"id": referral_id, "service_id": service_id,
                           "organization_id": organization_id, "officer_id": officer_id,
                           "status": "sent", "consent": "verbal", "urgency": "today",
                           "created_at": "2026-03-01T12:00:00+00:00"})
    return referral_id


def test_duplicates_found_by_name_and_phone_and_merge_repoints_referrals(login_as, db):
    keep = add_service(db, "Quillfeather Food Bank", phones=["902-555-0111"], languages=["en"],
                       organization_id=SENIORS_SERVICE_ID)
    dup = add_service(db, "Quillfeather Foodbank", phones=["(902) 555-0111"],
                      languages=["fr"], organization_id=YOUTH_SHELTER_ID)
    other = add_service(db, "Quillfeather Legal Clinic", phones=["902-555-0112"])
    referral_id = insert_referral(db, dup, YOUTH_SHELTER_ID)
    found = duplicates.possible_duplicates(db)["services"]
    pair = next(p for p in found if {p["a"]["id"], p["b"]["id"]} == {keep, dup})
    assert {"name", "phone"} <= set(pair["reasons"])
    assert not any(other in (p["a"]["id"], p["b"]["id"]) for p in found)

    coordinator = login_as("coordinator")
    assert "Quillfeather Foodbank" in coordinator.get("/directory/manage/duplicates").get_data(
        as_text=True)
    response = coordinator.post("/directory/manage/merge", data={
        "kind": "service", "a_id": dup, "b_id": keep, "survivor_id": keep})
    assert 303 == response.status_code
    referral = db["referral"].get(referral_id)
    assert (keep, SENIORS_SERVICE_ID) == (referral["service_id"], referral["organization_id"])
    survivor = store.get_service(db, keep)
    assert ["en", "fr"] == sorted(lang["code"] for lang in survivor["languages"])
    assert 1 == len(survivor["phones"])  # the same number is not doubled
    assert store.get_service(db, dup)["archived_at"]
    merge = db["directory_merge"].get(1)
    assert (keep, dup) == (merge["survivor_id"], merge["duplicate_id"])
    assert 1 == json.loads(merge["moved_json"])["referral"]
    assert 1 == len(audit.events(db, "directory_merged"))


def test_a_pair_kept_apart_leaves_the_duplicates_page(login_as, db):
    a = add_service(db, "Quillfeather Twin Pantry")
    b = add_service(db, "Quillfeather Twin Pantries")
    pairs = duplicates.possible_duplicates(db)["services"]
    assert any({p["a"]["id"], p["b"]["id"]} == {a, b} for p in pairs)
    response = login_as("coordinator").post("/directory/manage/duplicates/keep-apart", data={
        "kind": "service", "a_id": a, "b_id": b})
    assert 303 == response.status_code
    pairs = duplicates.possible_duplicates(db)["services"]
    assert not any({p["a"]["id"], p["b"]["id"]} == {a, b} for p in pairs)
    assert None is store.get_service(db, a)["archived_at"] is store.get_service(db, b)[
        "archived_at"]
    assert 1 == len(audit.events(db, "directory_kept_apart"))


def test_merge_refuses_a_pair_without_the_survivor(login_as, db):
    a, b = add_service(db, "Quillfeather A"), add_service(db, "Quillfeather B")
    response = login_as("coordinator").post("/directory/manage/merge", data={
        "kind": "service", "a_id": a, "b_id": b, "survivor_id": "someone-else"})
    assert 400 == response.status_code
    assert None is store.get_service(db, a)["archived_at"]


def test_organization_merge_moves_services_users_and_referrals(login_as, db):
    twin = upkeep.save_organization(db, {"name": "Bayview Seniors Outreach (demo)"},
                                   organization_id=None, now="2026-03-01T00:00:00+00:00")
    service_id = add_service(db, "Quillfeather Visits", organization_id=twin)
    referral_id = insert_referral(db, service_id, twin)
    pairs = duplicates.possible_duplicates(db)["organizations"]
    assert any({p["a"]["id"], p["b"]["id"]} == {twin, SENIORS_SERVICE_ID} for p in pairs)
    response = login_as("coordinator").post("/directory/manage/merge", data={
        "kind": "organization", "a_id": twin, "b_id": SENIORS_SERVICE_ID,
        "survivor_id": SENIORS_SERVICE_ID})
    assert 303 == response.status_code
    assert SENIORS_SERVICE_ID == store.get_service(db, service_id)["organization_id"]
    assert SENIORS_SERVICE_ID == db["referral"].get(referral_id)["organization_id"]
    assert store.get_organization(db, twin)["archived_at"]


def test_partnership_register_overlaps_single_force_and_gaps(login_as, db):
    both = add_service(db, "Quillfeather Both", categories=["veterans"])
    hrp = add_service(db, "Quillfeather HRP Only", categories=["veterans", "income"])
    db.execute("DELETE FROM service_partnership")
    for service_id, force in ((both, "HRP"), (both, "RCMP"), (hrp, "HRP")):
        db.execute("INSERT INTO service_partnership VALUES (?, ?)", [service_id, force])
    register = partnerships.partnership_register(db, ["HRP", "RCMP"])
    assert [both] == [s["id"] for s in register["overlaps"]]
    assert [hrp] == [s["id"] for s in register["single"]["HRP"]]
    assert [] == register["single"]["RCMP"]
    assert "veterans" not in register["gaps"] and "legal" in register["gaps"]
    assert "veterans" not in register["gaps_by_force"]["RCMP"]  # via the shared service
    assert [] == register["gaps_by_force"]["HRP"]
    assert ["income"] == register["gaps_by_force"]["RCMP"]
    html = login_as("coordinator").get("/directory/manage/partnerships").get_data(as_text=True)
    assert "Quillfeather Both" in html and "Only Halifax Regional Police" in html


def test_partner_proposal_changes_nothing_until_approved(login_as, db):
    service_id = add_service(db, "Quillfeather Crisis Visits", description="Old text.")
    partner = login_as("partner")  # the crisis team: their own listing
    form = {f: "" for f in proposals.PROPOSABLE_FIELDS}
    form.update(name="Quillfeather Crisis Visits", description="New text.",
                intake_phone="902-555-0188")
    response = partner.post(f"/directory/services/{service_id}/propose", data=form)
    assert 201 == response.status_code
    service = store.get_service(db, service_id)
    assert ("Old text.", None) == (service["description"], service["intake_phone"])
    assert "Old text." in partner.get(f"/directory/services/{service_id}").get_data(as_text=True)

    proposal = db.execute("SELECT id FROM service_edit_proposal").fetchone()[0]
    coordinator = login_as("coordinator")
    diff = coordinator.get(f"/directory/manage/proposals/{proposal}").get_data(as_text=True)
    assert "<del>Old text.</del>" in diff and "<ins>New text.</ins>" in diff
    # Viewing is not approving.
    assert "Old text." == store.get_service(db, service_id)["description"]
    response = coordinator.post(f"/directory/manage/proposals/{proposal}/decide",
                                data={"decision": "approve"})
    assert 303 == response.status_code
    service = store.get_service(db, service_id)
    assert ("New text.", "902-555-0188") == (service["description"], service["intake_phone"])
    assert 409 == coordinator.post(f"/directory/manage/proposals/{proposal}/decide",
                                   data={"decision": "reject"}).status_code


def test_rejected_proposal_leaves_the_listing_alone(login_as, db):
    service_id = add_service(db, "Quillfeather Reject Me", description="Keep me.")
    form = {f: "" for f in proposals.PROPOSABLE_FIELDS}
    form.update(name="Quillfeather Reject Me", description="Vandalised.")
    login_as("partner").post(f"/directory/services/{service_id}/propose", data=form)
    proposal = db.execute("SELECT id FROM service_edit_proposal").fetchone()[0]
    login_as("coordinator").post(f"/directory/manage/proposals/{proposal}/decide",
                                 data={"decision": "reject"})
    assert "Keep me." == store.get_service(db, service_id)["description"]
    assert "rejected" == db["service_edit_proposal"].get(proposal)["status"]


def test_partner_cannot_propose_for_another_organization(login_as, db):
    service_id = add_service(db, "Quillfeather Not Yours", organization_id=CRISIS_TEAM_ID)
    partner2 = login_as("partner2")  # the youth shelter
    assert 404 == partner2.get(f"/directory/services/{service_id}/propose").status_code
    assert 404 == partner2.post(f"/directory/services/{service_id}/propose",
                                data={"name": "Hijacked"}).status_code
    assert 404 == login_as("officer").get(f"/directory/services/{service_id}/propose").status_code
    assert 0 == count(db, "service_edit_proposal")


def test_proposal_validation_is_400_and_nothing_recorded(login_as, db):
    service_id = add_service(db, "Quillfeather Valid")
    response = login_as("partner").post(f"/directory/services/{service_id}/propose",
                                        data={"name": "", "intake_email": "x"})
    assert 400 == response.status_code
    assert 0 == count(db, "service_edit_proposal")


def test_partner_sees_their_own_listings_on_the_search_page(login_as, db):
    add_service(db, "Quillfeather Own Listing", organization_id=CRISIS_TEAM_ID)
    add_service(db, "Quillfeather Other Listing", organization_id=YOUTH_SHELTER_ID)
    html = login_as("partner").get("/directory/").get_data(as_text=True)
    own = html.split("dir-own", 1)[1].split("</details>", 1)[0]
    assert "Quillfeather Own Listing" in own and "Quillfeather Other Listing" not in own


def test_saving_an_unchanged_edit_form_changes_nothing(login_as, db):
    coordinator = login_as("coordinator")
    service_ids = [r[0] for r in db.execute(
        "SELECT id FROM service WHERE archived_at IS NULL ORDER BY name LIMIT 12")]
    assert 12 == len(service_ids)
    for service_id in service_ids:
        before = snapshot(store.get_service(db, service_id))
        page = coordinator.get(f"/directory/manage/services/{service_id}")
        form = FormValues()
        form.feed(page.get_data(as_text=True))
        data = MultiDict(form.pairs)
        response = coordinator.post(f"/directory/manage/services/{service_id}", data=data)
        assert 303 == response.status_code, (service_id, response.get_data(as_text=True)[:2000])
        assert before == snapshot(store.get_service(db, service_id)), service_id


def test_the_verification_queue_calls_and_answers_changed_in_one_tap(login_as, db):
    """Issue 19: each row has the number to call; "Changed" is logged and leads to the edit
    form (the row with htmx, the page without), the listing staying in the queue."""
    stale = add_service(db, "Quillfeather Changed", verified="2020-01-01")
    db.execute("UPDATE service SET intake_phone = '902-555-0199' WHERE id = ?", [stale])
    db.conn.commit()
    coordinator = login_as("coordinator")
    html = coordinator.get("/directory/manage/verify").get_data(as_text=True)
    assert 'href="tel:902-555-0199"' in html
    response = coordinator.post(f"/directory/manage/services/{stale}/changed",
                                headers={"HX-Request": "true"})
    row = response.get_data(as_text=True)
    assert 200 == response.status_code and row.startswith(f'<tr id="verify-{stale}"')
    assert f'id="verify-changed-{stale}" href="/directory/manage/services/{stale}"' in row
    assert [stale] == [e["object_id"] for e in audit.events(db, "directory_service_changed")]
    assert "2020-01-01" == store.get_service(db, stale)["assured_date"]
    response = coordinator.post(f"/directory/manage/services/{stale}/changed")
    assert 303 == response.status_code
    assert f"/directory/manage/services/{stale}" == response.headers["Location"]
    assert "Quillfeather Changed" in coordinator.get("/directory/manage/verify").get_data(
        as_text=True)


def test_a_section_of_the_service_form_saves_on_its_own(login_as, db):
    """Issue 19: a section's Save stores that section only (the others' unsaved edits are
    neither saved nor checked), refuses with that section's errors (422), and says Saved."""
    service_id = add_service(db, "Quillfeather Sections", phones=["902-555-0101"])
    coordinator = login_as("coordinator")
    page = coordinator.get(f"/directory/manage/services/{service_id}").get_data(as_text=True)
    assert 'id="save-phones"' in page and 'class="dir-section-save"' in page
    values = FormValues()
    values.feed(page)
    form = MultiDict(values.pairs)
    form.setlist("phone_number", ["902-555-0202", ""])
    form["name"] = "Quillfeather Renamed But Not Saved"
    form["email"] = "not an e-mail"  # the listing section's error: not this section's
    url = f"/directory/manage/services/{service_id}/sections/phones"
    response = coordinator.post(url, data=form, headers={"HX-Request": "true"})
    assert 200 == response.status_code
    html = response.get_data(as_text=True)
    assert 'id="svc-phones"' in html and "Saved." in html
    service = store.get_service(db, service_id)
    assert ["902-555-0202"] == [p["number"] for p in service["phones"]]
    assert "Quillfeather Sections" == service["name"]  # the listing section was not saved
    assert '{"created": false, "section": "phones"}' == audit.events(
        db, "directory_service_saved")[-1]["detail"]
    form.setlist("phone_number", ["call me", ""])
    response = coordinator.post(url, data=form, headers={"HX-Request": "true"})
    assert 422 == response.status_code
    assert "Enter a phone number like 902-555-0100." in response.get_data(as_text=True)
    assert ["902-555-0202"] == [p["number"] for p in store.get_service(db, service_id)["phones"]]
    assert 404 == coordinator.post(f"/directory/manage/services/{service_id}/sections/nope",
                                   data=form).status_code


def test_a_refused_service_form_links_each_error_to_its_field(login_as, db):
    """One error pattern (issue 19): the refused whole form has the focusable summary whose
    links lead to the fields (phones too)."""
    service_id = add_service(db, "Quillfeather Summary", phones=["902-555-0101"])
    coordinator = login_as("coordinator")
    values = FormValues()
    values.feed(coordinator.get(f"/directory/manage/services/{service_id}").get_data(
        as_text=True))
    form = MultiDict(values.pairs)
    form["email"] = "not an e-mail"
    form.setlist("phone_number", ["call me", ""])
    html = coordinator.post(f"/directory/manage/services/{service_id}",
                            data=form).get_data(as_text=True)
    assert 'id="form-errors" tabindex="-1"' in html
    assert '<a href="#email">' in html and '<a href="#phone_number_0">' in html
