"""Where the installed package keeps its templates, report assets and migrations."""

from __future__ import annotations

import importlib.util
from pathlib import Path


def package_dir(subpackage: str) -> Path:
    """The folder of ``practice.<subpackage>``, in a source checkout or an installed wheel.

    ``templates/``, ``reports/`` and ``migrations/`` sit at the top of the repository and are
    mapped into the package by setup.cfg, so their location must be asked of the import system.
    """
    spec = importlib.util.find_spec(f"practice.{subpackage}")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"practice.{subpackage} is not installed with the package")
    return Path(next(iter(spec.submodule_search_locations)))
