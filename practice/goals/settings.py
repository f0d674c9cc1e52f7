"""The practice's goal thresholds (``PRACTICE_GOAL_*``), read from an app's configuration.

The defaults live beside the rule (``practice.goals.rules.GoalThresholds``).
"""

from __future__ import annotations

from flask import current_app, has_app_context

from practice.goals.rules import DEFAULT_THRESHOLDS, GoalThresholds


def thresholds() -> GoalThresholds:
    """The current app's goal thresholds, or the defaults outside an app."""
    if not has_app_context():
        return DEFAULT_THRESHOLDS
    return GoalThresholds.from_config(current_app.config)
