"""Schema of the pwa area (offline sync)."""

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("pwa")


@migrations()
def create_sync_conflict(db: Database) -> None:
    # A record replayed by a phone with the id of a stored record but different content: never
    # applied over the stored one, kept here for a coordinator to review.
    db["sync_conflict"].create(
        {"id": int, "item_type": str, "item_id": str, "payload": str, "user_id": str,
         "received_at": str, "resolved_at": str, "resolved_by": str},
        pk="id", not_null={"item_type", "item_id", "payload", "received_at"},
        foreign_keys=[("user_id", "user", "id")],
    )
    db["sync_conflict"].create_index(["resolved_at", "received_at"])
    db["sync_conflict"].create_index(["item_type", "item_id"])


@migrations()
def scope_sync_conflict_to_police_service(db: Database) -> None:
    # A conflict holds a phone's record (notes, person details): only the coordinators of the
    # police service of the user who sent it may read or resolve it.
    db["sync_conflict"].add_column("police_service", str)
    db.execute("update sync_conflict set police_service = (select police_service from user "
               "where user.id = sync_conflict.user_id)")
    db["sync_conflict"].create_index(["police_service", "resolved_at", "received_at"])


@migrations()
def give_sync_conflicts_a_lifecycle(db: Database) -> None:
    # open -> reviewed -> resolved (or open -> resolved).  A resend of the same phone payload
    # (same raw_hash, fieldapp.replay) never reopens a reviewed or resolved conflict; once
    # resolved it is answered "unchanged", so the phone's outbox lets it go.  `resolution` is
    # the choice made: stored, phone or merge.  Conflicts marked reviewed before this stay so.
    table = db["sync_conflict"]
    table.add_column("state", str, not_null_default="open")
    table.add_column("raw_hash", str)
    table.add_column("reviewed_at", str)
    table.add_column("reviewed_by", str)
    table.add_column("resolution", str)
    db.execute("update sync_conflict set state = 'reviewed', reviewed_at = resolved_at, "
               "reviewed_by = resolved_by, resolved_at = null, resolved_by = null "
               "where resolved_at is not null")
    table.create_index(["police_service", "state", "received_at"])
    table.create_index(["user_id", "state"])
    table.create_index(["item_type", "item_id", "user_id", "raw_hash"])
