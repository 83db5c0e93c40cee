"""``mlcanon multimodal train|evaluate|predict``: AV-MNIST fusion (calls :mod:`mlcanon.tasks.multimodal`)."""

from __future__ import annotations

import sys
from typing import Annotated, Optional

import typer

from mlcanon.cli._contract import (AsJson, BatchSize, CheckpointEvery, DataName, Epochs, InputFile, Limit, Lr,
                                   ModelName, OutDir, Resume, Seed, TrainFile, print_metrics, print_summary,
                                   read_lines, train_args, user_errors)

app = typer.Typer(help="Multimodal fusion on AV-MNIST: MNIST images paired with spoken digits (FSDD).",
                  no_args_is_help=True)

SnrDb = Annotated[Optional[float], typer.Option(
    "--snr-db", help="Audio degradation: white noise at this SNR in dB (default 0; train: for training, "
                     "evaluate: instead of the model's).")]
Clean = Annotated[bool, typer.Option("--clean", help="No degradation: neither the 25%-energy PCA of the images "
                                                     "nor noise on the audio.")]


@app.command("train")
def multimodal_train(model: ModelName, out: OutDir, data: DataName = "avmnist", train: TrainFile = None,
                     epochs: Epochs = None, seed: Seed = 0, lr: Lr = None, batch_size: BatchSize = None,
                     limit: Limit = None, resume: Resume = False, checkpoint_every: CheckpointEvery = None,
                     snr_db: SnrDb = None, clean: Clean = False) -> None:
    """Train a fusion model (image, audio, early, late, tensor, lowrank, gmu, centralnet)."""
    with user_errors():
        from mlcanon.tasks import multimodal

        if train is not None:
            data = None
        summary = multimodal.train(train_args(model=model, out=out, data=data, train=train, epochs=epochs, seed=seed,
                                              lr=lr, batch_size=batch_size, limit=limit, resume=resume,
                                              checkpoint_every=checkpoint_every), snr_db=snr_db, clean=clean)
    print_summary(out, summary)


@app.command("evaluate")
def multimodal_evaluate(
        model: ModelName, data: DataName = "avmnist",
        split: Annotated[str, typer.Option("--split", help="test or dev.")] = "test",
        snr_db: SnrDb = None, clean: Clean = False,
        corrupt: Annotated[Optional[str], typer.Option("--corrupt", help="Replace one input by noise: image or audio.")] = None,
        pair_seed: Annotated[int, typer.Option("--pair-seed", min=0, help="Seed of the test pairs.")] = 0,
        as_json: AsJson = False) -> None:
    """Score a trained fusion model on the AV-MNIST pairs: accuracy, macro-F1."""
    with user_errors():
        from mlcanon.tasks import multimodal

        metrics = multimodal.evaluate(model, data=data, split=split, snr_db=snr_db, clean=clean, corrupt=corrupt,
                                      pair_seed=pair_seed)
    print_metrics(metrics, as_json, f"multimodal {model}")


@app.command("predict")
def multimodal_predict(model: ModelName, input: InputFile = None) -> None:
    """Classify one IMAGE.png<TAB>AUDIO.wav pair a line: digit<TAB>probability."""
    with user_errors():
        from mlcanon.tasks import multimodal

        for line in multimodal.predict(model, read_lines(input)):
            sys.stdout.write(line + "\n")
