"""The shell every page shares: policies on every route, error pages, headers, assets."""

import re
from pathlib import Path

import pytest

from practice.core.resources import package_dir
from practice.models import Role
from practice.web import access
from tests.conftest import make_test_app


def test_every_tracker_route_declares_a_policy(app, app_context):
    missing = [
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("practice.") and access.policy_of(rule.endpoint) is None
    ]
    assert missing == []


def test_a_view_without_a_policy_is_denied(app, client, auth, make_staff):
    auth.login(make_staff(Role.ADMIN))
    original = app.view_functions["practice.cases.home"]
    app.view_functions["practice.cases.home"] = lambda: "leaked"  # as a careless new view
    try:
        response = client.get("/")
    finally:
        app.view_functions["practice.cases.home"] = original
    assert response.status_code == 403
    assert "leaked" not in response.get_data(as_text=True)


def test_404_page_leaks_nothing(client):
    response = client.get("/no/such/page/../etc/passwd")
    page = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "Not found" in page
    assert "Traceback" not in page and "werkzeug" not in page.lower()


def test_500_page_leaks_nothing(tmp_path):
    app = make_test_app(
        f"sqlite:///{tmp_path / 'p.db'}", tmp_path, TESTING=False, PROPAGATE_EXCEPTIONS=False
    )

    @app.route("/boom")
    def boom():
        raise RuntimeError("secret clinical detail in an exception")

    response = app.test_client().get("/boom")
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Something went wrong" in page
    assert "secret clinical detail" not in page
    assert "RuntimeError" not in page


def test_403_page(client, auth, make_staff):
    auth.login(make_staff(Role.COUNSELLOR))
    response = client.get("/admin/staff")
    assert response.status_code == 403
    assert "You do not have access to this page." in response.get_data(as_text=True)


def test_security_headers_on_tracker_pages(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cache-Control"] == "no-store"


def test_base_layout_is_accessible(client, auth, make_staff):
    auth.login(make_staff(Role.ADMIN))
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="en">' in page
    assert 'name="viewport"' in page
    assert 'href="#main"' in page and 'id="main"' in page
    for landmark in ("<header", "<nav", "<main", "<footer"):
        assert landmark in page
    assert 'aria-current="page"' in page


def test_every_input_on_the_login_and_staff_pages_has_a_label(client, auth, make_staff):
    pages = [client.get("/login").get_data(as_text=True)]
    auth.login(make_staff(Role.ADMIN))
    pages.append(client.get("/admin/staff").get_data(as_text=True))
    for page in pages:
        ids = re.findall(
            r'<(?:input|select|textarea)(?![^>]*type="(?:hidden|submit)")[^>]*id="([^"]+)"', page
        )
        assert ids
        for field_id in ids:
            assert f'for="{field_id}"' in page, field_id


@pytest.mark.parametrize("folder", ["templates", "static"])
def test_no_asset_comes_from_the_network(folder):
    root = (
        package_dir("templates")
        if folder == "templates"
        else Path(access.__file__).parent / "static"
    )
    for path in root.rglob("*"):
        if path.suffix in {".html", ".css", ".js"}:
            text = path.read_text()
            assert not re.search(r"(src|href)=\"(https?:)?//", text), path
            assert "@import url(http" not in text, path
