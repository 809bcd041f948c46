"""The police services that share the city, named in the reader's language.

config.POLICE_SERVICES maps a stable code (HRP, RCMP: kept in the database, URLs and CSV keys)
to a name and an abbreviation per language.  create_app turns each into a `PoliceService`, which
prints as its name in the current request's language, so templates and views that show
`police_services[code]` or iterate `police_services.items()` speak French or English without
knowing it.  An instance config may still give a plain display name (code -> "name"): it is shown
as is in every language.
"""

from dataclasses import dataclass, field

from flask import has_request_context
from flask_babel import get_locale
from markupsafe import escape


def current_language(default: str = "en") -> str:
    locale = get_locale() if has_request_context() else None
    return locale.language if locale else default


@dataclass(frozen=True, eq=False)
class PoliceService:
    code: str
    names: dict[str, str] = field(default_factory=dict)
    abbreviations: dict[str, str] = field(default_factory=dict)

    def name(self, language: str | None = None) -> str:
        language = language or current_language()
        return self.names.get(language) or self.names.get("en") or self.code

    def abbreviation(self, language: str | None = None) -> str:
        language = language or current_language()
        return self.abbreviations.get(language) or self.abbreviations.get("en") or self.code

    def __str__(self) -> str:
        return self.name()

    def __html__(self) -> str:
        return str(escape(self.name()))

    def __bool__(self) -> bool:
        return True


def service(code: str, setting) -> PoliceService:
    """One entry of POLICE_SERVICES: {"name": {lang: ...}, "abbreviation": {lang: ...}}, an
    existing PoliceService, or a plain display name."""
    if isinstance(setting, PoliceService):
        return setting
    if isinstance(setting, str):
        return PoliceService(code, {"en": setting}, {"en": code})
    return PoliceService(code, dict(setting.get("name", {})), dict(setting.get("abbreviation", {})))


def services(settings: dict) -> dict[str, PoliceService]:
    return {code: service(code, setting) for code, setting in settings.items()}


def abbreviation(police_services: dict, code: str) -> str:
    """The abbreviation of a police service in the current language (the code when unknown)."""
    found = police_services.get(code)
    return found.abbreviation() if isinstance(found, PoliceService) else code
