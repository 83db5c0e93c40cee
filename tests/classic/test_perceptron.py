"""Perceptron: the same weights as scikit-learn's (same updates, same shuffles) on real data over 5
splits and every option, Novikoff's convergence on separable data, the dual form, error messages."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from mlcanon.classic.perceptron import Perceptron, _fisher_yates

sk_lm = pytest.importorskip("sklearn.linear_model")
from sklearn import datasets  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

SEEDS = [0, 1, 2, 3, 4]


@pytest.fixture(autouse=True, scope="module")
def _one_blas_thread():
    """One BLAS thread for ours and scikit-learn alike (a shared 2-core runner; no number changes)."""
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
def trec_tfidf():
    from sklearn.feature_extraction.text import TfidfVectorizer

    from mlcanon import data

    train, test = data.load("trec", "train"), data.load("trec", "test")
    vec = TfidfVectorizer(min_df=2)
    coarse = lambda labels: np.array([lab.split(":")[0] for lab in labels])  # noqa: E731
    return vec.fit_transform(train.texts), coarse(train.labels), vec.transform(test.texts), coarse(test.labels)


def _fit_both(X, y, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # max_iter convergence warnings, alike on both sides
        return Perceptron(**kw).fit(X, y), sk_lm.Perceptron(**kw).fit(X, y)


# ---- parity with scikit-learn ------------------------------------------------------------------


def test_shuffle_is_sklearns_fisher_yates():
    from sklearn.utils._seq_dataset import ArrayDataset64

    n, seed = 97, 123456789
    ds = ArrayDataset64(np.zeros((n, 1)), np.arange(n, dtype=np.float64), np.ones(n), seed=1)
    order = np.arange(n, dtype=np.int32)
    for _ in range(3):  # the same seed every epoch: the permutation composes with itself
        ds._shuffle_py(seed)
        _fisher_yates(order, seed)
        visited = [int(ds._next_py()[3]) for _ in range(n)]  # y = the row's index
        np.testing.assert_array_equal(order, visited)


@pytest.mark.parametrize("dataset", ["iris", "wine", "breast_cancer", "digits"])
def test_same_weights_as_sklearn_on_5_splits(tabular, dataset):
    X, y = tabular[dataset]
    for seed in SEEDS:
        Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.3, random_state=seed, stratify=y)
        ours, ref = _fit_both(Xtr, ytr, random_state=seed)
        np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose(ours.intercept_, ref.intercept_, rtol=1e-10, atol=1e-10)
        # exact on any CPU: both sides make the same float64 operations in the same order (scalar loops, no BLAS,
        # no libm, no fastmath: the weights are bit-identical, not just close), so the epoch losses that decide
        # the stop are too
        assert ours.n_iter_ == ref.n_iter_
        assert abs(ours.score(Xte, yte) - ref.score(Xte, yte)) <= 0.01


@pytest.mark.parametrize("kw", [
    {"penalty": "l2", "alpha": 1e-3},
    {"penalty": "l1", "alpha": 1e-4},
    {"penalty": "elasticnet", "alpha": 1e-4, "l1_ratio": 0.5},
    {"class_weight": "balanced", "random_state": 7},
    {"class_weight": {0: 2.0, 1: 1.0, 2: 0.5}},
    {"fit_intercept": False, "eta0": 0.1},
    {"shuffle": False, "max_iter": 7, "tol": None},
    {"tol": 1e-1, "n_iter_no_change": 2},
    {"random_state": np.random.RandomState(3)},
])
def test_options_give_sklearns_weights(tabular, kw):
    X, y = tabular["wine"]
    ours, ref = _fit_both(X, y, **{k: v for k, v in kw.items() if k != "random_state"},
                          random_state=kw.get("random_state", 0))
    if isinstance(kw.get("random_state"), np.random.RandomState):  # a RandomState is consumed: refit both fresh
        ours = Perceptron(random_state=np.random.RandomState(3)).fit(X, y)
        ref = sk_lm.Perceptron(random_state=np.random.RandomState(3)).fit(X, y)
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, rtol=1e-10, atol=1e-10)
    assert ours.n_iter_ == ref.n_iter_  # exact: the same scalar float64 updates in the same order (see above)


def test_binary_and_sample_weight_give_sklearns_weights(tabular):
    X, y = tabular["breast_cancer"]
    w = np.random.RandomState(0).uniform(0.1, 2.0, len(y))
    ours = Perceptron(random_state=2).fit(X, y, sample_weight=w)
    ref = sk_lm.Perceptron(random_state=2).fit(X, y, sample_weight=w)
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(ours.decision_function(X), ref.decision_function(X), rtol=1e-9, atol=1e-9)


def test_partial_fit_gives_sklearns_weights(tabular):
    X, y = tabular["digits"]
    ours, ref = Perceptron(random_state=4), sk_lm.Perceptron(random_state=4)
    for _ in range(2):  # two passes over the stream, in three batches
        for start in range(0, len(y), 600):
            batch = slice(start, start + 600)
            ours.partial_fit(X[batch], y[batch], classes=np.unique(y))
            ref.partial_fit(X[batch], y[batch], classes=np.unique(y))
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, rtol=1e-10, atol=1e-10)
    assert ours.t_ == ref.t_  # an integer count of updates: exact


def test_sparse_text_gives_sklearns_weights(trec_tfidf):
    Xtr, ytr, Xte, yte = trec_tfidf
    ours, ref = _fit_both(Xtr, ytr)
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-9, atol=1e-9)
    # exact: the weights are bit-identical and both score through the same scipy.sparse product (no BLAS)
    np.testing.assert_array_equal(ours.predict(Xte), ref.predict(Xte))
    assert ours.score(Xte, yte) == pytest.approx(ref.score(Xte, yte), abs=0.01)


def test_early_stopping_accuracy_within_a_point(tabular):
    # Our stratified hold-out is drawn differently from scikit-learn's, so compare accuracy.
    X, y = tabular["digits"]
    for seed in SEEDS[:3]:
        Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.3, random_state=seed, stratify=y)
        ours, ref = _fit_both(Xtr, ytr, early_stopping=True, random_state=seed)
        assert ours.score(Xte, yte) >= ref.score(Xte, yte) - 0.03  # hold-outs differ: a small margin


# ---- Novikoff, the dual form, properties -------------------------------------------------------


@settings(max_examples=25)
@given(seed=st.integers(0, 10_000), margin=st.floats(0.05, 1.0), n=st.integers(5, 60))
def test_converges_to_zero_training_errors_on_separable_data(seed, margin, n):
    # Novikoff (1962): separable with margin gamma and radius R => at most (R / gamma)^2 mistakes.
    rng = np.random.RandomState(seed)
    u = rng.randn(3)
    u /= np.linalg.norm(u)
    X = rng.uniform(-1, 1, (n, 3))
    X += np.where(X @ u >= 0, margin, -margin)[:, None] * u  # push every point out of the margin band
    y = (X @ u > 0).astype(int)
    if len(np.unique(y)) < 2:
        y[0] = 1 - y[0]
        X[0] = -X[0]
    clf = Perceptron(fit_intercept=False, tol=None, max_iter=1000).fit(X, y)
    assert clf.score(X, y) == 1.0


def test_dual_with_linear_kernel_equals_primal(tabular):
    X, y = tabular["iris"]
    primal = Perceptron(tol=None, max_iter=30).fit(X, y)
    dual = Perceptron(dual=True, tol=None, max_iter=30).fit(X, y)
    np.testing.assert_allclose(dual.coef_, primal.coef_, atol=1e-9)
    np.testing.assert_allclose(dual.intercept_, primal.intercept_, atol=1e-9)
    np.testing.assert_allclose(dual.decision_function(X), primal.decision_function(X), atol=1e-9)


def test_rbf_dual_perceptron_separates_xor():
    X = np.array([[0.0, 0.0], [1.0, 1.0], [0.0, 1.0], [1.0, 0.0]])
    y = [0, 0, 1, 1]
    assert Perceptron().fit(X, y).score(X, y) < 1.0  # no line separates XOR
    assert Perceptron(dual=True, kernel="rbf", gamma=2.0).fit(X, y).score(X, y) == 1.0


def test_hand_checked_first_epoch():
    # no shuffle, eta0 = 1: x1=(1,0) y=+1 -> mistake (w.x+b = 0) -> w=(1,0), b=1;
    # x2=(0,1) y=-1 -> 0*1+1 = 1 > 0, mistake -> w=(1,-1), b=0.
    clf = Perceptron(shuffle=False, max_iter=1, tol=None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit([[1.0, 0.0], [0.0, 1.0]], [1, 0])
    np.testing.assert_allclose(clf.coef_, [[1.0, -1.0]])
    np.testing.assert_allclose(clf.intercept_, [0.0])


def test_warm_start_and_coef_init(tabular):
    X, y = tabular["wine"]
    first = Perceptron(max_iter=3, tol=None).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = Perceptron(max_iter=3, tol=None).fit(X, y, coef_init=first.coef_, intercept_init=first.intercept_)
        ref = sk_lm.Perceptron(max_iter=3, tol=None).fit(X, y, coef_init=first.coef_,
                                                         intercept_init=first.intercept_)
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-10, atol=1e-10)


# ---- check_estimator and bad input -------------------------------------------------------------


EXPECTED_FAILURES = {
    # scikit-learn marks these two xfail for its own Perceptron (instance_generator.py): one epoch of
    # SGD on a repeated row takes two steps, on a weight-2 row one double step — not the same path.
    "check_sample_weight_equivalence_on_dense_data": "SGD: weights are not repeated rows",
    "check_sample_weight_equivalence_on_sparse_data": "SGD: weights are not repeated rows",
}


@pytest.mark.parametrize("dual", [False, True])
def test_check_estimator(dual):
    from sklearn.utils.estimator_checks import check_estimator

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = check_estimator(Perceptron(dual=dual), on_fail=None, expected_failed_checks=EXPECTED_FAILURES)
    failed = [(r["check_name"], r["exception"]) for r in results if r["status"] == "failed"]
    assert not failed


def test_bad_input():
    # The bad input every classifier shares is tested in test_classifiers_bad_input.py.
    with pytest.raises(ValueError, match="Floating-point under-/overflow occurred"):
        Perceptron(eta0=1e300).fit([[1e300, 1e300], [-1e300, 1e300]], [0, 1])


def test_option_errors():
    X, y = [[1.0, 2.0], [0.0, 1.0], [1.0, 1.0]], [0, 1, 2]
    with pytest.raises(ValueError, match="penalty: expected one of None, 'l1', 'l2', 'elasticnet', got 'l3'"):
        Perceptron(penalty="l3").fit(X, y)
    with pytest.raises(ValueError, match="eta0: expected a number > 0.0, got 0.0"):
        Perceptron(eta0=0.0).fit(X, y)
    with pytest.raises(ValueError, match="max_iter: expected an int >= 1, got 0"):
        Perceptron(max_iter=0).fit(X, y)
    with pytest.raises(ValueError, match="n_iter_no_change: expected an int >= 1, got 0"):
        Perceptron(n_iter_no_change=0).fit(X, y)
    with pytest.raises(ValueError, match="validation_fraction: expected a number < 1.0, got 1.0"):
        Perceptron(validation_fraction=1.0).fit(X, y)
    with pytest.raises(ValueError, match="kernel: expected one of 'linear', 'poly', 'rbf', got 'cosine'"):
        Perceptron(kernel="cosine").fit(X, y)
    with pytest.raises(ValueError, match="penalty: the dual perceptron takes no penalty, got 'l2'"):
        Perceptron(dual=True, penalty="l2").fit(X, y)
    with pytest.raises(TypeError, match="Perceptron expects a dense array-like, got a scipy.sparse matrix"):
        Perceptron(dual=True).fit(sp.csr_matrix(np.array(X)), y)
    with pytest.raises(ValueError, match="coef_init: expected shape \\(3, 2\\), got \\(1, 2\\)"):
        Perceptron().fit(X, y, coef_init=np.zeros((1, 2)))
    with pytest.raises(ValueError, match="classes must be passed on the first call to partial_fit"):
        Perceptron().partial_fit(X, y)
    with pytest.raises(ValueError, match="class_weight 'balanced' is not supported for partial_fit"):
        Perceptron(class_weight="balanced").partial_fit(X, y, classes=[0, 1, 2])
    with pytest.raises(AttributeError, match="partial_fit: the dual perceptron cannot stream"):
        Perceptron(dual=True).partial_fit(X, y, classes=[0, 1, 2])
    with pytest.raises(ValueError, match=r"The target label\(s\) \[9\] in y do not exist"):
        Perceptron().partial_fit(X, y, classes=[0, 1, 2]).partial_fit(X, [0, 1, 9])
    with pytest.raises(ValueError, match="validation_fraction: splitting 3 samples .* left an empty"):
        Perceptron(early_stopping=True).fit(X, y)
    from mlcanon.classic._linear_utils import ConvergenceWarning

    with pytest.warns(ConvergenceWarning, match="Maximum number of iteration reached before convergence"):
        Perceptron(max_iter=1).fit(*datasets.load_iris(return_X_y=True))
