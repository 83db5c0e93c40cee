"""PCA as probabilistic PCA (Tipping & Bishop 1999): get_covariance, get_precision, score_samples and
score equal scikit-learn's, on iris and on a wide random matrix, for every solver (issue 16)."""

import numpy as np
import pytest

from mlcanon.decompose import PCA

sk_decomposition = pytest.importorskip("sklearn.decomposition")
from sklearn.datasets import load_iris  # noqa: E402  (after the importorskip)


@pytest.mark.parametrize("solver", ["full", "covariance_eigh", "arpack", "randomized"])
@pytest.mark.parametrize("n_components", [1, 2, 3])
@pytest.mark.parametrize("whiten", [False, True])
def test_likelihood_equals_sklearn_on_iris(solver, n_components, whiten):
    X = load_iris().data
    kw = dict(n_components=n_components, svd_solver=solver, whiten=whiten, random_state=0)
    ours, theirs = PCA(**kw).fit(X), sk_decomposition.PCA(**kw).fit(X)
    np.testing.assert_allclose(ours.get_precision(), theirs.get_precision(), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(ours.get_covariance() @ ours.get_precision(), np.eye(4), atol=1e-12)
    np.testing.assert_allclose(ours.score_samples(X), theirs.score_samples(X), rtol=1e-9)
    assert ours.score(X) == pytest.approx(theirs.score(X), rel=1e-10)


def test_likelihood_edge_cases_equal_sklearn():
    rng = np.random.RandomState(0)
    X = rng.randn(100, 3) * 0.1 + np.array([3, 4, 5])
    for data in (X, X.T):  # n_components = min(n, d): no noise variance, the plain inverse
        ours = PCA(n_components=3, svd_solver="full").fit(data)
        theirs = sk_decomposition.PCA(n_components=3, svd_solver="full").fit(data)
        assert ours.noise_variance_ == 0
        assert ours.score(data) == pytest.approx(theirs.score(data), rel=1e-9)
    ours, theirs = PCA(n_components=0).fit(X), sk_decomposition.PCA(n_components=0).fit(X)
    np.testing.assert_allclose(ours.get_precision(), theirs.get_precision(), rtol=1e-12)
    # held-out data: the likelihood of a fit on the train half, scored on the other half
    wide = rng.randn(60, 20) @ rng.randn(20, 20)
    ours, theirs = PCA(n_components=5).fit(wide[:30]), sk_decomposition.PCA(n_components=5).fit(wide[:30])
    assert ours.score(wide[30:]) == pytest.approx(theirs.score(wide[30:]), rel=1e-9)


def test_score_samples_checks_its_input():
    pca = PCA(n_components=2).fit(load_iris().data)
    with pytest.raises(ValueError, match="X has 3 features, but PCA is expecting 4 features"):
        pca.score_samples(np.zeros((2, 3)))
