"""``flask practice audit verify``: check the audit trail's chain and its anchor."""

from __future__ import annotations

from pathlib import Path

import click

from practice import audit
from practice.audit import anchor as audit_anchor
from practice.audit import trail


@click.group("audit")
def audit_group() -> None:
    """The audit trail."""


@audit_group.command("verify")
@click.option(
    "--anchor",
    "anchor_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="File remembering the newest verified event "
    "[default: PRACTICE_AUDIT_ANCHOR, else instance/audit-anchor.json]; the app starts the "
    "default one with the log's first event, so another file must be a copy of it.",
)
def audit_verify(anchor_path: Path | None) -> None:
    """Check the keyed hash chain of the audit log; exits 1 if any row was edited or removed.

    The newest rows leave no broken link when removed, so the newest verified event is
    remembered in the anchor file (MACed with the integrity key), and a later run fails if the
    chain no longer reaches it, or if the anchor is gone while the log holds events. Run it
    regularly (cron); the anchor may be an append-only file.
    """
    path = anchor_path or audit_anchor.default_path()
    unkeyed = trail.unkeyed_count()
    if unkeyed:
        raise click.ClickException(
            f"{unkeyed:,} audit event(s) are chained without the integrity key (from before "
            "keyed chaining) and prove nothing: run `flask practice integrity reseal`."
        )
    broken = list(audit.broken_links())
    if broken:
        raise click.ClickException(
            f"Audit chain broken at {len(broken)} event(s), first at id {broken[0]}."
        )
    try:
        audit_anchor.verify(path)
    except audit_anchor.AnchorError as error:
        raise click.ClickException(str(error)) from error
    try:
        head = audit_anchor.remember_head(path)
    except OSError as error:
        raise click.ClickException(f"Cannot append to the anchor {path}: {error}") from error
    if head is None:
        click.echo("Audit chain intact. No events yet.")
        return
    click.echo(
        f"Audit chain intact. {audit_anchor.event_count():,} events; the newest, #{head.id} "
        f"(hash {head.row_hash[:16]}…), is remembered in {path}."
    )
