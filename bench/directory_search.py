"""Directory search benchmark (issue 3): server time of a fixed query mix at 1,000 / 10,000 /
100,000 synthetic services, and requests/s of /directory?q=... under gunicorn against a
hello-world route on the same server in the same run.

    .venv/bin/python bench/directory_search.py [--sizes 1000,10000,100000] [--rounds 30]
                                               [--http-size 10000] [--http-requests 600]

- Directories are synthetic but realistic (names, descriptions, categories, populations,
  languages, weekly hours incl. split/overnight/24-7, phones, geolocated addresses around
  Halifax), inserted through the real schema (FTS triggers included).
- Server time = wall time of fieldapp.directory.search.search_services (the function behind
  /directory, with its card details) per query, in-process, after one warm-up round.
- HTTP: gunicorn --no-control-socket, 2 sync workers, 127.0.0.1 only, 4 client threads, a
  bounded number of requests per route (the hello route is added by this script's factory);
  run twice: with the rendered-results cache (the default; the fixed mix of 8 searches is then
  served from it after the first request of each per worker) and with it off
  (FIELDAPP_DIRECTORY_RESULTS_CACHE=0: every request searches and renders).
- Peak RSS: this process (ru_maxrss) and each gunicorn worker (VmHWM).
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import random
import re
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BIN = ROOT / ".venv" / "bin"

PLACES = ["Halifax", "Dartmouth", "Bedford", "Sackville", "Spryfield", "Fairview", "Clayton Park",
          "Cole Harbour", "Eastern Passage", "Timberlea", "North End", "South End", "Woodside",
          "Tantallon", "Musquodoboit", "Porters Lake", "Hammonds Plains", "Lakeside"]
KINDS = [
    ("Emergency Shelter", "housing_shelter", "Emergency beds, meals and showers"),
    ("Youth Drop-in", "youth", "Drop-in space with snacks, laundry and youth workers"),
    ("Seniors' Outreach", "seniors", "Home visits and wellness checks for seniors living alone"),
    ("Food Bank", "food_basic_needs", "Groceries and emergency food hampers"),
    ("Community Meal", "food_basic_needs", "Free hot meals, everyone welcome"),
    ("Crisis Line", "mental_health_crisis", "Confidential telephone support in a crisis"),
    ("Mobile Crisis Team", "mental_health_crisis", "Clinicians attend mental-health crises"),
    ("Addiction Counselling", "substance_use", "Counselling for substance use and gambling"),
    ("Withdrawal Management", "substance_use", "Supervised withdrawal from alcohol and drugs"),
    ("Legal Aid Clinic", "legal", "Free legal advice on housing, benefits and family law"),
    ("Tenant Rights Line", "legal", "Advice for tenants facing eviction"),
    ("Family Resource Centre", "family", "Parenting programs and family support workers"),
    ("Veterans Peer Support", "veterans", "Veteran-to-veteran support and navigation"),
    ("Community Health Clinic", "health", "Walk-in primary care and nursing"),
    ("Benefits Navigation", "income", "Help applying for income assistance and tax benefits"),
    ("Sécurité alimentaire", "food_basic_needs", "Programme de sécurité alimentaire, épicerie"),
    ("Services en français", "family", "Soutien aux familles francophones, intervenants"),
]
QUALIFIERS = ["Society", "Centre", "Program", "Services", "Network", "Association", "Hub",
              "Project", "Initiative", "Outreach"]
SENTENCES = [
    "Staff are trained in trauma-informed care and de-escalation.",
    "No referral needed; walk-ins welcome during open hours.",
    "Interpretation available on request in many languages.",
    "Wheelchair accessible entrance and washrooms.",
    "Call ahead after hours; a worker returns calls the next morning.",
    "Eligibility: residents of the municipality; no fees.",
    "Bring identification if you have it; nobody is turned away without it.",
    "Officers may refer people with their consent.",
    "Harm-reduction supplies and naloxone kits available.",
    "Services offered in English and French.",
]
POPULATIONS = ["child_under_12", "youth_12_17", "senior_65_plus", "veteran", "mental_health",
               "substance_use", "unsheltered", "chronically_involved"]
LANGS = ["en", "fr", "ar", "es", "zh", "mic", "fa", "uk"]
WEEKDAYS = "MO,TU,WE,TH,FR"
ALL = "MO,TU,WE,TH,FR,SA,SU"
HOURS = [
    [(WEEKDAYS, "09:00", "17:00")],
    [(WEEKDAYS, "08:30", "12:00"), (WEEKDAYS, "13:00", "16:30")],
    [(ALL, "00:00", "24:00")],
    [(ALL, "20:00", "08:00")],
    [("TU,TH", "10:00", "16:00"), ("SA", "09:00", "12:00")],
    [("MO,WE,FR", "18:00", "21:00")],
]
QUERY_MIX = [
    {"q": "shelter"},
    {"q": "shel"},
    {"q": "mental health crisis"},
    {"q": "youth", "category": "youth"},
    {"q": "food", "open_now": True},
    {"q": "securite"},
    {"q": "", "category": "housing_shelter", "open_now": True},
    {"q": "counselling", "language": "fr"},
    {"q": "", "accepts_referrals": True, "population": "senior_65_plus"},
    {"q": "", "near": (44.65, -63.58, 3.0)},
    {"q": "legal aid", "near": (44.65, -63.58, 10.0)},
    {"q": 'dartmouth "AND NEAR( -*'},
]
HTTP_QUERIES = ["shelter", "shel", "mental+health", "food&open=1", "securite",
                "&category=housing_shelter&open=1", "counselling&language=fr", "legal+aid"]
NOW = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)  # a Wednesday, 11:00 in Halifax


def _app_modules():
    import fieldapp.accounts  # noqa: F401  (import order of the foundation)
    from fieldapp import create_app
    from fieldapp.db import connect

    return create_app, connect


def build(path: Path, size: int, seed: int = 3) -> float:
    """A directory of `size` synthetic services (plus the demo data and users) at `path`."""
    create_app, connect = _app_modules()
    from fieldapp import demo

    app = create_app({"DATABASE": str(path), "SECRET_KEY": "bench",
                      "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    started = time.perf_counter()
    db = connect(str(path))
    demo.load(db, app.config, "2026-03-04T15:00:00+00:00")
    rng = random.Random(seed)
    now = "2026-03-04T15:00:00+00:00"
    orgs, services, cats, locations, addresses, sals, phones, langs, schedules, partners = \
        [], [], [], [], [], [], [], [], [], []
    org_ids = []
    for i in range(max(1, size // 5)):
        oid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        org_ids.append(oid)
        orgs.append({"id": oid, "name": f"{rng.choice(PLACES)} {rng.choice(KINDS)[0]} "
                     f"{rng.choice(QUALIFIERS)} {i}", "description": "Synthetic organization.",
                     "created_at": now, "updated_at": now})
    for _ in range(size):
        sid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        kind, category, lead = rng.choice(KINDS)
        place = rng.choice(PLACES)
        services.append({
            "id": sid, "organization_id": rng.choice(org_ids),
            "name": f"{place} {kind} {rng.choice(QUALIFIERS)}",
            "description": f"{lead} in {place}. " + " ".join(rng.sample(SENTENCES, 3)),
            "status": "active", "accepts_referrals": rng.random() < 0.4,
            "intake_phone": f"902-555-{rng.randrange(10000):04d}",
            "populations": json.dumps(rng.sample(POPULATIONS, rng.randrange(0, 3))),
            "keywords": "", "assured_date": f"2025-{rng.randrange(1, 13):02d}-15",
            "created_at": now, "updated_at": now})
        for code in {category, rng.choice(KINDS)[1]}:
            cats.append((sid, code))
        lid = str(uuid.uuid5(uuid.NAMESPACE_URL, sid + "/loc"))
        locations.append({"id": lid, "organization_id": services[-1]["organization_id"],
                          "name": f"{place} site", "location_type": "physical",
                          "latitude": 44.65 + rng.uniform(-0.25, 0.25),
                          "longitude": -63.58 + rng.uniform(-0.35, 0.35), "confidential": 0})
        addresses.append({"id": str(uuid.uuid5(uuid.NAMESPACE_URL, sid + "/adr")),
                          "location_id": lid, "address_1": f"{rng.randrange(1, 999)} Main St",
                          "city": place, "state_province": "NS", "postal_code": "B3K 0A1",
                          "country": "CA", "address_type": "physical"})
        sals.append({"id": str(uuid.uuid5(uuid.NAMESPACE_URL, sid + "/sal")), "service_id": sid,
                     "location_id": lid})
        phones.append({"id": str(uuid.uuid5(uuid.NAMESPACE_URL, sid + "/ph")), "service_id": sid,
                       "number": f"902-555-{rng.randrange(10000):04d}", "type": "voice"})
        for code in {"en", rng.choice(LANGS)}:
            langs.append({"id": str(uuid.uuid5(uuid.NAMESPACE_URL, sid + "/l/" + code)),
                          "service_id": sid, "code": code, "name": code})
        for j, (byday, opens, closes) in enumerate(rng.choice(HOURS)):
            schedules.append({"id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{sid}/s/{j}")),
                              "service_id": sid, "freq": "WEEKLY", "byday": byday,
                              "opens_at": opens, "closes_at": closes})
        if rng.random() < 0.3:
            partners.append((sid, rng.choice(["HRP", "RCMP"])))
    with db.atomic():
        db["organization"].insert_all(orgs, batch_size=1000)
        db["service"].insert_all(services, batch_size=1000)
        db.conn.executemany("INSERT OR IGNORE INTO service_category VALUES (?, ?)", cats)
        db.conn.executemany("INSERT OR IGNORE INTO service_partnership VALUES (?, ?)", partners)
        for table, rows in (("location", locations), ("address", addresses),
                            ("service_at_location", sals), ("phone", phones),
                            ("language", langs), ("schedule", schedules)):
            db[table].insert_all(rows, batch_size=1000)
    db.execute("ANALYZE")
    db.execute("PRAGMA optimize")
    elapsed = time.perf_counter() - started
    db.conn.close()
    return elapsed


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def time_queries(path: Path, rounds: int) -> dict:
    _create_app, connect = _app_modules()
    from fieldapp.directory import search

    db = connect(str(path))
    timings: list[float] = []
    per_query: dict[str, list[float]] = {}
    results = {}
    for round_number in range(rounds + 1):
        for query in QUERY_MIX:
            args = dict(query)
            q = args.pop("q")
            started = time.perf_counter()
            found = search.search_services(db, q, now=NOW, tz="America/Halifax", limit=21, **args)
            elapsed = (time.perf_counter() - started) * 1000
            if round_number:  # round 0 warms the caches
                timings.append(elapsed)
                per_query.setdefault(json.dumps(query), []).append(elapsed)
                results[json.dumps(query)] = len(found)
    from fieldapp.directory import snapshot

    started = time.perf_counter()
    data = snapshot.dumps(snapshot.build(db, NOW.isoformat())).encode()
    snapshot_ms = (time.perf_counter() - started) * 1000
    db.conn.close()
    slowest = max(per_query, key=lambda k: statistics.median(per_query[k]))
    return {"p50": percentile(timings, 50), "p95": percentile(timings, 95),
            "max": max(timings), "n": len(timings), "slowest": slowest,
            "slowest_p50": statistics.median(per_query[slowest]), "results": results,
            "per_query": {k: (statistics.median(v), percentile(v, 95))
                          for k, v in per_query.items()},
            "snapshot_ms": snapshot_ms, "snapshot_bytes": len(data)}


# --- HTTP under gunicorn ------------------------------------------------------------------------


def wsgi_app():
    """gunicorn factory: the real app plus a hello-world route (public) for the ratio."""
    create_app, _connect = _app_modules()
    from fieldapp.security import public

    app = create_app()

    @public
    def bench_hello():
        return "hello"

    app.add_url_rule("/bench-hello", "bench_hello", bench_hello)
    return app


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def status_kb(pid: int, field: str) -> int:
    text = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(rf"{field}:\s+(\d+) kB", text).group(1))


def login(base: str) -> http.cookiejar.CookieJar:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/login").read().decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode({"csrf_token": token, "email": "officer@demo.test",
                                   "password": "fieldapp-demo-2026"}).encode()
    opener.open(f"{base}/login", data=data).read()
    return jar


def load(base: str, jar, urls: list[str], total: int, threads: int = 4) -> tuple[float, dict]:
    statuses: dict = {}
    lock = threading.Lock()
    counter = iter(range(total))

    def worker():
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                return
            try:
                response = opener.open(base + urls[i % len(urls)])
                response.read()
                code = response.status
                if "/login" in response.geturl():
                    code = "login page"  # the session was lost: not a search result
            except urllib.error.HTTPError as error:
                code = error.code
            with lock:
                statuses[code] = statuses.get(code, 0) + 1

    started = time.perf_counter()
    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return total / (time.perf_counter() - started), statuses


def http_bench(path: Path, requests: int, cache: bool = True) -> dict:
    """Requests/s of the search mix and of hello world on one gunicorn server.  With `cache`
    off (FIELDAPP_DIRECTORY_RESULTS_CACHE=0) every search is run and rendered again."""
    env = {**os.environ, "FIELDAPP_DATABASE": str(path), "FIELDAPP_SECRET_KEY": "bench-only",
           "FIELDAPP_NOW": NOW.isoformat(),
           **({} if cache else {"FIELDAPP_DIRECTORY_RESULTS_CACHE": "0"})}
    port = free_port()
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "--no-control-socket", "--workers", "2",
         "--bind", f"127.0.0.1:{port}", "bench.directory_search:wsgi_app()"],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(f"{base}/bench-hello").read()
                break
            except OSError:
                time.sleep(0.1)
        jar = login(base)
        search_urls = [f"/directory/?q={q}" for q in HTTP_QUERIES]
        load(base, jar, search_urls + ["/bench-hello"], 40)  # warm-up
        hello_rps, hello_status = load(base, jar, ["/bench-hello"], requests)
        search_rps, search_status = load(base, jar, search_urls, requests)
        hello_rps2, _ = load(base, jar, ["/bench-hello"], requests)
        workers = [int(p) for p in subprocess.run(
            ["pgrep", "-P", str(server.pid)], capture_output=True, text=True).stdout.split()]
        peaks = [status_kb(pid, "VmHWM") / 1024 for pid in workers]
    finally:
        server.terminate()
        server.wait(timeout=10)
    hello = (hello_rps + hello_rps2) / 2
    return {"hello_rps": hello, "search_rps": search_rps, "ratio": search_rps / hello,
            "statuses": {"hello": hello_status, "search": search_status},
            "worker_peak_mb": peaks}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--http-size", type=int, default=10000)
    parser.add_argument("--http-requests", type=int, default=600)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    tmp = Path(tempfile.mkdtemp(prefix="dirbench-"))
    rows = []
    for size in sizes:
        path = tmp / f"dir-{size}.db"
        build_s = build(path, size)
        timing = time_queries(path, args.rounds)
        mb = path.stat().st_size / 2**20
        rows.append((size, build_s, timing, mb))
        print(f"{size:>7} services: build {build_s:6.1f} s, db {mb:6.1f} MB, search p50 "
              f"{timing['p50']:.2f} ms, p95 {timing['p95']:.2f} ms, max {timing['max']:.1f} ms "
              f"(n={timing['n']}; slowest {timing['slowest']} p50 {timing['slowest_p50']:.2f} ms)",
              flush=True)
        print(f"         snapshot: {timing['snapshot_bytes'] / 1024:.0f} KiB "
              f"({timing['snapshot_bytes'] / size:.0f} B/service incl. demo), built in "
              f"{timing['snapshot_ms']:.0f} ms", flush=True)
        for query, (p50, p95) in timing["per_query"].items():
            print(f"         {query}: p50 {p50:.2f} ms, p95 {p95:.2f} ms, "
                  f"{timing['results'][query]} results", flush=True)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"bench process peak RSS: {rss:.1f} MB")
    if args.http_size:
        path = tmp / f"dir-{args.http_size}.db"
        if not path.exists():
            build(path, args.http_size)
        for cache in (True, False):
            result = http_bench(path, args.http_requests, cache=cache)
            print(f"HTTP at {args.http_size} services, results cache "
                  f"{'on (the default)' if cache else 'off'}: /directory?q= "
                  f"{result['search_rps']:.0f} req/s, hello {result['hello_rps']:.0f} req/s, "
                  f"ratio {result['ratio']:.2f}; statuses {result['statuses']}; "
                  "worker peak RSS (MB) " + ", ".join(f"{p:.1f}" for p in result["worker_peak_mb"]),
                  flush=True)
    for path in tmp.glob("*"):
        path.unlink()
    tmp.rmdir()


if __name__ == "__main__":
    main()
