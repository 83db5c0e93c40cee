"""``mlcanon re train|evaluate|predict``: relation extraction (calls :mod:`mlcanon.tasks.re`)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from mlcanon.cli._contract import (AsJson, BatchSize, CheckpointEvery, DataName, DevFile, Epochs, InputFile, Limit, Lr,
                                   ModelName, OutDir, Resume, Seed, Split, TestFile, TrainFile, console, print_summary,
                                   read_lines, train_args, user_errors)

app = typer.Typer(help="Relation extraction: SemEval-2010 Task 8 (sentences with <e1>...</e1> and <e2>...</e2>).",
                  no_args_is_help=True)

AnswerFile = Annotated[Optional[Path], typer.Option("--answer-file", help="Also write the id<TAB>label file the "
                                                    "official scorer reads.")]


@app.command("train")
def re_train(model: ModelName, out: OutDir, data: DataName = None, train: TrainFile = None, dev: DevFile = None,
             epochs: Epochs = None, seed: Seed = 0, lr: Lr = None, batch_size: BatchSize = None,
             limit: Limit = None, resume: Resume = False, checkpoint_every: CheckpointEvery = None) -> None:
    """Train a relation classifier (models: cnn, att-bilstm, bert-em)."""
    with user_errors():
        from mlcanon.tasks import re

        summary = re.train(train_args(model=model, out=out, data=data, train=train, dev=dev, epochs=epochs,
                                      seed=seed, lr=lr, batch_size=batch_size, limit=limit, resume=resume,
                                      checkpoint_every=checkpoint_every))
    print_summary(out, summary)


@app.command("evaluate")
def re_evaluate(model: ModelName, data: DataName = None, test: TestFile = None, split: Split = "test",
                as_json: AsJson = False, answer_file: AnswerFile = None) -> None:
    """Score with the official SemEval-2010 Task 8 scorer (re-implemented): official macro-F1 and the rest."""
    with user_errors():
        from mlcanon.tasks import re

        metrics = re.evaluate(model, data=data, test=test, split=split, answer_file=answer_file)
    if as_json:
        import json

        sys.stdout.write(json.dumps(metrics) + "\n")
        return
    from rich.table import Table

    table = Table(title=f"re {model}")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for k, v in metrics.items():
        if not isinstance(v, dict):
            table.add_row(k, f"{v:.2f}" if isinstance(v, float) else str(v))
    console.print(table)
    detail = Table(title="official (9+1)-way, per relation (%)")
    for c in ("relation", "precision", "recall", "f1", "support", "wrong_direction"):
        detail.add_column(c, justify="left" if c == "relation" else "right")
    for name, m in metrics["per_relation"].items():
        detail.add_row(name, *(f"{m[c]:.2f}" for c in ("precision", "recall", "f1")), str(m["support"]),
                       str(m["wrong_direction"]))
    console.print(detail)


@app.command("predict")
def re_predict(model: ModelName, input: InputFile = None,
               top_k: Annotated[int, typer.Option("--top-k", min=1, help="The k best relations.")] = 1) -> None:
    """Label one marked sentence a line: label<TAB>probability (k pairs with --top-k)."""
    with user_errors():
        from mlcanon.tasks import re

        for line in re.predict(model, read_lines(input), top_k=top_k):
            sys.stdout.write(line + "\n")
