"""mlcanon.metrics.semeval against the official SemEval-2010 Task 8 scorer (v1.2), the answer-file
IO, and the reader of the task's data files.

Where a test says "printed by the official scorer", the expected text was produced by running
``perl semeval2010_task8_scorer-v1.2.pl`` (the organisers' script, Preslav Nakov, 2010), transcribed
from its source text as stored in a public copy of the task release, on the answer files the test
builds; the script itself is not in this repository. The same local experiment compared our
``format_semeval_report`` with the script's output on 2,000 random cases (random label subsets,
skipped ids, direction flips, labels the key lacks, and the real test key): the 1,990 reports
were identical character for character, and the 10 cases the script refused (a key of ``Other``
only, no prediction) are ones we refuse; so are the inputs the script was seen to stop on (a
label outside the 19, an id the key lacks, ``01`` for ``1``, a last line without its line end,
the bundled undirected TEST_FILE_KEY.TXT). The first case is also worked out by hand below.
"""

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlcanon import data
from mlcanon.data import FormatError, parse_entity_markers, read_semeval2010_task8
from mlcanon.metrics import (
    SEMEVAL2010_TASK8_LABELS,
    format_semeval_report,
    read_answer_file,
    semeval2010_task8_score,
    write_answer_file,
)
from mlcanon.metrics.semeval import SemEvalResult

LABELS = SEMEVAL2010_TASK8_LABELS
CE12, CE21, MT12, MT21 = "Cause-Effect(e1,e2)", "Cause-Effect(e2,e1)", "Message-Topic(e1,e2)", "Message-Topic(e2,e1)"


def flip(label: str) -> str:
    return label.replace("(e1,e2)", "(x)").replace("(e2,e1)", "(e1,e2)").replace("(x)", "(e2,e1)")


@pytest.fixture(scope="module")
def test_key() -> dict[int, str]:
    """The directed test key: the label lines of TEST_FILE_FULL.TXT (TEST_FILE_KEY.TXT has no direction)."""
    test = data.load("semeval2010_task8", "test")
    return dict(zip(test.ids, test.labels))


# ----------------------------------------------------------------------------- a case checked by hand

# id: key -> proposal.  1 hit, 2 right relation wrong direction, 3 relation called Other, 4 hit,
# 5 skipped, 6 Other called a relation, 7 Other hit, 8 Other skipped.
HAND_KEY = {1: CE12, 2: CE21, 3: CE12, 4: MT12, 5: MT21, 6: "Other", 7: "Other", 8: "Other"}
HAND_PRED = {1: CE12, 2: CE12, 3: "Other", 4: MT12, 6: MT21, 7: "Other"}

# Printed by the official scorer for HAND_PRED against HAND_KEY (see the module docstring).
HAND_REPORT = """\
<<< (2*9+1)-WAY EVALUATION (USING DIRECTIONALITY)>>>:

Confusion matrix:
        C-E1 C-E2 M-T1 M-T2  _O_ <-- classified as
      +-------------------------+ -SUM- skip ACTUAL
 C-E1 |   1    0    0    0    1 |    2    0    2
 C-E2 |   1    0    0    0    0 |    1    0    1
 M-T1 |   0    0    1    0    0 |    1    0    1
 M-T2 |   0    0    0    0    0 |    0    1    1
  _O_ |   0    0    0    1    1 |    2    1    3
      +-------------------------+
 -SUM-    2    0    1    1    2      6    2    8

Coverage = 6/8 = 75.00%
Accuracy (calculated for the above confusion matrix) = 3/6 = 50.00%
Accuracy (considering all skipped examples as Wrong) = 3/8 = 37.50%
Accuracy (considering all skipped examples as Other) = 4/8 = 50.00%

Results for the individual relations:
      Cause-Effect(e1,e2) :    P =    1/   2 =  50.00%     R =    1/   2 =  50.00%     F1 =  50.00%
      Cause-Effect(e2,e1) :    P =    0/   0 =   0.00%     R =    0/   1 =   0.00%     F1 =   0.00%
     Message-Topic(e1,e2) :    P =    1/   1 = 100.00%     R =    1/   1 = 100.00%     F1 = 100.00%
     Message-Topic(e2,e1) :    P =    0/   1 =   0.00%     R =    0/   1 =   0.00%     F1 =   0.00%
                   _Other :    P =    1/   2 =  50.00%     R =    1/   3 =  33.33%     F1 =  40.00%

Micro-averaged result (excluding Other):
P =    2/   4 =  50.00%     R =    2/   5 =  40.00%     F1 =  44.44%

MACRO-averaged result (excluding Other):
P =  37.50%\tR =  37.50%\tF1 =  37.50%



<<< (9+1)-WAY EVALUATION IGNORING DIRECTIONALITY >>>:

Confusion matrix:
         C-E  M-T  _O_ <-- classified as
      +---------------+ -SUM- skip ACTUAL
  C-E |   2    0    1 |    3    0    3
  M-T |   0    1    0 |    1    1    2
  _O_ |   0    1    1 |    2    1    3
      +---------------+
 -SUM-    2    2    2      6    2    8

Coverage = 6/8 = 75.00%
Accuracy (calculated for the above confusion matrix) = 4/6 = 66.67%
Accuracy (considering all skipped examples as Wrong) = 4/8 = 50.00%
Accuracy (considering all skipped examples as Other) = 5/8 = 62.50%

Results for the individual relations:
             Cause-Effect :    P =    2/   2 = 100.00%     R =    2/   3 =  66.67%     F1 =  80.00%
            Message-Topic :    P =    1/   2 =  50.00%     R =    1/   2 =  50.00%     F1 =  50.00%
                   _Other :    P =    1/   2 =  50.00%     R =    1/   3 =  33.33%     F1 =  40.00%

Micro-averaged result (excluding Other):
P =    3/   4 =  75.00%     R =    3/   5 =  60.00%     F1 =  66.67%

MACRO-averaged result (excluding Other):
P =  75.00%\tR =  58.33%\tF1 =  65.00%



<<< (9+1)-WAY EVALUATION TAKING DIRECTIONALITY INTO ACCOUNT -- OFFICIAL >>>:

Confusion matrix:
         C-E  M-T  _O_ <-- classified as
      +---------------+ -SUM- xDIRx skip  ACTUAL
  C-E |   1    0    1 |    2     1     0      3
  M-T |   0    1    0 |    1     0     1      2
  _O_ |   0    1    1 |    2     0     1      3
      +---------------+
 -SUM-    1    2    2      5     1     2      8

Coverage = 6/8 = 75.00%
Accuracy (calculated for the above confusion matrix) = 3/6 = 50.00%
Accuracy (considering all skipped examples as Wrong) = 3/8 = 37.50%
Accuracy (considering all skipped examples as Other) = 4/8 = 50.00%

Results for the individual relations:
             Cause-Effect :    P =    1/(   1 +   1) =  50.00%     R =    1/   3 =  33.33%     F1 =  40.00%
            Message-Topic :    P =    1/(   2 +   0) =  50.00%     R =    1/   2 =  50.00%     F1 =  50.00%
                   _Other :    P =    1/(   2 +   0) =  50.00%     R =    1/   3 =  33.33%     F1 =  40.00%

Micro-averaged result (excluding Other):
P =    2/   4 =  50.00%     R =    2/   5 =  40.00%     F1 =  44.44%

MACRO-averaged result (excluding Other):
P =  50.00%\tR =  41.67%\tF1 =  45.00%



<<< The official score is (9+1)-way evaluation with directionality taken into account: macro-averaged F1 = 45.00% >>>
"""


def test_hand_case_numbers():
    r = semeval2010_task8_score(HAND_KEY, HAND_PRED)
    # (iii) official. Cause-Effect: hit id 1, id 2 has the wrong direction (xDIRx, added to the
    # proposals: P = 1/(1+1)), id 3 called Other; key count 3 -> R = 1/3, F1 = 2(1/2)(1/3)/(5/6) = 2/5.
    ce, mt, other = r.official.relations
    assert (ce.label, ce.correct, ce.proposed, ce.wrong_direction, ce.actual) == ("Cause-Effect", 1, 1, 1, 3)
    assert ce.precision == 50.0 and ce.recall == pytest.approx(100 / 3, rel=1e-15)
    assert ce.f1 == pytest.approx(40.0, rel=1e-15)
    # Message-Topic: hit id 4, proposal id 6 (an Other) is wrong, id 5 skipped: P = 1/2, R = 1/2.
    assert (mt.correct, mt.proposed, mt.wrong_direction, mt.actual, mt.f1) == (1, 2, 0, 2, 50.0)
    assert other.label == "Other" and other.f1 == pytest.approx(40.0, rel=1e-15)
    # macro over the 2 relations (Other excluded): P = 50, R = (100/3 + 50)/2, F1 = (40 + 50)/2
    assert r.official.macro_precision == 50.0
    assert r.official.macro_recall == pytest.approx(125 / 3, rel=1e-15)
    assert r.official_score == pytest.approx(45.0, rel=1e-15) and r.official_score == r.official.macro_f1
    # micro: 2 hits / (1+1 + 2+0) proposals, 2 hits / 5 key relations
    assert (r.official.micro_correct, r.official.micro_proposed, r.official.micro_actual) == (2, 4, 5)
    assert r.official.micro_f1 == pytest.approx(400 / 9, rel=1e-15)
    # accuracy: 3 hits (1, 4, 7) of 6 proposals, of 8 ids, and with the skipped Other (id 8) as hit
    assert (r.official.coverage, r.official.accuracy, r.official.accuracy_skipped_wrong) == (75.0, 50.0, 37.5)
    assert r.official.accuracy_skipped_other == 50.0 and r.official.n_correct_skipped_other == 4
    np.testing.assert_array_equal(r.official.confusion, [[1, 0, 1], [0, 1, 0], [0, 1, 1]])
    np.testing.assert_array_equal(r.official.wrong_direction, [1, 0, 0])
    np.testing.assert_array_equal(r.official.skipped, [0, 1, 1])
    # (ii) ignoring direction, id 2 is a hit: Cause-Effect P = 2/2, R = 2/3, F1 = 80
    assert r.undirected.relations[0].f1 == pytest.approx(80.0, rel=1e-15)
    assert r.undirected.macro_f1 == pytest.approx(65.0, rel=1e-15)
    # (i) 19-way: CE(e1,e2) 50/50, CE(e2,e1) 0, MT(e1,e2) 100, MT(e2,e1) 0 -> macro 37.5
    assert r.directed.rows == (CE12, CE21, MT12, MT21, "Other") and r.directed.macro_f1 == 37.5
    assert r.unknown_labels == ()


def test_hand_case_report_is_the_official_scorers_text():
    assert format_semeval_report(semeval2010_task8_score(HAND_KEY, HAND_PRED)) == HAND_REPORT


# Printed by the official scorer (see the module docstring): the key lacks CE(e2,e1) and
# Entity-Origin; the first only lacks its direction, the second is absent from the key altogether.
UNKNOWN_KEY = {1: CE12, 2: "Other", 3: MT21}
UNKNOWN_PRED = {3: MT21, 1: CE21, 2: "Entity-Origin(e1,e2)"}
UNKNOWN_REPORT_LINES = [
    "!!!WARNING!!! The proposed file contains 1 label(s) of type 'Cause-Effect(e2,e1)', which is NOT present in the key file.",
    "",
    "!!!WARNING!!! The proposed file contains 1 label(s) of type 'Entity-Origin(e1,e2)', which is NOT present in the key file.",
    "",
    "<<< (2*9+1)-WAY EVALUATION (USING DIRECTIONALITY)>>>:",
    "",
    "Confusion matrix:",
    "        C-E1 M-T2  _O_ *CE2 *EO1 <-- classified as",
    "      +-------------------------+ -SUM- skip ACTUAL",
    " C-E1 |   0    0    0    1    0 |    1    0    1",
    " M-T2 |   0    1    0    0    0 |    1    0    1",
    "  _O_ |   0    0    0    0    1 |    1    0    1",
    "      +-------------------------+",
    " -SUM-    0    1    0    1    1      3    0    3",
]
UNKNOWN_OFFICIAL_LINES = [
    "         C-E  M-T  _O_  *EO <-- classified as",
    "      +--------------------+ -SUM- xDIRx skip  ACTUAL",
    "  C-E |   0    0    0    0 |    0     1     0      1",
    "  M-T |   0    1    0    0 |    1     0     0      1",
    "  _O_ |   0    0    0    1 |    1     0     0      1",
    "      +--------------------+",
    " -SUM-    0    1    0    1      2     1     0      3",
    "             Cause-Effect :    P =    0/(   0 +   1) =   0.00%     R =    0/   1 =   0.00%     F1 =   0.00%",
    "P =    1/   2 =  50.00%     R =    1/   2 =  50.00%     F1 =  50.00%",
    "P =  50.00%\tR =  50.00%\tF1 =  50.00%",
    "<<< The official score is (9+1)-way evaluation with directionality taken into account: macro-averaged F1 = 50.00% >>>",
]


def test_labels_the_key_lacks_are_columns_marked_with_a_star_and_count_as_wrong():
    r = semeval2010_task8_score(UNKNOWN_KEY, UNKNOWN_PRED)
    assert r.unknown_labels == ((CE21, 1), ("Entity-Origin(e1,e2)", 1))
    assert r.directed.columns == (CE12, MT21, "Other", CE21, "Entity-Origin(e1,e2)")
    assert r.directed.rows == (CE12, MT21, "Other")  # no row, hence no P/R/F1, for them
    assert [s.label for s in r.directed.relations] == [CE12, MT21, "Other"]
    assert r.undirected.columns == ("Cause-Effect", "Message-Topic", "Other", "Entity-Origin")
    text = format_semeval_report(r).splitlines()
    assert text[: len(UNKNOWN_REPORT_LINES)] == UNKNOWN_REPORT_LINES
    official = text[text.index("<<< (9+1)-WAY EVALUATION TAKING DIRECTIONALITY INTO ACCOUNT -- OFFICIAL >>>:") :]
    assert [line for line in official if line in UNKNOWN_OFFICIAL_LINES] == UNKNOWN_OFFICIAL_LINES


# ----------------------------------------------------------------------------- the real test key


def perturbed(key: dict) -> dict:
    """A deterministic proposal for ``key`` with every kind of error the scorer books."""
    pred = {}
    for k, (i, a) in enumerate(key.items()):
        if k % 17 == 0:
            continue  # missing id ("skipped")
        if k % 7 == 0 and a != "Other":
            pred[i] = flip(a)  # right relation, wrong direction
        elif k % 11 == 0:
            pred[i] = CE12 if a == "Other" else "Other"  # Other <-> relation swap
        elif k % 13 == 0:
            pred[i] = "Entity-Destination(e2,e1)"  # a label the key below lacks
        else:
            pred[i] = a
    return pred


# Printed by the official scorer (see the module docstring) for perturbed(key), key = the test key
# without its one Entity-Destination(e2,e1) example: the lines below, in this order.
REAL_LINES = [
    "!!!WARNING!!! The proposed file contains 192 label(s) of type 'Entity-Destination(e2,e1)', which is NOT present in the key file.",
    " -SUM-  147  154  130  126  104   45  196  155   57   40   88   49  144  161   56   89   97  526  192   2556  160 2716",
    "Coverage = 2556/2716 = 94.11%",
    "Accuracy (calculated for the above confusion matrix) = 1895/2556 = 74.14%",
    "Accuracy (considering all skipped examples as Wrong) = 1895/2716 = 69.77%",
    "Accuracy (considering all skipped examples as Other) = 1923/2716 = 70.80%",
    "P = 1539/1838 =  83.73%     R = 1539/2262 =  68.04%     F1 =  75.07%",
    "P =  77.37%\tR =  67.96%\tF1 =  71.02%",
    " -SUM-  301  256  149  388  212  128  193  217  186  526   2556  160 2716",
    "Accuracy (calculated for the above confusion matrix) = 2206/2556 = 86.31%",
    "Accuracy (considering all skipped examples as Wrong) = 2206/2716 = 81.22%",
    "Accuracy (considering all skipped examples as Other) = 2234/2716 = 82.25%",
    "P = 1850/2030 =  91.13%     R = 1850/2262 =  81.79%     F1 =  86.21%",
    "P =  94.54%\tR =  81.67%\tF1 =  87.18%",
    " -SUM-  260  219  122  339  180  103  161  187  148  526   2245   311   160   2716",
    "Accuracy (calculated for the above confusion matrix) = 1895/2556 = 74.14%",
    "P = 1539/2030 =  75.81%     R = 1539/2262 =  68.04%     F1 =  71.71%",
    "P =  78.51%\tR =  67.74%\tF1 =  72.36%",
    "<<< The official score is (9+1)-way evaluation with directionality taken into account: macro-averaged F1 = 72.36% >>>",
]


def test_real_key_with_perturbations_gives_the_official_scorers_lines(test_key):
    key = {i: a for i, a in test_key.items() if a != "Entity-Destination(e2,e1)"}
    r = semeval2010_task8_score(key, perturbed(key))
    lines = format_semeval_report(r).splitlines()
    at = 0
    for line in REAL_LINES:  # each line, after the previous one
        at = lines.index(line, at) + 1
    assert int(r.official.wrong_direction.sum()) == 311
    # the printed 72.36 is the rounding of the float itself
    assert "%.2f" % r.official_score == "72.36"


def test_test_key_against_itself_is_100(test_key):
    r = semeval2010_task8_score(test_key, dict(test_key))
    for ev in r.evaluations:
        assert ev.macro_f1 == ev.micro_f1 == ev.accuracy == ev.coverage == 100.0
        assert all(s.f1 == 100.0 for s in ev.relations)
        assert ev.skipped.sum() == 0 and ev.wrong_direction.sum() == 0
    assert r.official_score == 100.0
    assert r.directed.rows == tuple(sorted(LABELS[1:])) + ("Other",)  # all 19 labels, Other last
    assert len(r.official.rows) == 10 and int(r.official.actual.sum()) == 2717
    # the README's counts
    assert dict(zip(r.directed.rows, r.directed.actual.tolist()))["Entity-Destination(e2,e1)"] == 1
    assert dict(zip(r.official.rows, r.official.actual.tolist()))["Other"] == 454


def test_every_direction_flipped_scores_0_officially_and_100_ignoring_direction(test_key):
    r = semeval2010_task8_score(test_key, {i: flip(a) for i, a in test_key.items()})
    assert r.undirected.macro_f1 == 100.0
    assert r.official_score == 0.0 and r.directed.macro_f1 == 0.0
    assert int(r.official.wrong_direction.sum()) == 2717 - 454
    # every wrong-direction example counts as a proposal of its relation: P = 0/(0 + w)
    assert all(s.proposed == 0 and s.wrong_direction == s.actual for s in r.official.relations[:-1])


def test_all_other_scores_0_and_skipping_all_but_one_id(test_key):
    r = semeval2010_task8_score(test_key, {i: "Other" for i in test_key})
    assert r.official_score == 0.0 and r.official.accuracy == pytest.approx(100.0 * 454 / 2717, rel=1e-15)
    first = next(iter(test_key))
    r = semeval2010_task8_score(test_key, {first: test_key[first]})
    assert r.official.coverage == 100.0 * 1 / 2717 and r.official.accuracy == 100.0
    assert r.official.micro_precision == 100.0 and r.official.micro_recall == 100.0 / 2263


def test_sequences_with_ids_or_none_equal_mappings(test_key):
    ids, labels = list(test_key), list(test_key.values())
    pred = perturbed(test_key)
    as_sequence = [pred.get(i) for i in ids]  # None: skipped
    a = semeval2010_task8_score(labels, as_sequence, ids=ids)
    b = semeval2010_task8_score(test_key, pred)
    assert format_semeval_report(a) == format_semeval_report(b)
    # ids as strings and as ints are one id (the script reads them as text)
    c = semeval2010_task8_score({str(i): a for i, a in test_key.items()}, pred)
    assert format_semeval_report(c) == format_semeval_report(b)
    # default ids are positions
    d = semeval2010_task8_score(labels[:5], labels[:5])
    assert d.official_score == 100.0


# ----------------------------------------------------------------------------- invariants


@st.composite
def key_and_proposal(draw):
    pool = draw(st.lists(st.sampled_from(LABELS), min_size=1, max_size=19, unique=True))
    labels = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=40))
    if all(a == "Other" for a in labels):
        labels[0] = CE12
    n = len(labels)
    actions = draw(st.lists(st.sampled_from(["same", "flip", "random", "skip"]), min_size=n, max_size=n))
    randoms = draw(st.lists(st.sampled_from(LABELS), min_size=n, max_size=n))
    key = dict(enumerate(labels))
    proposal = {}
    for i, (a, action, other) in enumerate(zip(labels, actions, randoms)):
        if action != "skip":
            proposal[i] = {"same": a, "flip": flip(a), "random": other}[action]
    if not proposal:
        proposal[0] = key[0]
    return key, proposal


@settings(max_examples=150, deadline=None)
@given(key_and_proposal())
def test_invariants(case):
    key, proposal = case
    r = semeval2010_task8_score(key, proposal)
    for ev in r.evaluations:
        for value in (ev.macro_precision, ev.macro_recall, ev.macro_f1, ev.micro_f1, ev.accuracy, ev.coverage):
            assert 0.0 <= value <= 100.0
        assert all(0.0 <= s.precision <= 100.0 and 0.0 <= s.f1 <= 100.0 for s in ev.relations)
        # the bookkeeping: ACTUAL = -SUM- + xDIRx + skip on every row
        np.testing.assert_array_equal(ev.confusion.sum(axis=1) + ev.wrong_direction + ev.skipped, ev.actual)
        np.testing.assert_array_equal(ev.confusion.sum(axis=0), ev.column_sums)
        assert int(ev.skipped.sum()) == len(key) - len(proposal) and ev.actual.sum() == len(key)
        assert ev.accuracy_skipped_wrong <= ev.accuracy_skipped_other
        assert min(s.f1 for s in ev.relations) <= ev.macro_f1 <= max(s.f1 for s in ev.relations)
    # ignoring direction turns every wrong-direction example into a hit: never a lower score
    assert r.undirected.macro_f1 >= r.official_score
    assert r.undirected.micro_f1 >= r.official.micro_f1
    # hits are the same in (i) and (iii): a hit is a hit of label and direction
    assert r.directed.n_correct == r.official.n_correct
    assert int(r.official.wrong_direction.sum()) + r.official.n_correct <= r.undirected.n_correct


@settings(max_examples=60, deadline=None)
@given(key_and_proposal())
def test_skipped_equals_other_in_micro_and_macro(case):
    """The script's note: in the micro and macro figures a skipped id counts as an Other."""
    key, proposal = case
    filled = {i: proposal.get(i, "Other") for i in key}
    a, b = semeval2010_task8_score(key, proposal), semeval2010_task8_score(key, filled)
    for ea, eb in zip(a.evaluations, b.evaluations):
        assert (ea.macro_precision, ea.macro_recall, ea.macro_f1) == (eb.macro_precision, eb.macro_recall, eb.macro_f1)
        assert (ea.micro_precision, ea.micro_recall, ea.micro_f1) == (eb.micro_precision, eb.micro_recall, eb.micro_f1)
        assert ea.relations[:-1] == eb.relations[:-1] or "Other" not in ea.rows


@settings(max_examples=60, deadline=None)
@given(key_and_proposal(), st.randoms(use_true_random=False))
def test_order_of_the_ids_does_not_matter(case, rnd):
    key, proposal = case
    items = list(proposal.items())
    rnd.shuffle(items)
    assert format_semeval_report(semeval2010_task8_score(key, proposal)) == format_semeval_report(
        semeval2010_task8_score(key, dict(items))
    )


# ----------------------------------------------------------------------------- what the script refuses


def test_errors_of_the_score():
    key = {1: CE12, 2: "Other"}
    with pytest.raises(ValueError, match=r"y_pred: expected one of the 19 SemEval-2010 Task 8 labels .* for id '1', got str 'Foo' \(the scorer stops on it: 'Bad file format'\)"):
        semeval2010_task8_score(key, {1: "Foo"})
    with pytest.raises(ValueError, match=r"y_pred: expected one of the 19 .* got str 'Cause-Effect'"):
        semeval2010_task8_score(key, {1: "Cause-Effect"})  # no direction: the scorer's reader rejects it
    with pytest.raises(ValueError, match=r"y_true: expected one of the 19 .* for id '2', got str 'other'"):
        semeval2010_task8_score({1: CE12, 2: "other"}, {1: CE12})
    with pytest.raises(ValueError, match=r"y_pred: expected ids of the key \(y_true\), got id '3', which the key lacks"):
        semeval2010_task8_score(key, {3: "Other"})
    with pytest.raises(ValueError, match=r"y_pred: expected ids of the key .* got id '01'"):
        semeval2010_task8_score(key, {"01": "Other"})  # compared as text, as the script does
    with pytest.raises(ValueError, match=r"y_pred: expected at least one prediction, got none"):
        semeval2010_task8_score(key, {})
    with pytest.raises(ValueError, match=r"y_pred: expected at least one prediction, got none"):
        semeval2010_task8_score([CE12, "Other"], [None, None])
    with pytest.raises(ValueError, match=r"y_true: expected at least one relation other than 'Other', got only 'Other'"):
        semeval2010_task8_score({1: "Other"}, {1: "Other"})
    with pytest.raises(ValueError, match=r"y_true: expected at least one labelled id, got none"):
        semeval2010_task8_score({}, {})
    with pytest.raises(ValueError, match=r"y_true: expected each id once \(the scorer rejects repeats\), got id '7' twice"):
        semeval2010_task8_score({7: CE12, "7": "Other"}, {7: CE12})
    with pytest.raises(ValueError, match=r"ids: expected each id once .* got id '1' twice"):
        semeval2010_task8_score([CE12, CE12], [CE12, CE12], ids=[1, 1])
    with pytest.raises(ValueError, match=r"y_pred: expected each id once .* got id '1' twice"):
        semeval2010_task8_score(key, {1: CE12, "1": CE12})
    with pytest.raises(ValueError, match=r"ids: expected None when y_true is a mapping \(it holds the ids\), got list"):
        semeval2010_task8_score(key, {1: CE12}, ids=[1, 2])
    with pytest.raises(ValueError, match=r"inconsistent numbers of samples: expected equal lengths, got y_true=2, ids=3"):
        semeval2010_task8_score([CE12, CE12], [CE12, CE12], ids=[1, 2, 3])
    with pytest.raises(ValueError, match=r"inconsistent numbers of samples: expected equal lengths, got y_true=2, y_pred=1 \(give a mapping"):
        semeval2010_task8_score([CE12, CE12], [CE12])
    with pytest.raises(TypeError, match=r"y_true: expected a sequence of labels \(list, tuple or 1-D array\), got str"):
        semeval2010_task8_score(CE12, [CE12])
    with pytest.raises(TypeError, match=r"y_pred: expected a sequence of labels .* got int"):
        semeval2010_task8_score([CE12], 3)
    with pytest.raises(ValueError, match=r"y_true: expected a 1-D sequence of labels, got array of shape \(1, 1\)"):
        semeval2010_task8_score(np.array([[CE12]]), [CE12])
    with pytest.raises(ValueError, match=r"ids: expected ids that are non-negative ints or digit strings, got int -1"):
        semeval2010_task8_score([CE12], [CE12], ids=[-1])
    with pytest.raises(ValueError, match=r"ids: expected ids that are non-negative ints or digit strings, got str 'a1'"):
        semeval2010_task8_score([CE12], [CE12], ids=["a1"])
    with pytest.raises(TypeError, match=r"ids: expected ids that are non-negative ints or digit strings, got bool True"):
        semeval2010_task8_score([CE12], [CE12], ids=[True])
    with pytest.raises(TypeError, match=r"ids: expected a sequence of ids \(ints or digit strings\), got int 5"):
        semeval2010_task8_score([CE12], [CE12], ids=5)
    with pytest.raises(TypeError, match=r"result: expected a SemEvalResult from semeval2010_task8_score, got dict"):
        format_semeval_report({})


def test_numpy_inputs():
    labels = np.array([CE12, "Other", MT21])
    r = semeval2010_task8_score(labels, labels, ids=np.arange(8001, 8004))
    assert isinstance(r, SemEvalResult) and r.official_score == 100.0


# ----------------------------------------------------------------------------- answer files


def test_answer_files_round_trip_and_the_scorer_reads_what_we_write(tmp_path: Path, test_key):
    f = tmp_path / "answer.txt"
    pred = perturbed(test_key)
    write_answer_file(f, list(pred), list(pred.values()))
    text = f.read_bytes()
    assert text.startswith(b"8002\t") and text.endswith(b"\n") and b"\r" not in text
    back = read_answer_file(f)
    assert back == {str(i): a for i, a in pred.items()}
    assert semeval2010_task8_score(test_key, back).official_score == semeval2010_task8_score(test_key, pred).official_score


def test_read_answer_file_accepts_crlf_and_rejects_what_the_scorer_rejects(tmp_path: Path):
    f = tmp_path / "a.txt"
    f.write_bytes(b"1\tOther\r\n2\tCause-Effect(e1,e2)\r\n")
    assert read_answer_file(f) == {"1": "Other", "2": CE12}
    f.write_bytes(b"")
    assert read_answer_file(f) == {}
    cases = [
        (b"1\tOther\n2\tOther", r"a.txt, line 2: the last line has no line end \(the scorer needs one\)"),
        (b"1\tOther\n\n", r"a.txt, line 2: expected '<id><TAB><label>' with one of the 19 labels"),
        (b"1 Other\n", r"a.txt, line 1: expected '<id><TAB><label>'"),
        (b"x1\tOther\n", r"a.txt, line 1: expected '<id><TAB><label>'"),
        (b"1\tOther \n", r"a.txt, line 1: expected '<id><TAB><label>'"),
        (b"1\tOther\r\r\n", r"a.txt, line 1: expected '<id><TAB><label>'"),
        (b"1\tOther\n1\tOther\n", r"a.txt, line 2: id 1 is already defined on line 1"),
    ]
    for content, message in cases:
        f.write_bytes(content)
        with pytest.raises(FormatError, match=message):
            read_answer_file(f)


def test_the_bundled_undirected_key_is_rejected_as_the_scorer_rejects_it():
    # TEST_FILE_KEY.TXT in datasets/ has no directions ("Message-Topic"); the scorer stops on line 1.
    with pytest.raises(FormatError, match=r"TEST_FILE_KEY.TXT, line 1: expected '<id><TAB><label>'.*'8001\\tMessage-Topic"):
        read_answer_file(data.path("semeval2010_task8") / "TEST_FILE_KEY.TXT")


def test_write_answer_file_errors(tmp_path: Path):
    f = tmp_path / "a.txt"
    with pytest.raises(ValueError, match=r"inconsistent numbers of samples: expected equal lengths, got ids=2, labels=1"):
        write_answer_file(f, [1, 2], [CE12])
    with pytest.raises(ValueError, match=r"labels: expected one of the 19 SemEval-2010 Task 8 labels .* for id '2', got NoneType None"):
        write_answer_file(f, [1, 2], [CE12, None])
    with pytest.raises(ValueError, match=r"ids: expected each id once .* got id '1' twice"):
        write_answer_file(f, [1, "1"], [CE12, CE12])
    with pytest.raises(ValueError, match=r"ids: expected ids that are non-negative ints or digit strings, got float 1.0"):
        write_answer_file(f, [1.0], [CE12])
    assert not f.exists()


# ----------------------------------------------------------------------------- the data reader


def test_reader_on_the_bundled_files(test_key):
    train = data.load("semeval2010_task8", "train")
    assert len(train) == 8000 and train.ids == list(range(1, 8001))
    assert set(train.labels) == set(LABELS) and set(test_key.values()) == set(LABELS)
    assert (data.path("semeval2010_task8") / "labels.txt").read_text().split() == list(LABELS)
    assert list(test_key)[:2] == [8001, 8002] and len(test_key) == 2717
    assert train.labels.count("Other") == 1410 and list(test_key.values()).count("Entity-Destination(e2,e1)") == 1
    # only the enclosing quotes are removed: sentence 629 begins with a quotation
    assert train.sentences[628].startswith('"Just like real baseball," he told the <e1>card</e1>')
    assert train.sentences[363].endswith('marked "G. Goodale, Hartford."')
    assert all(s.count("<e1>") == s.count("</e2>") == 1 for s in train.sentences)


def test_parse_entity_markers():
    m = parse_entity_markers("The <e1>power cord</e1> of the <e2>lamp</e2>'s base.")
    assert m.tokens == ["The", "power", "cord", "of", "the", "lamp", "'s", "base", "."]
    assert (m.e1, m.e2) == ((1, 3), (5, 6))
    m = parse_entity_markers("<e2>E-mail</e2>s reached the <e1>U.S</e1>.")  # e2 first, markers inside words
    assert m.tokens == ["E-mail", "s", "reached", "the", "U.S", "."] and (m.e1, m.e2) == ((4, 5), (0, 1))
    train = data.load("semeval2010_task8", "train")
    m = parse_entity_markers(train.sentences[0])
    assert m.tokens[m.e1[0] : m.e1[1]] == ["configuration"] and m.tokens[m.e2[0] : m.e2[1]] == ["elements"]
    spans = [parse_entity_markers(s) for s in train.sentences]
    assert all(0 <= p.e1[0] < p.e1[1] <= p.e2[0] < p.e2[1] <= len(p.tokens) for p in spans)


def test_parse_entity_markers_errors():
    with pytest.raises(TypeError, match=r"text: expected a str, got int"):
        parse_entity_markers(3)
    with pytest.raises(ValueError, match=r"text: expected exactly one <e1>...</e1> and one <e2>...</e2>, got <e1> x1, </e1> x1, <e2> x0, </e2> x0: 'a <e1>b</e1> c'"):
        parse_entity_markers("a <e1>b</e1> c")
    with pytest.raises(ValueError, match=r"text: expected <e1>...</e1> and <e2>...</e2> neither nested nor overlapping, got <e1> <e2> </e2> </e1>"):
        parse_entity_markers("<e1>a <e2>b</e2></e1>")
    with pytest.raises(ValueError, match=r"text: expected .* neither nested nor overlapping, got </e1> <e1>"):
        parse_entity_markers("</e1>a<e1> <e2>b</e2>")
    with pytest.raises(ValueError, match=r"text: expected a nominal inside <e2>...</e2>, got an empty one"):
        parse_entity_markers("<e1>a</e1> <e2> </e2>")


BLOCK = '1\t"a <e1>b</e1> c <e2>d</e2>"\r\nOther\r\nComment:\r\n\r\n'


@pytest.mark.parametrize(
    "text, message",
    [
        ('2\ta <e1>b</e1> <e2>d</e2>\nOther\nComment:\n', r"line 5: expected the sentence in double quotes"),
        ('2\t"a <e1>b</e1> d"\nOther\nComment:\n', r"line 5: expected exactly one <e1>...</e1> and one <e2>...</e2>, got <e1> x1, </e1> x1, <e2> x0"),
        ('2\t"a <e1>b <e2>c</e2></e1>"\nOther\nComment:\n', r"line 5: expected <e1>...</e1> and <e2>...</e2> neither nested"),
        ('2\t"a <e1>b</e1> <e2>d</e2>"\nFoo(e1,e2)\nComment:\n', r"line 6: expected one of the 19 relation labels .*: 'Foo\(e1,e2\)'"),
        ('2\t"a <e1>b</e1> <e2>d</e2>"\nOther \nComment:\n', r"line 6: expected one of the 19 relation labels"),
        ('2\t"a <e1>b</e1> <e2>d</e2>"\n\n', r"line 5: expected a relation label on the next line"),
        ('2\t"a <e1>b</e1> <e2>d</e2>"\nOther\nNote: x\n', r"line 7: expected the 'Comment:' line of the example: 'Note: x'"),
        ('2\t"a <e1>b</e1> <e2>d</e2>"\nOther\n', r"line 7: expected the 'Comment:' line of the example$"),
        ('2\t"a <e1>b</e1> <e2>d</e2>"\nOther\nComment:\n3\t"x"\n', r"line 8: expected a blank line after the 'Comment:' line"),
        ('1\t"a <e1>b</e1> <e2>d</e2>"\nOther\nComment:\n', r"line 5: id 1 already appeared on line 1"),
        ('²\t"a <e1>b</e1> <e2>d</e2>"\nOther\nComment:\n', r"line 5: expected 'id<TAB>\"sentence\"'"),
    ],
)
def test_reader_errors_name_the_file_and_the_line(tmp_path: Path, text, message):
    f = tmp_path / "sem.txt"
    f.write_bytes((BLOCK + text).encode("utf-8"))
    with pytest.raises(FormatError, match=r"sem.txt, " + message):
        read_semeval2010_task8(f)


def test_reader_accepts_a_last_block_without_blank_line_and_extra_blank_lines(tmp_path: Path):
    f = tmp_path / "sem.txt"
    f.write_bytes((BLOCK + "\r\n" + BLOCK.replace("1\t", "2\t").rstrip("\r\n")).encode())
    got = read_semeval2010_task8(f)
    assert got.ids == [1, 2] and got.sentences == ["a <e1>b</e1> c <e2>d</e2>"] * 2 and got.labels == ["Other"] * 2
