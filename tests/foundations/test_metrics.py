"""mlcanon.metrics.classification against scikit-learn: same numbers, same warnings, same errors."""

import math
import warnings

import numpy as np
import pytest
import scipy.sparse
import sklearn.metrics as skm
from hypothesis import given, settings
from hypothesis import strategies as st

from mlcanon import data
from mlcanon.metrics import classification as ours
from mlcanon.metrics.classification import UndefinedMetricWarning

INT_POOL = [0, 1, 2, 3, -1, 7]
STR_POOL = ["a", "b", "cat", "dog", "é", "a long label name"]
AVERAGES = [None, "binary", "micro", "macro", "weighted"]
ZERO_DIVISIONS = ["warn", 0, 1, 0.0, 1.0, np.nan]


def run(fn, *args, **kwargs):
    """Call ``fn``; return ("ok", result, warnings) or ("error", exception, warnings)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            out = ("ok", fn(*args, **kwargs))
        except (ValueError, TypeError) as exc:
            out = ("error", exc)
    messages = [
        (issubclass(w.category, UserWarning), str(w.message))
        for w in caught
        if "ill-defined" in str(w.message) or "pos_label" in str(w.message) or "label" in str(w.message)
    ]
    return out + (messages,)


def same(a, b):
    """Equal, NaN-aware, to rtol 1e-12 (in practice bit for bit), through tuples/dicts/arrays."""
    if isinstance(a, dict):
        return isinstance(b, dict) and list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, tuple):
        return isinstance(b, tuple) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, str):
        return a == b
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape or (a.dtype.kind in "iu") != (b.dtype.kind in "iu"):
        return False
    return bool(np.allclose(a, b, rtol=1e-12, atol=0, equal_nan=True))


def assert_same_as_sklearn(name, *args, **kwargs):
    mine = run(getattr(ours, name), *args, **kwargs)
    ref = run(getattr(skm, name), *args, **kwargs)
    if ref[0] == "error":
        assert mine[0] == "error", f"sklearn raised {ref[1]!r}, ours returned {mine[1]!r}"
        return
    assert mine[0] == "ok", f"ours raised {mine[1]!r}, sklearn returned {ref[1]!r}"
    assert same(mine[1], ref[1]), f"{name}: ours {mine[1]!r} != sklearn {ref[1]!r}"
    assert mine[2] == ref[2], f"{name}: warnings differ:\nours    {mine[2]}\nsklearn {ref[2]}"


@st.composite
def problems(draw):
    """Random label sets: ints or strings, classes missing from y_true or y_pred, weights."""
    pool = draw(st.sampled_from([INT_POOL, STR_POOL, [0, 1], ["neg", "pos"], [-5, 0, 10**12]]))
    n = draw(st.integers(1, 40))
    n_classes = draw(st.integers(1, len(pool)))
    classes = draw(st.permutations(pool))[:n_classes]
    y_true = draw(st.lists(st.sampled_from(classes), min_size=n, max_size=n))
    y_pred = draw(st.lists(st.sampled_from(classes), min_size=n, max_size=n))
    weights = draw(
        st.one_of(
            st.none(),
            st.lists(st.integers(0, 3), min_size=n, max_size=n),
            st.lists(st.floats(0, 5, allow_nan=False).map(lambda w: round(w, 3)), min_size=n, max_size=n),
        )
    )
    if weights is not None and not any(weights):
        weights[0] = 1
    return pool, y_true, y_pred, weights


@st.composite
def label_options(draw, pool):
    """labels=: None, a subset, a superset with labels absent from the data, any order."""
    if draw(st.booleans()):
        return None
    return draw(st.lists(st.sampled_from(pool), min_size=1, max_size=len(pool), unique=True))


@settings(max_examples=200)
@given(problem=problems(), data_=st.data())
def test_precision_recall_fscore_support(problem, data_):
    pool, y_true, y_pred, weights = problem
    kwargs = {
        "labels": data_.draw(label_options(pool)),
        "average": data_.draw(st.sampled_from(AVERAGES)),
        "zero_division": data_.draw(st.sampled_from(ZERO_DIVISIONS)),
        "pos_label": data_.draw(st.sampled_from([1, *pool, "zzz"])),
        "beta": data_.draw(st.sampled_from([1.0, 0.5, 2, 0, math.inf])),
        "sample_weight": weights,
    }
    assert_same_as_sklearn("precision_recall_fscore_support", y_true, y_pred, **kwargs)


@settings(max_examples=150)
@given(problem=problems(), data_=st.data())
def test_single_scores(problem, data_):
    pool, y_true, y_pred, weights = problem
    kwargs = {
        "labels": data_.draw(label_options(pool)),
        "average": data_.draw(st.sampled_from(AVERAGES)),
        "zero_division": data_.draw(st.sampled_from(ZERO_DIVISIONS)),
        "pos_label": data_.draw(st.sampled_from([1, *pool])),
        "sample_weight": weights,
    }
    for name in ("precision_score", "recall_score", "f1_score"):
        assert_same_as_sklearn(name, y_true, y_pred, **kwargs)
    assert_same_as_sklearn("fbeta_score", y_true, y_pred, beta=data_.draw(st.sampled_from([0.5, 3])), **kwargs)


@settings(max_examples=150)
@given(problem=problems(), data_=st.data())
def test_confusion_matrix_and_accuracy(problem, data_):
    pool, y_true, y_pred, weights = problem
    labels = data_.draw(label_options(pool))
    normalize = data_.draw(st.sampled_from([None, "true", "pred", "all"]))
    assert_same_as_sklearn("confusion_matrix", y_true, y_pred, labels=labels, sample_weight=weights, normalize=normalize)
    for norm in (True, False):
        assert_same_as_sklearn("accuracy_score", y_true, y_pred, normalize=norm, sample_weight=weights)


@settings(max_examples=150)
@given(problem=problems(), data_=st.data())
def test_classification_report(problem, data_):
    pool, y_true, y_pred, weights = problem
    labels = data_.draw(label_options(pool))
    kwargs = {
        "labels": labels,
        "sample_weight": weights,
        "zero_division": data_.draw(st.sampled_from(ZERO_DIVISIONS)),
        "digits": data_.draw(st.integers(0, 5)),
    }
    if data_.draw(st.booleans()):
        n_names = len(labels) if labels is not None else len(set(y_true) | set(y_pred))
        kwargs["target_names"] = [f"class {i}" for i in range(n_names)]
    assert_same_as_sklearn("classification_report", y_true, y_pred, output_dict=True, **kwargs)
    assert_same_as_sklearn("classification_report", y_true, y_pred, **kwargs)


@settings(max_examples=100)
@given(
    y=st.integers(1, 30).flatmap(
        lambda n: st.tuples(
            st.lists(st.sampled_from([0.0, 1.0, 2.0, 5.0]), min_size=n, max_size=n),
            st.lists(st.sampled_from([0, 1, 2, 5]), min_size=n, max_size=n),
        )
    ),
    average=st.sampled_from(AVERAGES),
)
def test_float_and_int_labels_mixed(y, average):
    y_true, y_pred = y
    assert_same_as_sklearn("precision_recall_fscore_support", np.array(y_true), y_pred, average=average)
    assert_same_as_sklearn("classification_report", np.array(y_true), y_pred)


EDGE_CASES = [
    ("confusion_matrix", (["1", "2"], ["1", "1"]), {"labels": [1, 2]}),  # labels of another kind
    ("confusion_matrix", ([1, 2, 2], [1, 1, 2]), {"labels": [1, 2, 1]}),  # repeated labels
    ("precision_recall_fscore_support", ([1, 2, 2], [1, 1, 2]), {"labels": [1, 2, 1]}),
    ("precision_recall_fscore_support", ([1, 2, 2], [1, 1, 2]), {"labels": [1, 2, 1], "average": "macro"}),
    ("precision_recall_fscore_support", ([0, 1, 2], [0, 1, 1]), {"labels": []}),
    ("precision_recall_fscore_support", (["a", "b"], ["a", "a"]), {"labels": [], "average": "macro"}),
    ("precision_recall_fscore_support", ([0, 1, 2], [0, 1, 1]), {"labels": [5, 0, 0]}),
    ("precision_recall_fscore_support", ([0, 1, 0], [0, 1, 1]), {"pos_label": None}),
    ("precision_recall_fscore_support", ([0, 1, 0], [0, 1, 1]), {"average": "binary", "pos_label": None}),
    ("f1_score", (["a", "a"], ["a", "a"]), {}),  # one class, pos_label=1 absent
    ("f1_score", (["1", "1"], ["1", "1"]), {}),
    ("f1_score", ([True, False, True], [True, True, True]), {}),
    ("f1_score", (np.array([True, False, True]), [1, 1, 1]), {}),
    ("f1_score", ([0, 1, 1], [1, 1, 1]), {"zero_division": True}),
    ("f1_score", ([0, 1, 1], [1, 1, 1]), {"sample_weight": [-1, 2, 0.5]}),
    ("fbeta_score", ([0, 1, 0], [0, 1, 1]), {"beta": np.float64(2.5)}),
    ("fbeta_score", ([0, 1, 0], [0, 1, 1]), {"beta": 2}),
    ("classification_report", ([0, 1, 1], [1, 1, 1]), {"labels": []}),
    ("classification_report", ([0, 1, 1], [1, 1, 1]), {"labels": [0, 1], "target_names": ["x", "y", "a longer name"]}),
    ("classification_report", (np.array([[0], [1], [1]]), [1, 1, 1]), {}),  # a column vector
    ("accuracy_score", (np.array([[0], [1], [1]]), [1, 1, 1]), {"sample_weight": [1, 2, 3], "normalize": False}),
    ("confusion_matrix", (np.array([0, 1, 1], dtype=np.int8), np.array([-128, 127, 1], dtype=np.int8)), {}),
    ("precision_recall_fscore_support", (np.array([0, 1, 1], np.uint8), np.array([0, 255, 1], np.uint8)), {}),
    ("confusion_matrix", ([0, 1, 1], [1, 1, 1]), {"labels": [1], "sample_weight": [0.5, 0.0, 0.0]}),
]


@pytest.mark.parametrize(("name", "args", "kwargs"), EDGE_CASES)
def test_edge_cases(name, args, kwargs):
    assert_same_as_sklearn(name, *args, **kwargs)


def trec_predictions():
    """A cheap rule-based classifier of TREC questions from their first word."""
    test = data.load("trec", "test")
    y_true = [label.split(":")[0] for label in test.labels]
    rule = {"who": "HUM", "where": "LOC", "when": "NUM", "how": "NUM", "what": "ENTY", "why": "DESC", "name": "ENTY"}
    y_pred = [rule.get(text.split()[0].lower(), "DESC") for text in test.texts]
    return y_true, y_pred


@pytest.mark.parametrize("average", [None, "micro", "macro", "weighted"])
def test_trec_rule_classifier(average):
    y_true, y_pred = trec_predictions()
    for zero_division in ("warn", 0, 1, np.nan):
        assert_same_as_sklearn(
            "precision_recall_fscore_support", y_true, y_pred, average=average, zero_division=zero_division
        )
    assert_same_as_sklearn("f1_score", y_true, y_pred, average=average, labels=["HUM", "LOC", "ABBR"])


def test_trec_report_and_matrix():
    y_true, y_pred = trec_predictions()
    assert_same_as_sklearn("classification_report", y_true, y_pred, digits=4)
    assert_same_as_sklearn("classification_report", y_true, y_pred, output_dict=True)
    assert_same_as_sklearn("confusion_matrix", y_true, y_pred, normalize="true")
    assert_same_as_sklearn("accuracy_score", y_true, y_pred)
    binary_true = [y == "HUM" for y in y_true]
    binary_pred = [y == "HUM" for y in y_pred]
    assert_same_as_sklearn("f1_score", binary_true, binary_pred)
    assert_same_as_sklearn("precision_score", binary_true, binary_pred, pos_label=False)


def test_hand_checkable():
    assert ours.accuracy_score([0, 1, 2, 3], [0, 2, 1, 3]) == 0.5
    # tp=2, fp=1, fn=1 -> P = R = F1 = 2/3
    p, r, f, s = ours.precision_recall_fscore_support([1, 1, 1, 0], [1, 1, 0, 1], average="binary")
    assert (p, r, f, s) == (2 / 3, 2 / 3, 2 / 3, None)
    assert ours.confusion_matrix(["a", "b", "b"], ["b", "b", "a"]).tolist() == [[0, 1], [1, 1]]
    assert ours.confusion_matrix([0, 1, 1], [1, 1, 1], normalize="true").tolist() == [[0.0, 1.0], [0.0, 1.0]]
    assert ours.fbeta_score([1, 0], [1, 1], beta=2) == 5 * 0.5 / (4 * 0.5 + 1)


def test_zero_division_warns_with_our_class():
    with pytest.warns(UndefinedMetricWarning, match=r"Precision is ill-defined and being set to 0.0 due to no predicted samples"):
        assert ours.precision_score([1, 0], [0, 0]) == 0.0
    with pytest.warns(UndefinedMetricWarning, match=r"Recall is ill-defined and being set to 0.0 in labels with no true samples"):
        ours.recall_score([0, 0], [0, 1], average="macro")
    with pytest.warns(UserWarning, match=r"Note that pos_label \(set to 'a'\) is ignored when average != 'binary'"):
        ours.f1_score(["a", "b"], ["a", "b"], average="macro", pos_label="a")
    with pytest.warns(UserWarning, match=r"A single label was found in 'y_true' and 'y_pred'"):
        ours.confusion_matrix([1, 1], [1, 1])
    with pytest.warns(UserWarning, match=r"labels size, 2, does not match size of target_names, 1"):
        ours.classification_report([0, 1], [0, 1], labels=[0, 1], target_names=["zero"])
    assert np.isnan(ours.precision_score([1, 0], [0, 0], zero_division=np.nan))


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: ours.accuracy_score([0, 1], [0]), ValueError, r"inconsistent numbers of samples: expected equal lengths, got y_true=2, y_pred=1"),
        (lambda: ours.accuracy_score([], []), ValueError, r"y_true: expected at least one label, got an empty array"),
        (lambda: ours.accuracy_score(None, [1]), TypeError, r"y_true: expected an array-like of labels, got None"),
        (lambda: ours.accuracy_score([[0, 1], [1, 0]], [[0, 1], [1, 1]]), ValueError, r"y_true: expected a 1-D array of labels, got shape \(2, 2\); multilabel indicator"),
        (lambda: ours.accuracy_score([0.5, 1.0], [0, 1]), ValueError, r"y_true: expected discrete labels, got continuous values"),
        (lambda: ours.accuracy_score([np.nan, 1.0], [0, 1]), ValueError, r"y_true: expected finite labels, got NaN or infinity"),
        (lambda: ours.accuracy_score([b"a"], [b"a"]), TypeError, r"y_true: labels as bytes are not supported"),
        (lambda: ours.accuracy_score(np.array([1, "a"], dtype=object), [1, 1]), ValueError, r"y_true: expected labels that are all strings or all numbers"),
        (lambda: ours.accuracy_score(["a", "b"], [0, 1]), ValueError, r"y_true and y_pred: mix of label input types \(string and number\)"),
        (lambda: ours.accuracy_score([0, 1], [0, 1], normalize="yes"), TypeError, r"normalize: expected a bool, got 'yes'"),
        (lambda: ours.accuracy_score([0, 1], [0, 1], sample_weight=[1, 2, 3]), ValueError, r"sample_weight: expected shape \(2,\) like y_true, got shape \(3,\)"),
        (lambda: ours.accuracy_score([0, 1], [0, 1], sample_weight=[0, 0]), ValueError, r"sample_weight: expected at least one non-zero weight"),
        (lambda: ours.accuracy_score([0, 1], [0, 1], sample_weight=[[1, 1]]), ValueError, r"sample_weight: expected a 1-D array"),
        (lambda: ours.accuracy_score([0, 1], [0, 1], sample_weight=[1, np.inf]), ValueError, r"sample_weight: expected finite values, got infinity"),
        (lambda: ours.confusion_matrix([0, 1], [0, 1], labels=[]), ValueError, r"labels: 'labels' should contain at least one label"),
        (lambda: ours.confusion_matrix([0, 1], [0, 1], labels=[5]), ValueError, r"labels: at least one label specified must be in y_true"),
        (lambda: ours.confusion_matrix([0, 1], [0, 1], labels=[[0, 1]]), ValueError, r"labels: expected a 1-D array-like of labels, got shape \(1, 2\)"),
        (lambda: ours.confusion_matrix([0, 1], [0, 1], normalize="rows"), ValueError, r"normalize: expected one of None, 'true', 'pred', 'all', got 'rows'"),
        (lambda: ours.f1_score([0, 1, 2], [0, 1, 2]), ValueError, r"average: target is multiclass but average='binary'"),
        (lambda: ours.f1_score([0, 1], [0, 1], average="mean"), ValueError, r"average: expected one of None, 'binary', 'micro', 'macro', 'weighted', 'samples', got 'mean'"),
        (lambda: ours.f1_score([0, 1], [0, 1], average="samples"), ValueError, r"average: 'samples' needs multilabel targets"),
        (lambda: ours.f1_score(["a", "b"], ["a", "b"]), ValueError, r"pos_label=1 is not a valid label. It should be one of \['a' 'b'\]"),
        (lambda: ours.f1_score([0, 1], [0, 1], zero_division=0.5), ValueError, r"zero_division: expected one of 'warn', 0.0, 1.0, np.nan, got 0.5"),
        (lambda: ours.f1_score([0, 1], [0, 1], zero_division="nan"), ValueError, r"zero_division: expected one of 'warn', 0.0, 1.0, np.nan, got 'nan'"),
        (lambda: ours.fbeta_score([0, 1], [0, 1], beta=-1), ValueError, r"beta: expected a real number >= 0, got -1"),
        (lambda: ours.fbeta_score([0, 1], [0, 1], beta="2"), TypeError, r"beta: expected a real number >= 0, got '2'"),
        (lambda: ours.classification_report([0, 1], [0, 1], target_names=["a"]), ValueError, r"target_names: number of classes, 2, does not match size of target_names, 1"),
        (lambda: ours.classification_report([0, 1], [0, 1], labels=[]), ValueError, r"labels: expected at least one label to report, got an empty array"),
        (lambda: ours.accuracy_score(scipy.sparse.csr_matrix(np.eye(2)), [1, 0]), TypeError, r"y_true: expected a 1-D array of labels, got a scipy.sparse matrix"),
        (lambda: ours.accuracy_score([1 + 2j], [1]), ValueError, r"y_true: complex labels are not supported"),
        (lambda: ours.accuracy_score(np.array(["2020-01-01"], dtype="datetime64[D]"), [1]), TypeError, r"y_true: expected labels of type int, bool, str or integral float, got dtype datetime64\[D\]"),
        (lambda: ours.accuracy_score([[1], [2, 3]], [1, 2]), ValueError, r"y_true: could not be read as an array of labels"),
        (lambda: ours.accuracy_score(np.zeros((3, 1, 1)), np.zeros(3)), ValueError, r"y_true: expected a 1-D array of labels, got shape \(3, 1, 1\)"),
        (lambda: ours.classification_report([0, 1], [0, 1], digits=-1), ValueError, r"digits: expected an int >= 0, got -1"),
        (lambda: ours.classification_report([0, 1], [0, 1], output_dict=1), TypeError, r"output_dict: expected a bool, got 1"),
    ],
)
def test_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()
