"""SVC: the same solution as scikit-learn's libsvm on real data (same support vectors, dual coefficients,
decision values, iteration counts), a hand-checkable margin, the KKT conditions as a property, options, and
error messages."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlcanon.classic.svm import SVC

sk_svm = pytest.importorskip("sklearn.svm")
from sklearn.datasets import load_breast_cancer, load_digits, load_iris, load_wine  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402


def SkSVC(**kw):
    # scikit-learn 1.9 warns that its `probability` parameter is deprecated unless it is left alone
    return sk_svm.SVC(**kw)


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        yield


def _data(name):
    loader = {"iris": load_iris, "wine": load_wine, "breast_cancer": load_breast_cancer, "digits": load_digits}[name]
    X, y = loader(return_X_y=True)
    return X, y


def _split(name, seed):
    X, y = _data(name)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.3, random_state=seed, stratify=y)
    scaler = StandardScaler().fit(Xtr)
    return scaler.transform(Xtr), scaler.transform(Xte), ytr, yte


# ---- a case to check by hand ----------------------------------------------------------------------


def test_two_points_hand_checked_margin():
    # x = -1 (class 0) and x = +1 (class 1): the widest margin is w = 1, b = 0; w = sum a_i y_i x_i = 2a gives
    # a = 1/2 on both points.
    X = np.array([[-1.0], [1.0]])
    clf = SVC(kernel="linear", C=10.0).fit(X, [0, 1])
    np.testing.assert_allclose(clf.dual_coef_, [[-0.5, 0.5]], atol=1e-12)
    np.testing.assert_allclose(clf.intercept_, [0.0], atol=1e-12)
    np.testing.assert_allclose(clf.coef_, [[1.0]], atol=1e-12)
    np.testing.assert_allclose(clf.decision_function([[-3.0], [0.25], [2.0]]), [-3.0, 0.25, 2.0], atol=1e-12)
    assert clf.support_.tolist() == [0, 1] and clf.n_support_.tolist() == [1, 1]


def test_soft_margin_caps_alpha_at_C():
    # overlapping classes: the points on the wrong side are bounded support vectors, |y_i a_i| = C
    X = np.array([[-2.0], [-1.0], [0.5], [-0.5], [1.0], [2.0]])
    y = np.array([0, 0, 0, 1, 1, 1])
    clf = SVC(kernel="linear", C=0.7).fit(X, y)
    assert np.abs(clf.dual_coef_).max() == pytest.approx(0.7)
    np.testing.assert_allclose(clf.dual_coef_.sum(), 0.0, atol=1e-12)  # sum_i y_i a_i = 0


# ---- parity with scikit-learn (libsvm) on real data ------------------------------------------------


def _assert_same_model(ours, ref, X_test):
    assert np.array_equal(ours.support_, ref.support_)
    assert np.array_equal(ours.n_support_, ref.n_support_)
    np.testing.assert_allclose(ours.dual_coef_, ref.dual_coef_, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(ours.support_vectors_, ref.support_vectors_)
    np.testing.assert_allclose(ours.decision_function(X_test), ref.decision_function(X_test), rtol=1e-9, atol=1e-9)
    # the same sequence of SMO steps: kernel values are rounded to float32 as in libsvm, but our dot products sum
    # in another order than OpenBLAS's ddot, so a tie can break the other way now and then (2 of the 80 fits of
    # the real-data test take one more step, to the same model)
    assert np.abs(ours.n_iter_ - ref.n_iter_).max() <= 1
    assert np.array_equal(ours.predict(X_test), ref.predict(X_test))


@pytest.mark.parametrize("name", ["iris", "wine", "breast_cancer", "digits"])
@pytest.mark.parametrize("kernel", ["linear", "rbf", "poly", "sigmoid"])
def test_same_model_as_sklearn_on_real_data(name, kernel):
    seeds = range(5) if name != "digits" else range(2)  # digits: 2 seeds here, 5 in the slow test below
    for seed in seeds:
        Xtr, Xte, ytr, yte = _split(name, seed)
        ours = SVC(kernel=kernel).fit(Xtr, ytr)
        ref = SkSVC(kernel=kernel).fit(Xtr, ytr)
        _assert_same_model(ours, ref, Xte)
        assert abs(ours.score(Xte, yte) - ref.score(Xte, yte)) <= 0.01


@pytest.mark.slow
@pytest.mark.parametrize("kernel", ["linear", "rbf", "poly", "sigmoid"])
def test_same_model_as_sklearn_on_digits_five_seeds(kernel):
    for seed in range(5):
        Xtr, Xte, ytr, yte = _split("digits", seed)
        _assert_same_model(SVC(kernel=kernel).fit(Xtr, ytr), SkSVC(kernel=kernel).fit(Xtr, ytr), Xte)


OPTIONS = [
    dict(shrinking=False),
    dict(cache_size=0.05),  # two cached rows: exercises the LRU eviction
    dict(class_weight="balanced"),
    dict(class_weight={0: 3.0, 5: 0.5}),
    dict(C=10.0, gamma=0.05),
    dict(C=0.05),
    dict(kernel="poly", degree=2, coef0=1.0, gamma="auto"),
    dict(kernel="sigmoid", gamma=0.01, coef0=-0.5),
    dict(decision_function_shape="ovo"),
    dict(break_ties=True),
    dict(tol=0.1),
    dict(kernel="linear", C=0.01),
]


@pytest.mark.parametrize("kw", OPTIONS, ids=lambda kw: ",".join(f"{k}={v}" for k, v in kw.items()))
def test_options_same_as_sklearn(kw):
    X, y = _data("digits")
    X, y = X[:700] / 16.0, y[:700]
    _assert_same_model(SVC(**kw).fit(X, y), SkSVC(**kw).fit(X, y), X)


def test_max_iter_stops_like_libsvm_and_warns():
    X, y = _data("digits")
    X, y = X[:500] / 16.0, y[:500]
    with pytest.warns(UserWarning, match=r"Solver terminated early \(max_iter=20\)"):
        ours = SVC(max_iter=20).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = SkSVC(max_iter=20).fit(X, y)
    assert ours.fit_status_ == ref.fit_status_ == 1
    _assert_same_model(ours, ref, X)


def test_sample_weight_same_as_sklearn():
    X, y = _data("wine")
    X = StandardScaler().fit_transform(X)
    w = np.random.RandomState(0).uniform(0.1, 3.0, len(y))
    _assert_same_model(SVC().fit(X, y, sample_weight=w), SkSVC().fit(X, y, sample_weight=w), X)


def test_zero_sample_weight_drops_the_sample():
    # libsvm removes weight-0 samples; scikit-learn's support_ then counts positions in the reduced set, ours
    # are positions in X (so that X[support_] == support_vectors_): compare through the shift.
    X, y = _data("wine")
    X = StandardScaler().fit_transform(X)
    w = np.ones(len(y))
    w[:10] = 0.0
    ours = SVC().fit(X, y, sample_weight=w)
    ref = SkSVC().fit(X, y, sample_weight=w)
    np.testing.assert_allclose(ours.support_vectors_, X[ours.support_])
    assert np.array_equal(ours.support_, ref.support_ + 10)
    np.testing.assert_allclose(ours.dual_coef_, ref.dual_coef_, atol=1e-9)
    np.testing.assert_allclose(ours.decision_function(X), ref.decision_function(X), atol=1e-9)


def test_precomputed_and_callable_kernels_same_as_sklearn():
    Xtr, Xte, ytr, _ = _split("iris", 0)
    K, Kte = Xtr @ Xtr.T, Xte @ Xtr.T
    _assert_same_model(SVC(kernel="precomputed").fit(K, ytr), SkSVC(kernel="precomputed").fit(K, ytr), Kte)

    def kern(A, B):
        return (A @ B.T + 1.0) ** 2

    _assert_same_model(SVC(kernel=kern).fit(Xtr, ytr), SkSVC(kernel=kern).fit(Xtr, ytr), Xte)


def test_binary_string_labels_and_coef():
    X, y = _data("breast_cancer")
    X = StandardScaler().fit_transform(X)
    labels = np.where(y == 1, "benign", "malignant")
    ours = SVC(kernel="linear").fit(X, labels)
    ref = SkSVC(kernel="linear").fit(X, labels)
    _assert_same_model(ours, ref, X)
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=1e-9)
    np.testing.assert_allclose(ours.decision_function(X), X @ ours.coef_.ravel() + ours.intercept_, atol=1e-9)
    with pytest.raises(ValueError):
        ours.coef_[0, 0] = 1.0  # read-only, as scikit-learn's


def test_multiclass_coef_is_one_vs_one_weights():
    X, y = _data("iris")
    ours = SVC(kernel="linear").fit(X, y)
    ref = SkSVC(kernel="linear").fit(X, y)
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=1e-9)
    with pytest.raises(AttributeError, match="only available when using a linear kernel"):
        SVC().fit(X, y).coef_


@pytest.mark.parametrize("gamma", ["scale", "auto"])
def test_gamma_resolution_equals_sklearn(gamma):
    X, y = _data("wine")  # unscaled: the variance matters
    assert SVC(gamma=gamma).fit(X, y)._gamma == pytest.approx(SkSVC(gamma=gamma).fit(X, y)._gamma, rel=1e-15)
    assert SVC(gamma=gamma).fit(X, y)._gamma == (1 / (X.shape[1] * X.var()) if gamma == "scale" else 1 / X.shape[1])


def test_gamma_scale_of_constant_X_is_one():
    X, y = np.full((4, 3), 2.0), [0, 1, 0, 1]
    assert SVC().fit(X, y)._gamma == SkSVC().fit(X, y)._gamma == 1.0


# ---- KKT conditions at the solution (property) -----------------------------------------------------


@settings(max_examples=25)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(8, 60),
    C=st.sampled_from([0.1, 1.0, 10.0]),
    kernel=st.sampled_from(["linear", "rbf", "poly"]),
    tol=st.sampled_from([1e-3, 1e-5]),
)
def test_kkt_conditions_hold_within_tol(seed, n, C, kernel, tol):
    rng = np.random.RandomState(seed)
    X = rng.randn(n, 3)
    y = (X[:, 0] + 0.5 * rng.randn(n) > 0).astype(int)
    if len(np.unique(y)) < 2:
        y[0] = 1 - y[0]
    clf = SVC(kernel=kernel, C=C, tol=tol).fit(X, y)
    ys = np.where(y == 1, 1.0, -1.0)
    alpha = np.zeros(n)
    alpha[clf.support_] = np.abs(clf.dual_coef_[0])
    margin = ys * clf.decision_function(X)  # y_i f(x_i)
    # libsvm's stopping rule m(a) - M(a) < tol bounds every violation of y_i f(x_i) vs 1 by tol; the solver's
    # kernel values are float32 (libsvm's Qfloat), each within 2^-24 relative of the float64 ones f uses here
    K = {"linear": X @ X.T, "rbf": np.ones(1), "poly": (clf._gamma * X @ X.T) ** 3}[kernel]
    slack = tol + 1e-9 + 2.0**-23 * alpha.sum() * np.abs(K).max()
    free = (alpha > 0) & (alpha < C)
    assert np.all(np.abs(margin[free] - 1) <= slack)
    assert np.all(margin[alpha == 0] >= 1 - slack)
    assert np.all(margin[alpha >= C] <= 1 + slack)
    np.testing.assert_allclose(np.sum(clf.dual_coef_), 0.0, atol=1e-9)  # sum_i y_i a_i = 0
    assert np.all(alpha <= C) and np.all(np.abs(clf.dual_coef_) > 0)


# ---- scikit-learn's estimator checks --------------------------------------------------------------


@pytest.mark.parametrize("params", [dict(), dict(kernel="precomputed")])
def test_sklearn_check_estimator(params):
    from sklearn.utils.estimator_checks import check_estimator

    # skipped, with scikit-learn's own reason for its SVC (its PER_ESTIMATOR_XFAIL_CHECKS): libsvm's
    # per-sample C is not equivalent to repeating samples, and the same holds here since the solver is libsvm's.
    expected = {
        "check_sample_weight_equivalence_on_dense_data":
            "sample_weight is not equivalent to removing/repeating samples (as in scikit-learn's SVC).",
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_estimator(SVC(**params), expected_failed_checks=expected)


# ---- bad input --------------------------------------------------------------------------------------


def test_bad_input_is_rejected_with_a_clear_message():
    X, y = _data("iris")
    with pytest.raises(ValueError, match="X: expected finite values, got NaN"):
        SVC().fit(np.where(np.arange(X.size).reshape(X.shape) == 3, np.nan, X), y)
    with pytest.raises(ValueError, match="X: expected finite values, got infinity"):
        SVC().fit(np.where(np.arange(X.size).reshape(X.shape) == 3, np.inf, X), y)
    with pytest.raises(ValueError, match="X: expected a 2-D array, got shape"):
        SVC().fit(X[:, 0], y)
    with pytest.raises(ValueError, match="inconsistent|same length|samples"):
        SVC().fit(X, y[:-1])
    with pytest.raises(ValueError, match=r"y: SVC needs samples of at least 2 classes, got 1 class \(0\)"):
        SVC().fit(X[:50], y[:50])
    with pytest.raises(ValueError, match="Unknown label type: continuous"):
        SVC().fit(X, y + 0.5)


def test_predict_before_fit_and_wrong_n_features():
    from mlcanon.classic._base import NotFittedError

    X, y = _data("iris")
    with pytest.raises(NotFittedError, match="not fitted yet"):
        SVC().predict(X)
    with pytest.raises(NotFittedError, match="not fitted yet"):
        SVC().decision_function(X)
    clf = SVC().fit(X, y)
    with pytest.raises(ValueError, match="X has 3 features, but SVC is expecting 4 features"):
        clf.predict(X[:, :3])
    K = X @ X.T
    pre = SVC(kernel="precomputed").fit(K, y)
    with pytest.raises(ValueError, match="X has 10 features, but SVC is expecting 150 features"):
        pre.predict(K[:, :10])
    with pytest.raises(ValueError, match="precomputed kernel must be a square matrix"):
        SVC(kernel="precomputed").fit(K[:, :10], y)


@pytest.mark.parametrize(
    "kw, match",
    [
        (dict(C=0.0), r"C: expected a float > 0, got 0.0"),
        (dict(C=-1), r"C: expected a float > 0, got -1"),
        (dict(kernel="laplace"), r"kernel: expected one of .* or a callable, got 'laplace'"),
        (dict(gamma="big"), r"gamma: expected 'scale', 'auto' or a float >= 0, got 'big'"),
        (dict(gamma=-0.1), r"gamma: expected 'scale', 'auto' or a float >= 0, got -0.1"),
        (dict(degree=-1), r"degree: expected an int >= 0, got -1"),
        (dict(degree=2.5), r"degree: expected an int >= 0, got 2.5"),
        (dict(tol=0), r"tol: expected a float > 0, got 0"),
        (dict(cache_size=0), r"cache_size: expected a float > 0 \(MB\), got 0"),
        (dict(max_iter=-2), r"max_iter: expected an int >= -1"),
        (dict(coef0=np.inf), r"coef0: expected a finite float"),
        (dict(decision_function_shape="ova"), r"decision_function_shape: expected 'ovr' or 'ovo', got 'ova'"),
        (dict(class_weight="auto"), r"class_weight: expected None, 'balanced' or a dict, got 'auto'"),
        (dict(class_weight={7: 2.0}), r"class_weight: the classes \[7\] are not in y"),
        (dict(probability=True), r"probability=True is not supported .*CalibratedClassifierCV"),
    ],
)
def test_bad_parameters(kw, match):
    X, y = _data("iris")
    with pytest.raises(ValueError, match=match):
        SVC(**kw).fit(X, y)


def test_bad_sample_weight_and_break_ties():
    X, y = _data("iris")
    with pytest.raises(ValueError, match=r"sample_weight: expected shape \(150,\), got \(3,\)"):
        SVC().fit(X, y, sample_weight=[1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="all samples have zero or negative weights"):
        SVC().fit(X, y, sample_weight=np.zeros(150))
    with pytest.raises(ValueError, match="positive weights belong to the same class"):
        SVC().fit(X, y, sample_weight=(y == 0).astype(float))
    with pytest.raises(ValueError, match=r"every class needs a sample of positive weight; classes \[2\]"):
        SVC().fit(X, y, sample_weight=(y != 2).astype(float))
    with pytest.raises(ValueError, match="break_ties must be False when decision_function_shape is 'ovo'"):
        SVC(break_ties=True, decision_function_shape="ovo").fit(X, y).predict(X)
