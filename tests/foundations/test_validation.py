"""mlcanon.validation: every helper accepts good input unchanged and names the argument on bad input."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from mlcanon.validation import (
    check_array,
    check_consistent_length,
    check_int,
    check_lengths,
    check_option,
    check_probabilities,
    check_scalar,
    describe,
)


def test_check_array_converts_lists_and_keeps_values():
    X = check_array([[1, 2], [3, 4]], "X", ndim=2)
    assert X.shape == (2, 2) and X.dtype.kind in "iu"
    np.testing.assert_array_equal(X, [[1, 2], [3, 4]])


@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, min_side=1),
                  elements=st.floats(-1e9, 1e9)))
def test_check_array_is_identity_on_finite_float_arrays(a):
    out = check_array(a, "a")
    np.testing.assert_array_equal(out, a)


@pytest.mark.parametrize(
    "value, kwargs, error, match",
    [
        (None, {}, TypeError, "X: expected an array-like, got None"),
        ([1.0, 2.0], {"ndim": 2}, ValueError, r"X: expected a 2-D array, got shape \(2,\). Reshape your data"),
        ([[1.0, np.nan]], {}, ValueError, r"X: expected finite values, got NaN at index \(0, 1\)"),
        ([[1.0], [np.inf]], {}, ValueError, r"X: expected finite values, got infinity at index \(1, 0\)"),
        (np.empty((0, 3)), {}, ValueError, r"X: found array with 0 sample\(s\) \(shape=\(0, 3\)\) while a minimum of 1"),
        (np.empty((4, 0)), {"ndim": 2}, ValueError, r"X: found array with 0 feature\(s\)"),
        ([["a", "b"]], {}, TypeError, "X: expected numeric values, got dtype <U1"),
        (np.array([1 + 2j]), {}, ValueError, "X: Complex data not supported"),
        ([[1, 2], [3]], {}, ValueError, "X: could not be read as an array"),
    ],
)
def test_check_array_errors_name_the_argument(value, kwargs, error, match):
    with pytest.raises(error, match=match):
        check_array(value, "X", **kwargs)


def test_check_array_rejects_sparse_with_a_hint():
    scipy_sparse = pytest.importorskip("scipy.sparse")
    with pytest.raises(TypeError, match=r"X: expected a dense array-like, got a scipy.sparse matrix"):
        check_array(scipy_sparse.csr_matrix(np.eye(2)), "X")


def test_check_array_allows_nan_when_asked():
    out = check_array([np.nan, 1.0], "x", allow_nan=True)
    assert np.isnan(out[0])
    with pytest.raises(ValueError, match="infinity"):
        check_array([np.inf, np.nan], "x", allow_nan=True)


def test_check_consistent_length():
    assert check_consistent_length(X=np.zeros((3, 2)), y=[1, 2, 3]) == 3
    with pytest.raises(ValueError, match="inconsistent numbers of samples: expected equal lengths, got X=3, y=2"):
        check_consistent_length(X=np.zeros((3, 2)), y=[1, 2])


def test_check_probabilities_rows_and_joint():
    p = check_probabilities([[0.5, 0.5], [1.0, 0.0]], "transmat")
    assert p.dtype == np.float64
    check_probabilities([[0.25, 0.25], [0.5, 0.0]], "pxy", axis=None)
    with pytest.raises(ValueError, match=r"transmat: expected probabilities that sum to 1 along axis -1, got a sum of 0 at index \(1,\)"):
        check_probabilities([[0.5, 0.5], [0.0, 0.0]], "transmat")
    with pytest.raises(ValueError, match=r"p: expected probabilities >= 0, got -0.5 at index \(1,\)"):
        check_probabilities([1.5, -0.5], "p")
    with pytest.raises(ValueError, match="pxy: expected probabilities that sum to 1, got a sum of 0.9"):
        check_probabilities([[0.4, 0.5]], "pxy", axis=None)


def test_check_int_and_scalar():
    assert check_int(np.int64(3), "n", minimum=1) == 3
    with pytest.raises(TypeError, match="n: expected an int, got bool True"):
        check_int(True, "n")
    with pytest.raises(TypeError, match="n: expected an int, got float 2.0"):
        check_int(2.0, "n")
    with pytest.raises(ValueError, match="n: expected an int >= 1, got 0"):
        check_int(0, "n", minimum=1)
    with pytest.raises(ValueError, match="n: expected an int <= 5, got 6"):
        check_int(6, "n", maximum=5)
    assert check_scalar(1, "C", minimum=0, include_minimum=False) == 1.0
    with pytest.raises(ValueError, match="C: expected a number > 0, got 0.0"):
        check_scalar(0.0, "C", minimum=0, include_minimum=False)
    with pytest.raises(ValueError, match="tol: expected a finite number, got nan"):
        check_scalar(float("nan"), "tol")
    with pytest.raises(TypeError, match="C: expected a real number, got str '1'"):
        check_scalar("1", "C")


def test_check_option_and_lengths():
    assert check_option("l2", "norm", ["l1", "l2", None]) == "l2"
    with pytest.raises(ValueError, match="norm: expected one of 'l1', 'l2', None, got 'l3'"):
        check_option("l3", "norm", ["l1", "l2", None])
    np.testing.assert_array_equal(check_lengths(None, 7), [7])
    np.testing.assert_array_equal(check_lengths([3, 4], 7), [3, 4])
    with pytest.raises(ValueError, match="lengths: expected lengths that sum to n_samples=7, got a sum of 6"):
        check_lengths([3, 3], 7)
    with pytest.raises(ValueError, match=r"lengths: expected positive lengths \(no empty sequence\), got 0 at index 1"):
        check_lengths([7, 0], 7)
    with pytest.raises(TypeError, match="lengths: expected ints, got dtype float64"):
        check_lengths([3.0, 4.0], 7)


def test_describe_is_short():
    assert describe(np.zeros((2, 3))) == "array of shape (2, 3) and dtype float64"
    assert len(describe("x" * 500)) < 80
