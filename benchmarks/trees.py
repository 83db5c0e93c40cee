"""Decision tree and random forest: fit and predict against scikit-learn on real and realistic sets.

Cases: digits (1,797 x 64), a covtype-like ``make_classification`` set (20,000 x 50, 4 classes),
5,000 MNIST test images (784 pixels), diabetes-like regression (``make_regression`` 20,000 x 20).
Goal from the issue: fit <= 1.5x scikit-learn's time, for the forest with the same ``n_jobs``.
"""

from __future__ import annotations

import numpy as np

from benchmarks.harness import Comparison, compare

GOAL = 1.5


def _data(quick: bool) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    from sklearn.datasets import load_digits, make_classification

    from mlcanon import data

    images, labels = data.load("mnist", "test")
    n_mnist = 2000 if quick else 5000
    X_mnist = np.asarray(images[:n_mnist], dtype=np.float64).reshape(n_mnist, -1)
    n_cls = 5000 if quick else 20000
    Xc, yc = make_classification(n_cls, 50, n_informative=20, n_redundant=10, n_classes=4, random_state=0)
    return {
        "digits": load_digits(return_X_y=True),
        f"make_classification {n_cls}x50": (Xc, yc),
        f"mnist {n_mnist}x784": (X_mnist, np.asarray(labels[:n_mnist])),
    }


def run(repeats: int, quick: bool) -> list[Comparison]:
    from sklearn import ensemble, tree
    from sklearn.datasets import make_regression

    from mlcanon.classic.forest import RandomForestClassifier
    from mlcanon.classic.tree import DecisionTreeClassifier, DecisionTreeRegressor

    out: list[Comparison] = []
    sets = _data(quick)
    for name, (X, y) in sets.items():
        for criterion in ("gini", "entropy"):
            ours = DecisionTreeClassifier(criterion=criterion, random_state=0)
            ref = tree.DecisionTreeClassifier(criterion=criterion, random_state=0)
            out.append(compare(f"DecisionTreeClassifier({criterion}).fit {name}", lambda o=ours: o.fit(X, y),
                               lambda r=ref: r.fit(X, y), reference_name="scikit-learn", repeats=repeats,
                               goal=GOAL, params={"n_samples": len(X), "n_features": X.shape[1]}))
        out.append(compare(f"DecisionTreeClassifier.predict {name}", lambda o=ours: o.predict(X),
                           lambda r=ref: r.predict(X), reference_name="scikit-learn", repeats=repeats, goal=GOAL))
    n_reg = 5000 if quick else 20000
    Xr, yr = make_regression(n_reg, 20, n_informative=10, noise=5.0, random_state=0)
    ours_r, ref_r = DecisionTreeRegressor(random_state=0), tree.DecisionTreeRegressor(random_state=0)
    out.append(compare(f"DecisionTreeRegressor.fit make_regression {n_reg}x20", lambda: ours_r.fit(Xr, yr),
                       lambda: ref_r.fit(Xr, yr), reference_name="scikit-learn", repeats=repeats, goal=GOAL))
    forest_sets = dict(sets) if not quick else {k: v for k, v in sets.items() if not k.startswith("mnist")}
    n_trees = 100
    for name, (X, y) in forest_sets.items():
        for n_jobs in (1, 2):
            ours = RandomForestClassifier(n_estimators=n_trees, n_jobs=n_jobs, random_state=0)
            ref = ensemble.RandomForestClassifier(n_estimators=n_trees, n_jobs=n_jobs, random_state=0)
            out.append(compare(f"RandomForestClassifier(100).fit n_jobs={n_jobs} {name}",
                               lambda o=ours: o.fit(X, y), lambda r=ref: r.fit(X, y), reference_name="scikit-learn",
                               repeats=max(1, repeats // 2) if len(X) > 3000 else repeats, goal=GOAL,
                               params={"n_samples": len(X), "n_features": X.shape[1], "n_jobs": n_jobs}))
        out.append(compare(f"RandomForestClassifier(100).predict_proba {name}", lambda o=ours: o.predict_proba(X),
                           lambda r=ref: r.predict_proba(X), reference_name="scikit-learn", repeats=repeats,
                           goal=GOAL, params={"n_jobs": ours.n_jobs}))
    return out
