"""Decision trees: CART (Gini), ID3 (information gain), C4.5 (gain ratio), regression trees.

A tree splits a node t of weighted size w_t into t_L (``x_j <= threshold``) and t_R, choosing the
feature j and the threshold that maximise the weighted impurity decrease

    Δ(t) = w_t / w_root * ( I(t) - w_L/w_t * I(t_L) - w_R/w_t * I(t_R) )

with, for class proportions p_k in a node,

    Gini (CART, Breiman, Friedman, Olshen & Stone 1984):   I = 1 - Σ_k p_k²
    entropy (ID3, Quinlan 1986), bits:                     I = -Σ_k p_k log2 p_k   (gain = Δ)
    gain ratio (C4.5, Quinlan 1993):                       gain / SplitInfo,
        SplitInfo = -(w_L/w_t) log2(w_L/w_t) - (w_R/w_t) log2(w_R/w_t)
    squared error (regression):                            I = mean (y - ȳ)²

Continuous features are split at midpoints between consecutive distinct sorted values. For a
binary threshold split C4.5's split information is the entropy of the two-way partition above
(C4.5 on a continuous attribute also splits in two). scikit-learn has no gain ratio, so that
criterion is checked against a brute-force search instead; C4.5's extra rule "only among splits
with at least average gain" is not applied.

Reference: scikit-learn's ``DecisionTreeClassifier``/``DecisionTreeRegressor`` (``tree_`` arrays,
``export_text``, ``cost_complexity_pruning_path``). The split search in
:mod:`mlcanon.classic._tree_kernels` reproduces scikit-learn's, including its random feature
order (the same xorshift generator seeded from ``random_state``), so with the same
``random_state`` the trees are the same node for node, ties included. Minimal cost-complexity
pruning (Breiman et al. 1984, ch. 3): R_α(T) = R(T) + α |leaves(T)|, weakest link first.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from mlcanon.classic import _tree_kernels as K
from mlcanon.classic._base import (
    BaseEstimator,
    ClassifierMixin,
    RegressorMixin,
    check_classification_targets,
    check_n_classes,
    check_is_fitted,
    check_random_state,
    validate_X,
    validate_X_y,
)
from mlcanon.validation import check_array, check_int, check_option, check_scalar

__all__ = ["DecisionTreeClassifier", "DecisionTreeRegressor", "Tree", "export_text", "plot_tree"]

_CRITERIA_CLF = {"gini": K.GINI, "entropy": K.ENTROPY, "log_loss": K.ENTROPY, "gain_ratio": K.GAIN_RATIO}
_CRITERIA_REG = {"squared_error": K.SQUARED_ERROR}
TREE_LEAF = K.LEAF
TREE_UNDEFINED = K.UNDEFINED


class Tree:
    """The fitted tree as parallel arrays, with scikit-learn's ``tree_`` names.

    Node ``i`` is a leaf when ``children_left[i] == -1``; otherwise samples with
    ``x[feature[i]] <= threshold[i]`` go to ``children_left[i]``. ``value`` has shape
    ``(node_count, 1, n_classes)`` holding weighted class fractions (classifier) or
    ``(node_count, 1, 1)`` holding the weighted mean (regressor).
    """

    def __init__(self, n_features: int, n_classes: np.ndarray, children_left, children_right, feature,
                 threshold, impurity, n_node_samples, weighted_n_node_samples, value, max_depth: int):
        self.n_features = int(n_features)
        self.n_classes = np.asarray(n_classes, dtype=np.intp)
        self.n_outputs = 1
        self.max_n_classes = int(self.n_classes.max())
        self.children_left = children_left
        self.children_right = children_right
        self.feature = feature
        self.threshold = threshold
        self.impurity = impurity
        self.n_node_samples = n_node_samples
        self.weighted_n_node_samples = weighted_n_node_samples
        self.value = value.reshape(len(children_left), 1, -1)
        self.max_depth = int(max_depth)

    @property
    def node_count(self) -> int:
        return len(self.children_left)

    @property
    def capacity(self) -> int:
        return self.node_count

    @property
    def n_leaves(self) -> int:
        return int(np.sum(self.children_left == TREE_LEAF))

    def apply(self, X32: np.ndarray) -> np.ndarray:
        """Leaf index of each row of a float32 array."""
        return K.apply_tree(X32, self.children_left, self.children_right, self.feature, self.threshold)

    def predict(self, X32: np.ndarray) -> np.ndarray:
        """``value`` of each row's leaf, shape (n_samples, max_n_classes)."""
        return self.value[self.apply(X32), 0, :]

    def decision_path(self, X32: np.ndarray):
        """Node-indicator CSR matrix (n_samples, node_count)."""
        from scipy.sparse import csr_matrix

        indptr, indices = K.decision_path_tree(X32, self.children_left, self.children_right, self.feature,
                                               self.threshold)
        data = np.ones(len(indices), dtype=np.intp)
        return csr_matrix((data, indices, indptr), shape=(X32.shape[0], self.node_count))

    def compute_feature_importances(self, normalize: bool = True) -> np.ndarray:
        """Σ over the nodes split on feature j of w_t I(t) - w_L I(t_L) - w_R I(t_R), over w_root."""
        left, right = self.children_left, self.children_right
        internal = np.flatnonzero(left != TREE_LEAF)
        w, imp = self.weighted_n_node_samples, self.impurity
        decrease = (w[internal] * imp[internal] - w[left[internal]] * imp[left[internal]]
                    - w[right[internal]] * imp[right[internal]])
        importances = np.zeros(self.n_features)
        np.add.at(importances, self.feature[internal], decrease)  # in node order, as scikit-learn sums
        importances /= w[0]
        if normalize:
            total = importances.sum()
            if total > 0.0:
                importances /= total
        return importances

    def subtree(self, order: np.ndarray, left: np.ndarray, right: np.ndarray) -> Tree:
        """The tree made of nodes ``order`` (old ids) with new children arrays (for pruning)."""
        feature = self.feature[order].copy()
        threshold = self.threshold[order].copy()
        leaf = left == TREE_LEAF
        feature[leaf] = TREE_UNDEFINED
        threshold[leaf] = TREE_UNDEFINED
        depth = _node_depths(left, right).max()
        return Tree(self.n_features, self.n_classes, left, right, feature, threshold, self.impurity[order].copy(),
                    self.n_node_samples[order].copy(), self.weighted_n_node_samples[order].copy(),
                    self.value[order].copy(), depth)


def _node_depths(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    depth = np.zeros(len(left), dtype=np.int64)
    for i in range(len(left)):  # parents precede children in pre-order
        if left[i] != TREE_LEAF:
            depth[left[i]] = depth[right[i]] = depth[i] + 1
    return depth


def _check_sample_weight(sample_weight: Any, n_samples: int) -> np.ndarray | None:
    if sample_weight is None:
        return None
    if isinstance(sample_weight, numbers.Number):
        return np.full(n_samples, float(sample_weight))
    sw = check_array(sample_weight, "sample_weight", ndim=1, dtype=np.float64, allow_empty=n_samples == 0)
    if sw.shape[0] != n_samples:
        raise ValueError(f"sample_weight: expected shape ({n_samples},), got shape {sw.shape}")
    if n_samples and not np.any(sw):
        raise ValueError("sample_weight: expected at least one non-zero weight, got all weights zero")
    return sw


def _class_weight_per_sample(class_weight: Any, y_encoded: np.ndarray, classes: np.ndarray,
                             sample_weight: np.ndarray | None = None, indices: np.ndarray | None = None) -> np.ndarray:
    """scikit-learn's ``compute_sample_weight``: the weight of each sample's class.

    ``"balanced"``: w_k = n / (n_classes * n_k) (weighted counts when ``sample_weight`` is given);
    a dict maps class labels to weights, other classes weigh 1. ``indices`` computes the balanced
    weights on a bootstrap sample (``balanced_subsample``).
    """
    n_classes = len(classes)
    if isinstance(class_weight, str):
        check_option(class_weight, "class_weight", ("balanced",))
        y_ref = y_encoded if indices is None else y_encoded[indices]
        sw = None if sample_weight is None or indices is not None else sample_weight
        counts = np.bincount(y_ref, weights=sw, minlength=n_classes).astype(np.float64)
        present = np.unique(y_ref)
        per_class = np.zeros(n_classes)
        per_class[present] = counts.sum() / (len(present) * counts[present])
        if indices is not None:
            per_class[np.setdiff1d(np.arange(n_classes), present)] = 0.0
        return per_class[y_encoded]
    if not isinstance(class_weight, dict):
        raise TypeError(f"class_weight: expected None, 'balanced' or a dict {{class: weight}}, got {class_weight!r}")
    per_class = np.ones(n_classes)
    unknown = [c for c in class_weight if c not in set(classes.tolist())]
    if unknown:
        raise ValueError(f"class_weight: the classes {unknown} are not in y (classes are {classes.tolist()})")
    for i, c in enumerate(classes):
        if c in class_weight:
            per_class[i] = class_weight[c]
    return per_class[y_encoded]


class _BaseDecisionTree(BaseEstimator):
    """What classifier and regressor share: hyper-parameters, growth, pruning, prediction."""

    _criteria: dict[str, int] = {}

    # ------------------------------------------------------------------ hyper-parameters
    def _resolve_params(self, n_samples: int, n_features: int) -> dict[str, Any]:
        check_option(self.criterion, "criterion", tuple(self._criteria))
        check_option(self.splitter, "splitter", ("best", "random"))
        max_depth = np.iinfo(np.int32).max if self.max_depth is None else check_int(self.max_depth, "max_depth",
                                                                                     minimum=1)
        if isinstance(self.min_samples_leaf, numbers.Integral) and not isinstance(self.min_samples_leaf, bool):
            min_samples_leaf = check_int(self.min_samples_leaf, "min_samples_leaf", minimum=1)
        else:
            frac = check_scalar(self.min_samples_leaf, "min_samples_leaf", minimum=0.0, maximum=1.0,
                                include_minimum=False, include_maximum=False)
            min_samples_leaf = int(np.ceil(frac * n_samples))
        if isinstance(self.min_samples_split, numbers.Integral) and not isinstance(self.min_samples_split, bool):
            min_samples_split = check_int(self.min_samples_split, "min_samples_split", minimum=2)
        else:
            frac = check_scalar(self.min_samples_split, "min_samples_split", minimum=0.0, maximum=1.0,
                                include_minimum=False)
            min_samples_split = max(2, int(np.ceil(frac * n_samples)))
        min_samples_split = max(min_samples_split, 2 * min_samples_leaf)
        check_scalar(self.min_weight_fraction_leaf, "min_weight_fraction_leaf", minimum=0.0, maximum=0.5)
        max_features = _resolve_max_features(self.max_features, n_features)
        max_leaf_nodes = -1 if self.max_leaf_nodes is None else check_int(self.max_leaf_nodes, "max_leaf_nodes",
                                                                          minimum=2)
        check_scalar(self.min_impurity_decrease, "min_impurity_decrease", minimum=0.0)
        check_scalar(self.ccp_alpha, "ccp_alpha", minimum=0.0)
        return dict(max_depth=max_depth, min_samples_leaf=min_samples_leaf, min_samples_split=min_samples_split,
                    max_features=max_features, max_leaf_nodes=max_leaf_nodes)

    # ------------------------------------------------------------------ fitting
    def _validate_fit_input(self, X, y, sample_weight):
        X, y = validate_X_y(self, X, y, y_numeric=not self._is_classifier)
        X32 = _as_float32(X, "X")
        sample_weight = _check_sample_weight(sample_weight, X.shape[0])
        return X32, y, sample_weight

    def _grow(self, Xt: np.ndarray, y_cls: np.ndarray, y_reg: np.ndarray, sample_weight: np.ndarray | None,
              n_classes: int, random_state: Any) -> None:
        """Grow ``tree_`` on prepared arrays (``Xt``: float32, shape (n_features, n_samples))."""
        n_features, n_samples = Xt.shape
        p = self._resolve_params(n_samples, n_features)
        self.max_features_ = p["max_features"]
        w = np.ones(n_samples) if sample_weight is None else np.ascontiguousarray(sample_weight, dtype=np.float64)
        min_weight_leaf = self.min_weight_fraction_leaf * (n_samples if sample_weight is None else w.sum())
        rng = check_random_state(random_state)
        seed = rng.randint(0, K.RAND_R_MAX)  # scikit-learn's splitter draws its xorshift seed the same way
        arrays = K.build_tree(Xt, y_cls, y_reg, w, n_classes, self._criteria[self.criterion], p["max_features"],
                              p["min_samples_split"], p["min_samples_leaf"], float(min_weight_leaf),
                              p["max_depth"], float(self.min_impurity_decrease), p["max_leaf_nodes"], seed,
                              self.splitter == "random")
        left, right, feature, threshold, impurity, n_node, w_node, value, depth = arrays
        n_classes_arr = np.array([n_classes if self._is_classifier else 1])
        self.tree_ = Tree(n_features, n_classes_arr, left, right, feature, threshold, impurity, n_node, w_node,
                          value, depth)
        if self.ccp_alpha > 0.0:
            self.tree_ = _prune(self.tree_, float(self.ccp_alpha))

    # ------------------------------------------------------------------ prediction
    def _validate_X_predict(self, X) -> np.ndarray:
        check_is_fitted(self, "tree_")
        return validate_X_float32(self, X)

    def apply(self, X) -> np.ndarray:
        """Index of the leaf each sample ends in.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        X32 = self._validate_X_predict(X)
        return self.tree_.apply(X32)

    def decision_path(self, X):
        """Sparse indicator (n_samples, n_nodes) of the nodes each sample passes through."""
        X32 = self._validate_X_predict(X)
        return self.tree_.decision_path(X32)

    def get_depth(self) -> int:
        """Depth of the tree (a lone root has depth 0)."""
        check_is_fitted(self, "tree_")
        return self.tree_.max_depth

    def get_n_leaves(self) -> int:
        """Number of leaves."""
        check_is_fitted(self, "tree_")
        return self.tree_.n_leaves

    @property
    def feature_importances_(self) -> np.ndarray:
        """Normalised total impurity decrease brought by each feature (the "Gini importance")."""
        check_is_fitted(self, "tree_")
        return self.tree_.compute_feature_importances()

    def cost_complexity_pruning_path(self, X, y, sample_weight=None) -> dict[str, np.ndarray]:
        """Effective alphas and total leaf impurities of the minimal cost-complexity pruning sequence.

        Returns
        -------
        dict with ``ccp_alphas`` (increasing) and ``impurities`` (Σ_leaves w_t/w_root I(t)).
        """
        from mlcanon.classic._base import clone

        est = clone(self).set_params(ccp_alpha=0.0)
        est.fit(X, y, sample_weight=sample_weight)
        t = est.tree_
        _, alphas, impurities = K.cost_complexity_prune(t.children_left, t.children_right, t.impurity,
                                                        t.weighted_n_node_samples, 0.0, True)
        return {"ccp_alphas": alphas, "impurities": impurities}

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = False
        return tags


def _resolve_max_features(max_features: Any, n_features: int) -> int:
    if isinstance(max_features, str):
        check_option(max_features, "max_features", ("sqrt", "log2"))
        f = np.sqrt if max_features == "sqrt" else np.log2
        return max(1, int(f(n_features)))
    if max_features is None:
        return n_features
    if isinstance(max_features, numbers.Integral) and not isinstance(max_features, bool):
        return check_int(max_features, "max_features", minimum=1, maximum=n_features)
    if isinstance(max_features, numbers.Real) and not isinstance(max_features, bool):
        frac = check_scalar(max_features, "max_features", minimum=0.0, maximum=1.0, include_minimum=False)
        return max(1, int(frac * n_features))
    raise TypeError(f"max_features: expected None, an int, a float in (0, 1], 'sqrt' or 'log2', got {max_features!r}")


def validate_X_float32(estimator: Any, X: Any) -> np.ndarray:
    """``X`` for prediction as a C-contiguous float32 array, checked in one conversion and one pass
    (prediction is memory-bound: a float64 copy and two finiteness passes cost more than the walk)."""
    if isinstance(X, np.ndarray) and X.dtype.kind in "fiub" and X.ndim == 2 and X.size:
        with np.errstate(over="ignore"):
            X32 = np.ascontiguousarray(X, dtype=np.float32)
        if not np.isfinite(X32).all():
            X32 = _as_float32(validate_X(estimator, X, reset=False), "X")  # names the bad value
        if X32.shape[1] != estimator.n_features_in_:
            validate_X(estimator, X32[:1], reset=False)  # raises the feature-count error
        return X32
    return _as_float32(validate_X(estimator, X, reset=False), "X")


def _as_float32(X: np.ndarray, name: str) -> np.ndarray:
    """Trees compare float32 values, as scikit-learn's (thresholds are midpoints of float32 values)."""
    with np.errstate(over="ignore"):  # reported below, with the argument's name
        X32 = np.ascontiguousarray(X, dtype=np.float32)  # one compiled layout for the kernels
    if not np.isfinite(X32).all():
        raise ValueError(f"{name}: expected values that fit in float32, got a value too large for float32")
    return X32


def _prune(tree: Tree, ccp_alpha: float) -> Tree:
    leaves, _, _ = K.cost_complexity_prune(tree.children_left, tree.children_right, tree.impurity,
                                           tree.weighted_n_node_samples, ccp_alpha, False)
    order, left, right = K.prune_order(tree.children_left, tree.children_right, leaves)
    return tree.subtree(order, left, right)


class DecisionTreeClassifier(ClassifierMixin, _BaseDecisionTree):
    """A classification tree grown greedily on impurity decrease (CART / ID3 / C4.5).

    Parameters
    ----------
    criterion : {"gini", "entropy", "log_loss", "gain_ratio"}, default="gini"
        Gini impurity (CART), information gain in bits (ID3; "log_loss" is the same), or the
        C4.5 gain ratio (information gain over the split information of the binary split).
    splitter : {"best", "random"}, default="best"
        "best": the best threshold of each drawn feature; "random": one threshold drawn uniformly
        between the feature's minimum and maximum in the node (extremely randomised trees,
        Geurts, Ernst & Wehenkel 2006), the best of those kept.
    max_depth : int or None, default=None
        Grow until leaves are pure (or other limits) when None.
    min_samples_split : int or float, default=2
        Minimum number of samples in a node to split it (a float is a fraction of n_samples).
    min_samples_leaf : int or float, default=1
        Minimum number of samples in each child of a split.
    min_weight_fraction_leaf : float, default=0.0
        Minimum fraction of the total sample weight in each child.
    max_features : int, float, {"sqrt", "log2"} or None, default=None
        Number of features drawn (without replacement) at each node; the draw goes on past
        constant features until at least one non-constant feature was examined.
    random_state : int, RandomState or None, default=None
        Seeds the feature order; the same seed gives scikit-learn's tree.
    max_leaf_nodes : int or None, default=None
        Grow best-first (largest impurity decrease first) up to this many leaves.
    min_impurity_decrease : float, default=0.0
        Split only when the weighted impurity decrease Δ(t) is at least this.
    class_weight : dict, "balanced" or None, default=None
        Weights per class, multiplied into ``sample_weight``.
    ccp_alpha : float, default=0.0
        Complexity parameter of minimal cost-complexity pruning.

    Attributes
    ----------
    tree_ : Tree
        The fitted tree (``children_left``, ``children_right``, ``feature``, ``threshold``,
        ``value``, ``impurity``, ``n_node_samples``, ``weighted_n_node_samples``).
    classes_ : ndarray of shape (n_classes,)
    n_classes_ : int
    n_features_in_ : int
    max_features_ : int
    feature_importances_ : ndarray of shape (n_features,)

    References
    ----------
    Breiman, Friedman, Olshen & Stone (1984), *Classification and Regression Trees*.
    Quinlan (1986), "Induction of decision trees", *Machine Learning* 1.
    Quinlan (1993), *C4.5: Programs for Machine Learning*.

    Examples
    --------
    >>> from mlcanon.classic import DecisionTreeClassifier
    >>> X = [[0.0], [1.0], [2.0], [3.0]]
    >>> clf = DecisionTreeClassifier(random_state=0).fit(X, [0, 0, 1, 1])
    >>> clf.predict([[0.4], [2.6]]).tolist(), float(clf.tree_.threshold[0])
    ([0, 1], 1.5)
    """

    _is_classifier = True
    _criteria = _CRITERIA_CLF

    def __init__(self, criterion="gini", splitter="best", max_depth=None, min_samples_split=2,
                 min_samples_leaf=1, min_weight_fraction_leaf=0.0, max_features=None, random_state=None,
                 max_leaf_nodes=None, min_impurity_decrease=0.0, class_weight=None, ccp_alpha=0.0):
        self.criterion = criterion
        self.splitter = splitter
        self.max_depth = max_depth
        self.min_samples_split = min_samples_split
        self.min_samples_leaf = min_samples_leaf
        self.min_weight_fraction_leaf = min_weight_fraction_leaf
        self.max_features = max_features
        self.random_state = random_state
        self.max_leaf_nodes = max_leaf_nodes
        self.min_impurity_decrease = min_impurity_decrease
        self.class_weight = class_weight
        self.ccp_alpha = ccp_alpha

    def fit(self, X, y, sample_weight=None) -> DecisionTreeClassifier:
        """Grow the tree on (X, y).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            Class labels.
        sample_weight : array-like of shape (n_samples,), optional
            Samples of weight 0 are left out of every node.

        Returns
        -------
        self
        """
        X32, y, sample_weight = self._validate_fit_input(X, y, sample_weight)
        check_classification_targets(y)
        self.classes_, y_enc = np.unique(y, return_inverse=True)
        check_n_classes(self.classes_, self)
        self.n_classes_ = len(self.classes_)
        self.n_outputs_ = 1
        if self.class_weight is not None:
            cw = _class_weight_per_sample(self.class_weight, y_enc, self.classes_)
            sample_weight = cw if sample_weight is None else sample_weight * cw
        y_enc = y_enc.astype(np.int64)
        Xt = np.ascontiguousarray(X32.T)
        self._grow(Xt, y_enc, np.empty(0), sample_weight, self.n_classes_, self.random_state)
        return self

    def predict_proba(self, X) -> np.ndarray:
        """Weighted class fractions of each sample's leaf, shape (n_samples, n_classes)."""
        X32 = self._validate_X_predict(X)
        proba = self.tree_.predict(X32)[:, : self.n_classes_]
        normalizer = proba.sum(axis=1)[:, None]
        normalizer[normalizer == 0.0] = 1.0
        return proba / normalizer

    def predict_log_proba(self, X) -> np.ndarray:
        """Logarithm of :meth:`predict_proba` (``-inf`` for a zero fraction)."""
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X) -> np.ndarray:
        """The majority (largest weighted fraction) class of each sample's leaf."""
        X32 = self._validate_X_predict(X)
        proba = self.tree_.predict(X32)
        return self.classes_.take(np.argmax(proba, axis=1))


class DecisionTreeRegressor(RegressorMixin, _BaseDecisionTree):
    """A regression tree: each split minimises the weighted squared error of the two children.

    Parameters are those of :class:`DecisionTreeClassifier` except ``criterion``
    ("squared_error": I(t) = weighted variance of y in t) and no ``class_weight``. A leaf
    predicts the weighted mean of its y.

    Examples
    --------
    >>> from mlcanon.classic import DecisionTreeRegressor
    >>> reg = DecisionTreeRegressor(max_depth=1).fit([[0], [1], [2], [3]], [1.0, 1.0, 3.0, 5.0])
    >>> reg.predict([[0], [3]]).tolist()
    [1.0, 4.0]
    """

    _is_classifier = False
    _criteria = _CRITERIA_REG

    def __init__(self, criterion="squared_error", splitter="best", max_depth=None, min_samples_split=2,
                 min_samples_leaf=1, min_weight_fraction_leaf=0.0, max_features=None, random_state=None,
                 max_leaf_nodes=None, min_impurity_decrease=0.0, ccp_alpha=0.0):
        self.criterion = criterion
        self.splitter = splitter
        self.max_depth = max_depth
        self.min_samples_split = min_samples_split
        self.min_samples_leaf = min_samples_leaf
        self.min_weight_fraction_leaf = min_weight_fraction_leaf
        self.max_features = max_features
        self.random_state = random_state
        self.max_leaf_nodes = max_leaf_nodes
        self.min_impurity_decrease = min_impurity_decrease
        self.ccp_alpha = ccp_alpha

    def fit(self, X, y, sample_weight=None) -> DecisionTreeRegressor:
        """Grow the tree on (X, y) (y real-valued); returns ``self``."""
        X32, y, sample_weight = self._validate_fit_input(X, y, sample_weight)
        self.n_outputs_ = 1
        Xt = np.ascontiguousarray(X32.T)
        y_reg = np.ascontiguousarray(y, dtype=np.float64)
        self._grow(Xt, np.empty(0, np.int64), y_reg, sample_weight, 1, self.random_state)
        return self

    def predict(self, X) -> np.ndarray:
        """The weighted mean of y in each sample's leaf."""
        X32 = self._validate_X_predict(X)
        return self.tree_.predict(X32)[:, 0]


# ---------------------------------------------------------------------------- text and plot


def export_text(decision_tree, *, feature_names=None, class_names=None, max_depth: int = 10, spacing: int = 3,
                decimals: int = 2, show_weights: bool = False) -> str:
    """The rules of a fitted tree as indented text, character for character as scikit-learn's.

    Examples
    --------
    >>> from mlcanon.classic import DecisionTreeClassifier, export_text
    >>> clf = DecisionTreeClassifier(random_state=0).fit([[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 1])
    >>> print(export_text(clf, feature_names=["x"]))
    |--- x <= 1.50
    |   |--- class: 0
    |--- x >  1.50
    |   |--- class: 1
    <BLANKLINE>
    """
    check_is_fitted(decision_tree, "tree_")
    max_depth = check_int(max_depth, "max_depth", minimum=0)
    spacing = check_int(spacing, "spacing", minimum=1)
    decimals = check_int(decimals, "decimals", minimum=0)
    tree = decision_tree.tree_
    is_clf = hasattr(decision_tree, "classes_")
    if feature_names is not None and len(feature_names) != tree.n_features:
        raise ValueError(f"feature_names must contain {tree.n_features} elements, got {len(feature_names)}")
    if is_clf:
        if class_names is None:
            class_names = decision_tree.classes_
        elif len(class_names) != len(decision_tree.classes_):
            raise ValueError(f"class_names: expected {len(decision_tree.classes_)} names (one per class), "
                             f"got {len(class_names)}")
    names = [(feature_names[f] if feature_names is not None else f"feature_{f}") if f != TREE_UNDEFINED else None
             for f in tree.feature]
    lines: list[str] = []

    def leaf(node: int, indent: str) -> None:
        value = tree.value[node][0]
        if is_clf:
            val = ""
            if show_weights:
                w = tree.weighted_n_node_samples[node]
                val = "[" + ", ".join(f"{v * w:.{decimals}f}" for v in value) + "]"
            val += " class: " + str(class_names[int(np.argmax(value))])
            lines.append(f"{indent}{val}\n" if not show_weights else f"{indent} weights: {val}\n")
        else:
            lines.append(f"{indent} value: [" + ", ".join(f"{v:.{decimals}f}" for v in value) + "]\n")

    def walk(node: int, depth: int) -> None:
        indent = ("|" + " " * spacing) * depth
        indent = indent[:-spacing] + "-" * spacing
        if depth <= max_depth + 1:
            if tree.feature[node] != TREE_UNDEFINED:
                thr = f"{tree.threshold[node]:.{decimals}f}"
                lines.append(f"{indent} {names[node]} <= {thr}\n")
                walk(tree.children_left[node], depth + 1)
                lines.append(f"{indent} {names[node]} >  {thr}\n")
                walk(tree.children_right[node], depth + 1)
            else:
                leaf(node, indent)
        else:
            sub = _subtree_depth(tree, node)
            if sub == 1:
                leaf(node, indent)
            else:
                lines.append(f"{indent} truncated branch of depth {sub}\n")

    walk(0, 1)
    return "".join(lines)


def _subtree_depth(tree: Tree, node: int) -> int:
    """Number of levels below and including ``node`` (a leaf counts 1)."""
    left, right = tree.children_left, tree.children_right
    stack, best = [(node, 1)], 0
    while stack:
        n, d = stack.pop()
        best = max(best, d)
        if left[n] != TREE_LEAF:
            stack += [(left[n], d + 1), (right[n], d + 1)]
    return best


def plot_tree(decision_tree, *, feature_names=None, class_names=None, max_depth: int | None = None, ax=None,
              fontsize: int = 8):
    """Draw a fitted tree with matplotlib (boxes: split, impurity, samples, value/class); returns ``ax``."""
    import matplotlib.pyplot as plt

    check_is_fitted(decision_tree, "tree_")
    tree = decision_tree.tree_
    is_clf = hasattr(decision_tree, "classes_")
    if ax is None:
        _, ax = plt.subplots(figsize=(10, 5))
    pos: dict[int, tuple[float, float]] = {}
    next_x = [0.0]

    def layout(node: int, depth: int) -> float:
        shown = max_depth is None or depth < max_depth
        if tree.children_left[node] == TREE_LEAF or not shown:
            x = next_x[0]
            next_x[0] += 1.0
        else:
            x = (layout(tree.children_left[node], depth + 1) + layout(tree.children_right[node], depth + 1)) / 2
        pos[node] = (x, -float(depth))
        return x

    layout(0, 0)
    crit = getattr(decision_tree, "criterion", "impurity")
    for node, (x, y) in pos.items():
        text = []
        f = tree.feature[node]
        if f != TREE_UNDEFINED and node in pos and tree.children_left[node] in pos:
            name = feature_names[f] if feature_names is not None else f"x[{f}]"
            text.append(f"{name} <= {tree.threshold[node]:.3g}")
        text.append(f"{crit} = {tree.impurity[node]:.3f}")
        text.append(f"samples = {tree.n_node_samples[node]}")
        if is_clf:
            counts = np.round(tree.value[node, 0] * tree.weighted_n_node_samples[node]).astype(int)
            names = class_names if class_names is not None else decision_tree.classes_
            text.append(f"value = {counts.tolist()}")
            text.append(f"class = {names[int(np.argmax(counts))]}")
        else:
            text.append(f"value = {tree.value[node, 0, 0]:.3g}")
        ax.text(x, y, "\n".join(text), ha="center", va="center", fontsize=fontsize, zorder=3,
                bbox=dict(boxstyle="round", fc="#eef3fb", ec="#4a6fa5"))
        for child in (tree.children_left[node], tree.children_right[node]):
            if child != TREE_LEAF and child in pos:
                cx, cy = pos[child]
                ax.annotate("", xy=(cx, cy + 0.3), xytext=(x, y), zorder=1,  # behind the boxes
                            arrowprops=dict(arrowstyle="->", color="#555555"))
    ax.set_xlim(-0.7, max(next_x[0] - 0.3, 0.7))
    ax.set_ylim(min(p[1] for p in pos.values()) - 0.6, 0.6)
    ax.axis("off")
    return ax
