"""Commands of the reports area besides import-calls (calls.py)."""

import click
from flask.cli import with_appcontext

from fieldapp.reports import bp, store


@click.command("joint-service")
@click.argument("service_id")
@click.option("--off", is_flag=True, help="The service is no longer joint.")
@with_appcontext
def joint_service_command(service_id: str, off: bool) -> None:
    """Mark a directory service as a joint police-health team (e.g. a mobile crisis team with
    officers): the board report counts referrals it accepts apart, not as diversion."""
    from fieldapp.db import get_db

    if not store.set_joint_police_health(get_db(), service_id, not off):
        click.echo(f"No service with id {service_id}.", err=True)
        raise SystemExit(1)
    click.echo(f"Service {service_id} is {'no longer' if off else 'now'} a joint "
               "police-health team in the board report.")


@bp.record_once
def _register_cli(state) -> None:
    state.app.cli.add_command(joint_service_command)
