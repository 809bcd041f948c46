"""Contacts benchmark: the sync write path (500 contacts, then the same 500 replayed), and the
"my contacts" page and a person page over a large table.

    .venv/bin/python bench/contacts.py [--contacts 250000]

Prints figures for bench/RESULTS.md (## contacts).  Server time only (test client, no network).
"""

import argparse
import random
import resource
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fieldapp.contacts import demo, store, vocab  # noqa: E402
from fieldapp.db import connect  # noqa: E402
from tests.support import login, make_app  # noqa: E402

OFFICER = {"id": demo.OFFICER_ID, "role": "officer", "police_service": "HRP", "team": None}


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def items(n: int, now: datetime) -> list[dict]:
    kinds, pops, outcomes = list(vocab.KINDS), list(vocab.POPULATIONS), list(vocab.OUTCOMES)
    rng = random.Random(1)
    return [{"id": str(uuid.uuid4()),
             "occurred_at": (now - timedelta(minutes=rng.randint(1, 60 * 24 * 7))).isoformat(),
             "place_id": demo.PLACE_LIBRARY, "kind": rng.choice(kinds),
             "populations": rng.sample(pops, rng.randint(0, 2)), "outcome": rng.choice(outcomes),
             "note": "bench", "is_group": 0} for _ in range(n)]


def bulk_fill(path: str, count: int, now: datetime) -> None:
    """Many contacts by both officers and 2,000 people, straight into SQLite."""
    db = connect(path)
    rng = random.Random(2)
    kinds, outcomes = list(vocab.KINDS), list(vocab.OUTCOMES)
    people = [str(uuid.uuid4()) for _ in range(2000)]
    db["person"].insert_all([{"id": p, "alias": f"P{i} (bench)", "police_service": "HRP",
                              "created_by": demo.OFFICER_ID, "created_at": now.isoformat()}
                             for i, p in enumerate(people)])
    rows, pops = [], []
    for _ in range(count):
        cid = str(uuid.uuid4())
        at = (now - timedelta(minutes=rng.randint(1, 60 * 24 * 365))).isoformat(timespec="seconds")
        rows.append({"id": cid, "officer_id": rng.choice([demo.OFFICER_ID, demo.OFFICER2_ID]),
                     "police_service": "HRP", "occurred_at": at, "created_at": at,
                     "place_id": demo.PLACE_LIBRARY, "kind": rng.choice(kinds),
                     "outcome": rng.choice(outcomes), "is_group": 0,
                     "person_id": rng.choice(people) if rng.random() < 0.3 else None})
        pops.append({"contact_id": cid, "population": "mental_health"})
    with db.atomic():
        db["contact"].insert_all(rows, batch_size=5000)
        db["contact_population"].insert_all(pops, batch_size=5000)
    db.execute("analyze")
    db.conn.close()


def timed(fn, repeat: int = 20) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    times.sort()
    return times[len(times) // 2] * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contacts", type=int, default=250_000)
    args = parser.parse_args()
    now = datetime.now(UTC)
    app = make_app(Path(tempfile.mkdtemp()))
    path = app.config["DATABASE"]

    db = connect(path)
    batch = items(500, now)
    start = time.perf_counter()
    statuses = [store.apply_contact(db, item, OFFICER, now.isoformat())["status"] for item in batch]
    first = time.perf_counter() - start
    start = time.perf_counter()
    replay = [store.apply_contact(db, item, OFFICER, now.isoformat())["status"] for item in batch]
    second = time.perf_counter() - start
    assert {"created"} == set(statuses) and {"unchanged"} == set(replay)
    db.conn.close()
    print(f"apply_contact x500: {first:.2f} s created, {second:.2f} s replayed (unchanged); "
          f"RSS {rss_mb():.0f} MB")

    start = time.perf_counter()
    bulk_fill(path, args.contacts, now)
    print(f"filled {args.contacts} contacts in {time.perf_counter() - start:.1f} s")
    client = app.test_client()
    login(client, "officer")
    coordinator = app.test_client()
    login(coordinator, "coordinator")
    page = timed(lambda: client.get("/contacts/"))
    page_coord = timed(lambda: coordinator.get("/contacts/"))
    filtered = timed(lambda: client.get("/contacts/?kind=wellness_check"))
    form = timed(lambda: client.get("/contacts/new"))
    person = timed(lambda: client.get(f"/contacts/people/{demo.PERSON_JD}"))
    print(f"GET /contacts/ officer (median of 20): {page:.1f} ms; coordinator {page_coord:.1f} "
          f"ms; filtered by kind {filtered:.1f} ms; GET /contacts/new {form:.1f} ms; "
          f"person page {person:.1f} ms; peak RSS {rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
