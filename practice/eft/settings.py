"""The practice's change-event thresholds (``PRACTICE_EFT_*``), read from an app's configuration.

The defaults live beside the rules (``practice.eft.proposals.EventThresholds``); the extension
checks them at start, so a bad value refuses to start rather than fail on the first case page.
"""

from __future__ import annotations

from flask import current_app, has_app_context

from practice.eft.proposals import DEFAULT_THRESHOLDS, EventThresholds


def thresholds() -> EventThresholds:
    """The current app's thresholds, or the defaults outside an app."""
    if not has_app_context():
        return DEFAULT_THRESHOLDS
    return EventThresholds.from_config(current_app.config)
