"""The practice's break thresholds (``PRACTICE_BREAK_*``), read from an app's configuration.

The defaults live beside the rules (``practice.breaks.rules.BreakThresholds``); the extension
checks them at start (a bad value refuses to start rather than fail on the first case page).
"""

from __future__ import annotations

from flask import current_app, has_app_context

from practice.breaks.rules import DEFAULT_THRESHOLDS, BreakThresholds


def thresholds() -> BreakThresholds:
    """The current app's break thresholds, or the defaults outside an app."""
    if not has_app_context():
        return DEFAULT_THRESHOLDS
    return BreakThresholds.from_config(current_app.config)
