"""Coordinators' HSDS exchange pages: upload a package (with a report of every problem) and
download the directory as an HSDS 3.1 Tabular Data Package (zip): the package to share (GET), or
the internal one with confidential addresses (POST, audited as hsds_exported_internal)."""

import io
import json
import tempfile
import zipfile
from pathlib import Path

from flask import current_app, request, send_file
from flask_babel import lazy_gettext as _l

from fieldapp import clock, uploads
from fieldapp.db import get_db
from fieldapp.directory import bp, hsds
from fieldapp.directory.forms import ImportForm
from fieldapp.security import audit_event, found_or_404, role_required
from fieldapp.views import render

PROBLEMS = {
    "blank_id": _l("Rows without an id (imported with a generated id)"),
    "duplicate_id": _l("Rows repeating an id already seen (skipped)"),
    "colliding_id": _l("Rows reusing another row's id with other content (kept under a derived "
                       "id, the original id kept as source id)"),
    "exact duplicate": _l("exact copy of another row"),
    "same object repeated": _l("the same object, nested twice"),
    "unreadable": _l("could not be read"),
    "dangling_reference": _l("References to a row that is not in the package or the directory "
                             "(kept as they are)"),
    "missing_declared_file": _l("Files listed in datapackage.json but missing"),
    "unreadable_datapackage_json": _l("datapackage.json could not be read (files found by name)"),
    "unknown_file": _l("Files that are not HSDS tables (ignored)"),
    "file_not_imported": _l("Older HSDS files with no place in HSDS 3 (ignored)"),
    "not_an_hsds_table": _l("Files whose columns are not HSDS (ignored)"),
    "extra_cells": _l("Lines with more cells than columns (extra cells dropped)"),
    "missing_name": _l("Rows without a name (skipped)"),
    "too_long": _l("Rows with a value longer than the service or organization form allows "
                   "(skipped)"),
    "missing_number": _l("Phones without a number (skipped)"),
    "unreadable_phone": _l("Phone numbers that cannot be dialled (kept as given, shown as text)"),
    "missing_organization_id": _l("Services without an organization"),
    "extension_in_number": _l("Extensions written inside phone numbers (split out)"),
    "time_normalized": _l("Times rewritten on a 24-hour clock"),
    "closing_time_assumed_pm": _l("Closing times read as afternoon (for example 5:00 as 17:00)"),
    "unreadable_time": _l("Times that could not be read (left empty, raw value kept)"),
    "times_in_other_zone": _l("Opening times read in the file's time zone and stored in the "
                              "directory's (raw value kept)"),
    "unreadable_date": _l("Dates that could not be read (left empty, raw value kept)"),
    "unreadable_weekday": _l("Weekdays that could not be read"),
    "url_normalized": _l("Web addresses without https:// (added)"),
    "not_a_uri": _l("Web addresses that are not addresses (kept as text, never published as a "
                    "link)"),
    "not_a_number": _l("Numbers that could not be read (raw value kept)"),
    "unknown_status": _l("Unknown service status (set to active)"),
    "padded_value": _l("Values with extra spaces (trimmed, raw value kept)"),
    "unknown_population": _l("Unknown population codes (ignored)"),
    "unknown_category": _l("Unknown category codes (ignored)"),
    "unknown_police_service": _l("Unknown police services in partnerships (ignored)"),
    "unreadable_json": _l("JSON files that could not be read"),
    "not_an_object": _l("JSON items that are not objects (ignored)"),
}


OUTCOMES = {"imported": _l("imported"), "merged": _l("merged"),
            "unlinked": _l("kept, unlinked"), "refused": _l("refused")}


def problem_label(code: str) -> str:
    """A reason in words: a problem code, or an unlinked reason ("service_id names no row")."""
    if code in PROBLEMS:
        return str(PROBLEMS[code])
    if code.endswith(" names no row"):
        return str(_l("%(column)s names no row in the package or the directory",
                      column=code[:-len(" names no row")]))
    if code.startswith("blank "):
        return str(_l("no %(columns)s", columns=code[len("blank "):]))
    return code


def outcome_label(outcome: str) -> str:
    return str(OUTCOMES.get(outcome, outcome))


@bp.route("/manage/import", methods=["GET", "POST"])
@role_required("coordinator")
def hsds_import():
    """Upload an HSDS package (zip, JSON or one CSV) and see what was imported."""
    context = {"report": None, "error": None, "problem_label": problem_label,
               "outcome_label": outcome_label, "dry_run": False, "form": ImportForm(),
               "default_timezone": current_app.config["TIMEZONE"]}
    if request.method == "GET":
        return render("directory/import.html", "directory/_import_result.html", **context)
    form = ImportForm()  # no formdata given: Flask-WTF reads request.files with request.form
    chosen = form.files
    dry_run = form.dry_run.data == "1"
    context.update(dry_run=dry_run, form=form)
    if not form.validate():
        return render("directory/import.html", "directory/_import_result.html", status=422,
                      **context)
    if not chosen:
        context["error"] = _l("Choose a file to import: a zip of HSDS CSV files, HSDS JSON, "
                              "or one HSDS CSV file.")
        return render("directory/import.html", "directory/_import_result.html", status=400,
                      **context)
    # one file (zip, JSON, CSV), or the files of a folder chosen together
    name = Path(chosen[0].filename.replace("\\", "/")).name[:120]
    source = [(Path(f.filename.replace("\\", "/")).name, f.stream) for f in chosen]
    if len(source) > 1:
        name = _l("%(n)s files (%(first)s, ...)", n=len(source), first=name)
    config = current_app.config
    try:
        # the spooled uploads are read as streams, a file at a time, under the caps
        report = hsds.import_package(
            get_db(), source, clock.iso(), filename=str(name), dry_run=dry_run,
            timezone=form.timezone.data, police_services=list(config["POLICE_SERVICES"]),
            max_bytes=config["UPLOAD_MAX_UNPACKED_BYTES"], max_rows=config["UPLOAD_MAX_ROWS"])
    except (hsds.NotHSDS, uploads.UploadRefused) as error:
        audit_event("hsds_import", object_type="directory", outcome="rejected")
        context["error"] = _l("Nothing was imported: %(reason)s", reason=str(error))
        return render("directory/import.html", "directory/_import_result.html",
                      status=getattr(error, "status", 400), **context)
    audit_event("hsds_import", object_type="directory",
                outcome="checked" if dry_run else "ok", detail=f"changed={report.changed}")
    context["report"] = report
    return render("directory/import.html", "directory/_import_result.html", **context)


def _package_zip(internal: bool):
    """The directory as an HSDS 3.1 Tabular Data Package (zip) to download."""
    buffer = io.BytesIO()
    with tempfile.TemporaryDirectory() as folder:
        hsds.export_csv(get_db(), folder, internal=internal)
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(Path(folder).iterdir()):
                archive.write(path, path.name)
    buffer.seek(0)
    kind = "internal" if internal else "hsds"
    return send_file(buffer, mimetype="application/zip", as_attachment=True,
                     download_name=f"directory-{kind}-{clock.now().date().isoformat()}.zip")


@bp.get("/manage/export.zip")
@role_required("coordinator")
def hsds_export():
    """The directory as an HSDS 3.1 package to share: no confidential address, no staff e-mail."""
    audit_event("hsds_export", object_type="directory")
    return _package_zip(internal=False)


@bp.post("/manage/export-internal.zip")
@role_required("coordinator")
def hsds_export_internal():
    """The whole directory, confidential addresses included, for the team's own use (audited)."""
    audit_event("hsds_exported_internal", object_type="directory")
    return _package_zip(internal=True)


@bp.get("/manage/imports/<int:import_id>")
@role_required("coordinator")
def hsds_import_report(import_id: int):
    """One import's reconciliation table, kept: every row of every file accounted for."""
    db = get_db()
    record = found_or_404(next(iter(db.query("SELECT * FROM hsds_import WHERE id = ?",
                                             [import_id])), None), "hsds_import", import_id)
    return render("directory/manage/import_report.html", record=record,
                  report=json.loads(record["report_json"]), problem_label=problem_label,
                  outcome_label=outcome_label)
