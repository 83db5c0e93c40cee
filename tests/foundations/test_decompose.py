"""TruncatedSVD and PCA against scikit-learn on real data (digits, wine, iris, TF-IDF of TREC)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from mlcanon import data
from mlcanon.decompose import PCA, TruncatedSVD, randomized_svd, svd_flip
from mlcanon.text import TfidfVectorizer

skd = pytest.importorskip("sklearn.decomposition")
datasets = pytest.importorskip("sklearn.datasets")


@pytest.fixture(scope="module")
def digits():
    return datasets.load_digits().data


@pytest.fixture(scope="module")
def wine():
    return datasets.load_wine().data


@pytest.fixture(scope="module")
def iris():
    return datasets.load_iris().data


@pytest.fixture(scope="module")
def trec_tfidf():
    return TfidfVectorizer(min_df=2).fit_transform(data.load("trec", "train").texts[:3000])


def same_up_to_sign(a, b, atol):
    signs = np.sign(np.sum(a * b, axis=1, keepdims=True))
    np.testing.assert_allclose(a * signs, b, rtol=0, atol=atol)


# ---------------------------------------------------------------------------------------------
# TruncatedSVD
# ---------------------------------------------------------------------------------------------
def test_tiny_svd_by_hand():
    X = np.diag([3.0, 2.0, 1.0])
    svd = TruncatedSVD(2, algorithm="exact").fit(X)
    np.testing.assert_allclose(svd.singular_values_, [3.0, 2.0])
    np.testing.assert_allclose(np.abs(svd.components_), [[1, 0, 0], [0, 1, 0]])
    # columns of X V: (3,0,0) and (0,2,0): variances 2 and 8/9
    np.testing.assert_allclose(svd.explained_variance_, [2.0, 8 / 9])


@pytest.mark.parametrize("algorithm", ["randomized", "arpack"])
@pytest.mark.parametrize("name", ["digits", "wine", "trec_tfidf"])
def test_truncated_svd_same_solver_same_numbers(algorithm, name, request):
    X = request.getfixturevalue(name)
    k = 5 if name == "wine" else 20
    ours = TruncatedSVD(k, algorithm=algorithm, random_state=0)
    ref = skd.TruncatedSVD(k, algorithm=algorithm, random_state=0)
    Zo, Zr = ours.fit_transform(X), ref.fit_transform(X)
    for attr in ("explained_variance_", "explained_variance_ratio_", "singular_values_"):
        np.testing.assert_allclose(getattr(ours, attr), getattr(ref, attr), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ours.components_, ref.components_, atol=1e-10)
    np.testing.assert_allclose(Zo, Zr, atol=1e-10)
    np.testing.assert_allclose(ours.transform(X[:50]), ref.transform(X[:50]), atol=1e-10)
    np.testing.assert_allclose(ours.inverse_transform(Zo[:10]), ref.inverse_transform(Zr[:10]), atol=1e-10)


@pytest.mark.parametrize("name", ["digits", "trec_tfidf"])
def test_truncated_svd_exact_matches_arpack(name, request):
    X = request.getfixturevalue(name)
    if sp.issparse(X):  # the exact solver densifies: a smaller TF-IDF matrix of real questions
        X = TfidfVectorizer(min_df=3).fit_transform(data.load("trec", "train").texts[:1000])
    ours = TruncatedSVD(10, algorithm="exact").fit(X)
    ref = skd.TruncatedSVD(10, algorithm="arpack", random_state=0).fit(X)
    np.testing.assert_allclose(ours.explained_variance_, ref.explained_variance_, rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(ours.explained_variance_ratio_, ref.explained_variance_ratio_, rtol=1e-8)
    np.testing.assert_allclose(ours.singular_values_, ref.singular_values_, rtol=1e-10)
    same_up_to_sign(ours.components_, ref.components_, atol=1e-6)


def test_randomized_recovers_low_rank_matrix():
    rng = np.random.default_rng(0)
    A = rng.normal(size=(300, 8)) @ rng.normal(size=(8, 120))  # rank 8
    exact = TruncatedSVD(8, algorithm="exact").fit(A)
    fast = TruncatedSVD(8, algorithm="randomized", random_state=1).fit(A)
    np.testing.assert_allclose(fast.singular_values_, exact.singular_values_, rtol=1e-10)
    same_up_to_sign(fast.components_, exact.components_, atol=1e-8)
    # rank 8 keeps everything: the reconstruction is exact
    np.testing.assert_allclose(fast.inverse_transform(fast.transform(A)), A, atol=1e-8)


@settings(max_examples=25, deadline=None)
@given(st.integers(5, 40), st.integers(3, 25), st.integers(1, 3), st.sampled_from(["QR", "LU", "none", "auto"]),
       st.integers(0, 10**6))
def test_randomized_svd_equals_sklearn_on_random_shapes(n, d, k, normalizer, seed):
    from sklearn.utils.extmath import randomized_svd as sk_randomized_svd

    k = min(k, n, d)
    M = np.random.default_rng(seed).normal(size=(n, d))
    ours = randomized_svd(M, k, n_iter=3, power_iteration_normalizer=normalizer, random_state=seed)
    ref = sk_randomized_svd(M, k, n_iter=3, power_iteration_normalizer=normalizer, random_state=seed)
    for a, b in zip(ours, ref):
        np.testing.assert_allclose(a, b, atol=1e-9)


def test_svd_flip_makes_largest_entry_positive():
    rng = np.random.default_rng(3)
    U, S, Vt = np.linalg.svd(rng.normal(size=(6, 4)), full_matrices=False)
    U2, Vt2 = svd_flip(U.copy(), Vt.copy(), u_based_decision=False)
    rows = np.arange(4)
    assert np.all(Vt2[rows, np.argmax(np.abs(Vt2), axis=1)] > 0)
    np.testing.assert_allclose((U2 * S) @ Vt2, (U * S) @ Vt, atol=1e-12)


# ---------------------------------------------------------------------------------------------
# PCA
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("solver", ["full", "covariance_eigh", "randomized", "arpack", "auto"])
@pytest.mark.parametrize("n_components", [3, 0.9, "mle", None])
@pytest.mark.parametrize("name", ["digits", "wine", "iris"])
def test_pca_matches_sklearn(solver, n_components, name, request):
    X = request.getfixturevalue(name)
    ours = PCA(n_components, svd_solver=solver, random_state=0)
    ref = skd.PCA(n_components, svd_solver=solver, random_state=0)
    try:
        Zr = ref.fit_transform(X)
    except ValueError as exc:
        with pytest.raises(ValueError, match=str(exc)[:25].replace("(", r"\(").replace(")", r"\)")):
            ours.fit(X)
        return
    Zo = ours.fit_transform(X)
    assert ours.n_components_ == ref.n_components_
    np.testing.assert_allclose(ours.explained_variance_, ref.explained_variance_, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(ours.explained_variance_ratio_, ref.explained_variance_ratio_, rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(ours.mean_, ref.mean_, atol=1e-12)
    np.testing.assert_allclose(ours.noise_variance_, ref.noise_variance_, rtol=1e-8, atol=1e-10)
    # only components with a distinct, non-zero variance are defined up to sign
    ev = ref.explained_variance_
    ok = (ev > 1e-8 * ev[0]) & (np.abs(np.diff(np.r_[np.inf, ev])) > 1e-8 * ev[0])
    ok &= np.abs(np.diff(np.r_[ev, -np.inf])) > 1e-8 * ev[0]
    np.testing.assert_allclose(ours.components_[ok], ref.components_[ok], atol=1e-6)
    np.testing.assert_allclose(Zo[:, ok], Zr[:, ok], atol=1e-6 * np.abs(Zr).max())
    np.testing.assert_allclose(ours.transform(X[:20])[:, ok], ref.transform(X[:20])[:, ok], atol=1e-6 * np.abs(Zr).max())


@pytest.mark.parametrize("whiten", [False, True])
def test_pca_full_reconstruction_and_whitening(whiten, wine):
    ours = PCA(whiten=whiten, svd_solver="full").fit(wine)
    ref = skd.PCA(whiten=whiten, svd_solver="full").fit(wine)
    Z = ours.transform(wine)
    np.testing.assert_allclose(Z, ref.transform(wine), atol=1e-8)
    np.testing.assert_allclose(ours.inverse_transform(Z), wine, atol=1e-8)  # all components: lossless
    if whiten:
        np.testing.assert_allclose(Z.var(axis=0, ddof=1), 1.0, atol=1e-10)
    np.testing.assert_allclose(ours.get_covariance(), ref.get_covariance(), rtol=1e-8, atol=1e-8)


def test_pca_sparse_arpack(trec_tfidf):
    X = trec_tfidf[:2000]
    ours = PCA(5, svd_solver="arpack", random_state=0).fit(X)
    ref = skd.PCA(5, svd_solver="arpack", random_state=0).fit(X)
    np.testing.assert_allclose(ours.explained_variance_, ref.explained_variance_, rtol=1e-10)
    np.testing.assert_allclose(ours.components_, ref.components_, atol=1e-10)
    np.testing.assert_allclose(ours.transform(X[:30]), ref.transform(X[:30]), atol=1e-10)


# ---------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------
def test_errors(digits):
    with pytest.raises(ValueError, match=r"n_components\(65\) must be <= n_features\(64\)"):
        TruncatedSVD(65).fit(digits)
    with pytest.raises(ValueError, match="strictly less than min"):
        TruncatedSVD(64, algorithm="arpack").fit(digits)
    with pytest.raises(ValueError, match="algorithm: expected one of"):
        TruncatedSVD(algorithm="lanczos").fit(digits)
    with pytest.raises(ValueError, match="n_components: expected an int >= 1"):
        TruncatedSVD(0).fit(digits)
    with pytest.raises(ValueError, match="X: expected finite values"):
        TruncatedSVD().fit(np.array([[1.0, np.nan], [0.0, 1.0]]))
    with pytest.raises(ValueError, match="X has 3 features, but TruncatedSVD is expecting 64"):
        TruncatedSVD(2).fit(digits).transform(np.ones((2, 3)))
    with pytest.raises(ValueError, match="n_components=100 must be between 0 and min"):
        PCA(100, svd_solver="full").fit(digits)
    with pytest.raises(ValueError, match="n_components: expected None, an int >= 0, a float in"):
        PCA(1.5).fit(digits)
    with pytest.raises(ValueError, match="svd_solver: expected one of"):
        PCA(svd_solver="qr").fit(digits)
    with pytest.raises(TypeError, match="PCA only support sparse inputs"):
        PCA(2, svd_solver="full").fit(sp.csr_matrix(digits))
    with pytest.raises(ValueError, match="'mle' is only supported if n_samples >= n_features"):
        PCA("mle", svd_solver="full").fit(digits[:10])
    with pytest.raises(AttributeError, match="not fitted"):
        PCA().transform(digits)
    with pytest.raises(ValueError, match="X: expected a 2-D array"):
        PCA().fit(np.ones(5))


@pytest.mark.parametrize("estimator", [TruncatedSVD(), PCA()], ids=["TruncatedSVD", "PCA"])
def test_sklearn_estimator_checks(estimator):
    from sklearn.utils.estimator_checks import check_estimator

    check_estimator(estimator)
