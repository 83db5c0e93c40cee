"""``mlcanon retrieval train|evaluate|search``: spoken digit <-> digit image (calls :mod:`mlcanon.tasks.retrieval`)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from mlcanon.cli._contract import (AsJson, BatchSize, CheckpointEvery, DataName, Epochs, Limit, Lr, ModelName, OutDir,
                                   Resume, Seed, TrainFile, console, print_summary, train_args, user_errors)

app = typer.Typer(help="Cross-modal retrieval: query a spoken digit, get images of it (and the reverse).",
                  no_args_is_help=True)


@app.command("train")
def retrieval_train(model: ModelName, out: OutDir, data: DataName = "avmnist", train: TrainFile = None,
                    epochs: Epochs = None, seed: Seed = 0, lr: Lr = None, batch_size: BatchSize = None,
                    limit: Limit = None, resume: Resume = False, checkpoint_every: CheckpointEvery = None) -> None:
    """Fit a retrieval model (cca, contrastive) on the clean AV-MNIST training pairs."""
    with user_errors():
        from mlcanon.tasks import retrieval

        if train is not None:
            data = None
        summary = retrieval.train(train_args(model=model, out=out, data=data, train=train, epochs=epochs, seed=seed,
                                             lr=lr, batch_size=batch_size, limit=limit, resume=resume,
                                             checkpoint_every=checkpoint_every))
    print_summary(out, summary)


@app.command("evaluate")
def retrieval_evaluate(model: ModelName, data: DataName = "avmnist",
                       split: Annotated[str, typer.Option("--split", help="test or dev.")] = "test",
                       as_json: AsJson = False) -> None:
    """mAP, R@1/5/10, P@10, median rank, NDCG@10 in both directions on the clean test gallery."""
    with user_errors():
        from mlcanon.tasks import retrieval

        metrics = retrieval.evaluate(model, data=data, split=split)
    if as_json:
        sys.stdout.write(json.dumps(metrics) + "\n")
        return
    from rich.table import Table

    directions = ("audio_to_image", "image_to_audio")
    table = Table(title=f"retrieval {model} ({metrics['n_recordings']} recordings, {metrics['n_images']} images)")
    table.add_column("metric")
    for d in directions:
        table.add_column(d.replace("_to_", " → "), justify="right")
    for name in metrics[directions[0]]:
        table.add_row(name, *(f"{metrics[d][name]:.4f}" for d in directions))
    console.print(table)


@app.command("search")
def retrieval_search(
        model: ModelName,
        audio: Annotated[Optional[Path], typer.Option("--audio", help="Query recording (8 kHz WAV): finds images.")] = None,
        image: Annotated[Optional[Path], typer.Option("--image", help="Query image (28x28): finds recordings.")] = None,
        k: Annotated[int, typer.Option("--k", help="How many results.")] = 8,
        out: Annotated[Optional[Path], typer.Option("--out", help="Write the results as a PNG grid.")] = None) -> None:
    """The k nearest test items of a query: rank<TAB>index<TAB>digit<TAB>distance[<TAB>file] a line."""
    with user_errors():
        from mlcanon.tasks import retrieval

        hits = retrieval.search(model, audio=audio, image=image, k=k, out=out)
        for h in hits:
            sys.stdout.write("\t".join(str(h[c]) if c != "distance" else f"{h[c]:.4f}"
                                       for c in ("rank", "index", "digit", "distance", "file") if c in h) + "\n")
