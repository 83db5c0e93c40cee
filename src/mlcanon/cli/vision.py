"""``mlcanon vision train|evaluate|predict``: MNIST digit classification (calls :mod:`mlcanon.tasks.vision`)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from mlcanon.cli._contract import (
    AsJson,
    BatchSize,
    CheckpointEvery,
    DataName,
    Epochs,
    Limit,
    Lr,
    ModelName,
    OutDir,
    Resume,
    Seed,
    Split,
    TrainFile,
    print_metrics,
    print_summary,
    train_args,
    user_errors,
)

app = typer.Typer(help="Image classification: MNIST digits with ResNet-20, VGG-11-bn or a small ViT.",
                  no_args_is_help=True)

Inputs = Annotated[list[Path] | None, typer.Option(
    "--input", help="Image file: .png (28×28), .npy (28, 28) or (N, 28, 28), or IDX (*-idx3-ubyte[.gz]); "
                    "repeat for several.")]


@app.command("train")
def vision_train(model: ModelName, out: OutDir, data: DataName = None, train: TrainFile = None,
                 epochs: Epochs = None, seed: Seed = 0, lr: Lr = None, batch_size: BatchSize = None,
                 limit: Limit = None, resume: Resume = False, checkpoint_every: CheckpointEvery = None) -> None:
    """Train a digit classifier on MNIST images 0..7,499 (models: resnet20, vgg11_bn, vit)."""
    with user_errors():
        from mlcanon.tasks import vision

        summary = vision.train(train_args(model=model, out=out, data=data, train=train, epochs=epochs, seed=seed,
                                          lr=lr, batch_size=batch_size, limit=limit, resume=resume,
                                          checkpoint_every=checkpoint_every))
    print_summary(out, summary)


@app.command("evaluate")
def vision_evaluate(model: ModelName, data: DataName = "mnist", split: Split = "test", as_json: AsJson = False) -> None:
    """Score a trained classifier on MNIST (test: images 8,000..9,999): accuracy, per class, confusion."""
    with user_errors():
        from mlcanon.tasks import vision

        metrics = vision.evaluate(model, data=data, split=split)
    if not as_json:
        confusion = metrics.pop("confusion")
        print_metrics(metrics, False, f"vision {model}")
        print("confusion (rows: gold 0-9, columns: predicted 0-9)")
        for i, row in enumerate(confusion):
            print(f"{i}  " + " ".join(f"{v:4d}" for v in row))
        return
    print_metrics(metrics, True, f"vision {model}")


@app.command("predict")
def vision_predict(model: ModelName, input: Inputs = None,
                   top_k: Annotated[int, typer.Option("--top-k", min=1, help="The k best labels.")] = 1) -> None:
    """Label images: one line per image, NAME<TAB>label<TAB>probability (k pairs with --top-k)."""
    with user_errors():
        from mlcanon.tasks import vision

        for line in vision.predict(model, input or [], top_k=top_k):
            sys.stdout.write(line + "\n")
