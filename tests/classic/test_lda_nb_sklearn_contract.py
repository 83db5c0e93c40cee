"""LatentDirichletAllocation and GaussianNB beside scikit-learn 1.9 where issue 16 found them apart:
all-zero documents (bound_ = nan, not a ZeroDivisionError), get_feature_names_out, and GaussianNB
keeping a float32 X's dtype through fit and partial_fit. Expectations are scikit-learn's answers."""

import numpy as np
import pytest

from mlcanon.classic import GaussianNB, LatentDirichletAllocation

sk_decomposition = pytest.importorskip("sklearn.decomposition")
from sklearn.datasets import load_iris  # noqa: E402
from sklearn.naive_bayes import GaussianNB as SkGaussianNB  # noqa: E402


def test_lda_on_empty_documents_is_sklearns():
    Z = np.zeros((5, 4))
    with pytest.warns(RuntimeWarning):
        theirs = sk_decomposition.LatentDirichletAllocation(max_iter=20, random_state=0).fit(Z)
    with pytest.warns(RuntimeWarning):
        ours = LatentDirichletAllocation(max_iter=20, random_state=0).fit(Z)
    assert np.isnan(theirs.bound_) and np.isnan(ours.bound_)
    np.testing.assert_allclose(ours.components_, theirs.components_, rtol=1e-10)
    np.testing.assert_allclose(ours.components_.sum(axis=0), np.ones(4))


def test_lda_feature_names_out_are_sklearns():
    X = np.random.RandomState(0).randint(0, 5, (20, 8))
    ours = LatentDirichletAllocation(n_components=3, max_iter=2, random_state=0).fit(X)
    theirs = sk_decomposition.LatentDirichletAllocation(n_components=3, max_iter=2, random_state=0).fit(X)
    np.testing.assert_array_equal(ours.get_feature_names_out(), theirs.get_feature_names_out())
    with pytest.raises(ValueError, match="not fitted"):
        LatentDirichletAllocation().get_feature_names_out()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gaussian_nb_keeps_the_dtype_of_X_as_sklearn(dtype):
    X, y = load_iris(return_X_y=True)
    X = X.astype(dtype)
    for make in (lambda c: c.fit(X, y),
                 lambda c: c.partial_fit(X[::2], y[::2], np.unique(y)).partial_fit(X[1::2], y[1::2])):
        ours, theirs = make(GaussianNB()), make(SkGaussianNB())
        for attr in ("theta_", "var_", "class_prior_", "class_count_"):
            assert getattr(ours, attr).dtype == getattr(theirs, attr).dtype == dtype
            np.testing.assert_allclose(getattr(ours, attr), getattr(theirs, attr), rtol=1e-6 if dtype == np.float32
                                       else 1e-12)
        np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), atol=1e-5 if dtype == np.float32
                                   else 1e-12)
        np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))
