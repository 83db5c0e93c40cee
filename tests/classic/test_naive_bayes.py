"""Naive Bayes (Gaussian, multinomial, Bernoulli): scikit-learn's probabilities on real data over 5
splits, streaming equivalences, a hand-checked case, properties and error messages."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from mlcanon.classic.naive_bayes import BernoulliNB, GaussianNB, MultinomialNB

sk_nb = pytest.importorskip("sklearn.naive_bayes")
from sklearn import datasets  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

OURS = {"GaussianNB": GaussianNB, "MultinomialNB": MultinomialNB, "BernoulliNB": BernoulliNB}
SEEDS = [0, 1, 2, 3, 4]



@pytest.fixture(autouse=True, scope="module")
def _one_blas_thread():
    """One BLAS thread for ours and scikit-learn alike: on a shared 2-core runner, BLAS threads
    fighting over the cores make these small fits ~10x slower without changing a number."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield

@pytest.fixture(scope="module")
def tabular():
    return {name: getattr(datasets, f"load_{name}")(return_X_y=True)
            for name in ("iris", "wine", "breast_cancer", "digits")}


@pytest.fixture(scope="module")
def trec_counts():
    """Real text: TREC questions (6 coarse classes) as a sparse word-count matrix."""
    from sklearn.feature_extraction.text import CountVectorizer

    from mlcanon import data

    train, test = data.load("trec", "train"), data.load("trec", "test")
    vec = CountVectorizer(min_df=2)
    Xtr, Xte = vec.fit_transform(train.texts), vec.transform(test.texts)
    coarse = lambda labels: np.array([lab.split(":")[0] for lab in labels])  # noqa: E731
    return Xtr, coarse(train.labels), Xte, coarse(test.labels)


def _pair(name, **kw):
    return OURS[name](**kw), getattr(sk_nb, name)(**kw)


# ---- parity with scikit-learn ------------------------------------------------------------------


@pytest.mark.parametrize("name", list(OURS))
@pytest.mark.parametrize("dataset", ["iris", "wine", "breast_cancer", "digits"])
def test_same_probabilities_as_sklearn_on_5_splits(tabular, name, dataset):
    X, y = tabular[dataset]
    for seed in SEEDS:
        Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.3, random_state=seed, stratify=y)
        ours, ref = _pair(name)
        ours.fit(Xtr, ytr)
        ref.fit(Xtr, ytr)
        np.testing.assert_allclose(ours.predict_proba(Xte), ref.predict_proba(Xte), rtol=0, atol=1e-6)
        assert abs(ours.score(Xte, yte) - ref.score(Xte, yte)) <= 0.01
        # argmax of joint log-likelihoods that agree to rounding (~1e-12): exact as long as no two classes of a
        # test sample tie that closely, which on real data with continuous features they do not
        np.testing.assert_array_equal(ours.predict(Xte), ref.predict(Xte))


@pytest.mark.parametrize("name", ["MultinomialNB", "BernoulliNB"])
@pytest.mark.parametrize("kw", [{}, {"alpha": 0.1}, {"fit_prior": False}, {"alpha": 0.5, "class_prior": [0.1] * 5 + [0.5]}])
def test_same_probabilities_as_sklearn_on_sparse_text(trec_counts, name, kw):
    Xtr, ytr, Xte, yte = trec_counts
    ours, ref = _pair(name, **kw)
    ours.fit(Xtr, ytr)
    ref.fit(Xtr, ytr)
    np.testing.assert_allclose(ours.predict_proba(Xte), ref.predict_proba(Xte), rtol=0, atol=1e-6)
    np.testing.assert_allclose(ours.feature_log_prob_, ref.feature_log_prob_, rtol=1e-12)
    np.testing.assert_array_equal(ours.predict(Xte), ref.predict(Xte))
    assert ours.score(Xte, yte) == pytest.approx(ref.score(Xte, yte), abs=0.01)


def test_gaussian_attributes_and_options_match_sklearn(tabular):
    X, y = tabular["wine"]
    w = np.random.RandomState(0).uniform(0.1, 3.0, len(y))
    for kw in ({}, {"var_smoothing": 1e-3}, {"priors": [0.2, 0.3, 0.5]}):
        ours, ref = _pair("GaussianNB", **kw)
        ours.fit(X, y, sample_weight=w)
        ref.fit(X, y, sample_weight=w)
        for attr in ("theta_", "var_", "class_count_", "class_prior_"):
            np.testing.assert_allclose(getattr(ours, attr), getattr(ref, attr), rtol=1e-12)
        assert ours.epsilon_ == pytest.approx(ref.epsilon_, rel=1e-12)
        np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), rtol=0, atol=1e-9)


def test_bernoulli_binarize_options_match_sklearn(tabular):
    X, y = tabular["digits"]
    for kw in ({"binarize": 7.5}, {"binarize": None}):
        Xi = (X > 4).astype(float) if kw["binarize"] is None else X
        ours, ref = _pair("BernoulliNB", **kw)
        np.testing.assert_allclose(ours.fit(Xi, y).predict_log_proba(Xi), ref.fit(Xi, y).predict_log_proba(Xi),
                                   rtol=1e-9, atol=1e-9)


def test_per_feature_alpha():
    X, y = datasets.load_digits(return_X_y=True)
    alpha = np.linspace(0.1, 2.0, X.shape[1])
    ours, ref = _pair("MultinomialNB", alpha=alpha)
    np.testing.assert_allclose(ours.fit(X, y).predict_proba(X), ref.fit(X, y).predict_proba(X), atol=1e-9)
    # Bernoulli: p_kj = (N_kj + alpha_j) / (N_k + 2 alpha_j), by hand (scikit-learn 1.9 cannot broadcast this)
    clf = BernoulliNB(alpha=alpha).fit(X, y)
    B = (X > 0).astype(float)
    N_kj = np.array([B[y == k].sum(0) for k in clf.classes_])
    N_k = np.bincount(y)[:, None]
    np.testing.assert_allclose(np.exp(clf.feature_log_prob_), (N_kj + alpha) / (N_k + 2 * alpha), rtol=1e-12)


# ---- equivalences ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(OURS))
def test_fit_equals_partial_fit_on_halves(tabular, name):
    X, y = tabular["digits"]
    whole = OURS[name]().fit(X, y)
    streamed = OURS[name]()
    streamed.partial_fit(X[:700], y[:700], classes=np.unique(y))
    streamed.partial_fit(X[700:], y[700:])
    # GaussianNB's epsilon_ comes from the last batch (scikit-learn's rule), so compare its means and
    # (epsilon-free) variances; the counting models must agree exactly.
    if name == "GaussianNB":
        np.testing.assert_allclose(streamed.theta_, whole.theta_, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(streamed.var_ - streamed.epsilon_, whole.var_ - whole.epsilon_, atol=1e-9)
    else:
        np.testing.assert_allclose(streamed.feature_log_prob_, whole.feature_log_prob_, rtol=1e-13)
        np.testing.assert_allclose(streamed.predict_proba(X), whole.predict_proba(X), atol=1e-12)


@pytest.mark.parametrize("name", list(OURS))
def test_duplicated_rows_equal_integer_sample_weights(tabular, name):
    X, y = tabular["iris"]
    w = np.random.RandomState(1).randint(0, 4, len(y))
    weighted = OURS[name]().fit(X, y, sample_weight=w)
    repeated = OURS[name]().fit(np.repeat(X, w, axis=0), np.repeat(y, w))
    np.testing.assert_allclose(weighted.predict_proba(X), repeated.predict_proba(X), rtol=1e-7, atol=1e-10)


@pytest.mark.parametrize("name", ["MultinomialNB", "BernoulliNB"])
def test_sparse_equals_dense(trec_counts, name):
    Xtr, ytr, Xte, _ = trec_counts
    Xtr, Xte = Xtr[:800], Xte[:100]
    dense = OURS[name]().fit(Xtr.toarray(), ytr[:800])
    sparse = OURS[name]().fit(Xtr, ytr[:800])
    np.testing.assert_allclose(sparse.predict_proba(Xte), dense.predict_proba(Xte.toarray()), atol=1e-13)


def test_partial_fit_streams_text_like_sklearn(trec_counts):
    Xtr, ytr, Xte, _ = trec_counts
    ours, ref = _pair("MultinomialNB")
    classes = np.unique(ytr)
    for start in range(0, Xtr.shape[0], 1000):
        ours.partial_fit(Xtr[start:start + 1000], ytr[start:start + 1000], classes=classes)
        ref.partial_fit(Xtr[start:start + 1000], ytr[start:start + 1000], classes=classes)
    np.testing.assert_allclose(ours.predict_proba(Xte), ref.predict_proba(Xte), atol=1e-12)


# ---- hand-checkable ----------------------------------------------------------------------------


def test_multinomial_by_hand():
    # class a: words (2, 1, 0) -> smoothed (3, 2, 1)/6; class b: (0, 1, 3) -> (1, 2, 4)/7; prior 1/2 each
    X = np.array([[2, 1, 0], [0, 1, 3]])
    clf = MultinomialNB().fit(X, ["a", "b"])
    np.testing.assert_allclose(np.exp(clf.feature_log_prob_), [[3 / 6, 2 / 6, 1 / 6], [1 / 7, 2 / 7, 4 / 7]])
    # x = (1, 0, 1): P(x|a) ∝ 3/6 * 1/6, P(x|b) ∝ 1/7 * 4/7
    pa, pb = 3 / 6 * 1 / 6, 1 / 7 * 4 / 7
    np.testing.assert_allclose(clf.predict_proba([[1, 0, 1]]), [[pa / (pa + pb), pb / (pa + pb)]], rtol=1e-12)


def test_gaussian_by_hand():
    X = np.array([[0.0], [2.0], [10.0], [14.0]])
    clf = GaussianNB(var_smoothing=0.0).fit(X, [0, 0, 1, 1])
    np.testing.assert_allclose(clf.theta_, [[1.0], [12.0]])
    np.testing.assert_allclose(clf.var_, [[1.0], [4.0]])
    x = 5.0
    log_n = lambda m, v: -0.5 * np.log(2 * np.pi * v) - (x - m) ** 2 / (2 * v)  # noqa: E731
    a, b = log_n(1.0, 1.0), log_n(12.0, 4.0)
    np.testing.assert_allclose(clf.predict_proba([[x]])[0, 0], 1 / (1 + np.exp(b - a)), rtol=1e-12)


def test_no_underflow_on_a_very_long_document():
    # 100,000 words: raw likelihoods are exp(-1e5); log space keeps the posterior finite and exact.
    X = np.array([[5, 1], [1, 5]])
    clf = MultinomialNB().fit(X, [0, 1])
    proba = clf.predict_proba([[50_000, 50_001]])
    assert np.isfinite(proba).all() and proba.sum() == pytest.approx(1.0)
    assert proba[0, 1] > proba[0, 0]


@pytest.mark.parametrize("cls", [GaussianNB, MultinomialNB, BernoulliNB])
def test_a_single_class_is_bad_input_for_fit_but_not_for_a_partial_fit_batch(cls):
    # The issue lists a single class as bad input (scikit-learn fits a constant instead).
    with pytest.raises(ValueError, match=rf"y: {cls.__name__} needs samples of at least 2 classes, got 1 class \(7\)"):
        cls().fit([[0.0], [1.0]], [7, 7])
    # Streaming: the classes are declared up front; one batch may hold only one of them.
    clf = cls().partial_fit([[0.0], [1.0]], [7, 7], classes=[7, 8]).partial_fit([[2.0]], [8])
    assert clf.classes_.tolist() == [7, 8]


# ---- properties --------------------------------------------------------------------------------


@given(
    X=hnp.arrays(np.float64, (12, 3), elements=st.floats(0, 20, allow_nan=False)),
    y=hnp.arrays(np.int64, 12, elements=st.integers(0, 2)),
    name=st.sampled_from(list(OURS)),
)
def test_posteriors_sum_to_one_and_match_argmax(X, y, name):
    # A Gaussian needs some spread: on constant X, var_ = epsilon_ = 0 (scikit-learn gives NaN too).
    assume(name != "GaussianNB" or X.var(axis=0).max() > 0)
    assume(len(np.unique(y)) >= 2)  # one class is bad input (tested above)
    clf = OURS[name]().fit(X, y)
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-12)
    assert ((proba >= 0) & (proba <= 1)).all()
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[proba.argmax(axis=1)])
    np.testing.assert_allclose(np.exp(clf.predict_log_proba(X)), proba, atol=1e-12)


@given(scale=st.floats(0.01, 100.0))
def test_gaussian_is_invariant_to_scaling_features(scale):
    X, y = datasets.load_iris(return_X_y=True)
    a = GaussianNB().fit(X, y).predict_proba(X)
    b = GaussianNB().fit(X * scale, y).predict_proba(X * scale)
    np.testing.assert_allclose(a, b, atol=1e-8)


# ---- check_estimator and bad input -------------------------------------------------------------


@pytest.mark.parametrize("name", list(OURS))
def test_check_estimator(name):
    from sklearn.utils.estimator_checks import check_estimator

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = check_estimator(OURS[name](), on_fail=None)
    failed = [(r["check_name"], r["exception"]) for r in results if r["status"] == "failed"]
    assert not failed


@pytest.mark.parametrize("name", list(OURS))
def test_bad_sample_weight(name):
    # The bad input every classifier shares is tested in test_classifiers_bad_input.py.
    with pytest.raises(ValueError, match="sample_weight.shape == \\(3,\\), expected \\(2,\\)"):
        OURS[name]().fit([[1.0, 2.0], [0.0, 1.0]], [0, 1], sample_weight=[1, 1, 1])
    with pytest.raises(ValueError, match="Sample weights must contain at least one non-zero number"):
        OURS[name]().fit([[1.0, 2.0], [0.0, 1.0]], [0, 1], sample_weight=[0, 0])


@pytest.mark.parametrize("name", list(OURS))
def test_partial_fit_errors(name):
    with pytest.raises(ValueError, match="classes must be passed on the first call to partial_fit"):
        OURS[name]().partial_fit([[1.0]], [0])
    clf = OURS[name]().partial_fit([[1.0], [2.0]], [0, 1], classes=[0, 1])
    with pytest.raises(ValueError, match="is not the same as on last call to partial_fit"):
        clf.partial_fit([[1.0]], [0], classes=[0, 1, 2])
    with pytest.raises(ValueError, match=r"The target label\(s\) \[5\] in y do not exist"):
        clf.partial_fit([[1.0]], [5])
    with pytest.raises(ValueError, match="X has 2 features, but .* is expecting 1 features"):
        clf.partial_fit([[1.0, 2.0]], [0])


def test_option_errors():
    X, y = [[1.0, 2.0], [0.0, 1.0]], [0, 1]
    with pytest.raises(ValueError, match="Negative values in data passed to MultinomialNB"):
        MultinomialNB().fit([[1.0, -2.0], [0.0, 1.0]], y)
    with pytest.raises(ValueError, match="alpha: expected a number >= 0, got -1.0"):
        MultinomialNB(alpha=-1.0).fit(X, y)
    with pytest.raises(ValueError, match="alpha: When alpha is an array, it should contains `n_features`"):
        BernoulliNB(alpha=[1.0, 1.0, 1.0]).fit(X, y)
    with pytest.raises(ValueError, match="alpha: All values in alpha must be greater than 0"):
        BernoulliNB(alpha=[1.0, -1.0]).fit(X, y)
    with pytest.warns(UserWarning, match="alpha too small will result in numeric errors"):
        MultinomialNB(alpha=0.0, force_alpha=False).fit(X, y)
    with pytest.raises(ValueError, match="class_prior: Number of priors must match number of classes"):
        MultinomialNB(class_prior=[1.0]).fit(X, y)
    with pytest.raises(ValueError, match="priors: Number of priors must match number of classes"):
        GaussianNB(priors=[1.0]).fit(X, y)
    with pytest.raises(ValueError, match="priors: The sum of the priors should be 1"):
        GaussianNB(priors=[0.3, 0.3]).fit(X, y)
    with pytest.raises(ValueError, match="priors: Priors must be non-negative"):
        GaussianNB(priors=[1.5, -0.5]).fit(X, y)
    with pytest.raises(ValueError, match="var_smoothing: expected a number >= 0.0"):
        GaussianNB(var_smoothing=-1.0).fit(X, y)
    with pytest.raises(TypeError, match="GaussianNB expects a dense array-like, got a scipy.sparse matrix"):
        GaussianNB().fit(sp.csr_matrix(np.eye(2)), y)
    with pytest.raises(ValueError, match="binarize: Cannot binarize a sparse matrix with threshold < 0"):
        BernoulliNB(binarize=-1.0).fit(sp.csr_matrix(np.eye(2)), y)
    with pytest.raises(ValueError, match="X: expected finite values, got NaN or infinity in the sparse matrix"):
        MultinomialNB().fit(sp.csr_matrix(np.array([[np.nan, 1.0], [0.0, 1.0]])), y)
