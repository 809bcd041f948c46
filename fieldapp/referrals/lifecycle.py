"""The referral status machine: the ONLY code that changes referral.status.

sent -> received (the partner opened it) -> accepted | declined -> contact_attempted -> connected
-> closed (completed, unable_to_contact, withdrawn, expired).

Every transition writes one referral_event row (who, when, from, to, reason, note) and one audit
event, inside the same transaction as the status change.  An action that is not allowed from the
referral's current status raises IllegalTransition (the routes answer 409).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlite_utils import Database

from fieldapp import audit
from fieldapp.db import writing

STATUSES = ["sent", "received", "accepted", "declined", "contact_attempted", "connected",
            "closed"]
OPEN_STATUSES = ("sent", "received")  # not yet answered by the partner
DECLINE_REASONS = ["no_capacity", "not_eligible", "duplicate", "person_declined"]
CLOSE_REASONS = ["completed", "unable_to_contact", "withdrawn", "expired"]

STATUS_LABELS = {
    "sent": _l("sent"), "received": _l("received"), "accepted": _l("accepted"),
    "declined": _l("declined"), "contact_attempted": _l("contact attempted"),
    "connected": _l("connected"), "closed": _l("closed"),
}
REASON_LABELS = {
    "no_capacity": _l("no capacity"), "not_eligible": _l("not eligible"),
    "duplicate": _l("duplicate"), "person_declined": _l("declined by the person"),
    "completed": _l("completed"), "unable_to_contact": _l("unable to contact"),
    "withdrawn": _l("withdrawn by the officer"), "expired": _l("expired"),
    "undone": _l("answer undone"),
}
# Which timestamp column each status fills.
STAMP = {"sent": "sent_at", "received": "received_at", "accepted": "accepted_at",
         "declined": "declined_at", "contact_attempted": "attempted_at",
         "connected": "connected_at", "closed": "closed_at"}


@dataclass(frozen=True)
class Action:
    name: str
    sources: tuple[str, ...]  # statuses it may start from
    target: str
    roles: tuple[str, ...]  # who may take it ("system" = a scheduled job)
    reasons: tuple[str, ...] = ()  # allowed reason codes (empty: no reason)
    reason_required: bool = False
    note_required: bool = False  # the officer says why they withdraw


ACTIONS: dict[str, Action] = {a.name: a for a in [
    Action("receive", ("sent",), "received", ("partner",)),
    Action("accept", ("sent", "received"), "accepted", ("partner",)),
    Action("decline", ("sent", "received"), "declined", ("partner",),
           tuple(DECLINE_REASONS), True),
    Action("attempt_contact", ("accepted",), "contact_attempted", ("partner",)),
    Action("connect", ("accepted", "contact_attempted"), "connected", ("partner",)),
    Action("close", ("accepted", "contact_attempted", "connected"), "closed", ("partner",),
           ("completed", "unable_to_contact"), True),
    Action("withdraw", ("sent", "received", "accepted", "contact_attempted"), "closed",
           ("officer", "coordinator"), ("withdrawn",), note_required=True),
    Action("expire", ("sent", "received"), "closed", ("system",), ("expired",)),
]}
# "completed" means the person was reached; it needs a connection first.
REASON_SOURCES = {"completed": ("connected",), "unable_to_contact": ("accepted",
                                                                   "contact_attempted")}
DEFAULT_REASON = {"withdraw": "withdrawn", "expire": "expired"}
NOTE_MAX = 500


class TransitionError(Exception):
    """A transition that cannot happen; `status` is the HTTP answer the routes give."""

    status = 409

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


class IllegalTransition(TransitionError):
    status = 409


class InvalidReason(TransitionError):
    status = 400


def allowed_actions(status: str, role: str) -> list[str]:
    """The actions `role` may take on a referral in `status` (for showing buttons)."""
    return [a.name for a in ACTIONS.values() if status in a.sources and role in a.roles]


def transition(db: Database, referral_id: str, action: str, *, user: dict | None, now: str,
               reason: str | None = None, note: str | None = None,
               ip: str | None = None) -> dict:
    """Apply `action` to the referral; return the updated row.  All-or-nothing."""
    spec = ACTIONS.get(action)
    if spec is None:
        raise IllegalTransition(_l("Unknown action."))
    role = user["role"] if user else "system"
    if role not in spec.roles:
        raise IllegalTransition(_l("You cannot do that to this referral."))
    reason = (reason or "").strip() or DEFAULT_REASON.get(action)
    if spec.reason_required and not reason:
        raise InvalidReason(_l("Choose a reason."))
    if reason and reason not in spec.reasons:
        raise InvalidReason(_l("That reason does not apply here."))
    note = (note or "").strip() or None
    if spec.note_required and not note:
        raise InvalidReason(_l("Say why."))
    if note and len(note) > NOTE_MAX:
        raise InvalidReason(_l("The note is too long (at most %(n)s characters).", n=NOTE_MAX))

    with writing(db):
        rows = list(db.query("select * from referral where id = ?", [referral_id]))
        if not rows:
            raise IllegalTransition(_l("This referral does not exist."))
        referral = rows[0]
        current = referral["status"]
        sources = REASON_SOURCES.get(reason, spec.sources) if action == "close" else spec.sources
        if current not in sources:
            raise IllegalTransition(_l(
                "This referral is %(status)s: it cannot be %(action)s now.",
                status=STATUS_LABELS.get(current, current), action=ACTION_PAST[action]))
        changes = {"status": spec.target, STAMP[spec.target]: now, "updated_at": now}
        if spec.target in ("declined", "closed"):
            changes["status_reason"] = reason
        if spec.target == "closed":
            changes["outcome"] = reason
        assignments = ", ".join(f"[{column}] = ?" for column in changes)
        cursor = db.execute(
            f"update referral set {assignments} where id = ? and status = ?",
            [*changes.values(), referral_id, current])
        if cursor.rowcount != 1:  # someone else moved it first
            raise IllegalTransition(_l("This referral changed meanwhile; reload and try again."))
        user_id = user["id"] if user else None
        db["referral_event"].insert({
            "referral_id": referral_id, "at": now, "user_id": user_id, "from_status": current,
            "to_status": spec.target, "reason": reason, "note": note})
        audit.record(db, at=now, action="referral_" + action, user=user,
                     object_type="referral", object_id=referral_id, ip=ip,
                     detail={"from": current, "to": spec.target, "reason": reason})
    return {**referral, **changes}


UNDOABLE = ("accept", "decline")  # a partner's answer, undone within UNDO_SECONDS
UNDO_SECONDS = 10


def undo_deadline(db: Database, referral_id: str, user: dict, *, seconds: int = UNDO_SECONDS
                  ) -> str | None:
    """Until when `user` may undo their last answer to the referral (ISO), else None: only
    the referral's last event, an accept or decline by this same user."""
    rows = list(db.query(
        "select * from referral_event where referral_id = ? order by id desc limit 1",
        [referral_id]))
    if not rows:
        return None
    event = rows[0]
    if (event["user_id"] != user.get("id") or event["to_status"] not in ("accepted", "declined")
            or event["from_status"] not in OPEN_STATUSES):
        return None
    moment = datetime.fromisoformat(event["at"]) + timedelta(seconds=seconds)
    return moment.isoformat(timespec="seconds")


def undo(db: Database, referral_id: str, *, user: dict, now: str, seconds: int = UNDO_SECONDS,
         ip: str | None = None) -> dict:
    """Undo the user's accept or decline within `seconds`: back to the status before it (an
    event "undone" and an audit event, in one transaction)."""
    with writing(db):
        deadline = undo_deadline(db, referral_id, user, seconds=seconds)
        if deadline is None or now > deadline:
            raise IllegalTransition(_l("This answer can no longer be undone."))
        event = next(db.query("select * from referral_event where referral_id = ?"
                              " order by id desc limit 1", [referral_id]))
        current, previous = event["to_status"], event["from_status"]
        changes = {"status": previous, STAMP[current]: None, "updated_at": now}
        if current == "declined":
            changes["status_reason"] = None
        assignments = ", ".join(f"[{column}] = ?" for column in changes)
        cursor = db.execute(f"update referral set {assignments} where id = ? and status = ?",
                            [*changes.values(), referral_id, current])
        if cursor.rowcount != 1:
            raise IllegalTransition(_l("This referral changed meanwhile; reload and try again."))
        db["referral_event"].insert({
            "referral_id": referral_id, "at": now, "user_id": user["id"],
            "from_status": current, "to_status": previous, "reason": "undone"})
        audit.record(db, at=now, action="referral_undo", user=user, object_type="referral",
                     object_id=referral_id, ip=ip, detail={"from": current, "to": previous})
        rows = list(db.query("select * from referral where id = ?", [referral_id]))
    return rows[0]


def record_sent(db: Database, referral_id: str, *, user: dict, now: str,
                ip: str | None = None) -> None:
    """The first event of a new referral (called by the store inside its transaction)."""
    db["referral_event"].insert({"referral_id": referral_id, "at": now, "user_id": user["id"],
                                 "from_status": None, "to_status": "sent"})
    audit.record(db, at=now, action="referral_sent", user=user, object_type="referral",
                 object_id=referral_id, ip=ip, detail={"to": "sent"})


ACTION_PAST = {
    "receive": _l("marked received"), "accept": _l("accepted"), "decline": _l("declined"),
    "attempt_contact": _l("marked contact attempted"), "connect": _l("marked connected"),
    "close": _l("closed"), "withdraw": _l("withdrawn"), "expire": _l("expired"),
}
