"""The project-owned service categories and populations, defined once.

Each category has a stable code (stored in `service_category.category`), a translated label, and
its mapping to the Open Eligibility taxonomy (https://openeligibility.org, the taxonomy in the
Ohana sample): `oe_codes` are Open Eligibility *service* codes (a term whose code equals one of
them or starts with "<code>-" maps to the category); `oe_situations` are Open Eligibility
"human situation" names (Seniors, Veterans, Youth, ...), which have no numeric code.
`search_text` holds the English and French words that go into the FTS index (service.category_text),
so "logement" finds housing services whatever the interface language.
"""

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext


@dataclass(frozen=True)
class Category:
    code: str
    label: object  # lazy string
    oe_codes: tuple = ()
    oe_situations: tuple = ()
    search_text: str = ""


CATEGORIES = [
    Category("mental_health_crisis", _l("Mental health & crisis"),
             ("101-07", "106-04-08", "106-06-04-04"), ("Mental Health",),
             "mental health crisis santé mentale crise"),
    Category("housing_shelter", _l("Housing & shelter"), ("101-04", "103"), ("Homeless",),
             "housing shelter logement refuge hébergement"),
    Category("youth", _l("Youth"), (), ("Youth", "Teens", "Young Adults"),
             "youth jeunes jeunesse"),
    Category("seniors", _l("Seniors"), (), ("Seniors", "Older Adults"),
             "seniors aînés personnes âgées"),
    Category("veterans", _l("Veterans"), (), ("Veterans", "Military"),
             "veterans vétérans anciens combattants"),
    Category("substance_use", _l("Substance use"), ("106-01",), ("Addiction",),
             "substance use addiction toxicomanie dépendance"),
    Category("food_basic_needs", _l("Food & basic needs"), ("101-03", "102", "104"), (),
             "food basic needs alimentation besoins essentiels nourriture"),
    Category("family", _l("Family"), ("108-01", "108-03", "109-04", "106-04-03"),
             ("Families", "Parents", "Children"),
             "family famille parents"),
    Category("legal", _l("Legal"), ("111",), (), "legal juridique aide juridique"),
    Category("health", _l("Health"), ("106",), (), "health santé soins"),
    Category("income", _l("Income"), ("101-02", "107", "110"), ("Low-Income",),
             "income revenu aide financière emploi"),
]

BY_CODE = {category.code: category for category in CATEGORIES}
CODES = [category.code for category in CATEGORIES]

POPULATIONS = {
    "child_under_12": _l("Children under 12"),
    # "Youth" is plural here (people a service serves), singular on a contact: a context of its own.
    "youth_12_17": lazy_pgettext("people served", "Youth 12-17"),
    "senior_65_plus": _l("Seniors 65+"),
    "veteran": _l("Veterans"),
    "mental_health": _l("People living with mental illness"),
    "substance_use": _l("People who use substances"),
    "unsheltered": _l("People without shelter"),
    "chronically_involved": _l("People often in contact with police"),
}


def label(code: str) -> str:
    category = BY_CODE.get(code)
    return str(category.label) if category else code


def categories_for_oe_code(code: str) -> list[str]:
    """Project categories of an Open Eligibility code ('103-01' -> ['housing_shelter'])."""
    code = (code or "").strip()
    found = []
    for category in CATEGORIES:
        if any(code == oe or code.startswith(oe + "-") for oe in category.oe_codes):
            found.append(category.code)
    return found


def categories_for_term_name(name: str) -> list[str]:
    """Project categories of a taxonomy term known by name (OE situations, our own codes)."""
    text = (name or "").strip().lower()
    if text in BY_CODE:
        return [text]
    return [c.code for c in CATEGORIES if any(text == s.lower() for s in c.oe_situations)]


def category_rows() -> list[dict]:
    """Rows of the `directory_category` table (what the FTS triggers read)."""
    return [{"code": c.code, "position": i, "search_text": c.search_text,
             "oe_codes": ",".join(c.oe_codes)} for i, c in enumerate(CATEGORIES)]
