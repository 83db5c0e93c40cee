"""Writers of the report: Markdown (``report.md`` + PNG files), self-contained HTML (``index.html``,
plots embedded as base64 PNG) and the summary for the terminal.

Both files read the same way: what was run (machine, versions, time), the totals per section, a table
of contents in the notes' order, then one block per topic (a check: its Chinese and English name, one
sentence on what it is, its key figures, plots, prose and tables, the full rows collapsed). Prose is
Markdown rendered with markdown-it-py; numbers are written for people (``fmt``): 3-4 significant
digits, seconds as ``12.3 ms`` / ``1.24 s``, ratios as ``0.63×``, tiny differences as ``2.2e-16``.
"""

from __future__ import annotations

import base64
import html
import math
import numbers
import re
from pathlib import Path

from markdown_it import MarkdownIt

from mlcanon.report import core
from mlcanon.report.core import Figure, Note, Row, Table
from mlcanon.report.sections import SECTIONS

ROW_HEADERS = ["topic", "ours", "reference", "reference library", "difference", "tolerance", "status"]

# Chinese text falls back to a CJK font wherever one is installed (Debian: fonts-noto-cjk), never to boxes.
CJK_FONTS = '"Noto Sans CJK SC", "WenQuanYi Zen Hei", "PingFang SC", "Microsoft YaHei"'
FONT_STACK = f'system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", {CJK_FONTS}, sans-serif'

_MD = MarkdownIt("commonmark", {"html": False}).enable("table")  # raw HTML in prose is escaped, not passed on


# ---------------------------------------------------------------------------------------------- numbers


def fmt(x) -> str:
    """A number for people: integers with thousands separators, reals with 4 significant digits,
    tiny or huge ones as ``2.2e-16``; anything else as its ``str``."""
    if x is None:
        return ""
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        return str(x)
    if isinstance(x, numbers.Integral):
        return f"{int(x):,}"
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "∞" if x > 0 else "−∞"
    if x == 0:
        return "0"
    if abs(x) < 1e-3 or abs(x) >= 1e9:
        return _scientific(x)
    text = f"{x:.4g}"
    return f"{x:,.0f}" if "e" in text or abs(x) >= 1e4 else text


def _scientific(x: float) -> str:
    mantissa, exponent = f"{x:.1e}".split("e")
    return f"{mantissa.removesuffix('.0')}e{int(exponent)}"


def fmt_seconds(s) -> str:
    """A duration: ``45 µs``, ``12.3 ms``, ``1.24 s``, ``3 min 20 s``."""
    if not isinstance(s, numbers.Real) or isinstance(s, bool):
        return fmt(s)
    s = float(s)
    if s < 1e-3:
        return f"{s * 1e6:.3g} µs"
    if s < 1:
        return f"{s * 1e3:.3g} ms"
    if s < 120:
        return f"{s:.3g} s"
    return f"{int(s // 60)} min {s % 60:.0f} s"


def fmt_ratio(r) -> str:
    """A speed ratio ours/reference: ``0.63×``."""
    if not isinstance(r, numbers.Real):
        return fmt(r)
    return "∞×" if math.isinf(r) else (f"{r:.2f}×" if r < 100 else f"{r:,.0f}×")


def row_cells(row: Row) -> list[str]:
    """The row as the seven text cells of ``ROW_HEADERS``."""
    diff = row.diff
    if row.kind == "speed":
        ours, ref = fmt_seconds(row.ours), fmt_seconds(row.reference)
        diff_s = fmt_ratio(diff) if diff is not None else ""
        tol_s = "" if row.tolerance is None else f"≤ {fmt_ratio(row.tolerance)}"
    else:
        ours, ref = fmt(row.ours), fmt(row.reference)
        diff_s = fmt(diff)
        if row.kind == "quality" and diff is not None and diff > 0:
            diff_s = "+" + diff_s
        tol_s = fmt(row.tolerance)
    topic = row.topic + (f" ({row.note})" if row.note else "")
    return [topic, ours, ref, row.reference_name, diff_s, tol_s, row.status]


# ---------------------------------------------------------------------------------------------- totals


def totals(rows: list[Row]) -> dict[str, int]:
    """rows, pass (speed goals met included), fail, info, and speed goals missed (never a failure)."""
    fails = sum(r.counts_as_failure for r in rows)
    info = sum(r.status == "info" for r in rows)
    missed = sum(r.status == "goal missed" for r in rows)
    return {"rows": len(rows), "pass": len(rows) - fails - info - missed, "fail": fails, "info": info,
            "missed": missed}


def totals_text(t: dict[str, int]) -> str:
    return (f"{t['rows']} rows, {t['pass']} pass, {t['fail']} fail, {t['info']} info"
            + (f", {t['missed']} speed goals missed" if t["missed"] else ""))


def _rows(items) -> list[Row]:
    return [i for i in items if isinstance(i, Row)]


def _present(items_by_section: dict):
    return [s for s in SECTIONS if s.key in items_by_section]


def section_totals(items_by_section: dict) -> str:
    """One line a section: rows, passed, failed, information (what a log file gets instead of the table)."""
    return "\n".join(f"{s.zh} {s.en}: {totals_text(totals(_rows(items_by_section[s.key])))}"
                     for s in _present(items_by_section))


def page_title(items_by_section: dict) -> str:
    """The HTML page's title: the run's totals over every section it ran."""
    rows = [r for items in items_by_section.values() for r in _rows(items)]
    return f"mlcanon report — {totals_text(totals(rows))}"


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
        for r in _rows(items_by_section.get(section.key, [])):
            topic, ours, ref, _, diff, _, status = row_cells(r)
            table.add_row(section.zh, topic, ours, ref, diff, f"[{styles[r.status]}]{status}[/]")
    return table


# ---------------------------------------------------------------------------------------------- topics


def blocks(items: list) -> list[tuple[str, list]]:
    """The section's items grouped into topic blocks: consecutive items of the same check, in run order."""
    out: list[tuple[str, list]] = []
    for item in items:
        title = getattr(item, "check", "")
        if out and out[-1][0] == title:
            out[-1][1].append(item)
        else:
            out.append((title, [item]))
    return out


def key_rows(rows: list[Row], limit: int = 5) -> list[Row]:
    """The few rows a reader looks at first: failures, speed and quality figures, then the parity row
    closest to its tolerance (the worst case of the topic)."""
    picked = [r for r in rows if r.counts_as_failure]
    picked += [r for r in rows if r.kind in ("speed", "quality") and r not in picked]
    parity = [r for r in rows if r.kind == "parity" and r.passed is not None and r not in picked]
    if parity:
        picked.append(max(parity, key=_closeness))
    if not picked:
        picked = rows[:2]
    return picked[:limit]


def _closeness(r: Row) -> float:
    d, tol = r.diff, r.tolerance
    if d is None or tol is None:
        return -1.0
    return d / tol if tol > 0 else (math.inf if d > 0 else 0.0)


def split_title(title: str) -> tuple[str, str]:
    """A topic's Chinese and English names: ``"熵与互信息 entropy and MI"`` -> ``("熵与互信息", "entropy and MI")``."""
    zh = " ".join(_CJK.findall(title))
    en = _CJK.sub(" ", title)
    en = re.sub(r"\s+", " ", en).strip(" —-·:")
    return zh, en


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "topic"


def _topic_ids(items_by_section: dict) -> dict[tuple[str, int], str]:
    """A unique HTML id for every topic block: ``foundations-2-entropy-and-mutual-information``."""
    ids = {}
    for section in _present(items_by_section):
        for n, (title, _) in enumerate(blocks(items_by_section[section.key]), start=1):
            ids[section.key, n] = f"{section.key}-{n}-{_slug(split_title(title)[1] or title)}"
    return ids


# ---------------------------------------------------------------------------------------------- Markdown


def write_markdown(items_by_section: dict, out: Path, meta: dict) -> Path:
    fig_dir = out / "figures"
    fig_dir.mkdir(parents=True, exist_ok=True)
    lines = ["# mlcanon report", ""] + [f"- **{k}**: {v}" for k, v in meta.items()] + [""]
    lines += ["| section | rows | pass | fail | info |", "|---|---|---|---|---|"]
    for s in _present(items_by_section):
        t = totals(_rows(items_by_section[s.key]))
        lines.append(f"| {s.heading} | {t['rows']} | {t['pass']} | {t['fail']} | {t['info']} |")
    lines.append("")
    n_fig = 0
    for section in _present(items_by_section):
        lines += [f"## {section.heading}", ""]
        items = items_by_section[section.key]
        if not items:
            lines += ["_Nothing in this section yet._", ""]
        for title, block in blocks(items):
            if title:
                lines += [f"### {title}", ""]
                if core.about(title):
                    lines += [core.about(title), ""]
            rows = _rows(block)
            if rows:
                lines += ["| " + " | ".join(ROW_HEADERS) + " |", "|" + "---|" * len(ROW_HEADERS)]
                lines += ["| " + " | ".join(_md_cell(c) for c in row_cells(r)) + " |" for r in rows]
                lines.append("")
            for item in block:
                if isinstance(item, Figure):
                    n_fig += 1
                    name = f"{n_fig:02d}-{_slug(item.title)}.png"
                    (fig_dir / name).write_bytes(item.png)
                    lines += [f"![{item.title}](figures/{name})", "", f"*{item.title}*"
                              + (f" — {item.caption}" if item.caption else ""), ""]
                elif isinstance(item, Table):
                    lines += [f"**{item.title}**", "", "| " + " | ".join(map(_md_cell, item.headers)) + " |"]
                    lines.append("|" + "---|" * len(item.headers))
                    lines += ["| " + " | ".join(_md_cell(fmt(c)) for c in r) + " |" for r in item.rows]
                    lines.append("")
                elif isinstance(item, Note):
                    lines += [item.text, ""]
    path = out / "report.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def _md_cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


# ---------------------------------------------------------------------------------------------- HTML

_CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]+")
_TAG = re.compile(r"(<[^>]*>)")

_CSS = f"""
:root{{--ok:#1a7f37;--bad:#cf222e;--warn:#9a6700;--muted:#57606a;--line:#d0d7de;--soft:#f6f8fa}}
body{{font-family:{FONT_STACK};line-height:1.5;max-width:1100px;margin:2em auto;padding:0 1em;color:#1f2328}}
:lang(zh){{font-family:{CJK_FONTS},{FONT_STACK}}}
h1{{margin-bottom:.2em}} h2{{border-bottom:2px solid var(--line);padding-bottom:.2em;margin-top:2.5em}}
h3{{margin:0 0 .3em}} a{{color:#0969da;text-decoration:none}} a:hover{{text-decoration:underline}}
code,pre{{font-family:ui-monospace,"SFMono-Regular",Menlo,Consolas,monospace;font-size:90%;background:var(--soft)}}
pre{{padding:.6em;overflow-x:auto}}
dl.meta{{display:grid;grid-template-columns:max-content 1fr;gap:.1em 1em;color:var(--muted);font-size:14px}}
dl.meta dt{{font-weight:600}} dl.meta dd{{margin:0}}
table{{border-collapse:collapse;margin:.6em 0;font-size:14px}}
td,th{{border:1px solid var(--line);padding:3px 8px;vertical-align:top;text-align:left}}
th{{background:var(--soft)}} td.num{{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}}
table.summary td.num{{min-width:3em}} table.summary tr.total td{{font-weight:600;background:var(--soft)}}
nav.toc ol{{margin:.2em 0}} nav.toc>ol>li{{margin-top:.4em}} nav.toc li li{{font-size:14px}}
article.topic{{border:1px solid var(--line);border-radius:6px;padding:1em 1.2em;margin:1.2em 0}}
p.about{{margin:.2em 0 .6em}} p.counts{{color:var(--muted);font-size:14px;margin:.2em 0}}
.status{{display:inline-block;border-radius:1em;padding:0 .6em;font-size:12px;font-weight:600;white-space:nowrap}}
.status.pass,.status.goal-met{{background:#dafbe1;color:var(--ok)}}
.status.fail{{background:#ffebe9;color:var(--bad)}} .status.goal-missed{{background:#fff8c5;color:var(--warn)}}
.status.info{{background:#ddf4ff;color:#0550ae;font-weight:400}}
tr.info td{{color:var(--muted);background:#fbfcfd}} tr.fail td{{background:#fff5f5}}
.rownote{{color:var(--muted);font-size:12px}}
figure{{margin:1em 0}} figure img{{max-width:100%;height:auto;display:block}}
figcaption{{color:var(--muted);font-size:14px;margin-top:.3em}}
details{{margin:.6em 0}} summary{{cursor:pointer;color:var(--muted)}}
.legend{{color:var(--muted);font-size:13px}}
"""

_STATUS_CSS = {"pass": "pass", "FAIL": "fail", "goal met": "goal-met", "goal missed": "goal-missed", "info": "info"}


def _e(text) -> str:
    return html.escape(str(text), quote=True)


def _inline(text) -> str:
    """One line of Markdown (`code`, **bold**, links) as HTML."""
    return _MD.renderInline(str(text))


def _zh(fragment: str) -> str:
    """Mark every run of Chinese characters outside tags with ``lang="zh"`` (the browser then picks a CJK font)."""
    parts = _TAG.split(fragment)
    return "".join(p if p.startswith("<") else _CJK.sub(lambda m: f'<span lang="zh">{m.group(0)}</span>', p)
                   for p in parts)


def _rows_table(rows: list[Row], css: str) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in ROW_HEADERS)
    body = []
    for r in rows:
        _, ours, ref, lib, diff, tol, status = row_cells(r)
        klass = _STATUS_CSS[r.status]
        note = f"<div class='rownote'>{_inline(r.note)}</div>" if r.note else ""
        cells = [f"<td>{_inline(r.topic)}{note}</td>", *(f"<td class='num'>{_e(c)}</td>" for c in (ours, ref)),
                 f"<td>{_inline(lib)}</td>", *(f"<td class='num'>{_e(c)}</td>" for c in (diff, tol)),
                 f"<td><span class='status {klass}'>{_e(status)}</span></td>"]
        body.append(f"<tr class='{klass}'>" + "".join(cells) + "</tr>")
    return f"<table class='{css}'><thead><tr>{head}</tr></thead><tbody>" + "".join(body) + "</tbody></table>"


def _free_table(t: Table) -> str:
    head = "".join(f"<th>{_inline(h)}</th>" for h in t.headers)
    body = "".join("<tr>" + "".join(
        f"<td class='num'>{_e(fmt(c))}</td>" if isinstance(c, numbers.Real) and not isinstance(c, bool)
        else f"<td>{_inline(fmt(c))}</td>" for c in r) + "</tr>" for r in t.rows)
    table = f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    if len(t.rows) > 12:  # a long table stays out of the way until asked for
        return f"<details><summary><strong>{_inline(t.title)}</strong> ({len(t.rows)} rows)</summary>{table}</details>"
    return f"<p><strong>{_inline(t.title)}</strong></p>{table}"


def _counts_line(rows: list[Row]) -> str:
    if not rows:
        return ""
    t = totals(rows)
    parts = [f"{t['rows']} rows", f"{t['pass']} pass"]
    parts += [f"{t[k]} {name}" for k, name in (("fail", "fail"), ("info", "information only"),
                                                ("missed", "speed goals missed")) if t[k]]
    return f"<p class='counts'>{_e(', '.join(parts))}</p>"


def _topic_html(title: str, items: list, topic_id: str) -> str:
    rows = _rows(items)
    parts = [f"<article class='topic' id='{topic_id}'>"]
    if title:  # the notes' name of the topic, Chinese and English (the Chinese marked lang="zh" by _zh)
        parts.append(f"<h3>{_e(title)}</h3>")
        if core.about(title):
            parts.append(f"<p class='about'>{_inline(core.about(title))}</p>")
    parts.append(_counts_line(rows))
    key = key_rows(rows)
    if key:
        parts.append(_rows_table(key, "key"))
    for item in items:
        if isinstance(item, Figure):
            b64 = base64.b64encode(item.png).decode()
            caption = f"<strong>{_inline(item.title)}</strong>"
            caption += f" — {_inline(item.caption)}" if item.caption else ""
            parts.append(f"<figure><img alt='{_e(item.title)}' src='data:image/png;base64,{b64}'>"
                         f"<figcaption>{caption}</figcaption></figure>")
        elif isinstance(item, Table):
            parts.append(_free_table(item))
        elif isinstance(item, Note):
            parts.append(f"<div class='prose'>{_MD.render(item.text)}</div>")
    if rows:
        parts.append(f"<details class='rows'><summary>All {len(rows)} rows of this topic</summary>"
                     f"{_rows_table(rows, 'detail')}</details>")
    parts.append("</article>")
    return "\n".join(parts)


def _summary_html(items_by_section: dict) -> str:
    head = "<tr><th>section</th>" + "".join(f"<th>{h}</th>" for h in ("rows", "pass", "fail", "info",
                                                                     "speed goals missed")) + "</tr>"
    body, every = [], []
    for s in _present(items_by_section):
        rows = _rows(items_by_section[s.key])
        every += rows
        t = totals(rows)
        body.append(f"<tr data-section='{s.key}'><td><a href='#{s.key}'>{_e(s.heading)}</a></td>"
                    + "".join(f"<td class='num' data-k='{k}'>{t[k]}</td>" for k in ("rows", "pass", "fail", "info",
                                                                                   "missed")) + "</tr>")
    t = totals(every)
    body.append("<tr class='total' data-section='all'><td>all sections</td>"
                + "".join(f"<td class='num' data-k='{k}'>{t[k]}</td>" for k in ("rows", "pass", "fail", "info",
                                                                               "missed")) + "</tr>")
    legend = ("<p class='legend'><span class='status pass'>pass</span> within tolerance of the reference · "
              "<span class='status fail'>FAIL</span> outside it · <span class='status info'>info</span> "
              "a figure shown for information, not a check · <span class='status goal-missed'>goal missed</span> "
              "a speed goal (timings depend on the machine; never counted as a failure)</p>")
    return f"<table class='summary' id='summary'><thead>{head}</thead><tbody>{''.join(body)}</tbody></table>{legend}"


def _toc_html(items_by_section: dict, ids: dict) -> str:
    out = ["<nav class='toc' id='contents'><h2>Contents</h2><ol>"]
    for s in _present(items_by_section):
        out.append(f"<li><a href='#{s.key}'>{_e(s.heading)}</a>")
        topics = [(n, title) for n, (title, _) in enumerate(blocks(items_by_section[s.key]), start=1) if title]
        if topics:
            out.append("<ol>" + "".join(f"<li><a href='#{ids[s.key, n]}'>{_e(title)}</a></li>" for n, title in topics)
                       + "</ol>")
        out.append("</li>")
    out.append("</ol></nav>")
    return "".join(out)


def write_html(items_by_section: dict, out: Path, meta: dict) -> Path:
    ids = _topic_ids(items_by_section)
    body = ["<header><h1>mlcanon report</h1>",
            ("<p>Each algorithm of the canon run on bundled real data beside the library people use; a row passes "
             "when our figure equals the reference's within the stated tolerance.</p>"),
            "<dl class='meta'>" + "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in meta.items()) + "</dl>",
            "</header>", _summary_html(items_by_section), _toc_html(items_by_section, ids)]
    for section in _present(items_by_section):
        items = items_by_section[section.key]
        body.append(f"<section id='{section.key}'><h2>{_e(section.heading)}</h2>")
        rows = _rows(items)
        if rows:
            body.append(f"<p class='counts'>{_e(totals_text(totals(rows)))} · <a href='#contents'>contents</a></p>")
        if not items:
            body.append("<p><em>Nothing in this section yet.</em></p>")
        for n, (title, block) in enumerate(blocks(items), start=1):
            body.append(_topic_html(title, block, ids[section.key, n]))
        body.append("</section>")
    page = ("<!doctype html>\n<html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>{_e(page_title(items_by_section))}</title><link rel='icon' href='data:,'>"
            f"<style>{_CSS}</style></head>\n<body>\n" + _zh("\n".join(body)) + "\n</body></html>\n")
    path = out / "index.html"
    path.write_text(page, encoding="utf-8")
    return path


__all__ = ["fmt", "fmt_seconds", "fmt_ratio", "row_cells", "totals", "section_totals", "page_title", "rich_summary",
           "write_markdown", "write_html"]
