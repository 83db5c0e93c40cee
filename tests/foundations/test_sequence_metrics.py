"""mlcanon.metrics.sequence against seqeval 1.2.2: same entities, figures, warnings and report text.

Floats are compared for exact equality: both sides apply the same formulas (the same NumPy
divisions and ``np.average`` calls, in the same order) to the same integer entity counts, so the
results are equal to the last bit on any CPU, not just close.
"""

import warnings

import numpy as np
import pytest
import seqeval.metrics as sm
import seqeval.metrics.v1 as sv1
import seqeval.scheme as ss
from hypothesis import given, settings
from hypothesis import strategies as st

from mlcanon import data
from mlcanon.metrics import sequence as ours
from mlcanon.metrics.classification import UndefinedMetricWarning

SCHEMES = ["IOB1", "IOB2", "IOE1", "IOE2", "IOBES", "BILOU"]
AVERAGES = [None, "micro", "macro", "weighted"]
# Prefix pools: each scheme's own letters (so strict mode has valid input to score), all of
# seqeval's strict letters, and letters only the default rules know ('.', 'M': not prefixes).
POOLS = ["IOB", "IOE", "IOBES", "BILOU", "IOBESUL", "OBIES.M-"]
TYPE_POOLS = [["PER"], ["PER", "LOC"], ["PER", "LOC", "MISC", "A-B"]]


# ----------------------------------------------------------------------------- helpers


def run(fn, *args, **kwargs):
    """Call ``fn``: ("ok", result) or ("error", exception), with the warnings it gave."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            out = ("ok", fn(*args, **kwargs))
        except Exception as exc:  # noqa: BLE001 - seqeval raises KeyError/IndexError on bad tags
            out = ("error", exc)
    ill = [str(w.message) for w in caught if issubclass(w.category, UserWarning) and "ill-defined" in str(w.message)]
    not_ne = {str(w.message) for w in caught if "seems not to be NE tag" in str(w.message)}
    return out[0], out[1], ill, not_ne


def identical(a, b) -> bool:
    """Equal values, bit for bit (NaN equals NaN), through tuples, lists, dicts and arrays."""
    if isinstance(a, dict):
        return isinstance(b, dict) and list(a) == list(b) and all(identical(a[k], b[k]) for k in a)
    if isinstance(a, (tuple, list)):
        return isinstance(b, (tuple, list)) and len(a) == len(b) and all(identical(x, y) for x, y in zip(a, b))
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape or (a.dtype.kind in "iu") != (b.dtype.kind in "iu"):
        return False
    return bool(np.array_equal(a, b, equal_nan=a.dtype.kind == "f"))


def assert_same(mine_fn, ref_fn, *args, not_ne_dedup=True, **kwargs):
    mine, ref = run(mine_fn, *args, **kwargs), run(ref_fn, *args, **kwargs)
    if ref[0] == "error":
        assert mine[0] == "error", f"seqeval raised {ref[1]!r}, ours returned {mine[1]!r}"
        assert isinstance(mine[1], (ValueError, TypeError)), repr(mine[1])
        return
    assert mine[0] == "ok", f"ours raised {mine[1]!r}, seqeval returned {ref[1]!r}"
    assert identical(mine[1], ref[1]), f"ours {mine[1]!r}\nseqeval {ref[1]!r}"
    assert mine[2] == ref[2]  # the same UndefinedMetricWarning messages, in the same order
    assert mine[3] == ref[3]  # the same "not NE tag" messages (seqeval repeats them per token)


def seqeval_scheme(name):
    return getattr(ss, name)


@st.composite
def tag_pairs(draw, suffix=False):
    """Random gold and predicted tag sequences of equal shapes, ill-formed ones included."""
    letters = draw(st.sampled_from(POOLS))
    types = draw(st.sampled_from(TYPE_POOLS))
    fmt = (lambda l, t: f"{t}-{l}") if suffix else (lambda l, t: f"{l}-{t}")  # noqa: E731, E741
    pool = ["O"] * 3 + [fmt(letter, t) for letter in letters for t in types]
    if draw(st.booleans()):
        pool += list(letters)  # bare prefixes, type "_"
    rnd = draw(st.randoms(use_true_random=False))  # one draw for all tags: fast to generate
    lengths = draw(st.lists(st.integers(0, 9), min_size=0, max_size=5))
    y_true = [[rnd.choice(pool) for _ in range(n)] for n in lengths]
    keep = draw(st.sampled_from([0.0, 0.5, 0.9, 1.0]))
    y_pred = [[t if rnd.random() < keep else rnd.choice(pool) for t in seq] for seq in y_true]
    return y_true, y_pred


# ----------------------------------------------------------------------------- hand-checked cases


def test_hand_checked_example():
    y_true = [["O", "O", "O", "B-MISC", "I-MISC", "I-MISC", "O"], ["B-PER", "I-PER", "O"]]
    y_pred = [["O", "O", "B-MISC", "I-MISC", "I-MISC", "I-MISC", "O"], ["B-PER", "I-PER", "O"]]
    assert ours.get_entities(y_true) == [("MISC", 3, 5), ("PER", 8, 9)]
    assert ours.f1_score(y_true, y_pred) == 0.5  # PER found, MISC's span is wrong
    p, r, f, s = ours.precision_recall_fscore_support(y_true, y_pred, average=None)
    assert p.tolist() == [0.0, 1.0] and s.tolist() == [1, 1]
    assert ours.accuracy_score(y_true, y_pred) == 0.8
    assert ours.performance_measure(y_true, y_pred) == {"TP": 4, "FP": 2, "FN": 0, "TN": 4}


def test_ill_formed_tags_read_as_conlleval():
    # I- after O starts an entity; a type change inside one splits it; E- without B- is one.
    assert ours.get_entities(["O", "I-PER", "I-PER", "I-LOC", "E-ORG", "O"]) == [
        ("PER", 1, 2), ("LOC", 3, 3), ("ORG", 4, 4)]  # fmt: skip
    assert ours.get_entities(["PER-B", "PER-I", "O"], suffix=True) == [("PER", 0, 1)]
    with pytest.warns(UserWarning, match="L-PER seems not to be NE tag"):
        ours.get_entities(["B-PER", "L-PER", "U-LOC"])


def test_strict_mode_drops_ill_formed_entities():
    y_true = [["B-PER", "I-PER", "O", "B-LOC"]]
    y_pred = [["I-PER", "I-PER", "O", "B-LOC"]]  # conlleval reads I-PER I-PER as PER, IOB2 does not
    assert ours.f1_score(y_true, y_pred) == 1.0
    assert ours.recall_score(y_true, y_pred, mode="strict", scheme="IOB2") == 0.5
    assert ours.get_entities(y_pred[0], mode="strict", scheme="IOB2") == [("LOC", 3, 3)]
    assert ours.recall_score(y_true, y_pred, mode="strict", scheme=ss.IOB2) == 0.5  # seqeval's class too


def test_entity_confusion_matrix_hand_checked():
    y_true = [["B-PER", "I-PER", "O", "B-LOC", "O", "B-ORG"]]
    y_pred = [["B-LOC", "I-LOC", "O", "B-LOC", "B-PER", "O"]]
    m, labels = ours.entity_confusion_matrix(y_true, y_pred)
    assert labels == ["LOC", "ORG", "PER", "O"]
    expected = np.zeros((4, 4), dtype=int)
    expected[0, 0] = 1  # LOC found
    expected[1, 3] = 1  # ORG missed
    expected[2, 0] = 1  # PER span predicted as LOC
    expected[3, 2] = 1  # spurious PER
    assert m.tolist() == expected.tolist()


def test_aliases_and_exports():
    import mlcanon.metrics as metrics
    from mlcanon.metrics import sequence

    assert metrics.get_entities is sequence.get_entities
    assert metrics.precision_score is not sequence.precision_score  # classification's stays on top
    y = [["B-PER", "I-PER", "O", "B-LOC"]]
    p = [["B-PER", "I-PER", "O", "O"]]
    assert metrics.entity_scores(y, p) == sequence.precision_recall_fscore_support(y, p, average="micro")
    assert metrics.entity_classification_report(y, p, mode="strict") == sm.classification_report(
        y, p, mode="strict")  # fmt: skip


# ----------------------------------------------------------------------------- properties vs seqeval


@settings(max_examples=150)
@given(tag_pairs(), st.booleans())
def test_get_entities_matches_seqeval(pair, nested):
    seq = pair[0] if nested else [t for s in pair[0] for t in s]
    assert_same(ours.get_entities, sm.sequence_labeling.get_entities, seq)


@settings(max_examples=100)
@given(tag_pairs(suffix=True))
def test_get_entities_suffix_matches_seqeval(pair):
    assert_same(ours.get_entities, sm.sequence_labeling.get_entities, pair[0], suffix=True)


@settings(max_examples=150)
@given(tag_pairs(), st.sampled_from(SCHEMES), st.booleans())
def test_strict_entities_match_seqeval(pair, scheme, suffix):
    if suffix:
        pair = tuple([[t if t == "O" else t[2:] + "-" + t[0] for t in s] for s in y] for y in pair)
    for seq in pair[0]:
        try:
            ref = [(e.tag, e.start, e.end - 1) for e in ss.Tokens(seq, seqeval_scheme(scheme), suffix=suffix).entities]
        except (KeyError, ValueError, IndexError):
            with pytest.raises(ValueError):
                ours.get_entities(seq, suffix, mode="strict", scheme=scheme)
            continue
        assert ours.get_entities(seq, suffix, mode="strict", scheme=scheme) == ref


@settings(max_examples=150)
@given(tag_pairs(), st.sampled_from(AVERAGES), st.sampled_from([None, *SCHEMES]), st.sampled_from(["warn", 0, 1]))
def test_scores_match_seqeval(pair, average, scheme, zero_division):
    y_true, y_pred = pair
    mode = None if scheme is None else "strict"
    theirs = None if scheme is None else seqeval_scheme(scheme)
    for name in ("precision_score", "recall_score", "f1_score"):
        assert_same(
            lambda *a, **k: getattr(ours, name)(*a, **k, scheme=scheme),
            lambda *a, **k: getattr(sm, name)(*a, **k, scheme=theirs),
            y_true, y_pred, average=average, mode=mode, zero_division=zero_division,
        )  # fmt: skip


@settings(max_examples=100)
@given(tag_pairs(), st.sampled_from(AVERAGES), st.sampled_from([0.0, 0.5, 2.0, np.inf]))
def test_fbeta_support_matches_seqeval(pair, average, beta):
    assert_same(ours.precision_recall_fscore_support, sm.sequence_labeling.precision_recall_fscore_support,
                *pair, average=average, beta=beta)  # fmt: skip


@settings(max_examples=150)
@given(tag_pairs(), st.sampled_from([None, "auto", *SCHEMES]), st.sampled_from([0, 2, 4]), st.booleans(),
       st.sampled_from(["warn", 0, 1]))  # fmt: skip
def test_report_matches_seqeval(pair, scheme, digits, output_dict, zero_division):
    mode = None if scheme is None else "strict"
    mine_scheme = None if scheme in (None, "auto") else scheme
    theirs = None if scheme in (None, "auto") else seqeval_scheme(scheme)
    kwargs = dict(digits=digits, output_dict=output_dict, mode=mode, zero_division=zero_division)
    assert_same(lambda *a, **k: ours.classification_report(*a, **k, scheme=mine_scheme),
                lambda *a, **k: sm.classification_report(*a, **k, scheme=theirs), *pair, **kwargs)  # fmt: skip


@settings(max_examples=150)
@given(tag_pairs(suffix=True), st.sampled_from([None, "IOB2", "IOBES", "BILOU"]))
def test_suffix_report_matches_seqeval(pair, scheme):
    theirs = None if scheme is None else seqeval_scheme(scheme)
    mode = None if scheme is None else "strict"
    assert_same(lambda *a, **k: ours.classification_report(*a, **k, scheme=scheme),
                lambda *a, **k: sm.classification_report(*a, **k, scheme=theirs),
                *pair, suffix=True, mode=mode, output_dict=True)  # fmt: skip


@settings(max_examples=100)
@given(tag_pairs())
def test_token_level_scores_match_seqeval(pair):
    if sum(map(len, pair[0])):
        assert_same(ours.accuracy_score, sm.accuracy_score, *pair)
    assert_same(ours.performance_measure, sm.performance_measure, *pair)


def _reference_confusion(y_true, y_pred, scheme):
    if scheme is None:
        gold = {(s, e): t for t, s, e in sm.sequence_labeling.get_entities(y_true)}
        pred = {(s, e): t for t, s, e in sm.sequence_labeling.get_entities(y_pred)}
    else:
        ents = lambda y: {(e.sent_id, e.start, e.end): e.tag  # noqa: E731
                          for e in chain(*ss.Entities(y, seqeval_scheme(scheme)).entities)}  # fmt: skip
        gold, pred = ents(y_true), ents(y_pred)
    labels = sorted(set(gold.values()) | set(pred.values())) + ["O"]
    m = np.zeros((len(labels), len(labels)), dtype=np.int64)
    for span, t in gold.items():
        m[labels.index(t), labels.index(pred.get(span, "O"))] += 1
    for span, t in pred.items():
        if span not in gold:
            m[-1, labels.index(t)] += 1
    return m, labels


@settings(max_examples=100)
@given(tag_pairs(), st.sampled_from([None, "IOB2", "IOBES"]))
def test_entity_confusion_matrix_is_brute_force(pair, scheme):
    from itertools import chain  # noqa: F401  (used by _reference_confusion)

    mode = None if scheme is None else "strict"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            ref = _reference_confusion(*pair, scheme)
        except (KeyError, ValueError, IndexError):
            with pytest.raises(ValueError):
                ours.entity_confusion_matrix(*pair, mode=mode, scheme=scheme)
            return
        m, labels = ours.entity_confusion_matrix(*pair, mode=mode, scheme=scheme)
    assert labels == ref[1] and m.tolist() == ref[0].tolist()


from itertools import chain  # noqa: E402


# ----------------------------------------------------------------------------- real data


def _conll_test_pair():
    """CoNLL-2003 testb gold tags and a perturbed copy: 8% of the tags replaced at random (so
    entities are lost, split, retyped and made ill-formed)."""
    gold = data.load("conll2003", "test").tags
    tagset = sorted({t for s in gold for t in s})
    rng = np.random.default_rng(0)
    pred = [[tagset[rng.integers(len(tagset))] if rng.random() < 0.08 else t for t in s] for s in gold]
    return gold, pred


@pytest.mark.parametrize("mode, scheme", [(None, None), ("strict", "IOB1"), ("strict", "IOB2"), ("strict", None)])
@pytest.mark.parametrize("n", [400, pytest.param(None, marks=pytest.mark.slow(reason="seqeval needs ~10 s per case"))])
def test_conll2003_report_is_identical(mode, scheme, n):
    gold, pred = _conll_test_pair()
    if n is not None:  # the first n sentences and the ones with a B- tag (IOB1's rare B-)
        keep = [i for i, s in enumerate(gold) if i < n or any(t.startswith("B-") for t in s)]
        gold, pred = [gold[i] for i in keep], [pred[i] for i in keep]
    theirs = None if scheme is None else seqeval_scheme(scheme)
    for digits in (2, 4):
        mine = ours.classification_report(gold, pred, digits=digits, mode=mode, scheme=scheme)
        assert mine == sm.classification_report(gold, pred, digits=digits, mode=mode, scheme=theirs)
    assert identical(ours.classification_report(gold, pred, mode=mode, scheme=scheme, output_dict=True),
                     sm.classification_report(gold, pred, mode=mode, scheme=theirs, output_dict=True))  # fmt: skip


def test_conll2003_figures():
    gold, pred = _conll_test_pair()
    p, r, f, s = ours.precision_recall_fscore_support(gold, gold, average=None)
    assert s.tolist() == [1668, 702, 1661, 1617]  # LOC, MISC, ORG, PER: the README's counts
    assert ours.f1_score(gold, gold) == 1.0
    assert ours.f1_score(gold, pred) == sm.f1_score(gold, pred)
    assert ours.f1_score(gold, pred, mode="strict", scheme="IOB1") == sv1.precision_recall_fscore_support(
        gold, pred, average="micro", scheme=ss.IOB1)[2]  # fmt: skip


# ----------------------------------------------------------------------------- warnings and errors


def test_undefined_metric_warnings():
    y_true, y_pred = [["B-PER", "O"]], [["O", "B-LOC"]]
    with pytest.warns(UndefinedMetricWarning, match="Precision is ill-defined and being set to 0.0 in labels with "
                                                     "no predicted samples"):  # fmt: skip
        ours.precision_score(y_true, y_pred, average=None)
    with pytest.warns(UndefinedMetricWarning, match="Recall is ill-defined .* due to no true samples"):
        ours.recall_score([["O", "O"]], y_pred, average="micro")
    with pytest.warns(UndefinedMetricWarning, match="F-score is ill-defined .* no true nor predicted samples"):
        ours.f1_score([["O"]], [["O"]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert ours.precision_score(y_true, y_pred, average=None, zero_division=1).tolist() == [0.0, 1.0]


def test_errors_name_the_argument():
    with pytest.raises(TypeError, match="y_true: expected a list of tag sequences"):
        ours.f1_score("B-PER", ["B-PER"])
    with pytest.raises(TypeError, match=r"y_pred: expected a list of tag sequences .* at index 0"):
        ours.f1_score([["B-PER"]], ["B-PER"])
    with pytest.raises(ValueError, match="y_true, y_pred: expected the same number of sequences, got 1 and 2"):
        ours.f1_score([["O"]], [["O"], ["O"]])
    with pytest.raises(ValueError, match="expected sequences of equal length, got 2 and 1 tags in sequence 1"):
        ours.f1_score([["O"], ["O", "O"]], [["O"], ["O"]])
    with pytest.raises(TypeError, match="y_pred: expected tags of type str, got int 3 in sequence 0 at position 1"):
        ours.f1_score([["O", "O"]], [["O", 3]])
    with pytest.raises(ValueError, match="y_true: expected non-empty tags, got '' in sequence 1 at position 0"):
        ours.f1_score([["O"], [""]], [["O"], ["O"]])
    with pytest.raises(ValueError, match=r"y_pred: expected O or a tag with prefix I, B \(scheme IOB2\), got "
                                         r"'E-PER' in sequence 1 at position 2"):  # fmt: skip
        ours.f1_score([["O"], ["O", "O", "O"]], [["O"], ["O", "B-PER", "E-PER"]], mode="strict", scheme="IOB2")
    with pytest.raises(ValueError, match="average: expected one of None, 'micro', 'macro', 'weighted', got 'binary'"):
        ours.f1_score([["O"]], [["O"]], average="binary")
    with pytest.raises(ValueError, match="zero_division: expected one of 'warn', 0, 1, got 0.5"):
        ours.f1_score([["O"]], [["O"]], zero_division=0.5)
    with pytest.raises(ValueError, match="mode: expected None .* or 'strict', got 'lenient'"):
        ours.f1_score([["O"]], [["O"]], mode="lenient")
    with pytest.raises(ValueError, match="scheme: expected one of 'IOB1', .*, got 'IOX'"):
        ours.f1_score([["O"]], [["O"]], mode="strict", scheme="IOX")
    with pytest.raises(TypeError, match="scheme: expected one of .* or a seqeval scheme class, got int 3"):
        ours.f1_score([["O"]], [["O"]], scheme=3)
    with pytest.raises(TypeError, match="suffix: expected a bool, got str 'yes'"):
        ours.f1_score([["O"]], [["O"]], suffix="yes")
    with pytest.raises(TypeError, match="beta: expected a real number >= 0"):
        ours.precision_recall_fscore_support([["O"]], [["O"]], beta="1")
    with pytest.raises(ValueError, match="beta: expected a real number >= 0, got -1"):
        ours.precision_recall_fscore_support([["O"]], [["O"]], beta=-1)
    with pytest.raises(ValueError, match="expected at least one entity in either, got none"):
        ours.classification_report([["O"]], [["O"]])
    with pytest.raises(ValueError, match="y_true: cannot detect the tag scheme from the prefixes 'IO'"):
        ours.classification_report([["I-PER", "O"]], [["O", "O"]], mode="strict")
    with pytest.raises(ValueError, match="y_true: cannot detect the tag scheme: tag 'X-PER' has no known prefix"):
        ours.classification_report([["X-PER"]], [["O"]], mode="strict")
    with pytest.raises(TypeError, match="digits: expected an int"):
        ours.classification_report([["B-PER"]], [["O"]], digits=2.5)
    with pytest.raises(TypeError, match="output_dict: expected a bool"):
        ours.classification_report([["B-PER"]], [["O"]], output_dict=None)
    with pytest.raises(ValueError, match="y_true: expected at least one tag sequence, got none"):
        ours.f1_score([], [])
    with pytest.raises(ValueError, match="y_true: expected at least one tag, got none"):
        ours.accuracy_score([[]], [[]])
    with pytest.raises(TypeError, match="seq: expected a list of tags or a list of tag sequences, got str"):
        ours.get_entities("B-PER")
    with pytest.raises(ValueError, match="scheme: expected one of .* with mode='strict', got None"):
        ours.get_entities(["B-PER"], mode="strict")
    with pytest.raises(ValueError, match="scheme: expected one of .* with mode='strict', got None"):
        ours.entity_confusion_matrix([["B-PER"]], [["O"]], mode="strict")
