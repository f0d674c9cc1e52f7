"""HTML to PDF with WeasyPrint, fetching nothing but the package's own assets.

Reports are rendered from HTML strings that hold user text (notes, narratives, names). The text is
autoescaped by the templates; this module is the second wall: WeasyPrint's URL fetcher is
replaced by :class:`AssetFetcher`, which serves only files of this package under the
``practice-asset:///`` scheme and ``data:`` URIs, and refuses everything else (``file:``,
``http:``, ``https:``, relative URLs…), for stylesheets, images, fonts and attachments alike.

Document metadata comes from the HTML itself: ``<title>``, ``<html lang>`` and
``<meta name="author">``; the PDF is tagged (PDF/UA-1) so screen readers can follow it.
"""

from __future__ import annotations

import gc
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import DataHandler, Request

from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

__all__ = [
    "ASSET_ROOT",
    "ASSET_SCHEME",
    "ASSET_TYPES",
    "AssetFetcher",
    "PdfBytes",
    "RefusedURL",
    "asset_path",
    "asset_url",
    "render_pdf",
]

ASSET_SCHEME = "practice-asset"
ASSET_ROOT = Path(__file__).resolve().parent
# What an asset may be: stylesheets, fonts and images that ship in the package, never code.
ASSET_TYPES = {
    ".css": "text/css",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".png": "image/png",
    ".svg": "image/svg+xml",
}
# One or more plain path segments: letters, digits, "_", "-", and one dot before the suffix.
_ASSET_NAME = re.compile(r"(?:[A-Za-z0-9_-]+/)*[A-Za-z0-9_-]+\.[a-z0-9]+")
# PDF/UA-1 implies tags (a structure tree) and PDF 1.7; see weasyprint.pdf.pdfua.VARIANTS.
PDF_OPTIONS = {"pdf_variant": "pdf/ua-1", "pdf_tags": True}


class RefusedURL(ValueError):
    """A URL the report renderer will not fetch."""


def asset_path(name: str) -> Path:
    """The file of the packaged asset ``name`` (e.g. ``"report.css"``).

    Raises RefusedURL for anything but a plain relative name with an asset suffix that exists
    inside the package: no "..", no absolute paths, no backslashes, no percent-escapes.
    """
    if not _ASSET_NAME.fullmatch(name):
        raise RefusedURL(f"Not a packaged asset name: {name!r}")
    path = (ASSET_ROOT / name).resolve()
    if not path.is_relative_to(ASSET_ROOT) or path.suffix not in ASSET_TYPES:
        raise RefusedURL(f"Not a packaged asset: {name!r}")
    if not path.is_file():
        raise RefusedURL(f"No packaged asset {name!r}")
    return path


def asset_url(name: str) -> str:
    """The URL templates use for a packaged asset; checked, so a typo fails at build time."""
    asset_path(name)
    return f"{ASSET_SCHEME}:///{name}"


class AssetFetcher(URLFetcher):
    """WeasyPrint's fetcher, locked down to packaged assets and ``data:`` URIs.

    Every URL asked for is kept in ``requested``, and the ones served in ``served``, so tests
    (and the curious) can see exactly what a render tried to load.
    """

    def __init__(self) -> None:
        # No timeout, redirects or network handlers matter: fetch() never reaches urllib.
        super().__init__(allowed_protocols={ASSET_SCHEME, "data"}, allow_redirects=False)
        self.requested: list[str] = []
        self.served: list[str] = []

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        """Serve ``url`` if it is a packaged asset or a data URI; raise RefusedURL otherwise."""
        self.requested.append(url)
        response = self._serve(url)
        self.served.append(url)
        return response

    def open(self, url, data=None, timeout=None) -> URLFetcherResponse:
        # urllib's entry point, overridden so no handler chain can ever run.
        return self.fetch(url.full_url if isinstance(url, Request) else url)

    def _serve(self, url: str) -> URLFetcherResponse:
        scheme = url.partition(":")[0].lower() if ":" in url else ""
        if scheme == "data":
            return self._data(url)
        if scheme != ASSET_SCHEME:
            raise RefusedURL(f"Refused to fetch {url[:80]!r}: only packaged assets are loaded")
        parts = urlsplit(url)
        if parts.netloc or parts.query or parts.fragment or not parts.path.startswith("/"):
            raise RefusedURL(f"Malformed asset URL {url[:80]!r}")
        path = asset_path(parts.path[1:])
        return URLFetcherResponse(
            url, path.read_bytes(), headers={"Content-Type": ASSET_TYPES[path.suffix]}
        )

    @staticmethod
    def _data(url: str) -> URLFetcherResponse:
        # urllib's own data: decoder, called directly: no opener, so no other scheme can follow.
        response = DataHandler().data_open(Request(url))
        return URLFetcherResponse(
            url, response.read(), headers={"Content-Type": response.headers["Content-Type"]}
        )


# WeasyPrint's font configuration asks fontconfig for the system's fonts (DejaVu here); built
# once per thread, because it holds a fontconfig handle that is costly to create.
_local = threading.local()


def _font_config() -> FontConfiguration:
    if not hasattr(_local, "font_config"):
        _local.font_config = FontConfiguration()
    return _local.font_config


class PdfBytes(bytes):
    """PDF bytes that also know how many pages WeasyPrint laid out (the PDF keeps its page
    tree in compressed object streams, so counting needs the layout, not the bytes)."""

    page_count: int

    def __new__(cls, data: bytes, page_count: int) -> PdfBytes:
        instance = super().__new__(cls, data)
        instance.page_count = page_count
        return instance


# A render allocates hundreds of thousands of short-lived objects (styles, boxes, Pango layouts),
# so the collector runs many full collections during one, and each walks the whole heap of the
# process (the app, SQLAlchemy, templates): a fifth to a quarter of a report's time. Moving the
# objects that existed before the render out of the collector's reach for its duration keeps
# collections to what the render itself made. Reference counting and the collector still free
# the render's own garbage; only the objects it found already alive are skipped, and they are
# handed back when the last concurrent render ends. A host that froze its heap itself (e.g.
# before forking workers) is left as it is.
_gc_lock = threading.Lock()
_gc_renders = 0
_gc_frozen_here = False


@contextmanager
def _older_objects_left_alone() -> Iterator[None]:
    global _gc_renders, _gc_frozen_here
    with _gc_lock:
        if _gc_renders == 0 and gc.isenabled() and gc.get_freeze_count() == 0:
            gc.freeze()
            _gc_frozen_here = True
        _gc_renders += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_renders -= 1
            if _gc_renders == 0 and _gc_frozen_here:
                gc.unfreeze()
                _gc_frozen_here = False


def render_pdf(html: str, *, fetcher: AssetFetcher | None = None) -> bytes:
    """Render an HTML string to tagged PDF bytes, loading only packaged assets.

    ``fetcher`` is for callers that want to inspect what was requested; a fresh one is used
    otherwise. The returned bytes carry the laid-out page count as ``.page_count``.
    """
    fetcher = fetcher if fetcher is not None else AssetFetcher()
    # No base URL: a relative reference resolves to nothing and is dropped, rather than to a
    # file next to the process's working directory.
    with _older_objects_left_alone():
        document = HTML(string=html, base_url=None, url_fetcher=fetcher).render(
            font_config=_font_config(), **PDF_OPTIONS
        )
        data = document.write_pdf(**PDF_OPTIONS)
    return PdfBytes(data, page_count=len(document.pages))
