"""Maintain the translation catalogues: one per area (fieldapp/<area>/translations) and a
shared one (fieldapp/translations).

    python -m fieldapp.i18n_tools extract          # refresh every catalogue from the code
    python -m fieldapp.i18n_tools extract AREA     # one area ("core" = the shared catalogue)
    python -m fieldapp.i18n_tools check     # untranslated, fuzzy, conflicting or off-glossary
                                            # messages; exit 1 if any
    python -m fieldapp.i18n_tools compile   # compile every catalogue (French typography applied)

An area's catalogue holds the strings of fieldapp/<area>/ and templates/<area>/; the shared
catalogue (fieldapp/translations) holds everything else (base.html, errors, vocabularies).

The catalogues are merged at run time (the last one loaded wins), so one msgid has one
translation in every catalogue (`conflicts`): where one English word means two things, the code
gives it a context (`lazy_pgettext("people served", "Youth 12-17")`). Key terms have one French
rendering, listed with its source in fieldapp/translations/glossary.csv (`glossary_problems`).
"""

import csv
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "fieldapp"
LANGUAGES = ["fr"]
GLOSSARY = PACKAGE / "translations" / "glossary.csv"


def areas() -> list[str]:
    return sorted(p.parent.name for p in PACKAGE.glob("*/translations"))


def sources_for(area: str | None) -> list[str]:
    if area:
        paths = [PACKAGE / area, ROOT / "templates" / area]
        return [str(p.relative_to(ROOT)) for p in paths if p.exists()]
    own = [str(p.relative_to(ROOT)) for p in PACKAGE.glob("*.py")]
    own += [str(p.relative_to(ROOT)) for p in (ROOT / "templates").glob("*.html")]
    own += [str(p.relative_to(ROOT)) for p in (ROOT / "templates" / "errors").glob("*.html")]
    others = [p for p in PACKAGE.iterdir() if p.is_dir() and p.name not in areas()
              and p.name not in ("translations", "__pycache__")]
    own += [str(p.relative_to(ROOT)) for p in others]
    return own


def extract(only: str | None = None) -> None:
    chosen = [None, *areas()] if only is None else [None if only == "core" else only]
    for area in chosen:
        directory = PACKAGE / area / "translations" if area else PACKAGE / "translations"
        with tempfile.TemporaryDirectory() as tmp:
            pot = Path(tmp) / "messages.pot"
            subprocess.run(
                [sys.executable, "-m", "babel.messages.frontend", "-q", "extract",
                 "-F", str(ROOT / "babel.cfg"), "-k", "_l", "-k", "lazy_pgettext:1c,2",
                 "--no-location", "--sort-output",
                 "-o", str(pot), *sources_for(area)],
                cwd=ROOT, check=True,
            )
            for lang in LANGUAGES:
                po = directory / lang / "LC_MESSAGES" / "messages.po"
                command = "update" if po.exists() else "init"
                subprocess.run(
                    [sys.executable, "-m", "babel.messages.frontend", "-q", command,
                     "-i", str(pot), "-d", str(directory), "-l", lang, "--no-wrap"]
                    + (["--ignore-obsolete", "--no-fuzzy-matching"] if command == "update" else []),
                    cwd=ROOT, check=True,
                )


# French typography, applied when the catalogues are compiled (so every new entry gets it):
# U+202F (narrow no-break space) before ; ! ? and U+00A0 (no-break space) before : and inside
# « », U+00A0 between a number and its unit, and curly apostrophes.  The .po files keep what the
# translator typed.
NNBSP, NBSP = "\u202f", "\u00a0"
NUMBER = r"(?:\d|%\(\w+\)[sd]|\{\w+\})"
UNITS = (r"(?:h|min|s|j|jours?|heures?|minutes?|secondes?|semaines?|mois|ans?|km|m|%|"
         r"caractères|octets|[kKMG]o)")
FRENCH_RULES = [
    (re.compile(r"(?<=[A-Za-zÀ-ÿ])'(?=[A-Za-zÀ-ÿ])"), "\u2019"),
    # Before ; ! ? (an ordinary space, or none after a word), not in a URL's query (?x=).
    (re.compile(r"[ \u00a0]+([;!?])"), NNBSP + r"\1"),
    (re.compile(r"(?<=[\w»)%’])([;!?])(?=\s|$|<|»|\))"), NNBSP + r"\1"),
    # Before : (not in 5:00 or https://).
    (re.compile(r"[ \u202f]+:"), NBSP + ":"),
    (re.compile(r"(?<=[\w»)’])(:)(?=\s|$|<)"), NBSP + ":"),
    (re.compile(r"«[ \u202f]*"), "«" + NBSP),
    (re.compile(r"[ \u202f]*»"), NBSP + "»"),
    (re.compile(rf"({NUMBER}) ({UNITS})(?![\w-])"), r"\1" + NBSP + r"\2"),
]


FRENCH_VIOLATIONS = {
    "ordinary space before ; ! ? :": re.compile(r" [;!?:]"),
    "no space before ; ! ?": re.compile(r"[\w»)’][;!?](?=\s|$)"),
    "no space before :": re.compile(r"[\w»)’]:(?=\s|$)"),
    "breakable space inside « »": re.compile(r"«(?![\u00a0\u202f])|(?<![\u00a0\u202f])»"),
    "breakable space between a number and its unit": re.compile(
        rf"{NUMBER}[ ]{UNITS}(?![\w-])"),
    "straight apostrophe": re.compile(r"[A-Za-zÀ-ÿ]'[A-Za-zÀ-ÿ]"),
}


def typography_problems(text: str) -> list[str]:
    """What in a French string breaks the rules typeset() applies."""
    return [rule for rule, pattern in FRENCH_VIOLATIONS.items() for _ in pattern.finditer(text)]


def typeset(text: str, lang: str) -> str:
    """The text with the typography rules of `lang` (French only, so far)."""
    if lang != "fr" or not text:
        return text
    for pattern, replacement in FRENCH_RULES:
        text = pattern.sub(replacement, text)
    return text


def catalogue_directories() -> list[Path]:
    return [PACKAGE / "translations", *(PACKAGE / area / "translations" for area in areas())]


def compile_all() -> None:
    """Compile every messages.po to messages.mo, typography applied (make translations)."""
    for directory in catalogue_directories():
        for po_path in sorted(directory.glob("*/LC_MESSAGES/messages.po")):
            lang = po_path.parent.parent.name
            with po_path.open("rb") as handle:
                catalog = read_po(handle, locale=lang)
            for message in catalog:
                if not message.id:
                    continue
                if isinstance(message.string, tuple):
                    message.string = tuple(typeset(s, lang) for s in message.string)
                else:
                    message.string = typeset(message.string, lang)
            with po_path.with_suffix(".mo").open("wb") as handle:
                write_mo(handle, catalog)


def po_files(lang: str = "fr") -> list[Path]:
    return sorted(PACKAGE.glob(f"**/translations/{lang}/LC_MESSAGES/messages.po"))


def translations(lang: str = "fr") -> dict[tuple[str | None, str], dict[str, str]]:
    """(context, msgid) -> {catalogue: msgstr} over every catalogue (plurals by their forms)."""
    found: dict[tuple[str | None, str], dict[str, str]] = {}
    for po_path in po_files(lang):
        with po_path.open("rb") as handle:
            catalog = read_po(handle)
        name = str(po_path.relative_to(PACKAGE).parents[2])
        for message in catalog:
            if not message.id:
                continue
            msgid = message.id if isinstance(message.id, str) else " | ".join(message.id)
            string = (message.string if isinstance(message.string, str)
                      else " | ".join(message.string))
            found.setdefault((message.context, msgid), {})[name] = string
    return found


def conflicts(lang: str = "fr") -> list[str]:
    """Messages that two catalogues translate differently (at run time one would win)."""
    return [f"{msgid!r}{f' (context {context!r})' if context else ''}: {by_catalogue}"
            for (context, msgid), by_catalogue in sorted(translations(lang).items(),
                                                         key=lambda item: item[0][1])
            if len(set(by_catalogue.values())) > 1]


def glossary() -> list[dict[str, str]]:
    """The glossary's terms (its first lines, starting with #, say where they come from)."""
    with GLOSSARY.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(line for line in handle if not line.startswith("#")))


def glossary_problems(lang: str = "fr") -> list[str]:
    """Translations of a glossary term that miss its one French term or use a rejected one."""
    found = []
    terms = glossary()
    for (_context, msgid), by_catalogue in translations(lang).items():
        for term in terms:
            if not re.search(term["msgid_pattern"], msgid, re.IGNORECASE):
                continue
            for name, string in by_catalogue.items():
                if (not re.search(term["msgstr_required"], string, re.IGNORECASE)
                        or re.search(term["msgstr_forbidden"], string, re.IGNORECASE)):
                    found.append(f"{name}: {msgid!r} -> {string!r}: "
                                 f"{term['english']!r} is {term['french']!r}")
    return sorted(found)


def problems() -> list[str]:
    found = []
    for po_path in sorted(PACKAGE.glob("**/translations/*/LC_MESSAGES/messages.po")):
        with po_path.open("rb") as handle:
            catalog = read_po(handle)
        for message in catalog:
            if not message.id:
                continue
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            if message.fuzzy or not all(strings):
                found.append(f"{po_path.relative_to(ROOT)}: {message.id!r}")
    return found


if __name__ == "__main__":
    if sys.argv[1:2] == ["compile"]:
        compile_all()
        sys.exit(0)
    if sys.argv[1:2] == ["extract"]:
        extract(sys.argv[2] if len(sys.argv) > 2 else None)
    left = problems() + conflicts() + glossary_problems()
    print("\n".join(left) or "All messages translated.")
    sys.exit(1 if left and sys.argv[1:] == ["check"] else 0)
