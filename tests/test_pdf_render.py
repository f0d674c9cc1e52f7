"""render_pdf keeps the collector off the heap that existed before a render, and only then.

The freeze is a speed measure: what matters is that it never outlives the render, never undoes
a freeze the host made itself (e.g. before forking workers), and never hides the render's own
garbage from the collector.
"""

from __future__ import annotations

import gc
import threading

import pytest

from practice.reports import pdf
from practice.reports.pdf import render_pdf

pytestmark = pytest.mark.unit

HTML = "<html lang='en'><head><title>t</title></head><body><p>Hello</p></body></html>"


def test_heap_frozen_during_the_render_and_handed_back_after(monkeypatch):
    seen: list[int] = []
    real_render = pdf.HTML.render

    def render(self, *args, **kwargs):
        seen.append(gc.get_freeze_count())
        return real_render(self, *args, **kwargs)

    monkeypatch.setattr(pdf.HTML, "render", render)
    assert gc.get_freeze_count() == 0
    data = render_pdf(HTML)
    assert data.startswith(b"%PDF") and data.page_count == 1
    assert seen and seen[0] > 0
    assert gc.get_freeze_count() == 0


def test_handed_back_when_the_render_fails(monkeypatch):
    def render(self, *args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(pdf.HTML, "render", render)
    with pytest.raises(RuntimeError):
        render_pdf(HTML)
    assert gc.get_freeze_count() == 0


def test_a_host_freeze_is_left_alone():
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        render_pdf(HTML)
        # Still frozen: the render did not unfreeze the host's objects. (A few frozen objects
        # may be freed meanwhile by their reference counts, so the count is not exact.)
        assert gc.get_freeze_count() > frozen // 2
    finally:
        gc.unfreeze()


def test_concurrent_renders_share_one_freeze():
    errors: list[BaseException] = []

    def work():
        try:
            render_pdf(HTML)
        except BaseException as error:  # reported to the test below
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert gc.get_freeze_count() == 0
