"""Many people at once, under gunicorn: a shift's phones syncing while partners, coordinators
and searchers use the pages (bench/loadmix.py runs the clients).

    .venv/bin/python bench/concurrency.py                  # the whole set below
    .venv/bin/python bench/concurrency.py --only mix       # shift change only
    .venv/bin/python bench/concurrency.py --only soak      # page soak only

1. Shift change: 50 phones (batches of 25 contacts), 10 searchers (long-tail queries a cache
   never saw), 2 listing editors, 2 partners accepting and 2 officers on the contact form, at
   2x4 and 4x4 workers x threads, with synchronous FULL (the default) and NORMAL.  Prints
   contacts/s, refused valid items, 5xx, p95 of search and sync under load, worker peak RSS.
   Everyone first acts back to back (the server's ceiling: every answer queues behind the
   others), then at people's pace (a phone's batch every 1.25 s, about 1 s between a person's
   actions), which is what the latency of the other clients should be judged at.
2. Soak: 5 / 20 / 50 / 100 people using the pages (contact form, search, partner accepts,
   listing edits; no phones), 4x4: answers >= 500 and p95 per stage.

Every acknowledged contact is checked in the database afterwards (stored exactly once).
"""

import argparse
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import loadmix  # noqa: E402


def stored(path: str, ids) -> int:
    conn = sqlite3.connect(path)
    conn.execute("create temp table acked (id text primary key)")
    conn.executemany("insert into acked values (?)", [(i,) for i in ids])
    n = conn.execute("select count(*) from contact join acked using (id)").fetchone()[0]
    conn.close()
    return n


def one_run(workers, threads, synchronous, seconds, **mix):
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "bench.db")
        ids = loadmix.prepare(path, referrals=2000, synchronous=synchronous)
        server = loadmix.Server(path, workers=workers, threads=threads, synchronous=synchronous)
        try:
            start = time.perf_counter()
            stats = loadmix.run(server.url, seconds, referral_ids=ids["referral_ids"],
                                service_ids=ids["service_ids"], **mix)
            elapsed = time.perf_counter() - start
            rss = server.worker_rss_mb()
        finally:
            server.stop()
        return stats, elapsed, rss, stored(path, stats.acknowledged)


def shift_change(seconds: float) -> None:
    print("### Shift change: 50 phones (25 contacts a batch), 10 searchers, 2 editors, "
          "2 partners, 2 contact forms\n")
    print("| workers x threads | synchronous | contacts/s | refused | 5xx | search p95 | "
          "sync p95 | accepts | edits | worker peak RSS | stored = acknowledged |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for workers, threads in ((2, 4), (4, 4)):
        for synchronous in ("FULL", "NORMAL"):
            stats, elapsed, rss, n = one_run(
                workers, threads, synchronous, seconds, phones=50, officers=2, partners=2,
                editors=2, searchers=10, batch_size=25)
            print(f"| {workers}x{threads} | {synchronous} | "
                  f"{len(stats.acknowledged) / elapsed:,.0f} | {len(stats.refused)} | "
                  f"{sum(stats.server_errors().values())} | {stats.p95_ms('search'):.0f} ms | "
                  f"{stats.p95_ms('sync'):.0f} ms | {len(stats.accepted)} | {stats.edits} | "
                  f"{max(rss):.1f} MB | {n == len(stats.acknowledged)} ({n:,}) |", flush=True)
            if stats.errors:
                print("client errors:", stats.errors[:3])
    print("\n### Shift change at people's pace: 50 phones each sending 25 contacts every "
          "1.25 s (1,000 contacts/s offered); 10 searchers, 2 contact forms, 2 partners and "
          "2 editors pausing about 1 s between actions; 4x4\n")
    print("| synchronous | contacts/s | refused | 5xx | search p50 | search p95 | sync p95 | "
          "contact form p95 | accept p95 | edit p95 | worker peak RSS |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for synchronous in ("FULL", "NORMAL"):
        stats, elapsed, rss, n = one_run(
            4, 4, synchronous, seconds, phones=50, officers=2, partners=2, editors=2,
            searchers=10, batch_size=25, phone_interval=1.25, think=1.0)
        assert n == len(stats.acknowledged)
        print(f"| {synchronous} | {len(stats.acknowledged) / elapsed:,.0f} | "
              f"{len(stats.refused)} | {sum(stats.server_errors().values())} | "
              f"{stats.median_ms('search'):.0f} ms | {stats.p95_ms('search'):.0f} ms | "
              f"{stats.p95_ms('sync'):.0f} ms | {stats.p95_ms('contact_form'):.0f} ms | "
              f"{stats.p95_ms('accept'):.0f} ms | {stats.p95_ms('edit'):.0f} ms | "
              f"{max(rss):.1f} MB |", flush=True)


def soak(seconds: float) -> None:
    print("\n### Soak: people using the pages at once (4x4, synchronous FULL)\n")
    print("| people | requests | 5xx | refused | page p95 | search p95 | contact form p95 | "
          "accept p95 | edit p95 | worker peak RSS |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for people in (5, 20, 50, 100):
        officers = max(1, people * 4 // 10)
        searchers = max(1, people * 4 // 10)
        partners = max(1, people * 15 // 100)
        editors = max(1, people - officers - searchers - partners)
        stats, _elapsed, rss, _n = one_run(4, 4, "FULL", seconds, phones=0, officers=officers,
                                           partners=partners, editors=editors,
                                           searchers=searchers)
        requests = sum(stats.statuses.values())
        print(f"| {people} | {requests:,} | {sum(stats.server_errors().values())} | "
              f"{len(stats.refused)} | {stats.p95_ms('page'):.0f} ms | "
              f"{stats.p95_ms('search'):.0f} ms | {stats.p95_ms('contact_form'):.0f} ms | "
              f"{stats.p95_ms('accept'):.0f} ms | {stats.p95_ms('edit'):.0f} ms | "
              f"{max(rss):.1f} MB |", flush=True)
        if stats.errors:
            print("client errors:", stats.errors[:3])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--only", choices=["mix", "soak"])
    args = parser.parse_args()
    if args.only in (None, "mix"):
        shift_change(args.seconds)
    if args.only in (None, "soak"):
        soak(args.seconds)


if __name__ == "__main__":
    main()
