"""The graph task's data: which graph, which split, which node features.

Three sources of a graph (exactly one per call):

* ``cora_planetoid`` — the bundled Planetoid release with its fixed split (140 train / 500 val /
  1,000 test nodes; Yang et al. 2016), the split GCN and GAT report on;
* ``cora`` — the bundled LINQS release (the same 2,708 papers, no split) with a random split
  stratified by class and drawn from ``seed``;
* a user's graph: an edge list, a node-feature file and a node-label file (formats in
  :mod:`mlcanon.data.graphs`; a bad line is an error naming the file and the line), split as ``cora``.

The stratified split keeps, within each class, 60 % of the nodes for training, 20 % for validation
(model selection) and the remaining 20 % for testing — the "full-supervised" proportions of Pei et al.
(2020, Geom-GCN) — each class's nodes shuffled by ``numpy.random.default_rng(seed)``.

Features are row-normalised (each row divided by its sum) when they are all non-negative, as both
the GCN and the GAT papers do for Cora's bag of words; other features are used as they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mlcanon.data.graphs import GraphData, graph_from_files
from mlcanon.tasks.contract import check_choice, check_file

__all__ = ["DATASETS", "GraphSource", "Split", "load_graph", "node_features", "split_for", "stratified_split"]

DATASETS = ("cora_planetoid", "cora")
PROPORTIONS = (0.6, 0.2, 0.2)  # train / val / test, within each class


@dataclass(frozen=True)
class GraphSource:
    """Where a graph comes from: a bundled name, or the three files of a user's graph."""

    data: str | None = None
    edges: Path | None = None
    features: Path | None = None
    labels: Path | None = None

    def __post_init__(self) -> None:
        files = (self.edges, self.features, self.labels)
        if self.data is not None:
            if any(f is not None for f in files):
                raise ValueError("--data / --edges --features --labels: give a bundled graph (--data NAME) or "
                                 "the three files of your own graph, not both")
            check_choice(self.data, "--data", DATASETS)
            return
        if any(f is None for f in files):
            missing = [f"--{n}" for n, f in zip(("edges", "features", "labels"), files) if f is None]
            if len(missing) == 3:
                raise ValueError("--data / --edges --features --labels: give a bundled graph (--data "
                                 f"{' or '.join(DATASETS)}) or the three files of your own graph")
            raise ValueError(f"{' '.join(missing)}: a graph of your own needs --edges, --features and --labels "
                             f"(missing: {', '.join(missing)})")
        for name in ("edges", "features", "labels"):
            object.__setattr__(self, name, check_file(getattr(self, name), f"--{name}").resolve())

    def to_dict(self) -> dict:
        return {"data": self.data, **{k: str(getattr(self, k)) if getattr(self, k) is not None else None
                                      for k in ("edges", "features", "labels")}}

    @classmethod
    def from_dict(cls, saved: dict) -> GraphSource:
        return cls(saved.get("data"), *(Path(saved[k]) if saved.get(k) else None for k in ("edges", "features", "labels")))

    @property
    def is_given(self) -> bool:
        return self.data is not None or self.edges is not None


def load_graph(source: GraphSource) -> GraphData:
    """The graph of ``source`` (a user's files are read with file:line errors)."""
    if source.data is not None:
        from mlcanon import data

        return data.load(source.data)
    return graph_from_files(source.edges, source.features, source.labels)


def node_ids(graph: GraphData) -> list[str]:
    """The names users give nodes by: the file's ids, or the row index for Planetoid (which has none)."""
    return list(graph.node_ids) if graph.node_ids is not None else [str(i) for i in range(graph.num_nodes)]


def node_features(graph: GraphData, row_normalize: bool) -> np.ndarray:
    """``graph.x``, each row divided by its sum when ``row_normalize`` (an all-zero row stays zero)."""
    if not row_normalize:
        return graph.x
    return graph.x / np.maximum(graph.x.sum(axis=1, keepdims=True), 1e-12).astype(np.float32)


@dataclass(frozen=True)
class Split:
    """Node indices of the three parts and how they were drawn."""

    name: str
    train: np.ndarray
    val: np.ndarray
    test: np.ndarray
    seed: int | None = None

    def part(self, name: str) -> np.ndarray:
        check_choice(name, "--split", ("train", "val", "test", "all"))
        if name == "all":
            return np.sort(np.concatenate([self.train, self.val, self.test]))
        return getattr(self, name)

    def to_dict(self) -> dict:
        return {"name": self.name, "seed": self.seed, "proportions": list(PROPORTIONS) if self.seed is not None else None,
                **{k: getattr(self, k).tolist() for k in ("train", "val", "test")}}

    @classmethod
    def from_dict(cls, saved: dict) -> Split:
        return cls(saved["name"], *(np.asarray(saved[k], dtype=np.int64) for k in ("train", "val", "test")),
                   seed=saved.get("seed"))


def stratified_split(y, seed: int) -> Split:
    """60 / 20 / 20 % of each class's nodes for train / val / test, shuffled by ``seed``.

    Every class with at least one node puts one in training; the rounding remainder goes to test.

    >>> s = stratified_split(np.array([0] * 10 + [1] * 5), seed=0)
    >>> len(s.train), len(s.val), len(s.test)
    (9, 3, 3)
    """
    y = np.asarray(y)
    rng = np.random.default_rng(seed)
    parts: list[list[np.ndarray]] = [[], [], []]
    for c in np.unique(y):
        nodes = rng.permutation(np.flatnonzero(y == c))
        n_train = max(1, round(PROPORTIONS[0] * len(nodes)))
        n_val = round(PROPORTIONS[1] * len(nodes))
        for k, chunk in enumerate((nodes[:n_train], nodes[n_train:n_train + n_val], nodes[n_train + n_val:])):
            parts[k].append(chunk)
    train, val, test = (np.sort(np.concatenate(p)).astype(np.int64) for p in parts)
    return Split("stratified 60/20/20", train, val, test, seed=seed)


def split_for(graph: GraphData, source: GraphSource, seed: int) -> Split:
    """Planetoid's fixed masks for ``cora_planetoid``; a stratified split by ``seed`` otherwise."""
    if source.data == "cora_planetoid":
        return Split("planetoid", *(np.flatnonzero(m).astype(np.int64)
                                    for m in (graph.train_mask, graph.val_mask, graph.test_mask)))
    return stratified_split(graph.y, seed)
