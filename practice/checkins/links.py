"""A check-in link's address and its QR code, for the case page, the API and the CLI."""

from __future__ import annotations

import segno
from flask import current_app, has_request_context, url_for


def checkin_url(token: str) -> str:
    """The full address a partner opens. ``PRACTICE_PUBLIC_BASE_URL`` when set (the address
    partners reach, which a request from inside the practice may not be); else the request's
    own; outside a request, http://localhost:5000."""
    base = current_app.config.get("PRACTICE_PUBLIC_BASE_URL")
    if has_request_context() and not base:
        return url_for("practice.checkin_public.checkin", token=token, _external=True)
    with current_app.test_request_context(base_url=base or "http://localhost:5000"):
        return url_for("practice.checkin_public.checkin", token=token, _external=True)


def qr_svg_data_uri(url: str) -> str:
    """The address as a QR code, an SVG data URI (segno: pure Python, nothing fetched; the
    page's CSP admits data: images)."""
    return segno.make(url, error="m").svg_data_uri(scale=5, border=2, dark="#111")
