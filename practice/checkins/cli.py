"""``flask practice checkin-link CASE_REF --partner NAME``: a check-in link for a partner."""

from __future__ import annotations

import click
from flask import current_app
from sqlalchemy import select

from practice.cases.models import Case
from practice.checkins import operations
from practice.checkins.links import checkin_url
from practice.core import local_time
from practice.core.database import db
from practice.core.errors import Refused


@click.command("checkin-link")
@click.argument("case_ref")
@click.option("--partner", "partner_name", required=True, help="The partner's display name.")
def checkin_link(case_ref: str, partner_name: str) -> None:
    """Issue a one-use check-in link for a partner of CASE_REF, as its counsellor, and print
    the address alone on the last line (the token is shown this once, never stored)."""
    case = db.scalar(select(Case).where(Case.reference == case_ref.strip().upper()))
    if case is None:
        raise click.ClickException(f"No case {case_ref}.")
    matches = [
        p for p in case.partners if p.display_name.casefold() == partner_name.strip().casefold()
    ]
    if len(matches) != 1:
        names = ", ".join(p.display_name for p in case.partners)
        raise click.ClickException(f"No single partner of that name in {case.reference} ({names}).")
    try:
        token, link = operations.issue_link(case, matches[0].id, case.counsellor)
    except Refused as refusal:
        raise click.ClickException(str(refusal)) from refusal
    click.echo(
        f"Check-in link for {matches[0].display_name} ({case.reference}), one use, expires "
        f"{local_time.iso_local(link.expires_at, local_time.practice_zone(current_app.config))}:"
    )
    click.echo(checkin_url(token))
