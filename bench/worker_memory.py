"""Peak memory (RSS) of gunicorn workers serving the demo under a bounded load on loopback.

    .venv/bin/python bench/worker_memory.py [--requests 400]

Starts gunicorn (2 workers, --no-control-socket) on a temporary database with the demo data,
logs in as each role, requests their pages, and prints each worker's peak RSS (VmHWM).
"""

import argparse
import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
PAGES = {"officer": ["/contacts/new", "/directory/?q=crisis", "/contacts/", "/referrals/"],
         "partner": ["/referrals/", "/directory/?q=shelter"],
         "coordinator": ["/directory/", "/reports/", "/accounts/users"]}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def status_kb(pid: int, field: str) -> int:
    text = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(rf"{field}:\s+(\d+) kB", text).group(1))


def session_for(base: str, role: str) -> urllib.request.OpenerDirector:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    login_page = opener.open(f"{base}/login").read().decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', login_page).group(1)
    data = urllib.parse.urlencode({"csrf_token": token, "email": f"{role}@demo.test",
                                   "password": "fieldapp-demo-2026"}).encode()
    opener.open(f"{base}/login", data=data).read()
    return opener


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=400)
    args = parser.parse_args()
    tmp = tempfile.mkdtemp()
    env = {**os.environ, "FIELDAPP_DATABASE": f"{tmp}/bench.db",
           "FIELDAPP_SECRET_KEY": "bench-only-secret"}
    flask = [str(BIN / "flask"), "--app", "fieldapp"]
    subprocess.run(flask + ["init-db"], env=env, check=True, capture_output=True)
    subprocess.run(flask + ["demo"], env=env, check=True, capture_output=True)
    port = free_port()
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "--no-control-socket", "--workers", "2", "--threads", "4",
         "--bind", f"127.0.0.1:{port}", "fieldapp:create_app()"],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/healthz").read()
                break
            except OSError:
                time.sleep(0.1)
        sessions = {role: session_for(base, role) for role in PAGES}
        started = time.perf_counter()
        done = 0
        statuses: dict[int, int] = {}
        while done < args.requests:
            for role, urls in PAGES.items():
                for url in urls:
                    try:
                        response = sessions[role].open(base + url)
                        response.read()
                        code = response.status
                    except urllib.error.HTTPError as error:
                        code = error.code
                    statuses[code] = statuses.get(code, 0) + 1
                    done += 1
        elapsed = time.perf_counter() - started
        workers = [int(p) for p in subprocess.run(
            ["pgrep", "-P", str(server.pid)], capture_output=True, text=True).stdout.split()]
        peaks = [status_kb(pid, "VmHWM") / 1024 for pid in workers]
        print(f"requests: {done} in {elapsed:.2f} s ({done / elapsed:.0f} req/s), "
              f"statuses {statuses}")
        print("worker peak RSS (MB): " + ", ".join(f"{p:.1f}" for p in peaks))
        print(f"master RSS (MB): {status_kb(server.pid, 'VmHWM') / 1024:.1f}")
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
