"""``flask practice …``: the tracker's commands, gathered from the areas that own them.

Each command runs in an app context and in one unit of work: what it did is committed when it
ends, also when it ends with a message of its own (a ``ClickException``: the operations it called
have undone any change they refused), and rolled back if it fails unexpectedly.
"""

from __future__ import annotations

import functools

import click
from flask.cli import AppGroup, with_appcontext

from practice.accounts import cli as account_commands
from practice.audit import cli as audit_commands
from practice.checkins import cli as checkin_commands
from practice.core.unit_of_work import unit_of_work
from practice.demo import cli as demo_commands
from practice.records import cli as record_commands
from practice.reporting import cli as report_commands

practice_cli = AppGroup("practice", help="The couples-cycle case tracker.")


def _in_unit_of_work(command: click.Command) -> click.Command:
    """``command`` (and, for a group, each of its commands) in an app context and a unit of
    work."""
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            _in_unit_of_work(sub)
        return command
    callback = command.callback

    @functools.wraps(callback)
    def in_unit_of_work(*args, **kwargs):
        with unit_of_work(keep_on=(click.ClickException, click.exceptions.Exit)):
            return callback(*args, **kwargs)

    command.callback = with_appcontext(in_unit_of_work)
    return command


for _command in (
    record_commands.upgrade_db,
    record_commands.make_migration,
    record_commands.backup_command,
    record_commands.restore_command,
    record_commands.purge_expired,
    record_commands.integrity_group,
    account_commands.create_user,
    account_commands.token_group,
    checkin_commands.checkin_link,
    audit_commands.audit_group,
    demo_commands.seed_demo,
    report_commands.report_command,
    report_commands.reports_command,
    report_commands.worker_command,
):
    practice_cli.add_command(_in_unit_of_work(_command))
