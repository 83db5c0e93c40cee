"""The CRF layer: mlcanon.nn.CRF vs pytorch-crf (torchcrf.CRF), same weights, same batch.

The issue's setting: batch 64 × length 50 × 9 tags, lengths drawn in [20, 50] (padding masked).
Two cases: training (log-likelihood forward + backward) and Viterbi decoding. Goal: at least
twice pytorch-crf's throughput (sentences/s), i.e. a time ratio <= 0.5.
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
    import torchcrf

    from mlcanon.nn.crf import CRF

    torch.manual_seed(0)
    B, T, K = (16, 20, 9) if quick else (64, 50, 9)
    theirs = torchcrf.CRF(K)
    ours = CRF(K)
    ours.load_state_dict(theirs.state_dict(), strict=True)
    emissions = torch.randn(T, B, K, requires_grad=True)
    tags = torch.randint(0, K, (T, B))
    lengths = torch.randint(T * 2 // 5, T + 1, (B,))
    lengths[0] = T
    mask = torch.arange(T).unsqueeze(1) < lengths.unsqueeze(0)  # (T, B)
    diff = float((ours(emissions, tags, mask) - theirs(emissions, tags, mask)).abs())
    same_paths = ours.decode(emissions, mask) == theirs.decode(emissions, mask)
    params = {"batch": B, "seq_len": T, "num_tags": K, "threads": torch.get_num_threads(),
              "llh_abs_diff": diff, "viterbi_identical": same_paths}

    def train(crf):
        def step():
            emissions.grad = None
            crf.zero_grad(set_to_none=True)
            (-crf(emissions, tags, mask)).backward()
        return step

    return [
        compare(f"log-likelihood forward+backward {B}x{T}x{K}", train(ours), train(theirs),
                reference_name="pytorch-crf", repeats=repeats, warmup=2, goal=0.5, params=params),
        compare(f"Viterbi decode {B}x{T}x{K}", lambda: ours.decode(emissions, mask),
                lambda: theirs.decode(emissions, mask), reference_name="pytorch-crf", repeats=repeats,
                warmup=2, goal=0.5, params=params),
    ]
