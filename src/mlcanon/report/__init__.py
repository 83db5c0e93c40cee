"""``mlcanon report``: the canon run on bundled data beside the reference libraries.

Sections live in sub-packages (``foundations``, ``classic``, ``neural``, ``models``, ``tasks``,
``multimodal``, ``questions``); see :mod:`mlcanon.report.core` for how a check is written.
"""

from mlcanon.report.runner import run_report

__all__ = ["run_report"]
