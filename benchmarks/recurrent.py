"""Recurrent layers: mlcanon.nn.LSTM/GRU vs torch.nn.LSTM/GRU, forward + backward, same weights.

Batch 32 × 50 steps × 128 features → 128 hidden, one layer and a bidirectional one. torch's
CPU LSTM/GRU run the whole time loop in C++ (fused ATen kernels, oneDNN where it applies); ours
runs the time loop in Python over torch ops, with the input projection of all steps hoisted
into one matmul. The issue sets no speed goal for these layers; the ratio is reported as
measured.
"""

from __future__ import annotations

import torch

from benchmarks.harness import compare
from mlcanon._threads import single_thread


def run(repeats: int = 5, quick: bool = False):
    # One thread for both sides: on a shared 2-core machine, threads that wait for a busy core
    # make tiny per-step ops cost milliseconds at random, for both.
    with single_thread():
        return _run(repeats, quick)


def _run(repeats: int, quick: bool):
    from mlcanon.nn import recurrent

    torch.manual_seed(0)
    B, T, F, H = (8, 20, 32, 32) if quick else (32, 50, 128, 128)
    out = []
    for name in ("LSTM", "GRU"):
        for bidirectional in (False, True):
            theirs = getattr(torch.nn, name)(F, H, bidirectional=bidirectional)
            ours = getattr(recurrent, name)(F, H, bidirectional=bidirectional)
            ours.load_state_dict(theirs.state_dict(), strict=True)
            x = torch.randn(T, B, F, requires_grad=True)

            def step(m):
                def go():
                    m.zero_grad(set_to_none=True)
                    x.grad = None
                    y, _ = m(x)
                    y.sum().backward()
                return go

            with torch.no_grad():
                diff = float((ours(x)[0] - theirs(x)[0]).abs().max())
            tag = "bidirectional " if bidirectional else ""
            out.append(compare(f"{tag}{name} forward+backward {B}x{T}x{H}", step(ours), step(theirs),
                               reference_name=f"torch.nn.{name}", repeats=repeats, warmup=1, goal=None,
                               params={"batch": B, "seq_len": T, "hidden": H, "bidirectional": bidirectional,
                                       "threads": torch.get_num_threads(), "max_abs_diff": diff}))
    return out
