"""Directory search benchmark (issue 3): server time of a fixed query mix at 1,000 / 10,000 /
100,000 synthetic services, and requests/s of /directory?q=... under gunicorn against a
hello-world route on the same server in the same run.

    .venv/bin/python bench/directory_search.py [--sizes 1000,10000,100000] [--rounds 30]
                                               [--http-size 10000] [--http-requests 600]
                                               [--rich] [--db-dir /tmp/you]
                                               [--versus /tmp/you/search_main.py]

`--db-dir` keeps the built directories there and reuses them on the next run (the 100,000
rich one takes minutes to build), applying the migrations added since.  `--versus FILE` times
the long-tail mix with another search.py too (`git show main:fieldapp/directory/search.py >
FILE`), interleaved query by query with this tree's: a before/after at the same load.

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


def merge_index(db) -> None:
    # Lazy, like _app_modules: the app is imported in the foundation's order, on first use.
    from fieldapp.directory.search import merge_index as merge

    merge(db)


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
    merge_index(db)  # as the HSDS import and the migration leave the words index
    db.execute("ANALYZE")
    db.execute("PRAGMA optimize")
    elapsed = time.perf_counter() - started
    db.conn.close()
    return elapsed


# --- a rich 2-1-1 style directory and its long-tail query mix (issue 13) ------------------------

TAXONOMY = [
    "Food Pantries", "Soup Kitchens", "Emergency Food", "Home Delivered Meals", "Food Vouchers",
    "Community Gardens", "Emergency Shelter", "Homeless Shelter", "Transitional Housing",
    "Supportive Housing", "Rent Payment Assistance", "Eviction Prevention",
    "Housing Search Assistance", "Tenant Rights Information", "Landlord Tenant Mediation",
    "Utility Bill Assistance", "Respite Care", "Adult Day Programs", "Caregiver Support",
    "Home Health Care", "Detoxification", "Withdrawal Management", "Opioid Treatment",
    "Harm Reduction", "Needle Exchange", "Naloxone Distribution", "Alcohol Counselling",
    "Gambling Addiction", "Crisis Intervention", "Suicide Prevention", "Mobile Crisis Teams",
    "Mental Health Counselling", "Peer Support Groups", "Grief Counselling",
    "Domestic Violence Shelters", "Sexual Assault Support", "Victim Services",
    "Legal Aid", "Immigration Legal Services", "Court Support", "Family Law Advice",
    "Income Tax Preparation", "Benefits Screening", "Employment Counselling", "Job Training",
    "Financial Literacy", "Clothing Banks", "Furniture Banks", "Baby Supplies",
    "Parenting Education", "Child Care", "Youth Mentoring", "After School Programs",
    "Youth Shelters", "Seniors Outreach", "Friendly Visiting", "Medical Transportation",
    "Walk-in Clinics", "Dental Care", "Vision Care", "Prenatal Care", "Sexual Health",
    "Newcomer Settlement", "Language Classes", "Interpretation Services", "Veteran Services",
    "Indigenous Healing", "Literacy Programs", "Disability Support", "Hearing Impaired Services",
    "Showers Laundry", "Drop-in Centres", "Street Outreach", "Winter Warming Centres",
    "Pet Food Banks", "Telephone Reassurance", "Hoarding Support", "Anger Management",
    "Aide alimentaire", "Banque alimentaire", "Hébergement d'urgence", "Soutien aux aidants",
    "Santé mentale", "Aide juridique", "Répit familial", "Intervention de crise",
]
LANGUAGE_NAMES = {"en": "English", "fr": "French", "ar": "Arabic", "es": "Spanish",
                  "zh": "Chinese", "mic": "Mi'kmaq", "fa": "Persian", "uk": "Ukrainian",
                  "so": "Somali", "ti": "Tigrinya"}
LONG_SENTENCES = SENTENCES + [
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
    "Volunteers deliver groceries to people who cannot leave their homes.",
    "A nurse practitioner sees patients without a family doctor twice a week.",
    "Workshops cover budgeting, credit repair and filing taxes for free.",
]
FRENCH_SENTENCES = [
    "Services offerts en français et en anglais, sans rendez-vous.",
    "Soutien aux familles, aux aînés et aux jeunes en situation de crise.",
    "Aide au logement, banque alimentaire et repas communautaires gratuits.",
    "Intervenants formés en santé mentale et en toxicomanie.",
    "Accompagnement juridique pour les locataires menacés d'expulsion.",
    "Programme de répit pour les proches aidants, le soir et la fin de semaine.",
]
STREETS = ["Gottingen St", "Barrington St", "Portland St", "Main St", "Herring Cove Rd",
           "Cobequid Rd", "Quinpool Rd", "Wyse Rd", "Pleasant St", "Sackville Dr"]
PHONE_KINDS = ["voice", "voice", "text", "fax", "cell", "textphone"]


def build_rich(path: Path, size: int, seed: int = 13) -> float:
    """A realistic 2-1-1 style directory of `size` services (add_rich_services) plus the demo
    data and users, at `path`; returns the seconds it took."""
    create_app, connect = _app_modules()
    from fieldapp import demo

    app = create_app({"DATABASE": str(path), "SECRET_KEY": "bench",
                      "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    started = time.perf_counter()
    db = connect(str(path))
    demo.load(db, app.config, "2026-03-04T15:00:00+00:00")
    add_rich_services(db, size, seed)
    merge_index(db)  # as the HSDS import and the migration leave the words index
    db.execute("ANALYZE")
    db.execute("PRAGMA optimize")
    elapsed = time.perf_counter() - started
    db.conn.close()
    return elapsed


def migrate_kept(path: Path) -> None:
    """Apply the migrations added since a kept directory was built, and refresh the planner's
    statistics (as the build does)."""
    _create_app, connect = _app_modules()
    from fieldapp.db import migrate

    db = connect(str(path))
    migrate(db)
    db.execute("ANALYZE")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.conn.close()


def add_rich_services(db, size: int, seed: int = 13) -> None:
    """`size` realistic 2-1-1 style services inserted through the real schema: descriptions
    of 8-12 sentences (a third also in French), 4-9 taxonomy terms each (HSDS attribute rows
    and the keywords the FTS index reads), 1-3 categories, 2-4 locations and 2-4 phones, 1-4
    languages, weekly hours; a tenth of the listings are French-first."""
    from fieldapp.directory import categories

    rng = random.Random(seed)
    now = "2026-03-04T15:00:00+00:00"
    codes = [c.code for c in categories.CATEGORIES]
    terms = [{"id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"term/{seed}/{name}")), "name": name,
              "code": f"T{i:03d}", "taxonomy": "bench-211"} for i, name in enumerate(TAXONOMY)]
    rows = {t: [] for t in ("organization", "service", "location", "address",
                            "service_at_location", "phone", "language", "schedule", "attribute")}
    cats, org_ids = set(), []
    for i in range(max(1, size // 5)):
        oid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        org_ids.append(oid)
        rows["organization"].append({
            "id": oid, "name": f"{rng.choice(PLACES)} {rng.choice(KINDS)[0]} "
            f"{rng.choice(QUALIFIERS)} {i}", "description": "Synthetic organization.",
            "created_at": now, "updated_at": now})
    for _ in range(size):
        sid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        kind, category, lead = rng.choice(KINDS)
        place = rng.choice(PLACES)
        own_terms = rng.sample(terms, rng.randrange(4, 10))
        text = f"{lead} in {place}. " + " ".join(rng.sample(LONG_SENTENCES, rng.randrange(8, 13)))
        if rng.random() < 0.33:
            text += " " + " ".join(rng.sample(FRENCH_SENTENCES, 3))
        name = (f"{place} {own_terms[0]['name']} {rng.choice(QUALIFIERS)}"
                if rng.random() < 0.5 else f"{place} {kind} {rng.choice(QUALIFIERS)}")
        oid = rng.choice(org_ids)
        rows["service"].append({
            "id": sid, "organization_id": oid, "name": name,
            "alternate_name": own_terms[1]["name"] if rng.random() < 0.3 else None,
            "description": text, "status": "active", "accepts_referrals": rng.random() < 0.4,
            "intake_phone": f"902-555-{rng.randrange(10000):04d}",
            "populations": json.dumps(rng.sample(POPULATIONS, rng.randrange(0, 3))),
            "keywords": ", ".join(t["name"] for t in own_terms),
            "eligibility_description": "Residents of the region. " + rng.choice(LONG_SENTENCES),
            "assured_date": f"2025-{rng.randrange(1, 13):02d}-15",
            "alert": "Closed on statutory holidays." if rng.random() < 0.05 else None,
            "created_at": now, "updated_at": now})
        cats.add((sid, category))
        for code in rng.sample(codes, rng.randrange(0, 3)):
            cats.add((sid, code))
        for term in own_terms:
            rows["attribute"].append({
                "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{sid}/a/{term['id']}")),
                "link_id": sid, "link_entity": "service", "link_type": "service",
                "taxonomy_term_id": term["id"], "label": term["name"]})
        for n in range(rng.randrange(2, 5)):
            lid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{sid}/loc/{n}"))
            where = rng.choice(PLACES) if n else place
            rows["location"].append({
                "id": lid, "organization_id": oid, "name": f"{where} site {n + 1}",
                "location_type": "physical", "latitude": 44.65 + rng.uniform(-0.25, 0.25),
                "longitude": -63.58 + rng.uniform(-0.35, 0.35),
                "confidential": 1 if rng.random() < 0.04 else 0})
            rows["address"].append({
                "id": str(uuid.uuid5(uuid.NAMESPACE_URL, lid + "/adr")), "location_id": lid,
                "address_1": f"{rng.randrange(1, 999)} {rng.choice(STREETS)}", "city": where,
                "state_province": "NS", "postal_code": "B3K 0A1", "country": "CA",
                "address_type": "physical"})
            rows["service_at_location"].append({
                "id": str(uuid.uuid5(uuid.NAMESPACE_URL, lid + "/sal")), "service_id": sid,
                "location_id": lid})
        for n in range(rng.randrange(2, 5)):
            rows["phone"].append({
                "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{sid}/ph/{n}")), "service_id": sid,
                "number": f"902-555-{rng.randrange(10000):04d}",
                "extension": str(rng.randrange(10, 500)) if rng.random() < 0.2 else None,
                "type": rng.choice(PHONE_KINDS) if n else "voice"})
        first = "fr" if rng.random() < 0.1 else "en"
        for code in dict.fromkeys([first, *rng.sample(list(LANGUAGE_NAMES),
                                                       rng.randrange(0, 4))]):
            rows["language"].append({
                "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{sid}/l/{code}")),
                "service_id": sid, "code": code, "name": LANGUAGE_NAMES[code]})
        for j, (byday, opens, closes) in enumerate(rng.choice(HOURS)):
            rows["schedule"].append({
                "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{sid}/s/{j}")), "service_id": sid,
                "freq": "WEEKLY", "byday": byday, "opens_at": opens, "closes_at": closes})
    with db.atomic():
        db["taxonomy_term"].insert_all(terms, batch_size=1000)
        for table in ("organization", "service"):
            db[table].insert_all(rows[table], batch_size=1000)
        db.conn.executemany("INSERT OR IGNORE INTO service_category VALUES (?, ?)", sorted(cats))
        for table in ("location", "address", "service_at_location", "phone", "language",
                      "schedule", "attribute"):
            db[table].insert_all(rows[table], batch_size=1000)


def long_tail_queries(path: Path, want: int = 320, seed: int = 13) -> list[str]:
    """`want` distinct two-word queries made of words of the taxonomy terms and service names
    of the directory at `path`, each matching at least 2 listed services (as the search page
    reads them: fts_query)."""
    _create_app, connect = _app_modules()
    from fieldapp.directory.search import WORD, fts_query

    db = connect(str(path))
    words = set()
    names = [r[0] for r in db.execute("SELECT name FROM taxonomy_term")]
    names += [r[0] for r in db.execute("SELECT name FROM service WHERE archived_at IS NULL")]
    for name in names:
        words.update(w.lower() for w in WORD.findall(name or "")
                     if len(w) > 3 and not w.isdigit() and w.lower() != "demo")
    pairs = sorted((a, b) for a in words for b in words if a < b)
    rng = random.Random(seed)
    rng.shuffle(pairs)
    found: list[str] = []
    for a, b in pairs:
        q = f"{a} {b}" if rng.random() < 0.5 else f"{b} {a}"
        n = db.execute("SELECT count(*) FROM service_fts JOIN service s ON s.rowid ="
                       " service_fts.rowid WHERE service_fts MATCH ? AND s.archived_at IS NULL",
                       [fts_query(q)]).fetchone()[0]
        if n >= 2:
            found.append(q)
            if len(found) >= want:
                break
    db.conn.close()
    return found


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


def load(base: str, jar, urls: list[str], total: int, threads: int = 4,
         latencies: list[float] | None = None) -> tuple[float, dict]:
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
            started = time.perf_counter()
            try:
                response = opener.open(base + urls[i % len(urls)])
                response.read()
                code = response.status
                if "/login" in response.geturl():
                    code = "login page"  # the session was lost: not a search result
            except urllib.error.HTTPError as error:
                code = error.code
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                statuses[code] = statuses.get(code, 0) + 1
                if latencies is not None:
                    latencies.append(elapsed)

    started = time.perf_counter()
    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return total / (time.perf_counter() - started), statuses


def cpu_seconds(pids: list[int]) -> float:
    """utime + stime of processes (from /proc), in seconds."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / ticks


def http_bench(path: Path, requests: int, cache: bool = True,
               mixes: dict[str, list[str]] | None = None) -> dict:
    """Requests/s of each search mix and of hello world on one gunicorn server, with the
    workers' CPU ms per request and the p95 latency of each mix.  With `cache` off
    (FIELDAPP_DIRECTORY_RESULTS_CACHE=0) every search is run and rendered again."""
    env = {**os.environ, "FIELDAPP_DATABASE": str(path), "FIELDAPP_SECRET_KEY": "bench-only",
           "FIELDAPP_NOW": NOW.isoformat(),
           **({} if cache else {"FIELDAPP_DIRECTORY_RESULTS_CACHE": "0"})}
    mixes = mixes or {"fixed": HTTP_QUERIES}
    port = free_port()
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "--no-control-socket", "--workers", "2",
         "--bind", f"127.0.0.1:{port}", "bench.directory_search:wsgi_app()"],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    found: dict = {"mixes": {}}
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(f"{base}/bench-hello").read()
                break
            except OSError:
                time.sleep(0.1)
        jar = login(base)
        workers = [int(p) for p in subprocess.run(
            ["pgrep", "-P", str(server.pid)], capture_output=True, text=True).stdout.split()]
        load(base, jar, ["/directory/?q=shelter", "/bench-hello"], 40)  # warm-up
        hello_rps, hello_status = load(base, jar, ["/bench-hello"], requests)
        for name, queries in mixes.items():
            urls = [f"/directory/?q={urllib.parse.quote_plus(q)}" if "&" not in q and "+" not in q
                    else f"/directory/?q={q}" for q in queries]
            latencies: list[float] = []
            cpu_before = cpu_seconds(workers)
            rps, status = load(base, jar, urls, requests, latencies=latencies)
            cpu_ms = (cpu_seconds(workers) - cpu_before) * 1000 / requests
            found["mixes"][name] = {"rps": rps, "statuses": status, "cpu_ms": cpu_ms,
                                    "p50": percentile(latencies, 50),
                                    "p95": percentile(latencies, 95)}
        hello_rps2, _ = load(base, jar, ["/bench-hello"], requests)
        peaks = [status_kb(pid, "VmHWM") / 1024 for pid in workers]
    finally:
        server.terminate()
        server.wait(timeout=10)
    hello = (hello_rps + hello_rps2) / 2
    for mix in found["mixes"].values():
        mix["ratio"] = mix["rps"] / hello
    first = next(iter(found["mixes"].values()))
    return {**found, "hello_rps": hello, "search_rps": first["rps"], "ratio": first["ratio"],
            "statuses": {"hello": hello_status, "search": first["statuses"]},
            "worker_peak_mb": peaks}


def _load_search(path: Path):
    """search.py loaded from another file (e.g. main's, `git show main:fieldapp/directory/
    search.py > /tmp/you/search_main.py`) as a module of its own, beside this tree's."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("search_versus", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def time_long_tail(path: Path, queries: list[str], rounds: int = 1,
                   versus: Path | None = None) -> dict:
    """In-process server time of the long-tail mix (search_services with its card details),
    after one warm-up pass over other queries; per query its wall and CPU time and its number
    of hits (for the slowest).  With `versus`, that file's search_services too, interleaved
    query by query with this tree's (alternating which goes first), on the same connection:
    a before/after at the same load."""
    _create_app, connect = _app_modules()
    from fieldapp.directory import search

    versions = {"this": search}
    if versus is not None:
        versions["versus"] = _load_search(versus)
    db = connect(str(path))
    for module in versions.values():
        for q in ("shelter", "food bank", "crisis"):
            module.search_services(db, q, now=NOW, tz="America/Halifax", limit=21)
    timings = {name: [] for name in versions}
    cpu = dict.fromkeys(versions, 0.0)
    per_query: dict[str, dict[str, list[tuple[float, float]]]] = {}
    for round_number in range(rounds):
        for n, q in enumerate(queries):
            names = list(versions)
            if (n + round_number) % 2:
                names.reverse()
            for name in names:
                cpu_started, started = time.process_time(), time.perf_counter()
                versions[name].search_services(db, q, now=NOW, tz="America/Halifax", limit=21)
                wall = (time.perf_counter() - started) * 1000
                spent = (time.process_time() - cpu_started) * 1000
                cpu[name] += spent
                timings[name].append(wall)
                per_query.setdefault(q, {}).setdefault(name, []).append((wall, spent))
    slowest = sorted(per_query, key=lambda q: -min(c for _w, c in per_query[q]["this"]))[:8]
    slow = []
    for q in slowest:
        match = search.fts_query(q)
        hits = db.execute("SELECT count(*) FROM service_fts WHERE service_fts MATCH ?",
                          [match]).fetchone()[0]
        slow.append((q, match, hits, {name: min(c for _w, c in per_query[q][name])
                                      for name in versions}))
    db.conn.close()
    return {name: {"p50": percentile(timings[name], 50), "p95": percentile(timings[name], 95),
                   "max": max(timings[name]), "n": len(timings[name]),
                   "cpu_ms": cpu[name] / len(timings[name])} for name in versions} | {
        "slowest": slow}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--http-size", type=int, default=10000)
    parser.add_argument("--http-requests", type=int, default=600)
    parser.add_argument("--rich", action="store_true",
                        help="the rich 2-1-1 style directory (build_rich) instead of build, and "
                        "the long-tail mix beside the fixed one (in-process and over HTTP)")
    parser.add_argument("--long-tail", type=int, default=320,
                        help="distinct queries of the long-tail mix (with --rich)")
    parser.add_argument("--versus", type=Path, default=None,
                        help="with --rich: also time the long-tail mix with search_services "
                        "loaded from this file (e.g. main's search.py), interleaved query by "
                        "query with this tree's, on the same connection")
    parser.add_argument("--db-dir", type=Path, default=None,
                        help="keep the built directories in this folder and reuse those "
                        "already there (dir-<size>[-rich].db) instead of building them afresh "
                        "in a temporary folder that is removed at the end")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    make = build_rich if args.rich else build
    keep = args.db_dir is not None
    tmp = args.db_dir if keep else Path(tempfile.mkdtemp(prefix="dirbench-"))
    tmp.mkdir(parents=True, exist_ok=True)
    suffix = "-rich" if args.rich else ""
    rows = []
    for size in sizes:
        path = tmp / f"dir-{size}{suffix}.db"
        if keep and path.exists():
            build_s = 0.0  # reused, with the migrations added since it was built
            migrate_kept(path)
            print(f"{size:>7} services: reusing {path}", flush=True)
        else:
            build_s = make(path, size)
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
        if args.rich:
            queries = long_tail_queries(path, args.long_tail)
            tails = time_long_tail(path, queries, versus=args.versus)
            for name, label in (("this", ""), ("versus", f" ({args.versus}, interleaved)")):
                if name not in tails:
                    continue
                tail = tails[name]
                print(f"         long-tail mix{label} ({len(queries)} distinct two-word queries,"
                      f" each >= 2 matches): search p50 {tail['p50']:.2f} ms, p95 "
                      f"{tail['p95']:.2f} ms, max {tail['max']:.1f} ms; CPU "
                      f"{tail['cpu_ms']:.2f} ms/search", flush=True)
            print("         slowest long-tail searches (CPU ms, best of the rounds):", flush=True)
            for q, match, hits, spent in tails["slowest"]:
                versus = f" (versus {spent['versus']:.1f})" if "versus" in spent else ""
                print(f"           {q!r}: {spent['this']:.1f}{versus}, {hits} hits, {match}",
                      flush=True)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"bench process peak RSS: {rss:.1f} MB")
    if args.http_size:
        path = tmp / f"dir-{args.http_size}{suffix}.db"
        if not path.exists():
            make(path, args.http_size)
        mixes = {"fixed": HTTP_QUERIES}
        if args.rich:
            mixes["long-tail"] = long_tail_queries(path, args.long_tail)
        for cache in (True, False):
            result = http_bench(path, args.http_requests, cache=cache, mixes=mixes)
            for name, mix in result["mixes"].items():
                print(f"HTTP at {args.http_size} services, {name} mix ({len(mixes[name])} "
                      f"queries), results cache {'on (the default)' if cache else 'off'}: "
                      f"/directory?q= {mix['rps']:.0f} req/s, hello "
                      f"{result['hello_rps']:.0f} req/s, ratio {mix['ratio']:.2f}, CPU "
                      f"{mix['cpu_ms']:.2f} ms/request, p50 {mix['p50']:.1f} ms, p95 "
                      f"{mix['p95']:.1f} ms; statuses {mix['statuses']}", flush=True)
            print("         worker peak RSS (MB) "
                  + ", ".join(f"{p:.1f}" for p in result["worker_peak_mb"]), flush=True)
    if not keep:
        for path in tmp.glob("*"):
            path.unlink()
        tmp.rmdir()


if __name__ == "__main__":
    main()
