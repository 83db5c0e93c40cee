"""Perceptron, logistic regression and naive Bayes beside scikit-learn: test accuracy on real splits,
the largest probability (or weight) difference, fit-time ratios, and the decision boundaries of the
linear models on two features of wine."""

from __future__ import annotations

import statistics
import time
import warnings

import numpy as np

from mlcanon._threads import single_thread
from mlcanon.report.core import Note, Row, check, figure_from_matplotlib


def _split(name, seed=0, scale=True):
    from sklearn.datasets import load_breast_cancer, load_digits, load_iris, load_wine
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    loader = {"iris": load_iris, "wine": load_wine, "breast cancer": load_breast_cancer, "digits": load_digits}[name]
    X, y = loader(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.3, random_state=seed, stratify=y)
    if scale:
        scaler = StandardScaler().fit(Xtr)
        Xtr, Xte = scaler.transform(Xtr), scaler.transform(Xte)
    return Xtr, Xte, ytr, yte


def _sst2_counts(n_train):
    from sklearn.feature_extraction.text import CountVectorizer

    from mlcanon import data

    train, test = data.load("sst2", "train"), data.load("sst2", "test")
    vec = CountVectorizer(min_df=2)
    Xtr = vec.fit_transform(train.texts[:n_train])
    return Xtr, vec.transform(test.texts), np.array(train.labels[:n_train]), np.array(test.labels)


def _median_time(fn, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _compare(label, where, ours, ref, Xtr, Xte, ytr, yte, repeats=3, proba=True, goal=1.0):
    t_ours = _median_time(lambda: ours.fit(Xtr, ytr), repeats)
    t_ref = _median_time(lambda: ref.fit(Xtr, ytr), repeats)
    rows = [Row(f"{label}, {where}: test accuracy", ours.score(Xte, yte), ref.score(Xte, yte), "scikit-learn",
                tolerance=0.01, kind="quality")]
    if proba:
        diff = float(np.abs(ours.predict_proba(Xte) - ref.predict_proba(Xte)).max())
        rows.append(Row(f"{label}, {where}: max |Δ predict_proba| on the test set", diff, 0.0, "scikit-learn",
                        tolerance=1e-6))
    else:
        diff = float(np.abs(ours.coef_ - ref.coef_).max())
        rows.append(Row(f"{label}, {where}: max |Δ coef_| (same shuffles)", diff, 0.0, "scikit-learn",
                        tolerance=1e-9))
    rows.append(Row(f"{label}, {where}: fit time (s)", t_ours, t_ref, "scikit-learn", tolerance=goal, kind="speed"))
    return rows


@check("感知机 Perceptron (Rosenblatt)")
def perceptron_vs_sklearn(ctx):
    """Rosenblatt's perceptron learns a linear separator by correcting its weights on each misclassified example;
    ours beside scikit-learn's."""
    from sklearn.linear_model import Perceptron as SkPerceptron

    from mlcanon.classic import Perceptron

    items = []
    Perceptron().fit([[0.0], [1.0]], [0, 1])  # load the compiled epoch loop once, untimed
    names = ("iris", "wine", "breast cancer", "digits") if ctx.full else ("wine", "digits")
    with single_thread(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in names:
            items += _compare("Perceptron", f"{name} (scaled)", Perceptron(), SkPerceptron(), *_split(name),
                              proba=False)
    items.append(Note(
        "The perceptron replays scikit-learn's SGD exactly: the same xorshift generator and seeds drive the same "
        "Fisher-Yates shuffle each epoch, the weight vector keeps scikit-learn's scale factor, and the epoch loss "
        "decides when to stop — so the weights agree to the last bit and the test accuracy is the same."
    ))
    return items


@check("逻辑回归 logistic regression (L-BFGS, Newton-CG)")
def logistic_vs_sklearn(ctx):
    """Logistic regression models the class probability as a softmax of linear scores, fitted by maximum likelihood
    with an L2 penalty; ours beside scikit-learn's."""
    from sklearn.linear_model import LogisticRegression as SkLR

    from mlcanon.classic import LogisticRegression

    items = []
    names = ("iris", "wine", "breast cancer", "digits") if ctx.full else ("breast cancer", "digits")
    with single_thread(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in names:
            split = _split(name)
            for solver in ("lbfgs", "newton-cg"):
                kw = {"solver": solver, "tol": 1e-8, "max_iter": 2000}
                items += _compare(f"LogisticRegression {solver}", f"{name} (scaled)", LogisticRegression(**kw),
                                  SkLR(**kw), *split, repeats=1 if name == "digits" else 3)
        Xtr, Xte, ytr, yte = _sst2_counts(6920 if ctx.full else 3000)
        kw = {"tol": 1e-8, "max_iter": 2000}
        items += _compare("LogisticRegression lbfgs", "SST-2 word counts (sparse)", LogisticRegression(**kw),
                          SkLR(**kw), Xtr, Xte, ytr, yte, repeats=1)
    items.append(Note(
        "Both minimise scikit-learn's objective, mean log-loss + ||w||²/(2·C·n), from zero with the same "
        "L-BFGS-B options (or the same truncated-Newton steps), so at a tight tolerance the probabilities agree "
        "to ~1e-9; `python -m benchmarks linear` times fits on 20k-row problems."
    ))
    items.append(_boundary_figure())
    return items


@check("朴素贝叶斯 naive Bayes (Gaussian, multinomial, Bernoulli)")
def naive_bayes_vs_sklearn(ctx):
    """Naive Bayes classifies by Bayes' rule with features independent given the class (Gaussian, multinomial or
    Bernoulli likelihoods); ours beside scikit-learn's."""
    from sklearn import naive_bayes as sk

    from mlcanon.classic import BernoulliNB, GaussianNB, MultinomialNB

    items = []
    with single_thread():
        for name in ("iris", "wine", "breast cancer", "digits") if ctx.full else ("wine", "digits"):
            items += _compare("GaussianNB", name, GaussianNB(), sk.GaussianNB(), *_split(name, scale=False))
        Xtr, Xte, ytr, yte = _sst2_counts(6920)
        items += _compare("MultinomialNB", "SST-2 word counts (sparse)", MultinomialNB(), sk.MultinomialNB(),
                          Xtr, Xte, ytr, yte)
        items += _compare("BernoulliNB", "SST-2 word presence (sparse)", BernoulliNB(), sk.BernoulliNB(),
                          Xtr, Xte, ytr, yte)
    return items


def _boundary_figure():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.datasets import load_wine
    from sklearn.preprocessing import StandardScaler

    from mlcanon.classic import GaussianNB, LogisticRegression, Perceptron

    data = load_wine()
    X = StandardScaler().fit_transform(data.data[:, [0, 9]])  # alcohol, colour intensity
    y = data.target
    xx, yy = np.meshgrid(np.linspace(X[:, 0].min() - 0.5, X[:, 0].max() + 0.5, 250),
                         np.linspace(X[:, 1].min() - 0.5, X[:, 1].max() + 0.5, 250))
    grid = np.c_[xx.ravel(), yy.ravel()]
    models = (("Perceptron (one-vs-rest)", Perceptron()), ("LogisticRegression (softmax)", LogisticRegression()),
              ("GaussianNB (quadratic)", GaussianNB()))
    fig, axes = plt.subplots(1, 3, figsize=(14, 4.2), sharey=True)
    colors = ["#1f77b4", "#2ca02c", "#d62728"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for ax, (title, clf) in zip(axes, models):
            clf.fit(X, y)
            z = clf.predict(grid).reshape(xx.shape)
            ax.contourf(xx, yy, z, levels=[-0.5, 0.5, 1.5, 2.5], colors=["#dbe8f6", "#dcf0dc", "#f8dcdc"])
            ax.contour(xx, yy, z, levels=[0.5, 1.5], colors="k", linewidths=0.8)
            for k in range(3):
                ax.scatter(*X[y == k].T, s=12, c=colors[k], label=data.target_names[k])
            ax.set_title(f"{title}: train acc {clf.score(X, y):.2f}")
            ax.set_xlabel("alcohol (standardised)")
        axes[0].set_ylabel("colour intensity (standardised)")
        axes[0].legend(loc="upper left", fontsize=8)
    return figure_from_matplotlib(fig, "Decision regions on two wine features",
                                  "Perceptron and logistic regression draw straight boundaries; Gaussian naive Bayes "
                                  "with per-class variances draws quadratic ones.")
