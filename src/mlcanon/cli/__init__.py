"""The ``mlcanon`` command. Thin: it parses arguments, then calls :mod:`mlcanon.report`,
:mod:`mlcanon.tasks` or the library. A package rather than one file: one module a task's sub-app
(``mlcanon TASK train|evaluate|predict``), all built from the options of :mod:`mlcanon.cli._contract`."""

from __future__ import annotations

import re as _regex  # not `re`: the sub-app module mlcanon.cli.re would shadow it
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

import mlcanon

app = typer.Typer(
    name="mlcanon",
    help="mlcanon: the canon of machine learning, executable, checked against the libraries practitioners use.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain click help: no "<bool>"/"<list[str]>" type column, flags show no metavar
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


def _section_help() -> str:
    from mlcanon.report.sections import SECTIONS

    names = ", ".join(f"{x.key} ({x.zh})" for x in SECTIONS)
    return f"Run only these sections, any case, comma-separated or repeated: {names}."


@app.command()
def report(
    out: Annotated[Path, typer.Option("--out", "-o", metavar="DIR",
                                      help="Folder for index.html, report.md and figures.")] = Path("report"),
    only: Annotated[Optional[list[str]], typer.Option("--only", metavar="SECTIONS", help=_section_help())] = None,
    full: Annotated[bool, typer.Option("--full", help="Bigger inputs and more repeats (slower).")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", help="Print every row (the default on a terminal).")] = False,
) -> None:
    """Run the canon on bundled data beside the reference libraries and write the report."""
    from mlcanon.report import run_report
    from mlcanon.report.runner import check_out, section_keys

    try:
        keys = section_keys(only)
        check_out(out)
    except (ValueError, OSError) as exc:
        _say(f"error: {exc}")
        raise typer.Exit(code=2) from None
    _, failures = run_report(out=out, only=keys, full=full, console=console, verbose=verbose)
    raise typer.Exit(code=1 if failures else 0)


def _say(text: str) -> None:
    print(" ".join(str(text).split()), file=sys.stderr, flush=True)


_CONV_FLAGS = {"input_size": "--input", "kernel_size": "--kernel", "stride": "--stride", "padding": "--padding",
               "dilation": "--dilation", "output_padding": "--output-padding"}


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
            _say(f"error: {name}: expected an int or comma-separated ints, got {text!r}")
            raise typer.Exit(code=2) from None
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
    except (ValueError, TypeError) as exc:  # name the flags the user typed, not the Python parameters
        message = _regex.sub(r"\b(" + "|".join(_CONV_FLAGS) + r")\b", lambda m: _CONV_FLAGS[m.group(1)], str(exc))
        _say(f"error: {message}")
        raise typer.Exit(code=2) from None
    console.print(text, highlight=False)


# One sub-app a task, each in its own module (the contract's shared options are in cli/_contract.py).
from mlcanon.cli import textcls as _textcls  # noqa: E402

app.add_typer(_textcls.app, name="textcls")

from mlcanon.cli import ner as _ner  # noqa: E402

app.add_typer(_ner.app, name="ner")

from mlcanon.cli import re as _re  # noqa: E402  (the stdlib's re is imported as _regex above)

app.add_typer(_re.app, name="re")

from mlcanon.cli import vision as _vision  # noqa: E402

app.add_typer(_vision.app, name="vision")

from mlcanon.cli import multimodal as _multimodal  # noqa: E402

app.add_typer(_multimodal.app, name="multimodal")

from mlcanon.cli import retrieval as _retrieval  # noqa: E402

app.add_typer(_retrieval.app, name="retrieval")

from mlcanon.cli import graph as _graph  # noqa: E402

app.add_typer(_graph.app, name="graph")


if __name__ == "__main__":  # pragma: no cover
    app()
