"""A real install: the wheel carries templates, report assets and migrations, and serves."""

import subprocess
import sys
import sysconfig
import textwrap
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

SERVE_LOGIN_PAGE = textwrap.dedent(
    """
    import sys, practice
    from practice.standalone import create_app
    from practice.core import migrate
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite:///" + sys.argv[1] + "/w.db",
                      "SECRET_KEY": "wheel-test"}, instance_path=sys.argv[1])
    with app.app_context():
        migrate.upgrade()
    page = app.test_client().get("/login")
    css = app.test_client().get("/static/practice.css")
    print(practice.__file__)
    print(page.status_code, css.status_code, "Sign in" in page.get_data(as_text=True))
    """
)


@pytest.mark.slow
def test_wheel_installs_and_serves_the_login_page(tmp_path):
    dist = tmp_path / "dist"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(dist),
            str(REPO),
        ],
        check=True,
        cwd=tmp_path,
    )
    (wheel,) = dist.glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for expected in (
        "practice/templates/practice/base.html",
        "practice/templates/practice/login.html",
        "practice/migrations/env.py",
        "practice/migrations/script.py.mako",
        "practice/migrations/versions/0001_initial_schema.py",
        "practice/reports/__init__.py",
        "practice/reports/pdf.py",
        "practice/reports/charts/__init__.py",
        "practice/reports/charts/deescalation_share.py",
        "practice/reports/chart.css",
        "practice/reports/progress_report.py",
        "practice/reports/report.css",
        "practice/reports/page-a4.css",
        "practice/reports/page-letter.css",
        "practice/reports/templates/progress_report.html",
        "practice/templates/practice/reports/index.html",
        "practice/templates/practice/reports/_case_reports.html",
        "practice/static/practice.css",
    ):
        assert expected in names, expected

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", str(wheel)], check=True)
    # Dependencies come from the test venv, but not its editable copy of the tracker:
    # a path added by a .pth file does not get its own .pth files (the editable finder) run.
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    Path(site, "test-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")

    instance = tmp_path / "instance"
    instance.mkdir()
    result = subprocess.run(
        [str(python), "-c", SERVE_LOGIN_PAGE, str(instance)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    location, status = result.stdout.strip().splitlines()
    assert location.startswith(str(venv)), location
    assert status == "200 200 True"
