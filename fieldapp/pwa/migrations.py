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
