"""Flask commands of the directory: import-hsds PATH,
export-hsds OUTDIR --format csv|json [--internal]."""

import click
from flask import current_app
from flask.cli import with_appcontext

from fieldapp import audit, clock, uploads
from fieldapp.db import get_db
from fieldapp.directory import hsds


def _zone(_ctx, _param, value):
    if value is not None and not hsds.is_zone(value):
        raise click.BadParameter(f"{value!r} is not a time zone; give an IANA name such as "
                                 "America/Toronto or America/Halifax.")
    return value


@click.command("import-hsds")
@click.argument("path", type=click.Path(exists=True))
@click.option("--dry-run", is_flag=True, help="Read and report, write nothing.")
@click.option("--timezone", "zone", metavar="AREA/CITY", callback=_zone,
              help="The time zone the package's local times mean (default: FIELDAPP_TIMEZONE).")
@with_appcontext
def import_hsds_command(path, dry_run, zone) -> None:
    """Import an HSDS package: folder or zip (datapackage), HSDS JSON, or 1.x/2.0 CSV."""
    try:
        config = current_app.config
        report = hsds.import_package(get_db(), path, clock.iso(), dry_run=dry_run, timezone=zone,
                                     police_services=list(config["POLICE_SERVICES"]),
                                     max_bytes=config["UPLOAD_MAX_UNPACKED_BYTES"],
                                     max_rows=config["UPLOAD_MAX_ROWS"])
    except (hsds.NotHSDS, uploads.UploadRefused) as error:
        click.echo(f"Not imported: {error}", err=True)
        raise SystemExit(2) from None
    click.echo(report.to_text())
    click.echo(f"Kept as /directory/manage/imports/{report.import_id}")


@click.command("export-hsds")
@click.argument("outdir", type=click.Path(file_okay=False))
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv",
              show_default=True)
@click.option("--internal", is_flag=True,
              help="Include confidential addresses and staff e-mails (for the team only; "
                   "recorded in the audit trail).")
@with_appcontext
def export_hsds_command(outdir, fmt, internal) -> None:
    """Export the directory as an HSDS 3.1 Tabular Data Package (csv) or JSON (json: the nested
    services.json, and tabular.json holding every row no service carries).

    The package is for sharing: no confidential location, no user account's e-mail, unless
    --internal."""
    db = get_db()
    if fmt == "csv":
        counts = hsds.export_csv(db, outdir, internal=internal)
        click.echo(f"Wrote {outdir}/datapackage.json and {len(counts)} CSV files: " +
                   ", ".join(f"{name} {n}" for name, n in counts.items() if n))
    else:
        n = hsds.export_json(db, outdir, internal=internal)
        click.echo(f"Wrote {outdir}/services.json ({n} services) and {outdir}/tabular.json "
                   "(every other row)")
    audit.record(db, at=clock.iso(), action="hsds_exported_internal" if internal else "hsds_export",
                 object_type="directory", detail={"format": fmt, "via": "cli"})
    if internal:
        click.echo("Internal export: it holds confidential addresses; keep it inside the team.")


commands = [import_hsds_command, export_hsds_command]
