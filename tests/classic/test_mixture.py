"""GaussianMixture: equal to scikit-learn's on real data (iris, wine, breast cancer) for every
covariance type and initialisation, EM's monotone likelihood, a hand-checkable case, the k-means
that initialises it, scikit-learn's estimator checks, and error messages."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlcanon.classic.mixture import ConvergenceWarning, GaussianMixture, KMeans, kmeans_plusplus

sk_mixture = pytest.importorskip("sklearn.mixture")
from sklearn.cluster import KMeans as SkKMeans  # noqa: E402
from sklearn.cluster import kmeans_plusplus as sk_kmeans_plusplus  # noqa: E402
from sklearn.datasets import load_breast_cancer, load_iris, load_wine  # noqa: E402

COV_TYPES = ["full", "tied", "diag", "spherical"]
INITS = ["kmeans", "k-means++", "random", "random_from_data"]


@pytest.fixture(scope="module")
def datasets():
    return {"iris": load_iris().data, "wine": load_wine().data, "cancer": load_breast_cancer().data[:, :6]}


def fit_both(X, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # both warn alike when an init does not converge
        ours = GaussianMixture(**kw).fit(X)
        ref = sk_mixture.GaussianMixture(**kw).fit(X)
    return ours, ref


def assert_same_fit(ours, ref, X, atol=1e-6):
    np.testing.assert_allclose(ours.means_, ref.means_, atol=atol, rtol=0)
    np.testing.assert_allclose(ours.weights_, ref.weights_, atol=atol, rtol=0)
    np.testing.assert_allclose(ours.covariances_, ref.covariances_, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(ours.precisions_, ref.precisions_, rtol=1e-6)
    np.testing.assert_allclose(ours.precisions_cholesky_, ref.precisions_cholesky_, rtol=1e-6)
    assert ours.lower_bound_ == pytest.approx(ref.lower_bound_, rel=1e-10)
    np.testing.assert_allclose(ours.lower_bounds_, ref.lower_bounds_, rtol=1e-10)
    # The iteration count is an integer, but it comes from |LB_k - LB_(k-1)| < tol on floats: it is the same on
    # any CPU only while no step lands within rounding of tol. The bounds agree to rel 1e-10 (above), so check
    # that every step's change clears tol by more than that; then equal counts follow from the check above.
    step = np.abs(np.diff(ref.lower_bounds_))
    assert np.all(np.abs(step - ref.tol) > 4e-10 * np.abs(ref.lower_bounds_[1:]))
    assert (ours.n_iter_, ours.converged_) == (ref.n_iter_, ref.converged_)
    assert ours.score(X) == pytest.approx(ref.score(X), rel=1e-10)
    assert ours.bic(X) == pytest.approx(ref.bic(X), rel=1e-10)
    assert ours.aic(X) == pytest.approx(ref.aic(X), rel=1e-10)
    np.testing.assert_allclose(ours.score_samples(X), ref.score_samples(X), rtol=1e-9, atol=1e-9)
    proba_ref = ref.predict_proba(X)
    np.testing.assert_allclose(ours.predict_proba(X), proba_ref, atol=1e-8)
    # the labels are argmax of those probabilities: equal wherever the two best are not within 2e-8 of a tie
    top2 = np.sort(proba_ref, axis=1)[:, -2:]
    clear = top2[:, 1] - top2[:, 0] > 2e-8
    assert clear.mean() > 0.95
    np.testing.assert_array_equal(ours.predict(X)[clear], ref.predict(X)[clear])


# ---- parity with scikit-learn on real data -------------------------------------------------------
@pytest.mark.parametrize("covariance_type", COV_TYPES)
@pytest.mark.parametrize("init_params", INITS)
def test_matches_sklearn_with_the_same_seed(datasets, covariance_type, init_params):
    """The same random_state gives the same start (our k-means draws as sklearn's) and the same fit."""
    for name in ("iris", "wine"):
        X = datasets[name]
        ours, ref = fit_both(X, n_components=3, covariance_type=covariance_type, init_params=init_params,
                             random_state=0)
        assert_same_fit(ours, ref, X)


@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_matches_sklearn_from_given_initial_parameters(datasets, covariance_type):
    X = datasets["cancer"]
    rng = np.random.RandomState(0)
    K = 4
    means = X[rng.choice(len(X), K, replace=False)]
    weights = np.full(K, 1 / K)
    prec = 1 / np.var(X, axis=0)
    precisions = {"full": np.stack([np.diag(prec)] * K), "tied": np.diag(prec),
                  "diag": np.tile(prec, (K, 1)), "spherical": np.full(K, prec.mean())}[covariance_type]
    ours, ref = fit_both(X, n_components=K, covariance_type=covariance_type, means_init=means,
                         weights_init=weights, precisions_init=precisions, max_iter=200)
    assert_same_fit(ours, ref, X)


def test_n_init_and_warm_start_match_sklearn(datasets):
    X = datasets["wine"]
    ours, ref = fit_both(X, n_components=4, covariance_type="diag", n_init=3, random_state=1)
    assert_same_fit(ours, ref, X)
    kw = dict(n_components=3, covariance_type="full", max_iter=3, warm_start=True, random_state=2)
    ours, ref = fit_both(X, **kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours.fit(X)
        ref.fit(X)
    assert_same_fit(ours, ref, X)


def test_sample_matches_sklearn(datasets):
    X = datasets["iris"]
    for ct in COV_TYPES:
        ours, ref = fit_both(X, n_components=3, covariance_type=ct, random_state=0)
        Xo, yo = ours.sample(200)
        Xr, yr = ref.sample(200)
        np.testing.assert_allclose(Xo, Xr, atol=1e-10)  # multivariate_normal goes through LAPACK's SVD: rounding
        # the counts per component are integer draws of the same MT19937 stream, a step function of weights_
        # (equal here to ~1e-15): exact unless a draw lands within 1e-15 of a step, which it does not on these seeds
        np.testing.assert_array_equal(yo, yr)


def test_kmeans_and_kmeans_plusplus_match_sklearn(datasets):
    X = datasets["wine"]
    for seed in range(3):
        ours = KMeans(5, n_init=10, random_state=seed).fit(X)
        ref = SkKMeans(5, n_init=10, random_state=seed).fit(X)
        # labels, and the k-means++ picks below, are argmins / draws over squared distances that the two libraries
        # sum in different orders (scikit-learn through BLAS): exact unless two are within ~1e-13 relative (a
        # near-tie would show as a label flip on one CPU only; none under the BLAS / SIMD settings tried)
        np.testing.assert_array_equal(ours.labels_, ref.labels_)
        np.testing.assert_allclose(ours.cluster_centers_, ref.cluster_centers_, atol=1e-9)
        assert ours.inertia_ == pytest.approx(ref.inertia_, rel=1e-10)
        c1, i1 = kmeans_plusplus(X, 5, random_state=seed)
        c2, i2 = sk_kmeans_plusplus(X, 5, random_state=seed)
        np.testing.assert_array_equal(i1, i2)
        np.testing.assert_array_equal(c1, c2)


# ---- EM's guarantee and a hand-checkable case ---------------------------------------------------
@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_log_likelihood_never_decreases(datasets, covariance_type):
    X = datasets["cancer"]
    gm = GaussianMixture(5, covariance_type=covariance_type, tol=0, max_iter=60, init_params="random",
                         random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        gm.fit(X)
    bounds = np.asarray(gm.lower_bounds_)
    assert len(bounds) == 60
    assert (np.diff(bounds) >= -1e-10 * np.abs(bounds[1:])).all()


@settings(max_examples=30)
@given(st.integers(0, 1000), st.sampled_from(COV_TYPES), st.integers(1, 4))
def test_log_likelihood_never_decreases_on_random_data(seed, covariance_type, K):
    rng = np.random.RandomState(seed)
    X = np.vstack([rng.randn(30, 2) + rng.randn(2) * 4 for _ in range(3)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        gm = GaussianMixture(K, covariance_type=covariance_type, tol=0, max_iter=25, init_params="random",
                             random_state=seed).fit(X)
    bounds = np.asarray(gm.lower_bounds_)
    assert (np.diff(bounds) >= -1e-9).all()


def test_one_component_is_the_sample_mean_and_covariance(datasets):
    X = datasets["iris"]
    gm = GaussianMixture(1, reg_covar=0.0).fit(X)
    np.testing.assert_allclose(gm.means_[0], X.mean(axis=0), atol=1e-12)
    np.testing.assert_allclose(gm.covariances_[0], np.cov(X.T, bias=True), atol=1e-10)
    assert gm.weights_ == pytest.approx([1.0])
    from scipy.stats import multivariate_normal

    ll = multivariate_normal(X.mean(axis=0), np.cov(X.T, bias=True)).logpdf(X)
    np.testing.assert_allclose(gm.score_samples(X), ll, rtol=1e-10)


# ---- scikit-learn's estimator checks ------------------------------------------------------------
def test_check_estimator():
    from sklearn.utils.estimator_checks import check_estimator

    # No check is skipped. Short fits in the checks stop at max_iter; their ConvergenceWarning is
    # silenced here as scikit-learn's own test of GaussianMixture silences it.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        check_estimator(GaussianMixture())


# ---- errors -------------------------------------------------------------------------------------
def test_errors(datasets):
    X = datasets["iris"]
    with pytest.raises(ValueError, match=r"covariance_type: expected one of 'full', 'tied', 'diag', 'spherical'"):
        GaussianMixture(covariance_type="block").fit(X)
    with pytest.raises(ValueError, match=r"init_params: expected one of"):
        GaussianMixture(init_params="ward").fit(X)
    with pytest.raises(ValueError, match=r"Expected n_samples >= n_components but got n_components = 5, n_samples = 4"):
        GaussianMixture(5).fit(X[:4])
    with pytest.raises(ValueError, match=r"weights_init: expected weights that sum to 1, got a sum of 0.90000"):
        GaussianMixture(2, weights_init=[0.5, 0.4]).fit(X)
    with pytest.raises(ValueError, match=r"means_init: expected shape \(2, 4\), got \(2, 3\)"):
        GaussianMixture(2, means_init=np.zeros((2, 3))).fit(X)
    with pytest.raises(ValueError, match=r"precisions_init: 'full' precision 1 must be symmetric, positive-definite"):
        GaussianMixture(2, precisions_init=np.stack([np.eye(4), -np.eye(4)])).fit(X)
    with pytest.raises(ValueError, match=r"precisions_init: 'diag' precisions must be positive"):
        GaussianMixture(2, covariance_type="diag", precisions_init=-np.ones((2, 4))).fit(X)
    with pytest.raises(ValueError, match="ill-defined empirical covariance"):
        GaussianMixture(2, reg_covar=0.0, means_init=[[0, 0], [1, 1]]).fit(np.array([[0.0, 0], [0, 0], [1, 1]]))
    with pytest.raises(ValueError, match="not fitted"):
        GaussianMixture().predict(X)
    gm = GaussianMixture(2, random_state=0).fit(X)
    with pytest.raises(ValueError, match="X has 3 features, but GaussianMixture is expecting 4 features"):
        gm.predict(X[:, :3])
    with pytest.raises(ValueError, match=r"n_samples: expected an int >= 1, got 0"):
        gm.sample(0)
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        GaussianMixture(3, max_iter=1, random_state=0).fit(X)
