"""Retrieval metrics against scikit-learn (average_precision_score per query, ndcg_score) on real
MNIST image-to-image retrieval and on random rankings with ties; the top-k metrics and ranks
against a brute-force loop over a stably sorted list."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from mlcanon import data
from mlcanon.metrics import retrieval as R

skm = pytest.importorskip("sklearn.metrics")


def sk_ap(rel, scores):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "No positive class found": scikit-learn then returns 0.0
        return np.array([skm.average_precision_score(r, s) for r, s in zip(rel, scores)])


def brute_force(scores, rel, k):
    """Per query: hits in the top k, rank of the first relevant item, by an explicit stable sort."""
    hits, first = [], []
    for s, r in zip(scores, rel):
        order = sorted(range(len(s)), key=lambda i: (-s[i], i))
        hits.append(sum(bool(r[i]) for i in order[:k]))
        ranks = [pos + 1 for pos, i in enumerate(order) if r[i]]
        first.append(ranks[0] if ranks else np.nan)
    return np.array(hits, dtype=float), np.array(first, dtype=float)


@pytest.fixture(scope="module")
def mnist_retrieval():
    """Cosine similarity of 200 MNIST test images (queries) to 1,000 others (items); relevant = same digit."""
    images, labels = data.load("mnist", "test")
    X = images.reshape(len(images), -1).astype(np.float64)
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    q, it = slice(0, 200), slice(200, 1200)
    return X[q] @ X[it].T, labels[q], labels[it]


# ---------------------------------------------------------------------------------------------
# Hand-checkable cases
# ---------------------------------------------------------------------------------------------
def test_by_hand():
    scores = [[0.9, 0.8, 0.7, 0.6]]
    rel = [[1, 0, 1, 0]]
    # relevant at ranks 1 and 3: AP = (1/1 + 2/3) / 2
    assert R.average_precision(scores, rel)[0] == pytest.approx(5 / 6)
    assert R.precision_at_k(scores, rel, k=2) == 0.5
    assert R.recall_at_k(scores, rel, k=3) == 1.0
    assert R.median_rank(scores, rel) == 1.0
    # a tie between ranks 1 and 2 (one relevant, one not): the block's precision 1/2 for both places
    assert R.average_precision([[0.5, 0.5, 0.1]], [[1, 0, 1]])[0] == pytest.approx((1 / 2 + 2 / 3) / 2)
    # NDCG: gains (3, 2, 1) ranked in reverse order
    dcg = 1 + 2 / np.log2(3) + 3 / np.log2(4)
    ideal = 3 + 2 / np.log2(3) + 1 / np.log2(4)
    assert R.ndcg_at_k([[0.1, 0.2, 0.3]], [[3, 2, 1]]) == pytest.approx(dcg / ideal)


def test_labels_equal_matrix_and_queries_without_relevant_items():
    scores = np.array([[0.9, 0.1, 0.5], [0.2, 0.8, 0.3], [0.3, 0.3, 0.3]])
    ql, il = np.array([0, 1, 7]), np.array([0, 1, 0])
    M = R.relevance_matrix(ql, il)
    np.testing.assert_array_equal(R.average_precision(scores, query_labels=ql, item_labels=il),
                                  R.average_precision(scores, M))
    ap = R.average_precision(scores, M)
    assert ap[2] == 0.0  # no relevant item: scikit-learn's 0.0
    assert R.mean_average_precision(scores, M) == pytest.approx(ap[:2].mean())  # left out of the mean
    assert np.isnan(R.recall_at_k(scores, M, k=1, average=False)[2])
    assert np.isnan(R.first_relevant_rank(scores, M)[2])
    assert R.ndcg_at_k(scores, M) == pytest.approx(skm.ndcg_score(M.astype(float), scores))  # 0 counted


# ---------------------------------------------------------------------------------------------
# Real data: MNIST image retrieval
# ---------------------------------------------------------------------------------------------
def test_mnist_retrieval_equals_sklearn(mnist_retrieval):
    S, ql, il = mnist_retrieval
    rel = ql[:, None] == il[None, :]
    ap = R.average_precision(S, query_labels=ql, item_labels=il)
    np.testing.assert_allclose(ap, sk_ap(rel, S), rtol=1e-12, atol=1e-15)
    mAP = R.mean_average_precision(S, query_labels=ql, item_labels=il)
    assert mAP == pytest.approx(sk_ap(rel, S).mean(), rel=1e-12)
    assert 0.4 < mAP < 0.6  # raw-pixel cosine retrieval of MNIST digits
    for k in (None, 1, 10, 100):
        assert R.ndcg_at_k(S, rel, k=k) == pytest.approx(skm.ndcg_score(rel, S, k=k), rel=1e-12)
    hits, first = brute_force(S, rel, 10)
    np.testing.assert_allclose(R.precision_at_k(S, rel, k=10, average=False), hits / 10)
    np.testing.assert_allclose(R.recall_at_k(S, rel, k=10, average=False), hits / rel.sum(axis=1))
    np.testing.assert_array_equal(R.first_relevant_rank(S, rel), first)
    assert R.median_rank(S, rel) == np.median(first) == 1.0
    assert R.precision_at_k(S, rel, k=1) > 0.9  # nearest neighbour in pixel space: ~95% same digit


# ---------------------------------------------------------------------------------------------
# Properties against scikit-learn and brute force
# ---------------------------------------------------------------------------------------------
def rankings(max_queries=6, max_items=25):
    """(scores with many ties, boolean relevance, graded gains) of one shape."""
    return st.tuples(st.integers(1, max_queries), st.integers(2, max_items)).flatmap(
        lambda shape: st.tuples(
            hnp.arrays(np.float64, shape, elements=st.sampled_from([0.0, 0.25, 0.5, 1.0, -1.0, 3.0])),
            hnp.arrays(np.bool_, shape),
            hnp.arrays(np.float64, shape, elements=st.sampled_from([0.0, 0.0, 1.0, 2.0, 3.5])),
        )
    )


@settings(max_examples=60, deadline=None)
@given(rankings())
def test_average_precision_equals_sklearn_with_ties(case):
    S, rel, _ = case
    np.testing.assert_allclose(R.average_precision(S, rel), sk_ap(rel, S), rtol=1e-12, atol=1e-15)


@settings(max_examples=60, deadline=None)
@given(rankings(), st.sampled_from([None, 1, 2, 3, 5, 10, 40]))
def test_ndcg_equals_sklearn_with_ties(case, k):
    S, rel, gains = case
    assert R.ndcg_at_k(S, gains, k=k) == pytest.approx(skm.ndcg_score(gains, S, k=k), rel=1e-12, abs=1e-15)
    assert R.ndcg_at_k(S, rel, k=k) == pytest.approx(skm.ndcg_score(rel.astype(float), S, k=k), rel=1e-12, abs=1e-15)
    per_query = R.ndcg_at_k(S, gains, k=k, average=False)
    ref = [skm.ndcg_score(gains[q : q + 1], S[q : q + 1], k=k) for q in range(len(S))]
    np.testing.assert_allclose(per_query, ref, rtol=1e-12, atol=1e-15)


@settings(max_examples=60, deadline=None)
@given(rankings(), st.integers(1, 30))
def test_top_k_and_ranks_equal_brute_force(case, k):
    S, rel, _ = case
    hits, first = brute_force(S, rel, k)
    kk = min(k, S.shape[1])
    has = rel.any(axis=1)
    p = R.precision_at_k(S, rel, k=k, average=False)
    r = R.recall_at_k(S, rel, k=k, average=False)
    np.testing.assert_allclose(p[has], hits[has] / kk)
    np.testing.assert_allclose(r[has], hits[has] / rel.sum(axis=1)[has])
    assert np.isnan(p[~has]).all() and np.isnan(r[~has]).all()
    np.testing.assert_array_equal(R.first_relevant_rank(S, rel), first)
    if has.any():
        assert R.median_rank(S, rel) == np.median(first[has])
        assert R.recall_at_k(S, rel, k=k) == pytest.approx(np.mean(hits[has] / rel.sum(axis=1)[has]))


@settings(max_examples=50, deadline=None)
@given(rankings(), st.randoms(use_true_random=False))
def test_ap_and_ndcg_do_not_depend_on_item_order_or_score_scale(case, rnd):
    # tie blocks make AP and NDCG independent of the order of items; a monotone map keeps ranks
    S, rel, gains = case
    perm = list(range(S.shape[1]))
    rnd.shuffle(perm)
    np.testing.assert_allclose(R.average_precision(S[:, perm], rel[:, perm]), R.average_precision(S, rel), atol=1e-12)
    assert R.ndcg_at_k(S[:, perm], gains[:, perm], k=3) == pytest.approx(R.ndcg_at_k(S, gains, k=3), abs=1e-12)
    np.testing.assert_allclose(R.average_precision(np.exp(S) * 7 - 2, rel), R.average_precision(S, rel), atol=1e-12)


# ---------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------
def test_errors():
    S = np.zeros((2, 3))
    with pytest.raises(ValueError, match=r"relevance: expected the shape of scores \(2, 3\) \(n_queries, n_items\), got \(2, 2\)"):
        R.average_precision(S, np.zeros((2, 2), dtype=bool))
    with pytest.raises(ValueError, match="relevance: expected either a relevance matrix or both query_labels and item_labels"):
        R.average_precision(S)
    with pytest.raises(ValueError, match="relevance: expected either a relevance matrix or both"):
        R.average_precision(S, np.ones((2, 3)), query_labels=[0, 1], item_labels=[0, 1, 2])
    with pytest.raises(ValueError, match="relevance: expected either .* item_labels=None"):
        R.average_precision(S, query_labels=[0, 1])
    with pytest.raises(ValueError, match="query_labels: expected a 1-D array of labels, got shape"):
        R.average_precision(S, query_labels=[[0, 1]], item_labels=[0, 1, 2])
    with pytest.raises(ValueError, match=r"scores: expected a 2-D array, got shape \(3,\)"):
        R.average_precision([0.1, 0.2, 0.3], [1, 0, 1])
    with pytest.raises(ValueError, match="scores: expected finite values, got NaN"):
        R.average_precision([[np.nan, 0.2]], [[1, 0]])
    with pytest.raises(ValueError, match="relevance: expected values >= 0"):
        R.ndcg_at_k(S, -np.ones((2, 3)))
    with pytest.raises(TypeError, match="relevance: expected booleans or numbers, got dtype <U1"):
        R.average_precision(S, np.full((2, 3), "a"))
    with pytest.raises(ValueError, match="k: expected an int >= 1, got 0"):
        R.precision_at_k(S, np.ones((2, 3)), k=0)
    with pytest.raises(TypeError, match="k: expected an int, got float"):
        R.recall_at_k(S, np.ones((2, 3)), k=1.5)
    with pytest.raises(ValueError, match="scores: expected more than 1 item"):
        R.ndcg_at_k(np.zeros((2, 1)), np.ones((2, 1)))
    with pytest.raises(ValueError, match="relevance: expected at least one query with a relevant item to average"):
        R.mean_average_precision(S, np.zeros((2, 3), dtype=bool))
    with pytest.raises(ValueError, match="relevance: expected at least one query with a relevant item to take the median"):
        R.median_rank(S, np.zeros((2, 3), dtype=bool))
