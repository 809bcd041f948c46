def an_import(db) -> int:
    """The id of a kept import (the demo directory is loaded without one: record a check)."""
    found = db.execute("SELECT min(id) FROM hsds_import").fetchone()[0]
    if found is None:
        with db.conn:
            found = db["hsds_import"].insert({"at": "2026-01-01T00:00:00", "source": "demo",
                                              "format": "csv-3.x", "dry_run": 1,
                                              "report_json": '{"reconciliation": [], '
                                              '"unlinked": [], "problems": []}'}).last_pk
    return found


# The coordinators' HSDS import/export pages (fieldapp/directory/imports.py).
POLICY = {
    "directory.hsds_import": {"roles": {"coordinator"}, "args": lambda db: {}},
    "directory.hsds_export": {"roles": {"coordinator"}, "args": lambda db: {}},
    "directory.hsds_export_internal": {"roles": {"coordinator"}, "args": lambda db: {}},
    # an import's reconciliation page
    "directory.hsds_import_report": {
        "roles": {"coordinator"},
        "args": lambda db: {"import_id": an_import(db)}},
}
