"""Recurrent layers: mlcanon.nn.LSTM/GRU vs torch.nn.LSTM/GRU, forward + backward, same weights.

Batch 32 × 50 steps × 128 features → 128 hidden, one layer and a bidirectional one, and the way the
task models call it (bidirectional, batch first, variable lengths: torch packs, pads back). torch's
CPU LSTM/GRU run the whole time loop in C++ (fused ATen kernels, oneDNN where it applies).
Ours has two paths on the same parameters: the default ``fused=True`` hands them to that same
kernel (goal: ≤ 1.05× torch's time, issue 15 §6); ``fused=False`` runs the readable time loop in
Python over torch ops, with the input projection of all steps hoisted into one matmul (no goal;
reported as measured).

Timing: one thread for both sides; ours and torch alternate within each repeat, each timed
sample runs the step ``inner`` times, and every sample records both the wall clock
(``time.perf_counter``) and this process's CPU time (``time.process_time``): on a shared
machine the CPU time does not count the time the process waits for a core. Each case gives two
comparisons, ``(wall)`` and ``(CPU)``, medians over the repeats.
"""

from __future__ import annotations

import time

import torch

from benchmarks.harness import Comparison
from mlcanon._threads import single_thread

FUSED_GOAL = 1.05  # issue 15 §6: ours/torch


def run(repeats: int = 5, quick: bool = False):
    # One thread for both sides: on a shared 2-core machine, threads that wait for a busy core
    # make tiny per-step ops cost milliseconds at random, for both.
    with single_thread():
        return _run(max(repeats, 3), quick)


def _run(repeats: int, quick: bool):
    from mlcanon.nn import recurrent

    torch.manual_seed(0)
    B, T, F, H = (8, 20, 32, 32) if quick else (32, 50, 128, 128)
    out = []
    for name in ("LSTM", "GRU"):
        for bidirectional in (False, True):
            theirs = getattr(torch.nn, name)(F, H, bidirectional=bidirectional)
            x = torch.randn(T, B, F, requires_grad=True)
            tag = "bidirectional " if bidirectional else ""
            for fused in (True, False):
                ours = getattr(recurrent, name)(F, H, bidirectional=bidirectional, fused=fused)
                ours.load_state_dict(theirs.state_dict(), strict=True)
                with torch.no_grad():
                    diff = float((ours(x)[0] - theirs(x)[0]).abs().max())
                path = "fused" if fused else "readable"
                params = {"batch": B, "seq_len": T, "hidden": H, "bidirectional": bidirectional, "path": path,
                          "threads": torch.get_num_threads(), "max_abs_diff": diff}
                out += _compare_wall_and_cpu(f"{tag}{name} ({path}) forward+backward {B}x{T}x{H}", _step(ours, x),
                                             _step(theirs, x), reference_name=f"torch.nn.{name}", repeats=repeats,
                                             inner=2 if fused else 1, goal=FUSED_GOAL if fused else None,
                                             params=params)
    out += _lengths_case(recurrent, B, T, F, H, repeats)
    return out


def _lengths_case(recurrent, B, T, F, H, repeats):
    """Bidirectional LSTM on a padded batch-first batch with lengths (the NER/textcls/RE models' call):
    ours takes ``lengths``; torch's layer takes the packed batch and its output is padded back."""
    from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

    theirs = torch.nn.LSTM(F, H, bidirectional=True, batch_first=True)
    ours = recurrent.LSTM(F, H, bidirectional=True, batch_first=True)
    ours.load_state_dict(theirs.state_dict(), strict=True)
    x = torch.randn(B, T, F, requires_grad=True)
    lengths = torch.randint(T // 4, T + 1, (B,))
    lengths[0] = T

    def go_ours():
        ours.zero_grad(set_to_none=True)
        x.grad = None
        y, _ = ours(x, lengths=lengths)
        y.sum().backward()

    def go_theirs():
        theirs.zero_grad(set_to_none=True)
        x.grad = None
        y, _ = theirs(pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False))
        y, _ = pad_packed_sequence(y, batch_first=True, total_length=T)
        y.sum().backward()

    params = {"batch": B, "seq_len": T, "hidden": H, "bidirectional": True, "path": "fused", "lengths": "random",
              "threads": torch.get_num_threads()}
    return _compare_wall_and_cpu(f"bidirectional LSTM (fused) batch-first, lengths, forward+backward {B}x{T}x{H}",
                                 go_ours, go_theirs, reference_name="torch.nn.LSTM (packed)", repeats=repeats,
                                 inner=2, goal=FUSED_GOAL, params=params)


def _step(m: torch.nn.Module, x: torch.Tensor):
    def go():
        m.zero_grad(set_to_none=True)
        x.grad = None
        y, _ = m(x)
        y.sum().backward()
    return go


def _compare_wall_and_cpu(name, ours, reference, *, reference_name, repeats, inner, goal, params):
    """Alternate ``ours`` and ``reference`` (one untimed round first); two Comparisons: wall clock and CPU time."""
    ours()
    reference()
    wall = {"ours": [], "ref": []}
    cpu = {"ours": [], "ref": []}
    for _ in range(repeats):
        for key, fn in (("ours", ours), ("ref", reference)):
            w, c = _time(fn, inner)
            wall[key].append(w)
            cpu[key].append(c)
    params = dict(params, calls_per_sample=inner)
    return [Comparison(f"{name} ({clock})", reference_name, t["ours"], t["ref"], goal, dict(params, clock=clock))
            for clock, t in (("wall", wall), ("CPU", cpu))]


def _time(fn, inner: int) -> tuple[float, float]:
    """Seconds per call, wall clock and process CPU time."""
    w0, c0 = time.perf_counter(), time.process_time()
    for _ in range(inner):
        fn()
    return (time.perf_counter() - w0) / inner, (time.process_time() - c0) / inner
