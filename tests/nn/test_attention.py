"""mlcanon.nn.attention against torch's scaled_dot_product_attention and nn.MultiheadAttention, and brute force."""

import math
import warnings

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from mlcanon.nn.attention import (
    AdditiveAttention,
    DotProductAttention,
    GeneralAttention,
    MultiHeadAttention,
    scaled_dot_product_attention,
)

TOL = 1e-5


def _max_diff(a, b):
    return max(float((x - y).detach().abs().max()) for x, y in zip(a, b, strict=True))


# -- scaled dot-product attention ----------------------------------------------------------------


@pytest.mark.parametrize("mask_kind", ["none", "bool", "float", "causal"])
def test_sdpa_equals_torch_with_and_without_weights(mask_kind):
    torch.manual_seed(0)
    q, k, v = torch.randn(2, 3, 4, 8), torch.randn(2, 3, 6, 8), torch.randn(2, 3, 6, 5)
    mask = {"none": None, "causal": None, "bool": torch.rand(4, 6) > 0.3, "float": torch.randn(2, 1, 4, 6)}[mask_kind]
    if mask_kind == "bool":
        mask[:, 0] = True  # every query keeps a key: no all-masked row
    causal = mask_kind == "causal"
    ref = F.scaled_dot_product_attention(q, k, v, mask, is_causal=causal)
    fused = scaled_dot_product_attention(q, k, v, mask, is_causal=causal)
    out, w = scaled_dot_product_attention(q, k, v, mask, is_causal=causal, need_weights=True)
    assert _max_diff([fused, out], [ref, ref]) <= TOL
    assert torch.allclose(w.sum(-1), torch.ones(2, 3, 4))
    if mask_kind == "bool":  # True = takes part (torch's sdpa convention): masked keys get weight 0
        assert torch.all(w[..., ~mask] == 0)
    if causal:
        assert torch.all(w.triu(1) == 0)


def test_sdpa_brute_force_and_scale():
    torch.manual_seed(1)
    q, k, v = torch.randn(3, 4, dtype=torch.float64), torch.randn(5, 4, dtype=torch.float64), torch.randn(5, 2, dtype=torch.float64)
    out, w = scaled_dot_product_attention(q, k, v, need_weights=True, scale=0.3)
    for i in range(3):
        s = torch.tensor([0.3 * float(q[i] @ k[j]) for j in range(5)], dtype=torch.float64)
        p = torch.exp(s) / torch.exp(s).sum()
        assert torch.allclose(w[i], p, atol=1e-12) and torch.allclose(out[i], p @ v, atol=1e-12)


def test_sdpa_errors():
    q = torch.randn(2, 3, 4)
    with pytest.raises(ValueError, match="k: expected last dimension 4"):
        scaled_dot_product_attention(q, torch.randn(2, 3, 5), torch.randn(2, 3, 4))
    with pytest.raises(ValueError, match="v: expected 3 positions"):
        scaled_dot_product_attention(q, q, torch.randn(2, 4, 4))
    with pytest.raises(ValueError, match="is_causal: expected attn_mask=None"):
        scaled_dot_product_attention(q, q, q, torch.ones(3, 3, dtype=torch.bool), is_causal=True)
    with pytest.raises(TypeError, match="attn_mask: expected a bool or float tensor"):
        scaled_dot_product_attention(q, q, q, torch.ones(3, 3, dtype=torch.long))
    with pytest.raises(ValueError, match="q: expected a 2-D or 3-D or 4-D or 5-D tensor"):
        scaled_dot_product_attention(torch.randn(4), q, q)


# -- Bahdanau and Luong --------------------------------------------------------------------------


def test_additive_attention_brute_force_with_mask():
    torch.manual_seed(2)
    att = AdditiveAttention(3, 4, 5, bias=True).double()
    q, keys = torch.randn(2, 3, dtype=torch.float64), torch.randn(2, 6, 4, dtype=torch.float64)
    mask = torch.tensor([[True] * 6, [True] * 4 + [False] * 2])
    ctx, w = att(q, keys, mask=mask)
    for b in range(2):
        n = int(mask[b].sum())
        e = torch.stack([att.v.weight[0] @ torch.tanh(att.W_q.weight @ q[b] + att.W_k.weight @ keys[b, j] + att.W_k.bias)
                         for j in range(n)])
        p = torch.softmax(e, 0)
        assert torch.allclose(w[b, :n], p, atol=1e-12) and torch.all(w[b, n:] == 0)
        assert torch.allclose(ctx[b], p @ keys[b, :n], atol=1e-12)


def test_luong_dot_and_general_brute_force():
    torch.manual_seed(3)
    q, keys, values = torch.randn(2, 3, 4), torch.randn(2, 5, 4), torch.randn(2, 5, 7)
    ctx, w = DotProductAttention()(q, keys, values)
    assert torch.allclose(w, torch.softmax(q @ keys.transpose(1, 2), -1), atol=1e-6)
    assert torch.allclose(ctx, w @ values, atol=1e-6)
    _, ws = DotProductAttention(scaled=True)(q, keys)
    assert torch.allclose(ws, torch.softmax(q @ keys.transpose(1, 2) / 2.0, -1), atol=1e-6)
    gen = GeneralAttention(4, 6)
    k6 = torch.randn(2, 5, 6)
    ctx, w = gen(q[:, 0], k6)
    assert torch.allclose(w, torch.softmax(torch.einsum("bq,qk,bsk->bs", q[:, 0], gen.W.weight, k6), -1), atol=1e-6)
    # an identity W makes "general" equal to "dot"
    gen_id = GeneralAttention(4, 4)
    with torch.no_grad():
        gen_id.W.weight.copy_(torch.eye(4))
    assert _max_diff(gen_id(q, keys), DotProductAttention()(q, keys)) <= 1e-6


def test_bahdanau_luong_errors():
    att = AdditiveAttention(3, 4, 5)
    with pytest.raises(ValueError, match=r"mask: expected a bool tensor of shape \(2, 6\)"):
        att(torch.randn(2, 3), torch.randn(2, 6, 4), mask=torch.ones(2, 6))
    with pytest.raises(ValueError, match="keys: expected a 3-D tensor"):
        att(torch.randn(2, 3), torch.randn(6, 4))
    with pytest.raises(ValueError, match="keys/values: expected shapes"):
        att(torch.randn(3, 3), torch.randn(2, 6, 4))
    with pytest.raises(ValueError, match="keys: expected last dimension 3"):
        DotProductAttention()(torch.randn(2, 3), torch.randn(2, 6, 4))
    with pytest.raises(ValueError, match="hidden_dim: expected an int >= 1"):
        AdditiveAttention(3, 4, 0)


# -- multi-head attention -----------------------------------------------------------------------


def _mha_pair(E, h, **kw):
    ref = torch.nn.MultiheadAttention(E, h, **kw)
    ours = MultiHeadAttention(E, h, **kw)
    ours.load_state_dict(ref.state_dict(), strict=True)
    return ours, ref


def _bool_or_float(mask, as_float):
    return torch.zeros(mask.shape).masked_fill(mask, float("-inf")) if as_float else mask


@settings(max_examples=40)
@given(
    batch_first=st.booleans(),
    cross=st.sampled_from(["self", "kv_same", "separate", "kdim"]),
    kpm=st.booleans(),
    am=st.sampled_from(["none", "2d", "3d"]),
    float_masks=st.booleans(),
    need_weights=st.booleans(),
    average=st.booleans(),
    bias=st.booleans(),
    L=st.integers(1, 5),
    S=st.integers(1, 5),
    B=st.integers(1, 3),
    heads=st.sampled_from([1, 2, 4]),
    seed=st.integers(0, 2**16),
)
def test_mha_equals_torch(batch_first, cross, kpm, am, float_masks, need_weights, average, bias, L, S, B, heads, seed):
    torch.manual_seed(seed)
    E = 8
    kdim = 5 if cross == "kdim" else None
    ours, ref = _mha_pair(E, heads, batch_first=batch_first, bias=bias, kdim=kdim, vdim=kdim)
    shape = (lambda T, d: (B, T, d)) if batch_first else (lambda T, d: (T, B, d))
    query = torch.randn(shape(L, E), requires_grad=True)
    if cross == "self":
        S, key = L, query
        value = query
    else:
        key = torch.randn(shape(S, kdim or E), requires_grad=True)
        value = key if cross in ("kv_same", "kdim") else torch.randn(shape(S, E), requires_grad=True)
    pad = torch.zeros(B, S, dtype=torch.bool)
    pad[:, S // 2 + 1 :] = torch.rand(B, S - S // 2 - 1) > 0.5  # the first keys stay visible: no empty row
    kw = {"need_weights": need_weights, "average_attn_weights": average}
    if kpm:
        kw["key_padding_mask"] = _bool_or_float(pad, float_masks)
    if am != "none":
        mask = torch.rand((L, S) if am == "2d" else (B * heads, L, S)) > 0.6
        mask[..., 0] = False
        kw["attn_mask"] = _bool_or_float(mask, float_masks)
    a_out, a_w = ours(query, key, value, **kw)
    b_out, b_w = ref(query, key, value, **kw)
    assert a_out.shape == b_out.shape
    if need_weights:
        assert a_w.shape == b_w.shape and _max_diff([a_w], [b_w]) <= TOL
    else:
        assert a_w is None and b_w is None
    inputs = list({id(t): t for t in (query, key, value)}.values())
    ga = torch.autograd.grad((a_out * torch.arange(E)).sum(), inputs + list(ours.parameters()))
    gb = torch.autograd.grad((b_out * torch.arange(E)).sum(), inputs + list(ref.parameters()))
    assert _max_diff([a_out, *ga], [b_out, *gb]) <= TOL


def test_mha_unbatched_eval_and_causal():
    torch.manual_seed(4)
    ours, ref = _mha_pair(8, 2)
    x = torch.randn(5, 8)
    kpm = torch.tensor([False, False, False, True, True])
    assert _max_diff(ours(x, x, x, key_padding_mask=kpm), ref(x, x, x, key_padding_mask=kpm)) <= TOL
    causal = torch.nn.Transformer.generate_square_subsequent_mask(5)
    xb = torch.randn(5, 3, 8)
    ours.eval(), ref.eval()  # torch's eval path is its fused native kernel
    with torch.no_grad():
        for nw in (True, False):
            a = ours(xb, xb, xb, attn_mask=causal, is_causal=True, need_weights=nw)
            b = ref(xb, xb, xb, attn_mask=causal, is_causal=True, need_weights=nw)
            assert _max_diff(a[:1], b[:1]) <= TOL
        # our is_causal without a mask builds it (torch would ask for the mask)
        assert _max_diff(ours(xb, xb, xb, is_causal=True, need_weights=False)[:1], [b[0]]) <= TOL
        assert _max_diff(ours(xb, xb, xb, is_causal=True)[:1], [b[0]]) <= TOL


def test_mha_dropout_only_in_training():
    torch.manual_seed(5)
    mha = MultiHeadAttention(8, 2, dropout=0.5)
    x = torch.randn(4, 2, 8)
    mha.train()
    assert not torch.allclose(mha(x, x, x)[0], mha(x, x, x)[0])
    mha.eval()
    assert torch.equal(mha(x, x, x)[0], mha(x, x, x)[0])


def test_mha_weights_hand_checked():
    """Zero projections for q and k give uniform weights; identity v/out give the mean of the values."""
    mha = MultiHeadAttention(4, 2, bias=False)
    with torch.no_grad():
        mha.in_proj_weight.zero_()
        mha.in_proj_weight[8:].copy_(torch.eye(4))
        mha.out_proj.weight.copy_(torch.eye(4))
    x = torch.randn(3, 1, 4)
    out, w = mha(x, x, x)
    assert torch.allclose(w, torch.full((1, 3, 3), 1 / 3))
    assert torch.allclose(out, x.mean(0, keepdim=True).expand(3, 1, 4), atol=1e-6)
    assert math.isclose(float(w.detach().sum()), 3.0, rel_tol=1e-6)


def test_mha_parameter_names():
    assert set(MultiHeadAttention(8, 2).state_dict()) == set(torch.nn.MultiheadAttention(8, 2).state_dict())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = torch.nn.MultiheadAttention(8, 2, kdim=3, vdim=5, bias=False)
    assert set(MultiHeadAttention(8, 2, kdim=3, vdim=5, bias=False).state_dict()) == set(ref.state_dict())


def test_mha_errors():
    with pytest.raises(ValueError, match="num_heads: expected a divisor of embed_dim=8, got 3"):
        MultiHeadAttention(8, 3)
    mha = MultiHeadAttention(8, 2)
    x = torch.randn(4, 2, 8)
    with pytest.raises(ValueError, match="query: expected last dimension 8"):
        mha(torch.randn(4, 2, 6), x, x)
    with pytest.raises(ValueError, match="query, key, value: expected the same number of dimensions"):
        mha(x, x[:, 0], x)
    with pytest.raises(ValueError, match="query: expected a 2-D or 3-D tensor"):
        mha(x[None], x, x)
    with pytest.raises(ValueError, match="query, key: expected the same batch size"):
        mha(x, torch.randn(4, 3, 8), torch.randn(4, 3, 8))
    with pytest.raises(ValueError, match="key, value: expected the same sequence and batch sizes"):
        mha(x, x, torch.randn(5, 2, 8))
    with pytest.raises(ValueError, match=r"attn_mask: expected a 2-D mask of shape \(4, 4\)"):
        mha(x, x, x, attn_mask=torch.zeros(4, 5))
    with pytest.raises(ValueError, match=r"attn_mask: expected a 3-D mask of shape \(4, 4, 4\)"):
        mha(x, x, x, attn_mask=torch.zeros(2, 4, 4))
    with pytest.raises(ValueError, match=r"key_padding_mask: expected shape \(2, 4\)"):
        mha(x, x, x, key_padding_mask=torch.zeros(2, 5, dtype=torch.bool))
    with pytest.raises(TypeError, match="key_padding_mask: expected a bool or float tensor"):
        mha(x, x, x, key_padding_mask=torch.zeros(2, 4, dtype=torch.long))
