"""Data access for users, sessions and failed logins.  Plain functions over a Database."""

import functools
import math
import secrets
import uuid
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlite_utils import Database
from werkzeug.security import check_password_hash, generate_password_hash

from fieldapp.db import select, writing

ROLES = ("officer", "partner", "coordinator")
LANGUAGES = ("en", "fr")


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()


def get_user(db: Database, user_id: str) -> dict | None:
    rows = list(db["user"].rows_where("id = ?", [user_id], limit=1))
    return rows[0] if rows else None


def get_user_by_email(db: Database, email: str) -> dict | None:
    rows = list(db["user"].rows_where("email = ?", [normalize_email(email)], limit=1))
    return rows[0] if rows else None


def list_users(db: Database) -> list[dict]:
    sql = """
        select user.*, organization.name as organization_name
        from user left join organization on organization.id = user.organization_id
        order by user.active desc, user.role, user.name
    """
    return [dict(row) for row in db.query(sql)]


def organizations(db: Database) -> list[dict]:
    return list(
        db["organization"].rows_where("archived_at is null", select="id, name", order_by="name")
    )


def check_password_rules(password: str, min_length: int, max_length: int) -> str | None:
    """A message when the password is too short, too long or a common one, else None.

    No composition rules (OWASP ASVS 6.2.5); common and breached passwords are refused (6.2.4).
    """
    if len(password) < min_length:
        return _("Use at least %(n)d characters.", n=min_length)
    if len(password) > max_length:
        return _("Use at most %(n)d characters.", n=max_length)
    if is_common_password(password):
        return _("This password is in lists of common and breached passwords that attackers try "
                 "first. Choose another, for example a few unrelated words.")
    return None


@functools.cache
def _common_passwords() -> frozenset[str]:
    # zxcvbn ships the 30,000 most used passwords of Mark Burnett's 10 million leaked passwords
    # (xato.net), lower-cased.  Loaded on the first password set, not at start-up (≈ 14 MB).
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def is_common_password(password: str) -> bool:
    """Whether `password` (in any letter case) is on the shipped list of breached passwords."""
    return password.strip().lower() in _common_passwords()


def new_one_time_password() -> str:
    return secrets.token_urlsafe(12)


def create_user(
    db: Database, fields: dict, password: str, *, hash_method: str, now: str,
    must_change_password: bool = False, user_id: str | None = None,
) -> dict:
    """Insert a validated user and return it."""
    user = {
        "id": user_id or str(uuid.uuid4()),
        **fields,
        "active": 1,
        "password_hash": generate_password_hash(password, method=hash_method),
        "must_change_password": int(must_change_password),
        "created_at": now,
        "updated_at": now,
    }
    db["user"].insert(user)
    return user


def update_user(db: Database, user_id: str, changes: dict, *, now: str) -> None:
    db["user"].update(user_id, {**changes, "updated_at": now})


def set_password(
    db: Database, user_id: str, password: str, *, hash_method: str, now: str,
    must_change: bool = False,
) -> None:
    """Store a new password and end every session of the user."""
    with writing(db):
        db["user"].update(
            user_id,
            {
                "password_hash": generate_password_hash(password, method=hash_method),
                "must_change_password": int(must_change),
                "updated_at": now,
            },
        )
        end_all_sessions(db, user_id)


def set_active(db: Database, user_id: str, active: bool, *, now: str) -> None:
    with writing(db):
        db["user"].update(user_id, {"active": int(active), "updated_at": now})
        if not active:
            end_all_sessions(db, user_id)


@functools.cache
def dummy_hash(hash_method: str) -> str:
    """A hash of a random secret at `hash_method`, made once per process and method.

    Checked when there is no account (or no check is allowed), so that every login answer costs
    exactly one hash computation and timing does not tell which accounts exist.
    """
    return generate_password_hash(secrets.token_urlsafe(16), method=hash_method)


def verify_password(user: dict | None, password: str, hash_method: str) -> bool:
    """Whether `password` is `user`'s; always exactly one hash computation, user or not."""
    if user is None:
        check_password_hash(dummy_hash(hash_method), password)
        return False
    return check_password_hash(user["password_hash"], password)


# --- failed logins -------------------------------------------------------------------------
#
# One row per failed login, with the e-mail tried and the client's address, counted in SQLite so
# that every gunicorn worker sees the same numbers.  Two throttles read them:
# - per client: at most so many failures in the window from one address, whatever the
#   accounts tried (password spraying);
# - per account: after `max_failures` failures in the window, each further try must wait a
#   delay that doubles with every failure (1, 2, 4, 8 ... minutes, at most the window), so a
#   stranger's six requests cost the real person a minute, not a quarter of an hour.


def record_failure(db: Database, email: str, at: str, ip: str | None = None) -> None:
    db["login_failure"].insert({"email": normalize_email(email), "ip": ip, "at": at})


def clear_failures(db: Database, email: str) -> None:
    db.execute("delete from login_failure where email = ?", [normalize_email(email)])


def forget_failures_before(db: Database, before: str) -> None:
    """Failures older than every window are never read again."""
    db.execute("delete from login_failure where at < ?", [before])


def account_retry_after(
    db: Database, email: str, now: datetime, *, max_failures: int, window: timedelta
) -> int:
    """Seconds the account must wait before its password may be tried again (0: now)."""
    since = (now - window).isoformat(timespec="seconds")
    row = db.execute(
        "select count(*), max(at) from login_failure where email = ? and at >= ?",
        [normalize_email(email), since],
    ).fetchone()
    failures, last = row
    if failures < max_failures or last is None:
        return 0
    doublings = min(failures - max_failures, 20)  # 2**20 minutes is past any window already
    delay = min(timedelta(minutes=2**doublings), window)
    return _seconds_until(datetime.fromisoformat(last) + delay, now)


def client_retry_after(
    db: Database, ip: str | None, now: datetime, *, max_failures: int, window: timedelta
) -> int:
    """Seconds before the client at `ip` may try any login again (0: now)."""
    if not ip:
        return 0
    since = (now - window).isoformat(timespec="seconds")
    failures = db["login_failure"].count_where("ip = ? and at >= ?", [ip, since])
    if failures < max_failures:
        return 0
    # The client may try again once enough of its failures have left the window.
    oldest_to_expire = db.execute(
        "select at from login_failure where ip = ? and at >= ? order by at limit 1 offset ?",
        [ip, since, failures - max_failures],
    ).fetchone()[0]
    return _seconds_until(datetime.fromisoformat(oldest_to_expire) + window, now)


def _seconds_until(moment: datetime, now: datetime) -> int:
    return max(0, math.ceil((moment - now).total_seconds()))


# --- server-side sessions -------------------------------------------------------------------


def start_session(db: Database, user_id: str, now: str) -> str:
    token = secrets.token_urlsafe(32)
    db["user_session"].insert(
        {"id": token, "user_id": user_id, "created_at": now, "last_seen_at": now}
    )
    return token


def load_session(
    db: Database, token: str, now: datetime, idle: timedelta, absolute: timedelta
) -> dict | None:
    """The active user behind a session token, or None when it ended, idled out or expired.

    Refreshes last_seen_at at most once a minute, so most requests write nothing.
    """
    # Every request runs this: one statement (no savepoint around it, see db.select).
    rows = select(
        db,
        """select user_session.created_at as session_created_at,
                  user_session.last_seen_at as session_last_seen_at, user.*
           from user_session join user on user.id = user_session.user_id
           where user_session.id = ? and user.active = 1""",
        [token],
    )
    if not rows:
        return None
    row = rows[0]
    created = datetime.fromisoformat(row["session_created_at"])
    last_seen = datetime.fromisoformat(row["session_last_seen_at"])
    if now - last_seen > idle or now - created > absolute:
        end_session(db, token)
        return None
    if now - last_seen > timedelta(minutes=1):
        db["user_session"].update(token, {"last_seen_at": now.isoformat(timespec="seconds")})
    row["session_token"] = token
    return row


def end_session(db: Database, token: str) -> None:
    db.execute("delete from user_session where id = ?", [token])


def end_all_sessions(db: Database, user_id: str) -> None:
    db.execute("delete from user_session where user_id = ?", [user_id])


# --- the audit trail, as a coordinator reads it ----------------------------------------------

# An event belongs to a police service when the user who acted belonged to it at the time, or
# when it is about an account of that service (its record, or its e-mail at the login page).
_AUDIT_SCOPE = """
    (audit_event.police_service = :service
     or (audit_event.object_type = 'user'
         and audit_event.object_id in (select id from user where police_service = :service))
     or (audit_event.object_type = 'account'
         and audit_event.object_id in (select email from user where police_service = :service)))
"""


def audit_trail(
    db: Database, police_service: str, *, action: str | None = None, since: str | None = None,
    until: str | None = None, user_id: str | None = None, limit: int = 50, offset: int = 0,
) -> list[dict]:
    """Audit events of one police service, newest first, with the acting user's name and e-mail.

    `since` and `until` are UTC instants (until excluded); `user_id` keeps the events by or about
    that user.
    """
    sql = f"""
        select audit_event.*, actor.name as user_name, actor.email as user_email
        from audit_event left join user as actor on actor.id = audit_event.user_id
        where {_AUDIT_SCOPE}
          and (:action is null or audit_event.action = :action)
          and (:since is null or audit_event.at >= :since)
          and (:until is null or audit_event.at < :until)
          and (:user_id is null or audit_event.user_id = :user_id
               or (audit_event.object_type = 'user' and audit_event.object_id = :user_id)
               or (audit_event.object_type = 'account' and audit_event.object_id =
                   (select email from user where id = :user_id)))
        order by audit_event.id desc
        limit :limit offset :offset
    """
    params = {"service": police_service, "action": action, "since": since, "until": until,
              "user_id": user_id, "limit": limit, "offset": offset}
    return [dict(row) for row in db.query(sql, params)]


def audit_actions(db: Database) -> list[str]:
    """Every action the audit trail holds, for the filter."""
    return [row["action"] for row in db.query(
        "select distinct action from audit_event order by action")]


def users_of_service(db: Database, police_service: str) -> list[dict]:
    return list(db["user"].rows_where("police_service = ?", [police_service],
                                      select="id, name, email", order_by="name"))
