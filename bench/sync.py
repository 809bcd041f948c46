"""Server time to apply a phone's batch of 500 queued contacts, and to replay it.

    .venv/bin/python bench/sync.py [--contacts 500] [--rounds 3]

Builds the app on a temporary database with the demo data, then for each round:
  1. POST /api/sync with N new contacts (one person) through the app, as a logged-in officer
     (everything a real request does: session, CSRF, JSON, audit), timed;
  2. replays the same batch (what a phone does when the answer was lost), timed;
  3. applies the batch again directly with fieldapp.pwa.store.apply_batch on one connection and
     counts the rows it wrote with sqlite3's total_changes (goal: 0 on replay).
Prints a Markdown table; peak RSS is this process's (VmHWM).
"""

import argparse
import hashlib
import os
import re
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from itsdangerous import URLSafeTimedSerializer  # noqa: E402

from fieldapp import clock, create_app, demo  # noqa: E402
from fieldapp.db import connect, get_db  # noqa: E402

PASSWORD = "bench password not secret"
NOW = "2026-03-02T14:00:00+00:00"


def peak_rss_mb() -> float:
    text = Path("/proc/self/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", text).group(1)) / 1024


def make_batch(n: int) -> dict:
    person = {"id": str(uuid.uuid4()), "alias": "Bench Person (demo)", "birth_year": 1980,
              "flags": [], "created_at": "2026-03-02T13:00:00+00:00"}
    contacts = []
    for i in range(n):
        contacts.append({
            "id": str(uuid.uuid4()), "occurred_at": f"2026-03-02T{8 + i % 5:02d}:{i % 60:02d}:00Z",
            "place_text": f"Bench place {i % 40} (demo)", "kind": "wellness_check",
            "populations": ["senior_65_plus"] if i % 3 else [], "outcome": "information_given",
            "note": "", "is_group": 0, "person_id": person["id"] if i == 0 else None})
    return {"people": [person], "contacts": contacts}


def logged_in_client(app):
    client = app.test_client()

    def token() -> str:
        with client.session_transaction() as session:
            raw = session.setdefault("csrf_token", hashlib.sha1(os.urandom(64)).hexdigest())
        return URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token").dumps(raw)

    response = client.post("/login", data={"email": "officer@demo.test", "password": PASSWORD,
                                           "csrf_token": token()})
    assert response.status_code == 302, response.status_code
    return client, token()


def timed_post(client, token, batch) -> tuple[float, dict]:
    start = time.perf_counter()
    response = client.post("/api/sync", json=batch, headers={"X-CSRFToken": token})
    elapsed = time.perf_counter() - start
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    counts: dict = {}
    for items in response.get_json()["results"].values():
        for item in items:
            counts[item["status"]] = counts.get(item["status"], 0) + 1
    return elapsed, counts


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contacts", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"TESTING": False, "DATABASE": str(Path(tmp) / "bench.db"),
                          "SECRET_KEY": "bench", "DEMO_PASSWORD": PASSWORD, "NOW": NOW,
                          "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
        with app.app_context():
            demo.load(get_db(), app.config, clock.iso())
        client, token = logged_in_client(app)

        from fieldapp.pwa import store

        first, replay, direct_ms, writes, statuses = [], [], [], [], []
        for _ in range(args.rounds):
            batch = make_batch(args.contacts)
            elapsed, counts = timed_post(client, token, batch)
            first.append(elapsed)
            statuses.append(counts)
            elapsed, counts = timed_post(client, token, batch)
            replay.append(elapsed)
            statuses.append(counts)
            db = connect(app.config["DATABASE"])
            user = next(db.query("select * from user where email = 'officer@demo.test'"))
            before = db.conn.total_changes
            start = time.perf_counter()
            with app.app_context():
                results = store.apply_batch(db, batch, user, NOW)
            direct_ms.append(time.perf_counter() - start)
            writes.append(db.conn.total_changes - before)
            assert all(r["status"] == "unchanged" for items in results.values() for r in items)
            db.conn.close()

    n = args.contacts
    print(f"| figure ({n} contacts + 1 person, median of {args.rounds}) | value | goal |")
    print("|---|---|---|")
    print(f"| first sync, POST /api/sync | {statistics.median(first) * 1000:.0f} ms "
          f"({statuses[0]}) | ≤ 2 s |")
    print(f"| replay of the same batch, POST /api/sync | {statistics.median(replay) * 1000:.0f} ms "
          f"({statuses[1]}) | ≤ 2 s |")
    print(f"| replay, store only (apply_batch) | {statistics.median(direct_ms) * 1000:.0f} ms | |")
    print(f"| rows written by a replay (total_changes) | {max(writes)} | ≈ 0 |")
    print(f"| peak RSS of the process | {peak_rss_mb():.1f} MB | |")


if __name__ == "__main__":
    main()
