"""Worker peak memory (RSS) with every directory cache full (issue 13: < 100 MB a worker).

    .venv/bin/pip install -e '.[bench]'
    .venv/bin/python bench/search_memory.py [--keep DIR] [--seconds 25] [--threads 4]
                                            [--arenas 2]

gunicorn with 2 workers (gthread with --threads, as deploy/fieldapp.service runs them; 1: sync)
serves bench/peer_search.py's directory of 4,000 rich services (built once in --keep and
reused); an officer's session searches with wrk, 8 connections: the long-tail mix, each
query's page 2 and the fixed mix, --seconds in English, then as long in French (a second
session), every cache at its default.  Prints each worker's peak RSS (VmHWM).  --arenas N sets
MALLOC_ARENA_MAX for the workers as the service unit does (0: glibc's default).
"""

import argparse
import os
import re
import sys
import tempfile
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import directory_search as base  # noqa: E402
from bench import peer_search  # noqa: E402


def in_french(server: peer_search.Server, jar) -> str:
    """The session's language switched to French (the language form); its cookie header."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(server.base + "/directory/").read().decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    opener.open(server.base + "/language",
                urllib.parse.urlencode({"language": "fr", "csrf_token": token}).encode()).read()
    if "Rechercher" not in opener.open(server.base + "/directory/?q=food").read().decode():
        raise SystemExit("the French pages are missing (make translations)")
    return "; ".join(f"{c.name}={c.value}" for c in jar)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--keep", help="build the directory here once, reuse it")
    parser.add_argument("--seconds", type=float, default=25)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--arenas", type=int, default=2)
    args = parser.parse_args()
    tmp = Path(args.keep or tempfile.mkdtemp(prefix="searchmem-"))
    tmp.mkdir(parents=True, exist_ok=True)
    app_db, peer_db = tmp / "fieldapp.db", tmp / "peer.db"
    if not (app_db.exists() and peer_db.exists()):
        peer_search.build(app_db, 4000)
        peer_search.export_for_datasette(app_db, peer_db)
    tail = peer_search.fieldapp_paths(peer_search.long_tail(app_db, peer_db))
    paths = (tail + [p + "&page=2" for p in tail]
             + [f"/directory/?q={q}" for q in base.HTTP_QUERIES])
    env = {"FIELDAPP_DATABASE": str(app_db), "FIELDAPP_SECRET_KEY": "bench-only",
           "FIELDAPP_NOW": base.NOW.isoformat(),
           **({"MALLOC_ARENA_MAX": str(args.arenas)} if args.arenas else {})}
    server = peer_search.Server("bench.directory_search:wsgi_app()", 2, env,
                                threads=args.threads)
    requests = 0
    try:
        server.wait("/bench-hello")
        for language in ("en", "fr"):
            jar = base.login(server.base)
            cookie = (in_french(server, jar) if language == "fr"
                      else "; ".join(f"{c.name}={c.value}" for c in jar))
            requests += peer_search.run_wrk(server, paths, cookie, args.seconds, 8)["requests"]
        peaks = []
        for pid in server.workers():
            status = Path(f"/proc/{pid}/status").read_text()
            peaks.append(int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)))
    finally:
        server.stop()
    load = os.getloadavg()
    print(f"gunicorn 2 workers x {args.threads} threads, MALLOC_ARENA_MAX "
          f"{args.arenas or 'unset'}; {requests} requests over {len(paths)} paths, "
          f"{args.seconds:g} s in English then French; load {load[0]:.1f}")
    print("worker peak RSS (VmHWM): " + ", ".join(f"{kb / 1000:.1f} MB" for kb in peaks))


if __name__ == "__main__":
    main()
