"""LinearChainCRF: brute force on small chains, a finite-difference gradient, python-crfsuite parity on
CoNLL-2003 (training losses, features, F1, and predictions/marginals with CRFsuite's own weights),
python-crfsuite's feature-dict conversion, save/load, and error messages."""

import itertools
import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import logsumexp

from mlcanon.classic import _crf_kernels as kern
from mlcanon.classic.crf import LinearChainCRF, _encode, _encode_labels, _TrainingProblem
from mlcanon.report.classic._crf_features import conll_features

pycrfsuite = pytest.importorskip("pycrfsuite")
seqeval_metrics = pytest.importorskip("seqeval.metrics")


# ---- helpers ------------------------------------------------------------------------------------
def _random_model(rng, n_labels, n_attrs, scale=1.0):
    labels = [f"L{i}" for i in range(n_labels)]
    attrs = [f"a{i}" for i in range(n_attrs)]
    state = {(a, lab): float(rng.normal(scale=scale)) for a in attrs for lab in labels}
    trans = {(i, j): float(rng.normal(scale=scale)) for i in labels for j in labels}
    return LinearChainCRF.from_weights(state, trans, classes=labels), state, trans


def _random_sentence(rng, n_tokens, n_attrs):
    sent = []
    for _ in range(n_tokens):
        k = rng.integers(1, n_attrs + 1)
        chosen = rng.choice(n_attrs, size=k, replace=False)
        sent.append({f"a{i}": float(rng.uniform(-2, 2)) for i in chosen})
    return sent


def _path_score(sent, path, state, trans):
    s = sum(v * state.get((a, lab), 0.0) for tok, lab in zip(sent, path) for a, v in tok.items())
    return s + sum(trans.get((i, j), 0.0) for i, j in zip(path[:-1], path[1:]))


def _enumerate(sent, labels, state, trans):
    paths = list(itertools.product(labels, repeat=len(sent)))
    scores = np.array([_path_score(sent, p, state, trans) for p in paths])
    return paths, scores


# ---- a hand-checkable case ----------------------------------------------------------------------
def test_two_tokens_by_hand():
    # score(y1, y2) = W[x1, y1] + W[x2, y2] + A[y1, y2]; with 2 labels Z has 4 terms
    state = {("x", "A"): 1.0, ("x", "B"): 0.0, ("z", "A"): 0.0, ("z", "B"): 2.0}
    trans = {("A", "B"): 0.5, ("B", "A"): -1.0}
    crf = LinearChainCRF.from_weights(state, trans, classes=["A", "B"])
    X = [[{"x": 1.0}, {"z": 1.0}]]
    terms = {"AA": 1.0, "AB": 1.0 + 2.0 + 0.5, "BA": -1.0, "BB": 2.0}
    logz = np.log(sum(np.exp(v) for v in terms.values()))
    assert crf.log_probability(X, [["A", "B"]])[0] == pytest.approx(3.5 - logz, abs=1e-12)
    assert crf.predict(X) == [["A", "B"]]
    p_first_a = (np.exp(terms["AA"]) + np.exp(terms["AB"])) / np.exp(logz)
    assert crf.predict_marginals(X)[0][0]["A"] == pytest.approx(p_first_a, abs=1e-12)


# ---- brute force --------------------------------------------------------------------------------
@settings(max_examples=40, deadline=None)
@given(n_labels=st.integers(1, 4), n_tokens=st.integers(1, 5), n_attrs=st.integers(1, 4),
       seed=st.integers(0, 2**32 - 1))
def test_brute_force_partition_marginals_viterbi(n_labels, n_tokens, n_attrs, seed):
    rng = np.random.default_rng(seed)
    crf, state, trans = _random_model(rng, n_labels, n_attrs)
    sent = _random_sentence(rng, n_tokens, n_attrs)
    labels = crf.classes_
    paths, scores = _enumerate(sent, labels, state, trans)
    logz = logsumexp(scores)
    # log p(y | x) for a few labellings = score - log Z
    for k in rng.choice(len(paths), size=min(3, len(paths)), replace=False):
        got = crf.log_probability([sent], [list(paths[k])])[0]
        assert got == pytest.approx(scores[k] - logz, abs=1e-9)
    probs = np.exp(scores - logz)
    marg = crf.predict_marginals([sent])[0]
    for t in range(n_tokens):
        for lab in labels:
            want = probs[[p[t] == lab for p in paths]].sum()
            assert marg[t][lab] == pytest.approx(want, abs=1e-9)
    assert crf.predict([sent])[0] == list(paths[int(np.argmax(scores))])


def test_underflow_falls_back_to_log_space():
    # weights thousands of nats apart: every scaled forward product underflows to 0
    labels = ["A", "B"]
    state = {("x", "A"): 0.0, ("x", "B"): 5000.0, ("z", "A"): 0.0, ("z", "B"): 1.0}
    trans = {("A", "A"): 0.0, ("A", "B"): 0.0, ("B", "A"): -2000.0, ("B", "B"): -2000.0}
    crf = LinearChainCRF.from_weights(state, trans, classes=labels)
    sent = [{"x": 1.0}, {"z": 1.0}, {"z": 1.0}]
    paths, scores = _enumerate(sent, labels, state, trans)
    got = crf.log_probability([sent], [list(paths[0])])[0]
    assert np.isfinite(got)
    assert got == pytest.approx(scores[0] - logsumexp(scores), rel=1e-12)
    marg = crf.predict_marginals([sent])[0]
    assert marg[0]["B"] == pytest.approx(1.0)
    assert all(abs(sum(m.values()) - 1) < 1e-12 for m in marg)


def test_long_sequence_is_finite():
    rng = np.random.default_rng(0)
    crf, _, _ = _random_model(rng, 5, 6, scale=3.0)
    sent = _random_sentence(rng, 10_000, 6)
    path = crf.predict([sent])[0]
    lp = crf.log_probability([sent], [path])[0]
    assert np.isfinite(lp) and lp <= 0
    marg = crf.predict_marginals([sent])[0]
    assert abs(sum(marg[-1].values()) - 1) < 1e-9


# ---- gradient -----------------------------------------------------------------------------------
def test_gradient_matches_finite_differences():
    rng = np.random.default_rng(1)
    X = [_random_sentence(rng, int(rng.integers(1, 6)), 4) for _ in range(6)]
    y = [[f"L{rng.integers(3)}" for _ in s] for s in X]
    vocab = {}
    data = _encode(X, vocab, grow=True, name="X")
    classes, labels = _encode_labels(y, data, name="y", classes=None)
    problem = _TrainingProblem(data, labels, len(classes), len(vocab), False, True, 0.0)
    w = rng.normal(size=problem.n_features)
    f, g = problem.loss_and_grad(w, 0.3)
    eps = 1e-6
    num = np.array([(problem.loss_and_grad(w + eps * e, 0.3)[0] - problem.loss_and_grad(w - eps * e, 0.3)[0])
                    / (2 * eps) for e in np.eye(len(w))])
    np.testing.assert_allclose(g, num, rtol=1e-6, atol=1e-6)
    # the loss is -sum log p(y|x) + c2 ||w||^2, checked against the public log_probability
    model = LinearChainCRF()
    model.classes_, model.attributes_, model._attr_index = classes, list(vocab), vocab
    model._set_weights(problem.state_index, w[: problem.n_state], w[problem.n_state:], problem.trans_index)
    assert f == pytest.approx(-model.log_probability(X, y).sum() + 0.3 * w @ w, rel=1e-12)


def test_two_threads_give_the_same_objective():
    X, y = conll_features("train", 600)
    vocab = {}
    data = _encode(X, vocab, grow=True, name="X")
    classes, labels = _encode_labels(y, data, name="y", classes=None)
    one = _TrainingProblem(data, labels, len(classes), len(vocab), False, False, 0.0, n_threads=1)
    two = _TrainingProblem(data, labels, len(classes), len(vocab), False, False, 0.0, n_threads=2)
    w = np.random.default_rng(0).normal(scale=0.1, size=one.n_features)
    f1, g1 = one.loss_and_grad(w, 0.1)
    f2, g2 = two.loss_and_grad(w, 0.1)
    two.close()
    assert f1 == pytest.approx(f2, rel=1e-12)
    np.testing.assert_allclose(g1, g2, rtol=1e-10, atol=1e-10)
    a = LinearChainCRF(max_iterations=5).fit(X[:300], y[:300])
    b = LinearChainCRF(max_iterations=5, n_jobs=2).fit(X[:300], y[:300])
    assert a.training_log_[-1]["loss"] == pytest.approx(b.training_log_[-1]["loss"], rel=1e-10)


# ---- the optimiser alone -------------------------------------------------------------------------
@pytest.mark.parametrize("linesearch", ["MoreThuente", "Backtracking", "StrongBacktracking"])
def test_lbfgs_finds_the_rosenbrock_minimum(linesearch):
    from mlcanon.classic._owlqn import minimize

    def rosen(x):
        f = 100 * (x[1] - x[0] ** 2) ** 2 + (1 - x[0]) ** 2
        g = np.array([-400 * x[0] * (x[1] - x[0] ** 2) - 2 * (1 - x[0]), 200 * (x[1] - x[0] ** 2)])
        return f, g

    res = minimize(rosen, np.array([-1.2, 1.0]), epsilon=1e-10, past=0, max_iterations=500, linesearch=linesearch)
    np.testing.assert_allclose(res.x, [1.0, 1.0], atol=1e-6)


def test_owlqn_equals_soft_thresholding():
    # min 0.5 sum d_i (x_i - a_i)^2 + c |x|_1 has the closed form x_i = sign(a_i) max(|a_i| - c / d_i, 0)
    from mlcanon.classic._owlqn import minimize

    rng = np.random.default_rng(0)
    a, d, c = rng.normal(size=30), rng.uniform(0.5, 3, size=30), 0.4

    def fun(x):
        return 0.5 * float(d @ (x - a) ** 2), d * (x - a)

    res = minimize(fun, np.zeros(30), c1=c, epsilon=1e-12, past=0, max_iterations=300)
    want = np.sign(a) * np.maximum(np.abs(a) - c / d, 0)
    np.testing.assert_allclose(res.x, want, atol=1e-8)
    assert np.array_equal(res.x == 0, want == 0)


# ---- python-crfsuite's feature-dict conversion --------------------------------------------------
_values = st.one_of(st.floats(-5, 5), st.booleans(), st.integers(-3, 3), st.text("abc:", min_size=0, max_size=3))
_flat = st.dictionaries(st.text("xyz", min_size=1, max_size=3), _values, max_size=4)
_nested = st.dictionaries(st.text("pq", min_size=1, max_size=2),
                          st.one_of(_flat, st.lists(st.text("uv", min_size=1, max_size=2), max_size=3)), max_size=2)


@settings(max_examples=60, deadline=None)
@given(items=st.lists(st.one_of(_flat, _nested, st.lists(st.text("mn", min_size=1, max_size=2), max_size=3)),
                      min_size=1, max_size=4))
def test_feature_conversion_equals_itemsequence(items):
    vocab = {}
    data = _encode([items], vocab, grow=True, name="X")
    names = list(vocab)
    ref = pycrfsuite.ItemSequence(items).items()
    for t, want in enumerate(ref):
        lo, hi = data.tok_ptr[t], data.tok_ptr[t + 1]
        got = {}
        for a, v in zip(data.attr[lo:hi], data.val[lo:hi]):
            got[names[a]] = v  # CRFsuite's items() keeps the last of duplicate names, as a dict does
        assert got == pytest.approx(want)


def test_feature_conversion_examples():
    vocab = {}
    data = _encode([[{"w": "Paris", "cap": True, "low": False, "n": 2, "ctx": {"prev": "the", "f": 0.5},
                      "tags": ["x", "y"]}, ["only", "names"]]], vocab, grow=True, name="X")
    pairs = dict(zip([list(vocab)[a] for a in data.attr], data.val))
    assert pairs == {"w:Paris": 1.0, "cap": 1.0, "low": 0.0, "n": 2.0, "ctx:prev:the": 1.0, "ctx:f": 0.5,
                     "tags:x": 1.0, "tags:y": 1.0, "only": 1.0, "names": 1.0}


def test_same_attribute_name_however_spelled():
    # CRFsuite sees only the name: {"a:b": "c"}, {"a": "b:c"} and {"a:b:c": 1.0} are one attribute
    crf = LinearChainCRF(max_iterations=2).fit([[{"a:b": "c"}, {"w": "x"}]], [["P", "Q"]])
    spelled = [[{"a": "b:c"}], [{"a:b:c": 1.0}], [{"a:b": "c"}], [{"a": {"b": "c"}}], [["a:b:c"]]]
    for sent in spelled:
        data = crf._encode([sent])
        assert [crf.attributes_[i] for i in data.attr] == ["a:b:c"]
    assert crf._encode([[{"w:x": 2.0}]]).val.tolist() == [2.0]
    assert len(crf._encode([[{"a": "b"}, {"zzz": 1.0}]]).attr) == 0  # unknown names are dropped


# ---- parity with python-crfsuite on CoNLL-2003 --------------------------------------------------
@pytest.fixture(scope="module")
def conll_small():
    X, y = conll_features("train", 1000)
    Xt, yt = conll_features("test", 1500)
    return X, y, Xt, yt


def _crfsuite(X, y, params, tmp_path):
    trainer = pycrfsuite.Trainer(verbose=False)
    for a, b in zip(X, y):
        trainer.append(a, b)
    trainer.set_params(params)
    path = str(tmp_path / "model.crfsuite")
    trainer.train(path)
    tagger = pycrfsuite.Tagger()
    tagger.open(path)
    return trainer, tagger


@pytest.mark.parametrize("c1, c2, iters", [(0.1, 0.1, 40), (0.0, 1.0, 30)])
def test_training_equals_crfsuite(conll_small, tmp_path, c1, c2, iters):
    X, y, Xt, yt = conll_small
    params = {"c1": c1, "c2": c2, "max_iterations": iters}
    trainer, tagger = _crfsuite(X, y, params, tmp_path)
    ours = LinearChainCRF(**params).fit(X, y)
    ref_log = trainer.logparser.iterations
    assert ours.n_features_ == trainer.logparser.featgen_num_features
    assert len(ours.training_log_) == len(ref_log) == iters
    # the same L-BFGS / OWL-QN path: every iteration's loss to CRFsuite's 6 printed decimals
    for mine, theirs in zip(ours.training_log_, ref_log):
        assert mine["loss"] == pytest.approx(theirs["loss"], rel=1e-6, abs=2e-6)
        if c1 > 0:  # OWL-QN zeroes weights; with c1 = 0 a zero weight is a floating-point coincidence
            assert mine["active_features"] == pytest.approx(theirs["active_features"], abs=2)
    f1_ours = seqeval_metrics.f1_score(yt, ours.predict(Xt))
    f1_ref = seqeval_metrics.f1_score(yt, [tagger.tag(x) for x in Xt])
    assert abs(f1_ours - f1_ref) <= 0.005
    assert ours.classes_ == tagger.labels()


@pytest.mark.parametrize("options", [dict(all_possible_transitions=True), dict(all_possible_states=True),
                                     dict(min_freq=3), dict(min_freq=2, all_possible_transitions=True)])
def test_feature_generation_equals_crfsuite(conll_small, tmp_path, options):
    X, y = conll_small[0][:300], conll_small[1][:300]
    ref = {"feature.possible_transitions": options.get("all_possible_transitions", False),
           "feature.possible_states": options.get("all_possible_states", False),
           "feature.minfreq": options.get("min_freq", 0), "max_iterations": 3, "c2": 1.0}
    trainer, _ = _crfsuite(X, y, ref, tmp_path)
    ours = LinearChainCRF(max_iterations=3, **options).fit(X, y)
    assert ours.n_features_ == trainer.logparser.featgen_num_features
    for mine, theirs in zip(ours.training_log_, trainer.logparser.iterations):
        assert mine["loss"] == pytest.approx(theirs["loss"], rel=1e-6)


@pytest.mark.parametrize("linesearch", ["Backtracking", "StrongBacktracking"])
def test_backtracking_line_searches_equal_crfsuite(conll_small, tmp_path, linesearch):
    X, y = conll_small[0][:300], conll_small[1][:300]
    params = {"c1": 0.0, "c2": 0.5, "max_iterations": 15, "linesearch": linesearch}
    trainer, _ = _crfsuite(X, y, params, tmp_path)
    ours = LinearChainCRF(**params).fit(X, y)
    ref_log = trainer.logparser.iterations
    assert len(ours.training_log_) == len(ref_log)
    for mine, theirs in zip(ours.training_log_, ref_log):
        assert mine["loss"] == pytest.approx(theirs["loss"], rel=1e-6)
        assert mine["linesearch_trials"] == theirs["linesearch_trials"]


def test_crfsuite_weights_give_crfsuite_predictions_and_marginals(conll_small, tmp_path):
    X, y, Xt, _ = conll_small
    _, tagger = _crfsuite(X, y, {"c1": 0.1, "c2": 0.1, "max_iterations": 30}, tmp_path)
    info = tagger.info()
    ours = LinearChainCRF.from_weights(info.state_features, info.transitions, classes=tagger.labels())
    Xt = Xt[:300]
    assert ours.predict(Xt) == [tagger.tag(x) for x in Xt]
    marg = ours.predict_marginals(Xt)
    worst = 0.0
    for x, m in zip(Xt, marg):
        tagger.set(x)
        for t, row in enumerate(m):
            for lab, p in row.items():
                worst = max(worst, abs(p - tagger.marginal(lab, t)))
    # Tagger.info() prints weights with 6 decimals, so the models differ by up to 5e-7 a weight
    assert worst < 1e-5


# ---- API ----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def fitted(conll_small):
    X, y, _, _ = conll_small
    return LinearChainCRF(c1=0.05, c2=0.05, max_iterations=15).fit(X[:300], y[:300])


def test_save_load_and_pickle(fitted, conll_small, tmp_path):
    Xt = conll_small[2][:100]
    fitted.save(tmp_path / "m.npz")
    loaded = LinearChainCRF.load(tmp_path / "m.npz")
    again = pickle.loads(pickle.dumps(fitted))
    for other in (loaded, again):
        assert other.predict(Xt) == fitted.predict(Xt)
        assert other.state_features_ == fitted.state_features_
        assert other.transition_features_ == fitted.transition_features_
        assert other.get_params() == fitted.get_params()
    np.testing.assert_array_equal(
        [p for s in loaded.predict_marginals(Xt) for d in s for p in d.values()],
        [p for s in fitted.predict_marginals(Xt) for d in s for p in d.values()])


def test_from_arrays_and_decode_encoded_equal_predict(fitted, conll_small):
    Xt = conll_small[2][:100]
    L = len(fitted.classes_)
    index = fitted.attribute_index_
    pairs = list(fitted.state_features_.items())
    sa = [index[a] for (a, _), _ in pairs]
    sl = [fitted.classes_.index(lab) for (_, lab), _ in pairs]
    T = np.zeros((L, L))
    for (i, j), w in fitted.transition_features_.items():
        T[fitted.classes_.index(i), fitted.classes_.index(j)] = w
    again = LinearChainCRF.from_arrays(fitted.attributes_, fitted.classes_, sa, sl, [w for _, w in pairs], T)
    assert again.state_features_ == fitted.state_features_ and again.predict(Xt) == fitted.predict(Xt)
    # the same sentences as ids: string-valued features "k:v", others with their value
    seq, tok, attr, val = [0], [0], [], []
    for sent in Xt:
        for item in sent:
            for k, v in item.items():
                i = index.get(k + ":" + v if isinstance(v, str) else k)
                if i is not None:
                    attr.append(i)
                    val.append(float(v) if not isinstance(v, str) else 1.0)
            tok.append(len(attr))
        seq.append(len(tok) - 1)
    ids = fitted.decode_encoded(seq, tok, attr, val)
    assert [fitted.classes_[i] for i in ids] == [lab for p in fitted.predict(Xt) for lab in p]
    with pytest.raises(ValueError, match="seq_ptr, tok_ptr: expected CSR pointers"):
        fitted.decode_encoded([0, 5], [0, 1], [0])
    with pytest.raises(ValueError, match="attr: expected ids in"):
        fitted.decode_encoded([0, 1], [0, 1], [len(fitted.attributes_)])
    with pytest.raises(ValueError, match=r"transitions: expected shape"):
        LinearChainCRF.from_arrays(["a"], ["A"], [0], [0], [1.0], np.zeros((2, 2)))


def test_attributes_and_score(fitted, conll_small):
    X, y, Xt, yt = conll_small
    assert set(fitted.classes_) == {lab for s in y[:300] for lab in s}
    assert all(w != 0 for w in fitted.state_features_.values())
    assert all(a in fitted.attributes_ and lab in fitted.classes_ for a, lab in fitted.state_features_)
    assert fitted.size_ > 0 and fitted.num_attributes_ <= len(fitted.attributes_)
    pred = fitted.predict(Xt[:50])
    flat = np.mean([a == b for s, p in zip(yt[:50], pred) for a, b in zip(s, p)])
    assert fitted.score(Xt[:50], yt[:50]) == pytest.approx(flat)
    assert fitted.predict_single(Xt[0]) == pred[0]
    assert fitted.predict_marginals_single(Xt[0]) == fitted.predict_marginals(Xt[:1])[0]
    assert fitted.predict([[]]) == [[]]  # an empty sentence gets an empty labelling, as in CRFsuite


def test_dev_set_is_logged(conll_small):
    X, y, Xt, yt = conll_small
    crf = LinearChainCRF(max_iterations=3).fit(X[:100], y[:100], X_dev=Xt[:50], y_dev=yt[:50])
    assert [e["num"] for e in crf.training_log_] == [1, 2, 3]
    assert all(0 <= e["dev_accuracy"] <= 1 for e in crf.training_log_)


def test_params_round_trip():
    crf = LinearChainCRF(c1=0.2, max_iterations=7)
    assert crf.get_params()["c1"] == 0.2
    assert crf.set_params(c2=0.3).c2 == 0.3
    assert "c1=0.2" in repr(crf)


# ---- errors -------------------------------------------------------------------------------------
X_OK = [[{"a": 1.0}, {"b": "x"}]]
Y_OK = [["A", "B"]]


@pytest.mark.parametrize("X, y, exc, match", [
    ([[{"a": 1.0}]], [["A", "B"]], ValueError, r"y\[0\]: expected 1 labels"),
    (X_OK, [["A", "B"], ["A"]], ValueError, "inconsistent numbers of sentences"),
    ([[{"a": 1.0}], []], [["A"], []], ValueError, r"X\[1\]: expected a non-empty sentence"),
    ([], [], ValueError, "at least one sentence"),
    ([[{"a": 1.0}, 3]], [["A", "B"]], TypeError, r"X\[0\]\[1\]: expected a token as a dict"),
    ([["not a list of tokens"][0]], [["A"]], TypeError, r"X\[0\]: expected a sentence"),
    ({"a": 1}, Y_OK, TypeError, "X: expected a list of sentences"),
    ([[{"a": float("nan")}]], [["A"]], ValueError, r"X\[0\]\[0\]: expected finite feature values"),
    ([[{"a": None}]], [["A"]], TypeError, "feature 'a' has a value of type NoneType"),
    ([[{1: 1.0}]], [["A"]], TypeError, "expected str feature names"),
    (X_OK, [["A", 2]], TypeError, "expected str labels"),
    (X_OK, "AB", TypeError, "y: expected a list of label sequences"),
])
def test_fit_errors(X, y, exc, match):
    with pytest.raises(exc, match=match):
        LinearChainCRF(max_iterations=1).fit(X, y)


@pytest.mark.parametrize("params, exc, match", [
    (dict(algorithm="ap"), ValueError, "only 'lbfgs'"),
    (dict(algorithm="sgd"), ValueError, "algorithm: expected one of"),
    (dict(c1=-1.0), ValueError, "c1: expected a number >= 0"),
    (dict(c2="big"), TypeError, "c2: expected a real number"),
    (dict(max_iterations=1.5), TypeError, "max_iterations: expected an int"),
    (dict(num_memories=0), ValueError, "num_memories: expected an int >= 1"),
    (dict(linesearch="Armijo"), ValueError, "linesearch: expected one of"),
    (dict(n_jobs=0), ValueError, "n_jobs: expected None, -1 or an int >= 1"),
])
def test_param_errors(params, exc, match):
    with pytest.raises(exc, match=match):
        LinearChainCRF(**params).fit(X_OK, Y_OK)


def test_predict_errors(fitted, tmp_path):
    with pytest.raises(ValueError, match="not fitted yet"):
        LinearChainCRF().predict(X_OK)
    with pytest.raises(ValueError, match="X_dev, y_dev: pass both"):
        LinearChainCRF().fit(X_OK, Y_OK, X_dev=X_OK)
    with pytest.raises(ValueError, match=r"y\[0\]: unknown label 'NOPE'"):
        fitted.log_probability([[{"bias": 1.0}]], [["NOPE"]])
    with pytest.raises(TypeError, match=r"X\[0\]\[0\]: expected a token"):
        fitted.predict([[None]])
    with pytest.raises(ValueError, match="inconsistent numbers of sentences"):
        fitted.score(X_OK, [["A", "B"], ["A"]])
    with pytest.raises(ValueError, match=r"y: expected 2 labels in all"):
        fitted.score(X_OK, [["O"]])
    with pytest.raises(ValueError, match="y: expected at least one token"):
        fitted.score([[]], [[]])
    with pytest.raises(TypeError, match="state_features, transition_features: expected dicts"):
        LinearChainCRF.from_weights([("a", "B")], {})
    with pytest.raises(ValueError, match="classes: expected at least one label"):
        LinearChainCRF.from_weights({}, {})
    with pytest.raises(ValueError, match="is not a model written by"):
        path = tmp_path / "not_a_model.npz"
        np.savez(path, x=np.zeros(2))
        LinearChainCRF.load(path)


# ---- the full comparison ------------------------------------------------------------------------
@pytest.mark.slow
def test_full_conll2003_equals_crfsuite(tmp_path):
    X, y = conll_features("train")
    Xt, yt = conll_features("test")
    params = {"c1": 0.1, "c2": 0.1, "max_iterations": 100}
    trainer, tagger = _crfsuite(X, y, params, tmp_path)
    ours = LinearChainCRF(**params).fit(X, y)
    assert ours.training_log_[-1]["loss"] == pytest.approx(trainer.logparser.iterations[-1]["loss"], rel=1e-6)
    f1_ours = seqeval_metrics.f1_score(yt, ours.predict(Xt))
    f1_ref = seqeval_metrics.f1_score(yt, [tagger.tag(x) for x in Xt])
    assert abs(f1_ours - f1_ref) <= 0.005


def test_kernels_agree_on_empty_sentences():
    # an empty sentence between two others contributes log Z = 0 and no marginals
    crf, _, _ = _random_model(np.random.default_rng(3), 3, 3)
    data = _encode([[{"a0": 1.0}], [], [{"a1": 1.0}, {"a2": 1.0}]], crf._attr_index, grow=False, name="X")
    logz = kern.log_partition_all(crf._dense_W(), crf._trans, 3, data.seq_ptr, data.tok_ptr, data.attr, data.val,
                                  data.maxlen)
    assert logz[1] == 0.0 and np.all(np.isfinite(logz))
