"""Language: the user's saved preference, else the session's choice, else the browser's."""

import sqlite3
from pathlib import Path

from flask import Flask, current_app, has_request_context, request, session
from flask_babel import Babel, get_locale
from flask_login import current_user

from fieldapp import formats

babel = Babel()


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI commands speak the default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    try:
        if current_user and current_user.is_authenticated and current_user.language in languages:
            return current_user.language
    except sqlite3.Error:  # the database failed: the error page still speaks the session's language
        pass
    if session.get("language") in languages:
        return session["language"]
    return request.accept_languages.best_match(languages) or languages[0]


def catalogue_directories(app: Flask) -> list[str]:
    """fieldapp/translations and each area's own translations/ folder."""
    root = Path(app.root_path)
    dirs = [root / "translations"] + sorted(p for p in root.glob("*/translations") if p.is_dir())
    return [str(d) for d in dirs]


def init_app(app: Flask) -> None:
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(catalogue_directories(app))
    babel.init_app(app, locale_selector=select_locale,
                   timezone_selector=lambda: app.config["TIMEZONE"])
    app.jinja_env.globals["get_locale"] = get_locale
    for name in ("decimal", "count", "percent", "hours", "day", "quarter_label"):
        app.jinja_env.filters[name] = getattr(formats, name)
