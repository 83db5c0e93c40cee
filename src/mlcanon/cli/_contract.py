"""The options and the error handling every ``mlcanon TASK`` sub-app shares (the task CLI contract).

    mlcanon TASK train    --model NAME (--data BUNDLED_NAME | --train FILE [--dev FILE]) --out DIR
                          [--epochs N] [--seed S] [--lr X] [--batch-size B] [--limit N] [--resume]
    mlcanon TASK evaluate --model DIR (--data BUNDLED_NAME | --test FILE) [--split dev] [--json]
    mlcanon TASK predict  --model DIR [--input FILE]          # stdin when no --input

Bad input ends in one line on stderr and exit code 2 (:func:`user_errors`).
"""

from __future__ import annotations

import contextlib
import json
import sys
import warnings
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

console = Console()


def _say(text: str) -> None:
    """One line on stderr, never folded (a log reader greps it)."""
    print(" ".join(str(text).split()), file=sys.stderr, flush=True)


@contextlib.contextmanager
def user_errors():
    """Bad input ends in one line on stderr and exit code 2, never a traceback; warnings are one line each."""

    def one_line_warning(message, category, filename, lineno, file=None, line=None):
        _say(f"warning: {message}")

    previous = warnings.showwarning
    warnings.showwarning = one_line_warning
    try:
        yield
    except (ValueError, TypeError, OSError) as exc:  # FormatError is a ValueError; missing files are OSErrors
        _say(f"error: {exc}")
        raise typer.Exit(code=2) from None
    finally:
        warnings.showwarning = previous


ModelName = Annotated[str, typer.Option("--model", help="Model name (train) or trained model folder.")]
DataName = Annotated[Optional[str], typer.Option("--data", help="Bundled data set name.")]
TrainFile = Annotated[Optional[Path], typer.Option("--train", help="Training file (instead of --data).")]
DevFile = Annotated[Optional[Path], typer.Option("--dev", help="Dev file for model selection (with --train).")]
OutDir = Annotated[Path, typer.Option("--out", help="Folder for the trained model, log and checkpoint.")]
Epochs = Annotated[Optional[int], typer.Option("--epochs", min=1, help="Epochs (default: the model's).")]
Seed = Annotated[int, typer.Option("--seed", min=0, help="Seed of every random number generator.")]
Lr = Annotated[Optional[float], typer.Option("--lr", min=0, help="Peak learning rate (default: the model's).")]
BatchSize = Annotated[Optional[int], typer.Option("--batch-size", min=1, help="Global batch size (split over processes).")]
Limit = Annotated[Optional[int], typer.Option("--limit", min=1, help="Train on the first N training examples.")]
Resume = Annotated[bool, typer.Option("--resume", help="Continue the run in --out from its last checkpoint.")]
CheckpointEvery = Annotated[Optional[int], typer.Option("--checkpoint-every", min=1, help="Also checkpoint every N steps.")]
TestFile = Annotated[Optional[Path], typer.Option("--test", help="Test file (instead of --data).")]
Split = Annotated[str, typer.Option("--split", help="Split of --data to score: test or dev.")]
AsJson = Annotated[bool, typer.Option("--json", help="Print one JSON object instead of a table.")]
InputFile = Annotated[Optional[Path], typer.Option("--input", help="Input file (default: stdin).")]


def train_args(**kw):
    from mlcanon.tasks.contract import TrainArgs

    return TrainArgs(**kw)


def print_metrics(metrics: dict, as_json: bool, title: str) -> None:
    if as_json:
        sys.stdout.write(json.dumps(metrics, ensure_ascii=False) + "\n")
        return
    from rich.table import Table

    table = Table(title=title)
    table.add_column("metric")
    table.add_column("value", justify="right")
    for k, v in metrics.items():
        if not isinstance(v, dict):
            table.add_row(k, f"{v:.4f}" if isinstance(v, float) else str(v))
    console.print(table)
    per_class = metrics.get("per_class")
    if per_class:
        detail = Table(title="per class")
        for c in ("label", "precision", "recall", "f1", "support"):
            detail.add_column(c, justify="left" if c == "label" else "right")
        for name, m in per_class.items():
            detail.add_row(name, *(f"{m[c]:.4f}" for c in ("precision", "recall", "f1")), str(m["support"]))
        console.print(detail)


def print_summary(out: Path, summary: dict) -> None:
    """One line after training, on the main process only (under torchrun every process returns)."""
    from mlcanon.training import is_main_process

    if not is_main_process():
        return
    shown = ", ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in summary.items())
    print(f"saved {out}: {shown}", flush=True)


def read_lines(path: Optional[Path]):
    if path is None:
        return sys.stdin.readlines()
    from mlcanon.tasks.contract import check_file

    return check_file(path, "--input").read_text(encoding="utf-8").splitlines()


