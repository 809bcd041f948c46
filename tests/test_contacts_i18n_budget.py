"""French everywhere in contacts, and the deterministic budgets of the officer's pages."""

import gzip
import re
from pathlib import Path

from babel.messages.pofile import read_po

from fieldapp.contacts import demo

CATALOGUE = (Path(__file__).parent.parent / "fieldapp/contacts/translations/fr/LC_MESSAGES"
             / "messages.po")


def test_every_contacts_string_has_a_french_translation():
    with CATALOGUE.open("rb") as handle:
        catalog = read_po(handle)
    missing = [m.id for m in catalog if m.id and (m.fuzzy or not m.string)]
    assert [] == missing


def in_french(client):
    assert 302 == client.post("/language", data={"language": "fr", "next": "/contacts/new"}
                              ).status_code
    return client


def test_contact_pages_are_in_french(login_as):
    client = in_french(login_as("officer"))
    form = client.get("/contacts/new").get_data(as_text=True)
    assert '<html lang="fr">' in form
    for text in ("Noter un contact", "Type de contact", "Visite de bien-être", "Résultat",
                 "Utiliser ma position", "Enregistrer", "Individuel ou groupe",
                 "Préoccupation de santé mentale", "Personne (facultatif)"):
        assert text in form, text
    for english in ("Kind of contact", "Outcome", "Use my location", "Wellness check"):
        assert english not in form, english
    person = client.get(f"/contacts/people/{demo.PERSON_JD}").get_data(as_text=True)
    assert "Interactions répétées\u00a0: 3 contacts en 60\u00a0jours" in person  # no-break spaces
    listing = client.get("/contacts/").get_data(as_text=True)
    assert "Mes contacts" in listing and "Filtrer" in listing
    refused = client.post("/contacts/new", data={"kind": "nope"}).get_data(as_text=True)
    assert "Rien n’a été enregistré" in refused
    assert "Ce type de contact ne figure pas dans la liste." in refused


def test_contact_form_with_all_its_assets_weighs_at_most_60_kb_gzipped(login_as):
    client = login_as("officer")
    html = client.get("/contacts/new").data
    assets = re.findall(rb'<script[^>]+src="([^"]+)"', html)
    assets += re.findall(rb'<link[^>]+rel="stylesheet"[^>]+href="([^"]+)"', html)
    assert len(assets) >= 3  # htmx, app.js, contacts.js, app.css
    sizes = {"page": len(gzip.compress(html, 9))}
    for url in assets:
        response = client.get(url.decode())
        assert 200 == response.status_code, url
        sizes[url.decode()] = len(gzip.compress(response.data, 9))
    total = sum(sizes.values())
    assert total <= 60 * 1024, sizes
