"""Seq2Seq (Sutskever 2014; Cho 2014; Bahdanau 2015; Luong 2015): shapes, gradients, masking,
teacher forcing, greedy and beam search (against an exhaustive search), parity with the same
architecture built from torch.nn.LSTM/GRU, the date-normalisation task, and errors."""

from __future__ import annotations

import datetime as dt
import itertools
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
import torch

from mlcanon.models.seq2seq import Seq2Seq, Seq2SeqConfig
from mlcanon.models.seq2seq_tasks import (
    DATE_FORMATS,
    CharVocab,
    exact_match,
    format_date,
    make_batch,
    make_date_dataset,
    train_seq2seq,
)
from mlcanon.report.models.seq2seq import torch_reference  # our model with torch.nn.LSTM/GRU inside

# (cell, attention, bidirectional, num_layers, input_feeding): every decoder path
VARIANTS = [
    ("lstm", None, False, 2, False),  # Sutskever
    ("gru", None, True, 1, False),  # Cho, with a bridge
    ("gru", "additive", True, 1, False),  # Bahdanau
    ("lstm", "additive", True, 2, False),
    ("lstm", "general", False, 2, True),  # Luong with input feeding
    ("gru", "general", True, 1, False),
    ("lstm", "dot", False, 1, True),
    ("gru", "dot", False, 2, False),
]
IDS = ["-".join(str(x) for x in v) for v in VARIANTS]
SRC_V, TGT_V = 13, 9


def make_model(cell="gru", attention="additive", bidirectional=True, num_layers=1, input_feeding=False, seed=0,
               dropout=0.0, **kw):
    torch.manual_seed(seed)
    cfg = Seq2SeqConfig(SRC_V, TGT_V, cell=cell, embedding_dim=6, hidden_size=8, num_layers=num_layers,
                        bidirectional=bidirectional, attention=attention, input_feeding=input_feeding,
                        dropout=dropout, **kw)
    return Seq2Seq(cfg).eval()


def random_batch(B=4, S=7, T=5, seed=1):
    g = torch.Generator().manual_seed(seed)
    lengths = torch.randint(1, S + 1, (B,), generator=g)
    lengths[0] = S
    src = torch.randint(3, SRC_V, (B, S), generator=g)
    src[torch.arange(S) >= lengths.unsqueeze(1)] = 0  # pad
    tgt_in = torch.randint(3, TGT_V, (B, T), generator=g)
    tgt_in[:, 0] = 1  # BOS
    return src, lengths, tgt_in


# ----------------------------------------------------------------------------------------------
# shapes, gradients, masking
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("variant", VARIANTS, ids=IDS)
def test_shapes_finite_and_every_parameter_gets_a_gradient(variant):
    model = make_model(*variant).train()
    src, lengths, tgt_in = random_batch()
    logits, att = model(src, lengths, tgt_in, return_attention=True)
    assert logits.shape == (4, 5, TGT_V)
    assert torch.isfinite(logits).all()
    assert (att is None) == (variant[1] is None)
    loss = model.loss(logits, torch.randint(2, TGT_V, (4, 5)))
    loss.backward()
    for name, p in model.named_parameters():
        assert p.grad is not None, name
        assert torch.isfinite(p.grad).all(), name
        assert p.grad.abs().sum() > 0, name


@pytest.mark.parametrize("variant", VARIANTS, ids=IDS)
def test_padding_changes_nothing(variant):
    # The same example alone (no padding) and padded inside a batch: same logits and attention.
    model = make_model(*variant)
    src, lengths, tgt_in = random_batch(B=5, S=9, seed=3)
    batch_logits, batch_att = model(src, lengths, tgt_in, return_attention=True)
    for b in range(5):
        n = int(lengths[b])
        alone, alone_att = model(src[b : b + 1, :n], lengths[b : b + 1], tgt_in[b : b + 1], return_attention=True)
        torch.testing.assert_close(batch_logits[b : b + 1], alone, atol=1e-6, rtol=0)
        if alone_att is not None:
            torch.testing.assert_close(batch_att[b : b + 1, :, :n], alone_att, atol=1e-6, rtol=0)
            assert (batch_att[b, :, n:] == 0).all()


@pytest.mark.parametrize("variant", [v for v in VARIANTS if v[1] is not None], ids=[i for i, v in zip(IDS, VARIANTS) if v[1]])
def test_attention_weights_are_distributions_over_real_positions(variant):
    model = make_model(*variant)
    src, lengths, tgt_in = random_batch(B=6, S=8, seed=4)
    _, att = model(src, lengths, tgt_in, return_attention=True)  # (B, T, S)
    torch.testing.assert_close(att.sum(-1), torch.ones(6, 5), atol=1e-6, rtol=0)
    pad = torch.arange(8) >= lengths.unsqueeze(1)  # (B, S)
    assert (att.masked_select(pad.unsqueeze(1).expand_as(att)) == 0).all()
    assert (att.masked_select(~pad.unsqueeze(1).expand_as(att)) > 0).all()
    out = model.greedy_decode(src, lengths, max_len=6, return_attention=True)
    for b, a in enumerate(out.attention):
        assert a.shape == (min(len(out.tokens[b]) + 1, 6), int(lengths[b]))
        torch.testing.assert_close(a.sum(-1), torch.ones(a.shape[0]), atol=1e-6, rtol=0)


def test_padding_token_value_is_irrelevant():
    # What sits in the padded positions must not matter (not merely the pad id's embedding).
    model = make_model("lstm", "additive", True, 2)
    src, lengths, tgt_in = random_batch(B=4, S=7, seed=5)
    noisy = src.clone()
    noisy[torch.arange(7) >= lengths.unsqueeze(1)] = 7
    torch.testing.assert_close(model(src, lengths, tgt_in), model(noisy, lengths, tgt_in), atol=0, rtol=0)


# ----------------------------------------------------------------------------------------------
# parity: the same architecture built from torch.nn.LSTM/GRU and their cells
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("variant", VARIANTS, ids=IDS)
def test_equals_the_same_model_built_from_torch_rnns(variant):
    ours = make_model(*variant)
    ref = torch_reference(ours)
    src, lengths, tgt_in = random_batch(B=5, S=9, T=6, seed=6)
    target = torch.randint(2, TGT_V, (5, 6))
    a, b = ours(src, lengths, tgt_in), ref(src, lengths, tgt_in)
    torch.testing.assert_close(a, b, atol=1e-5, rtol=0)
    ours.loss(a, target).backward()
    ref.loss(b, target).backward()
    theirs = dict(ref.named_parameters())
    for name, p in ours.named_parameters():
        torch.testing.assert_close(p.grad, theirs[name].grad, atol=1e-5, rtol=0, msg=name)
    g1, g2 = ours.greedy_decode(src, lengths, max_len=8), ref.greedy_decode(src, lengths, max_len=8)
    assert g1.tokens == g2.tokens


# ----------------------------------------------------------------------------------------------
# teacher forcing and greedy search
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("variant", VARIANTS[1:5], ids=IDS[1:5])
def test_teacher_forcing_ratio_zero_feeds_the_argmax(variant):
    model = make_model(*variant)
    src, lengths, tgt_in = random_batch(T=6, seed=7)
    free = model(src, lengths, tgt_in, teacher_forcing_ratio=0.0)
    fed = torch.cat([tgt_in[:, :1], free.argmax(-1)[:, :-1]], dim=1)  # BOS + own predictions
    torch.testing.assert_close(free, model(src, lengths, fed, teacher_forcing_ratio=1.0), atol=0, rtol=0)
    # ... and greedy search is that same path, cut at EOS
    out = model.greedy_decode(src, lengths, max_len=6)
    for b, toks in enumerate(out.tokens):
        path = free[b].argmax(-1).tolist()
        assert toks == path[: len(toks)]
        if out.finished[b]:
            assert path[len(toks)] == model.config.eos_id
    logp = free.log_softmax(-1).gather(2, free.argmax(-1, keepdim=True)).squeeze(2)  # (B, T)
    n = torch.tensor([len(t) + f for t, f in zip(out.tokens, out.finished)])
    expected = (logp * (torch.arange(6) < n.unsqueeze(1))).sum(1)
    torch.testing.assert_close(out.log_probs, expected, atol=1e-5, rtol=0)


def test_teacher_forcing_ratio_one_is_the_gold_input_and_mixing_is_seeded():
    model = make_model("lstm", "additive", True, 1)
    src, lengths, tgt_in = random_batch(B=16, T=8, seed=8)
    gold = model(src, lengths, tgt_in)
    one = model(src, lengths, tgt_in, teacher_forcing_ratio=1.0, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(gold, one, atol=0, rtol=0)
    mix = lambda s: model(src, lengths, tgt_in, 0.5, generator=torch.Generator().manual_seed(s))  # noqa: E731
    torch.testing.assert_close(mix(3), mix(3), atol=0, rtol=0)
    a, free = mix(3), model(src, lengths, tgt_in, teacher_forcing_ratio=0.0)
    assert not torch.allclose(a, gold) and not torch.allclose(a, free)
    # the first step never depends on the ratio: its input is always BOS
    torch.testing.assert_close(a[:, 0], gold[:, 0], atol=0, rtol=0)


# ----------------------------------------------------------------------------------------------
# beam search
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("variant", VARIANTS[::2], ids=IDS[::2])
def test_beam_size_one_is_greedy(variant):
    model = make_model(*variant)
    src, lengths, _ = random_batch(B=6, seed=9)
    g = model.greedy_decode(src, lengths, max_len=7, return_attention=variant[1] is not None)
    b = model.beam_search(src, lengths, beam_size=1, max_len=7, return_attention=variant[1] is not None)
    assert g.tokens == b.tokens and g.finished == b.finished
    torch.testing.assert_close(g.log_probs, b.log_probs, atol=1e-5, rtol=0)
    if g.attention is not None:
        for x, y in zip(g.attention, b.attention):
            torch.testing.assert_close(x, y, atol=1e-6, rtol=0)


def exhaustive_best(model, src, lengths, max_len, alpha):
    """Score every output sequence (all that end in EOS within max_len, and all of max_len without EOS)."""
    eos, V = model.config.eos_id, model.config.tgt_vocab_size
    seqs = []
    for n in range(1, max_len + 1):
        for body in itertools.product([v for v in range(V) if v != eos], repeat=n - 1):
            seqs.append(list(body) + [eos])
    seqs += [list(s) for s in itertools.product([v for v in range(V) if v != eos], repeat=max_len)]
    T = max_len
    tgt_out = torch.tensor([s + [0] * (T - len(s)) for s in seqs])
    tgt_in = torch.cat([torch.full((len(seqs), 1), 1), tgt_out[:, :-1]], dim=1)
    rep = lambda t: t.expand(len(seqs), *t.shape[1:])  # noqa: E731
    with torch.no_grad():
        logp = model(rep(src), rep(lengths), tgt_in).log_softmax(-1)
    n = torch.tensor([len(s) for s in seqs])
    valid = torch.arange(T) < n.unsqueeze(1)
    score = (logp.gather(2, tgt_out.unsqueeze(2)).squeeze(2) * valid).sum(1)
    norm = score / (((5.0 + n) / 6.0) ** alpha)
    i = int(norm.argmax())
    return seqs[i], float(norm[i])


@pytest.mark.parametrize("alpha", [0.0, 1.0])
@pytest.mark.parametrize("variant", [VARIANTS[2], VARIANTS[4]], ids=[IDS[2], IDS[4]])
def test_wide_beam_equals_exhaustive_search(variant, alpha):
    torch.manual_seed(0)
    cfg = Seq2SeqConfig(SRC_V, 5, cell=variant[0], embedding_dim=6, hidden_size=8, num_layers=variant[3],
                        bidirectional=variant[2], attention=variant[1], input_feeding=variant[4])
    model = Seq2Seq(cfg).eval()
    with torch.no_grad():
        model.decoder.generator.weight.mul_(4.0)  # sharper distributions: the search matters
    src, lengths, _ = random_batch(B=3, seed=10)
    out = model.beam_search(src, lengths, beam_size=100, max_len=3, length_penalty=alpha)  # 4+16+64 < 100: no pruning
    for b in range(3):
        best, score = exhaustive_best(model, src[b : b + 1], lengths[b : b + 1], 3, alpha)
        eos = best[-1] == cfg.eos_id
        assert out.tokens[b] == (best[:-1] if eos else best)
        assert out.finished[b] == eos
        assert float(out.scores[b]) == pytest.approx(score, abs=1e-5)


def test_beam_never_scores_below_greedy_on_many_sources():
    # Not a theorem for every model (the greedy prefix can fall out of a narrow beam); the exact
    # guarantee is the exhaustive comparison above. Here: 64 sources, 3 widths, seeded.
    model = make_model("lstm", "additive", True, 1)
    with torch.no_grad():
        model.decoder.generator.weight.mul_(3.0)
    src, lengths, _ = random_batch(B=64, S=9, seed=11)
    g = model.greedy_decode(src, lengths, max_len=10)
    for k in (2, 4, 8):
        b = model.beam_search(src, lengths, beam_size=k, max_len=10)
        assert (b.log_probs >= g.log_probs - 1e-5).all()
    assert (b.log_probs > g.log_probs + 1e-3).any()  # and it does find better outputs


def test_length_penalty_favours_longer_outputs():
    model = make_model("gru", "additive", True, 1)
    src, lengths, _ = random_batch(B=32, seed=12)
    short = model.beam_search(src, lengths, beam_size=6, max_len=8, length_penalty=0.0)
    long = model.beam_search(src, lengths, beam_size=6, max_len=8, length_penalty=2.0)
    n = lambda o: sum(len(t) for t in o.tokens)  # noqa: E731
    assert n(long) >= n(short)
    assert (short.log_probs >= long.log_probs - 1e-5).all()  # the price of length


# ----------------------------------------------------------------------------------------------
# configuration and errors
# ----------------------------------------------------------------------------------------------


def test_presets_are_the_papers_settings():
    s = Seq2SeqConfig.sutskever2014(100, 200)
    assert (s.cell, s.num_layers, s.hidden_size, s.attention, s.bidirectional) == ("lstm", 4, 1000, None, False)
    b = Seq2SeqConfig.bahdanau2015(100, 200)
    assert (b.cell, b.bidirectional, b.attention, b.embedding_dim) == ("gru", True, "additive", 620)
    lu = Seq2SeqConfig.luong2015(100, 200, num_layers=2)
    assert (lu.attention, lu.input_feeding, lu.num_layers) == ("general", True, 2)
    assert Seq2SeqConfig.cho2014(5, 6).attention is None
    m = Seq2Seq(Seq2SeqConfig.small(20, 15))
    assert "encoder.rnn.weight_hh_l0_reverse" in m.state_dict()


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"cell": "rnn"}, ValueError, r"cell: expected one of 'lstm', 'gru', got 'rnn'"),
        ({"attention": "concat"}, ValueError, r"attention: expected one of None, 'additive'"),
        ({"attention": "dot", "bidirectional": True}, ValueError, r"attention: 'dot' needs the encoder output size \(16"),
        ({"attention": None, "input_feeding": True}, ValueError, r"input_feeding: expected attention='dot' or 'general'"),
        ({"bos_id": 0}, ValueError, r"pad_id, bos_id, eos_id: expected three different ids, got 0, 0, 2"),
        ({"eos_id": 9}, ValueError, r"eos_id: expected an int <= 8, got 9"),
        ({"hidden_size": 0}, ValueError, r"hidden_size: expected an int >= 1, got 0"),
        ({"num_layers": 1.5}, TypeError, r"num_layers: expected an int"),
        ({"dropout": 1.0}, ValueError, r"dropout: expected a number < 1.0, got 1.0"),
        ({"attention_dim": 0}, ValueError, r"attention_dim: expected an int >= 1, got 0"),
    ],
)
def test_config_errors(kwargs, error, match):
    base = {"src_vocab_size": SRC_V, "tgt_vocab_size": TGT_V, "hidden_size": 8}
    with pytest.raises(error, match=match):
        Seq2SeqConfig(**{**base, **kwargs})


def test_call_errors():
    model = make_model()
    src, lengths, tgt_in = random_batch()
    with pytest.raises(TypeError, match=r"config: expected a Seq2SeqConfig, got dict"):
        Seq2Seq({"src_vocab_size": 3})
    with pytest.raises(TypeError, match=r"src: expected a torch.Tensor of token ids, got list"):
        model([[1, 2]], None, tgt_in)
    with pytest.raises(TypeError, match=r"src: expected an integer tensor of token ids, got dtype torch.float32"):
        model(src.float(), lengths, tgt_in)
    with pytest.raises(ValueError, match=r"src: expected a non-empty 2-D tensor of shape \(batch, length\), got shape \(7,\)"):
        model(src[0], lengths, tgt_in)
    with pytest.raises(ValueError, match=r"src: expected token ids in \[0, 12\], got min \d+ and max 13"):
        model(torch.where(src == src[0, 0], 13, src), lengths, tgt_in)
    with pytest.raises(ValueError, match=r"src_lengths: expected lengths in \[1, 7\] \(src's length\), got min 0"):
        model(src, lengths * 0, tgt_in)
    with pytest.raises(ValueError, match=r"src_lengths: expected shape \(4,\) \(one length per source\), got \(3,\)"):
        model(src, lengths[:3], tgt_in)
    with pytest.raises(TypeError, match=r"src_lengths: expected integer lengths, got dtype torch.float32"):
        model(src, lengths.float(), tgt_in)
    with pytest.raises(ValueError, match=r"tgt_in: expected batch size 4 \(src's\), got shape \(3, 5\)"):
        model(src, lengths, tgt_in[:3])
    with pytest.raises(ValueError, match=r"tgt_in: expected token ids in \[0, 8\], got min 5 and max 12"):
        model(src, lengths, tgt_in + 4)
    with pytest.raises(ValueError, match=r"teacher_forcing_ratio: expected a number <= 1.0, got 1.5"):
        model(src, lengths, tgt_in, teacher_forcing_ratio=1.5)
    with pytest.raises(ValueError, match=r"tgt_out: expected shape \(4, 5\) \(logits' B, T\), got \(4, 4\)"):
        model.loss(model(src, lengths, tgt_in), tgt_in[:, 1:])
    with pytest.raises(ValueError, match=r"beam_size: expected an int >= 1, got 0"):
        model.beam_search(src, lengths, beam_size=0)
    with pytest.raises(ValueError, match=r"length_penalty: expected a number >= 0.0, got -1.0"):
        model.beam_search(src, lengths, length_penalty=-1.0)
    with pytest.raises(ValueError, match=r"max_len: expected an int >= 1, got 0"):
        model.greedy_decode(src, lengths, max_len=0)


# ----------------------------------------------------------------------------------------------
# the date-normalisation task
# ----------------------------------------------------------------------------------------------


def test_date_dataset_is_seeded_disjoint_and_correct():
    a, b = make_date_dataset(3000, 500, seed=0), make_date_dataset(3000, 500, seed=0)
    assert a.train == b.train and a.test == b.test
    assert make_date_dataset(3000, 500, seed=1).train != a.train
    train_dates = {t for _, t in a.train}
    assert not train_dates & {t for _, t in a.test}  # no calendar date in both
    for src, tgt in a.train + a.test:
        d = dt.date.fromisoformat(tgt)
        assert 1950 <= d.year <= 2049
        assert src in {format_date(d, f) for f in DATE_FORMATS}
        assert CharVocab.unk_id not in a.src_vocab.encode(src)
        assert a.tgt_vocab.decode(a.tgt_vocab.encode(tgt) + [2, 5]) == tgt
    assert len({f for f in DATE_FORMATS if any(s == format_date(dt.date.fromisoformat(t), f) for s, t in a.test)}) > 10
    d = dt.date(1997, 3, 5)
    assert [format_date(d, f) for f in ("March 5, 1997", "05/03/97", "5 mar 1997", "Wednesday, March 5, 1997")] == [
        "March 5, 1997", "05/03/97", "5 mar 1997", "Wednesday, March 5, 1997"]
    assert format_date(dt.date(2011, 12, 22), "the 5th of March 1997") == "the 22nd of December 2011"
    with pytest.raises(ValueError, match=r"fmt: expected one of 'March 5, 1997'"):
        format_date(d, "ISO")
    src, lengths, tgt_in, tgt_out = make_batch(a.train[:3], a.src_vocab, a.tgt_vocab)
    assert (tgt_in[:, 0] == 1).all() and (tgt_out[:, 10] == 2).all() and (tgt_in[:, 1:] == tgt_out[:, :-1]).all()


@pytest.mark.slow
def test_learns_date_normalisation_to_98_percent_on_held_out_dates():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # one core: a busy shared machine punishes multi-threaded small matmuls
    try:
        data = make_date_dataset(n_train=20000, n_test=1000, seed=0)
        torch.manual_seed(0)
        model = Seq2Seq(Seq2SeqConfig.small(len(data.src_vocab), len(data.tgt_vocab)))
        start = time.perf_counter()
        history = train_seq2seq(model, data, epochs=1, batch_size=32, lr=1e-2, seed=0)
        acc = exact_match(model, data.test, data.src_vocab, data.tgt_vocab)
        wall = time.perf_counter() - start
    finally:
        torch.set_num_threads(threads)
    print(f"held-out exact match {acc:.4f}; wall {wall:.1f} s, training CPU {history['cpu_seconds']:.1f} s, "
          f"{history['steps']} steps")
    assert acc >= 0.98
    assert history["cpu_seconds"] < 120


@pytest.mark.parametrize("attention", ["additive", "dot", "general"])
def test_precomputed_key_attention_equals_the_attention_module(attention):
    # The decoder pre-computes W_k h_j once per source; the result is mlcanon.nn.attention's.
    model = make_model("gru", attention, attention != "dot", 1)
    src, lengths, _ = random_batch(B=5, S=8, seed=13)
    memory, _ = model.encode(src, lengths)
    query = torch.randn(5, 8)
    ctx, w = model.decoder.attend(query, memory)
    ref_ctx, ref_w = model.decoder.attention(query, memory.outputs, mask=memory.mask)
    torch.testing.assert_close(ctx, ref_ctx, atol=1e-6, rtol=0)
    torch.testing.assert_close(w, ref_w, atol=1e-6, rtol=0)


@settings(max_examples=5, deadline=None)
@given(seed=st.integers(0, 10_000), extra=st.integers(1, 5), variant=st.sampled_from(VARIANTS))
def test_extra_padding_columns_change_nothing(seed, extra, variant):
    # Property: widening the padded source (same lengths) changes neither logits nor decoding.
    model = make_model(*variant, seed=seed % 7)
    src, lengths, tgt_in = random_batch(B=3, S=5, T=4, seed=seed)
    wide = torch.cat([src, torch.zeros(3, extra, dtype=torch.long)], dim=1)
    torch.testing.assert_close(model(src, lengths, tgt_in), model(wide, lengths, tgt_in), atol=1e-6, rtol=0)
    assert model.beam_search(src, lengths, 3, 5).tokens == model.beam_search(wide, lengths, 3, 5).tokens
