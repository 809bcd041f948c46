"""Language: the user's saved preference, else the session's choice, else the browser's."""

import sqlite3
from pathlib import Path

from flask import Flask, current_app, g, has_request_context, request, session
from flask_babel import Babel, get_locale, get_translations
from flask_login import current_user

from fieldapp import formats

babel = Babel()


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI commands speak the default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    try:
        user = current_user._get_current_object()  # once: each proxy look-up costs
        if user and user.is_authenticated and user.language in languages:
            return user.language
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


def _translations():
    """flask_babel's translations, looked up once per request and locale: a page translates
    dozens of template strings, and flask_babel's own look-up walks several context proxies
    each time.  Keyed by the locale object flask_babel keeps for the request, so force_locale
    and refresh() (a new or no locale object) are followed."""
    ctx = g.get("_flask_babel")
    locale = getattr(ctx, "babel_locale", None)
    if locale is None:
        return get_translations()
    kept = getattr(ctx, "fieldapp_translations", None)
    if kept is None or kept[0] is not locale:
        kept = ctx.fieldapp_translations = (locale, get_translations())
    return kept[1]


def init_app(app: Flask) -> None:
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(catalogue_directories(app))
    babel.init_app(app, locale_selector=select_locale,
                   timezone_selector=lambda: app.config["TIMEZONE"])
    app.jinja_env.globals["get_locale"] = get_locale
    # The templates' _() and ngettext(): the same catalogues as flask_babel's, found faster.
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
    )
    for name in ("decimal", "count", "number", "percent", "hours", "day", "time", "moment",
                 "quarter_label"):
        app.jinja_env.filters[name] = getattr(formats, name)
