"""Reports fetch nothing but packaged assets and embed nothing, whatever users type.

Two walls, each tested on its own: user text is autoescaped into the report HTML, and the URL
fetcher serves only ``practice-asset:///`` files and ``data:`` URIs. A listening socket stands
in for the network: nothing may ever connect to it. Rendering is exercised on SQLite only; the
database plays no part in escaping or fetching.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
from datetime import date

import pytest

from practice.core.integrity import load_key
from practice.models import Role
from practice.reporting import operations as reports
from practice.reports import pdf
from practice.reports.pdf import AssetFetcher, RefusedURL, render_pdf
from practice.reports.progress_report import build_report_html, report_context
from tests.test_reports import build_couple, pdf_objects, pdf_text

START, END = date(2026, 1, 5), date(2026, 3, 31)


@pytest.fixture
def listener():
    """A TCP port on localhost that records every connection made to it."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.05)
    connections: list[bytes] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except TimeoutError:
                continue
            with connection:
                connection.settimeout(0.5)
                try:
                    connections.append(connection.recv(1024))
                except OSError:
                    connections.append(b"")

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1], connections
    stop.set()
    thread.join()
    server.close()


def hostile(port: int) -> dict[str, str]:
    """Markup that would fetch or embed something if it reached WeasyPrint as HTML."""
    return {
        "file_image": '<img src="file:///etc/passwd">',
        "attachment": '<link rel="attachment" href="file:///etc/hosts">',
        "import": f"<style>@import url(http://127.0.0.1:{port}/x.css);</style>",
        "http_image": f'<img src="http://127.0.0.1:{port}/pixel.png">',
        "https_image": f'<img src="https://127.0.0.1:{port}/pixel.png">',
    }


@pytest.fixture
def recorded_urls(monkeypatch) -> list[str]:
    """Every URL any AssetFetcher is asked for during the test."""
    urls: list[str] = []
    original = AssetFetcher.fetch

    def fetch(self, url, headers=None):
        urls.append(url)
        return original(self, url, headers)

    monkeypatch.setattr(AssetFetcher, "fetch", fetch)
    return urls


def has_attachment(data: bytes, tmp_path) -> bool:
    """Whether the PDF embeds a file: pdfdetach when installed, and a scan of every object."""
    if shutil.which("pdfdetach"):
        path = tmp_path / "attachments.pdf"
        path.write_bytes(data)
        listing = subprocess.run(
            ["pdfdetach", "-list", str(path)], capture_output=True, text=True, check=True
        ).stdout
        if not listing.startswith("0 embedded files"):
            return True
    objects = pdf_objects(data)
    return any(key in objects for key in (b"/EmbeddedFile", b"/FileAttachment", b"/AF "))


# --- The fetcher on its own ------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "FILE:///etc/passwd",
        "http://127.0.0.1:9/x.css",
        "https://example.org/font.woff2",
        "ftp://example.org/x.css",
        "practice-asset:///../../etc/passwd",
        "practice-asset:///%2e%2e/%2e%2e/etc/passwd",
        "practice-asset:///..%2fpdf.py",
        "practice-asset:///pdf.py",
        "practice-asset:///templates/progress_report.html",
        "practice-asset://evil.example/report.css",
        "practice-asset:///report.css?x=1",
        "practice-asset:report.css",
        "practice-asset:///missing.css",
        "practice-asset:////etc/passwd.css",
        "report.css",
        "../report.css",
        "//127.0.0.1:9/x.css",
        "javascript:alert(1)",
    ],
)
def test_fetcher_refuses_everything_but_packaged_assets(url):
    fetcher = AssetFetcher()
    with pytest.raises(RefusedURL):
        fetcher.fetch(url)
    assert fetcher.requested == [url] and fetcher.served == []


def test_fetcher_serves_packaged_assets_and_data_uris():
    fetcher = AssetFetcher()
    css = fetcher.fetch("practice-asset:///report.css")
    assert css.content_type == "text/css" and b"@page" in css.read()
    data = fetcher.fetch("data:text/plain;base64,aGVsbG8=")
    assert data.read() == b"hello"
    assert fetcher.served == ["practice-asset:///report.css", "data:text/plain;base64,aGVsbG8="]


def test_asset_names_never_leave_the_package():
    assert pdf.asset_path("report.css").parent == pdf.ASSET_ROOT
    for name in ("../setup.cfg", "/etc/passwd", "reports\\..\\pdf.py", "report.css/.."):
        with pytest.raises(RefusedURL):
            pdf.asset_path(name)


def test_raw_html_cannot_fetch_or_embed_even_past_escaping(listener, tmp_path):
    """The second wall alone: hostile markup given straight to render_pdf."""
    port, connections = listener
    html = (
        "<!doctype html><html lang='en'><head><title>t</title>"
        '<link rel="stylesheet" href="file:///etc/hosts">'
        f'<link rel="stylesheet" href="http://127.0.0.1:{port}/s.css">'
        '<link rel="stylesheet" href="practice-asset:///report.css">'
        "</head><body><p>Text</p>" + "".join(hostile(port).values()) + "</body></html>"
    )
    fetcher = AssetFetcher()
    data = render_pdf(html, fetcher=fetcher)
    assert data.startswith(b"%PDF")
    assert "file:///etc/passwd" in fetcher.requested  # asked, and refused
    assert f"http://127.0.0.1:{port}/x.css" in fetcher.requested
    assert fetcher.served == ["practice-asset:///report.css"]
    assert connections == []
    assert not has_attachment(data, tmp_path)


def test_attachment_detector_sees_a_real_attachment(tmp_path):
    """The detector can fail: a data: attachment (allowed by the fetcher) is found."""
    html = (
        "<html lang='en'><head><title>t</title>"
        '<link rel="attachment" href="data:text/plain,hello" title="note.txt"></head>'
        "<body>x</body></html>"
    )
    assert has_attachment(render_pdf(html), tmp_path)


# --- Through the report: user text is text ---------------------------------------------------


@pytest.fixture
def hostile_case(app, db, make_staff, listener):
    port, _ = listener
    payload = hostile(port)
    everything = "".join(payload.values())
    counsellor = make_staff(Role.COUNSELLOR)
    case = build_couple(
        db,
        counsellor,
        reference="C-0666",
        seal_key=load_key(app),
        # Partner names hold 60 characters at most: one hostile tag each.
        partners=(payload["file_image"], payload["http_image"][:60]),
        goals=everything,
        concerns=everything,
        note="{marker} " + everything,
    )
    # The referrer's letter prints the referral fields (each within its length).
    case.referrer_name = payload["file_image"][:120]
    case.referrer_organisation = payload["http_image"][:160]
    case.referral_question = everything
    db.commit()
    return case


def test_report_html_escapes_every_user_field(app_context, hostile_case, listener):
    port, _ = listener
    narrative = "".join(hostile(port).values())
    for audience in ("clinical", "client", "referrer"):
        member = hostile_case.counsellor
        context = report_context(
            hostile_case, START, END, audience, narrative, member, recommendations=narrative
        )
        html = build_report_html(context)
        assert "&lt;img src=&#34;file:///etc/passwd&#34;&gt;" in html
        assert "&lt;style&gt;@import url(http://127.0.0.1" in html
        assert "<style" not in html  # the report has no style element; the user's is text
        # The charts (the CSI-4 one only where someone's scores may be shown; none in the
        # referrer's letter), and nothing a user typed.
        assert html.count("<img ") == len(context["charts"])
        assert html.count("<link ") == 2  # the two packaged stylesheets


@pytest.mark.parametrize("audience", ["clinical", "client"])
def test_hostile_report_fetches_nothing_and_shows_the_text(
    app, backend, hostile_case, listener, recorded_urls, audience, tmp_path
):
    if backend != "sqlite":
        pytest.skip("escaping and fetching do not depend on the database")
    port, connections = listener
    narrative = "Narrative: " + "".join(hostile(port).values())
    with app.app_context():
        rendered = reports.render_report(
            hostile_case, START, END, audience, narrative, hostile_case.counsellor
        )
    assert connections == []
    assert recorded_urls, "the report loads its stylesheets and charts through the fetcher"
    assert all(
        url.startswith(("practice-asset:///", "data:image/svg+xml;base64,"))
        for url in recorded_urls
    ), recorded_urls
    assert not has_attachment(rendered.data, tmp_path)
    if shutil.which("pdftotext"):
        text = pdf_text(rendered.data, tmp_path)
        assert '<img src="file:///etc/passwd">' in text  # the partner's name, as text
        assert f"@import url(http://127.0.0.1:{port}/x.css);" in text  # the narrative
