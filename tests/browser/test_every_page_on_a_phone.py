"""Every page, as every user allowed to see it, on a 320 x 568 phone, in English and in French
(longer words), in the light and the dark theme: nothing widens the page beyond the screen (wide
tables scroll inside their own box), and axe-core finds nothing."""

import pytest

from tests.support import axe_violations, browser_login
from tests.support.pages import pages

pytestmark = pytest.mark.browser
WIDTH = 320
HEIGHT = 568
DOWNLOADS = (".zip", ".csv", ".json", ".js", ".webmanifest")


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("language", ["en", "fr"])
def test_every_page_fits_a_small_phone_and_passes_axe(live_server, browser, language, scheme):
    from fieldapp.db import connect

    db = connect(live_server.app.config["DATABASE"])
    urls = [(url, user) for url, user in pages(live_server.app, db)
            if not url.endswith(DOWNLOADS) and not url.startswith("/api/")]
    db.conn.close()
    tabs, too_wide, inaccessible, checked = {}, [], [], 0
    for url, user in urls:
        if user not in tabs:
            context = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT},
                                          is_mobile=True, has_touch=True,
                                          color_scheme=scheme)
            tabs[user] = context.new_page()
            if user == "anonymous":
                tabs[user].goto(f"{live_server.url}/login")
            else:
                browser_login(tabs[user], live_server.url, user)
                tabs[user].wait_for_load_state()
            if language == "fr":
                tabs[user].get_by_role("button", name="Français").click()
                tabs[user].wait_for_load_state()
        page = tabs[user]
        response = page.goto(live_server.url + url)
        if response.status >= 400 or not page.locator("meta[name=viewport]").count():
            continue  # an htmx fragment asked for alone is not a page
        checked += 1
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > WIDTH:
            too_wide.append(f"{user} {url}: {width}px")
        inaccessible += [f"{user} {url}: {v['id']} {v['nodes'][:2]}"
                         for v in axe_violations(page)]
    for page in tabs.values():
        page.context.close()
    assert checked >= 30
    assert [] == too_wide
    assert [] == inaccessible
