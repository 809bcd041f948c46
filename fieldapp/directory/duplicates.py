"""Possible duplicate listings (alike names, a shared phone or street address), merges
that move every reference to the survivor, and pairs kept apart."""

from __future__ import annotations

import json
import re

from rapidfuzz import fuzz, process
from sqlite_utils import Database

from fieldapp.db import writing
from fieldapp.directory.search import WORD
from fieldapp.directory.store import get_organization, get_service


def _normal_name(name: str) -> str:
    text = re.sub(r"\(demo\)", " ", (name or "").lower())
    return " ".join(WORD.findall(text))


def _phone_key(number: str | None) -> str:
    digits = "".join(ch for ch in (number or "") if ch.isdigit())
    return digits[-10:] if len(digits) >= 7 else ""


FULL_COMPARE = 3000
SHARED_DETAIL_THRESHOLD = 60.0


def _name_score(a: str, b: str, **_kwargs) -> float:
    """Similarity of two normalized names, 0-100: word order and spacing do not count
    ("Food Bank" = "Foodbank" = "Bank, Food")."""
    return max(fuzz.token_sort_ratio(a, b), fuzz.ratio(a.replace(" ", ""), b.replace(" ", "")))


def possible_duplicates(db: Database, *, threshold: float = 90.0, limit: int = 100) -> dict:
    """Pairs of active services / organizations with near-identical names (rapidfuzz scores,
    see _name_score, >= threshold), the same phone number, or the same street address."""
    # Pairs a coordinator said are different listings (kind "<kind>_distinct").
    kept_apart = {tuple(sorted((r["survivor_id"], r["duplicate_id"]))) for r in db.query(
        "SELECT survivor_id, duplicate_id FROM directory_merge WHERE kind LIKE '%_distinct'")}

    def pairs(items: list[dict], phones: dict, addresses: dict) -> list[dict]:
        found: dict[tuple[str, str], dict] = {}

        def add(a: dict, b: dict, reason: str, score: float | None = None):
            key = tuple(sorted((a["id"], b["id"])))
            if key in kept_apart:
                return
            entry = found.setdefault(key, {"a": a if a["id"] == key[0] else b,
                                           "b": b if a["id"] == key[0] else a,
                                           "reasons": [], "score": 0.0})
            if reason not in entry["reasons"]:
                entry["reasons"].append(reason)
            if score:
                entry["score"] = max(entry["score"], score)

        names = [_normal_name(item["name"]) for item in items]
        # Every pair up to FULL_COMPARE names; beyond, only names whose sorted words start
        # alike are compared (a large directory would otherwise take n² comparisons).
        blocks: dict[str, list[int]] = {}
        for i, name in enumerate(names):
            key = "" if len(names) <= FULL_COMPARE else " ".join(sorted(name.split()))[:2]
            blocks.setdefault(key, []).append(i)
        for members in blocks.values():
            choices = {i: names[i] for i in members}
            for i in members:
                for _choice, score, j in process.extract(
                        names[i], choices, scorer=_name_score, limit=None):
                    if i < j and score >= threshold:
                        add(items[i], items[j], "name", float(score))
        by_id = {item["id"]: item for item in items}
        name_of = {item["id"]: name for item, name in zip(items, names, strict=True)}
        # A shared phone or address alone is normal (one agency's central line, a community
        # hub): it counts when the names are alike too.
        for groups, reason in ((phones, "phone"), (addresses, "address")):
            for ids in groups.values():
                ids = sorted(set(i for i in ids if i in by_id))
                for x in range(len(ids)):
                    for y in range(x + 1, len(ids)):
                        score = _name_score(name_of[ids[x]], name_of[ids[y]])
                        if score >= SHARED_DETAIL_THRESHOLD:
                            add(by_id[ids[x]], by_id[ids[y]], reason, score)
        ordered = sorted(found.values(), key=lambda e: (-len(e["reasons"]), -e["score"],
                                                        e["a"]["name"]))
        return ordered[:limit]

    services = list(db.query(
        "SELECT id, name, organization_id, organization_name FROM service"
        " WHERE archived_at IS NULL ORDER BY name"))
    service_phones: dict[str, list[str]] = {}
    for row in db.query("SELECT p.service_id, p.number FROM phone p JOIN service s"
                        " ON s.id = p.service_id WHERE s.archived_at IS NULL"
                        " AND coalesce(p.type, '') != 'fax'"):
        key = _phone_key(row["number"])
        if key:
            service_phones.setdefault(key, []).append(row["service_id"])
    service_addresses: dict[str, list[str]] = {}
    org_addresses: dict[str, list[str]] = {}
    for row in db.query(
            """SELECT sal.service_id, lo.organization_id, ad.address_1, ad.city
            FROM address ad JOIN location lo ON lo.id = ad.location_id
            JOIN service_at_location sal ON sal.location_id = lo.id
            WHERE coalesce(ad.address_1, '') != ''"""):
        key = _normal_name(f"{row['address_1']} {row['city'] or ''}")
        service_addresses.setdefault(key, []).append(row["service_id"])
    organizations = list(db.query(
        "SELECT id, name FROM organization WHERE archived_at IS NULL ORDER BY name"))
    org_phones: dict[str, list[str]] = {}
    for row in db.query("SELECT organization_id, number FROM phone WHERE organization_id"
                        " IS NOT NULL AND service_id IS NULL"):
        key = _phone_key(row["number"])
        if key:
            org_phones.setdefault(key, []).append(row["organization_id"])
    return {"services": pairs(services, service_phones, service_addresses),
            "organizations": pairs(organizations, org_phones, org_addresses)}


def _tables_with_column(db: Database, column: str, skip: set[str]) -> list[str]:
    found = []
    for table in db.table_names():
        if table in skip or table.startswith(("service_fts", "sqlite_", "_")):
            continue
        if column in db[table].columns_dict:
            found.append(table)
    return found


def merge_services(db: Database, *, survivor_id: str, duplicate_id: str, by_user_id: str,
                   now: str) -> dict:
    """Merge a duplicate service into the survivor, all or nothing.

    Referrals, proposals, contacts and every other row naming the duplicate now name the
    survivor (referrals also follow it to the survivor's organization); phones, languages,
    locations and hours move only where the survivor lacks them; categories and partnerships
    are united.  The duplicate is archived, never deleted, and the merge is recorded.
    """
    survivor, duplicate = get_service(db, survivor_id), get_service(db, duplicate_id)
    if survivor is None or duplicate is None or survivor_id == duplicate_id:
        raise ValueError("merge needs two different services")
    moved: dict[str, int] = {}

    def run(label: str, sql: str, params: list) -> None:
        count = db.execute(sql, params).rowcount
        if count:
            moved[label] = moved.get(label, 0) + count

    with writing(db):
        if "referral" in db.table_names():
            run("referral", "UPDATE referral SET service_id = ?, organization_id = ?"
                " WHERE service_id = ?", [survivor_id, survivor["organization_id"], duplicate_id])
        # Gap filling: the survivor's own details win.
        have = {_phone_key(p["number"]) for p in survivor["phones"]}
        for phone in duplicate["phones"]:
            if _phone_key(phone["number"]) in have:
                run("phone_dropped", "DELETE FROM phone WHERE id = ?", [phone["id"]])
            else:
                run("phone", "UPDATE phone SET service_id = ? WHERE id = ?",
                    [survivor_id, phone["id"]])
        langs = {(lang["code"] or lang["name"]).lower() for lang in survivor["languages"]}
        for row in list(db.query("SELECT id, code, name FROM language WHERE service_id = ?",
                                 [duplicate_id])):
            key = (row["code"] or row["name"] or "").lower()
            if key in langs:
                run("language_dropped", "DELETE FROM language WHERE id = ?", [row["id"]])
            else:
                langs.add(key)
                run("language", "UPDATE language SET service_id = ? WHERE id = ?",
                    [survivor_id, row["id"]])
        if survivor["schedules"]:
            run("schedule_dropped", "DELETE FROM schedule WHERE service_id = ?", [duplicate_id])
        if survivor["addresses"]:
            run("location_link_dropped", "DELETE FROM service_at_location WHERE service_id = ?",
                [duplicate_id])
        for table, column in (("service_category", "category"),
                              ("service_partnership", "police_service")):
            run(table, f"INSERT OR IGNORE INTO {table} (service_id, {column})"
                f" SELECT ?, {column} FROM {table} WHERE service_id = ?",
                [survivor_id, duplicate_id])
            db.execute(f"DELETE FROM {table} WHERE service_id = ?", [duplicate_id])
        # Everything else that names the duplicate (HSDS children, other areas' records).
        skip = {"service", "service_category", "service_partnership", "referral",
                "directory_merge", "service_verification"}
        for table in _tables_with_column(db, "service_id", skip):
            run(table, f"UPDATE OR IGNORE {table} SET service_id = ? WHERE service_id = ?",
                [survivor_id, duplicate_id])
        db.execute("UPDATE attribute SET link_id = ? WHERE link_id = ? AND link_entity = 'service'",
                   [survivor_id, duplicate_id])
        db.execute("UPDATE service SET archived_at = ?, status = 'inactive', updated_at = ?"
                   " WHERE id = ?", [now, now, duplicate_id])
        db["directory_merge"].insert({"kind": "service", "survivor_id": survivor_id,
                                      "duplicate_id": duplicate_id, "merged_by": by_user_id,
                                      "merged_at": now, "moved_json": json.dumps(moved)})
    return moved


def merge_organizations(db: Database, *, survivor_id: str, duplicate_id: str, by_user_id: str,
                        now: str) -> dict:
    """Merge a duplicate organization into the survivor: its services, users, referrals and
    every other row naming it move to the survivor; the duplicate is archived and recorded."""
    if survivor_id == duplicate_id or None in (get_organization(db, survivor_id),
                                               get_organization(db, duplicate_id)):
        raise ValueError("merge needs two different organizations")
    moved: dict[str, int] = {}
    with writing(db):
        for table in _tables_with_column(db, "organization_id",
                                         {"organization", "directory_merge", "audit_event"}):
            count = db.execute(f"UPDATE OR IGNORE {table} SET organization_id = ?"
                               f" WHERE organization_id = ?", [survivor_id, duplicate_id]).rowcount
            if count:
                moved[table] = count
        db.execute("UPDATE organization SET parent_organization_id = ?"
                   " WHERE parent_organization_id = ?", [survivor_id, duplicate_id])
        db.execute("UPDATE organization SET archived_at = ?, updated_at = ? WHERE id = ?",
                   [now, now, duplicate_id])
        db["directory_merge"].insert({"kind": "organization", "survivor_id": survivor_id,
                                      "duplicate_id": duplicate_id, "merged_by": by_user_id,
                                      "merged_at": now, "moved_json": json.dumps(moved)})
    return moved


def keep_apart(db: Database, *, kind: str, a_id: str, b_id: str, by_user_id: str,
               now: str) -> None:
    """Record that two listings flagged as possible duplicates are different (they leave the
    duplicates page).  Kept in directory_merge as kind "<kind>_distinct": the log of decisions
    on pairs."""
    db["directory_merge"].insert({"kind": f"{kind}_distinct", "survivor_id": a_id,
                                  "duplicate_id": b_id, "merged_by": by_user_id,
                                  "merged_at": now, "moved_json": None})
