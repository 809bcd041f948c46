"""The board report (page and CSV) and the calls-for-service import, for coordinators only."""

import io
import json
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import Response, abort, current_app, flash, redirect, request, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user

from fieldapp import clock, csv_safe, formats, uploads
from fieldapp.contacts import people
from fieldapp.db import connect, connection_settings, get_db
from fieldapp.reports import bp, calls, calls_store, export, store, summary, tables
from fieldapp.reports import period as periods
from fieldapp.reports.forms import CallsUploadForm, KeyForm, KeyLinkForm, ReportFiltersForm
from fieldapp.security import audit_event, role_required
from fieldapp.views import is_htmx, render


def _today():
    return clock.now().astimezone(ZoneInfo(current_app.config["TIMEZONE"])).date()


def _choices(db) -> dict:
    config = current_app.config
    return {"quarters": periods.recent_quarters(_today(), config["TIMEZONE"]),
            "police_services": config["POLICE_SERVICES"], "teams": store.teams(db)}


def _parse_request(db):
    """(period, filters, selection, form): the report asked for by the GET params.  Bad values
    fall back to the defaults; the form's `first_error` says why."""
    config = current_app.config
    form = ReportFiltersForm(request.args, today=_today(), tz=config["TIMEZONE"],
                             police_services=config["POLICE_SERVICES"], teams=store.teams(db))
    form.validate()
    period = form.period
    police_service = None if form.police_service.errors else form.police_service.data or None
    team = None if form.team.errors else form.team.data or None
    filters = store.Filters(period.start_utc, period.end_utc, police_service, team)
    custom = "Q" not in period.key
    selection = {"quarter": "" if custom else period.key,
                 "start": form.start.data or "" if custom else "",
                 "end": form.end.data or "" if custom else "",
                 "police_service": police_service or "", "team": team or ""}
    return period, filters, selection, form


def _sections(db, period, filters, only=None):
    now = clock.now()
    return tables.build(db, filters, period, current_app.config, clock.iso(now),
                        _today().isoformat(), only, open_db=_connection_opener())


def _connection_opener():
    """A function that opens one more connection to the app's database (for the report's
    concurrent queries), wired to the query log like the request's own."""
    path, settings = current_app.config["DATABASE"], connection_settings(current_app)
    query_log = current_app.extensions.get("fieldapp.query_log")

    def open_db():
        db = connect(path, *settings)
        if query_log is not None:
            db.conn.set_trace_callback(query_log.append)
        return db

    return open_db


def _period_label(period) -> str:
    label = f"{formats.day(period.start, 'long')} – {formats.day(period.last_day, 'long')}"
    return f"{label} ({formats.quarter_label(period.start)})" if "Q" in period.key else label


@bp.get("/")
@role_required("coordinator")
def board():
    """The board report for a period, a police service (or all) and a team (or all)."""
    db = get_db()
    period, filters, selection, form = _parse_request(db)
    error = form.first_error
    sections = _sections(db, period, filters)
    csv_args = {k: v for k, v in selection.items() if v}
    # base.html's htmx config swaps 4xx answers in place: the message shows either way.
    status = 400 if error else 200
    now = clock.now()
    return render("reports/board.html", "reports/_board.html", status=status,
                  title=_("Board report"), sections=sections, period=period,
                  fragment_only=is_htmx(),
                  selection=selection, csv_args=csv_args, error=error, filters_form=form,
                  generated_at=format_datetime(now, "medium"), generated_iso=clock.iso(now),
                  period_label=_period_label(period),
                  police_service_name=current_app.config["POLICE_SERVICES"].get(
                      selection["police_service"]),
                  **_choices(db))


@bp.get("/summary")
@role_required("coordinator")
def summary_page():
    """The report's key measures on one printable page: this period, the previous one and the
    same period a year earlier, with findings computed from them."""
    db = get_db()
    period, filters, selection, form = _parse_request(db)
    error = form.first_error
    status = 400 if error else 200
    result = summary.build(db, filters, period, current_app.config, _connection_opener())
    now = clock.now()
    return render("reports/summary.html", status=status, title=_("Board report summary"),
                  summary=result, period=period, selection=selection, error=error,
                  filters_form=form,
                  report_args={k: v for k, v in selection.items() if v},
                  generated_at=format_datetime(now, "medium"), generated_iso=clock.iso(now),
                  period_label=_period_label(period),
                  period_labels=[_short_period_label(p) for p in result.periods],
                  police_service_name=current_app.config["POLICE_SERVICES"].get(
                      selection["police_service"]),
                  **_choices(db))


def _short_period_label(period) -> str:
    if "Q" in period.key:
        return formats.quarter_label(period.start)
    return f"{formats.day(period.start, 'medium')} – {formats.day(period.last_day, 'medium')}"


@bp.get("/print.css")
@role_required("coordinator")
def print_css():
    """The running header of a printed report (period, police service, team, generation time)
    as a stylesheet of CSS page-margin boxes: the CSP allows no inline style, and margin boxes
    take their text only from CSS."""
    db = get_db()
    period, _filters, selection, form = _parse_request(db)
    if form.first_error:
        abort(400, description=form.first_error)
    try:
        moment = datetime.fromisoformat(request.args.get("at", ""))
    except ValueError:
        moment = clock.now()
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    police_service = current_app.config["POLICE_SERVICES"].get(selection["police_service"])
    parts = [_period_label(period), str(police_service or _("All police services")),
             selection["team"] or _("All teams"),
             _("Generated %(when)s", when=format_datetime(moment, "medium"))]
    content = css_string(" · ".join(parts))
    body = (f"@media print {{\n  @page {{ @top-left {{ content: {content}; font-size: 7.5pt; "
            "color: #333; } }\n}\n")
    return Response(body, mimetype="text/css")


def css_string(value: str) -> str:
    """`value` as a quoted CSS string: every character but letters, digits and spaces written
    as a hexadecimal escape, so that no value can end the string or the rule."""
    return '"' + "".join(ch if ch.isascii() and (ch.isalnum() or ch == " ")
                         else f"\\{ord(ch):x} " for ch in value) + '"'


@bp.get("/board.csv")
@role_required("coordinator")
def board_csv():
    """The report's figures for analysts (reports/export.py), one table or all, with the same
    suppression as the page (audited)."""
    db = get_db()
    period, filters, selection, table_id = _export_request(db)
    sections = _sections(db, period, filters, tables.SECTION_OF_TABLE.get(table_id))
    by_id = tables.all_tables(sections)
    if table_id and table_id not in by_id:  # a section without its table (no register)
        abort(404)
    chosen = [by_id[table_id]] if table_id else list(by_id.values())
    out = io.StringIO()
    writer = csv_safe.writer(out)
    writer.writerow(export.COLUMNS)
    writer.writerows(export.rows(chosen, period, filters.police_service, filters.team))
    audit_event("report_exported", object_type="report", object_id=table_id or "board",
                detail={"period": period.key, "police_service": selection["police_service"],
                        "team": selection["team"], "table": table_id or "all"})
    filename = export.filename(period, filters.police_service, filters.team, table_id)
    return Response("\ufeff" + out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.get("/board.datapackage.json")
@role_required("coordinator")
def board_datapackage():
    """The Frictionless Data Package descriptor of the CSV with the same parameters (its
    columns, types and keys; no figures)."""
    period, filters, _selection, table_id = _export_request(get_db())
    names = [export.filename(period, filters.police_service, filters.team, table_id, extension)
             for extension in ("csv", "datapackage.json")]
    table_ids = [table_id] if table_id else list(tables.SECTION_OF_TABLE)
    body = export.descriptor(names[0], period, filters.police_service, filters.team, table_ids)
    return Response(json.dumps(body, ensure_ascii=False, indent=2),
                    mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{names[1]}"'})


def _export_request(db):
    """(period, filters, selection, table id) of an export: 400 on a bad filter, 404 on an
    unknown table."""
    period, filters, selection, form = _parse_request(db)
    if form.first_error:
        abort(400, description=form.first_error)
    table_id = request.args.get("table") or ""
    if table_id and table_id not in tables.SECTION_OF_TABLE:
        abort(404)
    return period, filters, selection, table_id


# --- Calls for service ----------------------------------------------------------------------


def _calls_page(status=200, upload_form=None, **context):
    db = get_db()
    context.setdefault("link_form", KeyLinkForm(None, db=db,
                                                police_service=current_user.police_service))
    summary = calls_store.calls_summary(db, current_user.police_service)
    # Dates in the reader's language ("1er octobre 2026"), never raw ISO (issue 22).
    days = {"first": _iso_day(summary["first_call"]), "last": _iso_day(summary["last_call"])}
    links = [{**link, "linked_day": _iso_day(link["linked_at"])}
             for link in calls_store.key_links(db, current_user.police_service)]
    return render("reports/calls.html", status=status, title=_("Calls for service"),
                  upload_form=upload_form or CallsUploadForm(formdata=None),
                  summary=summary, days=days, links=links, **context)


def _iso_day(moment: str | None) -> str:
    """The day of an ISO time stamp in the reader's language, or a dash."""
    if not moment:
        return "—"
    return formats.day(date.fromisoformat(moment[:10]), "medium")


@bp.get("/calls")
@role_required("coordinator")
def calls_page():
    """Import calls for service and link records-system keys to people."""
    return _calls_page()


@bp.post("/calls")
@role_required("coordinator")
def upload_calls():
    """Import an uploaded calls-for-service CSV (all rows or none)."""
    form = CallsUploadForm()
    if not form.validate():
        return _calls_page(400, form)
    upload = form.file.data
    config = current_app.config
    try:
        # read from the spooled upload as a stream, never whole (see uploads.py)
        result, added = calls.import_file(
            get_db(), uploads.stream_opener(upload.stream), config["TIMEZONE"], clock.iso(),
            name=Path(upload.filename.replace("\\", "/")).name[:120],
            max_bytes=config["UPLOAD_MAX_UNPACKED_BYTES"], max_rows=config["UPLOAD_MAX_ROWS"])
    except uploads.UploadRefused as error:
        audit_event("calls_import_rejected", object_type="calls_for_service",
                    outcome=str(error.status), detail={"refused": type(error).__name__})
        return _calls_page(error.status, form, errors=[str(error)])
    if result.errors:
        audit_event("calls_import_rejected", object_type="calls_for_service", outcome="400",
                    detail={"errors": len(result.errors)})
        return _calls_page(400, form, errors=result.errors)
    audit_event("calls_imported", object_type="calls_for_service",
                detail={"rows": result.total, "added": added})
    flash(_("Imported %(added)s new call(s) of %(total)s in the file (%(old)s already there).",
            added=added, total=result.total, old=result.total - added), "ok")
    return redirect(url_for("reports.calls_page"))


@bp.post("/calls/keys")
@role_required("coordinator")
def link_key():
    """Link a records-system person key to a person of fieldapp (of the coordinator's police
    service: found by alias, or by id).

    "Search" (the people search without JavaScript), or an alias typed with nobody chosen
    (Enter in the search box), lists the people found instead of linking."""
    db = get_db()
    form = KeyLinkForm(request.form, db=db, police_service=current_user.police_service)
    if form.searching:
        query = form.q.data or ""
        found = people.search_people(db, current_user.row, query) if query else []
        audit_event("people_searched", object_type="person", detail={"results": len(found)})
        return _calls_page(link_form=form, people=found, people_query=query)
    if not form.validate():
        return _calls_page(400, link_form=form)
    person_key, person_id = form.person_key.data, form.person
    calls_store.link_key(db, person_key, person_id, current_user.id, clock.iso())
    audit_event("person_key_linked", object_type="person", object_id=person_id)
    flash(_("Key linked."), "ok")
    return redirect(url_for("reports.calls_page"))


@bp.post("/calls/keys/unlink")
@role_required("coordinator")
def unlink_key():
    """Remove the link of a person key."""
    person_key = KeyForm(request.form).person_key.data or ""
    if not person_key or not calls_store.unlink_key(get_db(), person_key,
                                              current_user.police_service):
        abort(404)
    audit_event("person_key_unlinked", object_type="person_key", object_id=person_key[:64])
    flash(_("Link removed."), "ok")
    return redirect(url_for("reports.calls_page"))
