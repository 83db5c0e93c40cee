"""Perceptron, LogisticRegression and the three naive Bayes against scikit-learn: fit and predict,
on realistic sizes (digits tiled to ~18k rows, a 20k x 100 dense problem, SST-2 as a sparse
count / TF-IDF matrix). Goal: ratio ours / scikit-learn <= 1.0 for every case.

Both sides run with one BLAS thread (threadpoolctl): scikit-learn's logistic loss is single-threaded
Cython anyway, and on a shared 2-core machine BLAS threads fighting for the cores make timings
meaningless. Our perceptron may use numba's threads for its one-vs-rest problems.
"""

from __future__ import annotations

import warnings

import numpy as np

from benchmarks.harness import compare


def _data(quick: bool):
    from sklearn.datasets import load_digits, make_classification
    from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
    from sklearn.preprocessing import StandardScaler

    from mlcanon import data

    X, y = load_digits(return_X_y=True)
    reps = 3 if quick else 10
    rng = np.random.RandomState(0)
    Xd = np.tile(X, (reps, 1)) + rng.uniform(0, 0.5, (len(X) * reps, X.shape[1]))  # ~18k x 64, jittered copies
    yd = np.tile(y, reps)
    n = 5000 if quick else 20000
    Xm, ym = make_classification(n_samples=n, n_features=100, n_informative=30, n_classes=2, random_state=0)
    Xm3, ym3 = make_classification(n_samples=n, n_features=100, n_informative=30, n_classes=5, random_state=1)
    sst = data.load("sst2", "train")
    counts = CountVectorizer(min_df=2).fit_transform(sst.texts)
    tfidf = TfidfVectorizer(min_df=2).fit_transform(sst.texts)
    ys = np.array(sst.labels)
    return {
        "digits": (Xd, yd),
        "digits_std": (StandardScaler().fit_transform(Xd), yd),
        "dense2": (Xm, ym),
        "dense5": (Xm3, ym3),
        "sst2_counts": (counts, ys),
        "sst2_tfidf": (tfidf, ys),
    }


def _cases():
    from sklearn import linear_model as sk_lm
    from sklearn import naive_bayes as sk_nb

    from mlcanon.classic import BernoulliNB, GaussianNB, LogisticRegression, MultinomialNB, Perceptron

    return [
        ("GaussianNB", "digits", GaussianNB, sk_nb.GaussianNB, {}),
        ("GaussianNB", "dense5", GaussianNB, sk_nb.GaussianNB, {}),
        ("MultinomialNB", "sst2_counts", MultinomialNB, sk_nb.MultinomialNB, {}),
        ("MultinomialNB", "digits", MultinomialNB, sk_nb.MultinomialNB, {}),
        ("BernoulliNB", "sst2_counts", BernoulliNB, sk_nb.BernoulliNB, {}),
        ("BernoulliNB", "digits", BernoulliNB, sk_nb.BernoulliNB, {"binarize": 8.0}),
        ("LogisticRegression lbfgs", "dense2", LogisticRegression, sk_lm.LogisticRegression, {"max_iter": 1000}),
        ("LogisticRegression lbfgs", "dense5", LogisticRegression, sk_lm.LogisticRegression, {"max_iter": 1000}),
        ("LogisticRegression lbfgs", "digits_std", LogisticRegression, sk_lm.LogisticRegression, {"max_iter": 200}),
        ("LogisticRegression lbfgs", "sst2_counts", LogisticRegression, sk_lm.LogisticRegression, {"max_iter": 1000}),
        ("LogisticRegression newton-cg", "dense5", LogisticRegression, sk_lm.LogisticRegression,
         {"solver": "newton-cg"}),
        ("LogisticRegression newton-cg", "digits_std", LogisticRegression, sk_lm.LogisticRegression,
         {"solver": "newton-cg"}),
        ("Perceptron", "digits_std", Perceptron, sk_lm.Perceptron, {}),
        ("Perceptron", "dense2", Perceptron, sk_lm.Perceptron, {}),
        ("Perceptron", "dense5", Perceptron, sk_lm.Perceptron, {}),
        ("Perceptron", "sst2_tfidf", Perceptron, sk_lm.Perceptron, {}),
    ]


def run(repeats: int = 5, quick: bool = False):
    from threadpoolctl import threadpool_limits

    datasets = _data(quick)
    cases = _cases()  # imports scipy.optimize & co. first: threadpoolctl limits only libraries already loaded
    out = []
    with threadpool_limits(limits=1), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence warnings: same on both sides
        for name, key, ours_cls, ref_cls, kw in cases:
            X, y = datasets[key]
            params = {"data": key, "n_samples": X.shape[0], "n_features": X.shape[1], **kw}
            out.append(compare(f"{name} fit [{key}]", lambda: ours_cls(**kw).fit(X, y),
                               lambda: ref_cls(**kw).fit(X, y), reference_name="scikit-learn",
                               repeats=repeats, goal=1.0, params=params))
            ours, ref = ours_cls(**kw).fit(X, y), ref_cls(**kw).fit(X, y)
            predict = "predict_proba" if hasattr(ref, "predict_proba") else "decision_function"
            out.append(compare(f"{name} {predict} [{key}]", lambda: getattr(ours, predict)(X),
                               lambda: getattr(ref, predict)(X), reference_name="scikit-learn",
                               repeats=repeats, goal=1.0, params=params))
    return out
