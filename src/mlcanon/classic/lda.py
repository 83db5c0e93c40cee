"""Latent Dirichlet Allocation by variational Bayes: batch (variational EM) and online (stochastic VB).

Papers: D. Blei, A. Ng & M. Jordan, "Latent Dirichlet Allocation", JMLR 2003 (the model and the
batch variational EM); M. Hoffman, D. Blei & F. Bach, "Online Learning for Latent Dirichlet
Allocation", NIPS 2010 (the online update). Reference implementation whose numbers this matches:
scikit-learn 1.9's ``sklearn.decomposition.LatentDirichletAllocation`` (``_lda.py`` and
``_online_lda_fast.pyx``) — same parameters, attributes, initialisation and random-number stream,
so a model fitted with the same ``random_state`` ends at the same topics.

Model: topic k has word distribution beta_k ~ Dir(eta); document d has topic proportions
theta_d ~ Dir(alpha); each word picks a topic z ~ Cat(theta_d) then a word w ~ Cat(beta_z).
Mean-field q(theta_d) = Dir(gamma_d), q(beta_k) = Dir(lambda_k) (``components_``), q(z_dw) = phi_dw.

    E[log theta_dk] = psi(gamma_dk) - psi(sum_k gamma_dk)          (the same for beta with lambda)
    E-step, per document, to a fixed point (mean |change of gamma_d| < mean_change_tol):
        phi_dwk  ∝ exp(E[log theta_dk]) * exp(E[log beta_kw])
        gamma_dk = alpha + sum_w n_dw * phi_dwk
    M-step (batch):   lambda_kw = eta + sum_d n_dw * phi_dwk
    M-step (online):  lambda <- (1 - rho_t) * lambda + rho_t * (eta + D / |batch| * sstats),
                      rho_t = (tau_0 + t) ** (-kappa)
    Bound (ELBO): sum_dw n_dw log sum_k exp(E[log theta_dk] + E[log beta_kw])
                  + E[log p(theta | alpha) - log q(theta | gamma)] + E[log p(beta | eta) - log q(beta | lambda)]
    perplexity = exp(-bound / total word count)

The per-document fixed point is a loop that cannot be vectorised across documents, so it is
compiled with numba over the CSR rows (indptr / indices / data); psi is Bernardo's algorithm
AS 103 (1976) — the recurrence psi(x) = psi(x + 1) - 1/x up to x >= 6, then the asymptotic series —
as in scikit-learn's Cython, so that both run the same arithmetic.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp
from numba import njit
from scipy.special import gammaln

from mlcanon.classic._base import BaseEstimator, TransformerMixin, check_is_fitted, check_random_state
from mlcanon.validation import check_array, check_int, check_option, check_scalar

__all__ = ["LatentDirichletAllocation"]

_EULER = 0.577215664901532860606512090082402431


# ---------------------------------------------------------------------------------------------
# numba kernels
# ---------------------------------------------------------------------------------------------


@njit(cache=True, error_model="numpy")  # C semantics: 1 / 0 = inf, as in scikit-learn's Cython
def _psi(x):
    """Digamma for x > 0 (Bernardo 1976, AS 103): shift x up to >= 6, then the asymptotic series.

    psi(x) = log x - 1/(2x) - 1/(12x^2) + 1/(120x^4) - 1/(252x^6) + O(x^-8); at x = 6 the first
    dropped term, 1/(240 x^8), is 2.5e-9 — the accuracy scikit-learn's Cython psi also has."""
    if x <= 1e-6:
        return -_EULER - 1.0 / x  # psi(x) = -gamma - 1/x + O(x)
    result = 0.0
    while x < 6.0:
        result -= 1.0 / x
        x += 1.0
    r = 1.0 / x
    result += math.log(x) - 0.5 * r
    r = r * r
    result -= r * ((1.0 / 12.0) - r * ((1.0 / 120.0) - r * (1.0 / 252.0)))
    return result


@njit(cache=True, error_model="numpy")
def _dirichlet_expectation_2d(arr):
    """E[log X] for each row X ~ Dir(arr[i]): psi(arr) - psi(row sums)."""
    n, k = arr.shape
    out = np.empty((n, k))
    for i in range(n):
        total = 0.0
        for j in range(k):
            total += arr[i, j]
        psi_total = _psi(total)
        for j in range(k):
            out[i, j] = _psi(arr[i, j]) - psi_total
    return out


@njit(cache=True, error_model="numpy")
def _e_step_kernel(indptr, indices, data, exp_beta_t, gamma, alpha, max_iter, tol, eps, cal_sstats):
    """Per-document fixed point of (phi, gamma); ``gamma`` (n_docs, K) holds the initial values
    and is overwritten. ``exp_beta_t`` is exp(E[log beta]) transposed to (n_features, K) so that
    one word's K topic weights are contiguous. Returns sstats (n_features, K), still to be
    multiplied by exp(E[log beta]) (as in Hoffman's onlineldavb)."""
    n_docs, n_topics = gamma.shape
    n_features = exp_beta_t.shape[0]
    sstats_t = np.zeros((n_features if cal_sstats else 0, n_topics))
    exp_theta = np.empty(n_topics)
    last = np.empty(n_topics)
    new = np.empty(n_topics)
    max_words = 0
    for d in range(n_docs):
        max_words = max(max_words, indptr[d + 1] - indptr[d])
    ratio = np.empty(max_words)

    for d in range(n_docs):
        start, stop = indptr[d], indptr[d + 1]
        g = gamma[d]
        _exp_dirichlet(g, 0.0, exp_theta)  # from the initial gamma, without the prior
        for _ in range(max_iter):
            for k in range(n_topics):
                last[k] = g[k]
                new[k] = 0.0
            for j in range(start, stop):
                row = exp_beta_t[indices[j]]
                norm = eps
                for k in range(n_topics):
                    norm += exp_theta[k] * row[k]
                c = data[j] / norm
                for k in range(n_topics):
                    new[k] += c * row[k]
            for k in range(n_topics):
                g[k] = exp_theta[k] * new[k]
            _exp_dirichlet(g, alpha, exp_theta)  # adds alpha to g in place
            change = 0.0
            for k in range(n_topics):
                change += abs(last[k] - g[k])
            if change / n_topics < tol:
                break
        if cal_sstats:
            for j in range(start, stop):
                row = exp_beta_t[indices[j]]
                norm = eps
                for k in range(n_topics):
                    norm += exp_theta[k] * row[k]
                ratio[j - start] = data[j] / norm
            for j in range(start, stop):
                srow = sstats_t[indices[j]]
                c = ratio[j - start]
                for k in range(n_topics):
                    srow[k] += exp_theta[k] * c
    return sstats_t


@njit(cache=True, error_model="numpy")
def _exp_dirichlet(g, prior, out):
    """g += prior; out = exp(psi(g) - psi(sum g))."""
    total = 0.0
    for k in range(g.shape[0]):
        g[k] += prior
        total += g[k]
    psi_total = _psi(total)
    for k in range(g.shape[0]):
        out[k] = math.exp(_psi(g[k]) - psi_total)


@njit(cache=True, error_model="numpy")
def _word_bound(indptr, indices, data, elog_theta, elog_beta_t):
    """sum_dw n_dw * log sum_k exp(E[log theta_dk] + E[log beta_kw]) (a stable log-sum-exp)."""
    n_docs, n_topics = elog_theta.shape
    total = 0.0
    tmp = np.empty(n_topics)
    for d in range(n_docs):
        for j in range(indptr[d], indptr[d + 1]):
            row = elog_beta_t[indices[j]]
            m = -np.inf
            for k in range(n_topics):
                tmp[k] = elog_theta[d, k] + row[k]
                if tmp[k] > m:
                    m = tmp[k]
            s = 0.0
            for k in range(n_topics):
                s += math.exp(tmp[k] - m)
            total += data[j] * (m + math.log(s))
    return total


# ---------------------------------------------------------------------------------------------
# the estimator
# ---------------------------------------------------------------------------------------------


class LatentDirichletAllocation(TransformerMixin, BaseEstimator):
    """Latent Dirichlet Allocation fitted by batch or online variational Bayes.

    Same constructor, attributes and results as scikit-learn's ``LatentDirichletAllocation``.

    Parameters
    ----------
    n_components : int, default=10
        Number of topics K.
    doc_topic_prior : float, default=None
        alpha, the Dirichlet prior of document-topic proportions; None means 1 / n_components.
    topic_word_prior : float, default=None
        eta, the Dirichlet prior of topic-word distributions; None means 1 / n_components.
    learning_method : {"batch", "online"}, default="batch"
        "batch": every EM step uses all documents; "online": mini-batch stochastic VB.
    learning_decay : float, default=0.7
        kappa in rho_t = (tau_0 + t) ** -kappa (online only).
    learning_offset : float, default=10.0
        tau_0 (online only), >= 1.
    max_iter : int, default=10
        Passes over the data in ``fit``.
    batch_size : int, default=128
        Documents per mini-batch (online and ``partial_fit``).
    evaluate_every : int, default=-1
        Compute the perplexity every this many passes and stop when it changes by less than
        ``perp_tol``; 0 or negative: never.
    total_samples : float, default=1e6
        D, the corpus size assumed by ``partial_fit``.
    perp_tol : float, default=0.1
        Perplexity tolerance (with ``evaluate_every`` > 0).
    mean_change_tol : float, default=1e-3
        E-step stopping tolerance on the mean absolute change of gamma_d.
    max_doc_update_iter : int, default=100
        Maximum E-step iterations per document.
    n_jobs : int, default=None
        Accepted for compatibility with scikit-learn; the compiled E-step runs on one core.
    verbose : int, default=0
        Print progress per pass when > 0.
    random_state : int, RandomState or None, default=None
        Seeds the initial ``components_`` and the initial gamma of every training E-step.

    Attributes
    ----------
    components_ : ndarray of shape (n_components, n_features)
        lambda, the variational Dirichlet parameters of the topics (pseudo-counts).
    exp_dirichlet_component_ : ndarray of shape (n_components, n_features)
        exp(E[log beta]).
    n_batch_iter_ : int
        Number of EM steps (starts at 1, as in scikit-learn).
    n_iter_ : int
        Number of passes over the data.
    bound_ : float
        Final perplexity on the training set.
    doc_topic_prior_, topic_word_prior_ : float
        The priors actually used.
    random_state_ : RandomState
        The generator used.
    n_features_in_ : int
        Number of features (vocabulary size) seen in ``fit``.

    References
    ----------
    Blei, Ng & Jordan (2003), JMLR 3:993-1022. Hoffman, Blei & Bach (2010), NIPS 23.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.RandomState(0).poisson(1.0, size=(40, 12))
    >>> lda = LatentDirichletAllocation(n_components=3, random_state=0).fit(X)
    >>> lda.transform(X[:2]).sum(axis=1).round(6)
    array([1., 1.])
    """

    def __init__(
        self,
        n_components=10,
        *,
        doc_topic_prior=None,
        topic_word_prior=None,
        learning_method="batch",
        learning_decay=0.7,
        learning_offset=10.0,
        max_iter=10,
        batch_size=128,
        evaluate_every=-1,
        total_samples=1e6,
        perp_tol=1e-1,
        mean_change_tol=1e-3,
        max_doc_update_iter=100,
        n_jobs=None,
        verbose=0,
        random_state=None,
    ):
        self.n_components = n_components
        self.doc_topic_prior = doc_topic_prior
        self.topic_word_prior = topic_word_prior
        self.learning_method = learning_method
        self.learning_decay = learning_decay
        self.learning_offset = learning_offset
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.evaluate_every = evaluate_every
        self.total_samples = total_samples
        self.perp_tol = perp_tol
        self.mean_change_tol = mean_change_tol
        self.max_doc_update_iter = max_doc_update_iter
        self.n_jobs = n_jobs
        self.verbose = verbose
        self.random_state = random_state

    # ---- checks -----------------------------------------------------------------------------

    def _check_params(self) -> None:
        check_int(self.n_components, "n_components", minimum=1)
        for name in ("doc_topic_prior", "topic_word_prior"):
            if getattr(self, name) is not None:
                check_scalar(getattr(self, name), name, minimum=0.0, maximum=1.0)
        check_option(self.learning_method, "learning_method", ("batch", "online"))
        check_scalar(self.learning_decay, "learning_decay", minimum=0.0, maximum=1.0)
        check_scalar(self.learning_offset, "learning_offset", minimum=1.0)
        check_int(self.max_iter, "max_iter", minimum=0)
        check_int(self.batch_size, "batch_size", minimum=1)
        check_int(self.evaluate_every, "evaluate_every")
        check_scalar(self.total_samples, "total_samples", minimum=0.0, include_minimum=False)
        check_scalar(self.perp_tol, "perp_tol", minimum=0.0)
        check_scalar(self.mean_change_tol, "mean_change_tol", minimum=0.0)
        check_int(self.max_doc_update_iter, "max_doc_update_iter", minimum=0)
        if self.n_jobs is not None:
            check_int(self.n_jobs, "n_jobs")
        check_int(int(self.verbose) if isinstance(self.verbose, bool) else self.verbose, "verbose", minimum=0)

    def _check_X(self, X, whom: str, reset: bool) -> sp.csr_matrix:
        """X as a CSR matrix of non-negative finite float counts (float32 kept, else float64)."""
        if X is None:
            raise TypeError("X: expected an array-like or sparse matrix of word counts, got None")
        if reset:
            dtype = np.float32 if getattr(X, "dtype", None) == np.float32 else np.float64
        else:  # after fit, X takes the model's dtype (as scikit-learn)
            dtype = self.components_.dtype
        if sp.issparse(X):
            X = sp.csr_matrix(X, dtype=dtype)
            if X.ndim != 2:
                raise ValueError(f"X: expected a 2-D matrix, got shape {X.shape}")
            if X.shape[0] < 1 or X.shape[1] < 1:
                raise ValueError(
                    f"X: found array with shape {X.shape} while a minimum of 1 sample and 1 feature is required."
                )
            if not np.isfinite(X.data).all():
                raise ValueError("X: expected finite values, got NaN or infinity")
            data_min = X.data.min() if X.nnz else 0.0
        else:
            X = check_array(X, "X", ndim=2, dtype=dtype)
            data_min = X.min()
            X = sp.csr_matrix(X)
        if data_min < 0:
            raise ValueError(f"Negative values in data passed to {whom}: X must hold word counts >= 0, "
                             f"got a minimum of {data_min:g}")
        if reset:
            self.n_features_in_ = X.shape[1]
        elif X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {X.shape[1]} features, but LatentDirichletAllocation is expecting "
                f"{self.n_features_in_} features as input."
            )
        return X

    # ---- fitting ----------------------------------------------------------------------------

    def _init_latent_vars(self, n_features: int, dtype) -> None:
        self.random_state_ = check_random_state(self.random_state)
        self.n_batch_iter_ = 1
        self.n_iter_ = 0
        self.doc_topic_prior_ = 1.0 / self.n_components if self.doc_topic_prior is None else self.doc_topic_prior
        self.topic_word_prior_ = (
            1.0 / self.n_components if self.topic_word_prior is None else self.topic_word_prior
        )
        # Gamma(100, 1/100): mean 1, small spread (Hoffman's onlineldavb; scikit-learn's init).
        self.components_ = self.random_state_.gamma(100.0, 0.01, (self.n_components, n_features)).astype(
            dtype, copy=False
        )
        self._update_exp_dirichlet()

    def _update_exp_dirichlet(self) -> None:
        elog = _dirichlet_expectation_2d(np.asarray(self.components_, dtype=np.float64))
        self.exp_dirichlet_component_ = np.exp(elog).astype(self.components_.dtype, copy=False)

    def _e_step(self, X: sp.csr_matrix, cal_sstats: bool, random_init: bool):
        """gamma (n_docs, K) and, with ``cal_sstats``, the M-step statistics (K, n_features)."""
        n_docs = X.shape[0]
        if random_init:
            gamma = self.random_state_.gamma(100.0, 0.01, (n_docs, self.n_components))
            gamma = gamma.astype(X.dtype, copy=False).astype(np.float64)
        else:
            gamma = np.ones((n_docs, self.n_components))
        exp_beta = self.exp_dirichlet_component_
        exp_beta_t = np.ascontiguousarray(exp_beta.T, dtype=np.float64)
        eps = float(np.finfo(X.dtype).eps)
        sstats_t = _e_step_kernel(
            X.indptr.astype(np.int64, copy=False), X.indices.astype(np.int64, copy=False),
            X.data.astype(np.float64, copy=False), exp_beta_t, gamma, float(self.doc_topic_prior_),
            int(self.max_doc_update_iter), float(self.mean_change_tol), eps, cal_sstats,
        )
        gamma = gamma.astype(X.dtype, copy=False)
        if not cal_sstats:
            return gamma, None
        return gamma, (sstats_t.T * exp_beta).astype(X.dtype, copy=False)

    def _em_step(self, X: sp.csr_matrix, total_samples: float, batch_update: bool) -> None:
        _, sstats = self._e_step(X, cal_sstats=True, random_init=True)
        if batch_update:
            self.components_ = self.topic_word_prior_ + sstats
        else:
            rho = np.power(self.learning_offset + self.n_batch_iter_, -self.learning_decay)
            doc_ratio = float(total_samples) / X.shape[0]
            self.components_ *= 1 - rho
            self.components_ += rho * (self.topic_word_prior_ + doc_ratio * sstats)
        self._update_exp_dirichlet()
        self.n_batch_iter_ += 1

    def fit(self, X, y=None):
        """Learn the topics from the document-word count matrix ``X``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Word counts (non-negative).
        y : ignored

        Returns
        -------
        self
        """
        self._check_params()
        X = self._check_X(X, "LatentDirichletAllocation.fit", reset=True)
        self._init_latent_vars(X.shape[1], X.dtype)
        last_bound = None
        for i in range(self.max_iter):
            if self.learning_method == "online":
                for start in range(0, X.shape[0], self.batch_size):
                    self._em_step(X[start:start + self.batch_size], X.shape[0], batch_update=False)
            else:
                self._em_step(X, X.shape[0], batch_update=True)
            if self.evaluate_every > 0 and (i + 1) % self.evaluate_every == 0:
                gamma, _ = self._e_step(X, cal_sstats=False, random_init=False)
                bound = self._perplexity_from_gamma(X, gamma)
                if self.verbose:
                    print(f"iteration: {i + 1} of max_iter: {self.max_iter}, perplexity: {bound:.4f}")
                if last_bound and abs(last_bound - bound) < self.perp_tol:
                    break
                last_bound = bound
            elif self.verbose:
                print(f"iteration: {i + 1} of max_iter: {self.max_iter}")
            self.n_iter_ += 1
        gamma, _ = self._e_step(X, cal_sstats=False, random_init=False)
        self.bound_ = self._perplexity_from_gamma(X, gamma)
        return self

    def partial_fit(self, X, y=None):
        """One online pass over ``X`` in mini-batches of ``batch_size`` (corpus size ``total_samples``).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : ignored

        Returns
        -------
        self
        """
        first_time = not hasattr(self, "components_")
        self._check_params()
        X = self._check_X(X, "LatentDirichletAllocation.partial_fit", reset=first_time)
        if first_time:
            self._init_latent_vars(X.shape[1], X.dtype)
        for start in range(0, X.shape[0], self.batch_size):
            self._em_step(X[start:start + self.batch_size], self.total_samples, batch_update=False)
        return self

    # ---- using the model --------------------------------------------------------------------

    def transform(self, X, *, normalize=True):
        """Document-topic distribution of each row of ``X``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        normalize : bool, default=True
            Divide gamma by its row sums (rows sum to 1).

        Returns
        -------
        ndarray of shape (n_samples, n_components)
        """
        check_is_fitted(self, "components_")
        X = self._check_X(X, "LatentDirichletAllocation.transform", reset=False)
        gamma, _ = self._e_step(X, cal_sstats=False, random_init=False)
        if normalize:
            gamma /= gamma.sum(axis=1)[:, np.newaxis]
        return gamma

    def fit_transform(self, X, y=None, *, normalize=True):
        """``fit(X)`` then ``transform(X)``."""
        return self.fit(X, y).transform(X, normalize=normalize)

    def _approx_bound(self, X: sp.csr_matrix, gamma: np.ndarray, sub_sampling: bool) -> float:
        """The evidence lower bound over the documents of X (see the module docstring)."""
        gamma = np.asarray(gamma, dtype=np.float64)
        lam = np.asarray(self.components_, dtype=np.float64)
        elog_theta = _dirichlet_expectation_2d(gamma)
        elog_beta = _dirichlet_expectation_2d(lam)
        score = _word_bound(
            X.indptr.astype(np.int64, copy=False), X.indices.astype(np.int64, copy=False),
            X.data.astype(np.float64, copy=False), elog_theta, np.ascontiguousarray(elog_beta.T),
        )
        score += _dirichlet_kl_terms(self.doc_topic_prior_, gamma, elog_theta, self.n_components)
        if sub_sampling:
            score *= float(self.total_samples) / X.shape[0]
        score += _dirichlet_kl_terms(self.topic_word_prior_, lam, elog_beta, lam.shape[1])
        return float(score)

    def _perplexity_from_gamma(self, X: sp.csr_matrix, gamma: np.ndarray, sub_sampling: bool = False) -> float:
        bound = np.float64(self._approx_bound(X, gamma, sub_sampling))
        word_count = np.float64(X.sum())
        if sub_sampling:
            word_count *= float(self.total_samples) / X.shape[0]
        # NumPy division, as scikit-learn's: documents without a word (word_count = 0) give nan and
        # a RuntimeWarning, not a ZeroDivisionError
        return float(np.exp(-1.0 * (bound / word_count)))

    def score(self, X, y=None):
        """Approximate log-likelihood of ``X``: the variational bound (higher is better).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : ignored

        Returns
        -------
        float
        """
        check_is_fitted(self, "components_")
        X = self._check_X(X, "LatentDirichletAllocation.score", reset=False)
        gamma, _ = self._e_step(X, cal_sstats=False, random_init=False)
        return self._approx_bound(X, gamma, sub_sampling=False)

    def perplexity(self, X, sub_sampling=False):
        """exp(-bound / number of words) on ``X`` (lower is better).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        sub_sampling : bool, default=False
            Scale the document terms to ``total_samples`` documents.

        Returns
        -------
        float
        """
        check_is_fitted(self, "components_")
        X = self._check_X(X, "LatentDirichletAllocation.perplexity", reset=False)
        gamma, _ = self._e_step(X, cal_sstats=False, random_init=False)
        return self._perplexity_from_gamma(X, gamma, bool(sub_sampling))

    def get_feature_names_out(self, input_features=None):
        """``latentdirichletallocation0 .. {n_components - 1}``, the topic columns of ``transform``
        (scikit-learn's names: the class name in lower case and the index)."""
        check_is_fitted(self, "components_")
        return np.asarray([f"latentdirichletallocation{i}" for i in range(self.components_.shape[0])], dtype=object)

    def top_words(self, feature_names=None, n=10):
        """The ``n`` most probable words of each topic, by descending ``components_`` weight.

        Parameters
        ----------
        feature_names : sequence of str of length n_features, optional
            The vocabulary (e.g. ``CountVectorizer.get_feature_names_out()``); None gives indices.
        n : int, default=10

        Returns
        -------
        list of n_components lists of n words (or feature indices)
        """
        check_is_fitted(self, "components_")
        n = check_int(n, "n", minimum=1)
        if feature_names is not None:
            feature_names = list(feature_names)
            if len(feature_names) != self.components_.shape[1]:
                raise ValueError(
                    f"feature_names: expected {self.components_.shape[1]} names (n_features), "
                    f"got {len(feature_names)}"
                )
        order = np.argsort(-self.components_, axis=1, kind="stable")[:, :n]
        if feature_names is None:
            return [[int(j) for j in row] for row in order]
        return [[feature_names[j] for j in row] for row in order]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.positive_only = True
        tags.input_tags.sparse = True
        tags.transformer_tags.preserves_dtype = ["float32", "float64"]
        return tags


def _dirichlet_kl_terms(prior: float, distr: np.ndarray, elog: np.ndarray, size: int) -> float:
    """E[log p(x | prior)] - E[log q(x | distr)] summed over the rows of Dirichlet parameters."""
    score = np.sum((prior - distr) * elog)
    score += np.sum(gammaln(distr) - gammaln(prior))
    score += np.sum(gammaln(prior * size) - gammaln(np.sum(distr, 1)))
    return float(score)
