"""The phone's offline directory search (MiniSearch over the snapshot) in real headless Chromium
at phone size with the network off: typos, prefixes, open now, tap to call; and its results
resemble the server's on the fixed query mix of bench/directory_search.py."""

import urllib.parse
from datetime import UTC, datetime

import pytest

from bench.directory_search import HTTP_QUERIES
from fieldapp.directory import search as store
from tests.support.browser import officer_ready, phone_shot

pytestmark = pytest.mark.browser


def offline_names(page) -> list[str]:
    return page.locator(".pwa-offline-directory .dir-card .dir-name").all_inner_texts()


def search_offline(page, text: str):
    """Type `text` into the search box as a person would, and wait for the offline results."""
    page.fill("#dir-q", "")
    page.locator("#dir-q").press_sequentially(text)
    page.wait_for_function(
        """(text) => {
          const note = document.querySelector('.pwa-offline-directory');
          return note && document.getElementById('dir-q').value === text;
        }""", arg=text)
    page.wait_for_timeout(50)


def test_offline_search_finds_typos_and_prefixes_filters_open_now_and_calls(server, phone):  # noqa: F811
    page = phone.new_page()
    officer_ready(page, server.url)
    page.goto(f"{server.url}/directory/")
    phone.set_offline(True)
    page.goto(f"{server.url}/directory/")  # from the phone's cache

    search_offline(page, "shleter")  # a typo
    typo = offline_names(page)
    shelters = [name for name in typo if "shelter" in name.lower()]
    assert len(shelters) >= 2 and typo[:len(shelters)] == shelters  # named shelters come first
    assert "Offline" in page.locator(".pwa-directory-note").inner_text()

    search_offline(page, "shel")  # an unfinished word
    prefix = offline_names(page)
    assert set(shelters) <= set(prefix)

    search_offline(page, "émergency")  # accents folded (and capitals)
    assert any("Emergency" in name for name in offline_names(page))

    search_offline(page, "shel")
    expected = page.evaluate("""() => FieldappOutbox.getKv('directory').then(async (d) =>
      (await FieldappDirectory.search(d.services, {q: 'shel', open: true})).map((s) => s.name))""")
    page.locator('input[name="open"]').check(force=True)
    page.wait_for_function(
        "(n) => document.querySelectorAll('.pwa-offline-directory .dir-card').length === n",
        arg=min(100, len(expected)))
    open_names = offline_names(page)
    assert open_names == expected[:100]
    assert len(open_names) <= len(prefix)
    hours = page.locator(".pwa-offline-directory .dir-card .dir-hours").all_inner_texts()
    assert len(hours) == len(open_names) and all("open" in h.lower() for h in hours)

    if not open_names:  # nothing open at this hour: call from the unfiltered list
        page.locator('input[name="open"]').uncheck(force=True)
        page.wait_for_timeout(100)
    call = page.locator(".pwa-offline-directory .dir-call").first
    assert call.get_attribute("href").startswith("tel:")
    page.evaluate("""() => document.addEventListener('click', (event) => {
      const link = event.target.closest('a');
      window.tapped = link ? link.getAttribute('href') : null;
      event.preventDefault();
    }, {capture: true, once: true})""")
    phone_shot(page, "pwa_offline_search_phone")
    call.tap()
    assert page.evaluate("window.tapped").startswith("tel:")
    phone.set_offline(False)


def fixed_mix() -> list[dict]:
    """The 8 fixed queries of bench/directory_search.py as search criteria."""
    mix = []
    for text in HTTP_QUERIES:
        args = {k: v[0] for k, v in urllib.parse.parse_qs("q=" + text).items()}
        mix.append({"q": args.get("q", ""), "category": args.get("category", ""),
                    "language": args.get("language", ""), "open": args.get("open") == "1"})
    return mix


def test_offline_top_five_overlaps_the_servers_on_the_fixed_mix(server, phone):  # noqa: F811
    page = phone.new_page()
    officer_ready(page, server.url)
    page.goto(f"{server.url}/directory/")  # the category labels the phone indexes
    mix = fixed_mix()
    assert 8 == len(mix)
    offline = page.evaluate("""(mix) => FieldappOutbox.getKv('directory').then(async (d) => {
      const found = [];
      for (const c of mix) found.push((await FieldappDirectory.search(d.services, c)).slice(0, 5));
      return found.map((services) => services.map((s) => s.id));
    })""", mix)
    db = server.db()
    tz = server.app.config["TIMEZONE"]
    for criteria, phone_top in zip(mix, offline, strict=True):
        top = [s["id"] for s in store.search_services(
            db, criteria["q"], category=criteria["category"] or None,
            language=criteria["language"] or None, open_now=criteria["open"],
            now=datetime.now(UTC), tz=tz, limit=5)]
        assert len(set(top) & set(phone_top)) >= min(3, len(top)), (criteria, top, phone_top)
