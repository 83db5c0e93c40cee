"""Writers of the report: Markdown (``report.md`` + PNG files), self-contained HTML
(``index.html``, plots embedded as base64 PNG) and a rich summary table for the terminal."""

from __future__ import annotations

import base64
import html
import numbers
import re
from pathlib import Path

from mlcanon.report.core import Figure, Note, Row, Table
from mlcanon.report.sections import SECTIONS

ROW_HEADERS = ["topic", "ours", "reference", "reference library", "difference", "tolerance", "status"]


def fmt(x) -> str:
    """Numbers with 6 significant digits; tiny differences in scientific notation."""
    if x is None:
        return ""
    if isinstance(x, bool):
        return str(x)
    if isinstance(x, numbers.Integral):
        return f"{int(x):,}"
    if isinstance(x, numbers.Real):
        x = float(x)
        if x != 0 and (abs(x) < 1e-3 or abs(x) >= 1e6):
            return f"{x:.3e}"
        return f"{x:.6g}"
    return str(x)


def row_cells(row: Row) -> list[str]:
    diff = row.diff
    if row.kind == "speed" and diff is not None:
        diff_s, tol_s = f"×{diff:.2f}", "" if row.tolerance is None else f"≤ ×{row.tolerance:g}"
    else:
        diff_s, tol_s = fmt(diff), fmt(row.tolerance)
    ours, ref = fmt(row.ours), fmt(row.reference)
    if row.kind == "speed":
        ours, ref = f"{fmt(row.ours)} s", f"{fmt(row.reference)} s"
    topic = row.topic + (f" ({row.note})" if row.note else "")
    return [topic, ours, ref, row.reference_name, diff_s, tol_s, row.status]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "figure"


def write_markdown(items_by_section: dict, out: Path, meta: dict) -> Path:
    fig_dir = out / "figures"
    fig_dir.mkdir(parents=True, exist_ok=True)
    lines = ["# mlcanon report", "", _meta_line(meta), ""]
    n_fig = 0
    for section in SECTIONS:
        if section.key not in items_by_section:
            continue
        lines += [f"## {section.heading}", ""]
        items = items_by_section[section.key]
        rows = [i for i in items if isinstance(i, Row)]
        if rows:
            lines += ["| " + " | ".join(ROW_HEADERS) + " |", "|" + "---|" * len(ROW_HEADERS)]
            lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row_cells(r)) + " |" for r in rows]
            lines.append("")
        if not items:
            lines += ["_Nothing in this section yet._", ""]
        for item in items:
            if isinstance(item, Figure):
                n_fig += 1
                name = f"{n_fig:02d}-{_slug(item.title)}.png"
                (fig_dir / name).write_bytes(item.png)
                lines += [f"### {item.title}", "", f"![{item.title}](figures/{name})", ""]
                if item.caption:
                    lines += [item.caption, ""]
            elif isinstance(item, Table):
                lines += [f"### {item.title}", "", "| " + " | ".join(item.headers) + " |"]
                lines.append("|" + "---|" * len(item.headers))
                lines += ["| " + " | ".join(fmt(c) for c in r) + " |" for r in item.rows]
                lines.append("")
            elif isinstance(item, Note):
                lines += [item.text, ""]
    path = out / "report.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def write_html(items_by_section: dict, out: Path, meta: dict) -> Path:
    e = html.escape
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>mlcanon report</title>",
        "<style>body{font-family:system-ui,sans-serif;max-width:1200px;margin:2em auto;padding:0 1em}"
        "table{border-collapse:collapse;margin:1em 0;font-size:14px}td,th{border:1px solid #ccc;padding:4px 8px}"
        "th{background:#f4f4f4}.pass,.goal-met{color:#080}.FAIL,.goal-missed{color:#c00;font-weight:bold}"
        "img{max-width:100%}.meta{color:#555}</style></head><body>",
        "<h1>mlcanon report</h1>",
        f"<p class='meta'>{e(_meta_line(meta))}</p>",
    ]
    for section in SECTIONS:
        if section.key not in items_by_section:
            continue
        items = items_by_section[section.key]
        parts.append(f"<h2 id='{section.key}'>{e(section.heading)}</h2>")
        rows = [i for i in items if isinstance(i, Row)]
        if rows:
            parts.append("<table><tr>" + "".join(f"<th>{e(h)}</th>" for h in ROW_HEADERS) + "</tr>")
            for r in rows:
                cells = row_cells(r)
                css = r.status.replace(" ", "-")
                parts.append(
                    "<tr>" + "".join(f"<td>{e(c)}</td>" for c in cells[:-1]) + f"<td class='{css}'>{e(cells[-1])}</td></tr>"
                )
            parts.append("</table>")
        if not items:
            parts.append("<p><em>Nothing in this section yet.</em></p>")
        for item in items:
            if isinstance(item, Figure):
                b64 = base64.b64encode(item.png).decode()
                parts.append(f"<h3>{e(item.title)}</h3><img alt='{e(item.title)}' src='data:image/png;base64,{b64}'>")
                if item.caption:
                    parts.append(f"<p>{e(item.caption)}</p>")
            elif isinstance(item, Table):
                parts.append(f"<h3>{e(item.title)}</h3><table><tr>" + "".join(f"<th>{e(h)}</th>" for h in item.headers) + "</tr>")
                parts += ["<tr>" + "".join(f"<td>{e(fmt(c))}</td>" for c in r) + "</tr>" for r in item.rows]
                parts.append("</table>")
            elif isinstance(item, Note):
                parts.append("<p>" + e(item.text).replace("\n\n", "</p><p>") + "</p>")
    parts.append("</body></html>")
    path = out / "index.html"
    path.write_text("\n".join(parts), encoding="utf-8")
    return path


def section_totals(items_by_section: dict) -> str:
    """One line a section: rows, passed, failed, information (what a log file gets instead of the table)."""
    lines = []
    for section in SECTIONS:
        rows = [r for r in items_by_section.get(section.key, []) if isinstance(r, Row)]
        if section.key not in items_by_section:
            continue
        fails = sum(r.counts_as_failure for r in rows)
        info = sum(r.status == "info" for r in rows)
        missed = sum(r.status == "goal missed" for r in rows)
        passed = len(rows) - fails - info - missed
        lines.append(f"{section.zh} {section.en}: {len(rows)} rows, {passed} pass, {fails} fail, {info} info"
                     + (f", {missed} speed goals missed" if missed else ""))
    return "\n".join(lines)


def rich_summary(items_by_section: dict):
    """The terminal summary: one line a row, the columns that fit a terminal."""
    from rich.table import Table as RichTable

    table = RichTable(title="mlcanon report", show_lines=False, expand=True)
    table.add_column("section", no_wrap=True)
    table.add_column("topic", ratio=3, overflow="fold")
    for h in ("ours", "reference", "difference"):  # a number is never split over two lines
        table.add_column(h, ratio=1, no_wrap=True, overflow="ellipsis", justify="right")
    table.add_column("status", no_wrap=True)
    styles = {"pass": "green", "FAIL": "bold red", "goal met": "green", "goal missed": "yellow", "info": "dim"}
    for section in SECTIONS:
        for r in items_by_section.get(section.key, []):
            if isinstance(r, Row):
                topic, ours, ref, _, diff, _, status = row_cells(r)
                table.add_row(section.zh, topic, ours, ref, diff, f"[{styles[r.status]}]{status}[/]")
    return table


def _meta_line(meta: dict) -> str:
    return " · ".join(f"{k}: {v}" for k, v in meta.items())
