"""GCN / GAT models (PyG's weights, eval outputs), random walks, alias tables, skip-gram, DeepWalk, node2vec."""

import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from mlcanon import data
from mlcanon.graph import alias_draw, alias_setup, node2vec_walks, random_walks, to_csr
from mlcanon.models import GAT, GCN, DeepWalk, Node2Vec, SkipGram

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import torch_geometric.nn as pyg

ATOL = 1e-5  # float32 sums over neighbourhoods, as in tests/nn/test_graph.py


@pytest.fixture(scope="module")
def cora():
    return data.load("cora_planetoid")


@pytest.fixture(scope="module")
def cora_t(cora):
    return torch.from_numpy(cora.x), torch.from_numpy(cora.edge_index)


def test_gcn_loads_pyg_gcn_and_agrees_in_eval(cora_t):
    x, edge_index = cora_t
    ref = pyg.models.GCN(1433, 16, num_layers=2, out_channels=7)  # same keys convs.{0,1}.{lin.weight,bias}
    ours = GCN(1433, 16, 7)
    ours.load_state_dict(ref.state_dict(), strict=True)
    ref.eval(), ours.eval()
    torch.testing.assert_close(ours(x, edge_index), ref(x, edge_index), atol=ATOL, rtol=0)


class _PygGAT(torch.nn.Module):
    """The paper's GAT built from PyG's GATConv, as GAT is (PyG's models.GAT splits hidden among heads)."""

    def __init__(self):
        super().__init__()
        self.convs = torch.nn.ModuleList([pyg.GATConv(1433, 8, heads=8, dropout=0.6),
                                          pyg.GATConv(64, 7, heads=1, concat=False, dropout=0.6)])

    def forward(self, x, edge_index):
        x = torch.nn.functional.dropout(x, 0.6, self.training)
        x = torch.nn.functional.elu(self.convs[0](x, edge_index))
        return self.convs[1](torch.nn.functional.dropout(x, 0.6, self.training), edge_index)


def test_gat_loads_pyg_layers_and_agrees_in_train_and_eval(cora_t):
    x, edge_index = cora_t
    ref, ours = _PygGAT(), GAT(1433)
    ours.load_state_dict(ref.state_dict(), strict=True)
    for train in (True, False):
        ref.train(train), ours.train(train)
        torch.manual_seed(3)  # the same dropout draws in the same order
        a = ours(x, edge_index)
        torch.manual_seed(3)
        torch.testing.assert_close(a, ref(x, edge_index), atol=ATOL, rtol=0)


@pytest.mark.parametrize("make", [lambda: GCN(6, 5, 3), lambda: GCN(6, 5, 3, num_layers=3), lambda: GAT(6, 2, 3, 3)],
                         ids=["gcn", "gcn3", "gat"])
def test_models_shapes_dropout_and_every_parameter_learns(make):
    torch.manual_seed(0)
    model = make()
    x = torch.randn(7, 6)
    edge_index = torch.tensor([[0, 1, 1, 2, 3, 4, 5, 6], [1, 0, 2, 1, 4, 3, 6, 5]])
    out = model(x, edge_index)
    assert out.shape == (7, 3) and torch.isfinite(out).all()
    out.sum().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in model.parameters())
    model.eval()
    torch.testing.assert_close(model(x, edge_index), model(x, edge_index))  # no dropout in eval
    model.train()
    assert not torch.equal(model(x, edge_index), model(x, edge_index))


def test_model_bad_configuration():
    with pytest.raises(ValueError, match=r"num_layers: expected an int >= 1, got 0"):
        GCN(3, 4, 2, num_layers=0)
    with pytest.raises(ValueError, match=r"dropout: expected a number <= 1.0, got 2.0"):
        GAT(3, dropout=2.0)


@pytest.mark.slow  # ~1 minute on a shared 2-core machine: 200 full-batch epochs on Cora
def test_gcn_trains_to_the_papers_accuracy(cora):
    from benchmarks.graph_quality import _tensors, gcn_run

    acc, _ = gcn_run(_tensors(cora), 0)
    assert acc >= 80.0


# ----------------------------------------------------------------------------------------------
# walks
# ----------------------------------------------------------------------------------------------


def _adjacent(g):
    return set(zip(g.edge_index[0].tolist(), g.edge_index[1].tolist()))


def test_walks_follow_edges_and_are_reproducible(cora):
    edges = _adjacent(cora)
    for walk_fn in (random_walks, lambda *a, **k: node2vec_walks(*a, p=0.5, q=2.0, **k)):
        w = walk_fn(cora.edge_index, cora.num_nodes, walk_length=12, walks_per_node=2, random_state=4)
        assert w.shape == (2 * cora.num_nodes, 12) and (w >= 0).all()
        assert sorted(w[: cora.num_nodes, 0].tolist()) == list(range(cora.num_nodes))  # each node starts one walk a round
        steps = set(zip(w[:, :-1].ravel().tolist(), w[:, 1:].ravel().tolist()))
        assert steps <= edges
        np.testing.assert_array_equal(w, walk_fn(cora.edge_index, cora.num_nodes, walk_length=12, walks_per_node=2, random_state=4))
        assert not np.array_equal(w, walk_fn(cora.edge_index, cora.num_nodes, walk_length=12, walks_per_node=2, random_state=5))


def test_walk_stops_at_a_dead_end():
    w = random_walks(np.array([[0], [1]]), 3, walk_length=4, walks_per_node=1)
    assert sorted(map(tuple, w.tolist())) == [(0, 1, -1, -1), (1, -1, -1, -1), (2, -1, -1, -1)]


def test_node2vec_bias_p_and_q():
    # A path 0-1-2-3 plus a triangle 1-2-4: from t=0 at v=1 the neighbours of 1 are 0 (return), 2, 4.
    und = [(0, 1), (1, 2), (2, 3), (1, 4), (2, 4)]
    edge_index = np.array([[a for a, b in und] + [b for a, b in und], [b for a, b in und] + [a for a, b in und]])
    back = node2vec_walks(edge_index, 5, walk_length=3, walks_per_node=200, p=1e-6, q=1.0, random_state=0)
    assert (back[:, 2] == back[:, 0]).all()  # tiny p: always step back
    # huge q: never move to a node that is not adjacent to the previous one (BFS-like)
    bfs = node2vec_walks(edge_index, 5, walk_length=3, walks_per_node=200, p=1.0, q=1e6, random_state=0)
    indptr, indices = to_csr(edge_index, 5)
    near = {(t, x) for t in range(5) for x in indices[indptr[t]:indptr[t + 1]]}
    far = [(t, x) for t, x in zip(bfs[:, 0], bfs[:, 2]) if t != x and (t, x) not in near]
    assert len(far) <= 2  # each such step has probability ~1e-6


def test_node2vec_with_p_q_one_is_uniform():
    # Star plus edge: from the centre every neighbour is equally likely whatever came before.
    edge_index = np.array([[0, 0, 0, 1, 2, 3, 1, 2], [1, 2, 3, 0, 0, 0, 2, 1]])
    w = node2vec_walks(edge_index, 4, walk_length=3, walks_per_node=3000, random_state=1)
    nxt = w[w[:, 1] == 0][:, 2]
    freq = np.bincount(nxt, minlength=4)[1:] / nxt.size
    assert np.abs(freq - 1 / 3).max() < 0.03  # ~4 standard errors for n ~ 4000


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(0, 10), min_size=1, max_size=12).filter(lambda w: sum(w) > 0))
def test_alias_table_encodes_exactly_the_distribution(weights):
    prob, alias = alias_setup(weights)
    K = len(weights)
    mass = prob.copy()
    np.add.at(mass, alias, 1.0 - prob)
    np.testing.assert_allclose(mass / K, np.array(weights) / sum(weights), atol=1e-12)


def test_alias_draws_and_errors():
    prob, alias = alias_setup([0.1, 0.2, 0.3, 0.4])
    freq = np.bincount(alias_draw(prob, alias, 200_000, random_state=0)) / 200_000
    np.testing.assert_allclose(freq, [0.1, 0.2, 0.3, 0.4], atol=0.005)
    with pytest.raises(ValueError, match=r"weights: expected a 1-D array of non-negative finite weights"):
        alias_setup([1.0, -1.0])


def test_walk_bad_input_names_the_argument():
    ok = np.array([[0, 1], [1, 0]])
    with pytest.raises(ValueError, match=r"edge_index: expected node indices in \[0, 2\) \(num_nodes = 2\), got values in \[0, 2\]"):
        random_walks(np.array([[0, 2], [1, 0]]), 2)
    with pytest.raises(ValueError, match=r"edge_index: expected an array of shape \(2, num_edges\), got shape \(1, 2\)"):
        random_walks(np.array([[0, 1]]), 2)
    with pytest.raises(ValueError, match=r"num_nodes: expected an int >= 1, got 0"):
        random_walks(np.zeros((2, 0), np.int64), 0)
    with pytest.raises(ValueError, match=r"walk_length: expected an int >= 1, got 0"):
        random_walks(ok, 2, walk_length=0)
    with pytest.raises(ValueError, match=r"q: expected a number > 0.0, got 0.0"):
        node2vec_walks(ok, 2, q=0.0)


# ----------------------------------------------------------------------------------------------
# skip-gram, DeepWalk, node2vec
# ----------------------------------------------------------------------------------------------


def test_skipgram_on_text_groups_words_that_share_contexts():
    rng = np.random.default_rng(0)
    animals, foods = ["cat", "dog", "cow"], ["bread", "rice", "soup"]
    texts = [["the", rng.choice(animals), "runs", "fast"] for _ in range(300)]
    texts += [["we", "eat", rng.choice(foods), "hot"] for _ in range(300)]
    sg = SkipGram(dim=16, window=2, sample=0, epochs=5, random_state=0).fit(texts)
    assert sg.vocabulary_[:1] in (["the"], ["runs"], ["fast"], ["we"], ["eat"], ["hot"])
    top = [w for w, _ in sg.most_similar("cat", topn=2)]
    assert set(top) <= set(animals) | {"the", "runs", "fast"}
    with pytest.raises(KeyError, match=r"token: 'zebra' is not in the vocabulary"):
        sg["zebra"]


def test_skipgram_is_reproducible_and_seeded():
    walks = random_walks(np.array([[0, 1, 1, 2], [1, 0, 2, 1]]), 3, walk_length=10, walks_per_node=20)
    a = SkipGram(dim=8, window=2, random_state=1).fit(walks).embeddings_
    b = SkipGram(dim=8, window=2, random_state=1).fit(walks).embeddings_
    c = SkipGram(dim=8, window=2, random_state=2).fit(walks).embeddings_
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_skipgram_bad_input():
    with pytest.raises(ValueError, match=r"sequences: expected at least one item, got none"):
        SkipGram().fit([[]])
    with pytest.raises(ValueError, match=r"sequences: expected ids in \[0, 3\) \(n_items = 3\), got 5"):
        SkipGram().fit([[0, 5]], n_items=3)
    with pytest.raises(ValueError, match=r"window: expected an int >= 1, got 0"):
        SkipGram(window=0).fit([[0, 1]])
    with pytest.raises(ValueError, match=r"sequences: expected integer ids in a 2-D array, got dtype float64"):
        SkipGram().fit(np.zeros((2, 3)))


@pytest.mark.parametrize("cls", [DeepWalk, lambda **k: Node2Vec(p=1.0, q=0.5, **k)], ids=["deepwalk", "node2vec"])
def test_graph_embeddings_separate_two_communities(cls):
    # Two 6-cliques joined by one edge: a node is closer to its own clique than to the other.
    nodes = [range(6), range(6, 12)]
    und = [(a, b) for part in nodes for a in part for b in part if a < b] + [(5, 6)]
    edge_index = np.array([[a for a, b in und] + [b for a, b in und], [b for a, b in und] + [a for a, b in und]])
    # sample=0: on 12 nodes every node is "frequent" and subsampling would drop ~90% of the walk
    emb = cls(dim=16, walk_length=20, walks_per_node=20, window=3, sample=0, random_state=0).fit_transform(edge_index, 12)
    e = emb / np.linalg.norm(emb, axis=1, keepdims=True)
    sim = e @ e.T
    same = np.mean([sim[i, j] for part in nodes for i in part for j in part if i != j])
    other = np.mean([sim[i, j] for i in nodes[0] for j in nodes[1]])
    assert same > other + 0.5  # measured: 0.99 vs 0.17
