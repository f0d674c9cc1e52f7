"""What a counsellor records about a moment, as the operations and their rules receive it.

Its own module so that the rules beside the operations (``directed``) can name it without
importing the operations that call them.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_INTENSITY = 3


@dataclass(frozen=True)
class MomentData:
    """What a counsellor records about a moment; ``partner_id`` None means both partners."""

    moment_type_id: int | None
    partner_id: int | None
    minute: int | None
    intensity: int | None = DEFAULT_INTENSITY
    context: str = ""
    target_partner_id: int | None = None
    answers_moment_id: int | None = None
    outcome: str | None = None
