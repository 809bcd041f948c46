"""The phone's offline pages follow the interface language: after a switch to French, the
offline page and the cached pages are French (issue 22)."""

import pytest

from tests.support.browser import officer_ready, wait_until

pytestmark = pytest.mark.browser

CACHED_LANG = """async (path) => {
  const names = (await caches.keys()).filter((n) => n.startsWith(path.cache));
  for (const name of names) {
    const hit = await (await caches.open(name)).match(location.origin + path.url);
    if (hit) return (/<html lang="([^"]*)"/.exec(await hit.text()) || [])[1] === "fr";
  }
  return false;
}"""


def test_offline_page_and_cached_pages_follow_a_switch_to_french(server, phone):
    page = phone.new_page()
    officer_ready(page, server.url)
    page.goto(f"{server.url}/account/password")
    page.locator('button[name="language"][value="fr"]').click()
    page.wait_for_load_state()
    assert "fr" == page.evaluate("document.documentElement.lang")
    wait_until(page, CACHED_LANG, {"cache": "fieldapp-shell-", "url": "/offline.html"})
    wait_until(page, CACHED_LANG, {"cache": "fieldapp-user-", "url": "/directory/"})

    phone.set_offline(True)
    page.goto(f"{server.url}/account/password")  # not on the phone: the offline page
    assert "Aucune connexion" == page.locator("h1").inner_text()
    page.goto(f"{server.url}/directory/")  # on the phone, as last fetched: in French
    assert "fr" == page.evaluate("document.documentElement.lang")
    phone.set_offline(False)
