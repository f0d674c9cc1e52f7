"""The practice's own CSI-4 setting: its reliable-change index.

Optional: without ``PRACTICE_CSI4_RELIABLE_CHANGE`` in the app's config, the default of
``practice.measures.csi4`` holds. The case page, the dashboard, the reports and the supervisor
flags all judge change with the index this returns.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from practice.measures.csi4 import CSI4_MAX_TOTAL, CSI4_RELIABLE_CHANGE

RELIABLE_CHANGE_KEY = "PRACTICE_CSI4_RELIABLE_CHANGE"


def reliable_change_index(config: Mapping[str, Any]) -> float:
    """The reliable-change index set in ``config`` (an ``app.config``), or the default.

    Raises ValueError for a value that is not a number above 0 and at most 21.
    """
    raw = config.get(RELIABLE_CHANGE_KEY)
    if raw is None:
        return CSI4_RELIABLE_CHANGE
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise ValueError(f"{RELIABLE_CHANGE_KEY} must be a number, got {raw!r}") from None
    if isinstance(raw, bool) or not 0 < value <= CSI4_MAX_TOTAL:
        raise ValueError(f"{RELIABLE_CHANGE_KEY} must be above 0 and at most 21, got {raw!r}")
    return value
