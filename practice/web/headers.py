"""The response headers of every answer the tracker gives."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from flask import Response, current_app, request

# The tracker's own pages need nothing but their own origin (and data: charts).
CSP: dict[str, tuple[str, ...]] = {
    "default-src": ("'self'",),
    "script-src": ("'self'",),
    "style-src": ("'self'",),
    "img-src": ("'self'", "data:"),
    "object-src": ("'none'",),
    "base-uri": ("'self'",),
    "form-action": ("'self'",),
    "frame-ancestors": ("'none'",),
}


def content_security_policy(extra: Mapping[str, str | Iterable[str]] | None = None) -> str:
    """The tracker's CSP, with the sources a host adds for its layout's own assets
    (``PRACTICE_CSP_EXTRA``, e.g. ``{"style-src": ["https://cdn.host.example"]}``)."""
    directives = {name: list(sources) for name, sources in CSP.items()}
    for name, sources in (extra or {}).items():
        added = [sources] if isinstance(sources, str) else list(sources)
        current = directives.setdefault(name, [])
        # 'none' cannot stand beside a source.
        if added and current == ["'none'"]:
            current.clear()
        current.extend(source for source in added if source not in current)
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items())


def security_headers(response: Response) -> Response:
    """Headers on every response of the tracker; clinical pages must not be cached."""
    headers = response.headers
    headers.setdefault(
        "Content-Security-Policy",
        content_security_policy(current_app.config.get("PRACTICE_CSP_EXTRA")),
    )
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    if request.endpoint != "practice.static":
        headers["Cache-Control"] = "no-store"
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return response
