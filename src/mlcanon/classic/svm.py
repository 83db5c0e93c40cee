"""Support vector classification: C-SVC trained by SMO, one-vs-one for many classes, as libsvm does it.

Papers: Cortes & Vapnik (1995), "Support-vector networks" (the soft margin); Platt (1998), "Sequential minimal
optimization"; Fan, Chen & Lin (2005), "Working set selection using second order information for training
support vector machines" (the pair selection); Chang & Lin (2011), "LIBSVM: a library for support vector
machines" (shrinking, the bias, one-vs-one). Reference whose numbers this matches: scikit-learn's ``SVC``
(its bundled libsvm 3.x).

For a pair of classes with labels y_i in {+1, -1} the dual problem is::

    min_a  1/2 sum_ij a_i a_j y_i y_j K(x_i, x_j) - sum_i a_i    s.t.  sum_i y_i a_i = 0,  0 <= a_i <= C_i
    C_i = C * class_weight[y_i] * sample_weight_i

    f(x) = sum_i y_i a_i K(x_i, x) - rho          (rho from the KKT conditions of the free a_i)

Kernels: linear <x, x'>, poly (gamma <x, x'> + coef0)^degree, rbf exp(-gamma |x - x'|^2),
sigmoid tanh(gamma <x, x'> + coef0); gamma='scale' is 1 / (n_features * Var(X)), 'auto' is 1 / n_features.
With k classes, k(k-1)/2 binary machines are trained, class a (+1) against class b (-1) for a < b in sorted
order; a sample is predicted by their votes (f > 0 votes for a; ties go to the lowest class index).
The SMO solver itself lives in ``_svm_kernels.py`` (numba).
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np

from mlcanon.classic import _svm_kernels as _k
from mlcanon.classic._base import (
    BaseEstimator,
    ClassifierMixin,
    ConvergenceWarning,
    convergence_warning,
    check_classification_targets,
    check_n_classes,
    check_is_fitted,
    validate_X,
    validate_X_y,
)
from mlcanon.validation import check_array

__all__ = ["SVC", "ConvergenceWarning"]

_KERNELS = {"linear": _k.LINEAR, "poly": _k.POLY, "rbf": _k.RBF, "sigmoid": _k.SIGMOID,
            "precomputed": _k.PRECOMPUTED}


class SVC(ClassifierMixin, BaseEstimator):
    """C-support vector classifier (libsvm's C-SVC), one-vs-one for more than two classes.

    Parameters
    ----------
    C : float, default=1.0
        Upper bound of the dual variables (the soft-margin penalty); must be > 0.
    kernel : {'linear', 'poly', 'rbf', 'sigmoid', 'precomputed'} or callable, default='rbf'
        A callable ``kernel(X, Y) -> (n_X, n_Y) array`` is evaluated once and then treated as 'precomputed'.
    degree : int, default=3
        Degree of the 'poly' kernel.
    gamma : {'scale', 'auto'} or float, default='scale'
        Kernel coefficient of 'rbf', 'poly' and 'sigmoid'.
    coef0 : float, default=0.0
        Independent term of 'poly' and 'sigmoid'.
    shrinking : bool, default=True
        Use libsvm's shrinking heuristic.
    probability : bool, default=False
        Not supported (``True`` raises): scikit-learn deprecated it in 1.9 in favour of
        ``CalibratedClassifierCV(SVC(), ensemble=False)``, which works with this estimator too.
    tol : float, default=1e-3
        Stop when the maximal KKT violation m(a) - M(a) is below ``tol``.
    cache_size : float, default=200
        Kernel-row cache size in MB.
    class_weight : dict, 'balanced' or None, default=None
        Multiplies C per class; 'balanced' uses n_samples / (n_classes * count(class)).
    max_iter : int, default=-1
        Iteration limit of each binary solver, -1 for none.
    decision_function_shape : {'ovr', 'ovo'}, default='ovr'
        Shape of ``decision_function`` for more than two classes.
    break_ties : bool, default=False
        With 'ovr' and more than two classes, predict the argmax of ``decision_function`` instead of the vote.
    random_state : int, RandomState or None, default=None
        Unused (the solver is deterministic); kept for scikit-learn's signature.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    support_ : ndarray of shape (n_SV,)
        Indices of the support vectors in the training set, grouped by class.
    support_vectors_ : ndarray of shape (n_SV, n_features)
    n_support_ : ndarray of shape (n_classes,), int32
    dual_coef_ : ndarray of shape (n_classes - 1, n_SV)
        y_i a_i in libsvm's one-vs-one layout (binary: sign flipped so that f > 0 means ``classes_[1]``).
    intercept_ : ndarray of shape (n_classes * (n_classes - 1) / 2,)
    coef_ : ndarray of shape (n_classes * (n_classes - 1) / 2, n_features)
        Primal weights, linear kernel only.
    fit_status_ : int
        0 if every solver converged, 1 if one stopped at ``max_iter``.
    n_iter_ : ndarray of shape (n_classes * (n_classes - 1) / 2,)
        SMO iterations of each binary solver.
    class_weight_ : ndarray of shape (n_classes,)
    shape_fit_ : tuple

    Examples
    --------
    >>> import numpy as np
    >>> from mlcanon.classic import SVC
    >>> X = np.array([[0.0, 0.0], [1.0, 1.0], [0.0, 1.0], [3.0, 3.0], [4.0, 3.0], [3.0, 4.0]])
    >>> y = np.array([0, 0, 0, 1, 1, 1])
    >>> clf = SVC(kernel="linear").fit(X, y)
    >>> clf.predict([[0.5, 0.5], [3.5, 3.5]]).tolist()
    [0, 1]
    """

    def __init__(self, C=1.0, kernel="rbf", degree=3, gamma="scale", coef0=0.0, shrinking=True,
                 probability=False, tol=1e-3, cache_size=200, class_weight=None, max_iter=-1,
                 decision_function_shape="ovr", break_ties=False, random_state=None):
        self.C = C
        self.kernel = kernel
        self.degree = degree
        self.gamma = gamma
        self.coef0 = coef0
        self.shrinking = shrinking
        self.probability = probability
        self.tol = tol
        self.cache_size = cache_size
        self.class_weight = class_weight
        self.max_iter = max_iter
        self.decision_function_shape = decision_function_shape
        self.break_ties = break_ties
        self.random_state = random_state

    # ---- fit ------------------------------------------------------------------------------------

    def fit(self, X, y, sample_weight=None):
        """Train the k(k-1)/2 binary machines on ``X`` of shape (n_samples, n_features) and labels ``y``.

        ``sample_weight`` (array-like of shape (n_samples,)) rescales C per sample; samples of weight <= 0 are
        left out, as libsvm does.
        """
        self._check_params()
        X, y = validate_X_y(self, X, y)
        check_classification_targets(y)
        classes, y_idx = np.unique(y, return_inverse=True)
        check_n_classes(classes, self)
        self.classes_ = classes
        self.class_weight_ = self._class_weights(classes, y_idx)
        kernel, X = self._fit_kernel_input(X)
        W = self._sample_weight(sample_weight, y_idx, X.shape[0])
        self._gamma = self._resolve_gamma(X, kernel)
        self.shape_fit_ = X.shape

        keep = np.flatnonzero(W > 0)  # libsvm's remove_zero_weight: C_i must be > 0
        perm = keep[np.argsort(y_idx[keep], kind="stable")]  # libsvm's svm_group_classes (sorted labels)
        count = np.bincount(y_idx[perm], minlength=len(classes))
        if np.any(count == 0):
            raise ValueError(
                "sample_weight: every class needs a sample of positive weight; classes "
                f"{classes[count == 0].tolist()} have none"
            )
        start = np.concatenate([[0], np.cumsum(count)[:-1]])
        results = self._train_pairs(X, kernel, perm, start, count, W, y_idx)
        self._build_model(X, perm, start, count, results)
        return self

    def _check_params(self):
        if not (_is_real(self.C) and self.C > 0):
            raise ValueError(f"C: expected a float > 0, got {self.C!r}")
        if not (callable(self.kernel) or (isinstance(self.kernel, str) and self.kernel in _KERNELS)):
            raise ValueError(f"kernel: expected one of {sorted(_KERNELS)} or a callable, got {self.kernel!r}")
        if not (_is_int(self.degree) and self.degree >= 0):
            raise ValueError(f"degree: expected an int >= 0, got {self.degree!r}")
        if isinstance(self.gamma, str):
            if self.gamma not in ("scale", "auto"):
                raise ValueError(f"gamma: expected 'scale', 'auto' or a float >= 0, got {self.gamma!r}")
        elif not (_is_real(self.gamma) and self.gamma >= 0):
            raise ValueError(f"gamma: expected 'scale', 'auto' or a float >= 0, got {self.gamma!r}")
        if not (_is_real(self.coef0) and np.isfinite(self.coef0)):
            raise ValueError(f"coef0: expected a finite float, got {self.coef0!r}")
        if not (_is_real(self.tol) and self.tol > 0):
            raise ValueError(f"tol: expected a float > 0, got {self.tol!r}")
        if not (_is_real(self.cache_size) and self.cache_size > 0):
            raise ValueError(f"cache_size: expected a float > 0 (MB), got {self.cache_size!r}")
        if not (_is_int(self.max_iter) and self.max_iter >= -1):
            raise ValueError(f"max_iter: expected an int >= -1 (-1 for no limit), got {self.max_iter!r}")
        if self.decision_function_shape not in ("ovr", "ovo"):
            raise ValueError(
                f"decision_function_shape: expected 'ovr' or 'ovo', got {self.decision_function_shape!r}"
            )
        if not (self.class_weight is None or self.class_weight == "balanced" or isinstance(self.class_weight, dict)):
            raise ValueError(f"class_weight: expected None, 'balanced' or a dict, got {self.class_weight!r}")
        if self.probability not in (False, 0):
            raise ValueError(
                "probability: probability=True is not supported (scikit-learn deprecated it in 1.9); "
                "use CalibratedClassifierCV(SVC(), ensemble=False) for probabilities"
            )

    def _class_weights(self, classes, y_idx):
        """scikit-learn's compute_class_weight: ones, 'balanced' or the user's dict (every key a class)."""
        if self.class_weight is None or (isinstance(self.class_weight, dict) and not self.class_weight):
            return np.ones(len(classes))
        if isinstance(self.class_weight, str):
            return len(y_idx) / (len(classes) * np.bincount(y_idx).astype(np.float64))
        weight = np.ones(len(classes))
        missing = [k for k in self.class_weight if k not in set(classes.tolist())]
        if missing:
            raise ValueError(f"class_weight: the classes {missing} are not in y (classes are {classes.tolist()})")
        for i, c in enumerate(classes.tolist()):
            if c in self.class_weight:
                weight[i] = self.class_weight[c]
        return weight

    def _fit_kernel_input(self, X):
        if callable(self.kernel):
            self._X_fit = X
            K = check_array(self.kernel(X, X), "kernel(X, X)", ndim=2, dtype=np.float64)
            return _k.PRECOMPUTED, np.ascontiguousarray(K)
        kernel = _KERNELS[self.kernel]
        if kernel == _k.PRECOMPUTED and X.shape[0] != X.shape[1]:
            raise ValueError(
                f"X: a precomputed kernel must be a square matrix of shape (n_samples, n_samples), got {X.shape}"
            )
        return kernel, np.ascontiguousarray(X, dtype=np.float64)

    def _sample_weight(self, sample_weight, y_idx, n):
        if sample_weight is None:
            W = np.ones(n)
        else:
            W = check_array(sample_weight, "sample_weight", ndim=1, dtype=np.float64)
            if W.shape[0] != n:
                raise ValueError(f"sample_weight: expected shape ({n},), got {W.shape}")
        if not np.any(W > 0):
            raise ValueError("sample_weight: all samples have zero or negative weights")
        if len(np.unique(y_idx[W > 0])) < 2:
            raise ValueError("sample_weight: all samples with positive weights belong to the same class")
        return W

    def _resolve_gamma(self, X, kernel):
        if kernel == _k.PRECOMPUTED:
            return 0.0
        if self.gamma == "scale":
            var = X.var()
            return 1.0 / (X.shape[1] * var) if var != 0 else 1.0
        if self.gamma == "auto":
            return 1.0 / X.shape[1]
        return float(self.gamma)

    def _train_pairs(self, X, kernel, perm, start, count, W, y_idx):
        """One SMO per pair of classes (a < b): class a is +1, class b is -1, as libsvm's svm_train."""
        n_classes = len(count)
        weighted_C = self.C * self.class_weight_
        results = []
        for a in range(n_classes):
            for b in range(a + 1, n_classes):
                idx = np.concatenate([perm[start[a]:start[a] + count[a]], perm[start[b]:start[b] + count[b]]])
                y = np.concatenate([np.ones(count[a]), -np.ones(count[b])])
                C = W[idx] * np.where(y > 0, weighted_C[a], weighted_C[b])
                results.append(self._solve(X, kernel, idx, y, C))
        return results

    def _solve(self, X, kernel, idx, y, C):
        l = len(idx)
        if kernel == _k.PRECOMPUTED:
            Xs = np.ascontiguousarray(X[np.ix_(idx, idx)])
            sq = np.zeros(l)
            QD = np.ascontiguousarray(np.diag(Xs))
        else:
            Xs = np.ascontiguousarray(X[idx])
            sq = np.einsum("ij,ij->i", Xs, Xs)
            QD = _diag(kernel, sq, self._gamma, self.coef0, self.degree)
        # libsvm's Cache: cache_size MB of float32 minus a 32-byte head per row, at least two rows
        size = int(self.cache_size * (1 << 20)) // 4 - l * 8
        n_slots = int(min(l, max(size, 2 * l) // l))
        coef, rho, n_iter, timed_out = _k.smo(
            Xs, sq, QD, y, C, kernel, float(self._gamma), float(self.coef0), int(self.degree),
            float(self.tol), bool(self.shrinking), int(self.max_iter), n_slots,
        )
        return coef, rho, n_iter, timed_out

    def _build_model(self, X, perm, start, count, results):
        """Lay the solution out as libsvm's model: SVs grouped by class, sv_coef[n_classes - 1][n_SV], rho."""
        n_classes = len(count)
        nonzero = np.zeros(len(perm), dtype=bool)  # in grouped order
        p = 0
        for a in range(n_classes):
            for b in range(a + 1, n_classes):
                coef = results[p][0]
                nonzero[start[a]:start[a] + count[a]] |= coef[:count[a]] != 0
                nonzero[start[b]:start[b] + count[b]] |= coef[count[a]:] != 0
                p += 1
        self._n_support = np.array([nonzero[s:s + c].sum() for s, c in zip(start, count)], dtype=np.int32)
        self.support_ = perm[nonzero].astype(np.int32)
        self.support_vectors_ = X[self.support_] if self._kernel_id() != _k.PRECOMPUTED else np.empty((0, 0))
        nz_start = np.concatenate([[0], np.cumsum(self._n_support)[:-1]])
        dual = np.zeros((n_classes - 1, len(self.support_)))
        p = 0
        for a in range(n_classes):
            for b in range(a + 1, n_classes):
                coef = results[p][0]
                ca = coef[:count[a]][nonzero[start[a]:start[a] + count[a]]]
                cb = coef[count[a]:][nonzero[start[b]:start[b] + count[b]]]
                dual[b - 1, nz_start[a]:nz_start[a] + len(ca)] = ca
                dual[a, nz_start[b]:nz_start[b] + len(cb)] = cb
                p += 1
        rho = np.array([r[1] for r in results])
        self.n_iter_ = np.array([r[2] for r in results], dtype=np.int32)
        self.fit_status_ = int(any(r[3] for r in results))
        if self.fit_status_:
            warnings.warn(
                f"Solver terminated early (max_iter={self.max_iter}).  Consider pre-processing your data "
                "with StandardScaler or MinMaxScaler.",
                convergence_warning(),
                stacklevel=3,
            )
        # libsvm's raw model (f > 0 votes for the first class of each pair) ...
        self._dual_coef_ = dual
        self._intercept_ = -rho
        # ... and scikit-learn's public view: in the binary case f > 0 means classes_[1]
        binary = n_classes == 2
        self.dual_coef_ = -dual if binary else dual
        self.intercept_ = rho.copy() if binary else -rho
        if not (np.isfinite(rho).all() and np.isfinite(dual).all()):
            raise ValueError(
                "The dual coefficients or intercepts are not finite. The input data may contain large values "
                "and need to be preprocessed."
            )

    def _kernel_id(self):
        return _k.PRECOMPUTED if callable(self.kernel) else _KERNELS[self.kernel]

    # ---- predict --------------------------------------------------------------------------------

    @property
    def n_support_(self):
        """Number of support vectors of each class."""
        if "_n_support" not in vars(self):
            raise AttributeError("n_support_ is available after fit")
        return self._n_support

    @property
    def coef_(self):
        """Primal weights (n_classes * (n_classes - 1) / 2, n_features), linear kernel only."""
        if self.kernel != "linear":
            raise AttributeError("coef_ is only available when using a linear kernel")
        check_is_fitted(self, "support_vectors_")
        if self.dual_coef_.shape[0] == 1:
            coef = self.dual_coef_ @ self.support_vectors_
        else:
            coef = np.vstack(self._one_vs_one(lambda a1, sv1, a2, sv2: a1 @ sv1 + a2 @ sv2))
        coef.flags.writeable = False
        return coef

    def _one_vs_one(self, fn):
        loc = np.concatenate([[0], np.cumsum(self._n_support)])
        out = []
        n = len(self.classes_)
        for a in range(n):
            for b in range(a + 1, n):
                sa, sb = slice(loc[a], loc[a + 1]), slice(loc[b], loc[b + 1])
                out.append(fn(self.dual_coef_[b - 1, sa], self.support_vectors_[sa],
                              self.dual_coef_[a, sb], self.support_vectors_[sb]))
        return out

    def _raw_decision(self, X):
        """libsvm's decision values (n_samples, n_pairs): f > 0 votes for the first class of the pair."""
        check_is_fitted(self, "_dual_coef_")
        X = self._predict_kernel_input(X)
        n = len(self.classes_)
        n_sv = len(self.support_)
        loc = np.concatenate([[0], np.cumsum(self._n_support)])
        Wp = np.zeros((n_sv, n * (n - 1) // 2))  # column p: coefficients of machine p on every SV
        p = 0
        for a in range(n):
            for b in range(a + 1, n):
                Wp[loc[a]:loc[a + 1], p] = self._dual_coef_[b - 1, loc[a]:loc[a + 1]]
                Wp[loc[b]:loc[b + 1], p] = self._dual_coef_[a, loc[b]:loc[b + 1]]
                p += 1
        out = np.empty((X.shape[0], Wp.shape[1]))
        step = max(1, (1 << 23) // max(n_sv, 1))  # ~64 MB of kernel values at a time
        for s in range(0, X.shape[0], step):
            out[s:s + step] = self._kernel_to_sv(X[s:s + step]) @ Wp + self._intercept_
        return out

    def _predict_kernel_input(self, X):
        if callable(self.kernel):
            check_is_fitted(self, "_X_fit")
            X = validate_X(self, X, reset=False)
            K = check_array(self.kernel(X, self._X_fit), "kernel(X, X_fit)", ndim=2, dtype=np.float64)
            return K
        # with kernel='precomputed', n_features_in_ is the number of training samples: the check is the same
        return validate_X(self, X, reset=False)

    def _kernel_to_sv(self, X):
        kernel = self._kernel_id()
        if kernel == _k.PRECOMPUTED:
            return X[:, self.support_]
        sv = self.support_vectors_
        d = X @ sv.T  # (n_samples, n_SV)
        g = self._gamma
        if kernel == _k.LINEAR:
            return d
        if kernel == _k.POLY:
            return (g * d + self.coef0) ** int(self.degree)
        if kernel == _k.SIGMOID:
            return np.tanh(g * d + self.coef0)
        sq = np.einsum("ij,ij->i", X, X)[:, None] + np.einsum("ij,ij->i", sv, sv)[None, :] - 2.0 * d
        return np.exp(-g * np.maximum(sq, 0.0))

    def decision_function(self, X):
        """Decision values: shape (n_samples,) for two classes (> 0 means ``classes_[1]``), otherwise
        (n_samples, n_classes) for 'ovr' (votes plus scaled confidences, scikit-learn's transform) or
        (n_samples, n_classes * (n_classes - 1) / 2) for 'ovo'."""
        dec = self._raw_decision(X)
        n = len(self.classes_)
        if n == 2:
            return -dec.ravel()
        if self.decision_function_shape == "ovr":
            return _ovr_decision_function(dec < 0, -dec, n)
        return dec

    def predict(self, X):
        """Class labels by one-vs-one voting (libsvm; ties go to the lowest class index)."""
        check_is_fitted(self, "_dual_coef_")
        if self.break_ties and self.decision_function_shape == "ovo":
            raise ValueError("break_ties must be False when decision_function_shape is 'ovo'")
        n = len(self.classes_)
        if self.break_ties and self.decision_function_shape == "ovr" and n > 2:
            return self.classes_[np.argmax(self.decision_function(X), axis=1)]
        dec = self._raw_decision(X)
        votes = np.zeros((dec.shape[0], n), dtype=np.int64)
        p = 0
        for a in range(n):
            for b in range(a + 1, n):
                win = dec[:, p] > 0
                votes[:, a] += win
                votes[:, b] += ~win
                p += 1
        return self.classes_[np.argmax(votes, axis=1)]  # argmax takes the first maximum, as libsvm

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.pairwise = self.kernel == "precomputed"
        return tags


def _is_real(v):
    return isinstance(v, numbers.Real) and not isinstance(v, bool)


def _is_int(v):
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


def _diag(kernel, sq, gamma, coef0, degree):
    """K(x_i, x_i) from the squared norms (libsvm's QD)."""
    if kernel == _k.LINEAR:
        return sq.copy()
    if kernel == _k.POLY:
        return np.array([_k._powi(gamma * s + coef0, degree) for s in sq])
    if kernel == _k.RBF:
        return np.ones_like(sq)
    return np.tanh(gamma * sq + coef0)


def _ovr_decision_function(predictions, confidences, n_classes):
    """scikit-learn's one-vs-one to one-vs-rest map: votes plus confidences squashed into (-1/3, 1/3)."""
    n = predictions.shape[0]
    votes = np.zeros((n, n_classes))
    conf = np.zeros((n, n_classes))
    k = 0
    for i in range(n_classes):
        for j in range(i + 1, n_classes):
            conf[:, i] -= confidences[:, k]
            conf[:, j] += confidences[:, k]
            votes[predictions[:, k] == 0, i] += 1
            votes[predictions[:, k] == 1, j] += 1
            k += 1
    return votes + conf / (3 * (np.abs(conf) + 1))
