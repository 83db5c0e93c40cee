"""Seq2Seq training and decoding speed: our model (mlcanon.nn GRU and GRUCell inside) vs the same
architecture and weights with torch.nn.GRU (packed sequences) and torch.nn.GRUCell inside.

The date-normalisation task's Bahdanau model (``Seq2SeqConfig.small``), one thread. Cases: one
training update (forward, backward, Adam) on 128 dates, and greedy decoding of 500 held-out
dates. No goal: the ratio says what our pure-PyTorch recurrent layers cost against torch's
C++ kernels inside a whole model (the decoder steps, attention and output layer are shared code).
"""

from __future__ import annotations

import torch

from benchmarks.harness import compare


def run(repeats: int = 5, quick: bool = False):
    from mlcanon.models.seq2seq import Seq2Seq, Seq2SeqConfig
    from mlcanon.models.seq2seq_tasks import make_batch, make_date_dataset
    from mlcanon.report.models.seq2seq import torch_reference

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        data = make_date_dataset(n_train=2000, n_test=500, seed=0)
        torch.manual_seed(0)
        ours = Seq2Seq(Seq2SeqConfig.small(len(data.src_vocab), len(data.tgt_vocab)))
        ref = torch_reference(ours)
        B = 64 if quick else 128
        src, lengths, tgt_in, tgt_out = make_batch(data.train[:B], data.src_vocab, data.tgt_vocab)
        steps = 3 if quick else 10

        def trainer(model):
            opt = torch.optim.Adam(model.parameters(), lr=1e-3)

            def go():
                for _ in range(steps):
                    loss = model.loss(model(src, lengths, tgt_in), tgt_out)
                    opt.zero_grad(set_to_none=True)
                    loss.backward()
                    opt.step()

            return go

        params = {"batch": B, "updates": steps, "threads": 1, "hidden": 64, "cell": "gru", "attention": "additive",
                  "src_len_max": int(lengths.max())}
        out = [compare(f"Seq2Seq training, {steps} updates of {B} dates", trainer(ours), trainer(ref),
                       reference_name="same model on torch.nn.GRU/GRUCell", repeats=repeats, goal=None,
                       params=params, notes="ratio > 1: our recurrent layers are slower than torch's")]
        n = 100 if quick else 500
        t_src, t_len, _, _ = make_batch(data.test[:n], data.src_vocab, data.tgt_vocab)
        out.append(compare(f"Seq2Seq greedy decoding of {n} dates", lambda: ours.greedy_decode(t_src, t_len, max_len=12),
                           lambda: ref.greedy_decode(t_src, t_len, max_len=12),
                           reference_name="same model on torch.nn.GRU/GRUCell", repeats=repeats, goal=None,
                           params={"n": n, "threads": 1}))
        return out
    finally:
        torch.set_num_threads(threads)
