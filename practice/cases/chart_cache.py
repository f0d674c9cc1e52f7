"""The case page's progress charts, drawn once per state of the case's data.

Drawing the four SVG charts costs far more than reading the figures they show, so they are kept
in a small in-memory LRU per process, keyed on the case and a digest of the figures: any change
that alters a chart (a session, a moment, a measure, an adoption, a voiding, a renamed partner)
changes the digest, so a stale chart is never served and nothing has to be invalidated by hand.
The page names the digest in each chart's URL so that the browser fetches the new one.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from collections import OrderedDict
from dataclasses import fields

from practice.progress.case_progress import CaseProgress
from practice.reports.case_charts import CaseCharts, case_charts
from practice.reports.charts.looks import HEIGHT, WIDTH, drawn_at

CHART_NAMES: tuple[str, ...] = tuple(field.name for field in fields(CaseCharts))
MAX_ENTRIES = 256  # cases; four charts of 8–15 kB each, so a few MB at most

_VIEWBOX = re.compile(r'viewBox="0 0 (\d+(?:\.\d+)?) (\d+(?:\.\d+)?)"')
_KEY = os.urandom(16)
_lock = threading.Lock()
# Keyed on (case, digest, width): a phone's narrower charts are kept beside the usual ones.
_charts: OrderedDict[tuple[int, str, int], CaseCharts] = OrderedDict()
_drawing: dict[tuple[int, str, int], threading.Lock] = {}  # one lock per chart set being drawn


def progress_digest(progress: CaseProgress) -> str:
    """A short digest of everything the charts are drawn from (the figures, not the case row),
    keyed with this process's own secret: it shows in URLs, and nothing may be guessed back from
    it."""
    figures = (
        [(p.id, p.position, p.display_name) for p in progress.partners],
        progress.sessions,
        progress.adoption,
        progress.csi4,
    )
    return hashlib.blake2b(repr(figures).encode(), key=_KEY, digest_size=10).hexdigest()


def cached(case_id: int, digest: str, width: int = WIDTH) -> CaseCharts | None:
    """The charts drawn for this case at this digest (and width), if this process still holds
    them."""
    with _lock:
        found = _charts.get((case_id, digest, width))
        if found is not None:
            _charts.move_to_end((case_id, digest, width))
        return found


def charts_for(progress: CaseProgress, digest: str | None = None, width: int = WIDTH) -> CaseCharts:
    """The case's charts, ``width`` units wide, drawn only if this state of its figures has not
    been drawn before at that width.

    The page's four images arrive together: one request draws, the others wait for it.
    """
    digest = digest or progress_digest(progress)
    key = (progress.case.id, digest, width)
    found = cached(*key)
    if found is not None:
        return found
    with _lock:
        drawing = _drawing.setdefault(key, threading.Lock())
    with drawing:
        found = cached(*key)
        if found is None:
            with drawn_at(width):
                found = case_charts(progress)
            with _lock:
                _charts[key] = found
                while len(_charts) > MAX_ENTRIES:
                    _charts.popitem(last=False)
    with _lock:
        _drawing.pop(key, None)
    return found


def chart_sizes(case_id: int, digest: str, width: int = WIDTH) -> dict[str, tuple[int, int]]:
    """Each chart's width and height for its placeholder, so that the page does not move when
    the charts arrive: the drawn chart's own if held, else those of the case's latest drawn
    charts (a change seldom resizes them), else the usual frame."""
    with _lock:
        drawn = _charts.get((case_id, digest, width))
        if drawn is None:
            drawn = next(
                (c for (k, _, w), c in reversed(_charts.items()) if k == case_id and w == width),
                None,
            )
    sizes = {}
    for name in CHART_NAMES:
        match = _VIEWBOX.search(getattr(drawn, name)[:400]) if drawn else None
        sizes[name] = (
            (round(float(match.group(1))), round(float(match.group(2))))
            if match
            else (width, HEIGHT)
        )
    return sizes


def clear() -> None:
    """Forget every drawn chart (tests)."""
    with _lock:
        _charts.clear()
