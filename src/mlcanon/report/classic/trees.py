"""Decision trees and random forests beside scikit-learn: test accuracy per criterion, the share of
trees identical node for node, the pruning path, importances, export_text, OOB, fit-time ratios,
a drawing of a depth-3 tree and the forest's feature importances."""

from __future__ import annotations

import time

from mlcanon.report.core import Note, Row, check, figure_from_matplotlib

_SETS = ("iris", "wine", "breast_cancer", "digits")


def _load(name):
    from sklearn import datasets

    return getattr(datasets, f"load_{name}")(return_X_y=True)


def _identical(a, b) -> bool:
    import numpy as np

    A, B = a.tree_, b.tree_
    return (A.node_count == B.node_count and np.array_equal(A.feature, B.feature)
            and np.array_equal(A.threshold, B.threshold) and np.array_equal(A.children_left, B.children_left)
            and np.allclose(A.value, B.value, rtol=1e-12, atol=0))


def _median_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


@check("决策树 Decision trees: CART, ID3, C4.5")
def decision_trees(ctx):
    """A decision tree splits the feature space one threshold at a time, choosing each split by Gini impurity
    (CART), information gain (ID3) or gain ratio (C4.5); ours beside scikit-learn's."""
    import numpy as np
    from sklearn import tree as sk
    from sklearn.model_selection import train_test_split

    from mlcanon.classic.tree import DecisionTreeClassifier, DecisionTreeRegressor, export_text

    items = []
    seeds = range(5)
    same = total = 0
    for name in _SETS:
        X, y = _load(name)
        Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.3, random_state=ctx.seed, stratify=y)
        for criterion in ("gini", "entropy"):
            ours = DecisionTreeClassifier(criterion=criterion, random_state=ctx.seed).fit(Xtr, ytr)
            ref = sk.DecisionTreeClassifier(criterion=criterion, random_state=ctx.seed).fit(Xtr, ytr)
            items.append(Row(f"{name}: test accuracy, criterion={criterion}", ours.score(Xte, yte),
                             ref.score(Xte, yte), "scikit-learn", tolerance=0.01, kind="quality"))
            for seed in seeds:
                a = DecisionTreeClassifier(criterion=criterion, random_state=seed).fit(X, y)
                b = sk.DecisionTreeClassifier(criterion=criterion, random_state=seed).fit(X, y)
                same += _identical(a, b)
                total += 1
        c45 = DecisionTreeClassifier(criterion="gain_ratio", random_state=ctx.seed).fit(Xtr, ytr)
        id3 = sk.DecisionTreeClassifier(criterion="entropy", random_state=ctx.seed).fit(Xtr, ytr)
        items.append(Row(f"{name}: test accuracy, C4.5 gain ratio (reference: scikit-learn's entropy tree)",
                         c45.score(Xte, yte), id3.score(Xte, yte), "scikit-learn (entropy)",
                         note="scikit-learn has no gain ratio; its splits are checked against brute force in "
                              "the tests"))
    items.append(Row(f"trees identical node for node (4 sets x 2 criteria x {len(seeds)} seeds, same random_state)",
                     same / total, 1.0, "scikit-learn", tolerance=0.0,
                     note="ties between equal gains break the same way: the feature order follows "
                          "scikit-learn's generator"))
    X, y = _load("breast_cancer")
    p_ours = DecisionTreeClassifier(random_state=0).cost_complexity_pruning_path(X, y)
    p_ref = sk.DecisionTreeClassifier(random_state=0).cost_complexity_pruning_path(X, y)
    items.append(Row("breast cancer: cost-complexity pruning path, max |Δ ccp_alpha|",
                     float(np.max(np.abs(p_ours["ccp_alphas"] - p_ref.ccp_alphas))), 0.0, "scikit-learn",
                     tolerance=1e-12))
    a = DecisionTreeClassifier(random_state=0, max_depth=5).fit(X, y)
    b = sk.DecisionTreeClassifier(random_state=0, max_depth=5).fit(X, y)
    items.append(Row("breast cancer: feature_importances_, max |Δ|",
                     float(np.max(np.abs(a.feature_importances_ - b.feature_importances_))), 0.0, "scikit-learn",
                     tolerance=1e-12))
    items.append(Row("breast cancer: export_text identical", export_text(a) == sk.export_text(b), True,
                     "scikit-learn", passed=export_text(a) == sk.export_text(b)))
    Xd, yd = _load("diabetes")
    r_ours = DecisionTreeRegressor(max_depth=5, random_state=0).fit(Xd, yd).predict(Xd)
    r_ref = sk.DecisionTreeRegressor(max_depth=5, random_state=0).fit(Xd, yd).predict(Xd)
    items.append(Row("diabetes: regression tree predictions, max |Δ|", float(np.max(np.abs(r_ours - r_ref))), 0.0,
                     "scikit-learn", tolerance=1e-9))
    items += _tree_speed(ctx)
    items.append(_tree_figure())
    return items


def _tree_speed(ctx):
    from sklearn import tree as sk
    from sklearn.datasets import make_classification

    from mlcanon.classic.tree import DecisionTreeClassifier

    rows = []
    n = 20000
    cases = {"digits": _load("digits")}
    if ctx.full:
        cases[f"make_classification {n}x50"] = make_classification(n, 50, n_informative=20, n_classes=4,
                                                                    random_state=0)
    for name, (X, y) in cases.items():
        ours, ref = DecisionTreeClassifier(random_state=0), sk.DecisionTreeClassifier(random_state=0)
        ours.fit(X, y)
        ref.fit(X, y)
        repeats = 5 if name == "digits" else 3
        rows.append(Row(f"DecisionTreeClassifier.fit time, {name} (s)", _median_time(lambda: ours.fit(X, y), repeats),
                        _median_time(lambda: ref.fit(X, y), repeats), "scikit-learn", tolerance=1.5, kind="speed"))
    return rows


def _tree_figure():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.datasets import load_iris

    from mlcanon.classic.tree import DecisionTreeClassifier, plot_tree

    iris = load_iris()
    clf = DecisionTreeClassifier(max_depth=3, random_state=0).fit(iris.data, iris.target)
    fig, ax = plt.subplots(figsize=(13, 5.5))
    plot_tree(clf, feature_names=[f.replace(" (cm)", "") for f in iris.feature_names],
              class_names=list(iris.target_names), ax=ax, fontsize=7)
    return figure_from_matplotlib(fig, "CART tree of depth 3 on iris",
                                  "Gini impurity; the same tree (splits, thresholds, counts) as scikit-learn's")


@check("随机森林 Random forest")
def random_forest(ctx):
    """A random forest averages many trees, each grown on a bootstrap sample with a random subset of features per
    split; ours beside scikit-learn's."""
    from sklearn.ensemble import RandomForestClassifier as SkForest
    from sklearn.model_selection import train_test_split

    from mlcanon.classic.forest import RandomForestClassifier

    items = []
    names = ("wine", "breast_cancer", "digits") if ctx.full else ("wine", "digits")
    for name in names:
        X, y = _load(name)
        Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.3, random_state=ctx.seed, stratify=y)
        kw = dict(n_estimators=100, oob_score=True, random_state=ctx.seed)
        ours = RandomForestClassifier(**kw).fit(Xtr, ytr)
        ref = SkForest(**kw).fit(Xtr, ytr)
        items.append(Row(f"{name}: test accuracy, 100 trees", ours.score(Xte, yte), ref.score(Xte, yte),
                         "scikit-learn", tolerance=0.01, kind="quality"))
        items.append(Row(f"{name}: OOB accuracy", ours.oob_score_, ref.oob_score_, "scikit-learn", tolerance=1e-12))
        if name == "wine":
            items.append(_importance_figure(ours, ref, load_feature_names("wine")))
    X, y = _load("digits")
    for n_jobs in ((1, 2) if ctx.full else (1,)):
        ours = RandomForestClassifier(n_estimators=100, n_jobs=n_jobs, random_state=0)
        ref = SkForest(n_estimators=100, n_jobs=n_jobs, random_state=0)
        ours.fit(X, y)
        items.append(Row(f"RandomForestClassifier(100).fit time, digits, n_jobs={n_jobs} (s)",
                         _median_time(lambda o=ours: o.fit(X, y), 3 if ctx.full else 1),
                         _median_time(lambda r=ref: r.fit(X, y), 3 if ctx.full else 1), "scikit-learn",
                         tolerance=1.5, kind="speed"))
    items.append(Note(
        "The forest draws its per-tree seeds, bootstrap rows and per-node features from the same random "
        "streams as scikit-learn, so with the same `random_state` the 100 trees, `predict_proba`, "
        "`oob_score_` and `feature_importances_` are scikit-learn's to rounding. The probability is the mean "
        "of the trees' leaf class fractions (soft voting), not a majority of hard votes."))
    return items


def load_feature_names(name):
    from sklearn import datasets

    return list(getattr(datasets, f"load_{name}")().feature_names)


def _importance_figure(ours, ref, names):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    order = np.argsort(ref.feature_importances_)
    pos = np.arange(len(order))
    fig, ax = plt.subplots(figsize=(7, 4.5))
    ax.barh(pos - 0.2, ours.feature_importances_[order], height=0.4, label="mlcanon")
    ax.barh(pos + 0.2, ref.feature_importances_[order], height=0.4, label="scikit-learn")
    ax.set_yticks(pos, [names[i] for i in order], fontsize=7)
    ax.set_xlabel("mean decrease in Gini impurity (normalised)")
    ax.legend()
    return figure_from_matplotlib(fig, "Random forest feature importances on wine",
                                  "100 trees, same random_state: the bars coincide")
