"""The ``mlcanon`` command. Thin: it parses arguments, then calls :mod:`mlcanon.report`,
:mod:`mlcanon.tasks` or the library."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import contextlib
import json
import sys
import warnings

import typer
from rich.console import Console

import mlcanon

app = typer.Typer(
    name="mlcanon",
    help="mlcanon: the canon of machine learning, executable, checked against the libraries practitioners use.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()


def _version(value: bool) -> None:
    if value:
        console.print(f"mlcanon {mlcanon.__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        Optional[bool], typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = None,
) -> None:
    """mlcanon: the canon of machine learning, executable."""


@app.command()
def report(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for index.html, report.md and figures.")] = Path("report"),
    only: Annotated[
        Optional[list[str]],
        typer.Option("--only", help="Run only this section (key, Chinese or English name); repeatable."),
    ] = None,
    full: Annotated[bool, typer.Option("--full", help="Bigger inputs and more repeats (slower).")] = False,
) -> None:
    """Run the canon on bundled data beside the reference libraries and write the report."""
    from mlcanon.report import run_report

    try:
        _, failures = run_report(out=out, only=only, full=full, console=console)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--only") from None
    raise typer.Exit(code=1 if failures else 0)


@app.command("conv-size")
def conv_size(
    input: Annotated[str, typer.Option("--input", help="Input size, e.g. 224 or 224,224.")],
    kernel: Annotated[str, typer.Option("--kernel", help="Kernel size, e.g. 7 or 3,5.")],
    stride: Annotated[str, typer.Option("--stride", help="Stride.")] = "1",
    padding: Annotated[str, typer.Option("--padding", help="Zero padding on each side.")] = "0",
    dilation: Annotated[str, typer.Option("--dilation", help="Dilation.")] = "1",
    output_padding: Annotated[str, typer.Option("--output-padding", help="Extra size for transposed conv.")] = "0",
    transposed: Annotated[bool, typer.Option("--transposed", help="Transposed convolution.")] = False,
    ceil_mode: Annotated[bool, typer.Option("--ceil-mode", help="Pooling with ceil instead of floor.")] = False,
) -> None:
    """Output size of a convolution or pooling layer, with the formula filled in."""
    from mlcanon.nn.shapes import explain_conv_output_size

    def parse(text: str, name: str):
        try:
            values = tuple(int(v) for v in text.split(","))
        except ValueError:
            raise typer.BadParameter(f"expected an int or comma-separated ints, got {text!r}", param_hint=name) from None
        return values[0] if len(values) == 1 else values

    try:
        text = explain_conv_output_size(
            parse(input, "--input"),
            parse(kernel, "--kernel"),
            stride=parse(stride, "--stride"),
            padding=parse(padding, "--padding"),
            dilation=parse(dilation, "--dilation"),
            output_padding=parse(output_padding, "--output-padding"),
            transposed=transposed,
            ceil_mode=ceil_mode,
        )
    except (ValueError, TypeError) as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(code=2) from None
    console.print(text, highlight=False)


# -- the task contract: ``mlcanon TASK train|evaluate|predict`` (one sub-app a task) -----------------------

def _say(text: str) -> None:
    """One line on stderr, never folded (a log reader greps it)."""
    print(" ".join(str(text).split()), file=sys.stderr, flush=True)


@contextlib.contextmanager
def _user_errors():
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


def _train_args(**kw):
    from mlcanon.tasks.contract import TrainArgs

    return TrainArgs(**kw)


def _print_metrics(metrics: dict, as_json: bool, title: str) -> None:
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


def _print_summary(out: Path, summary: dict) -> None:
    shown = ", ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in summary.items())
    print(f"saved {out}: {shown}", flush=True)


def _read_lines(path: Optional[Path]):
    if path is None:
        return sys.stdin.readlines()
    from mlcanon.tasks.contract import check_file

    return check_file(path, "--input").read_text(encoding="utf-8").splitlines()


textcls_app = typer.Typer(help="Text classification: TREC, SST-2, ChnSentiCorp or a label<TAB>text file.",
                          no_args_is_help=True)
app.add_typer(textcls_app, name="textcls")


@textcls_app.command("train")
def textcls_train(model: ModelName, out: OutDir, data: DataName = None, train: TrainFile = None, dev: DevFile = None,
                  epochs: Epochs = None, seed: Seed = 0, lr: Lr = None, batch_size: BatchSize = None,
                  limit: Limit = None, resume: Resume = False, checkpoint_every: CheckpointEvery = None) -> None:
    """Train a text classifier (models: textcnn)."""
    with _user_errors():
        from mlcanon.tasks import textcls

        summary = textcls.train(_train_args(model=model, out=out, data=data, train=train, dev=dev, epochs=epochs,
                                            seed=seed, lr=lr, batch_size=batch_size, limit=limit, resume=resume,
                                            checkpoint_every=checkpoint_every))
    from mlcanon.training import is_main_process

    if is_main_process():
        _print_summary(out, summary)


@textcls_app.command("evaluate")
def textcls_evaluate(model: ModelName, data: DataName = None, test: TestFile = None, split: Split = "test",
                     as_json: AsJson = False) -> None:
    """Score a trained classifier: accuracy, macro-F1, per-class P/R/F1."""
    with _user_errors():
        from mlcanon.tasks import textcls

        metrics = textcls.evaluate(model, data=data, test=test, split=split)
    _print_metrics(metrics, as_json, f"textcls {model}")


@textcls_app.command("predict")
def textcls_predict(model: ModelName, input: InputFile = None,
                    top_k: Annotated[int, typer.Option("--top-k", min=1, help="The k best labels.")] = 1) -> None:
    """Label one text a line: label<TAB>probability (k pairs with --top-k)."""
    with _user_errors():
        from mlcanon.tasks import textcls

        for line in textcls.predict(model, _read_lines(input), top_k=top_k):
            sys.stdout.write(line + "\n")


if __name__ == "__main__":  # pragma: no cover
    app()
