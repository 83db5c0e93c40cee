"""The estimator contract that the classic estimators share (mlcanon.classic._base)."""

import subprocess
import sys

import numpy as np
import pytest

from mlcanon.classic._base import (
    BaseEstimator,
    ClassifierMixin,
    NotFittedError,
    check_classification_targets,
    check_is_fitted,
    check_random_state,
    clone,
    validate_X,
    validate_X_y,
)


class Nearest(ClassifierMixin, BaseEstimator):
    """1-nearest-neighbour: small, but a real classifier, so check_estimator can judge the contract."""

    def __init__(self, metric="euclidean", scale=1.0):
        self.metric = metric
        self.scale = scale

    def fit(self, X, y):
        X, y = validate_X_y(self, X, y)
        check_classification_targets(y)
        self.X_, self.y_ = X, y
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        check_is_fitted(self)
        X = validate_X(self, X, reset=False)
        d = ((X[:, None, :] - self.X_[None, :, :]) ** 2).sum(-1)
        return self.y_[d.argmin(1)]


def test_check_estimator_passes_on_the_shared_contract():
    from sklearn.utils.estimator_checks import check_estimator

    with pytest.warns(UserWarning, match="does not inherit from `sklearn.base.BaseEstimator`"):
        check_estimator(Nearest())


def test_get_set_params_and_clone():
    est = Nearest(scale=2.0)
    assert est.get_params() == {"metric": "euclidean", "scale": 2.0}
    assert est.set_params(metric="l1") is est and est.metric == "l1"
    with pytest.raises(ValueError, match="set_params: 'alpha' is not a parameter of Nearest"):
        est.set_params(alpha=1)
    fitted = Nearest().fit([[0.0], [1.0]], [0, 1])
    copy = clone(fitted)
    assert not hasattr(copy, "classes_") and copy.get_params() == fitted.get_params()
    assert repr(Nearest(scale=3.0)) == "Nearest(scale=3.0)"


def test_not_fitted_error_is_sklearn_compatible_only_when_sklearn_is_loaded():
    import sklearn.exceptions

    with pytest.raises(sklearn.exceptions.NotFittedError, match="This Nearest instance is not fitted yet"):
        Nearest().predict([[0.0]])
    with pytest.raises(NotFittedError):
        Nearest().predict([[0.0]])
    code = "import sys, mlcanon.classic._base as b; b.check_random_state(0); assert 'sklearn' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_feature_count_mismatch_and_bad_targets():
    est = Nearest().fit([[0.0, 1.0], [1.0, 0.0]], ["a", "b"])
    with pytest.raises(ValueError, match="X has 3 features, but Nearest is expecting 2 features as input"):
        est.predict([[0.0, 1.0, 2.0]])
    with pytest.raises(ValueError, match="Unknown label type: continuous"):
        Nearest().fit([[0.0], [1.0]], [0.5, 1.5])
    with pytest.raises(ValueError, match="Nearest requires y to be passed"):
        Nearest().fit([[0.0]], None)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        Nearest().fit([[0.0], [1.0]], [0])


def test_check_random_state():
    assert check_random_state(3).randint(100) == np.random.RandomState(3).randint(100)
    rs = np.random.RandomState(0)
    assert check_random_state(rs) is rs
    with pytest.raises(ValueError, match="random_state: expected None, an int or a numpy RandomState, got 'x'"):
        check_random_state("x")
