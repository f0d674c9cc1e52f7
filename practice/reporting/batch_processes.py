"""Worker processes for ``flask practice reports``, forked from the command and reusing its app.

A PDF takes a second or more of CPU, so the batch runs on several processes. Each is forked
from the command's process with the app it already has (the standalone app, or a host's),
rather than building a second one: the command first ends its transaction and closes its
database connections, so that no connection crosses the fork, and each worker opens its own.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from datetime import date

from flask import Flask, current_app
from sqlalchemy.engine import make_url

from practice.core.unit_of_work import release_transaction
from practice.reporting import batches
from practice.reporting.batches import BatchJob
from practice.reporting.operations import ReportError

# In a worker process: the app it was forked with.
_app: Flask | None = None


class InMemoryDatabase(Exception):
    """The app's database lives in this process's memory, where no worker can see it."""


def process_pool(workers: int) -> ProcessPoolExecutor:
    """A pool of ``workers`` processes forked from this one, each running with the current app.

    Commits what the command did so far and closes this process's database connections first.
    Raises InMemoryDatabase for an in-memory SQLite database.
    """
    app = current_app._get_current_object()
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
        raise InMemoryDatabase("A batch needs a database file or server, not in-memory.")
    # The workers write while this process waits: end its transaction, and leave no pooled
    # connection for a forked process to inherit.
    release_transaction()
    for engine in app.extensions["sqlalchemy"].engines.values():
        engine.dispose()
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("fork"),
        initializer=_start_worker,
        initargs=(app,),
    )


def _start_worker(app: Flask) -> None:
    """Worker process initializer: keep the app; drop (without closing) any inherited
    connection, which belongs to the parent."""
    global _app
    _app = app
    with app.app_context():
        for engine in app.extensions["sqlalchemy"].engines.values():
            engine.dispose(close=False)


def generate_copy(job: BatchJob) -> str:
    """In a worker: generate, record and copy out one case's report; raises ReportError.

    Any failure is raised as a plain ReportError, which crosses the process boundary by
    pickling; the report's row is rolled back and its stored file removed with it.
    """
    if _app is None:
        raise RuntimeError("generate_copy runs in a process of process_pool().")
    with _app.app_context():
        try:
            return batches.generate_copy(job, date.today())
        except Exception as error:
            reason = str(error) if isinstance(error, ReportError) else None
            raise ReportError(reason or f"{type(error).__name__}: {error}") from None
