"""French ready to publish (issue 22): one translation per msgid across the seven catalogues,
the glossary's one French term per concept, French typography, and numbers and dates in the
user's language."""

import re

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
