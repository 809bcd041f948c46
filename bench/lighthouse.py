"""Lighthouse (mobile) on the officer's log-contact form and the partner's inbox (issue 15's
budget: performance >= 95, accessibility 100), served by gunicorn with the demo data.  Bench
only, not part of `make test`.

    .venv/bin/python bench/lighthouse.py [--runs 3] [--all]

Lighthouse is the pinned devDependency of package.json (`npm ci` installs it; 12.2.3, since 13
needs Node 22), run on Debian's Chromium (CHROME_PATH, default /usr/bin/chromium) with its
default mobile emulation and throttling.  Pages behind login get the user's session cookie as
an extra header.  `--all` adds the login page and the officer's directory and referral pages.
Each page runs `--runs` times; the line shows the median run by performance.  Reports go to
bench/out/lighthouse/ (git-ignored).
"""

import argparse
import http.cookiejar
import json
import os
import re
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.screenshots import PASSWORD, serve_demo  # noqa: E402

LIGHTHOUSE = ROOT / "node_modules" / ".bin" / "lighthouse"
OUT = ROOT / "bench" / "out" / "lighthouse"
FLAGS = ("--headless=new --no-sandbox --disable-gpu --disable-background-networking "
         "--disable-component-update --disable-sync --no-first-run --disable-quic")
# (page, who is logged in: None for nobody)
PAGES = [("/contacts/new", "officer"), ("/referrals/", "partner")]
MORE = [("/login", None), ("/directory/", "officer"), ("/directory/?q=shelter", "officer"),
        ("/referrals/", "officer")]


def session_cookie(base: str, who: str) -> str:
    """The Cookie header of a fresh session of the demo user `who`."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(base + "/login").read().decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    opener.open(base + "/login", data=urllib.parse.urlencode({
        "csrf_token": token, "email": f"{who}@demo.test", "password": PASSWORD}).encode()).read()
    return "; ".join(f"{c.name}={c.value}" for c in jar)


def run_once(url: str, cookie: str | None, report: Path) -> dict:
    headers = json.dumps({"Cookie": cookie} if cookie else {})
    subprocess.run(
        [LIGHTHOUSE, url, "--quiet", "--output=json", f"--output-path={report}",
         "--only-categories=performance,accessibility", "--form-factor=mobile",
         f"--chrome-flags={FLAGS}", f"--extra-headers={headers}",
         "--disable-full-page-screenshot"],
        check=True, env={**os.environ, "CHROME_PATH": os.environ.get("CHROME_PATH",
                                                                     "/usr/bin/chromium")})
    result = json.loads(report.read_text())
    categories, audits = result["categories"], result["audits"]
    failed = [a for a in categories["accessibility"]["auditRefs"]
              if audits[a["id"]]["score"] is not None and audits[a["id"]]["score"] < 1]
    return {
        "performance": round(categories["performance"]["score"] * 100),
        "accessibility": round(categories["accessibility"]["score"] * 100),
        "fcp": audits["first-contentful-paint"]["displayValue"],
        "lcp": audits["largest-contentful-paint"]["displayValue"],
        "tbt": audits["total-blocking-time"]["displayValue"],
        "cls": audits["cumulative-layout-shift"]["displayValue"],
        "a11y_failed": [a["id"] for a in failed],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--all", action="store_true")
    args = parser.parse_args()
    if not LIGHTHOUSE.exists():
        raise SystemExit("Lighthouse is missing: run `npm ci` (or `make setup`) first.")
    OUT.mkdir(parents=True, exist_ok=True)
    with open("/proc/loadavg") as f:
        print("load average before:", " ".join(f.read().split()[:3]))
    with tempfile.TemporaryDirectory() as folder:
        server, base = serve_demo(Path(folder), workers=2)
        try:
            cookies = {}
            for page, who in PAGES + (MORE if args.all else []):
                cookie = None
                if who:
                    cookies.setdefault(who, session_cookie(base, who))
                    cookie = cookies[who]
                name = re.sub(r"[^a-z0-9]+", "_", f"{who or 'anyone'}{page}").strip("_")
                runs = [run_once(base + page, cookie, OUT / f"{name}_{n}.json")
                        for n in range(args.runs)]
                runs.sort(key=lambda r: r["performance"])
                median = runs[len(runs) // 2]
                scores = ", ".join(str(r["performance"]) for r in runs)
                print(f"{page} ({who or 'logged out'}): performance {median['performance']} "
                      f"(runs: {scores}), "
                      f"accessibility {median['accessibility']}, FCP {median['fcp']}, "
                      f"LCP {median['lcp']}, TBT {median['tbt']}, CLS {median['cls']}"
                      + (f", failed: {median['a11y_failed']}" if median["a11y_failed"] else ""))
        finally:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    main()
