"""The trainer's overhead: ``Trainer.fit`` for one epoch against a bare hand-written loop, same model and data.

Kim's TextCNN (300-d, 3/4/5 × 100) on the 5,452 TREC training questions, batch 50, Adam, one epoch (110
steps), one thread on both sides. The bare loop is what a tutorial writes (shuffle, pad, forward,
cross-entropy, backward, step, zero_grad); the trainer adds what makes a run trustworthy: its own
generators, the loss check and log, the LR scheduler, the max-norm hook both sides run, and the end-of-epoch
checkpoint (atomic safetensors + state) that the bare loop does not write. Every batch is padded to the
longest question, so that the two different shuffles cost the same. Goal: ≤ 1.05× the bare loop's time.
"""

from __future__ import annotations

import tempfile
import time

import torch
from torch import nn
from torch.utils.data import DataLoader

from benchmarks.harness import Comparison, compare
from mlcanon._threads import single_thread


def run(repeats: int = 5, quick: bool = False):
    with single_thread():
        return _run(repeats, quick)


def _run(repeats: int, quick: bool):
    from mlcanon.models.textcnn import TextCNN, TextCNNConfig
    from mlcanon.tasks.textcls.features import load_split, tokenize
    from mlcanon.tasks.textcls.pipeline import _collate, _Encoded
    from mlcanon.text.vocab import Vocab
    from mlcanon.training import TrainConfig, Trainer

    train = load_split("trec", "train")
    n = 1000 if quick else len(train)
    vocab = Vocab.build(tokenize(t) for t in train.texts[:n])
    names = sorted(set(train.labels))
    data = _Encoded([vocab.encode(tokenize(t)) for t in train.texts[:n]], [names.index(y) for y in train.labels[:n]])
    T = max(len(ids) for ids in data.ids)

    def _collate_fixed(batch):  # every batch padded to the longest question: its cost does not depend on the order
        x, y = _collate(batch + [([1] * T, 0)])
        return x[:-1], y[:-1]

    def fresh():
        torch.manual_seed(0)
        return TextCNN(TextCNNConfig(vocab_size=len(vocab), num_classes=len(names)))

    def bare():
        model = fresh()
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        loader = DataLoader(data, batch_size=50, shuffle=True, collate_fn=_collate_fixed)
        model.train()
        for x, y in loader:
            loss = nn.functional.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            model.max_norm_()
            opt.zero_grad(set_to_none=True)

    def ours():
        with tempfile.TemporaryDirectory() as out:
            cfg = TrainConfig(epochs=1, batch_size=50, lr=1e-3, optimizer="adam", metric="loss")
            Trainer(fresh(), cfg, data, loss_fn=lambda m, b: nn.functional.cross_entropy(m(b[0]), b[1]),
                    collate_fn=_collate_fixed, out_dir=out, after_step=lambda m: m.max_norm_(), progress=False).fit()

    steps = -(-n // 50)
    # On a machine shared with other jobs the wall clock counts their time too; the process's CPU time
    # (one thread) counts only ours, so both are recorded and the CPU-time pair is the robust one.
    cpu_ours, cpu_bare = [], []

    def cpu(fn, into):
        def run():
            start = time.process_time()
            fn()
            into.append(time.process_time() - start)
        return run

    wall = compare("trainer epoch vs bare loop (TextCNN, TREC)", ours, bare, reference_name="bare PyTorch loop",
                    repeats=repeats, goal=1.05,
                    params={"examples": n, "batch": 50, "steps": steps, "threads": torch.get_num_threads()},
                    notes="ours includes the end-of-epoch atomic checkpoint")
    # the same alternation again, recording CPU seconds (the first, warm-up round of each is dropped)
    compare("cpu", cpu(ours, cpu_ours), cpu(bare, cpu_bare), reference_name="", repeats=repeats)
    cpu_cmp = Comparison("trainer epoch vs bare loop, process CPU time", "bare PyTorch loop", cpu_ours[1:],
                         cpu_bare[1:], goal=1.05, params=wall.params, notes="CPU seconds of this process, one thread")
    return [wall, cpu_cmp]
