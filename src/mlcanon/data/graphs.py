"""Graphs with node features and labels: Cora in its two releases, and plain edge-list files.

Two readers of the bundled Cora, and three readers for a user's own graph:

- :func:`read_planetoid` reads the Planetoid pickles (Yang, Cohen & Salakhutdinov 2016, "Revisiting
  Semi-Supervised Learning with Graph Embeddings"), the fixed 140 / 500 / 1000 split that GCN (Kipf &
  Welling 2017) and GAT (Veličković et al. 2018) report on. It reproduces PyTorch Geometric's
  ``torch_geometric.io.read_planetoid_data`` without importing it (the tests check x, edge_index, y
  and the masks are equal to PyG's):

      x = vstack(allx, tx);  x[test_index] = x[sorted(test_index)]      (the same for the labels)
      train = 0..len(y)-1,  val = the next 500,  test = test_index
      edges = the adjacency lists, self-loops removed, duplicates merged, both directions,
              sorted by target node then source node

  For Cora no node is missing from the test block (Citeseer has isolated test nodes that PyG
  pads with zero rows; that case is handled the same way here).
- :func:`read_cora_linqs` reads the LINQS text release (``cora.content`` + ``cora.cites``): no split,
  nodes in file order, classes in sorted name order.
- :func:`read_edge_list`, :func:`read_node_features`, :func:`read_node_labels` read whitespace-separated
  text files (formats in their docstrings); :func:`graph_from_files` puts the three together.

Every reader names the file and the line when a line does not fit its format (:class:`FormatError`).
"""

from __future__ import annotations

import gzip
import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np

from mlcanon.data.readers import FormatError

__all__ = [
    "EdgeList",
    "GraphData",
    "graph_from_files",
    "read_cora_linqs",
    "read_edge_list",
    "read_node_features",
    "read_node_labels",
    "read_planetoid",
    "to_undirected",
]


@dataclass
class GraphData:
    """One graph: node features, undirected edges (both directions stored), labels and split masks.

    Parameters
    ----------
    x : ndarray of shape (num_nodes, num_features), float32
    edge_index : ndarray of shape (2, num_edges), int64
        Column ``e`` is the edge ``edge_index[0, e] -> edge_index[1, e]`` (source, target); an
        undirected graph stores both directions.
    y : ndarray of shape (num_nodes,), int64
        Class index of each node.
    train_mask, val_mask, test_mask : ndarray of shape (num_nodes,), bool, or None
    class_names : tuple of str
        ``class_names[k]`` is the name of class ``k``.
    node_ids : tuple of str or None
        The file's name for each node, where the file has names.
    source : str
        Where the graph was read from.

    Examples
    --------
    >>> import numpy as np
    >>> g = GraphData(np.eye(3, dtype=np.float32), np.array([[0, 1], [1, 0]]), np.array([0, 1, 1]))
    >>> g.num_nodes, g.num_edges, g.num_classes
    (3, 2, 2)
    """

    x: np.ndarray
    edge_index: np.ndarray
    y: np.ndarray
    train_mask: np.ndarray | None = None
    val_mask: np.ndarray | None = None
    test_mask: np.ndarray | None = None
    class_names: tuple[str, ...] = ()
    node_ids: tuple[str, ...] | None = None
    source: str = ""

    def __post_init__(self):
        self.x = np.ascontiguousarray(self.x, dtype=np.float32)
        if self.x.ndim != 2:
            raise ValueError(f"x: expected a 2-D array of shape (num_nodes, num_features), got shape {self.x.shape}")
        n = self.x.shape[0]
        if n == 0:
            raise ValueError("x: expected at least one node, got an empty graph (0 rows)")
        self.y = np.asarray(self.y, dtype=np.int64)
        if self.y.shape != (n,):
            raise ValueError(f"y: expected shape ({n},) (one label per row of x), got shape {self.y.shape}")
        self.edge_index = check_edge_index(self.edge_index, n)
        for name in ("train_mask", "val_mask", "test_mask"):
            mask = getattr(self, name)
            if mask is not None:
                mask = np.asarray(mask)
                if mask.dtype != np.bool_ or mask.shape != (n,):
                    raise ValueError(f"{name}: expected a bool array of shape ({n},), got "
                                     f"shape {mask.shape} and dtype {mask.dtype}")
                setattr(self, name, mask)
        if not self.class_names:
            self.class_names = tuple(str(k) for k in range(int(self.y.max()) + 1))
        else:
            self.class_names = tuple(self.class_names)
        if self.y.min() < 0 or self.y.max() >= len(self.class_names):
            raise ValueError(f"y: expected class indices in [0, {len(self.class_names)}), got values in "
                             f"[{self.y.min()}, {self.y.max()}]")
        if self.node_ids is not None and len(self.node_ids) != n:
            raise ValueError(f"node_ids: expected {n} names (one per row of x), got {len(self.node_ids)}")

    @property
    def num_nodes(self) -> int:
        return self.x.shape[0]

    @property
    def num_edges(self) -> int:
        """Directed edges stored (an undirected edge counts twice)."""
        return self.edge_index.shape[1]

    @property
    def num_features(self) -> int:
        return self.x.shape[1]

    @property
    def num_classes(self) -> int:
        return len(self.class_names)


def check_edge_index(edge_index, num_nodes: int, name: str = "edge_index") -> np.ndarray:
    """``edge_index`` as an int64 array of shape (2, E) whose entries lie in [0, num_nodes)."""
    arr = np.asarray(edge_index)
    if arr.ndim != 2 or arr.shape[0] != 2:
        raise ValueError(f"{name}: expected an array of shape (2, num_edges), got shape {arr.shape}")
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"{name}: expected integer node indices, got dtype {arr.dtype}")
    arr = np.ascontiguousarray(arr, dtype=np.int64)
    if arr.size and (arr.min() < 0 or arr.max() >= num_nodes):
        raise ValueError(f"{name}: expected node indices in [0, {num_nodes}) (num_nodes = {num_nodes}), "
                         f"got values in [{arr.min()}, {arr.max()}]")
    return arr


def to_undirected(edge_index, num_nodes: int, *, remove_self_loops: bool = True) -> np.ndarray:
    """Both directions of every edge, duplicates merged, sorted by target then source (PyG's order).

    >>> to_undirected(np.array([[0, 0, 1], [1, 1, 2]]), 3).tolist()
    [[1, 0, 2, 1], [0, 1, 1, 2]]
    """
    src, dst = check_edge_index(edge_index, num_nodes)
    src, dst = np.concatenate([src, dst]), np.concatenate([dst, src])
    if remove_self_loops:
        keep = src != dst
        src, dst = src[keep], dst[keep]
    key = np.unique(dst * num_nodes + src)  # sorted by (target, source), duplicates merged
    return np.stack([key % num_nodes, key // num_nodes])


# ----------------------------------------------------------------------------------------------
# Planetoid
# ----------------------------------------------------------------------------------------------

_PLANETOID_CLASSES = {
    # Class index -> LINQS name, fixed by matching every feature row to cora.content (see its README).
    "cora": ("Theory", "Reinforcement_Learning", "Genetic_Algorithms", "Neural_Networks",
             "Probabilistic_Methods", "Case_Based", "Rule_Learning"),
}


class _PlanetoidUnpickler(pickle.Unpickler):
    """Loads only the globals the Planetoid pickles hold (checked with pickletools); nothing else runs."""

    def find_class(self, module, name):
        import scipy.sparse

        allowed = {
            ("numpy", "ndarray"): np.ndarray,
            ("numpy", "dtype"): np.dtype,
            # Python 2 / NumPy 1 pickles name numpy.core, which NumPy 2 moved to numpy._core.
            ("numpy.core.multiarray", "_reconstruct"): np._core.multiarray._reconstruct
            if hasattr(np, "_core") else np.core.multiarray._reconstruct,
            ("scipy.sparse.csr", "csr_matrix"): scipy.sparse.csr_matrix,
            ("collections", "defaultdict"): __import__("collections").defaultdict,
            ("__builtin__", "list"): list,
        }
        if (module, name) not in allowed:
            raise pickle.UnpicklingError(f"global {module}.{name} is not allowed in a Planetoid pickle")
        return allowed[(module, name)]


def _load_pickle(path: Path):
    with open(path, "rb") as fh:
        try:
            return _PlanetoidUnpickler(fh, encoding="latin1").load()
        except (pickle.UnpicklingError, EOFError, ValueError) as err:
            raise FormatError(path, 1, f"not a Planetoid pickle ({err})") from None


def _dense(obj, path: Path, ndim: int = 2) -> np.ndarray:
    arr = np.asarray(obj.todense() if hasattr(obj, "todense") else obj, dtype=np.float32)
    if arr.ndim != ndim:
        raise FormatError(path, 1, f"expected a {ndim}-D matrix, got shape {arr.shape}")
    return arr


def _read_test_index(path: Path) -> np.ndarray:
    values = []
    with open(path, encoding="ascii") as fh:
        for i, line in enumerate(fh, start=1):
            try:
                values.append(int(line))
            except ValueError:
                raise FormatError(path, i, "expected one integer (a node index)", line) from None
    return np.asarray(values, dtype=np.int64)


def read_planetoid(folder: str | Path, name: str = "cora") -> GraphData:
    """Read the Planetoid files ``ind.NAME.{x,y,tx,ty,allx,ally,graph,test.index}`` of ``folder``.

    The same assembly as PyTorch Geometric's ``Planetoid(root, name)`` (see the module docstring),
    without torch. The pickles are loaded with an unpickler that accepts only the NumPy / SciPy /
    ``defaultdict`` / ``list`` globals these files hold.

    Parameters
    ----------
    folder : str or Path
        The folder holding the eight files.
    name : str, default="cora"
        The data set's prefix (``cora``, ``citeseer``, ``pubmed``).

    Returns
    -------
    GraphData
        With ``train_mask`` (the first ``len(y)`` nodes), ``val_mask`` (the next 500) and ``test_mask``.

    Examples
    --------
    >>> from mlcanon import data
    >>> g = read_planetoid(data.path("cora_planetoid"), "cora")
    >>> g.x.shape, g.num_edges, int(g.train_mask.sum()), int(g.val_mask.sum()), int(g.test_mask.sum())
    ((2708, 1433), 10556, 140, 500, 1000)
    """
    folder = Path(folder)
    prefix = name.lower()
    files = {part: folder / f"ind.{prefix}.{part}" for part in ("x", "y", "tx", "ty", "allx", "ally", "graph", "test.index")}
    for path in files.values():
        if not path.is_file():
            raise FileNotFoundError(f"folder: expected the Planetoid file {path.name} in {folder}, not found")
    y = _dense(_load_pickle(files["y"]), files["y"])
    tx, ty = _dense(_load_pickle(files["tx"]), files["tx"]), _dense(_load_pickle(files["ty"]), files["ty"])
    allx, ally = _dense(_load_pickle(files["allx"]), files["allx"]), _dense(_load_pickle(files["ally"]), files["ally"])
    graph = _load_pickle(files["graph"])
    if not isinstance(graph, dict):
        raise FormatError(files["graph"], 1, f"expected a dict of adjacency lists, got {type(graph).__name__}")
    test_index = _read_test_index(files["test.index"])
    sorted_test = np.sort(test_index)
    if prefix == "citeseer":
        # Isolated Citeseer test nodes are missing from tx/ty: PyG pads them with zero rows.
        span = int(test_index.max() - test_index.min()) + 1
        tx_ext, ty_ext = np.zeros((span, tx.shape[1]), np.float32), np.zeros((span, ty.shape[1]), np.float32)
        tx_ext[sorted_test - test_index.min()], ty_ext[sorted_test - test_index.min()] = tx, ty
        tx, ty = tx_ext, ty_ext

    x = np.concatenate([allx, tx])  # (N, F)
    x[test_index] = x[sorted_test]  # the test block is stored in sorted order; put each row at its node
    onehot = np.concatenate([ally, ty])  # (N, C)
    labels = onehot.argmax(axis=1)  # an all-zero (padded) row gets class 0, as torch's max(dim=1)
    labels[test_index] = labels[sorted_test]
    n = x.shape[0]

    edge_index = _edges_from_adjacency(graph, n, files["graph"])
    masks = [np.zeros(n, dtype=bool) for _ in range(3)]
    masks[0][: y.shape[0]] = True
    masks[1][y.shape[0]: y.shape[0] + 500] = True
    masks[2][test_index] = True
    classes = _PLANETOID_CLASSES.get(prefix, tuple(str(k) for k in range(onehot.shape[1])))
    return GraphData(x, edge_index, labels, *masks, class_names=classes, source=str(folder / f"ind.{prefix}.*"))


def _edges_from_adjacency(graph: dict, n: int, path: Path) -> np.ndarray:
    src = np.fromiter((k for k, nbrs in graph.items() for _ in nbrs), dtype=np.int64)
    dst = np.fromiter((v for nbrs in graph.values() for v in nbrs), dtype=np.int64)
    if src.size and (min(src.min(), dst.min()) < 0 or max(src.max(), dst.max()) >= n):
        raise FormatError(path, 1, f"adjacency lists name nodes outside [0, {n})")
    # The adjacency lists are symmetric; PyG keeps them as given (coalesce does not add reverse
    # edges). to_undirected gives the same set when they are symmetric, and makes sure of it otherwise.
    return to_undirected(np.stack([src, dst]), n)


# ----------------------------------------------------------------------------------------------
# LINQS text release
# ----------------------------------------------------------------------------------------------


def _text_lines(path: Path):
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8", newline="") as fh:
        for i, line in enumerate(fh, start=1):
            yield i, line.rstrip("\r\n")


def read_cora_linqs(folder: str | Path) -> GraphData:
    """Read ``cora.content`` (or ``cora.content.gz``) and ``cora.cites`` from ``folder``.

    ``cora.content``: one paper a line, tab-separated ``paper_id  w_1 ... w_1433  class_label``.
    ``cora.cites``: one citation a line, ``cited_id  citing_id``. Nodes keep the order of
    ``cora.content``; classes are numbered in sorted name order; the citations become undirected
    edges (both directions, duplicates merged). No split: the masks are None.

    Examples
    --------
    >>> from mlcanon import data
    >>> g = read_cora_linqs(data.path("cora"))
    >>> g.x.shape, g.num_edges, g.class_names[0]
    ((2708, 1433), 10556, 'Case_Based')
    """
    folder = Path(folder)
    content = folder / "cora.content"
    if not content.is_file():
        content = folder / "cora.content.gz"
    if not content.is_file():
        raise FileNotFoundError(f"folder: expected cora.content or cora.content.gz in {folder}, not found")
    ids, x, labels = _read_id_features_label(content)
    classes = tuple(sorted(set(labels)))
    index = {c: k for k, c in enumerate(classes)}
    y = np.array([index[c] for c in labels], dtype=np.int64)
    edge_index = read_edge_list(folder / "cora.cites", node_ids=ids).edge_index
    return GraphData(x, to_undirected(edge_index, len(ids)), y, class_names=classes, node_ids=tuple(ids),
                     source=str(folder))


def _read_id_features_label(path: Path):
    ids, rows, labels = [], [], []
    width = None
    for i, line in _text_lines(path):
        fields = line.split("\t")
        if width is None:
            width = len(fields)
            if width < 3:
                raise FormatError(path, i, f"expected id, features and label (>= 3 tab-separated fields), got {width}", line)
        if len(fields) != width:
            raise FormatError(path, i, f"expected {width} tab-separated fields (as on line 1), got {len(fields)}", line)
        try:
            rows.append(np.array(fields[1:-1], dtype=np.float32))
        except ValueError:
            raise FormatError(path, i, "expected numeric features between the id and the label", line) from None
        ids.append(fields[0])
        labels.append(fields[-1])
    if not ids:
        raise FormatError(path, 1, "expected at least one node, got an empty file")
    _check_unique(ids, path)
    return ids, np.stack(rows), labels


def _check_unique(ids: list[str], path: Path) -> None:
    seen: dict[str, int] = {}
    for i, node in enumerate(ids, start=1):
        if node in seen:
            raise FormatError(path, i, f"node id {node!r} already appeared on line {seen[node]}")
        seen[node] = i


# ----------------------------------------------------------------------------------------------
# a user's own graph
# ----------------------------------------------------------------------------------------------


class EdgeList(NamedTuple):
    """What :func:`read_edge_list` returns."""

    edge_index: np.ndarray  # (2, num_edges) int64, one column per line of the file
    node_ids: list[str]  # node_ids[k] is the file's name of node k
    weights: np.ndarray | None  # (num_edges,) float32, or None for an unweighted file


def read_edge_list(path: str | Path, *, node_ids=None, weighted: bool = False) -> EdgeList:
    """Read an edge list: one edge a line, ``source target`` or ``source target weight``.

    Fields are separated by whitespace (tabs or spaces); blank lines and lines starting with ``#``
    are skipped. Node names are strings. The edges are returned as they are in the file (one column
    per line, direction kept); :func:`to_undirected` makes both directions.

    Parameters
    ----------
    path : str or Path
        The file (``.gz`` is decompressed).
    node_ids : sequence of str, optional
        The known nodes, in index order (e.g. from :func:`read_node_features`); a name not in it is a
        :class:`FormatError`. Without it, nodes are numbered in order of first appearance.
    weighted : bool, default=False
        Whether each line has a third field, the edge weight.

    Returns
    -------
    EdgeList
        ``(edge_index, node_ids, weights)``: edge_index of shape (2, num_edges), int64; the node
        names in index order; the weights (float32) or None.

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "g.txt")
    >>> _ = open(p, "w").write("a b\\nb c\\n")
    >>> edge_index, ids, weights = read_edge_list(p)
    >>> edge_index.tolist(), ids
    ([[0, 1], [1, 2]], ['a', 'b', 'c'])
    """
    path = Path(path)
    fixed = node_ids is not None
    index = {node: k for k, node in enumerate(node_ids)} if fixed else {}
    names = list(node_ids) if fixed else []
    want = 3 if weighted else 2
    src, dst, weights = [], [], []
    for i, line in _text_lines(path):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = line.split()
        if len(fields) != want:
            raise FormatError(path, i, f"expected {want} fields ({'source target weight' if weighted else 'source target'}), "
                                       f"got {len(fields)}", line)
        ends = []
        for node in fields[:2]:
            if node not in index:
                if fixed:
                    raise FormatError(path, i, f"node {node!r} is not among the {len(names)} known nodes", line)
                index[node] = len(names)
                names.append(node)
            ends.append(index[node])
        src.append(ends[0])
        dst.append(ends[1])
        if weighted:
            try:
                weights.append(float(fields[2]))
            except ValueError:
                raise FormatError(path, i, f"expected a numeric weight, got {fields[2]!r}", line) from None
    edge_index = np.array([src, dst], dtype=np.int64).reshape(2, -1)
    return EdgeList(edge_index, names, np.asarray(weights, dtype=np.float32) if weighted else None)


def read_node_features(path: str | Path) -> tuple[list[str], np.ndarray]:
    """Read node features: one node a line, ``node_id f_1 f_2 ... f_F`` (whitespace-separated).

    Every line has the same number of fields; ``#`` lines and blank lines are skipped.

    Returns
    -------
    node_ids : list of str
    x : ndarray of shape (num_nodes, F), float32
    """
    path = Path(path)
    ids, rows, width = [], [], None
    for i, line in _text_lines(path):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = line.split()
        if width is None:
            width = len(fields)
            if width < 2:
                raise FormatError(path, i, "expected a node id and at least one feature", line)
        if len(fields) != width:
            raise FormatError(path, i, f"expected {width} fields (as on the first line), got {len(fields)}", line)
        try:
            rows.append(np.array(fields[1:], dtype=np.float32))
        except ValueError:
            raise FormatError(path, i, "expected numeric features after the node id", line) from None
        ids.append(fields[0])
    if not ids:
        raise FormatError(path, 1, "expected at least one node, got an empty file")
    _check_unique(ids, path)
    return ids, np.stack(rows)


def read_node_labels(path: str | Path) -> tuple[list[str], list[str]]:
    """Read node labels: one node a line, ``node_id label`` (whitespace-separated; ``#`` lines skipped).

    Returns
    -------
    node_ids : list of str
    labels : list of str
    """
    path = Path(path)
    ids, labels = [], []
    for i, line in _text_lines(path):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = line.split()
        if len(fields) != 2:
            raise FormatError(path, i, f"expected 2 fields (node_id label), got {len(fields)}", line)
        ids.append(fields[0])
        labels.append(fields[1])
    if not ids:
        raise FormatError(path, 1, "expected at least one node, got an empty file")
    _check_unique(ids, path)
    return ids, labels


def graph_from_files(edges: str | Path, features: str | Path, labels: str | Path) -> GraphData:
    """A :class:`GraphData` from an edge list, a feature file and a label file (formats above).

    Nodes take the order of the feature file; every node needs a label; the edges become undirected.
    """
    ids, x = read_node_features(features)
    label_ids, names = read_node_labels(labels)
    by_id = dict(zip(label_ids, names))
    missing = [node for node in ids if node not in by_id]
    if missing:
        raise ValueError(f"labels: expected a label for every node of {features}, got none for {missing[:5]}")
    classes = tuple(sorted(set(names)))
    index = {c: k for k, c in enumerate(classes)}
    y = np.array([index[by_id[node]] for node in ids], dtype=np.int64)
    edge_index = read_edge_list(edges, node_ids=ids).edge_index
    return GraphData(x, to_undirected(edge_index, len(ids)), y, class_names=classes, node_ids=tuple(ids),
                     source=str(edges))
