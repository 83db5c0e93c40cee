"""HMMs beside hmmlearn: the same score, Viterbi path, posteriors and Baum-Welch step on real
sequences (SST-2 characters, an SST-2 sentence-statistics series), brute force on a small case,
time ratios, and the Viterbi trellis of the dishonest casino."""

from __future__ import annotations

import itertools
import logging

import numpy as np

from mlcanon._threads import best_time, single_thread
from mlcanon.report.core import Note, Row, check, figure_from_matplotlib


def _sst2_chars(n_sentences: int):
    from mlcanon import data

    texts = data.load("sst2", "train").texts[:n_sentences]
    seqs = [[ord(c) - 97 if "a" <= c <= "z" else 26 if c == " " else 27 for c in t.lower()] for t in texts]
    return np.concatenate(seqs)[:, None].astype(np.int64), np.array([len(s) for s in seqs])


def _sst2_series(n: int):
    from mlcanon import data

    texts = data.load("sst2", "train").texts[:n]
    X = np.array([[np.log(len(t)), sum(c in "aeiou" for c in t) / len(t)] for t in texts])
    return X, np.full(n // 200, 200)


def _pair(ours_cls, ref_cls, params, **kw):
    models = []
    for cls in (ours_cls, ref_cls):
        m = cls(n_components=len(params["startprob_"]), init_params="", **kw)
        for k, v in params.items():
            setattr(m, k, np.array(v, copy=True))
        models.append(m)
    return models


@check("隐马尔可夫模型 HMM vs hmmlearn")
def hmm_vs_hmmlearn(ctx):
    """A hidden Markov model explains a sequence by hidden states that emit the observations; the forward algorithm
    scores it, Viterbi decodes it and Baum-Welch fits it, ours beside hmmlearn's."""
    # one BLAS/OpenMP thread for both sides: sklearn's KMeans otherwise spins threads on a shared box
    with single_thread():
        return _hmm_vs_hmmlearn(ctx)


def _hmm_vs_hmmlearn(ctx):
    from hmmlearn import hmm as ref

    from mlcanon.classic.hmm import CategoricalHMM, GaussianHMM

    logging.getLogger("hmmlearn").setLevel(logging.ERROR)
    items = []
    X, lengths = _sst2_chars(400 if ctx.full else 150)
    rng = np.random.RandomState(0)
    K = 6
    params = {"startprob_": rng.dirichlet(np.ones(K)),
              "transmat_": rng.dirichlet(np.ones(K), K) * 0.6 + np.eye(K) * 0.4,
              "emissionprob_": rng.dirichlet(np.ones(28), K)}
    where = f"SST-2 characters ({len(X)} symbols, {len(lengths)} sentences)"
    ours, theirs = _pair(CategoricalHMM, ref.CategoricalHMM, params)
    s_o, s_r = ours.score(X, lengths), theirs.score(X, lengths)
    items.append(Row(f"CategoricalHMM log-likelihood, {where}", s_o, s_r, "hmmlearn", tolerance=1e-8 * abs(s_r),
                     note="tolerance: 1e-8 relative"))
    same = bool((ours.predict(X, lengths) == theirs.predict(X, lengths)).all())
    items.append(Row("CategoricalHMM Viterbi path identical", same, True, "hmmlearn", passed=same))
    gap = float(abs(ours.predict_proba(X, lengths) - theirs.predict_proba(X, lengths)).max())
    items.append(Row("CategoricalHMM posteriors: max |Δ|", gap, 0.0, "hmmlearn", tolerance=1e-10))
    o, r = _pair(CategoricalHMM, ref.CategoricalHMM, params, n_iter=1, tol=-np.inf)
    o.fit(X, lengths)
    r.fit(X, lengths)
    step = max(float(abs(getattr(o, n) - getattr(r, n)).max()) for n in ("startprob_", "transmat_", "emissionprob_"))
    items.append(Row("CategoricalHMM one Baum-Welch step: max |Δ parameter|", step, 0.0, "hmmlearn", tolerance=1e-10))

    Xg, lg = _sst2_series(1200)
    for ct in ("diag", "spherical", "full", "tied"):
        # hmmlearn's default init runs sklearn's KMeans 10 times (slow on a shared machine): the
        # default-init comparison runs on one covariance type, or on all four with --full
        default_init = ctx.full or ct == "diag"
        kw = dict(n_components=3, covariance_type=ct, n_iter=3, random_state=0)
        if default_init:
            o, r = GaussianHMM(**kw).fit(Xg, lg), ref.GaussianHMM(**kw).fit(Xg, lg)
            how = "the default (k-means) init"
        else:
            o, r = _pair(GaussianHMM, ref.GaussianHMM, _gauss_params(Xg, ct), covariance_type=ct, n_iter=3)
            o.fit(Xg, lg)
            r.fit(Xg, lg)
            how = "the same start"
        gap = max(float(abs(o.means_ - r.means_).max()), float(abs(o.transmat_ - r.transmat_).max()))
        items.append(Row(f"GaussianHMM {ct}: 3 Baum-Welch steps from {how}, max |Δ means, transmat|, "
                         "SST-2 sentence series", gap, 0.0, "hmmlearn", tolerance=1e-7))
        s_o, s_r = o.score(Xg, lg), r.score(Xg, lg)
        items.append(Row(f"GaussianHMM {ct}: log-likelihood after fit", s_o, s_r, "hmmlearn",
                         tolerance=1e-8 * abs(s_r)))
        same = bool((o.predict(Xg, lg) == r.predict(Xg, lg)).all())
        items.append(Row(f"GaussianHMM {ct}: Viterbi path identical", same, True, "hmmlearn", passed=same))
    items += _speed_rows(ctx, ref, CategoricalHMM)
    items.append(_brute_force_row())
    long_hmm = _pair(CategoricalHMM, ref.CategoricalHMM, params)[0]
    long_X, _ = long_hmm.sample(10_000, random_state=0)
    ll = long_hmm.score(long_X)
    items.append(Row("10,000-step sequence: log-likelihood is finite", ll, "finite", "-", passed=bool(np.isfinite(ll)),
                     note="the probability itself is exp(%.0f), far below the smallest double" % ll))
    return items


def _gauss_params(X, ct):
    rng = np.random.RandomState(0)
    K = 3
    cv = np.cov(X.T) + 1e-3 * np.eye(X.shape[1])
    covars = {"spherical": lambda: np.full(K, cv.mean()), "diag": lambda: np.tile(np.diag(cv), (K, 1)),
              "full": lambda: np.tile(cv, (K, 1, 1)), "tied": lambda: cv}[ct]()
    return {"startprob_": np.full(K, 1 / K), "transmat_": rng.dirichlet(np.ones(K), K) * 0.5 + np.eye(K) * 0.5,
            "means_": X[rng.choice(len(X), K, replace=False)], "covars_": covars}


def _speed_rows(ctx, ref, CategoricalHMM):
    n_seq, T, K = (100, 1000, 20) if ctx.full else (20, 500, 20)
    rng = np.random.RandomState(1)
    params = {"startprob_": rng.dirichlet(np.ones(K)),
              "transmat_": rng.dirichlet(np.ones(K), K) * 0.5 + np.eye(K) * 0.5,
              "emissionprob_": rng.dirichlet(np.full(50, 0.3), K)}
    ours, theirs = _pair(CategoricalHMM, ref.CategoricalHMM, params)
    X, _ = theirs.sample(n_seq * T, random_state=2)
    lengths = np.full(n_seq, T)
    ours.predict(X[:50])  # compile (or load the numba cache) outside the timing
    ours.predict_proba(X[:50])
    size = f"{n_seq} seqs x {T} steps x {K} states"
    rows = []
    for what, fn in (("Viterbi", "predict"), ("forward-backward", "predict_proba")):
        t_o = best_time(lambda: getattr(ours, fn)(X, lengths))
        t_r = best_time(lambda: getattr(theirs, fn)(X, lengths))
        rows.append(Row(f"CategoricalHMM {what} time (s), {size}", t_o, t_r, "hmmlearn", tolerance=1.0, kind="speed"))
    o, r = _pair(CategoricalHMM, ref.CategoricalHMM, params, n_iter=3, tol=-np.inf)
    t_o = best_time(lambda: o.fit(X, lengths), repeats=1)
    t_r = best_time(lambda: r.fit(X, lengths), repeats=1)
    rows.append(Row(f"CategoricalHMM Baum-Welch, 3 iterations, time (s), {size}", t_o, t_r, "hmmlearn",
                    tolerance=1.0, kind="speed"))
    return rows


def _brute_force_row():
    from mlcanon.classic.hmm import CategoricalHMM

    rng = np.random.RandomState(3)
    K, T = 3, 6
    hmm = CategoricalHMM(K, init_params="")
    hmm.startprob_, hmm.transmat_ = rng.dirichlet(np.ones(K)), rng.dirichlet(np.ones(K), K)
    hmm.emissionprob_ = rng.dirichlet(np.ones(4), K)
    X = rng.randint(4, size=(T, 1))
    total = 0.0
    for path in itertools.product(range(K), repeat=T):
        p = hmm.startprob_[path[0]] * hmm.emissionprob_[path[0], X[0, 0]]
        for t in range(1, T):
            p *= hmm.transmat_[path[t - 1], path[t]] * hmm.emissionprob_[path[t], X[t, 0]]
        total += p
    return Row(f"forward log-likelihood = log of the sum over all {K ** T} state paths (K={K}, T={T})",
               hmm.score(X), float(np.log(total)), "brute force", tolerance=1e-12)


@check("维特比网格 Viterbi trellis (dishonest casino)")
def viterbi_trellis(ctx):
    """The Viterbi trellis: the most likely hidden path (fair or loaded die) through 80 rolls of the dishonest
    casino, drawn over the Viterbi score of each state at each step."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from mlcanon.classic.hmm import CategoricalHMM

    # Durbin, Eddy, Krogh & Mitchison, "Biological Sequence Analysis" (1998), section 3.2
    casino = CategoricalHMM(2, init_params="")
    casino.startprob_ = np.array([0.5, 0.5])
    casino.transmat_ = np.array([[0.95, 0.05], [0.10, 0.90]])
    casino.emissionprob_ = np.array([[1 / 6] * 6, [0.1] * 5 + [0.5]])
    rolls, truth = casino.sample(80, random_state=8)
    delta, back, path = casino.viterbi_trellis(rolls)
    # show each column's scores relative to its best, so the colours compare states, not time
    rel = delta - delta.max(axis=1, keepdims=True)
    fig, ax = plt.subplots(figsize=(11, 2.8))
    ax.imshow(np.maximum(rel.T, -8), aspect="auto", cmap="viridis", origin="lower")
    T = len(rolls)
    for t in range(1, T):
        for j in range(2):
            ax.plot([t - 1, t], [back[t, j], j], color="white", lw=0.4, alpha=0.5)
    ax.plot(range(T), path, color="red", lw=2, label="Viterbi path")
    ax.plot(range(T), truth + 0.08, "k.", ms=3, label="true state")
    ax.set_yticks([0, 1], ["fair", "loaded"])
    ax.set_xticks(range(T), [str(int(r) + 1) for r in rolls[:, 0]], fontsize=6)
    ax.set_xlabel("die roll")
    ax.legend(loc="upper right", fontsize=7)
    acc = float((path == truth).mean())
    caption = (f"log δ_t(j) − max_j log δ_t(j) (clipped at −8); white: each state's best predecessor; "
               f"red: the Viterbi path; dots: the state that generated the roll. {acc:.0%} of rolls decoded "
               "to the true die.")
    return [figure_from_matplotlib(fig, "Viterbi trellis of the dishonest casino (80 rolls)", caption),
            Note("The casino switches between a fair die and a loaded one (a six half of the time). "
                 "Viterbi keeps, for every roll and die, the best score of a path ending there and its "
                 "predecessor; the red line is read backwards from the best final score.")]
