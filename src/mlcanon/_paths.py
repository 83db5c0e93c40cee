"""Where mlcanon finds its bundled data sets and benchmark figures, in a checkout and when installed.

1. ``$MLCANON_DATA`` (data sets only), if set;
2. a source checkout (``pip install -e .`` or running from the tree): ``datasets/`` and
   ``benchmarks/results/`` at the root of the repository;
3. an installed wheel: the copies shipped as package data in ``mlcanon/_bundled/`` (in the
   repository these are symlinks to the two folders above, which the wheel build follows).
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["data_root", "results_dir", "source_root"]

_PACKAGE = Path(__file__).resolve().parent


def source_root() -> Path | None:
    """The repository root when mlcanon runs from a source checkout, else ``None``."""
    root = _PACKAGE.parents[1]
    return root if (root / "pyproject.toml").is_file() and (root / "datasets").is_dir() else None


def data_root() -> Path:
    """The folder holding the data sets (see the module docstring for the order)."""
    env = os.environ.get("MLCANON_DATA")
    if env:
        return Path(env)
    root = source_root()
    return root / "datasets" if root is not None else _PACKAGE / "_bundled" / "datasets"


def results_dir() -> Path:
    """The folder of the benchmark JSON files the report reads."""
    root = source_root()
    return root / "benchmarks" / "results" if root is not None else _PACKAGE / "_bundled" / "results"
