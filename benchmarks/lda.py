"""LatentDirichletAllocation vs scikit-learn: fit (batch and online), transform and perplexity on SST-2.

The corpus is all of SST-2 (train + dev + test, 9,613 sentences) as a CountVectorizer word-count
matrix (English stop words out, min_df=2). Same parameters and random_state for both, so both do
the same work and end at the same topics (the parity is checked here too). Goal: ≤ 1.5× sklearn's time.
"""

from __future__ import annotations

import numpy as np

from benchmarks.harness import Comparison, compare


def corpus(quick: bool):
    from sklearn.feature_extraction.text import CountVectorizer

    from mlcanon import data

    texts = [t for split in ("train", "dev", "test") for t in data.load("sst2", split).texts]
    if quick:
        texts = texts[:2000]
    return CountVectorizer(stop_words="english", min_df=2).fit_transform(texts).astype(np.float64)


def run(repeats: int, quick: bool) -> list[Comparison]:
    from sklearn.decomposition import LatentDirichletAllocation as SkLDA

    from mlcanon.classic import LatentDirichletAllocation

    X = corpus(quick)
    params = {"n_docs": X.shape[0], "n_features": X.shape[1], "nnz": int(X.nnz)}
    out = []
    for method, k in (("batch", 10), ("online", 10), ("batch", 20)):
        kw = dict(n_components=k, learning_method=method, max_iter=10, random_state=0)
        ours, ref = LatentDirichletAllocation(**kw), SkLDA(**kw)
        c = compare(f"fit {method}, {k} topics, 10 passes", lambda: ours.fit(X), lambda: ref.fit(X),
                    reference_name="scikit-learn", repeats=repeats, goal=1.5, params={**params, **kw})
        rel = abs(ours.bound_ - ref.bound_) / ref.bound_
        c.notes = f"train perplexity ours {ours.bound_:.6f} vs sklearn {ref.bound_:.6f} (rel. diff {rel:.1e})"
        out.append(c)
    out.append(compare("transform, 20 topics", lambda: ours.transform(X), lambda: ref.transform(X),
                       reference_name="scikit-learn", repeats=repeats, goal=1.5, params=params))
    out.append(compare("perplexity, 20 topics", lambda: ours.perplexity(X), lambda: ref.perplexity(X),
                       reference_name="scikit-learn", repeats=repeats, goal=1.5, params=params))
    return out
