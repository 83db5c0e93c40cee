"""CCA against scikit-learn's cross_decomposition.CCA on real paired features — the two halves of
MNIST images, and MNIST images paired with FSDD recordings of the same digit — and on random data.

Tolerances. solver='nipals' repeats scikit-learn's iteration operation for operation, so only
float64 rounding separates the two (1e-9 on unit-norm weights leaves room for the rounding to
grow over a few hundred iterations). solver='closed_form' is the iteration's fixed point: it
differs from scikit-learn by the error that scikit-learn's stopping rule ||Δw||² < tol leaves,
so with the default tol=1e-6 the weights agree to ~1e-2 and the correlations (stationary at the
optimum, so second order) to ~1e-5; run scikit-learn to convergence (tol=0) and they agree to 1e-10 (measured 4e-15 on MNIST).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlcanon import audio, data
from mlcanon.decompose import CCA, PCA

skcd = pytest.importorskip("sklearn.cross_decomposition")

ATTRS = ("x_weights_", "y_weights_", "x_loadings_", "y_loadings_", "x_rotations_", "y_rotations_", "coef_")


def sk_correlations(ref, X, Y):
    T, U = ref.transform(X, Y)
    return np.array([np.corrcoef(T[:, j], U[:, j])[0, 1] for j in range(T.shape[1])])


def assert_same_as_sklearn(ours, ref, X, Y, atol):
    for attr in ATTRS:
        np.testing.assert_allclose(getattr(ours, attr), getattr(ref, attr), rtol=0, atol=atol, err_msg=attr)
    To, Uo = ours.transform(X, Y)
    Tr, Ur = ref.transform(X, Y)
    scale = max(np.abs(Tr).max(), np.abs(Ur).max())
    np.testing.assert_allclose(To, Tr, rtol=0, atol=atol * scale)
    np.testing.assert_allclose(Uo, Ur, rtol=0, atol=atol * scale)


@pytest.fixture(scope="module")
def mnist_halves():
    """Top and bottom halves of 2,000 MNIST test images, each reduced to 20 principal components."""
    images, _ = data.load("mnist", "test")
    X = images[:2000].astype(np.float64) / 255.0
    top = X[:, :14].reshape(2000, -1)
    bottom = X[:, 14:].reshape(2000, -1)
    return PCA(20).fit_transform(top), PCA(15).fit_transform(bottom)


@pytest.fixture(scope="module")
def digits_image_and_voice():
    """The 300 FSDD test recordings (13 MFCC means each) paired with MNIST images of the same digit
    (the j-th recording of digit d with the j-th image of d, 20 principal components)."""
    fsdd = data.load("fsdd", "test")
    images, labels = data.load("mnist", "test")
    voice = np.stack([audio.mfcc(y=y, sr=fsdd.sample_rate, n_mfcc=13, n_fft=256, hop_length=80, n_mels=40).mean(axis=1)
                      for y in fsdd.signals]).astype(np.float64)  # (300, 13)
    seen = {d: 0 for d in range(10)}
    rows = []
    for d in fsdd.labels:
        rows.append(np.flatnonzero(labels == d)[seen[d]])
        seen[d] += 1
    image = PCA(20).fit_transform(images[rows].reshape(len(rows), -1) / 255.0)  # (300, 20)
    return image, voice, np.asarray(fsdd.labels)


# ---------------------------------------------------------------------------------------------
# Real data
# ---------------------------------------------------------------------------------------------
def test_mnist_halves_nipals_equals_sklearn(mnist_halves):
    X, Y = mnist_halves
    ours = CCA(n_components=4).fit(X, Y)
    ref = skcd.CCA(n_components=4).fit(X, Y)
    assert ours.n_iter_ == ref.n_iter_
    assert_same_as_sklearn(ours, ref, X, Y, atol=1e-9)
    np.testing.assert_allclose(ours.canonical_correlations_, sk_correlations(ref, X, Y), atol=1e-12)
    assert ours.canonical_correlations_[0] > 0.9  # the two halves of a digit are strongly related
    np.testing.assert_allclose(ours.predict(X[:50]), ref.predict(X[:50]), atol=1e-9)


def test_mnist_halves_closed_form_within_sklearns_tolerance(mnist_halves):
    X, Y = mnist_halves
    ours = CCA(n_components=4, solver="closed_form").fit(X, Y)
    ref = skcd.CCA(n_components=4).fit(X, Y)  # tol=1e-6
    np.testing.assert_allclose(ours.canonical_correlations_, sk_correlations(ref, X, Y), atol=1e-5)
    assert_same_as_sklearn(ours, ref, X, Y, atol=3e-2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tol=0 never stops early: "Maximum number of iterations reached"
        converged = skcd.CCA(n_components=4, tol=0.0, max_iter=3000).fit(X, Y)
    assert_same_as_sklearn(ours, converged, X, Y, atol=1e-10)  # measured 4e-15


def test_paired_digit_images_and_voices(digits_image_and_voice):
    image, voice, labels = digits_image_and_voice
    for scale in (True, False):
        ours = CCA(n_components=3, scale=scale).fit(image, voice)
        ref = skcd.CCA(n_components=3, scale=scale).fit(image, voice)
        assert_same_as_sklearn(ours, ref, image, voice, atol=1e-9)
        closed = CCA(n_components=3, scale=scale, solver="closed_form").fit(image, voice)
        np.testing.assert_allclose(closed.canonical_correlations_, sk_correlations(ref, image, voice), atol=1e-5)
    # the shared factor is the digit: the first canonical pair separates digits in both modalities
    T, U = ours.transform(image, voice)
    assert ours.canonical_correlations_[0] > 0.5
    class_means = np.array([T[labels == d, 0].mean() for d in range(10)])
    assert class_means.std() > 0.5 * T[:, 0].std()


# ---------------------------------------------------------------------------------------------
# Random data
# ---------------------------------------------------------------------------------------------
def latent_pair(seed, n=200, p=8, q=5, k=3, noise=0.5):
    rng = np.random.default_rng(seed)
    Z = rng.standard_normal((n, k))
    X = Z @ rng.standard_normal((k, p)) + noise * rng.standard_normal((n, p)) + rng.normal(0, 3, p)
    Y = Z @ rng.standard_normal((k, q)) + noise * rng.standard_normal((n, q)) * rng.uniform(0.5, 2, q)
    return X, Y


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**16), p=st.integers(3, 12), q=st.integers(2, 6), n=st.integers(40, 300),
       scale=st.booleans())
def test_nipals_equals_sklearn_on_random_data(seed, p, q, n, scale):
    X, Y = latent_pair(seed, n=n, p=p, q=q)
    k = min(2, q)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = CCA(n_components=k, scale=scale).fit(X, Y)
        ref = skcd.CCA(n_components=k, scale=scale).fit(X, Y)
    assert ours.n_iter_ == ref.n_iter_
    assert_same_as_sklearn(ours, ref, X, Y, atol=1e-8)


def test_closed_form_correlations_are_the_textbook_ones():
    # Hotelling: ρ² are the eigenvalues of Cxx⁻¹ Cxy Cyy⁻¹ Cyx
    X, Y = latent_pair(0, n=500, p=6, q=4)
    cca = CCA(n_components=4, solver="closed_form").fit(X, Y)
    Xc, Yc = X - X.mean(0), Y - Y.mean(0)
    Cxx, Cyy, Cxy = Xc.T @ Xc, Yc.T @ Yc, Xc.T @ Yc
    rho2 = np.sort(np.linalg.eigvals(np.linalg.solve(Cxx, Cxy) @ np.linalg.solve(Cyy, Cxy.T)).real)[::-1][:4]
    np.testing.assert_allclose(cca.canonical_correlations_, np.sqrt(rho2), atol=1e-10)
    # scores: uncorrelated within each side, correlated only pairwise across
    T, U = cca.transform(X, Y)
    C = np.corrcoef(T.T, U.T)
    np.testing.assert_allclose(C[:4, :4], np.eye(4), atol=1e-10)
    np.testing.assert_allclose(C[4:, 4:], np.eye(4), atol=1e-10)
    np.testing.assert_allclose(C[:4, 4:], np.diag(cca.canonical_correlations_), atol=1e-10)


def test_correlations_invariant_to_invertible_maps_of_the_inputs():
    X, Y = latent_pair(1, n=300, p=5, q=4)
    A = np.random.default_rng(2).standard_normal((5, 5)) + 3 * np.eye(5)
    a = CCA(3, solver="closed_form", scale=False).fit(X, Y).canonical_correlations_
    b = CCA(3, solver="closed_form", scale=False).fit(X @ A + 7.0, Y * 3.0).canonical_correlations_
    np.testing.assert_allclose(a, b, atol=1e-10)


def test_one_target_column_and_constant_residual():
    X, Y = latent_pair(3, n=120, p=6, q=2)
    y = Y[:, 0]
    ours, ref = CCA(1).fit(X, y), skcd.CCA(1).fit(X, y)
    assert_same_as_sklearn(ours, ref, X, y.reshape(-1, 1), atol=1e-10)
    assert ours.predict(X).shape == (120,)
    np.testing.assert_allclose(ours.predict(X), ref.predict(X), atol=1e-10)
    np.testing.assert_allclose(CCA(1, solver="closed_form").fit(X, y).x_rotations_, ref.x_rotations_, atol=1e-10)
    # two copies of one column: after the first pair nothing of Y is left
    Y2 = np.column_stack([y, y])
    with pytest.warns(UserWarning, match="y residual is constant at iteration 1"):
        ours = CCA(2).fit(X, Y2)
    with pytest.warns(UserWarning, match="y residual is constant at iteration 1"):
        ref = skcd.CCA(2).fit(X, Y2)
    np.testing.assert_allclose(ours.x_weights_, ref.x_weights_, atol=1e-10)
    with pytest.warns(UserWarning, match="y residual is constant at iteration 1"):
        CCA(2, solver="closed_form").fit(X, Y2)


def test_fit_transform_inverse_transform_and_names():
    X, Y = latent_pair(4)
    ours, ref = CCA(2), skcd.CCA(2)
    for a, b in zip(ours.fit_transform(X, Y), ref.fit_transform(X, Y)):
        np.testing.assert_allclose(a, b, atol=1e-10)
    T, U = ours.transform(X, Y)
    for a, b in zip(ours.inverse_transform(T, U), ref.inverse_transform(T, U)):
        np.testing.assert_allclose(a, b, atol=1e-10)
    np.testing.assert_allclose(ours.transform(X), ref.transform(X), atol=1e-10)
    assert list(ours.get_feature_names_out()) == list(ref.get_feature_names_out()) == ["cca0", "cca1"]
    assert CCA(3, solver="closed_form").get_params()["solver"] == "closed_form"


def test_errors():
    X, Y = latent_pair(5, n=50, p=4, q=3)
    with pytest.raises(ValueError, match=r"n_components: expected an int between 1 and min\(n_samples, n_features, n_targets\)=3, got 4"):
        CCA(4).fit(X, Y)
    with pytest.raises(ValueError, match="solver: expected one of 'nipals', 'closed_form', got 'svd'"):
        CCA(solver="svd").fit(X, Y)
    with pytest.raises(ValueError, match="max_iter: expected an int >= 1, got 0"):
        CCA(max_iter=0).fit(X, Y)
    with pytest.raises(ValueError, match="tol: expected a real number >= 0, got -1"):
        CCA(tol=-1).fit(X, Y)
    with pytest.raises(ValueError, match="y: expected 50 samples \\(as many as X\\), got 49"):
        CCA().fit(X, Y[:49])
    with pytest.raises(ValueError, match="X: found array with 1 sample"):
        CCA(1).fit(X[:1], Y[:1])
    with pytest.raises(ValueError, match="X: expected finite values, got NaN"):
        CCA().fit(np.full((5, 2), np.nan), Y[:5])
    cca = CCA(2)
    with pytest.raises(ValueError, match="This CCA instance is not fitted yet"):
        cca.transform(X)
    cca.fit(X, Y)
    with pytest.raises(ValueError, match=r"X: expected 4 columns \(as in fit\), got 3"):
        cca.transform(X[:, :3])
    with pytest.raises(ValueError, match=r"y: expected 3 columns \(as in fit\), got 2"):
        cca.transform(X, Y[:, :2])
