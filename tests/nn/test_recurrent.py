"""mlcanon.nn.recurrent against torch.nn.RNN/LSTM/GRU and their cells, after a strict state-dict transfer.

The readable path (``fused=False``) is checked against torch's layers; the fused path (the default,
torch's kernel on our parameters) is checked against torch's layers and against the readable path."""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.nn.utils.rnn import pack_padded_sequence, pack_sequence, pad_packed_sequence

from mlcanon.nn import recurrent as R

TOL32 = 1e-5
pytestmark = pytest.mark.filterwarnings("ignore:LSTM with projections is not supported with oneDNN")
TOL64 = 1e-12


def _pair(name, *args, dtype=torch.float32, fused=False, **kwargs):
    ref = getattr(torch.nn, name)(*args, **kwargs).to(dtype)
    ours = getattr(R, name)(*args, fused=fused, **kwargs).to(dtype)
    ours.load_state_dict(ref.state_dict(), strict=True)
    return ours, ref


def _states(h):
    return list(h) if isinstance(h, tuple) else [h]


def _loss(out, h):
    # weights every output and state differently so that a swapped entry changes the gradient
    total = (out * torch.linspace(0.5, 1.5, out.shape[-1], dtype=out.dtype)).pow(2).sum()
    return total + sum((s * 0.7).sum() for s in _states(h))


def _max_diff(a, b):
    return max(float((x - y).detach().abs().max()) for x, y in zip(a, b, strict=True))


def _compare(ours, ref, x, hx=None, lengths=None, tol=TOL32):
    """Forward outputs/states and gradients w.r.t. input, hx and every parameter."""
    bf = ref.batch_first
    inputs = [x] + ([] if hx is None else _states(hx))
    if lengths is None:
        a_out, a_h = ours(x, hx)
        b_out, b_h = ref(x, hx)
    else:
        a_out, a_h = ours(x, hx, lengths=lengths)
        packed = pack_padded_sequence(x, lengths, batch_first=bf, enforce_sorted=False)
        b_out, b_h = ref(packed, hx)
        b_out, _ = pad_packed_sequence(b_out, batch_first=bf, total_length=x.shape[1 if bf else 0])
    assert a_out.shape == b_out.shape
    assert _max_diff([a_out] + _states(a_h), [b_out] + _states(b_h)) <= tol
    ga = torch.autograd.grad(_loss(a_out, a_h), inputs + list(ours.parameters()))
    gb = torch.autograd.grad(_loss(b_out, b_h), inputs + list(ref.parameters()))
    assert _max_diff(ga, gb) <= tol


@settings(max_examples=30)
@given(
    name=st.sampled_from(["RNN", "LSTM", "GRU"]),
    num_layers=st.integers(1, 3),
    bidirectional=st.booleans(),
    batch_first=st.booleans(),
    use_lengths=st.booleans(),
    use_hx=st.booleans(),
    proj=st.booleans(),
    T=st.integers(1, 6),
    B=st.integers(1, 4),
    seed=st.integers(0, 2**16),
    fused=st.booleans(),
)
def test_layers_equal_torch_forward_and_gradients(name, num_layers, bidirectional, batch_first, use_lengths,
                                                  use_hx, proj, T, B, seed, fused):
    torch.manual_seed(seed)
    kw = dict(num_layers=num_layers, bidirectional=bidirectional, batch_first=batch_first)
    if name == "LSTM" and proj:
        kw["proj_size"] = 2
    ours, ref = _pair(name, 3, 4, fused=fused, **kw)
    x = torch.randn((B, T, 3) if batch_first else (T, B, 3), requires_grad=True)
    lengths = torch.randint(1, T + 1, (B,)) if use_lengths else None
    hx = None
    if use_hx:
        LD = num_layers * (2 if bidirectional else 1)
        h0 = torch.randn(LD, B, kw.get("proj_size", 4), requires_grad=True)
        hx = (h0, torch.randn(LD, B, 4, requires_grad=True)) if name == "LSTM" else h0
    _compare(ours, ref, x, hx, lengths)


@pytest.mark.parametrize("fused", [False, True])
@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
def test_float64_agrees_to_1e_12(name, fused):
    torch.manual_seed(1)
    ours, ref = _pair(name, 5, 6, num_layers=2, bidirectional=True, dtype=torch.float64, fused=fused)
    x = torch.randn(7, 3, 5, dtype=torch.float64, requires_grad=True)
    _compare(ours, ref, x, lengths=torch.tensor([7, 2, 5]), tol=TOL64)


def test_relu_rnn_and_no_bias():
    torch.manual_seed(2)
    ours, ref = _pair("RNN", 3, 4, nonlinearity="relu", bias=False, num_layers=2)
    assert set(ours.state_dict()) == {"weight_ih_l0", "weight_hh_l0", "weight_ih_l1", "weight_hh_l1"}
    _compare(ours, ref, torch.randn(5, 2, 3, requires_grad=True))
    ours, ref = _pair("GRU", 3, 4, bias=False, bidirectional=True)
    _compare(ours, ref, torch.randn(5, 2, 3, requires_grad=True))


@pytest.mark.parametrize("fused", [False, True])
@pytest.mark.parametrize("enforce_sorted", [True, False])
@pytest.mark.parametrize("name", ["LSTM", "GRU"])
def test_packed_sequence_in_and_out(name, enforce_sorted, fused):
    torch.manual_seed(3)
    ours, ref = _pair(name, 3, 4, num_layers=2, bidirectional=True, fused=fused)
    seqs = [torch.randn(n, 3) for n in ([6, 4, 4, 1] if enforce_sorted else [2, 6, 1, 4])]
    packed = pack_sequence(seqs, enforce_sorted=enforce_sorted)
    a_out, a_h = ours(packed)
    b_out, b_h = ref(packed)
    assert isinstance(a_out, torch.nn.utils.rnn.PackedSequence)
    assert torch.equal(a_out.batch_sizes, b_out.batch_sizes)
    if enforce_sorted:
        assert a_out.sorted_indices is None
    else:
        assert torch.equal(a_out.sorted_indices, b_out.sorted_indices)
    assert _max_diff([a_out.data] + _states(a_h), [b_out.data] + _states(b_h)) <= TOL32


@pytest.mark.parametrize("fused", [False, True])
@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
def test_unbatched_input(name, fused):
    torch.manual_seed(4)
    ours, ref = _pair(name, 3, 4, num_layers=2, fused=fused)
    x = torch.randn(5, 3)
    a_out, a_h = ours(x)
    b_out, b_h = ref(x)
    assert a_out.shape == (5, 4)
    assert _max_diff([a_out] + _states(a_h), [b_out] + _states(b_h)) <= TOL32


@pytest.mark.parametrize("fused", [False, True])
def test_lengths_equal_to_running_each_sequence_alone(fused):
    """Padding must not leak: each sequence of a padded batch gives what it gives alone."""
    torch.manual_seed(5)
    lstm = R.LSTM(3, 4, bidirectional=True, batch_first=True, fused=fused)
    x = torch.randn(3, 6, 3)
    lengths = [6, 2, 4]
    out, (h, c) = lstm(x, lengths=torch.tensor(lengths))
    for b, n in enumerate(lengths):
        alone, (h1, c1) = lstm(x[b : b + 1, :n])
        assert torch.allclose(out[b, :n], alone[0], atol=1e-6)
        assert torch.all(out[b, n:] == 0)
        assert torch.allclose(h[:, b], h1[:, 0], atol=1e-6) and torch.allclose(c[:, b], c1[:, 0], atol=1e-6)


@pytest.mark.parametrize("fused", [False, True])
def test_dropout_between_layers_only(fused):
    torch.manual_seed(6)
    x = torch.randn(5, 2, 3)
    one = R.GRU(3, 4, num_layers=1, dropout=0.5, fused=fused).train()
    assert torch.equal(one(x)[0], one.eval()(x)[0])  # no dropout after the last layer
    two = R.GRU(3, 4, num_layers=2, dropout=0.5, fused=fused).train()
    assert not torch.allclose(two(x)[0], two.eval()(x)[0])


@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("name", ["LSTM", "GRU"])
def test_fused_and_readable_paths_draw_the_same_dropout_masks(name, bidirectional):
    """Both paths call dropout once between layers on the whole (T, B, D·H) output: same seed, same masks."""
    m = getattr(R, name)(3, 4, num_layers=3, dropout=0.5, bidirectional=bidirectional).train()
    x = torch.randn(6, 2, 3)
    outs = []
    for fused in (True, False):
        m.fused = fused
        torch.manual_seed(9)
        outs.append(m(x)[0].detach())
    assert _max_diff(outs[:1], outs[1:]) <= TOL32
    torch.manual_seed(10)
    assert _max_diff(outs[:1], [m(x)[0].detach()]) > 1e-3  # another seed, other masks: the dropout is real


def _both_paths(module, x, hx=None, lengths=None):
    """Outputs, states and gradients (w.r.t. x, hx and every parameter) of the fused and the readable path."""
    inputs = [x] + ([] if hx is None else _states(hx))
    results = []
    for fused in (True, False):
        module.fused = fused
        out, h = module(x, hx, lengths=lengths)
        grads = torch.autograd.grad(_loss(out, h), inputs + list(module.parameters()))
        results.append(([out] + _states(h), grads))
    return results


@settings(max_examples=30, deadline=None)
@given(
    name=st.sampled_from(["RNN", "LSTM", "GRU"]),
    num_layers=st.integers(1, 3),
    bidirectional=st.booleans(),
    batch_first=st.booleans(),
    use_lengths=st.booleans(),
    use_hx=st.booleans(),
    proj=st.booleans(),
    T=st.integers(1, 7),
    B=st.integers(1, 5),
    seed=st.integers(0, 2**16),
)
def test_fused_path_equals_readable_path(name, num_layers, bidirectional, batch_first, use_lengths, use_hx, proj,
                                         T, B, seed):
    """One module, both paths: same outputs, final states and gradients (lengths, hx, projections)."""
    torch.manual_seed(seed)
    kw = dict(num_layers=num_layers, bidirectional=bidirectional, batch_first=batch_first)
    if name == "LSTM" and proj:
        kw["proj_size"] = 2
    m = getattr(R, name)(3, 4, **kw)
    assert m.fused  # the default
    x = torch.randn((B, T, 3) if batch_first else (T, B, 3), requires_grad=True)
    lengths = torch.randint(1, T + 1, (B,)) if use_lengths else None
    hx = None
    if use_hx:
        LD = num_layers * (2 if bidirectional else 1)
        h0 = torch.randn(LD, B, kw.get("proj_size", 4), requires_grad=True)
        hx = (h0, torch.randn(LD, B, 4, requires_grad=True)) if name == "LSTM" else h0
    (fused_out, fused_grads), (plain_out, plain_grads) = _both_paths(m, x, hx, lengths)
    assert [t.shape for t in fused_out] == [t.shape for t in plain_out]
    assert _max_diff(fused_out, plain_out) <= TOL32
    assert _max_diff(fused_grads, plain_grads) <= TOL32


@pytest.mark.parametrize("name", ["LSTM", "GRU"])
def test_fused_path_equals_readable_path_on_packed_input_in_float64(name):
    torch.manual_seed(8)
    m = getattr(R, name)(5, 6, num_layers=2, bidirectional=True).double()
    seqs = [torch.randn(n, 5, dtype=torch.float64, requires_grad=True) for n in (3, 9, 1, 6)]
    h0 = torch.randn(4, 4, 6, dtype=torch.float64, requires_grad=True)
    hx = (h0, torch.randn_like(h0, requires_grad=True)) if name == "LSTM" else h0
    results = []
    for fused in (True, False):
        m.fused = fused
        out, h = m(pack_sequence(seqs, enforce_sorted=False), hx)
        assert isinstance(out, torch.nn.utils.rnn.PackedSequence)
        loss = _loss(out.data, h)
        grads = torch.autograd.grad(loss, seqs + _states(hx) + list(m.parameters()))
        results.append(([out.data] + _states(h), grads))
    (a, ga), (b, gb) = results
    assert _max_diff(a, b) <= TOL64
    assert _max_diff(ga, gb) <= TOL64


def test_fused_flag_keeps_torch_state_dict_and_repr():
    ours = R.LSTM(3, 4, num_layers=2, bidirectional=True, proj_size=2)
    ref = torch.nn.LSTM(3, 4, num_layers=2, bidirectional=True, proj_size=2)
    assert list(ours.state_dict()) == list(ref.state_dict())
    assert ours._weight_names == ref._flat_weights_names  # the order torch's kernel takes them in
    assert "fused=True" in repr(ours) and "fused=False" in repr(R.GRU(3, 4, fused=False))


@pytest.mark.parametrize("cell", ["RNNCell", "LSTMCell", "GRUCell"])
def test_cells_equal_torch_and_gradcheck(cell):
    torch.manual_seed(7)
    ref = getattr(torch.nn, cell)(3, 4).double()
    ours = getattr(R, cell)(3, 4).double()
    ours.load_state_dict(ref.state_dict(), strict=True)
    x = torch.randn(2, 3, dtype=torch.float64, requires_grad=True)
    h = torch.randn(2, 4, dtype=torch.float64, requires_grad=True)
    c = torch.randn(2, 4, dtype=torch.float64, requires_grad=True)
    hx = (h, c) if cell == "LSTMCell" else h
    assert _max_diff(_states(ours(x, hx)), _states(ref(x, hx))) <= TOL64
    assert _max_diff(_states(ours(x[0])), _states(ref(x[0]))) <= TOL64  # unbatched, zero state

    def f(x, h, c):
        out = ours(x, (h, c) if cell == "LSTMCell" else h)
        return out if isinstance(out, tuple) else (out,)

    assert torch.autograd.gradcheck(f, (x, h, c))


def test_hand_checked_rnn_step():
    """One tanh step with weights chosen by hand: h = tanh(2·1 + 0.5 - 1) = tanh(1.5)."""
    cell = R.RNNCell(1, 1)
    with torch.no_grad():
        cell.weight_ih.fill_(2.0)
        cell.weight_hh.fill_(-1.0)
        cell.bias_ih.fill_(0.5)
        cell.bias_hh.fill_(0.0)
    h = cell(torch.tensor([[1.0]]), torch.tensor([[1.0]]))
    assert float(h.detach()) == pytest.approx(torch.tanh(torch.tensor(1.5)).item(), abs=1e-7)


def test_errors():
    lstm = R.LSTM(3, 4, num_layers=2)
    with pytest.raises(ValueError, match=r"input: expected a 2-D \(unbatched\) or 3-D"):
        lstm(torch.randn(2, 3, 4, 3))
    with pytest.raises(ValueError, match="input: expected last dimension input_size=3"):
        lstm(torch.randn(5, 2, 4))
    with pytest.raises(ValueError, match=r"hx\[0\]: expected shape \(2, 2, 4\)"):
        lstm(torch.randn(5, 2, 3), (torch.zeros(1, 2, 4), torch.zeros(2, 2, 4)))
    with pytest.raises(TypeError, match=r"hx: expected a pair \(h_0, c_0\)"):
        lstm(torch.randn(5, 2, 3), torch.zeros(2, 2, 4))
    with pytest.raises(ValueError, match=r"hx: expected shape \(1, 2, 4\)"):
        R.GRU(3, 4)(torch.randn(5, 2, 3), torch.zeros(1, 2, 5))
    with pytest.raises(ValueError, match=r"lengths: expected values in \[1, 5\]"):
        lstm(torch.randn(5, 2, 3), lengths=torch.tensor([6, 1]))
    with pytest.raises(ValueError, match="lengths: expected a 1-D tensor of 2 lengths"):
        lstm(torch.randn(5, 2, 3), lengths=torch.tensor([5]))
    with pytest.raises(TypeError, match="lengths: expected integers"):
        lstm(torch.randn(5, 2, 3), lengths=torch.tensor([5.0, 1.0]))
    packed = pack_sequence([torch.randn(3, 3)])
    with pytest.raises(ValueError, match="lengths: expected None when input is a PackedSequence"):
        lstm(packed, lengths=torch.tensor([3]))
    with pytest.raises(TypeError, match="input: expected a floating-point tensor"):
        lstm(torch.ones(5, 2, 3, dtype=torch.long))
    with pytest.raises(ValueError, match="proj_size: expected an int < hidden_size=4"):
        R.LSTM(3, 4, proj_size=4)
    with pytest.raises(ValueError, match="nonlinearity: expected one of 'tanh', 'relu'"):
        R.RNN(3, 4, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="hidden_size: expected an int >= 1"):
        R.GRU(3, 0)
    with pytest.raises(ValueError, match="dropout: expected a number <= 1"):
        R.GRU(3, 4, dropout=1.5)
    with pytest.raises(ValueError, match=r"input: expected a 1-D \(unbatched\) or 2-D"):
        R.GRUCell(3, 4)(torch.randn(1, 2, 3))
    with pytest.raises(ValueError, match=r"hx: expected shape \(2, 4\)"):
        R.GRUCell(3, 4)(torch.randn(2, 3), torch.zeros(3, 4))
    with pytest.raises(TypeError, match="fused: expected a bool, got str"):
        R.LSTM(3, 4, fused="yes")


@pytest.mark.parametrize("fused", [False, True])
def test_errors_on_both_paths(fused):
    lstm = R.LSTM(3, 4, num_layers=2, fused=fused)
    with pytest.raises(ValueError, match="input: expected last dimension input_size=3"):
        lstm(pack_sequence([torch.randn(3, 5)]))
    with pytest.raises(ValueError, match=r"hx\[1\]: expected shape \(2, 1, 4\)"):
        lstm(pack_sequence([torch.randn(3, 3)]), (torch.zeros(2, 1, 4), torch.zeros(2, 2, 4)))
    with pytest.raises(ValueError, match=r"lengths: expected values in \[1, 5\]"):
        lstm(torch.randn(5, 2, 3), lengths=torch.tensor([0, 1]))
