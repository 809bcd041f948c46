"""Issue 23 in real headless Chromium at 390x844: the officer's and the partner's pages with
JavaScript off (nothing dead, nothing stuck), and the same flows with it on."""

import pytest

from tests.support import PHONE, browser_login
from tests.support.browser import save_a_contact

pytestmark = pytest.mark.browser


@pytest.fixture
def no_js_phone(browser):
    """A phone-sized browser context with JavaScript disabled."""
    context = browser.new_context(**PHONE, java_script_enabled=False)
    yield context
    context.close()


def test_officer_dismisses_install_hint_and_sees_no_dead_controls_without_javascript(
        live_server, no_js_phone):
    page = no_js_phone.new_page()
    browser_login(page, live_server.url, "officer")
    page.wait_for_url(f"{live_server.url}/contacts/new")
    assert page.locator("#pwa-install").is_hidden()  # shown after the first save (issue 15)
    assert page.get_by_role("button", name="Use my location").is_hidden()
    save_a_contact(page, live_server.url)
    saved_url = page.url
    hint = page.locator("#pwa-install")
    assert hint.is_visible()
    assert 1 == hint.locator("form[method=post] input[name=csrf_token]").count()
    noscript = page.locator("#syncbar .syncbar-noscript")  # (get_by_text skips <noscript>)
    assert noscript.is_visible()
    assert "Offline saving needs JavaScript; this page still works online." == noscript.inner_text()
    assert hint.get_by_role("button", name="Install").is_hidden()  # needs the browser's prompt
    assert page.get_by_text("Checking the outbox…").is_hidden()

    hint.get_by_role("button", name="Got it").click()
    page.wait_for_url(saved_url)
    assert page.locator("#pwa-install").is_hidden()
    page.goto(f"{live_server.url}/directory/")
    assert page.locator("#pwa-install").is_hidden()
    assert page.get_by_text("Results update as you type.").is_hidden()
    assert page.get_by_role("button", name="Near me").is_hidden()
    assert page.get_by_text("Checking the outbox…").is_hidden()


def test_partner_accepts_from_inbox_row_and_stays_on_filtered_inbox_without_javascript(
        live_server, no_js_phone):
    page = no_js_phone.new_page()
    browser_login(page, live_server.url, "partner")
    page.wait_for_url(f"{live_server.url}/referrals/")
    inbox = f"{live_server.url}/referrals/?status=unanswered"
    page.goto(inbox)
    row = page.locator("tr.ref-row", has=page.get_by_role("button", name="Accept")).first
    row_id = row.get_attribute("id")
    row.get_by_role("button", name="Accept").click()
    page.wait_for_url(inbox)
    assert 0 == page.locator(f"#{row_id}").count()  # accepted: no longer unanswered


def test_with_javascript_the_script_dismisses_the_hint_and_fills_the_sync_bar(live_server, phone):
    page = phone.new_page()
    browser_login(page, live_server.url, "officer")
    page.wait_for_url(f"{live_server.url}/contacts/new")
    assert page.locator("#syncbar-text").is_visible()
    page.wait_for_function(
        "() => document.getElementById('syncbar-text').textContent !== 'Checking the outbox…'")
    assert page.get_by_role("button", name="Use my location").is_visible()
    save_a_contact(page, live_server.url)
    requests = []
    page.on("request", lambda r: requests.append(r.url) if "install-hint" in r.url else None)
    page.locator("#pwa-install").get_by_role("button", name="Got it").click()
    assert page.locator("#pwa-install").is_hidden()
    assert [] == requests  # the script hides it; the form is not sent
    page.goto(f"{live_server.url}/directory/")
    assert page.get_by_text("Results update as you type.").is_visible()
    assert page.locator("#pwa-install").is_hidden()


# Every visible control that does nothing without JavaScript: a type=button (only a script
# gives it a job), a submit button outside any form, a link that goes nowhere.  Closed
# <details> are opened first so that what they hold is checked too.
DEAD_CONTROLS = """() => {
  for (const d of document.querySelectorAll('details')) d.open = true;
  const seen = (el) => el.checkVisibility({visibilityProperty: true, opacityProperty: true});
  return [...document.querySelectorAll('button, input[type=button], a, [role=button]')]
    .filter(seen)
    .filter((el) => {
      if (el.matches('button, input[type=button]'))
        return el.type === 'button' || (el.type !== 'reset' && !el.form);
      if (el.tagName === 'A') {
        const href = el.getAttribute('href');
        return href === null || href === '#' || href.startsWith('javascript:');  // '' reloads
      }
      return true;  // [role=button] on anything else needs a script
    })
    .map((el) => el.outerHTML.slice(0, 160));
}"""
CRAWL_SKIP = (".zip", ".csv", ".json", ".js", ".webmanifest")


def test_crawl_every_page_of_every_role_without_javascript_finds_no_dead_control(
        live_server, browser):
    from fieldapp.db import connect
    from tests.support.pages import pages

    db = connect(live_server.app.config["DATABASE"])
    urls = [(url, user) for url, user in pages(live_server.app, db)
            if not url.endswith(CRAWL_SKIP) and not url.startswith("/api/")]
    db.conn.close()
    tabs, dead, checked = {}, [], 0
    for url, user in urls:
        if user not in tabs:
            tabs[user] = browser.new_context(**PHONE, java_script_enabled=False).new_page()
            if user != "anonymous":
                browser_login(tabs[user], live_server.url, user)
                tabs[user].wait_for_load_state()
        page = tabs[user]
        response = page.goto(live_server.url + url)
        if response.status >= 400 or not page.locator("meta[name=viewport]").count():
            continue  # an htmx fragment asked for alone is not a page
        checked += 1
        dead += [f"{user} {url}: {html}" for html in page.evaluate(DEAD_CONTROLS)]
    for page in tabs.values():
        page.context.close()
    assert checked >= 30
    assert [] == dead
