"""Helpers of the referrals tests: services inserted directly in the directory's tables (so these
tests do not depend on the directory's demo), contacts and referrals to send, an SMTP inbox."""

import json
import re
import socket
import uuid
from email import message_from_bytes
from email.policy import default

import fieldapp.accounts  # noqa: F401  (blueprint imports must start at accounts)
from fieldapp.directory.demo import CRISIS_TEAM_ID, SENIORS_SERVICE_ID, YOUTH_SHELTER_ID
from tests.support import login

OFFICER_ID = "0d5e7a10-0000-4000-8000-000000000002"
OFFICER2_ID = "0d5e7a10-0000-4000-8000-000000000003"
PARTNER_ID = "0d5e7a10-0000-4000-8000-000000000004"
PARTNER2_ID = "0d5e7a10-0000-4000-8000-000000000005"
COORDINATOR_ID = "0d5e7a10-0000-4000-8000-000000000001"

SVC_CRISIS = "5e0c0000-0000-4000-8000-0000000000c1"
SVC_ALT_CRISIS = "5e0c0000-0000-4000-8000-0000000000c2"
SVC_YOUTH = "5e0c0000-0000-4000-8000-0000000000a1"
SVC_NO_REFERRALS = "5e0c0000-0000-4000-8000-0000000000d1"

SERVICES = [
    {"id": SVC_CRISIS, "organization_id": CRISIS_TEAM_ID, "name": "Test Crisis Outreach",
     "accepts_referrals": 1, "intake_phone": "902-555-0100",
     "intake_email": "intake-test@crisis.demo.test",
     "intake_instructions": "Call the intake line; ask for the on-call clinician."},
    {"id": SVC_ALT_CRISIS, "organization_id": SENIORS_SERVICE_ID, "name": "Test Crisis Line B",
     "accepts_referrals": 1, "intake_phone": "902-555-0177", "intake_email": None,
     "intake_instructions": "Any time."},
    {"id": SVC_YOUTH, "organization_id": YOUTH_SHELTER_ID, "name": "Test Youth Beds",
     "accepts_referrals": 1, "intake_phone": "902-555-0122", "intake_email": None,
     "intake_instructions": "Ask for the shift lead."},
    {"id": SVC_NO_REFERRALS, "organization_id": YOUTH_SHELTER_ID, "name": "Test Drop-in",
     "accepts_referrals": 0, "intake_phone": None, "intake_email": None,
     "intake_instructions": None},
]
CATEGORIES = [(SVC_CRISIS, "mental_health_crisis"), (SVC_ALT_CRISIS, "mental_health_crisis"),
              (SVC_YOUTH, "housing_shelter"), (SVC_NO_REFERRALS, "youth")]

# Text no partner page or e-mail may ever contain.
CANARY = "CANARY-officer-note-7f3a"


def add_services(db) -> None:
    for service in SERVICES:
        db["service"].upsert({**service, "created_at": "2026-01-01T00:00:00+00:00",
                              "updated_at": "2026-01-01T00:00:00+00:00"}, pk="id")
    for service_id, category in CATEGORIES:
        db.execute("insert or ignore into service_category (service_id, category) values (?, ?)",
                   [service_id, category])


def client_for(app, who):
    """A new test client logged in as `who`."""
    client = app.test_client()
    login(client, who)
    return client


def clear_demo_referrals(db) -> None:
    """Drop the demo referrals, for tests that count what is in an inbox."""
    for table in ("referral_event", "mail_outbox", "referral_link"):
        db.execute(f"delete from {table} where referral_id like '7e0f0000-%'")
    db.execute("delete from referral where id like '7e0f0000-%'")


def crisis_ids(db) -> set:
    return {row["service_id"] for row in db.query(
        "select service_id from service_category where category = 'mental_health_crisis'")}


def add_contact(db, officer_id=OFFICER_ID, kind="mental_health", note=CANARY) -> str:
    contact_id = str(uuid.uuid4())
    db["contact"].insert({"id": contact_id, "officer_id": officer_id, "police_service": "HRP",
                          "occurred_at": "2026-03-02T13:00:00+00:00",
                          "created_at": "2026-03-02T13:00:00+00:00", "kind": kind,
                          "note": note})
    return contact_id


def add_person(db, created_by=OFFICER_ID, alias="Test Person Alias", police_service="HRP"):
    person_id = str(uuid.uuid4())
    db["person"].insert({"id": person_id, "alias": alias, "birth_year": 1990,
                         "police_service": police_service, "created_by": created_by,
                         "created_at": "2026-03-02T13:00:00+00:00", "flags": json.dumps([])})
    return person_id


def referral_item(**overrides) -> dict:
    item = {"id": str(uuid.uuid4()), "service_id": SVC_CRISIS, "consent": "verbal",
            "shared": ["name", "phone", "note"], "urgency": "urgent",
            "person_name": "Sam Example", "person_phone": "902-555-0199",
            "handoff_note": "Prefers afternoons; hand-off for the partner.",
            "preferred_contact": "phone after 2 pm",
            # Made on the phone before any test's "now" (a time in the future is refused).
            "created_at": "2026-03-01T12:00:00+00:00"}
    item.update(overrides)
    return item


def form_of(item: dict) -> dict:
    """The referral as the HTML form posts it."""
    data = {key: value for key, value in item.items() if value is not None and key != "shared"}
    data["shared"] = list(item.get("shared") or [])
    return data


def user_row(db, user_id: str) -> dict:
    return next(db.query("select * from user where id = ?", [user_id]))


# --- a real SMTP server on loopback (aiosmtpd) -------------------------------------------------


class Inbox:
    """aiosmtpd handler that keeps every message it receives."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content,
                                                                    policy=default)))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


PERSONAL = ["Sam Example", "902-555-0199", "Prefers afternoons", "phone after 2 pm"]


def forget_queued_mail(db) -> None:
    """Drop what the demo data queued (its referrals were made when the app was built)."""
    db.conn.execute("delete from mail_outbox")
    db.conn.commit()


def send_mail(app) -> str:
    """Run `flask referrals send-mail` once; its output."""
    result = app.test_cli_runner().invoke(args=["referrals", "send-mail"])
    assert 0 == result.exit_code, result.output
    return result.output


def body_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def link_path(message) -> str:
    url = re.search(r"https?://\S+/referrals/link/\S+", body_of(message)).group(0)
    return re.sub(r"^https?://[^/]+", "", url)


class Thumb:
    """Taps and the scrolling a thumb does to bring each target in sight (a sticky button is
    in sight already; a jump to an anchor or a new page is no thumb work)."""

    def __init__(self, page):
        self.page, self.taps, self.scrolled = page, 0, 0

    def tap(self, locator, check=False):
        before = self.page.evaluate("scrollY")
        locator.evaluate("""el => { const r = el.getBoundingClientRect();
            if (r.top < 0 || r.bottom > innerHeight - 60) {
              el.scrollIntoView({block: 'nearest'}); } }""")
        self.scrolled += abs(self.page.evaluate("scrollY") - before)
        self.taps += 1
        locator.check() if check else locator.click()


def in_language(page, language: str) -> None:
    """The page in French when `language` is fr (the language switch), else as it is."""
    if language == "fr" and page.locator("html").get_attribute("lang") != "fr":
        with page.expect_navigation():
            page.locator('button[name="language"][value="fr"]').click()


def phone_edit(page, url: str, service_id: str) -> Thumb:
    """The coordinator changes one phone number on a phone: from the verification queue's
    "Changed", the listing, its Phones section, the number, that section's Save."""
    page.goto(f"{url}/directory/manage/verify")
    thumb = Thumb(page)
    thumb.tap(page.locator(f"#verify-changed-{service_id}"))
    thumb.tap(page.locator(f"a#verify-changed-{service_id}"))
    page.wait_for_url(f"{url}/directory/manage/services/{service_id}")
    thumb.tap(page.locator('.dir-sections a[href="#svc-phones"]'))
    number = page.locator("#phone_number_0")
    thumb.tap(number)
    number.fill("902-555-0303")
    thumb.tap(page.locator("#save-phones"))
    page.locator("#svc-phones .dir-section-status").wait_for()
    return thumb
