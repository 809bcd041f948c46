"""Offline that says what it is doing (issue 19), in real Chromium at phone size: the sync bar
names the offline, waiting and failed states in words and an icon (never a green "All sent"
offline); a template opened offline is filled in from the cached form, or the page says it
could not; "My contacts" lists the contacts waiting in the outbox."""

import pytest

from fieldapp.contacts import demo
from tests.support import axe_violations
from tests.support.browser import officer_ready, wait_until

pytestmark = pytest.mark.browser


def bar(page) -> dict:
    """The sync bar's state, its words and which icon shows."""
    return page.evaluate("""() => {
      const bar = document.getElementById('syncbar');
      const icon = [...bar.querySelectorAll('.syncbar-icon g')]
        .find((g) => getComputedStyle(g).display !== 'none');
      return {state: bar.dataset.state, text: document.getElementById('syncbar-text').innerText,
              icon: icon ? icon.getAttribute('class') : null};
    }""")


def axe_loaded_before(page) -> list[dict]:
    """axe-core's violations on a page that loaded it while online (offline it cannot load)."""
    return page.evaluate("axe.run().then(r => r.violations.map(v => ({id: v.id, "
                         "nodes: v.nodes.map(n => n.target.join(' '))})))")


def wait_state(page, state: str, timeout: float = 15000):
    page.wait_for_function("(s) => document.getElementById('syncbar').dataset.state === s",
                           arg=state, timeout=timeout)


def queue_one_offline(page, base_url: str, place: str):
    page.goto(f"{base_url}/contacts/new")
    page.check('input[name="place_id"][value=""]', force=True)
    page.fill("#place_text", place)
    page.locator("label.chip:has(input[name=kind][value='wellness_check'])").click()
    page.locator("label.chip:has(input[name=outcome][value='information_given'])").click()
    before = page.evaluate("FieldappOutbox.entriesFor(document.body.dataset.userKey)"
                           ".then((e) => e.length)")
    page.locator(".contacts-save button[type=submit]").click()
    page.wait_for_selector(".pwa-saved")
    wait_until(page, "(n) => FieldappOutbox.entriesFor(document.body.dataset.userKey)"
               ".then((e) => e.length === n)", before + 1)


def test_the_sync_bar_says_offline_waiting_failed_and_sent_in_words_and_icons(server, phone):
    page = phone.new_page()
    officer_ready(page, server.url)
    wait_state(page, "sent")
    assert {"state": "sent", "text": "All sent", "icon": "syncbar-icon-sent"} == bar(page)

    assert [] == axe_violations(page)  # (loads axe-core into the page while online)
    phone.set_offline(True)  # nothing waiting, but no network: never "All sent"
    wait_state(page, "offline")
    shown = bar(page)
    assert shown["text"].startswith("Offline") and "All sent" not in shown["text"]
    assert "syncbar-icon-offline" == shown["icon"]
    assert [] == axe_loaded_before(page)
    page.reload()  # the page from the phone's cache says the same
    wait_state(page, "offline")
    assert "All sent" not in bar(page)["text"]

    queue_one_offline(page, server.url, "Offline words place (demo)")
    wait_state(page, "offline")
    shown = bar(page)
    assert shown["text"].startswith("Offline · 1 waiting"), shown
    assert "syncbar-icon-offline" == shown["icon"]

    # Back online, the server failing: "not sent yet", with the warning icon.
    phone.route("**/api/sync", lambda route: route.fulfill(status=503, json={"error": "busy"}))
    phone.set_offline(False)
    wait_state(page, "failed")
    shown = bar(page)
    assert "Not sent yet" in shown["text"] and "1 waiting" in shown["text"], shown
    assert "syncbar-icon-attention" == shown["icon"]
    assert [] == axe_violations(page)

    phone.unroute("**/api/sync")  # the next try (backing off) sends it
    wait_state(page, "sent", timeout=30000)
    assert {"state": "sent", "text": "All sent", "icon": "syncbar-icon-sent"} == bar(page)


def test_a_template_opened_offline_is_filled_in_from_the_cached_form(server, phone):
    page = phone.new_page()
    officer_ready(page, server.url)
    phone.set_offline(True)
    page.goto(f"{server.url}/contacts/new?template=wellness_senior")
    page.wait_for_selector("#template-note:not([hidden])")
    assert "Wellness check — senior" in page.locator("#template-note").inner_text()
    checked = page.evaluate("""() => Object.fromEntries(['kind', 'outcome', 'is_group'].map(
        (n) => [n, document.querySelector(`input[name=${n}]:checked`).value]))""")
    assert {"kind": "wellness_check", "outcome": "information_given", "is_group": "0"} == checked
    assert page.locator("input[name=populations][value=senior_65_plus]").is_checked()
    assert "Wellness check" in page.locator(".contacts-save button").inner_text()

    # Saved offline, it arrives with the template's values.
    page.check('input[name="place_id"][value=""]', force=True)
    page.fill("#place_text", "Offline template place (demo)")
    page.locator(".contacts-save button[type=submit]").click()
    page.wait_for_selector(".pwa-saved")
    phone.set_offline(False)
    wait_state(page, "sent")
    row = server.db().execute(
        "select kind, outcome, id from contact where place_text = 'Offline template place (demo)'"
    ).fetchone()
    assert ("wellness_check", "information_given") == row[:2]
    assert ["senior_65_plus"] == [r[0] for r in server.db().execute(
        "select population from contact_population where contact_id = ?", [row[2]])]

    # What cannot be done offline is said plainly.
    phone.set_offline(True)
    page.goto(f"{server.url}/contacts/new?template=no_such_template")
    page.wait_for_selector("#template-note:not([hidden])")
    assert "not on this phone" in page.locator("#template-note").inner_text()
    page.goto(f"{server.url}/contacts/new?repeat=last")
    page.wait_for_selector("#template-note:not([hidden])")
    assert "could not be repeated" in page.locator("#template-note").inner_text()


def test_online_a_template_page_needs_no_note(server, phone):
    page = phone.new_page()
    officer_ready(page, server.url)
    page.goto(f"{server.url}/contacts/new?template=wellness_senior")
    assert page.locator("input[name=kind][value=wellness_check]").is_checked()
    assert page.locator("#template-note").is_hidden()


def test_my_contacts_offline_lists_the_contacts_waiting_to_send(server, phone):
    page = phone.new_page()
    officer_ready(page, server.url)
    phone.set_offline(True)
    queue_one_offline(page, server.url, "Waiting list place (demo)")
    page.goto(f"{server.url}/contacts/new")
    page.evaluate("(id) => { document.querySelector(`input[name=place_id][value='${id}']`)"
                  ".checked = true; }", demo.PLACE_LIBRARY)
    page.locator("label.chip:has(input[name=kind][value='wellness_check'])").click()
    page.locator("label.chip:has(input[name=outcome][value='information_given'])").click()
    page.locator(".contacts-save button[type=submit]").click()
    page.wait_for_selector(".pwa-saved")

    page.goto(f"{server.url}/contacts/")  # from the phone's cache
    page.wait_for_selector("#contacts-waiting:not([hidden]) li")
    rows = page.locator("#contacts-waiting li")
    assert 2 == rows.count()
    text = page.locator("#contacts-waiting").inner_text()
    assert "Waiting list place (demo)" in text and "Central Library steps (demo)" in text
    assert 2 == text.count("Waiting to send")
    assert "Wellness check" in text and "Information given" in text

    # Online with the server failing, the server's page lists them the same way.
    phone.route("**/api/sync", lambda route: route.fulfill(status=503, json={"error": "busy"}))
    phone.set_offline(False)
    page.reload()
    page.wait_for_selector("#contacts-waiting:not([hidden]) li")
    assert 2 == page.locator("#contacts-waiting li").count()
    assert [] == axe_violations(page)

    phone.unroute("**/api/sync")  # once sent, they leave the list (the server's list has them)
    wait_state(page, "sent", timeout=30000)
    page.wait_for_selector("#contacts-waiting", state="hidden")
    page.reload()
    assert "Waiting list place (demo)" in page.locator("#contacts-list").inner_text()


def test_in_french_offline_says_so_in_french(server, phone):
    page = phone.new_page()
    officer_ready(page, server.url)
    with page.expect_navigation():
        page.tap("button[name=language][value=fr]")
    page.wait_for_function("() => document.documentElement.lang === 'fr'")
    # The pages on the phone follow the language (the service worker fetches them again).
    wait_until(page, """async () => {
      for (const name of await caches.keys()) {
        if (!name.startsWith('fieldapp-user-')) continue;
        const hit = await (await caches.open(name)).match('/contacts/new', {ignoreVary: true});
        if (hit && (await hit.text()).includes('lang="fr"')) return true;
      }
      return false;
    }""", timeout=30)
    phone.set_offline(True)
    wait_state(page, "offline")
    assert bar(page)["text"].startswith("Hors ligne")
    page.goto(f"{server.url}/contacts/new?template=wellness_senior")
    page.wait_for_selector("#template-note:not([hidden])")
    assert "rempli à partir de ce téléphone" in page.locator("#template-note").inner_text()
    assert page.locator("input[name=kind][value=wellness_check]").is_checked()
