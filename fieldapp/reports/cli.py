"""Commands of the reports area: `flask import-calls`, `flask joint-service`."""

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from fieldapp import clock, uploads
from fieldapp.db import get_db
from fieldapp.reports import calls, store


@click.command("joint-service")
@click.argument("service_id")
@click.option("--off", is_flag=True, help="The service is no longer joint.")
@with_appcontext
def joint_service_command(service_id: str, off: bool) -> None:
    """Mark a directory service as a joint police-health team (e.g. a mobile crisis team with
    officers): the board report counts referrals it accepts apart, not as diversion."""
    if not store.set_joint_police_health(get_db(), service_id, not off):
        click.echo(f"No service with id {service_id}.", err=True)
        raise SystemExit(1)
    click.echo(f"Service {service_id} is {'no longer' if off else 'now'} a joint "
               "police-health team in the board report.")


@click.command("import-calls")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@with_appcontext
def import_calls_command(path: str) -> None:
    """Import a calls-for-service CSV (date/time, call type, person key); safe to re-run."""
    config = current_app.config
    with open(path, "rb") as handle:
        try:
            result, added = calls.import_file(
                get_db(), uploads.stream_opener(handle), config["TIMEZONE"], clock.iso(),
                name=Path(path).name, max_bytes=config["UPLOAD_MAX_UNPACKED_BYTES"],
                max_rows=config["UPLOAD_MAX_ROWS"])
        except uploads.UploadRefused as error:
            click.echo(f"Nothing imported: {error}", err=True)
            raise SystemExit(2) from None
    if result.errors:
        for error in result.errors:
            click.echo(error, err=True)
        click.echo(f"Nothing imported: {len(result.errors)} error(s).", err=True)
        raise SystemExit(1)
    click.echo(f"Imported {added} new call(s) of {result.total} in the file "
               f"({result.total - added} already there).")


commands = [import_calls_command, joint_service_command]
