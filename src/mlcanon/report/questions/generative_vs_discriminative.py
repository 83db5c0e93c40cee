"""Generative or discriminative? Ng & Jordan (2002), "On discriminative vs. generative classifiers:
a comparison of logistic regression and naive Bayes" (NIPS 14), measured on real data.

Their claim: naive Bayes (generative) approaches its asymptotic error with O(log n) examples,
logistic regression (discriminative) with O(n), but LR's asymptotic error is lower — so NB leads
with little data and LR overtakes it as the training set grows. We draw learning curves of
mlcanon's naive Bayes and logistic regression on five real data sets (continuous features with
GaussianNB, word counts with MultinomialNB), average test error over random training subsets, and
compute where the curves cross instead of asserting that they do.
"""

from __future__ import annotations

import warnings

import numpy as np

from mlcanon._threads import single_thread
from mlcanon.report.core import Note, Table, check, figure_from_matplotlib


def _tabular(name):
    from sklearn import datasets
    from sklearn.model_selection import train_test_split

    X, y = getattr(datasets, f"load_{name}")(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)
    return Xtr, Xte, ytr, yte


def _text(name, n_test):
    from sklearn.feature_extraction.text import CountVectorizer

    from mlcanon import data

    train, test = data.load(name, "train"), data.load(name, "test")
    labels = (lambda ls: [lab.split(":")[0] for lab in ls]) if name == "trec" else list
    vec = CountVectorizer(min_df=2)  # vocabulary from the training texts only (no labels involved)
    Xtr = vec.fit_transform(train.texts)
    Xte = vec.transform(test.texts[:n_test])
    return Xtr, Xte, np.array(labels(train.labels)), np.array(labels(test.labels[:n_test]))


def _datasets(full):
    """(name, generative model name, data, training sizes); ``full`` walks the curves more finely."""
    if full:
        sizes = {"breast cancer": [10, 15, 20, 30, 45, 70, 100, 150, 250, 398],
                 "wine": [6, 9, 12, 18, 27, 40, 60, 90, 124],
                 "digits": [20, 30, 50, 80, 130, 200, 350, 600, 1000, 1257],
                 "trec": [20, 50, 100, 200, 400, 800, 1600, 3200, 5452],
                 "sst2": [20, 50, 100, 200, 400, 800, 1600, 3200, 6920]}
    else:
        sizes = {"breast cancer": [10, 20, 40, 80, 160, 398], "wine": [6, 12, 24, 48, 124],
                 "digits": [20, 40, 80, 160, 400, 1257], "trec": [20, 60, 200, 600, 2000, 5452],
                 "sst2": [20, 60, 200, 600, 2000, 6920]}
    return [
        ("breast cancer", "GaussianNB", _tabular("breast_cancer"), sizes["breast cancer"]),
        ("wine", "GaussianNB", _tabular("wine"), sizes["wine"]),
        ("digits", "GaussianNB", _tabular("digits"), sizes["digits"]),
        ("TREC (6 coarse classes)", "MultinomialNB", _text("trec", 500), sizes["trec"]),
        ("SST-2 sentiment", "MultinomialNB", _text("sst2", 1821 if full else 600), sizes["sst2"]),
    ]


def _models(generative):
    from mlcanon.classic import GaussianNB, LogisticRegression, MultinomialNB

    nb = GaussianNB() if generative == "GaussianNB" else MultinomialNB()
    return nb, LogisticRegression(max_iter=1000)


def _subsample(y, m, rng):
    """m training indices with every class present at least once (the rest drawn at random)."""
    classes = np.unique(y)
    first = np.array([rng.choice(np.flatnonzero(y == c)) for c in classes])
    rest = rng.permutation(np.setdiff1d(np.arange(len(y)), first))[: max(m - len(first), 0)]
    return np.concatenate([first, rest])


def _standardise(Xtr, Xte):
    if hasattr(Xtr, "toarray"):
        return Xtr, Xte  # word counts: logistic regression on raw counts, as in text classification
    mu, sd = Xtr.mean(axis=0), Xtr.std(axis=0)
    sd[sd == 0] = 1.0
    return (Xtr - mu) / sd, (Xte - mu) / sd


def learning_curves(data, sizes, generative, seeds):
    """Mean and std of test error of (naive Bayes, logistic regression) at each training size."""
    Xtr, Xte, ytr, yte = data
    errors = np.zeros((2, len(sizes), len(seeds)))
    for j, m in enumerate(sizes):
        for s, seed in enumerate(seeds):
            idx = _subsample(ytr, min(m, len(ytr)), np.random.RandomState(seed))
            nb, lr = _models(generative)
            errors[0, j, s] = 1.0 - nb.fit(Xtr[idx], ytr[idx]).score(Xte, yte)
            A, B = _standardise(Xtr[idx], Xte)
            errors[1, j, s] = 1.0 - lr.fit(A, ytr[idx]).score(B, yte)
    return errors.mean(axis=2), errors.std(axis=2)


def crossing(sizes, nb_err, lr_err):
    """Where logistic regression overtakes naive Bayes for good.

    Returns ``(m, kind)``: ``kind`` is "cross" when NB is ahead before ``m`` (interpolated in
    log m between the bracketing sizes) and LR at every size from there on; "lr" when LR is
    ahead or level at every size; "nb" when NB still leads at the largest size.
    """
    gap = np.asarray(lr_err) - np.asarray(nb_err)  # > 0: naive Bayes ahead
    if gap[-1] > 0:
        return None, "nb"
    ahead = np.flatnonzero(gap > 0)
    if ahead.size == 0:
        return None, "lr"
    j = ahead[-1]  # last size where NB leads; LR leads or ties from j + 1 on
    x0, x1 = np.log(sizes[j]), np.log(sizes[j + 1])
    t = gap[j] / (gap[j] - gap[j + 1])
    return float(np.exp(x0 + t * (x1 - x0))), "cross"


@check("生成式还是判别式 generative vs discriminative (Ng & Jordan 2002)")
def generative_vs_discriminative(ctx):
    seeds = list(range(10 if ctx.full else 3))
    results = []
    with single_thread(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, generative, data, sizes in _datasets(ctx.full):
            sizes = [m for m in sizes if m <= len(data[2])]
            (nb_mean, lr_mean), (nb_sd, lr_sd) = learning_curves(data, sizes, generative, seeds)
            m_cross, kind = crossing(sizes, nb_mean, lr_mean)
            results.append((name, generative, sizes, nb_mean, nb_sd, lr_mean, lr_sd, m_cross, kind))
    return [_figure(results, len(seeds)), _table(results), Note(_answer(results, len(seeds)))]


def _describe(m_cross, kind):
    if kind == "cross":
        return f"≈ {m_cross:.0f}"
    return "LR ahead at every size" if kind == "lr" else "NB still ahead at the largest size"


def _table(results):
    rows = []
    for name, gen, sizes, nb_mean, _, lr_mean, _, m_cross, kind in results:
        rows.append([name, gen, f"{sizes[0]}–{sizes[-1]}", f"{nb_mean[0]:.3f} / {lr_mean[0]:.3f}",
                     f"{nb_mean[-1]:.3f} / {lr_mean[-1]:.3f}", _describe(m_cross, kind)])
    return Table("Learning curves: test error of naive Bayes / logistic regression",
                 ["data set", "generative model", "training sizes", "error at smallest m (NB / LR)",
                  "error at largest m (NB / LR)", "curves cross at m"], rows)


def _answer(results, n_seeds):
    n = len(results)
    crossed = [(r[0], r[7]) for r in results if r[8] == "cross"]
    nb_first = [r[0] for r in results if r[3][0] < r[5][0]]
    lr_last = [r[0] for r in results if r[5][-1] < r[3][-1]]
    listed = "; ".join(f"{name} at m ≈ {m:.0f}" for name, m in crossed) or "on none of them"
    if len(crossed) >= (n + 1) // 2:
        verdict = ("On most data sets this is Ng & Jordan's (2002) picture: the generative model reaches its "
                   "(higher) asymptotic error with fewer examples; the discriminative one needs more data and ends lower.")
    elif len(lr_last) >= (n + 1) // 2:
        verdict = ("Only half of Ng & Jordan's (2002) picture shows here: logistic regression ends lower on most data "
                   "sets, but it is not behind at small m there — with an L2 penalty (C=1) and standardised features it "
                   "is already competitive with a few dozen examples, while Gaussian naive Bayes estimates a variance "
                   "per class and feature from very few points.")
    else:
        verdict = "Ng & Jordan's (2002) picture does not show on these data sets: naive Bayes is never overtaken."
    return (
        f"**Generative or discriminative?** Mean test error over {n_seeds} random training subsets per size. "
        f"Naive Bayes has the lower error at the smallest size on {len(nb_first)} of {n} data sets "
        f"({', '.join(nb_first) or 'none'}); logistic regression has it at the largest size on {len(lr_last)} of {n} "
        f"({', '.join(lr_last) or 'none'}). The curves cross — naive Bayes ahead first, logistic regression ahead "
        f"for good after — {listed}. {verdict} The table gives, for every data set, which model led where."
    )


def _figure(results, n_seeds):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 3, figsize=(15, 8.5))
    for ax, (name, gen, sizes, nb_mean, nb_sd, lr_mean, lr_sd, m_cross, kind) in zip(axes.flat, results):
        for mean, sd, label, color in ((nb_mean, nb_sd, gen, "#d62728"), (lr_mean, lr_sd, "LogisticRegression",
                                                                         "#1f77b4")):
            ax.plot(sizes, mean, "o-", color=color, label=label, ms=3)
            ax.fill_between(sizes, mean - sd, mean + sd, color=color, alpha=0.15)
        if kind == "cross":
            ax.axvline(m_cross, color="k", ls="--", lw=0.8)
            ax.text(m_cross, ax.get_ylim()[1], f" cross ≈ {m_cross:.0f}", va="top", fontsize=8)
        ax.set_xscale("log")
        ax.set_title(name)
        ax.set_xlabel("training examples m")
        ax.set_ylabel("test error")
        ax.legend(fontsize=8)
    for ax in axes.flat[len(results):]:
        ax.axis("off")
    fig.tight_layout()
    return figure_from_matplotlib(fig, "Naive Bayes vs logistic regression learning curves (Ng & Jordan 2002)",
                                  f"Mean test error over {n_seeds} random training subsets per size (band: ± one "
                                  "standard deviation); dashed line: where logistic regression overtakes naive Bayes.")
