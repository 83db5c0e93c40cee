"""Run the report's checks with a progress bar and write ``report.md`` and ``index.html``."""

from __future__ import annotations

import platform
import time
import traceback
from pathlib import Path

from mlcanon.report import core, render
from mlcanon.report.core import Context, Row
from mlcanon.report.sections import BY_KEY, SECTIONS, load_section


def run_report(out: Path = Path("report"), only: list[str] | None = None, full: bool = False, console=None):
    """Run every check (or those of the sections in ``only``) and write the report to ``out``.

    Returns ``(items_by_section, n_failures)``. A check that raises becomes a failed row that
    shows the exception, so one broken check never hides the others.
    """
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = console or Console()
    keys = _section_keys(only)
    for key in keys:
        load_section(key)
    checks = [c for c in core.registered() if c.section_key in keys]
    ctx = Context(full=full)
    items_by_section: dict[str, list] = {k: [] for k in keys}
    start = time.perf_counter()
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task("report", total=len(checks))
        for chk in checks:
            progress.update(task, description=f"{BY_KEY[chk.section_key].zh} · {chk.title}")
            items_by_section[chk.section_key].extend(_run_one(chk, ctx, console))
            progress.advance(task)
    elapsed = time.perf_counter() - start
    meta = _meta(elapsed, full)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    md = render.write_markdown(items_by_section, out, meta)
    page = render.write_html(items_by_section, out, meta)
    console.print(render.rich_summary(items_by_section))
    rows = [i for items in items_by_section.values() for i in items if isinstance(i, Row)]
    failures = sum(r.counts_as_failure for r in rows)
    console.print(f"{len(rows)} rows, {failures} outside tolerance, {elapsed:.1f} s. Wrote {page} and {md}.")
    return items_by_section, failures


def _run_one(chk, ctx: Context, console) -> list:
    try:
        items = list(chk.func(ctx))
    except Exception as exc:  # a broken check is a failed row, not a crashed report
        console.print(f"[red]check {chk.title!r} raised:[/]\n{traceback.format_exc()}")
        items = [Row(chk.title, None, None, "-", passed=False, note=f"raised {type(exc).__name__}: {exc}")]
    for item in items:
        item.section = chk.section_key
    return items


def _section_keys(only: list[str] | None) -> list[str]:
    if not only:
        return [s.key for s in SECTIONS]
    wanted = []
    for name in only:
        match = [s.key for s in SECTIONS if name in (s.key, s.zh, s.en, s.en.lower())]
        if not match:
            listed = ", ".join(f"{s.key} ({s.zh})" for s in SECTIONS)
            raise ValueError(f"only: expected a section among {listed}; got {name!r}")
        wanted += match
    return [s.key for s in SECTIONS if s.key in wanted]


def _meta(elapsed: float, full: bool) -> dict:
    import numpy

    import mlcanon

    meta = {
        "mlcanon": mlcanon.__version__,
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "machine": f"{platform.machine()}, {__import__('os').cpu_count()} cores",
        "mode": "full" if full else "default",
        "run time": f"{elapsed:.1f} s",
    }
    return meta
