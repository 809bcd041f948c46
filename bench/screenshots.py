"""The README's screenshots: the officer's log-contact form on a phone (390 x 844), in light,
dark and French, taken from the demo app in real Chromium.  Run it after changing the form:

    make screenshots          (or: .venv/bin/python bench/screenshots.py)

It serves a fresh demo database with gunicorn on a free port (nothing of `make run` is
touched), logs in as the demo officer and writes static/img/readme/contact-form-*.png.
Each picture is one phone screen at a device pixel ratio of 1, kept small for the repository.
"""

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "static" / "img" / "readme"
BIN = ROOT / ".venv" / "bin"
CHROMIUM = os.environ.get("CHROME_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic"]
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 1}
PASSWORD = os.environ.get("FIELDAPP_DEMO_PASSWORD", "fieldapp-demo-2026")
# (file name, colour scheme, language)
SHOTS = [("contact-form-light", "light", "en"), ("contact-form-dark", "dark", "en"),
         ("contact-form-fr", "light", "fr")]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve_demo(folder: Path, workers: int = 1) -> tuple[subprocess.Popen, str]:
    """gunicorn on a fresh demo database in `folder`; returns (process, base URL).  (Also
    bench/lighthouse.py's server.)"""
    env = {**os.environ, "FIELDAPP_DATABASE": str(folder / "screenshots.db"),
           "FIELDAPP_SECRET_KEY": "screenshots-only", "FIELDAPP_DEMO_PASSWORD": PASSWORD}
    for command in ("init-db", "demo"):
        subprocess.run([BIN / "flask", "--app", "fieldapp", command], env=env, cwd=ROOT,
                       check=True, stdout=subprocess.DEVNULL)
    port = free_port()
    server = subprocess.Popen(
        [BIN / "gunicorn", "--no-control-socket", "--workers", str(workers), "--threads", "4",
         "--bind", f"127.0.0.1:{port}", "fieldapp:create_app()"],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(base + "/healthz", timeout=2).read()
            return server, base
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                raise SystemExit("the demo app did not start") from None
            time.sleep(0.2)


def take(browser, base: str, name: str, scheme: str, language: str) -> Path:
    context = browser.new_context(**PHONE, color_scheme=scheme, locale=language)
    page = context.new_page()
    page.goto(f"{base}/login")
    page.fill("#email", "officer@demo.test")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{base}/contacts/new")
    if page.evaluate("document.documentElement.lang") != language:
        with page.expect_navigation():
            page.click(f"button[name=language][value={language}]")
    # The sync bar has looked at the (empty) outbox: the screen as the officer sees it.
    page.wait_for_function("() => document.getElementById('syncbar').dataset.state === 'sent'")
    page.evaluate("document.fonts.ready")
    path = OUT / f"{name}.png"
    page.screenshot(path=str(path))
    context.close()
    return path


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        server, base = serve_demo(Path(folder))
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM,
                                                     args=CHROMIUM_ARGS)
                for name, scheme, language in SHOTS:
                    path = take(browser, base, name, scheme, language)
                    print(f"{path.relative_to(ROOT)}: {path.stat().st_size // 1024} KB")
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
