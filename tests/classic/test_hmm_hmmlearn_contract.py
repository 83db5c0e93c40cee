"""HMM input contract and warnings beside hmmlearn 0.3.3's (issue 16): the same log messages through
``logging``, the spherical ``covars_`` shapes hmmlearn accepts, and CategoricalHMM refusing what
hmmlearn refuses (float symbols, 1-D X). Every expectation is hmmlearn's own behaviour, run here."""

import logging

import numpy as np
import pytest

from mlcanon.classic.hmm import CategoricalHMM, GaussianHMM, SymbolError

hmm = pytest.importorskip("hmmlearn.hmm")


@pytest.fixture(autouse=True)
def _loggers_reach_caplog():
    """Other tests of the same process quiet hmmlearn's logger (tests/classic/test_hmm.py sets it to ERROR at
    import; pytest-xdist may run both in one worker): let hmmlearn's and our WARNING records reach the root
    logger, where caplog listens, for these tests only, and restore the loggers after."""
    names = [n for n in logging.root.manager.loggerDict if n.split(".")[0] in ("hmmlearn", "mlcanon")]
    loggers = [logging.getLogger(n) for n in names + ["hmmlearn", "mlcanon"]]
    saved = [(lg.disabled, lg.propagate, lg.level) for lg in loggers]
    for lg in loggers:
        lg.disabled, lg.propagate = False, True
        lg.setLevel(logging.NOTSET)
    yield
    for lg, (disabled, propagate, level) in zip(loggers, saved):
        lg.disabled, lg.propagate = disabled, propagate
        lg.setLevel(level)


def _messages(caplog, logger_prefix, needle):
    return [r.getMessage() for r in caplog.records if r.name.startswith(logger_prefix) and needle in r.getMessage()]


@pytest.mark.parametrize("covariance_type", ["spherical", "diag", "full", "tied"])
def test_overwrite_warning_is_hmmlearns(covariance_type, caplog):
    X = np.random.RandomState(0).randn(60, 2)
    with caplog.at_level(logging.WARNING):
        for cls, prefix in ((hmm.GaussianHMM, "hmmlearn"), (GaussianHMM, "mlcanon")):
            model = cls(2, covariance_type, n_iter=1, random_state=0, init_params="st")
            model.startprob_ = np.array([0.5, 0.5])
            model.transmat_ = np.array([[0.9, 0.1], [0.1, 0.9]])
            model.fit(X)
    theirs = _messages(caplog, "hmmlearn", "will be overwritten")
    ours = _messages(caplog, "mlcanon.classic.hmm", "will be overwritten")
    assert len(theirs) == 2  # startprob_ and transmat_
    assert ours == theirs


@pytest.mark.parametrize("covariance_type", ["spherical", "diag", "full", "tied"])
@pytest.mark.parametrize("params", ["stmc", "mc", "st"])
def test_degenerate_warning_is_hmmlearns(covariance_type, params, caplog):
    X = np.random.RandomState(1).randn(4, 3)  # 12 numbers; 3 states have more free parameters
    with caplog.at_level(logging.WARNING):
        for cls in (hmm.GaussianHMM, GaussianHMM):
            cls(3, covariance_type, n_iter=1, random_state=0, params=params).fit(X)
    theirs = _messages(caplog, "hmmlearn", "degenerate solution")
    ours = _messages(caplog, "mlcanon.classic.hmm", "degenerate solution")
    assert ours == theirs  # the same counts in the same words, or no warning from either


def test_no_degenerate_warning_with_enough_data(caplog):
    X = np.random.RandomState(2).randn(200, 2)
    with caplog.at_level(logging.WARNING):
        GaussianHMM(2, n_iter=1, random_state=0).fit(X)
        hmm.GaussianHMM(2, n_iter=1, random_state=0).fit(X)
    assert _messages(caplog, "", "degenerate") == []


def test_categorical_degenerate_warning_is_hmmlearns(caplog):
    X = np.array([[0], [1], [2], [3]])
    with caplog.at_level(logging.WARNING):
        for cls in (hmm.CategoricalHMM, CategoricalHMM):
            cls(3, n_iter=1, random_state=0).fit(X)
    theirs = _messages(caplog, "hmmlearn", "degenerate solution")
    assert len(theirs) == 1
    assert _messages(caplog, "mlcanon.classic.hmm", "degenerate solution") == theirs


# (2, 1, 1, 1) is hmmlearn's issue 385 (a 1-feature model given full-matrix-shaped variances)
@pytest.mark.parametrize("shape, n_features", [((2,), 3), ((2, 1), 1), ((2, 1, 1, 1), 1), ((2, 3), 3)])
def test_spherical_covars_shapes_hmmlearn_accepts(shape, n_features):
    variances = np.array([4.0, 3.0])
    covars = np.broadcast_to(variances.reshape((2,) + (1,) * (len(shape) - 1)), shape).copy()
    X = np.random.RandomState(3).randn(20, n_features) + 4
    models = []
    for cls in (hmm.GaussianHMM, GaussianHMM):
        m = cls(2, "spherical", init_params="")
        m.startprob_ = np.array([0.6, 0.4])
        m.transmat_ = np.array([[0.4, 0.6], [0.9, 0.1]])
        m.means_ = np.array([[3.0], [5.0]]) * np.ones(n_features)
        m.covars_ = covars
        m.n_features = n_features
        models.append(m)
    theirs, ours = models
    full = theirs.covars_
    if len(full) != 2:
        # hmmlearn ravels the tiled (K, nf) form into K * nf matrices (and samples state 1 from the
        # second, state 0's variance): our one deliberate difference, named in hmm.py's docstring
        assert len(full) == 2 * n_features
        full = full[::n_features]
    np.testing.assert_allclose(ours.covars_, full, rtol=0, atol=0)
    # hmmlearn's own score breaks on the 4-D form (its density code expects (K,) or (K, nf)): score
    # against hmmlearn given the same variances as (K,)
    plain = hmm.GaussianHMM(2, "spherical", init_params="")
    plain.startprob_, plain.transmat_, plain.means_ = theirs.startprob_, theirs.transmat_, theirs.means_
    plain.covars_ = variances
    assert ours.score(X) == pytest.approx(plain.score(X), rel=1e-12)
    if len(theirs.covars_) == 2:
        np.testing.assert_array_equal(ours.sample(50, random_state=0)[0], theirs.sample(50, random_state=0)[0])


def test_spherical_covars_refused_as_hmmlearn_refuses():
    for bad in (np.ones(3), np.array([1.0, -1.0])):
        for cls in (hmm.GaussianHMM, GaussianHMM):
            with pytest.raises(ValueError, match="spherical"):
                cls(2, "spherical").covars_ = bad
    # hmmlearn ravels a (K, nf) array with different values per row into K * nf "variances";
    # it is no spherical covariance, and ours says so
    with pytest.raises(ValueError, match=r"one variance per component; got shape \(2, 2\)"):
        GaussianHMM(2, "spherical").covars_ = np.array([[1.0, 2.0], [3.0, 4.0]])


@pytest.mark.parametrize("X", [np.array([[0.0], [2.0]]), np.array([[0.5], [1.0]])], ids=["whole", "fractional"])
def test_categorical_refuses_float_symbols_as_hmmlearn(X):
    with pytest.raises(ValueError, match="Symbols should be integers"):
        hmm.CategoricalHMM(2, n_features=3).fit(X)
    with pytest.raises(ValueError, match=r"X: expected integer symbols, got dtype float64"):
        CategoricalHMM(2, n_features=3).fit(X)
    fitted = CategoricalHMM(2, n_features=3, random_state=0).fit(np.array([[0], [2], [1]]))
    with pytest.raises(SymbolError):
        fitted.score(X)  # hmmlearn: a bare IndexError here
    assert issubclass(SymbolError, ValueError) and issubclass(SymbolError, TypeError)


def test_categorical_refuses_1d_X_as_hmmlearn():
    X = np.array([0, 2, 1])
    with pytest.raises(ValueError, match="Expected 2D array, got 1D array"):
        hmm.CategoricalHMM(2).fit(X)
    with pytest.raises(ValueError, match=r"X: expected a 2-D array of one symbol per row.*X.reshape\(-1, 1\)"):
        CategoricalHMM(2).fit(X)
    fitted = CategoricalHMM(2, random_state=0).fit(X.reshape(-1, 1))
    with pytest.raises(ValueError, match="1-D array of shape"):
        fitted.predict(X)


def test_check_and_set_n_features_as_hmmlearn():
    for cls in (hmm.CategoricalHMM, CategoricalHMM):
        h = cls(2)
        h._check_and_set_n_features(np.array([[0, 0, 2, 1, 3, 1, 1]]).T)
        assert h.n_features == 4
        h._check_and_set_n_features(np.array([[0, 0, 1, 3, 1]], np.uint8))
        for bad in (np.array([[0.0, 2.0, 1.0, 3.0]]), np.array([[0, -2, 1, 3, 1, 1]]), np.array([[0, 4]])):
            with pytest.raises(ValueError):
                h._check_and_set_n_features(bad)
