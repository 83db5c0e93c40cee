"""Run the report's checks with a progress bar and write ``report.md`` and ``index.html``."""

from __future__ import annotations

import platform
import time
import traceback
from pathlib import Path

from mlcanon.report import core, render
from mlcanon.report.core import Context, Row
from mlcanon.report.sections import BY_KEY, SECTIONS, load_section


def run_report(out: Path = Path("report"), only: list[str] | None = None, full: bool = False, console=None,
               verbose: bool = False):
    """Run every check (or those of the sections in ``only``) and write the report to ``out``.

    Returns ``(items_by_section, n_failures)``. A check that raises becomes a failed row that
    shows the exception, so one broken check never hides the others.
    """
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = console or Console()
    keys = section_keys(only)
    check_out(out)
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
    # Every row on a terminal (or with --verbose); a log or a pipe gets the totals per section.
    if verbose or console.is_terminal:
        console.print(render.rich_summary(items_by_section))
    else:
        console.print(render.section_totals(items_by_section), highlight=False)
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
        item.check = chk.title
    return items


def section_keys(only: list[str] | None) -> list[str]:
    """The section keys ``only`` names (key, Chinese or English name, any case, comma lists), in the notes' order."""
    if not only:
        return [s.key for s in SECTIONS]
    names = [n.strip() for item in only for n in item.split(",") if n.strip()]
    wanted = []
    for name in names:
        match = [s.key for s in SECTIONS if name.casefold() in (s.key.casefold(), s.zh, s.en.casefold())]
        if not match:
            listed = ", ".join(f"{s.key} ({s.zh})" for s in SECTIONS)
            raise ValueError(f"--only: expected sections among {listed}; got {name!r}")
        wanted += match
    return [s.key for s in SECTIONS if s.key in wanted]


_section_keys = section_keys  # the name the tests of the report framework use


def check_out(out: Path) -> None:
    """Fail before the run, not after it, when ``out`` cannot take the report."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(f"--out: {out} is a file, expected a folder for the report")
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise PermissionError(f"--out: cannot write into {out} ({exc.strerror or exc})") from None


def _meta(elapsed: float, full: bool) -> dict:
    """What was run, where and when: the report's first lines (versions of the libraries the checks used)."""
    import os
    import sys
    from datetime import datetime

    import numpy

    import mlcanon

    versions = {"numpy": numpy.__version__}
    # the reference libraries the checks imported, not every one installed: only what this run compared against
    for module, name in (("scipy", "scipy"), ("sklearn", "scikit-learn"), ("torch", "torch"), ("hmmlearn", "hmmlearn"),
                         ("pycrfsuite", "python-crfsuite"), ("seqeval", "seqeval"), ("torchcrf", "pytorch-crf"),
                         ("pgmpy", "pgmpy"), ("transformers", "transformers"), ("timm", "timm")):
        version = getattr(sys.modules.get(module), "__version__", None)
        if version:
            versions[name] = version
    meta = {
        "mlcanon": mlcanon.__version__,
        "python": platform.python_version(),
        "machine": f"{_cpu_name()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}",
        "mode": "full" if full else "default",
        "run time": f"{elapsed:.1f} s",
        "date": datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "versions": ", ".join(f"{k} {v}" for k, v in versions.items()),
    }
    return meta


def _cpu_name() -> str:
    from mlcanon._threads import cpu_model

    return cpu_model()
