"""Who owns the transaction: the request, the CLI command or the job, and nothing else.

- A web request to the tracker is one unit of work: the blueprint commits it once the view has
  answered (``commit_request``) and the error handlers roll back what a failed request left.
  Views and API routes never call ``commit()`` or ``rollback()``.
- A CLI command (``practice.commands``) and each step of a job run in ``unit_of_work()``.
- Operations change state inside ``@atomic``: a savepoint that a refusal rolls back, so a
  refused change leaves nothing behind while the request goes on (to re-show its form, to
  audit the read of the page it renders) and commits the rest.

Files written beside the database (stored report PDFs) are removed again if the transaction
that records them rolls back (``on_rollback``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, ParamSpec, TypeVar

import sqlalchemy as sa
from flask import Response, current_app
from sqlalchemy.orm import Session, SessionTransaction

from practice.core.database import db

P = ParamSpec("P")
R = TypeVar("R")

_CALLBACKS = "practice_on_rollback"


def atomic(operation: Callable[P, R]) -> Callable[P, R]:
    """Run ``operation`` in a savepoint: all of its writes stay, or none of them does."""

    @functools.wraps(operation)
    def in_savepoint(*args: P.args, **kwargs: P.kwargs) -> R:
        with db.begin_nested():
            return operation(*args, **kwargs)

    return in_savepoint


@contextmanager
def unit_of_work(keep_on: tuple[type[BaseException], ...] = ()) -> Iterator[None]:
    """Commit what the block did, or roll all of it back if it raises (CLI commands, jobs).

    ``keep_on``: exceptions that end the block with a verdict rather than a failure (a command
    that reports a broken audit chain it has just recorded): what the block did is committed.
    """
    try:
        yield
    except keep_on:
        db.commit()
        raise
    except BaseException:
        db.rollback()
        raise
    db.commit()


def commit_request(response: Response) -> Response:
    """Blueprint ``after_request``: the end of a request's unit of work.

    A server error keeps nothing; any other answer (a page, a refusal shown on its form, an
    audited 404) commits what the request recorded.
    """
    if response.status_code >= 500:
        rollback_request()
    else:
        db.commit()
    return response


def rollback_request() -> None:
    """Drop whatever a request that failed left in the session (error handlers call this).

    Never raises: with the database gone, there is nothing left to undo, and the answer (an
    error page, a 503) must still go out.
    """
    try:
        db.rollback()
    except sa.exc.SQLAlchemyError as error:
        current_app.logger.warning("rollback failed: %s", type(error).__name__)


def release_transaction() -> None:
    """Commit what the unit of work did so far and hold no transaction until the next statement.

    For a long computation that reads nothing more (a PDF render): on SQLite every transaction
    holds the write lock, so other requests would wait for it otherwise.
    """
    db.commit()


def on_rollback(callback: Callable[[], Any]) -> None:
    """Call ``callback`` if the transaction in progress (or a savepoint it is in) rolls back.

    For side effects outside the database, such as a file written for a row that is not kept.
    """
    current = db()  # the Session itself: the scoped proxy does not hand on transactions
    _listen(current)
    transaction = current.get_nested_transaction() or current.get_transaction()
    current.info.setdefault(_CALLBACKS, []).append((transaction, callback))


def _listen(current: Session) -> None:
    """Listen to the events of ``current`` (the database session ``db`` stands for), once."""
    if current.info.get("practice_listening"):
        return
    current.info["practice_listening"] = True
    sa.event.listen(current, "after_soft_rollback", _after_rollback)
    sa.event.listen(current, "after_commit", _after_commit)


def _after_rollback(current: Session, previous: SessionTransaction) -> None:
    kept = []
    for transaction, callback in current.info.get(_CALLBACKS, []):
        if _within(transaction, previous):
            callback()
        else:
            kept.append((transaction, callback))
    current.info[_CALLBACKS] = kept


def _after_commit(current: Session) -> None:
    # SQLAlchemy reports a released savepoint (an @atomic operation's) as a commit too; what
    # it wrote still rolls back with the transaction around it, so its callbacks stay.
    if current.get_nested_transaction() is None:
        current.info[_CALLBACKS] = []


def _within(transaction: SessionTransaction | None, ancestor: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is ancestor:
            return True
        transaction = transaction.parent
    return False
