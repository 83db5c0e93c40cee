"""SVC vs scikit-learn's (libsvm) on 5,000 samples: fit and predict, same parameters, same model.

Cases: the first 5,000 MNIST test images scaled to [0, 1] (784 features, 10 classes, 45 one-vs-one machines)
with the rbf kernel; a 5,000-sample ``make_classification`` set (20 features, 2 classes) with rbf and with
the linear kernel (a hard problem for SMO: ~3e5 iterations). Default parameters (C=1, gamma='scale', tol=1e-3,
cache_size=200). Goal: fit ≤ 2× libsvm's time (the issue); predict is reported against the same goal.
Each note says whether both found the same support vectors.
"""

from __future__ import annotations

import warnings

import numpy as np

from benchmarks.harness import Comparison, compare


def _mnist(n):
    from mlcanon import data

    images, labels = data.load("mnist", "test")
    return images[:n].reshape(n, -1).astype(np.float64) / 255.0, np.asarray(labels[:n])


def run(repeats: int, quick: bool) -> list[Comparison]:
    from sklearn.datasets import make_classification
    from sklearn.svm import SVC as SkSVC

    from mlcanon.classic import SVC

    n = 1000 if quick else 5000
    Xm, ym = _mnist(n)
    Xc, yc = make_classification(n, 20, n_informative=10, random_state=0)
    cases = [("MNIST rbf", Xm, ym, "rbf"), ("make_classification rbf", Xc, yc, "rbf"),
             ("make_classification linear", Xc, yc, "linear")]
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # scikit-learn 1.9's `probability` deprecation
        SVC().fit(Xc[:50], yc[:50])  # compile the numba solver outside the timings
        for name, X, y, kernel in cases:
            ours, ref = SVC(kernel=kernel), SkSVC(kernel=kernel)
            params = {"n_samples": X.shape[0], "n_features": X.shape[1], "n_classes": len(np.unique(y)),
                      "kernel": kernel}
            c = compare(f"fit, {name}", lambda: ours.fit(X, y), lambda: ref.fit(X, y),
                        reference_name="scikit-learn (libsvm)", repeats=repeats, goal=2.0, params=params)
            same = np.array_equal(ours.support_, ref.support_)
            diff = np.abs(ours.decision_function(X) - ref.decision_function(X)).max()
            c.notes = (f"n_SV ours {len(ours.support_)} vs {len(ref.support_)}; same support set: {same}; "
                       f"SMO iterations {int(ours.n_iter_.sum())} vs {int(ref.n_iter_.sum())}; "
                       f"max |decision diff| {diff:.1e}")
            out.append(c)
            out.append(compare(f"predict, {name}", lambda: ours.predict(X), lambda: ref.predict(X),
                               reference_name="scikit-learn (libsvm)", repeats=repeats, goal=2.0, params=params))
    return out
