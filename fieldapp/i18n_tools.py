"""Maintain the translation catalogues: one per area (fieldapp/<area>/translations) and a
shared one (fieldapp/translations).

    python -m fieldapp.i18n_tools extract          # refresh every catalogue from the code
    python -m fieldapp.i18n_tools extract AREA     # one area ("core" = the shared catalogue)
    python -m fieldapp.i18n_tools check     # list untranslated or fuzzy messages; exit 1 if any

An area's catalogue holds the strings of fieldapp/<area>/ and templates/<area>/; the shared
catalogue (fieldapp/translations) holds everything else (base.html, errors, vocabularies).
"""

import subprocess
import sys
import tempfile
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "fieldapp"
LANGUAGES = ["fr"]


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
                 "-F", str(ROOT / "babel.cfg"), "-k", "_l", "--no-location", "--sort-output",
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
    if sys.argv[1:2] == ["extract"]:
        extract(sys.argv[2] if len(sys.argv) > 2 else None)
    left = problems()
    print("\n".join(left) or "All messages translated.")
    sys.exit(1 if left and sys.argv[1:] == ["check"] else 0)
