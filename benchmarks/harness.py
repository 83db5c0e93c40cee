"""Timing ours against the reference in one process: repeats, medians, the ratio, JSON out.

A benchmark module ``benchmarks/NAME.py`` defines ``run(repeats: int, quick: bool) -> list[Comparison]``
and builds each :class:`Comparison` with :func:`compare`::

    def run(repeats, quick):
        X = ...
        return [compare("tfidf fit_transform", lambda: ours.fit_transform(X),
                        lambda: theirs.fit_transform(X), reference_name="scikit-learn",
                        repeats=repeats, goal=1.0, params={"n_docs": len(X)})]

Ours and the reference alternate within each repeat so that drift in machine load hits both.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


@dataclass
class Comparison:
    """Timings (seconds) of ours and of the reference on the same work."""

    name: str
    reference_name: str
    ours_s: list[float]
    reference_s: list[float]
    goal: float | None = None  # ratio ours/reference that the issue asks for (lower is better)
    params: dict[str, Any] = field(default_factory=dict)
    notes: str = ""

    @property
    def ours_median(self) -> float:
        return statistics.median(self.ours_s)

    @property
    def reference_median(self) -> float:
        return statistics.median(self.reference_s)

    @property
    def ratio(self) -> float:
        """Our median time over the reference's: below 1.0 means we are faster."""
        return self.ours_median / self.reference_median

    @property
    def goal_met(self) -> bool | None:
        return None if self.goal is None else self.ratio <= self.goal

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.update(ours_median_s=self.ours_median, reference_median_s=self.reference_median,
                 ratio=self.ratio, goal_met=self.goal_met)
        return d


def compare(
    name: str,
    ours: Callable[[], Any],
    reference: Callable[[], Any],
    *,
    reference_name: str,
    repeats: int = 5,
    warmup: int = 1,
    goal: float | None = None,
    params: dict[str, Any] | None = None,
    notes: str = "",
) -> Comparison:
    """Time ``ours()`` and ``reference()`` alternately, ``warmup`` untimed rounds then ``repeats`` timed."""
    for _ in range(warmup):
        ours()
        reference()
    ours_s, ref_s = [], []
    for _ in range(repeats):
        ours_s.append(_time(ours))
        ref_s.append(_time(reference))
    return Comparison(name, reference_name, ours_s, ref_s, goal, dict(params or {}), notes)


def _time(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def machine() -> dict[str, Any]:
    """A description of the machine the figures were taken on."""
    info: dict[str, Any] = {
        "platform": platform.platform(),
        "processor": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
    }
    for mod in ("numpy", "scipy", "numba", "torch", "sklearn", "hmmlearn", "pycrfsuite", "transformers"):
        try:
            info[mod] = __import__(mod).__version__
        except Exception:  # not installed, or no __version__: leave it out
            pass
    try:
        info["git_commit"] = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True,
            cwd=Path(__file__).parent,
        ).stdout.strip()
    except Exception:
        pass
    return info


def _cpu_model() -> str:
    from mlcanon._threads import cpu_model

    return cpu_model()


def write_results(name: str, comparisons: list[Comparison], repeats: int, quick: bool) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    payload = {
        "benchmark": name,
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "repeats": repeats,
        "quick": quick,
        "machine": machine(),
        "comparisons": [c.to_dict() for c in comparisons],
    }
    path.write_text(json.dumps(payload, indent=2) + "\n")
    return path


def print_table(name: str, comparisons: list[Comparison]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"benchmark: {name}")
    for col in ("case", "ours (median s)", "reference", "reference (median s)", "ratio ours/ref", "goal", "met"):
        table.add_column(col)
    for c in comparisons:
        met = "" if c.goal_met is None else ("[green]yes[/]" if c.goal_met else "[red]no[/]")
        table.add_row(c.name, f"{c.ours_median:.4g}", c.reference_name, f"{c.reference_median:.4g}",
                      f"{c.ratio:.2f}", "" if c.goal is None else f"≤ {c.goal:g}", met)
    Console().print(table)


def merge_quality_result(name: str, key: str, entry: dict[str, Any], **extra: Any) -> Path:
    """Add one quality result (``results[key] = entry``) to ``results/NAME.json``, keeping the results that other
    runs wrote there meanwhile, with the date and the machine; ``extra`` adds top-level fields."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    results = json.loads(path.read_text()).get("results", {}) if path.exists() else {}
    results[key] = entry
    payload = {"benchmark": name, "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "machine": machine(), **extra,
               "results": results}
    path.write_text(json.dumps(payload, indent=2) + "\n")
    return path
