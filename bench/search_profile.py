"""Profile of the directory search's cold path (issue 13): full pages and htmx fragments of
/directory/?q=... for the long-tail mix, results cache off, in one process with Flask's test
client (the same app, middleware, session and templates as under gunicorn, no sockets).

    .venv/bin/pip install pyinstrument        # or: .venv/bin/pip install -e '.[bench]'
    .venv/bin/python bench/search_profile.py [--size 4000] [--requests 600] [--db PATH]
                                             [--fragment] [--no-profile] [--warm N]
                                             [--mix long-tail|fixed] [--cache]

Prints ms per request (wall and CPU), the SQL statements per request, and pyinstrument's
call tree of the hottest frames.  --warm N: N requests before the measured ones (default 20:
templates compiled, catalogues loaded; 2000: a worker that has run a while, its cards kept).
--mix fixed --cache: the 8 fixed queries with the results cache on (the peer benchmark's
cache-hit run, in process).
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import directory_search as base  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=4000)
    parser.add_argument("--requests", type=int, default=600)
    parser.add_argument("--db", help="reuse this rich directory (built there when missing)")
    parser.add_argument("--fragment", action="store_true", help="htmx fragment requests")
    parser.add_argument("--no-profile", action="store_true")
    parser.add_argument("--warm", type=int, default=20,
                        help="requests before the measured ones (the long-tail mix from its end)")
    parser.add_argument("--mix", choices=("long-tail", "fixed"), default="long-tail")
    parser.add_argument("--cache", action="store_true", help="results cache on (the default "
                        "of a deployment; off here unless asked)")
    args = parser.parse_args()
    path = Path(args.db) if args.db else Path(tempfile.mkdtemp(prefix="dirprof-")) / "dir.db"
    if not path.exists():
        base.build_rich(path, args.size)
    queries = (base.long_tail_queries(path) if args.mix == "long-tail"
               else base.HTTP_QUERIES)

    create_app, _connect = base._app_modules()
    app = create_app({"DATABASE": str(path), "SECRET_KEY": "bench", "NOW": base.NOW.isoformat(),
                      **({} if args.cache else {"DIRECTORY_RESULTS_CACHE": 0})})
    log: list[str] = []
    app.extensions["fieldapp.query_log"] = log
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    client.post("/login", data={"csrf_token": token, "email": "officer@demo.test",
                                "password": "fieldapp-demo-2026"})
    headers = {"HX-Request": "true"} if args.fragment else {}
    urls = [f"/directory/?q={q.replace(' ', '+')}" for q in queries]
    for i in range(args.warm):  # warm-up: templates compiled, catalogues loaded (cards kept)
        assert client.get(urls[-1 - i % len(urls)], headers=headers).status_code == 200
    log.clear()
    profiler = None
    if not args.no_profile:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0005)
        profiler.start()
    walls = []
    cpu_started = time.process_time()
    for i in range(args.requests):
        started = time.perf_counter()
        response = client.get(urls[i % len(urls)], headers=headers)
        walls.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
    cpu_ms = (time.process_time() - cpu_started) * 1000 / args.requests
    if profiler:
        profiler.stop()
    statements = len(log) / args.requests
    print(f"{len(queries)} {args.mix} queries, {args.requests} requests "
          f"({'htmx fragment' if args.fragment else 'full page'}, after {args.warm} warm-up "
          f"requests), results cache {'on' if args.cache else 'off'}: "
          f"wall median {statistics.median(walls):.2f} ms, p95 "
          f"{base.percentile(walls, 95):.2f} ms; CPU {cpu_ms:.2f} ms/request "
          f"(profiler on: {bool(profiler)}); {statements:.1f} SQL statements/request")
    if profiler:
        print(profiler.output_text(unicode=True, color=False, show_all=False))


if __name__ == "__main__":
    main()
