"""Peer benchmark (issue 13): fieldapp's directory search against a bare Flask "hello" and
Datasette serving the same services with FTS5, in one run, on one machine.

    .venv/bin/pip install -e '.[bench]'      # Datasette: a bench-only extra, never at run time
    .venv/bin/python bench/peer_search.py [--size 4000] [--duration 10] [--workers 2]
                                          [--connections 8] [--loader auto|wrk|python]
                                          [--keep DIR] [--only hello,datasette,fieldapp]
                                          [--warm SECONDS] [--threads N]

- Data: a generated directory of --size services (bench/directory_search.py's generator, made
  richer here: long bilingual descriptions, 3-5 taxonomy terms, 2-3 locations and 2-3 phones
  per service, 2-4 languages, keywords), inserted through the real schema (FTS triggers).
  Datasette gets the same services exported to its own SQLite file with FTS5 on name +
  description (sqlite-utils), served immutable.
- Servers: gunicorn with the same --workers for all three (sync workers for the WSGI apps
  unless --threads,
  uvicorn workers for Datasette, which is ASGI), 127.0.0.1 only.
- Load: wrk (if installed; a Lua script cycles through the mix, p95 from wrk's histogram),
  else a small keep-alive Python load generator; the output says which.
- Mixes: (a) the 8 fixed queries of bench/directory_search.py (Datasette gets their words as
  `_search`; it has no open-now or category filters); (b) >= 300 distinct two-word queries
  built from the directory's own taxonomy words and service names, each matching >= 2 services
  in both fieldapp's index and Datasette's.
- fieldapp runs with its results cache on (the default) and off
  (FIELDAPP_DIRECTORY_RESULTS_CACHE=0).
- --threads N: gunicorn gthread workers with N threads for hello and fieldapp alike (what
  deploy/fieldapp.service runs: --threads 4); by default sync workers.
- --warm SECONDS: before each run, that many seconds of warm-up (every server alike: workers
  that have run a while, their caches and SQLite's page cache warm); by default 1 s over 50
  paths (fresh workers: fieldapp renders most cards for the first time during the run).  The
  long-tail runs warm up on 320 *other* long-tail queries, never on those measured: every
  measured query is one the workers never saw before the run (the issue's "nobody searched it
  in the last minute"), only the listings they show may have been shown before.
- --keep DIR: build the two databases there once and reuse them on later runs (else a
  temporary directory, removed at the end).  --only: the servers to run (ratios need hello and
  Datasette in the same run).
- Printed per run: req/s, ratio to hello, ratio to Datasette JSON on the same mix, CPU ms per
  request (utime + stime of the worker processes over the run / requests), p50 and p95.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import sqlite_utils

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BIN = ROOT / ".venv" / "bin"

from bench import directory_search as base  # noqa: E402

CLOCK_TICK = os.sysconf("SC_CLK_TCK")
MORE_SENTENCES = [
    "Case managers help people find stable housing and apply for benefits.",
    "Peer support workers with lived experience of homelessness and addiction.",
    "Outreach workers visit encampments, parks and transit stations every evening.",
    "Drop-in hours include a hot lunch, laundry, showers and a clothing bank.",
    "Counsellors offer short-term crisis counselling and safety planning.",
    "Referrals to detox, withdrawal management and opioid agonist treatment.",
    "Help with eviction notices, rent arrears and tenancy board hearings.",
    "Respite care gives family caregivers a break for a few hours each week.",
    "Food pantry open to anyone in need; no proof of income required.",
    "Transportation vouchers for medical appointments and court dates.",
    "Services for newcomers and refugees, with settlement workers on site.",
    "Culturally safe programs led by Indigenous elders and knowledge keepers.",
]
FRENCH_SENTENCES = [
    "Services offerts en français et en anglais, sans rendez-vous.",
    "Soutien aux familles, aux aînés et aux jeunes en situation de crise.",
    "Aide au logement, banque alimentaire et repas communautaires gratuits.",
    "Intervenants formés en santé mentale et en toxicomanie.",
    "Accompagnement juridique pour les locataires menacés d'expulsion.",
]
KEYWORDS = ["food pantry", "respite care", "eviction help", "detox", "naloxone",
            "peer support", "drop-in", "housing first", "hot meal", "legal aid",
            "crisis counselling", "newcomers", "caregivers", "clothing bank"]
PHONE_TYPES = ["voice", "text", "fax", "hotline"]


# --- data ----------------------------------------------------------------------------------


def build(path: Path, size: int, seed: int = 13) -> float:
    """directory_search.build, then richer listings (see the module docstring)."""
    from fieldapp.db import connect
    from fieldapp.directory import categories

    started = time.perf_counter()
    base.build(path, size, seed=seed)
    rng = random.Random(seed)
    codes = [c.code for c in categories.CATEGORIES]
    db = connect(str(path))
    rows = list(db.query("SELECT id, organization_id, description FROM service "
                         "WHERE name NOT LIKE '%(demo)'"))
    cats, locations, addresses, sals, phones, langs = [], [], [], [], [], []
    with db.atomic():
        for row in rows:
            sid = row["id"]
            text = row["description"] + " " + " ".join(rng.sample(MORE_SENTENCES, 5))
            if rng.random() < 0.3:
                text += " " + " ".join(rng.sample(FRENCH_SENTENCES, 2))
            db.execute("UPDATE service SET description = ?, keywords = ? WHERE id = ?",
                       [text, ", ".join(rng.sample(KEYWORDS, 3)), sid])
            cats += [(sid, code) for code in rng.sample(codes, rng.randrange(2, 4))]
            for n in range(rng.randrange(1, 3)):
                lid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{sid}/peer-loc/{n}"))
                place = rng.choice(base.PLACES)
                locations.append({"id": lid, "organization_id": row["organization_id"],
                                  "name": f"{place} satellite site", "location_type": "physical",
                                  "latitude": 44.65 + rng.uniform(-0.25, 0.25),
                                  "longitude": -63.58 + rng.uniform(-0.35, 0.35),
                                  "confidential": 1 if rng.random() < 0.05 else 0})
                addresses.append({"id": str(uuid.uuid5(uuid.NAMESPACE_URL, lid + "/adr")),
                                  "location_id": lid, "address_1": f"{rng.randrange(1, 999)} "
                                  f"{rng.choice(['Gottingen', 'Barrington', 'Portland'])} St",
                                  "city": place, "state_province": "NS",
                                  "postal_code": "B3K 0A1", "country": "CA",
                                  "address_type": "physical"})
                sals.append({"id": str(uuid.uuid5(uuid.NAMESPACE_URL, lid + "/sal")),
                             "service_id": sid, "location_id": lid})
            for n in range(rng.randrange(1, 3)):
                phones.append({"id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{sid}/peer-ph/{n}")),
                               "service_id": sid, "number": f"902-555-{rng.randrange(10000):04d}",
                               "type": rng.choice(PHONE_TYPES)})
            for code in rng.sample(base.LANGS, rng.randrange(1, 4)):
                langs.append({"id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{sid}/peer-l/{code}")),
                              "service_id": sid, "code": code, "name": code})
        db.conn.executemany("INSERT OR IGNORE INTO service_category VALUES (?, ?)", cats)
        for table, items in (("location", locations), ("address", addresses),
                             ("service_at_location", sals), ("phone", phones),
                             ("language", langs)):
            db[table].insert_all(items, batch_size=1000, ignore=True)
    base.merge_index(db)  # as the HSDS import leaves the words index (one segment)
    db.execute("ANALYZE")
    db.conn.close()
    return time.perf_counter() - started


def export_for_datasette(source: Path, target: Path) -> int:
    """The same listed services in a Datasette database, FTS5 on name + description."""
    import sqlite_utils

    src = sqlite_utils.Database(source)
    rows = list(src.query(
        "SELECT id, name, organization_name AS organization, description, category_text "
        "FROM service WHERE archived_at IS NULL "
        "AND coalesce(status, 'active') NOT IN ('inactive', 'defunct')"))
    out = sqlite_utils.Database(target)
    out["services"].insert_all(rows, pk="id")
    out["services"].enable_fts(["name", "description"], fts_version="FTS5")
    out.conn.execute("ANALYZE")
    out.conn.commit()
    out.conn.close()
    return len(rows)


def long_tail(fieldapp_db: Path, peer_db: Path, want: int = 320, seed: int = 13) -> list[str]:
    """Distinct two-word queries from the taxonomy words and service names, each matching at
    least two services in fieldapp's index and in Datasette's."""
    import sqlite_utils

    from fieldapp.directory import categories, search

    app_db = sqlite_utils.Database(fieldapp_db)
    peer = sqlite_utils.Database(peer_db)
    words = set()
    for category in categories.CATEGORIES:
        words.update(w for w in category.search_text.split() if len(w) > 3)
    for (name,) in app_db.execute("SELECT name FROM service"):
        words.update(w.lower() for w in search.WORD.findall(name)
                     if len(w) > 3 and not w.isdigit() and w.lower() != "demo")
    words = sorted(words)
    rng = random.Random(seed)
    pairs = list(itertools.combinations(words, 2))
    rng.shuffle(pairs)
    found: list[str] = []
    for a, b in pairs:
        q = f"{a} {b}"
        ours = app_db.execute("SELECT count(*) FROM service_fts WHERE service_fts MATCH ?",
                              [search.fts_query(q)]).fetchone()[0]
        if ours < 2:
            continue
        theirs = peer.execute("SELECT count(*) FROM services_fts WHERE services_fts MATCH ?",
                              [f'"{a}" "{b}"']).fetchone()[0]
        if theirs >= 2:
            found.append(q)
            if len(found) >= want:
                break
    return found


# --- servers -------------------------------------------------------------------------------


def hello_app():
    """gunicorn factory: a bare Flask hello."""
    from flask import Flask

    app = Flask("hello")
    app.add_url_rule("/", "hello", lambda: "hello")
    return app


def datasette_app():
    """gunicorn factory (uvicorn worker): Datasette on PEER_DB, immutable."""
    from datasette.app import Datasette

    return Datasette(immutables=[os.environ["PEER_DB"]]).app()


class Server:
    def __init__(self, target: str, workers: int, env: dict, asgi: bool = False,
                 threads: int = 1):
        self.port = base.free_port()
        kind = (["-k", "uvicorn.workers.UvicornWorker"] if asgi
                else ["--threads", str(threads)] if threads > 1 else [])
        self.process = subprocess.Popen(
            [str(BIN / "gunicorn"), "--no-control-socket", "--workers", str(workers), *kind,
             "--bind", f"127.0.0.1:{self.port}", target],
            env={**os.environ, **env}, cwd=ROOT, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        self.base = f"http://127.0.0.1:{self.port}"

    def wait(self, path: str) -> None:
        for _ in range(300):
            try:
                urllib.request.urlopen(self.base + path).read()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"{self.base}{path} did not answer")

    def workers(self) -> list[int]:
        out = subprocess.run(["pgrep", "-P", str(self.process.pid)], capture_output=True,
                             text=True).stdout
        return [int(p) for p in out.split()]

    def cpu_seconds(self) -> float:
        total = 0
        for pid in self.workers():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except FileNotFoundError:
                continue
            total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / CLOCK_TICK

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=15)


# --- load ----------------------------------------------------------------------------------

WRK_SCRIPT = """
local paths = %s
local i = 0
wrk.headers["Cookie"] = %s
init = function(args) i = math.random(#paths) end
request = function()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests": %%d, "seconds": %%f, "p50_ms": %%f, "p95_ms": %%f, ' ..
    '"errors": %%d, "non2xx": %%d}\\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000,
    latency:percentile(95) / 1000, e.connect + e.read + e.write + e.timeout, e.status))
end
"""


def lua_string(text: str) -> str:
    return json.dumps(text)  # a JSON string is a valid Lua string literal for these paths


def run_wrk(server: Server, paths: list[str], cookie: str, seconds: float,
            connections: int) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT % ("{" + ", ".join(lua_string(p) for p in paths) + "}",
                                   lua_string(cookie)))
    try:
        out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{max(1, int(seconds))}s",
                              "-s", script.name, server.base], capture_output=True, text=True,
                             check=True).stdout
    finally:
        os.unlink(script.name)
    line = next(x for x in out.splitlines() if x.startswith("RESULT "))
    return json.loads(line[len("RESULT "):])


def run_python(server: Server, paths: list[str], cookie: str, seconds: float,
               connections: int) -> dict:
    """Keep-alive clients in threads, each cycling through the paths from its own offset."""
    latencies: list[float] = []
    errors = [0, 0]  # failed requests, non-2xx answers
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def client(offset: int):
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        mine, bad = [], [0, 0]
        for n in itertools.count(offset):
            if time.perf_counter() >= deadline:
                break
            started = time.perf_counter()
            try:
                conn.request("GET", paths[n % len(paths)], headers={"Cookie": cookie})
                response = conn.getresponse()
                response.read()
                if not 200 <= response.status < 300:
                    bad[1] += 1
            except (OSError, http.client.HTTPException):
                bad[0] += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
                continue
            mine.append(time.perf_counter() - started)
        with lock:
            latencies.extend(mine)
            errors[0] += bad[0]
            errors[1] += bad[1]

    started = time.perf_counter()
    pool = [threading.Thread(target=client, args=(i * 37,)) for i in range(connections)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    elapsed = time.perf_counter() - started
    return {"requests": len(latencies), "seconds": elapsed,
            "p50_ms": base.percentile(latencies, 50) * 1000 if latencies else 0,
            "p95_ms": base.percentile(latencies, 95) * 1000 if latencies else 0,
            "errors": errors[0], "non2xx": errors[1]}


def measure(loader, server: Server, paths: list[str], cookie: str, seconds: float,
            connections: int, warm: float = 0, warm_paths: list[str] | None = None) -> dict:
    """One run after a warm-up over `warm_paths` (default: the measured `paths`): 1 s over
    their first 50, or with `warm`, that many seconds over all of them (every server alike: a
    worker that has run a while)."""
    warm_paths = warm_paths or paths
    if warm:
        loader(server, warm_paths, cookie, warm, connections)
    else:
        loader(server, warm_paths[:50], cookie, 1, connections)
    cpu = server.cpu_seconds()
    result = loader(server, paths, cookie, seconds, connections)
    result["cpu_ms"] = (server.cpu_seconds() - cpu) * 1000 / max(1, result["requests"])
    result["rps"] = result["requests"] / result["seconds"]
    return result


# --- the run -------------------------------------------------------------------------------


def fieldapp_paths(queries: list[str]) -> list[str]:
    return [f"/directory/?q={urllib.parse.quote_plus(q)}" for q in queries]


def datasette_paths(queries: list[str]) -> list[str]:
    return [f"/peer/services.json?_size=20&_search={urllib.parse.quote_plus(q)}" if q
            else "/peer/services.json?_size=20" for q in queries]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=4000)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--loader", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument("--keep", help="build the databases in this directory once, reuse them")
    parser.add_argument("--threads", type=int, default=1,
                        help="gunicorn threads per worker for hello and fieldapp alike (> 1: "
                        "gthread workers, as deploy/fieldapp.service runs; default: sync)")
    parser.add_argument("--warm", type=float, default=0,
                        help="seconds of warm-up over the whole mix before each run, every "
                        "server alike (default: 1 s over the mix's first 50 paths)")
    parser.add_argument("--only", default="hello,datasette,fieldapp",
                        help="the servers to run, separated by commas")
    args = parser.parse_args()
    only = set(args.only.split(","))
    use_wrk = args.loader == "wrk" or (args.loader == "auto" and shutil.which("wrk"))
    loader = run_wrk if use_wrk else run_python
    tmp = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="peerbench-"))
    tmp.mkdir(parents=True, exist_ok=True)
    app_db, peer_db = tmp / "fieldapp.db", tmp / "peer.db"
    build_s = 0.0
    if not (app_db.exists() and peer_db.exists()):
        app_db.unlink(missing_ok=True)
        peer_db.unlink(missing_ok=True)
        build_s = build(app_db, args.size)
        export_for_datasette(app_db, peer_db)
    exported = sqlite_utils.Database(peer_db)["services"].count
    # The measured long-tail queries, and as many others for the warm-up only.
    queries = long_tail(app_db, peer_db, want=640)
    tail, others = queries[:320], queries[320:]
    fixed_words = [urllib.parse.parse_qs("q=" + q).get("q", [""])[0]
                   for q in base.HTTP_QUERIES]
    print(f"directory: {args.size} generated services (+ demo), {exported} exported to "
          f"Datasette, built in {build_s:.0f} s; long-tail mix: {len(tail)} distinct queries "
          f"(each >= 2 matches; {len(others)} others for the warm-up); "
          f"loader: {'wrk' if use_wrk else 'python (wrk not installed)'}, "
          f"{args.connections} connections, {args.duration:g} s per run, "
          f"{args.workers} workers per server", flush=True)
    results: dict[str, dict] = {}
    env = {"FIELDAPP_DATABASE": str(app_db), "FIELDAPP_SECRET_KEY": "bench-only",
           "FIELDAPP_NOW": base.NOW.isoformat()}
    try:
        if "hello" in only:
            hello = Server("bench.peer_search:hello_app()", args.workers, {},
                           threads=args.threads)
            hello.wait("/")
            results["hello"] = measure(loader, hello, ["/"], "", args.duration,
                                       args.connections, args.warm)
            hello.stop()
        peer = None if "datasette" not in only else Server(
            "bench.peer_search:datasette_app()", args.workers, {"PEER_DB": str(peer_db)},
            asgi=True)
        if peer:
            peer.wait("/peer/services.json?_size=1")
            results["datasette fixed"] = measure(loader, peer, datasette_paths(fixed_words), "",
                                                 args.duration, args.connections, args.warm)
            results["datasette long-tail"] = measure(
                loader, peer, datasette_paths(tail), "", args.duration, args.connections,
                args.warm, datasette_paths(others))
            peer.stop()
        for cache in (True, False) if "fieldapp" in only else ():
            app = Server("bench.directory_search:wsgi_app()", args.workers,
                         {**env, **({} if cache else {"FIELDAPP_DIRECTORY_RESULTS_CACHE": "0"})},
                         threads=args.threads)
            app.wait("/bench-hello")
            jar = base.login(app.base)
            cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
            label = "cache on" if cache else "cache off"
            fixed = [f"/directory/?q={q}" for q in base.HTTP_QUERIES]
            results[f"fieldapp fixed, {label}"] = measure(
                loader, app, fixed, cookie, args.duration, args.connections, args.warm)
            results[f"fieldapp long-tail, {label}"] = measure(
                loader, app, fieldapp_paths(tail), cookie, args.duration, args.connections,
                args.warm, fieldapp_paths(others))
            app.stop()
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    hello_rps = results.get("hello", {}).get("rps")
    print(f"{'run':<30} {'req/s':>8} {'×hello':>7} {'×Datasette':>10} {'CPU ms/req':>10} "
          f"{'p50 ms':>7} {'p95 ms':>7} {'errors':>6} {'non-2xx':>7}")
    for name, r in results.items():
        mix = "long-tail" if "long-tail" in name else "fixed"
        peer_rps = results.get(f"datasette {mix}", {}).get("rps")
        vs_peer = f"{r['rps'] / peer_rps:.2f}" if peer_rps and name != "hello" else "-"
        vs_hello = f"{r['rps'] / hello_rps:.2f}" if hello_rps else "-"
        print(f"{name:<30} {r['rps']:>8.0f} {vs_hello:>7} {vs_peer:>10} "
              f"{r['cpu_ms']:>10.2f} {r['p50_ms']:>7.1f} {r['p95_ms']:>7.1f} "
              f"{r['errors']:>6} {r['non2xx']:>7}", flush=True)


if __name__ == "__main__":
    main()
