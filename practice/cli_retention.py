"""Retention: purge cases whose retention period has ended."""

from __future__ import annotations

from practice.cli import practice_cli  # noqa: F401  (commands register on the practice group)
