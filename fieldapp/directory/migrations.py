"""Schema of the directory area (Open Referral HSDS 3.1 names; see hsds.py for the mapping)."""

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("directory")


@migrations()
def create_organization(db: Database) -> None:
    # HSDS 3.1 organization, plus app fields: source_id/extra_json keep imported rows lossless.
    db["organization"].create(
        {
            "id": str,
            "name": str,
            "alternate_name": str,
            "description": str,
            "email": str,
            "website": str,
            "tax_status": str,
            "tax_id": str,
            "year_incorporated": int,
            "legal_status": str,
            "logo": str,
            "uri": str,
            "parent_organization_id": str,
            "source_id": str,
            "extra_json": str,
            "archived_at": str,
            "created_at": str,
            "updated_at": str,
        },
        pk="id",
        not_null={"name"},
    )
    db["organization"].create_index(["name"])
