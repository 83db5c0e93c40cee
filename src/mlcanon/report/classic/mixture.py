"""Gaussian mixtures beside scikit-learn: the same fit from the same seed for every covariance
type, EM's monotone likelihood, a time ratio, and the fitted ellipses on iris petals."""

from __future__ import annotations

import warnings

import numpy as np

from mlcanon._threads import best_time, single_thread
from mlcanon.report.core import Row, check, figure_from_matplotlib


@check("高斯混合模型 Gaussian mixture (EM) vs scikit-learn")
def gmm_vs_sklearn(ctx):
    """A Gaussian mixture models the data as a weighted sum of Gaussians fitted by expectation-maximisation (EM);
    ours beside scikit-learn's, for every covariance type."""
    # one BLAS/OpenMP thread for both sides: sklearn's KMeans otherwise spins threads on a shared box
    with single_thread():
        return _gmm_vs_sklearn(ctx)


def _gmm_vs_sklearn(ctx):
    from sklearn.datasets import load_wine
    from sklearn.mixture import GaussianMixture as Ref

    from mlcanon.classic import GaussianMixture

    X = load_wine().data
    items = []
    for ct in ("full", "tied", "diag", "spherical"):
        kw = dict(n_components=3, covariance_type=ct, random_state=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ours, ref = GaussianMixture(**kw).fit(X), Ref(**kw).fit(X)
        items.append(Row(f"{ct}: max |Δ means_|, wine (178 x 13), same seed (k-means init)",
                         float(abs(ours.means_ - ref.means_).max()), 0.0, "scikit-learn", tolerance=1e-6))
        items.append(Row(f"{ct}: lower_bound_ (mean log-likelihood)", ours.lower_bound_, ref.lower_bound_,
                         "scikit-learn", tolerance=1e-8 * abs(ref.lower_bound_)))
        items.append(Row(f"{ct}: BIC", ours.bic(X), ref.bic(X), "scikit-learn", tolerance=1e-8 * abs(ref.bic(X))))
        bounds = np.diff(ours.lower_bounds_)
        items.append(Row(f"{ct}: log-likelihood never decreases over {len(ours.lower_bounds_)} EM steps",
                         float(bounds.min()) if len(bounds) else 0.0, ">= 0", "EM theorem",
                         passed=bool((bounds >= -1e-10).all())))
    rng = np.random.RandomState(0)
    from sklearn.datasets import load_digits

    D = load_digits().data
    D = D - D.mean(axis=0)
    Z = D @ np.linalg.svd(D, full_matrices=False)[2][:10].T
    n = 20_000 if ctx.full else 2_000
    Z = Z[rng.randint(len(Z), size=n)] + rng.randn(n, 10) * 0.5
    steps = 20 if ctx.full else 10
    kw = dict(n_components=8, covariance_type="full", max_iter=steps, tol=0, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t_o = best_time(lambda: GaussianMixture(**kw).fit(Z), repeats=2)
        t_r = best_time(lambda: Ref(**kw).fit(Z), repeats=2)
    items.append(Row(f"fit time (s), digits PCA-10 x {n}, 8 full components, {steps} EM steps", t_o, t_r,
                     "scikit-learn", tolerance=1.5, kind="speed"))
    return items


def _full_covariances(gm):
    c = gm.covariances_
    if gm.covariance_type == "full":
        return c
    if gm.covariance_type == "tied":
        return [c] * gm.n_components
    if gm.covariance_type == "diag":
        return [np.diag(row) for row in c]
    return [np.eye(gm.means_.shape[1]) * v for v in c]


@check("高斯混合椭圆 GMM ellipses on iris petals")
def gmm_ellipses(ctx):
    """What the four covariance types look like: the fitted Gaussian components drawn as ellipses on the iris
    petals."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Ellipse
    from sklearn.datasets import load_iris

    from mlcanon.classic import GaussianMixture

    iris = load_iris()
    X = iris.data[:, 2:4]  # petal length, petal width (cm)
    fits = {ct: GaussianMixture(3, covariance_type=ct, random_state=0).fit(X)
            for ct in ("full", "tied", "diag", "spherical")}
    # One view for all four panels that holds every point and every 2-sigma ellipse: with
    # set_aspect(adjustable="datalim") on shared axes matplotlib cut the x range to 2.5-5.4 cm and lost setosa.
    corners = [X.min(axis=0), X.max(axis=0)]
    for gm in fits.values():
        for mean, cov in zip(gm.means_, _full_covariances(gm)):
            half = 2 * np.sqrt(np.diag(cov))  # the 2-sigma ellipse's half-extent along each axis
            corners += [mean - half, mean + half]
    lo, hi = np.min(corners, axis=0) - 0.2, np.max(corners, axis=0) + 0.2
    fig, axes = plt.subplots(2, 2, figsize=(11, 6.4))
    for ax, (ct, gm) in zip(axes.flat, fits.items()):
        labels = gm.predict(X)
        ax.scatter(X[:, 0], X[:, 1], c=labels, s=8, cmap="tab10", vmin=0, vmax=9)
        covs = _full_covariances(gm)
        for k, (mean, cov) in enumerate(zip(gm.means_, covs)):
            vals, vecs = np.linalg.eigh(cov)
            angle = np.degrees(np.arctan2(vecs[1, 1], vecs[0, 1]))
            for n_std in (1, 2):
                w, h = 2 * n_std * np.sqrt(vals[1]), 2 * n_std * np.sqrt(vals[0])
                ax.add_patch(Ellipse(mean, w, h, angle=angle, fill=False, color=plt.cm.tab10(k),
                                     lw=1.5 if n_std == 1 else 0.8))
        ax.set_xlim(lo[0], hi[0])
        ax.set_ylim(lo[1], hi[1])
        ax.set_aspect("equal", adjustable="box")  # so that a spherical component draws as a circle
        ax.set_title(f"{ct}  (BIC {gm.bic(X):.0f})", fontsize=9)
        ax.set_xlabel("petal length (cm)")
        ax.set_ylabel("petal width (cm)")
    caption = ("Three-component mixtures fitted by EM to the 150 iris flowers' petal measurements, one panel "
               "per covariance type; ellipses at 1 and 2 standard deviations, points coloured by their most "
               "likely component.")
    return [figure_from_matplotlib(fig, "Gaussian mixture ellipses on iris petals", caption)]
