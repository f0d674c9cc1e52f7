"""A real install: the sdist builds a wheel that carries templates, report assets and migrations,
and that wheel, installed with its dependencies at their declared floors, serves the tracker's
main paths. The floors are pinned in tests/wheel_floors.txt (``make wheel-check`` runs this)."""

import configparser
import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parent.parent
FLOORS = REPO / "tests" / "wheel_floors.txt"
SMOKE = REPO / "tests" / "wheel_smoke.py"


def _install_requires() -> list[Requirement]:
    config = configparser.ConfigParser()
    config.read(REPO / "setup.cfg")
    lines = config["options"]["install_requires"].splitlines()
    return [Requirement(line) for line in lines if line.strip() and not line.startswith("#")]


def _floors() -> dict[str, str]:
    pins = {}
    for line in FLOORS.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, version = line.partition("==")
            pins[canonicalize_name(name)] = version.strip()
    return pins


def test_every_dependency_has_a_tested_floor_and_an_upper_bound():
    floors = _floors()
    requirements = _install_requires()
    assert {canonicalize_name(r.name) for r in requirements} == set(floors)
    for requirement in requirements:
        operators = {spec.operator for spec in requirement.specifier}
        assert operators == {">=", "<"}, f"{requirement}: a floor and an upper bound"
        (floor,) = [s.version for s in requirement.specifier if s.operator == ">="]
        pinned = floors[canonicalize_name(requirement.name)]
        # The pin is the oldest release the floor admits (2.1 admits 2.1.0.post1, say).
        assert requirement.specifier.contains(pinned), f"{requirement} refuses {pinned}"
        assert pinned.startswith(floor), f"{requirement}: floor {floor}, tested {pinned}"


def _run(args, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(args, capture_output=True, text=True, **kwargs)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


EXPECTED_FILES = (
    "practice/templates/practice/base.html",
    "practice/templates/practice/_frame.html",
    "practice/templates/practice/login.html",
    "practice/migrations/__init__.py",
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
    "practice/static/js/autosave.js",
)


@pytest.mark.slow
def test_the_sdist_builds_a_wheel_that_works_at_the_declared_floors(tmp_path):
    # The sdist, then the wheel from the sdist alone (what an index would do), without warnings.
    sdist_dir, wheel_dir = tmp_path / "sdist", tmp_path / "wheel"
    build_sdist = f"from setuptools import build_meta; build_meta.build_sdist({str(sdist_dir)!r})"
    built = _run([sys.executable, "-c", build_sdist], cwd=REPO)
    (sdist,) = sdist_dir.glob("*.tar.gz")
    with tarfile.open(sdist) as archive:
        assert "README.md" in {Path(name).name for name in archive.getnames()}
    pip_wheel = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-v"]
    wheel_build = _run([*pip_wheel, "-w", str(wheel_dir), str(sdist)], cwd=tmp_path)
    output = built.stdout + built.stderr + wheel_build.stdout + wheel_build.stderr
    for warning in ("BuildBackendWarning", "SetuptoolsDeprecationWarning", "is absent from"):
        assert warning not in output, warning
    (wheel,) = wheel_dir.glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for expected in EXPECTED_FILES:
        assert expected in names, expected

    # A fresh venv, the wheel and every dependency at its floor: nothing of the test venv.
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", str(venv)])
    python = venv / "bin" / "python"
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    _run(
        [str(python), "-m", "pip", "install", "-q", "--constraint", str(FLOORS), str(wheel)],
        env=env,
    )
    installed = _run([str(python), "-m", "pip", "freeze"]).stdout.lower()
    for name, version in _floors().items():
        assert f"{name}=={version}".lower() in installed.replace("_", "-"), (name, version)

    instance = tmp_path / "instance"
    instance.mkdir()
    result = _run([str(python), str(SMOKE), str(instance)], cwd=tmp_path)
    location, verdict = result.stdout.strip().splitlines()[-2:]
    assert location.startswith(str(venv)), location
    assert verdict == "ok"
