"""Random walks on graphs: truncated uniform walks (DeepWalk) and second-order biased walks (node2vec).

Papers
------
- Perozzi, Al-Rfou & Skiena (2014), "DeepWalk: Online Learning of Social Representations": from every
  node, ``walks_per_node`` times (the nodes in a new random order each round), a walk of
  ``walk_length`` nodes, each step to a neighbour drawn uniformly.
- Grover & Leskovec (2016), "node2vec: Scalable Feature Learning for Networks": a walk that has just
  gone t -> v picks the next node x among v's neighbours with the unnormalised probability

      π(x | t, v) = 1/p  if x = t          (return)
                    1    if x is a neighbour of t   (stay close: breadth-first-like)
                    1/q  otherwise         (move away: depth-first-like)

  p = q = 1 is DeepWalk's uniform walk. The first step from the start node is uniform.

Sampling from π is O(1) with Walker's alias method (Walker 1977; Vose 1991): for each directed edge
(t, v) a table over v's neighbours is built once, then each draw costs one uniform integer and one
uniform real. The tables hold Σ_v deg(v)² entries in all (about 0.2 M for Cora).

The graph is held in CSR form (``indptr``, ``indices``, neighbours sorted), the loops are compiled
with numba; each function takes ``random_state`` and returns the same walks for the same seed
(numba's generator, seeded inside the compiled code, single-threaded). A walk that reaches a node
without neighbours stops there; its remaining entries are -1.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from mlcanon.validation import check_int, check_scalar

__all__ = ["alias_draw", "alias_setup", "node2vec_walks", "random_walks", "to_csr"]


def to_csr(edge_index, num_nodes: int) -> tuple[np.ndarray, np.ndarray]:
    """Out-neighbour lists of ``edge_index`` (2, E): ``indices[indptr[v]:indptr[v+1]]``, sorted, for node v.

    >>> indptr, indices = to_csr(np.array([[0, 0, 1, 2], [2, 1, 0, 0]]), 3)
    >>> indptr.tolist(), indices.tolist()
    ([0, 2, 3, 4], [1, 2, 0, 0])
    """
    num_nodes = check_int(num_nodes, "num_nodes", minimum=1)
    arr = np.asarray(edge_index)
    if arr.ndim != 2 or arr.shape[0] != 2:
        raise ValueError(f"edge_index: expected an array of shape (2, num_edges), got shape {arr.shape}")
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"edge_index: expected integer node indices, got dtype {arr.dtype}")
    src, dst = arr.astype(np.int64)
    if arr.size and (arr.min() < 0 or arr.max() >= num_nodes):
        raise ValueError(f"edge_index: expected node indices in [0, {num_nodes}) (num_nodes = {num_nodes}), "
                         f"got values in [{arr.min()}, {arr.max()}]")
    order = np.lexsort((dst, src))  # by source, then target
    indptr = np.zeros(num_nodes + 1, dtype=np.int64)
    np.cumsum(np.bincount(src, minlength=num_nodes), out=indptr[1:])
    return indptr, dst[order]


def _check_walk_args(walk_length, walks_per_node, random_state):
    walk_length = check_int(walk_length, "walk_length", minimum=1)
    walks_per_node = check_int(walks_per_node, "walks_per_node", minimum=1)
    seed = 0 if random_state is None else check_int(random_state, "random_state", minimum=0, maximum=2**32 - 1)
    return walk_length, walks_per_node, seed


def _start_nodes(num_nodes: int, walks_per_node: int, seed: int) -> np.ndarray:
    # DeepWalk's rounds: every node once a round, in a fresh random order each round.
    rng = np.random.default_rng(seed)
    return np.concatenate([rng.permutation(num_nodes) for _ in range(walks_per_node)])


def random_walks(edge_index, num_nodes: int, walk_length: int = 80, walks_per_node: int = 10,
                 random_state: int | None = 0) -> np.ndarray:
    """DeepWalk's truncated uniform random walks.

    Parameters
    ----------
    edge_index : array-like of shape (2, num_edges)
        Both directions for an undirected graph.
    num_nodes : int
    walk_length : int, default=80
        Nodes per walk, the start node included.
    walks_per_node : int, default=10
    random_state : int, default=0

    Returns
    -------
    ndarray of shape (num_nodes * walks_per_node, walk_length), int64
        One walk a row, -1 after a dead end.

    Examples
    --------
    >>> walks = random_walks(np.array([[0, 1, 1, 2], [1, 0, 2, 1]]), 3, walk_length=4, walks_per_node=2)
    >>> walks.shape
    (6, 4)
    """
    indptr, indices = to_csr(edge_index, num_nodes)
    walk_length, walks_per_node, seed = _check_walk_args(walk_length, walks_per_node, random_state)
    starts = _start_nodes(num_nodes, walks_per_node, seed)
    return _uniform_walks(indptr, indices, starts, walk_length, seed)


def node2vec_walks(edge_index, num_nodes: int, walk_length: int = 80, walks_per_node: int = 10, p: float = 1.0,
                   q: float = 1.0, random_state: int | None = 0) -> np.ndarray:
    """node2vec's second-order walks with return parameter ``p`` and in-out parameter ``q``.

    Parameters are those of :func:`random_walks`, plus ``p`` and ``q`` (> 0; see the module
    docstring). ``p = q = 1`` draws from the same distribution as :func:`random_walks`.

    Examples
    --------
    >>> ring = np.array([[0, 1, 2, 3, 1, 2, 3, 0], [1, 2, 3, 0, 0, 1, 2, 3]])
    >>> walks = node2vec_walks(ring, 4, walk_length=5, walks_per_node=1, p=1e-6, q=1.0)
    >>> bool((walks[:, 2] == walks[:, 0]).all())  # a tiny p: every walk steps back where it came from
    True
    """
    indptr, indices = to_csr(edge_index, num_nodes)
    walk_length, walks_per_node, seed = _check_walk_args(walk_length, walks_per_node, random_state)
    p = check_scalar(p, "p", minimum=0.0, include_minimum=False)
    q = check_scalar(q, "q", minimum=0.0, include_minimum=False)
    edge_ptr, prob, alias = _node2vec_tables(indptr, indices, 1.0 / p, 1.0 / q)
    starts = _start_nodes(num_nodes, walks_per_node, seed)
    return _biased_walks(indptr, indices, edge_ptr, prob, alias, starts, walk_length, seed)


# ----------------------------------------------------------------------------------------------
# alias method
# ----------------------------------------------------------------------------------------------


def alias_setup(weights) -> tuple[np.ndarray, np.ndarray]:
    """Walker's alias table of the distribution ∝ ``weights`` (K,): ``prob`` (K,) float64, ``alias`` (K,) int64.

    Draw: pick a column k uniformly; keep k with probability ``prob[k]``, else take ``alias[k]``.

    >>> prob, alias = alias_setup([1.0, 3.0])
    >>> prob.tolist(), alias.tolist()
    [[0.5, 1.0], [1, 1]]
    """
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim != 1 or w.size == 0 or (w < 0).any() or not np.isfinite(w).all() or w.sum() <= 0:
        raise ValueError(f"weights: expected a 1-D array of non-negative finite weights with a positive sum, got {w!r}")
    prob = np.empty(w.size)
    alias = np.empty(w.size, dtype=np.int64)
    _alias_fill(w, prob, alias, np.empty(w.size, dtype=np.int64), np.empty(w.size, dtype=np.int64))
    return prob, alias


def alias_draw(prob: np.ndarray, alias: np.ndarray, size: int, random_state: int | None = 0) -> np.ndarray:
    """``size`` draws from an alias table (for tests and for a reader who wants to try one)."""
    rng = np.random.default_rng(random_state)
    k = rng.integers(0, prob.size, size)
    return np.where(rng.random(size) < prob[k], k, alias[k])


@njit(cache=True)
def _alias_fill(w, prob, alias, small, large):
    # Vose's method: scale to mean 1; pair each under-full column with an over-full one.
    K = w.size
    scaled = w * (K / w.sum())
    n_small = n_large = 0
    for k in range(K):
        prob[k] = scaled[k]
        alias[k] = k
        if scaled[k] < 1.0:
            small[n_small] = k
            n_small += 1
        else:
            large[n_large] = k
            n_large += 1
    while n_small > 0 and n_large > 0:
        n_small -= 1
        s = small[n_small]
        g = large[n_large - 1]
        alias[s] = g
        prob[g] = prob[g] + prob[s] - 1.0  # g gave 1 - prob[s] of its mass to column s
        if prob[g] < 1.0:
            n_large -= 1
            small[n_small] = g
            n_small += 1
    for i in range(n_large):  # left over: exactly full up to rounding
        prob[large[i]] = 1.0
    for i in range(n_small):
        prob[small[i]] = 1.0


@njit(cache=True)
def _is_neighbour(indptr, indices, t, x):
    # binary search in t's sorted neighbour list
    lo, hi = indptr[t], indptr[t + 1]
    while lo < hi:
        mid = (lo + hi) // 2
        if indices[mid] < x:
            lo = mid + 1
        else:
            hi = mid
    return lo < indptr[t + 1] and indices[lo] == x


@njit(cache=True)
def _node2vec_tables(indptr, indices, inv_p, inv_q):
    """One alias table per directed edge e = (t -> v) over v's neighbours: entries edge_ptr[e]:edge_ptr[e+1]."""
    E = indices.size
    N = indptr.size - 1
    edge_ptr = np.zeros(E + 1, dtype=np.int64)
    for t in range(N):
        for e in range(indptr[t], indptr[t + 1]):
            v = indices[e]
            edge_ptr[e + 1] = edge_ptr[e] + indptr[v + 1] - indptr[v]
    total = edge_ptr[E]
    prob = np.empty(total)
    alias = np.empty(total, dtype=np.int64)
    max_deg = 0
    for v in range(N):
        max_deg = max(max_deg, indptr[v + 1] - indptr[v])
    w = np.empty(max_deg)
    small = np.empty(max_deg, dtype=np.int64)
    large = np.empty(max_deg, dtype=np.int64)
    for t in range(N):
        for e in range(indptr[t], indptr[t + 1]):
            v = indices[e]
            deg = indptr[v + 1] - indptr[v]
            if deg == 0:
                continue
            for j in range(deg):
                x = indices[indptr[v] + j]
                if x == t:
                    w[j] = inv_p
                elif _is_neighbour(indptr, indices, t, x):
                    w[j] = 1.0
                else:
                    w[j] = inv_q
            a, b = edge_ptr[e], edge_ptr[e + 1]
            _alias_fill(w[:deg], prob[a:b], alias[a:b], small, large)
    return edge_ptr, prob, alias


@njit(cache=True)
def _uniform_walks(indptr, indices, starts, walk_length, seed):
    np.random.seed(seed)
    walks = np.full((starts.size, walk_length), -1, dtype=np.int64)
    for w in range(starts.size):
        v = starts[w]
        walks[w, 0] = v
        for step in range(1, walk_length):
            deg = indptr[v + 1] - indptr[v]
            if deg == 0:
                break
            v = indices[indptr[v] + np.random.randint(deg)]
            walks[w, step] = v
    return walks


@njit(cache=True)
def _biased_walks(indptr, indices, edge_ptr, prob, alias, starts, walk_length, seed):
    np.random.seed(seed)
    walks = np.full((starts.size, walk_length), -1, dtype=np.int64)
    for w in range(starts.size):
        v = starts[w]
        walks[w, 0] = v
        e = -1  # the edge just taken (t -> v); none before the first step
        for step in range(1, walk_length):
            deg = indptr[v + 1] - indptr[v]
            if deg == 0:
                break
            k = np.random.randint(deg)
            if e >= 0:  # second-order step: alias table of edge e
                a = edge_ptr[e]
                if np.random.random() >= prob[a + k]:
                    k = alias[a + k]
            e = indptr[v] + k
            v = indices[e]
            walks[w, step] = v
    return walks
