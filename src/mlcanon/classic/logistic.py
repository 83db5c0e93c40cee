"""Logistic regression: binary (sigmoid) and multinomial (softmax), L2-penalised or not.

Model (Cox 1958 for the binary case; the softmax / maximum-entropy form for K classes):

    binary      P(y=1 | x) = sigmoid(w . x + b)
    K classes   P(y=k | x) = exp(w_k . x + b_k) / sum_l exp(w_l . x + b_l)

Objective, exactly scikit-learn's (1.9, ``LinearModelLoss`` with ``l2_reg_strength = 1 / (C * S)``):

    J(w, b) = (1 / S) sum_i s_i * loss_i  +  1 / (2 C S) * ||w||^2,   S = sum_i s_i

with s_i the sample weight times the class weight, loss_i = log(1 + exp(z_i)) - y_i z_i (binary,
y in {0, 1}) or logsumexp_k(z_ik) - z_i,y_i (multinomial); the intercept is not penalised.
Gradient: (1/S) X^T (s * (p - y)) + w / (C S). Computed in log space (softplus and log-sum-exp,
shifted by the row maximum), so separable data gives no overflow warning.

Solvers: ``lbfgs`` (scipy's L-BFGS-B, Byrd, Lu, Nocedal & Zhu 1995; the options scikit-learn
passes: maxls=50, gtol=tol, ftol=64 eps) and ``newton-cg`` (truncated Newton: conjugate gradient
on Hessian-vector products, Wolfe line search; Nocedal & Wright 2006, ch. 7), as scikit-learn's.

Reference whose numbers this matches: ``sklearn.linear_model.LogisticRegression`` (1.9) —
probabilities within 1e-6 at a tight ``tol`` (in practice ~1e-9).
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.sparse as sp
from numba import njit
from scipy import optimize
from scipy.optimize._linesearch import line_search_wolfe1, line_search_wolfe2
from scipy.special import expit, log_expit

from mlcanon.classic._base import (
    BaseEstimator,
    ClassifierMixin,
    check_classification_targets,
    check_is_fitted,
    check_n_classes,
)
from mlcanon.classic._linear_utils import (
    check_sample_weight,
    class_weight_vector,
    convergence_warning,
    validate_X_any,
    validate_X_y_any,
)
from mlcanon.validation import check_int, check_option, check_scalar

__all__ = ["LogisticRegression"]


class LogisticRegression(ClassifierMixin, BaseEstimator):
    """Logistic regression (binary sigmoid, multinomial softmax) with an optional L2 penalty.

    Parameters
    ----------
    penalty : {'l2', None}, default='l2'
        ``None`` fits the unpenalised model (the same as ``C=inf``).
    C : float, default=1.0
        Inverse regularisation strength (> 0).
    tol : float, default=1e-4
        Gradient tolerance: L-BFGS-B's ``gtol`` (max |projected gradient|), newton-cg's max |gradient|.
    fit_intercept : bool, default=True
    class_weight : dict, 'balanced' or None, default=None
        Multiplies each sample's weight by its class's weight; 'balanced' uses
        ``n_samples / (n_classes * count_k)`` with weighted counts.
    solver : {'lbfgs', 'newton-cg'}, default='lbfgs'
    max_iter : int, default=100
    warm_start : bool, default=False
        Start from the previous fit's coefficients.
    random_state, verbose, n_jobs : accepted for drop-in compatibility with scikit-learn's signature;
        unused (both solvers are deterministic and single-process).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    coef_ : ndarray of shape (1, n_features) for two classes, else (n_classes, n_features)
    intercept_ : ndarray of shape (1,) or (n_classes,)
    n_iter_ : ndarray of shape (1,)
    n_features_in_ : int

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> clf = LogisticRegression().fit(X, [0, 0, 1, 1])
    >>> clf.predict([[0.2], [2.8]])
    array([0, 1])
    >>> clf.predict_proba([[1.5]]).round(3)
    array([[0.5, 0.5]])
    """

    def __init__(self, penalty="l2", *, C=1.0, tol=1e-4, fit_intercept=True, class_weight=None,
                 random_state=None, solver="lbfgs", max_iter=100, verbose=0, warm_start=False, n_jobs=None):
        self.penalty = penalty
        self.C = C
        self.tol = tol
        self.fit_intercept = fit_intercept
        self.class_weight = class_weight
        self.solver = solver
        self.max_iter = max_iter
        self.warm_start = warm_start
        self.random_state = random_state
        self.verbose = verbose
        self.n_jobs = n_jobs

    # ---- fit ------------------------------------------------------------------------------------

    def fit(self, X, y, sample_weight=None) -> LogisticRegression:
        """Minimise the penalised mean log-loss.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self
        """
        self._check_params()
        X, y = validate_X_y_any(self, X, y, reset=True)
        check_classification_targets(y)
        classes, y_idx = np.unique(y, return_inverse=True)
        check_n_classes(classes, self)
        sw = self._weights(sample_weight, classes, y, X.shape[0])
        if self.penalty is None and self.C != 1.0:  # scikit-learn's warning, word for word
            warnings.warn("Setting penalty=None will ignore the C and l1_ratio parameters", UserWarning, stacklevel=2)
        C = np.inf if self.penalty is None else float(self.C)
        l2 = 1.0 / (C * sw.sum())
        loss = _BinaryLoss(X, (y_idx == 1).astype(np.float64), sw, l2, self.fit_intercept) if len(classes) == 2 \
            else _MultinomialLoss(X, y_idx, len(classes), sw, l2, self.fit_intercept)
        w0 = self._initial_coef(loss, len(classes), X.shape[1])
        w, n_iter = (_lbfgs if self.solver == "lbfgs" else _newton_cg)(loss, w0, self.tol, self.max_iter)
        self.classes_ = classes
        self.coef_, self.intercept_ = loss.unpack(w)
        self.n_iter_ = np.array([n_iter], dtype=np.int32)
        return self

    def _check_params(self) -> None:
        check_option(self.penalty, "penalty", ("l2", None))
        check_option(self.solver, "solver", ("lbfgs", "newton-cg"))
        if not (isinstance(self.C, (int, float, np.number)) and not isinstance(self.C, bool) and self.C > 0):
            raise ValueError(f"C: expected a number > 0, got {self.C!r}")
        check_scalar(self.tol, "tol", minimum=0.0)
        check_int(self.max_iter, "max_iter", minimum=0)
        if not isinstance(self.fit_intercept, (bool, np.bool_)):
            raise TypeError(f"fit_intercept: expected a bool, got {self.fit_intercept!r}")

    def _weights(self, sample_weight, classes, y, n_samples) -> np.ndarray:
        sw = check_sample_weight(sample_weight, n_samples)
        if self.class_weight is not None:
            cw = class_weight_vector(self.class_weight, classes, y, sw if sample_weight is not None else None)
            sw = sw * cw[np.searchsorted(classes, y)]
        return sw

    def _initial_coef(self, loss, n_classes: int, n_features: int) -> np.ndarray:
        w0 = loss.zeros()
        coef = getattr(self, "coef_", None) if self.warm_start else None
        rows = 1 if n_classes == 2 else n_classes
        if coef is not None and coef.shape == (rows, n_features):
            w0 = loss.pack(coef, self.intercept_)
        return w0

    # ---- predict --------------------------------------------------------------------------------

    def decision_function(self, X) -> np.ndarray:
        """w . x + b: shape (n_samples,) for two classes (the positive class is ``classes_[1]``), else (n_samples, n_classes)."""
        check_is_fitted(self, "coef_")
        X = validate_X_any(self, X, reset=False)
        scores = np.asarray(X @ self.coef_.T) + self.intercept_
        return scores.ravel() if scores.shape[1] == 1 else scores

    def predict(self, X) -> np.ndarray:
        """The most probable class for each row of ``X``."""
        scores = self.decision_function(X)
        idx = (scores > 0).astype(np.intp) if scores.ndim == 1 else scores.argmax(axis=1)
        return self.classes_[idx]

    def predict_log_proba(self, X) -> np.ndarray:
        """log P(y=k | x), computed without forming P first (no log(0) for confident rows)."""
        scores = self.decision_function(X)
        if scores.ndim == 1:
            return np.column_stack([log_expit(-scores), log_expit(scores)])
        shifted = scores - scores.max(axis=1, keepdims=True)
        return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))

    def predict_proba(self, X) -> np.ndarray:
        """P(y=k | x), columns in ``classes_`` order."""
        scores = self.decision_function(X)
        if scores.ndim == 1:
            p1 = expit(scores)
            return np.column_stack([1.0 - p1, p1])
        e = np.exp(scores - scores.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


# ---- the objective ------------------------------------------------------------------------------


class _LinearLoss:
    """Parameters as one flat vector (what scipy optimises); the intercept sits last."""

    def __init__(self, X, sw, l2, fit_intercept):
        self.X, self.sw, self.l2, self.fit_intercept = X, sw, l2, fit_intercept
        self.sw_sum = float(sw.sum())
        self.n_features = X.shape[1]

    def _matvec_T(self, G):
        # X^T G for dense or sparse X. Dense: computed as (G^T X)^T, which reads the C-ordered X
        # row by row — twice as fast through BLAS as X.T @ G for a (n, K) G.
        if sp.issparse(self.X):
            return np.asarray(self.X.T @ G)
        return (G.T @ self.X).T


class _BinaryLoss(_LinearLoss):
    def __init__(self, X, y01, sw, l2, fit_intercept):
        super().__init__(X, sw, l2, fit_intercept)
        self.y = y01

    def zeros(self):
        return np.zeros(self.n_features + int(self.fit_intercept))

    def pack(self, coef, intercept):
        return np.concatenate([coef.ravel(), intercept[:1]]) if self.fit_intercept else coef.ravel().copy()

    def unpack(self, w):
        coef = w[: self.n_features][None, :].copy()
        intercept = w[-1:].copy() if self.fit_intercept else np.zeros(1)
        return coef, intercept

    def raw(self, w):
        z = np.asarray(self.X @ w[: self.n_features])
        return z + w[-1] if self.fit_intercept else z

    def loss_gradient(self, w):
        z = self.raw(w)
        # log(1 + e^z) - y z, as max(z, 0) + log1p(e^-|z|) - y z: finite for any z
        loss = np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z))) - self.y * z
        g = self.sw * (expit(z) - self.y) / self.sw_sum  # d loss_i / d z_i, weighted and averaged
        coef = w[: self.n_features]
        value = float(self.sw @ loss) / self.sw_sum + 0.5 * self.l2 * float(coef @ coef)
        grad = np.empty_like(w)
        grad[: self.n_features] = self._matvec_T(g) + self.l2 * coef
        if self.fit_intercept:
            grad[-1] = g.sum()
        return value, grad

    def hessp_at(self, w):
        """The gradient at ``w`` and a function s -> H(w) s (the Hessian is X^T diag(h) X + l2 I)."""
        z = self.raw(w)
        p = expit(z)
        g = self.sw * (p - self.y) / self.sw_sum
        h = self.sw * p * (1.0 - p) / self.sw_sum
        coef = w[: self.n_features]
        grad = np.empty_like(w)
        grad[: self.n_features] = self._matvec_T(g) + self.l2 * coef
        if self.fit_intercept:
            grad[-1] = g.sum()
        h_sum = h.sum()
        hX_sum = self._matvec_T(h) if self.fit_intercept else None
        d = self.n_features

        def hessp(s):
            out = np.empty_like(s)
            out[:d] = self._matvec_T(h * np.asarray(self.X @ s[:d])) + self.l2 * s[:d]
            if self.fit_intercept:
                out[:d] += s[-1] * hX_sum
                out[-1] = hX_sum @ s[:d] + h_sum * s[-1]
            return out

        return grad, hessp


class _MultinomialLoss(_LinearLoss):
    """Flat layout as scikit-learn's: W of shape (n_classes, n_dof) ravelled in Fortran order."""

    def __init__(self, X, y_idx, n_classes, sw, l2, fit_intercept):
        super().__init__(X, sw, l2, fit_intercept)
        self.K = n_classes
        self.Y = np.zeros((X.shape[0], n_classes))
        self.Y[np.arange(X.shape[0]), y_idx] = 1.0
        self.y_idx = np.ascontiguousarray(y_idx, dtype=np.int64)

    def zeros(self):
        return np.zeros(self.K * (self.n_features + int(self.fit_intercept)))

    def _W(self, w):
        return w.reshape((self.K, -1), order="F")  # (K, n_dof)

    def pack(self, coef, intercept):
        W = np.column_stack([coef, intercept]) if self.fit_intercept else coef
        return np.asfortranarray(W).ravel(order="F")

    def unpack(self, w):
        W = self._W(w)
        coef = np.ascontiguousarray(W[:, : self.n_features])
        intercept = W[:, -1].copy() if self.fit_intercept else np.zeros(self.K)
        return coef, intercept

    def raw(self, W):
        Z = np.asarray(self.X @ W[:, : self.n_features].T)  # (n, K)
        return Z + W[:, -1] if self.fit_intercept else Z

    def _softmax(self, Z):
        m = Z.max(axis=1, keepdims=True)
        E = np.exp(Z - m)
        S = E.sum(axis=1, keepdims=True)
        return E / S, m[:, 0] + np.log(S[:, 0])  # probabilities (n, K), log-partition (n,)

    def _grad_from(self, W, G):
        grad = np.empty_like(W, order="F")
        grad[:, : self.n_features] = self._matvec_T(G).T + self.l2 * W[:, : self.n_features]
        if self.fit_intercept:
            grad[:, -1] = G.sum(axis=0)
        return grad.ravel(order="F")

    def loss_gradient(self, w):
        W = self._W(w)
        Z = np.ascontiguousarray(self.raw(W))
        # one compiled pass over (n, K): log-sum-exp, the loss, and G = s_i (p_ik - y_ik) / S
        mean_loss, G = _softmax_loss_grad(Z, self.y_idx, self.sw / self.sw_sum)
        coef = W[:, : self.n_features]
        value = mean_loss + 0.5 * self.l2 * float(np.sum(coef * coef))
        return value, self._grad_from(W, G)

    def hessp_at(self, w):
        W = self._W(w)
        P, _ = self._softmax(self.raw(W))
        G = (P - self.Y) * (self.sw / self.sw_sum)[:, None]
        grad = self._grad_from(W, G)
        d = self.n_features
        sw_norm = np.ascontiguousarray(self.sw / self.sw_sum)
        P = np.ascontiguousarray(P)

        def hessp(s):
            S = s.reshape((self.K, -1), order="F")
            T = np.ascontiguousarray(self.X @ S[:, :d].T)  # (n, K)
            if self.fit_intercept:
                T += S[:, -1]
            # H s = X^T [p_k (t_k - sum_l p_l t_l)] (the softmax Jacobian applied to X s)
            _softmax_jacobian_rows(P, T, sw_norm)  # in place, one pass over (n, K)
            out = np.empty_like(S, order="F")
            out[:, :d] = self._matvec_T(T).T + self.l2 * S[:, :d]
            if self.fit_intercept:
                out[:, -1] = T.sum(axis=0)
            return out.ravel(order="F")

        return grad, hessp


@njit(cache=True)
def _softmax_jacobian_rows(P, T, sw):  # pragma: no cover - compiled
    """T_ik <- sw_i * p_ik * (t_ik - sum_l p_il t_il), in place: the softmax Jacobian applied row by
    row (what five NumPy passes over the (n, K) block computed before)."""
    n, K = T.shape
    for i in range(n):
        dot = 0.0
        for k in range(K):
            dot += P[i, k] * T[i, k]
        for k in range(K):
            T[i, k] = P[i, k] * (T[i, k] - dot) * sw[i]


@njit(cache=True)
def _softmax_loss_grad(Z, y_idx, sw_scaled):  # pragma: no cover - compiled
    n, K = Z.shape
    G = np.empty((n, K))
    total = 0.0
    for i in range(n):
        m = Z[i, 0]
        for k in range(1, K):
            m = max(m, Z[i, k])
        s = 0.0
        for k in range(K):
            e = np.exp(Z[i, k] - m)  # shifted by the row maximum: no overflow
            G[i, k] = e
            s += e
        total += sw_scaled[i] * (m + np.log(s) - Z[i, y_idx[i]])
        for k in range(K):
            G[i, k] = sw_scaled[i] * (G[i, k] / s)
        G[i, y_idx[i]] -= sw_scaled[i]
    return total, G


# ---- solvers ------------------------------------------------------------------------------------


def _lbfgs(loss, w0, tol, max_iter):
    res = optimize.minimize(
        loss.loss_gradient, w0, method="L-BFGS-B", jac=True,
        # scikit-learn's settings: more line-search steps than scipy's default 20, a float-eps ftol
        options={"maxiter": max_iter, "maxls": 50, "gtol": tol, "ftol": 64 * np.finfo(float).eps},
    )
    n_iter = min(res.nit, max_iter)
    if res.status != 0:
        warnings.warn(f"lbfgs failed to converge after {n_iter} iteration(s) (status={res.status}): {res.message}. "
                      f"Increase max_iter (now {max_iter}) or scale the data.", convergence_warning(), stacklevel=3)
    return res.x, n_iter


def _newton_cg(loss, w0, tol, max_iter, max_inner=200):
    """Truncated Newton: CG on H p = -g stopped at |residual|_1 <= min(0.5, sqrt|g|_1) |g|_1, then a Wolfe step."""
    func = lambda w: loss.loss_gradient(w)[0]  # noqa: E731
    fprime = lambda w: loss.loss_gradient(w)[1]  # noqa: E731
    w = w0.copy()
    old_f, old_old_f = func(w), None
    k = 0
    while k < max_iter:
        grad, hessp = loss.hessp_at(w)
        if np.max(np.abs(grad)) <= tol:
            break
        g1 = np.sum(np.abs(grad))
        step = _cg(hessp, grad, max_inner, min(0.5, np.sqrt(g1)) * g1)
        alpha, old_f, old_old_f = _wolfe_step(func, fprime, w, step, grad, old_f, old_old_f)
        if alpha is None:
            warnings.warn("newton-cg: line search failed", convergence_warning(), stacklevel=3)
            break
        w += alpha * step
        k += 1
    if k >= max_iter:
        warnings.warn(f"newton-cg failed to converge at loss = {old_f}. Increase the number of iterations.",
                      convergence_warning(), stacklevel=3)
    return w, k


def _cg(hessp, grad, max_iter, tol):
    """Conjugate gradient on H x = -grad, with the curvature safeguards of scikit-learn's ``_cg``."""
    eps = 16 * np.finfo(float).eps
    x = np.zeros_like(grad)
    r = grad.copy()  # residual = grad + H x
    p = -r
    rr = r @ r
    p_norm2 = rr
    for i in range(max_iter + 1):
        if np.sum(np.abs(r)) <= tol:
            break
        Hp = hessp(p)
        curv = p @ Hp
        if 0 <= curv <= eps * p_norm2:  # flat direction: stop (capped CG)
            break
        if curv < 0:  # negative curvature: steepest descent on the first step, else stop
            if i == 0:
                x += rr / curv * p
            break
        a = rr / curv
        x += a * p
        r += a * Hp
        rr_new = r @ r
        beta = rr_new / rr
        p = -r + beta * p
        p_norm2 = rr_new + beta**2 * p_norm2
        rr = rr_new
    return x


def _wolfe_step(func, fprime, w, step, grad, old_f, old_old_f):
    ret = line_search_wolfe1(func, fprime, w, step, grad, old_f, old_old_f)
    if ret[0] is not None:
        return ret[0], ret[3], ret[4]
    # Near machine precision the Wolfe conditions cannot be met; accept the full step when the
    # loss is flat to rounding and the gradient shrank (scikit-learn's rule).
    f_new = func(w + step)
    if abs(f_new - old_f) <= abs(old_f * 16 * np.finfo(float).eps):
        if np.sum(np.abs(fprime(w + step))) < np.sum(np.abs(grad)):
            return 1.0, f_new, old_f
    ret = line_search_wolfe2(func, fprime, w, step, grad, old_f, old_old_f)
    return (ret[0], ret[3], ret[4]) if ret[0] is not None else (None, old_f, old_old_f)
