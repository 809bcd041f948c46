"""Issue 23: every flow end to end in real Chromium at 390 x 844, with JavaScript off and then
the same flows with it on (one server and one logged-in context per role and mode), each
checking the database or the page it ends on."""

import re

import pytest

from fieldapp.contacts import demo
from tests.support import PHONE, LiveServer, browser_login, make_app
from tests.support.referrals import SVC_CRISIS, add_services

pytestmark = pytest.mark.browser
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
CONTACT_URL = re.compile(rf"/contacts/{UUID}$")


class Mode:
    """One server and one logged-in page per role, with JavaScript off or on."""

    def __init__(self, browser, server: LiveServer, js: bool):
        self.browser, self.server, self.js, self.url = browser, server, js, server.url
        self.pages = {}

    def page(self, role: str):
        if role not in self.pages:
            context = self.browser.new_context(**PHONE, java_script_enabled=self.js)
            page = context.new_page()
            browser_login(page, self.url, role)
            # The login page is already loaded: wait for the landing page, or the next goto
            # races the login's redirect.
            page.wait_for_url(lambda url: "/login" not in url)
            self.pages[role] = page
        return self.pages[role]

    def one(self, sql: str, params=()):
        db = self.server.db()
        try:
            return db.execute(sql, params).fetchone()
        finally:
            db.conn.close()

    def close(self):
        for page in self.pages.values():
            page.context.close()


@pytest.fixture(scope="module", params=[False, True], ids=["no-js", "js"])
def mode(request, browser, tmp_path_factory):
    server = LiveServer(make_app(tmp_path_factory.mktemp("flows")))
    db = server.db()
    add_services(db)
    db.conn.close()
    server.thread.start()
    flows = Mode(browser, server, request.param)
    yield flows
    flows.close()
    server.server.shutdown()


def chip(name: str, value: str) -> str:
    return f"label.chip:has(input[name={name}][value='{value}'])"


def pick(page, name: str, value: str) -> None:
    """Tap a chip, first opening the "More…" that holds it when it is not among the usual
    options shown (issue 15)."""
    target = page.locator(chip(name, value))
    if not target.is_visible():
        page.locator(f"details:has({chip(name, value)}) > summary").first.tap()
    target.tap()


def save_contact(page):
    page.tap(".contacts-save button")
    page.wait_for_url(CONTACT_URL)
    return page.url.rsplit("/", 1)[1]


# --- contacts ---------------------------------------------------------------------------------


def test_contact_with_a_new_person_then_undo(mode):
    page = mode.page("officer")
    page.goto(f"{mode.url}/contacts/new")
    pick(page, "place_id", demo.PLACE_DROPIN)
    pick(page, "kind", "wellness_check")
    pick(page, "outcome", "information_given")
    page.tap("summary:has-text('Person (optional)')")
    page.fill("#new_alias", f"Flow {mode.js} (test)")
    contact_id = save_contact(page)
    person = mode.one("select p.alias from contact c join person p on p.id = c.person_id "
                      "where c.id = ?", [contact_id])
    assert (f"Flow {mode.js} (test)",) == tuple(person)

    page.get_by_role("button", name="Undo (10 minutes)").tap()
    page.wait_for_url(f"{mode.url}/contacts/new")
    assert page.get_by_text("The contact was removed.").is_visible()
    assert mode.one("select deleted_at from contact where id = ?", [contact_id])[0]


def test_contact_with_an_existing_person_then_edit(mode):
    page = mode.page("officer")
    page.goto(f"{mode.url}/contacts/new")
    pick(page, "place_id", demo.PLACE_LIBRARY)
    pick(page, "kind", "wellness_check")
    pick(page, "outcome", "information_given")
    page.tap("summary:has-text('Person (optional)')")
    page.fill("#person-q", "M.K")
    page.tap("button[name=search_people]")
    page.locator(chip("person_id", demo.PERSON_MK)).wait_for()
    pick(page, "person_id", demo.PERSON_MK)
    contact_id = save_contact(page)
    assert (demo.PERSON_MK,) == tuple(
        mode.one("select person_id from contact where id = ?", [contact_id]))

    page.get_by_role("link", name="Edit (24 hours)").tap()
    page.wait_for_url(f"**/contacts/{contact_id}/edit")
    pick(page, "outcome", "deescalated")
    page.tap(".contacts-save button")
    page.wait_for_url(f"**/contacts/{contact_id}")
    assert page.get_by_text("Changes saved.").is_visible()
    assert ("deescalated", demo.PERSON_MK) == tuple(
        mode.one("select outcome, person_id from contact where id = ?", [contact_id]))


def test_contact_by_template_and_repeat_last(mode):
    page = mode.page("officer")
    page.goto(f"{mode.url}/contacts/new")
    page.get_by_text("School visit — presentation").tap()
    page.wait_for_url("**/contacts/new?template=school_presentation")
    pick(page, "place_id", demo.PLACE_HARBOUR_HIGH)
    pick(page, "headcount_choice", "30")
    contact_id = save_contact(page)
    assert (1, 30, "school_visit") == tuple(mode.one(
        "select is_group, headcount, kind from contact where id = ?", [contact_id]))

    page.goto(f"{mode.url}/contacts/new")
    page.get_by_role("link", name="Repeat last contact").tap()
    page.wait_for_url("**/contacts/new?repeat=last")
    repeated = save_contact(page)
    assert repeated != contact_id
    assert (1, 30, "school_visit", demo.PLACE_HARBOUR_HIGH) == tuple(mode.one(
        "select is_group, headcount, kind, place_id from contact where id = ?", [repeated]))


# --- directory --------------------------------------------------------------------------------


def test_directory_text_filters_and_distance_by_a_typed_place(mode):
    page = mode.page("officer")
    page.goto(f"{mode.url}/directory/")
    page.fill("#dir-q", "crisis")
    page.press("#dir-q", "Enter")
    page.wait_for_url("**/directory/?q=crisis*")
    page.locator(".dir-count").wait_for()
    assert page.locator(".dir-list > li").count() >= 1
    page.get_by_text("Open now").tap()
    if not mode.js:  # without a script a change sends nothing: the Search button does
        page.get_by_role("button", name="Search", exact=True).tap()
    page.wait_for_url(re.compile(r".*open=1.*"))

    page.goto(f"{mode.url}/directory/")
    page.get_by_text("More filters").tap()
    page.fill("#dir-place", "B3K 0A1")
    page.select_option("#dir-km", "2")
    page.get_by_role("button", name="Search", exact=True).tap()
    page.wait_for_url(re.compile(r".*place=B3K.*km=2.*"))
    page.get_by_text("Within 2 km of B3K 0A1.").wait_for()
    distances = [float(t.split()[0]) for t in page.locator(".dir-distance").all_inner_texts()]
    assert distances and distances == sorted(distances) and max(distances) <= 2


# --- referrals --------------------------------------------------------------------------------

CONSENT_LABELS = {"verbal": "Verbal yes", "written": "Written yes", "guardian": "Guardian yes",
                  "not_obtainable": "Not obtainable (imminent risk)",
                  "none": "None: information only"}
REFERRAL_URL = re.compile(rf"/referrals/{UUID}$")


def send_referral(mode, consent: str, name: str) -> str:
    page = mode.page("officer")
    page.goto(f"{mode.url}/referrals/new?service_id={SVC_CRISIS}")
    page.get_by_label(CONSENT_LABELS[consent]).check()
    if consent == "not_obtainable":
        page.fill("#consent_reason", "Unconscious, imminent risk")
    if consent != "none":
        for what in ("Name", "Hand-off note"):
            page.locator("#ref-shared").get_by_label(what, exact=True).check()
        page.fill("#person_name", name)
        page.fill("#handoff_note", f"Note for {name}")
    page.get_by_label("Today").check()
    page.get_by_role("button", name="Check and send").first.click()  # the summary (issue 19)
    page.get_by_role("button", name="Send referral").click()
    page.wait_for_url(REFERRAL_URL)
    return page.url.rsplit("/", 1)[1]


def test_a_referral_for_each_consent_basis_then_withdraw(mode):
    for consent in CONSENT_LABELS:
        name = f"Consent {consent} {mode.js}"
        referral_id = send_referral(mode, consent, name)
        row = mode.one("select consent, person_name, consent_reason, status from referral "
                       "where id = ?", [referral_id])
        assert (consent, None if consent == "none" else name, "sent") == (row[0], row[1], row[3])
        assert bool(row[2]) == (consent == "not_obtainable")
    page = mode.page("officer")
    page.get_by_text("Withdraw this referral").tap()
    page.fill("#withdraw-note", "Sent by mistake")
    with page.expect_navigation():
        page.get_by_role("button", name="Withdraw", exact=True).tap()
    assert REFERRAL_URL.search(page.url)
    assert ("closed", "withdrawn") == tuple(
        mode.one("select status, status_reason from referral where id = ?", [referral_id]))


def test_partner_filters_searches_accepts_declines_and_records_the_outcome(mode):
    accept_id = send_referral(mode, "verbal", f"Accept me {mode.js}")
    decline_id = send_referral(mode, "written", f"Decline me {mode.js}")
    page = mode.page("partner")
    page.goto(f"{mode.url}/referrals/")
    page.select_option("#ref-status-filter", "unanswered")
    page.get_by_role("button", name="Show").tap()
    page.wait_for_url("**/referrals/?status=unanswered")
    inbox = page.url

    page.fill("#ref-q", f"Accept me {mode.js}")
    page.locator("form[role=search]").get_by_role("button", name="Search").tap()
    page.locator("tr", has_text=f"Accept me {mode.js}").wait_for()
    page.locator("tr", has_text=f"Decline me {mode.js}").wait_for(state="detached")

    page.goto(inbox)
    accept = page.locator(f"#referral-{accept_id}").get_by_role("button", name="Accept")
    if mode.js:  # the row is answered in place
        accept.tap()
        page.locator(f"#referral-{accept_id} .ref-status-accepted").wait_for()
    else:  # back in the same filtered inbox
        with page.expect_navigation():
            accept.tap()
        assert inbox == page.url
        assert 0 == page.locator(f"#referral-{accept_id}").count()
    assert ("accepted",) == tuple(mode.one("select status from referral where id = ?",
                                           [accept_id]))

    page.goto(inbox)
    row = page.locator(f"#referral-{decline_id}")
    row.locator("select[name=reason]").select_option("no_capacity")
    if not mode.js:
        with page.expect_navigation():
            row.get_by_role("button", name="Decline").tap()
        assert inbox == page.url
        assert 0 == page.locator(f"#referral-{decline_id}").count()
    else:
        row.get_by_role("button", name="Decline").tap()
        page.locator(f"#referral-{decline_id} .ref-status-declined").wait_for()
    assert ("declined",) == tuple(mode.one("select status from referral where id = ?",
                                           [decline_id]))

    page.goto(f"{mode.url}/referrals/{accept_id}")
    page.get_by_role("button", name="Connected").tap()
    page.locator("#close-outcome").wait_for()
    page.select_option("#close-outcome", "completed")
    page.get_by_role("button", name="Close", exact=True).tap()
    page.locator("#close-outcome").wait_for(state="detached")
    assert ("closed", "completed") == tuple(mode.one(
        "select status, status_reason from referral where id = ?", [accept_id]))
    page.get_by_role("link", name="All referrals").tap()
    page.wait_for_url(f"{mode.url}/referrals/")
    assert page.get_by_role("heading", level=1).is_visible()


# --- coordinator ------------------------------------------------------------------------------


def submit(page, button):
    """Tap a button of a plain form and wait for the page it leads to."""
    with page.expect_navigation():
        button.tap()


def test_coordinator_edits_and_verifies_a_listing(mode):
    service_id = mode.one("select id from service where name = 'Peer Support Drop-in (demo)'")[0]
    page = mode.page("coordinator")
    page.goto(f"{mode.url}/directory/manage/services/{service_id}")
    page.fill("#description", f"Edited without a script: {not mode.js}")
    submit(page, page.get_by_role("button", name="Save", exact=True))
    assert (f"Edited without a script: {not mode.js}",) == tuple(
        mode.one("select description from service where id = ?", [service_id]))

    page.goto(f"{mode.url}/directory/manage/verify")
    row = page.locator("tr, li", has=page.get_by_role("button", name="Verified today")).first
    verified_id = row.locator("form").get_attribute("action").split("/")[-2]
    before = mode.one("select count(*) from service_verification where service_id = ?",
                      [verified_id])[0]
    row.get_by_role("button", name="Verified today").tap()
    for _ in range(50):  # without a script the queue reloads, with one the row is swapped
        after = mode.one("select count(*) from service_verification where service_id = ?",
                         [verified_id])[0]
        if after > before:
            break
        page.wait_for_timeout(100)
    assert before + 1 == after


def test_coordinator_merges_two_listings(mode):
    page = mode.page("coordinator")
    page.goto(f"{mode.url}/directory/manage/duplicates")
    form = page.locator("form", has=page.get_by_role("button", name="Merge into the one kept"))
    form = form.filter(has=page.locator("input[name=kind][value=service]")).first
    a_id = form.locator("input[name=a_id]").get_attribute("value")
    b_id = form.locator("input[name=b_id]").get_attribute("value")
    submit(page, form.get_by_role("button", name="Merge into the one kept"))
    assert page.url.endswith("/directory/manage/duplicates")
    archived = mode.one("select count(*) from service where id in (?, ?) and archived_at is not "
                        "null", [a_id, b_id])[0]
    assert 1 == archived


def test_coordinator_merges_people(mode):
    page = mode.page("coordinator")
    alias = f"Merge me {mode.js}"
    db = mode.server.db()
    db["person"].insert({"id": f"merge-{mode.js}", "alias": alias, "police_service": "HRP",
                         "created_at": "2026-01-01T00:00:00+00:00"})
    db.conn.close()
    page.goto(f"{mode.url}/contacts/people/merge-{mode.js}")
    page.fill("#merge-q", "J.D")
    page.tap("button[name=search_people]")
    page.locator(chip("into_id", demo.PERSON_JD)).wait_for()
    pick(page, "into_id", demo.PERSON_JD)
    submit(page, page.get_by_role("button", name="Merge into the chosen person"))
    assert page.url.endswith(f"/contacts/people/{demo.PERSON_JD}")
    assert (demo.PERSON_JD,) == tuple(mode.one(
        "select merged_into_id from person where id = ?", [f"merge-{mode.js}"]))


def test_coordinator_creates_a_user(mode):
    page = mode.page("coordinator")
    page.goto(f"{mode.url}/accounts/users")
    email = f"new-{str(mode.js).lower()}@demo.test"
    page.fill("#email", email)
    page.fill("#name", "New Officer")
    page.select_option("#role", "officer")
    page.select_option("#police_service", "HRP")
    submit(page, page.get_by_role("button", name="Create account"))
    assert ("officer", "HRP") == tuple(mode.one(
        "select role, police_service from user where email = ?", [email]))


def test_coordinator_reads_the_board_report_and_downloads_its_csv(mode):
    page = mode.page("coordinator")
    page.goto(f"{mode.url}/reports/")
    quarter = page.locator("#quarter option").nth(1).get_attribute("value")
    page.select_option("#quarter", quarter)
    page.get_by_role("button", name="Show report").tap()
    page.wait_for_url(re.compile(rf".*quarter={quarter}.*"))
    link = page.get_by_role("link", name="Download every table (CSV)")
    with page.expect_download() as download:
        link.click()
    text = open(download.value.path(), encoding="utf-8-sig").read()
    assert text.count("\n") > 3 and "," in text


def test_coordinator_imports_calls_and_links_a_key(mode, tmp_path):
    page = mode.page("coordinator")
    page.goto(f"{mode.url}/reports/calls")
    calls = tmp_path / "calls.csv"
    key = f"K-FLOW-{mode.js}"
    calls.write_text(f"Date/Time,Call Type,Person Key\n2026-03-02 14:05,disturbance,{key}\n")
    page.set_input_files("#file", str(calls))
    submit(page, page.get_by_role("button", name="Import", exact=True))
    assert page.get_by_text("Imported 1 new call(s)").is_visible()
    assert 1 == mode.one("select count(*) from calls_for_service where person_key = ?",
                         [key])[0]

    page.fill("#person_key", key)
    page.fill("#link-q", "M.K")
    page.tap("button[name=search_people]")
    page.get_by_label("M.K. (demo)").check()
    submit(page, page.get_by_role("button", name="Link", exact=True))
    assert page.get_by_text("Key linked.").is_visible()
    assert (demo.PERSON_MK,) == tuple(mode.one(
        "select person_id from person_key where person_key = ?", [key]))


def test_coordinator_uploads_an_hsds_package(mode, tmp_path):
    from tests.support.directory import EXAMPLES_CSV, zipped

    package = tmp_path / "examples.zip"
    package.write_bytes(zipped(EXAMPLES_CSV))
    page = mode.page("coordinator")
    page.goto(f"{mode.url}/directory/manage/import")
    page.set_input_files("#package", str(package))
    page.get_by_role("button", name="Import", exact=True).tap()
    page.get_by_text("Imported examples.zip").wait_for()
    assert mode.one("select id from service where id = 'ac148810-d857-441c-9679-408f346de14b'")
