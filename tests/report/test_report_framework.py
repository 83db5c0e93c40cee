"""The report framework: rows judge themselves, a broken check becomes a failed row, both writers
produce the sections in the notes' order, and the CLI runs one section with --only."""

import base64
import io

import pytest
from typer.testing import CliRunner

from mlcanon.cli import app
from mlcanon.report import render
from mlcanon.report.core import Check, Context, Figure, Note, Row, Table
from mlcanon.report.runner import _run_one, section_keys
from mlcanon.report.sections import SECTIONS


def test_parity_row_passes_within_tolerance_only():
    assert Row("t", 1.0, 1.0 + 1e-13, "ref", tolerance=1e-12).passed is True
    bad = Row("t", 1.0, 1.1, "ref", tolerance=1e-12)
    assert bad.passed is False and bad.counts_as_failure and bad.status == "FAIL"
    assert bad.diff == pytest.approx(0.1)


def test_speed_row_is_a_ratio_and_never_a_parity_failure():
    slow = Row("fit", 3.0, 1.0, "sklearn", tolerance=1.0, kind="speed")
    assert slow.diff == 3.0 and slow.passed is False and not slow.counts_as_failure
    assert slow.status == "goal missed"
    assert render.row_cells(slow)[1:5] == ["3 s", "1 s", "sklearn", "3.00×"]


def test_quality_row_passes_when_not_worse_than_reference_minus_tolerance():
    assert Row("F1", 0.84, 0.845, "crfsuite", tolerance=0.005, kind="quality").passed is True
    assert Row("F1", 0.83, 0.845, "crfsuite", tolerance=0.005, kind="quality").passed is False


def test_explicit_pass_for_non_numeric_rows():
    r = Row("Viterbi path", "identical", "identical", "hmmlearn", passed=True)
    assert r.diff is None and r.status == "pass"


def test_a_check_that_raises_becomes_a_failed_row():
    def broken(ctx):
        raise RuntimeError("boom")

    from rich.console import Console

    items = _run_one(Check("broken", broken, "mlcanon.report.foundations.x"), Context(), Console(file=io.StringIO()))
    assert len(items) == 1 and items[0].counts_as_failure and "RuntimeError: boom" in items[0].note


def test_section_selection_by_key_chinese_or_english_any_case_and_comma_lists():
    assert section_keys(None) == [s.key for s in SECTIONS]
    assert section_keys(["基础", "questions"]) == ["foundations", "questions"]
    assert section_keys(["Questions,FOUNDATIONS", " classic algorithms "]) == ["foundations", "classic", "questions"]
    with pytest.raises(ValueError, match="--only: expected sections among .*got 'nope'"):
        section_keys(["nope"])


def test_writers_render_every_kind_of_item(tmp_path):
    png = base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
    )
    items = {
        "foundations": [
            Row("熵 entropy", 1.0, 1.0, "scipy", tolerance=1e-12, section="foundations"),
            Figure("a plot", png, "caption", section="foundations"),
            Table("top words", ["topic", "words"], [[0, "a b c"]], section="foundations"),
            Note("**answer**", section="foundations"),
        ],
        "multimodal": [],
    }
    md = render.write_markdown(items, tmp_path, {"mode": "test"}).read_text()
    page = render.write_html(items, tmp_path, {"mode": "test"}).read_text()
    assert "## 基础 — Foundations" in md and "## 多模态 — Multimodal" in md
    assert "| 熵 entropy | 1 | 1 | scipy | 0 | 1e-12 | pass |" in md
    assert (tmp_path / "figures" / "01-a-plot.png").read_bytes() == png
    assert "data:image/png;base64," in page
    assert "<section id='foundations'><h2><span lang=\"zh\">基础</span> — Foundations</h2>" in page
    assert md.index("基础") < md.index("多模态")


def test_cli_report_only_one_section_writes_both_files(tmp_path):
    result = CliRunner().invoke(app, ["report", "--only", "multimodal", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "index.html").exists() and (tmp_path / "report.md").exists()
    assert "多模态 — Multimodal" in (tmp_path / "report.md").read_text()


def test_cli_report_rejects_unknown_section_once(tmp_path):
    result = CliRunner().invoke(app, ["report", "--only", "nope", "--out", str(tmp_path)])
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.count("expected sections among") == 1 and len(result.stderr.strip().splitlines()) == 1


def test_cli_report_checks_the_out_path_before_running(tmp_path):
    target = tmp_path / "a-file"
    target.write_text("")
    result = CliRunner().invoke(app, ["report", "--only", "multimodal", "--out", str(target)])
    assert result.exit_code == 2 and "--out: " in result.stderr and "is a file" in result.stderr
    assert "Traceback" not in result.output


def test_cli_report_in_a_pipe_prints_totals_not_the_table(tmp_path):
    result = CliRunner().invoke(app, ["report", "--only", "tasks", "--out", str(tmp_path)])  # not a terminal
    assert "实战任务 Tasks: " in result.stdout and "rows, " in result.stdout and "┃" not in result.stdout


def test_cli_help_shows_no_python_types():
    out = CliRunner().invoke(app, ["report", "--help"]).output
    assert "<bool>" not in out and "<list[str]>" not in out and "<str>" not in out
    assert "foundations (基础)" in out and "--verbose" in out


def test_cli_version_and_help():
    import mlcanon

    runner = CliRunner()
    assert runner.invoke(app, ["--version"]).output.strip() == f"mlcanon {mlcanon.__version__}"
    out = runner.invoke(app, ["--help"]).output
    assert "report" in out and "conv-size" in out


def test_no_third_party_deprecation_warning_from_the_bayesnet_check():
    import subprocess
    import sys

    code = "import warnings; warnings.simplefilter('default'); import mlcanon.report.classic.bayesnet as b; b._pgmpy_imports()"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "FutureWarning" not in done.stderr and "DeprecationWarning" not in done.stderr
