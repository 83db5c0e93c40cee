"""LatentDirichletAllocation: equal to scikit-learn's on real text (same init), hand-checkable cases,
the compiled digamma against scipy, properties and error messages."""

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given
from hypothesis import strategies as st
from scipy.special import psi

from mlcanon.classic.lda import LatentDirichletAllocation, _dirichlet_expectation_2d, _psi

sklearn_lda = pytest.importorskip("sklearn.decomposition")
SkLDA = sklearn_lda.LatentDirichletAllocation


@pytest.fixture(scope="module")
def sst2_counts():
    """Real text: 1,500 SST-2 training sentences as a word-count matrix (English stop words out)."""
    from sklearn.feature_extraction.text import CountVectorizer

    from mlcanon import data

    texts = data.load("sst2", "train").texts[:1500]
    vec = CountVectorizer(stop_words="english", min_df=3)
    X = vec.fit_transform(texts).astype(np.float64)
    return X, vec.get_feature_names_out()


# ---- the digamma the E-step uses ----------------------------------------------------------------


def test_psi_matches_scipy_to_its_series_accuracy():
    # AS 103 truncates the series after the x^-6 term at x >= 6: the error bound is 1/(240 x^8) < 3e-9.
    xs = np.concatenate([np.logspace(-5, 4, 400), [0.5, 1.0, 2.0, 5.999, 6.0, 6.001, 1e5]])
    ours = np.array([_psi(x) for x in xs])
    np.testing.assert_allclose(ours, psi(xs), rtol=0, atol=3e-9)


def test_psi_below_1e6_uses_the_pole_term():
    x = 1e-7
    assert _psi(x) == pytest.approx(psi(x), rel=1e-6)


def test_dirichlet_expectation_equals_sklearns_compiled_one():
    from sklearn.decomposition._online_lda_fast import _dirichlet_expectation_2d as sk_de

    arr = np.random.RandomState(0).gamma(0.5, 2.0, size=(30, 12)) + 1e-3
    np.testing.assert_allclose(_dirichlet_expectation_2d(arr), sk_de(arr), rtol=0, atol=1e-13)


# ---- parity with scikit-learn on real text ------------------------------------------------------


@pytest.mark.parametrize("method", ["batch", "online"])
def test_same_init_same_topics_and_perplexity_as_sklearn(sst2_counts, method):
    X, _ = sst2_counts
    kw = dict(n_components=8, learning_method=method, max_iter=5, batch_size=256, random_state=3)
    ours = LatentDirichletAllocation(**kw).fit(X)
    ref = SkLDA(**kw).fit(X)
    # Same random stream and the same arithmetic: equal to rounding, far inside the 2%.
    np.testing.assert_allclose(ours.components_, ref.components_, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(ours.exp_dirichlet_component_, ref.exp_dirichlet_component_, rtol=1e-9)
    assert ours.bound_ == pytest.approx(ref.bound_, rel=1e-10)
    assert ours.perplexity(X) == pytest.approx(ref.perplexity(X), rel=1e-10)
    assert ours.score(X) == pytest.approx(ref.score(X), rel=1e-10)
    np.testing.assert_allclose(ours.transform(X[:200]), ref.transform(X[:200]), atol=1e-10)
    assert (ours.n_iter_, ours.n_batch_iter_) == (ref.n_iter_, ref.n_batch_iter_)
    assert (ours.doc_topic_prior_, ours.topic_word_prior_) == (ref.doc_topic_prior_, ref.topic_word_prior_)


def test_partial_fit_and_early_stopping_as_sklearn(sst2_counts):
    X, _ = sst2_counts
    kw = dict(n_components=5, batch_size=300, total_samples=5000, random_state=1, doc_topic_prior=0.3,
              topic_word_prior=0.05, learning_decay=0.6, learning_offset=5.0)
    ours, ref = LatentDirichletAllocation(**kw), SkLDA(**kw)
    for half in (X[:700], X[700:]):
        ours.partial_fit(half)
        ref.partial_fit(half)
    np.testing.assert_allclose(ours.components_, ref.components_, rtol=1e-9)
    assert ours.n_batch_iter_ == ref.n_batch_iter_
    assert ours.perplexity(X, sub_sampling=True) == pytest.approx(ref.perplexity(X, sub_sampling=True), rel=1e-10)

    kw = dict(n_components=5, max_iter=50, evaluate_every=1, perp_tol=5.0, random_state=0)
    ours, ref = LatentDirichletAllocation(**kw).fit(X), SkLDA(**kw).fit(X)
    assert ours.n_iter_ == ref.n_iter_ < 50
    assert ours.bound_ == pytest.approx(ref.bound_, rel=1e-10)


def test_dense_and_float32_input(sst2_counts):
    X, _ = sst2_counts
    X = X[:300]
    kw = dict(n_components=4, max_iter=3, random_state=0)
    sparse_fit = LatentDirichletAllocation(**kw).fit(X)
    dense_fit = LatentDirichletAllocation(**kw).fit(X.toarray())
    np.testing.assert_allclose(sparse_fit.components_, dense_fit.components_, rtol=1e-12)
    X32 = X.astype(np.float32)
    ours = LatentDirichletAllocation(**kw).fit(X32)
    ref = SkLDA(**kw).fit(X32)
    assert ours.components_.dtype == np.float32 and ours.transform(X32).dtype == np.float32
    np.testing.assert_allclose(ours.components_, ref.components_, rtol=1e-3)


def test_top_words_are_the_largest_components(sst2_counts):
    X, names = sst2_counts
    lda = LatentDirichletAllocation(n_components=4, max_iter=3, random_state=0).fit(X)
    top = lda.top_words(names, n=5)
    assert len(top) == 4 and all(len(t) == 5 for t in top)
    for k, words in enumerate(top):
        idx = [list(names).index(w) for w in words]
        assert np.all(np.diff(lda.components_[k, idx]) <= 0)
        assert lda.components_[k, idx[-1]] >= np.sort(lda.components_[k])[-5]
    assert lda.top_words(n=2)[0] == list(np.argsort(-lda.components_[0])[:2])


# ---- hand-checkable case and properties ---------------------------------------------------------


def test_one_topic_is_counting():
    # K = 1: phi = 1 for every word, so gamma_d = alpha + N_d and lambda_w = eta + sum_d n_dw.
    X = np.array([[2.0, 0.0, 1.0], [0.0, 3.0, 1.0]])
    lda = LatentDirichletAllocation(n_components=1, doc_topic_prior=0.5, topic_word_prior=0.2,
                                    max_iter=1, random_state=0).fit(X)
    np.testing.assert_allclose(lda.components_, [[2.2, 3.2, 2.2]], rtol=1e-12)
    np.testing.assert_allclose(lda.transform(X, normalize=False), [[3.5], [4.5]], rtol=1e-12)


def test_bound_improves_over_batch_iterations(sst2_counts):
    X, _ = sst2_counts
    perplexities = [LatentDirichletAllocation(n_components=6, max_iter=i, random_state=0).fit(X).bound_
                    for i in (1, 2, 4, 8)]
    assert all(a > b for a, b in zip(perplexities, perplexities[1:])), perplexities


@given(st.integers(1, 6), st.integers(0, 10_000))
def test_transform_rows_sum_to_one_and_sparse_equals_dense(k, seed):
    rng = np.random.RandomState(seed)
    X = rng.poisson(0.7, size=(15, 9)).astype(float)
    lda = LatentDirichletAllocation(n_components=k, max_iter=2, random_state=seed).fit(X)
    theta = lda.transform(X)
    np.testing.assert_allclose(theta.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(theta, lda.transform(sp.csr_matrix(X)), rtol=1e-12)
    assert np.all(theta > 0)


def test_check_estimator():
    from sklearn.utils.estimator_checks import check_estimator

    results = check_estimator(LatentDirichletAllocation(n_components=3, max_iter=5, random_state=0), on_fail=None)
    failed = [(r["check_name"], str(r["exception"])[:200]) for r in results if r["status"] == "failed"]
    assert not failed


# ---- errors -------------------------------------------------------------------------------------


def test_errors():
    X = np.array([[1.0, 0.0, 2.0], [0.0, 1.0, 1.0]])
    with pytest.raises(ValueError, match="Negative values in data passed to LatentDirichletAllocation.fit"):
        LatentDirichletAllocation().fit(-X)
    with pytest.raises(ValueError, match="Negative values in data passed to LatentDirichletAllocation.fit"):
        LatentDirichletAllocation().fit(sp.csr_matrix(-X))
    with pytest.raises(ValueError, match="X: expected finite values, got NaN"):
        LatentDirichletAllocation().fit(np.where(X == 0, np.nan, X))
    with pytest.raises(ValueError, match="X: expected finite values"):
        LatentDirichletAllocation().fit(sp.csr_matrix(np.where(X == 0, np.inf, X)))
    lda = LatentDirichletAllocation(n_components=2, random_state=0).fit(X)
    with pytest.raises(ValueError, match="X has 2 features, but LatentDirichletAllocation is expecting 3"):
        lda.transform(X[:, :2])
    with pytest.raises(ValueError, match="X has 2 features"):
        lda.partial_fit(X[:, :2])
    with pytest.raises(ValueError, match="Negative values in data passed to LatentDirichletAllocation.transform"):
        lda.transform(-X)
    with pytest.raises(ValueError, match="feature_names: expected 3 names"):
        lda.top_words(["a", "b"])
    with pytest.raises(ValueError, match="n: expected an int >= 1"):
        lda.top_words(n=0)
    with pytest.raises(ValueError, match="learning_method: expected one of 'batch', 'online', got 'sgd'"):
        LatentDirichletAllocation(learning_method="sgd").fit(X)
    with pytest.raises(ValueError, match="n_components: expected an int >= 1, got 0"):
        LatentDirichletAllocation(n_components=0).fit(X)
    with pytest.raises(ValueError, match="doc_topic_prior: expected a number <= 1.0"):
        LatentDirichletAllocation(doc_topic_prior=2.0).fit(X)
    with pytest.raises(TypeError, match="X: expected an array-like or sparse matrix of word counts, got None"):
        LatentDirichletAllocation().fit(None)
    with pytest.raises(ValueError, match="not fitted yet"):
        LatentDirichletAllocation().transform(X)
    with pytest.raises(ValueError, match="X: expected a 2-D array"):
        LatentDirichletAllocation().fit(X[0])
