"""Warnings a user filters on (issue 16): with scikit-learn loaded, a filter on scikit-learn's
UndefinedMetricWarning catches ours, as one on its ConvergenceWarning already does; and
LogisticRegression(penalty=None, C=...) says what scikit-learn says."""

import warnings

import numpy as np
import pytest

from mlcanon.classic import LogisticRegression
from mlcanon.metrics import f1_score, precision_score
from mlcanon.metrics.classification import UndefinedMetricWarning

sk_exceptions = pytest.importorskip("sklearn.exceptions")
from sklearn.linear_model import LogisticRegression as SkLogisticRegression  # noqa: E402
from sklearn.metrics import precision_score as sk_precision_score  # noqa: E402

Y_TRUE, Y_PRED = [0, 1, 1, 0], [0, 0, 0, 0]  # label 1 never predicted: precision is 0/0


def test_undefined_metric_warning_is_caught_by_sklearns_class():
    with pytest.warns(sk_exceptions.UndefinedMetricWarning) as theirs:
        sk_precision_score(Y_TRUE, Y_PRED)
    with pytest.warns(sk_exceptions.UndefinedMetricWarning) as ours:
        precision_score(Y_TRUE, Y_PRED)
    assert str(ours[0].message) == str(theirs[0].message)
    assert isinstance(ours[0].message, UndefinedMetricWarning)  # and still ours
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.filterwarnings("ignore", category=sk_exceptions.UndefinedMetricWarning)
        assert f1_score(Y_TRUE, Y_PRED) == 0.0  # filtered, not raised


def test_penalty_none_with_C_warns_as_sklearn():
    X = np.random.RandomState(0).randn(40, 3)
    y = (X[:, 0] > 0).astype(int)
    messages = []
    for cls in (SkLogisticRegression, LogisticRegression):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            cls(penalty=None, C=0.5).fit(X, y)
        messages.append({str(w.message) for w in caught if w.category is UserWarning})
    assert "Setting penalty=None will ignore the C and l1_ratio parameters" in messages[0] & messages[1]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        LogisticRegression(penalty=None).fit(X, y)  # C left at its default: no warning, as scikit-learn
