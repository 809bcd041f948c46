"""A shift's worth of people at once, against the real app under gunicorn.

Shared by tests/test_concurrency.py (a short deterministic check: nothing refused, no 5xx,
every acknowledged record stored exactly once) and bench/concurrency.py (figures).

    phones     officers' phones syncing batches of new contacts (POST /api/sync, JSON)
    officers   officers logging a contact with the web form (POST /contacts/new)
    partners   partner agencies accepting the referrals sent to them (POST /referrals/<id>/accept)
    editors    coordinators editing listings (GET the service form, POST it back changed)
    searchers  anyone searching the directory (GET /directory/?q=...)

Every client is a real HTTP client with its own cookies over loopback; nothing is mocked.
"""

import http.cookiejar
import json
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "load mix password, not secret"
QUERIES = ["food", "shelter tonight", "mental health crisis", "youth", "legal aid", "seniors",
           "housing", "addiction", "veterans", "clothing", "counselling", "dental", "rent bank",
           "free meal sunday", "transit pass", "id replacement", "detox", "eviction help"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(path: str, referrals: int = 200, synchronous: str = "FULL") -> dict:
    """A demo database at `path` with `referrals` referrals sent to partner@demo.test's agency.

    Returns the ids the clients need (service ids to edit, referral ids to accept)."""
    sys.path.insert(0, str(ROOT))
    from fieldapp import clock, create_app, demo
    from fieldapp.db import get_db
    from fieldapp.referrals import store as referrals_store

    app = create_app({"DATABASE": path, "SECRET_KEY": "loadmix", "DEMO_PASSWORD": PASSWORD,
                      "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
                      "SQLITE_SYNCHRONOUS": synchronous})
    with app.app_context():
        db = get_db()
        demo.load(db, app.config, clock.iso())
        officer = next(db.query("select * from user where email = 'officer@demo.test'"))
        service_id = db.execute(
            "select s.id from service s join user u on u.organization_id = s.organization_id "
            "where u.email = 'partner@demo.test' and s.accepts_referrals = 1 "
            "order by s.id limit 1").fetchone()[0]
        referral_ids = []
        for _ in range(referrals):
            item = {"id": str(uuid.uuid4()), "service_id": service_id, "consent": "verbal",
                    "shared": ["name"], "urgency": "this_week",
                    "person_name": "Load Mix Person (fictional)", "handoff_note": ""}
            result = referrals_store.apply_referral(db, item, officer, clock.iso())
            assert result["status"] == "created", result
            referral_ids.append(item["id"])
        editable = [row[0] for row in db.execute(
            "select id from service where archived_at is null and not exists (select 1 from "
            "service_at_location sal join location l on l.id = sal.location_id where "
            "sal.service_id = service.id and l.confidential = 1) order by id limit 20")]
    return {"referral_ids": referral_ids, "service_ids": editable}


class Server:
    """gunicorn serving the app on a free loopback port, stopped by `stop()`."""

    def __init__(self, db_path: str, workers: int = 4, threads: int = 4,
                 synchronous: str = "FULL", env: dict[str, str] | None = None):
        """`env`: more environment for gunicorn (FIELDAPP_* settings)."""
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "FIELDAPP_DATABASE": db_path, "FIELDAPP_SECRET_KEY": "loadmix",
               "FIELDAPP_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
               "FIELDAPP_SQLITE_SYNCHRONOUS": synchronous, **(env or {})}
        gunicorn = str(Path(sys.executable).with_name("gunicorn"))
        self.process = subprocess.Popen(
            [gunicorn, "--no-control-socket", "--workers", str(workers), "--threads",
             str(threads), "--bind", f"127.0.0.1:{self.port}", "--log-level", "warning",
             "--timeout", "60", "fieldapp:create_app()"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
            if self.process.poll() is not None:
                raise RuntimeError("gunicorn exited: " + self.process.stderr.read()[-2000:])
        self.stop()
        raise RuntimeError("gunicorn did not answer /healthz within 60 s")

    def worker_rss_mb(self) -> list[float]:
        """Resident memory of each worker process (children of the gunicorn master)."""
        sizes = []
        for child in Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children") \
                .read_text().split():
            try:
                status = Path(f"/proc/{child}/status").read_text()
            except FileNotFoundError:
                continue
            sizes.append(int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024)
        return sizes

    def stop(self) -> str:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.stderr.read() if self.process.stderr else ""


class _Form(HTMLParser):
    """Every field of the page's largest form holding a csrf_token, as a browser would post it
    (the page's main form, not the logout button's)."""

    def __init__(self):
        super().__init__()
        self.fields: list[tuple[str, str]] = []
        self.depth, self.select, self.textarea = 0, None, None
        self.pending: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.depth += 1
            self.pending = []
        if not self.depth:
            return
        name = a.get("name")
        if tag == "input" and name and "disabled" not in a:
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            if kind in ("submit", "button", "file", "image"):
                return
            self.pending.append((name, a.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "select" and name:
            self.select = [name, None, None]
        elif tag == "option" and self.select is not None:
            value = a.get("value", "")
            if self.select[1] is None:
                self.select[1] = value
            if "selected" in a:
                self.select[2] = value
        elif tag == "textarea" and name:
            self.textarea = [name, ""]

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea[1] += data

    def handle_endtag(self, tag):
        if not self.depth:
            return
        if tag == "select" and self.select is not None:
            name, first, chosen = self.select
            self.pending.append((name, chosen if chosen is not None else (first or "")))
            self.select = None
        elif tag == "textarea" and self.textarea is not None:
            self.pending.append((self.textarea[0], self.textarea[1].lstrip("\n")))
            self.textarea = None
        elif tag == "form":
            self.depth -= 1
            if any(name == "csrf_token" for name, _ in self.pending) and \
                    len(self.pending) > len(self.fields):
                self.fields = self.pending


def form_fields(html: str) -> list[tuple[str, str]]:
    parser = _Form()
    parser.feed(html)
    return parser.fields


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html)
    if not match:
        raise AssertionError("no CSRF token on the page")
    return match.group(1)


class Client:
    """One person's browser or phone: its own cookies, real HTTP over loopback."""

    def __init__(self, base: str, stats: "Stats"):
        self.base, self.stats = base, stats
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def request(self, method: str, path: str, data=None, headers=None, kind="page"):
        body = None
        headers = dict(headers or {})
        if isinstance(data, (dict, list)) and headers.get("Content-Type") == "application/json":
            body = json.dumps(data).encode()
        elif data is not None:
            body = urllib.parse.urlencode(data, doseq=True).encode()
            headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        req = urllib.request.Request(self.base + path, data=body, method=method, headers=headers)
        start = time.perf_counter()
        try:
            with self.opener.open(req, timeout=60) as answer:
                status, text = answer.status, answer.read().decode()
        except urllib.error.HTTPError as error:
            status, text = error.code, error.read().decode(errors="replace")
        self.stats.note(kind, status, time.perf_counter() - start)
        return status, text

    def login(self, email: str) -> None:
        status, page = self.request("GET", "/login", kind="login")
        status, page = self.request("POST", "/login", {
            "email": email, "password": PASSWORD, "csrf_token": csrf_of(page)}, kind="login")
        if status != 200 or 'name="password"' in page:
            raise AssertionError(f"login of {email} answered {status}")

    def json_token(self) -> str:
        status, text = self.request("GET", "/api/csrf", kind="csrf")
        return json.loads(text)["csrf_token"]


@dataclass
class Stats:
    lock: threading.Lock = field(default_factory=threading.Lock)
    latencies: dict = field(default_factory=dict)
    statuses: dict = field(default_factory=dict)
    acknowledged: set = field(default_factory=set)   # contact ids the server said it stored
    refused: list = field(default_factory=list)      # valid items the server refused
    accepted: set = field(default_factory=set)       # referral ids a partner accepted
    edits: int = 0
    errors: list = field(default_factory=list)       # client-side failures (a bug here)

    def note(self, kind: str, status: int, seconds: float) -> None:
        with self.lock:
            self.latencies.setdefault(kind, []).append(seconds)
            key = f"{kind} {status}"
            self.statuses[key] = self.statuses.get(key, 0) + 1

    def server_errors(self) -> dict:
        return {k: v for k, v in self.statuses.items() if int(k.rsplit(" ", 1)[1]) >= 500}

    def p95_ms(self, kind: str) -> float:
        values = sorted(self.latencies.get(kind, []))
        if not values:
            return 0.0
        return values[min(len(values) - 1, int(len(values) * 0.95))] * 1000

    def median_ms(self, kind: str) -> float:
        values = self.latencies.get(kind, [])
        return statistics.median(values) * 1000 if values else 0.0


def _now_iso(offset_seconds: float = 0) -> str:
    moment = datetime.now(UTC) - timedelta(seconds=offset_seconds)
    return moment.isoformat(timespec="seconds")


def phone(base, stats, stop, email, batch_size, interval=None):
    """Sync batches of new contacts: back to back (interval None: as fast as the server answers)
    or one batch every `interval` seconds (a phone emptying its outbox at its own pace)."""
    client = Client(base, stats)
    client.login(email)
    token = client.json_token()
    next_at = time.monotonic() + (random.uniform(0, interval) if interval else 0)
    while not stop.is_set():
        if interval:
            delay = next_at - time.monotonic()
            if delay > 0 and stop.wait(delay):
                break
            next_at += interval
        contacts = [{"id": str(uuid.uuid4()), "occurred_at": _now_iso(60 + i),
                     "place_text": "Load mix place (fictional)", "kind": "wellness_check",
                     "populations": [], "outcome": "information_given", "note": "",
                     "is_group": 0, "person_id": None} for i in range(batch_size)]
        batch = {"contacts": contacts}
        status, text = client.request("POST", "/api/sync", batch, kind="sync", headers={
            "Content-Type": "application/json", "X-CSRFToken": token})
        if status in (429, 503):  # the outbox keeps the batch and retries later
            time.sleep(0.2)
            continue
        if status != 200:
            with stats.lock:
                stats.refused.extend(c["id"] for c in contacts)
            continue
        for item in json.loads(text)["results"]["contacts"]:
            with stats.lock:
                if item["status"] in ("created", "unchanged"):
                    stats.acknowledged.add(item["id"])
                else:
                    stats.refused.append((item["id"], item["status"], item["errors"]))


def officer_form(base, stats, stop, email, think=0.0):
    client = Client(base, stats)
    client.login(email)
    while not stop.is_set():
        if think and stop.wait(random.uniform(0.5, 1.5) * think):  # reading, typing
            break
        status, page = client.request("GET", "/contacts/new", kind="page")
        contact_id = str(uuid.uuid4())
        status, page = client.request("POST", "/contacts/new", {
            "csrf_token": csrf_of(page), "id": contact_id, "occurred_local": "",
            "occurred_at": _now_iso(120), "kind": "wellness_check",
            "outcome": "information_given", "place_text": "Load mix school (fictional)",
            "is_group": "0"}, kind="contact_form")
        if status < 400:
            with stats.lock:
                stats.acknowledged.add(contact_id)
        elif status not in (429, 503):
            with stats.lock:
                stats.refused.append((contact_id, status, page[:300]))


def partner(base, stats, stop, email, referral_ids, lock, think=0.0):
    client = Client(base, stats)
    client.login(email)
    status, page = client.request("GET", "/referrals/", kind="page")
    token = csrf_of(page)
    while not stop.is_set():
        if think and stop.wait(random.uniform(0.5, 1.5) * think):  # reading, typing
            break
        with lock:
            if not referral_ids:
                break
            referral_id = referral_ids.pop()
        status, page = client.request("POST", f"/referrals/{referral_id}/accept",
                                      {"csrf_token": token}, kind="accept")
        if status < 400:
            with stats.lock:
                stats.accepted.add(referral_id)
        elif status in (429, 503):
            with lock:
                referral_ids.append(referral_id)
        else:
            with stats.lock:
                stats.refused.append((referral_id, status, page[:300]))


def editor(base, stats, stop, email, service_ids, think=0.0):
    client = Client(base, stats)
    client.login(email)
    n = 0
    while not stop.is_set():
        if think and stop.wait(random.uniform(0.5, 1.5) * think):  # reading, typing
            break
        service_id = service_ids[n % len(service_ids)]
        n += 1
        status, page = client.request("GET", f"/directory/manage/services/{service_id}",
                                      kind="page")
        fields = [(k, v) for k, v in form_fields(page)]
        fields = [(k, f"Edited under load, round {n}." if k == "description" else v)
                  for k, v in fields]
        status, page = client.request("POST", f"/directory/manage/services/{service_id}",
                                      fields, kind="edit")
        if status < 400:
            with stats.lock:
                stats.edits += 1
        elif status not in (429, 503):
            with stats.lock:
                stats.refused.append((service_id, status, page[:300]))


def searcher(base, stats, stop, email, think=0.0):
    client = Client(base, stats)
    client.login(email)
    rng = random.Random(email)
    while not stop.is_set():
        if think and stop.wait(random.uniform(0.5, 1.5) * think):  # reading, typing
            break
        words = rng.sample(QUERIES, 2)
        # Long-tail queries: a random suffix so a results cache cannot answer them.
        query = f"{words[0]} {words[1][:rng.randint(3, 6)]}"
        client.request("GET", "/directory/?" + urllib.parse.urlencode({"q": query}),
                       kind="search")


def run(base: str, seconds: float, *, phones=10, officers=2, partners=2, editors=1,
        searchers=2, batch_size=10, referral_ids=(), service_ids=(),
        phone_interval=None, think=0.0) -> Stats:
    """Run the mix for `seconds`; every client logs in first.  Returns what each saw.

    `phone_interval`: seconds between a phone's batches (None: back to back).  `think`: the
    mean pause of people using the pages between two actions (0: back to back)."""
    stats, stop = Stats(), threading.Event()
    queue, queue_lock = list(referral_ids), threading.Lock()
    officers_emails = ["officer@demo.test", "officer2@demo.test"]
    partner_emails = ["partner@demo.test"]
    jobs = [(phone, (officers_emails[i % 2], batch_size, phone_interval))
            for i in range(phones)]
    jobs += [(officer_form, (officers_emails[i % 2], think)) for i in range(officers)]
    jobs += [(partner, (partner_emails[0], queue, queue_lock, think)) for _ in range(partners)]
    jobs += [(editor, ("coordinator@demo.test", list(service_ids), think))
             for _ in range(editors)]
    jobs += [(searcher, (officers_emails[i % 2], think)) for i in range(searchers)]

    def guarded(target, args):
        try:
            target(base, stats, stop, *args)
        except Exception as error:  # a client that broke is a failure of the run, not silence
            with stats.lock:
                stats.errors.append(f"{target.__name__}: {error!r}")

    threads = [threading.Thread(target=guarded, args=job, daemon=True) for job in jobs]
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join(timeout=120)
    return stats
