"""Open Referral HSDS exchange: the ONE place that knows HSDS names and shapes.

One concern per module (as sqlite-utils and datasette keep them):
- names.py: tables, file layouts of every HSDS generation, ids;  values.py: one cell normalized
- read.py: layouts (folder, zip, zip holding a folder, one file), the descriptor, CSV dialects
- map_json.py (3.x nested JSON) and map_rows.py (a row of any generation -> 3.1 columns)
- load.py: collect, check references and write (the one write rule)
- reconcile.py: the import report, file by file, that the CLI prints and the page shows
- export.py (Tabular Data Package) and export_json.py (nested services); queries.py: the API

Callers use this package's names below.

Storage conventions (see also /tmp/tools/DIRECTORY_SCHEMA.md and hsds_tables.py):
- Tables carry HSDS 3.1 names and fields; HSDS `contact` is stored as `agency_contact`.
- Ids are UUIDs.  An imported row keeps its original id in `source_id`; its stored id is that id
  when it already is a UUID, else uuid5(NAMESPACE, "<table>:<original id>").  References are
  mapped the same way, so ids are deterministic: importing the same package again upserts the
  same rows (idempotent), and a reference to a row that is missing ("dangling") keeps its value.
- `extra_json` keeps unknown columns ({"column": "raw value"}) and, under "_raw", the raw value of
  every field the importer normalized (times to HH:MM, URIs, phone numbers, numbers, dates).
  Exports write the clean values only; the raw ones, the source's own id and its unknown columns
  travel in the fieldapp profile's `original_text` object, which an import puts back (so the
  export imports again unchanged).  Addresses without a country get FIELDAPP_COUNTRY (CA).
- App fields of service travel in HSDS exchange as extension columns of services.csv (and extra
  properties of a JSON service): accepts_referrals, joint_police_health (a team run by police
  with health, which the board report counts apart from non-police diversion), intake_phone,
  intake_email, intake_instructions, populations, keywords, partnerships (police services,
  "HRP,RCMP").
  Project categories travel as HSDS attributes linking the service to terms of the taxonomy
  CATEGORY_TAXONOMY_ID (term code = category code); Open Eligibility codes map to categories too.
- Accepted input: a 3.x Tabular Data Package (folder or zip, datapackage.json optional), HSDS 3.x
  JSON (list of services, Page with `contents`, one service, or the "tabular" JSON keyed by CSV
  file name), and 1.1/2.0 CSV packages (physical_addresses, postal_addresses, regular_schedules,
  holiday_schedules, services_taxonomy, taxonomy, ... and Ohana's layout with comma-joined cells).
- Import never deletes: rows missing from a later package stay (coordinators archive them).
"""

from fieldapp.directory.hsds.export import category_taxonomy_rows, export_csv, export_tables
from fieldapp.directory.hsds.export_json import export_json, full_services
from fieldapp.directory.hsds.load import collect, import_package, write
from fieldapp.directory.hsds.names import (
    CATEGORY_TAXONOMY_ID,
    CSV_FILE,
    HSDS_NAME,
    HSDS_VERSION,
    NAMESPACE,
    ORDER,
    SPEC_URL,
    TABLES,
    NotHSDS,
    derived_id,
    is_uuid,
    map_id,
)
from fieldapp.directory.hsds.queries import (
    fts_query,
    list_services,
    matches,
    organization_ids,
    organizations,
    page_envelope,
    parse_instant,
    service_at_location_ids,
    service_summaries,
    services_at_locations,
    taxonomies,
    taxonomy_rows,
    taxonomy_terms,
    term_rows,
)
from fieldapp.directory.hsds.read import read_input
from fieldapp.directory.hsds.reconcile import ImportReport
from fieldapp.directory.hsds.values import is_zone, normalize_time

__all__ = [
    "CATEGORY_TAXONOMY_ID", "CSV_FILE", "HSDS_NAME", "HSDS_VERSION", "NAMESPACE",
    "ORDER", "SPEC_URL", "TABLES", "ImportReport", "NotHSDS", "category_taxonomy_rows", "collect",
    "derived_id", "export_csv", "export_json", "export_tables", "fts_query", "full_services",
    "import_package", "is_uuid", "is_zone", "list_services", "map_id", "normalize_time",
    "read_input",
    "service_summaries", "write", "matches", "organization_ids", "organizations",
    "page_envelope", "parse_instant", "service_at_location_ids", "services_at_locations",
    "taxonomies", "taxonomy_rows", "taxonomy_terms", "term_rows",
]
