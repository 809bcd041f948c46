"""The warm hand-off on a phone (issue 19): taps and thumb scrolling, in headless Chromium at
390 x 844 and 320 x 568, English and French, of

- the officer's quick contact (place, kind, outcome, Save),
- the referral from a saved mental-health contact whose person is known (consent, "Name"
  box, first service, Check and send, Send on the summary),
- the coordinator's phone-number edit from the verification queue (Changed, the listing, its
  Phones section, the number, that section's Save).

    .venv/bin/python bench/handoff_phone.py

Scrolling counts what a thumb needs to bring each target in sight (tests/support/referrals.py
`Thumb`: a sticky button is in sight already, a jump to an anchor or a new page is none).
Prints the table for bench/RESULTS.md (## The warm hand-off on a phone).
"""

import re
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from playwright.sync_api import sync_playwright  # noqa: E402

from fieldapp.contacts import demo  # noqa: E402
from tests.support import CHROMIUM_ARGS, LiveServer, browser_login, make_app  # noqa: E402
from tests.support.directory import add_service  # noqa: E402
from tests.support.referrals import (  # noqa: E402
    Thumb,
    add_contact,
    add_person,
    add_services,
    in_language,
    phone_edit,
)

SIZES = [(390, 844), (320, 568)]


def contact(page, url: str) -> Thumb:
    page.goto(f"{url}/contacts/new")
    thumb = Thumb(page)
    for name, value in (("place_id", demo.PLACE_DROPIN), ("kind", "wellness_check"),
                        ("outcome", "information_given")):
        thumb.tap(page.locator(f"label.chip:has(input[name={name}][value='{value}'])"))
    thumb.tap(page.locator(".contacts-save button").first)
    page.wait_for_url(re.compile(r".*/contacts/[0-9a-f-]{36}$"))
    return thumb


def referral(page, url: str, contact_id: str) -> Thumb:
    """From a saved mental-health contact whose person is known (its alias carries over)."""
    page.goto(f"{url}/referrals/new?contact_id={contact_id}")
    thumb = Thumb(page)
    thumb.tap(page.locator('input[name="consent"][value="verbal"]'), check=True)
    thumb.tap(page.locator('#ref-shared input[value="name"]'), check=True)
    thumb.tap(page.locator('input[name="service_id"]').first, check=True)
    thumb.tap(page.locator(".ref-send button.primary"))
    page.wait_for_selector("#ref-receives")
    page.wait_for_function("() => scrollY === 0")
    thumb.tap(page.locator("#ref-send"))
    page.wait_for_url(re.compile(r".*/referrals/[0-9a-f-]{36}$"))
    return thumb


def main() -> None:
    server = LiveServer(make_app(Path(tempfile.mkdtemp())))
    server.thread.start()
    db = server.db()
    add_services(db)
    rows = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        for width, height in SIZES:
            for language in ("en", "fr"):
                # Never verified and first by name: the queue's first row (the figure is the
                # edit, not finding the listing in a long queue).
                service_id = add_service(db, f"Aa bench phone edit {width} {language}",
                                         phones=["902-555-0101"])
                db.conn.commit()
                person = add_person(db, alias="Bench Person")
                contact_id = add_contact(db, kind="mental_health")
                db.execute("update contact set person_id = ? where id = ?", [person, contact_id])
                db.conn.commit()
                for who in ("officer", "coordinator"):
                    context = browser.new_context(viewport={"width": width, "height": height},
                                                  is_mobile=True, has_touch=True)
                    page = context.new_page()
                    browser_login(page, server.url, who)
                    page.wait_for_load_state()
                    in_language(page, language)
                    if who == "officer":
                        rows.append(("officer's contact", width, language,
                                     contact(page, server.url)))
                        rows.append(("referral from a saved contact", width, language,
                                     referral(page, server.url, contact_id)))
                    else:
                        rows.append(("coordinator's phone edit", width, language,
                                     phone_edit(page, server.url, service_id)))
                        # (verified, so the next round's listing is where this one was)
                        db.execute("update service set assured_date = '2099-01-01' where id = ?",
                                   [service_id])
                        db.conn.commit()
                    context.close()
        browser.close()
    server.server.shutdown()
    print("| flow | viewport | language | taps | scrolled |\n|---|---|---|---|---|")
    for flow, width, language, thumb in sorted(rows, key=lambda r: (r[0], -r[1], r[2])):
        print(f"| {flow} | {width} px | {language} | {thumb.taps} | {thumb.scrolled:,} px |")


if __name__ == "__main__":
    main()
