"""The HSDS API's queries: pages of services and their summaries."""

from __future__ import annotations

import json
import re
from collections import defaultdict

from fieldapp.directory import categories, disclosure
from fieldapp.directory.hsds.export import _service_extensions
from fieldapp.directory.hsds.export_json import _json_obj
from fieldapp.directory.hsds.load import _existing
from fieldapp.directory.hsds.names import CATEGORY_TAXONOMY_ID, SERVICE_FLAGS, derived_id

# --- the HSDS API's queries -------------------------------------------------------------------


def fts_query(text: str) -> str | None:
    """User text as a safe FTS5 query: every word quoted, prefix-matched, ANDed."""
    words = re.findall(r"\w+", text or "", re.UNICODE)
    return " ".join(f'"{word}"*' for word in words[:12]) or None


def list_services(db, *, search: str = "", taxonomy_term_id: str = "", taxonomy_id: str = "",
                  organization_id: str = "", modified_after: str = "", page: int = 1,
                  per_page: int = 25) -> dict:
    """One page of services (HSDS Page envelope; `contents` are service rows' ids in order)."""
    where, params, join = ["s.archived_at IS NULL"], [], ""
    query = fts_query(search)
    if search and not query:
        where.append("0")
    if query:
        join = "JOIN service_fts ON service_fts.rowid = s.rowid"
        where.append("service_fts MATCH ?")
        params.append(query)
    if organization_id:
        where.append("s.organization_id = ?")
        params.append(organization_id)
    if taxonomy_term_id:
        codes = [c for c in categories.CODES
                 if derived_id("taxonomy_term", "fieldapp-category", c) == taxonomy_term_id]
        where.append("(s.id IN (SELECT link_id FROM attribute WHERE taxonomy_term_id = ?)"
                     " OR s.id IN (SELECT service_id FROM service_category WHERE category = ?))")
        params += [taxonomy_term_id, codes[0] if codes else taxonomy_term_id]
    if taxonomy_id:
        clause = ("s.id IN (SELECT a.link_id FROM attribute a JOIN taxonomy_term t "
                  "ON t.id = a.taxonomy_term_id WHERE t.taxonomy_id = ?)")
        if taxonomy_id == CATEGORY_TAXONOMY_ID:
            clause = f"({clause} OR s.id IN (SELECT service_id FROM service_category))"
        where.append(clause)
        params.append(taxonomy_id)
    if modified_after:
        where.append("coalesce(s.updated_at, s.last_modified, '') > ?")
        params.append(modified_after)
    sql_where = " AND ".join(where)
    total = db.execute(f"SELECT count(*) FROM service s {join} WHERE {sql_where}",
                       params).fetchone()[0]
    order = "bm25(service_fts, 10.0, 4.0, 3.0, 1.0, 2.0, 2.0), s.name" if query else "s.name, s.id"
    ids = [r["id"] for r in db.query(
        f"SELECT s.id FROM service s {join} WHERE {sql_where} ORDER BY {order} LIMIT ? OFFSET ?",
        params + [per_page, (page - 1) * per_page])]
    total_pages = max(1, -(-total // per_page))
    return {"total_items": total, "total_pages": total_pages, "page_number": page,
            "size": len(ids), "first_page": page == 1, "last_page": page >= total_pages,
            "empty": not ids, "contents": ids}


def service_summaries(db, ids: list[str]) -> list[dict]:
    """Services with their one-to-one fields only (HSDS `service_list` shape), in `ids` order."""
    rows = _existing(db, "service", ids)
    rule = disclosure.shared(db)
    partnerships = defaultdict(list)
    out = []
    for sid in ids:
        row = rows.get(sid)
        if row:
            obj = _json_obj("service", row, _service_extensions(db, row, partnerships))
            obj.pop("partnerships", None)
            for flag in SERVICE_FLAGS:
                obj[flag] = bool(row.get(flag))
            obj["populations"] = json.loads(row.get("populations") or "[]")
            out.append(rule.clean(obj))
    return out
