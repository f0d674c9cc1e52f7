"""``flask practice …`` commands."""

from __future__ import annotations

import click
from alembic import command
from flask.cli import AppGroup

from practice import migrate
from practice.database import db_session
from practice.models import Role
from practice.services import accounts, audit

practice_cli = AppGroup("practice", help="The couples-cycle case tracker.")


@practice_cli.command("upgrade-db")
@click.option("--revision", default="head", show_default=True)
def upgrade_db(revision: str) -> None:
    """Bring the database schema up to date (creates it when empty)."""
    migrate.upgrade(revision)
    click.echo(f"Database at {', '.join(migrate.current_revisions())}.")


@practice_cli.command("make-migration")
@click.argument("message")
def make_migration(message: str) -> None:
    """Autogenerate a new migration from the models (for developers)."""
    command.revision(migrate.alembic_config(), message=message, autogenerate=True)


@practice_cli.command("create-user")
@click.argument("email")
@click.option("--name", "display_name", required=True, help="Display name.")
@click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.COUNSELLOR.value)
@click.option("--supervisor", "supervisor_email", help="Email of their supervisor.")
@click.option("--user-id", help="Host app's user id (when the tracker is mounted in a host).")
@click.password_option(required=False, help="Standalone login password (prompted if omitted).")
def create_user(email, display_name, role, supervisor_email, user_id, password) -> None:
    """Add a staff member (and, standalone, their login account)."""
    from sqlalchemy import select

    from practice.models import StaffMember

    supervisor = None
    if supervisor_email:
        supervisor = db_session().scalar(
            select(StaffMember).where(StaffMember.email == supervisor_email.lower())
        )
        if supervisor is None:
            raise click.ClickException(f"No staff member with email {supervisor_email}.")
    try:
        member = accounts.create_staff(
            email=email,
            display_name=display_name,
            role=role,
            password=None if user_id else password,
            user_id=user_id,
            supervisor=supervisor,
            actor_label="cli",
        )
    except accounts.AccountError as error:
        db_session().rollback()
        raise click.ClickException(str(error)) from error
    db_session().commit()
    click.echo(f"Created {member.role} {member.email} (staff id {member.id}).")


@practice_cli.group("audit")
def audit_group() -> None:
    """The audit trail."""


@audit_group.command("verify")
def audit_verify() -> None:
    """Check the hash chain of the audit log; exits 1 if any row was edited or removed."""
    broken = list(audit.broken_links())
    if broken:
        raise click.ClickException(
            f"Audit chain broken at {len(broken)} event(s), first at id {broken[0]}."
        )
    click.echo("Audit chain intact.")


@practice_cli.command("seed-demo")
@click.option(
    "--scale",
    type=click.FloatRange(min=0, min_open=True),
    default=1.0,
    show_default=True,
    help="Multiply counsellors and cases (1: 6 counsellors, 40 cases).",
)
@click.option("--seed", type=int, default=2026, show_default=True, help="Random seed.")
@click.option(
    "--sessions-per-case",
    type=click.IntRange(min=1),
    default=None,
    help="Average sessions per case [default: 15].",
)
def seed_demo(scale: float, seed: int, sessions_per_case: int | None) -> None:
    """Fill an empty database with a demo practice (demo accounts; never for real use)."""
    from practice import demo

    if not migrate.is_at_head():
        raise click.ClickException("The database is not up to date; run `practice upgrade-db`.")
    if demo.has_staff():
        click.echo("Demo data already present; nothing done.")
        return
    try:
        summary = demo.seed_demo(scale=scale, seed=seed, sessions_per_case=sessions_per_case)
    except demo.DemoError as error:
        db_session().rollback()
        raise click.ClickException(str(error)) from error
    db_session().commit()
    for line in summary.lines() + summary.credentials():
        click.echo(line)
