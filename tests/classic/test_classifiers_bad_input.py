"""Issue 6's list of bad input, for every classifier in the registry: NaN, inf, 1-D X, mismatched
lengths, a single class, continuous labels, predict before fit, a wrong number of features at
predict — each a clear error with the same wording across estimators. The estimators' own test
files keep only the bad input peculiar to them (sample weights, hyper-parameters, overflow)."""

import numpy as np
import pytest

from mlcanon.classic import (
    BernoulliNB,
    DecisionTreeClassifier,
    GaussianNB,
    LogisticRegression,
    MultinomialNB,
    Perceptron,
    RandomForestClassifier,
    SVC,
)

CLASSIFIERS = [
    Perceptron, LogisticRegression, GaussianNB, MultinomialNB, BernoulliNB, SVC, DecisionTreeClassifier,
    lambda: RandomForestClassifier(n_estimators=3, random_state=0),
]
X = np.array([[1.0, 2.0], [0.0, 1.0], [2.0, 0.0], [3.0, 1.0]])
y = np.array([0, 1, 0, 1])


def _name(make):
    return type(make()).__name__


@pytest.fixture(params=CLASSIFIERS, ids=_name)
def make(request):
    return request.param


def test_nan_and_inf_are_refused(make):
    for bad, word in ((np.nan, "NaN"), (np.inf, "infinity")):
        Xb = X.copy()
        Xb[1, 0] = bad
        with pytest.raises(ValueError, match=rf"X: expected finite values, got {word} at index \(1, 0\)"):
            make().fit(Xb, y)


def test_one_dimensional_X(make):
    with pytest.raises(ValueError, match=r"X: expected a 2-D array, got shape \(4,\). Reshape your data"):
        make().fit(X[:, 0], y)


def test_mismatched_lengths(make):
    with pytest.raises(ValueError, match="inconsistent numbers of samples: expected equal lengths, got X=4, y=3"):
        make().fit(X, y[:3])


def test_a_single_class(make):
    name = _name(make)
    with pytest.raises(ValueError, match=rf"y: {name} needs samples of at least 2 classes, got 1 class \(1\)"):
        make().fit(X, np.ones(4, dtype=int))


def test_continuous_labels(make):
    with pytest.raises(ValueError, match="Unknown label type: continuous"):
        make().fit(X, y + 0.5)


def test_predict_before_fit(make):
    with pytest.raises(ValueError, match=rf"This {_name(make)} instance is not fitted yet"):
        make().predict(X)


def test_wrong_number_of_features_at_predict(make):
    clf = make().fit(X, y)
    with pytest.raises(ValueError, match=rf"X has 3 features, but {_name(make)} is expecting 2 features as input"):
        clf.predict(np.ones((2, 3)))
