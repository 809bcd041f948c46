"""The officer's most-used options: what the log-contact form shows first in each vocabulary.

Up to `LIMIT` codes per vocabulary, learned from the officer's own contacts of the last
`DAYS` days (most used first, ties by most recent), then filled from the team's (the officer's
police service) over the same days, then from `TEAM_DEFAULTS`: a new officer sees what the team
logs most.  The rest of a vocabulary stays one tap away behind the form's "more…".
"""

from datetime import timedelta

from sqlite_utils import Database

from fieldapp.contacts.times import iso, parse_time

LIMIT = 6
DAYS = 60

# When neither the officer nor the team has logged anything yet (codes only).
TEAM_DEFAULTS = {
    "kind": ["wellness_check", "mental_health", "school_visit", "housing_need",
             "community_engagement", "substance_use"],
    "population": ["youth_12_17", "senior_65_plus", "mental_health", "unsheltered",
                   "substance_use", "child_under_12"],
    "outcome": ["information_given", "warm_referral", "partner_on_scene", "deescalated",
                "declined_services", "safety_plan"],
}

_COUNTS = {
    "kind": "select kind as code, count(*) as n, max(occurred_at) as last from contact "
            "where {who} and occurred_at >= ? and deleted_at is null group by kind",
    "outcome": "select outcome as code, count(*) as n, max(occurred_at) as last from contact "
               "where {who} and occurred_at >= ? and deleted_at is null group by outcome",
    "population": "select p.population as code, count(*) as n, max(c.occurred_at) as last "
                  "from contact c join contact_population p on p.contact_id = c.id "
                  "where {who} and c.occurred_at >= ? and c.deleted_at is null "
                  "group by p.population",
}


def _ranked(db: Database, vocabulary: str, who: str, params: list) -> list[str]:
    sql = _COUNTS[vocabulary].format(who=who) + " order by n desc, last desc"
    return [row[0] for row in db.execute(sql, params).fetchall() if row[0]]


def most_used(db: Database, user: dict, now: str, offered: dict[str, list[str]]) -> dict:
    """{vocabulary: [code, ...]}: the codes to show first, each one of `offered[vocabulary]`
    (the vocabulary's active codes, in their own order)."""
    since = iso(parse_time(now) - timedelta(days=DAYS))
    result = {}
    for vocabulary, codes in offered.items():
        active = set(codes)
        picked: list[str] = []
        sources = (
            _ranked(db, vocabulary, "officer_id = ?", [user["id"], since]),
            _ranked(db, vocabulary, "police_service = ?", [user["police_service"], since]),
            TEAM_DEFAULTS.get(vocabulary, []),
            codes,
        )
        for source in sources:
            for code in source:
                if len(picked) >= LIMIT:
                    break
                if code in active and code not in picked:
                    picked.append(code)
        result[vocabulary] = picked
    return result
