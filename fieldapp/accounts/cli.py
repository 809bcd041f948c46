"""Commands of the accounts area: `flask create-user`, `flask demo-logins`."""

import click
from flask import current_app
from flask.cli import with_appcontext
from werkzeug.datastructures import MultiDict

from fieldapp import clock
from fieldapp.accounts import store as accounts_store
from fieldapp.accounts.demo import USERS
from fieldapp.accounts.forms import UserForm
from fieldapp.db import get_db


@click.command("demo-logins")
@with_appcontext
def demo_logins_command() -> None:
    """Print the demo accounts and their password."""
    click.echo(f"Demo logins (password: {current_app.config['DEMO_PASSWORD']}):")
    for user in USERS:
        click.echo(f"  {user['role']:<12} {user['email']}")


@click.command("create-user")
@with_appcontext
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", required=True, type=click.Choice(accounts_store.ROLES))
@click.option("--organization", "organization_id", default=None, help="Organization id (partners).")
@click.option("--police-service", default=None,
              help="Police service code (officers, coordinators).")
@click.option("--language", default="en", type=click.Choice(accounts_store.LANGUAGES))
def create_user_command(email, name, role, organization_id, police_service, language) -> None:
    """Create an account and print its one-time password."""
    config = current_app.config
    if role in ("officer", "coordinator") and not police_service:
        police_service = next(iter(config["POLICE_SERVICES"]))
    db = get_db()
    form = UserForm(MultiDict({
        "email": email, "name": name, "role": role, "organization_id": organization_id or "",
        "police_service": police_service or "", "language": language}),
        db=db, police_services=config["POLICE_SERVICES"])
    if not form.validate():
        for field, messages in form.errors.items():
            click.echo(f"{field}: {messages[0]}", err=True)
        raise SystemExit(2)
    fields = form.fields()
    password = accounts_store.new_one_time_password()
    user = accounts_store.create_user(db, fields, password,
                                      hash_method=config["PASSWORD_HASH_METHOD"],
                                      now=clock.iso(), must_change_password=True)
    click.echo(f"Created {user['role']} {user['email']} ({user['id']})")
    click.echo(f"One-time password (shown once; changed at first login): {password}")


commands = [create_user_command, demo_logins_command]
