"""``mlcanon ner train|evaluate|predict``: named-entity recognition (calls :mod:`mlcanon.tasks.ner`)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from mlcanon.cli._contract import (
    AsJson,
    BatchSize,
    CheckpointEvery,
    DataName,
    DevFile,
    Epochs,
    InputFile,
    Limit,
    Lr,
    ModelName,
    OutDir,
    Resume,
    Seed,
    Split,
    TestFile,
    TrainFile,
    print_metrics,
    print_summary,
    read_lines,
    train_args,
    user_errors,
)

app = typer.Typer(help="Named-entity recognition: CoNLL-2003, Resume, Weibo or a CoNLL file.", no_args_is_help=True)


@app.command("train")
def ner_train(model: ModelName, out: OutDir, data: DataName = None, train: TrainFile = None, dev: DevFile = None,
              epochs: Epochs = None, seed: Seed = 0, lr: Lr = None, batch_size: BatchSize = None,
              limit: Limit = None, resume: Resume = False, checkpoint_every: CheckpointEvery = None,
              search: Annotated[bool, typer.Option("--search", help="crf: choose c1/c2 on dev by grid search.")] = False,
              ) -> None:
    """Train a tagger (models: hmm, crf, bilstm-crf, bert-crf, bert-softmax)."""
    with user_errors():
        from mlcanon.tasks import ner

        summary = ner.train(train_args(model=model, out=out, data=data, train=train, dev=dev, epochs=epochs,
                                       seed=seed, lr=lr, batch_size=batch_size, limit=limit, resume=resume,
                                       checkpoint_every=checkpoint_every), search=search)
    print_summary(out, summary)


@app.command("evaluate")
def ner_evaluate(model: ModelName, data: DataName = None, test: TestFile = None, split: Split = "test",
                 as_json: AsJson = False) -> None:
    """Score a tagger: entity micro-F1 (seqeval default mode), strict IOB2 F1, per-type P/R/F1."""
    with user_errors():
        from mlcanon.tasks import ner

        metrics = ner.evaluate(model, data=data, test=test, split=split)
    print_metrics(metrics, as_json, f"ner {model}")


@app.command("predict")
def ner_predict(model: ModelName, input: InputFile = None,
                tokenized: Annotated[bool, typer.Option("--tokenized", help="Tokens separated by whitespace.")] = False,
                conll: Annotated[bool, typer.Option("--conll", help="Input is a CoNLL file (tokens first).")] = False,
                fmt: Annotated[str, typer.Option("--format", help="conll (token<TAB>tag) or json.")] = "conll") -> None:
    """Tag one sentence a line (raw text, or --tokenized) or a --conll file; CoNLL or JSON out."""
    with user_errors():
        from mlcanon.tasks import ner

        if tokenized and conll:
            raise ValueError("--tokenized / --conll: give at most one of them")
        mode = "conll" if conll else "tokenized" if tokenized else "text"
        for line in ner.predict(model, read_lines(input), mode=mode, fmt=fmt,
                                source=input if input is not None else "<stdin>"):
            sys.stdout.write(line + "\n")
