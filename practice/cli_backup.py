"""Backup and restore: flask practice backup FILE / restore FILE."""

from __future__ import annotations

from practice.cli import practice_cli  # noqa: F401  (commands register on the practice group)
