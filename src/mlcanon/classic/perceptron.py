"""The perceptron (Rosenblatt 1958), trained one sample at a time, one-vs-rest for many classes.

Primal form. For labels y in {-1, +1} and a sample x (visited in a shuffled order each epoch):

    z = y (w . x + b)
    if z <= 0:  w <- w + eta * y * x,   b <- b + eta * y        (a mistake: move towards y x)

i.e. stochastic gradient descent on the loss max(0, -y (w . x + b)) with a constant step eta0.
Novikoff (1962): if some unit vector u separates the data with margin gamma and every |x| <= R,
the perceptron makes at most (R / gamma)^2 mistakes — on separable data it reaches zero
training errors and stops changing.

Optional penalties as in scikit-learn's SGD: 'l2' shrinks w by (1 - eta alpha) before each step
(kept as a scale factor so a step costs O(nnz(x))), 'l1'/'elasticnet' use the cumulative
truncated gradient of Tsuruoka, Tsujii & Ananiadou (2009).

Stopping rule (scikit-learn's): after each epoch, with L the epoch's mean (loss + penalty),
count an epoch as "no improvement" when L > best_L - tol; stop after ``n_iter_no_change`` such
epochs in a row (with ``early_stopping``, the validation accuracy plays the role of -L).

Dual form (``dual=True``; Aizerman, Braverman & Rozonoer 1964; Freund & Schapire 1999): keep a
mistake count a_i per training sample; f(x) = sum_i a_i y_i eta (K(x_i, x) + 1). With the
linear kernel this is the primal perceptron written through the Gram matrix.

Reference whose numbers this matches: ``sklearn.linear_model.Perceptron`` (1.9), i.e.
``SGDClassifier(loss="perceptron", learning_rate="constant")``: the same per-sample updates, the
same Fisher-Yates shuffle driven by the same xorshift generator and seeds, so on the same data and
``random_state`` the coefficients agree to rounding (the epoch loop is compiled with numba).
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.sparse as sp
from numba import njit, prange

from mlcanon.classic._base import (
    BaseEstimator,
    ClassifierMixin,
    check_classification_targets,
    check_n_classes,
    check_is_fitted,
    check_random_state,
)
from mlcanon.classic._linear_utils import (
    check_partial_fit_classes,
    check_sample_weight,
    class_weight_vector,
    convergence_warning,
    validate_X_any,
    validate_X_y_any,
)
from mlcanon.validation import check_int, check_option, check_scalar

__all__ = ["Perceptron"]

_MAX_INT = np.iinfo(np.int32).max
_PENALTY = {None: 0, "l1": 1, "l2": 2, "elasticnet": 3}  # scikit-learn's codes
_SPARSE_INTERCEPT_DECAY = 0.01  # scikit-learn damps intercept steps on sparse data by this factor


class Perceptron(ClassifierMixin, BaseEstimator):
    """Rosenblatt's perceptron, one-vs-rest for more than two classes.

    Parameters
    ----------
    penalty : {None, 'l2', 'l1', 'elasticnet'}, default=None
    alpha : float, default=1e-4
        Penalty strength (used only with a penalty).
    l1_ratio : float, default=0.15
        Mix of L1 in 'elasticnet'.
    fit_intercept : bool, default=True
    max_iter : int, default=1000
        Maximum number of epochs.
    tol : float or None, default=1e-3
        Stop when the epoch loss has not improved by ``tol`` for ``n_iter_no_change`` epochs;
        ``None`` runs all ``max_iter`` epochs.
    shuffle : bool, default=True
        Reshuffle the samples every epoch.
    eta0 : float, default=1.0
        Step size.
    random_state : int, RandomState or None, default=0
        Seeds the shuffles (scikit-learn's default is 0 too).
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the data (stratified) and stop on validation accuracy.
    validation_fraction : float, default=0.1
    n_iter_no_change : int, default=5
    class_weight : dict, 'balanced' or None, default=None
    warm_start : bool, default=False
        Start from the previous fit's ``coef_`` and ``intercept_``.
    dual : bool, default=False
        Train the dual (kernel) perceptron instead; requires dense ``X``.
    kernel : {'linear', 'poly', 'rbf'}, default='linear'
        Kernel of the dual form.
    gamma : float, default=None
        Kernel coefficient for 'rbf' and 'poly' (default ``1 / n_features``).
    degree : int, default=3
        Degree of the 'poly' kernel, (gamma x . x' + 1)^degree.
    verbose, n_jobs : accepted for drop-in compatibility with scikit-learn's signature; unused
        (the one-vs-rest problems run on numba's threads when they are large enough).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    coef_ : ndarray of shape (1, n_features) for two classes, else (n_classes, n_features)
        Primal weights (for the dual form: only with the linear kernel).
    intercept_ : ndarray of shape (1,) or (n_classes,)
    n_iter_ : int
        Epochs run (the largest over the one-vs-rest problems).
    t_ : float
        Number of weight updates + 1 (``n_iter_ * n_samples + 1``), as scikit-learn's.
    dual_coef_ : ndarray of shape (n_problems, n_samples)
        Dual form only: eta0 * mistakes of each training sample, signed by its label.
    n_features_in_ : int

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    >>> clf = Perceptron().fit(X, [0, 0, 0, 1])   # logical AND is linearly separable
    >>> clf.predict(X)
    array([0, 0, 0, 1])
    """

    def __init__(self, *, penalty=None, alpha=0.0001, l1_ratio=0.15, fit_intercept=True, max_iter=1000, tol=1e-3,
                 shuffle=True, eta0=1.0, random_state=0, early_stopping=False, validation_fraction=0.1,
                 n_iter_no_change=5, class_weight=None, warm_start=False, dual=False, kernel="linear",
                 gamma=None, degree=3, verbose=0, n_jobs=None):
        self.penalty = penalty
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.shuffle = shuffle
        self.eta0 = eta0
        self.random_state = random_state
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.class_weight = class_weight
        self.warm_start = warm_start
        self.dual = dual
        self.kernel = kernel
        self.gamma = gamma
        self.degree = degree
        self.verbose = verbose
        self.n_jobs = n_jobs

    # ---- fit ------------------------------------------------------------------------------------

    def fit(self, X, y, coef_init=None, intercept_init=None, sample_weight=None) -> Perceptron:
        """Run the perceptron's epochs.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        coef_init : ndarray of shape (n_classes, n_features), optional
        intercept_init : ndarray of shape (n_classes,), optional
        sample_weight : array-like of shape (n_samples,), optional

        Returns
        -------
        self
        """
        self._check_params()
        for name in ("dual_coef_", "_X_fit"):
            self.__dict__.pop(name, None)
        X, y = validate_X_y_any(self, X, y, reset=True, accept_sparse=not self.dual)
        check_classification_targets(y)
        classes, y_idx = np.unique(y, return_inverse=True)
        check_n_classes(classes, self)
        self.classes_ = classes
        self._run(X, y, y_idx, sample_weight, int(self.max_iter), self._validation_mask(y_idx, X.shape[0]),
                  coef_init, intercept_init)
        self.t_ = float(self.n_iter_ * X.shape[0] + 1)
        if self.tol is not None and self.n_iter_ == self.max_iter:
            warnings.warn("Maximum number of iteration reached before convergence. Consider increasing max_iter "
                          "to improve the fit.", convergence_warning(), stacklevel=2)
        return self

    @property
    def partial_fit(self):
        """One epoch over a batch (primal form only: with ``dual=True`` the attribute does not exist,
        so scikit-learn's tools see an estimator without ``partial_fit``)."""
        if self.dual:
            raise AttributeError("partial_fit: the dual perceptron cannot stream; use dual=False")
        return self._partial_fit

    def _partial_fit(self, X, y, classes=None, sample_weight=None) -> Perceptron:
        """One epoch over a batch, continuing from the current weights (``classes`` needed on the first call).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        classes : array-like of shape (n_classes,), optional
        sample_weight : array-like of shape (n_samples,), optional

        Returns
        -------
        self
        """
        self._check_params()
        if self.class_weight == "balanced":
            raise ValueError("class_weight 'balanced' is not supported for partial_fit: the class frequencies of "
                             "the whole stream are unknown; pass a dict of class weights instead")
        first_call = getattr(self, "classes_", None) is None
        X, y = validate_X_y_any(self, X, y, reset=first_call)
        check_classification_targets(y)
        check_partial_fit_classes(self, classes)
        check_n_classes(self.classes_, self)
        unknown = np.setdiff1d(np.unique(y), self.classes_)
        if unknown.size:
            raise ValueError(f"The target label(s) {unknown} in y do not exist in the initial classes {self.classes_}")
        y_idx = np.searchsorted(self.classes_, y)
        coef = getattr(self, "coef_", None)
        self._run(X, y, y_idx, sample_weight, 1, np.zeros(X.shape[0], dtype=np.bool_), coef,
                  None if coef is None else self.intercept_)
        self.t_ = getattr(self, "t_", 1.0) + X.shape[0]
        return self

    def _run(self, X, y, y_idx, sample_weight, max_iter, val_mask, coef_init, intercept_init) -> None:
        classes = self.classes_
        sw = check_sample_weight(sample_weight, X.shape[0])
        if self.early_stopping and not (sw[val_mask] > 0).any():
            raise ValueError("The sample weights for validation set are all zero, consider using a different "
                             "random state.")
        cw = class_weight_vector(self.class_weight, classes, y)
        n_problems = 1 if len(classes) == 2 else len(classes)
        # y in {-1, +1} for each one-vs-rest problem (the binary problem's positive class is classes_[1])
        Y = np.where(y_idx[None, :] == (np.arange(n_problems)[:, None] + (n_problems == 1)), 1.0, -1.0)
        pos_w = cw[1:2] if n_problems == 1 else cw
        neg_w = cw[0:1] if n_problems == 1 else np.ones(n_problems)
        seeds = self._shuffle_seeds(n_problems)
        if self.dual:
            self._fit_dual(X, Y, sw, pos_w, neg_w, seeds, max_iter)
        else:
            self._fit_primal(X, Y, sw, pos_w, neg_w, seeds, val_mask, coef_init, intercept_init, max_iter)

    def _check_params(self) -> None:
        check_option(self.penalty, "penalty", tuple(_PENALTY))
        check_scalar(self.alpha, "alpha", minimum=0.0)
        check_scalar(self.l1_ratio, "l1_ratio", minimum=0.0, maximum=1.0)
        check_int(self.max_iter, "max_iter", minimum=1)
        if self.tol is not None:
            check_scalar(self.tol, "tol")
        check_scalar(self.eta0, "eta0", minimum=0.0, include_minimum=False)
        check_scalar(self.validation_fraction, "validation_fraction", minimum=0.0, maximum=1.0,
                     include_minimum=False, include_maximum=False)
        check_int(self.n_iter_no_change, "n_iter_no_change", minimum=1)
        check_option(self.kernel, "kernel", ("linear", "poly", "rbf"))
        if self.dual and self.penalty is not None:
            raise ValueError(f"penalty: the dual perceptron takes no penalty, got {self.penalty!r}")

    def _shuffle_seeds(self, n_problems: int) -> np.ndarray:
        """The shuffle seed of each one-vs-rest problem, drawn as scikit-learn draws them."""
        rng = check_random_state(self.random_state)
        per_problem = [rng] if n_problems == 1 else [np.random.RandomState(s) for s in
                                                     rng.randint(_MAX_INT, size=n_problems)]
        seeds = []
        for r in per_problem:
            r.randint(1, _MAX_INT)  # scikit-learn's dataset seed, unused for shuffling
            seeds.append(r.randint(_MAX_INT))
        return np.array(seeds, dtype=np.int64)

    def _validation_mask(self, y_idx: np.ndarray, n_samples: int) -> np.ndarray:
        mask = np.zeros(len(y_idx), dtype=np.bool_)
        if not self.early_stopping:
            return mask
        # A stratified hold-out: round(fraction * count) samples of each class, at random.
        rng = check_random_state(self.random_state)
        for k in np.unique(y_idx):
            members = np.flatnonzero(y_idx == k)
            n_val = int(round(self.validation_fraction * len(members)))
            mask[rng.permutation(members)[:n_val]] = True
        if not mask.any() or mask.all():
            raise ValueError(f"validation_fraction: splitting {len(y_idx)} samples with validation_fraction="
                             f"{self.validation_fraction} left an empty train or validation set; use more samples "
                             "or early_stopping=False")
        return mask

    def _fit_primal(self, X, Y, sw, pos_w, neg_w, seeds, val_mask, coef_init, intercept_init, max_iter) -> None:
        n_problems, d = Y.shape[0], X.shape[1]
        W, b = self._initial_weights(n_problems, d, coef_init, intercept_init)
        if sp.issparse(X):
            data, indices, indptr, dense, decay = X.data, X.indices, X.indptr, False, _SPARSE_INTERCEPT_DECAY
        else:
            Xc = np.ascontiguousarray(X)
            data, indices = Xc.ravel(), np.arange(d, dtype=np.int32)
            indptr, dense, decay = np.arange(0, Xc.size + 1, d, dtype=np.int64), True, 1.0
        tol = -np.inf if self.tol is None else float(self.tol)
        n_iter, finite = _sgd_perceptron(
            data, indices, indptr.astype(np.int64), dense, Y, sw, W, b, pos_w.astype(np.float64),
            neg_w.astype(np.float64), seeds, val_mask, _PENALTY[self.penalty], float(self.alpha),
            float(self.l1_ratio), max_iter, tol, bool(self.fit_intercept), bool(self.shuffle),
            float(self.eta0), int(self.n_iter_no_change), bool(self.early_stopping), decay,
        )
        if not finite.all():
            raise ValueError("Floating-point under-/overflow occurred; scaling the input with StandardScaler or "
                             "MinMaxScaler might help.")
        self.coef_, self.intercept_ = W, b
        self.n_iter_ = int(n_iter.max())

    def _initial_weights(self, n_problems, d, coef_init, intercept_init):
        if coef_init is None and self.warm_start and getattr(self, "coef_", None) is not None \
                and self.coef_.shape == (n_problems, d):
            coef_init, intercept_init = self.coef_, self.intercept_
        W = np.zeros((n_problems, d))
        b = np.zeros(n_problems)
        if coef_init is not None:
            coef_init = np.asarray(coef_init, dtype=np.float64).reshape(-1, d) if n_problems == 1 \
                else np.asarray(coef_init, dtype=np.float64)
            if coef_init.shape != (n_problems, d):
                raise ValueError(f"coef_init: expected shape {(n_problems, d)}, got {coef_init.shape}")
            W[:] = coef_init
        if intercept_init is not None:
            b[:] = np.asarray(intercept_init, dtype=np.float64).reshape(n_problems)
        return W, b

    def _fit_dual(self, X, Y, sw, pos_w, neg_w, seeds, max_iter) -> None:
        self._X_fit = X
        K = self._kernel(X, X)
        A, n_iter = _dual_perceptron(K, Y, sw, pos_w.astype(np.float64), neg_w.astype(np.float64), seeds,
                                     max_iter, bool(self.shuffle), float(self.eta0),
                                     bool(self.fit_intercept))
        self.dual_coef_ = A * Y  # (n_problems, n_samples): eta * mistakes * label
        self.intercept_ = self.dual_coef_.sum(axis=1) if self.fit_intercept else np.zeros(Y.shape[0])
        if self.kernel == "linear":
            self.coef_ = self.dual_coef_ @ X
        self.n_iter_ = int(n_iter)

    def _kernel(self, A, B) -> np.ndarray:
        if self.kernel == "linear":
            return A @ B.T
        gamma = 1.0 / A.shape[1] if self.gamma is None else float(self.gamma)
        if self.kernel == "poly":
            return (gamma * (A @ B.T) + 1.0) ** int(self.degree)
        sq = (A * A).sum(1)[:, None] + (B * B).sum(1)[None, :] - 2.0 * (A @ B.T)
        return np.exp(-gamma * np.maximum(sq, 0.0))

    # ---- predict --------------------------------------------------------------------------------

    def decision_function(self, X) -> np.ndarray:
        """Signed distance to each hyperplane: shape (n_samples,) for two classes, else (n_samples, n_classes)."""
        check_is_fitted(self, "intercept_")
        X = validate_X_any(self, X, reset=False, accept_sparse=not self.dual)
        if getattr(self, "dual_coef_", None) is not None:
            scores = self._kernel(X, self._X_fit) @ self.dual_coef_.T + self.intercept_
        else:
            scores = np.asarray(X @ self.coef_.T) + self.intercept_
        return scores.ravel() if scores.shape[1] == 1 else scores

    def predict(self, X) -> np.ndarray:
        """The class of the largest score (for two classes: ``classes_[1]`` when the score is > 0)."""
        scores = self.decision_function(X)
        idx = (scores > 0).astype(np.intp) if scores.ndim == 1 else scores.argmax(axis=1)
        return self.classes_[idx]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = not self.dual
        return tags


# ---- compiled epoch loops -----------------------------------------------------------------------


@njit(cache=True)
def _xorshift(state):  # pragma: no cover - compiled
    # scikit-learn's our_rand_r: a 32-bit xorshift (13, 17, 5), reduced to [0, 2^31 - 1].
    # Done in int64 with explicit 32-bit masks so no unsigned promotion rule can change a bit.
    s = state[0]
    if s == 0:
        s = 1
    s ^= (s << 13) & 0xFFFFFFFF
    s ^= s >> 17
    s ^= (s << 5) & 0xFFFFFFFF
    state[0] = s
    return s % 2147483648


@njit(cache=True)
def _fisher_yates(order, seed):  # pragma: no cover - compiled
    # The same seed every epoch, as scikit-learn (SequentialDataset.shuffle takes the seed by value).
    state = np.empty(1, dtype=np.int64)
    state[0] = seed
    n = order.shape[0]
    for i in range(n - 1):
        j = i + _xorshift(state) % (n - i)
        tmp = order[i]
        order[i] = order[j]
        order[j] = tmp


def _sgd_perceptron(data, indices, indptr, dense, Y, *args):
    # One-vs-rest problems are independent: run them on threads when there is enough work to pay
    # for waking the threads (~1e6 multiply-adds an epoch); below that one thread is faster.
    work = Y.shape[0] * data.shape[0]
    kernel = _sgd_problems_parallel if Y.shape[0] > 1 and work > 2_000_000 else _sgd_problems
    return kernel(data, indices, indptr, dense, Y, *args)


@njit(cache=True)
def _sgd_problems(data, indices, indptr, dense, Y, sw, W, b, pos_w, neg_w, seeds, val_mask, penalty, alpha,
                  l1_ratio, max_iter, tol, fit_intercept, shuffle, eta, n_iter_no_change, early_stopping,
                  intercept_decay):  # pragma: no cover - compiled
    n_problems = Y.shape[0]
    n_iter = np.zeros(n_problems, dtype=np.int64)
    finite = np.ones(n_problems, dtype=np.bool_)
    for k in range(n_problems):
        n_iter[k], b[k], finite[k] = _one_problem(
            data, indices, indptr, dense, Y[k], sw, W[k], b[k], pos_w[k], neg_w[k], seeds[k], val_mask, penalty,
            alpha, l1_ratio, max_iter, tol, fit_intercept, shuffle, eta, n_iter_no_change, early_stopping,
            intercept_decay)
    return n_iter, finite


@njit(cache=True, parallel=True)
def _sgd_problems_parallel(data, indices, indptr, dense, Y, sw, W, b, pos_w, neg_w, seeds, val_mask, penalty, alpha,
                           l1_ratio, max_iter, tol, fit_intercept, shuffle, eta, n_iter_no_change, early_stopping,
                           intercept_decay):  # pragma: no cover - compiled
    n_problems = Y.shape[0]
    n_iter = np.zeros(n_problems, dtype=np.int64)
    finite = np.ones(n_problems, dtype=np.bool_)
    for k in prange(n_problems):
        n_iter[k], b[k], finite[k] = _one_problem(
            data, indices, indptr, dense, Y[k], sw, W[k], b[k], pos_w[k], neg_w[k], seeds[k], val_mask, penalty,
            alpha, l1_ratio, max_iter, tol, fit_intercept, shuffle, eta, n_iter_no_change, early_stopping,
            intercept_decay)
    return n_iter, finite


@njit(cache=True, inline="always")
def _dot(w, data, indices, start, stop, dense):  # pragma: no cover - compiled
    # sum_j w_j x_j, in the order scikit-learn's WeightVector.dot adds (so rounding agrees)
    acc = 0.0
    if dense:
        for pos in range(start, stop):
            acc += w[pos - start] * data[pos]
    else:
        for pos in range(start, stop):
            acc += w[indices[pos]] * data[pos]
    return acc


@njit(cache=True, inline="always")
def _add(w, data, indices, start, stop, dense, c, track_norms):  # pragma: no cover - compiled
    # w += c x; the squared and L1 norms of the touched entries only matter to a penalised objective
    acc2 = 0.0
    acc1 = 0.0
    if dense:
        for pos in range(start, stop):
            w[pos - start] += data[pos] * c
        if track_norms:
            for j in range(stop - start):
                acc2 += w[j] * w[j]
                acc1 += abs(w[j])
    else:
        for pos in range(start, stop):
            j = indices[pos]
            w[j] += data[pos] * c
            if track_norms:
                acc2 += w[j] * w[j]
                acc1 += abs(w[j])
    return acc2, acc1


@njit(cache=True)
def _one_problem(data, indices, indptr, dense, y, sw, w, b, pos_w, neg_w, seed, val_mask, penalty, alpha, l1_ratio,
                 max_iter, tol, fit_intercept, shuffle, eta, n_iter_no_change, early_stopping,
                 intercept_decay):  # pragma: no cover - compiled
    n = y.shape[0]
    d = w.shape[0]
    order = np.arange(n).astype(np.int32)
    q = np.zeros(d)  # cumulative L1 penalty actually applied, per feature (Tsuruoka et al. 2009)
    if penalty == 2:
        l1_ratio = 0.0
    elif penalty == 1:
        l1_ratio = 1.0
    wscale = 1.0
    sq_norm = 0.0
    l1_norm = 0.0
    for j in range(d):
        sq_norm += w[j] * w[j]
        l1_norm += abs(w[j])
    u = 0.0
    train_count = n - val_mask.sum()
    best = np.inf
    best_score = -np.inf
    no_improvement = 0
    epoch = 0
    for epoch in range(max_iter):
        objective = 0.0
        if shuffle:
            _fisher_yates(order, seed)
        for ii in range(n):
            i = order[ii]
            if val_mask[i]:
                continue
            start, stop = indptr[i], indptr[i + 1]
            p = _dot(w, data, indices, start, stop, dense) * wscale + b
            z = p * y[i]
            if not early_stopping:
                if z <= 0.0:
                    objective -= z
                if penalty > 0:
                    objective += alpha * ((1.0 - l1_ratio) * 0.5 * np.sqrt(sq_norm) ** 2 + l1_ratio * l1_norm)
            update = eta * y[i] if z <= 0.0 else 0.0
            update *= (pos_w if y[i] > 0.0 else neg_w) * sw[i]
            if penalty >= 2:
                c = max(0.0, 1.0 - (1.0 - l1_ratio) * eta * alpha)
                wscale *= c
                sq_norm *= c * c
                l1_norm *= abs(c)
                if wscale < 1e-9:
                    for j in range(d):
                        w[j] *= wscale
                    wscale = 1.0
            if update != 0.0:
                acc2, acc1 = _add(w, data, indices, start, stop, dense, update / wscale, penalty > 0)
                sq_norm = acc2 * (wscale * wscale)
                l1_norm = acc1 * wscale
                if fit_intercept:
                    b += update * intercept_decay
            if penalty == 1 or penalty == 3:
                u += l1_ratio * eta * alpha
                for pos in range(start, stop):
                    j = pos - start if dense else indices[pos]
                    wj = w[j]
                    if wscale * wj > 0.0:
                        w[j] = max(0.0, w[j] - (u + q[j]) / wscale)
                    elif wscale * wj < 0.0:
                        w[j] = min(0.0, w[j] + (u - q[j]) / wscale)
                    q[j] += wscale * (w[j] - wj)
        ok = np.isfinite(b)
        for j in range(d):
            ok = ok and np.isfinite(w[j])
        if not ok:
            return epoch + 1, b, False
        if early_stopping:
            score = _validation_accuracy(data, indices, indptr, dense, y, sw, w, wscale, b, val_mask)
            if score < best_score + tol:
                no_improvement += 1
            else:
                no_improvement = 0
            if score > best_score:
                best_score = score
        else:
            mean_objective = objective / train_count
            if mean_objective > best - tol:
                no_improvement += 1
            else:
                no_improvement = 0
            if mean_objective < best:
                best = mean_objective
        if no_improvement >= n_iter_no_change:
            break
    for j in range(d):
        w[j] *= wscale
    return epoch + 1, b, True


@njit(cache=True)
def _validation_accuracy(data, indices, indptr, dense, y, sw, w, wscale, b, val_mask):  # pragma: no cover
    hit = 0.0
    total = 0.0
    for i in range(y.shape[0]):
        if not val_mask[i]:
            continue
        p = 0.0
        for pos in range(indptr[i], indptr[i + 1]):
            j = pos - indptr[i] if dense else indices[pos]
            p += w[j] * data[pos]
        pred = 1.0 if p * wscale + b > 0.0 else -1.0
        total += sw[i]
        if pred == y[i]:
            hit += sw[i]
    return hit / total


@njit(cache=True)
def _dual_perceptron(K, Y, sw, pos_w, neg_w, seeds, max_iter, shuffle, eta, fit_intercept):  # pragma: no cover
    # f_k(x_i) = sum_l A[k, l] Y[k, l] (K[l, i] + 1): the primal perceptron written with the Gram matrix.
    n_problems, n = Y.shape
    A = np.zeros((n_problems, n))
    n_iter = 0
    for k in range(n_problems):
        order = np.arange(n).astype(np.int32)
        f = np.zeros(n)  # current score of every training sample
        epoch = 0
        for epoch in range(max_iter):
            if shuffle:
                _fisher_yates(order, seeds[k])
            mistakes = 0
            for ii in range(n):
                i = order[ii]
                if f[i] * Y[k, i] <= 0.0:
                    step = eta * (pos_w[k] if Y[k, i] > 0 else neg_w[k]) * sw[i]
                    if step == 0.0:
                        continue
                    mistakes += 1
                    A[k, i] += step
                    for m in range(n):
                        f[m] += step * Y[k, i] * (K[i, m] + (1.0 if fit_intercept else 0.0))
            if mistakes == 0:
                break
        n_iter = max(n_iter, epoch + 1)
    return A, n_iter
