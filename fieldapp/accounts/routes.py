"""Login, logout, language, password change, and the coordinator's account management."""

import io
import math
from datetime import datetime, time, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import Response, abort, current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_user, logout_user
from werkzeug.datastructures import MultiDict

from fieldapp import clock, csv_safe, formats
from fieldapp.accounts import bp, store
from fieldapp.accounts.forms import (
    ActiveForm,
    AuditFilterForm,
    LanguageForm,
    LoginForm,
    PasswordChangeForm,
    UserForm,
)
from fieldapp.db import get_db, own_transaction, writing
from fieldapp.navigation import home_url
from fieldapp.security import (
    User,
    audit_event,
    client_ip,
    found_or_404,
    login_manager,
    role_required,
)
from fieldapp.views import is_htmx, render


@login_manager.user_loader
def load_user(session_token: str) -> User | None:
    config = current_app.config
    row = store.load_session(
        get_db(),
        session_token,
        clock.now(),
        idle=timedelta(minutes=config["IDLE_TIMEOUT_MINUTES"]),
        absolute=timedelta(hours=config["ABSOLUTE_TIMEOUT_HOURS"]),
    )
    return User(row) if row else None


def safe_next(target: str | None) -> str | None:
    """Only same-site paths are followed after login (no open redirect)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.get("/")
def index():
    """Send each role to its home page."""
    return redirect(home_url(current_user.role))


@bp.route("/login", methods=["GET", "POST"])
@own_transaction  # the password hash runs before the write lock is taken, not while holding it
def login():
    """Log in with e-mail and password; too many failures slow down that account and client."""
    form = LoginForm()
    if request.method == "GET":
        if current_user.is_authenticated:
            return redirect(home_url(current_user.role))
        form.next.data = safe_next(request.args.get("next"))
        return render("accounts/login.html", form=form)

    db = get_db()
    config = current_app.config
    email = form.email.data  # normalized, and cut to the longest valid address
    password = form.password.data or ""
    form.next.data = next_url = safe_next(form.next.data)
    now = clock.now()
    window = timedelta(minutes=config["LOGIN_WINDOW_MINUTES"])
    ip = client_ip()

    # The client's own limit comes first and costs no hash: it says nothing about accounts.
    wait = store.client_retry_after(db, ip, now, max_failures=config["LOGIN_CLIENT_MAX_FAILURES"],
                                    window=window)
    if wait:
        with writing(db):
            audit_event("login_throttled", object_type="client", object_id=ip, outcome="429")
        return _too_many_attempts(wait, form)

    user = store.get_user_by_email(db, email)
    wait = store.account_retry_after(db, email, now, max_failures=config["LOGIN_MAX_FAILURES"],
                                     window=window)
    if wait:
        # Checked against the dummy hash: the same cost as any other answer about an account.
        store.verify_password(None, password, config["PASSWORD_HASH_METHOD"])
        with writing(db):
            audit_event("login_throttled", object_type="account", object_id=email,
                        outcome="429", user=user)
        return _too_many_attempts(wait, form)

    valid = store.verify_password(user, password, config["PASSWORD_HASH_METHOD"])
    if not valid or not user["active"]:
        with writing(db):
            store.forget_failures_before(db, clock.iso(now - window))
            store.record_failure(db, email, clock.iso(now), ip)
            audit_event("login_failed", object_type="account", object_id=email,
                        outcome="401", user=user)
        form.refuse(_("That e-mail and password do not match an active account."))
        return render("accounts/login.html", status=401, form=form)

    with writing(db):
        store.clear_failures(db, email)
        token = store.start_session(db, user["id"], clock.iso(now))
        audit_event("login", object_type="user", object_id=user["id"], user=user)
    session.clear()
    login_user(load_user(token))
    if user["must_change_password"]:
        return redirect(url_for("accounts.change_password"))
    return redirect(next_url or home_url(user["role"]))


def _too_many_attempts(seconds: int, form: LoginForm):
    """429 with Retry-After, and a message saying how long to wait."""
    minutes = max(1, math.ceil(seconds / 60))
    form.refuse(ngettext("Too many attempts. Try again in %(num)d minute.",
                         "Too many attempts. Try again in %(num)d minutes.", minutes))
    response = render("accounts/login.html", status=429, form=form)
    response.headers["Retry-After"] = str(seconds)
    return response


@bp.post("/logout")
def logout():
    """End this session on the server, so a copy of the cookie is worth nothing."""
    audit_event("logout", object_type="user", object_id=current_user.id)
    store.end_session(get_db(), current_user.session_token)
    logout_user()
    session.clear()
    flash(_("You are logged out."), "info")
    response = redirect(url_for("accounts.login"))
    return response


@bp.post("/language")
def set_language():
    """Switch the interface language (saved on the account when logged in)."""
    form = LanguageForm()
    if not form.validate():
        return render("errors/error.html", status=400, status_code=400,
                      message=form.language.errors[0])
    language = form.language.data
    if current_user.is_authenticated:
        store.update_user(get_db(), current_user.id, {"language": language}, now=clock.iso())
    session["language"] = language
    return redirect(safe_next(form.next.data) or url_for("accounts.index"))


@bp.route("/account/password", methods=["GET", "POST"])
def change_password():
    """Change one's own password; every other session of the account ends."""
    db = get_db()
    config = current_app.config
    user = store.get_user(db, current_user.id)
    form = PasswordChangeForm(user=user, hash_method=config["PASSWORD_HASH_METHOD"],
                              min_length=config["PASSWORD_MIN_LENGTH"],
                              max_length=config["PASSWORD_MAX_LENGTH"])
    if request.method == "GET":
        return render("accounts/password.html", form=form)
    if not form.validate():
        return render("accounts/password.html", status=400, form=form)
    new = form.new_password.data
    now = clock.iso()
    store.set_password(db, user["id"], new, hash_method=config["PASSWORD_HASH_METHOD"], now=now)
    audit_event("password_changed", object_type="user", object_id=user["id"])
    token = store.start_session(db, user["id"], now)
    login_user(load_user(token))
    flash(_("Your password is changed. Other devices have been logged out."), "info")
    return redirect(home_url(user["role"]))


# --- coordinator: accounts ------------------------------------------------------------------


def _users_context(db, **extra):
    return {"form": _user_form(db),
        "users": store.list_users(db),
        "organizations": store.organizations(db),
        "roles": store.ROLES,
        "police_services": current_app.config["POLICE_SERVICES"],
        **extra,
    }


@bp.get("/accounts/users")
@role_required("coordinator")
def users():
    """All accounts, and the form to create one."""
    return render("accounts/users.html", **_users_context(get_db()))


@bp.post("/accounts/users")
@role_required("coordinator")
def create_user():
    """Create an account; its one-time password is shown once, here."""
    db = get_db()
    config = current_app.config
    form = _user_form(db, request.form)
    if not form.validate():
        return render("accounts/users.html", status=400, **_users_context(db, form=form))
    password = store.new_one_time_password()
    user = store.create_user(db, form.fields(), password,
                             hash_method=config["PASSWORD_HASH_METHOD"], now=clock.iso(),
                             must_change_password=True)
    audit_event("user_created", object_type="user", object_id=user["id"],
                detail={"role": user["role"]})
    return render("accounts/users.html", status=201,
                  **_users_context(db, created=user, one_time_password=password))


def _user_form(db, formdata=None, *, existing_id: str | None = None) -> UserForm:
    return UserForm(formdata, db=db, police_services=current_app.config["POLICE_SERVICES"],
                    existing_id=existing_id)


def _managed_user(user_id: str) -> dict:
    return found_or_404(store.get_user(get_db(), user_id), "user", user_id)


@bp.post("/accounts/users/<user_id>/role")
@role_required("coordinator")
def change_role(user_id):
    """Change an account's role (and organization or police service to match)."""
    db = get_db()
    user = _managed_user(user_id)
    # The row sends the role (and may send the service or organization); the rest stays.
    fields = {name: user[name] or "" for name in UserForm.editable}
    row_form = _user_form(db, MultiDict({**fields, **request.form.to_dict()}),
                          existing_id=user_id)
    for field in row_form:  # ids of this row's fields: one table shows every account's row
        field.id = f"{field.name}-{user_id}"
    if not row_form.validate():
        return render("accounts/users.html", "accounts/_user_row.html", status=400,
                      **_users_context(db), user=user, row_form=row_form)
    changes = row_form.fields()
    store.update_user(db, user_id, changes, now=clock.iso())
    store.end_all_sessions(db, user_id)
    audit_event("user_role_changed", object_type="user", object_id=user_id,
                detail={"from": user["role"], "to": changes["role"]})
    return _user_row_response(db, user_id)


@bp.post("/accounts/users/<user_id>/active")
@role_required("coordinator")
def set_active(user_id):
    """Disable or enable an account; disabling ends its sessions at once."""
    db = get_db()
    _managed_user(user_id)  # 404 for an unknown account
    active = ActiveForm().active.data
    if user_id == current_user.id and not active:
        return render("errors/error.html", "errors/_error.html", status=400, status_code=400,
                      message=_("You cannot disable your own account."))
    store.set_active(db, user_id, active, now=clock.iso())
    audit_event("user_enabled" if active else "user_disabled", object_type="user",
                object_id=user_id)
    return _user_row_response(db, user_id)


def _user_row_response(db, user_id):
    user = next(u for u in store.list_users(db) if u["id"] == user_id)
    if is_htmx():
        return render("accounts/_user_row.html", **_users_context(db), user=user)
    flash(_("Account updated."), "info")
    return redirect(url_for("accounts.users"))


# --- coordinator: the audit trail ------------------------------------------------------------

AUDIT_PAGE_SIZE = 50
AUDIT_CSV_MAX_ROWS = 100_000


def _audit_filters(db) -> tuple[AuditFilterForm, dict]:
    """The trail's filters from the query string: (the form, its values, store arguments)."""
    tz = ZoneInfo(current_app.config["TIMEZONE"])
    form = AuditFilterForm(request.args,
                           people=store.users_of_service(db, current_user.police_service))
    form.validate()
    query: dict = {"action": form.action.data or None,
                   "user_id": None if form.user.errors else form.user.data or None}
    for field, key in ((form.from_, "since"), (form.to, "until")):
        day = form.day(field)
        query[key] = clock.iso(datetime.combine(day, time(), tz)) if day else None
    return form, query


def _audit_page_number() -> int:
    try:
        return max(1, int(request.args.get("page", "1")))
    except ValueError:
        return 1


def _audit_rows(rows: list[dict]) -> list[dict]:
    for row in rows:  # "Oct 1, 2026, 14:05" / "1er oct. 2026 à 14 h 05", the team's zone
        row["when"] = formats.moment(row["at"], "medium")
    return rows


@bp.get("/accounts/audit")
@role_required("coordinator")
def audit():
    """The audit trail of the coordinator's police service: filtered, newest first, paged."""
    db = get_db()
    form, query = _audit_filters(db)
    page = _audit_page_number()
    rows = store.audit_trail(db, current_user.police_service, **query,
                             limit=AUDIT_PAGE_SIZE + 1, offset=(page - 1) * AUDIT_PAGE_SIZE)
    has_next = len(rows) > AUDIT_PAGE_SIZE
    rows = _audit_rows(rows[:AUDIT_PAGE_SIZE])
    audit_event("audit_viewed", object_type="audit_event",
                detail={**_audit_detail(form), "page": page, "rows": len(rows)})
    filters = {name: value for name, value in form.values().items() if value}
    return render(
        "accounts/audit.html", "accounts/_audit_results.html", status=400 if form.errors else 200,
        rows=rows, form=form, page_number=page, has_next=has_next, filters=filters,
        actions=store.audit_actions(db),
        people=store.users_of_service(db, current_user.police_service),
        police_service_name=current_app.config["POLICE_SERVICES"].get(
            current_user.police_service, current_user.police_service),
    )


@bp.get("/accounts/audit.csv")
@role_required("coordinator")
def audit_csv():
    """The filtered audit trail as CSV (every cell made safe for spreadsheets); audited."""
    db = get_db()
    form, query = _audit_filters(db)
    if form.errors:
        abort(400, description=" ".join(str(messages[0]) for messages in form.errors.values()))
    rows = store.audit_trail(db, current_user.police_service, **query,
                             limit=AUDIT_CSV_MAX_ROWS)
    out = io.StringIO()
    writer = csv_safe.writer(out)
    writer.writerow(["at_utc", "user_email", "user_name", "role", "action", "object_type",
                     "object_id", "outcome", "ip", "detail"])
    writer.writerows([row["at"], row["user_email"], row["user_name"], row["role"],
                      row["action"], row["object_type"], row["object_id"], row["outcome"],
                      row["ip"], row["detail"]] for row in rows)
    audit_event("audit_exported", object_type="audit_event",
                detail={**_audit_detail(form), "rows": len(rows)})
    filename = f"audit-{current_user.police_service}-{clock.now().date().isoformat()}.csv"
    return Response("\ufeff" + out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _audit_detail(form: AuditFilterForm) -> dict:
    """What a reading of the trail asked for: codes, dates and ids only."""
    return {name: value[:64] for name, value in form.values().items() if value}
