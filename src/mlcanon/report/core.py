"""The pieces a report section is made of, and the registry of checks.

A section is a package under ``mlcanon.report``; each of its modules registers checks with
:func:`check`. A check is a function ``(ctx) -> list[Item]`` that computes our figure and the
reference library's figure on the same input and returns :class:`Row` objects (plus optional
:class:`Figure`, :class:`Table` and :class:`Note` items)::

    from mlcanon.report.core import Row, check

    @check("熵 entropy")
    def entropy_vs_scipy(ctx):
        ours = mlcanon.info.entropy(p)
        ref = scipy.stats.entropy(p, base=2)
        return [Row("entropy of a 10-symbol distribution", ours, ref, "scipy", tolerance=1e-12)]
"""

from __future__ import annotations

import io
import numbers
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["Section", "Row", "Figure", "Table", "Note", "Context", "Check", "check", "figure_from_matplotlib"]


@dataclass(frozen=True)
class Section:
    """A chapter of the notes: key (used by ``--only``), Chinese and English headings, position."""

    key: str
    zh: str
    en: str
    order: int

    @property
    def heading(self) -> str:
        return f"{self.zh} — {self.en}"


@dataclass
class Row:
    """One comparison: our figure beside the reference's on the same input.

    ``kind="parity"`` rows pass when ``|ours - reference| <= tolerance`` (or when ``passed`` is
    given explicitly, e.g. "same Viterbi path"). ``kind="speed"`` rows hold seconds; their
    difference is the ratio ours/reference and ``tolerance`` is the goal ratio; a missed speed
    goal is reported, not counted as a parity failure, because timings depend on the machine.
    ``kind="quality"`` rows compare scores (accuracy, F1) where higher is better and pass when
    ``ours >= reference - tolerance``.
    """

    topic: str
    ours: Any
    reference: Any
    reference_name: str
    tolerance: float | None = None
    kind: Literal["parity", "speed", "quality"] = "parity"
    passed: bool | None = None
    note: str = ""
    section: str = ""
    check: str = ""  # the title of the check that made it (set by the runner): the report's topic block

    def __post_init__(self) -> None:
        if self.passed is None and self.tolerance is not None and self.diff is not None:
            d = self.diff
            if self.kind == "parity":
                self.passed = bool(d <= self.tolerance)
            elif self.kind == "speed":
                self.passed = bool(d <= self.tolerance)
            else:
                self.passed = bool(self.ours >= self.reference - self.tolerance)

    @property
    def diff(self) -> float | None:
        if not (_is_number(self.ours) and _is_number(self.reference)):
            return None
        if self.kind == "speed":
            return float(self.ours) / float(self.reference) if self.reference else float("inf")
        if self.kind == "quality":
            return float(self.ours) - float(self.reference)
        return abs(float(self.ours) - float(self.reference))

    @property
    def counts_as_failure(self) -> bool:
        return self.kind != "speed" and self.passed is False

    @property
    def status(self) -> str:
        if self.passed is None:
            return "info"
        if self.kind == "speed":
            return "goal met" if self.passed else "goal missed"
        return "pass" if self.passed else "FAIL"


@dataclass
class Figure:
    """A plot: PNG bytes (from :func:`figure_from_matplotlib`) and a caption."""

    title: str
    png: bytes
    caption: str = ""
    section: str = ""
    check: str = ""


@dataclass
class Table:
    """A free-form table (e.g. LDA's top words, parameter counts)."""

    title: str
    headers: list[str]
    rows: list[list[Any]]
    section: str = ""
    check: str = ""


@dataclass
class Note:
    """A paragraph of Markdown (e.g. the answer to one of the notes' questions)."""

    text: str
    section: str = ""
    check: str = ""


Item = Row | Figure | Table | Note


@dataclass
class Context:
    """What a check may use: ``full`` (the longer, ``--full`` variant) and a seed."""

    full: bool = False
    seed: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Check:
    title: str
    func: Callable[[Context], list[Item]]
    module: str

    @property
    def about(self) -> str:
        """One sentence on what the topic is: the check function's docstring, else its module's."""
        import sys

        doc = self.func.__doc__ or getattr(sys.modules.get(self.module), "__doc__", None) or ""
        return first_sentence(doc)

    @property
    def section_key(self) -> str:
        # mlcanon.report.<section>.<module>
        parts = self.module.split(".")
        return parts[2] if len(parts) > 2 else ""


_CHECKS: list[Check] = []


def check(title: str) -> Callable[[Callable[[Context], list[Item]]], Callable[[Context], list[Item]]]:
    """Register a report check; ``title`` is the topic as the notes name it (Chinese and English)."""

    def register(func: Callable[[Context], list[Item]]):
        _CHECKS.append(Check(title, func, func.__module__))
        return func

    return register


def registered() -> list[Check]:
    return list(_CHECKS)


def about(title: str) -> str:
    """The one-sentence description of the registered check called ``title`` ("" when there is none)."""
    return next((c.about for c in _CHECKS if c.title == title), "")


def first_sentence(doc: str) -> str:
    """The first sentence of a docstring's first paragraph, reST ``code`` turned into Markdown `code`."""
    para = " ".join(doc.strip().split("\n\n")[0].split())
    # a sentence ends at ". " before a capital letter, a quote or a bracket (not at "e.g. the" or "1.5 s")
    sentence = re.split(r"(?<=[.!?])\s+(?=[A-Z\"'(`])", para)[0]
    return sentence.replace("``", "`")


def figure_from_matplotlib(fig, title: str, caption: str = "") -> Figure:
    """Render a matplotlib figure to PNG and close it."""
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return Figure(title, buf.getvalue(), caption)


def _is_number(x: Any) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool)
