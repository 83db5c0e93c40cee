"""The scikit-learn estimator contract, without depending on scikit-learn at run time.

scikit-learn is a test-only dependency of mlcanon, so the classic estimators cannot inherit from
``sklearn.base.BaseEstimator``. This module gives them the same contract: ``get_params`` /
``set_params`` read the ``__init__`` signature, ``__sklearn_tags__`` answers scikit-learn's
``check_estimator`` (it imports scikit-learn only when scikit-learn itself asks), and the
helpers below validate ``X``/``y`` with the messages scikit-learn's checks look for.
"""

from __future__ import annotations

import copy
import functools
import inspect
import sys
import warnings
from typing import Any

import numpy as np

from mlcanon.validation import check_array, check_consistent_length

__all__ = [
    "BaseEstimator",
    "ClassifierMixin",
    "RegressorMixin",
    "TransformerMixin",
    "ClusterMixin",
    "DensityMixin",
    "NotFittedError",
    "DataConversionWarning",
    "ConvergenceWarning",
    "convergence_warning",
    "sklearn_compatible",
    "check_n_features",
    "check_n_classes",
    "check_is_fitted",
    "clone",
    "validate_X",
    "validate_X_y",
    "check_classification_targets",
    "check_random_state",
]


class NotFittedError(ValueError, AttributeError):
    """Raised when a method needs a fitted estimator (a ValueError and an AttributeError, as in scikit-learn)."""


class DataConversionWarning(UserWarning):
    """Input was converted in a way the caller may not expect (e.g. a column-vector y was ravelled)."""


class ConvergenceWarning(UserWarning):
    """An iterative solver stopped at ``max_iter`` before its stopping rule held."""


def convergence_warning() -> type:
    """The class to warn with: our ConvergenceWarning, which is also scikit-learn's when scikit-learn
    is loaded, so ``warnings.filterwarnings(category=sklearn.exceptions.ConvergenceWarning)`` catches it."""
    return sklearn_compatible(ConvergenceWarning, "ConvergenceWarning")


class BaseEstimator:
    """``get_params``/``set_params``/``__repr__`` from the ``__init__`` signature."""

    @classmethod
    def _param_names(cls) -> list[str]:
        init = cls.__init__
        if init is object.__init__:
            return []
        params = inspect.signature(init).parameters.values()
        for p in params:
            if p.kind == p.VAR_POSITIONAL:
                raise RuntimeError(f"{cls.__name__}: estimators must not take *args in __init__")
        return sorted(p.name for p in params if p.name != "self" and p.kind != p.VAR_KEYWORD)

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The constructor's arguments as they were given (``deep`` also lists nested estimators')."""
        out = {}
        for key in self._param_names():
            value = getattr(self, key)
            if deep and hasattr(value, "get_params") and not isinstance(value, type):
                out.update({f"{key}__{k}": v for k, v in value.get_params().items()})
            out[key] = value
        return out

    def set_params(self, **params: Any) -> BaseEstimator:
        """Set constructor arguments; ``nested__name`` reaches into a nested estimator."""
        valid = self.get_params(deep=True)
        nested: dict[str, dict[str, Any]] = {}
        for key, value in params.items():
            head, sep, sub = key.partition("__")
            if head not in valid:
                raise ValueError(
                    f"set_params: {head!r} is not a parameter of {type(self).__name__}; "
                    f"expected one of {sorted(self._param_names())}"
                )
            if sep:
                nested.setdefault(head, {})[sub] = value
            else:
                setattr(self, head, value)
        for head, sub_params in nested.items():
            getattr(self, head).set_params(**sub_params)
        return self

    def __repr__(self) -> str:
        defaults = {
            p.name: p.default for p in inspect.signature(type(self).__init__).parameters.values() if p.name != "self"
        }
        changed = []
        for k, v in self.get_params(deep=False).items():
            d = defaults.get(k, inspect.Parameter.empty)
            same = d is v or (type(d) is type(v) and _safe_equal(d, v))
            if not same:
                changed.append(f"{k}={v!r}")
        return f"{type(self).__name__}({', '.join(changed)})"

    def __sklearn_tags__(self):
        # Imported here: only scikit-learn's own machinery calls this, so scikit-learn is installed.
        from sklearn.utils import Tags, TargetTags

        return Tags(estimator_type=None, target_tags=TargetTags(required=False))

    def __getstate__(self):
        return dict(self.__dict__)


def _safe_equal(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except Exception:  # arrays and other objects without a scalar ==
        return False


class ClassifierMixin:
    """``score`` = accuracy; tags say "classifier"."""

    def score(self, X, y, sample_weight=None) -> float:
        """Mean accuracy of ``predict(X)`` against ``y`` (weighted by ``sample_weight``)."""
        y = np.asarray(y)
        pred = self.predict(X)
        check_consistent_length(X=X, y=y)
        return float(np.average(pred == y, weights=sample_weight))

    def __sklearn_tags__(self):
        from sklearn.utils import ClassifierTags

        tags = super().__sklearn_tags__()
        tags.estimator_type = "classifier"
        tags.classifier_tags = ClassifierTags()
        tags.target_tags.required = True
        return tags


class RegressorMixin:
    """``score`` = coefficient of determination R²; tags say "regressor"."""

    def score(self, X, y, sample_weight=None) -> float:
        """R² = 1 - SS_res / SS_tot of ``predict(X)`` against ``y``."""
        y = np.asarray(y, dtype=np.float64)
        pred = self.predict(X)
        w = np.ones_like(y) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        ss_res = np.sum(w * (y - pred) ** 2)
        ss_tot = np.sum(w * (y - np.average(y, weights=w)) ** 2)
        if ss_tot == 0:
            return 1.0 if ss_res == 0 else 0.0
        return float(1 - ss_res / ss_tot)

    def __sklearn_tags__(self):
        from sklearn.utils import RegressorTags

        tags = super().__sklearn_tags__()
        tags.estimator_type = "regressor"
        tags.regressor_tags = RegressorTags()
        tags.target_tags.required = True
        return tags


class TransformerMixin:
    """``fit_transform`` = ``fit`` then ``transform``."""

    def fit_transform(self, X, y=None, **fit_params):
        return self.fit(X, y, **fit_params).transform(X)

    def __sklearn_tags__(self):
        from sklearn.utils import TransformerTags

        tags = super().__sklearn_tags__()
        tags.transformer_tags = TransformerTags()
        return tags


class ClusterMixin:
    """``fit_predict``; tags say "clusterer"."""

    def fit_predict(self, X, y=None):
        return self.fit(X, y).predict(X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.estimator_type = "clusterer"
        return tags


class DensityMixin:
    """Tags say "density_estimator"; ``score`` is the mean log-likelihood."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.estimator_type = "density_estimator"
        return tags


def check_is_fitted(estimator: Any, attributes: str | list[str] | None = None) -> None:
    """Raise :class:`NotFittedError` unless ``estimator`` has the fitted ``attributes``
    (by default: any attribute that ends in ``_`` and does not start with ``_``)."""
    if attributes is None:
        fitted = any(k.endswith("_") and not k.startswith("__") for k in vars(estimator))
    else:
        names = [attributes] if isinstance(attributes, str) else attributes
        fitted = all(hasattr(estimator, a) for a in names)
    if not fitted:
        raise sklearn_compatible(NotFittedError, "NotFittedError")(
            f"This {type(estimator).__name__} instance is not fitted yet. "
            "Call 'fit' with appropriate arguments before using this estimator."
        )


def sklearn_compatible(ours: type, name: str) -> type:
    """``ours``, or a subclass of both ``ours`` and ``sklearn.exceptions.<name>`` when scikit-learn is loaded."""
    # scikit-learn's checks (and users of GridSearchCV) catch sklearn.exceptions.NotFittedError and
    # friends by class. When scikit-learn is already imported, raise a class that is both ours and
    # theirs; otherwise ours alone, so that mlcanon never imports scikit-learn itself.
    sk = sys.modules.get("sklearn.exceptions")
    return ours if sk is None else _both(ours, getattr(sk, name))


@functools.cache
def _both(ours: type, theirs: type) -> type:
    return type(ours.__name__, (ours, theirs), {"__module__": __name__})


def clone(estimator: BaseEstimator) -> BaseEstimator:
    """A new, unfitted estimator with the same parameters (deep-copied)."""
    params = estimator.get_params(deep=False)
    return type(estimator)(**{k: copy.deepcopy(v) for k, v in params.items()})


def validate_X(estimator: Any, X: Any, *, reset: bool, name: str = "X", dtype: Any = np.float64,
               min_samples: int = 1) -> np.ndarray:
    """Check ``X`` as a finite 2-D float array; on ``reset`` store ``n_features_in_``, otherwise
    check that the number of features matches the one seen in ``fit``."""
    X = check_array(X, name, ndim=2, dtype=dtype, min_samples=min_samples)
    check_n_features(estimator, X.shape[1], reset=reset)
    return X


def check_n_features(estimator: Any, n_features: int, *, reset: bool) -> None:
    """On ``reset`` (in ``fit``) store ``n_features_in_``; otherwise check ``n_features`` against it,
    with the message scikit-learn's checks look for."""
    if reset:
        estimator.n_features_in_ = n_features
        return
    check_is_fitted(estimator, "n_features_in_")
    if n_features != estimator.n_features_in_:
        raise ValueError(
            f"X has {n_features} features, but {type(estimator).__name__} is expecting "
            f"{estimator.n_features_in_} features as input."
        )


def validate_X_y(estimator: Any, X: Any, y: Any, *, dtype: Any = np.float64, y_numeric: bool = False,
                 min_samples: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Check ``X`` (2-D) and ``y`` (1-D, same length) for ``fit``; stores ``n_features_in_``."""
    if y is None:
        raise ValueError(f"{type(estimator).__name__} requires y to be passed, but the target y is None")
    X = validate_X(estimator, X, reset=True, dtype=dtype, min_samples=min_samples)
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        warnings.warn(
            # scikit-learn's check_supervised_y_2d looks for this wording
            f"A column-vector y was passed when a 1d array was expected; y was ravelled to shape ({y.shape[0]},)",
            sklearn_compatible(DataConversionWarning, "DataConversionWarning"),
            stacklevel=3,
        )
        y = y.ravel()
    if y.ndim != 1:
        raise ValueError(f"y: expected a 1-D array of shape (n_samples,), got shape {y.shape}")
    if y_numeric:
        y = check_array(y, "y", ndim=1, dtype=np.float64)
    elif y.dtype.kind == "f" and not np.isfinite(y).all():
        raise ValueError("y: expected finite values, got NaN or infinity")
    check_consistent_length(X=X, y=y)
    return X, y


def check_classification_targets(y: np.ndarray) -> None:
    """Reject continuous targets for a classifier, with scikit-learn's wording."""
    if y.dtype.kind == "f" and not np.all(np.mod(y, 1) == 0):
        raise ValueError(
            "Unknown label type: continuous. y: expected class labels (ints or strings), got float values; "
            "for regression use a regressor"
        )
    if y.dtype.kind == "O":
        kinds = {type(v) for v in y}
        if len(kinds) > 1:
            raise TypeError(f"y: expected labels of one type, got a mix of {sorted(k.__name__ for k in kinds)}")


def check_n_classes(classes: np.ndarray, estimator: Any) -> None:
    """A classifier's ``fit`` needs at least two classes to tell apart: one class is bad input.

    (scikit-learn's naive Bayes and trees accept it and predict the constant; mlcanon says
    plainly that there is nothing to learn. ``partial_fit`` with ``classes=`` declared up front
    may still see one class in a batch.)"""
    if len(classes) == 0:
        raise ValueError(f"y: {type(estimator).__name__} needs samples of at least 2 classes, got 0 samples")
    if len(classes) < 2:
        shown = repr(classes[0].item() if hasattr(classes[0], "item") else classes[0])
        raise ValueError(
            f"y: {type(estimator).__name__} needs samples of at least 2 classes, got 1 class ({shown})"
        )


def check_random_state(seed: Any) -> np.random.RandomState:
    """``None``/int/``RandomState`` -> a ``RandomState`` (as scikit-learn's helper of the same name)."""
    if seed is None or seed is np.random:
        return np.random.mtrand._rand
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        return np.random.RandomState(int(seed))
    if isinstance(seed, np.random.RandomState):
        return seed
    raise ValueError(f"random_state: expected None, an int or a numpy RandomState, got {seed!r}")
