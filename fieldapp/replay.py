"""Is a record a phone sent again the one already stored?  The one rule for people, contacts
and referrals, asked before a record is validated: a record once stored is never refused when
its phone sends it again, even if it would fail rules made since (a code retired, a time now
too old).

A record keeps two fingerprints: `raw_hash`, of the item exactly as the phone sent it (checked
first, before validation), and `payload_hash`, of its validated fields (records stored before
raw hashes were kept have only this one; it also lets an equivalent re-encoding of the same
record count as a replay).
"""

import hashlib
import json

# Keys a phone may stamp on each attempt rather than on the record itself: not part of what
# was recorded, so they do not make a resend look different.  Keys starting with "_" are the
# phone's own bookkeeping too.
VOLATILE_KEYS = frozenset({"sent_at", "attempt", "attempts"})


def raw_hash(item) -> str:
    """The fingerprint of an item as received: canonical JSON (sorted keys, no spaces), minus
    volatile keys."""
    if isinstance(item, dict):
        item = {key: value for key, value in item.items()
                if key not in VOLATILE_KEYS and not str(key).startswith("_")}
    canonical = json.dumps(item, sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                           default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def is_replay(existing: dict | None, owner_id: str | None, sender_id: str | None,
              raw: str | None, payload_hash: str | None = None) -> bool:
    """Whether `existing` (the stored row with the item's client id, owned by `owner_id`) is
    what `sender_id` sent again: same sender, and the same raw payload or, once validated,
    the same fields."""
    if existing is None or owner_id is None or owner_id != sender_id:
        return False
    if raw is not None and existing.get("raw_hash") == raw:
        return True
    return payload_hash is not None and existing.get("payload_hash") == payload_hash
