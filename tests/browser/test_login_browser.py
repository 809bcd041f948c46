"""Log in, land on the role's home, log out: real headless Chromium at phone size."""

import pytest

from tests.support import axe_violations, browser_login, screenshot

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(("who", "home"), [("officer", "/contacts/new"),
                                           ("partner", "/referrals/"),
                                           ("coordinator", "/directory/")])
def test_each_role_logs_in_lands_home_and_logs_out(live_server, phone, who, home):
    page = phone.new_page()
    errors = []
    page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    browser_login(page, live_server.url, who)
    page.wait_for_url(f"{live_server.url}{home}")
    assert page.locator("nav a[aria-current=page]").count() == 1
    screenshot(page, f"home_{who}_phone")
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(f"{live_server.url}/login")
    assert page.get_by_text("You are logged out.").is_visible()
    page.goto(f"{live_server.url}{home}")
    assert page.url.startswith(f"{live_server.url}/login")
    assert [] == [e for e in errors if "Content Security Policy" in e]


def test_login_page_at_320_px_has_no_horizontal_scroll(live_server, browser):
    context = browser.new_context(viewport={"width": 320, "height": 640})
    page = context.new_page()
    page.goto(f"{live_server.url}/login")
    overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    screenshot(page, "login_320")
    context.close()
    assert overflow is False


def test_login_page_in_french_from_browser_language(live_server, browser):
    context = browser.new_context(locale="fr-CA")
    page = context.new_page()
    page.goto(f"{live_server.url}/login")
    assert "Se connecter" == page.locator("h1").inner_text()
    context.close()


def test_login_page_passes_axe(live_server, page):
    page.goto(f"{live_server.url}/login")
    assert [] == axe_violations(page)


def test_htmx_request_after_the_session_ended_goes_to_login(live_server, page):
    browser_login(page, live_server.url, "coordinator")
    page.goto(f"{live_server.url}/accounts/users")
    db = live_server.db()
    db.execute("delete from user_session")
    db.conn.close()
    page.locator("tr", has_text="officer2@demo.test").get_by_role(
        "button", name="Change role").click()
    page.wait_for_url(f"{live_server.url}/login")
    assert "Log in" == page.locator("h1").inner_text()


def test_htmx_row_swap_changes_a_role_in_place(live_server, page):
    browser_login(page, live_server.url, "coordinator")
    page.goto(f"{live_server.url}/accounts/users")
    row = page.locator("tr", has_text="officer2@demo.test")
    row.locator("select").select_option("coordinator")
    row.get_by_role("button", name="Change role").click()
    page.wait_for_load_state("networkidle")
    assert page.url == f"{live_server.url}/accounts/users"
    db = live_server.db()
    role = db.execute("select role from user where email = 'officer2@demo.test'").fetchone()[0]
    db.conn.close()
    assert "coordinator" == role
