"""The task contract every ``mlcanon TASK`` shares: the trained-model folder and the data arguments.

A trained model is a folder ``DIR``::

    config.json          {"task", "model", "mlcanon_version", "hyper_parameters", "labels", "files", ...}
    model.safetensors    the selected (best-on-dev) weights
    log.jsonl            one JSON object per epoch (epoch, step, train_loss, dev_*, lr, seconds)
    checkpoint/          the resumable state (see mlcanon.training.checkpoint)
    vocab.txt, ...       the task's vocabulary / label files, named in config.json's "files"

``load(DIR)`` of each task rebuilds the model from this folder alone.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mlcanon
from mlcanon.training.checkpoint import atomic_write_text

__all__ = ["TrainArgs", "write_config", "read_config", "check_out_dir", "check_file", "check_choice",
           "UnseenLabelWarning", "warn_unseen_labels"]

CONFIG = "config.json"
WEIGHTS = "model.safetensors"


class UnseenLabelWarning(UserWarning):
    """A gold label of the evaluation data that the model never saw in training (scored as a miss)."""


@dataclass
class TrainArgs:
    """The arguments of ``mlcanon TASK train`` that every task has."""

    model: str
    out: Path
    data: str | None = None
    train: Path | None = None
    dev: Path | None = None
    epochs: int | None = None
    seed: int = 0
    lr: float | None = None
    batch_size: int | None = None
    limit: int | None = None
    resume: bool = False
    checkpoint_every: int | None = None

    def __post_init__(self) -> None:
        if (self.data is None) == (self.train is None):
            raise ValueError("--data / --train: give a bundled data set (--data NAME) or a training file "
                             "(--train FILE), exactly one of them")
        if self.dev is not None and self.train is None:
            raise ValueError("--dev: only with --train (a bundled data set brings its own dev split)")
        for name in ("train", "dev"):
            value = getattr(self, name)
            if value is not None:
                setattr(self, name, check_file(value, f"--{name}"))
        if self.limit is not None and self.limit < 1:
            raise ValueError(f"--limit: expected a number of training examples >= 1, got {self.limit}")
        self.out = Path(self.out)


def check_file(path: str | Path, argument: str) -> Path:
    """``path`` as a Path, or a FileNotFoundError naming the argument."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{argument}: file {path} not found")
    return path


def check_choice(value: str, argument: str, choices: Sequence[str]) -> str:
    if value not in choices:
        raise ValueError(f"{argument}: expected one of {', '.join(choices)}, got {value!r}")
    return value


def check_out_dir(out: Path, resume: bool) -> None:
    """The training folder: new or empty for a fresh run, a run with a checkpoint for ``resume``."""
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(f"--out: {out} is a file, expected a folder")
    if resume:
        if not (out / "checkpoint" / "latest").is_file():
            raise FileNotFoundError(f"--resume: {out} holds no checkpoint to resume from")
        return
    if (out / "checkpoint" / "latest").is_file():
        raise FileExistsError(f"--out: {out} holds the checkpoint of an earlier run; pass --resume to continue "
                              "it or train into another folder")
    out.mkdir(parents=True, exist_ok=True)


def write_config(out: Path, task: str, model: str, hyper_parameters: dict[str, Any], **extra: Any) -> None:
    """Write ``out/config.json`` (atomically) with the task, model name, hyper-parameters and version."""
    config = {"task": task, "model": model, "mlcanon_version": mlcanon.__version__,
              "hyper_parameters": hyper_parameters, **extra}
    atomic_write_text(out / CONFIG, json.dumps(config, indent=2, ensure_ascii=False) + "\n")


def read_config(folder: str | Path, task: str) -> dict[str, Any]:
    """Read a trained model's ``config.json``; a folder that is not a trained ``task`` model is an error."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"--model: {folder} is not a folder (expected the --out folder of a training run)")
    path = folder / CONFIG
    if not path.is_file():
        raise ValueError(f"--model: {folder} is not a trained model (no {CONFIG})")
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}, line {exc.lineno}: not valid JSON ({exc.msg})") from None
    if config.get("task") != task:
        raise ValueError(f"--model: {folder} holds a {config.get('task')!r} model, expected a {task!r} model")
    if not (folder / WEIGHTS).is_file():
        raise ValueError(f"--model: {folder} has no {WEIGHTS} (training has not finished an epoch)")
    return config


def warn_unseen_labels(gold: Sequence[str], known: Sequence[str], what: str = "label") -> list[str]:
    """Warn once about gold labels the model never saw in training; return them (sorted)."""
    unseen = sorted(set(gold) - set(known))
    if unseen:
        shown = ", ".join(unseen[:10]) + (" ..." if len(unseen) > 10 else "")
        warnings.warn(f"{len(unseen)} gold {what}(s) never seen in training, scored as misses: {shown}",
                      UnseenLabelWarning, stacklevel=2)
    return unseen
