"""English and French ship complete: the catalogues match the code, and French pages show no
English string of the catalogue."""

import subprocess
import sys
import tempfile
from pathlib import Path

from babel.messages.pofile import read_po

from fieldapp import i18n_tools
from tests.support.i18n import TextNodes
from tests.support.pages import html_pages

ROOT = Path(__file__).resolve().parent.parent


def catalogue_pairs() -> dict[str, str]:
    """English msgid -> French msgstr over every catalogue."""
    pairs = {}
    for po in ROOT.glob("fieldapp/**/translations/fr/LC_MESSAGES/messages.po"):
        with po.open("rb") as handle:
            for message in read_po(handle):
                if not message.id:
                    continue
                if isinstance(message.id, tuple):  # plural forms: keyed by the singular
                    pairs[message.id[0]] = message.string[0] if message.string else ""
                else:
                    pairs[message.id] = message.string
    return pairs


def test_every_catalogue_is_fully_translated():
    assert [] == i18n_tools.problems()


def test_every_string_in_the_code_is_in_a_catalogue():
    extracted = set()
    with tempfile.TemporaryDirectory() as tmp:
        pot = Path(tmp) / "all.pot"
        subprocess.run([sys.executable, "-m", "babel.messages.frontend", "-q", "extract",
                        "-F", str(ROOT / "babel.cfg"), "-k", "_l", "-o", str(pot),
                        "fieldapp", "templates"], cwd=ROOT, check=True)
        with pot.open("rb") as handle:
            extracted = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle)
                         if m.id}
    known = set(catalogue_pairs())
    assert [] == sorted(extracted - known), "run: python -m fieldapp.i18n_tools extract"


def test_french_pages_show_no_english_catalogue_string(app, db, login_as):
    english_only = {msgid for msgid, french in catalogue_pairs().items()
                    if french and french != msgid and "%(" not in msgid}
    clients = {}
    leaks = []
    for url, user in html_pages(app, db):
        if user not in clients:
            client = app.test_client() if user == "anonymous" else login_as(user)
            client.post("/language", data={"language": "fr"})
            clients[user] = client
        response = clients[user].get(url, headers={"Accept-Language": "fr"})
        if response.mimetype != "text/html" or response.status_code >= 400:
            continue
        parser = TextNodes()
        parser.feed(response.get_data(as_text=True))
        leaks += [f"{url}: {text!r}" for text in parser.texts if text in english_only]
    assert [] == leaks
