"""Helpers of the PWA browser tests: an officer's phone made ready for offline work, screenshots."""

import time

from fieldapp.contacts import demo
from tests.support import SCREENSHOTS, browser_login

OFFLINE_PAGES = ["/contacts/new", "/directory/", "/referrals/new"]


def phone_shot(page, name: str):
    """What the officer sees on the phone's screen (the viewport, not the whole page)."""
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def wait_until(page, script: str, arg=None, timeout: float = 15.0):
    """Poll an async page function until it returns true (wait_for_function does not await)."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(script, arg):
        assert time.monotonic() < deadline, f"timed out waiting for {script[:80]}"
        page.wait_for_timeout(100)


def officer_ready(page, base_url: str, who: str = "officer"):
    """Log in, wait until the service worker controls the page and the offline pages and the
    directory snapshot are on the phone."""
    browser_login(page, base_url, who)
    page.wait_for_url(f"{base_url}/contacts/new")
    wait_until(page, "() => navigator.serviceWorker.ready.then(() => true)")
    if not page.evaluate("!!navigator.serviceWorker.controller"):
        page.reload()
    page.wait_for_function("() => !!navigator.serviceWorker.controller")
    wait_until(page,
        """async (paths) => {
          const names = (await caches.keys()).filter((n) => n.startsWith('fieldapp-user-'));
          if (names.length !== 1) return false;
          const cache = await caches.open(names[0]);
          const hits = await Promise.all(paths.map((p) => cache.match(location.origin + p)));
          return hits.every(Boolean);
        }""", OFFLINE_PAGES)
    wait_until(page, "() => FieldappOutbox.getKv('directory').then((d) => !!d)")


def save_a_contact(page, base_url: str) -> None:
    """Log one quick contact on the officer's form (the install hint's moment: issue 15)."""
    page.goto(f"{base_url}/contacts/new")
    for name, value in (("place_id", demo.PLACE_DROPIN), ("kind", "wellness_check"),
                        ("outcome", "information_given")):
        page.locator(f"label.chip:has(input[name={name}][value='{value}'])").click()
    page.locator(".contacts-save button").click()
    page.wait_for_url(f"{base_url}/contacts/*-*")
