"""Referrals benchmark: sending (the store path of the form and the sync), replaying, and the
partner inbox, the officer's list, the coordinator's page over a large referral table.

    .venv/bin/python bench/referrals.py [--referrals 20000]

Prints figures for bench/RESULTS.md (## referrals).  Server time only (test client, no network,
SMTP_HOST empty so no e-mail is sent).
"""

import argparse
import json
import random
import resource
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import fieldapp.accounts  # noqa: E402,F401  (blueprint imports start at accounts)
from fieldapp.db import connect  # noqa: E402
from fieldapp.referrals import store  # noqa: E402
from tests.support import login, make_app  # noqa: E402
from tests.support.referrals import (  # noqa: E402
    OFFICER_ID,
    SVC_ALT_CRISIS,
    SVC_CRISIS,
    SVC_YOUTH,
    add_services,
    referral_item,
)

NOW = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(label, fn, repeat=1):
    start = time.perf_counter()
    for _ in range(repeat):
        result = fn()
    ms = (time.perf_counter() - start) * 1000 / repeat
    print(f"| {label} | {ms:.1f} ms | {rss_mb():.0f} MB |")
    return result


def bulk(db, n: int) -> None:
    """n referrals inserted directly (the table a busy year leaves), spread over services."""
    rng = random.Random(5)
    services = [(SVC_CRISIS, "6f1c2d3e-5a4b-4c8d-9e0f-000000000001"),
                (SVC_YOUTH, "6f1c2d3e-5a4b-4c8d-9e0f-000000000002"),
                (SVC_ALT_CRISIS, "6f1c2d3e-5a4b-4c8d-9e0f-000000000003")]
    rows = []
    for _ in range(n):
        service, org = rng.choice(services)
        sent = NOW - timedelta(minutes=rng.randint(60, 60 * 24 * 365))
        status = rng.choice(["accepted", "declined", "connected", "closed", "closed"])
        rows.append({"id": str(uuid.uuid4()), "service_id": service, "organization_id": org,
                     "officer_id": OFFICER_ID, "police_service": "HRP",
                     "urgency": rng.choice(["urgent", "today", "this_week"]),
                     "consent": "verbal", "shared": json.dumps(["name"]),
                     "person_name": "Bench Person", "status": status,
                     "created_at": sent.isoformat(), "sent_at": sent.isoformat(),
                     "accepted_at": (sent + timedelta(minutes=20)).isoformat()
                     if status in ("accepted", "connected", "closed") else None})
    db["referral"].insert_all(rows, batch_size=2000)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--referrals", type=int, default=20000)
    parser.add_argument("--send", type=int, default=500)
    args = parser.parse_args()
    app = make_app(Path(tempfile.mkdtemp()), NOW=NOW.isoformat())
    db = connect(app.config["DATABASE"])
    add_services(db)
    officer = next(db.query("select * from user where id = ?", [OFFICER_ID]))
    items = [referral_item() for _ in range(args.send)]
    print("| figure | server time | peak RSS |\n|---|---|---|")
    with app.test_request_context():
        now = NOW.isoformat()
        start = time.perf_counter()
        for item in items:
            assert "created" == store.apply_referral(db, item, officer, now)["status"]
        per = (time.perf_counter() - start) * 1000 / args.send
        print(f"| send {args.send} referrals (apply_referral, each its own transaction) |"
              f" {per:.2f} ms each | {rss_mb():.0f} MB |")
        start = time.perf_counter()
        for item in items:
            assert "unchanged" == store.apply_referral(db, item, officer, now)["status"]
        per = (time.perf_counter() - start) * 1000 / args.send
        print(f"| replay the same {args.send} (unchanged, nothing written) | {per:.2f} ms each |"
              f" {rss_mb():.0f} MB |")
    bulk(db, args.referrals)
    db.execute("analyze")
    total = db["referral"].count
    partner, officer_client, coordinator = (app.test_client() for _ in range(3))
    login(partner, "partner")
    login(officer_client, "officer")
    login(coordinator, "coordinator")
    hx = {"HX-Request": "true"}
    print(f"\n{total} referrals in the table\n")
    print("| page | server time (mean of 10) | peak RSS |\n|---|---|---|")
    timed("partner inbox /referrals/ (htmx fragment, 200 rows)",
          lambda: partner.get("/referrals/", headers=hx), 10)
    timed("partner inbox, unanswered filter",
          lambda: partner.get("/referrals/?status=unanswered", headers=hx), 10)
    timed("officer list /referrals/ (100 rows + overdue)",
          lambda: officer_client.get("/referrals/", headers=hx), 10)
    timed("coordinator page (200 rows + response times over 90 days)",
          lambda: coordinator.get("/referrals/"), 10)
    one = items[0]["id"]
    timed("referral detail (partner)", lambda: partner.get(f"/referrals/{one}"), 10)
    with app.app_context():
        timed("overdue_referrals (police service)", lambda: store.overdue_referrals(
            db, police_service="HRP", now=NOW.isoformat(), minutes=30), 10)


if __name__ == "__main__":
    main()
