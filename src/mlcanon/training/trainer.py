"""The one training loop of mlcanon: any ``nn.Module``, any map-style dataset, any loss.

One optimiser step of mini-batch gradient descent with ``A`` accumulated micro-batches ``b_1..b_A``:

    g   = (1/A) Σ_a ∇θ L(θ; b_a)              (averaged again over processes under DDP)
    g  ← g · min(1, c / ‖g‖₂)                  (gradient clipping at norm c, Pascanu et al. 2013)
    θ  ← optimiser(θ, g, lr · f(step))         (f: warm-up + constant/linear/cosine/Noam, see schedules.py)

After every epoch the model is scored on the dev set under ``model.eval()`` and ``torch.no_grad()``;
the best epoch's weights are kept (best-model selection) and training stops after ``patience`` epochs
without improvement (see early_stopping.py).

Reproducible and resumable by construction:

* the data order of epoch ``e`` is a permutation drawn by ``DistributedSampler`` from ``seed + e``
  (its own generator), so it does not depend on how many random numbers the model drew before;
* the DataLoader gets a generator of its own too (otherwise each new iterator draws its base seed from
  torch's global generator, which also drives dropout, and a resumed run would shift every mask);
* a checkpoint (after each epoch, and every ``checkpoint_every`` steps) holds the weights, the
  optimiser and scheduler, the counters (epoch, step, batches consumed), the running loss of the epoch,
  the early-stopping state, the history and every generator state of every process. Resuming restores
  all of it and skips the batches already consumed, so the run ends with the same weights and scores
  as one that was never interrupted (with ``num_workers=0``; with worker processes, augmentation drawn
  inside workers is only reproduced at epoch boundaries).

Under ``torchrun`` the loop is the same: the model is wrapped in ``DistributedDataParallel``, the global
batch ``batch_size`` is split evenly over the processes (so one step sees the same examples as a
single process with the same batch size), dev predictions are gathered to score the whole dev set,
and only rank 0 writes files and prints.
"""

from __future__ import annotations

import contextlib
import copy
import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, DistributedSampler

from mlcanon.training import distributed
from mlcanon.training.checkpoint import atomic_write_text, latest_checkpoint, load_checkpoint, load_weights, \
    save_checkpoint, save_weights
from mlcanon.training.early_stopping import EarlyStopping
from mlcanon.training.progress import ProgressReporter
from mlcanon.training.schedules import SCHEDULES, Schedule
from mlcanon.training.seeding import generator, rng_state, set_rng_state, set_seed
from mlcanon.validation import check_int, check_option, check_scalar

__all__ = ["TrainConfig", "Trainer", "TrainResult"]

_OPTIMIZERS = ("adamw", "adam", "sgd")


@dataclass
class TrainConfig:
    """Hyper-parameters of the loop (the model's own live in the model's config).

    ``batch_size`` is the global batch: under torchrun each of ``P`` processes takes ``batch_size / P``.
    ``metric`` names the dev figure that selects the best epoch (a key returned by the ``score``
    function, e.g. ``"f1"``; ``"loss"`` when the trainer computes the dev loss itself); ``mode`` is
    "max" for scores and "min" for losses (by default: "min" when the name contains "loss").
    """

    epochs: int = 10
    batch_size: int = 32
    eval_batch_size: int | None = None  # default: batch_size
    lr: float = 1e-3
    optimizer: Literal["adamw", "adam", "sgd"] = "adamw"
    weight_decay: float = 0.0
    momentum: float = 0.0  # sgd only
    schedule: Literal["constant", "linear", "cosine", "noam"] = "constant"
    warmup_steps: int = 0
    warmup_ratio: float = 0.0  # used when warmup_steps is 0: a fraction of all steps
    grad_clip: float | None = None  # max L2 norm of the whole gradient
    accumulate: int = 1  # micro-batches per optimiser step
    metric: str = "loss"
    mode: Literal["max", "min"] | None = None
    patience: int | None = None  # None: no early stopping (the best epoch is still selected)
    min_delta: float = 0.0
    seed: int = 0
    shuffle: bool = True
    num_workers: int = 0
    checkpoint_every: int | None = None  # optimiser steps; a checkpoint after every epoch in any case
    log_every: int = 50  # steps between plain log lines when stdout is not a terminal
    find_unused_parameters: bool = False  # DDP: set when some parameters get no gradient in a step

    def __post_init__(self) -> None:
        check_int(self.epochs, "epochs", minimum=1)
        check_int(self.batch_size, "batch_size", minimum=1)
        if self.eval_batch_size is not None:
            check_int(self.eval_batch_size, "eval_batch_size", minimum=1)
        check_scalar(self.lr, "lr", minimum=0, include_minimum=False)
        check_option(self.optimizer, "optimizer", _OPTIMIZERS)
        check_scalar(self.weight_decay, "weight_decay", minimum=0)
        check_scalar(self.momentum, "momentum", minimum=0, maximum=1)
        check_option(self.schedule, "schedule", SCHEDULES)
        check_int(self.warmup_steps, "warmup_steps", minimum=0)
        check_scalar(self.warmup_ratio, "warmup_ratio", minimum=0, maximum=1)
        if self.grad_clip is not None:
            check_scalar(self.grad_clip, "grad_clip", minimum=0, include_minimum=False)
        check_int(self.accumulate, "accumulate", minimum=1)
        if not isinstance(self.metric, str) or not self.metric:
            raise TypeError(f"metric: expected the name of a dev metric (str), got {self.metric!r}")
        if self.mode is None:
            self.mode = "min" if "loss" in self.metric else "max"
        check_option(self.mode, "mode", ("max", "min"))
        if self.patience is not None:
            check_int(self.patience, "patience", minimum=1)
        check_int(self.seed, "seed", minimum=0)
        check_int(self.num_workers, "num_workers", minimum=0)
        if self.checkpoint_every is not None:
            check_int(self.checkpoint_every, "checkpoint_every", minimum=1)
        check_int(self.log_every, "log_every", minimum=1)


@dataclass
class TrainResult:
    """What :meth:`Trainer.fit` returns; ``history`` holds the ``log.jsonl`` records."""

    metric: str
    best_score: float | None
    best_epoch: int | None  # 1-based, as in log.jsonl
    epochs_run: int
    steps: int
    stopped_early: bool
    seconds: float
    history: list[dict] = field(default_factory=list)


class _LossModule(nn.Module):
    """``forward(batch) = loss_fn(model, batch)``: what DDP wraps, so the loss may call any model method."""

    def __init__(self, model: nn.Module, loss_fn: Callable[[nn.Module, Any], torch.Tensor]) -> None:
        super().__init__()
        self.model = model
        self.loss_fn = loss_fn

    def forward(self, batch: Any) -> torch.Tensor:
        loss = self.loss_fn(self.model, batch)
        if not isinstance(loss, torch.Tensor) or loss.ndim != 0:
            raise TypeError(f"loss_fn: expected a scalar tensor, got {type(loss).__name__}"
                            f"{' of shape ' + str(tuple(loss.shape)) if isinstance(loss, torch.Tensor) else ''}")
        return loss


def _chunks(indices: Sequence[int], size: int) -> list[list[int]]:
    return [list(indices[i:i + size]) for i in range(0, len(indices), size)]


class Trainer:
    """Train ``model`` on ``train_data`` with ``loss_fn``; select and stop on the dev set.

    Parameters
    ----------
    model : nn.Module
    config : TrainConfig
    train_data : map-style Dataset (``__len__`` and ``__getitem__``)
    loss_fn : callable ``(model, batch) -> scalar tensor``
        ``batch`` is what ``collate_fn`` makes of a list of examples.
    dev_data : Dataset, optional
    eval_step : callable ``(model, batch) -> list``, optional
        One picklable output per example of the batch (e.g. ``(predicted, gold)``); called under
        ``model.eval()`` and ``torch.no_grad()``. Without it the dev figure is the mean loss (``loss``).
    score : callable ``(outputs) -> dict[str, float]``, optional
        Turns the outputs of the whole dev set, in dataset order, into metrics by name; ``config.metric``
        must be one of them. Logged as ``dev_NAME``.
    collate_fn : callable, optional
        Passed to the DataLoader.
    out_dir : path, optional
        Where ``model.safetensors`` (the best weights), ``log.jsonl`` and ``checkpoint/`` go.
    param_groups : callable ``(model) -> list of dict``, optional
        Optimiser parameter groups (e.g. weight decay on the first layer only).
    after_step : callable ``(model) -> None``, optional
        Runs after every optimiser step (e.g. a max-norm constraint).
    progress : bool
        Print progress (rank 0 only): a bar on a terminal, plain lines otherwise.

    Examples
    --------
    >>> import torch
    >>> from torch.utils.data import TensorDataset
    >>> data = TensorDataset(torch.randn(64, 3), torch.randn(64, 1))
    >>> model = torch.nn.Linear(3, 1)
    >>> loss = lambda m, b: torch.nn.functional.mse_loss(m(b[0]), b[1])
    >>> result = Trainer(model, TrainConfig(epochs=2, batch_size=16, lr=0.1), data, loss_fn=loss,
    ...                  progress=False).fit()
    >>> result.epochs_run, result.steps
    (2, 8)
    """

    def __init__(self, model: nn.Module, config: TrainConfig, train_data: Dataset, *,
                 loss_fn: Callable[[nn.Module, Any], torch.Tensor], dev_data: Dataset | None = None,
                 eval_step: Callable[[nn.Module, Any], list] | None = None,
                 score: Callable[[list], dict[str, float]] | None = None,
                 collate_fn: Callable | None = None, out_dir: str | Path | None = None,
                 param_groups: Callable[[nn.Module], list[dict]] | None = None,
                 after_step: Callable[[nn.Module], None] | None = None,
                 progress: bool = True) -> None:
        if not isinstance(model, nn.Module):
            raise TypeError(f"model: expected a torch.nn.Module, got {type(model).__name__}")
        if not isinstance(config, TrainConfig):
            raise TypeError(f"config: expected a TrainConfig, got {type(config).__name__}")
        for name, data in (("train_data", train_data), ("dev_data", dev_data)):
            if data is not None and not (hasattr(data, "__len__") and hasattr(data, "__getitem__")):
                raise TypeError(f"{name}: expected a map-style dataset (__len__ and __getitem__), "
                                f"got {type(data).__name__}")
        if len(train_data) == 0:
            raise ValueError("train_data: expected at least one example, got an empty dataset")
        if dev_data is not None and len(dev_data) == 0:
            raise ValueError("dev_data: expected at least one example, got an empty dataset")
        if (eval_step is None) != (score is None):
            raise ValueError("eval_step, score: give both (a metric on the dev set) or neither (the dev loss)")
        if not callable(loss_fn):
            raise TypeError(f"loss_fn: expected a callable (model, batch) -> loss, got {type(loss_fn).__name__}")
        self.model, self.config = model, config
        self.train_data, self.dev_data = train_data, dev_data
        self.eval_step, self.score, self.collate_fn = eval_step, score, collate_fn
        self.out_dir = Path(out_dir) if out_dir is not None else None
        self.show_progress = progress
        self.after_step = after_step

        self.distributed = distributed.setup()
        self.rank, self.world = distributed.rank(), distributed.world_size()
        if config.batch_size % self.world:
            raise ValueError(f"batch_size: expected a multiple of the {self.world} processes, got {config.batch_size}")
        self.local_batch = config.batch_size // self.world
        self.loss_module = _LossModule(model, loss_fn)
        self.wrapped: nn.Module = self.loss_module
        if self.distributed:
            from torch.nn.parallel import DistributedDataParallel

            self.wrapped = DistributedDataParallel(self.loss_module,
                                                   find_unused_parameters=config.find_unused_parameters)
        groups = param_groups(model) if param_groups is not None else [
            {"params": [p for p in model.parameters() if p.requires_grad]}]
        self.optimizer = self._make_optimizer(groups)
        self.sampler = DistributedSampler(train_data, num_replicas=self.world, rank=self.rank,
                                          shuffle=config.shuffle, seed=config.seed, drop_last=False)
        self.batches_per_epoch = math.ceil(len(self.sampler) / self.local_batch)
        self.steps_per_epoch = math.ceil(self.batches_per_epoch / config.accumulate)
        total = config.epochs * self.steps_per_epoch
        warmup = config.warmup_steps or round(config.warmup_ratio * total)
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(self.optimizer, Schedule(config.schedule, warmup, total))
        self.early_stopping = EarlyStopping(mode=config.mode, patience=config.patience, min_delta=config.min_delta)

    # -- set-up ------------------------------------------------------------------------------------
    def _make_optimizer(self, groups: list[dict]) -> torch.optim.Optimizer:
        c = self.config
        if c.optimizer == "sgd":
            return torch.optim.SGD(groups, lr=c.lr, momentum=c.momentum, weight_decay=c.weight_decay)
        cls = torch.optim.AdamW if c.optimizer == "adamw" else torch.optim.Adam
        return cls(groups, lr=c.lr, weight_decay=c.weight_decay)

    @property
    def checkpoint_dir(self) -> Path | None:
        return self.out_dir / "checkpoint" if self.out_dir is not None else None

    def _fresh_state(self) -> dict:
        return {"epoch": 0, "batch_in_epoch": 0, "step": 0, "loss_sum": 0.0, "loss_count": 0, "history": []}

    # -- the loop ----------------------------------------------------------------------------------
    def fit(self, resume: bool = False) -> TrainResult:
        """Train to the end (or to early stopping); ``resume=True`` continues from ``out_dir/checkpoint``."""
        state = self._begin(resume)
        progress = ProgressReporter(self.config.epochs, enabled=self.show_progress and self.rank == 0,
                                    log_every=self.config.log_every)
        start = time.perf_counter()
        best_weights: dict | None = None
        try:
            while state["epoch"] < self.config.epochs and not self.early_stopping.should_stop:
                epoch_start = time.perf_counter()
                self._train_epoch(state, progress)
                record = self._end_epoch(state, epoch_start)
                improved = self._select(record, state)
                if improved:
                    best_weights = copy.deepcopy(self.model.state_dict())
                progress.end_epoch(record, improved)
                self._save(state)
        finally:
            progress.close()
        if self.dev_data is not None and self.early_stopping.best_epoch >= 0:
            if best_weights is not None:
                self.model.load_state_dict(best_weights)
            else:  # resumed after the best epoch: its weights are on disk
                load_weights(self.model, self.out_dir / "model.safetensors")
        es = self.early_stopping
        return TrainResult(
            metric=self.config.metric, best_score=es.best, best_epoch=es.best_epoch + 1 if es.best_epoch >= 0 else None,
            epochs_run=state["epoch"], steps=state["step"], stopped_early=es.should_stop and state["epoch"] < self.config.epochs,
            seconds=time.perf_counter() - start, history=list(state["history"]),
        )

    def _begin(self, resume: bool) -> dict:
        if self.out_dir is not None and self.rank == 0:
            if self.out_dir.exists() and not self.out_dir.is_dir():
                raise NotADirectoryError(f"out_dir: {self.out_dir} is a file, expected a folder")
            self.out_dir.mkdir(parents=True, exist_ok=True)
        if resume:
            if self.checkpoint_dir is None:
                raise ValueError("resume: needs out_dir, the folder of the run to continue")
            if latest_checkpoint(self.checkpoint_dir) is None:
                raise FileNotFoundError(f"{self.checkpoint_dir}: no checkpoint to resume from")
            return self._restore(load_checkpoint(self.checkpoint_dir, self.model))
        if self.checkpoint_dir is not None and latest_checkpoint(self.checkpoint_dir) is not None:
            raise FileExistsError(f"{self.out_dir}: holds a checkpoint of an earlier run; resume it (--resume) "
                                  "or train into another folder")
        set_seed(self.config.seed + self.rank)
        return self._fresh_state()

    def _train_epoch(self, state: dict, progress: ProgressReporter) -> None:
        c, epoch = self.config, state["epoch"]
        self.sampler.set_epoch(epoch)
        batches = _chunks(list(self.sampler), self.local_batch)
        skip = state["batch_in_epoch"]
        loader = DataLoader(self.train_data, batch_sampler=batches[skip:], collate_fn=self.collate_fn,
                            num_workers=c.num_workers, generator=generator(c.seed, epoch, self.rank, skip))
        n = len(batches)
        progress.start_epoch(epoch, self.steps_per_epoch, done_steps=skip // c.accumulate)
        self.wrapped.train()
        for i, batch in enumerate(loader, start=skip):
            group = i // c.accumulate
            group_end = min((group + 1) * c.accumulate, n)
            last = i + 1 == group_end
            sync = contextlib.nullcontext() if last or not self.distributed else self.wrapped.no_sync()
            with sync:
                loss = self.wrapped(batch)
                (loss / (group_end - group * c.accumulate)).backward()
            value = float(loss.detach())
            if not math.isfinite(value):
                raise FloatingPointError(f"loss is {value} at epoch {epoch + 1}, batch {i + 1}: lower --lr or clip")
            state["loss_sum"] += value
            state["loss_count"] += 1
            if last:
                self._optimizer_step()
                state["step"] += 1
                state["batch_in_epoch"] = i + 1
                progress.step(group + 1, state["loss_sum"] / state["loss_count"], self.scheduler.get_last_lr()[0])
                if c.checkpoint_every and state["step"] % c.checkpoint_every == 0 and i + 1 < n:
                    self._save(state)

    def _optimizer_step(self) -> None:
        if self.config.grad_clip is not None:
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.config.grad_clip)
        self.optimizer.step()
        if self.after_step is not None:
            self.after_step(self.model)
        self.scheduler.step()
        self.optimizer.zero_grad(set_to_none=True)

    def _end_epoch(self, state: dict, epoch_start: float) -> dict:
        loss_sum, loss_count = distributed.all_reduce_sum([state["loss_sum"], state["loss_count"]])
        record: dict[str, Any] = {"epoch": state["epoch"] + 1, "step": state["step"],
                                  "train_loss": loss_sum / loss_count if loss_count else None}
        if self.dev_data is not None:
            record.update({f"dev_{k}": v for k, v in self.evaluate().items()})
        record["lr"] = self.scheduler.get_last_lr()[0]
        record["seconds"] = round(time.perf_counter() - epoch_start, 3)
        state.update(epoch=state["epoch"] + 1, batch_in_epoch=0, loss_sum=0.0, loss_count=0)
        state["history"].append(record)
        return record

    def _select(self, record: dict, state: dict) -> bool:
        """Early stopping and best-model selection on the dev metric; the best weights go to disk."""
        if self.dev_data is None:
            if self.out_dir is not None and self.rank == 0:
                save_weights(self.model, self.out_dir / "model.safetensors")
            return False
        key = f"dev_{self.config.metric}"
        if key not in record:
            names = sorted(k[4:] for k in record if k.startswith("dev_"))
            raise ValueError(f"metric: expected one of the dev metrics {names}, got {self.config.metric!r}")
        improved = self.early_stopping.update(record[key])
        if improved and self.out_dir is not None and self.rank == 0:
            save_weights(self.model, self.out_dir / "model.safetensors")
        return improved

    # -- evaluation --------------------------------------------------------------------------------
    def evaluate(self, data: Dataset | None = None) -> dict[str, float]:
        """Metrics on ``data`` (the dev set by default), over all processes, in eval mode without gradients."""
        data = self.dev_data if data is None else data
        if data is None:
            raise ValueError("data: no dev set was given to the trainer and none is passed")
        size = self.config.eval_batch_size or self.local_batch
        shard = list(range(self.rank, len(data), self.world))  # no padding: every example scored once
        loader = DataLoader(data, batch_sampler=_chunks(shard, size), collate_fn=self.collate_fn,
                            generator=generator(self.config.seed, 2**31))
        outputs: list = []
        was_training = self.model.training
        self.model.eval()
        try:
            with torch.no_grad():
                for idx, batch in zip(_chunks(shard, size), loader):
                    if self.eval_step is None:
                        outputs.append((float(self.loss_module(batch)), len(idx)))
                        continue
                    out = list(self.eval_step(self.model, batch))
                    if len(out) != len(idx):
                        raise ValueError(f"eval_step: expected one output per example ({len(idx)}), got {len(out)}")
                    outputs.extend(out)
        finally:
            self.model.train(was_training)
        gathered = distributed.all_gather_objects(outputs)
        if self.eval_step is None:
            pairs = [p for part in gathered for p in part]
            return {"loss": sum(v * n for v, n in pairs) / sum(n for _, n in pairs)}
        ordered = [gathered[i % self.world][i // self.world] for i in range(len(data))]
        return dict(self.score(ordered))

    # -- checkpoints -------------------------------------------------------------------------------
    def _save(self, state: dict) -> None:
        if self.out_dir is None:
            return
        rngs = distributed.all_gather_objects(rng_state())  # every process's generators, in rank order
        if self.rank != 0:
            return
        full = {
            "format": 1, **{k: v for k, v in state.items()},
            "world_size": self.world, "config": asdict(self.config),
            "optimizer": self.optimizer.state_dict(), "scheduler": self.scheduler.state_dict(),
            "early_stopping": self.early_stopping.state_dict(), "rng": rngs,
        }
        name = f"e{state['epoch']:04d}-b{state['batch_in_epoch']:06d}"
        save_checkpoint(self.checkpoint_dir, name, self.model, full)
        lines = "".join(json.dumps(r) + "\n" for r in state["history"])
        atomic_write_text(self.out_dir / "log.jsonl", lines)

    def _restore(self, full: dict) -> dict:
        if full.get("format") != 1:
            raise ValueError(f"{self.checkpoint_dir}: unknown checkpoint format {full.get('format')!r}")
        self.optimizer.load_state_dict(full["optimizer"])
        self.scheduler.load_state_dict(full["scheduler"])
        self.early_stopping.load_state_dict(full["early_stopping"])
        rngs = full["rng"]
        if full["world_size"] != self.world:
            import warnings

            warnings.warn(f"resume: the checkpoint was written by {full['world_size']} processes and this run has "
                          f"{self.world}; the data order continues, the random streams of the processes do not",
                          stacklevel=3)
        set_rng_state(rngs[self.rank % len(rngs)])
        return {k: full[k] for k in self._fresh_state()}
