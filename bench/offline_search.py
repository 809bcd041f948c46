"""Phone search speed (issue 13): the offline directory search (static/js/offline-directory.js,
MiniSearch) on a generated snapshot, in headless Chromium at phone size with the CPU throttled
4x (DevTools protocol Emulation.setCPUThrottlingRate).

    .venv/bin/python bench/offline_search.py [--size 5000] [--throttle 4]

- The directory: bench/peer_search.py's generator (long bilingual descriptions, several
  categories, locations, phones and languages per service), served by the real app (werkzeug,
  127.0.0.1); an officer logs in and the page stores the real snapshot in IndexedDB.
- Index build: the first search of the snapshot (it builds the index) less a later search of
  the same words; memory: the JS heap (CDP Runtime.getHeapUsage after a forced GC) with and
  without the index.
- Per keystroke: every prefix of a fixed list of typed searches (typos, accents, two words),
  the page's own offline handler (renderOffline: search + up to 100 cards) with layout forced;
  and the search alone.
- Kept in IndexedDB instead of rebuilt?  The same index serialized and loaded back
  (MiniSearch.loadJSON) is timed against the build.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import threading
from pathlib import Path

from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import directory_search as base  # noqa: E402
from bench import peer_search  # noqa: E402

TYPED = ["shelter", "shleter", "mental health", "food bank dartmouth", "counselling",
         "sécurité alimentaire", "youth drop", "legal aid", "withdrawal", "respite care"]
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 2}


def serve(path: Path):
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    import fieldapp.accounts  # noqa: F401  (import order of the foundation)
    from fieldapp import create_app

    app = create_app({"DATABASE": str(path), "SECRET_KEY": "bench-only"})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


def heap_mb(cdp) -> float:
    cdp.send("HeapProfiler.collectGarbage")
    return cdp.send("Runtime.getHeapUsage")["usedSize"] / 2**20


def main() -> None:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=5000)
    parser.add_argument("--throttle", type=float, default=4.0)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="offlinebench-"))
    path = tmp / "dir.db"
    peer_search.build(path, args.size)
    server, url = serve(path)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium",
                                        args=["--no-sandbox", "--disable-gpu"])
            context = browser.new_context(**PHONE)
            page = context.new_page()
            page.goto(f"{url}/login")
            page.fill("#email", "officer@demo.test")
            page.fill("#password", "fieldapp-demo-2026")
            page.click("button[type=submit].primary")
            page.wait_for_url(f"{url}/contacts/new")
            snapshot_ready = """() => FieldappOutbox.getKv('directory')
                .then((d) => !!d && (window.snap = d).services.length > 0)"""
            page.goto(f"{url}/directory/")
            page.wait_for_function(snapshot_ready, polling=200, timeout=120000)
            # The service worker's first install may reload the page: start again once it
            # controls the page and everything is settled.
            page.evaluate("navigator.serviceWorker.ready.then(() => true)")
            if not page.evaluate("!!navigator.serviceWorker.controller"):
                page.reload()
            page.wait_for_function("() => !!navigator.serviceWorker.controller", timeout=60000)
            page.wait_for_load_state("networkidle")
            page.goto(f"{url}/directory/")
            page.wait_for_load_state("networkidle")
            page.wait_for_function(snapshot_ready, polling=200, timeout=120000)
            count = page.evaluate("window.snap.services.length")
            snapshot_kb = page.evaluate("JSON.stringify(window.snap).length") / 1024
            page.evaluate("FieldappDirectory.ready()")
            page.evaluate("FieldappDirectory.renderOffline()")  # the page's own copy's index
            cdp = context.new_cdp_session(page)
            cdp.send("Emulation.setCPUThrottlingRate", {"rate": args.throttle})
            before = heap_mb(cdp)
            first = page.evaluate("""() => { const t = performance.now();
                FieldappDirectory.search(window.snap.services, {q: 'shelter'});
                return performance.now() - t; }""")
            with_index = heap_mb(cdp)
            again = page.evaluate("""() => { const t = performance.now();
                FieldappDirectory.search(window.snap.services, {q: 'shelter'});
                return performance.now() - t; }""")
            stored = page.evaluate("""() => {
                const options = {fields: ['name', 'org', 'cats', 'desc'],
                  extractField: (s, f) => f === 'cats' ? (s.cats || []).join(' ') : s[f]};
                let t = performance.now();
                const index = new MiniSearch(options);
                index.addAll(window.snap.services);
                const build = performance.now() - t;
                const json = JSON.stringify(index);
                t = performance.now();
                MiniSearch.loadJSON(json, options);
                return {build, load: performance.now() - t, kb: json.length / 1024}; }""")
            keystrokes, searches = [], []
            for text in TYPED:
                for end in range(1, len(text) + 1):
                    typed = text[:end]
                    searches.append(page.evaluate("""(q) => { const t = performance.now();
                        FieldappDirectory.search(window.snap.services, {q});
                        return performance.now() - t; }""", typed))
                    keystrokes.append(page.evaluate("""async (q) => {
                        document.getElementById('dir-q').value = q;
                        const t = performance.now();
                        await FieldappDirectory.renderOffline();
                        void document.body.offsetHeight;  // style and layout of the cards
                        return performance.now() - t; }""", typed))
            open_now = page.evaluate("""() => { const t = performance.now();
                FieldappDirectory.search(window.snap.services, {q: 'food', open: true});
                return performance.now() - t; }""")
            browser.close()
    finally:
        server.shutdown()
        for f in tmp.glob("*"):
            f.unlink()
        tmp.rmdir()
    print(f"snapshot: {count} services, {snapshot_kb:.0f} KiB JSON; Chromium, phone size, "
          f"CPU throttled {args.throttle:g}x")
    print(f"index build (first search less a repeat): {first - again:.0f} ms; "
          f"JS heap {before:.1f} MB -> {with_index:.1f} MB with the index "
          f"(+{with_index - before:.1f} MB)")
    print(f"kept in IndexedDB instead? build {stored['build']:.0f} ms vs loadJSON "
          f"{stored['load']:.0f} ms of a {stored['kb']:.0f} KiB serialized index "
          "(plus reading it from IndexedDB)")
    print(f"per keystroke ({len(keystrokes)} keystrokes, search + up to 100 cards + layout): "
          f"median {statistics.median(keystrokes):.1f} ms, "
          f"p95 {base.percentile(keystrokes, 95):.1f} ms, max {max(keystrokes):.1f} ms")
    print(f"search alone: median {statistics.median(searches):.1f} ms, "
          f"p95 {base.percentile(searches, 95):.1f} ms, max {max(searches):.1f} ms; "
          f"'food' open now {open_now:.1f} ms")


if __name__ == "__main__":
    main()
