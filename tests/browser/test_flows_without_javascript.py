"""Issue 23: every flow end to end in real Chromium at 390 x 844, with JavaScript off and then
the same flows with it on (one server and one logged-in context per role and mode), each
checking the database or the page it ends on."""

import re

import pytest

from fieldapp.contacts import demo
from tests.conftest import PHONE, LiveServer, browser_login, make_app
from tests.test_referrals_support import SVC_CRISIS, add_services

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
            page.wait_for_load_state()
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


def save_contact(page):
    page.tap(".contacts-save button")
    page.wait_for_url(CONTACT_URL)
    return page.url.rsplit("/", 1)[1]


# --- contacts ---------------------------------------------------------------------------------


def test_contact_with_a_new_person_then_undo(mode):
    page = mode.page("officer")
    page.goto(f"{mode.url}/contacts/new")
    page.tap(chip("place_id", demo.PLACE_DROPIN))
    page.tap(chip("kind", "wellness_check"))
    page.tap(chip("outcome", "information_given"))
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
    page.tap(chip("place_id", demo.PLACE_LIBRARY))
    page.tap(chip("kind", "wellness_check"))
    page.tap(chip("outcome", "information_given"))
    page.tap("summary:has-text('Person (optional)')")
    page.fill("#person-q", "M.K")
    page.tap("button[name=search_people]")
    page.locator(chip("person_id", demo.PERSON_MK)).wait_for()
    page.tap(chip("person_id", demo.PERSON_MK))
    contact_id = save_contact(page)
    assert (demo.PERSON_MK,) == tuple(
        mode.one("select person_id from contact where id = ?", [contact_id]))

    page.get_by_role("link", name="Edit (24 hours)").tap()
    page.wait_for_url(f"**/contacts/{contact_id}/edit")
    page.tap(chip("outcome", "deescalated"))
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
    page.tap(chip("place_id", demo.PLACE_HARBOUR_HIGH))
    page.tap(chip("headcount_choice", "30"))
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
