"""mlcanon.nn.CRF against brute-force enumeration and pytorch-crf (same weights)."""

import itertools

import pytest
import torch
import torchcrf
from hypothesis import given, settings
from hypothesis import strategies as st

from mlcanon import data
from mlcanon.nn.crf import CRF, _scaled_forward


def _pair(K, batch_first=False, dtype=torch.float32):
    ref = torchcrf.CRF(K, batch_first=batch_first).to(dtype)
    ours = CRF(K, batch_first=batch_first).to(dtype)
    ours.load_state_dict(ref.state_dict(), strict=True)
    return ours, ref


def _prefix_mask(lengths, T):
    return torch.arange(T).unsqueeze(1) < torch.as_tensor(lengths).unsqueeze(0)  # (T, B)


def _brute_force(crf, emissions, length):
    """log Z, every path's score, and the best path of one sequence (T, K) by enumeration."""
    with torch.no_grad():
        return _enumerate(crf, emissions, length)


def _enumerate(crf, emissions, length):
    K = crf.num_tags
    e = emissions[:length]
    scores = {}
    for path in itertools.product(range(K), repeat=length):
        s = crf.start_transitions[path[0]] + e[0, path[0]] + crf.end_transitions[path[-1]]
        for t in range(1, length):
            s = s + crf.transitions[path[t - 1], path[t]] + e[t, path[t]]
        scores[path] = s
    log_z = torch.logsumexp(torch.stack(list(scores.values())), 0)
    return log_z, scores, list(max(scores, key=lambda p: float(scores[p].detach())))


@settings(max_examples=25)
@given(K=st.integers(1, 3), T=st.integers(1, 4), B=st.integers(1, 3), seed=st.integers(0, 2**16))
def test_brute_force_likelihood_decode_and_marginals(K, T, B, seed):
    torch.manual_seed(seed)
    crf = CRF(K).double()
    torch.nn.init.normal_(crf.transitions)  # larger than the default init: the paths differ more
    emissions = torch.randn(T, B, K, dtype=torch.float64) * 2
    lengths = torch.randint(1, T + 1, (B,))
    lengths[0] = T
    mask = _prefix_mask(lengths, T)
    tags = torch.randint(0, K, (T, B))
    with torch.no_grad():
        llh = crf(emissions, tags, mask, reduction="none")
    paths = crf.decode(emissions, mask)
    marg = crf.marginals(emissions, mask)
    for b in range(B):
        n = int(lengths[b])
        log_z, scores, best = _brute_force(crf, emissions[:, b], n)
        assert float(llh[b]) == pytest.approx(float(scores[tuple(tags[:n, b].tolist())] - log_z), abs=1e-10)
        assert paths[b] == best
        for t in range(n):
            for j in range(K):
                p = sum(torch.exp(s - log_z) for path, s in scores.items() if path[t] == j)
                assert float(marg[t, b, j]) == pytest.approx(float(p), abs=1e-10)
        assert torch.all(marg[n:, b] == 0)


@pytest.fixture(scope="module")
def conll_tags():
    """Real CoNLL-2003 sentences: their lengths and gold tags, as (T, B) ids and a (T, B) mask."""
    dev = data.load("conll2003", "dev")
    names = sorted({t for sent in dev.tags for t in sent})
    index = {t: i for i, t in enumerate(names)}
    sents = [s for s in dev.tags[:200] if len(s) <= 30][:32]
    T, B = max(map(len, sents)), len(sents)
    tags = torch.zeros(T, B, dtype=torch.long)
    for b, s in enumerate(sents):
        tags[: len(s), b] = torch.tensor([index[t] for t in s])
    return tags, _prefix_mask([len(s) for s in sents], T), len(names)


@pytest.mark.parametrize("batch_first", [False, True])
def test_equals_pytorch_crf_on_conll_tag_sequences(conll_tags, batch_first):
    """Real tag sequences, random emissions, same weights: every reduction, gradients, Viterbi paths."""
    tags, mask, K = conll_tags
    torch.manual_seed(0)
    ours, ref = _pair(K, batch_first)
    emissions = torch.randn(*tags.shape, K) * 3
    if batch_first:
        emissions, tags, mask = emissions.transpose(0, 1), tags.T, mask.T
    emissions.requires_grad_(True)
    for reduction in ("sum", "none", "mean", "token_mean"):
        a, b = ours(emissions, tags, mask, reduction=reduction), ref(emissions, tags, mask, reduction=reduction)
        # float32 sums of ~30 terms of size ~10: 1e-5 relative to the magnitude
        assert torch.allclose(a, b, rtol=1e-5, atol=1e-5)
        ga = torch.autograd.grad(a.sum(), [emissions, *ours.parameters()])
        gb = torch.autograd.grad(b.sum(), [emissions, *ref.parameters()])
        # parameter gradients are sums over ~500 tokens (|g| up to ~200): 1e-5 relative to their scale
        # (pytorch-crf's own float32 error against float64 is ~3e-5 absolute there; ours is ~2e-6)
        assert all(float((x - y).abs().max()) <= 1e-5 * max(1.0, float(y.abs().max())) for x, y in zip(ga, gb))
    assert ours.decode(emissions, mask) == ref.decode(emissions, mask)


@pytest.mark.filterwarnings("ignore:where received a uint8 condition")  # inside pytorch-crf, mask=None
def test_float64_equals_pytorch_crf_to_1e_10_and_decode_without_mask():
    torch.manual_seed(1)
    ours, ref = _pair(9, dtype=torch.float64)
    emissions = torch.randn(50, 64, 9, dtype=torch.float64)
    tags = torch.randint(0, 9, (50, 64))
    mask = _prefix_mask(torch.randint(1, 51, (64,)).clamp_(min=1), 50)
    mask[:, 0] = True
    assert torch.allclose(ours(emissions, tags, mask, "none"), ref(emissions, tags, mask, "none"), atol=1e-10, rtol=0)
    assert ours.decode(emissions, mask) == ref.decode(emissions, mask)
    assert ours.decode(emissions) == ref.decode(emissions)


def test_extreme_scores_fall_back_to_log_space():
    """-10000 constraints and large emission gaps underflow the scaled recursion: log space takes over."""
    torch.manual_seed(2)
    ours, ref = _pair(4)
    with torch.no_grad():
        ours.transitions[0, 1] = ref.transitions[0, 1] = -10000.0
    emissions = torch.randn(5, 3, 4)
    emissions[:, :, 1] += 200.0  # tag 1 dominates but cannot follow tag 0
    emissions[0, :, 0] += 400.0
    tags = torch.randint(0, 4, (5, 3))
    a, b = ours(emissions, tags, reduction="none"), ref(emissions, tags, reduction="none")
    assert torch.isfinite(a).all() and torch.allclose(a, b, rtol=1e-6)
    # the scaled recursion underflows here (so the log-space path is the one tested)
    last = torch.full((3,), 4)
    assert _scaled_forward(emissions, ours.start_transitions, ours.end_transitions, ours.transitions, last) is None
    # gradients against the float64 truth (pytorch-crf's float32 error is 2.8e-5 there, ours 8e-6)
    e = emissions.clone().requires_grad_(True)
    (ga,) = torch.autograd.grad(ours(e, tags).sum(), e)
    e64, ours64 = emissions.double().requires_grad_(True), CRF(4).double()
    ours64.load_state_dict(ours.state_dict())
    (g64,) = torch.autograd.grad(ours64(e64, tags).sum(), e64)
    assert torch.isfinite(ga).all() and float((ga.double() - g64).abs().max()) <= 1e-5


def test_long_sequence_does_not_underflow():
    crf = CRF(5)
    emissions = torch.randn(10_000, 2, 5)
    llh = crf(emissions, torch.randint(0, 5, (10_000, 2)), reduction="none")
    assert torch.isfinite(llh).all() and (llh < 0).all()


def test_gradcheck_forward_float64():
    torch.manual_seed(3)
    crf = CRF(3).double()
    emissions = torch.randn(4, 2, 3, dtype=torch.float64, requires_grad=True)
    tags = torch.randint(0, 3, (4, 2))
    mask = _prefix_mask([4, 2], 4)
    params = list(crf.parameters())

    start, end, trans = (p.detach().clone().requires_grad_(True) for p in params)
    assert torch.autograd.gradcheck(lambda e: crf(e, tags, mask, reduction="none"), (emissions,))
    # and through the parameters, passed as inputs
    assert torch.autograd.gradcheck(lambda *p: torch.func.functional_call(
        crf, dict(zip(["start_transitions", "end_transitions", "transitions"], p)), (emissions, tags, mask, "none")),
        (start, end, trans))


def test_hand_checked_two_tags_one_step():
    """T = 1: log p(y) = start[y] + E[y] + end[y] - logsumexp over the two tags."""
    crf = CRF(2)
    with torch.no_grad():
        crf.start_transitions.copy_(torch.tensor([0.0, 1.0]))
        crf.end_transitions.copy_(torch.tensor([0.5, 0.0]))
    e = torch.tensor([[[1.0, 0.0]]])  # (T=1, B=1, K=2)
    llh = crf(e, torch.tensor([[0]]))
    expected = 1.5 - torch.logsumexp(torch.tensor([1.5, 1.0]), 0)
    assert float(llh.detach()) == pytest.approx(float(expected), abs=1e-6)
    assert crf.decode(e) == [[0]]


def test_errors():
    crf = CRF(3)
    e, tags = torch.randn(4, 2, 3), torch.zeros(4, 2, dtype=torch.long)
    with pytest.raises(ValueError, match="num_tags: expected an int >= 1"):
        CRF(0)
    with pytest.raises(ValueError, match="emissions: expected a 3-D tensor"):
        crf(torch.randn(4, 3), tags)
    with pytest.raises(ValueError, match="emissions: expected last dimension num_tags=3"):
        crf(torch.randn(4, 2, 5), tags)
    with pytest.raises(ValueError, match=r"tags: expected shape \(4, 2\)"):
        crf(e, tags[:3])
    with pytest.raises(ValueError, match=r"tags: expected ids in \[0, 2\]"):
        crf(e, tags + 3)
    with pytest.raises(ValueError, match=r"mask: expected shape \(4, 2\)"):
        crf(e, tags, torch.ones(4, 3, dtype=torch.bool))
    with pytest.raises(ValueError, match="mask of the first timestep must all be on"):
        crf(e, tags, torch.tensor([[1, 0]] * 4, dtype=torch.bool))
    with pytest.raises(ValueError, match="mask: expected padding only at the end"):
        crf.decode(e, torch.tensor([[1, 1], [0, 1], [1, 1], [0, 0]], dtype=torch.bool))
    with pytest.raises(ValueError, match="reduction: expected one of 'none', 'sum', 'mean', 'token_mean', got 'avg'"):
        crf(e, tags, reduction="avg")
    with pytest.raises(TypeError, match="emissions: expected a floating-point tensor"):
        crf(tags.unsqueeze(-1).expand(4, 2, 3), tags)
    with pytest.raises(TypeError, match="tags: expected integer tag ids"):
        crf(e, tags.float())
