"""CategoricalHMM and GaussianHMM: equal to hmmlearn 0.3.3 on real sequences (SST-2 characters,
SST-2 sentence statistics), exact against brute-force enumeration of all state paths, stable on
10,000 steps, and with clear errors where hmmlearn gives IndexErrors."""

import itertools
import logging

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from threadpoolctl import threadpool_limits

from mlcanon.classic.hmm import CategoricalHMM, ConvergenceMonitor, GaussianHMM

hmm_ref = pytest.importorskip("hmmlearn.hmm")
logging.getLogger("hmmlearn").setLevel(logging.ERROR)

COV_TYPES = ["diag", "spherical", "full", "tied"]
IMPLS = ["log", "scaling"]


# ---- real data ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def sst2_chars():
    """The characters of 150 SST-2 sentences as symbol ids (a-z = 0..25, space 26, other 27)."""
    from mlcanon import data

    texts = data.load("sst2", "train").texts[:150]
    seqs = []
    for t in texts:
        ids = [ord(c) - 97 if "a" <= c <= "z" else 26 if c == " " else 27 for c in t.lower()]
        seqs.append(ids)
    X = np.concatenate(seqs)[:, None].astype(np.int64)
    return X, np.array([len(s) for s in seqs])


@pytest.fixture(scope="module")
def sst2_series():
    """A real 2-D series: per SST-2 sentence, log(number of characters) and the fraction of vowels,
    in file order, cut into 6 sequences of 200 sentences."""
    from mlcanon import data

    texts = data.load("sst2", "train").texts[:1200]
    X = np.array([[np.log(len(t)), sum(c in "aeiou" for c in t) / len(t)] for t in texts])
    return X, np.full(6, 200)


def cat_params(K, M, seed):
    rng = np.random.RandomState(seed)
    A = rng.dirichlet(np.ones(K), K) * 0.6 + np.eye(K) * 0.4
    return {"startprob_": rng.dirichlet(np.ones(K)), "transmat_": A, "emissionprob_": rng.dirichlet(np.ones(M), K)}


def gauss_params(K, X, covariance_type, seed):
    """hmmlearn-style starting point: means at data points, the data covariance spread per type."""
    rng = np.random.RandomState(seed)
    cv = np.cov(X.T) + 1e-3 * np.eye(X.shape[1])
    covars = {"spherical": np.full(K, cv.mean()) * rng.uniform(0.5, 1.5, K),
              "diag": np.tile(np.diag(cv), (K, 1)) * rng.uniform(0.5, 1.5, (K, 1)),
              "full": np.stack([cv * s for s in rng.uniform(0.5, 1.5, K)]),
              "tied": cv}[covariance_type]
    A = rng.dirichlet(np.ones(K), K) * 0.5 + np.eye(K) * 0.5
    return {"startprob_": rng.dirichlet(np.ones(K)), "transmat_": A,
            "means_": X[rng.choice(len(X), K, replace=False)], "covars_": covars}


def build(cls, values, **kw):
    model = cls(n_components=len(values["startprob_"]), init_params="", **kw)
    for name, value in values.items():
        setattr(model, name, np.array(value, copy=True))
    return model


def ours_and_ref(kind, params, **kw):
    if kind == "categorical":
        return build(CategoricalHMM, params, **kw), build(hmm_ref.CategoricalHMM, params, **kw)
    return build(GaussianHMM, params, **kw), build(hmm_ref.GaussianHMM, params, **kw)


def compact_covars(model):
    """hmmlearn keeps a fitted spherical model's variances tiled to (K, n_features)."""
    c = model._covars_
    if model.covariance_type == "spherical" and c.ndim == 2:
        return c[:, 0]
    return c


def path_log_prob(ref, X, lengths, path):
    """log p(X, Z = path) under the reference model, summed term by term (hmmlearn's emission densities)."""
    logB = ref._compute_log_likelihood(X)  # (T, K)
    with np.errstate(divide="ignore"):
        logpi, logA = np.log(ref.startprob_), np.log(ref.transmat_)
    total, start = 0.0, 0
    for n in lengths:
        z = path[start:start + n]
        total += logpi[z[0]] + logA[z[:-1], z[1:]].sum() + logB[np.arange(start, start + n), z].sum()
        start += n
    return total


def assert_same_or_co_optimal_path(ref, X, lengths, path_ours, path_ref, lp_ref):
    """Viterbi paths: an argmax over K candidates per step, on sums that the two libraries round alike only
    when they add in the same order. Where two paths differ by less than that rounding (~1e-12 relative on
    these log-probabilities) either is the optimum, so a path that differs from hmmlearn's must score as
    much as hmmlearn's best; a wrong recursion gives a worse path and fails. Identical on the CPUs seen."""
    if not np.array_equal(path_ours, path_ref):
        assert path_log_prob(ref, X, lengths, path_ours) == pytest.approx(lp_ref, rel=1e-12)


def assert_same_map_path(post_ref, map_ours, map_ref, atol):
    """Posterior (MAP) decoding: argmax_k of gamma_t(k), which both libraries give to atol; a position may
    only differ where hmmlearn's two best posteriors are within 2 * atol (a near-tie)."""
    top2 = np.sort(post_ref, axis=1)[:, -2:]
    differ = map_ours != map_ref
    assert np.all(top2[differ, 1] - top2[differ, 0] <= 2 * atol)


# ---- a tiny hand-checkable case -----------------------------------------------------------------
def test_hand_checked_two_state_example():
    # P(x=[0]) = 0.6*0.1 + 0.4*0.6 = 0.3; Viterbi of one frame = argmax(0.06, 0.24) = state 1
    hmm = build(CategoricalHMM, {"startprob_": [0.6, 0.4], "transmat_": [[0.7, 0.3], [0.4, 0.6]],
                                 "emissionprob_": [[0.1, 0.4, 0.5], [0.6, 0.3, 0.1]]})
    assert hmm.score([[0]]) == pytest.approx(np.log(0.3), abs=1e-15)
    assert hmm.predict([[0]]).tolist() == [1]
    np.testing.assert_allclose(hmm.predict_proba([[0]]), [[0.2, 0.8]], atol=1e-15)
    # two frames: P = sum over the 4 paths
    p = sum(hmm.startprob_[a] * hmm.emissionprob_[a, 0] * hmm.transmat_[a, b] * hmm.emissionprob_[b, 2]
            for a in range(2) for b in range(2))
    assert hmm.score([[0], [2]]) == pytest.approx(np.log(p), abs=1e-14)


# ---- parity with hmmlearn on real sequences -----------------------------------------------------
@pytest.mark.parametrize("impl", IMPLS)
def test_categorical_matches_hmmlearn_on_sst2_characters(sst2_chars, impl):
    X, lengths = sst2_chars
    ours, ref = ours_and_ref("categorical", cat_params(6, 28, 0), implementation=impl)
    s_ours, s_ref = ours.score(X, lengths), ref.score(X, lengths)
    assert abs(s_ours - s_ref) <= 1e-8 * abs(s_ref)
    lp_ours, path_ours = ours.decode(X, lengths)
    lp_ref, path_ref = ref.decode(X, lengths)
    assert_same_or_co_optimal_path(ref, X, lengths, path_ours, path_ref, lp_ref)
    assert lp_ours == pytest.approx(lp_ref, rel=1e-12)
    post_ref = ref.predict_proba(X, lengths)
    np.testing.assert_allclose(ours.predict_proba(X, lengths), post_ref, atol=1e-10)
    lp_ours, map_ours = ours.decode(X, lengths, algorithm="map")
    lp_ref, map_ref = ref.decode(X, lengths, algorithm="map")
    assert_same_map_path(post_ref, map_ours, map_ref, atol=1e-10)
    assert lp_ours == pytest.approx(lp_ref, rel=1e-10)
    assert ours.bic(X, lengths) == pytest.approx(ref.bic(X, lengths), rel=1e-10)
    assert ours.aic(X, lengths) == pytest.approx(ref.aic(X, lengths), rel=1e-10)


@pytest.mark.parametrize("impl", IMPLS)
def test_categorical_baum_welch_steps_match_hmmlearn(sst2_chars, impl):
    X, lengths = sst2_chars
    params = cat_params(6, 28, 1)
    for n_iter, tol in ((1, 1e-10), (5, 1e-8)):
        ours, ref = ours_and_ref("categorical", params, implementation=impl, n_iter=n_iter, tol=-np.inf)
        ours.fit(X, lengths)
        ref.fit(X, lengths)
        for name in ("startprob_", "transmat_", "emissionprob_"):
            np.testing.assert_allclose(getattr(ours, name), getattr(ref, name), atol=tol, err_msg=name)
        np.testing.assert_allclose(list(ours.monitor_.history), list(ref.monitor_.history), rtol=1e-10)


def test_categorical_priors_and_random_init_match_hmmlearn(sst2_chars):
    X, lengths = sst2_chars
    kw = dict(n_components=4, n_iter=4, random_state=7, startprob_prior=2.0, transmat_prior=1.5,
              emissionprob_prior=1.2)
    ours = CategoricalHMM(**kw).fit(X, lengths)
    ref = hmm_ref.CategoricalHMM(**kw).fit(X, lengths)
    for name in ("startprob_", "transmat_", "emissionprob_"):
        np.testing.assert_allclose(getattr(ours, name), getattr(ref, name), atol=1e-9, err_msg=name)
    assert ours.random_state == 7  # hmmlearn replaces it with a RandomState; we do not touch it


@pytest.mark.parametrize("covariance_type", COV_TYPES)
@pytest.mark.parametrize("impl", IMPLS)
def test_gaussian_matches_hmmlearn_on_sst2_series(sst2_series, covariance_type, impl):
    X, lengths = sst2_series
    params = gauss_params(3, X, covariance_type, 0)
    kw = dict(covariance_type=covariance_type, implementation=impl)
    ours, ref = ours_and_ref("gaussian", params, **kw)
    s_ours, s_ref = ours.score(X, lengths), ref.score(X, lengths)
    assert abs(s_ours - s_ref) <= 1e-8 * max(1.0, abs(s_ref))
    lp_ref, path_ref = ref.decode(X, lengths)
    assert_same_or_co_optimal_path(ref, X, lengths, ours.predict(X, lengths), path_ref, lp_ref)
    np.testing.assert_allclose(ours.predict_proba(X, lengths), ref.predict_proba(X, lengths), atol=1e-10)
    np.testing.assert_allclose(ours.covars_, ref.covars_, rtol=1e-14)
    assert ours.aic(X, lengths) == pytest.approx(ref.aic(X, lengths), rel=1e-10)
    for n_iter, tol in ((1, 1e-9), (5, 1e-7)):
        ours, ref = ours_and_ref("gaussian", params, n_iter=n_iter, tol=-np.inf, **kw)
        ours.fit(X, lengths)
        ref.fit(X, lengths)
        for name in ("startprob_", "transmat_", "means_"):
            np.testing.assert_allclose(getattr(ours, name), getattr(ref, name), atol=tol, err_msg=name)
        np.testing.assert_allclose(compact_covars(ours), compact_covars(ref), atol=tol)
        np.testing.assert_allclose(list(ours.monitor_.history), list(ref.monitor_.history), rtol=1e-10)


@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_gaussian_default_fit_matches_hmmlearn_including_kmeans_init(sst2_series, covariance_type):
    """hmmlearn initialises the means with sklearn's KMeans(n_init=10); ours draws the same seeds."""
    X, lengths = sst2_series
    kw = dict(n_components=3, covariance_type=covariance_type, n_iter=5, random_state=3,
              means_prior=0.1, means_weight=0.5, covars_prior=0.02, covars_weight=2)
    ours = GaussianHMM(**kw).fit(X, lengths)
    with threadpool_limits(limits=1):  # sklearn's KMeans spins OpenMP threads: slow on a shared CI box
        ref = hmm_ref.GaussianHMM(**kw).fit(X, lengths)
    np.testing.assert_allclose(ours.means_, ref.means_, atol=1e-7)
    np.testing.assert_allclose(compact_covars(ours), compact_covars(ref), atol=1e-7)
    np.testing.assert_allclose(ours.transmat_, ref.transmat_, atol=1e-7)
    assert ours.monitor_.history[-1] == pytest.approx(ref.monitor_.history[-1], rel=1e-10)


def test_left_right_model_with_zeros_matches_hmmlearn():
    """Forbidden transitions and well-separated states: the fast log-space path must fall back to the
    exact log-sum-exp, and zeros must stay zero through Baum-Welch (hmmlearn's rule)."""
    K = 4
    A = np.array([[0.9, 0.1, 0, 0], [0, 0.9, 0.1, 0], [0, 0, 0.9, 0.1], [0, 0, 0, 1.0]])
    params = {"startprob_": np.array([1.0, 0, 0, 0]), "transmat_": A,
              "means_": np.arange(K)[:, None] * 40.0, "covars_": np.ones((K, 1))}
    X = np.concatenate([np.full(30, 40.0 * k) for k in range(K)])[:, None]
    X = X + np.random.RandomState(0).randn(*X.shape)
    for impl in ("log",):
        ours, ref = ours_and_ref("gaussian", params, implementation=impl, n_iter=3, tol=-np.inf)
        assert ours.score(X) == pytest.approx(ref.score(X), rel=1e-12)
        np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-12)
        ours.fit(X)
        ref.fit(X)
        np.testing.assert_allclose(ours.transmat_, ref.transmat_, atol=1e-12)
        assert (ours.transmat_[A == 0] == 0).all()


def test_viterbi_ties_are_broken_as_hmmlearn():
    params = {"startprob_": np.full(3, 1 / 3), "transmat_": np.full((3, 3), 1 / 3),
              "emissionprob_": np.full((3, 2), 0.5)}
    ours, ref = ours_and_ref("categorical", params)
    X = np.array([[0], [1], [1], [0], [1]])
    # exact on any CPU: every candidate is the same expression of the same numbers, so the ties are exact ties
    np.testing.assert_array_equal(ours.predict(X), ref.predict(X))


@pytest.mark.parametrize("kind", ["categorical", "gaussian"])
def test_sample_equals_hmmlearn_with_the_same_seed(kind):
    if kind == "categorical":
        params = cat_params(4, 7, 3)
    else:
        params = gauss_params(3, np.random.RandomState(1).randn(50, 2), "full", 2)
    ours, ref = ours_and_ref(kind, params, **({} if kind == "categorical" else {"covariance_type": "full"}))
    X1, z1 = ours.sample(300, random_state=5)
    X2, z2 = ref.sample(300, random_state=5)
    # exact on any CPU: the same MT19937 draws compared with np.cumsum of the same transmat_ (one fixed order)
    np.testing.assert_array_equal(z1, z2)
    np.testing.assert_allclose(X1, X2, atol=1e-12)


# ---- brute force: enumerate every state path -----------------------------------------------------
def enumerate_paths(pi, A, frame_lik):
    T, K = frame_lik.shape
    joint = {}
    for path in itertools.product(range(K), repeat=T):
        p = pi[path[0]] * frame_lik[0, path[0]]
        for t in range(1, T):
            p *= A[path[t - 1], path[t]] * frame_lik[t, path[t]]
        joint[path] = p
    return joint


@given(st.integers(1, 3), st.integers(1, 5), st.integers(2, 3), st.integers(0, 10_000), st.sampled_from(IMPLS))
def test_categorical_equals_brute_force(K, T, M, seed, impl):
    rng = np.random.RandomState(seed)
    params = {"startprob_": rng.dirichlet(np.ones(K)), "transmat_": rng.dirichlet(np.ones(K), K),
              "emissionprob_": rng.dirichlet(np.ones(M), K)}
    X = rng.randint(M, size=(T, 1))
    hmm = build(CategoricalHMM, params, implementation=impl)
    joint = enumerate_paths(params["startprob_"], params["transmat_"], params["emissionprob_"][:, X[:, 0]].T)
    total = sum(joint.values())
    assert hmm.score(X) == pytest.approx(np.log(total), rel=1e-12, abs=1e-12)
    best = max(joint, key=joint.get)
    logprob, path = hmm.decode(X)
    assert logprob == pytest.approx(np.log(joint[best]), rel=1e-12, abs=1e-12)
    assert joint[tuple(path)] == pytest.approx(joint[best], rel=1e-12)  # equal-probability paths may tie
    marg = np.zeros((T, K))
    for p, v in joint.items():
        marg[np.arange(T), p] += v / total
    np.testing.assert_allclose(hmm.predict_proba(X), marg, atol=1e-12)


@given(st.integers(1, 3), st.integers(1, 4), st.integers(0, 10_000))
def test_gaussian_equals_brute_force(K, T, seed):
    rng = np.random.RandomState(seed)
    means, var = rng.randn(K, 1) * 2, rng.uniform(0.3, 2.0, (K, 1))
    params = {"startprob_": rng.dirichlet(np.ones(K)), "transmat_": rng.dirichlet(np.ones(K), K),
              "means_": means, "covars_": var}
    X = rng.randn(T, 1) * 2
    hmm = build(GaussianHMM, params)
    lik = np.exp(-0.5 * (X - means.T) ** 2 / var.T) / np.sqrt(2 * np.pi * var.T)
    joint = enumerate_paths(params["startprob_"], params["transmat_"], lik)
    assert hmm.score(X) == pytest.approx(np.log(sum(joint.values())), rel=1e-11, abs=1e-11)
    best = max(joint, key=joint.get)
    assert joint[tuple(hmm.predict(X))] == pytest.approx(joint[best], rel=1e-11)


# ---- stability and learning ---------------------------------------------------------------------
@pytest.mark.parametrize("impl", IMPLS)
def test_ten_thousand_steps_give_a_finite_log_likelihood(impl):
    params = cat_params(5, 10, 4)
    ours, ref = ours_and_ref("categorical", params, implementation=impl)
    X, _ = ref.sample(10_000, random_state=0)
    score = ours.score(X)
    assert np.isfinite(score) and score < -10_000  # log P is far below the smallest double's log
    assert score == pytest.approx(ref.score(X), rel=1e-12)
    assert np.isfinite(ours.predict_proba(X)).all()


def test_sample_then_refit_recovers_parameters_and_likelihood_rises():
    true = {"startprob_": np.array([0.7, 0.3]), "transmat_": np.array([[0.95, 0.05], [0.1, 0.9]]),
            "emissionprob_": np.array([[0.7, 0.2, 0.1], [0.05, 0.15, 0.8]])}
    gen = build(CategoricalHMM, true)
    X, _ = gen.sample(20_000, random_state=0)
    model = CategoricalHMM(2, n_iter=200, tol=1e-6, random_state=1).fit(X)
    hist = np.array(model.monitor_.history)
    assert (np.diff(hist) >= -1e-8).all()  # EM never lowers the likelihood
    assert hist[-1] > hist[0]
    order = np.argsort(model.emissionprob_[:, 0])[::-1]  # states come back in any order
    np.testing.assert_allclose(model.emissionprob_[order], true["emissionprob_"], atol=0.03)
    np.testing.assert_allclose(model.transmat_[np.ix_(order, order)], true["transmat_"], atol=0.03)


def test_gaussian_sample_then_refit_recovers_means():
    true = {"startprob_": np.array([0.5, 0.5]), "transmat_": np.array([[0.9, 0.1], [0.2, 0.8]]),
            "means_": np.array([[0.0, 0.0], [4.0, -2.0]]), "covars_": np.array([[1.0, 0.5], [0.5, 1.0]])}
    gen = build(GaussianHMM, true)
    X, _ = gen.sample(5_000, random_state=0)
    model = GaussianHMM(2, n_iter=50, random_state=0).fit(X)
    assert (np.diff(list(model.monitor_.history)) >= -1e-8).all()
    order = np.argsort(model.means_[:, 0])
    np.testing.assert_allclose(model.means_[order], true["means_"], atol=0.1)
    np.testing.assert_allclose(model.covars_[order][:, [0, 1], [0, 1]], true["covars_"], atol=0.1)


def test_fit_supervised_counts_with_smoothing():
    X = np.array([[0], [1], [1], [2], [0], [0]])
    states = np.array([0, 0, 1, 1, 0, 1])
    hmm = CategoricalHMM(2, n_features=3).fit_supervised(X, states, lengths=[4, 2], smoothing=1.0)
    # starts: seq 0 in state 0, seq 1 in state 0 -> (2+1, 0+1) / 4
    np.testing.assert_allclose(hmm.startprob_, [3 / 4, 1 / 4])
    # transitions inside sequences: 0->0, 0->1, 1->1 | 0->1  => row0 (1+1, 2+1)/5, row1 (0+1, 1+1)/3
    np.testing.assert_allclose(hmm.transmat_, [[2 / 5, 3 / 5], [1 / 3, 2 / 3]])
    # emissions: state 0 emits 0,1,0 ; state 1 emits 1,2,0
    np.testing.assert_allclose(hmm.emissionprob_, [[3 / 6, 2 / 6, 1 / 6], [2 / 6, 2 / 6, 2 / 6]])
    mle = CategoricalHMM(2, n_features=3).fit_supervised(X, states, lengths=[4, 2], smoothing=0.0)
    np.testing.assert_allclose(mle.transmat_, [[1 / 3, 2 / 3], [0, 1]])


def test_gaussian_fit_supervised_gives_state_means():
    X = np.array([[0.0], [1.0], [10.0], [12.0]])
    hmm = GaussianHMM(2, min_covar=0.0).fit_supervised(X, [0, 0, 1, 1])
    np.testing.assert_allclose(hmm.means_, [[0.5], [11.0]])
    np.testing.assert_allclose(hmm._covars_, [[0.25], [1.0]])


def test_viterbi_trellis_is_consistent_with_decode(sst2_chars):
    X, lengths = sst2_chars
    hmm = build(CategoricalHMM, cat_params(4, 28, 2))
    delta, back, path = hmm.viterbi_trellis(X[:300], [100, 200])
    lp, path2 = hmm.decode(X[:300], [100, 200])
    np.testing.assert_array_equal(path, path2)
    assert lp == pytest.approx(delta[99].max() + delta[299].max())
    assert (back[[0, 100]] == -1).all()
    assert all(back[t, path[t]] == path[t - 1] for t in range(1, 300) if t != 100)


def test_convergence_monitor_alone():
    m = ConvergenceMonitor(tol=0.5, n_iter=100, verbose=False)
    m.report(-10.0)
    assert not m.converged
    m.report(-9.0)
    assert not m.converged
    m.report(-8.8)
    assert m.converged and m.iter == 3 and list(m.history) == [-10.0, -9.0, -8.8]


def test_fit_stops_when_gain_below_tol(sst2_chars):
    X, lengths = sst2_chars
    hmm = CategoricalHMM(3, n_iter=500, tol=1.0, random_state=0).fit(X, lengths)
    h = list(hmm.monitor_.history)
    assert hmm.monitor_.iter == len(h) < 500 and h[-1] - h[-2] < 1.0


def test_covars_stored_for_fitted_spherical_model_has_full_shape(sst2_series):
    X, lengths = sst2_series
    hmm = GaussianHMM(2, covariance_type="spherical", n_iter=2, random_state=0).fit(X, lengths)
    assert hmm.covars_.shape == (2, 2, 2)  # hmmlearn gives (4, 2, 2) here
    np.testing.assert_allclose(hmm.covars_[:, 0, 0], hmm.covars_[:, 1, 1])


# ---- errors -------------------------------------------------------------------------------------
@pytest.fixture
def small_cat():
    return build(CategoricalHMM, cat_params(2, 3, 0))


def test_out_of_range_symbol_names_symbol_sequence_and_range(small_cat):
    X = np.array([[0], [1], [2], [0], [5], [1]])
    with pytest.raises(ValueError, match=r"symbol 5 at position 1 of sequence 1 \(row 4\).*symbols 0\.\.2"):
        small_cat.score(X, lengths=[3, 3])
    with pytest.raises(ValueError, match=r"symbol -1 at position 0 of sequence 0"):
        small_cat.predict([[-1], [0]])


def test_empty_sequence_and_length_mismatch(small_cat):
    with pytest.raises(ValueError, match=r"lengths: expected positive lengths \(no empty sequence\), got 0"):
        small_cat.score([[0], [1]], lengths=[2, 0])
    with pytest.raises(ValueError, match=r"lengths: expected lengths that sum to n_samples=2, got a sum of 3"):
        small_cat.score([[0], [1]], lengths=[1, 2])
    with pytest.raises(ValueError, match=r"X: found array with 0 sample"):
        small_cat.score(np.empty((0, 1), dtype=int))
    with pytest.raises(ValueError, match=r"states: expected one state per frame \(2\), got 3"):
        CategoricalHMM(2).fit_supervised([[0], [1]], [0, 1, 1])


def test_all_zero_rows_are_named(small_cat):
    small_cat.transmat_ = np.array([[0.5, 0.5], [0.0, 0.0]])
    with pytest.raises(ValueError, match=r"transmat_: row 1 is all zeros"):
        small_cat.score([[0]])
    small_cat.transmat_ = np.array([[0.5, 0.5], [0.5, 0.5]])
    small_cat.emissionprob_ = np.array([[0.0, 0.0, 0.0], [0.2, 0.3, 0.5]])
    with pytest.raises(ValueError, match=r"emissionprob_: row 0 is all zeros"):
        small_cat.predict([[0]])
    small_cat.emissionprob_ = np.array([[0.3, 0.3, 0.3], [0.2, 0.3, 0.5]])
    with pytest.raises(ValueError, match=r"emissionprob_: expected probabilities that sum to 1 in row 0, got a sum of 0.9"):
        small_cat.predict([[0]])
    with pytest.raises(ValueError, match=r"transmat_ counts: state 1 is never followed"):
        CategoricalHMM(2).fit_supervised([[0], [1]], [0, 1], smoothing=0.0)


def test_other_input_errors(small_cat):
    with pytest.raises(TypeError, match=r"X: expected integer symbols, got dtype float64"):
        small_cat.score([[0.5], [1.0]])
    with pytest.raises(ValueError, match=r"X: expected one symbol per row, shape \(n_samples, 1\)"):
        small_cat.score([[0, 1]])
    with pytest.raises(ValueError, match=r"algorithm: expected one of 'viterbi', 'map', got 'beam'"):
        small_cat.decode([[0]], algorithm="beam")
    with pytest.raises(ValueError, match="not fitted"):
        CategoricalHMM(2).score([[0]])
    g = build(GaussianHMM, {"startprob_": [1.0], "transmat_": [[1.0]], "means_": [[0.0, 0.0]],
                            "covars_": [[1.0, 1.0]]})
    with pytest.raises(ValueError, match=r"X: expected 2 features \(the model's n_features\), got 3"):
        g.score(np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"X: expected finite values, got NaN at index \(1, 0\)"):
        g.score([[0.0, 0.0], [np.nan, 0.0]])
    with pytest.raises(ValueError, match=r"covars_: 'diag' covars must be positive"):
        g.covars_ = [[1.0, -1.0]]
    full = GaussianHMM(2, covariance_type="full")
    with pytest.raises(ValueError, match=r"component 1 of 'full' covars must be symmetric, positive-definite"):
        full.covars_ = np.array([np.eye(2), [[1.0, 2.0], [2.0, 1.0]]])
    with pytest.raises(ValueError, match=r"states: expected labels in \[0, 1\]"):
        GaussianHMM(2).fit_supervised([[0.0], [1.0]], [0, 2])
    with pytest.raises(ValueError, match=r"state 1 never appears"):
        GaussianHMM(2).fit_supervised([[0.0], [1.0]], [0, 0])


def test_scaling_underflow_is_reported_with_its_place():
    hmm = build(GaussianHMM, {"startprob_": [1.0], "transmat_": [[1.0]], "means_": [[0.0]], "covars_": [[1.0]]},
                implementation="scaling")
    with pytest.raises(ValueError, match=r"underflow at frame 1 of sequence 1 .*implementation='log'"):
        hmm.score([[0.0], [0.0], [1e3]], lengths=[1, 2])
    hmm.implementation = "log"
    assert np.isfinite(hmm.score([[0.0], [0.0], [1e3]], lengths=[1, 2]))


def test_covariance_update_without_mean_update_uses_the_posteriors(sst2_series):
    """params="c": hmmlearn would divide by zero counts (it gathers them only with "m"); ours gives
    the M-step formula: (covars_prior + sum_t gamma_t (x_t - mu)^2) / (max(covars_weight - 1, 0) + sum_t gamma_t)."""
    X, lengths = sst2_series
    start = gauss_params(3, X, "diag", 5)
    hmm = build(GaussianHMM, start, params="c", n_iter=1)
    gamma = hmm.predict_proba(X, lengths)
    hmm.fit(X, lengths)
    mu = start["means_"]
    expected = (1e-2 + np.stack([gamma[:, k] @ (X - mu[k]) ** 2 for k in range(3)])) / gamma.sum(axis=0)[:, None]
    np.testing.assert_allclose(hmm._covars_, expected, rtol=1e-9)
    np.testing.assert_array_equal(hmm.means_, mu)
