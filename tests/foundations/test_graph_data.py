"""Graph readers: Cora (Planetoid pickles, LINQS text) equal to PyTorch Geometric's processing; edge-list files."""

import pickle
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlcanon import data
from mlcanon.data import FormatError, GraphData
from mlcanon.data.graphs import (
    graph_from_files,
    read_edge_list,
    read_node_features,
    read_node_labels,
    to_undirected,
)


@pytest.fixture(scope="module")
def planetoid():
    return data.load("cora_planetoid")


@pytest.fixture(scope="module")
def linqs():
    return data.load("cora")


def test_registry_lists_and_loads_both():
    assert {"cora", "cora_planetoid"} <= set(data.available())
    assert isinstance(data.load("cora_planetoid"), GraphData)


def test_planetoid_equals_torch_geometric(planetoid):
    torch = pytest.importorskip("torch")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from torch_geometric.io import read_planetoid_data

        ref = read_planetoid_data(str(data.path("cora_planetoid")), "cora")  # reads the folder, no download
    # Bit-identical: both copy the same float32 values and integers; no arithmetic happens.
    np.testing.assert_array_equal(planetoid.x, ref.x.numpy())
    np.testing.assert_array_equal(planetoid.edge_index, ref.edge_index.numpy())  # same order too
    np.testing.assert_array_equal(planetoid.y, ref.y.numpy())
    for name in ("train_mask", "val_mask", "test_mask"):
        np.testing.assert_array_equal(getattr(planetoid, name), getattr(ref, name).numpy())
    assert ref.x.dtype == torch.float32


def test_planetoid_counts_from_readme(planetoid):
    g = planetoid
    assert (g.num_nodes, g.num_features, g.num_classes, g.num_edges) == (2708, 1433, 7, 2 * 5278)
    assert np.bincount(g.y).tolist() == [351, 217, 418, 818, 426, 298, 180]
    assert [int(m.sum()) for m in (g.train_mask, g.val_mask, g.test_mask)] == [140, 500, 1000]
    assert np.bincount(g.y[g.train_mask]).tolist() == [20] * 7
    assert int(g.x.sum()) == 49216
    src, dst = g.edge_index
    assert not (src == dst).any()
    assert set(zip(src.tolist(), dst.tolist())) == set(zip(dst.tolist(), src.tolist()))  # undirected
    assert g.class_names[0] == "Theory" and g.class_names[3] == "Neural_Networks"


def test_linqs_counts_and_class_names_agree_with_planetoid(linqs, planetoid):
    g = linqs
    assert (g.num_nodes, g.num_features, g.num_edges) == (2708, 1433, 2 * 5278)
    assert dict(zip(g.class_names, np.bincount(g.y).tolist())) == {
        "Case_Based": 298, "Genetic_Algorithms": 418, "Neural_Networks": 818, "Probabilistic_Methods": 426,
        "Reinforcement_Learning": 217, "Rule_Learning": 180, "Theory": 351}
    assert g.train_mask is None and g.node_ids[0] == "31336"
    # Every Planetoid row is a LINQS row, and its class name is the same in both releases.
    by_row = {}
    for row, label in zip(g.x, g.y):
        by_row.setdefault(row.tobytes(), set()).add(g.class_names[label])
    for row, label in zip(planetoid.x, planetoid.y):
        assert planetoid.class_names[label] in by_row[row.tobytes()]


def test_planetoid_unpickler_refuses_other_globals(tmp_path):
    import shutil

    folder = tmp_path / "p"
    shutil.copytree(data.path("cora_planetoid"), folder)
    (folder / "ind.cora.y").write_bytes(pickle.dumps(print, protocol=2))  # names builtins.print
    with pytest.raises(FormatError, match=r"ind\.cora\.y, line 1: not a Planetoid pickle .*not allowed"):
        data.read_planetoid(folder, "cora")
    with pytest.raises(FileNotFoundError, match=r"folder: expected the Planetoid file ind\.cora\.x"):
        data.read_planetoid(tmp_path, "cora")


# ----------------------------------------------------------------------------------------------
# user files
# ----------------------------------------------------------------------------------------------


def _write(path, text):
    path.write_text(text)
    return path


def test_graph_from_files_round_trip(tmp_path):
    edges = _write(tmp_path / "e.txt", "# citing cited\na b\nb c\n\nc a\na b\n")
    feats = _write(tmp_path / "f.txt", "a 1 0\nb 0 1\nc 0.5 0.5\nd 0 0\n")
    labels = _write(tmp_path / "l.txt", "a x\nb y\nc x\nd y\n")
    g = graph_from_files(edges, feats, labels)
    assert g.node_ids == ("a", "b", "c", "d") and g.class_names == ("x", "y")
    assert g.y.tolist() == [0, 1, 0, 1] and g.x.dtype == np.float32
    assert g.edge_index.tolist() == [[1, 2, 0, 2, 0, 1], [0, 0, 1, 1, 2, 2]]  # both directions, once each


def test_read_edge_list_weighted_and_known_nodes(tmp_path):
    p = _write(tmp_path / "w.txt", "u v 0.5\nv w 2\n")
    edge_index, ids, weights = read_edge_list(p, weighted=True)
    assert edge_index.tolist() == [[0, 1], [1, 2]] and ids == ["u", "v", "w"]
    np.testing.assert_array_equal(weights, np.array([0.5, 2.0], np.float32))
    edge_index, ids, weights = read_edge_list(p.with_name("w.txt"), node_ids=["w", "v", "u"], weighted=True)
    assert edge_index.tolist() == [[2, 1], [1, 0]] and weights is not None


@pytest.mark.parametrize("text, kwargs, message", [
    ("a b\na b c\n", {}, r"e\.txt, line 2: expected 2 fields \(source target\), got 3"),
    ("a b\n\nc\n", {}, r"line 3: expected 2 fields"),
    ("a b x\n", {"weighted": True}, r"line 1: expected a numeric weight, got 'x'"),
    ("a b\n", {"weighted": True}, r"line 1: expected 3 fields \(source target weight\), got 2"),
    ("a b\na z\n", {"node_ids": ["a", "b"]}, r"line 2: node 'z' is not among the 2 known nodes"),
])
def test_read_edge_list_malformed_lines_name_file_and_line(tmp_path, text, kwargs, message):
    with pytest.raises(FormatError, match=message):
        read_edge_list(_write(tmp_path / "e.txt", text), **kwargs)


@pytest.mark.parametrize("reader, text, message", [
    (read_node_features, "a 1 2\nb 1\n", r"line 2: expected 3 fields \(as on the first line\), got 2"),
    (read_node_features, "a 1 2\nb 1 x\n", r"line 2: expected numeric features after the node id"),
    (read_node_features, "a 1\na 2\n", r"line 2: node id 'a' already appeared on line 1"),
    (read_node_features, "a\n", r"line 1: expected a node id and at least one feature"),
    (read_node_features, "# nothing\n", r"line 1: expected at least one node, got an empty file"),
    (read_node_labels, "a x\nb\n", r"line 2: expected 2 fields \(node_id label\), got 1"),
    (read_node_labels, "", r"line 1: expected at least one node"),
])
def test_node_file_errors(tmp_path, reader, text, message):
    with pytest.raises(FormatError, match=message):
        reader(_write(tmp_path / "n.txt", text))


def test_graph_from_files_needs_every_label(tmp_path):
    edges = _write(tmp_path / "e.txt", "a b\n")
    feats = _write(tmp_path / "f.txt", "a 1\nb 2\n")
    labels = _write(tmp_path / "l.txt", "a x\n")
    with pytest.raises(ValueError, match=r"labels: expected a label for every node of .*f\.txt, got none for \['b'\]"):
        graph_from_files(edges, feats, labels)


# ----------------------------------------------------------------------------------------------
# GraphData checks and to_undirected
# ----------------------------------------------------------------------------------------------


def test_graph_data_bad_input_names_the_argument():
    x, y = np.zeros((3, 2)), np.array([0, 1, 0])
    edges = np.array([[0, 1], [1, 2]])
    with pytest.raises(ValueError, match=r"edge_index: expected node indices in \[0, 3\) \(num_nodes = 3\), got values in \[0, 5\]"):
        GraphData(x, np.array([[0, 5], [1, 2]]), y)
    with pytest.raises(ValueError, match=r"edge_index: expected node indices in \[0, 3\).*got values in \[-1, 2\]"):
        GraphData(x, np.array([[-1, 1], [1, 2]]), y)
    with pytest.raises(ValueError, match=r"y: expected shape \(4,\) \(one label per row of x\), got shape \(3,\)"):
        GraphData(np.zeros((4, 2)), edges, y)
    with pytest.raises(ValueError, match=r"x: expected at least one node, got an empty graph \(0 rows\)"):
        GraphData(np.zeros((0, 2)), np.zeros((2, 0), np.int64), np.zeros(0))
    with pytest.raises(ValueError, match=r"x: expected a 2-D array of shape \(num_nodes, num_features\), got shape \(3,\)"):
        GraphData(np.zeros(3), edges, y)
    with pytest.raises(ValueError, match=r"edge_index: expected an array of shape \(2, num_edges\), got shape \(3, 2\)"):
        GraphData(x, np.zeros((3, 2), np.int64), y)
    with pytest.raises(ValueError, match=r"edge_index: expected integer node indices, got dtype float64"):
        GraphData(x, edges.astype(float), y)
    with pytest.raises(ValueError, match=r"train_mask: expected a bool array of shape \(3,\), got shape \(2,\)"):
        GraphData(x, edges, y, train_mask=np.array([True, False]))
    with pytest.raises(ValueError, match=r"y: expected class indices in \[0, 1\), got values in \[0, 1\]"):
        GraphData(x, edges, y, class_names=("a",))
    with pytest.raises(ValueError, match=r"node_ids: expected 3 names \(one per row of x\), got 2"):
        GraphData(x, edges, y, node_ids=("a", "b"))


@settings(max_examples=50, deadline=None)
@given(st.integers(1, 8).flatmap(lambda n: st.tuples(st.just(n), st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=20))))
def test_to_undirected_is_the_symmetric_set_sorted_by_target(case):
    n, pairs = case
    edge_index = np.array(pairs, dtype=np.int64).reshape(-1, 2).T
    out = to_undirected(edge_index, n)
    want = {(a, b) for a, b in pairs if a != b} | {(b, a) for a, b in pairs if a != b}
    got = list(zip(out[0].tolist(), out[1].tolist()))
    assert set(got) == want and len(got) == len(want)
    assert got == sorted(got, key=lambda e: (e[1], e[0]))
