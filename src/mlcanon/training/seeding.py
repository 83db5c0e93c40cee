"""One seed for every random number generator a training run touches, and their states as tensors.

A run is reproducible when Python's ``random``, NumPy's global generator and torch's generator start
from the same seed and every data order comes from a generator of its own (see
:mod:`mlcanon.training.trainer`). A run is *resumable to the same weights* when, in addition, the
states of those generators at the checkpoint are restored. The states are stored as plain tensors,
ints and tuples so that ``torch.load(..., weights_only=True)`` reads them (no pickle of NumPy objects).
"""

from __future__ import annotations

import random

import numpy as np
import torch

from mlcanon.validation import check_int

__all__ = ["set_seed", "rng_state", "set_rng_state", "generator"]


def set_seed(seed: int) -> None:
    """Seed Python's ``random``, NumPy's global generator and torch's generator with ``seed``.

    Examples
    --------
    >>> set_seed(0); a = torch.rand(2)
    >>> set_seed(0); bool((a == torch.rand(2)).all())
    True
    """
    seed = check_int(seed, "seed", minimum=0)
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def generator(seed: int, *stream: int) -> torch.Generator:
    """A torch generator of its own for one stream of randomness (e.g. ``generator(seed, epoch)``).

    Different streams of the same seed do not share state, so consuming one (a data order) never
    shifts another (the dropout masks drawn from the global generator).
    """
    g = torch.Generator()
    value = int(seed)
    for s in stream:  # a simple, documented mix; any injective map of (seed, *stream) would do
        value = (value * 1_000_003 + int(s) + 1) % (2**63 - 1)
    g.manual_seed(value)
    return g


def rng_state() -> dict:
    """The states of Python's, NumPy's and torch's global generators, readable with ``weights_only=True``."""
    version, py_state, gauss = random.getstate()
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    return {
        "python": (version, torch.tensor(py_state, dtype=torch.int64), gauss),
        "numpy": (kind, torch.from_numpy(keys.astype(np.int64)), int(pos), int(has_gauss), float(cached)),
        "torch": torch.get_rng_state(),
    }


def set_rng_state(state: dict) -> None:
    """Restore the generator states returned by :func:`rng_state`."""
    if not isinstance(state, dict) or set(state) != {"python", "numpy", "torch"}:
        raise ValueError(f"state: expected the dict returned by rng_state(), got {type(state).__name__}")
    version, py_state, gauss = state["python"]
    random.setstate((version, tuple(int(v) for v in py_state.tolist()), gauss))
    kind, keys, pos, has_gauss, cached = state["numpy"]
    np.random.set_state((kind, keys.numpy().astype(np.uint32), pos, has_gauss, cached))
    torch.set_rng_state(state["torch"])
