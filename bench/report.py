"""Board report benchmark: a year of a 50-officer team, then the time to render the report.

    .venv/bin/python bench/report.py [--contacts 250000] [--referrals 40000] [--calls 100000]

Phase 1 (this process) builds a temp SQLite file through the app's migrations and fills it with
fast bulk inserts (executemany in one transaction): 50 officers of one team, ~40,000 people
(some merged), contacts over calendar year 2025 with populations, referrals with timestamps per
transition, 60 directory services with categories and partnerships, calls for service with
person keys (half of them linked to people).
Phase 2 (a fresh child process, so that its peak RSS is the app's alone) logs in as a
coordinator through the test client and times GET /reports/ and /reports/board.csv for the last
quarter and for the whole year, and the one-page summary, several runs each.  Prints a
Markdown table.
"""

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

NOW = "2026-01-15T12:00:00+00:00"
PASSWORD = "bench password not secret"
KINDS = ["school_visit", "community_engagement", "wellness_check", "mental_health",
         "disorderly_noncriminal", "substance_use", "housing_need", "chronic_followup",
         "family_concern", "senior_concern", "veteran_support", "basic_needs",
         "situation_table", "other", None]
POPULATIONS = ["child_under_12", "youth_12_17", "senior_65_plus", "veteran", "mental_health",
               "substance_use", "unsheltered", "chronically_involved"]
OUTCOMES = ["information_given", "warm_referral", "partner_on_scene", "deescalated",
            "safety_plan", "transported_safe_place", "declined_services", "unable_to_locate",
            "no_longer_needed", "escalated_police", "escalated_ambulance",
            "situation_table_referral", None]
CATEGORIES = ["mental_health_crisis", "housing_shelter", "youth", "seniors", "veterans",
              "substance_use", "food_basic_needs", "family", "legal", "health", "income"]
REASONS = ["no_capacity", "not_eligible", "duplicate", "person_declined"]


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def build(path: str, n_contacts: int, n_referrals: int, n_calls: int) -> dict:
    from fieldapp import create_app
    from fieldapp.accounts import store as accounts_store
    from fieldapp.db import connect

    app = create_app({"DATABASE": path, "SECRET_KEY": "bench", "NOW": NOW})
    db = connect(path)
    rng = random.Random(2025)
    start = datetime(2025, 1, 1, 4, tzinfo=UTC)
    year_seconds = 365 * 86400
    db.execute("PRAGMA foreign_keys = OFF")
    conn = db.conn
    with app.app_context():
        accounts_store.create_user(
            db, {"email": "coordinator@bench.test", "name": "Bench Coordinator",
                 "role": "coordinator", "police_service": "HRP", "team": "Bench",
                 "language": "en"},
            PASSWORD, hash_method="pbkdf2:sha256:1000", now=NOW)
    t0 = time.perf_counter()
    with db.atomic():
        officers = [f"officer-{i:02d}" for i in range(50)]
        conn.executemany(
            "insert into user (id, email, name, role, police_service, team, language, active,"
            " password_hash) values (?, ?, ?, 'officer', 'HRP', 'Bench', 'en', 1, 'x')",
            [(o, f"{o}@bench.test", o) for o in officers])
        orgs = [f"org-{i:02d}" for i in range(20)]
        conn.executemany("insert into organization (id, name) values (?, ?)",
                         [(o, f"Bench organization {o}") for o in orgs])
        services = [f"svc-{i:02d}" for i in range(60)]
        conn.executemany(
            "insert into service (id, organization_id, name, assured_date, archived_at)"
            " values (?, ?, ?, ?, ?)",
            [(s, orgs[i % 20], f"Bench service {i}",
              (start + timedelta(days=rng.randrange(-200, 380))).date().isoformat(),
              None if i % 15 else "2025-06-01T00:00:00+00:00") for i, s in enumerate(services)])
        conn.executemany("insert into service_category (service_id, category) values (?, ?)",
                         [(s, CATEGORIES[i % len(CATEGORIES)]) for i, s in enumerate(services)])
        conn.executemany(
            "insert into service_partnership (service_id, police_service) values (?, ?)",
            [(s, ps) for i, s in enumerate(services) for ps in ("HRP", "RCMP")
             if (i + (ps == "RCMP")) % 3])
        n_people = 40000
        people = [f"p{i:06d}" for i in range(n_people)]
        conn.executemany(
            "insert into person (id, alias, police_service, created_at, merged_into_id)"
            " values (?, ?, 'HRP', ?, ?)",
            [(p, f"Bench {i}", NOW, people[i - 1] if i % 200 == 0 else None)
             for i, p in enumerate(people)])
        contacts, populations, with_person = [], [], []
        for i in range(n_contacts):
            at = start + timedelta(seconds=rng.randrange(year_seconds))
            kind = rng.choice(KINDS)
            group = kind in ("school_visit", "community_engagement") and rng.random() < 0.5
            # Three contacts in four name a person: most of them one of ~3,000 people met
            # again and again, the rest anyone of the 40,000.
            if group or rng.random() < 0.25:
                person = None
            elif rng.random() < 0.6:
                person = people[int(rng.paretovariate(1.5) * 10) % 3000]
            else:
                person = rng.choice(people)
            cid = f"c{i:07d}"
            contacts.append((cid, officers[i % 50], iso(at), iso(at), kind,
                             rng.choice(OUTCOMES), person, int(group),
                             rng.randrange(5, 40) if group else None,
                             iso(at + timedelta(minutes=5)) if rng.random() < 0.005 else None))
            for population in rng.sample(POPULATIONS, rng.choice((0, 0, 1, 1, 2))):
                populations.append((cid, population))
            if person:
                with_person.append((cid, person, at, officers[i % 50]))
        conn.executemany(
            "insert into contact (id, officer_id, police_service, team, occurred_at, created_at,"
            " kind, outcome, person_id, is_group, headcount, deleted_at)"
            " values (?, ?, 'HRP', 'Bench', ?, ?, ?, ?, ?, ?, ?, ?)", contacts)
        conn.executemany("insert into contact_population (contact_id, population) values (?, ?)",
                         populations)
        referrals = []
        for i, (cid, person, at, officer) in enumerate(rng.sample(with_person, n_referrals)):
            sent = at + timedelta(minutes=rng.randrange(1, 120))
            stamps = {"received": None, "accepted": None, "declined": None, "connected": None}
            reason = None
            roll = rng.random()
            if roll < 0.9:
                stamps["received"] = sent + timedelta(hours=rng.uniform(0.1, 12))
            if roll < 0.7:
                stamps["accepted"] = stamps["received"] + timedelta(hours=rng.uniform(0.1, 48))
                if rng.random() < 0.8:
                    stamps["connected"] = stamps["accepted"] + timedelta(hours=rng.uniform(1, 96))
            elif roll < 0.85:
                stamps["declined"] = stamps["received"] + timedelta(hours=rng.uniform(0.1, 24))
                reason = rng.choice(REASONS)
            service = services[i % 60]
            referrals.append((f"r{i:07d}", cid, person, service, orgs[services.index(service)
                                                                      % 20],
                              officer, "sent", reason, iso(sent), iso(sent),
                              *(iso(s) if s else None for s in stamps.values())))
        conn.executemany(
            "insert into referral (id, contact_id, person_id, service_id, organization_id,"
            " officer_id, police_service, urgency, consent, status, status_reason, created_at,"
            " sent_at, received_at, accepted_at, declined_at, connected_at)"
            " values (?, ?, ?, ?, ?, ?, 'HRP', 'today', 'verbal', ?, ?, ?, ?, ?, ?, ?, ?)",
            referrals)
        keys = [f"K{i:06d}" for i in range(20000)]
        conn.executemany(
            "insert into person_key (person_key, person_id, linked_at) values (?, ?, ?)",
            [(k, people[i * 2], NOW) for i, k in enumerate(keys[:10000])])
        call_start = start - timedelta(days=180)
        conn.executemany(
            "insert into calls_for_service (id, called_at, call_type, person_key, imported_at)"
            " values (?, ?, ?, ?, ?)",
            [(f"call-{i:07d}",
              iso(call_start + timedelta(seconds=rng.randrange(year_seconds + 190 * 86400))),
              rng.choice(("disturbance", "wellbeing", "noise", "theft")),
              keys[int(rng.paretovariate(1.1) * 3) % 20000] if rng.random() < 0.8 else None,
              NOW) for i in range(n_calls)])
    db.execute("analyze")
    counts = {t: db[t].count for t in ("contact", "contact_population", "referral", "person",
                                       "calls_for_service", "person_key", "service")}
    db.conn.close()
    return {"seconds": round(time.perf_counter() - t0, 1), "counts": counts}


def peak_rss_mb() -> float:
    """This process's peak RSS (VmHWM; getrusage would report the parent's peak, which Linux
    carries across exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def measure(path: str, runs: int) -> dict:
    from fieldapp import create_app

    app = create_app({"DATABASE": path, "SECRET_KEY": "bench", "NOW": NOW,
                      "WTF_CSRF_ENABLED": False, "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    client = app.test_client()
    response = client.post("/login", data={"email": "coordinator@bench.test",
                                           "password": PASSWORD})
    assert response.status_code == 302, response.status_code
    urls = {
        "page, quarter (2025-Q4)": "/reports/?quarter=2025-Q4",
        "CSV, quarter (2025-Q4)": "/reports/board.csv?quarter=2025-Q4",
        "page, whole year 2025": "/reports/?start=2025-01-01&end=2025-12-31",
        "CSV, whole year 2025": "/reports/board.csv?start=2025-01-01&end=2025-12-31",
        "page, quarter, team filter": "/reports/?quarter=2025-Q4&team=Bench",
        "one-page summary, quarter (3 periods)": "/reports/summary?quarter=2025-Q4",
    }
    results = {}
    for name, url in urls.items():
        times, cpu = [], []
        for _ in range(runs):
            began, began_cpu = time.perf_counter(), time.process_time()
            response = client.get(url)
            times.append(time.perf_counter() - began)
            cpu.append(time.process_time() - began_cpu)
            assert response.status_code == 200, (url, response.status_code)
        results[name] = {"median_s": round(statistics.median(times), 3),
                         "max_s": round(max(times), 3),
                         "cpu_s": round(statistics.median(cpu), 3), "bytes": len(response.data)}
    results["sections"] = section_cpu(app, path, runs)
    results["threads"] = thread_cpu(app, client, runs, {
        "page, whole year 2025": urls["page, whole year 2025"],
        "one-page summary, quarter (3 periods)": urls["one-page summary, quarter (3 periods)"]})
    results["load"] = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    results["peak_rss_mb"] = peak_rss_mb()
    return results


def thread_cpu(app, client, runs: int, urls: dict) -> dict:
    """For each of `urls`: the CPU seconds of each report thread (median of runs; the wall
    of the queries is about the busier one's) and of the requesting thread (the Python
    around the queries: suppression, tables, rendering)."""
    import threading

    from fieldapp.reports import tables

    run_queries = tables.run_queries
    spent: dict = {}

    def timed(queries, db, open_db=None, workers=None):
        def wrap(query):
            def run(connection):
                began = time.thread_time()
                try:
                    return query(connection)
                finally:
                    name = threading.current_thread().name
                    spent[name] = spent.get(name, 0) + time.thread_time() - began
            return run
        return run_queries({name: wrap(q) for name, q in queries.items()}, db, open_db,
                           workers)

    tables.run_queries = timed
    results = {}
    try:
        for name, url in urls.items():
            per_run = []
            for _ in range(runs):
                spent.clear()
                began = time.thread_time()
                client.get(url)
                per_run.append({"request": time.thread_time() - began,
                                **{k: v for k, v in sorted(spent.items())}})
            results[name] = {key: round(statistics.median(run.get(key, 0) for run in per_run), 3)
                             for key in per_run[0]}
    finally:
        tables.run_queries = run_queries
    return results


def section_cpu(app, path: str, runs: int) -> dict:
    """CPU seconds (median of runs) of each of the report's store queries for the whole year,
    one after the other on a fresh connection each (the page runs them concurrently)."""
    from fieldapp.db import connect
    from fieldapp.reports import period, store

    with app.app_context():
        year = period.parse({"start": "2025-01-01", "end": "2025-12-31"},
                            datetime(2026, 1, 15).date(), app.config["TIMEZONE"])
        f = store.Filters(year.start_utc, year.end_utc)
        months = year.months()
        queries = {
            "people": lambda db: store.people(db, f),
            "people_cells": lambda db: store.people_cells(db, f, months),
            "repeat_calls": lambda db: store.repeat_calls(db, f, months=months),
            # as the page: every activity figure from the grid's one scan
            "contact_cells": lambda db: store.contact_cells(db, f, months),
            "mental_health": lambda db: store.mental_health(db, f, months),
            "referrals": lambda db: store.referrals(db, f, months),
            "populations (and population_cells)": lambda db: store.population_cells(db, f, months),
            "data_quality": lambda db: store.data_quality(db, f, NOW, "2026-01-15"),
            "partnerships": lambda db: store.partnerships(db, ["HRP", "RCMP"], f.end),
        }
        seconds = {}
        for name, query in queries.items():
            times = []
            for _ in range(runs):
                db = connect(path)
                began = time.thread_time()
                query(db)
                times.append(time.thread_time() - began)
                db.conn.close()
            seconds[name] = round(statistics.median(times), 3)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contacts", type=int, default=250000)
    parser.add_argument("--referrals", type=int, default=40000)
    parser.add_argument("--calls", type=int, default=100000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    parser.add_argument("--db", help="keep the built database at this path, and reuse it "
                        "when it exists (to profile the same data again)")
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.runs)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = args.db or str(Path(tmp) / "bench.db")
        if args.db and Path(args.db).exists():
            built = {"counts": "reused " + args.db, "seconds": 0}
        else:
            built = build(path, args.contacts, args.referrals, args.calls)
        build_rss = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
        size_mb = round(Path(path).stat().st_size / 1e6, 1)
        child = subprocess.run([sys.executable, __file__, "--measure", path, "--runs",
                                str(args.runs)], capture_output=True, text=True, check=True)
        measured = json.loads(child.stdout.strip().splitlines()[-1])
    print(f"Data: {built['counts']} in {built['seconds']} s; file {size_mb} MB; "
          f"builder peak RSS {build_rss} MB")
    print()
    print(f"Load average while measuring: {measured['load']}")
    print()
    print(f"| request ({args.runs} runs) | median wall | max wall | median CPU | response bytes |")
    print("|---|---|---|---|---|")
    for name, figures in measured.items():
        if isinstance(figures, dict) and "median_s" in figures:
            print(f"| {name} | {figures['median_s']} s | {figures['max_s']} s | "
                  f"{figures['cpu_s']} s | {figures['bytes']:,} |")
    print(f"| peak RSS of the measuring process | {measured['peak_rss_mb']} MB | | | |")
    print()
    for name, threads in measured["threads"].items():
        print(f"{name}, CPU of each thread (median): "
              + ", ".join(f"{thread} {cpu} s" for thread, cpu in threads.items()))
    print()
    print("Whole year, CPU of each store query run alone (median): "
          + ", ".join(f"{name} {cpu} s" for name, cpu in measured["sections"].items()))


if __name__ == "__main__":
    main()
