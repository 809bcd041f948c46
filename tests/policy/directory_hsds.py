# The coordinators' HSDS import/export pages (fieldapp/directory/imports.py).
POLICY = {
    "directory.hsds_import": {"roles": {"coordinator"}, "args": lambda db: {}},
    "directory.hsds_export": {"roles": {"coordinator"}, "args": lambda db: {}},
    "directory.hsds_export_internal": {"roles": {"coordinator"}, "args": lambda db: {}},
}
