"""Voiding: how clinical rows are taken back. Nothing is deleted; a void keeps the row with
when, by whom and why, and every list, figure and report leaves it out.

The one sanctioned delete is the retention purge (``practice.records.retention``).
"""

from __future__ import annotations

MAX_VOID_REASON = 200


def clean_reason(reason: str | None) -> str:
    """The reason as stored; raises ValueError (a message for the form) if it is empty or long.

    The reason is kept with the row, never written to the audit log.
    """
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValueError("Give the reason; it is kept with the record.")
    if "\x00" in reason:  # PostgreSQL cannot store it
        raise ValueError("Remove the null character (\\0) from the reason.")
    if len(reason) > MAX_VOID_REASON:
        raise ValueError(f"Keep the reason to {MAX_VOID_REASON} characters or fewer.")
    return reason
