"""Peak memory (RSS) of a gunicorn worker receiving hostile and large uploads (issue 20, item 8).

    .venv/bin/python bench/uploads.py [--services 5000] [--skip-hsds]

Each case runs on a fresh gunicorn (1 worker x 4 threads, --no-control-socket) serving a
temporary database with the demo data; a logged-in coordinator posts one upload, and the
worker's peak RSS (VmHWM) is read before and after, with its RSS once the answer is sent.
Cases:
  bomb        a ~4 MB zip holding a 190 MB services.csv, as a dry run to the HSDS upload
  lying bomb  the same zip with headers declaring 1 MB unpacked (the size check cannot refuse
              it up front; the bytes actually read are counted)
  bomb, cap raised to 300 MB
              FIELDAPP_UPLOAD_MAX_UNPACKED_BYTES above the file: read as a stream until the
              row cap refuses it
  calls 15 MB a 15 MB calls-for-service CSV imported by /reports/calls: once with about 187,000
              calls (imported), once with about 230,000 shorter ones (over the row cap)
  hsds 5,000  a real HSDS 3.1 package of 5,000 synthetic services (zip), dry run and import
Budget: a worker stays under 100 MB; importing 5,000 services under 300 MB.
"""

import argparse
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BIN = ROOT / ".venv" / "bin"

from bench.worker_memory import free_port, session_for, status_kb  # noqa: E402

DESCRIPTION = ("Emergency shelter, hot meals and a warm place to rest for adults and families; "
               "walk in or call ahead, staff speak English and French. ")


def bomb_zip(path: Path, megabytes: int = 190) -> None:
    """A zip holding organizations.csv and a services.csv of `megabytes` MB (written in
    chunks, never held whole)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("organizations.csv", "id,name,description\norg-1,Bomb Org,x\n")
        with archive.open("services.csv", "w") as member:
            member.write(b"id,organization_id,name,description\n")
            written, n = 0, 0
            while written < megabytes * 1_000_000:
                chunk = "".join(f"svc-{n + i},org-1,Service {n + i},{DESCRIPTION * 2}\n"
                                for i in range(2000)).encode()
                member.write(chunk)
                written += len(chunk)
                n += 2000


def understate(source: Path, target: Path, declared: int) -> None:
    """Copy of the zip whose headers (local and central) declare `declared` bytes unpacked
    for services.csv; its zip64 extra field is dropped by pointing at the 32-bit field."""
    data = bytearray(source.read_bytes())
    # (signature, offset of the unpacked size, of the name's length, of the name)
    for signature, size_at, length_at, name_at in ((b"PK\x03\x04", 22, 26, 30),
                                                   (b"PK\x01\x02", 24, 28, 46)):
        start = data.find(signature)
        while start != -1:
            name_length = int.from_bytes(data[start + length_at:start + length_at + 2], "little")
            name = bytes(data[start + name_at:start + name_at + name_length])
            if name == b"services.csv":
                data[start + size_at:start + size_at + 4] = declared.to_bytes(4, "little")
            start = data.find(signature, start + 4)
    target.write_bytes(bytes(data))


def calls_csv(path: Path, call_type: str, megabytes: int = 15) -> int:
    """A calls CSV of `megabytes` MB; the longer `call_type`, the fewer calls."""
    rows = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write("call id,date/time,call type,person key\n")
        while handle.tell() < megabytes * 1_000_000:
            day, minute = divmod(rows, 1440)
            handle.write(f"CFS-2026-{rows:07d},2026-{1 + day % 12:02d}-{1 + day % 28:02d} "
                         f"{minute // 60:02d}:{minute % 60:02d},{call_type},"
                         f"K-{uuid.UUID(int=rows).hex[-12:]}\n")
            rows += 1
    return rows


def multipart(field: str, filename: str, content: bytes, extra: dict) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    body = io.BytesIO()
    for name, value in extra.items():
        body.write(f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n"
                   f"{value}\r\n".encode())
    body.write(f"--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; "
               f"filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
               .encode())
    body.write(content)
    body.write(f"\r\n--{boundary}--\r\n".encode())
    return body.getvalue(), f"multipart/form-data; boundary={boundary}"


def run_case(env: dict, label: str, url: str, field: str, path: Path, extra: dict,
             page: str) -> dict:
    port = free_port()
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "--no-control-socket", "--workers", "1", "--threads", "4",
         "--timeout", "120", "--bind", f"127.0.0.1:{port}", "fieldapp:create_app()"],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(f"{base}/healthz").read()
                break
            except OSError:
                time.sleep(0.1)
        session = session_for(base, "coordinator")
        form = session.open(base + page).read().decode()
        token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
        [worker] = [int(p) for p in subprocess.run(
            ["pgrep", "-P", str(server.pid)], capture_output=True, text=True).stdout.split()]
        before = status_kb(worker, "VmHWM") / 1024
        body, content_type = multipart(field, path.name, path.read_bytes(),
                                       {"csrf_token": token, **extra})
        request = urllib.request.Request(base + url, data=body,
                                         headers={"Content-Type": content_type})
        del body
        began = time.perf_counter()
        try:
            response = session.open(request)
            status, text = response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            status, text = error.code, error.read().decode()
        elapsed = time.perf_counter() - began
        message = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", _message(text))).strip()
        return {"case": label, "size": path.stat().st_size / 1e6, "status": status,
                "seconds": elapsed, "hwm_before": before,
                "hwm_after": status_kb(worker, "VmHWM") / 1024,
                "rss_after": status_kb(worker, "VmRSS") / 1024, "message": message[:170]}
    finally:
        server.terminate()
        server.wait(timeout=20)


def _message(page: str) -> str:
    for pattern in (r'role="alert"[^>]*>(.*?)</div>', r'<section[^>]*import-report[^>]*>(.*?)'
                    r'</section>', r'class="flash[^"]*"[^>]*>(.*?)</', r"<h2[^>]*>(.*?)</h2>"):
        found = re.search(pattern, page, re.S)
        if found:
            return found.group(1)
    return page[:200]


def hsds_zip(tmp: Path, services: int) -> Path:
    from bench import directory_search

    source = tmp / "source.db"
    directory_search.build(source, services)
    package = tmp / "package"
    subprocess.run([str(BIN / "flask"), "--app", "fieldapp", "export-hsds", str(package)],
                   env={**os.environ, "FIELDAPP_DATABASE": str(source),
                        "FIELDAPP_SECRET_KEY": "bench-only"}, check=True, capture_output=True)
    path = tmp / f"hsds-{services}.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(package.iterdir()):
            archive.write(file, file.name)
    return path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--services", type=int, default=5000)
    parser.add_argument("--skip-hsds", action="store_true")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp())
    try:
        database = tmp / "bench.db"
        env = {**os.environ, "FIELDAPP_DATABASE": str(database),
               "FIELDAPP_SECRET_KEY": "bench-only-secret"}
        flask = [str(BIN / "flask"), "--app", "fieldapp"]
        subprocess.run(flask + ["init-db"], env=env, check=True, capture_output=True)
        subprocess.run(flask + ["demo"], env=env, check=True, capture_output=True)
        shutil.copy(database, tmp / "clean.db")

        def fresh() -> dict:
            shutil.copy(tmp / "clean.db", database)
            return env

        bomb = tmp / "bomb.zip"
        bomb_zip(bomb)
        lying = tmp / "lying-bomb.zip"
        understate(bomb, lying, 1_000_000)
        calls = tmp / "calls.csv"
        calls_rows = calls_csv(calls, "wellbeing check - person in distress, mental health")
        short_calls = tmp / "short-calls.csv"
        short_rows = calls_csv(short_calls, "wellbeing check")
        hsds = "/directory/manage/import"
        cases = [
            ("bomb: 190 MB CSV in a zip, dry run", hsds, "package", bomb, {"dry_run": "1"}, {}),
            ("lying bomb: headers say 1 MB, dry run", hsds, "package", lying, {"dry_run": "1"},
             {}),
            ("bomb, cap raised to 300 MB, dry run", hsds, "package", bomb, {"dry_run": "1"},
             {"FIELDAPP_UPLOAD_MAX_UNPACKED_BYTES": str(300 * 2**20)}),
            (f"calls: 15 MB CSV, {calls_rows:,} calls", "/reports/calls", "file", calls, {}, {}),
            (f"calls: 15 MB CSV, {short_rows:,} shorter calls", "/reports/calls", "file",
             short_calls, {}, {}),
        ]
        if not args.skip_hsds:
            package = hsds_zip(tmp, args.services)
            cases += [
                (f"HSDS {args.services:,} services, dry run", hsds, "package", package,
                 {"dry_run": "1"}, {}),
                (f"HSDS {args.services:,} services, import", hsds, "package", package, {}, {}),
            ]
        print("| case | upload | answer | time | worker peak RSS (before → after) | "
              "worker RSS after | message |")
        print("|---|---|---|---|---|---|---|")
        for label, url, field, path, extra, settings in cases:
            page = "/reports/calls" if url == "/reports/calls" else hsds
            result = run_case({**fresh(), **settings}, label, url, field, path, extra, page)
            print(f"| {result['case']} | {result['size']:.1f} MB | {result['status']} | "
                  f"{result['seconds']:.2f} s | {result['hwm_before']:.1f} → "
                  f"{result['hwm_after']:.1f} MB | {result['rss_after']:.1f} MB | "
                  f"{result['message']} |", flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
