"""Ranking metrics for retrieval: average precision, mAP, recall@k, precision@k, median rank, NDCG@k.

Every function takes a score matrix ``scores`` of shape (n_queries, n_items) — higher means
ranked earlier — and the relevance of each item to each query, given either as a matrix
``relevance`` of the same shape (boolean, or graded gains for NDCG) or as labels:
``query_labels`` (n_queries,) and ``item_labels`` (n_items,), an item being relevant to a
query when their labels are equal (cross-modal retrieval of the same class).

References: Manning, Raghavan & Schütze, "Introduction to Information Retrieval" (2008), ch. 8
(precision@k, average precision, mAP); Järvelin & Kekäläinen (2002, "Cumulated gain-based
evaluation of IR techniques") — (N)DCG; median rank / R@K as reported in cross-modal retrieval
(e.g. Karpathy & Fei-Fei 2015). Reference whose numbers these match: scikit-learn 1.9
``average_precision_score`` (per query) and ``ndcg_score``.

    AP(q)     = sum_j (R_j - R_{j-1}) P_j   over the distinct score thresholds j (descending),
                P_j, R_j the precision and recall of the items scoring >= threshold j
    mAP       = mean_q AP(q)
    P@k(q)    = |relevant in top k| / k          R@k(q) = |relevant in top k| / |relevant|
    rank(q)   = 1-based position of the first relevant item;  median rank = median_q rank(q)
    DCG@k(q)  = sum_{i < k} gain(item at position i) / log2(i + 2);   NDCG@k = DCG@k / ideal DCG@k

Ties. AP and NDCG treat tied scores as scikit-learn does: a block of equally scored items is
one threshold (every item of the block gets the block's precision, so the order inside a block
does not matter) and, for NDCG, every position of a block gets the block's mean gain. The
top-k metrics and the rank need one order: items are sorted by descending score, ties broken
by item index (a stable sort), so results are reproducible but favour earlier items.

Queries without any relevant item: their AP is 0.0 (scikit-learn's value, with its warning
left out) and their NDCG 0.0 (scikit-learn's); their recall, precision@k and rank are NaN. The
averages (mAP, mean R@k and P@k, median rank) leave such queries out — a query that cannot be
answered says nothing about the ranking — except NDCG, whose average includes them as 0 to
give ``ndcg_score``'s number.
"""

from __future__ import annotations

import numpy as np

from mlcanon.validation import check_array, check_int

__all__ = [
    "relevance_matrix",
    "average_precision",
    "mean_average_precision",
    "precision_at_k",
    "recall_at_k",
    "first_relevant_rank",
    "median_rank",
    "ndcg_at_k",
]


# --------------------------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------------------------
def relevance_matrix(query_labels, item_labels) -> np.ndarray:
    """``R[q, i] = query_labels[q] == item_labels[i]``: boolean (n_queries, n_items).

    >>> relevance_matrix([0, 1], [1, 0, 1]).astype(int).tolist()
    [[0, 1, 0], [1, 0, 1]]
    """
    q = np.asarray(query_labels)
    it = np.asarray(item_labels)
    if q.ndim != 1:
        raise ValueError(f"query_labels: expected a 1-D array of labels, got shape {q.shape}")
    if it.ndim != 1:
        raise ValueError(f"item_labels: expected a 1-D array of labels, got shape {it.shape}")
    return q[:, None] == it[None, :]


def _inputs(scores, relevance, query_labels, item_labels, *, graded: bool = False):
    """(scores float64 (Q, N), relevance (Q, N): bool, or float gains when ``graded``)."""
    S = check_array(scores, "scores", ndim=2, dtype=np.float64)
    by_labels = query_labels is not None or item_labels is not None
    if (relevance is None) == (not by_labels) or (by_labels and (query_labels is None or item_labels is None)):
        raise ValueError(
            "relevance: expected either a relevance matrix or both query_labels and item_labels, "
            f"got relevance={'None' if relevance is None else 'a matrix'}, "
            f"query_labels={'None' if query_labels is None else 'labels'}, "
            f"item_labels={'None' if item_labels is None else 'labels'}"
        )
    if by_labels:
        R = relevance_matrix(query_labels, item_labels)
    else:
        R = check_array(relevance, "relevance", ndim=2, dtype=None)
        if R.dtype.kind not in "biuf":
            raise TypeError(f"relevance: expected booleans or numbers, got dtype {R.dtype}")
    if R.shape != S.shape:
        raise ValueError(f"relevance: expected the shape of scores {S.shape} (n_queries, n_items), got {R.shape}")
    if R.dtype.kind != "b" and (R < 0).any():
        raise ValueError("relevance: expected values >= 0 (gains), got a negative value")
    if graded:
        return S, R.astype(np.float64)
    return S, R.astype(bool)


def _order(S: np.ndarray) -> np.ndarray:
    """Per query, item indices by descending score, ties by item index: (Q, N)."""
    return np.argsort(-S, axis=1, kind="stable")


def _tie_blocks(sorted_scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each position of rows sorted descending, the first and last position of its block of
    equal scores: two (Q, N) integer arrays."""
    Q, N = sorted_scores.shape
    pos = np.broadcast_to(np.arange(N), (Q, N))
    new_block = np.ones((Q, N), dtype=bool)
    new_block[:, 1:] = sorted_scores[:, 1:] != sorted_scores[:, :-1]
    end_block = np.ones((Q, N), dtype=bool)
    end_block[:, :-1] = new_block[:, 1:]
    start = np.maximum.accumulate(np.where(new_block, pos, 0), axis=1)
    end = np.minimum.accumulate(np.where(end_block, pos, N)[:, ::-1], axis=1)[:, ::-1]
    return start, end


def _k(k, n_items: int) -> int:
    k = check_int(k, "k", minimum=1)
    return min(k, n_items)


def _mean_over_answerable(values: np.ndarray, R: np.ndarray, name: str) -> float:
    answerable = R.any(axis=1)
    if not answerable.any():
        raise ValueError(f"relevance: expected at least one query with a relevant item to average {name}, got none")
    return float(np.mean(values[answerable]))


# --------------------------------------------------------------------------------------------
# Average precision
# --------------------------------------------------------------------------------------------
def average_precision(scores, relevance=None, *, query_labels=None, item_labels=None) -> np.ndarray:
    """Average precision of each query's ranking, equal to scikit-learn's
    ``average_precision_score(relevance[q], scores[q])`` for every query q (ties included).

    Parameters
    ----------
    scores : array-like of shape (n_queries, n_items)
    relevance : array-like of bool of shape (n_queries, n_items), optional
        Nonzero = relevant. Or give ``query_labels`` and ``item_labels``.
    query_labels : array-like of shape (n_queries,), optional
    item_labels : array-like of shape (n_items,), optional

    Returns
    -------
    ndarray of shape (n_queries,)
        0.0 for a query without relevant items (scikit-learn's value).

    Examples
    --------
    >>> from mlcanon.metrics.retrieval import average_precision
    >>> average_precision([[0.9, 0.8, 0.7, 0.6]], [[1, 0, 1, 0]]).round(4).tolist()
    [0.8333]
    """
    S, R = _inputs(scores, relevance, query_labels, item_labels)
    Q, N = S.shape
    order = _order(S)
    s_sorted = np.take_along_axis(S, order, axis=1)  # (Q, N)
    rel_sorted = np.take_along_axis(R, order, axis=1)  # (Q, N)
    _, end = _tie_blocks(s_sorted)
    hits = np.cumsum(rel_sorted, axis=1)  # (Q, N) relevant items in the first j + 1
    # each relevant item contributes the precision at the end of its tie block: P = hits / rank
    precision_at_block_end = np.take_along_axis(hits, end, axis=1) / (end + 1.0)
    n_rel = hits[:, -1]
    total = np.sum(np.where(rel_sorted, precision_at_block_end, 0.0), axis=1)
    return np.divide(total, n_rel, out=np.zeros(Q), where=n_rel > 0)


def mean_average_precision(scores, relevance=None, *, query_labels=None, item_labels=None) -> float:
    """Mean of :func:`average_precision` over the queries that have a relevant item.

    >>> from mlcanon.metrics.retrieval import mean_average_precision
    >>> mean_average_precision([[0.9, 0.1], [0.2, 0.8]], query_labels=[0, 0], item_labels=[0, 1])
    0.75
    """
    S, R = _inputs(scores, relevance, query_labels, item_labels)
    return _mean_over_answerable(average_precision(S, R), R, "the average precision")


# --------------------------------------------------------------------------------------------
# Top-k metrics and ranks
# --------------------------------------------------------------------------------------------
def _hits_at_k(S: np.ndarray, R: np.ndarray, k: int) -> np.ndarray:
    top = _order(S)[:, :k]  # (Q, k)
    return np.take_along_axis(R, top, axis=1).sum(axis=1)  # (Q,)


def precision_at_k(scores, relevance=None, *, k: int, query_labels=None, item_labels=None,
                   average: bool = True):
    """Fraction of the top ``k`` items that are relevant (mean over queries with a relevant item,
    or per query with ``average=False``; NaN for a query without any).

    >>> from mlcanon.metrics.retrieval import precision_at_k
    >>> precision_at_k([[0.9, 0.8, 0.7]], [[1, 0, 1]], k=2)
    0.5
    """
    S, R = _inputs(scores, relevance, query_labels, item_labels)
    kk = _k(k, S.shape[1])
    per_query = np.where(R.any(axis=1), _hits_at_k(S, R, kk) / kk, np.nan)
    return _mean_over_answerable(per_query, R, "precision@k") if average else per_query


def recall_at_k(scores, relevance=None, *, k: int, query_labels=None, item_labels=None, average: bool = True):
    """Fraction of the relevant items found in the top ``k`` (R@K; with one relevant item per
    query it is the share of queries answered within k, as cross-modal retrieval reports it).

    >>> from mlcanon.metrics.retrieval import recall_at_k
    >>> recall_at_k([[0.9, 0.8, 0.7]], [[1, 0, 1]], k=2)
    0.5
    """
    S, R = _inputs(scores, relevance, query_labels, item_labels)
    kk = _k(k, S.shape[1])
    n_rel = R.sum(axis=1)
    per_query = np.divide(_hits_at_k(S, R, kk), n_rel, out=np.full(S.shape[0], np.nan), where=n_rel > 0)
    return _mean_over_answerable(per_query, R, "recall@k") if average else per_query


def first_relevant_rank(scores, relevance=None, *, query_labels=None, item_labels=None) -> np.ndarray:
    """1-based rank of the first relevant item of each query (NaN when there is none).

    >>> from mlcanon.metrics.retrieval import first_relevant_rank
    >>> first_relevant_rank([[0.9, 0.8, 0.7], [0.1, 0.2, 0.3]], [[0, 0, 1], [0, 1, 0]]).tolist()
    [3.0, 2.0]
    """
    S, R = _inputs(scores, relevance, query_labels, item_labels)
    rel_sorted = np.take_along_axis(R, _order(S), axis=1)
    ranks = np.argmax(rel_sorted, axis=1) + 1.0
    return np.where(R.any(axis=1), ranks, np.nan)


def median_rank(scores, relevance=None, *, query_labels=None, item_labels=None) -> float:
    """Median over queries (with a relevant item) of :func:`first_relevant_rank` (MedR).

    >>> from mlcanon.metrics.retrieval import median_rank
    >>> median_rank([[0.9, 0.8, 0.7], [0.1, 0.2, 0.3]], [[0, 0, 1], [0, 1, 0]])
    2.5
    """
    S, R = _inputs(scores, relevance, query_labels, item_labels)
    ranks = first_relevant_rank(S, R)
    answerable = R.any(axis=1)
    if not answerable.any():
        raise ValueError(
            "relevance: expected at least one query with a relevant item to take the median rank, got none"
        )
    return float(np.median(ranks[answerable]))


# --------------------------------------------------------------------------------------------
# NDCG
# --------------------------------------------------------------------------------------------
def _discount(n: int, k: int | None) -> np.ndarray:
    d = 1.0 / (np.log(np.arange(n) + 2) / np.log(2))  # 1 / log2(i + 2), scikit-learn's rounding
    if k is not None:
        d[k:] = 0.0
    return d


def ndcg_at_k(scores, relevance=None, *, k: int | None = None, query_labels=None, item_labels=None,
              average: bool = True):
    """Normalised discounted cumulative gain of the top ``k`` (all items if None), equal to
    scikit-learn's ``ndcg_score(relevance, scores, k=k)`` (mean over all queries) or, with
    ``average=False``, to its per-query values.

    Parameters
    ----------
    scores : array-like of shape (n_queries, n_items)
    relevance : array-like of shape (n_queries, n_items), optional
        Graded gains >= 0 (booleans count as 1/0). Or give ``query_labels`` and ``item_labels``.
    k : int or None, default=None
    average : bool, default=True

    Examples
    --------
    >>> from mlcanon.metrics.retrieval import ndcg_at_k
    >>> round(ndcg_at_k([[0.1, 0.2, 0.3]], [[3, 2, 1]]), 4)
    0.79
    """
    S, G = _inputs(scores, relevance, query_labels, item_labels, graded=True)
    Q, N = S.shape
    if N < 2:
        raise ValueError(f"scores: expected more than 1 item (NDCG of one item is meaningless), got {N}")
    if k is not None:
        k = check_int(k, "k", minimum=1)
    discount = _discount(N, k)  # (N,)
    order = _order(S)
    s_sorted = np.take_along_axis(S, order, axis=1)
    g_sorted = np.take_along_axis(G, order, axis=1)  # (Q, N)
    start, end = _tie_blocks(s_sorted)
    # every position of a tie block gets the block's mean gain (scikit-learn's tie averaging)
    cum = np.concatenate([np.zeros((Q, 1)), np.cumsum(g_sorted, axis=1)], axis=1)  # (Q, N + 1)
    block_sum = np.take_along_axis(cum, end + 1, axis=1) - np.take_along_axis(cum, start, axis=1)
    dcg = (block_sum / (end - start + 1)) @ discount  # (Q,)
    ideal = -np.sort(-G, axis=1) @ discount  # (Q,) gains in decreasing order
    per_query = np.divide(dcg, ideal, out=np.zeros(Q), where=ideal != 0)
    return float(np.mean(per_query)) if average else per_query
