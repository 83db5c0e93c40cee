"""Skip-gram with negative sampling (word2vec), and DeepWalk / node2vec, which train it on random walks.

Papers
------
- Mikolov, Sutskever, Chen, Corrado & Dean (2013), "Distributed Representations of Words and Phrases
  and their Compositionality": for each item w of a sequence and each c within a window around it,
  maximise

      log σ(u_cᵀ v_w) + Σ_{k=1..K} log σ(-u_{n_k}ᵀ v_w),      n_k ~ P(n) ∝ count(n)^0.75

  with v the input ("embedding") vectors and u the output vectors, by SGD with a learning rate that
  falls linearly to ~0 over training. Frequent items are dropped at random, each occurrence kept with
  probability (√(f/t) + 1)·t/f (f the item's share of the corpus, t = ``sample``; the formula of the
  word2vec C code, which gensim also uses), and the window is shrunk to a random 1..window for each
  centre (nearer neighbours weigh more on average).
- Perozzi, Al-Rfou & Skiena (2014), "DeepWalk": the sequences are truncated uniform random walks.
- Grover & Leskovec (2016), "node2vec": the walks are second-order, biased by p and q
  (:mod:`mlcanon.graph.walks`).

Implementation: the SGD loop is compiled with numba and runs one pair at a time, as the C code does
(a torch version with batched pairs and SparseAdam needs many epochs to reach the same quality,
and single pairs are too small for torch's per-call cost). Single-threaded and seeded: the same
``random_state`` gives the same vectors on the same machine. There is no reference library to match
number for number (gensim is not a dependency); the check is the quality the papers report, in
``benchmarks/graph_quality.py``.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
from numba import njit

from mlcanon.graph.walks import node2vec_walks, random_walks
from mlcanon.validation import check_int, check_scalar

__all__ = ["DeepWalk", "Node2Vec", "SkipGram"]


class SkipGram:
    """Skip-gram with negative sampling over sequences of items (words, nodes).

    Parameters
    ----------
    dim : int, default=128
        Size of each embedding.
    window : int, default=5
        Largest distance between a centre and a context item.
    negative : int, default=5
        Negative samples per (centre, context) pair.
    sample : float, default=1e-3
        Subsampling threshold t of frequent items; 0 keeps every occurrence.
    min_count : int, default=1
        Items seen fewer times are left out of training (their vectors stay at their random start).
    epochs : int, default=1
        Passes over the sequences.
    learning_rate : float, default=0.025
        Starting SGD step; it falls linearly to ``min_learning_rate``.
    min_learning_rate : float, default=1e-4
    random_state : int, default=0

    Attributes
    ----------
    embeddings_ : ndarray of shape (n_items, dim), float32
        The input vectors v, the embedding to use.
    output_embeddings_ : ndarray of shape (n_items, dim), float32
        The output vectors u.
    vocabulary_ : list or None
        For sequences of tokens other than ints: ``vocabulary_[i]`` is item i's token (most frequent
        first). None when the sequences are already integer ids.
    counts_ : ndarray of shape (n_items,)
        How often each item occurs.

    Examples
    --------
    >>> texts = [["the", "cat", "sat"], ["the", "dog", "sat"]] * 50
    >>> sg = SkipGram(dim=8, window=2, sample=0, epochs=5).fit(texts)
    >>> sg["cat"].shape, sg.vocabulary_[:2]
    ((8,), ['the', 'sat'])
    """

    def __init__(self, dim: int = 128, window: int = 5, negative: int = 5, sample: float = 1e-3, min_count: int = 1,
                 epochs: int = 1, learning_rate: float = 0.025, min_learning_rate: float = 1e-4,
                 random_state: int | None = 0):
        self.dim = dim
        self.window = window
        self.negative = negative
        self.sample = sample
        self.min_count = min_count
        self.epochs = epochs
        self.learning_rate = learning_rate
        self.min_learning_rate = min_learning_rate
        self.random_state = random_state

    def fit(self, sequences, n_items: int | None = None) -> SkipGram:
        """Train on ``sequences``: a list of sequences of tokens, or a 2-D int array of ids (-1 = padding).

        Parameters
        ----------
        sequences : list of sequences, or ndarray of shape (n_sequences, length)
            Integer ids in [0, n_items), or any hashable tokens (then a vocabulary is built).
        n_items : int, optional
            Number of distinct ids, for integer input (default: the largest id + 1).
        """
        self._check_params()
        tokens, offsets, n_items = self._encode(sequences, n_items)
        counts = np.bincount(tokens, minlength=n_items)
        keep = _keep_probability(counts, self.sample, self.min_count)
        table = _negative_table(counts * (counts >= self.min_count))
        rng = np.random.default_rng(self.random_state)
        # word2vec's start: input vectors uniform in ±0.5/dim, output vectors zero.
        w_in = ((rng.random((n_items, self.dim)) - 0.5) / self.dim).astype(np.float32)
        w_out = np.zeros((n_items, self.dim), dtype=np.float32)
        seed = int(rng.integers(2**31 - 1))
        _train(tokens, offsets, keep, table, w_in, w_out, self.window, self.negative, self.epochs,
               self.learning_rate, self.min_learning_rate, seed)
        self.embeddings_, self.output_embeddings_, self.counts_ = w_in, w_out, counts
        return self

    def __getitem__(self, token) -> np.ndarray:
        """The embedding of ``token`` (a vocabulary token, or an id for integer input)."""
        if not hasattr(self, "embeddings_"):
            raise AttributeError("SkipGram: not fitted; call fit(sequences) first")
        if self.vocabulary_ is None:
            return self.embeddings_[check_int(token, "token", minimum=0, maximum=len(self.embeddings_) - 1)]
        if token not in self._index:
            raise KeyError(f"token: {token!r} is not in the vocabulary ({len(self.vocabulary_)} tokens)")
        return self.embeddings_[self._index[token]]

    def most_similar(self, token, topn: int = 10) -> list[tuple[object, float]]:
        """The ``topn`` items closest to ``token`` by cosine similarity of their embeddings."""
        v = self[token]
        e = self.embeddings_ / np.maximum(np.linalg.norm(self.embeddings_, axis=1, keepdims=True), 1e-12)
        sims = e @ (v / max(np.linalg.norm(v), 1e-12))
        own = self._index[token] if self.vocabulary_ is not None else int(token)
        order = [i for i in np.argsort(-sims) if i != own][:topn]
        names = self.vocabulary_ if self.vocabulary_ is not None else range(len(sims))
        return [(names[i], float(sims[i])) for i in order]

    # ------------------------------------------------------------------------------------------

    def _check_params(self) -> None:
        check_int(self.dim, "dim", minimum=1)
        check_int(self.window, "window", minimum=1)
        check_int(self.negative, "negative", minimum=0)
        check_scalar(self.sample, "sample", minimum=0.0)
        check_int(self.min_count, "min_count", minimum=1)
        check_int(self.epochs, "epochs", minimum=1)
        check_scalar(self.learning_rate, "learning_rate", minimum=0.0, include_minimum=False)
        check_scalar(self.min_learning_rate, "min_learning_rate", minimum=0.0)

    def _encode(self, sequences, n_items):
        """Flat ``tokens`` (int64) and ``offsets`` (sequence s is tokens[offsets[s]:offsets[s+1]])."""
        if isinstance(sequences, np.ndarray) and sequences.ndim == 2:
            if not np.issubdtype(sequences.dtype, np.integer):
                raise ValueError(f"sequences: expected integer ids in a 2-D array, got dtype {sequences.dtype}")
            lengths = (sequences >= 0).sum(axis=1)
            tokens = sequences[sequences >= 0].astype(np.int64)  # rows are -1-padded at the end (walks)
            self.vocabulary_, self._index = None, None
        else:
            seqs = [list(s) for s in sequences]
            lengths = np.array([len(s) for s in seqs], dtype=np.int64)
            flat = [t for s in seqs for t in s]
            if flat and all(isinstance(t, (int, np.integer)) and not isinstance(t, bool) for t in flat):
                tokens = np.array(flat, dtype=np.int64)
                self.vocabulary_, self._index = None, None
            else:
                freq = Counter(flat)
                self.vocabulary_ = sorted(freq, key=lambda t: -freq[t])  # stable: ties keep first appearance
                self._index = {t: i for i, t in enumerate(self.vocabulary_)}
                tokens = np.array([self._index[t] for t in flat], dtype=np.int64)
                n_items = len(self.vocabulary_)
        if tokens.size == 0:
            raise ValueError("sequences: expected at least one item, got none")
        if tokens.min() < 0:
            raise ValueError(f"sequences: expected ids >= 0, got {tokens.min()}")
        if n_items is None:
            n_items = int(tokens.max()) + 1
        n_items = check_int(n_items, "n_items", minimum=1)
        if tokens.max() >= n_items:
            raise ValueError(f"sequences: expected ids in [0, {n_items}) (n_items = {n_items}), got {tokens.max()}")
        offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        return tokens, offsets, n_items


def _keep_probability(counts: np.ndarray, sample: float, min_count: int) -> np.ndarray:
    """Probability of keeping each occurrence of an item; 0 below ``min_count``."""
    keep = np.ones(counts.size)
    if sample > 0:
        threshold = sample * counts[counts >= min_count].sum()
        with np.errstate(divide="ignore"):
            keep = np.minimum(1.0, (np.sqrt(counts / threshold) + 1) * threshold / counts)
    keep[counts < min_count] = 0.0
    return keep


def _negative_table(counts: np.ndarray) -> np.ndarray:
    """A table of ids, each appearing ∝ count^0.75 times: a uniform index into it draws a negative."""
    weights = counts.astype(np.float64) ** 0.75
    size = int(min(1e8, max(1e6, 100 * counts.size)))
    cdf = np.cumsum(weights) / weights.sum()
    return np.minimum(np.searchsorted(cdf, (np.arange(size) + 0.5) / size), counts.size - 1).astype(np.int64)


@njit(cache=True, fastmath=True)
def _train(tokens, offsets, keep, table, w_in, w_out, window, negative, epochs, lr0, min_lr, seed):
    np.random.seed(seed)
    dim = w_in.shape[1]
    n_seq = offsets.size - 1
    total = tokens.size * epochs
    processed = 0
    buf = np.empty(np.max(offsets[1:] - offsets[:-1]), dtype=np.int64)
    grad_in = np.empty(dim, dtype=np.float32)
    for _ in range(epochs):
        for s in range(n_seq):
            # subsample this sequence into buf
            m = 0
            for i in range(offsets[s], offsets[s + 1]):
                w = tokens[i]
                if keep[w] >= 1.0 or np.random.random() < keep[w]:
                    buf[m] = w
                    m += 1
            processed += offsets[s + 1] - offsets[s]
            lr = max(lr0 * (1.0 - processed / (total + 1.0)), min_lr)  # linear decay
            for i in range(m):
                reach = window - np.random.randint(window)  # shrunk window, 1..window
                for j in range(max(0, i - reach), min(m, i + reach + 1)):
                    if j != i:
                        _sgns_pair(buf[i], buf[j], table, w_in, w_out, negative, lr, grad_in)


@njit(cache=True, fastmath=True, inline="always")
def _sgns_pair(centre, context, table, w_in, w_out, negative, lr, grad_in):
    # One SGD step on log σ(u_cᵀ v_w) + Σ_k log σ(-u_nkᵀ v_w) for v_w = w_in[centre].
    dim = w_in.shape[1]
    grad_in[:] = 0.0
    for k in range(negative + 1):
        if k == 0:
            target, label = context, 1.0
        else:
            target = table[np.random.randint(table.size)]
            if target == context:
                continue
            label = 0.0
        score = 0.0
        for d in range(dim):
            score += w_in[centre, d] * w_out[target, d]
        score = min(max(score, -30.0), 30.0)
        g = (label - 1.0 / (1.0 + np.exp(-score))) * lr  # d/d score of the log-likelihood, times the step
        for d in range(dim):
            grad_in[d] += g * w_out[target, d]
            w_out[target, d] += g * w_in[centre, d]
    for d in range(dim):
        w_in[centre, d] += grad_in[d]


# ----------------------------------------------------------------------------------------------
# graph embeddings
# ----------------------------------------------------------------------------------------------


class Node2Vec:
    """node2vec (Grover & Leskovec 2016): skip-gram on second-order biased random walks.

    Parameters
    ----------
    dim : int, default=128
    walk_length : int, default=80
    walks_per_node : int, default=10
    window : int, default=10
    p, q : float, default=1.0
        Return and in-out parameters of the walk (:func:`mlcanon.graph.node2vec_walks`).
    negative, sample, epochs, learning_rate : as :class:`SkipGram`
    random_state : int, default=0

    The defaults are the node2vec paper's (d = 128, r = 10, l = 80, k = 10).

    Attributes
    ----------
    embeddings_ : ndarray of shape (num_nodes, dim), float32

    Examples
    --------
    >>> ring = np.array([[0, 1, 2, 3, 1, 2, 3, 0], [1, 2, 3, 0, 0, 1, 2, 3]])
    >>> Node2Vec(dim=4, walk_length=10, walks_per_node=2, p=0.5, q=2.0).fit(ring, 4).embeddings_.shape
    (4, 4)
    """

    def __init__(self, dim: int = 128, walk_length: int = 80, walks_per_node: int = 10, window: int = 10,
                 p: float = 1.0, q: float = 1.0, negative: int = 5, sample: float = 1e-3, epochs: int = 1,
                 learning_rate: float = 0.025, random_state: int | None = 0):
        self.dim = dim
        self.walk_length = walk_length
        self.walks_per_node = walks_per_node
        self.window = window
        self.p = p
        self.q = q
        self.negative = negative
        self.sample = sample
        self.epochs = epochs
        self.learning_rate = learning_rate
        self.random_state = random_state

    def _walks(self, edge_index, num_nodes: int, seed: int) -> np.ndarray:
        return node2vec_walks(edge_index, num_nodes, self.walk_length, self.walks_per_node, self.p, self.q, seed)

    def fit(self, edge_index, num_nodes: int):
        """Walk the graph ``edge_index`` (2, E) of ``num_nodes`` nodes and train the skip-gram."""
        num_nodes = check_int(num_nodes, "num_nodes", minimum=1)
        rng = np.random.default_rng(self.random_state)
        walk_seed, sg_seed = (int(s) for s in rng.integers(0, 2**31 - 1, 2))
        self.walks_ = self._walks(edge_index, num_nodes, walk_seed)  # (num_nodes * walks_per_node, walk_length)
        self.skipgram_ = SkipGram(self.dim, self.window, self.negative, self.sample, 1, self.epochs,
                                  self.learning_rate, random_state=sg_seed).fit(self.walks_, num_nodes)
        self.embeddings_ = self.skipgram_.embeddings_
        return self

    def fit_transform(self, edge_index, num_nodes: int) -> np.ndarray:
        return self.fit(edge_index, num_nodes).embeddings_


class DeepWalk(Node2Vec):
    """DeepWalk (Perozzi et al. 2014): skip-gram on truncated uniform random walks.

    Parameters as :class:`Node2Vec`, without ``p`` and ``q``.

    Examples
    --------
    >>> ring = np.array([[0, 1, 2, 3, 1, 2, 3, 0], [1, 2, 3, 0, 0, 1, 2, 3]])
    >>> DeepWalk(dim=4, walk_length=10, walks_per_node=2).fit_transform(ring, 4).shape
    (4, 4)
    """

    def __init__(self, dim: int = 128, walk_length: int = 80, walks_per_node: int = 10, window: int = 10,
                 negative: int = 5, sample: float = 1e-3, epochs: int = 1, learning_rate: float = 0.025,
                 random_state: int | None = 0):
        super().__init__(dim, walk_length, walks_per_node, window, 1.0, 1.0, negative, sample, epochs,
                         learning_rate, random_state)

    def _walks(self, edge_index, num_nodes: int, seed: int) -> np.ndarray:
        return random_walks(edge_index, num_nodes, self.walk_length, self.walks_per_node, seed)
