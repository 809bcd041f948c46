"""French ready to publish (issue 22): one translation per msgid across the seven catalogues,
the glossary's one French term per concept, French typography, and numbers and dates in the
user's language."""

import re

from babel.messages.mofile import read_mo

from fieldapp import i18n_tools


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
