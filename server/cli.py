"""Command-line commands, run as `flask --app server COMMAND`."""

from __future__ import annotations

import click
from flask import Flask
from flask_migrate import upgrade

from .models import db


def init_app(app: Flask) -> None:
    app.cli.add_command(setup_command)
    app.cli.add_command(create_user_command)


@click.command("setup")
@click.option("--demo/--no-demo", default=True, help="Load the demo book when empty.")
def setup_command(demo: bool) -> None:
    """Migrate the database to the latest schema and load the demo book."""
    from .demo import DEMO_PASSWORD, book_is_empty, load_demo_book

    upgrade()
    click.echo("Database schema is up to date.")
    if not demo:
        return
    if not book_is_empty():
        click.echo("The database already holds a book; demo data not loaded.")
        return

    logins = load_demo_book()
    click.echo(f"Demo book loaded. Every demo login uses the password {DEMO_PASSWORD!r}:")
    for login in logins:
        click.echo(f"  {login['team']:<8} {login['role']:<8} {login['email']}")


@click.command("create-user")
@click.option("--team", "team_name", required=True)
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", type=click.Choice(["rep", "manager"]), default="rep")
@click.password_option()
def create_user_command(team_name: str, email: str, name: str, role: str, password: str) -> None:
    """Create a user, and the team if it does not exist yet."""
    from .auth import hash_password
    from .models import Team, User

    team = db.session.scalar(db.select(Team).where(Team.name == team_name))
    if team is None:
        team = Team(name=team_name)
        db.session.add(team)
        db.session.flush()
    email = email.strip().lower()
    if db.session.scalar(db.select(User).where(User.email == email)):
        raise click.ClickException(f"A user with email {email!r} exists; pick another.")
    db.session.add(
        User(team_id=team.id, email=email, name=name, role=role, password_hash=hash_password(password))
    )
    db.session.commit()
    click.echo(f"Created {role} {email} in team {team_name}.")
