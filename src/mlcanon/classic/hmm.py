"""Hidden Markov models with categorical and Gaussian emissions (Rabiner 1989), equal to hmmlearn 0.3.3.

An HMM has K hidden states, a start distribution pi, a transition matrix A (A_ij = P(s_{t+1}=j | s_t=i))
and an emission density b_j(x) = P(x | s=j): a categorical table (:class:`CategoricalHMM`) or a
Gaussian (:class:`GaussianHMM`). Everything is in log space; the recursions over time are
compiled with numba in :mod:`mlcanon.classic._hmm_kernels`.

- Forward: log alpha_1(j) = log pi_j + log b_j(x_1);
  log alpha_t(j) = logsumexp_i(log alpha_{t-1}(i) + log A_ij) + log b_j(x_t);
  log P(x) = logsumexp_j log alpha_T(j).
- Backward: log beta_T(i) = 0; log beta_t(i) = logsumexp_j(log A_ij + log b_j(x_{t+1}) + log beta_{t+1}(j)).
- Posterior: gamma_t(i) = alpha_t(i) beta_t(i) / P(x); xi_t(i,j) = alpha_t(i) A_ij b_j(x_{t+1}) beta_{t+1}(j) / P(x).
- Viterbi (Viterbi 1967): delta_t(j) = max_i(delta_{t-1}(i) + log A_ij) + log b_j(x_t), then backtrack.
- Baum-Welch (Baum et al. 1970) = EM: the E-step sums gamma and xi over all sequences, the M-step
  is hmmlearn's MAP update with Dirichlet priors (``startprob_prior``, ``transmat_prior``,
  ``emissionprob_prior``) and Normal / inverse-gamma / inverse-Wishart priors on the Gaussians
  (``means_prior``, ``means_weight``, ``covars_prior``, ``covars_weight``)::

      pi_i  proportional to max(prior_i - 1 + sum_seq gamma_1(i), 0)
      A_ij  proportional to max(prior_ij - 1 + sum_t xi_t(i, j), 0)
      B_ik  proportional to max(prior_ik - 1 + sum_{t: x_t = k} gamma_t(i), 0)
      mu_i  = (w mu0 + sum_t gamma_t(i) x_t) / (w + sum_t gamma_t(i))

Reference: hmmlearn 0.3.3 (``hmmlearn.hmm.CategoricalHMM`` / ``GaussianHMM``): same parameter
names, attributes and ``(X, lengths)`` calls; the same parameters give the same score, Viterbi
path, posteriors and Baum-Welch step (tests/classic/test_hmm.py).

Deliberate differences from hmmlearn (each one a fix, named in the docstrings below):
out-of-range symbols, empty sequences, bad lengths and all-zero probability rows raise a
``ValueError`` that names the place; ``covars_`` of a fitted spherical model has shape
(n_components, n_features, n_features) (hmmlearn returns n_components * n_features matrices);
GaussianHMM with ``params`` holding ``"c"`` but not ``"m"`` still accumulates the statistics
the covariance update needs; ``fit`` does not replace ``random_state`` with a RandomState.

Warnings go where hmmlearn sends them, to the ``logging`` module (logger ``mlcanon.classic.hmm``,
hmmlearn's is ``hmmlearn.base``), with hmmlearn's wording: when ``fit`` initialises a parameter
that the user set because ``init_params`` names it ("... it will be overwritten ..."), and when the
model has more free parameters than ``X`` has numbers ("... degenerate solution").
"""

from __future__ import annotations

import logging
import numbers
import sys
from collections import deque

import numpy as np

from mlcanon.classic import _hmm_kernels as kern
from mlcanon.classic._base import BaseEstimator, check_is_fitted, check_random_state
from mlcanon.validation import (
    check_array,
    check_int,
    check_lengths,
    check_option,
    check_scalar,
)

__all__ = ["CategoricalHMM", "GaussianHMM", "ConvergenceMonitor", "SymbolError"]

_logger = logging.getLogger(__name__)
COVARIANCE_TYPES = ("spherical", "diag", "full", "tied")


class SymbolError(ValueError, TypeError):
    """Symbols of a CategoricalHMM that are not integers: a ValueError, as hmmlearn raises, and a
    TypeError (the type of the array is wrong), as mlcanon raised before."""


class ConvergenceMonitor:
    """When Baum-Welch stops: after ``n_iter`` steps, or when the log-likelihood gains less than ``tol``.

    Attributes
    ----------
    history : deque of float
        The log-likelihood of the training data before each M-step, in order.
    iter : int
        Number of EM steps done.

    Examples
    --------
    >>> m = ConvergenceMonitor(tol=0.1, n_iter=10, verbose=False)
    >>> for lp in (-10.0, -5.0, -4.95):
    ...     m.report(lp)
    >>> m.iter, m.converged
    (3, True)
    """

    def __init__(self, tol: float, n_iter: int, verbose: bool):
        self.tol = tol
        self.n_iter = n_iter
        self.verbose = verbose
        self.history: deque = deque()
        self.iter = 0

    def __repr__(self) -> str:
        return f"ConvergenceMonitor(tol={self.tol}, n_iter={self.n_iter}, iter={self.iter}, history={list(self.history)})"

    def _reset(self) -> None:
        self.iter = 0
        self.history.clear()

    def report(self, log_prob: float) -> None:
        """Record one step's log-likelihood (and print it when ``verbose``)."""
        if self.verbose:
            delta = log_prob - self.history[-1] if self.history else np.nan
            print(f"{self.iter + 1:>10d} {log_prob:>16.8f} {delta:>+16.8f}", file=sys.stderr)
        # EM never lowers the likelihood; a drop beyond rounding means a bug or a degenerate model.
        if self.history and log_prob - self.history[-1] < -np.sqrt(np.finfo(float).eps):
            _logger.warning("Model is not converging: log-likelihood %s is below the previous %s",
                         log_prob, self.history[-1])
        self.history.append(log_prob)
        self.iter += 1

    @property
    def converged(self) -> bool:
        """True after ``n_iter`` steps or once the last gain is below ``tol``."""
        return self.iter == self.n_iter or (
            len(self.history) >= 2 and self.history[-1] - self.history[-2] < self.tol
        )


def _normalize(a: np.ndarray, axis=None) -> np.ndarray:
    """Divide by the sum along ``axis`` (all-zero rows are left at zero, as hmmlearn's normalize)."""
    s = a.sum(axis=axis, keepdims=axis is not None)
    if axis is not None:
        s = np.where(s == 0, 1.0, s)
    return a / s


def _safe_log(a: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return np.log(a)


class _BaseHMM(BaseEstimator):
    """What the two HMMs share: checks, the forward-backward passes, decoding, EM and sampling."""

    _emission_codes = ""

    def __init__(self, n_components, startprob_prior, transmat_prior, algorithm, random_state,
                 n_iter, tol, verbose, params, init_params, implementation):
        self.n_components = n_components
        self.startprob_prior = startprob_prior
        self.transmat_prior = transmat_prior
        self.algorithm = algorithm
        self.random_state = random_state
        self.n_iter = n_iter
        self.tol = tol
        self.verbose = verbose
        self.params = params
        self.init_params = init_params
        self.implementation = implementation

    # hmmlearn keeps the monitor as an attribute that exists before fit; a property keeps
    # __init__ to storing arguments (scikit-learn's contract) and still gives hmmlearn's behaviour.
    @property
    def monitor_(self) -> ConvergenceMonitor:
        """The :class:`ConvergenceMonitor` of the last ``fit`` (a fresh one before any fit)."""
        mon = self.__dict__.get("_monitor")
        if mon is None:
            mon = self.__dict__["_monitor"] = ConvergenceMonitor(self.tol, self.n_iter, self.verbose)
        return mon

    @monitor_.setter
    def monitor_(self, monitor: ConvergenceMonitor) -> None:
        self.__dict__["_monitor"] = monitor

    # ------------------------------------------------------------------ checks
    def _check_hyper(self) -> None:
        check_int(self.n_components, "n_components", minimum=1)
        check_option(self.algorithm, "algorithm", ("viterbi", "map"))
        check_option(self.implementation, "implementation", ("log", "scaling"))
        check_int(self.n_iter, "n_iter", minimum=0)
        if isinstance(self.tol, bool) or not isinstance(self.tol, numbers.Real) or np.isnan(self.tol):
            raise TypeError(f"tol: expected a real number (-inf allowed: never stop early), got {self.tol!r}")
        for name in ("params", "init_params"):
            if not isinstance(getattr(self, name), str):
                raise TypeError(f"{name}: expected a string of parameter codes, got {getattr(self, name)!r}")

    def _check(self) -> None:
        """Check the model's parameters before they are used (hmmlearn's ``_check``, with clearer errors)."""
        K = self.n_components
        check_is_fitted(self, "startprob_")
        self.startprob_ = _check_distribution(self.startprob_, "startprob_", (K,))
        self.transmat_ = _check_distribution(self.transmat_, "transmat_", (K, K))

    def _prepare(self, X, lengths):
        """Validated X and the (n_seq + 1,) offsets of its sequences."""
        self._check()
        X = self._validate_X(X)
        lengths = check_lengths(lengths, X.shape[0])
        offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        self._check_symbols(X, offsets)
        return X, offsets

    def _check_symbols(self, X, offsets) -> None:
        pass

    # ------------------------------------------------------------------ passes
    def _forward_backward(self, X, offsets, posteriors=True, xi=False):
        """Run the passes over all sequences: (log-likelihood per sequence, posteriors or None, xi sum or None)."""
        N, K = X.shape[0], self.n_components
        n_seq = len(offsets) - 1
        A = np.ascontiguousarray(self.transmat_, dtype=np.float64)
        pi = np.ascontiguousarray(self.startprob_, dtype=np.float64)
        logprob = np.empty(n_seq)
        gamma = xi_sum = None
        if self.implementation == "log":
            logB = self._log_frameprob(X)
            logA = _safe_log(A)
            fwd = np.empty((N, K))
            kern.forward_log(_safe_log(pi), A, logA, logB, offsets, fwd, logprob)
            if posteriors or xi:
                bwd = np.empty((N, K))
                kern.backward_log(A, logA, logB, offsets, bwd)
                gamma = np.empty((N, K))
                kern.posteriors_log(fwd, bwd, gamma)
                if xi:
                    xi_sum = np.zeros((K, K))
                    kern.xi_sum_log(fwd, bwd, A, logA, logB, offsets, logprob, xi_sum)
        else:
            B = self._frameprob(X)
            fwd = np.empty((N, K))
            scaling = np.empty(N)
            bad = kern.forward_scaling(pi, A, B, offsets, fwd, scaling, logprob)
            if bad >= 0:
                seq = int(np.searchsorted(offsets, bad, side="right") - 1)
                raise ValueError(
                    f"forward pass failed with underflow at frame {bad - offsets[seq]} of sequence {seq} "
                    "(implementation='scaling'); use implementation='log' instead"
                )
            if posteriors or xi:
                bwd = np.empty((N, K))
                kern.backward_scaling(A, B, scaling, offsets, bwd)
                gamma = np.empty((N, K))
                kern.posteriors_scaling(fwd, bwd, gamma)
                if xi:
                    xi_sum = np.zeros((K, K))
                    kern.xi_sum_scaling(fwd, bwd, A, B, offsets, xi_sum)
        return logprob, gamma, xi_sum

    def _frameprob(self, X):
        with np.errstate(under="ignore"):
            return np.exp(self._log_frameprob(X))

    # ------------------------------------------------------------------ public API
    def score(self, X, lengths=None) -> float:
        """Log-likelihood log P(X) of the sequences in ``X`` (summed over sequences).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The frames of all sequences, one after the other.
        lengths : array-like of int of shape (n_sequences,), optional
            Lengths of the sequences; they must sum to ``n_samples``. ``None``: one sequence.
        """
        X, offsets = self._prepare(X, lengths)
        logprob, _, _ = self._forward_backward(X, offsets, posteriors=False)
        return float(logprob.sum())

    def score_samples(self, X, lengths=None):
        """Log-likelihood and the posteriors gamma: (float, array of shape (n_samples, n_components))."""
        X, offsets = self._prepare(X, lengths)
        logprob, gamma, _ = self._forward_backward(X, offsets, posteriors=True)
        return float(logprob.sum()), gamma

    def predict_proba(self, X, lengths=None) -> np.ndarray:
        """Posterior state probabilities P(s_t = i | x) of shape (n_samples, n_components)."""
        return self.score_samples(X, lengths)[1]

    def decode(self, X, lengths=None, algorithm=None):
        """Most likely states: ``(log_prob, states)``.

        ``algorithm="viterbi"``: the single best path and its joint log-probability log P(x, s).
        ``algorithm="map"``: the most probable state of each frame; as in hmmlearn, the first
        value is then the sum over frames of the largest posterior (not a log-probability).
        """
        algorithm = self.algorithm if algorithm is None else algorithm
        check_option(algorithm, "algorithm", ("viterbi", "map"))
        if algorithm == "map":
            _, gamma = self.score_samples(X, lengths)
            return float(gamma.max(axis=1).sum()), gamma.argmax(axis=1)
        X, offsets = self._prepare(X, lengths)
        logprob, path, _, _ = self._viterbi(X, offsets, store_backptr=False)
        return float(logprob.sum()), path

    def predict(self, X, lengths=None) -> np.ndarray:
        """The decoded state of every frame (``decode(X, lengths)[1]``)."""
        return self.decode(X, lengths)[1]

    def viterbi_trellis(self, X, lengths=None):
        """The Viterbi trellis: ``(log_delta, backpointers, path)``.

        ``log_delta[t, j]`` is the best log-score of a path that ends in state ``j`` at frame ``t``,
        ``backpointers[t, j]`` that path's state at ``t - 1`` (-1 at the first frame of a sequence),
        ``path`` the best path. Arrays are of shape (n_samples, n_components) and (n_samples,).
        """
        X, offsets = self._prepare(X, lengths)
        _, path, delta, backptr = self._viterbi(X, offsets, store_backptr=True)
        return delta, backptr, path

    def _viterbi(self, X, offsets, store_backptr):
        N, K = X.shape[0], self.n_components
        delta = np.empty((N, K))
        backptr = np.empty((N, K) if store_backptr else (1, K), dtype=np.int64)
        path = np.empty(N, dtype=np.int64)
        logprob = np.empty(len(offsets) - 1)
        kern.viterbi(_safe_log(self.startprob_), _safe_log(np.ascontiguousarray(self.transmat_)),
                     self._log_frameprob(X), offsets, delta, backptr, path, logprob, store_backptr)
        return logprob, path, delta, backptr

    def aic(self, X, lengths=None) -> float:
        """Akaike information criterion: -2 log P(X) + 2 n_free_parameters."""
        return -2 * self.score(X, lengths) + 2 * sum(self._get_n_fit_scalars_per_param().values())

    def bic(self, X, lengths=None) -> float:
        """Bayesian information criterion: -2 log P(X) + n_free_parameters log(n_samples)."""
        return -2 * self.score(X, lengths) + sum(self._get_n_fit_scalars_per_param().values()) * np.log(len(X))

    def get_stationary_distribution(self) -> np.ndarray:
        """The stationary distribution of the chain: the left eigenvector of A for eigenvalue 1."""
        check_is_fitted(self, "transmat_")
        vals, vecs = np.linalg.eig(np.asarray(self.transmat_).T)
        v = np.real_if_close(vecs[:, np.argmax(vals)])
        return v / v.sum()

    # ------------------------------------------------------------------ fitting
    def _needs_init(self, code: str, name: str, stored: str | None = None) -> bool:
        """hmmlearn's rule: a code in init_params always (re)initialises, and says so (logging) when
        that overwrites a value the user set; otherwise only a missing parameter is initialised.
        ``stored``: the attribute that holds the parameter, when it is not ``name`` itself."""
        present = hasattr(self, stored or name)
        if code in self.init_params:
            if present:
                _logger.warning("Even though the %r attribute is set, it will be overwritten during "
                                "initialization because 'init_params' contains %r", name, code)
            return True
        return not present

    def _warn_if_degenerate(self, X) -> None:
        """hmmlearn's check: fewer numbers in X than free scalars among the fitted ``params``."""
        per_param = self._get_n_fit_scalars_per_param()
        n_fit_scalars = sum(per_param.get(p, 0) for p in dict.fromkeys(self.params))
        if X.size < n_fit_scalars:
            _logger.warning("Fitting a model with %d free scalar parameters with only %d data points will "
                            "result in a degenerate solution.", n_fit_scalars, X.size)

    def _init_transitions(self, rng) -> None:
        K = self.n_components
        if self._needs_init("s", "startprob_"):
            self.startprob_ = rng.dirichlet(np.full(K, 1.0 / K))
        if self._needs_init("t", "transmat_"):
            self.transmat_ = rng.dirichlet(np.full(K, 1.0 / K), size=K)

    def fit(self, X, lengths=None):
        """Estimate the parameters by Baum-Welch (EM), hmmlearn's initialisation and MAP M-step.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The frames of all sequences, one after the other.
        lengths : array-like of int of shape (n_sequences,), optional
            Lengths of the sequences; they must sum to ``n_samples``.

        Returns
        -------
        self
        """
        self._check_hyper()
        X = self._validate_X(X)
        lengths = check_lengths(lengths, X.shape[0])
        self._init(X, lengths)
        X, offsets = self._prepare(X, lengths)
        monitor = self.monitor_
        monitor.tol, monitor.n_iter, monitor.verbose = self.tol, self.n_iter, self.verbose
        monitor._reset()
        for _ in range(self.n_iter):
            stats, logprob = self._do_estep(X, offsets)
            self._do_mstep(stats)
            monitor.report(logprob)
            if monitor.converged:
                break
        return self

    def _do_estep(self, X, offsets):
        logprob, gamma, xi_sum = self._forward_backward(X, offsets, posteriors=True, xi="t" in self.params)
        K = self.n_components
        stats = {"nobs": len(offsets) - 1, "start": np.zeros(K), "trans": np.zeros((K, K))}
        if "s" in self.params:
            stats["start"] = gamma[offsets[:-1]].sum(axis=0)
        if "t" in self.params:
            stats["trans"] = xi_sum
        self._accumulate_emission_stats(stats, X, gamma)
        return stats, float(logprob.sum())

    def _do_mstep(self, stats) -> None:
        # hmmlearn: a negative "prior - 1 + count" is clipped to zero (the constrained MAP), and a
        # probability that is exactly zero stays zero (forbidden transitions of a left-right model).
        if "s" in self.params:
            start = np.maximum(self.startprob_prior - 1 + stats["start"], 0)
            self.startprob_ = _normalize(np.where(self.startprob_ == 0, 0, start))
        if "t" in self.params:
            trans = np.maximum(self.transmat_prior - 1 + stats["trans"], 0)
            self.transmat_ = _normalize(np.where(self.transmat_ == 0, 0, trans), axis=1)

    def _fit_supervised_transitions(self, states, offsets, smoothing):
        K = self.n_components
        first = states[offsets[:-1]]
        start = np.bincount(first, minlength=K).astype(float) + smoothing
        mask = np.ones(len(states), dtype=bool)
        mask[offsets[1:] - 1] = False  # no transition out of a sequence's last frame
        src, dst = states[mask], states[np.flatnonzero(mask) + 1]
        trans = np.bincount(src * K + dst, minlength=K * K).reshape(K, K).astype(float) + smoothing
        _require_nonzero_rows(start[None, :], "startprob_ counts", "no sequence starts in any state")
        _require_nonzero_rows(trans, "transmat_ counts", "state {i} is never followed by another state")
        self.startprob_ = start / start.sum()
        self.transmat_ = trans / trans.sum(axis=1, keepdims=True)

    def _prepare_supervised(self, X, states, lengths, smoothing):
        self._check_hyper()
        smoothing = check_scalar(smoothing, "smoothing", minimum=0.0)
        X = self._validate_X(X)
        states = check_array(states, "states", ndim=1, dtype=None)
        if states.dtype.kind not in "iu":
            raise TypeError(f"states: expected integer state labels, got dtype {states.dtype}")
        if len(states) != len(X):
            raise ValueError(f"states: expected one state per frame ({len(X)}), got {len(states)}")
        if states.min() < 0 or states.max() >= self.n_components:
            bad = int(np.flatnonzero((states < 0) | (states >= self.n_components))[0])
            raise ValueError(
                f"states: expected labels in [0, {self.n_components - 1}] (n_components={self.n_components}), "
                f"got {int(states[bad])} at frame {bad}"
            )
        lengths = check_lengths(lengths, X.shape[0])
        offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        return X, states.astype(np.int64), offsets, smoothing

    # ------------------------------------------------------------------ sampling
    def sample(self, n_samples=1, random_state=None, currstate=None):
        """Draw ``(X, states)`` from the model: X of shape (n_samples, n_features), states (n_samples,).

        The draws are hmmlearn's, in the same order, so the same seed gives the same sample.
        """
        self._check()
        n_samples = check_int(n_samples, "n_samples", minimum=1)
        rng = check_random_state(self.random_state if random_state is None else random_state)
        trans_cdf = np.cumsum(self.transmat_, axis=1)
        if currstate is None:
            currstate = int((np.cumsum(self.startprob_) > rng.rand()).argmax())
        else:
            currstate = check_int(currstate, "currstate", minimum=0, maximum=self.n_components - 1)
        states = np.empty(n_samples, dtype=int)
        draw = self._sampler()
        X = []
        for t in range(n_samples):
            if t > 0:
                currstate = int((trans_cdf[currstate] > rng.rand()).argmax())
            states[t] = currstate
            X.append(draw(currstate, rng))
        return np.atleast_2d(np.asarray(X)), states


def _check_distribution(value, name: str, shape: tuple) -> np.ndarray:
    """A probability vector or row-stochastic matrix of ``shape``, with a clear error for all-zero rows."""
    p = check_array(value, name, dtype=np.float64, ndim=len(shape))
    if p.shape != shape:
        raise ValueError(f"{name}: expected shape {shape} (n_components={shape[0]}), got {p.shape}")
    if (p < 0).any():
        where = tuple(int(i) for i in np.argwhere(p < 0)[0])
        raise ValueError(f"{name}: expected probabilities >= 0, got {p[where]:.6g} at index {where}")
    _require_nonzero_rows(np.atleast_2d(p), name, "row {i} is all zeros" if p.ndim == 2 else "all entries are zero")
    sums = p.sum(axis=-1)
    # hmmlearn's tolerance (np.allclose), so that what hmmlearn accepts we accept
    if not np.allclose(sums, 1):
        bad = int(np.argmax(~np.isclose(np.atleast_1d(sums), 1)))
        got = float(np.atleast_1d(sums)[bad])
        where = f" in row {bad}" if p.ndim == 2 else ""
        raise ValueError(f"{name}: expected probabilities that sum to 1{where}, got a sum of {got:.10g}")
    return p


def _check_integer_symbols(X: np.ndarray) -> None:
    if X.dtype.kind not in "iu":
        raise SymbolError(f"X: expected integer symbols, got dtype {X.dtype} (a symbol is a category index; "
                          "whole floats such as 2.0 are refused too, as hmmlearn refuses them)")


def _require_nonzero_rows(p: np.ndarray, name: str, what: str) -> None:
    zero = np.flatnonzero(p.sum(axis=-1) == 0)
    if zero.size:
        i = int(zero[0])
        raise ValueError(
            f"{name}: {what.format(i=i)}; every row must be a probability distribution "
            "(give the state at least one non-zero probability, or use smoothing > 0)"
        )


class CategoricalHMM(_BaseHMM):
    """Hidden Markov model with categorical (discrete-symbol) emissions.

    Parameters
    ----------
    n_components : int, default=1
        Number of hidden states K.
    startprob_prior, transmat_prior, emissionprob_prior : float or array, default=1.0
        Dirichlet priors (1.0 = none: the M-step is maximum likelihood).
    n_features : int, optional
        Number of symbols; inferred as ``X.max() + 1`` by ``fit`` when not given.
    algorithm : {"viterbi", "map"}, default="viterbi"
        Decoder used by ``predict`` and ``decode``.
    random_state : int, RandomState or None
        Seed of the random initialisation and of ``sample``.
    n_iter : int, default=10
        Maximum number of Baum-Welch steps.
    tol : float, default=1e-2
        Stop when the log-likelihood gains less than this.
    verbose : bool, default=False
        Print each step's log-likelihood to stderr.
    params, init_params : str, default="ste"
        Parameters updated by ``fit`` / initialised before it: "s" startprob, "t" transmat,
        "e" emissionprob (hmmlearn's codes).
    implementation : {"log", "scaling"}, default="log"
        Log-space or scaled forward-backward.

    Attributes
    ----------
    startprob_ : ndarray of shape (n_components,)
    transmat_ : ndarray of shape (n_components, n_components)
    emissionprob_ : ndarray of shape (n_components, n_features)
    monitor_ : ConvergenceMonitor

    Notes
    -----
    ``X`` holds one symbol per row, shape (n_samples, 1), integers in [0, n_features).
    A symbol outside that range raises a ``ValueError`` naming the symbol, its sequence and
    position and the allowed range (hmmlearn raises a bare IndexError).

    Examples
    --------
    >>> import numpy as np
    >>> hmm = CategoricalHMM(n_components=2, init_params="")
    >>> hmm.startprob_ = np.array([0.6, 0.4])
    >>> hmm.transmat_ = np.array([[0.7, 0.3], [0.4, 0.6]])
    >>> hmm.emissionprob_ = np.array([[0.1, 0.4, 0.5], [0.6, 0.3, 0.1]])
    >>> hmm.predict([[0], [1], [2]])
    array([1, 0, 0])
    >>> round(hmm.score([[0], [1], [2]]), 4)
    -3.3929
    """

    def __init__(self, n_components=1, startprob_prior=1.0, transmat_prior=1.0, *, emissionprob_prior=1.0,
                 n_features=None, algorithm="viterbi", random_state=None, n_iter=10, tol=1e-2,
                 verbose=False, params="ste", init_params="ste", implementation="log"):
        super().__init__(n_components, startprob_prior, transmat_prior, algorithm, random_state,
                         n_iter, tol, verbose, params, init_params, implementation)
        self.emissionprob_prior = emissionprob_prior
        self.n_features = n_features

    def _validate_X(self, X) -> np.ndarray:
        # as hmmlearn: a 1-D X is refused (which shape was meant is ambiguous), and so are symbols of a
        # float dtype even when whole (2.0): a symbol is a category index, not a number
        X = check_array(X, "X", ndim=(1, 2), dtype=None)
        if X.ndim == 1:
            raise ValueError(f"X: expected a 2-D array of one symbol per row, shape (n_samples, 1), got a 1-D "
                             f"array of shape {X.shape}; reshape it with X.reshape(-1, 1)")
        if X.shape[1] != 1:
            raise ValueError(f"X: expected one symbol per row, shape (n_samples, 1), got shape {X.shape}")
        _check_integer_symbols(X)
        return X

    def _check_and_set_n_features(self, X) -> None:
        """hmmlearn's check (same name): integer symbols >= 0 and below ``n_features``; sets
        ``n_features = X.max() + 1`` when it is None."""
        _check_integer_symbols(X)
        if (X < 0).any():
            i = int(np.flatnonzero(np.ravel(X) < 0)[0])
            raise ValueError(f"X: expected symbols >= 0, got {int(np.ravel(X)[i])} at row {i}")
        if self.n_features is None:
            self.n_features = int(X.max()) + 1
        elif X.max() >= self.n_features:
            raise ValueError(f"X: the largest symbol is {int(X.max())}, but this model emits symbols "
                             f"0..{self.n_features - 1} (n_features={self.n_features})")

    def _check_symbols(self, X, offsets) -> None:
        nf = self.n_features
        sym = X[:, 0]
        bad = np.flatnonzero((sym < 0) | (sym >= nf))
        if bad.size:
            i = int(bad[0])
            seq = int(np.searchsorted(offsets, i, side="right") - 1)
            raise ValueError(
                f"X: symbol {int(sym[i])} at position {i - offsets[seq]} of sequence {seq} (row {i}) is out of "
                f"range; this model emits symbols 0..{nf - 1} (n_features={nf})"
            )

    def _check(self) -> None:
        super()._check()
        check_is_fitted(self, "emissionprob_")
        emission = np.atleast_2d(np.asarray(self.emissionprob_, dtype=np.float64))
        if self.n_features is None:
            self.n_features = emission.shape[1]
        self.emissionprob_ = _check_distribution(emission, "emissionprob_", (self.n_components, self.n_features))

    def _get_n_fit_scalars_per_param(self) -> dict:
        K, nf = self.n_components, self.n_features
        return {"s": K - 1, "t": K * (K - 1), "e": K * (nf - 1)}

    def _log_frameprob(self, X) -> np.ndarray:
        return np.ascontiguousarray(_safe_log(self.emissionprob_)[:, X[:, 0]].T)

    def _frameprob(self, X) -> np.ndarray:
        return np.ascontiguousarray(self.emissionprob_[:, X[:, 0]].T)

    def _init(self, X, lengths) -> None:
        if self.n_features is not None and X.max() >= self.n_features:
            self._check_symbols(X, np.concatenate([[0], np.cumsum(lengths)]))  # names the sequence and place
        self._check_and_set_n_features(X)
        self._init_transitions(check_random_state(self.random_state))
        if self._needs_init("e", "emissionprob_"):
            # hmmlearn draws the emissions from a generator re-made from random_state
            rng = check_random_state(self.random_state)
            self.emissionprob_ = _normalize(rng.rand(self.n_components, self.n_features), axis=1)
        self._warn_if_degenerate(X)

    def _accumulate_emission_stats(self, stats, X, gamma) -> None:
        if "e" in self.params:
            obs = np.zeros((self.n_components, self.n_features))
            kern.categorical_counts(np.ascontiguousarray(X[:, 0], dtype=np.int64), gamma, obs)
            stats["obs"] = obs

    def _do_mstep(self, stats) -> None:
        super()._do_mstep(stats)
        if "e" in self.params:
            self.emissionprob_ = _normalize(np.maximum(self.emissionprob_prior - 1 + stats["obs"], 0), axis=1)

    def _sampler(self):
        cdf = np.cumsum(self.emissionprob_, axis=1)
        return lambda state, rng: [int((cdf[state] > rng.rand()).argmax())]

    def fit_supervised(self, X, states, lengths=None, smoothing=1.0):
        """Estimate the parameters from labelled state sequences by counting (no EM).

        pi_i = (#sequences starting in i + a) / (#sequences + K a);
        A_ij = (#i -> j + a) / (#i -> any + K a); B_ik = (#symbol k in state i + a) / (#frames in i + M a),
        with ``a = smoothing`` (additive / Laplace smoothing; 0 = maximum likelihood).

        Parameters
        ----------
        X : array-like of shape (n_samples, 1)
        states : array-like of int of shape (n_samples,)
            The true state of every frame.
        lengths : array-like of int, optional
        smoothing : float, default=1.0

        Returns
        -------
        self
        """
        X, states, offsets, smoothing = self._prepare_supervised(X, states, lengths, smoothing)
        if (X < 0).any():
            i = int(np.flatnonzero(X[:, 0] < 0)[0])
            raise ValueError(f"X: expected symbols >= 0, got {int(X[i, 0])} at row {i}")
        if self.n_features is None:
            self.n_features = int(X.max()) + 1
        self._check_symbols(X, offsets)
        self._fit_supervised_transitions(states, offsets, smoothing)
        K, M = self.n_components, self.n_features
        counts = np.bincount(states * M + X[:, 0], minlength=K * M).reshape(K, M).astype(float) + smoothing
        _require_nonzero_rows(counts, "emissionprob_ counts", "state {i} never appears in states")
        self.emissionprob_ = counts / counts.sum(axis=1, keepdims=True)
        return self


class GaussianHMM(_BaseHMM):
    """Hidden Markov model with Gaussian emissions.

    Parameters
    ----------
    n_components : int, default=1
        Number of hidden states K.
    covariance_type : {"diag", "spherical", "full", "tied"}, default="diag"
        One variance per feature, one variance per state, a full matrix per state, or one full
        matrix shared by all states.
    min_covar : float, default=1e-3
        Added to the diagonal of the data covariance that initialises ``covars_``.
    startprob_prior, transmat_prior : float or array, default=1.0
        Dirichlet priors.
    means_prior, means_weight : float or array, default=0
        Normal prior on the means (mean and precision scale).
    covars_prior, covars_weight : float or array, default=1e-2 and 1
        Inverse-gamma ("spherical", "diag") or inverse-Wishart ("full", "tied") prior on the covariances.
    algorithm, random_state, n_iter, tol, verbose, implementation
        As for :class:`CategoricalHMM`.
    params, init_params : str, default="stmc"
        "s" startprob, "t" transmat, "m" means, "c" covars.

    Attributes
    ----------
    startprob_, transmat_ : ndarray
    means_ : ndarray of shape (n_components, n_features)
    covars_ : ndarray of shape (n_components, n_features, n_features)
        The full covariance matrix of every state, whatever ``covariance_type`` (hmmlearn's
        property). Set it with the compact shape: (n_components,) "spherical",
        (n_components, n_features) "diag", (n_components, n_features, n_features) "full",
        (n_features, n_features) "tied".
    n_features : int
    monitor_ : ConvergenceMonitor

    Examples
    --------
    >>> import numpy as np
    >>> hmm = GaussianHMM(n_components=2, init_params="")
    >>> hmm.startprob_ = np.array([0.5, 0.5])
    >>> hmm.transmat_ = np.array([[0.9, 0.1], [0.1, 0.9]])
    >>> hmm.means_ = np.array([[0.0], [5.0]])
    >>> hmm.covars_ = np.array([[1.0], [1.0]])
    >>> hmm.predict([[0.1], [0.3], [4.8], [5.2]])
    array([0, 0, 1, 1])
    """

    def __init__(self, n_components=1, covariance_type="diag", min_covar=1e-3, startprob_prior=1.0,
                 transmat_prior=1.0, means_prior=0, means_weight=0, covars_prior=1e-2, covars_weight=1,
                 algorithm="viterbi", random_state=None, n_iter=10, tol=1e-2, verbose=False,
                 params="stmc", init_params="stmc", implementation="log"):
        super().__init__(n_components, startprob_prior, transmat_prior, algorithm, random_state,
                         n_iter, tol, verbose, params, init_params, implementation)
        self.covariance_type = covariance_type
        self.min_covar = min_covar
        self.means_prior = means_prior
        self.means_weight = means_weight
        self.covars_prior = covars_prior
        self.covars_weight = covars_weight

    # covars_ is stored compactly in _covars_ and shown as full matrices (hmmlearn's property)
    @property
    def covars_(self) -> np.ndarray:
        c = self._covars_
        K = self.n_components
        if self.covariance_type == "full":
            return c
        if self.covariance_type == "diag":
            return np.array([np.diag(row) for row in c])
        if self.covariance_type == "tied":
            return np.tile(c, (K, 1, 1))
        nf = getattr(self, "n_features", None) or np.asarray(self.means_).shape[1]
        return np.eye(nf)[None, :, :] * np.ravel(c)[:K, None, None]

    @covars_.setter
    def covars_(self, covars) -> None:
        covars = np.array(covars, dtype=np.float64, copy=True)
        _validate_covars(covars, self.covariance_type, self.n_components)
        if self.covariance_type == "spherical":  # hmmlearn's (K,), tiled (K, nf) or (K, 1, 1, ...) forms
            covars = covars.reshape(len(covars), -1)[:, 0].copy()
        self._covars_ = covars

    def _validate_X(self, X) -> np.ndarray:
        return check_array(X, "X", ndim=2, dtype=np.float64)

    def _check(self) -> None:
        super()._check()
        check_option(self.covariance_type, "covariance_type", COVARIANCE_TYPES)
        check_is_fitted(self, "means_")
        self.means_ = check_array(self.means_, "means_", ndim=2, dtype=np.float64)
        if self.means_.shape[0] != self.n_components:
            raise ValueError(f"means_: expected {self.n_components} rows (n_components), got {self.means_.shape[0]}")
        self.n_features = self.means_.shape[1]
        check_is_fitted(self, "_covars_")
        nf, K = self.n_features, self.n_components
        expected = {"spherical": (K,), "diag": (K, nf), "full": (K, nf, nf), "tied": (nf, nf)}[self.covariance_type]
        if self._covars_.shape != expected:
            raise ValueError(f"covars_: expected shape {expected} for covariance_type="
                             f"{self.covariance_type!r}, got {self._covars_.shape}")

    def _prepare(self, X, lengths):
        X, offsets = super()._prepare(X, lengths)
        if X.shape[1] != self.n_features:
            raise ValueError(f"X: expected {self.n_features} features (the model's n_features), got {X.shape[1]}")
        return X, offsets

    def _get_n_fit_scalars_per_param(self) -> dict:
        K, nf = self.n_components, self.n_features
        cov = {"spherical": K, "diag": K * nf, "full": K * nf * (nf + 1) // 2, "tied": nf * (nf + 1) // 2}
        return {"s": K - 1, "t": K * (K - 1), "m": K * nf, "c": cov[self.covariance_type]}

    def _log_frameprob(self, X) -> np.ndarray:
        ct, c = self.covariance_type, self._covars_
        means = np.ascontiguousarray(self.means_, dtype=np.float64)
        if ct in ("diag", "spherical"):
            K, nf = means.shape
            cov = np.broadcast_to(c[:, None], (K, nf)) if ct == "spherical" else c
            # hmmlearn floors the variances at the smallest float so that 0 * log 0 cannot appear
            cov = np.ascontiguousarray(np.maximum(cov, np.finfo(float).tiny))
            with np.errstate(over="ignore"):
                return kern.gaussian_log_density_diag(np.ascontiguousarray(X), means, cov)
        covs = np.broadcast_to(c, (means.shape[0],) + c.shape) if ct == "tied" else c
        return _log_density_full(X, means, covs)

    def _init(self, X, lengths) -> None:
        from mlcanon.classic.mixture import KMeans

        init_means = self._needs_init("m", "means_")
        if init_means or not hasattr(self, "n_features"):
            self.n_features = X.shape[1]
        self._init_transitions(check_random_state(self.random_state))
        if init_means:
            # hmmlearn: sklearn.cluster.KMeans(n_clusters=K, random_state=random_state, n_init=10)
            km = KMeans(n_clusters=self.n_components, n_init=10, random_state=self.random_state).fit(X)
            self.means_ = km.cluster_centers_
        if self._needs_init("c", "covars_"):
            cv = np.atleast_2d(np.cov(X.T)) + self.min_covar * np.eye(X.shape[1])
            K = self.n_components
            self.covars_ = {"spherical": lambda: np.full(K, cv.mean()),
                            "diag": lambda: np.tile(np.diag(cv), (K, 1)),
                            "full": lambda: np.tile(cv, (K, 1, 1)),
                            "tied": lambda: cv}[self.covariance_type]()
        self._warn_if_degenerate(X)

    def _needs_init(self, code: str, name: str, stored: str | None = None) -> bool:
        return super()._needs_init(code, name, "_covars_" if name == "covars_" else stored)

    def _accumulate_emission_stats(self, stats, X, gamma) -> None:
        # hmmlearn gathers post/obs only when "m" is in params; the covariance update needs them too.
        if "m" in self.params or "c" in self.params:
            stats["post"] = gamma.sum(axis=0)
            stats["obs"] = gamma.T @ X
        if "c" in self.params:
            if self.covariance_type in ("spherical", "diag"):
                stats["obs**2"] = gamma.T @ (X ** 2)
            else:
                stats["obs*obs.T"] = np.stack([(gamma[:, k, None] * X).T @ X for k in range(self.n_components)])

    def _do_mstep(self, stats) -> None:
        super()._do_mstep(stats)
        # Huang, Acero & Hon, "Spoken Language Processing" (2001), pp. 443-445, as hmmlearn
        means_prior, means_weight = self.means_prior, self.means_weight
        if "m" in self.params or "c" in self.params:
            denom = stats["post"][:, None]
        if "m" in self.params:
            self.means_ = (means_weight * means_prior + stats["obs"]) / (means_weight + denom)
        if "c" not in self.params:
            return
        covars_prior, covars_weight = self.covars_prior, self.covars_weight
        meandiff = self.means_ - means_prior
        if self.covariance_type in ("spherical", "diag"):
            c_n = (means_weight * meandiff ** 2 + stats["obs**2"] - 2 * self.means_ * stats["obs"]
                   + self.means_ ** 2 * denom)
            c_d = max(covars_weight - 1, 0) + denom
            cov = (covars_prior + c_n) / np.maximum(c_d, 1e-5)
            self._covars_ = cov.mean(axis=1) if self.covariance_type == "spherical" else cov
            return
        K, nf = self.n_components, self.n_features
        c_n = np.empty((K, nf, nf))
        for k in range(K):
            obsmean = np.outer(stats["obs"][k], self.means_[k])
            c_n[k] = (means_weight * np.outer(meandiff[k], meandiff[k]) + stats["obs*obs.T"][k]
                      - obsmean - obsmean.T + np.outer(self.means_[k], self.means_[k]) * stats["post"][k])
        cvweight = max(covars_weight - nf, 0)
        if self.covariance_type == "tied":
            self._covars_ = (covars_prior + c_n.sum(axis=0)) / (cvweight + stats["post"].sum())
        else:
            self._covars_ = (covars_prior + c_n) / (cvweight + stats["post"][:, None, None])

    def _sampler(self):
        # numpy's multivariate_normal(mean, cov) is mean + z @ (sqrt(s)[:, None] * vh), (u, s, vh) = svd(cov);
        # the factor is computed once per state, and z drawn as numpy draws it, so samples equal hmmlearn's.
        factors = []
        for cov in self.covars_:
            _, s, vh = np.linalg.svd(cov)
            factors.append(np.sqrt(s)[:, None] * vh)
        means = self.means_
        return lambda state, rng: means[state] + rng.standard_normal(means.shape[1]) @ factors[state]

    def fit_supervised(self, X, states, lengths=None, smoothing=1.0):
        """Estimate the parameters from labelled state sequences (no EM).

        Start and transition probabilities are additively smoothed counts (see
        :meth:`CategoricalHMM.fit_supervised`); each state's mean and covariance are the
        maximum-likelihood estimates over its frames, plus ``min_covar`` on the diagonal.
        Every state must appear at least once in ``states``.
        """
        X, states, offsets, smoothing = self._prepare_supervised(X, states, lengths, smoothing)
        self._fit_supervised_transitions(states, offsets, smoothing)
        K, nf = self.n_components, X.shape[1]
        counts = np.bincount(states, minlength=K)
        if (counts == 0).any():
            k = int(np.flatnonzero(counts == 0)[0])
            raise ValueError(f"states: state {k} never appears, so its Gaussian cannot be estimated")
        self.n_features = nf
        self.means_ = np.stack([X[states == k].mean(axis=0) for k in range(K)])
        diffs = [X[states == k] - self.means_[k] for k in range(K)]
        full = np.stack([d.T @ d / len(d) for d in diffs]) + self.min_covar * np.eye(nf)
        if self.covariance_type == "full":
            self.covars_ = full
        elif self.covariance_type == "diag":
            self.covars_ = np.stack([np.diag(c) for c in full])
        elif self.covariance_type == "spherical":
            self.covars_ = np.array([np.diag(c).mean() for c in full])
        else:
            self.covars_ = np.tensordot(counts / counts.sum(), full, axes=1)
        return self


def _validate_covars(covars: np.ndarray, covariance_type: str, n_components: int) -> None:
    """hmmlearn's shape and positivity checks, with the failing component named."""
    check_option(covariance_type, "covariance_type", COVARIANCE_TYPES)
    if not np.all(np.isfinite(covars)):
        raise ValueError("covars_: expected finite values, got NaN or infinity")
    if covariance_type == "spherical":
        # hmmlearn accepts any array of n_components rows (it ravels it); each row must hold one
        # variance, repeated or not: (K,), (K, n_features) tiled, (K, 1, 1, 1), ...
        if covars.ndim == 0 or len(covars) != n_components:
            raise ValueError(f"covars_: 'spherical' covars must have length n_components={n_components}, "
                             f"got shape {covars.shape}")
        rows = covars.reshape(n_components, -1)
        if rows.shape[1] == 0 or np.any(rows != rows[:, :1]):
            raise ValueError(f"covars_: 'spherical' covars hold one variance per component; got shape "
                             f"{covars.shape} whose rows are not one repeated value")
        if np.any(covars <= 0):
            raise ValueError("covars_: 'spherical' covars must be positive")
    elif covariance_type == "diag":
        if covars.ndim != 2 or len(covars) != n_components:
            raise ValueError(f"covars_: 'diag' covars must have shape (n_components={n_components}, n_features), "
                             f"got {covars.shape}")
        if np.any(covars <= 0):
            raise ValueError("covars_: 'diag' covars must be positive")
    elif covariance_type == "tied":
        if covars.ndim != 2 or covars.shape[0] != covars.shape[1]:
            raise ValueError(f"covars_: 'tied' covars must have shape (n_features, n_features), got {covars.shape}")
        _check_spd(covars, "covars_: 'tied' covars")
    else:
        if covars.ndim != 3 or covars.shape[1] != covars.shape[2] or len(covars) != n_components:
            raise ValueError(f"covars_: 'full' covars must have shape (n_components={n_components}, n_features, "
                             f"n_features), got {covars.shape}")
        for k, cv in enumerate(covars):
            _check_spd(cv, f"covars_: component {k} of 'full' covars")


def _check_spd(cv: np.ndarray, what: str) -> None:
    if not np.allclose(cv, cv.T) or np.any(np.linalg.eigvalsh(cv) <= 0):
        raise ValueError(f"{what} must be symmetric, positive-definite")


def _log_density_full(X, means, covars, min_covar=1.0e-7) -> np.ndarray:
    """log N(x | mu_k, Sigma_k) by Cholesky: -0.5 (D log 2 pi + log|Sigma| + ||L^-1 (x - mu)||^2) (hmmlearn's)."""
    nf = X.shape[1]
    chols = np.empty((len(means), nf, nf))
    for k, cv in enumerate(covars):
        try:
            chols[k] = np.linalg.cholesky(cv)
        except np.linalg.LinAlgError:
            # a state stuck on too few frames: hmmlearn retries with a small ridge
            try:
                chols[k] = np.linalg.cholesky(cv + min_covar * np.eye(nf))
            except np.linalg.LinAlgError:
                raise ValueError(f"covars_: component {k} must be symmetric, positive-definite") from None
    return kern.gaussian_log_density_chol(np.ascontiguousarray(X), np.ascontiguousarray(means), chols)
