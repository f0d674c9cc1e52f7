"""A host layout written to the README's contract carries what the tracker's pages need."""

from __future__ import annotations

from tests.plugin.conftest import HostBrowser, add_staff, build_host


def test_tracker_pages_put_their_csrf_token_and_stylesheet_in_the_hosts_layout(host):
    add_staff(host, "dana@host.example")
    browser = HostBrowser(host.test_client())
    browser.sign_in("dana@host.example")
    page = browser.client.get("/practice/").get_data(as_text=True)
    head = page.split("</head>", 1)[0]
    assert "Host clinic" in page  # the host's own layout
    assert '<meta name="csrf-token" content="' in head
    assert 'href="/practice/static/practice.css"' in head
    assert 'href="/static/host.css"' in head  # the layout's own head is kept
    assert head.count('name="csrf-token"') == 1


def test_the_host_extends_the_trackers_content_security_policy(host_url, tmp_path):
    extra = {"style-src": ["https://assets.host.example"], "font-src": "https://fonts.example"}
    app = build_host(host_url, tmp_path / "instance", PRACTICE_CSP_EXTRA=extra)
    policy = app.test_client().get("/practice/healthz").headers["Content-Security-Policy"]
    assert "style-src 'self' https://assets.host.example" in policy
    assert "font-src https://fonts.example" in policy
    assert "script-src 'self';" in policy  # nothing loosened that was not asked for
    assert "frame-ancestors 'none'" in policy
