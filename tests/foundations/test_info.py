"""mlcanon.info: identities of information theory, scipy/sklearn parity, errors."""

import math

import numpy as np
import pytest
import scipy.stats
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from sklearn.metrics import mutual_info_score as sk_mutual_info_score

from mlcanon import data
from mlcanon.info import (
    conditional_entropy,
    cross_entropy,
    entropy,
    joint_entropy,
    kl_divergence,
    mutual_info_score,
    mutual_information,
)

ATOL = 1e-12
BASES = [2, math.e, 10, 0.5, 3.7, None]


@st.composite
def tables(draw, max_side=6):
    """Joint tables from small integer counts: zeros (whole zero rows/columns too) are common."""
    shape = draw(st.tuples(st.integers(1, max_side), st.integers(1, max_side)))
    counts = draw(hnp.arrays(np.int64, shape, elements=st.integers(0, 4)))
    assume(counts.sum() > 0)
    return counts / counts.sum()


@st.composite
def vectors(draw, n=None, max_n=8):
    n = n or draw(st.integers(1, max_n))
    counts = draw(hnp.arrays(np.int64, (n,), elements=st.integers(0, 5)))
    assume(counts.sum() > 0)
    return counts / counts.sum()


@st.composite
def vector_pairs(draw):
    n = draw(st.integers(1, 8))
    return draw(vectors(n=n)), draw(vectors(n=n))


@settings(max_examples=200)
@given(pxy=tables(), base=st.sampled_from(BASES))
def test_mutual_information_identities(pxy, base):
    px, py = pxy.sum(axis=1), pxy.sum(axis=0)
    i_xy = mutual_information(pxy, base)
    assert i_xy == pytest.approx(mutual_information(pxy.T, base), abs=ATOL)  # I(X;Y) = I(Y;X)
    assert i_xy == pytest.approx(entropy(py, base) - conditional_entropy(pxy, base), abs=ATOL)
    assert i_xy == pytest.approx(entropy(px, base) - conditional_entropy(pxy.T, base), abs=ATOL)
    assert entropy(px, base) + entropy(py, base) == pytest.approx(joint_entropy(pxy, base) + i_xy, abs=ATOL)
    assert joint_entropy(pxy, base) == pytest.approx(entropy(px, base) + conditional_entropy(pxy, base), abs=ATOL)
    # I(X;Y) = KL(p(x,y) || p(x)p(y))
    assert i_xy == pytest.approx(kl_divergence(pxy.ravel(), np.outer(px, py).ravel(), base), abs=ATOL)


@settings(max_examples=200)
@given(pxy=tables(), base=st.sampled_from([2, math.e, 10, 3.7, None]))
def test_non_negativity(pxy, base):
    # bases > 1 so that log is increasing (base 0.5 flips every sign)
    assert mutual_information(pxy, base) >= 0
    assert conditional_entropy(pxy, base) >= 0
    assert conditional_entropy(pxy.T, base) >= 0
    assert joint_entropy(pxy, base) >= 0
    assert entropy(pxy.sum(axis=1), base) >= 0
    # conditioning reduces entropy, up to rounding
    assert conditional_entropy(pxy, base) <= entropy(pxy.sum(axis=0), base) + ATOL


@settings(max_examples=200)
@given(pq=vector_pairs(), base=st.sampled_from(BASES))
def test_kl_and_cross_entropy_against_scipy(pq, base):
    p, q = pq
    ref_kl = scipy.stats.entropy(p, q, base=base)
    ours_kl = kl_divergence(p, q, base)
    if np.isinf(ref_kl):
        assert ours_kl == ref_kl  # +inf where q = 0 < p
        assert cross_entropy(p, q, base) == (math.inf if base is None or base > 1 else -math.inf)
    else:
        assert ours_kl == pytest.approx(ref_kl, rel=1e-12, abs=ATOL)
        assert cross_entropy(p, q, base) == pytest.approx(entropy(p, base) + ours_kl, abs=1e-11)
    assert kl_divergence(p, p, base) == 0.0
    assert cross_entropy(p, p, base) == pytest.approx(entropy(p, base), abs=ATOL)


@settings(max_examples=200)
@given(p=vectors(), base=st.sampled_from(BASES))
def test_entropy_against_scipy(p, base):
    assert entropy(p, base) == pytest.approx(scipy.stats.entropy(p, base=base), rel=1e-13, abs=1e-15)


@settings(max_examples=100)
@given(pq=vector_pairs())
def test_kl_is_non_negative(pq):
    assert kl_divergence(*pq) >= 0


@settings(max_examples=200)
@given(
    labels=st.integers(1, 60).flatmap(
        lambda n: st.tuples(
            st.lists(st.integers(-3, 6), min_size=n, max_size=n),
            st.lists(st.sampled_from(["a", "b", "c", "dd", "é"]), min_size=n, max_size=n),
        )
    )
)
def test_mutual_info_score_against_sklearn(labels):
    a, b = labels
    ref = sk_mutual_info_score(a, b)
    assert abs(mutual_info_score(a, b) - ref) <= 1e-10
    assert abs(mutual_info_score(b, a) - sk_mutual_info_score(b, a)) <= 1e-10
    assert mutual_info_score(a, a) == pytest.approx(sk_mutual_info_score(a, a), abs=1e-10)


def trec_columns():
    train = data.load("trec", "train")
    coarse = np.array([label.split(":")[0] for label in train.labels])
    first_word = np.array([text.split()[0].lower() for text in train.texts])
    return coarse, np.array(train.labels), first_word


def test_mutual_info_score_on_trec():
    coarse, fine, first_word = trec_columns()
    for a, b in [(coarse, first_word), (fine, first_word), (coarse, fine)]:
        assert abs(mutual_info_score(a, b) - sk_mutual_info_score(a, b)) <= 1e-10
    # I(coarse; fine) = H(coarse) since the coarse label is a function of the fine one
    _, counts = np.unique(coarse, return_counts=True)
    assert mutual_info_score(coarse, fine) == pytest.approx(entropy(counts / counts.sum(), base=None), abs=1e-12)


def test_plug_in_table_equals_samples_on_trec():
    coarse, _, first_word = trec_columns()
    _, ia = np.unique(coarse, return_inverse=True)
    _, ib = np.unique(first_word, return_inverse=True)
    table = np.zeros((ia.max() + 1, ib.max() + 1))
    np.add.at(table, (ia, ib), 1)
    pxy = table / table.sum()
    assert mutual_information(pxy, base=None) == pytest.approx(mutual_info_score(coarse, first_word), abs=1e-12)
    assert mutual_information(pxy, base=2) == pytest.approx(
        mutual_info_score(coarse, first_word) / math.log(2), abs=1e-12
    )


def test_hand_checkable_cases():
    assert entropy([0.5, 0.5]) == 1.0  # a fair coin is one bit
    assert entropy([0.5, 0.5], base=math.e) == pytest.approx(math.log(2))
    assert entropy([1.0, 0.0]) == 0.0
    assert entropy([0.25] * 4) == 2.0
    assert entropy([0.1] * 10, base=10) == pytest.approx(1.0)
    assert joint_entropy([[0.25, 0.25], [0.25, 0.25]]) == 2.0
    assert conditional_entropy([[0.5, 0.0], [0.0, 0.5]]) == 0.0
    assert mutual_information([[0.5, 0.0], [0.0, 0.5]]) == 1.0
    assert mutual_information([[0.25, 0.25], [0.25, 0.25]]) == 0.0
    # Binary symmetric channel with crossover 0.1 and a uniform input: I = 1 - H(0.1)
    eps = 0.1
    bsc = np.array([[1 - eps, eps], [eps, 1 - eps]]) / 2
    assert mutual_information(bsc) == pytest.approx(1 - entropy([eps, 1 - eps]), abs=1e-15)
    assert kl_divergence([0.5, 0.5], [0.25, 0.75]) == pytest.approx(0.5 * math.log2(2) + 0.5 * math.log2(2 / 3))
    assert kl_divergence([1.0, 0.0], [0.5, 0.5]) == 1.0
    assert kl_divergence([0.0, 1.0], [1.0, 0.0]) == math.inf
    assert kl_divergence([0.0, 1.0], [0.0, 1.0]) == 0.0  # 0 log 0/0 = 0
    assert cross_entropy([1.0, 0.0], [0.25, 0.75]) == 2.0
    assert mutual_info_score([1, 1, 1], [1, 2, 3]) == 0.0  # one cluster
    assert mutual_info_score(["x"], ["y"]) == 0.0
    assert mutual_info_score([0, 0, 1, 1], ["a", "a", "b", "b"]) == math.log(2)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: entropy([0.5, 0.6]), ValueError, r"p: expected probabilities that sum to 1, got a sum of 1.1"),
        (lambda: entropy([1.5, -0.5]), ValueError, r"p: expected probabilities >= 0, got -0.5 at index \(1,\)"),
        (lambda: entropy([[0.5, 0.5]]), ValueError, r"p: expected a 1-D array, got shape \(1, 2\)"),
        (lambda: entropy([]), ValueError, r"p: found array with 0 sample"),
        (lambda: entropy([0.5, np.nan]), ValueError, r"p: expected finite values, got NaN at index \(1,\)"),
        (lambda: entropy(["a", "b"]), ValueError, r"p: could not be read as an array \(could not convert string to float"),
        (lambda: entropy([0.5, 0.5], base=1), ValueError, r"base: expected a logarithm base > 0 and != 1, got 1.0"),
        (lambda: entropy([0.5, 0.5], base=0), ValueError, r"base: expected a number > 0.0, got 0.0"),
        (lambda: entropy([0.5, 0.5], base=-2), ValueError, r"base: expected a number > 0.0, got -2.0"),
        (lambda: entropy([0.5, 0.5], base="2"), TypeError, r"base: expected a real number, got str '2'"),
        (lambda: entropy([0.5, 0.5], base=math.inf), ValueError, r"base: expected a finite number, got inf"),
        (lambda: joint_entropy([0.5, 0.5]), ValueError, r"pxy: expected a 2-D joint probability table p\[x, y\], got shape \(2,\)"),
        (lambda: conditional_entropy([[0.5, 0.5], [0.5, 0.5]]), ValueError, r"pxy: expected probabilities that sum to 1, got a sum of 2"),
        (lambda: mutual_information([[0.5, -0.5], [0.5, 0.5]]), ValueError, r"pxy: expected probabilities >= 0, got -0.5 at index \(0, 1\)"),
        (lambda: kl_divergence([0.5, 0.5], [1.0]), ValueError, r"p and q: expected distributions over the same outcomes, got shapes \(2,\) and \(1,\)"),
        (lambda: kl_divergence([0.5, 0.5], [0.7, 0.7]), ValueError, r"q: expected probabilities that sum to 1, got a sum of 1.4"),
        (lambda: cross_entropy([0.2, 0.5], [0.5, 0.5]), ValueError, r"p: expected probabilities that sum to 1, got a sum of 0.7"),
        (lambda: mutual_info_score([], []), ValueError, r"labels_a: expected at least one label, got an empty array"),
        (lambda: mutual_info_score([1, 2], [1, 2, 3]), ValueError, r"inconsistent numbers of samples: expected equal lengths, got labels_a=2, labels_b=3"),
        (lambda: mutual_info_score([[1, 2]], [[1, 2]]), ValueError, r"labels_a: expected a 1-D array of labels, got shape \(1, 2\)"),
        (lambda: mutual_info_score([1.0, np.nan], [1, 2]), ValueError, r"labels_a: expected finite values, got NaN"),
        (lambda: mutual_info_score(None, [1]), TypeError, r"labels_a: expected an array-like, got None"),
    ],
)
def test_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()
