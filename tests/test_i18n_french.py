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
