"""Warm referrals: sending, the partner inbox, the officer's live status, the coordinator's view.

Thin views: parse, authorize (role, then `referral_for` for the object), call the store or the
lifecycle, render.  The same URLs serve each role within its own scope; the rest is 404.

Just over 600 lines: the referral's one journey (form, summary, send, inbox, transitions, undo,
e-mailed link) reads best in one file; the next split would be the partner inbox
(inbox, its poll and the transitions) into inbox.py.
"""

import hashlib
import io
import re
import uuid
from datetime import datetime, timedelta

from flask import Response, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from fieldapp import clock, csv_safe, formats
from fieldapp.accounts.routes import safe_next
from fieldapp.db import get_db, own_transaction
from fieldapp.directory.search import crisis_services, matching_services, search_services
from fieldapp.referrals import bp, lifecycle, mail, outbox, store
from fieldapp.referrals.forms import (
    FilterForm,
    LinkForm,
    ReassignForm,
    ReferralForm,
    SearchForm,
    SettingsForm,
    TransitionForm,
)
from fieldapp.security import audit_event, client_ip, found_or_404, role_required
from fieldapp.views import is_htmx, render

CONSENT_LABELS = {
    "verbal": _l("Verbal yes"), "written": _l("Written yes"), "guardian": _l("Guardian yes"),
    "not_obtainable": _l("Not obtainable (imminent risk)"),
    "none": _l("None: information only (no personal details go to the partner)"),
}
SHARED_LABELS = {"name": _l("Name"), "phone": _l("Phone"), "birth_year": _l("Year of birth"),
                 "note": _l("Hand-off note")}
URGENCY_LABELS = {"urgent": _l("Urgent"), "today": _l("Today"), "this_week": _l("This week")}
RESPONSE_DAYS = 90  # the coordinator's response times cover this many days
# Actions a user takes through the transition route (expire happens by itself).
USER_ACTIONS = ("receive", "accept", "decline", "attempt_contact", "connect", "close",
                "withdraw")


def _labels() -> dict:
    """Label tables, translated once per page (rows repeat them hundreds of times)."""

    def resolved(table: dict) -> dict:
        return {code: str(label) for code, label in table.items()}

    return {"consents": resolved(CONSENT_LABELS), "shareable": resolved(SHARED_LABELS),
            "urgencies": resolved(URGENCY_LABELS),
            "statuses": resolved(lifecycle.STATUS_LABELS),
            "reasons": resolved(lifecycle.REASON_LABELS),
            "decline_reasons": lifecycle.DECLINE_REASONS}


@bp.app_template_filter("referral_time")
def referral_time(value: str | None) -> str:
    """Local time of a stored instant: its time today ("14:05" / "14 h 05"), else the day
    too ("Oct 1, 14:05" / "1er oct. à 14 h 05"), in the team's zone (config TIMEZONE)."""
    moment = formats.instant(value)
    if moment is None:
        return ""
    if moment.date() == formats.instant(clock.now()).date():
        return formats.time(moment)
    return formats.moment(moment, "d MMM")


CSRF_VALUE = re.compile(r'name="csrf_token" value="[^"]*"')


@bp.app_template_filter("referral_ago")
def referral_ago(value: str | None) -> str:
    """How long ago a stored instant was, in the user's language ("12 minutes ago")."""
    return formats.ago(value, clock.now())


# A request's new e-mails go out from a thread once it has committed (MAIL_SEND_AFTER_REQUEST).
bp.after_app_request(mail.send_after_request)
bp.record_once(lambda _state: outbox.mail_queued.connect(mail.remember_queued))


@bp.app_context_processor
def referral_globals() -> dict:
    return {"referrals_overdue": _overdue_for_current_user,
            "referral_partner_view": store.partner_view, "referral_waiting": referral_waiting,
            "referral_actions": lifecycle.allowed_actions, "referral_label": referral_label}


def referral_waiting(referral: dict) -> dict | None:
    """How long an unanswered referral has waited, in minutes, and whether it is overdue (an
    urgent one not answered within URGENT_ACCEPT_MINUTES); None once answered."""
    if referral.get("status") not in lifecycle.OPEN_STATUSES or not referral.get("sent_at"):
        return None
    waited = clock.now() - datetime.fromisoformat(referral["sent_at"])
    minutes = max(int(waited.total_seconds() // 60), 0)
    limit = int(current_app.config.get("URGENT_ACCEPT_MINUTES", 30))
    return {"minutes": minutes, "hours": minutes // 60, "rest": minutes % 60,
            "overdue": referral.get("urgency") == "urgent" and minutes >= limit}


def referral_label(kind: str, code: str | None) -> str:
    """A referral's status, consent or shared-field code in words (the person page shows them)."""
    labels = {"status": lifecycle.STATUS_LABELS, "shared": SHARED_LABELS}.get(kind, CONSENT_LABELS)
    return str(labels.get(code, code or ""))


def _user() -> dict:
    return current_user.row


def _overdue_for_current_user() -> list[dict]:
    """Overdue urgent referrals in the current officer's or coordinator's scope."""
    if not current_user.is_authenticated or current_user.role not in ("officer", "coordinator"):
        return []
    config = current_app.config
    return store.overdue_referrals(
        get_db(), officer_id=current_user.id if current_user.role == "officer" else None,
        police_service=current_user.police_service, now=clock.iso(),
        minutes=int(config.get("URGENT_ACCEPT_MINUTES", 30)), tz=config["TIMEZONE"])


# --- lists ------------------------------------------------------------------------------------


@bp.get("/")
@role_required("officer", "partner", "coordinator")
def inbox():
    """Referrals within the user's scope: the partner's inbox, the officer's list, or all."""
    db = get_db()
    role = current_user.role
    form = FilterForm(request.args)
    status_filter = form.status.data
    if role == "partner":
        organization_id = current_user.organization_id
        page = render("referrals/inbox.html", "referrals/_inbox_rows.html",
                      title=_("Referrals"), referrals=store.partner_inbox(
                          db, organization_id, status=status_filter),
                      unanswered=store.unanswered_count(db, organization_id),
                      status_filter=status_filter,
                      poll_seconds=current_app.config["INBOX_POLL_SECONDS"],
                      setting=store.org_setting(db, organization_id), q="", **_labels())
        if not is_htmx():
            return page
        # The list's poll (and a search's): an unchanged fragment costs a 304, no body.
        # (The page stays no-store: referrals.js sends If-None-Match itself.)  The ETag leaves
        # out the forms' CSRF tokens, which differ on every render, but changes every half hour
        # so that a list left open gets fresh tokens before they expire (Flask-WTF: 1 hour).
        half_hour = clock.now().strftime("%Y%m%d%H") + str(clock.now().minute // 30)
        unchanging = half_hour + CSRF_VALUE.sub("", page.get_data(as_text=True))
        page.set_etag(hashlib.sha256(unchanging.encode()).hexdigest()[:32])
        return page.make_conditional(request)
    if role == "officer":
        return render("referrals/mine.html", "referrals/_my_list.html", title=_("My referrals"),
                      referrals=store.officer_referrals(db, current_user.id),
                      overdue=_overdue_for_current_user(), **_labels())
    filters = {"organization_id": form.organization_id.data, "urgency": form.urgency.data,
               "status": status_filter}
    return render("referrals/all.html", "referrals/_all_rows.html", title=_("Referrals"),
                  referrals=store.coordinator_referrals(db, current_user.police_service,
                                                        **filters),
                  filters=filters, organizations=store.organizations_of(
                      db, current_user.police_service),
                  response_times=_response_times(), overdue=_overdue_for_current_user(), q="",
                  response_days=RESPONSE_DAYS,
                  mail_failures=outbox.failed_count(db, current_user.police_service),
                  **_labels())


def _response_times() -> list[dict]:
    since = clock.iso(clock.now() - timedelta(days=RESPONSE_DAYS))
    return store.response_times(get_db(), current_user.police_service, since=since)


@bp.post("/search")
@role_required("partner", "coordinator")
@own_transaction  # reads only: no write lock
def search():
    """Search referrals in scope by name, note or id (POST: a name never goes in a URL)."""
    db = get_db()
    q = SearchForm().q.data
    audit_event("referral_search", object_type="referral")
    if current_user.role == "partner":
        rows = store.partner_inbox(db, current_user.organization_id, q=q or None)
        return render("referrals/inbox.html", "referrals/_inbox_rows.html", title=_("Referrals"),
                      referrals=rows, q=q, status_filter=None,
                      unanswered=store.unanswered_count(db, current_user.organization_id),
                      setting=store.org_setting(db, current_user.organization_id), **_labels())
    rows = store.coordinator_referrals(db, current_user.police_service, q=q or None)
    return render("referrals/all.html", "referrals/_all_rows.html", title=_("Referrals"),
                  referrals=rows, q=q, filters={}, organizations=store.organizations_of(
                      db, current_user.police_service),
                  response_times=_response_times(), overdue=_overdue_for_current_user(),
                  response_days=RESPONSE_DAYS,
                  mail_failures=outbox.failed_count(db, current_user.police_service),
                  **_labels())


@bp.get("/export.csv")
@role_required("partner", "coordinator")
def export():
    """CSV of referrals in scope: codes and times only, no personal details (audited)."""
    db = get_db()
    if current_user.role == "partner":
        rows = store.partner_inbox(db, current_user.organization_id, limit=100000)
    else:
        rows = store.coordinator_referrals(db, current_user.police_service, limit=100000)
    columns = ["id", "service_name", "urgency", "consent", "status", "status_reason", "sent_at",
               "received_at", "accepted_at", "declined_at", "attempted_at", "connected_at",
               "closed_at", "replaces_referral_id"]
    out = io.StringIO()
    writer = csv_safe.writer(out)  # a service name like "=HYPERLINK(...)" stays text
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row.get(column) or "" for column in columns])
    audit_event("referral_export", object_type="referral", detail={"rows": len(rows)})
    return Response(out.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": "attachment; filename=referrals.csv"})


@bp.post("/settings")
@role_required("partner")
def settings():
    """The partner organization's choice: accept directly from the e-mail link, or open it."""
    value = SettingsForm().accept_from_email.data
    store.set_accept_from_email(get_db(), current_user.organization_id, value, current_user.id,
                                clock.iso())
    audit_event("referral_settings", object_type="organization",
                object_id=current_user.organization_id, detail={"accept_from_email": value})
    flash(_("Saved."), "ok")
    return redirect(url_for("referrals.inbox"))


# --- sending ------------------------------------------------------------------------------------


@bp.get("/new")
@role_required("officer", "coordinator")
def new_referral():
    """The referral form; optional ids of the service, the contact and the person.  From a
    contact, the person's alias carries over, and a mental-health contact makes it urgent."""
    db = get_db()
    data = {key: request.args.get(key, "")
            for key in ("service_id", "contact_id", "person_id", "path")}
    data.update({"id": str(uuid.uuid4()), "shared": [],
                 "urgency": "urgent" if data["path"] == "mental_health" else "today"})
    contact = (store.visible_contact(db, data["contact_id"], _user())
               if data["contact_id"] else None)
    if contact is None:
        data["contact_id"] = ""  # someone else's contact is as good as absent
    else:
        data["person_id"] = data["person_id"] or contact.get("person_id") or ""
        if contact.get("kind") == "mental_health":
            data["urgency"], data["path"] = "urgent", "mental_health"
    if data["person_id"]:
        person = store.referable_person(db, data["person_id"], _user())
        if person is None:
            data["person_id"] = ""
        else:
            data["person_name"] = person.get("alias") or ""
            data["person_birth_year"] = person.get("birth_year") or ""
    return _form_page(ReferralForm(data=data), q=request.args.get("q", ""))


INFO_ONLY_IGNORED = _l("Information only: the boxes ticked to share personal details were "
                       "ignored, and nothing personal goes to the partner.")


@bp.post("/new")
@role_required("officer", "coordinator")
def create():
    """Send a referral (the same store path as the phone's sync); refused without consent.

    The form's "Check and send" (step=review) shows what the partner will receive first;
    "Search" (step=find) lists the services again keeping every field; the summary's "Send"
    posts the fields without a step."""
    form = ReferralForm()
    notices = []
    if form.consent.data == "none" and form.shared.data:
        # Without JavaScript the boxes stay tickable: the server ignores them and says so.
        form.shared.data = []
        notices.append(str(INFO_ONLY_IGNORED))
    if form.step.data == "find":
        return _form_page(form, q=form.q.data or "", notices=notices)
    db = get_db()
    if form.step.data == "review":
        clean, errors = store.validate(db, form.item(), _user())
        if errors:
            form.refuse(errors)
            return _form_page(form, status=422, notices=notices)
        service = clean.pop("_service")
        received = store.partner_view(clean | {"service_name": service["name"]})
        return render("referrals/review.html", title=_("Check the referral"), form=form,
                      service=service, received=received, notices=notices,
                      kept=store.kept_from_partner(form.item(), clean), **_labels())
    result = store.apply_referral(db, form.item(), _user(), clock.iso())
    if result["status"] in ("created", "unchanged"):
        if result["status"] == "created":
            for notice in notices:
                flash(notice, "ok")
            flash(_("Referral sent. Make the warm call now."), "ok")
        return redirect(url_for("referrals.detail", referral_id=result["id"]))
    form.refuse(result["errors"])
    return _form_page(form, status=409 if result["status"] == "conflict" else 400,
                      notices=notices)


@bp.get("/services")
@role_required("officer", "coordinator")
def service_options():
    """Services that accept referrals, matching `q` (crisis services first for a crisis)."""
    q = request.args.get("q", "")
    return render("referrals/_service_options.html", selected=request.args.get("service_id"),
                  searched=bool(q.strip()), services=_service_choices(
                      q, request.args.get("contact_id"),
                      mental_health=request.args.get("path") == "mental_health"))


def _service_choices(q: str, contact_id: str | None, *, mental_health: bool = False
                     ) -> list[dict]:
    """Services for the form: crisis services first on the mental-health path; otherwise the
    crisis services come last, marked (`crisis`), so that a page kept for offline use can put
    them first for a contact queued on the phone (offline-app.js), as online does."""
    db = get_db()
    now, tz = clock.now(), current_app.config["TIMEZONE"]
    found = search_services(db, q[:100], accepts_referrals=True, now=now, tz=tz, limit=20)
    if q.strip():
        return found
    crisis = [dict(s) | {"crisis": True} for s in crisis_services(db, now=now, tz=tz, limit=5)]
    ids = {s["id"] for s in crisis}
    others = [s for s in found if s["id"] not in ids]
    if mental_health or store.is_mental_health_contact(db, contact_id, _user()):
        return crisis + others
    return others + crisis


def _form_page(form: ReferralForm, *, status: int = 200, q: str = "", notices=()):
    db = get_db()
    service = store.get_service(db, form.service_id.data)
    contact = (store.visible_contact(db, form.contact_id.data, _user())
               if form.contact_id.data else None)
    mental_health = form.path.data == "mental_health" or bool(
        contact and contact.get("kind") == "mental_health")
    services = [] if service else _service_choices(q, form.contact_id.data,
                                                   mental_health=mental_health)
    # The offline summary (referrals.js) is built from the same list as the online one.
    partner_fields = [[key, str(label), code] for key, label, code in store.PARTNER_VIEW]
    return render("referrals/new.html", status=status, title=_("New referral"), form=form,
                  partner_fields=partner_fields, typed_fields=list(store.TYPED_FIELDS),
                  service=service, services=services, q=q, searched=bool(q.strip()),
                  contact=contact,
                  notices=notices, mental_health=mental_health, **_labels())


# --- one referral ----------------------------------------------------------------------------


def _load(referral_id: str) -> dict:
    return found_or_404(store.referral_for(get_db(), _user(), referral_id), "referral",
                        referral_id)


def _context(referral: dict) -> dict:
    """What the detail page and its fragments show; a partner gets the partner fields only."""
    db = get_db()
    role = current_user.role
    events = store.events_of(db, referral["id"])
    if role == "partner":
        events = [{k: e[k] for k in ("at", "from_status", "to_status", "reason")}
                  for e in events]
        shown = store.for_partner(referral)
    else:
        shown = referral
    return {"r": shown, "events": events, "role": role,
            "actions": lifecycle.allowed_actions(referral["status"], role), **_labels()}


@bp.get("/<referral_id>")
@role_required("officer", "partner", "coordinator")
def detail(referral_id):
    """One referral (reading changes nothing: the partner marks it received with a POST)."""
    referral = _load(referral_id)
    audit_event("referral_view", object_type="referral", object_id=referral_id)
    return _detail_page(referral)


@bp.get("/<referral_id>/status")
@role_required("officer", "partner", "coordinator")
def status(referral_id):
    """The live status fragment (polled every 15 s by the officer's page)."""
    return render("referrals/_status.html", **_context(_load(referral_id)))


@bp.post("/<referral_id>/<action>")
@role_required("officer", "partner", "coordinator")
def transition(referral_id, action):
    """Received, accept, decline, contact attempted, connected, close, withdraw: one tap each
    (accepting or declining a referral not yet marked received records the receipt first)."""
    spec = lifecycle.ACTIONS.get(action)
    if action not in USER_ACTIONS or current_user.role not in spec.roles:
        found_or_404(None, "referral", referral_id)
    referral = _load(referral_id)
    db, now = get_db(), clock.iso()
    form, code = TransitionForm(), 200
    try:
        if current_user.role == "partner" and referral["status"] == "sent" and action != "receive":
            lifecycle.transition(db, referral_id, "receive", user=_user(), now=now,
                                 ip=client_ip())
        lifecycle.transition(db, referral_id, action, user=_user(), now=now,
                             reason=form.reason.data, note=form.note.data, ip=client_ip())
    except lifecycle.TransitionError as exc:
        form.refuse(exc.message)
        code = exc.status
    referral = _load(referral_id)
    if is_htmx() and form.fragment.data in ("row", "status"):
        row = form.fragment.data == "row"
        return render("referrals/_inbox_row.html" if row else "referrals/_status.html",
                      status=code, refused=form if form.form_errors else None,
                      undo=_undo_offer(referral, action) if code == 200 else None,
                      **_context(referral))
    if form.form_errors:
        return _detail_page(referral, status=code, refused=form)
    flash(_("Referral %(status)s.", status=lifecycle.STATUS_LABELS[referral["status"]]), "ok")
    # The inbox row's forms send the inbox view they came from, to go back to it.
    back = safe_next(form.next.data)
    return redirect(back or url_for("referrals.detail", referral_id=referral_id))


def _undo_seconds() -> int:
    return int(current_app.config.get("REFERRAL_UNDO_SECONDS", lifecycle.UNDO_SECONDS))


def _undo_offer(referral: dict, action: str) -> dict | None:
    """The Undo a partner is offered for a few seconds after answering (accept, decline)."""
    if action not in lifecycle.UNDOABLE or current_user.role != "partner":
        return None
    deadline = lifecycle.undo_deadline(get_db(), referral["id"], _user(),
                                       seconds=_undo_seconds())
    return {"until": deadline, "seconds": _undo_seconds()} if deadline else None


@bp.post("/<referral_id>/undo")
@role_required("partner")
def undo(referral_id):
    """Undo the partner's own accept or decline within a few seconds (audited; the lifecycle
    says no after that, or to anyone else)."""
    _load(referral_id)
    form, code = TransitionForm(), 200
    try:
        lifecycle.undo(get_db(), referral_id, user=_user(), now=clock.iso(),
                       seconds=_undo_seconds(), ip=client_ip())
    except lifecycle.TransitionError as exc:
        form.refuse(exc.message)
        code = exc.status
    referral = _load(referral_id)
    if is_htmx() and form.fragment.data == "row":
        return render("referrals/_inbox_row.html", status=code,
                      refused=form if form.form_errors else None, undone=code == 200,
                      **_context(referral))
    if form.form_errors:
        return _detail_page(referral, status=code, refused=form)
    flash(_("Answer undone: the referral is %(status)s again.",
            status=lifecycle.STATUS_LABELS[referral["status"]]), "ok")
    return redirect(safe_next(form.next.data) or url_for("referrals.inbox"))


def _detail_page(referral: dict, *, status: int = 200, refused=None):
    """The referral's page; `refused` is the form the lifecycle or the store said no to."""
    context = _context(referral)
    if current_user.role != "partner":
        context["reassign_services"] = _reassign_choices(referral)
    return render("referrals/detail.html", status=status, title=_("Referral"), refused=refused,
                  **context)


@bp.post("/<referral_id>/reassign")
@role_required("coordinator")
def reassign(referral_id):
    """A new referral to another service, for one declined for lack of capacity."""
    referral = _load(referral_id)
    form = ReassignForm()
    try:
        result = store.reassign_referral(get_db(), referral, form.service_id.data or "",
                                         _user(), clock.iso())
    except store.ReferralError as exc:
        form.service_id.errors = [exc.message]
        return _detail_page(referral, status=exc.status, refused=form)
    flash(_("Referral reassigned."), "ok")
    return redirect(url_for("referrals.detail", referral_id=result["id"]))


def _reassign_choices(referral: dict) -> list[dict]:
    if referral["status"] != "declined" or referral["status_reason"] != "no_capacity":
        return []
    db = get_db()
    now, tz = clock.now(), current_app.config["TIMEZONE"]
    choices, seen = [], {referral["service_id"]}
    for category in store.service_categories(db, referral["service_id"]):
        for service in matching_services(db, category=category,
                                         exclude_service_id=referral["service_id"], now=now,
                                         tz=tz, limit=10):
            if service["id"] not in seen:
                seen.add(service["id"])
                choices.append(service)
    for service in search_services(db, accepts_referrals=True, now=now, tz=tz, limit=50):
        if service["id"] not in seen:
            seen.add(service["id"])
            choices.append(service)
    return choices


# --- the e-mailed link ------------------------------------------------------------------------


def _valid_link(token: str) -> dict:
    """The link a token names, if it is addressed to the current partner's agency (else 404)."""
    link_id = mail.read_token(token)
    link = store.get_link(get_db(), link_id) if link_id else None
    if (link is None or current_user.role != "partner"
            or link["organization_id"] != current_user.organization_id):
        found_or_404(None, "referral_link", (link_id or "invalid")[:64])
    return link


def _link_gone(link: dict, now: str):
    """The 410 page of a used or expired link (audited), or None while the link is good."""
    if not link["used_at"] and link["expires_at"] >= now:
        return None
    audit_event("referral_link", object_type="referral", object_id=link["referral_id"],
                outcome="410")
    return render("referrals/link_gone.html", status=410, title=_("Link no longer valid"),
                  expired=not link["used_at"])


def _accepts_here(referral: dict) -> bool:
    """Whether the agency chose to accept from the e-mail, and the referral is still open."""
    setting = store.org_setting(get_db(), referral["organization_id"])
    return bool(setting["accept_from_email"]) and referral["status"] in lifecycle.OPEN_STATUSES


@bp.get("/link/<token>")
@role_required("officer", "partner", "coordinator")
def email_link(token):
    """The referral of a single-use e-mailed link, with the button that uses the link (reading
    it changes nothing: mail scanners and other sites' links open it too)."""
    link = _valid_link(token)
    gone = _link_gone(link, clock.iso())
    if gone is not None:
        return gone
    referral = _load(link["referral_id"])
    return render("referrals/link.html", title=_("Referral from the community team"),
                  token=token, accept_here=_accepts_here(referral),
                  **_context(referral))


@bp.post("/link/<token>")
@role_required("officer", "partner", "coordinator")
def use_email_link(token):
    """Use the link once: mark the referral received, and accept it when the agency chose to
    accept from the e-mail and the partner pressed Accept."""
    link = _valid_link(token)
    db, now = get_db(), clock.iso()
    gone = _link_gone(link, now)
    if gone is not None:
        return gone
    referral = _load(link["referral_id"])
    accept = LinkForm().accept.data and _accepts_here(referral)
    if not store.use_link(db, link["id"], current_user.id, now):
        return _link_gone(store.get_link(db, link["id"]), now)
    audit_event("referral_link", object_type="referral", object_id=link["referral_id"])
    try:
        if referral["status"] == "sent":
            lifecycle.transition(db, referral["id"], "receive", user=_user(), now=now,
                                 ip=client_ip())
        if accept:
            lifecycle.transition(db, referral["id"], "accept", user=_user(), now=now,
                                 ip=client_ip())
            flash(_("Referral accepted."), "ok")
    except lifecycle.TransitionError:
        pass  # answered meanwhile: the referral page shows where it stands
    return redirect(url_for("referrals.detail", referral_id=referral["id"]))


# --- e-mails that failed for good -------------------------------------------------------------

MAIL_ERRORS = {outbox.NO_ADDRESS: _l("The agency has no intake e-mail address.")}


@bp.get("/mail-failures")
@role_required("coordinator")
def mail_failures():
    """E-mails of the police service's referrals that could not be sent, to send again."""
    rows = outbox.failed_mails(get_db(), current_user.police_service)
    for row in rows:
        row["error_text"] = str(MAIL_ERRORS.get(row["last_error"], row["last_error"] or ""))
    return render("referrals/mail_failures.html", title=_("E-mails not sent"), mails=rows,
                  **_labels())


@bp.post("/mail-failures/<int:mail_id>/retry")
@role_required("coordinator")
def retry_mail(mail_id: int):
    """Queue a failed e-mail again, to the agency's current intake address (audited)."""
    db = get_db()
    row = found_or_404(outbox.mail_for(db, current_user.police_service, mail_id),
                       "referral_mail", mail_id)
    if outbox.requeue(db, mail_id, now=clock.iso(),
                      to_address=store.intake_address_now(db, row["referral_id"])):
        audit_event("referral_mail_retry", object_type="referral",
                    object_id=row["referral_id"], detail={"mail": mail_id})
        flash(_("The e-mail will be sent again."), "ok")
    return redirect(url_for("referrals.mail_failures"))
