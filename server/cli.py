"""Command-line commands, run as `flask --app server COMMAND`."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext
from flask_migrate import upgrade

from .models import db


def init_app(app: Flask) -> None:
    app.cli.add_command(setup_command)
    app.cli.add_command(create_user_command)
    app.cli.add_command(scheduler_command)
    app.cli.add_command(import_dataset_command)
    app.cli.add_command(import_file_command)


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


def print_report(report) -> None:
    data = report.as_json()
    verb = "Would create" if report.dry_run else "Created"
    click.echo(f"{verb}: {data['created'] or 'nothing'}")
    click.echo(f"Updated: {data['updated'] or 'nothing'}; unchanged: {data['unchanged'] or 'nothing'}")
    click.echo(f"Skipped {len(data['skipped'])} lines, {len(data['warnings'])} warnings.")
    for entry in data["skipped"] + data["warnings"]:
        where = f"line {entry['line']}"
        if entry["field"]:
            where += f", {entry['field']}={entry['value']!r}"
        click.echo(f"  {where}: {entry['reason']}")
    if report.dry_run:
        click.echo("Dry run: nothing was written.")


@click.command("import-dataset")
@click.argument("folder", type=click.Path(exists=True, file_okay=False))
@click.option("--dry-run", is_flag=True, help="Report what would change; write nothing.")
def import_dataset_command(folder: str, dry_run: bool) -> None:
    """Import the public CRM data set (sales_pipeline.csv and its tables)."""
    from .importing import import_crm_dataset
    from .imports import ImportFileError

    try:
        report = import_crm_dataset(folder, dry_run=dry_run)
    except (ImportFileError, FileNotFoundError) as exc:
        raise click.ClickException(str(exc))
    print_report(report)


@click.command("import-file")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--team", "team_name", required=True, help="The team that receives the deals.")
@click.option("--format", "format_name", default=None, help="Skip detection: the export format.")
@click.option("--dry-run", is_flag=True, help="Report what would change; write nothing.")
def import_file_command(path: str, team_name: str, format_name: str | None, dry_run: bool) -> None:
    """Import a Pipedrive, HubSpot, Salesforce or generic CSV export into a team."""
    from .importing import import_deals_file
    from .imports import ImportFileError
    from .models import Team

    team = db.session.scalar(db.select(Team).where(Team.name == team_name))
    if team is None:
        names = ", ".join(db.session.scalars(db.select(Team.name).order_by(Team.name)))
        raise click.ClickException(f"No team is named {team_name!r}; teams are: {names}.")
    try:
        report = import_deals_file(path, team, dry_run=dry_run, format=format_name)
    except ImportFileError as exc:
        raise click.ClickException(str(exc))
    print_report(report)


@click.command("scheduler")
@click.option(
    "--interval",
    type=click.FloatRange(min=1),
    default=30,
    show_default=True,
    help="Seconds between runs.",
)
@click.option("--once", is_flag=True, help="Run once and exit.")
@with_appcontext
def scheduler_command(interval: float, once: bool) -> None:
    """Plan reminders and send the due ones by Web Push, every INTERVAL seconds."""
    from flask import current_app

    from . import scheduler

    if once:
        report = scheduler.run_once()
        click.echo(
            f"{report.planned} planned, {report.sent} sent, "
            f"{report.failed} failed, {report.skipped} skipped."
        )
        return
    try:
        scheduler.run_forever(current_app._get_current_object(), interval)
    except KeyboardInterrupt:
        click.echo("Scheduler stopped.")
