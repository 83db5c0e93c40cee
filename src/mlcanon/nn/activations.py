"""Activation functions.

GELU (Hendrycks & Gimpel 2016, "Gaussian Error Linear Units"):

    GELU(x) = x · Φ(x) = x · ½ · (1 + erf(x / √2))                        (exact)
    GELU(x) ≈ ½ · x · (1 + tanh(√(2/π) · (x + 0.044715 · x³)))              (tanh approximation)

Φ is the standard normal CDF: the unit is kept with the probability that a standard normal
falls below its input, a smooth version of ReLU's hard gate. BERT uses the exact form; GPT-2
the tanh form. Reference: ``torch.nn.functional.gelu(x, approximate="none"|"tanh")``.
"""

from __future__ import annotations

import math
from typing import Literal

import torch
from torch import nn

__all__ = ["gelu", "GELU", "get_activation"]

_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


def gelu(x: torch.Tensor, approximate: Literal["none", "tanh"] = "none") -> torch.Tensor:
    """GELU of ``x``, exact (erf) or with the tanh approximation."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"x: expected a torch.Tensor, got {type(x).__name__}")
    if approximate == "none":
        return 0.5 * x * (1.0 + torch.erf(x / math.sqrt(2.0)))
    if approximate == "tanh":
        return 0.5 * x * (1.0 + torch.tanh(_SQRT_2_OVER_PI * (x + 0.044715 * x.pow(3))))
    raise ValueError(f"approximate: expected 'none' or 'tanh', got {approximate!r}")


class GELU(nn.Module):
    """GELU as a module.

    ``fused=True`` evaluates the same function with torch's single fused kernel
    (``torch.nn.functional.gelu``) instead of the four elementwise operations of :func:`gelu`:
    the model code (BERT) uses it for speed, as it uses ``F.scaled_dot_product_attention``
    for attention; the composed formula stays the readable definition, tested against it.

    Examples
    --------
    >>> import torch
    >>> from mlcanon.nn import GELU
    >>> GELU()(torch.tensor([0.0, 1.0])).tolist()[0]
    0.0
    """

    def __init__(self, approximate: Literal["none", "tanh"] = "none", fused: bool = False) -> None:
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"approximate: expected 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate
        self.fused = fused

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.fused:
            return torch.nn.functional.gelu(x, approximate=self.approximate)
        return gelu(x, self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}, fused={self.fused}"


def get_activation(name: str, fused: bool = True) -> nn.Module:
    """The activation a Hugging Face config names (``hidden_act``): gelu, gelu_new, relu, silu, tanh.

    Models get the fused GELU kernel by default (see :class:`GELU`)."""
    table = {
        "gelu": lambda: GELU("none", fused=fused),
        "gelu_new": lambda: GELU("tanh", fused=fused),
        "gelu_pytorch_tanh": lambda: GELU("tanh", fused=fused),
        "relu": nn.ReLU,
        "silu": nn.SiLU,
        "swish": nn.SiLU,
        "tanh": nn.Tanh,
    }
    if name not in table:
        raise ValueError(f"hidden_act: expected one of {', '.join(map(repr, table))}, got {name!r}")
    return table[name]()
