"""Early stopping on a dev metric with patience, and best-model selection (a small testable object).

After each epoch the dev score is offered; the epoch is *better* when it beats the best so far by more
than ``min_delta`` in the direction of ``mode`` ("max" for F1/accuracy, "min" for a loss). Training stops
when ``patience`` epochs in a row were not better (Prechelt 1998, "Early Stopping — But When?"); the
weights of the best epoch are the model's final weights.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from mlcanon.validation import check_int, check_option, check_scalar

__all__ = ["EarlyStopping"]


@dataclass
class EarlyStopping:
    """Track the best dev score; say whether an epoch improved it and whether to stop.

    Examples
    --------
    >>> es = EarlyStopping(mode="max", patience=2)
    >>> [es.update(s) for s in (0.5, 0.7, 0.6, 0.65)], es.should_stop, es.best, es.best_epoch
    ([True, True, False, False], True, 0.7, 1)
    """

    mode: str = "max"
    patience: int | None = None
    min_delta: float = 0.0
    best: float | None = None
    best_epoch: int = -1
    bad_epochs: int = 0
    epochs_seen: int = 0

    def __post_init__(self) -> None:
        check_option(self.mode, "mode", ("max", "min"))
        if self.patience is not None:
            check_int(self.patience, "patience", minimum=1)
        check_scalar(self.min_delta, "min_delta", minimum=0)

    def update(self, score: float) -> bool:
        """Offer the score of the next epoch; return True when it is the best so far."""
        score = float(score)
        if math.isnan(score):
            raise ValueError("score: expected a number, got nan (the dev metric could not be computed)")
        epoch = self.epochs_seen
        self.epochs_seen += 1
        better = self.best is None or (
            score > self.best + self.min_delta if self.mode == "max" else score < self.best - self.min_delta
        )
        if better:
            self.best, self.best_epoch, self.bad_epochs = score, epoch, 0
        else:
            self.bad_epochs += 1
        return better

    @property
    def should_stop(self) -> bool:
        return self.patience is not None and self.bad_epochs >= self.patience

    def state_dict(self) -> dict:
        return {"best": self.best, "best_epoch": self.best_epoch, "bad_epochs": self.bad_epochs,
                "epochs_seen": self.epochs_seen}

    def load_state_dict(self, state: dict) -> None:
        self.best, self.best_epoch = state["best"], state["best_epoch"]
        self.bad_epochs, self.epochs_seen = state["bad_epochs"], state["epochs_seen"]
