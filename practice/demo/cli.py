"""``flask practice seed-demo``: a believable demo practice in an empty database."""

from __future__ import annotations

import click

from practice.core import migrate
from practice.core.database import utcnow


@click.command("seed-demo")
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
@click.option(
    "--fixed-date/--today",
    default=False,
    help="Date the practice from its fixed moment (20 Nov 2026, the same practice on any "
    "day: tests, screenshots, benchmarks) instead of from now [default: --today].",
)
def seed_demo(scale: float, seed: int, sessions_per_case: int | None, fixed_date: bool) -> None:
    """Fill an empty database with a demo practice (demo accounts; never for real use)."""
    # Imported when the command runs: the app loads its commands, and a server never needs
    # the demo's story and builder.
    from practice.demo import seed as demo

    if not migrate.is_at_head():
        raise click.ClickException("The database is not up to date; run `practice upgrade-db`.")
    if demo.has_staff():
        click.echo("Demo data already present; nothing done.")
        return
    try:
        now = demo.DEMO_NOW if fixed_date else utcnow().replace(second=0, microsecond=0)
        summary = demo.seed_demo(
            scale=scale, seed=seed, sessions_per_case=sessions_per_case, now=now
        )
    except demo.DemoError as error:
        raise click.ClickException(str(error)) from error
    for line in summary.lines() + summary.credentials():
        click.echo(line)
