"""Redirect targets that stay on this site, and redirects that never name a host."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Response, request
from werkzeug.utils import redirect


def safe_next_url(target: str | None) -> str | None:
    """``target`` if it is a path on this site, else None.

    Refuses scheme- or host-bearing URLs, protocol-relative ``//host`` and the ``/\\host``
    form browsers also treat as another host.
    """
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(ch) < 32 for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def relative_location(response: Response) -> Response:
    """``after_request`` hook of the standalone app: a redirect to this site's own host is
    answered with a relative ``Location``.

    Werkzeug's routing redirects by itself (``/cases//1`` to ``/cases/1``, a missing trailing
    slash) to an absolute URL built from the request's ``Host`` header, which a client or a
    poisoned cache can set (``Host: evil.example``). A path alone is resolved by the browser
    against the address it asked for, whatever the header said.
    """
    location = response.headers.get("Location")
    if not location or not 300 <= response.status_code < 400:
        return response
    parts = urlsplit(location)
    if not parts.netloc or parts.netloc.lower() != request.host.lower():
        return response
    path = "/" + parts.path.lstrip("/")  # never "//host": a browser would leave the site
    query = f"?{parts.query}" if parts.query else ""
    fragment = f"#{parts.fragment}" if parts.fragment else ""
    relative = path + query + fragment
    if response.mimetype == "text/html" and location in response.get_data(as_text=True):
        # Werkzeug's own redirect page links the absolute URL too.
        response.set_data(redirect(relative, response.status_code).get_data())
    response.headers["Location"] = relative
    return response


def trusted_hosts(value: str | list[str] | tuple[str, ...] | None) -> list[str] | None:
    """``PRACTICE_TRUSTED_HOSTS`` ("tracker.example.org, .example.org" or a list) as Flask's
    ``TRUSTED_HOSTS``; None (any host) when not set. A leading dot admits subdomains."""
    if value is None:
        return None
    items = value.split(",") if isinstance(value, str) else list(value)
    hosts = [item.strip().lower() for item in items if item and item.strip()]
    return hosts or None
