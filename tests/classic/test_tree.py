"""Decision trees against scikit-learn: structure where gains are distinct, accuracy, pruning path,
importances, export_text, the C4.5 gain ratio against brute force, properties and bad input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import tree as sktree
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits, load_iris, load_wine
from sklearn.model_selection import train_test_split

from mlcanon.classic.tree import DecisionTreeClassifier, DecisionTreeRegressor, export_text, plot_tree

LOADERS = {"iris": load_iris, "wine": load_wine, "breast_cancer": load_breast_cancer, "digits": load_digits}
SEEDS = range(5)


# ---------------------------------------------------------------------------- brute force


def candidate_gains(X32: np.ndarray, target: np.ndarray, criterion: str, n_classes: int) -> np.ndarray:
    """Impurity decrease w_t I(t) - w_L I(t_L) - w_R I(t_R) of every threshold of every feature.

    Returns an array (n_features, n_samples - 1): entry [j, p] is the split between the p-th and
    (p+1)-th sorted values of feature j, ``-inf`` where those values are equal (no threshold).
    ``criterion="gain_ratio"`` returns the C4.5 gain ratio instead.
    """
    m, d = X32.shape
    order = np.argsort(X32, axis=0, kind="stable")
    xs = np.take_along_axis(X32, order, axis=0)
    if criterion == "squared_error":
        y = target[order]  # (m, d)
        s_left = np.cumsum(y, axis=0)[:-1]
        q_left = np.cumsum(y * y, axis=0)[:-1]
        n_left = np.arange(1, m)[:, None]
        n_right = m - n_left
        s_right, q_right = y.sum(0) - s_left, (y * y).sum(0) - q_left
        total = (y * y).sum(0) - y.sum(0) ** 2 / m
        gains = total - (q_left - s_left**2 / n_left) - (q_right - s_right**2 / n_right)
    else:
        onehot = np.eye(n_classes)[target[order]]  # (m, d, K)
        c_left = np.cumsum(onehot, axis=0)[:-1]
        c_all = onehot.sum(0)
        c_right = c_all - c_left
        n_left = np.arange(1, m)[:, None]
        n_right = m - n_left
        imp = _gini if criterion == "gini" else _entropy
        gains = m * imp(c_all, m) - n_left * imp(c_left, n_left) - n_right * imp(c_right, n_right)
        if criterion == "gain_ratio":
            pl, pr = n_left / m, n_right / m
            gains = (gains / m) / (-pl * np.log2(pl) - pr * np.log2(pr))
    distinct = xs[1:] > xs[:-1] + np.float32(1e-7)
    return np.where(distinct, gains, -np.inf).T


def _gini(counts, n):
    return 1.0 - np.sum(counts**2, axis=-1) / np.asarray(n, dtype=float) ** 2


def _entropy(counts, n):
    p = counts / np.asarray(n, dtype=float)[..., None]
    with np.errstate(divide="ignore", invalid="ignore"):
        return -np.sum(np.where(p > 0, p * np.log2(p), 0.0), axis=-1)


def compare_where_distinct(ours, ref, X, target, criterion, n_classes, rel_tie=1e-9):
    """Walk both trees; at each node where the best candidate gain is unique, assert that both
    trees split there on the brute-force best (feature, threshold). At a tie either split is
    right: go on below it only where both trees took the same one.
    Returns (nodes compared, tied nodes)."""
    X32 = X.astype(np.float32)
    a, b = ours.tree_, ref.tree_
    compared = tied = 0
    stack = [(0, 0, np.arange(len(X)))]
    while stack:
        na, nb, rows = stack.pop()
        a_leaf, b_leaf = a.children_left[na] == -1, b.children_left[nb] == -1
        assert a_leaf == b_leaf, f"node {na}/{nb}: one tree splits, the other does not"
        assert a.n_node_samples[na] == b.n_node_samples[nb] == len(rows)
        if a_leaf:
            continue
        gains = candidate_gains(X32[rows], target[rows], criterion, n_classes)
        best = gains.max()
        ties = np.argwhere(gains >= best - rel_tie * max(1.0, abs(best)))
        if len(ties) > 1:
            # a tie: either split is right; below it compare only if both trees took the same one
            tied += 1
            if (a.feature[na], a.threshold[na]) != (b.feature[nb], b.threshold[nb]):
                continue
            j, thr = a.feature[na], a.threshold[na]
        else:
            j, p = ties[0]
            xs = np.sort(X32[rows, j])
            thr = np.float64(xs[p]) / 2 + np.float64(xs[p + 1]) / 2
            assert (a.feature[na], a.threshold[na]) == (j, thr), f"ours split node {na} elsewhere"
            assert (b.feature[nb], b.threshold[nb]) == (j, thr), f"scikit-learn split node {nb} elsewhere"
            compared += 1
        go_left = X32[rows, j] <= thr
        stack += [(a.children_left[na], b.children_left[nb], rows[go_left]),
                  (a.children_right[na], b.children_right[nb], rows[~go_left])]
    return compared, tied


def same_structure(a, b) -> bool:
    # Exact where it can be: structure, features and n_node_samples are integers; thresholds are midpoints
    # (x_a + x_b) / 2 of the same two floats, one correctly rounded operation. The split choice compares
    # impurity improvements, computed on both sides by scalar float64 loops (numba without fastmath, scikit-
    # learn's Cython built for baseline x86-64: no BLAS, no SIMD dispatch, no FMA) and log from the same libm,
    # so it does not depend on the CPU; near-ties between candidate splits: see test_same_split_wherever_gains_are_distinct.
    A, B = a.tree_, b.tree_
    return (A.node_count == B.node_count and np.array_equal(A.children_left, B.children_left)
            and np.array_equal(A.children_right, B.children_right) and np.array_equal(A.feature, B.feature)
            and np.array_equal(A.threshold, B.threshold) and np.array_equal(A.n_node_samples, B.n_node_samples)
            and np.allclose(A.value, B.value, rtol=1e-12, atol=0) and np.allclose(A.impurity, B.impurity, atol=1e-12))


# ---------------------------------------------------------------------------- hand-checkable


def test_tiny_case_by_hand():
    X = [[0.0], [1.0], [2.0], [3.0]]
    clf = DecisionTreeClassifier(random_state=0).fit(X, [0, 0, 1, 1])
    t = clf.tree_
    assert t.node_count == 3 and t.threshold[0] == 1.5  # midpoint of 1 and 2
    assert t.impurity.tolist() == [0.5, 0.0, 0.0]  # Gini 1 - (1/2)^2 - (1/2)^2
    ent = DecisionTreeClassifier(criterion="entropy").fit(X, [0, 0, 1, 1])
    assert ent.tree_.impurity[0] == pytest.approx(1.0)  # one bit
    assert clf.predict_proba([[0.2], [2.9]]).tolist() == [[1.0, 0.0], [0.0, 1.0]]
    assert clf.feature_importances_.tolist() == [1.0]
    assert clf.get_depth() == 1 and clf.get_n_leaves() == 2
    reg = DecisionTreeRegressor(max_depth=1).fit(X, [1.0, 1.0, 3.0, 5.0])
    assert reg.tree_.threshold[0] == 1.5 and reg.predict([[0], [3]]).tolist() == [1.0, 4.0]


# ---------------------------------------------------------------------------- scikit-learn's checks


def test_check_estimator_classifier():
    from sklearn.utils.estimator_checks import check_estimator

    check_estimator(DecisionTreeClassifier(random_state=0))


def test_check_estimator_regressor():
    from sklearn.utils.estimator_checks import check_estimator

    check_estimator(DecisionTreeRegressor(random_state=0))


# ---------------------------------------------------------------------------- parity with scikit-learn


@pytest.mark.parametrize("name", list(LOADERS))
@pytest.mark.parametrize("criterion", ["gini", "entropy"])
def test_same_split_wherever_gains_are_distinct(name, criterion):
    X, y = LOADERS[name](return_X_y=True)
    classes, target = np.unique(y, return_inverse=True)
    total_compared = 0
    for seed in SEEDS:
        kw = dict(criterion=criterion, random_state=seed, max_depth=None if name != "digits" else 8)
        ours = DecisionTreeClassifier(**kw).fit(X, y)
        ref = sktree.DecisionTreeClassifier(**kw).fit(X, y)
        compared, tied = compare_where_distinct(ours, ref, X, target, criterion, len(classes))
        total_compared += compared
        # the feature order follows scikit-learn's generator, so ties break the same way too
        assert same_structure(ours, ref)
    assert total_compared >= 5 * 3


@pytest.mark.parametrize("name", list(LOADERS))
def test_test_accuracy_within_one_point(name):
    X, y = LOADERS[name](return_X_y=True)
    for seed in SEEDS:
        Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.3, random_state=seed, stratify=y)
        for criterion in ("gini", "entropy"):
            for max_depth in (3, None):
                kw = dict(criterion=criterion, max_depth=max_depth, random_state=seed)
                ours = DecisionTreeClassifier(**kw).fit(Xtr, ytr).score(Xte, yte)
                ref = sktree.DecisionTreeClassifier(**kw).fit(Xtr, ytr).score(Xte, yte)
                assert abs(ours - ref) <= 0.01


@pytest.mark.parametrize("kw", [
    {"max_features": "sqrt"}, {"max_features": 0.3, "min_samples_leaf": 3}, {"max_leaf_nodes": 12},
    {"min_impurity_decrease": 0.005}, {"class_weight": "balanced"}, {"min_weight_fraction_leaf": 0.02},
    {"max_leaf_nodes": 25, "max_features": "log2"}, {"min_samples_split": 0.05, "class_weight": {0: 3.0}},
])
def test_options_give_scikit_learns_tree(kw):
    X, y = load_breast_cancer(return_X_y=True)
    sw = np.random.RandomState(0).randint(0, 4, len(y)).astype(float)
    for seed in (0, 1):
        for weights in (None, sw):
            ours = DecisionTreeClassifier(random_state=seed, **kw).fit(X, y, sample_weight=weights)
            ref = sktree.DecisionTreeClassifier(random_state=seed, **kw).fit(X, y, sample_weight=weights)
            assert same_structure(ours, ref)
            np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), rtol=1e-12)


@pytest.mark.parametrize("kw", [{}, {"max_features": "sqrt", "min_samples_leaf": 3}, {"max_leaf_nodes": 10}])
def test_random_splitter_gives_scikit_learns_tree(kw):
    # the uniform thresholds come from the same xorshift stream as scikit-learn's rand_uniform
    for loader in (load_iris, load_digits):
        X, y = loader(return_X_y=True)
        for seed in (0, 1, 2):
            ours = DecisionTreeClassifier(splitter="random", random_state=seed, **kw).fit(X, y)
            ref = sktree.DecisionTreeClassifier(splitter="random", random_state=seed, **kw).fit(X, y)
            assert same_structure(ours, ref)
    Xd, yd = load_diabetes(return_X_y=True)
    ours = DecisionTreeRegressor(splitter="random", random_state=0, **kw).fit(Xd, yd)
    ref = sktree.DecisionTreeRegressor(splitter="random", random_state=0, **kw).fit(Xd, yd)
    assert same_structure(ours, ref)


@pytest.mark.parametrize("kw", [{}, {"max_depth": 4}, {"min_samples_leaf": 5}, {"max_leaf_nodes": 20},
                                {"max_features": 0.5}, {"ccp_alpha": 50.0}])
def test_regressor_matches_scikit_learn_on_diabetes(kw):
    X, y = load_diabetes(return_X_y=True)
    for seed in (0, 1):
        ours = DecisionTreeRegressor(random_state=seed, **kw).fit(X, y)
        ref = sktree.DecisionTreeRegressor(random_state=seed, **kw).fit(X, y)
        assert same_structure(ours, ref)
        np.testing.assert_allclose(ours.predict(X), ref.predict(X), rtol=1e-12)


def test_regressor_same_split_wherever_gains_are_distinct():
    X, y = load_diabetes(return_X_y=True)
    ours = DecisionTreeRegressor(max_depth=6, random_state=0).fit(X, y)
    ref = sktree.DecisionTreeRegressor(max_depth=6, random_state=0).fit(X, y)
    compared, _ = compare_where_distinct(ours, ref, X, y, "squared_error", 1, rel_tie=1e-7)
    assert compared >= 20
    Xtr, Xte, ytr, yte = train_test_split(X, y, random_state=0)
    r_ours = DecisionTreeRegressor(max_depth=4, random_state=0).fit(Xtr, ytr).score(Xte, yte)
    r_ref = sktree.DecisionTreeRegressor(max_depth=4, random_state=0).fit(Xtr, ytr).score(Xte, yte)
    assert r_ours == pytest.approx(r_ref, abs=1e-12)


def test_cost_complexity_pruning_path_equals_scikit_learn():
    X, y = load_breast_cancer(return_X_y=True)
    ours = DecisionTreeClassifier(random_state=0).cost_complexity_pruning_path(X, y)
    ref = sktree.DecisionTreeClassifier(random_state=0).cost_complexity_pruning_path(X, y)
    np.testing.assert_allclose(ours["ccp_alphas"], ref.ccp_alphas, rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(ours["impurities"], ref.impurities, rtol=1e-10, atol=1e-15)
    for alpha in ref.ccp_alphas[1:-1:3]:
        a = DecisionTreeClassifier(random_state=0, ccp_alpha=alpha).fit(X, y)
        b = sktree.DecisionTreeClassifier(random_state=0, ccp_alpha=alpha).fit(X, y)
        assert same_structure(a, b) and a.get_depth() == b.get_depth()
    Xd, yd = load_diabetes(return_X_y=True)
    ours = DecisionTreeRegressor(random_state=0).cost_complexity_pruning_path(Xd, yd)
    ref = sktree.DecisionTreeRegressor(random_state=0).cost_complexity_pruning_path(Xd, yd)
    np.testing.assert_allclose(ours["ccp_alphas"], ref.ccp_alphas, rtol=1e-9)


@pytest.mark.parametrize("name", ["wine", "breast_cancer", "digits"])
def test_feature_importances_equal_where_structure_equal(name):
    X, y = LOADERS[name](return_X_y=True)
    for seed in SEEDS:
        ours = DecisionTreeClassifier(random_state=seed, max_depth=6).fit(X, y)
        ref = sktree.DecisionTreeClassifier(random_state=seed, max_depth=6).fit(X, y)
        assert same_structure(ours, ref)
        np.testing.assert_allclose(ours.feature_importances_, ref.feature_importances_, rtol=1e-10, atol=1e-14)
        assert ours.feature_importances_.sum() == pytest.approx(1.0)


def test_export_text_equals_scikit_learn():
    iris = load_iris()
    X, y = iris.data, iris.target
    ours = DecisionTreeClassifier(random_state=0).fit(X, y)
    ref = sktree.DecisionTreeClassifier(random_state=0).fit(X, y)
    assert same_structure(ours, ref)
    names = list(iris.feature_names)
    assert export_text(ours) == sktree.export_text(ref)
    assert export_text(ours, feature_names=names, show_weights=True) == sktree.export_text(
        ref, feature_names=names, show_weights=True)
    assert export_text(ours, max_depth=2, spacing=2, decimals=4) == sktree.export_text(
        ref, max_depth=2, spacing=2, decimals=4)
    assert export_text(ours, class_names=["a", "b", "c"]) == sktree.export_text(ref, class_names=["a", "b", "c"])
    Xd, yd = load_diabetes(return_X_y=True)
    r1 = DecisionTreeRegressor(max_depth=3).fit(Xd, yd)
    r2 = sktree.DecisionTreeRegressor(max_depth=3).fit(Xd, yd)
    assert export_text(r1, max_depth=1) == sktree.export_text(r2, max_depth=1)


def test_decision_path_and_apply_equal_scikit_learn():
    X, y = load_wine(return_X_y=True)
    ours = DecisionTreeClassifier(random_state=3).fit(X, y)
    ref = sktree.DecisionTreeClassifier(random_state=3).fit(X, y)
    np.testing.assert_array_equal(ours.apply(X), ref.apply(X))
    assert (ours.decision_path(X) != ref.decision_path(X)).nnz == 0


# ---------------------------------------------------------------------------- C4.5 gain ratio


@pytest.mark.parametrize("name", ["iris", "wine", "breast_cancer"])
def test_gain_ratio_picks_the_brute_force_best_split(name):
    X, y = LOADERS[name](return_X_y=True)
    classes, target = np.unique(y, return_inverse=True)
    clf = DecisionTreeClassifier(criterion="gain_ratio", random_state=0).fit(X, y)
    X32 = X.astype(np.float32)
    t = clf.tree_
    checked = 0
    leaves = clf.apply(X)
    path = clf.decision_path(X).tocsc()
    for node in np.flatnonzero(t.children_left != -1):
        rows = path[:, node].nonzero()[0]
        ratios = candidate_gains(X32[rows], target[rows], "gain_ratio", len(classes))
        best = ratios.max()
        j, thr = t.feature[node], t.threshold[node]
        xs = np.sort(X32[rows, j])
        p = np.searchsorted(xs, thr)  # first sorted value above the threshold
        assert ratios[j, p - 1] == pytest.approx(best, rel=1e-12)
        checked += 1
    assert checked >= 3 and clf.score(X, y) == 1.0 and len(np.unique(leaves)) == clf.get_n_leaves()


# ---------------------------------------------------------------------------- properties


@settings(max_examples=40)
@given(st.integers(2, 40).flatmap(lambda n: st.tuples(
    st.lists(st.tuples(st.integers(-50, 50), st.integers(-50, 50), st.integers(0, 3)), min_size=n, max_size=n,
             unique_by=lambda r: r[:2]),
    st.sampled_from(["gini", "entropy", "gain_ratio"]))))
def test_no_limits_means_zero_training_error_on_distinct_points(data):
    rows, criterion = data
    X = np.array([r[:2] for r in rows], dtype=float)
    y = np.array([r[2] for r in rows])
    clf = DecisionTreeClassifier(criterion=criterion, random_state=0).fit(X, y)
    assert (clf.predict(X) == y).all()
    reg = DecisionTreeRegressor(random_state=0).fit(X, y.astype(float))
    assert np.array_equal(reg.predict(X), y.astype(float))


@settings(max_examples=25)
@given(st.integers(0, 10_000), st.integers(5, 60))
def test_integer_weights_equal_repeated_rows(seed, n):
    rng = np.random.RandomState(seed)
    X = rng.randint(0, 6, size=(n, 3)).astype(float)
    y = rng.randint(0, 3, size=n)
    w = rng.randint(1, 4, size=n)
    a = DecisionTreeClassifier(random_state=0, max_depth=3).fit(X, y, sample_weight=w)
    b = DecisionTreeClassifier(random_state=0, max_depth=3).fit(np.repeat(X, w, axis=0), np.repeat(y, w))
    np.testing.assert_allclose(a.predict_proba(X), b.predict_proba(X), rtol=1e-12)


def test_a_single_class_is_bad_input():
    # The issue lists a single class as bad input (scikit-learn would grow a single leaf).
    with pytest.raises(ValueError, match=r"y: DecisionTreeClassifier needs samples of at least 2 classes, got 1 class \('a'\)"):
        DecisionTreeClassifier().fit([[0.0], [1.0], [2.0]], ["a", "a", "a"])


def test_plot_tree_draws_every_node():
    import matplotlib

    matplotlib.use("Agg")
    X, y = load_iris(return_X_y=True)
    clf = DecisionTreeClassifier(max_depth=2, random_state=0).fit(X, y)
    ax = plot_tree(clf, feature_names=load_iris().feature_names)
    boxes = [t for t in ax.texts if not isinstance(t, matplotlib.text.Annotation)]
    assert len(boxes) == clf.tree_.node_count


# ---------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("X, y, match", [
    ([[0.0, np.nan], [1.0, 2.0]], [0, 1], "X: expected finite values, got NaN"),
    ([[0.0, np.inf], [1.0, 2.0]], [0, 1], "X: expected finite values, got infinity"),
    ([0.0, 1.0], [0, 1], "X: expected a 2-D array"),
    ([[0.0], [1.0]], [0, 1, 1], "inconsistent numbers of samples"),
    ([[0.0], [1.0]], [0.5, 1.5], "Unknown label type: continuous"),
    ([[1e39], [1.0]], [0, 1], "too large for float32"),
])
def test_bad_fit_input(X, y, match):
    with pytest.raises(ValueError, match=match):
        DecisionTreeClassifier().fit(X, y)


@pytest.mark.parametrize("params, error, match", [
    ({"criterion": "gain"}, ValueError, "criterion: expected one of"),
    ({"splitter": "worst"}, ValueError, "splitter: expected one of 'best', 'random'"),
    ({"max_depth": 0}, ValueError, "max_depth: expected an int >= 1"),
    ({"min_samples_split": 1}, ValueError, "min_samples_split: expected an int >= 2"),
    ({"min_samples_leaf": 0}, ValueError, "min_samples_leaf: expected an int >= 1"),
    ({"min_samples_leaf": 1.5}, ValueError, "min_samples_leaf: expected a number < 1.0"),
    ({"max_features": "half"}, ValueError, "max_features: expected one of 'sqrt', 'log2'"),
    ({"max_features": [1]}, TypeError, "max_features: expected None, an int"),
    ({"max_features": 2}, ValueError, "max_features: expected an int <= 1"),
    ({"max_leaf_nodes": 1}, ValueError, "max_leaf_nodes: expected an int >= 2"),
    ({"min_impurity_decrease": -1.0}, ValueError, "min_impurity_decrease: expected a number >= 0"),
    ({"ccp_alpha": -0.1}, ValueError, "ccp_alpha: expected a number >= 0"),
    ({"min_weight_fraction_leaf": 0.6}, ValueError, "min_weight_fraction_leaf: expected a number <= 0.5"),
    ({"class_weight": {7: 2.0}}, ValueError, r"class_weight: the classes \[7\] are not in y"),
    ({"class_weight": "auto"}, ValueError, "class_weight: expected one of 'balanced'"),
    ({"class_weight": [1.0]}, TypeError, "class_weight: expected None, 'balanced' or a dict"),
])
def test_bad_hyper_parameters(params, error, match):
    with pytest.raises(error, match=match):
        DecisionTreeClassifier(**params).fit([[0.0], [1.0], [2.0]], [0, 1, 1])


def test_bad_sample_weight_and_predict_input():
    X, y = [[0.0], [1.0], [2.0]], [0, 1, 1]
    with pytest.raises(ValueError, match=r"sample_weight: expected shape \(3,\)"):
        DecisionTreeClassifier().fit(X, y, sample_weight=[1.0, 2.0])
    with pytest.raises(ValueError, match="sample_weight: expected at least one non-zero weight"):
        DecisionTreeClassifier().fit(X, y, sample_weight=[0.0, 0.0, 0.0])
    with pytest.raises(ValueError, match="not fitted yet"):
        DecisionTreeClassifier().predict(X)
    clf = DecisionTreeClassifier().fit(X, y)
    with pytest.raises(ValueError, match="X has 2 features, but DecisionTreeClassifier is expecting 1"):
        clf.predict([[0.0, 1.0]])
    with pytest.raises(ValueError, match="feature_names must contain 1 elements, got 2"):
        export_text(clf, feature_names=["a", "b"])
    with pytest.raises(ValueError, match="class_names: expected 2 names"):
        export_text(clf, class_names=["a"])
    with pytest.raises(ValueError, match="spacing: expected an int >= 1"):
        export_text(clf, spacing=0)
    with pytest.raises(ValueError, match="y: expected finite values"):
        DecisionTreeRegressor().fit(X, [0.0, np.nan, 1.0])
