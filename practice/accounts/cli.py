"""``flask practice create-user`` and ``flask practice token …``: staff and their API tokens."""

from __future__ import annotations

import click
from sqlalchemy import select

from practice.accounts import operations, tokens
from practice.accounts.models import Role, StaffMember
from practice.core.database import db


@click.command("create-user")
@click.argument("email")
@click.option("--name", "display_name", required=True, help="Display name.")
@click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.COUNSELLOR.value)
@click.option("--supervisor", "supervisor_email", help="Email of their supervisor.")
@click.option("--user-id", help="Host app's user id (when the tracker is mounted in a host).")
@click.password_option(required=False, help="Standalone login password (prompted if omitted).")
def create_user(email, display_name, role, supervisor_email, user_id, password) -> None:
    """Add a staff member (and, standalone, their login account)."""
    supervisor = None
    if supervisor_email:
        supervisor = db.scalar(
            select(StaffMember).where(StaffMember.email == supervisor_email.lower())
        )
        if supervisor is None:
            raise click.ClickException(f"No staff member with email {supervisor_email}.")
    try:
        member = operations.create_staff(
            email=email,
            display_name=display_name,
            role=role,
            password=None if user_id else password,
            user_id=user_id,
            supervisor=supervisor,
            actor_label="cli",
        )
    except operations.AccountError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Created {member.role} {member.email} (staff id {member.id}).")


@click.group("token")
def token_group() -> None:
    """Personal API tokens (sent as 'Authorization: Bearer <token>')."""


@token_group.command("create")
@click.argument("email")
@click.option("--name", default="cli", show_default=True, help="What the token is for.")
@click.option(
    "--expires-in-days",
    type=click.IntRange(1, tokens.MAX_EXPIRY_DAYS),
    default=tokens.DEFAULT_EXPIRY_DAYS,
    show_default=True,
    help="After how many days the token stops working.",
)
@click.option("--read-only", is_flag=True, help="The token may read but change nothing.")
def token_create(email: str, name: str, expires_in_days: int, read_only: bool) -> None:
    """Create an API token for the active staff member EMAIL and print it on the last line.

    The token is shown this once only: the tracker stores its SHA-256, never the token.
    """
    member = db.scalar(select(StaffMember).where(StaffMember.email == email.strip().lower()))
    if member is None or not member.active:
        raise click.ClickException(f"No active staff member with email {email}.")
    try:
        secret, record = tokens.create_token(
            member, name, expires_in_days=expires_in_days, read_only=read_only
        )
    except tokens.TokenError as error:
        raise click.ClickException(str(error)) from error
    scope = "read-only" if read_only else "read and write"
    click.echo(
        f"API token “{record.name}” for {member.email} ({scope}, expires "
        f"{record.expires_at:%Y-%m-%d %H:%M} UTC); copy it now, it is not shown again:"
    )
    click.echo(secret)
