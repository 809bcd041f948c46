"""fieldapp: the field tool of a police community-action team and its partner agencies."""

import secrets
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask, jsonify
from htmx_flask import Htmx
from werkzeug.middleware.proxy_fix import ProxyFix

from fieldapp import config as default_config

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: defaults, then instance/config.py, then FIELDAPP_* variables, then tests."""
    app = Flask(
        __name__,
        instance_path=str(ROOT / "instance"),
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.from_object(default_config)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("FIELDAPP")
    if test_config:
        app.config.from_mapping(test_config)

    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config["DATABASE"] = str(Path(app.instance_path) / app.config["DATABASE"])
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(Path(app.instance_path) / "secret_key")
    app.config["TRUSTED_HOSTS"] = trusted_hosts(app.config)
    if app.config["TRUSTED_PROXIES"]:
        n = int(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)

    # The areas load here, inside the factory (as in flaskr), not at import: importing one
    # module of the package (fieldapp.db in a script, fieldapp.config) does not load them all.
    from fieldapp import cli, db, errors, health, i18n, police, security

    app.config["POLICE_SERVICES"] = police.services(app.config["POLICE_SERVICES"])

    db.init_app(app)
    security.init_app(app)
    i18n.init_app(app)
    Htmx(app)
    errors.init_app(app)
    cli.init_app(app)
    _register_blueprints(app)
    db.wrap_unsafe_views(app)  # after every view is registered: the one write rule
    _template_globals(app)

    @app.get("/healthz")
    def healthz():
        """200 "ok" when this instance can take writes, else 503 "degraded" with the reasons."""
        report = health.check(app.config["DATABASE"], min_free_mb=app.config["HEALTH_MIN_FREE_MB"],
                              lock_wait_ms=app.config["HEALTH_LOCK_WAIT_MS"])
        response = jsonify(report)
        response.status_code = 200 if report["status"] == "ok" else 503
        response.headers["Cache-Control"] = "no-store"
        return response

    return app


def _register_blueprints(app: Flask) -> None:
    from fieldapp.accounts import bp as accounts_bp
    from fieldapp.contacts import bp as contacts_bp
    from fieldapp.directory import api_bp as directory_api_bp
    from fieldapp.directory import bp as directory_bp
    from fieldapp.pwa import bp as pwa_bp
    from fieldapp.referrals import bp as referrals_bp
    from fieldapp.reports import bp as reports_bp

    app.register_blueprint(accounts_bp)
    app.register_blueprint(contacts_bp, url_prefix="/contacts")
    app.register_blueprint(directory_bp, url_prefix="/directory")
    app.register_blueprint(directory_api_bp, url_prefix="/api")
    app.register_blueprint(referrals_bp, url_prefix="/referrals")
    app.register_blueprint(reports_bp, url_prefix="/reports")
    app.register_blueprint(pwa_bp)


def trusted_hosts(config) -> list[str] | None:
    """The Host names the app answers (any other: 400); None answers every host.

    TRUSTED_HOSTS when given (a list, or names separated by commas), else the hosts of
    SERVER_NAME and BASE_URL, else None: a development setup, the tests and the browser tests
    (localhost, 127.0.0.1) name no public origin and so are not restricted."""
    given = config.get("TRUSTED_HOSTS")
    if isinstance(given, str):
        given = [name.strip() for name in given.split(",") if name.strip()]
    if given:
        return list(given)
    derived = [urlsplit(config.get("BASE_URL") or "").hostname,
               urlsplit("//" + (config.get("SERVER_NAME") or "")).hostname]
    return sorted({host for host in derived if host}) or None


def _template_globals(app: Flask) -> None:
    from fieldapp.navigation import fixed_url, nav_for, role_label

    app.jinja_env.globals["nav_for"] = nav_for
    app.jinja_env.globals["fixed_url"] = fixed_url
    app.jinja_env.globals["role_label"] = role_label
    app.jinja_env.globals["languages"] = app.config["LANGUAGES"]
    app.jinja_env.policies["ext.i18n.trimmed"] = True


def _instance_secret(path: Path) -> str:
    """A random secret key kept in instance/ (created on first run, readable by its owner only)."""
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()
