"""``flask practice create-user`` and ``flask practice token …``: staff and their API tokens."""

from __future__ import annotations

import click
from flask import current_app
from sqlalchemy import select

from practice.accounts import operations, tokens
from practice.accounts.models import Role, StaffMember
from practice.core.database import db
from practice.core.settings import state


@click.command("create-user")
@click.argument("email")
@click.option("--name", "display_name", required=True, help="Display name.")
@click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.COUNSELLOR.value)
@click.option("--supervisor", "supervisor_email", help="Email of their supervisor.")
@click.option("--user-id", help="Host app's user id (when the tracker is mounted in a host).")
@click.option("--password", help="Standalone login password (prompted if omitted).")
def create_user(email, display_name, role, supervisor_email, user_id, password) -> None:
    """Add a staff member (and, standalone, their login account)."""
    if state(current_app).manages_accounts:
        if user_id:
            raise click.ClickException(
                "--user-id is for a host app; the standalone app's staff sign in with a password."
            )
        if not password:
            password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        if not user_id:
            raise click.ClickException("--user-id is needed: the host app's id of this user.")
        if password:
            raise click.ClickException(
                "The host app holds its users' passwords: leave out --password."
            )
        _require_host_user(user_id)
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
            password=password,
            user_id=user_id,
            supervisor=supervisor,
            actor_label="cli",
        )
    except operations.AccountError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Created {member.role} {member.email} (staff id {member.id}).")


def _require_host_user(user_id: str) -> None:
    """Refuse an id the host's user loader does not know, or that names another user."""
    loader = current_app.login_manager.user_callback
    try:
        user = loader(user_id) if loader is not None else None
    except (ValueError, TypeError, LookupError):  # a loader that trusts its session's ids
        user = None
    if user is None:
        raise click.ClickException(f"The host app has no user with id {user_id}.")
    attribute = current_app.config["PRACTICE_USER_ID_ATTRIBUTE"]
    if str(getattr(user, attribute, None)) != user_id:
        raise click.ClickException(
            f"The host app's user {user_id} has {attribute} {getattr(user, attribute, None)}; "
            f"give that as --user-id."
        )


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
