"""Schema of the accounts area: users, their server-side sessions, failed logins, audit."""

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("accounts")


@migrations()
def create_accounts(db: Database) -> None:
    db["user"].create(
        {
            "id": str,
            "email": str,
            "name": str,
            "role": str,
            "organization_id": str,
            "police_service": str,
            "team": str,
            "language": str,
            "active": int,
            "password_hash": str,
            "must_change_password": int,
            "created_at": str,
            "updated_at": str,
        },
        pk="id",
        not_null={"email", "name", "role", "password_hash"},
        defaults={"active": 1, "must_change_password": 0},
        foreign_keys=[("organization_id", "organization", "id")],
    )
    db["user"].create_index(["email"], unique=True)
    db["user"].create_index(["organization_id"])

    # One row per logged-in browser; the cookie carries only this row's random id, so logout,
    # password change or disabling the account (rows deleted) makes every copy of it useless.
    db["user_session"].create(
        {"id": str, "user_id": str, "created_at": str, "last_seen_at": str},
        pk="id",
        not_null={"user_id", "created_at", "last_seen_at"},
        foreign_keys=[("user_id", "user", "id")],
    )
    db["user_session"].create_index(["user_id"])

    # Counted in SQLite so that every gunicorn worker sees the same failures.
    db["login_failure"].create({"id": int, "email": str, "at": str}, pk="id")
    db["login_failure"].create_index(["email", "at"])

    db["audit_event"].create(
        {
            "id": int,
            "at": str,
            "user_id": str,
            "role": str,
            "organization_id": str,
            "action": str,
            "object_type": str,
            "object_id": str,
            "outcome": str,
            "ip": str,
            "detail": str,
        },
        pk="id",
        not_null={"at", "action"},
    )
    db["audit_event"].create_index(["action", "at"])
    db["audit_event"].create_index(["object_type", "object_id"])


@migrations()
def add_login_failure_client(db: Database) -> None:
    # The client's address of each failed login: the per-client throttle counts by it.
    db["login_failure"].add_column("ip", str)
    db["login_failure"].create_index(["ip", "at"])
    db["login_failure"].create_index(["at"])


@migrations()
def add_audit_event_police_service(db: Database) -> None:
    # The police service of the user who acted, as it was then: the coordinator's audit trail
    # shows the events of their own service only.  Earlier events take the user's service now.
    db["audit_event"].add_column("police_service", str)
    db.execute(
        """update audit_event set police_service =
               (select police_service from user where user.id = audit_event.user_id)
           where user_id is not null"""
    )
