"""French ready to publish (issue 22): one translation per msgid across the seven catalogues,
the glossary's one French term per concept, French typography, and numbers and dates in the
user's language."""

import re
from datetime import date

from babel.messages.mofile import read_mo

import fieldapp.accounts  # noqa: F401  (blueprint imports must start at accounts)

# isort: split
from fieldapp import formats, i18n_tools
from fieldapp.db import connect
from fieldapp.referrals import store as referrals_store
from tests.conftest import login, make_app
from tests.support.i18n import TextNodes
from tests.support.pages import html_pages
from tests.support.referrals import (
    OFFICER_ID,
    SVC_CRISIS,
    add_services,
    body_of,
    forget_queued_mail,
    referral_item,
    send_mail,
    user_row,
)
from tests.support.reports import REPORT_NOW, add_cases, load


def test_two_catalogues_never_translate_one_msgid_differently():
    # The catalogues are merged at run time and the last one loaded wins.
    assert [] == i18n_tools.conflicts()


def test_every_catalogue_follows_the_glossary():
    assert [] == i18n_tools.glossary_problems()


def test_the_glossary_rejects_the_renderings_it_replaced():
    rejected = {
        "Board report": "Rapport au conseil",
        "4. Diversion": "4. Déjudiciarisation",
        "Veterans": "Anciens combattants",
        "Make the warm call": "Faire l’appel de transfert",
        "Connected": "Contact établi",
        "Alias or name": "Alias ou nom",
        "Warm referrals sent": "Orientations personnalisées envoyées",
        "RCMP Halifax District": "RCMP Halifax District",
    }
    terms = i18n_tools.glossary()
    for msgid, string in rejected.items():
        hits = [t for t in terms if re.search(t["msgid_pattern"], msgid, re.I)]
        assert hits, msgid
        assert any(not re.search(t["msgstr_required"], string, re.I)
                   or re.search(t["msgstr_forbidden"], string, re.I)
                   for t in hits), msgid
    assert all(term["source"].strip() for term in terms)


def test_police_services_show_in_the_readers_language(login_as):
    coordinator = login_as("coordinator")
    english_report = coordinator.get("/reports/?quarter=2026-Q1").get_data(as_text=True)
    english_register = coordinator.get("/directory/manage/partnerships").get_data(as_text=True)
    assert "Halifax Regional Police" in english_report and ">HRP<" in english_register
    coordinator.post("/language", data={"language": "fr"})
    report = coordinator.get("/reports/?quarter=2026-Q1").get_data(as_text=True)
    register = coordinator.get("/directory/manage/partnerships").get_data(as_text=True)
    users = coordinator.get("/accounts/users").get_data(as_text=True)
    for html in (report, register, users):
        assert "Police régionale d’Halifax" in html or "Police régionale d&#39;Halifax" in html
        assert "District d’Halifax de la GRC" in html
        assert "Halifax Regional Police" not in html and "RCMP Halifax District" not in html
    assert ">PRH<" in register and ">GRC<" in register
    # The board report's partnership columns: the abbreviations, the CSV keys stay the codes.
    assert "<th scope=\"col\">PRH</th>" in report or ">PRH<" in report
    csv_text = coordinator.get("/reports/board.csv?quarter=2026-Q1").get_data(as_text=True)
    assert "PRH" in csv_text and "HRP" in csv_text


def compiled_french_strings() -> list[str]:
    strings = []
    for po_path in i18n_tools.po_files("fr"):
        with po_path.with_suffix(".mo").open("rb") as handle:
            for message in read_mo(handle):
                if message.id:
                    found = message.string
                    strings += [found] if isinstance(found, str) else list(found)
    return strings


def test_compiled_french_has_no_typography_violation():
    # The .po files hold what translators typed; `make translations` applies the rules.
    strings = compiled_french_strings()
    assert len(strings) > 900
    violations = [(rule, text) for text in strings for rule in i18n_tools.typography_problems(text)]
    assert [] == violations
    typed = [text for t in i18n_tools.translations("fr").values() for text in t.values()]
    assert sum(len(i18n_tools.typography_problems(text)) for text in typed) > 50


def test_typesetting_french():
    cases = {
        "Refusées : motifs": "Refusées\u00a0: motifs",
        "la personne; la part": "la personne\u202f; la part",
        "Vraiment ?": "Vraiment\u202f?",
        "« Mises en lien »": "«\u00a0Mises en lien\u00a0»",
        "dans les 48 h, 180 jours, %(n)s caractères": "dans les 48\u00a0h, 180\u00a0jours, "
                                                       "%(n)s\u00a0caractères",
        "l'après-midi": "l’après-midi",
        "5:00 comme 17:00, https://x.ca/?a=1": "5:00 comme 17:00, https://x.ca/?a=1",
    }
    for typed, set_text in cases.items():
        assert set_text == i18n_tools.typeset(typed, "fr")
        assert [] == i18n_tools.typography_problems(set_text)
    assert "Refused: reasons" == i18n_tools.typeset("Refused: reasons", "en")


def test_numbers_dates_and_quarters_follow_the_readers_language(app):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        english = (formats.percent(54.3), formats.hours(29.0), formats.day(date(2026, 10, 1),
                   "MMMM d"), formats.quarter_label(date(2026, 10, 1)))
    with app.test_request_context(headers={"Accept-Language": "fr"}):
        french = (formats.percent(54.3), formats.hours(29.0), formats.day(date(2026, 10, 1),
                  "d MMMM"), formats.quarter_label(date(2026, 10, 1)))
    assert ("54.3%", "29.0 h", "October 1", "Q4 2026") == english
    assert ("54,3\u00a0%", "29,0\u00a0h", "1er octobre", "T4 2026") == french


def test_the_board_report_shows_french_numbers_and_dates(tmp_path):
    app = make_app(tmp_path, NOW=REPORT_NOW)
    load(app.config["DATABASE"])
    # February 2026 with the diversion cases: no month × police service × team cell from 1
    # to 4, so rates and hours are shown (the quarter's are withheld on the dataset, issue 21).
    add_cases(app.config["DATABASE"])
    february = "start=2026-02-01&end=2026-02-28&police_service=HRP"
    coordinator = app.test_client()
    login(coordinator, "coordinator")
    english = coordinator.get(f"/reports/?{february}").get_data(as_text=True)
    csv_english = coordinator.get(f"/reports/board.csv?{february}").get_data(as_text=True)
    coordinator.post("/language", data={"language": "fr"})
    french = coordinator.get(f"/reports/?{february}").get_data(as_text=True)
    csv_french = coordinator.get(f"/reports/board.csv?{february}").get_data(as_text=True)
    assert "February 1, 2026" in english and "Q1 2026" in english and ">2026-Q1<" not in english
    assert "1er février 2026" in french and "T1 2026" in french and ">2026-Q1<" not in french
    assert re.search(r">\d+\.\d%<", english) and not re.search(r">\d+,\d\u00a0%<", english)
    assert re.search(r">\d+,\d\u00a0%<", french) and not re.search(r">\d+\.\d%<", french)
    assert re.search(r">\d+,\d\u00a0h<", french) and re.search(r">\d+\.\d h<", english)
    # The CSV keeps its keys and plain numbers; only labels follow the language.
    assert csv_english.splitlines()[0] == csv_french.splitlines()[0]
    assert not re.search(r"\d,\d\u00a0%", csv_french)


def test_the_referral_e_mail_speaks_french_with_french_numbers_dates_and_typography(
        tmp_path, smtp):
    # The link lives 72 hours: made on September 28 at 14:00 in Halifax, it expires on the
    # first of October, which French writes "1er octobre".
    inbox, port = smtp
    now = "2026-09-28T17:00:00+00:00"
    app = make_app(tmp_path, NOW=now, SMTP_HOST="127.0.0.1", SMTP_PORT=port,
                   SMTP_FROM="fieldapp@demo.test", MAIL_SEND_AFTER_REQUEST=False)
    db = connect(app.config["DATABASE"])
    add_services(db)
    forget_queued_mail(db)
    with app.test_request_context():
        referrals_store.apply_referral(db, referral_item(created_at="2026-09-28T16:00:00+00:00"),
                                       user_row(db, OFFICER_ID), now)
    send_mail(app)
    [(_, message)] = inbox.messages
    english, french = body_of(message).replace("\r\n", "\n").split("\n---\n")
    assert "expires in 72 hours (October 1, 2026, 14:00)" in english
    assert "expire dans 72\u00a0heures (1er octobre 2026 à 14\u00a0h)" in french
    assert "(vous devrez vous connecter)\u00a0:" in french  # no-break space before the colon
    assert "qu’une fois" in french and "'" not in french  # curly apostrophes
    assert [] == i18n_tools.typography_problems(french)
    assert "New urgent referral / Nouvelle orientation urgente" == message["Subject"]

    # A service whose listing gives French as its language reads French first.
    db["language"].insert({"id": "lang-fr-crisis", "service_id": SVC_CRISIS, "name": "French",
                           "code": "fr"})
    with app.test_request_context():
        referrals_store.apply_referral(db, referral_item(created_at="2026-09-28T16:30:00+00:00"),
                                       user_row(db, OFFICER_ID), now)
    db.conn.close()
    send_mail(app)
    _, to_french_service = inbox.messages[1]
    assert "Nouvelle orientation urgente / New urgent referral" == to_french_service["Subject"]
    assert body_of(to_french_service).startswith("Une nouvelle orientation urgente")


def test_the_glossary_names_whose_usage_each_term_follows_and_says_it_was_not_checked_online():
    bodies = ("RCMP", "Veterans Affairs Canada", "OQLF Grand dictionnaire terminologique",
              "Termium Plus", "Halifax Regional Municipality", "Project decision")
    for term in i18n_tools.glossary():
        assert any(body in term["source"] for body in bodies), term["english"]
        assert "http" not in term["source"], term["english"]  # no address was checked
    header = i18n_tools.GLOSSARY.read_text(encoding="utf-8").split("\nenglish,")[0]
    assert "NOT checked online" in header


def test_no_french_page_names_a_police_service_in_english(app, db, login_as):
    # Every page of the policy table, as the first user allowed to see it: the police services
    # are GRC and PRH (their codes stay only in URLs, form values and CSV keys).
    english = re.compile(r"\bRCMP\b|\bHRP\b|Halifax Regional Police|Royal Canadian Mounted")
    clients, found, checked = {}, [], 0
    for url, user in html_pages(app, db):
        if user not in clients:
            client = app.test_client() if user == "anonymous" else login_as(user)
            client.post("/language", data={"language": "fr"})
            clients[user] = client
        response = clients[user].get(url)
        if response.mimetype != "text/html" or response.status_code >= 400:
            continue
        checked += 1
        parser = TextNodes()
        parser.feed(response.get_data(as_text=True))
        found += [f"{url}: {text!r}" for text in parser.texts if english.search(text)]
    assert checked > 30
    assert [] == found


def test_times_and_instants_follow_the_readers_language(app):
    # Stored instants are UTC text; people read them in the team's zone (Halifax, UTC-3 in
    # October), on the police's 24-hour clock: "14:05" / "14 h 05", and "14 h" on the hour.
    stored = "2026-10-01T17:05:00+00:00"
    with app.test_request_context(headers={"Accept-Language": "en"}):
        english = (formats.time(stored), formats.moment(stored), formats.day(stored, "medium"),
                   formats.number(2.5), formats.number(10.0), formats.decimal(1234.5))
    with app.test_request_context(headers={"Accept-Language": "fr"}):
        french = (formats.time(stored), formats.moment(stored), formats.day(stored, "medium"),
                  formats.number(2.5), formats.number(10.0), formats.decimal(1234.5),
                  formats.time("2026-10-01T17:00:00+00:00"))
    assert ("14:05", "October 1, 2026, 14:05", "Oct 1, 2026", "2.5", "10", "1,234.5") == english
    assert ("14\u00a0h\u00a005", "1er octobre 2026 à 14\u00a0h\u00a005", "1er oct. 2026", "2,5",
            "10", "1\u202f234,5", "14\u00a0h") == french
