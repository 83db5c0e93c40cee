"""Naive Bayes: Gaussian, multinomial and Bernoulli, all in log space, all streaming (``partial_fit``).

Bayes' rule with features independent given the class:

    log P(y=k | x) = log P(y=k) + sum_j log P(x_j | y=k) - log sum_k' exp(same for k')

Every prediction goes through one function, ``_joint_log_likelihood`` (the numerator), normalised
with log-sum-exp, so nothing underflows however many features a document has.

- GaussianNB: x_j | y=k ~ N(theta_kj, var_kj); means and variances are updated batch by batch
  with the pairwise formula of Chan, Golub & LeVeque (1979, STAN-CS-79-773), and every variance
  gets epsilon = var_smoothing * max_j Var(x_j) added so no Gaussian is a spike.
- MultinomialNB (McCallum & Nigam 1998, "A comparison of event models for naive Bayes text
  classification"): log P(x | y=k) = sum_j x_j log theta_kj, theta_kj = (N_kj + alpha) / (N_k + alpha n).
- BernoulliNB (same paper, the multi-variate Bernoulli event model): x_j in {0, 1} (after
  ``binarize``), log P(x | y=k) = sum_j x_j log p_kj + (1 - x_j) log(1 - p_kj),
  p_kj = (N_kj + alpha) / (N_k + 2 alpha).

Reference whose numbers these match: scikit-learn's ``sklearn.naive_bayes`` (1.9) — the same
attributes (``class_count_``, ``class_log_prior_``, ``feature_count_``, ``feature_log_prob_``,
``theta_``, ``var_``, ``epsilon_``) and the same probabilities to ~1e-12.
"""

from __future__ import annotations

import numbers
import warnings
import numpy as np
import scipy.sparse as sp
from numba import njit

from mlcanon.classic._base import (
    BaseEstimator,
    ClassifierMixin,
    check_classification_targets,
    check_n_classes,
    check_is_fitted,
)
from mlcanon.classic._linear_utils import (
    check_partial_fit_classes,
    check_sample_weight,
    validate_X_any,
    validate_X_y_any,
)
from mlcanon.validation import check_scalar

__all__ = ["GaussianNB", "MultinomialNB", "BernoulliNB"]


class _BaseNB(ClassifierMixin, BaseEstimator):
    """Predictions from ``_joint_log_likelihood`` (log P(y) + log P(x | y)), normalised in log space."""

    _accept_sparse = True

    def _joint_log_likelihood(self, X) -> np.ndarray:  # (n_samples, n_classes)
        raise NotImplementedError

    def _check_X(self, X):
        check_is_fitted(self, "classes_")
        return validate_X_any(self, X, reset=False, accept_sparse=self._accept_sparse)

    def predict_joint_log_proba(self, X) -> np.ndarray:
        """log P(x, y=k) for each row of ``X`` and each class in ``classes_`` order.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        return self._joint_log_likelihood(self._check_X(X))

    def predict(self, X) -> np.ndarray:
        """The class with the largest posterior for each row of ``X``."""
        jll = self.predict_joint_log_proba(X)
        return self.classes_[np.argmax(jll, axis=1)]

    def predict_log_proba(self, X) -> np.ndarray:
        """log P(y=k | x): the joint log-likelihood minus its log-sum-exp over classes."""
        jll = self.predict_joint_log_proba(X)
        return jll - _logsumexp_rows(jll)

    def predict_proba(self, X) -> np.ndarray:
        """P(y=k | x), rows summing to 1, columns in ``classes_`` order."""
        return np.exp(self.predict_log_proba(X))


def _logsumexp_rows(a: np.ndarray) -> np.ndarray:
    """log sum_k exp(a_ik), shifted by the row maximum (finite unless a whole row is -inf)."""
    m = a.max(axis=1, keepdims=True)
    m[~np.isfinite(m)] = 0.0
    return np.log(np.exp(a - m).sum(axis=1, keepdims=True)) + m


# ---- Gaussian ----------------------------------------------------------------------------------


class GaussianNB(_BaseNB):
    """Gaussian naive Bayes, fitted in one pass or streamed with :meth:`partial_fit`.

    Parameters
    ----------
    priors : array-like of shape (n_classes,), default=None
        Prior probabilities of the classes; by default the (weighted) class frequencies.
    var_smoothing : float, default=1e-9
        Fraction of the largest feature variance added to every variance (``epsilon_``).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    class_count_ : ndarray of shape (n_classes,)
        Weighted number of training samples per class.
    class_prior_ : ndarray of shape (n_classes,)
    theta_, var_ : ndarray of shape (n_classes, n_features)
        Per-class feature means and variances (``var_`` includes ``epsilon_``). Float32 when the
        first batch is float32 (with ``class_count_``, ``class_prior_``, ``epsilon_``), as
        scikit-learn's; predictions are computed in float64 either way.
    epsilon_ : float
    n_features_in_ : int

    References
    ----------
    Chan, Golub & LeVeque (1979), "Updating formulae and a pairwise algorithm for computing
    sample variances", STAN-CS-79-773.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[-2.0, -1.0], [-1.0, -1.0], [1.0, 1.0], [2.0, 1.0]])
    >>> clf = GaussianNB().fit(X, [1, 1, 2, 2])
    >>> clf.predict([[-0.8, -1.0]])
    array([1])
    >>> clf.predict_proba([[0.0, 0.0]]).round(3)
    array([[0.5, 0.5]])
    """

    _accept_sparse = False

    def __init__(self, *, priors=None, var_smoothing=1e-9):
        self.priors = priors
        self.var_smoothing = var_smoothing

    def fit(self, X, y, sample_weight=None) -> GaussianNB:
        """Fit means and variances per class from scratch.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self
        """
        if y is not None:
            check_classification_targets(np.asarray(y))
        for name in ("classes_", "theta_", "var_", "class_count_", "class_prior_", "epsilon_"):
            self.__dict__.pop(name, None)
        classes = None if y is None else np.unique(np.asarray(y).ravel())
        if classes is not None:
            check_n_classes(classes, self)
        return self._partial_fit(X, y, classes, sample_weight)

    def partial_fit(self, X, y, classes=None, sample_weight=None) -> GaussianNB:
        """Update the model with one more batch; ``classes`` (all labels) is needed on the first call."""
        return self._partial_fit(X, y, classes, sample_weight)

    def _partial_fit(self, X, y, classes, sample_weight) -> GaussianNB:
        check_scalar(self.var_smoothing, "var_smoothing", minimum=0.0)
        first_call = getattr(self, "classes_", None) is None
        # the fitted state keeps a float32 X's dtype, as scikit-learn's (set by the first batch)
        dtype = _state_dtype(X) if first_call else self.theta_.dtype
        X, y = validate_X_y_any(self, X, y, reset=first_call, accept_sparse=False)
        X = X.astype(dtype, copy=False)  # float32 -> float64 -> float32 is exact
        check_classification_targets(y)
        first_call = check_partial_fit_classes(self, classes)
        sw = None if sample_weight is None else check_sample_weight(sample_weight, X.shape[0])
        # Boost every variance by a fraction of the largest one so no class-conditional Gaussian
        # collapses onto a constant feature (scikit-learn's rule, computed on this batch).
        largest = np.max(np.var(X, axis=0))
        self.epsilon_ = self.var_smoothing * (float(largest) if dtype == np.float64 else largest)
        if first_call:
            self._init_gaussian_state(X.shape[1], dtype)
        else:
            self.var_ -= self.epsilon_
        self._update_classes(X, y, sw)
        self.var_ += self.epsilon_
        if self.priors is None:
            self.class_prior_ = self.class_count_ / self.class_count_.sum()
        return self

    def _init_gaussian_state(self, n_features: int, dtype) -> None:
        n_classes = len(self.classes_)
        self.theta_ = np.zeros((n_classes, n_features), dtype=dtype)
        self.var_ = np.zeros((n_classes, n_features), dtype=dtype)
        self.class_count_ = np.zeros(n_classes, dtype=dtype)
        if self.priors is None:
            self.class_prior_ = np.zeros(n_classes, dtype=dtype)
            return
        priors = np.asarray(self.priors, dtype=np.float64)
        if priors.shape != (n_classes,):
            raise ValueError(f"priors: Number of priors must match number of classes: expected {n_classes}, "
                             f"got shape {priors.shape}")
        if not np.isclose(priors.sum(), 1.0):
            raise ValueError(f"priors: The sum of the priors should be 1, got {priors.sum():.10g}")
        if (priors < 0).any():
            raise ValueError("priors: Priors must be non-negative")
        self.class_prior_ = priors

    def _update_classes(self, X: np.ndarray, y: np.ndarray, sw: np.ndarray | None) -> None:
        labels = np.unique(y)
        unknown = labels[~np.isin(labels, self.classes_)]
        if unknown.size:
            raise ValueError(f"The target label(s) {unknown} in y do not exist in the initial classes {self.classes_}")
        for label in labels:
            k = int(np.searchsorted(self.classes_, label))
            mask = y == label
            sw_k = None if sw is None else sw[mask]
            n_k = mask.sum() if sw is None else sw_k.sum()
            self.theta_[k], self.var_[k] = _update_mean_variance(
                self.class_count_[k], self.theta_[k], self.var_[k], X[mask], sw_k
            )
            self.class_count_[k] += n_k

    def _joint_log_likelihood(self, X: np.ndarray) -> np.ndarray:
        # log N(x; theta, var) = -1/2 sum_j log(2 pi var_j) - 1/2 sum_j (x_j - theta_j)^2 / var_j
        with np.errstate(divide="ignore"):
            log_prior = np.log(self.class_prior_)
        var = np.asarray(self.var_, dtype=np.float64)  # a float32 model still predicts in float64
        log_norm = -0.5 * np.sum(np.log(2.0 * np.pi * var), axis=1)
        inv_var = 1.0 / var
        return _gaussian_jll(np.ascontiguousarray(X), np.asarray(self.theta_, dtype=np.float64), inv_var,
                             log_norm + log_prior)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        return tags


def _state_dtype(X) -> type:
    """float32 for a float32 array, float64 for anything else."""
    return np.float32 if getattr(X, "dtype", None) == np.float32 else np.float64


def _update_mean_variance(n_past: float, mu: np.ndarray, var: np.ndarray, X: np.ndarray,
                          sample_weight: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Combine (n_past, mu, var) with a new batch ``X`` (Chan, Golub & LeVeque's pairwise update).

    The sums of squared deviations add, plus a term for the shift between the two means:
    SSD = SSD_old + SSD_new + n_old n_new / (n_old + n_new) (mu_old - mu_new)^2.
    """
    if X.shape[0] == 0:
        return mu, var
    if sample_weight is not None:
        n_new = float(sample_weight.sum())
        if np.isclose(n_new, 0.0):
            return mu, var
        new_mu = np.average(X, axis=0, weights=sample_weight)
        new_var = np.average((X - new_mu) ** 2, axis=0, weights=sample_weight)
    else:
        n_new = X.shape[0]
        new_var = np.var(X, axis=0)
        new_mu = np.mean(X, axis=0)
    if n_past == 0:
        return new_mu, new_var
    n_total = float(n_past + n_new)
    total_mu = (n_new * new_mu + n_past * mu) / n_total
    total_ssd = n_past * var + n_new * new_var + (n_new * n_past / n_total) * (mu - new_mu) ** 2
    return total_mu, total_ssd / n_total


@njit(cache=True)
def _gaussian_jll(X, theta, inv_var, offset):  # pragma: no cover - compiled
    # One pass over X per class with no temporaries: n * k * d multiply-adds.
    n, d = X.shape
    k = theta.shape[0]
    out = np.empty((n, k))
    for i in range(n):
        for c in range(k):
            acc = 0.0
            for j in range(d):
                diff = X[i, j] - theta[c, j]
                acc += diff * diff * inv_var[c, j]
            out[i, c] = offset[c] - 0.5 * acc
    return out


# ---- discrete (multinomial, Bernoulli) ---------------------------------------------------------


class _BaseDiscreteNB(_BaseNB):
    """Counting naive Bayes: sufficient statistics are ``class_count_`` and ``feature_count_``."""

    def _init_counters(self, n_classes: int, n_features: int) -> None:
        self.class_count_ = np.zeros(n_classes)
        self.feature_count_ = np.zeros((n_classes, n_features))

    def _check_X(self, X):
        return self._prepare_X(super()._check_X(X))

    def _prepare_X(self, X):
        return X

    def fit(self, X, y, sample_weight=None):
        """Count features per class and smooth them.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self
        """
        X, y = validate_X_y_any(self, X, y, reset=True)
        check_classification_targets(y)
        X = self._prepare_X(X)
        self.classes_ = np.unique(y)
        check_n_classes(self.classes_, self)
        self._init_counters(len(self.classes_), X.shape[1])
        self._count_and_smooth(X, y, sample_weight)
        return self

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Add one batch of counts; ``classes`` (all labels) is needed on the first call."""
        first_call = getattr(self, "classes_", None) is None
        X, y = validate_X_y_any(self, X, y, reset=first_call)
        check_classification_targets(y)
        X = self._prepare_X(X)
        if check_partial_fit_classes(self, classes):
            self._init_counters(len(self.classes_), X.shape[1])
        unknown = np.setdiff1d(np.unique(y), self.classes_)
        if unknown.size:
            raise ValueError(f"The target label(s) {unknown} in y do not exist in the initial classes {self.classes_}")
        self._count_and_smooth(X, y, sample_weight)
        return self

    def _count_and_smooth(self, X, y, sample_weight) -> None:
        n = X.shape[0]
        sw = check_sample_weight(sample_weight, n)
        rows = np.searchsorted(self.classes_, y)
        # A sparse (n_classes, n_samples) indicator, weighted: Y @ X sums each class's rows in O(nnz).
        Y = sp.csr_matrix((sw, (rows, np.arange(n))), shape=(len(self.classes_), n))
        self._count(X, Y, sw, rows)
        alpha = self._check_alpha()
        self._update_feature_log_prob(alpha)
        self._update_class_log_prior()

    def _count(self, X, Y, sw, rows) -> None:
        counts = Y @ X
        self.feature_count_ += counts.toarray() if sp.issparse(counts) else np.asarray(counts)
        self.class_count_ += np.bincount(rows, weights=sw, minlength=len(self.classes_))

    def _check_alpha(self):
        if isinstance(self.alpha, numbers.Real) and not isinstance(self.alpha, bool):
            alpha = float(self.alpha)
            if alpha < 0:
                raise ValueError(f"alpha: expected a number >= 0, got {alpha}")
        else:
            alpha = np.asarray(self.alpha, dtype=np.float64)
            if alpha.ndim != 1 or alpha.shape[0] != self.n_features_in_:
                raise ValueError("alpha: When alpha is an array, it should contains `n_features`. "
                                 f"Got {alpha.size} elements instead of {self.n_features_in_}.")
            if (alpha < 0).any():
                raise ValueError("alpha: All values in alpha must be greater than 0.")
        if np.min(alpha) < 1e-10 and not self.force_alpha:
            warnings.warn("alpha too small will result in numeric errors, setting alpha = 1.0e-10. "
                          "Use `force_alpha=True` to keep alpha unchanged.", stacklevel=4)
            return np.maximum(alpha, 1e-10)
        return alpha

    def _update_class_log_prior(self) -> None:
        n_classes = len(self.classes_)
        if self.class_prior is not None:
            prior = np.asarray(self.class_prior, dtype=np.float64)
            if prior.shape != (n_classes,):
                raise ValueError(f"class_prior: Number of priors must match number of classes: expected "
                                 f"{n_classes}, got shape {prior.shape}")
            with np.errstate(divide="ignore"):
                self.class_log_prior_ = np.log(prior)
        elif self.fit_prior:
            with np.errstate(divide="ignore"):  # a class declared in partial_fit but not yet seen
                self.class_log_prior_ = np.log(self.class_count_) - np.log(self.class_count_.sum())
        else:
            self.class_log_prior_ = np.full(n_classes, -np.log(n_classes))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.classifier_tags.poor_score = True
        return tags


class MultinomialNB(_BaseDiscreteNB):
    """Multinomial naive Bayes for counts (word counts, TF-IDF), dense or sparse.

    Parameters
    ----------
    alpha : float or array-like of shape (n_features,), default=1.0
        Additive (Laplace/Lidstone) smoothing; 0 for none.
    force_alpha : bool, default=True
        Keep ``alpha`` even below 1e-10 (otherwise it is raised to 1e-10 with a warning).
    fit_prior : bool, default=True
        Learn class priors from the data; otherwise uniform.
    class_prior : array-like of shape (n_classes,), default=None
        Fixed class priors.

    Attributes
    ----------
    classes_, class_count_, class_log_prior_ : ndarray of shape (n_classes,)
    feature_count_, feature_log_prob_ : ndarray of shape (n_classes, n_features)
    n_features_in_ : int

    References
    ----------
    McCallum & Nigam (1998), "A comparison of event models for naive Bayes text classification".

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[3, 0, 1], [2, 0, 0], [0, 2, 1], [0, 3, 0]])
    >>> MultinomialNB().fit(X, ["sport", "sport", "tech", "tech"]).predict([[1, 0, 0]])
    array(['sport'], dtype='<U5')
    """

    def __init__(self, *, alpha=1.0, force_alpha=True, fit_prior=True, class_prior=None):
        self.alpha = alpha
        self.force_alpha = force_alpha
        self.fit_prior = fit_prior
        self.class_prior = class_prior

    def _prepare_X(self, X):
        data_min = (X.data.min() if X.nnz else 0.0) if sp.issparse(X) else X.min()
        if data_min < 0:
            raise ValueError(f"Negative values in data passed to MultinomialNB (input X): expected counts >= 0, "
                             f"got a minimum of {data_min:g}")
        return X

    def _update_feature_log_prob(self, alpha) -> None:
        smoothed_fc = self.feature_count_ + alpha
        smoothed_cc = smoothed_fc.sum(axis=1)
        with np.errstate(divide="ignore"):
            self.feature_log_prob_ = np.log(smoothed_fc) - np.log(smoothed_cc.reshape(-1, 1))

    def _joint_log_likelihood(self, X) -> np.ndarray:
        return np.asarray(X @ self.feature_log_prob_.T) + self.class_log_prior_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.positive_only = True
        return tags


class BernoulliNB(_BaseDiscreteNB):
    """Bernoulli naive Bayes for binary features (word present / absent), dense or sparse.

    Parameters
    ----------
    alpha : float or array-like of shape (n_features,), default=1.0
        Additive smoothing.
    force_alpha : bool, default=True
    binarize : float or None, default=0.0
        Threshold: features become ``x > binarize``; ``None`` means ``X`` is already binary.
    fit_prior : bool, default=True
    class_prior : array-like of shape (n_classes,), default=None

    Attributes
    ----------
    classes_, class_count_, class_log_prior_ : ndarray of shape (n_classes,)
    feature_count_, feature_log_prob_ : ndarray of shape (n_classes, n_features)
    n_features_in_ : int

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1, 0, 1], [1, 0, 0], [0, 1, 1], [0, 1, 0]])
    >>> BernoulliNB().fit(X, [0, 0, 1, 1]).predict([[1, 0, 1]])
    array([0])
    """

    def __init__(self, *, alpha=1.0, force_alpha=True, binarize=0.0, fit_prior=True, class_prior=None):
        self.alpha = alpha
        self.force_alpha = force_alpha
        self.binarize = binarize
        self.fit_prior = fit_prior
        self.class_prior = class_prior

    def _prepare_X(self, X):
        if self.binarize is None:
            return X
        threshold = check_scalar(self.binarize, "binarize")
        if sp.issparse(X):
            if threshold < 0:
                raise ValueError("binarize: Cannot binarize a sparse matrix with threshold < 0")
            X = X.copy()
            X.data = (X.data > threshold).astype(np.float64)  # entry by entry, as scikit-learn's binarize
            X.eliminate_zeros()
            return X
        return (X > threshold).astype(np.float64)

    def _update_feature_log_prob(self, alpha) -> None:
        smoothed_fc = self.feature_count_ + alpha
        # (n_classes, 1) + scalar or (n_features,): a per-feature alpha smooths each feature's own
        # Bernoulli (scikit-learn 1.9 raises a broadcasting error there)
        smoothed_cc = self.class_count_[:, None] + 2 * np.asarray(alpha)
        with np.errstate(divide="ignore"):
            self.feature_log_prob_ = np.log(smoothed_fc) - np.log(smoothed_cc)

    def _joint_log_likelihood(self, X) -> np.ndarray:
        # sum_j x_j log p + (1 - x_j) log(1 - p) = x . (log p - log(1-p)) + sum_j log(1 - p)
        with np.errstate(divide="ignore"):
            neg_prob = np.log(1 - np.exp(self.feature_log_prob_))
        jll = np.asarray(X @ (self.feature_log_prob_ - neg_prob).T)
        return jll + (self.class_log_prior_ + neg_prob.sum(axis=1))

