"""Random forest classifier: bagged CART trees with a random feature subset at every node.

Breiman (2001), "Random Forests", *Machine Learning* 45. Each of B trees is grown, unpruned, on a
bootstrap sample (n draws with replacement; a sample drawn c times weighs c) and considers at
each node only ``max_features`` features drawn without replacement (default √d). The forest's
probability is the mean of the trees' leaf class fractions

    p(k | x) = 1/B Σ_b p_b(k | x),    ŷ = argmax_k p(k | x)

(soft voting, as scikit-learn, not a majority of hard votes). Each sample is left out of about
(1 - 1/n)^n ≈ 37% of the bootstraps; averaging only those trees gives the out-of-bag (OOB)
estimate of the test accuracy without a held-out set.

Reference: scikit-learn's ``RandomForestClassifier``. The per-tree seeds, the bootstrap draws
and the trees themselves follow scikit-learn's random streams, so the same ``random_state``
gives the same forest (``estimators_``, ``oob_score_``, ``feature_importances_``). Trees are
grown on joblib threads (``prefer="threads"``); the numba kernels release the GIL, so
``n_jobs=2`` uses two cores, and ``joblib.parallel_backend`` can send the work elsewhere.
"""

from __future__ import annotations

import numbers
import warnings
import numpy as np

from mlcanon.classic._base import (
    BaseEstimator,
    ClassifierMixin,
    check_classification_targets,
    check_n_classes,
    check_is_fitted,
    check_random_state,
    validate_X_y,
)
from mlcanon.classic.tree import (
    DecisionTreeClassifier,
    _as_float32,
    _check_sample_weight,
    _class_weight_per_sample,
    validate_X_float32,
)
from mlcanon.validation import check_int, check_option, check_scalar

__all__ = ["RandomForestClassifier"]

MAX_INT = np.iinfo(np.int32).max
_TREE_PARAMS = ("criterion", "max_depth", "min_samples_split", "min_samples_leaf", "min_weight_fraction_leaf",
                "max_features", "max_leaf_nodes", "min_impurity_decrease", "ccp_alpha")


def _bootstrap_indices(seed: int, n_samples: int, n_draws: int, sample_weight: np.ndarray | None) -> np.ndarray:
    """The rows of one tree's bootstrap: uniform draws, or draws ∝ ``sample_weight`` (scikit-learn ≥ 1.8)."""
    rng = np.random.RandomState(seed)
    if sample_weight is None:
        return rng.randint(0, n_samples, n_draws)
    return rng.choice(n_samples, n_draws, replace=True, p=sample_weight / np.sum(sample_weight))


class RandomForestClassifier(ClassifierMixin, BaseEstimator):
    """A forest of randomised decision trees, averaged (Breiman 2001).

    Parameters
    ----------
    n_estimators : int, default=100
        Number of trees.
    criterion, max_depth, min_samples_split, min_samples_leaf, min_weight_fraction_leaf, \
max_leaf_nodes, min_impurity_decrease, ccp_alpha
        As in :class:`~mlcanon.classic.DecisionTreeClassifier`, for every tree.
    max_features : {"sqrt", "log2"}, int, float or None, default="sqrt"
        Features drawn at each node of each tree.
    bootstrap : bool, default=True
        Grow each tree on a bootstrap sample; otherwise on the whole set.
    oob_score : bool, default=False
        Compute ``oob_score_`` and ``oob_decision_function_``.
    n_jobs : int or None, default=None
        Trees grown in parallel on joblib threads (None: 1, -1: all cores).
    random_state : int, RandomState or None, default=None
        Seeds the trees and the bootstraps (same seed and data: same forest, whatever ``n_jobs``).
    class_weight : dict, "balanced", "balanced_subsample" or None, default=None
        Class weights; "balanced_subsample" recomputes balanced weights on each bootstrap.
    max_samples : int, float or None, default=None
        Size of each bootstrap (a float is a fraction of n_samples).

    Attributes
    ----------
    estimators_ : list of DecisionTreeClassifier
    classes_ : ndarray of shape (n_classes,)
    n_classes_ : int
    n_features_in_ : int
    feature_importances_ : ndarray of shape (n_features,)
        Mean of the trees' normalised impurity decreases, renormalised.
    oob_score_ : float
        Accuracy of the out-of-bag predictions (when ``oob_score=True``).
    oob_decision_function_ : ndarray of shape (n_samples, n_classes)
        Mean out-of-bag class probabilities of each training sample.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from mlcanon.classic import RandomForestClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> rf = RandomForestClassifier(n_estimators=20, oob_score=True, random_state=0).fit(X, y)
    >>> rf.score(X, y) > 0.95, round(rf.oob_score_, 2) > 0.9
    (True, True)
    """

    def __init__(self, n_estimators=100, criterion="gini", max_depth=None, min_samples_split=2, min_samples_leaf=1,
                 min_weight_fraction_leaf=0.0, max_features="sqrt", max_leaf_nodes=None, min_impurity_decrease=0.0,
                 bootstrap=True, oob_score=False, n_jobs=None, random_state=None, class_weight=None, ccp_alpha=0.0,
                 max_samples=None):
        self.n_estimators = n_estimators
        self.criterion = criterion
        self.max_depth = max_depth
        self.min_samples_split = min_samples_split
        self.min_samples_leaf = min_samples_leaf
        self.min_weight_fraction_leaf = min_weight_fraction_leaf
        self.max_features = max_features
        self.max_leaf_nodes = max_leaf_nodes
        self.min_impurity_decrease = min_impurity_decrease
        self.bootstrap = bootstrap
        self.oob_score = oob_score
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.class_weight = class_weight
        self.ccp_alpha = ccp_alpha
        self.max_samples = max_samples

    # ------------------------------------------------------------------ fitting
    def fit(self, X, y, sample_weight=None) -> RandomForestClassifier:
        """Grow ``n_estimators`` trees on bootstrap samples of (X, y); returns ``self``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), optional
            With ``bootstrap=True`` rows are drawn with probability ∝ weight; otherwise the
            weights enter each tree's impurities.
        """
        from joblib import Parallel, delayed

        n_estimators = check_int(self.n_estimators, "n_estimators", minimum=1)
        X, y = validate_X_y(self, X, y)
        X32 = _as_float32(X, "X")
        n_samples = X.shape[0]
        sample_weight = _check_sample_weight(sample_weight, n_samples)
        check_classification_targets(y)
        self.classes_, y_enc = np.unique(y, return_inverse=True)
        check_n_classes(self.classes_, self)
        self.n_classes_ = len(self.classes_)
        self.n_outputs_ = 1
        y_enc = y_enc.astype(np.int64)
        _sample_weight = self._combined_sample_weight(y_enc, sample_weight)
        if not self.bootstrap and self.max_samples is not None:
            raise ValueError("max_samples: can only be set with bootstrap=True, got bootstrap=False")
        if not self.bootstrap and self.oob_score:
            raise ValueError("oob_score: out-of-bag estimation needs bootstrap=True")
        n_draws = self._n_bootstrap(n_samples, _sample_weight) if self.bootstrap else None
        self._n_samples_bootstrap = n_draws
        self._sample_weight = _sample_weight
        rng = check_random_state(self.random_state)
        seeds = [rng.randint(MAX_INT) for _ in range(n_estimators)]  # one draw per tree, as scikit-learn
        Xt = np.ascontiguousarray(X32.T)
        trees = Parallel(n_jobs=self.n_jobs, prefer="threads")(
            delayed(self._grow_tree)(Xt, y_enc, _sample_weight, seed, n_draws) for seed in seeds)
        self.estimators_ = list(trees)
        if self.oob_score:
            self._set_oob_score(X32, y_enc)
        return self

    def _combined_sample_weight(self, y_enc: np.ndarray, sample_weight: np.ndarray | None) -> np.ndarray | None:
        """``sample_weight`` times the class weights (balanced weights count ``sample_weight``)."""
        cw = self.class_weight
        if cw is None:
            return sample_weight
        if isinstance(cw, str):
            check_option(cw, "class_weight", ("balanced", "balanced_subsample"))
            if cw == "balanced_subsample" and self.bootstrap:
                return sample_weight  # computed per tree on its bootstrap
            expanded = _class_weight_per_sample("balanced", y_enc, self.classes_, sample_weight=sample_weight)
        else:
            expanded = _class_weight_per_sample(cw, y_enc, self.classes_)
        return expanded if sample_weight is None else sample_weight * expanded

    def _n_bootstrap(self, n_samples: int, sample_weight: np.ndarray | None) -> int:
        m = self.max_samples
        if m is None:
            return n_samples
        if isinstance(m, numbers.Integral) and not isinstance(m, bool):
            return check_int(m, "max_samples", minimum=1)
        frac = check_scalar(m, "max_samples", minimum=0.0, include_minimum=False)
        total = n_samples if sample_weight is None else float(np.sum(sample_weight))
        return max(int(frac * total), 1)

    def _new_tree(self, seed: int) -> DecisionTreeClassifier:
        return DecisionTreeClassifier(**{p: getattr(self, p) for p in _TREE_PARAMS}, random_state=seed)

    def _grow_tree(self, Xt: np.ndarray, y_enc: np.ndarray, sample_weight: np.ndarray | None, seed: int,
                   n_draws: int | None) -> DecisionTreeClassifier:
        tree = self._new_tree(seed)
        n_samples = Xt.shape[1]
        if self.bootstrap:
            idx = _bootstrap_indices(seed, n_samples, n_draws, sample_weight)
            w = np.bincount(idx, minlength=n_samples).astype(np.float64)
            if self.class_weight == "balanced_subsample":
                w = w * _class_weight_per_sample("balanced", y_enc, self.classes_, indices=idx)
        else:
            w = sample_weight
        tree.n_features_in_ = Xt.shape[0]
        tree.classes_ = np.arange(self.n_classes_, dtype=np.float64)  # trees see encoded labels
        tree.n_classes_ = self.n_classes_
        tree.n_outputs_ = 1
        tree._grow(Xt, y_enc, np.empty(0), w, self.n_classes_, seed)
        return tree

    def _set_oob_score(self, X32: np.ndarray, y_enc: np.ndarray) -> None:
        n_samples = X32.shape[0]
        oob = np.zeros((n_samples, self.n_classes_))
        n_oob = np.zeros(n_samples, dtype=np.int64)
        for tree in self.estimators_:
            idx = _bootstrap_indices(tree.random_state, n_samples, self._n_samples_bootstrap, self._sample_weight)
            unsampled = np.flatnonzero(np.bincount(idx, minlength=n_samples) == 0)
            oob[unsampled] += _tree_proba(tree, X32[unsampled])
            n_oob[unsampled] += 1
        if (n_oob == 0).any():
            warnings.warn("Some inputs do not have OOB scores. This probably means too few trees were used to "
                          "compute any reliable OOB estimates.", UserWarning, stacklevel=3)
            n_oob[n_oob == 0] = 1
        self.oob_decision_function_ = oob / n_oob[:, None]
        self.oob_score_ = float(np.mean(y_enc == np.argmax(self.oob_decision_function_, axis=1)))

    # ------------------------------------------------------------------ prediction
    def _validate_X_predict(self, X) -> np.ndarray:
        check_is_fitted(self, "estimators_")
        return validate_X_float32(self, X)

    def predict_proba(self, X) -> np.ndarray:
        """Mean of the trees' class probabilities, shape (n_samples, n_classes)."""
        from joblib import Parallel, delayed, effective_n_jobs

        X32 = self._validate_X_predict(X)
        # Each of n_jobs threads sums the probabilities of its share of the trees (the kernels
        # release the GIL), as scikit-learn does; the partial sums are added at the end.
        n_chunks = min(effective_n_jobs(self.n_jobs), len(self.estimators_))
        chunks = [self.estimators_[i::n_chunks] for i in range(n_chunks)]
        partial = Parallel(n_jobs=n_chunks, prefer="threads")(delayed(_sum_proba)(c, X32, self.n_classes_) for c in chunks)
        return sum(partial) / len(self.estimators_)

    def predict_log_proba(self, X) -> np.ndarray:
        """Logarithm of :meth:`predict_proba`."""
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X) -> np.ndarray:
        """The class of largest mean probability."""
        proba = self.predict_proba(X)
        return self.classes_.take(np.argmax(proba, axis=1))

    def apply(self, X) -> np.ndarray:
        """Leaf index of each sample in each tree, shape (n_samples, n_estimators)."""
        X32 = self._validate_X_predict(X)
        return np.column_stack([t.tree_.apply(X32) for t in self.estimators_])

    @property
    def feature_importances_(self) -> np.ndarray:
        """Mean over the trees (those with a split) of their normalised importances, renormalised."""
        check_is_fitted(self, "estimators_")
        all_imp = [t.feature_importances_ for t in self.estimators_ if t.tree_.node_count > 1]
        if not all_imp:
            return np.zeros(self.n_features_in_)
        mean = np.mean(all_imp, axis=0, dtype=np.float64)
        return mean / np.sum(mean)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = False
        return tags


def _sum_proba(trees: list, X32: np.ndarray, n_classes: int) -> np.ndarray:
    proba = np.zeros((X32.shape[0], n_classes))
    for tree in trees:
        proba += _tree_proba(tree, X32)
    return proba


def _tree_proba(tree: DecisionTreeClassifier, X32: np.ndarray) -> np.ndarray:
    """A tree's predict_proba on validated float32 rows (normalised as scikit-learn's)."""
    proba = tree.tree_.predict(X32)
    normalizer = proba.sum(axis=1)[:, None]
    normalizer[normalizer == 0.0] = 1.0
    return proba / normalizer

