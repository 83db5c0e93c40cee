"""Learning-rate schedules as multipliers of the base learning rate, for ``torch.optim.lr_scheduler.LambdaLR``.

With ``s`` the optimiser step (counted from 1 at the first update), ``W`` the warm-up steps and ``S`` the
total number of steps:

    constant:  f(s) = min(1, s / W)                               (warm-up, then flat)
    linear:    f(s) = s / W  for s < W,  then (S - s) / (S - W)    (BERT's schedule; Devlin et al. 2019)
    cosine:    f(s) = s / W  for s < W,  then ½ (1 + cos(π (s - W) / (S - W)))   (Loshchilov & Hutter 2017)
    noam:      f(s) = min(s / W, sqrt(W / s))                       (Vaswani et al. 2017)

Noam's rule is ``lr = d_model^-0.5 · min(s^-0.5, s · W^-1.5)``; written as a multiplier it is the same
curve scaled so that it peaks at 1 at ``s = W``: give the peak ``d_model^-0.5 · W^-0.5`` as the base
learning rate to get the paper's numbers.

The multiplier is a small picklable object (not a lambda), so the scheduler's ``state_dict`` is complete.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from mlcanon.validation import check_int, check_option

__all__ = ["SCHEDULES", "Schedule"]

SCHEDULES = ("constant", "linear", "cosine", "noam")


@dataclass(frozen=True)
class Schedule:
    """Learning-rate multiplier ``f(step)``; ``LambdaLR`` calls it with the number of steps already taken.

    Examples
    --------
    >>> f = Schedule("linear", warmup_steps=10, total_steps=110)
    >>> f(0), f(4), f(9), f(59), f(109)
    (0.1, 0.5, 1.0, 0.5, 0.0)
    """

    name: str = "constant"
    warmup_steps: int = 0
    total_steps: int = 1

    def __post_init__(self) -> None:
        check_option(self.name, "schedule", SCHEDULES)
        check_int(self.warmup_steps, "warmup_steps", minimum=0)
        check_int(self.total_steps, "total_steps", minimum=1)
        if self.name == "noam" and self.warmup_steps == 0:
            raise ValueError("warmup_steps: the noam schedule needs warmup_steps >= 1, got 0")

    def __call__(self, taken: int) -> float:
        s = taken + 1  # LambdaLR passes the steps taken; the rate applies to step taken + 1
        w, total = self.warmup_steps, self.total_steps
        if self.name == "noam":
            return min(s / w, math.sqrt(w / s))
        if w and s < w:
            return s / w
        if self.name == "constant" or total <= w:
            return 1.0
        progress = min(1.0, (s - w) / (total - w))
        if self.name == "linear":
            return 1.0 - progress
        return 0.5 * (1.0 + math.cos(math.pi * progress))
