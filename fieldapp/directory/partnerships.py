"""The partnership register: which police services partner with which listed services."""

from __future__ import annotations

from sqlite_utils import Database


def partnership_register(db: Database, police_services: list[str]) -> dict:
    """Which police services partner with each active service; overlaps (all partner),
    single-force partnerships, and categories where no police service partners with anyone."""
    rows = list(db.query(
        """SELECT s.id, s.name, s.organization_name,
            (SELECT group_concat(police_service, ',') FROM (SELECT police_service
               FROM service_partnership sp WHERE sp.service_id = s.id ORDER BY police_service))
            AS partners
        FROM service s WHERE s.archived_at IS NULL ORDER BY s.name COLLATE NOCASE"""))
    known = set(police_services)
    overlaps, single, none = [], {code: [] for code in police_services}, []
    for row in rows:
        row["partners"] = [p for p in (row["partners"] or "").split(",") if p]
        forces = [p for p in row["partners"] if p in known]
        if len(forces) >= 2:
            overlaps.append(row)
        elif len(forces) == 1:
            single[forces[0]].append(row)
        else:
            none.append(row)
    covered_by: dict[str, set[str]] = {code: set() for code in police_services}
    for r in db.query(
            """SELECT DISTINCT sc.category, sp.police_service FROM service_category sc
            JOIN service s ON s.id = sc.service_id AND s.archived_at IS NULL
            JOIN service_partnership sp ON sp.service_id = sc.service_id"""):
        covered_by.setdefault(r["police_service"], set()).add(r["category"])
    covered = set().union(*covered_by.values()) if covered_by else set()
    codes = [r["code"] for r in db.query("SELECT code FROM directory_category ORDER BY position")]
    gaps = [code for code in codes if code not in covered]
    # Per police service: categories where the other force has a partner and this one none.
    gaps_by_force = {force: [code for code in codes if code in covered
                             and code not in covered_by.get(force, set())]
                     for force in police_services}
    return {"services": rows, "overlaps": overlaps, "single": single, "none": none,
            "gaps": gaps, "gaps_by_force": gaps_by_force}
