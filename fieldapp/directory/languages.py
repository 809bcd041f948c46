"""Languages as languages: free text from a 2-1-1 export ("Spanish (limited)", "ASL",
"other languages available upon request") read into a BCP 47 code (langcodes, CLDR data, not a
hand-made table), a note when the text says more, and the search filter's list of the real
languages the directory offers, named in the interface language, most common first."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import langcodes
from babel import Locale

# The text says more than a language: these notes (in order) and whether they mean the
# service offers interpretation beyond its listed languages.
NOTES = [
    (re.compile(r"\binterpret\w*", re.I), "interpretation available", True),
    (re.compile(r"\b(upon|on|by) request\b", re.I), "upon request", True),
    (re.compile(r"\blimited\b", re.I), "limited", False),
]
# Words around a language name that are not part of it.
FILLER = re.compile(r"\(|\)|\b(limited|interpret\w*|available|upon|on|by|request|services?|"
                    r"only|some|staff|speaks?|spoken|and|other|others|languages?)\b", re.I)
# Names langcodes cannot place because they are ambiguous on their own; in North American
# 2-1-1 data "Creole" is Haitian Creole.
AMBIGUOUS = {"creole": "ht", "kreyol": "ht", "kreyòl": "ht", "sign language": "ase"}


@dataclass(frozen=True)
class Parsed:
    code: str | None  # BCP 47, None when the text names no language
    name: str | None  # the language's English name (HSDS `name`)
    note: str | None  # what else the text said ("limited", "upon request", ...)
    interpretation: bool  # the text offers interpretation / other languages


@lru_cache(maxsize=4096)
def parse(text: str) -> Parsed:
    """Read one language cell."""
    raw = (text or "").strip()
    notes, interpretation = [], False
    for pattern, note, offers in NOTES:
        if pattern.search(raw):
            notes.append(note)
            interpretation = interpretation or offers
    code = code_of(raw) or code_of(FILLER.sub(" ", raw))
    name = langcodes.Language.get(code).display_name("en") if code else None
    return Parsed(code, name, ", ".join(notes) or None, interpretation)


def code_of(text: str) -> str | None:
    """BCP 47 code of a language name or code ("Spanish", "es", "ASL" -> "ase"), or None."""
    text = re.sub(r"\s+", " ", (text or "").strip(" ,;-.")).strip()
    if not text:
        return None
    if text.lower() in AMBIGUOUS:
        return AMBIGUOUS[text.lower()]
    is_tag = bool(re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*", text)) and \
        langcodes.tag_is_valid(text) and text.lower() not in ("und", "mul", "zxx")
    if is_tag and not (text.isupper() and len(text) == 3):
        return langcodes.standardize_tag(text)
    try:  # a name; "ASL" and other capitalized abbreviations too
        return langcodes.find(text).to_tag()
    except LookupError:
        return langcodes.standardize_tag(text) if is_tag else None


def label(code: str, locale: str) -> str:
    """A language's name in the interface language ("Spanish" / "espagnol"; "Portuguese
    (Brazil)"), from Babel's CLDR names, which the app has loaded anyway.  langcodes names the
    same languages from its own table, about 20 MB in every web worker once read: it is asked
    only for the rare language Babel does not name (a sign language code, say)."""
    names = Locale.parse(locale)
    tag = langcodes.Language.get(langcodes.standardize_tag(code))
    name = names.languages.get(tag.language or "")
    if name is None:
        name = langcodes.Language.get(code).display_name(locale)
    else:
        extra = [part for part in (names.scripts.get(tag.script) if tag.script else None,
                                   names.territories.get(tag.territory) if tag.territory
                                   else None) if part]
        if extra:
            name = f"{name} ({', '.join(extra)})"
    return name[:1].upper() + name[1:]


_OPTIONS: dict = {}


def options(db, locale: str, limit: int = 30) -> list[dict]:
    """The search filter's languages: only real languages (rows with a code) that listed
    services offer, most common first: [{value, name}] named in `locale`.  Kept per process
    and database until the directory changes (directory_version, bumped by triggers)."""
    version = db.execute("SELECT n FROM directory_version WHERE id = 1").fetchone()
    key = (db.execute("PRAGMA database_list").fetchone()[2], locale, limit)
    hit = _OPTIONS.get(key)
    if hit is not None and version is not None and hit[0] == version[0]:
        return hit[1]
    found = []
    for row in db.query(
            """SELECT lower(trim(code)) AS value, count(DISTINCT service_id) AS n FROM language
               WHERE service_id IS NOT NULL AND trim(coalesce(code, '')) != ''
               GROUP BY value ORDER BY n DESC, value"""):
        if row["value"] in ("und", "mul", "zxx") or not langcodes.tag_is_valid(row["value"]):
            continue
        found.append({"value": row["value"], "name": label(row["value"], locale),
                      "n": row["n"]})
        if len(found) == limit:
            break
    if version is not None:
        _OPTIONS[key] = (version[0], found)
    return found
