"""LogisticRegression: scikit-learn's probabilities on real data over 5 splits (both solvers, binary
and multinomial, weights, sparse text), the objective against a brute-force check, properties,
stability on separable data and error messages."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import check_grad

from mlcanon.classic.logistic import LogisticRegression, _BinaryLoss, _MultinomialLoss

sk_lm = pytest.importorskip("sklearn.linear_model")
from sklearn import datasets  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

SEEDS = [0, 1, 2, 3, 4]
TIGHT = {"tol": 1e-10, "max_iter": 5000}  # both fitted to convergence, so the optimum is compared



@pytest.fixture(autouse=True, scope="module")
def _one_blas_thread():
    """One BLAS thread for ours and scikit-learn alike: on a shared 2-core runner, BLAS threads
    fighting over the cores make these small fits ~10x slower without changing a number."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield

@pytest.fixture(scope="module")
def tabular():
    out = {}
    for name in ("iris", "wine", "breast_cancer", "digits"):
        X, y = getattr(datasets, f"load_{name}")(return_X_y=True)
        out[name] = (StandardScaler().fit_transform(X), y)
    return out


@pytest.fixture(scope="module")
def sst2_counts():
    """Real text: 2,000 SST-2 sentences (binary sentiment) as a sparse word-count matrix."""
    from sklearn.feature_extraction.text import CountVectorizer

    from mlcanon import data

    train, test = data.load("sst2", "train"), data.load("sst2", "test")
    vec = CountVectorizer(min_df=3)
    Xtr = vec.fit_transform(train.texts[:2000])
    return Xtr, np.array(train.labels[:2000]), vec.transform(test.texts[:500]), np.array(test.labels[:500])


def _fit_both(X, y, sample_weight=None, **kw):
    ours = LogisticRegression(**kw).fit(X, y, sample_weight=sample_weight)
    ref = sk_lm.LogisticRegression(**kw).fit(X, y, sample_weight=sample_weight)
    return ours, ref


# ---- parity with scikit-learn ------------------------------------------------------------------


@pytest.mark.parametrize("dataset", ["iris", "wine", "breast_cancer", "digits"])
def test_same_probabilities_as_sklearn_on_5_splits(tabular, dataset):
    X, y = tabular[dataset]
    solver = "newton-cg" if dataset == "digits" else "lbfgs"  # digits: fewer iterations to the same optimum
    for seed in SEEDS:
        Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.3, random_state=seed, stratify=y)
        ours, ref = _fit_both(Xtr, ytr, solver=solver, **TIGHT)
        np.testing.assert_allclose(ours.predict_proba(Xte), ref.predict_proba(Xte), rtol=0, atol=1e-6)
        assert abs(ours.score(Xte, yte) - ref.score(Xte, yte)) <= 0.01
        np.testing.assert_allclose(ours.coef_, ref.coef_, atol=1e-4)


@pytest.mark.parametrize("solver", ["lbfgs", "newton-cg"])
@pytest.mark.parametrize("kw", [
    {},
    {"C": 0.05},
    {"C": 10.0, "fit_intercept": False},
    {"class_weight": "balanced"},
    {"class_weight": {0: 3.0, 1: 1.0, 2: 0.5}},
    {"penalty": None},
])
def test_options_match_sklearn(tabular, solver, kw):
    X, y = tabular["wine"]
    kw = dict(kw)
    if kw.get("penalty", "l2") is None:
        kw.pop("penalty")
        ours = LogisticRegression(penalty=None, solver=solver, **TIGHT, **kw).fit(X, y)
        ref = sk_lm.LogisticRegression(C=np.inf, solver=solver, **TIGHT, **kw).fit(X, y)
        # separable wine: the unpenalised optimum is at infinity, so compare predictions, not weights; exact on
        # any CPU as the argmax of well-separated values (the two best probabilities differ by > 0.99 here)
        np.testing.assert_array_equal(ours.predict(X), ref.predict(X))
        return
    ours, ref = _fit_both(X, y, solver=solver, **TIGHT, **kw)
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), rtol=0, atol=1e-6)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, atol=1e-5)


def test_binary_with_sample_weight_and_balanced_classes_matches_sklearn(tabular):
    X, y = tabular["breast_cancer"]
    w = np.random.RandomState(0).uniform(0.2, 3.0, len(y))
    for solver in ("lbfgs", "newton-cg"):
        ours, ref = _fit_both(X, y, sample_weight=w, solver=solver, class_weight="balanced", C=0.3, **TIGHT)
        np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), rtol=0, atol=1e-6)
        np.testing.assert_allclose(ours.decision_function(X), ref.decision_function(X), atol=1e-5)


def test_same_probabilities_as_sklearn_on_sparse_text(sst2_counts):
    Xtr, ytr, Xte, yte = sst2_counts
    ours, ref = _fit_both(Xtr, ytr, **TIGHT)
    np.testing.assert_allclose(ours.predict_proba(Xte), ref.predict_proba(Xte), rtol=0, atol=1e-6)
    assert ours.score(Xte, yte) == pytest.approx(ref.score(Xte, yte), abs=0.01)
    dense = LogisticRegression(**TIGHT).fit(Xtr.toarray(), ytr)
    np.testing.assert_allclose(dense.predict_proba(Xte.toarray()), ours.predict_proba(Xte), atol=1e-7)


def test_default_tolerance_is_sklearns(tabular):
    # Same objective, same L-BFGS-B options: even at the default tol the iterates stay together.
    X, y = tabular["breast_cancer"]
    ours, ref = _fit_both(X, y)
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-6)
    # L-BFGS-B stops on max|projected gradient| <= tol, a float test on gradients that the two sides sum in
    # different orders (BLAS kernels differ per CPU): a step landing within rounding of tol may stop one
    # iteration apart (the same iteration on the CPUs seen); one step at this tol moves p by < 1e-6, checked above
    assert abs(ours.n_iter_[0] - ref.n_iter_[0]) <= 1


# ---- the objective and its derivatives ---------------------------------------------------------


def test_binary_objective_by_hand_and_gradient_by_finite_differences():
    rng = np.random.RandomState(0)
    X, y, sw = rng.randn(30, 4), rng.randint(0, 2, 30).astype(float), rng.uniform(0.5, 2, 30)
    loss = _BinaryLoss(X, y, sw, l2=0.1, fit_intercept=True)
    w = rng.randn(5)
    z = X @ w[:4] + w[4]
    by_hand = np.sum(sw * (np.log1p(np.exp(z)) - y * z)) / sw.sum() + 0.05 * w[:4] @ w[:4]
    assert loss.loss_gradient(w)[0] == pytest.approx(by_hand, rel=1e-12)
    f = lambda v: loss.loss_gradient(v)[0]  # noqa: E731
    g = lambda v: loss.loss_gradient(v)[1]  # noqa: E731
    assert check_grad(f, g, w) < 1e-6
    grad, hessp = loss.hessp_at(w)
    s = rng.randn(5)
    fd = (g(w + 1e-6 * s) - g(w - 1e-6 * s)) / 2e-6
    np.testing.assert_allclose(hessp(s), fd, rtol=1e-5, atol=1e-7)


def test_multinomial_gradient_and_hessian_by_finite_differences():
    rng = np.random.RandomState(1)
    X, y = rng.randn(40, 3), rng.randint(0, 4, 40)
    loss = _MultinomialLoss(X, y, 4, np.ones(40), l2=0.05, fit_intercept=True)
    w = rng.randn(16)
    f = lambda v: loss.loss_gradient(v)[0]  # noqa: E731
    g = lambda v: loss.loss_gradient(v)[1]  # noqa: E731
    assert check_grad(f, g, w) < 1e-6
    _, hessp = loss.hessp_at(w)
    s = rng.randn(16)
    fd = (g(w + 1e-6 * s) - g(w - 1e-6 * s)) / 2e-6
    np.testing.assert_allclose(hessp(s), fd, rtol=1e-5, atol=1e-7)


def test_no_overflow_warning_on_separable_data():
    X = np.array([[-1000.0], [-999.0], [999.0], [1000.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        clf = LogisticRegression(penalty=None, max_iter=200).fit(X, [0, 0, 1, 1])
        logp = clf.predict_log_proba(X)
    assert np.isfinite(logp).all()
    np.testing.assert_array_equal(clf.predict(X), [0, 0, 1, 1])


# ---- properties --------------------------------------------------------------------------------


@settings(max_examples=15)
@given(n_classes=st.integers(2, 4), seed=st.integers(0, 1000), C=st.floats(0.01, 100.0))
def test_probabilities_sum_to_one_and_gradient_vanishes(n_classes, seed, C):
    rng = np.random.RandomState(seed)
    X = rng.randn(40, 3)
    y = np.arange(40) % n_classes
    clf = LogisticRegression(C=C, tol=1e-8, max_iter=1000).fit(X, y)
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-12)
    np.testing.assert_allclose(np.exp(clf.predict_log_proba(X)), proba, atol=1e-12)
    # first-order optimality of the penalised mean log-loss: X^T (P - Y) / n + W / (C n) = 0
    Y = (y[:, None] == clf.classes_[None, :]).astype(float)
    if n_classes == 2:
        g = X.T @ (proba[:, 1] - Y[:, 1]) / 40 + clf.coef_[0] / (C * 40)
    else:
        g = (proba - Y).T @ X / 40 + clf.coef_ / (C * 40)
    assert np.abs(g).max() < 1e-6


def test_duplicated_rows_equal_integer_sample_weights(tabular):
    X, y = tabular["iris"]
    w = np.random.RandomState(2).randint(0, 4, len(y))
    a = LogisticRegression(**TIGHT).fit(X, y, sample_weight=w)
    b = LogisticRegression(**TIGHT).fit(np.repeat(X, w, axis=0), np.repeat(y, w))
    np.testing.assert_allclose(a.predict_proba(X), b.predict_proba(X), atol=1e-7)


def test_class_weight_equals_sample_weight(tabular):
    X, y = tabular["wine"]
    cw = {0: 2.0, 1: 0.5, 2: 1.5}
    a = LogisticRegression(class_weight=cw, **TIGHT).fit(X, y)
    b = LogisticRegression(**TIGHT).fit(X, y, sample_weight=np.array([cw[k] for k in y]))
    np.testing.assert_allclose(a.coef_, b.coef_, atol=1e-8)


def test_warm_start_converges_in_fewer_iterations(tabular):
    X, y = tabular["breast_cancer"]
    clf = LogisticRegression(warm_start=True, tol=1e-8, max_iter=1000).fit(X, y)
    first = clf.n_iter_[0]
    clf.fit(X, y)
    assert clf.n_iter_[0] < first


# ---- check_estimator and bad input -------------------------------------------------------------


def test_check_estimator():
    from sklearn.utils.estimator_checks import check_estimator

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = check_estimator(LogisticRegression(), on_fail=None)
    failed = [(r["check_name"], r["exception"]) for r in results if r["status"] == "failed"]
    assert not failed


def test_bad_input():
    # The bad input every classifier shares is tested in test_classifiers_bad_input.py.
    with pytest.raises(ValueError, match="Sample weights must contain at least one non-zero number"):
        LogisticRegression().fit([[1.0, 2.0], [0.0, 1.0]], [0, 1], sample_weight=[0.0, 0.0])


def test_option_errors():
    X, y = [[1.0, 2.0], [0.0, 1.0]], [0, 1]
    with pytest.raises(ValueError, match="penalty: expected one of 'l2', None, got 'l1'"):
        LogisticRegression(penalty="l1").fit(X, y)
    with pytest.raises(ValueError, match="solver: expected one of 'lbfgs', 'newton-cg', got 'saga'"):
        LogisticRegression(solver="saga").fit(X, y)
    with pytest.raises(ValueError, match="C: expected a number > 0, got -1"):
        LogisticRegression(C=-1).fit(X, y)
    with pytest.raises(ValueError, match="max_iter: expected an int >= 0, got -5"):
        LogisticRegression(max_iter=-5).fit(X, y)
    with pytest.raises(TypeError, match="fit_intercept: expected a bool"):
        LogisticRegression(fit_intercept="yes").fit(X, y)
    with pytest.raises(ValueError, match="class_weight: expected None, 'balanced' or a dict, got 'auto'"):
        LogisticRegression(class_weight="auto").fit(X, y)
    with pytest.raises(ValueError, match=r"class_weight: keys \[7\] are not class labels"):
        LogisticRegression(class_weight={0: 1.0, 1: 2.0, 7: 1.0}).fit(X, y)
    from mlcanon.classic._linear_utils import ConvergenceWarning

    Xb, yb = datasets.load_breast_cancer(return_X_y=True)
    with pytest.warns(ConvergenceWarning, match="lbfgs failed to converge after 2 iteration"):
        LogisticRegression(max_iter=2).fit(Xb, yb)
    with pytest.warns(ConvergenceWarning, match="newton-cg failed to converge"):
        LogisticRegression(solver="newton-cg", max_iter=1).fit(Xb, yb)
    sparse_nan = sp.csr_matrix(np.array([[np.nan, 1.0], [0.0, 1.0]]))
    with pytest.raises(ValueError, match="X: expected finite values, got NaN or infinity in the sparse matrix"):
        LogisticRegression().fit(sparse_nan, y)
