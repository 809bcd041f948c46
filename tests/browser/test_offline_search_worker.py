"""The phone's offline search runs in a dedicated Web Worker (static/js/offline-directory-worker.js)
under the site's CSP, from the service worker's cache; the index it builds is kept beside the
snapshot in IndexedDB, used by the next page only for the same snapshot, and the last words
typed win however fast the officer types."""

import pytest

from tests.support.browser import officer_ready

pytestmark = pytest.mark.browser

WORKER = "/static/js/offline-directory-worker.js"


def names_shown(page) -> list[str]:
    """The first screenful of offline results (drawn at once; the rest follow when idle)."""
    return page.locator(".pwa-offline-directory .dir-card .dir-name").all_inner_texts()[:10]


def shown_for(page, text: str) -> list[str]:
    """Type `text` (all at once) into the search box and wait for its offline results."""
    page.fill("#dir-q", text)
    page.evaluate("FieldappDirectory.renderOffline()")
    return names_shown(page)


def searched(page, text: str, **criteria) -> list[str]:
    return page.evaluate("""([q, criteria]) => FieldappOutbox.getKv('directory').then(async (d) =>
      (await FieldappDirectory.search(d.services, {q, ...criteria})).map((s) => s.name))""",
                         [text, criteria])


def kept_index(page):
    return page.evaluate("""() => FieldappOutbox.getKv('directory-index').then((kept) => kept
      && {version: kept.version, labels: kept.labelsKey, size: kept.index.length})""")


def offline_directory(phone, server):
    """An officer's phone that opened the directory online (its snapshot stored), then opens
    it again with no signal: the page from the phone's cache."""
    page = phone.new_page()
    officer_ready(page, server.url)
    page.goto(f"{server.url}/directory/")
    phone.set_offline(True)
    page.goto(f"{server.url}/directory/")
    return page


def test_search_runs_in_a_worker_from_the_cache_under_the_csp(server, phone):
    page = phone.new_page()
    problems = []
    page.on("console", lambda m: m.type == "error" and "Content Security Policy" in m.text
            and problems.append(m.text))
    page.on("pageerror", lambda error: problems.append(str(error)))
    officer_ready(page, server.url)
    assert page.evaluate("""(url) => caches.keys().then(async (names) => {
      const shell = names.find((n) => n.startsWith('fieldapp-shell-'));
      return Boolean(shell && await (await caches.open(shell)).match(url));
    })""", WORKER)
    page.goto(f"{server.url}/directory/")
    phone.set_offline(True)
    page.goto(f"{server.url}/directory/")  # from the phone's cache
    typo = shown_for(page, "shleter")
    assert any("shelter" in name.lower() for name in typo)
    assert any(worker.url.endswith(WORKER) for worker in page.workers)
    assert not problems
    phone.set_offline(False)


def test_the_index_is_kept_for_its_snapshot_and_rebuilt_for_another(server, phone):
    page = offline_directory(phone, server)
    first = shown_for(page, "shel")
    version = page.evaluate("FieldappOutbox.getKv('directory').then((d) => d.version)")
    kept = kept_index(page)
    assert kept and kept["version"] == version and kept["size"] > 0

    page.reload()  # a new page and worker: the kept index answers the same
    assert shown_for(page, "shel") == first

    # An index kept for another snapshot is not used: here one that knows no shelter at all.
    page.evaluate("""() => FieldappOutbox.getKv('directory-index').then((kept) =>
      FieldappOutbox.setKv('directory-index', {...kept, version: 'another snapshot',
        names: [], order: [], index: JSON.stringify({documentCount: 0, nextId: 0,
          documentIds: {}, fieldIds: {name: 0, org: 1, cats: 2, desc: 3}, fieldLength: {},
          averageFieldLength: [0, 0, 0, 0], storedFields: {}, dirtCount: 0, index: [],
          serializationVersion: 2})}))""")
    page.reload()
    assert shown_for(page, "shel") == first
    assert kept_index(page)["version"] == version  # built again, and kept for this snapshot

    # One that cannot be read is built again too.
    page.evaluate("""() => FieldappOutbox.getKv('directory-index').then((kept) =>
      FieldappOutbox.setKv('directory-index', {...kept, index: 'not an index'}))""")
    page.reload()
    assert shown_for(page, "shel") == first
    assert kept_index(page)["size"] == kept["size"]
    phone.set_offline(False)


def test_the_index_is_kept_while_online_for_the_first_search_with_no_signal(server, phone):
    page = phone.new_page()
    officer_ready(page, server.url)
    page.goto(f"{server.url}/directory/")  # online: the snapshot is stored, then indexed
    page.wait_for_function("() => FieldappDirectory.stats.keptWhileOnline")
    version = page.evaluate("FieldappOutbox.getKv('directory').then((d) => d.version)")
    assert page.evaluate("FieldappDirectory.stats.keptWhileOnline") == version
    assert kept_index(page)["version"] == version
    assert not page.workers  # its work done, the worker stopped: the page searches online

    page.reload()  # online again: an index is kept for this snapshot, no worker starts
    page.wait_for_timeout(500)
    assert not page.workers

    phone.set_offline(True)
    page.reload()
    assert shown_for(page, "shel")
    assert page.evaluate("FieldappDirectory.stats.index") == "kept"  # loaded, not built
    phone.set_offline(False)


def test_typing_fast_shows_the_last_words(server, phone):
    page = offline_directory(phone, server)
    expected = searched(page, "food")[:10]
    assert expected
    # Every keystroke at once, none waiting for the one before: only "food"'s results stay.
    page.evaluate("""async () => {
      const box = document.getElementById('dir-q');
      const passes = [];
      for (const text of ['s', 'sh', 'she', 'shel', 'f', 'fo', 'foo', 'food']) {
        box.value = text;
        box.dispatchEvent(new Event('input', {bubbles: true}));
        passes.push(FieldappDirectory.renderOffline());
      }
      await Promise.all(passes);
    }""")
    assert names_shown(page) == expected
    phone.set_offline(False)


def test_the_first_results_are_those_of_the_whole_ranking(server, phone):
    """The worker orders only the results shown (and their ties): the first five asked alone
    are the first five of the whole list, for every prefix of a few searches."""
    page = phone.new_page()
    officer_ready(page, server.url)
    page.goto(f"{server.url}/directory/")
    words = [text[:end] for text in ("shelter", "food bank", "mental health", "youth", "legal")
             for end in range(1, len(text) + 1)]
    differ = page.evaluate("""(words) => FieldappOutbox.getKv('directory').then(async (d) => {
      const differ = [];
      for (const q of words) {
        const all = await FieldappDirectory.search(d.services, {q});
        const five = await FieldappDirectory.search(d.services, {q}, 5);
        const ids = (list) => list.map((s) => s.id).join();
        if (ids(five) !== ids(all.slice(0, 5)) || five.total !== all.length) differ.push(q);
      }
      return differ;
    })""", words)
    assert [] == differ
