"""mlcanon.models.transformer against torch.nn.Transformer (weights transferred), by hand, and on a task."""

from __future__ import annotations

import math
import time

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

from mlcanon.models.transformer import (
    NoamSchedule,
    PositionalEncoding,
    Transformer,
    TransformerConfig,
    TransformerDecoderLayer,
    TransformerEncoderLayer,
    TransformerSeq2Seq,
    beam_search,
    greedy_search,
    label_smoothed_cross_entropy,
    length_penalty,
    noam_rate,
)

# torch's own warnings about its reference modules (nested-tensor fast path off, mixed mask dtypes)
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning:torch")

E, H, FF = 32, 4, 64


def _pair(norm_first=False, batch_first=False, activation="relu", layers=2, seed=0):
    torch.manual_seed(seed)
    ref = torch.nn.Transformer(E, H, layers, layers, FF, dropout=0.0, activation=activation,
                               batch_first=batch_first, norm_first=norm_first)
    ours = Transformer(E, H, layers, layers, FF, dropout=0.0, activation=activation,
                       batch_first=batch_first, norm_first=norm_first)
    ours.load_state_dict(ref.state_dict(), strict=True)
    return ours.eval(), ref.eval()


def _inputs(batch_first, B=3, S=7, T=5, seed=1):
    g = torch.Generator().manual_seed(seed)
    src, tgt = torch.randn(B, S, E, generator=g), torch.randn(B, T, E, generator=g)
    if not batch_first:
        src, tgt = src.transpose(0, 1), tgt.transpose(0, 1)
    src_kpm = torch.zeros(B, S, dtype=torch.bool)
    src_kpm[1, 5:] = True
    src_kpm[2, 3:] = True
    tgt_kpm = torch.zeros(B, T, dtype=torch.bool)
    tgt_kpm[2, 4:] = True
    src_mask = torch.rand(S, S, generator=g) < 0.3
    src_mask.fill_diagonal_(False)  # every query keeps at least itself: no all -inf row (NaN in both)
    masks = dict(src_mask=src_mask, tgt_mask=Transformer.generate_square_subsequent_mask(T),
                 src_key_padding_mask=src_kpm, tgt_key_padding_mask=tgt_kpm, memory_key_padding_mask=src_kpm)
    return src, tgt, masks


# ---------------------------------------------------------------------------------------------
# parity with torch.nn.Transformer
# ---------------------------------------------------------------------------------------------


def test_state_dict_keys_are_torchs():
    ours, ref = _pair()
    assert list(ours.state_dict()) == list(ref.state_dict())
    assert "encoder.layers.1.self_attn.in_proj_weight" in ours.state_dict()
    assert "decoder.layers.0.multihead_attn.out_proj.bias" in ours.state_dict()
    assert "decoder.norm.weight" in ours.state_dict()


@pytest.mark.parametrize("norm_first", [False, True], ids=["post-norm", "pre-norm"])
@pytest.mark.parametrize("batch_first", [False, True], ids=["seq-first", "batch-first"])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
def test_forward_and_gradients_equal_torch(norm_first, batch_first, activation):
    ours, ref = _pair(norm_first, batch_first, activation)
    src, tgt, masks = _inputs(batch_first)
    src_a, src_b = src.clone().requires_grad_(), src.clone().requires_grad_()
    a = ours(src_a, tgt, **masks)
    b = ref(src_b, tgt, **masks)
    assert a.shape == b.shape == tgt.shape
    assert torch.isfinite(a).all()
    torch.testing.assert_close(a, b, atol=1e-5, rtol=0)
    w = torch.randn_like(a)
    (a * w).sum().backward()
    (b * w).sum().backward()
    torch.testing.assert_close(src_a.grad, src_b.grad, atol=1e-5, rtol=0)
    for (name, p), q in zip(ours.named_parameters(), ref.parameters()):
        torch.testing.assert_close(p.grad, q.grad, atol=1e-5, rtol=0, msg=lambda m, n=name: f"{n}: {m}")


@pytest.mark.parametrize("norm_first", [False, True])
def test_no_grad_fast_path_of_torch_agrees_when_memory_is_masked(norm_first):
    # torch's inference path (nested tensors, fused encoder layer) is another code path: check it too.
    ours, ref = _pair(norm_first, batch_first=True)
    src, tgt, masks = _inputs(True)
    masks.pop("src_mask")  # the nested-tensor path needs a key padding mask and no src mask
    with torch.no_grad():
        torch.testing.assert_close(ours(src, tgt, **masks), ref(src, tgt, **masks), atol=1e-5, rtol=0)


def test_float_and_per_head_masks_and_memory_mask_equal_torch():
    ours, ref = _pair(batch_first=True)
    src, tgt, _ = _inputs(True)
    B, S, T = 3, 7, 5
    g = torch.Generator().manual_seed(3)
    masks = dict(src_mask=torch.randn(B * H, S, S, generator=g),  # float, one mask per (example, head)
                 tgt_mask=torch.randn(T, T, generator=g),
                 memory_mask=torch.rand(T, S, generator=g) < 0.2,
                 tgt_is_causal=False)
    torch.testing.assert_close(ours(src, tgt, **masks), ref(src, tgt, **masks), atol=1e-5, rtol=0)


def test_unbatched_input_equals_torch():
    ours, ref = _pair()
    src, tgt = torch.randn(6, E), torch.randn(4, E)
    mask = Transformer.generate_square_subsequent_mask(4)
    torch.testing.assert_close(ours(src, tgt, tgt_mask=mask), ref(src, tgt, tgt_mask=mask), atol=1e-5, rtol=0)


def test_layers_alone_equal_torch():
    torch.manual_seed(0)
    ref_e = torch.nn.TransformerEncoderLayer(E, H, FF, dropout=0.0, batch_first=True).eval()
    ref_d = torch.nn.TransformerDecoderLayer(E, H, FF, dropout=0.0, batch_first=True, norm_first=True).eval()
    ours_e = TransformerEncoderLayer(E, H, FF, dropout=0.0, batch_first=True).eval()
    ours_d = TransformerDecoderLayer(E, H, FF, dropout=0.0, batch_first=True, norm_first=True).eval()
    ours_e.load_state_dict(ref_e.state_dict(), strict=True)
    ours_d.load_state_dict(ref_d.state_dict(), strict=True)
    x, m = torch.randn(2, 5, E), torch.randn(2, 6, E)
    torch.testing.assert_close(ours_e(x), ref_e(x), atol=1e-5, rtol=0)
    torch.testing.assert_close(ours_d(x, m), ref_d(x, m), atol=1e-5, rtol=0)


def test_square_subsequent_mask_equals_torchs():
    torch.testing.assert_close(Transformer.generate_square_subsequent_mask(6),
                               torch.nn.Transformer.generate_square_subsequent_mask(6))
    assert Transformer.generate_square_subsequent_mask(3)[0].tolist() == [0.0, float("-inf"), float("-inf")]


def test_dropout_is_active_in_training_only():
    torch.manual_seed(0)
    model = Transformer(E, H, 1, 1, FF, dropout=0.5, batch_first=True)
    src, tgt = torch.randn(2, 5, E), torch.randn(2, 4, E)
    model.train()
    assert not torch.allclose(model(src, tgt), model(src, tgt))
    model.eval()
    torch.testing.assert_close(model(src, tgt), model(src, tgt))


# ---------------------------------------------------------------------------------------------
# sinusoidal positions, Noam schedule, label smoothing: by hand
# ---------------------------------------------------------------------------------------------


def test_positional_encoding_values_by_hand():
    d = 6
    pe = PositionalEncoding(d, max_len=50).pe
    for pos in (0, 1, 7, 49):
        for i in range(d // 2):
            angle = pos / 10000 ** (2 * i / d)
            assert pe[pos, 2 * i].item() == pytest.approx(math.sin(angle), abs=1e-7)
            assert pe[pos, 2 * i + 1].item() == pytest.approx(math.cos(angle), abs=1e-7)
    assert pe[0].tolist() == [0.0, 1.0] * 3


def test_positional_encoding_odd_width_and_adds_to_input():
    pe = PositionalEncoding(5, max_len=8)
    assert pe.pe[3, 4].item() == pytest.approx(math.sin(3 / 10000 ** (4 / 5)), abs=1e-7)
    x = torch.zeros(2, 4, 5)
    torch.testing.assert_close(pe(x), pe.pe[:4].expand(2, 4, 5))
    assert "pe" not in pe.state_dict()  # not a learned parameter, not stored


def test_noam_rate_by_hand():
    d, w = 512, 4000
    assert noam_rate(1, d, w) == pytest.approx(512 ** -0.5 * 1 * 4000 ** -1.5)
    assert noam_rate(4000, d, w) == pytest.approx(512 ** -0.5 * 4000 ** -0.5)  # the peak, both branches equal
    assert noam_rate(16000, d, w) == pytest.approx(512 ** -0.5 * 16000 ** -0.5)
    assert noam_rate(2000, d, w, factor=2.0) == pytest.approx(2 * 512 ** -0.5 * 2000 * 4000 ** -1.5)
    assert noam_rate(3999, d, w) < noam_rate(4000, d, w) > noam_rate(4001, d, w)


def test_noam_schedule_drives_the_optimizer():
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.Adam([p], lr=1.0)
    sched = NoamSchedule(opt, d_model=64, warmup=10)
    seen = []
    for _ in range(30):
        seen.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    # the n-th update (n = 1, 2, ...) uses 64^-0.5 · min(n^-0.5, n · 10^-1.5)
    for n, lr in enumerate(seen, start=1):
        assert lr == pytest.approx(64 ** -0.5 * min(n ** -0.5, n * 10 ** -1.5))
    assert max(seen) == seen[9]


@pytest.mark.parametrize("eps", [0.0, 0.1, 0.35])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_label_smoothing_equals_torch_cross_entropy(eps, reduction):
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(40, 11, generator=g) * 3
    target = torch.randint(0, 11, (40,), generator=g)
    target[::5] = 0  # padding to ignore
    ours = label_smoothed_cross_entropy(logits, target, eps, ignore_index=0, reduction=reduction)
    ref = F.cross_entropy(logits, target, label_smoothing=eps, ignore_index=0, reduction=reduction)
    torch.testing.assert_close(ours, ref, atol=1e-6, rtol=1e-6)


@given(eps=st.floats(0.0, 1.0), n=st.integers(1, 20), c=st.integers(2, 9), seed=st.integers(0, 2**16))
def test_label_smoothing_equals_torch_property(eps, n, c, seed):
    g = torch.Generator().manual_seed(seed)
    logits = torch.randn(n, c, generator=g, dtype=torch.float64) * 4
    target = torch.randint(0, c, (n,), generator=g)
    ours = label_smoothed_cross_entropy(logits, target, eps)
    torch.testing.assert_close(ours, F.cross_entropy(logits, target, label_smoothing=eps))


def test_label_smoothing_hand_case():
    # two classes, logits (0, 0): p = (1/2, 1/2); every term is log 2 whatever ε
    assert label_smoothed_cross_entropy(torch.zeros(1, 2), torch.tensor([1]), 0.3).item() == pytest.approx(math.log(2))
    # p = softmax(0, log 3) = (1/4, 3/4), y = 1, ε = 0.2: 0.8·(-log 3/4) + 0.2·½(-log 1/4 - log 3/4)
    logits = torch.tensor([[0.0, math.log(3.0)]])
    want = 0.8 * -math.log(0.75) + 0.2 * 0.5 * (-math.log(0.25) - math.log(0.75))
    assert label_smoothed_cross_entropy(logits, torch.tensor([1]), 0.2).item() == pytest.approx(want)


# ---------------------------------------------------------------------------------------------
# the sequence-to-sequence model
# ---------------------------------------------------------------------------------------------


def _seq2seq(**overrides):
    torch.manual_seed(0)
    cfg = TransformerConfig.tiny(src_vocab_size=13, tgt_vocab_size=11, **overrides)
    return TransformerSeq2Seq(cfg)


@pytest.mark.parametrize("norm_first", [False, True])
def test_seq2seq_shapes_finite_and_every_parameter_gets_a_gradient(norm_first):
    model = _seq2seq(norm_first=norm_first).train()
    src = torch.tensor([[5, 6, 7, 8, 0, 0], [3, 4, 5, 6, 7, 9]])
    tgt = torch.tensor([[1, 8, 7, 6, 5, 2, 0], [1, 9, 7, 6, 5, 4, 3]])
    logits = model(src, tgt[:, :-1])
    assert logits.shape == (2, 6, 11)
    assert torch.isfinite(logits).all()
    loss = model.loss(src, tgt)
    assert torch.isfinite(loss)
    loss.backward()
    for name, p in model.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), name
        assert p.grad.abs().sum() > 0, name


def test_seq2seq_tied_and_shared_weights():
    model = _seq2seq()
    assert model.generator.weight is model.tgt_embed.weight
    assert model.src_embed is not model.tgt_embed
    shared = TransformerSeq2Seq(TransformerConfig.tiny(12, 12, share_embeddings=True, tie_output=False))
    assert shared.src_embed is shared.tgt_embed
    assert shared.generator.weight is not shared.tgt_embed.weight


def test_seq2seq_padding_does_not_change_the_output():
    model = _seq2seq().eval()
    src = torch.tensor([[5, 6, 7]])
    padded = torch.tensor([[5, 6, 7, 0, 0, 0]])
    tgt_in = torch.tensor([[1, 7, 6]])
    torch.testing.assert_close(model(src, tgt_in), model(padded, tgt_in), atol=1e-5, rtol=0)


def test_seq2seq_is_causal():
    model = _seq2seq().eval()
    src = torch.tensor([[5, 6, 7, 8]])
    a = model(src, torch.tensor([[1, 4, 5, 6]]))
    b = model(src, torch.tensor([[1, 4, 9, 3]]))
    torch.testing.assert_close(a[:, :2], b[:, :2], atol=1e-6, rtol=0)  # positions 0, 1 cannot see 2, 3


def test_beam_of_one_is_greedy():
    model = _seq2seq(dropout=0.0).eval()
    src = torch.randint(3, 13, (6, 8), generator=torch.Generator().manual_seed(5))
    src[2, 5:] = 0
    greedy = model.greedy_decode(src, max_len=9)
    beam, _ = model.beam_decode(src, beam_size=1, max_len=9)
    assert torch.equal(greedy, beam)


def _table_step(table):
    """A step function from a dict prefix-tuple -> probabilities over V tokens (0 pad, 1 bos, 2 eos)."""

    def step(prefix, rows):
        out = []
        for seq in prefix.tolist():
            key = tuple(t for t in seq[1:] if t != 0)
            out.append(torch.tensor(table.get(key, [0.0, 0.0, 1.0, 0.0, 0.0])).clamp_min(1e-30).log())
        return torch.stack(out)

    return step


# vocabulary: 0 pad, 1 bos, 2 eos, 3 "a", 4 "b". Greedy takes "a" (0.6) and then at best 0.34;
# the beam finds "b eos" with probability 0.4 · 0.9 = 0.36 > 0.6 · 0.34 = 0.204.
TRAP = {(): [0, 0, 0.0, 0.6, 0.4], (3,): [0, 0, 0.34, 0.33, 0.33], (4,): [0, 0, 0.9, 0.05, 0.05]}


def test_beam_search_beats_greedy_on_a_hand_made_case():
    step = _table_step(TRAP)
    g_tok, g_score = greedy_search(step, 1, bos=1, eos=2, pad=0, max_len=5)
    b_tok, b_score = beam_search(step, 1, bos=1, eos=2, pad=0, max_len=5, beam_size=2)
    assert g_tok.tolist() == [[3, 2]] and g_score.item() == pytest.approx(math.log(0.6 * 0.34))
    assert b_tok.tolist() == [[4, 2]] and b_score.item() == pytest.approx(math.log(0.36))
    assert b_score > g_score


def test_beam_search_length_penalty_prefers_longer_hypotheses():
    # "eos" now: 0.5; "a a eos": 0.5 · 0.9 · 0.9 = 0.405. α = 0 keeps the short one; α = 2 divides
    # log P by ((5+|Y|)/6)^2: log 0.5 / 1 = -0.69 vs log 0.405 / (8/6)^2 = -0.51, the long one.
    table = {(): [0, 0, 0.5, 0.5, 0.0], (3,): [0, 0, 0.05, 0.9, 0.05], (3, 3): [0, 0, 0.9, 0.05, 0.05]}
    step = _table_step(table)
    short, _ = beam_search(step, 1, 1, 2, 0, max_len=5, beam_size=3, alpha=0.0)
    long, score = beam_search(step, 1, 1, 2, 0, max_len=5, beam_size=3, alpha=2.0)
    assert short.tolist() == [[2]]
    assert long.tolist() == [[3, 3, 2]] and score.item() == pytest.approx(math.log(0.405))
    assert length_penalty(torch.tensor(1), 1.0).item() == pytest.approx(1.0)


def test_search_pads_after_eos_and_stops_at_max_len():
    table = {(): [0, 0, 0.0, 0.7, 0.3], (3,): [0, 0, 1.0, 0, 0]}  # example ends "a eos"; others run on
    step = _table_step(table)
    tokens, _ = greedy_search(step, 2, 1, 2, 0, max_len=2)
    assert tokens.tolist() == [[3, 2], [3, 2]]
    endless = {(): [0, 0, 0, 1.0, 0], (3,): [0, 0, 0, 1.0, 0], (3, 3): [0, 0, 0, 1.0, 0]}
    tokens, _ = beam_search(_table_step(endless), 1, 1, 2, 0, max_len=3, beam_size=2)
    assert tokens.tolist() == [[3, 3, 3]]


def test_beam_search_batched_equals_one_at_a_time():
    model = _seq2seq(dropout=0.0).eval()
    src = torch.randint(3, 13, (4, 6), generator=torch.Generator().manual_seed(7))
    together, s_all = model.beam_decode(src, beam_size=3, max_len=7)
    for i in range(4):
        alone, s = model.beam_decode(src[i : i + 1], beam_size=3, max_len=7)
        n = alone.shape[1]
        assert together[i, :n].tolist() == alone[0].tolist()
        assert s.item() == pytest.approx(s_all[i].item(), abs=1e-5)


def test_cross_attention_weights_are_distributions_that_skip_padding():
    model = _seq2seq().eval()
    src = torch.tensor([[5, 6, 7, 0], [5, 6, 7, 8]])
    w = model.cross_attention(src, torch.tensor([[1, 7, 6], [1, 8, 7]]))
    assert w.shape == (2, 3, 4)
    torch.testing.assert_close(w.sum(-1), torch.ones(2, 3))
    assert (w[0, :, 3] == 0).all()


# ---------------------------------------------------------------------------------------------
# errors
# ---------------------------------------------------------------------------------------------


def test_errors_on_configuration():
    with pytest.raises(ValueError, match=r"nhead: expected a divisor of d_model=30, got 4"):
        Transformer(30, 4)
    with pytest.raises(ValueError, match=r"nhead: expected a divisor of d_model=30, got 4"):
        TransformerConfig.tiny(d_model=30, nhead=4)
    with pytest.raises(ValueError, match=r"activation: expected one of 'relu', 'gelu', got 'tanh'"):
        Transformer(16, 2, activation="tanh")
    with pytest.raises(ValueError, match=r"share_embeddings: expected src_vocab_size == tgt_vocab_size"):
        TransformerConfig.tiny(10, 12, share_embeddings=True)
    with pytest.raises(ValueError, match=r"eos_id: expected an int <= 9"):
        TransformerConfig.tiny(10, 10, eos_id=10)
    with pytest.raises(TypeError, match=r"config: expected a TransformerConfig"):
        TransformerSeq2Seq({"d_model": 8})


def test_errors_on_inputs():
    model = Transformer(16, 2, 1, 1, 32, batch_first=True)
    src, tgt = torch.randn(2, 5, 16), torch.randn(2, 4, 16)
    with pytest.raises(ValueError, match=r"src: expected last dimension d_model=16, got shape \(2, 5, 8\)"):
        model(torch.randn(2, 5, 8), tgt)
    with pytest.raises(ValueError, match=r"src, tgt: expected the same batch size"):
        model(src, torch.randn(3, 4, 16))
    with pytest.raises(ValueError, match=r"src, tgt: expected both batched or both unbatched"):
        model(src, torch.randn(4, 16))
    with pytest.raises(ValueError, match=r"tgt_mask: expected shape \(4, 4\) or \(4, 4, 4\), got \(5, 5\)"):
        model(src, tgt, tgt_mask=torch.zeros(5, 5))
    with pytest.raises(ValueError, match=r"memory_mask: expected shape \(4, 5\)"):
        model(src, tgt, memory_mask=torch.zeros(5, 4))
    with pytest.raises(ValueError, match=r"src_key_padding_mask: expected shape \(2, 5\), got \(5, 2\)"):
        model(src, tgt, src_key_padding_mask=torch.zeros(5, 2, dtype=torch.bool))
    with pytest.raises(TypeError, match=r"tgt: expected a torch.Tensor, got list"):
        model(src, [[0.0] * 16])


def test_errors_in_seq2seq_loss_and_search():
    model = _seq2seq()
    with pytest.raises(ValueError, match=r"src: expected ids in \[0, 12\], got values in \[0, 13\]"):
        model(torch.tensor([[13, 0]]), torch.tensor([[1]]))
    with pytest.raises(ValueError, match=r"tgt_in: expected a non-empty \(B, T\) tensor of int64 ids"):
        model(torch.tensor([[3, 4]]), torch.tensor([1.0]))
    with pytest.raises(ValueError, match=r"x: expected at most max_len=512 positions, got 600"):
        model(torch.full((1, 600), 3), torch.tensor([[1]]))
    with pytest.raises(ValueError, match=r"beam_size: expected an int >= 1, got 0"):
        model.beam_decode(torch.tensor([[3, 4]]), beam_size=0)
    with pytest.raises(ValueError, match=r"logits, target: expected shapes \(N, C\) and \(N,\)"):
        label_smoothed_cross_entropy(torch.zeros(3, 4), torch.zeros(2, dtype=torch.long))
    with pytest.raises(ValueError, match=r"epsilon: expected a number <= 1.0, got 1.5"):
        label_smoothed_cross_entropy(torch.zeros(3, 4), torch.zeros(3, dtype=torch.long), 1.5)
    with pytest.raises(ValueError, match=r"step: expected an int >= 1, got 0"):
        noam_rate(0, 512)


# ---------------------------------------------------------------------------------------------
# learning a task
# ---------------------------------------------------------------------------------------------


def test_reverse_task_data_by_hand():
    from mlcanon.report.models.transformer import BOS, EOS, PAD, reverse_batch

    src, tgt = reverse_batch(50, torch.Generator().manual_seed(0))
    for s, t in zip(src.tolist(), tgt.tolist()):
        digits = [x for x in s if x != PAD]
        assert 5 <= len(digits) <= 10 and s[: len(digits)] == digits
        assert t[: len(digits) + 2] == [BOS] + digits[::-1] + [EOS]
        assert all(x == PAD for x in t[len(digits) + 2 :])


@pytest.mark.slow
def test_learns_to_reverse_digit_sequences():
    from mlcanon.report.models.transformer import train_reverse_task

    start = time.perf_counter()
    result = train_reverse_task(steps=1000, seed=0)
    seconds = time.perf_counter() - start
    print(f"reverse task: exact match {result['exact_match']:.4f} on {result['n_test']} held-out "
          f"sequences after {result['steps']} steps, {seconds:.1f} s")
    assert result["exact_match"] >= 0.99
