"""What a training run prints: a rich progress bar on a terminal, plain lines everywhere else.

On a terminal (``stdout.isatty()``) one bar per epoch shows the step, the running loss, the last dev
metric and the ETA. When stdout is a file or a pipe (CI, ``> log.txt``, ``tee``) there are no carriage
returns and no escape codes: one line every ``log_every`` steps and one line per epoch, e.g.::

    epoch 2/10  step 340/1700  loss 0.4132  lr 9.1e-04  21.4 s
    epoch 2/10  done  train_loss 0.4020  dev_f1 0.8123 (best)  lr 8.9e-04  24.0 s
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

__all__ = ["ProgressReporter", "format_number"]


def format_number(value: float) -> str:
    """4 significant digits, scientific for small or large magnitudes (``0.4132``, ``9.1e-04``)."""
    if value == 0 or 1e-3 <= abs(value) < 1e5:
        return f"{value:.4g}" if abs(value) >= 1 else f"{value:.4f}"
    return f"{value:.1e}"


class ProgressReporter:
    """Progress of a run on ``stream`` (stdout by default); silent when ``enabled`` is False (ranks > 0)."""

    def __init__(self, epochs: int, *, enabled: bool = True, stream: TextIO | None = None, log_every: int = 50,
                 rich: bool | None = None) -> None:
        self.epochs = epochs
        self.enabled = enabled
        self.stream = stream if stream is not None else sys.stdout
        self.log_every = max(1, int(log_every))
        self.rich = bool(self.stream.isatty()) if rich is None else rich
        self._progress = None
        self._task = None
        self._epoch = 0
        self._total = 0
        self._start = time.perf_counter()
        self._dev = ""

    def start_epoch(self, epoch: int, total_steps: int, done_steps: int = 0) -> None:
        self._epoch, self._total = epoch, total_steps
        if not self.enabled or not self.rich:
            return
        if self._progress is None:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self._progress = Progress(
                TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                TextColumn("loss {task.fields[loss]}"), TextColumn("{task.fields[dev]}"), TimeRemainingColumn(),
                console=Console(file=self.stream), transient=False,
            )
            self._progress.start()
        self._task = self._progress.add_task(
            f"epoch {epoch + 1}/{self.epochs}", total=total_steps, completed=done_steps, loss="-", dev=self._dev
        )

    def step(self, step_in_epoch: int, loss: float, lr: float) -> None:
        if not self.enabled:
            return
        if self.rich:
            self._progress.update(self._task, completed=step_in_epoch, loss=format_number(loss))
        elif step_in_epoch % self.log_every == 0 and step_in_epoch < self._total:
            self._line(f"step {step_in_epoch}/{self._total}  loss {format_number(loss)}  lr {lr:.1e}")

    def end_epoch(self, record: dict, improved: bool) -> None:
        if not self.enabled:
            return
        dev = [f"{k} {format_number(v)}" for k, v in record.items() if k.startswith("dev_")]
        self._dev = "  ".join(dev) + ("  (best)" if improved and dev else "")
        if self.rich:
            self._progress.update(self._task, completed=self._total, dev=self._dev)
            return
        loss = record.get("train_loss")
        text = f"done  train_loss {format_number(loss)}" if loss is not None else "done"
        self._line(f"{text}  {self._dev}  lr {record['lr']:.1e}".replace("    ", "  "))

    def message(self, text: str) -> None:
        if not self.enabled:
            return
        if self.rich and self._progress is not None:
            self._progress.console.print(text, highlight=False, markup=False)
        else:
            print(text, file=self.stream, flush=True)

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def _line(self, text: str) -> None:
        elapsed = time.perf_counter() - self._start
        print(f"epoch {self._epoch + 1}/{self.epochs}  {text}  {elapsed:.1f} s", file=self.stream, flush=True)
