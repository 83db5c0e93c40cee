"""Multi-head attention: mlcanon.nn.MultiHeadAttention vs torch.nn.MultiheadAttention, same weights.

Self-attention on batch 32 × 128 tokens × 256 dims, 8 heads, half the batch padded: training
(forward + backward, with and without the attention weights) and inference (eval, no grad).
Goal: at least torch's throughput (time ratio <= 1.0).
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
    from mlcanon.nn.attention import MultiHeadAttention

    torch.manual_seed(0)
    B, T, E, h = (8, 32, 64, 4) if quick else (32, 128, 256, 8)
    theirs = torch.nn.MultiheadAttention(E, h, batch_first=True)
    ours = MultiHeadAttention(E, h, batch_first=True)
    ours.load_state_dict(theirs.state_dict(), strict=True)
    x = torch.randn(B, T, E, requires_grad=True)
    pad = torch.zeros(B, T, dtype=torch.bool)
    pad[B // 2 :, T * 3 // 4 :] = True
    diff = float((ours(x, x, x, key_padding_mask=pad)[0] - theirs(x, x, x, key_padding_mask=pad)[0]).abs().max())
    params = {"batch": B, "seq_len": T, "embed_dim": E, "heads": h, "threads": torch.get_num_threads(),
              "max_abs_diff": diff}
    out = []
    for need_weights in (False, True):
        def train(m, nw=need_weights):
            def go():
                m.zero_grad(set_to_none=True)
                x.grad = None
                y, _ = m(x, x, x, key_padding_mask=pad, need_weights=nw)
                y.sum().backward()
            return go

        out.append(compare(f"train fwd+bwd {B}x{T}x{E}, need_weights={need_weights}", train(ours), train(theirs),
                           reference_name="torch.nn.MultiheadAttention", repeats=repeats, goal=1.0, params=params))

    def infer(m):
        def go():
            with torch.inference_mode():
                m(x, x, x, key_padding_mask=pad, need_weights=False)
        return go

    ours.eval(), theirs.eval()
    out.append(compare(f"inference {B}x{T}x{E}", infer(ours), infer(theirs),
                       reference_name="torch.nn.MultiheadAttention (fast path)", repeats=repeats, goal=1.0,
                       params=params))
    ours.train(), theirs.train()
    return out
