"""Directory pages: search and service pages for everyone; upkeep for coordinators;
edit proposals from partners for their own organization's listings.

Thin views: the SQL is in search.py, store.py, upkeep.py, verification.py, duplicates.py,
partnerships.py and proposals.py; the forms and their rules in forms.py; the template globals in
templating.py; the rendered-search cache in cache.py."""

from __future__ import annotations

import threading

from cachetools import LRUCache
from flask import abort, current_app, flash, redirect, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from htmx_flask import make_response as htmx_response
from markupsafe import Markup

from fieldapp import clock
from fieldapp.db import get_db, own_transaction
from fieldapp.directory import (
    bp,
    categories,
    duplicates,
    hours,
    languages,
    limits,
    near,
    partnerships,
    proposals,
    search,
    snapshot,
    store,
    upkeep,
    verification,
)
from fieldapp.directory.cache import around, card_details, choices, page, rendered, results
from fieldapp.directory.forms import (
    PHONE_TYPE_CHOICES,
    ArchiveForm,
    DecisionForm,
    MergeForm,
    OrganizationForm,
    PairForm,
    ProposalForm,
    SearchForm,
    ServiceForm,
    UpkeepSearchForm,
    VerifyForm,
    # routes.parse_service_form is what tests/test_directory_hsds_import.py checks the shared
    # length limit with; forms.parse_service_form is the one definition.
    parse_service_form,  # noqa: F401
)
from fieldapp.directory.templating import DAY_NAMES
from fieldapp.security import audit_event, found_or_404, role_required
from fieldapp.views import htmx_trigger_name, is_history_restore, is_htmx, render, render_page

PAGE_SIZE = 20
RADIUS_CHOICES = (2, 5, 10, 25)


def _tz() -> str:
    return current_app.config.get("TIMEZONE") or "America/Halifax"


def _verify_days() -> int:
    return int(current_app.config.get("DIRECTORY_VERIFY_DAYS", 180))


def _police_services() -> dict:
    return current_app.config.get("POLICE_SERVICES", {})


_CRITERIA_KEPT = 1024
_criteria_kept: LRUCache = LRUCache(maxsize=_CRITERIA_KEPT)
_criteria_lock = threading.Lock()


def _search_criteria() -> dict:
    """SearchForm(request.args).criteria(), kept per worker by the raw query string (which
    alone decides it: no language, user or database is read).  A search asked again (paging,
    the fixed links, htmx's active search) skips the form's binding (≈ 0.2 ms)."""
    key = request.query_string
    if len(key) > 600:  # no longer search is kept (q is cut at 200 characters anyway)
        return SearchForm(request.args).criteria()
    with _criteria_lock:
        found = _criteria_kept.get(key)
    if found is None:
        found = SearchForm(request.args).criteria()
        with _criteria_lock:
            _criteria_kept[key] = found
    return dict(found)


@bp.get("/", endpoint="search")
@role_required("officer", "partner", "coordinator")
def search_page():
    """Search the directory of partner services (active search; a plain GET form without JS)."""
    db = get_db()
    user = current_user._get_current_object()
    criteria = near.locate(db, _search_criteria(), user.police_service)
    now, tz = clock.now(), _tz()
    # The cards are kept rendered per directory version (cache.cards; the results around them
    # per shape: cache.results), and the results and page per version too (cache.rendered).
    # Read once, before the search: a listing written in between then files fresh cards under
    # the old version (never looked up again), never stale cards under the new one.
    version = snapshot.data_version(db)

    def results_html() -> Markup:
        return rendered("directory/_results.html", criteria, version, now, tz, lambda: results(
            "directory/_results.html", _results_context(db, criteria, version, now, tz)))

    # A history restore (back button after hx-push-url) needs the whole page.
    if is_htmx() and not is_history_restore():
        # The address bar shows the search without the form's empty fields.
        return htmx_response(
            render("directory/search.html", "directory/_results_slot.html",
                   results_html=results_html()),
            push_url=url_for("directory.search", **SearchForm.query_args(criteria)))

    def content(shown: dict, results: Markup) -> dict:
        return {
            "criteria": shown,
            "results_html": results,
            "clear_near_args": SearchForm.query_args(shown, near=None, place="", page=1),
            "radius_choices": RADIUS_CHOICES,
            "category_options": choices()["categories"],
            "population_options": choices()["populations"],
            "language_options": languages.options(db, get_locale().language),
            "own_listings": upkeep.services_of_organization(db, user.organization_id)
            if user.role == "partner" else [],
        }

    content_html = rendered(
        "directory/_search_content.html", criteria, version, now, tz,
        lambda: around("directory/_search_content.html", criteria, version, results_html(),
                       content))
    return render_page(page("directory/search.html", content_html))


def _results_context(db, criteria: dict, version: int, now, tz: str) -> dict:
    # Nothing asked yet: the crisis services (open ones first) and the categories, rather
    # than the first names of an alphabetical list of hundreds.  ?all=1 lists everything.
    browsing = not (search.fts_query(criteria["q"]) or criteria["category"]
                    or criteria["population"] or criteria["open_now"]
                    or criteria["accepts_referrals"] or criteria["language"] or criteria["near"]
                    or criteria["all"] or criteria["page"] > 1)
    if browsing:
        found = search.crisis_services(db, now=now, tz=tz, limit=5)
    else:
        found = search.search_services(
            db, criteria["q"], category=criteria["category"], population=criteria["population"],
            open_now=criteria["open_now"], accepts_referrals=criteria["accepts_referrals"],
            language=criteria["language"], near=criteria["near"], now=now, tz=tz,
            limit=PAGE_SIZE + 1, offset=(criteria["page"] - 1) * PAGE_SIZE,
            kept=card_details(version),
        )
    more = len(found) > PAGE_SIZE
    return {
        "place": criteria["place"], "place_label": criteria["place_label"], "km": criteria["km"],
        "clear_place_args": SearchForm.query_args(criteria, near=None, place="", page=1),
        "browsing": browsing,
        "directory_version": version,
        "browse_categories": choices()["categories"],
        "results": found[:PAGE_SIZE],
        "more": more,
        "next_args": SearchForm.query_args(criteria, page=criteria["page"] + 1) if more else None,
        "prev_args": SearchForm.query_args(criteria, page=criteria["page"] - 1)
        if criteria["page"] > 1 else None,
    }


@bp.get("/services/<service_id>")
@role_required("officer", "partner", "coordinator")
def service_detail(service_id):
    """Everything about one service: hours, phones, address, eligibility, fees, intake."""
    service = found_or_404(store.get_service(get_db(), service_id), "service", service_id)
    now, tz = clock.now(), _tz()
    today = search.local_now(now, tz).date()
    service["hours"] = hours.status(service["schedules"], now, tz)
    service.update(verification.verification(service.get("assured_date"), today,
                                             _verify_days()))
    can_propose = (current_user.role == "partner"
                   and current_user.organization_id == service["organization_id"])
    details = store.service_details(get_db(), service)
    return render(
        "directory/service.html",
        service=service,
        details=details,
        hours_as_given=hours.as_given(details["schedule_sources"]),
        exceptions=[e for e in hours.exceptions(service["schedules"]) if e["valid_to"] >= today],
        week=hours.week(service["schedules"]),
        day_names=DAY_NAMES,
        police_services=_police_services(),
        refer_url=url_for("referrals.new_referral", service_id=service_id)
        if current_user.role == "officer"
        and service["accepts_referrals"] and not service.get("archived_at") else None,
        can_propose=can_propose,
    )


# --- upkeep (coordinators) --------------------------------------------------------------------


def _service_form_page(db, form: ServiceForm, service=None, status: int = 200, *,
                       section: str | None = None, saved: bool = False):
    """The service form; `section` and `saved`: the section just saved (or refused)."""
    if service is not None:
        today = search.local_now(clock.now(), _tz()).date()
        service = {**service, **verification.verification(service.get("assured_date"), today,
                                                          _verify_days())}
    return render(
        "directory/manage/service_form.html", status=status,
        form=form, values=form.values(), service=service, section=section, saved=saved,
        organizations=upkeep.organization_choices(db),
        category_options=[(c.code, c.label) for c in categories.CATEGORIES],
        population_options=list(categories.POPULATIONS.items()),
        police_services=_police_services(),
        language_choices=form.language_choices(),
        phone_types=PHONE_TYPE_CHOICES,
        day_codes=hours.DAY_CODES, day_names=DAY_NAMES,
        limits=limits.SERVICE,
    )


def _managed_service(service_id: str) -> dict:
    return found_or_404(store.get_service(get_db(), service_id), "service", service_id)


@bp.get("/manage")
@role_required("coordinator")
def manage():
    """Upkeep home: organizations and their services, and the queues that need attention."""
    db = get_db()
    q = UpkeepSearchForm(request.args).query
    today = search.local_now(clock.now(), _tz()).date()
    return render(
        "directory/manage/index.html", q=q,
        organizations=upkeep.list_organizations(db, q=q),
        stale_count=len(verification.needs_verification(db, today=today, days=_verify_days(),
                                                        limit=10000)),
        proposal_count=len(proposals.proposals(db)),
    )


def _save_service_response(service_id: str | None):
    db = get_db()
    service = store.get_service(db, service_id) if service_id else None
    form = ServiceForm(request.form, police_services=_police_services())
    if not form.validate():
        return _service_form_page(db, form, service, status=400)
    saved_id = upkeep.save_service(db, form.values(), service_id=service_id, now=clock.iso())
    audit_event("directory_service_saved", object_type="service", object_id=saved_id,
                detail={"created": service_id is None})
    flash(_("Listing saved."), "ok")
    url = url_for("directory.service_detail", service_id=saved_id)
    if is_htmx():
        return htmx_response("", 204, redirect=url)
    return redirect(url, 303)


@bp.route("/manage/services/new", methods=["GET", "POST"])
@role_required("coordinator")
def new_service():
    """Create a service (with hours, phones, address, languages, categories)."""
    if request.method == "POST":
        return _save_service_response(None)
    values = upkeep.blank_service_values(request.args.get("organization_id", ""))
    return _service_form_page(get_db(), ServiceForm.of(values, _police_services()))


@bp.route("/manage/services/<service_id>", methods=["GET", "POST"])
@role_required("coordinator")
def edit_service(service_id):
    """Edit a service's listing; validation errors come back inline."""
    service = _managed_service(service_id)
    if request.method == "POST":
        return _save_service_response(service_id)
    form = ServiceForm.of(upkeep.service_form_values(service), _police_services())
    return _service_form_page(get_db(), form, service)


@bp.post("/manage/services/<service_id>/sections/<section>")
@role_required("coordinator")
def save_service_section(service_id, section):
    """Save one section of the service form (htmx: the section's Save; the page answers and
    htmx keeps the section): its errors alone refuse it (422), the other sections' unsaved
    edits are neither saved nor checked.  Without JavaScript the section's Save posts the
    whole form to edit_service, as one plain form."""
    if section not in upkeep.SERVICE_SECTIONS:
        abort(404)
    db = get_db()
    service = _managed_service(service_id)
    form = ServiceForm(request.form, police_services=_police_services())
    form.validate()
    if upkeep.section_errors(section, form.errors, form.row_errors):
        return _service_form_page(db, form, service, status=422, section=section)
    values = upkeep.section_values(section, upkeep.service_form_values(service), form.values())
    upkeep.save_service(db, values, service_id=service_id, now=clock.iso())
    audit_event("directory_service_saved", object_type="service", object_id=service_id,
                detail={"created": False, "section": section})
    service = _managed_service(service_id)
    saved = ServiceForm.of(upkeep.service_form_values(service), _police_services())
    return _service_form_page(db, saved, service, section=section, saved=True)


def _field_error(form, name: str):
    """One field's inline error (an empty slot when the field is fine)."""
    row_error = form.row_errors.get(name)
    field = form[name] if name in form else {"id": name, "errors": [row_error] if row_error else []}
    return render("directory/manage/_field_error.html", field=field)


@bp.post("/manage/services/validate")
@role_required("coordinator")
@own_transaction  # reads only: no write lock
def validate_service():
    """Inline validation of one field (htmx, on change): the field's error or nothing."""
    form = ServiceForm(request.form, police_services=_police_services())
    form.validate()
    name = htmx_trigger_name() or request.args.get("field") or ""
    if name == "phone_number":
        name = next((k for k in form.row_errors if k.startswith("phone_number_")), name)
    return _field_error(form, name)


@bp.post("/manage/services/<service_id>/archive")
@role_required("coordinator")
def archive_service(service_id):
    """Archive (or restore) a service: hidden from search, referrals keep pointing at it."""
    _managed_service(service_id)
    restore = ArchiveForm(request.form).restore.data == "1"
    upkeep.archive_service(get_db(), service_id, now=clock.iso(), restore=restore)
    audit_event("directory_service_restored" if restore else "directory_service_archived",
                object_type="service", object_id=service_id)
    return redirect(url_for("directory.manage"), 303)


def _organization_form(organization_id: str | None):
    db = get_db()
    organization = None
    if organization_id:
        organization = found_or_404(store.get_organization(db, organization_id),
                                    "organization", organization_id)
    if request.method == "GET":
        form = OrganizationForm(formdata=None, data={
            f: (organization or {}).get(f) or "" for f in upkeep.ORGANIZATION_FIELDS})
        return render("directory/manage/organization_form.html", form=form,
                      organization=organization, limits=limits.ORGANIZATION)
    form = OrganizationForm(request.form)
    if not form.validate():
        return render("directory/manage/organization_form.html", status=400, form=form,
                      organization=organization, limits=limits.ORGANIZATION)
    saved_id = upkeep.save_organization(db, form.values(), organization_id=organization_id,
                                        now=clock.iso())
    audit_event("directory_organization_saved", object_type="organization", object_id=saved_id,
                detail={"created": organization_id is None})
    return redirect(url_for("directory.manage", _anchor=f"org-{saved_id}"), 303)


@bp.post("/manage/organizations/validate")
@role_required("coordinator")
@own_transaction  # reads only: no write lock
def validate_organization():
    """Inline validation of one organization field (htmx, on change)."""
    form = OrganizationForm(request.form)
    form.validate()
    return _field_error(form, htmx_trigger_name() or request.args.get("field") or "")


@bp.route("/manage/organizations/new", methods=["GET", "POST"])
@role_required("coordinator")
def new_organization():
    """Create an organization."""
    return _organization_form(None)


@bp.route("/manage/organizations/<organization_id>", methods=["GET", "POST"])
@role_required("coordinator")
def edit_organization(organization_id):
    """Edit an organization."""
    return _organization_form(organization_id)


@bp.post("/manage/organizations/<organization_id>/archive")
@role_required("coordinator")
def archive_organization(organization_id):
    """Archive an organization and its services."""
    db = get_db()
    found_or_404(store.get_organization(db, organization_id), "organization", organization_id)
    upkeep.archive_organization(db, organization_id, now=clock.iso())
    audit_event("directory_organization_archived", object_type="organization",
                object_id=organization_id)
    return redirect(url_for("directory.manage"), 303)


@bp.get("/manage/verify")
@role_required("coordinator")
def verify_queue():
    """Listings not verified in the last DIRECTORY_VERIFY_DAYS days, oldest first."""
    days = _verify_days()
    today = search.local_now(clock.now(), _tz()).date()
    return render("directory/manage/verify.html", days=days,
                  rows=verification.needs_verification(get_db(), today=today, days=days))


@bp.post("/manage/services/<service_id>/verify")
@role_required("coordinator")
def verify_service(service_id):
    """One tap: the listing was checked today (htmx swaps the row)."""
    db = get_db()
    _managed_service(service_id)
    today = search.local_now(clock.now(), _tz()).date()
    row = verification.mark_verified(db, service_id, today=today, by_user=current_user.row,
                                     now=clock.iso())
    audit_event("directory_service_verified", object_type="service", object_id=service_id)
    if not is_htmx():
        if VerifyForm(request.form).back.data == "edit":
            return redirect(url_for("directory.edit_service", service_id=service_id), 303)
        return redirect(url_for("directory.verify_queue"), 303)
    return render("directory/manage/verify.html", "directory/manage/_verify_row.html",
                  row=row, days=_verify_days(),
                  rows=verification.needs_verification(db, today=today, days=_verify_days()))


@bp.post("/manage/services/<service_id>/changed")
@role_required("coordinator")
def service_changed(service_id):
    """One tap: the call found the listing out of date.  Logged; the listing stays in the
    queue until corrected and verified; the row (htmx) or the page (no JS) leads to its edit
    form."""
    _managed_service(service_id)
    audit_event("directory_service_changed", object_type="service", object_id=service_id)
    if not is_htmx():
        return redirect(url_for("directory.edit_service", service_id=service_id), 303)
    today = search.local_now(clock.now(), _tz()).date()
    return render("directory/manage/_verify_row.html", changed=True,
                  row=verification.queue_row(get_db(), service_id, today=today))


@bp.get("/manage/duplicates", endpoint="duplicates")
@role_required("coordinator")
def duplicates_page():
    """Possible duplicate services and organizations (near-identical name, phone, address)."""
    return render("directory/manage/duplicates.html", **duplicates.possible_duplicates(get_db()))


@bp.post("/manage/merge")
@role_required("coordinator")
def merge():
    """Merge a duplicate into the chosen survivor; references follow the survivor."""
    db = get_db()
    form = MergeForm(request.form)
    if not form.validate():
        return render("errors/error.html", status=400, status_code=400,
                      message=_("Choose which listing to keep."))
    kind, survivor_id, duplicate_id = form.kind.data, form.survivor_id.data, form.duplicate_id
    merge_function = (duplicates.merge_services if kind == "service"
                      else duplicates.merge_organizations)
    try:
        moved = merge_function(db, survivor_id=survivor_id, duplicate_id=duplicate_id,
                               by_user_id=current_user.id, now=clock.iso())
    except ValueError:
        abort(404)
    audit_event("directory_merged", object_type=kind, object_id=survivor_id,
                detail={"duplicate_id": duplicate_id, "moved": moved})
    return redirect(url_for("directory.duplicates"), 303)


@bp.post("/manage/duplicates/keep-apart")
@role_required("coordinator")
def keep_apart():
    """Not duplicates after all: the pair leaves the possible-duplicates page."""
    db = get_db()
    form = PairForm(request.form)
    if not form.validate():
        abort(404)
    kind, (a_id, b_id) = form.kind.data, form.pair
    load = store.get_service if kind == "service" else store.get_organization
    found_or_404(load(db, a_id), kind, a_id)
    found_or_404(load(db, b_id), kind, b_id)
    duplicates.keep_apart(db, kind=kind, a_id=a_id, b_id=b_id, by_user_id=current_user.id,
                          now=clock.iso())
    audit_event("directory_kept_apart", object_type=kind, object_id=a_id,
                detail={"other_id": b_id})
    return redirect(url_for("directory.duplicates"), 303)


@bp.get("/manage/partnerships", endpoint="partnerships")
@role_required("coordinator")
def partnerships_page():
    """Partnership register: which police services partner with which services."""
    police = _police_services()
    return render("directory/manage/partnerships.html", police_services=police,
                  **partnerships.partnership_register(get_db(), list(police)))


@bp.get("/manage/proposals", endpoint="proposals")
@role_required("coordinator")
def proposals_page():
    """Partners' proposed edits waiting for a decision."""
    return render("directory/manage/proposals.html", proposals=proposals.proposals(get_db()))


def _proposal_or_404(proposal_id: str) -> dict:
    return found_or_404(proposals.get_proposal(get_db(), proposal_id), "service_edit_proposal",
                        proposal_id)


@bp.get("/manage/proposals/<proposal_id>")
@role_required("coordinator")
def proposal_detail(proposal_id):
    """A proposal as a diff against the listing."""
    return render("directory/manage/proposal.html", proposal=_proposal_or_404(proposal_id))


@bp.post("/manage/proposals/<proposal_id>/decide")
@role_required("coordinator")
def decide_proposal(proposal_id):
    """Approve (apply) or reject a partner's proposal."""
    proposal = _proposal_or_404(proposal_id)
    form = DecisionForm(request.form)
    decision = form.decision.data
    if not form.validate():
        return render("directory/manage/proposal.html", status=400, proposal=proposal,
                      error=_("Choose approve or reject."))
    done = proposals.decide_proposal(get_db(), proposal_id, approve=decision == "approve",
                                     by_user_id=current_user.id, now=clock.iso())
    if not done:
        return render("directory/manage/proposal.html", status=409, proposal=proposal,
                      error=_("This proposal was already decided."))
    audit_event(f"directory_proposal_{decision}d", object_type="service",
                object_id=proposal["service_id"], detail={"proposal_id": proposal_id})
    return redirect(url_for("directory.proposals"), 303)


# --- partners propose edits to their own listings ---------------------------------------------


@bp.route("/services/<service_id>/propose", methods=["GET", "POST"])
@role_required("partner")
def propose_edit(service_id):
    """A partner proposes changes to their own organization's listing (a coordinator decides)."""
    service = store.get_service(get_db(), service_id)
    if service is not None and service["organization_id"] != current_user.organization_id:
        service = None  # not yours: the same 404 as not found
    service = found_or_404(service, "service", service_id)
    if request.method == "GET":
        form = ProposalForm(formdata=None, data={f: service.get(f) or ""
                                                 for f in proposals.PROPOSABLE_FIELDS})
        return render("directory/propose.html", service=service, form=form)
    form = ProposalForm(request.form)
    if not form.validate_for(service):
        return render("directory/propose.html", status=400, service=service, form=form)
    changes = form.changes(service)
    proposal_id = proposals.propose_edit(get_db(), service, changes, by_user_id=current_user.id,
                                         now=clock.iso())
    audit_event("directory_proposal_made", object_type="service", object_id=service_id,
                detail={"proposal_id": proposal_id, "fields": sorted(changes)})
    return render("directory/propose.html", status=201, service=service, form=form, sent=True)
