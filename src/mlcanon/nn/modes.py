"""``model.eval()`` versus ``torch.no_grad()``: two switches that are often confused, shown with numbers.

- ``model.train()`` / ``model.eval()`` change what some **layers compute**: dropout zeroes a fraction p
  of its inputs and scales the rest by 1/(1-p) in training (Srivastava et al. 2014) and is the
  identity in eval; batch norm (Ioffe & Szegedy 2015) normalises with the **batch's** mean and
  (biased) variance in training and updates its running estimates,

      running_mean ← (1 - momentum)·running_mean + momentum·batch_mean        (momentum = 0.1)
      running_var  ← (1 - momentum)·running_var  + momentum·batch_var·n/(n-1)  (unbiased)

  while in eval it normalises with those running estimates and leaves them alone.
- ``torch.no_grad()`` / ``torch.inference_mode()`` change **autograd**, not the layers: no graph is
  recorded, nothing is saved for the backward pass (less memory), outputs have ``requires_grad=False``.
  ``inference_mode`` also skips version counting, and its outputs can never enter a graph later.

So evaluation wants both: ``model.eval()`` for the right numbers, ``no_grad`` for the memory. And
``no_grad`` alone does not stop batch norm from updating its running statistics in train mode.
:func:`four_combinations` shows all four on a CIFAR ResNet-20; :func:`format_table` prints the result.
"""

from __future__ import annotations

import contextlib

import torch
from torch import nn

from mlcanon.validation import check_int, check_scalar

__all__ = ["autograd_demo", "batchnorm_demo", "dropout_demo", "format_table", "four_combinations"]


def dropout_demo(p: float = 0.5, n: int = 100_000, seed: int = 0) -> dict[str, dict[str, float]]:
    """Fraction of zeros and the mean of ``Dropout(p)`` applied to ones, in train and in eval mode.

    Examples
    --------
    >>> d = dropout_demo(0.5)
    >>> d["eval"]["fraction_zero"], d["eval"]["mean"]
    (0.0, 1.0)
    >>> round(d["train"]["fraction_zero"], 2), d["train"]["max"]   # survivors scaled by 1/(1-p)
    (0.5, 2.0)
    """
    check_scalar(p, "p", minimum=0.0, maximum=1.0, include_maximum=False)
    check_int(n, "n", minimum=1)
    torch.manual_seed(seed)
    layer, x = nn.Dropout(p), torch.ones(n)
    out = {}
    for mode in ("train", "eval"):
        layer.train(mode == "train")
        y = layer(x)
        out[mode] = {"fraction_zero": float((y == 0).float().mean()), "mean": float(y.mean()),
                     "max": float(y.max())}
    return out


def batchnorm_demo(n: int = 64, features: int = 4, seed: int = 0) -> dict[str, dict[str, float]]:
    """What ``BatchNorm1d`` uses and changes in each mode, on a batch with mean 3 and standard deviation 2.

    Returns per mode: the output's mean and std, how far the running mean moved, and whether the first
    sample's output depends on the rest of the batch (it does in train mode: batch statistics).

    Examples
    --------
    >>> d = batchnorm_demo()
    >>> abs(d["train"]["output_mean"]) < 1e-6, d["eval"]["running_mean_change"]
    (True, 0.0)
    """
    check_int(n, "n", minimum=2)
    torch.manual_seed(seed)
    x = 3 + 2 * torch.randn(n, features)
    other = torch.cat([x[:1], torch.zeros(n - 1, features)])  # the same first sample among other companions
    out = {}
    for mode in ("train", "eval"):
        bn, twin = (nn.BatchNorm1d(features).train(mode == "train") for _ in range(2))
        before = bn.running_mean.clone()
        with torch.no_grad():  # no_grad has no say here: train mode updates the running statistics anyway
            y = bn(x)
            y_other = twin(other)
        out[mode] = {
            "output_mean": float(y.mean()),
            "output_std": float(y.std(unbiased=False)),
            "running_mean_change": float((bn.running_mean - before).abs().max()),
            "first_sample_depends_on_batch": float((y[:1] - y_other[:1]).abs().max()),
        }
    return out


def _saved_bytes(fn) -> tuple[torch.Tensor, int]:
    """Run ``fn()`` and count the bytes autograd saves for the backward pass."""
    saved = 0

    def pack(t: torch.Tensor):
        nonlocal saved
        saved += t.numel() * t.element_size()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        y = fn()
    return y, saved


def autograd_demo(model: nn.Module | None = None, x: torch.Tensor | None = None) -> dict[str, dict[str, object]]:
    """Graph, saved memory and outputs of one forward pass with grad, under no_grad and under inference_mode.

    Examples
    --------
    >>> d = autograd_demo()
    >>> d["grad"]["requires_grad"], d["no_grad"]["requires_grad"], d["no_grad"]["saved_bytes"]
    (True, False, 0)
    >>> d["inference_mode"]["is_inference"], d["no_grad"]["max_diff_to_grad"]
    (True, 0.0)
    """
    torch.manual_seed(0)
    model = model if model is not None else nn.Sequential(nn.Linear(256, 512), nn.ReLU(), nn.Linear(512, 10))
    x = x if x is not None else torch.randn(128, 256)
    contexts = {"grad": contextlib.nullcontext, "no_grad": torch.no_grad, "inference_mode": torch.inference_mode}
    out, reference = {}, None
    for name, context in contexts.items():
        with context():
            y, saved = _saved_bytes(lambda: model(x))
        reference = y.detach() if reference is None else reference
        out[name] = {"requires_grad": y.requires_grad, "has_graph": y.grad_fn is not None,
                     "saved_bytes": saved, "is_inference": y.is_inference(),
                     "max_diff_to_grad": float((y.detach() - reference).abs().max())}
    return out


def four_combinations(model: nn.Module | None = None, x: torch.Tensor | None = None,
                      seed: int = 0) -> list[dict[str, object]]:
    """train()/eval() × grad/no_grad on one batch: what changes in the output, the BN statistics and memory.

    Defaults to a CIFAR ResNet-20 (He et al. 2016) whose batch-norm running statistics were first
    moved off their (0, 1) start by a few training-mode passes, on 16 random 32×32 images. Each
    combination starts from the same weights and statistics.

    Examples
    --------
    >>> rows = four_combinations()
    >>> [(r["mode"], r["autograd"], r["bn_stats_changed"], r["saved_bytes"] > 0) for r in rows]
    [('train', 'grad', True, True), ('train', 'no_grad', True, False), ('eval', 'grad', False, True), ('eval', 'no_grad', False, False)]
    """
    from mlcanon.models.resnet import resnet20

    torch.manual_seed(seed)
    if model is None:
        model = resnet20()
        with torch.no_grad():
            for _ in range(3):  # move the running statistics away from mean 0, variance 1
                model.train()(1 + 2 * torch.rand(16, 3, 32, 32))
    x = x if x is not None else torch.rand(16, 3, 32, 32)
    start = {k: v.clone() for k, v in model.state_dict().items()}
    outputs, rows = {}, []
    for mode in ("train", "eval"):
        for grad in ("grad", "no_grad"):
            model.load_state_dict(start)
            model.train(mode == "train")
            with torch.no_grad() if grad == "no_grad" else contextlib.nullcontext():
                y, saved = _saved_bytes(lambda: model(x))
            outputs[mode, grad] = y.detach()
            changed = any(not torch.equal(v, start[k]) for k, v in model.state_dict().items() if "running" in k)
            rows.append({"mode": mode, "autograd": grad, "requires_grad": y.requires_grad,
                         "saved_bytes": saved, "bn_stats_changed": changed,
                         "max_diff_to_eval_no_grad": None, "logits_mean": float(y.detach().mean())})
    model.load_state_dict(start)
    for row in rows:
        row["max_diff_to_eval_no_grad"] = float((outputs[row["mode"], row["autograd"]]
                                                 - outputs["eval", "no_grad"]).abs().max())
    return rows


def format_table(rows: list[dict[str, object]]) -> str:
    """A plain-text table of :func:`four_combinations` (one line per combination)."""
    columns = list(rows[0])
    cells = [[f"{r[c]:.4g}" if isinstance(r[c], float) else str(r[c]) for c in columns] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths))]
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths)) for row in cells]
    return "\n".join(lines)
