"""RandomForestClassifier under joblib's backends: threads (the default), processes (loky) and a Dask
cluster grow the same forest for the same random_state, on bundled MNIST digits.

The seeds of the trees are drawn in the calling process before any work is sent out, and each tree
draws its bootstrap and its features from its own seed only, so where a tree is grown cannot change it."""

from __future__ import annotations

import joblib
import numpy as np
import pytest

from mlcanon.classic.forest import RandomForestClassifier
from mlcanon.data import load

# 8 trees leave a sample or two of 800 in every bootstrap; the OOB score is compared, not judged
pytestmark = pytest.mark.filterwarnings("ignore:Some inputs do not have OOB scores:UserWarning")


def _digits(n: int):
    images, labels = load("mnist", "test")  # (10000, 28, 28) uint8, (10000,)
    X = images[:n].reshape(n, -1).astype(np.float64) / 255.0  # (n, 784)
    return X, labels[:n]


def _assert_same_forest(a: RandomForestClassifier, b: RandomForestClassifier, X: np.ndarray) -> None:
    assert len(a.estimators_) == len(b.estimators_)
    for ta, tb in zip(a.estimators_, b.estimators_, strict=True):
        A, B = ta.tree_, tb.tree_
        assert ta.random_state == tb.random_state
        assert A.node_count == B.node_count
        np.testing.assert_array_equal(A.feature, B.feature)
        np.testing.assert_array_equal(A.threshold, B.threshold)  # midpoints of the same two floats
        np.testing.assert_allclose(A.value, B.value, rtol=1e-12, atol=0)
    np.testing.assert_allclose(a.predict_proba(X), b.predict_proba(X), rtol=1e-12, atol=0)
    np.testing.assert_array_equal(a.predict(X), b.predict(X))
    assert a.oob_score_ == pytest.approx(b.oob_score_, rel=1e-12)


def _forest() -> RandomForestClassifier:
    return RandomForestClassifier(n_estimators=8, max_features=0.05, oob_score=True, random_state=11)


def test_loky_processes_grow_the_same_forest_as_threads():
    X, y = _digits(800)
    threads = _forest().set_params(n_jobs=2).fit(X, y)
    with joblib.parallel_backend("loky", n_jobs=2):
        processes = _forest().fit(X, y)
        _assert_same_forest(threads, processes, X)  # predict_proba's partial sums in worker processes too
    assert threads.score(X, y) > 0.9  # a real forest on real digits, not an empty one


@pytest.mark.slow
def test_dask_cluster_grows_the_same_forest_as_threads():
    pytest.importorskip("distributed", reason="dask.distributed is not installed (pip install 'dask[distributed]')")
    from distributed import Client, LocalCluster

    X, y = _digits(800)
    threads = _forest().set_params(n_jobs=2).fit(X, y)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with Client(cluster), joblib.parallel_backend("dask"):
            on_dask = _forest().fit(X, y)
    _assert_same_forest(threads, on_dask, X)
