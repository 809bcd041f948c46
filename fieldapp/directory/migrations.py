"""Schema of the directory area (Open Referral HSDS 3.1 names; see hsds/ for the mapping)."""

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from fieldapp.directory.categories import category_rows
from fieldapp.directory.hsds_tables import HSDS_TABLES, REFERENCE_COLUMNS
from fieldapp.directory.search import PREFIX_LENGTHS, TOKENIZE, merge_index

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


@migrations()
def create_hsds_tables(db: Database) -> None:
    """Every other HSDS 3.1 table, the app fields of service and location, categories,
    partnerships and the FTS index of services.  The tables are listed in hsds_tables.py; the
    storage conventions are in the docstring of hsds.py."""
    real = {"latitude", "longitude"}
    for _name, table, _file, fields in HSDS_TABLES:
        if table == "organization":
            continue
        columns = {field: (float if field in real else str) for field in fields.split()}
        if table == "service":
            columns.update({
                "accepts_referrals": int, "intake_phone": str, "intake_email": str,
                "intake_instructions": str, "populations": str, "keywords": str,
                "archived_at": str, "organization_name": str, "category_text": str,
            })
        if table == "location":
            columns["confidential"] = int
        columns.update({"source_id": str, "extra_json": str, "created_at": str, "updated_at": str})
        defaults = {"source_id": None}
        if table == "service":
            defaults.update({"accepts_referrals": 0, "populations": "[]", "status": "active",
                             "keywords": "", "organization_name": "", "category_text": ""})
        if table == "location":
            defaults["confidential"] = 0
        defaults.pop("source_id")
        db[table].create(columns, pk="id", defaults=defaults,
                         not_null=set(defaults) | ({"name"} if table == "service" else set()))
        for column in columns:
            if column in REFERENCE_COLUMNS or column == "source_id":
                db[table].create_index([column])
    db["organization"].create_index(["source_id"])
    db["service"].create_index(["assured_date"])
    db["service"].create_index(["archived_at"])
    db["location"].create_index(["latitude", "longitude"])
    db["attribute"].create_index(["link_entity", "link_id"])

    db["directory_category"].create(
        {"code": str, "position": int, "search_text": str, "oe_codes": str}, pk="code")
    db["directory_category"].insert_all(category_rows())
    db.execute("""CREATE TABLE service_category (
        service_id TEXT NOT NULL REFERENCES service(id) ON DELETE CASCADE,
        category TEXT NOT NULL REFERENCES directory_category(code),
        PRIMARY KEY (service_id, category))""")
    db.execute("CREATE INDEX idx_service_category_category ON service_category(category)")
    db.execute("""CREATE TABLE service_partnership (
        service_id TEXT NOT NULL REFERENCES service(id) ON DELETE CASCADE,
        police_service TEXT NOT NULL,
        PRIMARY KEY (service_id, police_service))""")
    db.execute("CREATE INDEX idx_service_partnership_police ON service_partnership(police_service)")

    # Denormalized search columns, kept right by triggers whoever writes (importer or store).
    db.executescript("""
    CREATE TRIGGER service_org_name_ai AFTER INSERT ON service BEGIN
      UPDATE service SET organization_name =
        coalesce((SELECT name FROM organization WHERE id = NEW.organization_id), '')
      WHERE id = NEW.id;
    END;
    CREATE TRIGGER service_org_name_au AFTER UPDATE OF organization_id ON service BEGIN
      UPDATE service SET organization_name =
        coalesce((SELECT name FROM organization WHERE id = NEW.organization_id), '')
      WHERE id = NEW.id;
    END;
    CREATE TRIGGER organization_name_ai AFTER INSERT ON organization BEGIN
      UPDATE service SET organization_name = NEW.name WHERE organization_id = NEW.id;
    END;
    CREATE TRIGGER organization_name_au AFTER UPDATE OF name ON organization BEGIN
      UPDATE service SET organization_name = NEW.name WHERE organization_id = NEW.id;
    END;
    CREATE TRIGGER service_category_ai AFTER INSERT ON service_category BEGIN
      UPDATE service SET category_text = coalesce((
        SELECT group_concat(c.search_text, ' ') FROM service_category sc
        JOIN directory_category c ON c.code = sc.category WHERE sc.service_id = NEW.service_id), '')
      WHERE id = NEW.service_id;
    END;
    CREATE TRIGGER service_category_ad AFTER DELETE ON service_category BEGIN
      UPDATE service SET category_text = coalesce((
        SELECT group_concat(c.search_text, ' ') FROM service_category sc
        JOIN directory_category c ON c.code = sc.category WHERE sc.service_id = OLD.service_id), '')
      WHERE id = OLD.service_id;
    END;
    """)
    db["service"].enable_fts(
        ["name", "alternate_name", "organization_name", "description", "category_text", "keywords"],
        tokenize=TOKENIZE, create_triggers=True,
    )


@migrations()
def create_upkeep_tables(db: Database) -> None:
    """Upkeep (owned by the search/upkeep side): partners' edit proposals, verification log,
    merges of duplicates.  A proposal changes nothing until a coordinator approves it."""
    db["service_edit_proposal"].create(
        {"id": str, "service_id": str, "organization_id": str, "proposed_by": str,
         "proposed_at": str, "changes_json": str, "base_json": str, "status": str,
         "decided_by": str, "decided_at": str},
        pk="id", not_null={"service_id", "organization_id", "proposed_by", "proposed_at",
                           "changes_json", "status"},
        defaults={"status": "pending"},
    )
    db["service_edit_proposal"].create_index(["status", "proposed_at"])
    db["service_edit_proposal"].create_index(["service_id"])
    db["service_verification"].create(
        {"id": int, "service_id": str, "verified_on": str, "verified_by": str, "at": str},
        pk="id", not_null={"service_id", "verified_on", "at"},
    )
    db["service_verification"].create_index(["service_id", "at"])
    db["directory_merge"].create(
        {"id": int, "kind": str, "survivor_id": str, "duplicate_id": str, "merged_by": str,
         "merged_at": str, "moved_json": str},
        pk="id", not_null={"kind", "survivor_id", "duplicate_id", "merged_at"},
    )
    db["directory_merge"].create_index(["duplicate_id"])


@migrations()
def add_directory_version(db: Database) -> None:
    """A counter bumped by every write to the tables the phone snapshot reads, so the snapshot
    can be cached until the directory changes (whoever writes: importer, upkeep, merges)."""
    db.execute("CREATE TABLE directory_version (id INTEGER PRIMARY KEY CHECK (id = 1), "
               "n INTEGER NOT NULL)")
    db.execute("INSERT INTO directory_version (id, n) VALUES (1, 0)")
    for table in ("organization", "service", "location", "service_at_location", "address",
                  "phone", "schedule", "language", "service_category", "service_partnership"):
        for event in ("INSERT", "UPDATE", "DELETE"):
            db.execute(f"CREATE TRIGGER {table}_version_{event.lower()} AFTER {event} ON [{table}] "
                       "BEGIN UPDATE directory_version SET n = n + 1 WHERE id = 1; END")


@migrations()
def add_hsds_import(db: Database) -> None:
    """Every HSDS import (and check) with its reconciliation table, kept for the coordinator's
    page /directory/manage/imports/<id>."""
    db["hsds_import"].create({"id": int, "at": str, "source": str, "format": str,
                              "dry_run": int, "report_json": str}, pk="id")


@migrations()
def add_interpretation_available(db: Database) -> None:
    """A service offers interpretation or other languages on request (read from language
    cells such as "other languages available upon request"; shown on the card)."""
    db["service"].add_column("interpretation_available", int, not_null_default=0)


@migrations()
def add_search_indexes(db: Database) -> None:
    """Indexes the search reads alone (covering, no table row): the locations inside a box
    around a place with their confidentiality and id, the services at a location, and the
    services in the order of a search without words.  The first replaces the index on
    (latitude, longitude), which it starts with."""
    db.execute("CREATE INDEX IF NOT EXISTS idx_location_position"
               " ON location(latitude, longitude, confidential, id)")
    db.execute("DROP INDEX IF EXISTS idx_location_latitude_longitude")
    db.execute("CREATE INDEX IF NOT EXISTS idx_service_at_location_location_service"
               " ON service_at_location(location_id, service_id)")
    db.execute("CREATE INDEX IF NOT EXISTS idx_service_name_nocase"
               " ON service(name COLLATE NOCASE, id)")


@migrations()
def merge_search_index(db: Database) -> None:
    """The words index of a directory loaded before this version, in one segment (search.py:
    merge_index; results unchanged)."""
    merge_index(db)


@migrations()
def add_search_prefix_index(db: Database) -> None:
    """The words index with prefix indexes (search.py: PREFIX_LENGTHS): every word of a search
    is prefix-matched ("shelt"*), and without them FTS5 gathers the entries of every word that
    starts so from the whole index on each search.  The same entries, kept per prefix: the
    same rows match and every bm25 value is unchanged, at about a fifth more index on disk.
    The table is made again with the option and filled from the services (its triggers stay)."""
    sql = db.execute("SELECT sql FROM sqlite_master WHERE name = 'service_fts'").fetchone()[0]
    if "prefix=" in sql:
        return
    lengths = " ".join(str(n) for n in PREFIX_LENGTHS)
    db.execute("DROP TABLE service_fts")
    db.execute(sql.replace("tokenize=", f"prefix='{lengths}',\n    tokenize=", 1))
    db.execute("INSERT INTO service_fts(service_fts) VALUES('rebuild')")
    merge_index(db)
