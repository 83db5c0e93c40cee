"""mlcanon.nn.GCNConv / GATConv against PyTorch Geometric (same weights, Cora), brute force and gradcheck."""

import itertools
import warnings

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from mlcanon import data
from mlcanon.nn import GATConv, GCNConv
from mlcanon.nn.graph import gcn_norm, segment_softmax

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import torch_geometric.nn as pyg

# Tolerance: float32 sums of at most 169 (max in-degree + 1) terms of size <= ~1 in an order that
# may differ between builds; 1e-5 is ~100 ulps at 1. (Here the two happen to agree bit for bit.)
ATOL = 1e-5


@pytest.fixture(scope="module")
def cora():
    g = data.load("cora_planetoid")
    x = torch.from_numpy(g.x / g.x.sum(1, keepdims=True).clip(1))
    return x, torch.from_numpy(g.edge_index)


def _grads(module, *tensors):
    return [p.grad for p in module.parameters()] + [t.grad for t in tensors]


GCN_OPTIONS = [{"normalize": n, "add_self_loops": a, "cached": c, "improved": i, "weighted": w}
               for n, a, c, i, w in itertools.product([True, False], repeat=5)
               if (n or not a) and (w or not i)]  # PyG ignores improved without weights: see below


@pytest.mark.parametrize("opts", GCN_OPTIONS, ids=lambda o: "-".join(k for k, v in o.items() if v) or "plain")
def test_gcn_conv_equals_pyg_outputs_and_gradients(cora, opts):
    x, edge_index = cora
    weighted = opts.pop("weighted")
    torch.manual_seed(0)
    ref = pyg.GCNConv(1433, 16, **opts)
    ours = GCNConv(1433, 16, **opts)
    ours.load_state_dict(ref.state_dict(), strict=True)
    w = torch.rand(edge_index.shape[1]) if weighted else None
    xa, xb = x.clone().requires_grad_(), x.clone().requires_grad_()
    # A cached Â keeps the autograd graph of its first call (as PyG's): no weight gradients then.
    track = weighted and not opts["cached"]
    wa = w.clone().requires_grad_(track) if weighted else None
    wb = w.clone().requires_grad_(track) if weighted else None
    for _ in range(2):  # the second call uses the cache when cached=True
        a, b = ours(xa, edge_index, wa), ref(xb, edge_index, wb)
        torch.testing.assert_close(a, b, atol=ATOL, rtol=0)
        (a.square().sum()).backward()
        (b.square().sum()).backward()
    for ga, gb in zip(_grads(ours, xa) + ([wa.grad] if track else []), _grads(ref, xb) + ([wb.grad] if track else [])):
        torch.testing.assert_close(ga, gb, atol=ATOL, rtol=1e-5)


def test_improved_without_weights_gives_loops_weight_two(cora):
    # PyG 2.8.1 fills the self-loops with 1 when no edge_weight is given, whatever `improved`
    # says; we follow the paper (A + 2I), which PyG also gives when the weights are passed as ones.
    x, edge_index = cora
    ref, ours = pyg.GCNConv(1433, 7, improved=True), GCNConv(1433, 7, improved=True)
    ours.load_state_dict(ref.state_dict(), strict=True)
    ones = torch.ones(edge_index.shape[1])
    torch.testing.assert_close(ours(x, edge_index), ref(x, edge_index, ones), atol=ATOL, rtol=0)


def test_cached_gcn_reuses_the_first_graph(cora):
    x, edge_index = cora
    conv = GCNConv(1433, 4, cached=True)
    first = conv(x, edge_index)
    torch.testing.assert_close(conv(x, edge_index[:, :10]), first)  # the cache wins, as in PyG
    conv.reset_parameters()
    assert conv._cache is None


def test_gcn_norm_equals_dense_formula():
    # Â = D^-1/2 (A + I) D^-1/2 on a weighted graph with one existing self-loop (kept with its weight)
    edge_index = torch.tensor([[0, 1, 1, 2, 2], [1, 0, 2, 1, 2]])
    weight = torch.tensor([1.0, 1.0, 2.0, 2.0, 3.0], dtype=torch.float64)
    ei, w = gcn_norm(edge_index, weight, 3, dtype=torch.float64)
    dense = torch.zeros(3, 3, dtype=torch.float64)
    dense[ei[1], ei[0]] = w  # row = target
    A = torch.tensor([[1.0, 1, 0], [1, 1, 2], [0, 2, 3]], dtype=torch.float64)  # A + I, loop on 2 kept at 3
    d = A.sum(1).rsqrt()
    torch.testing.assert_close(dense, d[:, None] * A * d[None, :])


@pytest.mark.parametrize("heads, concat", [(8, True), (1, False), (3, False), (2, True)])
def test_gat_conv_equals_pyg_eval(cora, heads, concat):
    x, edge_index = cora
    torch.manual_seed(1)
    ref = pyg.GATConv(1433, 8, heads=heads, concat=concat, dropout=0.6)
    ours = GATConv(1433, 8, heads=heads, concat=concat, dropout=0.6)
    ours.load_state_dict(ref.state_dict(), strict=True)
    ref.eval(), ours.eval()
    xa, xb = x.clone().requires_grad_(), x.clone().requires_grad_()
    a, (ei_a, alpha_a) = ours(xa, edge_index, return_attention_weights=True)
    b, (ei_b, alpha_b) = ref(xb, edge_index, return_attention_weights=True)
    torch.testing.assert_close(a, b, atol=ATOL, rtol=0)
    assert torch.equal(ei_a, ei_b)
    torch.testing.assert_close(alpha_a, alpha_b, atol=ATOL, rtol=0)
    a.square().sum().backward()
    b.square().sum().backward()
    for ga, gb in zip(_grads(ours, xa), _grads(ref, xb)):
        torch.testing.assert_close(ga, gb, atol=ATOL, rtol=1e-5)


def test_gat_conv_training_mode_dropout_matches_pyg_with_same_seed(cora):
    # One F.dropout call on an (E', H) tensor in both: the same generator state gives the same mask.
    x, edge_index = cora
    ref, ours = pyg.GATConv(1433, 8, heads=8, dropout=0.6), GATConv(1433, 8, heads=8, dropout=0.6)
    ours.load_state_dict(ref.state_dict(), strict=True)
    torch.manual_seed(5)
    a = ours(x, edge_index)
    torch.manual_seed(5)
    b = ref(x, edge_index)
    torch.testing.assert_close(a, b, atol=ATOL, rtol=0)


def test_gat_replaces_existing_self_loops_like_pyg():
    torch.manual_seed(0)
    x = torch.randn(4, 3)
    edge_index = torch.tensor([[0, 1, 1, 2, 3, 3], [1, 0, 1, 3, 2, 3]])
    ref, ours = pyg.GATConv(3, 2, heads=2), GATConv(3, 2, heads=2)
    ours.load_state_dict(ref.state_dict(), strict=True)
    a, (ei_a, al_a) = ours(x, edge_index, return_attention_weights=True)
    b, (ei_b, al_b) = ref(x, edge_index, return_attention_weights=True)
    assert torch.equal(ei_a, ei_b) and ei_a.shape[1] == 4 + 4
    torch.testing.assert_close(a, b, atol=ATOL, rtol=0)
    torch.testing.assert_close(al_a, al_b, atol=ATOL, rtol=0)


@settings(max_examples=20, deadline=None)
@given(n=st.integers(1, 6), e=st.integers(1, 20), heads=st.integers(1, 3), seed=st.integers(0, 2**16))
def test_segment_softmax_equals_softmax_per_node(n, e, heads, seed):
    g = torch.Generator().manual_seed(seed)
    index = torch.randint(0, n, (e,), generator=g)
    scores = torch.randn(e, heads, generator=g, dtype=torch.float64) * 10
    out = segment_softmax(scores, index, n)
    for node in range(n):
        sel = index == node
        if sel.any():
            torch.testing.assert_close(out[sel], torch.softmax(scores[sel], dim=0))


def test_gradcheck_float64():
    torch.manual_seed(0)
    x = torch.randn(5, 3, dtype=torch.float64, requires_grad=True)
    edge_index = torch.tensor([[0, 1, 1, 2, 3, 4, 0], [1, 0, 2, 1, 4, 3, 4]])
    w = torch.rand(7, dtype=torch.float64, requires_grad=True)
    gcn = GCNConv(3, 2).double()
    gat = GATConv(3, 2, heads=2).double()
    assert torch.autograd.gradcheck(lambda x, w: gcn(x, edge_index, w), (x, w))
    assert torch.autograd.gradcheck(lambda x: gat(x, edge_index), (x,))


@pytest.mark.parametrize("conv", [GCNConv(3, 2), GATConv(3, 2)], ids=["gcn", "gat"])
def test_bad_input_names_the_argument(conv):
    x = torch.randn(4, 3)
    ok = torch.tensor([[0, 1], [1, 0]])
    with pytest.raises(ValueError, match=r"edge_index: expected node indices in \[0, 4\) \(x has 4 rows\), got values in \[0, 4\]"):
        conv(x, torch.tensor([[0, 4], [1, 0]]))
    with pytest.raises(ValueError, match=r"edge_index: expected node indices in \[0, 4\).*got values in \[-1, 1\]"):
        conv(x, torch.tensor([[0, -1], [1, 0]]))
    with pytest.raises(ValueError, match=r"edge_index: expected node indices in \[0, 3\) \(x has 3 rows\)"):
        conv(x[:3], torch.tensor([[0, 3], [3, 0]]))  # a feature matrix with too few rows for the graph
    with pytest.raises(ValueError, match=r"edge_index: expected shape \(2, num_edges\), got shape \(3, 2\)"):
        conv(x, torch.zeros(3, 2, dtype=torch.long))
    with pytest.raises(ValueError, match=r"edge_index: expected dtype torch.int64, got torch.int32"):
        conv(x, ok.int())
    with pytest.raises(TypeError, match=r"edge_index: expected a torch.Tensor of shape \(2, num_edges\), got list"):
        conv(x, [[0, 1], [1, 0]])
    with pytest.raises(ValueError, match=r"x: expected a 2-D tensor of shape \(num_nodes, in_channels\), got shape \(4,\)"):
        conv(torch.randn(4), ok)
    with pytest.raises(ValueError, match=r"x: expected at least one node, got an empty graph \(0 rows\)"):
        conv(torch.randn(0, 3), torch.zeros(2, 0, dtype=torch.long))
    with pytest.raises(TypeError, match=r"x: expected a torch.Tensor of shape \(num_nodes, in_channels\), got ndarray"):
        conv(x.numpy(), ok)


def test_bad_configuration_and_weights():
    x, ok = torch.randn(4, 3), torch.tensor([[0, 1], [1, 0]])
    with pytest.raises(ValueError, match=r"edge_weight: expected shape \(2,\) \(one weight per edge\), got shape \(3,\)"):
        GCNConv(3, 2)(x, ok, torch.ones(3))
    with pytest.raises(ValueError, match=r"add_self_loops: expected False when normalize=False"):
        GCNConv(3, 2, normalize=False)
    with pytest.raises(ValueError, match=r"in_channels: expected an int >= 1, got 0"):
        GCNConv(0, 2)
    with pytest.raises(ValueError, match=r"heads: expected an int >= 1, got 0"):
        GATConv(3, 2, heads=0)
    with pytest.raises(ValueError, match=r"dropout: expected a number <= 1.0, got 1.5"):
        GATConv(3, 2, dropout=1.5)


def test_empty_edge_set_keeps_self_loops_only():
    x = torch.randn(3, 2)
    conv = GCNConv(2, 2)
    none = torch.zeros(2, 0, dtype=torch.long)
    torch.testing.assert_close(conv(x, none), conv.lin(x) + conv.bias)  # Â = I
    gat = GATConv(2, 2, heads=2).eval()
    torch.testing.assert_close(gat(x, none), gat.lin(x) + gat.bias)  # each node attends to itself only
