"""The vocabularies of a contact: kinds, populations, outcomes (codes stored, labels translated).

Built-in codes are fixed (other areas rely on them).  Coordinators extend a vocabulary or retire
an entry through the `vocabulary` table: retired codes stay readable on old records but are no
longer offered on forms or accepted on new records.
"""

from flask import g, has_app_context
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlite_utils import Database

from fieldapp.db import get_db, select

KINDS = {
    "school_visit": _l("School visit / youth engagement"),
    "community_engagement": _l("Community or partner engagement"),
    "wellness_check": _l("Wellness check"),
    "mental_health": _l("Person in crisis / mental health"),
    "disorderly_noncriminal": _l("Distressed or disorderly (non-criminal)"),
    "substance_use": _l("Substance use"),
    "housing_need": _l("Unsheltered / housing need"),
    "chronic_followup": _l("Follow-up, chronically involved person"),
    "family_concern": _l("Family concern (non-emergency)"),
    "senior_concern": _l("Senior concern"),
    "veteran_support": _l("Veteran support"),
    "basic_needs": _l("Basic needs"),
    "situation_table": _l("Case conference / situation table"),
    "other": _l("Other"),
}

POPULATIONS = {
    "child_under_12": _l("Child under 12"),
    "youth_12_17": _l("Youth 12-17"),
    "senior_65_plus": _l("Senior 65+"),
    "veteran": _l("Veteran"),
    "mental_health": _l("Mental-health concern"),
    "substance_use": _l("Substance-use concern"),
    "unsheltered": _l("Unsheltered / displaced"),
    "chronically_involved": _l("Chronically involved with police"),
}

OUTCOMES = {
    "information_given": _l("Information given"),
    "warm_referral": _l("Warm referral made"),
    "partner_on_scene": _l("Partner responded on scene"),
    "deescalated": _l("De-escalated / resolved"),
    "safety_plan": _l("Safety plan"),
    "transported_safe_place": _l("Transported to a safe place"),
    "declined_services": _l("Declined services"),
    "unable_to_locate": _l("Unable to locate"),
    "no_longer_needed": _l("No longer needed"),
    "escalated_police": _l("Escalated to police enforcement"),
    "escalated_ambulance": _l("Escalated to ambulance / emergency"),
    "situation_table_referral": _l("Situation-table referral"),
}

# Age bands of a group contact (a school talk, a community event): no identities.
AGE_BANDS = {
    "under_12": _l("Under 12"),
    "12_17": _l("12-17"),
    "18_64": _l("18-64"),
    "65_plus": _l("65+"),
    "mixed": _l("Mixed ages"),
}

# Kinds of place kept by coordinators.
PLACE_KINDS = {
    "school": _l("School"),
    "community_site": _l("Community site"),
}

BUILTIN = {"kind": KINDS, "population": POPULATIONS, "outcome": OUTCOMES}
VOCABULARIES = tuple(BUILTIN)

# Pre-filled forms that cut taps further (codes only; labels translated).
TEMPLATES = {
    "school_presentation": {
        "label": _l("School visit — presentation"),
        "values": {"kind": "school_visit", "populations": ["youth_12_17"],
                   "outcome": "information_given", "is_group": 1, "age_band": "12_17"},
    },
    "wellness_senior": {
        "label": _l("Wellness check — senior"),
        "values": {"kind": "wellness_check", "populations": ["senior_65_plus"],
                   "outcome": "information_given", "is_group": 0},
    },
}

# Police escalation is what diversion is measured against.
ESCALATION_OUTCOMES = ("escalated_police",)


def extensions(db: Database) -> list[dict]:
    """Every coordinator row of the vocabulary table (additions and retirements)."""
    return select(db, "select * from vocabulary order by vocabulary, created_at, code")


def _language() -> str:
    if has_app_context():
        locale = get_locale()
        if locale is not None:
            return locale.language
    return "en"


def _extension_label(row: dict, language: str) -> str:
    if language == "fr" and row.get("label_fr"):
        return row["label_fr"]
    return row.get("label_en") or row.get("label_fr") or row["code"]


def label(vocabulary: str, code: str | None, rows: list[dict] | None = None) -> str:
    """The translated label of a code (retired and unknown codes stay readable)."""
    if not code:
        return ""
    builtin = BUILTIN.get(vocabulary, {})
    if code in builtin:
        return str(builtin[code])
    if vocabulary == "age_band" and code in AGE_BANDS:
        return str(AGE_BANDS[code])
    if rows is None and has_app_context():
        rows = _request_extensions()
    for row in rows or []:
        if row["vocabulary"] == vocabulary and row["code"] == code:
            return _extension_label(row, _language())
    return code


def _request_extensions() -> list[dict]:
    """The vocabulary rows, read once per request (labels of coordinator codes)."""
    if "contacts_vocab" not in g:
        g.contacts_vocab = extensions(get_db())
    return g.contacts_vocab


def choices(vocabulary: str, rows: list[dict]) -> list[tuple[str, str]]:
    """(code, label) offered on forms: built-ins then additions, minus retired entries."""
    retired = {r["code"] for r in rows if r["vocabulary"] == vocabulary and r["retired"]}
    language = _language()
    offered = [(code, str(text)) for code, text in BUILTIN[vocabulary].items()
               if code not in retired]
    offered += [(r["code"], _extension_label(r, language)) for r in rows
                if r["vocabulary"] == vocabulary and not r["retired"]
                and r["code"] not in BUILTIN[vocabulary]]
    return offered


def active_codes(vocabulary: str, rows: list[dict]) -> set[str]:
    """Codes a new or edited record may use (the codes of `choices`, with no label translated:
    this runs for every item of a phone's batch, inside its write transaction)."""
    mine = [r for r in rows if r["vocabulary"] == vocabulary]
    retired = {r["code"] for r in mine if r["retired"]}
    return (set(BUILTIN[vocabulary]) | {r["code"] for r in mine}) - retired


def known_codes(vocabulary: str, rows: list[dict]) -> set[str]:
    """Every code ever valid (retired included): what old records may hold."""
    return set(BUILTIN[vocabulary]) | {r["code"] for r in rows if r["vocabulary"] == vocabulary}


def kind_label(code: str | None) -> str:
    return label("kind", code)


def population_label(code: str | None) -> str:
    return label("population", code)


def outcome_label(code: str | None) -> str:
    return label("outcome", code)


def age_band_label(code: str | None) -> str:
    return str(AGE_BANDS.get(code, code or ""))


def is_mental_health(kind: str | None, populations=()) -> bool:
    """Whether a contact is mental-health related: the diversion path applies."""
    return kind == "mental_health" or "mental_health" in set(populations or ())


def is_police_escalation(outcome: str | None) -> bool:
    return outcome in ESCALATION_OUTCOMES
