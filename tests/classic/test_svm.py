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

# An SV whose |y_i a_i| is below _ZERO times the largest |y_j a_j| of the fit is numerically zero: the a_i are
# differences of O(C) quantities, so rounding leaves ~1e-16 * C where the exact a_i is 0 (seen: 1.7e-16 on
# iris), and whether such an a_i ends up +1e-16, 0 or -1e-16 depends on the summation order of the kernel dot
# products (OpenBLAS's ddot in libsvm, a dot kernel per CPU; NumPy/numba on our side). 1e-12 is ~4500 ulps of
# C and still 1e8 times below the smallest a_i that means something on these data (~1e-4).
_ZERO = 1e-12
# Two SMO runs that take the same steps agree on a_i, b and f(x) to rounding, ~1e-14 here (the gradient is a
# float64 sum over float32 kernel rows whose order differs); 1e-9 leaves room for badly conditioned 2x2 steps
# (the step is divided by the curvature K_ii + K_jj - 2 K_ij) and still catches any wrong step.
_CLOSE = 1e-9


def _ovo(model, X):
    """libsvm's raw decision values (n_samples, n_pairs); column p > 0 votes for the first class of pair p."""
    shape, model.decision_function_shape = model.decision_function_shape, "ovo"
    try:
        d = model.decision_function(X)
    finally:
        model.decision_function_shape = shape
    return -d[:, None] if d.ndim == 1 else d  # binary: the public value is -f (> 0 means classes_[1])


def _machine_coefs(model, n_train):
    """y_i a_i of every binary machine over the training samples (n_pairs, n_train), from libsvm's layout."""
    n = len(model.classes_)
    loc = np.concatenate([[0], np.cumsum(model._n_support)])
    out = np.zeros((n * (n - 1) // 2, n_train))
    p = 0
    for a in range(n):
        for b in range(a + 1, n):
            for c, row in ((a, b - 1), (b, a)):
                out[p, model.support_[loc[c]:loc[c + 1]]] = model._dual_coef_[row, loc[c]:loc[c + 1]]
            p += 1
    return out


def _assert_same_model(ours, ref, X_test, X_train, y_train, sample_weight=None):
    n_train = len(y_train)
    A, A_ref = _machine_coefs(ours, n_train), _machine_coefs(ref, n_train)  # (n_pairs, n_train)
    zero = _ZERO * np.abs(A_ref).max()
    # the same support vectors, once the numerically zero a_i are set aside on both sides
    sv, sv_ref = np.abs(A).max(0) > zero, np.abs(A_ref).max(0) > zero
    assert np.array_equal(np.flatnonzero(sv), np.flatnonzero(sv_ref))  # index sets: exact
    keep, keep_ref = sv[ours.support_], sv_ref[ref.support_]
    assert np.array_equal(ours.support_[keep], ref.support_[keep_ref])  # and in the same (class, index) order
    count = lambda m, k: np.bincount(np.searchsorted(m.classes_, y_train[m.support_[k]]), minlength=len(m.classes_))
    assert np.array_equal(count(ours, keep), count(ref, keep_ref))  # n_support_ above the noise: exact
    # the SVs are rows of X copied, not computed: exact on any machine
    if ref.support_vectors_.size:
        assert np.array_equal(ours.support_vectors_[keep], ref.support_vectors_[keep_ref])
    np.testing.assert_allclose(A, A_ref, rtol=_CLOSE, atol=_CLOSE)

    # f(x) = s(x) - rho: the kernel expansion s agrees to rounding wherever the a_i do
    f, f_ref = _ovo(ours, X_test), _ovo(ref, X_test)  # (n_test, n_pairs)
    np.testing.assert_allclose(f - ours._intercept_, f_ref - ref._intercept_, rtol=_CLOSE, atol=_CLOSE)
    # rho: libsvm takes the mean of y_i G_i over the free SVs (0 < a_i < C_i). A machine whose only free a_i are
    # numerically zero (iris, linear, seed 1: one a_i = 1.7e-16, on sample 48 here and 72 in libsvm) has no
    # determined rho: any rho in the interval the KKT conditions leave is as right as the other, and which
    # noise-level a_i is "free" picks one end. There we check that both rhos lie in that interval, widened by
    # the stopping tolerance and by the float32 rounding of the solver's kernel rows (as the KKT test below).
    Ci = ref.C * ref.class_weight_[np.searchsorted(ref.classes_, y_train)]
    Ci = Ci * (1.0 if sample_weight is None else np.asarray(sample_weight))
    free = (np.abs(A_ref) > zero) & (np.abs(A_ref) < Ci - zero)  # (n_pairs, n_train)
    shift = np.zeros(A.shape[0])  # |rho_ours - rho_ref| allowed per machine
    n = len(ref.classes_)
    pairs = [(a, b) for a in range(n) for b in range(a + 1, n)]
    for p, (a, b) in enumerate(pairs):
        if free[p].any() or ref.fit_status_:  # rho is pinned by free SVs (or the solver stopped at max_iter)
            np.testing.assert_allclose(ours._intercept_[p], ref._intercept_[p], rtol=_CLOSE, atol=_CLOSE)
            continue
        ia, ib = y_train == ref.classes_[a], y_train == ref.classes_[b]
        idx = np.flatnonzero(ia | ib)
        y = np.where(ia[idx], 1.0, -1.0)
        s = _ovo(ref, X_train[idx])[:, p] - ref._intercept_[p]  # (n_ab,) kernel expansion at the samples
        upper = np.abs(A_ref[p, idx]) >= Ci[idx] - zero  # the others are at a_i = 0
        # the solver's kernel rows are float32: each G_i is off by up to 2^-24 sum_j |a_j K_ij| (x2 for safety)
        K_sv = np.abs(ours._kernel_to_sv(ours._predict_kernel_input(X_train[idx])))  # (n_ab, n_SV)
        slack = ref.tol + 2.0**-23 * K_sv @ np.abs(A[p, ours.support_])
        # y_i (s_i - rho) >= 1 at a_i = 0 and <= 1 at a_i = C_i, each within slack
        lo = np.max(np.where(upper == (y > 0), s - y * 1.0, -np.inf) - slack)
        hi = np.min(np.where(upper != (y > 0), s - y * 1.0, np.inf) + slack)
        for rho in (-ours._intercept_[p], -ref._intercept_[p]):
            assert lo <= rho <= hi, (p, lo, rho, hi)
        shift[p] = abs(ours._intercept_[p] - ref._intercept_[p])
    if not shift.any():
        np.testing.assert_allclose(ours.decision_function(X_test), ref.decision_function(X_test),
                                   rtol=_CLOSE, atol=_CLOSE)
    # the same SMO steps: kernel values are rounded to float32 as in libsvm, but the dot products sum in another
    # order than libsvm's (OpenBLAS's ddot, one kernel per CPU), so a tie in the working-set choice can break the
    # other way now and then, each time costing a step or two to reach the same model (checked above): 1 to 3
    # fits in 80 take one more or one fewer step on the two CPUs seen. The slack is 2 + 1% of the steps: a
    # different selection rule (first-order WSS, say) needs 2-10x as many.
    assert np.all(np.abs(ours.n_iter_ - ref.n_iter_) <= 2 + 0.01 * ref.n_iter_)
    # the same class wherever the reference's f is clear of 0 by more than the model's freedom (shift) plus
    # rounding: the votes are then the same, and the class with most votes (first on ties) is exact
    clear = np.all(np.abs(f_ref) > shift + _CLOSE, axis=1)
    if ref.break_ties and n > 2:  # then argmax of the ovr values decides: well separated only
        top2 = np.sort(ref.decision_function(X_test), axis=1)[:, -2:]
        clear &= top2[:, 1] - top2[:, 0] > 2 * _CLOSE
    assert clear.mean() > 0.95
    assert np.array_equal(ours.predict(X_test)[clear], ref.predict(X_test)[clear])


@pytest.mark.parametrize("name", ["iris", "wine", "breast_cancer", "digits"])
@pytest.mark.parametrize("kernel", ["linear", "rbf", "poly", "sigmoid"])
def test_same_model_as_sklearn_on_real_data(name, kernel):
    seeds = range(5) if name != "digits" else range(2)  # digits: 2 seeds here, 5 in the slow test below
    for seed in seeds:
        Xtr, Xte, ytr, yte = _split(name, seed)
        ours = SVC(kernel=kernel).fit(Xtr, ytr)
        ref = SkSVC(kernel=kernel).fit(Xtr, ytr)
        _assert_same_model(ours, ref, Xte, Xtr, ytr)
        assert abs(ours.score(Xte, yte) - ref.score(Xte, yte)) <= 0.01


@pytest.mark.slow
@pytest.mark.parametrize("kernel", ["linear", "rbf", "poly", "sigmoid"])
def test_same_model_as_sklearn_on_digits_five_seeds(kernel):
    for seed in range(5):
        Xtr, Xte, ytr, yte = _split("digits", seed)
        _assert_same_model(SVC(kernel=kernel).fit(Xtr, ytr), SkSVC(kernel=kernel).fit(Xtr, ytr), Xte, Xtr, ytr)


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
    _assert_same_model(SVC(**kw).fit(X, y), SkSVC(**kw).fit(X, y), X, X, y)


def test_max_iter_stops_like_libsvm_and_warns():
    X, y = _data("digits")
    X, y = X[:500] / 16.0, y[:500]
    with pytest.warns(UserWarning, match=r"Solver terminated early \(max_iter=20\)"):
        ours = SVC(max_iter=20).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = SkSVC(max_iter=20).fit(X, y)
    assert ours.fit_status_ == ref.fit_status_ == 1
    _assert_same_model(ours, ref, X, X, y)


def test_sample_weight_same_as_sklearn():
    X, y = _data("wine")
    X = StandardScaler().fit_transform(X)
    w = np.random.RandomState(0).uniform(0.1, 3.0, len(y))
    _assert_same_model(SVC().fit(X, y, sample_weight=w), SkSVC().fit(X, y, sample_weight=w), X, X, y, w)


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
    _assert_same_model(SVC(kernel="precomputed").fit(K, ytr), SkSVC(kernel="precomputed").fit(K, ytr), Kte, K, ytr)

    def kern(A, B):
        return (A @ B.T + 1.0) ** 2

    _assert_same_model(SVC(kernel=kern).fit(Xtr, ytr), SkSVC(kernel=kern).fit(Xtr, ytr), Xte, Xtr, ytr)


def test_binary_string_labels_and_coef():
    X, y = _data("breast_cancer")
    X = StandardScaler().fit_transform(X)
    labels = np.where(y == 1, "benign", "malignant")
    ours = SVC(kernel="linear").fit(X, labels)
    ref = SkSVC(kernel="linear").fit(X, labels)
    _assert_same_model(ours, ref, X, X, labels)
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
