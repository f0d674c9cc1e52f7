"""The one family of refusals that operations raise.

An operation that cannot do what it was asked raises one of these, with a message in the
counsellor's words (never clinical text). Pages, the JSON API and live mode each translate the
family in one place: ``practice.web.refusals``, ``practice.api.errors`` and the live mode's
handlers. Nothing raised here has changed the database: operations run in a savepoint
(``practice.core.unit_of_work.atomic``) that a refusal rolls back.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class PracticeError(Exception):
    """Base of the family; ``fields`` names the inputs at fault, where known (name: message)."""

    def __init__(self, message: str = "", fields: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.fields: dict[str, str] = dict(fields or {})


class NotFound(PracticeError):
    """Nothing is there, or it is not the user's to see (the two are told apart by no one)."""

    def __init__(self, message: str = "There is nothing here, or it is not yours to see.") -> None:
        super().__init__(message)


class Refused(PracticeError):
    """A rule of the practice refuses the change; the message says which and why."""


class Conflict(PracticeError):
    """Someone else changed the record since the user loaded it; nothing was overwritten.

    ``current_version`` is the version to save over, ``saved`` what is stored now (either may be
    None when the clash was only detected by the database: reload the record).
    """

    def __init__(
        self,
        message: str = "Someone else changed this since you opened it. Nothing was overwritten.",
        current_version: int | None = None,
        saved: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.current_version = current_version
        self.saved = dict(saved) if saved is not None else None
