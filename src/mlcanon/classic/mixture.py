"""Gaussian mixture model fitted by EM (Dempster, Laird & Rubin 1977), equal to scikit-learn 1.9's.

p(x) = sum_k w_k N(x | mu_k, Sigma_k). EM alternates:

- E-step: log r_nk = log w_k + log N(x_n | mu_k, Sigma_k) - logsumexp_j(log w_j + log N(x_n | mu_j, Sigma_j));
  the lower bound is the mean log-likelihood (1/N) sum_n logsumexp_k(...).
- M-step: N_k = sum_n r_nk + 10 eps, w_k = N_k / sum_j N_j, mu_k = sum_n r_nk x_n / N_k,
  Sigma_k = sum_n r_nk (x_n - mu_k)(x_n - mu_k)^T / N_k + reg_covar I
  ("tied": one Sigma pooled over components; "diag": only the diagonal; "spherical": its mean).

Each EM step cannot lower the log-likelihood (Dempster et al. 1977, Theorem 1); ``lower_bounds_``
keeps every step's value so that this is checked (tests/classic/test_mixture.py).

The log-density works with the Cholesky factor of the precision, as scikit-learn does:
Sigma = L L^T, P = Sigma^-1 = U U^T with U = L^-T, and
log N(x | mu, Sigma) = -0.5 (D log 2 pi + ||(x - mu) U||^2) + sum_d log U_dd.

Initialisation: ``"kmeans"`` labels from k-means (Lloyd 1982 with k-means++ seeding, Arthur &
Vassilvitskii 2007), ``"k-means++"`` the seeds alone, ``"random"`` random responsibilities,
``"random_from_data"`` random data points as means. The k-means below draws its random numbers
as scikit-learn's ``KMeans`` does, so the same ``random_state`` gives the same start.

Reference: ``sklearn.mixture.GaussianMixture`` (scikit-learn 1.9): same arguments, attributes
(``weights_``, ``means_``, ``covariances_``, ``precisions_``, ``precisions_cholesky_``,
``converged_``, ``n_iter_``, ``lower_bound_``, ``lower_bounds_``) and results, bit for bit on
float64 data in our tests. One difference: float32 input is computed in float64 (scikit-learn
keeps float32), so on float32 data the two agree to float32 precision, not to the last bit.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
from scipy import linalg
from scipy.special import logsumexp

from mlcanon.classic._base import (
    BaseEstimator,
    ConvergenceWarning,
    DensityMixin,
    convergence_warning,
    check_is_fitted,
    check_random_state,
    validate_X,
)
from mlcanon.validation import check_array, check_int, check_option, check_scalar

__all__ = ["GaussianMixture", "KMeans", "kmeans_plusplus", "ConvergenceWarning"]

COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")
INIT_PARAMS = ("kmeans", "k-means++", "random", "random_from_data")


# ---------------------------------------------------------------------------------------- k-means
def _sq_distances(C: np.ndarray, X: np.ndarray, x_sq: np.ndarray) -> np.ndarray:
    """||c - x||^2 = -2 c.x + ||c||^2 + ||x||^2, clipped at 0 (scikit-learn's order of operations)."""
    d = -2 * (C @ X.T)
    d += np.einsum("ij,ij->i", C, C)[:, None]
    d += x_sq[None, :]
    np.maximum(d, 0, out=d)
    return d


def _kmeans_plusplus(X, n_clusters, x_sq, rng, n_local_trials=None):
    """Greedy k-means++: each new centre is the best of ``2 + log k`` candidates drawn with
    probability proportional to the squared distance to the nearest chosen centre."""
    n_samples = X.shape[0]
    if n_local_trials is None:
        n_local_trials = 2 + int(np.log(n_clusters))
    weights = np.ones(n_samples)
    centers = np.empty((n_clusters, X.shape[1]))
    indices = np.full(n_clusters, -1, dtype=int)
    first = rng.choice(n_samples, p=weights / weights.sum())
    centers[0], indices[0] = X[first], first
    closest = _sq_distances(X[[first]], X, x_sq)  # (1, n)
    pot = closest @ weights
    for c in range(1, n_clusters):
        rand_vals = rng.uniform(size=n_local_trials) * pot
        cand = np.searchsorted(np.cumsum(weights * closest), rand_vals)
        np.clip(cand, None, closest.size - 1, out=cand)
        dist = _sq_distances(X[cand], X, x_sq)
        np.minimum(closest, dist, out=dist)
        cand_pot = dist @ weights.reshape(-1, 1)
        best = int(np.argmin(cand_pot))
        pot, closest = cand_pot[best], dist[best]
        centers[c], indices[c] = X[cand[best]], cand[best]
    return centers, indices


def kmeans_plusplus(X, n_clusters, *, random_state=None, n_local_trials=None):
    """k-means++ seeds: ``(centers, indices)`` as ``sklearn.cluster.kmeans_plusplus`` returns them."""
    X = check_array(X, "X", ndim=2, dtype=np.float64)
    n_clusters = check_int(n_clusters, "n_clusters", minimum=1, maximum=X.shape[0])
    x_sq = np.einsum("ij,ij->i", X, X)
    return _kmeans_plusplus(X, n_clusters, x_sq, check_random_state(random_state), n_local_trials)


def _assign(X, centers):
    """Nearest centre of every point: argmin_k ||c_k||^2 - 2 x.c_k (||x||^2 does not change the argmin)."""
    d = np.einsum("ij,ij->i", centers, centers)[None, :] - 2 * (X @ centers.T)
    return np.argmin(d, axis=1)


def _lloyd(X, centers, max_iter, tol):
    """Lloyd's iterations until the labels stop changing or the centres move less than ``tol``."""
    K = centers.shape[0]
    labels_old = np.full(X.shape[0], -1)
    strict = False
    for it in range(max_iter):
        labels = _assign(X, centers)
        counts = np.bincount(labels, minlength=K).astype(float)
        sums = np.stack([np.bincount(labels, weights=X[:, d], minlength=K) for d in range(X.shape[1])], axis=1)
        if (counts == 0).any():
            _relocate_empty(X, centers, labels, sums, counts)
        new = np.where(counts[:, None] > 0, sums / np.maximum(counts, 1)[:, None], centers)
        shift = ((new - centers) ** 2).sum()
        centers = new
        if np.array_equal(labels, labels_old):
            strict = True
            break
        if shift <= tol:
            break
        labels_old = labels
    if not strict:
        labels = _assign(X, centers)
    inertia = float(((X - centers[labels]) ** 2).sum())
    return labels, inertia, centers, it + 1


def _relocate_empty(X, centers, labels, sums, counts):
    """An empty cluster takes the point farthest from its centre (scikit-learn's rule)."""
    empty = np.flatnonzero(counts == 0)
    dist = ((X - centers[labels]) ** 2).sum(axis=1)
    far = np.argsort(dist)[::-1][: len(empty)]
    for k, i in zip(empty, far):
        old = labels[i]
        sums[old] -= X[i]
        counts[old] -= 1
        sums[k] = X[i]
        counts[k] = 1


def _same_clustering(a, b, K) -> bool:
    mapping = np.full(K, -1)
    for x, y in zip(a, b):
        if mapping[x] == -1:
            mapping[x] = y
        elif mapping[x] != y:
            return False
    return True


class KMeans(BaseEstimator):
    """k-means (Lloyd) with greedy k-means++ seeding, used to initialise the mixture and the HMM.

    It draws random numbers as ``sklearn.cluster.KMeans(algorithm="lloyd")`` does, keeps the
    best of ``n_init`` runs by inertia, and centres the data first, so that the same
    ``random_state`` gives the same clustering.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0, 0], [0, 1], [10, 0], [10, 1]])
    >>> KMeans(2, random_state=0).fit(X).cluster_centers_[:, 1]
    array([0.5, 0.5])
    """

    def __init__(self, n_clusters=8, *, n_init=1, max_iter=300, tol=1e-4, random_state=None):
        self.n_clusters = n_clusters
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state

    def fit(self, X, y=None):
        X = check_array(X, "X", ndim=2, dtype=np.float64)
        K = check_int(self.n_clusters, "n_clusters", minimum=1)
        if X.shape[0] < K:
            raise ValueError(f"X: n_samples={X.shape[0]} should be >= n_clusters={K}")
        tol = float(np.mean(np.var(X, axis=0)) * self.tol) if self.tol else 0.0
        rng = check_random_state(self.random_state)
        mean = X.mean(axis=0)
        Xc = X - mean
        x_sq = np.einsum("ij,ij->i", Xc, Xc)
        best = None
        for _ in range(check_int(self.n_init, "n_init", minimum=1)):
            seeds, _ = _kmeans_plusplus(Xc, K, x_sq, rng)
            labels, inertia, centers, n_iter = _lloyd(Xc, seeds, self.max_iter, tol)
            if best is None or (inertia < best[1] and not _same_clustering(labels, best[0], K)):
                best = (labels, inertia, centers, n_iter)
        self.labels_, self.inertia_, centers, self.n_iter_ = best
        self.cluster_centers_ = centers + mean
        return self


# ---------------------------------------------------------------------------------------- Gaussians
def _estimate_gaussian_parameters(X, resp, reg_covar, covariance_type):
    """M-step statistics: (N_k, means, covariances) from responsibilities ``resp`` (n, K)."""
    nk = resp.sum(axis=0) + 10 * np.finfo(resp.dtype).eps
    means = (resp.T @ X) / nk[:, None]
    if covariance_type == "full":
        K, D = means.shape
        cov = np.empty((K, D, D))
        for k in range(K):
            diff = X - means[k]
            cov[k] = (resp[:, k] * diff.T) @ diff / nk[k]
            cov[k].flat[:: D + 1] += reg_covar
    elif covariance_type == "tied":
        cov = X.T @ X - nk * means.T @ means
        cov /= nk.sum()
        cov.flat[:: X.shape[1] + 1] += reg_covar
    else:
        cov = (resp.T @ (X * X)) / nk[:, None] - means ** 2 + reg_covar
        if covariance_type == "spherical":
            cov = cov.mean(axis=1)
    return nk, means, cov


_ILL_DEFINED = ("Fitting the mixture model failed because some components have ill-defined empirical "
                "covariance (for instance caused by singleton or collapsed samples). Try to decrease the "
                "number of components, increase reg_covar, or scale the input data.")


def _precision_cholesky(cov, covariance_type):
    """U with U U^T = Sigma^-1: U = L^-T for Sigma = L L^T (1 / sqrt(sigma^2) for diag/spherical)."""
    if covariance_type in ("full", "tied"):
        mats = cov if covariance_type == "full" else cov[None]
        out = np.empty_like(mats)
        D = mats.shape[-1]
        for k, c in enumerate(mats):
            try:
                chol = linalg.cholesky(c, lower=True)
            except linalg.LinAlgError:
                raise ValueError(_ILL_DEFINED) from None
            out[k] = linalg.solve_triangular(chol, np.eye(D), lower=True).T
        return out if covariance_type == "full" else out[0]
    if np.any(cov <= 0.0):
        raise ValueError(_ILL_DEFINED)
    return 1.0 / np.sqrt(cov)


def _precision_cholesky_from_precisions(prec, covariance_type):
    """U from a given precision P: Cholesky of P with rows and columns reversed, reversed back."""
    flip = lambda a: a[::-1, ::-1]  # noqa: E731
    if covariance_type == "full":
        return np.stack([flip(linalg.cholesky(flip(p), lower=True)) for p in prec])
    if covariance_type == "tied":
        return flip(linalg.cholesky(flip(prec), lower=True))
    return np.sqrt(prec)


def _log_det_cholesky(U, covariance_type, D):
    if covariance_type == "full":
        return np.sum(np.log(U.reshape(U.shape[0], -1)[:, :: D + 1]), axis=1)
    if covariance_type == "tied":
        return np.sum(np.log(np.diag(U)))
    if covariance_type == "diag":
        return np.sum(np.log(U), axis=1)
    return D * np.log(U)


def _estimate_log_gaussian_prob(X, means, U, covariance_type):
    """log N(x_n | mu_k, Sigma_k) for all n, k: (n, K)."""
    n, D = X.shape
    K = means.shape[0]
    log_det = _log_det_cholesky(U, covariance_type, D)
    if covariance_type in ("full", "tied"):
        out = np.empty((n, K))
        for k in range(K):
            Uk = U[k] if covariance_type == "full" else U
            y = X @ Uk - means[k] @ Uk
            out[:, k] = np.sum(np.square(y), axis=1)
    elif covariance_type == "diag":
        P = U ** 2
        out = np.sum(means ** 2 * P, axis=1) - 2.0 * (X @ (means * P).T) + (X ** 2 @ P.T)
    else:
        P = U ** 2
        out = (np.sum(means ** 2, axis=1) * P - 2 * (X @ means.T * P)
               + np.outer(np.einsum("ij,ij->i", X, X), P))
    return -0.5 * (D * math.log(2 * math.pi) + out) + log_det


class GaussianMixture(DensityMixin, BaseEstimator):
    """Gaussian mixture model fitted by expectation-maximisation.

    Parameters
    ----------
    n_components : int, default=1
        Number of Gaussians K.
    covariance_type : {"full", "tied", "diag", "spherical"}, default="full"
    tol : float, default=1e-3
        Stop when the mean log-likelihood changes by less than this.
    reg_covar : float, default=1e-6
        Added to the diagonal of every covariance (keeps them positive definite).
    max_iter : int, default=100
    n_init : int, default=1
        Number of initialisations; the one with the best final lower bound is kept.
    init_params : {"kmeans", "k-means++", "random", "random_from_data"}, default="kmeans"
    weights_init : array-like of shape (n_components,), optional
    means_init : array-like of shape (n_components, n_features), optional
    precisions_init : array-like, optional
        Shape (n_components,) "spherical", (n_features, n_features) "tied",
        (n_components, n_features) "diag", (n_components, n_features, n_features) "full".
    random_state : int, RandomState or None
    warm_start : bool, default=False
        Start the next ``fit`` from this fit's parameters (one initialisation).
    verbose : int, default=0
    verbose_interval : int, default=10

    Attributes
    ----------
    weights_ : ndarray of shape (n_components,)
    means_ : ndarray of shape (n_components, n_features)
    covariances_, precisions_, precisions_cholesky_ : ndarray (shape as ``precisions_init``)
    converged_ : bool
    n_iter_ : int
    lower_bound_ : float
        Mean log-likelihood of the training data at the best fit's last step.
    lower_bounds_ : list of float
        The lower bound after each EM step of the best fit (non-decreasing: EM's guarantee).
    n_features_in_ : int

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1, 2], [1, 4], [1, 0], [10, 2], [10, 4], [10, 0]])
    >>> gm = GaussianMixture(n_components=2, random_state=0).fit(X)
    >>> gm.means_
    array([[10.,  2.],
           [ 1.,  2.]])
    >>> gm.predict([[0, 0], [12, 3]])
    array([1, 0])
    """

    def __init__(self, n_components=1, *, covariance_type="full", tol=1e-3, reg_covar=1e-6, max_iter=100,
                 n_init=1, init_params="kmeans", weights_init=None, means_init=None, precisions_init=None,
                 random_state=None, warm_start=False, verbose=0, verbose_interval=10):
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.tol = tol
        self.reg_covar = reg_covar
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.weights_init = weights_init
        self.means_init = means_init
        self.precisions_init = precisions_init
        self.random_state = random_state
        self.warm_start = warm_start
        self.verbose = verbose
        self.verbose_interval = verbose_interval

    # ------------------------------------------------------------------ checks
    def _check_parameters(self, X):
        K = check_int(self.n_components, "n_components", minimum=1)
        check_option(self.covariance_type, "covariance_type", COVARIANCE_TYPES)
        check_scalar(self.tol, "tol", minimum=0.0)
        check_scalar(self.reg_covar, "reg_covar", minimum=0.0)
        check_int(self.max_iter, "max_iter", minimum=0)
        check_int(self.n_init, "n_init", minimum=1)
        check_option(self.init_params, "init_params", INIT_PARAMS)
        check_int(self.verbose_interval, "verbose_interval", minimum=1)
        if X.shape[0] < K:
            raise ValueError(f"Expected n_samples >= n_components but got n_components = {K}, "
                             f"n_samples = {X.shape[0]}")
        D = X.shape[1]
        init = {}
        if self.weights_init is not None:
            w = check_array(self.weights_init, "weights_init", ndim=1, dtype=np.float64)
            if w.shape != (K,):
                raise ValueError(f"weights_init: expected shape ({K},), got {w.shape}")
            if (w < 0).any() or (w > 1).any():
                raise ValueError(f"weights_init: expected values in [0, 1], got min {w.min():.5f}, max {w.max():.5f}")
            if not np.allclose(np.abs(1.0 - w.sum()), 0.0):
                raise ValueError(f"weights_init: expected weights that sum to 1, got a sum of {w.sum():.5f}")
            init["weights"] = w
        if self.means_init is not None:
            m = check_array(self.means_init, "means_init", ndim=2, dtype=np.float64)
            if m.shape != (K, D):
                raise ValueError(f"means_init: expected shape ({K}, {D}), got {m.shape}")
            init["means"] = m
        if self.precisions_init is not None:
            init["precisions"] = self._check_precisions(K, D)
        return init

    def _check_precisions(self, K, D):
        ct = self.covariance_type
        shape = {"full": (K, D, D), "tied": (D, D), "diag": (K, D), "spherical": (K,)}[ct]
        p = check_array(self.precisions_init, "precisions_init", ndim=len(shape), dtype=np.float64)
        if p.shape != shape:
            raise ValueError(f"precisions_init: expected shape {shape} for covariance_type={ct!r}, got {p.shape}")
        mats = p if ct == "full" else p[None] if ct == "tied" else None
        if mats is None:
            if (p <= 0).any():
                raise ValueError(f"precisions_init: {ct!r} precisions must be positive")
        else:
            for k, m in enumerate(mats):
                if not np.allclose(m, m.T) or np.linalg.eigvalsh(m).min() <= 0:
                    raise ValueError(f"precisions_init: {ct!r} precision {k} must be symmetric, positive-definite")
        return p

    # ------------------------------------------------------------------ initialisation
    def _initialize_parameters(self, X, rng, init):
        if len(init) == 3:  # everything given: no responsibilities are needed
            self._initialize(X, None, init)
            return
        n, K = X.shape[0], self.n_components
        resp = np.zeros((n, K))
        if self.init_params == "kmeans":
            labels = KMeans(n_clusters=K, n_init=1, random_state=rng).fit(X).labels_
            resp[np.arange(n), labels] = 1
        elif self.init_params == "random":
            resp = rng.uniform(size=(n, K))
            resp /= resp.sum(axis=1)[:, None]
        elif self.init_params == "random_from_data":
            idx = rng.choice(n, size=K, replace=False)
            resp[idx, np.arange(K)] = 1
        else:
            _, idx = _kmeans_plusplus(X, K, np.einsum("ij,ij->i", X, X), rng)
            resp[idx, np.arange(K)] = 1
        self._initialize(X, resp, init)

    def _initialize(self, X, resp, init):
        weights = means = cov = None
        if resp is not None:
            weights, means, cov = _estimate_gaussian_parameters(X, resp, self.reg_covar, self.covariance_type)
            if "weights" not in init:
                weights = weights / X.shape[0]
        self.weights_ = init.get("weights", weights)
        self.means_ = init.get("means", means)
        if "precisions" in init:
            self.precisions_cholesky_ = _precision_cholesky_from_precisions(init["precisions"], self.covariance_type)
            p = init["precisions"]
            self.covariances_ = np.linalg.inv(p) if self.covariance_type in ("full", "tied") else 1.0 / p
        else:
            self.covariances_ = cov
            self.precisions_cholesky_ = _precision_cholesky(cov, self.covariance_type)

    # ------------------------------------------------------------------ EM
    def fit(self, X, y=None):
        """Estimate the parameters by EM (``n_init`` starts, the best lower bound kept). Returns self."""
        self.fit_predict(X, y)
        return self

    def fit_predict(self, X, y=None):
        """Fit, then return the most likely component of every sample."""
        X = validate_X(self, X, reset=True, min_samples=2)
        init = self._check_parameters(X)
        do_init = not (self.warm_start and hasattr(self, "converged_"))
        n_init = self.n_init if do_init else 1
        max_lower_bound = -np.inf
        best_params, best_n_iter, best_bounds = None, 0, []
        self.converged_ = False
        rng = check_random_state(self.random_state)
        for i in range(n_init):
            if self.verbose:
                print(f"Initialization {i}")
            if do_init:
                self._initialize_parameters(X, rng, init)
            lower_bound = -np.inf if do_init else self.lower_bound_
            bounds = []
            if self.max_iter == 0:
                best_params, best_n_iter = self._get_parameters(), 0
                continue
            converged = False
            for n_iter in range(1, self.max_iter + 1):
                prev = lower_bound
                log_prob_norm, log_resp = self._e_step(X)
                self._m_step(X, log_resp)
                lower_bound = log_prob_norm
                bounds.append(lower_bound)
                if self.verbose and n_iter % self.verbose_interval == 0:
                    print(f"  Iteration {n_iter}\t ll change {lower_bound - prev:.5f}")
                if abs(lower_bound - prev) < self.tol:
                    converged = True
                    break
            if lower_bound > max_lower_bound or max_lower_bound == -np.inf:
                max_lower_bound = lower_bound
                best_params, best_n_iter, best_bounds = self._get_parameters(), n_iter, bounds
                self.converged_ = converged
        if not self.converged_ and self.max_iter > 0:
            warnings.warn("Best performing initialization did not converge. Try different init parameters, "
                          "or increase max_iter, tol, or check for degenerate data.", convergence_warning(),
                          stacklevel=2)
        self._set_parameters(best_params)
        self.n_iter_ = best_n_iter
        self.lower_bound_ = max_lower_bound
        self.lower_bounds_ = best_bounds
        _, log_resp = self._e_step(X)
        return log_resp.argmax(axis=1)

    def _e_step(self, X):
        log_prob_norm, log_resp = self._estimate_log_prob_resp(X)
        return float(np.mean(log_prob_norm)), log_resp

    def _m_step(self, X, log_resp):
        self.weights_, self.means_, self.covariances_ = _estimate_gaussian_parameters(
            X, np.exp(log_resp), self.reg_covar, self.covariance_type)
        self.weights_ /= self.weights_.sum()
        self.precisions_cholesky_ = _precision_cholesky(self.covariances_, self.covariance_type)

    def _get_parameters(self):
        return (self.weights_, self.means_, getattr(self, "covariances_", None), self.precisions_cholesky_)

    def _set_parameters(self, params):
        self.weights_, self.means_, self.covariances_, self.precisions_cholesky_ = params
        U = self.precisions_cholesky_
        if self.covariance_type == "full":
            self.precisions_ = np.matmul(U, np.transpose(U, (0, 2, 1)))
        elif self.covariance_type == "tied":
            self.precisions_ = U @ U.T
        else:
            self.precisions_ = U ** 2

    def _estimate_weighted_log_prob(self, X):
        log_prob = _estimate_log_gaussian_prob(X, self.means_, self.precisions_cholesky_, self.covariance_type)
        return log_prob + np.log(self.weights_)

    def _estimate_log_prob_resp(self, X):
        wlp = self._estimate_weighted_log_prob(X)
        log_prob_norm = logsumexp(wlp, axis=1)
        with np.errstate(under="ignore"):
            log_resp = wlp - log_prob_norm[:, None]
        return log_prob_norm, log_resp

    # ------------------------------------------------------------------ prediction
    def score_samples(self, X):
        """log p(x_n) of every sample: array of shape (n_samples,)."""
        check_is_fitted(self, "precisions_cholesky_")
        X = validate_X(self, X, reset=False)
        return logsumexp(self._estimate_weighted_log_prob(X), axis=1)

    def score(self, X, y=None) -> float:
        """Mean log-likelihood of the samples."""
        return float(np.mean(self.score_samples(X)))

    def predict(self, X):
        """Most likely component of every sample."""
        check_is_fitted(self, "precisions_cholesky_")
        X = validate_X(self, X, reset=False)
        return self._estimate_weighted_log_prob(X).argmax(axis=1)

    def predict_proba(self, X):
        """Responsibilities P(component k | x_n): array of shape (n_samples, n_components)."""
        check_is_fitted(self, "precisions_cholesky_")
        X = validate_X(self, X, reset=False)
        return np.exp(self._estimate_log_prob_resp(X)[1])

    def _n_parameters(self) -> int:
        K, D = self.means_.shape
        cov = {"full": K * D * (D + 1) / 2.0, "diag": K * D, "tied": D * (D + 1) / 2.0,
               "spherical": K}[self.covariance_type]
        return int(cov + D * K + K - 1)

    def bic(self, X) -> float:
        """Bayesian information criterion: -2 log L + n_parameters log n (lower is better)."""
        X = check_array(X, "X", ndim=2, dtype=np.float64)
        return -2 * self.score(X) * X.shape[0] + self._n_parameters() * math.log(X.shape[0])

    def aic(self, X) -> float:
        """Akaike information criterion: -2 log L + 2 n_parameters (lower is better)."""
        X = check_array(X, "X", ndim=2, dtype=np.float64)
        return -2 * self.score(X) * X.shape[0] + 2 * self._n_parameters()

    def sample(self, n_samples=1):
        """Draw ``(X, labels)`` from the fitted mixture (scikit-learn's draws, in its order)."""
        check_is_fitted(self, "precisions_cholesky_")
        n_samples = check_int(n_samples, "n_samples", minimum=1)
        rng = check_random_state(self.random_state)
        counts = rng.multinomial(n_samples, self.weights_)
        D = self.means_.shape[1]
        if self.covariance_type == "full":
            X = np.vstack([rng.multivariate_normal(m, c, int(s))
                           for m, c, s in zip(self.means_, self.covariances_, counts)])
        elif self.covariance_type == "tied":
            X = np.vstack([rng.multivariate_normal(m, self.covariances_, int(s)) for m, s in zip(self.means_, counts)])
        else:
            X = np.vstack([m + rng.standard_normal(size=(s, D)) * np.sqrt(c)
                           for m, c, s in zip(self.means_, self.covariances_, counts)])
        y = np.concatenate([np.full(int(s), k, dtype=np.int64) for k, s in enumerate(counts)])
        return X, y
