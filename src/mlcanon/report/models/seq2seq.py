"""序列到序列 · Seq2Seq: an attention encoder-decoder (Bahdanau 2015) learns date-format normalisation
("the 5th of March 1997" -> "1997-03-05") on the CPU; the same architecture built from
torch.nn.GRU/GRUCell gives the same logits; the attention heat map shows what each output
character looks at.

Default mode trains for 250 updates of 32 dates (under 10 s of one core), ``--full`` for one epoch
(625 updates); both check the issue's goal, ≥ 98% exact match on 1000 held-out dates."""

from __future__ import annotations

import contextlib
import types

from mlcanon.report.core import Row, Table, check, figure_from_matplotlib

_GOAL = 0.98
_SHORT_STEPS = 250
_BATCH, _LR = 32, 1e-2


def torch_reference(model):
    """A copy of a :class:`~mlcanon.models.seq2seq.Seq2Seq` whose encoder RNN is ``torch.nn.LSTM``/``GRU``
    (on packed sequences) and whose decoder cells are ``torch.nn.LSTMCell``/``GRUCell``, with the same
    weights (the state dict loads with ``strict=True``: the parameter names are torch's)."""
    import torch
    from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

    from mlcanon.models.seq2seq import Seq2Seq

    c = model.config
    ref = Seq2Seq(c)
    rnn = torch.nn.LSTM if c.cell == "lstm" else torch.nn.GRU
    ref.encoder.rnn = rnn(c.embedding_dim, c.hidden_size, num_layers=c.num_layers, batch_first=True,
                          dropout=c.dropout, bidirectional=c.bidirectional)

    def run_rnn(self, x, lengths):
        packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        out, final = self.rnn(packed)
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])
        return out, final

    ref.encoder.run_rnn = types.MethodType(run_rnn, ref.encoder)
    cell = torch.nn.LSTMCell if c.cell == "lstm" else torch.nn.GRUCell
    ref.decoder.cells = torch.nn.ModuleList(cell(m.input_size, m.hidden_size) for m in model.decoder.cells)
    ref.load_state_dict(model.state_dict(), strict=True)
    return ref.train(model.training)


@contextlib.contextmanager
def _one_thread():
    """Small matmuls: one thread is as fast, and does not fight the other processes for the cores."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def _trained(ctx):
    import torch

    from mlcanon.models.seq2seq import Seq2Seq, Seq2SeqConfig
    from mlcanon.models.seq2seq_tasks import make_date_dataset, train_seq2seq

    data = make_date_dataset(n_train=20000, n_test=1000, seed=ctx.seed)
    torch.manual_seed(ctx.seed)
    model = Seq2Seq(Seq2SeqConfig.small(len(data.src_vocab), len(data.tgt_vocab)))
    steps = None if ctx.full else _SHORT_STEPS
    history = train_seq2seq(model, data, epochs=1, max_steps=steps, batch_size=_BATCH, lr=_LR, seed=ctx.seed)
    return model, data, history


@check("序列到序列 — Seq2Seq with attention (date normalisation)")
def seq2seq_dates(ctx):
    with _one_thread():
        return _seq2seq_dates(ctx)


def _seq2seq_dates(ctx):
    import torch

    from mlcanon.models.seq2seq_tasks import exact_match, make_batch

    model, data, history = _trained(ctx)
    acc = exact_match(model, data.test, data.src_vocab, data.tgt_vocab)
    beam = exact_match(model, data.test[:300], data.src_vocab, data.tgt_vocab, beam_size=5)
    greedy300 = exact_match(model, data.test[:300], data.src_vocab, data.tgt_vocab)
    run = (f"{'one epoch' if ctx.full else 'a short run'}: {history['steps']} updates of {_BATCH}, "
           f"{history['seconds']:.1f} s wall / {history['cpu_seconds']:.1f} s CPU")
    quality = Row(f"held-out exact match, 1000 dates never seen in training ({run})", acc, _GOAL,
                  "goal", tolerance=0.0, kind="quality")
    src, lengths, tgt_in, _ = make_batch(data.test[:64], data.src_vocab, data.tgt_vocab)
    ref = torch_reference(model)
    with torch.no_grad():
        diff = float((model(src, lengths, tgt_in) - ref(src, lengths, tgt_in)).abs().max())
    return [
        quality,
        Row("beam search (5) vs greedy, exact match on 300 held-out dates", beam, greedy300, "our greedy search",
            kind="quality", note="info: beam search ranks by log-probability; on a well-trained model they agree"),
        Row("Seq2Seq logits vs the same model built from torch.nn.GRU/GRUCell, max |diff| (64 held-out dates)",
            diff, 0.0, "torch.nn.GRU + GRUCell", tolerance=1e-5),
        _heat_map(model, data, ctx),
    ] + ([_variants(data, ctx)] if ctx.full else [])


def _variants(data, ctx):
    """--full only: the same budget for the papers' decoders (what attention buys)."""
    import torch

    from mlcanon.models.seq2seq import Seq2Seq, Seq2SeqConfig
    from mlcanon.models.seq2seq_tasks import exact_match, train_seq2seq

    variants = [
        ("Cho 2014: GRU, no attention", {"attention": None}),
        ("Sutskever 2014: LSTM, no attention", {"cell": "lstm", "attention": None, "bidirectional": False}),
        ("Bahdanau 2015: bi-GRU, additive", {}),
        ("Luong 2015: LSTM, dot", {"cell": "lstm", "attention": "dot", "bidirectional": False}),
        ("Luong 2015: bi-LSTM, general + input feeding", {"cell": "lstm", "attention": "general", "input_feeding": True}),
    ]
    rows = []
    for name, kw in variants:
        torch.manual_seed(ctx.seed)
        model = Seq2Seq(Seq2SeqConfig.small(len(data.src_vocab), len(data.tgt_vocab), **kw))
        history = train_seq2seq(model, data, max_steps=_SHORT_STEPS, batch_size=_BATCH, lr=_LR, seed=ctx.seed)
        acc = exact_match(model, data.test, data.src_vocab, data.tgt_vocab)
        rows.append([name, sum(p.numel() for p in model.parameters()), f"{history['cpu_seconds']:.1f}", f"{acc:.3f}"])
    return Table(f"Seq2Seq decoders after {_SHORT_STEPS} updates of {_BATCH} dates (held-out exact match)",
                 ["model", "parameters", "training CPU s", "exact match"], rows)


def _heat_map(model, data, ctx):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from mlcanon.models.seq2seq_tasks import make_batch

    # a held-out date in a long format, so that the alignment has something to show
    src_text, tgt_text = max(data.test[:200], key=lambda p: len(p[0]))
    src, lengths, _, _ = make_batch([(src_text, tgt_text)], data.src_vocab, data.tgt_vocab)
    out = model.greedy_decode(src, lengths, max_len=12, return_attention=True)
    weights = out.attention[0].numpy()  # (output steps, source chars)
    produced = list(data.tgt_vocab.decode(out.tokens[0])) + (["<eos>"] if out.finished[0] else [])
    fig, ax = plt.subplots(figsize=(max(6, 0.28 * len(src_text)), 4))
    ax.imshow(weights, cmap="viridis", aspect="auto")
    ax.set_xticks(range(len(src_text)), [ch if ch != " " else "␣" for ch in src_text], fontsize=8)
    ax.set_yticks(range(len(produced)), produced, fontsize=8)
    ax.set_xlabel("source characters")
    ax.set_ylabel("output characters")
    mode = "after one epoch" if ctx.full else f"after {_SHORT_STEPS} updates (default mode)"
    return figure_from_matplotlib(
        fig, f"Seq2Seq attention on the held-out date {src_text!r}",
        f"Bahdanau attention weights α_tj of the GRU encoder-decoder {mode}: row t is the output character, "
        f"columns the input characters; it wrote {''.join(produced[:10])!r} for {tgt_text!r}.")
