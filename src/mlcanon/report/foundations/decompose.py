"""SVD, truncated SVD and PCA beside scikit-learn, and latent semantic analysis of TREC questions:
TF-IDF -> TruncatedSVD(100) -> nearest questions by cosine similarity."""

from __future__ import annotations

from mlcanon.report.core import Row, Table, check, figure_from_matplotlib


@check("PCA 主成分分析 principal component analysis")
def pca_vs_sklearn(ctx):
    """Principal component analysis projects centred data onto the directions of largest variance (the top singular
    vectors); ours beside scikit-learn's, for every solver."""
    import numpy as np
    from sklearn import datasets
    from sklearn.decomposition import PCA as SkPCA

    from mlcanon.decompose import PCA

    items = []
    for name, loader in (("digits", datasets.load_digits), ("wine", datasets.load_wine), ("iris", datasets.load_iris)):
        X = loader().data
        for solver, k in (("full", None), ("covariance_eigh", 3), ("randomized", 3)):
            ours = PCA(k, svd_solver=solver, random_state=0).fit(X)
            ref = SkPCA(k, svd_solver=solver, random_state=0).fit(X)
            rel = float(np.max(np.abs(ours.explained_variance_ - ref.explained_variance_) / ref.explained_variance_.max()))
            items.append(Row(f"PCA explained_variance_ max rel. |Δ|, {name} {X.shape}, svd_solver={solver!r}",
                             rel, 0.0, "scikit-learn", tolerance=1e-8))
        ours = PCA(0.95, svd_solver="full").fit(X)
        ref = SkPCA(0.95, svd_solver="full").fit(X)
        items.append(Row(f"PCA n_components_ for 95% variance, {name}", ours.n_components_, ref.n_components_,
                         "scikit-learn", tolerance=0))
    return items


@check("截断 SVD / LSA truncated SVD and latent semantic analysis")
def lsa_on_trec(ctx):
    """Truncated SVD keeps the top singular vectors of a term-document matrix without centring it; on TF-IDF
    vectors it is latent semantic analysis (LSA), which finds questions that share meaning, not only words."""
    import numpy as np
    from sklearn.decomposition import TruncatedSVD as SkTruncatedSVD

    from mlcanon import data
    from mlcanon.decompose import TruncatedSVD
    from mlcanon.text import TfidfVectorizer

    train = data.load("trec", "train")
    texts = train.texts
    # a few function words out, so that neighbours share topics rather than "the" and "of"
    stop = ["the", "of", "a", "an", "is", "are", "was", "in", "to", "and", "for", "on", "does", "do", "did"]
    X = TfidfVectorizer(min_df=2, sublinear_tf=True, stop_words=stop).fit_transform(texts)  # (5452, n_terms)
    items = []

    # exact (LAPACK) against scikit-learn's ARPACK on a densifiable slice; randomized against randomized
    small = X[:800]
    small = small[:, np.flatnonzero(np.diff(small.tocsc().indptr))]
    exact = TruncatedSVD(20, algorithm="exact").fit(small)
    arpack = SkTruncatedSVD(20, algorithm="arpack", random_state=0).fit(small)
    rel = float(np.max(np.abs(exact.explained_variance_ - arpack.explained_variance_) / arpack.explained_variance_.max()))
    items.append(Row(f"TruncatedSVD exact vs scikit-learn arpack: explained_variance_ max rel. |Δ| "
                     f"(TF-IDF of 800 TREC questions, {small.shape[1]} terms, k=20)", rel, 0.0, "scikit-learn",
                     tolerance=1e-8))
    k = 100
    ours = TruncatedSVD(k, algorithm="randomized", random_state=0)
    Z = ours.fit_transform(X)
    ref = SkTruncatedSVD(k, algorithm="randomized", random_state=0).fit(X)
    items.append(Row(f"TruncatedSVD randomized, k={k}, TF-IDF of all {X.shape[0]} TREC questions: "
                     "explained_variance_ratio_ sum", float(ours.explained_variance_ratio_.sum()),
                     float(ref.explained_variance_ratio_.sum()), "scikit-learn", tolerance=1e-10))
    items.append(Row("… components_ max |Δ| (same random_state, same sign convention)",
                     float(np.abs(ours.components_ - ref.components_).max()), 0.0, "scikit-learn", tolerance=1e-8))

    # nearest questions in the 100-dimensional LSA space
    unit = Z / np.maximum(np.linalg.norm(Z, axis=1, keepdims=True), 1e-12)
    rows = []
    queries = [next(i for i, t in enumerate(texts) if t.startswith(p))
               for p in ("Who invented", "How far is", "What is the population of")]
    for q in queries:
        sims = unit @ unit[q]
        sims[q] = -np.inf
        for rank, j in enumerate(np.argsort(-sims)[:3], start=1):
            rows.append([texts[q] if rank == 1 else "", rank, texts[j], f"{sims[j]:.3f}", train.labels[j]])
    items.append(Table("LSA: nearest TREC questions by cosine in the 100-d TruncatedSVD space",
                       ["query", "rank", "nearest question", "cosine", "label"], rows))
    items.append(_scatter(Z[:, :2], [lab.split(":")[0] for lab in train.labels]))
    return items


def _scatter(Z2, coarse):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    coarse = np.asarray(coarse)
    for label in sorted(set(coarse)):
        m = coarse == label
        ax.scatter(Z2[m, 0], Z2[m, 1], s=4, alpha=0.5, label=label)
    # 146 questions keep only the term "what" after min_df=2 ("What is ethology ?") and coincide at one point
    # far right; limits taken over all points would squash the other 5,300 into a corner. The view spans the
    # central 99.8% of the *distinct* points; what lies outside is drawn on the border as a triangle.
    distinct = np.unique(Z2.round(6), axis=0)
    lo, hi = np.percentile(distinct, [0.1, 99.9], axis=0)
    pad = 0.04 * (hi - lo)
    lo, hi = lo - pad, hi + pad
    out = ~((Z2 >= lo) & (Z2 <= hi)).all(axis=1)
    if out.any():
        ax.scatter(*np.clip(Z2[out], lo, hi).T, marker="^", s=16, color="k", zorder=3, clip_on=False,
                   label=f"{int(out.sum())} outside the view")
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    ax.set_xlabel("LSA component 1")
    ax.set_ylabel("LSA component 2")
    ax.legend(markerscale=2, fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    caption = "TF-IDF → TruncatedSVD, coloured by the coarse question type."
    if out.any():
        far = Z2[out][Z2[out, 0].argmax()]
        caption += (f" {int(out.sum())} of {len(Z2):,} questions lie outside the view (black triangles on its "
                    "border), most of them questions reduced to the single term \"what\" that coincide at "
                    f"({far[0]:.2f}, {far[1]:.2f}).")
    return figure_from_matplotlib(fig, "TREC questions in the first two LSA dimensions", caption)
