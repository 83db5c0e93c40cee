"""Singular value decomposition for dimensionality reduction: truncated SVD (LSA), PCA and CCA.

Papers: Eckart & Young (1936) — the rank-k truncation of the SVD is the best rank-k
approximation; Pearson (1901) / Hotelling (1933) — principal components; Deerwester et al.
(1990) — latent semantic analysis (truncated SVD of a term-document matrix); Halko, Martinsson
& Tropp (2011, "Finding structure with randomness") — the randomized range finder with power
iterations; Minka (2000) — choosing the PCA dimension by Bayesian evidence ('mle').

Reference whose numbers this matches: scikit-learn 1.9 ``TruncatedSVD`` and ``PCA`` (same
solvers, same random draws for the same ``random_state``, same sign convention ``svd_flip`` with
the decision taken on the rows of Vᵀ).

    X ≈ U_k S_k V_kᵀ                  (U, V orthonormal, S = diag(s_1 >= s_2 >= ...))
    TruncatedSVD: components_ = V_kᵀ, transform(X) = X V_k, no centring
    PCA:          X_c = X - mean,  X_c = U S Vᵀ,  explained_variance_ = s² / (n - 1)
    Randomized SVD: Q = orth((A Aᵀ)^q A Ω) with Ω Gaussian (n_features x (k + p)),
                    B = Qᵀ A (small), B = Û S Vᵀ, U = Q Û
    CCA (Hotelling 1936; scikit-learn's ``cross_decomposition.CCA``, NIPALS mode B):
                    max corr(X a, Y b); closed form: X = Ux Sx Vxᵀ, Y = Uy Sy Vyᵀ,
                    Uxᵀ Uy = P diag(ρ) Rᵀ (ρ = canonical correlations), a ∝ Vx Sx⁻¹ p₁
"""

from __future__ import annotations

import numbers
import warnings
from math import lgamma, log, sqrt

import numpy as np
import scipy.linalg as linalg
import scipy.sparse as sp

from mlcanon.classic._base import (
    BaseEstimator,
    TransformerMixin,
    check_is_fitted,
    check_random_state,
    convergence_warning,
)
from mlcanon.validation import check_array

__all__ = ["TruncatedSVD", "PCA", "CCA", "randomized_svd", "randomized_range_finder", "svd_flip"]


# --------------------------------------------------------------------------------------------
# Building blocks
# --------------------------------------------------------------------------------------------
def svd_flip(u, v, u_based_decision: bool = True):
    """Fix the sign ambiguity of an SVD: the largest-|.| entry of each column of ``u`` (or of
    each row of ``v`` when ``u_based_decision`` is False) becomes positive. Works in place."""
    if u_based_decision:
        pick = np.argmax(np.abs(u), axis=0)
        signs = np.sign(u[pick, np.arange(u.shape[1])])
    else:
        pick = np.argmax(np.abs(v), axis=1)
        signs = np.sign(v[np.arange(v.shape[0]), pick])
    if u is not None:
        u *= signs[np.newaxis, :]
    if v is not None:
        v *= signs[:, np.newaxis]
    return u, v


def randomized_range_finder(A, size: int, n_iter: int, power_iteration_normalizer: str = "auto",
                            random_state=None) -> np.ndarray:
    """An orthonormal ``Q`` (n_rows x size) whose span approximates the range of ``A``
    (Halko et al. 2011, Algorithm 4.4; LU or QR between power iterations keeps it well conditioned)."""
    rng = check_random_state(random_state)
    Q = rng.normal(size=(A.shape[1], size))  # Ω
    if A.dtype == np.float32:
        Q = Q.astype(np.float32, copy=False)
    if power_iteration_normalizer == "auto":
        power_iteration_normalizer = "none" if n_iter <= 2 else "LU"
    if power_iteration_normalizer == "QR":
        normalize = lambda M: linalg.qr(M, mode="economic", check_finite=False)[0]  # noqa: E731
    elif power_iteration_normalizer == "LU":
        normalize = lambda M: linalg.lu(M, permute_l=True, check_finite=False)[0]  # noqa: E731
    else:
        normalize = lambda M: M  # noqa: E731
    for _ in range(n_iter):  # (A Aᵀ)^q A Ω
        Q = normalize(A @ Q)
        Q = normalize(A.T @ Q)
    return linalg.qr(A @ Q, mode="economic", check_finite=False)[0]


def randomized_svd(M, n_components: int, *, n_oversamples: int = 10, n_iter="auto",
                   power_iteration_normalizer: str = "auto", transpose="auto", flip_sign: bool = True,
                   random_state=None):
    """Approximate top-``n_components`` SVD ``(U, s, Vt)`` of ``M`` (dense or sparse)."""
    n_random = n_components + n_oversamples
    n_samples, n_features = M.shape
    if n_iter == "auto":
        n_iter = 7 if n_components < 0.1 * min(M.shape) else 4
    if transpose == "auto":
        transpose = n_samples < n_features
    if transpose:
        M = M.T
    Q = randomized_range_finder(M, n_random, n_iter, power_iteration_normalizer, random_state)
    B = Q.T @ M  # (k + p, n) — small enough for an exact SVD
    B = np.asarray(B.todense()) if sp.issparse(B) else np.asarray(B)
    Uhat, s, Vt = linalg.svd(B, full_matrices=False, lapack_driver="gesdd")
    U = Q @ Uhat
    if flip_sign:
        U, Vt = svd_flip(U, Vt, u_based_decision=not transpose)
    if transpose:
        return Vt[:n_components].T, s[:n_components], U[:, :n_components].T
    return U[:, :n_components], s[:n_components], Vt[:n_components]


def _arpack_svd(X, k: int, tol: float, rng):
    """Top-k SVD by ARPACK (``scipy.sparse.linalg.svds``) with scikit-learn's start vector."""
    from scipy.sparse.linalg import svds

    v0 = rng.uniform(-1, 1, min(X.shape))
    U, S, Vt = svds(X, k=k, tol=tol, v0=v0)
    S = S[::-1]  # svds returns ascending singular values
    U, Vt = svd_flip(U[:, ::-1], Vt[::-1], u_based_decision=False)
    return U, S, Vt


def _column_mean_var(X):
    """Per-column mean and (population) variance of a dense or sparse matrix."""
    if not sp.issparse(X):
        return X.mean(axis=0), X.var(axis=0)
    X = X.tocsc()
    n = X.shape[0]
    counts = np.diff(X.indptr)
    cols = np.repeat(np.arange(X.shape[1]), counts)
    mean = np.bincount(cols, weights=X.data, minlength=X.shape[1]) / n
    # the stored entries contribute (x - mean)², the implicit zeros mean² each
    sq = np.bincount(cols, weights=(X.data - mean[cols]) ** 2, minlength=X.shape[1])
    var = (sq + (n - counts) * mean**2) / n
    return mean, var


def _check_X(X, name: str = "X", *, accept_sparse: bool, min_features: int = 1):
    """Dense -> finite float array; sparse -> CSR/CSC float with finite data."""
    if sp.issparse(X):
        if not accept_sparse:
            raise TypeError(f"{name}: expected a dense array-like, got a scipy.sparse matrix")
        X = X.tocsr() if X.format not in ("csr", "csc") else X
        if X.dtype not in (np.float32, np.float64):
            X = X.astype(np.float64)
        if X.ndim != 2 or X.shape[0] < 1 or X.shape[1] < min_features:
            raise ValueError(f"{name}: expected at least 1 sample and {min_features} feature(s), got shape {X.shape}")
        if not np.isfinite(X.data).all():
            raise ValueError(f"{name}: expected finite values, got NaN or infinity")
        return X
    X = check_array(X, name, ndim=2, dtype=None, min_features=min_features)
    if X.dtype.kind not in "biuf":
        X = check_array(X, name, ndim=2, min_features=min_features)
    if X.dtype not in (np.float32, np.float64):
        X = X.astype(np.float64)
    return X


def _check_features(est, X, name: str = "X") -> None:
    if X.shape[1] != est.n_features_in_:
        raise ValueError(
            f"{name} has {X.shape[1]} features, but {type(est).__name__} is expecting "
            f"{est.n_features_in_} features as input."
        )


def _is_int(x) -> bool:
    return isinstance(x, numbers.Integral) and not isinstance(x, bool)


def _check_solver_params(n_iter, n_oversamples, normalizer, tol) -> None:
    if not (_is_int(n_iter) and n_iter >= 0):
        raise ValueError(f"n_iter: expected an int >= 0, got {n_iter!r}")
    if not (_is_int(n_oversamples) and n_oversamples >= 1):
        raise ValueError(f"n_oversamples: expected an int >= 1, got {n_oversamples!r}")
    if normalizer not in ("auto", "QR", "LU", "none"):
        raise ValueError(f"power_iteration_normalizer: expected one of 'auto', 'QR', 'LU', 'none', got {normalizer!r}")
    if isinstance(tol, bool) or not isinstance(tol, numbers.Real) or tol < 0:
        raise ValueError(f"tol: expected a real number >= 0, got {tol!r}")


# --------------------------------------------------------------------------------------------
# TruncatedSVD
# --------------------------------------------------------------------------------------------
class TruncatedSVD(TransformerMixin, BaseEstimator):
    """Rank-k SVD without centring (LSA on TF-IDF), equal to scikit-learn's ``TruncatedSVD``.

    Parameters
    ----------
    n_components : int, default=2
    algorithm : {'randomized', 'arpack', 'exact'}, default='randomized'
        'randomized' (Halko et al. 2011) and 'arpack' give scikit-learn's numbers for the same
        ``random_state``; 'exact' is the LAPACK SVD (gesdd) of the whole (densified) matrix.
    n_iter : int, default=5
        Power iterations of the randomized solver.
    n_oversamples : int, default=10
    power_iteration_normalizer : {'auto', 'QR', 'LU', 'none'}, default='auto'
    random_state : None, int or RandomState
    tol : float, default=0.0
        ARPACK tolerance (0 = machine precision).

    Attributes
    ----------
    components_ : ndarray of shape (n_components, n_features)
        The right singular vectors V_kᵀ (largest |entry| of each row positive).
    explained_variance_ : ndarray of shape (n_components,)
        Variance of each column of ``transform(X)``.
    explained_variance_ratio_ : ndarray of shape (n_components,)
    singular_values_ : ndarray of shape (n_components,)
    n_features_in_ : int

    Examples
    --------
    >>> import numpy as np
    >>> from mlcanon.decompose import TruncatedSVD
    >>> X = np.array([[3.0, 0.0, 1.0], [0.0, 2.0, 0.0], [3.0, 0.0, 1.0], [0.0, 2.0, 0.1]])
    >>> svd = TruncatedSVD(n_components=2, algorithm="exact").fit(X)
    >>> np.round(svd.singular_values_, 3).tolist()
    [4.472, 2.829]
    """

    def __init__(self, n_components=2, *, algorithm="randomized", n_iter=5, n_oversamples=10,
                 power_iteration_normalizer="auto", random_state=None, tol=0.0):
        self.n_components = n_components
        self.algorithm = algorithm
        self.n_iter = n_iter
        self.n_oversamples = n_oversamples
        self.power_iteration_normalizer = power_iteration_normalizer
        self.random_state = random_state
        self.tol = tol

    def fit(self, X, y=None):
        """Fit the rank-``n_components`` SVD of ``X`` (dense or scipy.sparse). Returns ``self``."""
        self.fit_transform(X)
        return self

    def fit_transform(self, X, y=None):
        """Fit and return ``X V_k`` of shape (n_samples, n_components)."""
        if self.algorithm not in ("randomized", "arpack", "exact"):
            raise ValueError(f"algorithm: expected one of 'randomized', 'arpack', 'exact', got {self.algorithm!r}")
        if not (_is_int(self.n_components) and self.n_components >= 1):
            raise ValueError(f"n_components: expected an int >= 1, got {self.n_components!r}")
        _check_solver_params(self.n_iter, self.n_oversamples, self.power_iteration_normalizer, self.tol)
        X = _check_X(X, accept_sparse=True, min_features=2)
        self.n_features_in_ = X.shape[1]
        k = self.n_components
        rng = check_random_state(self.random_state)
        if self.algorithm == "arpack":
            if k >= min(X.shape):
                raise ValueError(
                    f"n_components={k} must be strictly less than min(n_samples, n_features)={min(X.shape)} "
                    "with algorithm='arpack'"
                )
            U, S, Vt = _arpack_svd(X, k, self.tol, rng)
        elif self.algorithm == "randomized":
            if k > X.shape[1]:
                raise ValueError(f"n_components({k}) must be <= n_features({X.shape[1]}).")
            U, S, Vt = randomized_svd(X, k, n_iter=self.n_iter, n_oversamples=self.n_oversamples,
                                      power_iteration_normalizer=self.power_iteration_normalizer,
                                      random_state=rng, flip_sign=False)
            U, Vt = svd_flip(U, Vt, u_based_decision=False)
        else:
            if k > min(X.shape):
                raise ValueError(
                    f"n_components={k} must be <= min(n_samples, n_features)={min(X.shape)} with algorithm='exact'"
                )
            dense = X.toarray() if sp.issparse(X) else X
            U, S, Vt = linalg.svd(dense, full_matrices=False, lapack_driver="gesdd")
            U, S, Vt = U[:, :k], S[:k], Vt[:k]
            U, Vt = svd_flip(U, Vt, u_based_decision=False)
        self.components_ = Vt
        if self.algorithm == "randomized" or (self.algorithm == "arpack" and self.tol > 0):
            X_new = np.asarray(X @ Vt.T)
        else:
            X_new = U * S
        self.explained_variance_ = np.var(X_new, axis=0)
        full_var = _column_mean_var(X)[1].sum()
        self.explained_variance_ratio_ = self.explained_variance_ / full_var
        self.singular_values_ = S
        return X_new

    def transform(self, X):
        """Project ``X`` on the components: ``X V_k``."""
        check_is_fitted(self, "components_")
        X = _check_X(X, accept_sparse=True)
        _check_features(self, X)
        return np.asarray(X @ self.components_.T)

    def inverse_transform(self, X):
        """Map ``X`` of shape (n_samples, n_components) back: ``X V_kᵀ``."""
        check_is_fitted(self, "components_")
        X = check_array(X, "X", ndim=2)
        if X.shape[1] != self.components_.shape[0]:
            raise ValueError(f"X: expected {self.components_.shape[0]} columns (n_components), got {X.shape[1]}")
        return X @ self.components_

    def get_feature_names_out(self, input_features=None):
        """``truncatedsvd0 .. truncatedsvd{k-1}`` as scikit-learn names them."""
        check_is_fitted(self, "components_")
        return np.asarray([f"truncatedsvd{i}" for i in range(self.components_.shape[0])], dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


# --------------------------------------------------------------------------------------------
# PCA
# --------------------------------------------------------------------------------------------
def _assess_dimension(spectrum: np.ndarray, rank: int, n_samples: int) -> float:
    """Log-evidence of a rank-``rank`` PCA model for eigenvalue ``spectrum`` (Minka 2000, eq. 30-31)."""
    n_features = spectrum.shape[0]
    eps = 1e-15
    if spectrum[rank - 1] < eps:
        return -np.inf
    pu = -rank * log(2.0)
    for i in range(1, rank + 1):
        pu += lgamma((n_features - i + 1) / 2.0) - log(np.pi) * (n_features - i + 1) / 2.0
    pl = -np.sum(np.log(spectrum[:rank])) * n_samples / 2.0
    v = max(eps, np.sum(spectrum[rank:]) / (n_features - rank))
    pv = -log(v) * n_samples * (n_features - rank) / 2.0
    m = n_features * rank - rank * (rank + 1.0) / 2.0
    pp = log(2.0 * np.pi) * (m + rank) / 2.0
    spectrum_ = spectrum.copy()
    spectrum_[rank:n_features] = v
    pa = 0.0
    for i in range(rank):
        j = np.arange(i + 1, n_features)
        pa += np.sum(np.log((spectrum[i] - spectrum[j]) * (1.0 / spectrum_[j] - 1.0 / spectrum_[i])) + log(n_samples))
    return pu + pl + pv + pp - pa / 2.0 - rank * log(n_samples) / 2.0


def _infer_dimension(spectrum: np.ndarray, n_samples: int) -> int:
    ll = np.empty_like(spectrum)
    ll[0] = -np.inf  # never 0 components
    for rank in range(1, spectrum.shape[0]):
        ll[rank] = _assess_dimension(spectrum, rank, n_samples)
    return int(np.argmax(ll))


class PCA(TransformerMixin, BaseEstimator):
    """Principal component analysis, equal to scikit-learn's ``PCA``.

    Parameters
    ----------
    n_components : int, float in (0, 1), 'mle' or None
        How many components: a count, the smallest count whose explained variance exceeds the
        fraction, Minka's evidence maximum, or min(n_samples, n_features).
    copy : bool, default=True
    whiten : bool, default=False
        Scale the projections to unit variance.
    svd_solver : {'auto', 'full', 'covariance_eigh', 'arpack', 'randomized'}, default='auto'
        'auto' picks as scikit-learn does (covariance_eigh for tall data with <= 1000 features,
        full for small data, randomized for few components of large data).
    tol, iterated_power, n_oversamples, power_iteration_normalizer, random_state
        Options of the arpack and randomized solvers.

    Attributes
    ----------
    components_ : ndarray of shape (n_components_, n_features)
    explained_variance_, explained_variance_ratio_, singular_values_ : ndarray of shape (n_components_,)
    mean_ : ndarray of shape (n_features,)
    n_components_ : int
    noise_variance_ : float
        Mean of the discarded eigenvalues (probabilistic PCA, Tipping & Bishop 1999).
    n_samples_, n_features_in_ : int

    Examples
    --------
    >>> import numpy as np
    >>> from mlcanon.decompose import PCA
    >>> X = np.array([[-1.0, -1.0], [-2.0, -1.0], [-3.0, -2.0], [1.0, 1.0], [2.0, 1.0], [3.0, 2.0]])
    >>> np.round(PCA(n_components=2).fit(X).explained_variance_ratio_, 4).tolist()
    [0.9924, 0.0076]
    """

    def __init__(self, n_components=None, *, copy=True, whiten=False, svd_solver="auto", tol=0.0,
                 iterated_power="auto", n_oversamples=10, power_iteration_normalizer="auto",
                 random_state=None):
        self.n_components = n_components
        self.copy = copy
        self.whiten = whiten
        self.svd_solver = svd_solver
        self.tol = tol
        self.iterated_power = iterated_power
        self.n_oversamples = n_oversamples
        self.power_iteration_normalizer = power_iteration_normalizer
        self.random_state = random_state

    def fit(self, X, y=None):
        """Fit the principal components of ``X``. Returns ``self``."""
        self._fit(X)
        return self

    def fit_transform(self, X, y=None):
        """Fit and return the projections of ``X`` (whitened if ``whiten``)."""
        U, S, X, centered = self._fit(X)
        if U is None:
            return self._transform(X, centered)
        U = U[:, : self.n_components_]
        if self.whiten:
            U *= sqrt(X.shape[0] - 1)
        else:
            U *= S[: self.n_components_]
        return U

    # ------------------------------------------------------------------ fitting
    def _check_params(self) -> None:
        nc = self.n_components
        ok = (
            nc is None
            or (isinstance(nc, str) and nc == "mle")
            or (_is_int(nc) and nc >= 0)
            or (isinstance(nc, numbers.Real) and not isinstance(nc, (bool, numbers.Integral)) and 0 < nc < 1)
        )
        if not ok:
            raise ValueError(f"n_components: expected None, an int >= 0, a float in (0, 1) or 'mle', got {nc!r}")
        solvers = ("auto", "full", "covariance_eigh", "arpack", "randomized")
        if self.svd_solver not in solvers:
            raise ValueError(f"svd_solver: expected one of {', '.join(map(repr, solvers))}, got {self.svd_solver!r}")
        ip = self.iterated_power
        _check_solver_params(0 if ip == "auto" else ip, self.n_oversamples, self.power_iteration_normalizer, self.tol)

    def _fit(self, X):
        self._check_params()
        if sp.issparse(X) and self.svd_solver not in ("auto", "arpack", "covariance_eigh"):
            raise TypeError(
                'PCA only support sparse inputs with the "arpack" and "covariance_eigh" solvers, while '
                f'"{self.svd_solver}" was passed. See TruncatedSVD for a possible alternative.'
            )
        X = _check_X(X, accept_sparse=True)
        self.n_features_in_ = X.shape[1]
        solver = self.svd_solver
        if solver == "auto" and sp.issparse(X):
            solver = "arpack"
        if self.n_components is None:
            n_components = min(X.shape) - (1 if solver == "arpack" else 0)
        else:
            n_components = self.n_components
        if solver == "auto":
            if X.shape[1] <= 1_000 and X.shape[0] >= 10 * X.shape[1]:
                solver = "covariance_eigh"
            elif max(X.shape) <= 500 or n_components == "mle":
                solver = "full"
            elif 1 <= n_components < 0.8 * min(X.shape):
                solver = "randomized"
            else:
                solver = "full"
        self._fit_svd_solver = solver
        if solver in ("full", "covariance_eigh"):
            return self._fit_full(X, n_components, solver)
        return self._fit_truncated(X, n_components, solver)

    def _fit_full(self, X, n_components, solver):
        n_samples, n_features = X.shape
        if n_components == "mle":
            if n_samples < n_features:
                raise ValueError("n_components='mle' is only supported if n_samples >= n_features")
        elif not 0 <= n_components <= min(n_samples, n_features):
            raise ValueError(
                f"n_components={n_components} must be between 0 and min(n_samples, n_features)="
                f"{min(n_samples, n_features)} with svd_solver={solver!r}"
            )
        self.mean_ = np.asarray(X.mean(axis=0)).reshape(-1)
        if solver == "full":
            Xc = (X.toarray() if sp.issparse(X) else np.array(X, copy=True)) - self.mean_
            U, S, Vt = linalg.svd(Xc, full_matrices=False)
            explained_variance = S**2 / (n_samples - 1)
            centered = Xc
        else:  # covariance_eigh: eigenvectors of the d x d covariance, cheap for tall data
            C = X.T @ X
            C = C.toarray() if sp.issparse(C) else np.asarray(C, dtype=X.dtype)
            C -= n_samples * self.mean_.reshape(-1, 1) * self.mean_.reshape(1, -1)  # scikit-learn's rounding
            C /= n_samples - 1
            eigenvals, eigenvecs = np.linalg.eigh(C)
            eigenvals = eigenvals[::-1].copy()
            eigenvecs = eigenvecs[:, ::-1]
            eigenvals[eigenvals < 0.0] = 0.0
            explained_variance = eigenvals
            S = np.sqrt(eigenvals * (n_samples - 1))
            Vt = eigenvecs.T.copy()
            U = None
            centered = None
        U, Vt = svd_flip(U, Vt, u_based_decision=False)
        ratio = explained_variance / explained_variance.sum()
        if n_components == "mle":
            n_components = _infer_dimension(explained_variance, n_samples)
        elif 0 < n_components < 1.0:
            n_components = int(np.searchsorted(np.cumsum(ratio), n_components, side="right") + 1)
        if n_components < min(n_features, n_samples):
            self.noise_variance_ = float(np.mean(explained_variance[n_components:]))
        else:
            self.noise_variance_ = 0.0
        self.n_samples_ = n_samples
        self.n_components_ = int(n_components)
        self.components_ = Vt[:n_components].copy()
        self.explained_variance_ = explained_variance[:n_components].copy()
        self.explained_variance_ratio_ = ratio[:n_components].copy()
        self.singular_values_ = S[:n_components].copy()
        return U, S, (X if centered is None else centered), centered is not None

    def _fit_truncated(self, X, n_components, solver):
        n_samples, n_features = X.shape
        if isinstance(n_components, str):
            raise ValueError(f"n_components={n_components!r} cannot be a string with svd_solver='{solver}'")
        if not (_is_int(n_components) and 1 <= n_components <= min(n_samples, n_features)):
            raise ValueError(
                f"n_components={n_components!r} must be between 1 and min(n_samples, n_features)="
                f"{min(n_samples, n_features)!r} with svd_solver='{solver}'"
            )
        if solver == "arpack" and n_components == min(n_samples, n_features):
            raise ValueError(
                f"n_components={n_components!r} must be strictly less than min(n_samples, n_features)="
                f"{min(n_samples, n_features)!r} with svd_solver='{solver}'"
            )
        rng = check_random_state(self.random_state)
        if sp.issparse(X):
            self.mean_, var = _column_mean_var(X)
            total_var = var.sum() * n_samples / (n_samples - 1)
            Xc = _centred_operator(X, self.mean_)
            centered = False
        else:
            self.mean_ = X.mean(axis=0)
            Xc = X - self.mean_
            total_var = None
            centered = True
        if solver == "arpack":
            U, S, Vt = _arpack_svd(Xc, n_components, self.tol, rng)
        else:
            U, S, Vt = randomized_svd(Xc, n_components, n_oversamples=self.n_oversamples,
                                      n_iter=self.iterated_power,
                                      power_iteration_normalizer=self.power_iteration_normalizer,
                                      flip_sign=False, random_state=rng)
            U, Vt = svd_flip(U, Vt, u_based_decision=False)
        self.n_samples_ = n_samples
        self.components_ = Vt
        self.n_components_ = n_components
        self.explained_variance_ = S**2 / (n_samples - 1)
        if total_var is None:
            total_var = np.sum(Xc**2) / (n_samples - 1)
        self.explained_variance_ratio_ = self.explained_variance_ / total_var
        self.singular_values_ = S.copy()
        if n_components < min(n_features, n_samples):
            self.noise_variance_ = float((total_var - self.explained_variance_.sum())
                                         / (min(n_features, n_samples) - n_components))
        else:
            self.noise_variance_ = 0.0
        return U, S, (Xc if centered else X), centered

    # ------------------------------------------------------------------ projecting
    def transform(self, X):
        """Project ``X`` on the principal components: ``(X - mean_) V`` (whitened if ``whiten``)."""
        check_is_fitted(self, "components_")
        X = _check_X(X, accept_sparse=True)
        _check_features(self, X)
        return self._transform(X, centered=False)

    def _transform(self, X, centered: bool):
        Z = np.asarray(X @ self.components_.T)
        if not centered:
            Z = Z - self.mean_.reshape(1, -1) @ self.components_.T
        if self.whiten:
            scale = np.sqrt(self.explained_variance_)
            scale[scale < np.finfo(scale.dtype).eps] = np.finfo(scale.dtype).eps
            Z /= scale
        return Z

    def inverse_transform(self, X):
        """Back to feature space: ``X V^T + mean_`` (undoing the whitening)."""
        check_is_fitted(self, "components_")
        X = check_array(X, "X", ndim=2)
        if X.shape[1] != self.components_.shape[0]:
            raise ValueError(f"X: expected {self.components_.shape[0]} columns (n_components_), got {X.shape[1]}")
        if self.whiten:
            return X @ (np.sqrt(self.explained_variance_[:, np.newaxis]) * self.components_) + self.mean_
        return X @ self.components_ + self.mean_

    def get_covariance(self):
        """Model covariance V diag(λ - σ²) Vᵀ + σ² I (probabilistic PCA)."""
        check_is_fitted(self, "components_")
        components = self.components_
        exp_var = self.explained_variance_
        if self.whiten:
            components = components * np.sqrt(exp_var[:, np.newaxis])
        diff = np.where(exp_var > self.noise_variance_, exp_var - self.noise_variance_, 0.0)
        cov = (components.T * diff) @ components
        cov.flat[:: cov.shape[0] + 1] += self.noise_variance_
        return cov

    def get_precision(self):
        """The inverse of :meth:`get_covariance`, by the matrix inversion lemma (Woodbury):

            C = W D Wᵀ + σ² I,  D = diag(λ - σ²)  =>
            C⁻¹ = I/σ² - W (D⁻¹ + Wᵀ W / σ²)⁻¹ Wᵀ / σ⁴

        (W = components_ᵀ; scikit-learn's formula, which inverts a k x k matrix instead of a
        d x d one). Edge cases as scikit-learn: no component -> I / σ²; σ² = 0 -> the plain inverse.
        """
        check_is_fitted(self, "components_")
        n_features = self.components_.shape[1]
        if self.n_components_ == 0:
            return np.eye(n_features) / self.noise_variance_
        if self.noise_variance_ == 0.0:
            return linalg.inv(self.get_covariance())
        components = self.components_
        exp_var = self.explained_variance_
        if self.whiten:
            components = components * np.sqrt(exp_var[:, np.newaxis])
        diff = np.where(exp_var > self.noise_variance_, exp_var - self.noise_variance_, 0.0)
        precision = components @ components.T / self.noise_variance_  # (k, k)
        precision.flat[:: precision.shape[0] + 1] += 1.0 / diff
        precision = components.T @ linalg.inv(precision) @ components  # (d, d)
        precision /= -(self.noise_variance_**2)
        precision.flat[:: precision.shape[0] + 1] += 1.0 / self.noise_variance_
        return precision

    def score_samples(self, X):
        """Log-likelihood of each sample under probabilistic PCA (Tipping & Bishop 1999; Bishop,
        "Pattern Recognition and Machine Learning" §12.2.1): x ~ N(mean_, C), C = get_covariance(),

            log p(x) = -½ (x - μ)ᵀ C⁻¹ (x - μ) - ½ (d log 2π - log |C⁻¹|)

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        check_is_fitted(self, "components_")
        X = _check_X(X, accept_sparse=False)
        _check_features(self, X)
        Xr = X - self.mean_
        precision = self.get_precision()
        sign, logdet = np.linalg.slogdet(precision)
        logdet = logdet if sign > 0 else -np.inf  # scikit-learn's fast_logdet
        log_like = -0.5 * np.sum(Xr * (Xr @ precision), axis=1)
        log_like -= 0.5 * (X.shape[1] * log(2.0 * np.pi) - logdet)
        return log_like

    def score(self, X, y=None):
        """Average log-likelihood of the samples (the mean of :meth:`score_samples`)."""
        return float(np.mean(self.score_samples(X)))

    def get_feature_names_out(self, input_features=None):
        """``pca0 .. pca{k-1}`` as scikit-learn names them."""
        check_is_fitted(self, "components_")
        return np.asarray([f"pca{i}" for i in range(self.components_.shape[0])], dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        tags.input_tags.sparse = self.svd_solver in ("auto", "arpack", "covariance_eigh")
        return tags


def _centred_operator(X, mean: np.ndarray):
    """``X - 1 meanᵀ`` as a LinearOperator, so a sparse ``X`` is never densified."""
    from scipy.sparse.linalg import LinearOperator

    m = mean.reshape(-1)

    def matvec(v):  # (X - 1 mᵀ) v
        v = np.ravel(v)
        return X @ v - m @ v

    def matmat(V):
        return X @ V - (m @ V)[np.newaxis, :]

    def rmatvec(v):  # (X - 1 mᵀ)ᵀ v
        v = np.ravel(v)
        return X.T @ v - m * v.sum()

    def rmatmat(V):
        return X.T @ V - np.outer(m, V.sum(axis=0))

    return LinearOperator(X.shape, matvec=matvec, matmat=matmat, rmatvec=rmatvec, rmatmat=rmatmat,
                          dtype=X.dtype)


# --------------------------------------------------------------------------------------------
# CCA
# --------------------------------------------------------------------------------------------
class _ConstantResidual(Exception):
    """Every column of the deflated Y is (numerically) zero: no further canonical pair."""


def _pinv_old(A: np.ndarray) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Pseudo-inverse with scikit-learn's (old scipy ``pinv2``) cut-off: singular values above
    max(s) * 1e6 * eps count; also returns the truncated SVD ``(U, s, Vt)`` it came from."""
    U, s, Vt = linalg.svd(A, full_matrices=False, check_finite=False)
    rank = int(np.sum(s > np.max(s) * 1e6 * np.finfo(A.dtype).eps))
    U, s, Vt = U[:, :rank], s[:rank], Vt[:rank]
    return (U / s) @ Vt, (U, s, Vt)  # (n, p) = (A⁺)ᵀ


def _first_pair_nipals(X, Y, max_iter: int, tol: float):
    """Wold's NIPALS in mode B (alternating regressions), scikit-learn's iteration step for step:
    w ∝ X⁺ u, t = X w, c ∝ Y⁺ t, u = Y c; stop when ||w - w_old||² < tol."""
    eps = np.finfo(X.dtype).eps
    nonzero = [col for col in Y.T if np.any(np.abs(col) > eps)]
    if not nonzero:
        raise _ConstantResidual
    y_score = nonzero[0]  # (n,) start: the first non-constant column
    X_pinvT, _ = _pinv_old(X)
    Y_pinvT, _ = _pinv_old(Y)
    w_old = 100.0
    for i in range(max_iter):
        w = y_score @ X_pinvT  # X⁺ u, (p,)
        w /= np.sqrt(w @ w) + eps
        x_score = X @ w  # (n,)
        c = x_score @ Y_pinvT  # Y⁺ t, (q,)
        c /= np.sqrt(c @ c) + eps
        y_score = (Y @ c) / (c @ c + eps)
        diff = w - w_old
        if diff @ diff < tol or Y.shape[1] == 1:
            break
        w_old = w
    n_iter = i + 1
    if n_iter == max_iter:
        warnings.warn("Maximum number of iterations reached", convergence_warning(), stacklevel=4)
    return w, c, n_iter


def _first_pair_closed_form(X, Y):
    """The fixed point of the NIPALS iteration directly: with thin SVDs X = Ux Sx Vxᵀ and
    Y = Uy Sy Vyᵀ, the top canonical pair is the top singular pair (p, r) of Uxᵀ Uy (the cosines
    of the principal angles between the column spaces, Björck & Golub 1973); t ∝ Ux p, so the
    minimal-norm w ∝ X⁺ t = Vx (p / Sx), and c ∝ Y⁺ t as NIPALS' last half-step takes it."""
    eps = np.finfo(X.dtype).eps
    if not np.any(np.abs(Y) > eps):
        raise _ConstantResidual
    _, (Ux, sx, Vxt) = _pinv_old(X)
    Y_pinvT, (Uy, _, _) = _pinv_old(Y)
    P, _, _ = linalg.svd(Ux.T @ Uy, full_matrices=False, check_finite=False)  # (rx, r)
    w = Vxt.T @ (P[:, 0] / sx)  # (p,)
    w /= np.sqrt(w @ w)
    c = (X @ w) @ Y_pinvT  # (q,)
    c /= np.sqrt(c @ c)
    return w, c


class CCA(TransformerMixin, BaseEstimator):
    """Canonical correlation analysis (Hotelling 1936), equal to scikit-learn's
    ``cross_decomposition.CCA``.

    Finds weight vectors a_k, b_k so that the scores t_k = X a_k and u_k = Y b_k have the largest
    correlation corr(t_k, u_k), each pair uncorrelated with the previous ones. As scikit-learn
    does, X and Y are centred (and scaled to unit variance if ``scale``), the k-th pair is the
    first pair of the deflated matrices (canonical deflation: X_{k+1} = X_k - t_k p_kᵀ with
    p_k = X_kᵀ t_k / t_kᵀ t_k, likewise Y with u_k), weights have unit norm in the deflated space,
    and the sign makes the largest-|.| entry of each x weight vector positive.

    Solvers:

    - ``'nipals'`` (default): scikit-learn's iteration (Wold 1966, mode B), step for step, with
      the same start, ``tol`` and ``max_iter``; the figures equal scikit-learn's to rounding.
    - ``'closed_form'``: the pair the iteration converges to, from the SVD of the whitened
      cross-covariance Uxᵀ Uy (Ux, Uy orthonormal bases of the column spaces; its singular
      values are the canonical correlations). No iteration and no tolerance: it differs from
      scikit-learn's by the iteration's own error, which its stopping rule ||Δw||² < tol
      leaves at about sqrt(tol) · ρ₂²/(ρ₁² - ρ₂²) in the weights (ρ the canonical correlations
      of the deflated problem), i.e. ~1e-3 · that ratio with the default tol=1e-6.

    Parameters
    ----------
    n_components : int, default=2
        At most min(n_samples, n_features, n_targets).
    scale : bool, default=True
        Scale X and Y columns to unit variance (ddof=1).
    max_iter : int, default=500
    tol : float, default=1e-06
        Stop when the squared change of the x weights is below ``tol`` ('nipals').
    copy : bool, default=True
        Unused copies are always made; kept for scikit-learn's signature.
    solver : {'nipals', 'closed_form'}, default='nipals'

    Attributes
    ----------
    x_weights_ : ndarray of shape (n_features, n_components)
    y_weights_ : ndarray of shape (n_targets, n_components)
    x_loadings_, y_loadings_ : ndarray of shape (n_features | n_targets, n_components)
    x_rotations_ : ndarray of shape (n_features, n_components)
        ``W (Pᵀ W)⁺``: maps standardised X to its scores, ``transform(X) = X_std @ x_rotations_``.
    y_rotations_ : ndarray of shape (n_targets, n_components)
    x_scores_, y_scores_ : ndarray of shape (n_samples, n_components)
        The training scores t_k and u_k.
    canonical_correlations_ : ndarray of shape (n_components,)
        corr(t_k, u_k) on the training data.
    coef_ : ndarray of shape (n_targets, n_features)
    intercept_ : ndarray of shape (n_targets,)
    x_mean_, x_std_, y_mean_, y_std_ : ndarray
    n_iter_ : list of int
        NIPALS iterations per component (empty for 'closed_form').
    n_features_in_ : int

    References
    ----------
    Hotelling, "Relations between two sets of variates", Biometrika 28 (1936).
    Wegelin, "A survey of partial least squares (PLS) methods, with emphasis on the two-block
    case", Technical report 371, University of Washington (2000) — the NIPALS variants.
    Björck & Golub, "Numerical methods for computing angles between linear subspaces" (1973).

    Examples
    --------
    >>> import numpy as np
    >>> from mlcanon.decompose import CCA
    >>> rng = np.random.default_rng(0)
    >>> z = rng.standard_normal((200, 1))
    >>> X = np.hstack([z + 0.1 * rng.standard_normal((200, 1)), rng.standard_normal((200, 2))])
    >>> Y = np.hstack([z + 0.1 * rng.standard_normal((200, 1)), rng.standard_normal((200, 1))])
    >>> cca = CCA(n_components=1).fit(X, Y)
    >>> round(float(cca.canonical_correlations_[0]), 2)
    0.99
    """

    def __init__(self, n_components=2, *, scale=True, max_iter=500, tol=1e-06, copy=True, solver="nipals"):
        self.n_components = n_components
        self.scale = scale
        self.max_iter = max_iter
        self.tol = tol
        self.copy = copy
        self.solver = solver

    # ------------------------------------------------------------------ fitting
    def _check_params(self, n: int, p: int, q: int) -> int:
        if self.solver not in ("nipals", "closed_form"):
            raise ValueError(f"solver: expected one of 'nipals', 'closed_form', got {self.solver!r}")
        if not (_is_int(self.max_iter) and self.max_iter >= 1):
            raise ValueError(f"max_iter: expected an int >= 1, got {self.max_iter!r}")
        if isinstance(self.tol, bool) or not isinstance(self.tol, numbers.Real) or self.tol < 0:
            raise ValueError(f"tol: expected a real number >= 0, got {self.tol!r}")
        upper = min(n, p, q)
        if not (_is_int(self.n_components) and 1 <= self.n_components <= upper):
            raise ValueError(
                f"n_components: expected an int between 1 and min(n_samples, n_features, n_targets)={upper}, "
                f"got {self.n_components!r}"
            )
        return int(self.n_components)

    def _standardise(self, X, Y):
        self.x_mean_, self.y_mean_ = X.mean(axis=0), Y.mean(axis=0)
        X, Y = X - self.x_mean_, Y - self.y_mean_
        if self.scale:
            self.x_std_, self.y_std_ = X.std(axis=0, ddof=1), Y.std(axis=0, ddof=1)
            self.x_std_[self.x_std_ == 0.0] = 1.0  # a constant column stays 0, not NaN
            self.y_std_[self.y_std_ == 0.0] = 1.0
            X, Y = X / self.x_std_, Y / self.y_std_
        else:
            self.x_std_, self.y_std_ = np.ones(X.shape[1]), np.ones(Y.shape[1])
        return X, Y

    def fit(self, X, y):
        """Fit the canonical pairs of ``X`` (n_samples, n_features) and ``y`` (n_samples,) or
        (n_samples, n_targets). Returns ``self``."""
        X = check_array(X, "X", ndim=2, dtype=np.float64, min_samples=2)
        Y = check_array(y, "y", ndim=(1, 2), dtype=np.float64)
        if Y.shape[0] != X.shape[0]:
            raise ValueError(f"y: expected {X.shape[0]} samples (as many as X), got {Y.shape[0]}")
        self._predict_1d = Y.ndim == 1
        Y = Y.reshape(len(Y), -1)
        (n, p), q = X.shape, Y.shape[1]
        k_max = self._check_params(n, p, q)
        self.n_features_in_ = p
        Xk, Yk = self._standardise(X, Y)  # (n, p), (n, q) — deflated in place below
        W, C = np.zeros((p, k_max)), np.zeros((q, k_max))
        T, U = np.zeros((n, k_max)), np.zeros((n, k_max))
        Px, Py = np.zeros((p, k_max)), np.zeros((q, k_max))
        self.n_iter_ = []
        y_eps = np.finfo(Yk.dtype).eps
        for k in range(k_max):
            Yk[:, np.all(np.abs(Yk) < 10 * y_eps, axis=0)] = 0.0  # scikit-learn's cleanup of spent columns
            try:
                if self.solver == "nipals":
                    w, c, n_iter = _first_pair_nipals(Xk, Yk, self.max_iter, self.tol)
                    self.n_iter_.append(n_iter)
                else:
                    w, c = _first_pair_closed_form(Xk, Yk)
            except _ConstantResidual:
                warnings.warn(f"y residual is constant at iteration {k}", UserWarning, stacklevel=2)
                break
            sign = np.sign(w[np.argmax(np.abs(w))])  # largest |x weight| positive
            w, c = w * sign, c * sign
            t, u = Xk @ w, Yk @ c  # (n,), (n,) scores
            p_k = (t @ Xk) / (t @ t)  # x loadings
            q_k = (u @ Yk) / (u @ u)
            Xk -= np.outer(t, p_k)  # canonical deflation
            Yk -= np.outer(u, q_k)
            W[:, k], C[:, k], T[:, k], U[:, k], Px[:, k], Py[:, k] = w, c, t, u, p_k, q_k
        self.x_weights_, self.y_weights_ = W, C
        self.x_scores_, self.y_scores_ = T, U
        self.x_loadings_, self.y_loadings_ = Px, Py
        self.x_rotations_ = W @ linalg.pinv(Px.T @ W, check_finite=False)  # (p, k)
        self.y_rotations_ = C @ linalg.pinv(Py.T @ C, check_finite=False)  # (q, k)
        coef = self.x_rotations_ @ Py.T  # (p, q) in standardised units
        self.coef_ = (coef * self.y_std_).T / self.x_std_  # (q, p)
        self.intercept_ = self.y_mean_
        self.canonical_correlations_ = np.array(
            [np.corrcoef(T[:, j], U[:, j])[0, 1] if T[:, j].any() and U[:, j].any() else 0.0 for j in range(k_max)]
        )
        return self

    # ------------------------------------------------------------------ projecting
    def _check_X_new(self, X, name: str, n_cols: int) -> np.ndarray:
        X = check_array(X, name, ndim=(1, 2) if name == "y" else 2, dtype=np.float64)
        X = X.reshape(len(X), -1)
        if X.shape[1] != n_cols:
            raise ValueError(f"{name}: expected {n_cols} columns (as in fit), got {X.shape[1]}")
        return X

    def transform(self, X, y=None, copy=True):
        """Canonical scores of ``X`` (and of ``y`` if given, returned as a pair)."""
        check_is_fitted(self, "x_rotations_")
        X = self._check_X_new(X, "X", self.n_features_in_)
        x_scores = ((X - self.x_mean_) / self.x_std_) @ self.x_rotations_  # (n, k)
        if y is None:
            return x_scores
        Y = self._check_X_new(y, "y", self.y_rotations_.shape[0])
        return x_scores, ((Y - self.y_mean_) / self.y_std_) @ self.y_rotations_

    def fit_transform(self, X, y=None):
        """``fit(X, y).transform(X, y)``: the pair of training scores."""
        return self.fit(X, y).transform(X, y)

    def inverse_transform(self, X, y=None):
        """Back from scores to the original units: ``scores @ loadingsᵀ * std + mean``."""
        check_is_fitted(self, "x_loadings_")
        X = check_array(X, "X", ndim=2, dtype=np.float64)
        X_rec = X @ self.x_loadings_.T * self.x_std_ + self.x_mean_
        if y is None:
            return X_rec
        Y = check_array(y, "y", ndim=2, dtype=np.float64)
        return X_rec, Y @ self.y_loadings_.T * self.y_std_ + self.y_mean_

    def predict(self, X, copy=True):
        """Predict ``y`` from ``X`` through the canonical components: ``(X - mean) @ coef_ᵀ + intercept_``."""
        check_is_fitted(self, "coef_")
        X = self._check_X_new(X, "X", self.n_features_in_)
        y_pred = (X - self.x_mean_) @ self.coef_.T + self.intercept_
        return y_pred.ravel() if self._predict_1d else y_pred

    def get_feature_names_out(self, input_features=None):
        """``cca0 .. cca{k-1}`` as scikit-learn names them."""
        check_is_fitted(self, "x_rotations_")
        return np.asarray([f"cca{i}" for i in range(self.x_rotations_.shape[1])], dtype=object)
