"""``mlcanon textcls train|evaluate|predict``: text classification (calls :mod:`mlcanon.tasks.textcls`)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from mlcanon.cli._contract import (AsJson, BatchSize, CheckpointEvery, DataName, DevFile, Epochs, InputFile, Limit, Lr,
                                   ModelName, OutDir, Resume, Seed, Split, TestFile, TrainFile, print_metrics,
                                   print_summary, read_lines, train_args, user_errors)

app = typer.Typer(help="Text classification: TREC, SST-2, ChnSentiCorp or a label<TAB>text file.",
                  no_args_is_help=True)


@app.command("train")
def textcls_train(model: ModelName, out: OutDir, data: DataName = None, train: TrainFile = None, dev: DevFile = None,
                  epochs: Epochs = None, seed: Seed = 0, lr: Lr = None, batch_size: BatchSize = None,
                  limit: Limit = None, resume: Resume = False, checkpoint_every: CheckpointEvery = None) -> None:
    """Train a text classifier (models: textcnn)."""
    with user_errors():
        from mlcanon.tasks import textcls

        summary = textcls.train(train_args(model=model, out=out, data=data, train=train, dev=dev, epochs=epochs,
                                            seed=seed, lr=lr, batch_size=batch_size, limit=limit, resume=resume,
                                            checkpoint_every=checkpoint_every))
    print_summary(out, summary)


@app.command("evaluate")
def textcls_evaluate(model: ModelName, data: DataName = None, test: TestFile = None, split: Split = "test",
                     as_json: AsJson = False) -> None:
    """Score a trained classifier: accuracy, macro-F1, per-class P/R/F1."""
    with user_errors():
        from mlcanon.tasks import textcls

        metrics = textcls.evaluate(model, data=data, test=test, split=split)
    print_metrics(metrics, as_json, f"textcls {model}")


@app.command("predict")
def textcls_predict(model: ModelName, input: InputFile = None,
                    top_k: Annotated[int, typer.Option("--top-k", min=1, help="The k best labels.")] = 1) -> None:
    """Label one text a line: label<TAB>probability (k pairs with --top-k)."""
    with user_errors():
        from mlcanon.tasks import textcls

        for line in textcls.predict(model, read_lines(input), top_k=top_k):
            sys.stdout.write(line + "\n")
