"""Distance search by a typed place: a postcode, an address or a known place name, found in
the directory's own addresses and the team's saved places.  No outside geocoder: the
position comes from what the app already holds, so it works without the browser's
geolocation (and without JavaScript).

The team's saved places are the contacts area's `place` table.  The directory sits below the
contacts area in the import layers, so it reads that table with SQL here rather than through
the contacts area's code.  Confidential locations are never used to place anything.
"""

import re

from sqlite_utils import Database

PLACE_MAX = 120
_POSTCODE = re.compile(r"^[A-Z]\d[A-Z]\d[A-Z]\d$")  # a full Canadian postcode, spaces removed
_FSA = re.compile(r"^[A-Z]\d[A-Z]$")  # its first half (forward sortation area)

# Non-confidential directory locations with a position, and their addresses.
_LOCATIONS = """
    SELECT lo.latitude AS lat, lo.longitude AS lon, lo.name AS name, a.address_1 AS address,
           a.city AS city, upper(replace(coalesce(a.postal_code, ''), ' ', '')) AS postcode
    FROM location lo LEFT JOIN address a ON a.location_id = lo.id
    WHERE lo.latitude IS NOT NULL AND lo.longitude IS NOT NULL
      AND coalesce(lo.confidential, 0) = 0"""


def _average(rows: list[dict], label: str) -> dict | None:
    if not rows:
        return None
    return {"lat": sum(r["lat"] for r in rows) / len(rows),
            "lon": sum(r["lon"] for r in rows) / len(rows), "label": label}


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _saved_places(db: Database, text: str, police_service: str | None) -> list[dict]:
    """The team's saved places (schools, community sites) with a position whose name or address
    holds `text`, an exact name first."""
    scope = "AND (police_service = :ps OR police_service IS NULL)" if police_service else ""
    return list(db.query(
        f"""SELECT lat, lon, name FROM place
            WHERE active = 1 AND lat IS NOT NULL AND lon IS NOT NULL {scope}
              AND (name LIKE :like ESCAPE '\\' OR address LIKE :like ESCAPE '\\')
            ORDER BY lower(name) = lower(:text) DESC, length(name), name LIMIT 1""",
        {"ps": police_service, "like": _like(text), "text": text}))


def resolve(db: Database, text: str, police_service: str | None = None) -> dict | None:
    """{lat, lon, label} of a typed place, or None when nothing the app holds matches it.

    In order: a postcode (or its first three characters) of a directory address; a saved
    place of the team; a directory address or location name; a city of the directory."""
    text = " ".join((text or "").split())[:PLACE_MAX]
    if not text:
        return None
    code = text.replace(" ", "").upper()
    if _POSTCODE.match(code):
        found = _average(list(db.query(f"{_LOCATIONS} AND upper(replace(a.postal_code, ' ', ''))"
                                       " = :code", {"code": code})), f"{code[:3]} {code[3:]}")
        if found:
            return found
        code = code[:3]  # not a known address: its area is close enough to search within km
    if _FSA.match(code):
        found = _average(list(db.query(
            f"{_LOCATIONS} AND upper(replace(a.postal_code, ' ', '')) LIKE :prefix",
            {"prefix": code + "%"})), code)
        if found:
            return found
    place = _saved_places(db, text, police_service)
    if place:
        return {"lat": place[0]["lat"], "lon": place[0]["lon"], "label": place[0]["name"]}
    addresses = list(db.query(
        f"""{_LOCATIONS} AND (a.address_1 LIKE :like ESCAPE '\\'
               OR lo.name LIKE :like ESCAPE '\\'
               OR (coalesce(a.address_1, '') || ', ' || coalesce(a.city, ''))
                  LIKE :like ESCAPE '\\')
            ORDER BY lower(a.address_1) = lower(:text) DESC, lower(lo.name) = lower(:text) DESC,
                     length(lo.name) LIMIT 1""", {"like": _like(text), "text": text}))
    if addresses:
        row = addresses[0]
        label = row["address"] if row["address"] and text.lower() in (
            f"{row['address']}, {row['city'] or ''}".lower()) else row["name"]
        return {"lat": row["lat"], "lon": row["lon"], "label": label or text}
    return _average(list(db.query(f"{_LOCATIONS} AND lower(a.city) = lower(:text)",
                                  {"text": text})), text)


def locate(db: Database, criteria: dict, police_service: str | None = None) -> dict:
    """The search's criteria with a typed place (criteria["place"]) turned into its position:
    "near" becomes (lat, lon, km) of the place, and "place_label" says what was found (None
    when nothing matched: the search then runs without distance and the page says so)."""
    if not criteria.get("place"):
        return {**criteria, "place_label": None}
    found = resolve(db, criteria["place"], police_service)
    if not found:
        return {**criteria, "near": None, "place_label": None}
    return {**criteria, "near": (found["lat"], found["lon"], criteria["km"]),
            "place_label": found["label"]}
