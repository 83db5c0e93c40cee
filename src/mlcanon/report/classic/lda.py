"""LDA beside scikit-learn on TREC questions: perplexity with the same initialisation, time, and
the topics (top words) our model finds."""

from __future__ import annotations

import time

from mlcanon.report.core import Row, Table, check


def _corpus(ctx):
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer

    from mlcanon import data

    texts = data.load("trec", "train").texts
    if not ctx.full:
        texts = texts[:2000]
    # question words ("did", "does") are in every topic: drop them with the English stop words
    stop = sorted(ENGLISH_STOP_WORDS | {"did", "does", "nn"})
    vec = CountVectorizer(stop_words=stop, min_df=3)
    X = vec.fit_transform(texts).astype(float)
    return X, vec.get_feature_names_out()


def _timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


@check("LDA 主题模型 latent Dirichlet allocation")
def lda_vs_sklearn(ctx):
    from sklearn.decomposition import LatentDirichletAllocation as SkLDA

    from mlcanon.classic import LatentDirichletAllocation

    X, names = _corpus(ctx)
    LatentDirichletAllocation(n_components=2, max_iter=1, random_state=0).fit(X[:20])  # compile once, untimed
    items = []
    where = f"TREC questions ({X.shape[0]} docs, {X.shape[1]} words)"
    fitted = {}
    for method, passes in (("batch", 10 if ctx.full else 6), ("online", 5 if ctx.full else 3)):
        kw = dict(n_components=10, learning_method=method, max_iter=passes, random_state=0)
        ours, t_ours = _timed(lambda: LatentDirichletAllocation(**kw).fit(X))
        ref, t_ref = _timed(lambda: SkLDA(**kw).fit(X))
        fitted[method] = ours
        items.append(Row(f"{method} VB perplexity, same init, {passes} passes, {where}", ours.bound_, ref.bound_,
                         "scikit-learn", tolerance=0.02 * ref.bound_,
                         note="tolerance: 2% of scikit-learn's perplexity (the goal)"))
        gap = float(abs(ours.components_ - ref.components_).max() / abs(ref.components_).max())
        items.append(Row(f"{method} VB: max |Δ components_| / max components_", gap, 0.0, "scikit-learn",
                         tolerance=1e-8))
        items.append(Row(f"{method} VB fit time (s)", t_ours, t_ref, "scikit-learn", tolerance=1.5, kind="speed"))
    top = fitted["batch"].top_words(names, n=8)
    weights = fitted["batch"].components_.sum(axis=1)
    order = weights.argsort()[::-1]
    items.append(Table(f"LDA topics on {where}: top 8 words per topic (batch VB, 10 topics, our model)",
                       ["topic", "pseudo-count mass", "top words"],
                       [[int(k), f"{weights[k]:.0f}", ", ".join(top[k])] for k in order]))
    return items
