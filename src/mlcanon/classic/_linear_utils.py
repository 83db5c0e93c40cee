"""Input checks shared by the linear models and naive Bayes: dense *or* sparse ``X``, sample and
class weights, and the ``partial_fit`` bookkeeping of classes.

scikit-learn's linear models and discrete naive Bayes accept CSR matrices (bag-of-words text);
``mlcanon.classic._base.validate_X`` is dense-only, so this module adds the sparse path with the
same messages. The class-weight rule is scikit-learn's ``compute_class_weight``:
``'balanced'`` gives class ``k`` the weight ``n_samples / (n_classes * count_k)`` (counts weighted
by ``sample_weight`` where the estimator passes it).
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
import scipy.sparse as sp

from mlcanon.classic._base import ConvergenceWarning, check_n_features, convergence_warning, validate_X, validate_X_y
from mlcanon.validation import check_array

__all__ = ["validate_X_any", "check_sample_weight", "class_weight_vector", "check_partial_fit_classes",
           "validate_X_y_any", "ConvergenceWarning", "convergence_warning"]


def validate_X_any(estimator: Any, X: Any, *, reset: bool, accept_sparse: bool = True) -> np.ndarray | sp.csr_matrix:
    """``X`` as a finite float64 array, or as a CSR matrix when it came sparse (and sparse is accepted).

    On ``reset`` stores ``n_features_in_``; otherwise checks the number of features against it.
    """
    if not sp.issparse(X):
        return validate_X(estimator, X, reset=reset)
    if not accept_sparse:
        raise TypeError(f"X: {type(estimator).__name__} expects a dense array-like, got a scipy.sparse matrix; "
                        "call .toarray() first")
    X = sp.csr_matrix(X, dtype=np.float64)
    if X.shape[0] < 1 or X.shape[1] < 1:
        raise ValueError(f"X: found array with shape {X.shape} while a minimum of 1 sample and 1 feature is required.")
    if not np.isfinite(X.data).all():
        raise ValueError("X: expected finite values, got NaN or infinity in the sparse matrix")
    check_n_features(estimator, X.shape[1], reset=reset)
    # Duplicate entries are left as they are (as scikit-learn does): products X @ W add them up.
    # Never sum_duplicates() here: it sorts indices in place, and csr_matrix(X, dtype) may share
    # them with the caller's matrix.
    return X


def check_sample_weight(sample_weight: Any, n_samples: int, allow_all_zero: bool = False) -> np.ndarray:
    """``None`` -> ones; a number -> that number for every sample; else a finite 1-D float array of length n_samples."""
    if sample_weight is None:
        return np.ones(n_samples, dtype=np.float64)
    if isinstance(sample_weight, numbers.Number) and not isinstance(sample_weight, bool):
        return np.full(n_samples, float(sample_weight))
    sw = check_array(sample_weight, "sample_weight", ndim=1, dtype=np.float64, min_samples=0, allow_empty=True)
    if sw.shape[0] != n_samples:
        raise ValueError(f"sample_weight.shape == {sw.shape}, expected ({n_samples},)!")
    if not allow_all_zero and n_samples and not np.any(sw):
        raise ValueError("sample_weight: Sample weights must contain at least one non-zero number; got all zeros")
    return sw.copy()


def class_weight_vector(class_weight: Any, classes: np.ndarray, y: np.ndarray,
                        sample_weight: np.ndarray | None = None) -> np.ndarray:
    """One weight per class in ``classes`` order: ``None`` -> ones, ``'balanced'``, or a dict label -> weight."""
    n_classes = len(classes)
    if class_weight is None or (isinstance(class_weight, dict) and not class_weight):
        return np.ones(n_classes)
    if isinstance(class_weight, str):
        if class_weight != "balanced":
            raise ValueError(f"class_weight: expected None, 'balanced' or a dict, got {class_weight!r}")
        idx = np.searchsorted(classes, y)
        counts = np.bincount(idx, weights=sample_weight, minlength=n_classes)
        with np.errstate(divide="ignore"):
            return counts.sum() / (n_classes * counts)
    if not isinstance(class_weight, dict):
        raise ValueError(f"class_weight: expected None, 'balanced' or a dict, got {class_weight!r}")
    weights = np.ones(n_classes)
    missing = []
    for i, c in enumerate(classes):
        key = c.item() if isinstance(c, np.generic) else c
        if key in class_weight:
            weights[i] = class_weight[key]
        else:
            missing.append(key)
    if missing and n_classes - len(missing) != len(class_weight):
        raise ValueError(f"class_weight: the classes {missing} are not in class_weight")
    unknown = [k for k in class_weight if k not in set(np.asarray(classes).tolist())]
    if unknown and not missing:
        raise ValueError(f"class_weight: keys {unknown} are not class labels; classes are {list(classes)}")
    return weights


def check_partial_fit_classes(estimator: Any, classes: Any) -> bool:
    """scikit-learn's first-call rule of ``partial_fit``; sets ``classes_`` and returns True on the first call."""
    seen = getattr(estimator, "classes_", None)
    if seen is None and classes is None:
        raise ValueError("classes must be passed on the first call to partial_fit.")
    if classes is None:
        return False
    classes = np.unique(np.asarray(classes))
    if seen is not None:
        if not np.array_equal(seen, classes):
            raise ValueError(f"`classes={classes!r}` is not the same as on last call to partial_fit, was: {seen!r}")
        return False
    estimator.classes_ = classes
    return True


def validate_X_y_any(estimator: Any, X: Any, y: Any, *, reset: bool = True,
                     accept_sparse: bool = True) -> tuple[np.ndarray | sp.csr_matrix, np.ndarray]:
    """``X`` (dense or CSR) and ``y`` for ``fit``; the ``y`` rules are those of ``validate_X_y``."""
    if y is None:
        raise ValueError(f"{type(estimator).__name__} requires y to be passed, but the target y is None")
    if not sp.issparse(X) and reset:
        X, y = validate_X_y(estimator, X, y)
        return X, y
    X = validate_X_any(estimator, X, reset=reset, accept_sparse=accept_sparse)
    # the y rules (column vector, 1-D, finite, same length) live in validate_X_y; run them on a stand-in X
    _, y = validate_X_y(_Scratch(), np.zeros((X.shape[0], 1)), y)
    return X, y


class _Scratch:
    """Receives the ``n_features_in_`` that validate_X_y stores, so the real estimator's is untouched."""


