"""Input checking used by every public function of mlcanon.

One rule: a bad argument fails early with a ``ValueError`` or ``TypeError`` whose message
names the argument, says what was expected and shows what came, e.g.::

    ValueError: X: expected a 2-D array of shape (n_samples, n_features), got shape (5,)

The helpers return the converted value so a caller writes ``X = check_array(X, "X", ndim=2)``.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

__all__ = [
    "check_array",
    "check_consistent_length",
    "check_probabilities",
    "check_int",
    "check_scalar",
    "check_option",
    "check_lengths",
    "describe",
]


def describe(value: Any) -> str:
    """A short description of ``value`` for an error message: its type, and its shape for arrays."""
    if isinstance(value, np.ndarray):
        return f"array of shape {value.shape} and dtype {value.dtype}"
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        return f"{type(value).__name__} of shape {tuple(value.shape)} and dtype {value.dtype}"
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{type(value).__name__} {text}"


def check_array(
    value: Any,
    name: str,
    *,
    ndim: int | Sequence[int] | None = None,
    dtype: Any = "numeric",
    allow_nan: bool = False,
    allow_inf: bool = False,
    allow_empty: bool = False,
    min_samples: int = 1,
    min_features: int = 1,
) -> np.ndarray:
    """Convert ``value`` to a NumPy array and check it.

    Parameters
    ----------
    value : array-like
        The input.
    name : str
        The argument's name, used in error messages.
    ndim : int or sequence of int, optional
        Allowed numbers of dimensions.
    dtype : "numeric", None or a NumPy dtype
        ``"numeric"`` converts object/bool input to float64 and rejects strings; ``None`` keeps
        whatever dtype ``np.asarray`` gives; anything else is passed to ``np.asarray``.
    allow_nan, allow_inf : bool
        Whether NaN / infinite values are accepted (numeric arrays only).
    allow_empty : bool
        Whether an array with no elements is accepted.
    min_samples, min_features : int
        Minimum length of axis 0 and, for 2-D arrays, axis 1 (checked unless ``allow_empty``).

    Examples
    --------
    >>> check_array([[1, 2], [3, 4]], "X", ndim=2).shape
    (2, 2)
    """
    if value is None:
        raise TypeError(f"{name}: expected an array-like, got None")
    if hasattr(value, "toarray") and hasattr(value, "tocsr"):
        raise TypeError(
            f"{name}: expected a dense array-like, got a scipy.sparse matrix; call .toarray() first"
        )
    try:
        if dtype == "numeric":
            arr = np.asarray(value)
            if arr.dtype.kind in "OUS":
                try:
                    arr = arr.astype(np.float64)
                except (TypeError, ValueError) as exc:
                    # keep numpy's reason ("float() argument must be a string or a real number")
                    raise TypeError(f"{name}: expected numeric values, got dtype {arr.dtype} ({exc})") from None
            elif arr.dtype.kind == "b":
                arr = arr.astype(np.float64)
        elif dtype is None:
            arr = np.asarray(value)
        else:
            arr = np.asarray(value)
            if arr.dtype.kind != "c":  # complex is rejected below, not silently cast to real
                try:
                    arr = arr.astype(dtype, copy=False)
                except TypeError as exc:  # e.g. a list of dicts: name the argument
                    raise TypeError(f"{name}: expected numeric values, got dtype {arr.dtype} ({exc})") from None
    except ValueError as exc:  # ragged lists and the like
        raise ValueError(f"{name}: could not be read as an array ({exc})") from None
    if arr.dtype.kind == "c":
        raise ValueError(f"{name}: Complex data not supported; expected real numbers, got dtype {arr.dtype}")
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if arr.ndim not in allowed:
            want = " or ".join(f"{d}-D" for d in allowed)
            hint = ""
            if 2 in allowed and arr.ndim == 1:
                hint = (
                    ". Reshape your data either using array.reshape(-1, 1) if it has a single feature "
                    "or array.reshape(1, -1) if it contains a single sample"
                )
            raise ValueError(f"{name}: expected a {want} array, got shape {arr.shape}{hint}")
    if not allow_empty:
        _check_not_empty(arr, name, min_samples, min_features)
    if arr.dtype.kind == "f" and not (allow_nan and allow_inf):
        _check_finite(arr, name, allow_nan=allow_nan, allow_inf=allow_inf)
    return arr


def _check_not_empty(arr: np.ndarray, name: str, min_samples: int, min_features: int) -> None:
    if arr.ndim >= 1 and arr.shape[0] < min_samples:
        raise ValueError(
            f"{name}: found array with {arr.shape[0]} sample(s) (shape={arr.shape}) "
            f"while a minimum of {min_samples} is required."
        )
    if arr.ndim == 2 and arr.shape[1] < min_features:
        raise ValueError(
            f"{name}: found array with {arr.shape[1]} feature(s) (shape={arr.shape}) "
            f"while a minimum of {min_features} is required."
        )
    if arr.size == 0:
        raise ValueError(f"{name}: expected a non-empty array, got shape {arr.shape}")


def _check_finite(arr: np.ndarray, name: str, *, allow_nan: bool, allow_inf: bool) -> None:
    # Fast path: one reduction; only on failure find out which kind of value is to blame.
    if np.isfinite(arr).all():
        return
    if not allow_nan and np.isnan(arr).any():
        where = tuple(int(i) for i in np.argwhere(np.isnan(arr))[0])
        raise ValueError(f"{name}: expected finite values, got NaN at index {where}")
    if not allow_inf and np.isinf(arr).any():
        where = tuple(int(i) for i in np.argwhere(np.isinf(arr))[0])
        raise ValueError(f"{name}: expected finite values, got infinity at index {where}")


def check_consistent_length(**arrays: Any) -> int:
    """Check that all keyword arguments have the same length along axis 0 and return it.

    >>> check_consistent_length(X=[[1], [2]], y=[0, 1])
    2
    """
    lengths = {name: _length(a) for name, a in arrays.items() if a is not None}
    if len(set(lengths.values())) > 1:
        listed = ", ".join(f"{n}={v}" for n, v in lengths.items())
        raise ValueError(f"inconsistent numbers of samples: expected equal lengths, got {listed}")
    return next(iter(lengths.values())) if lengths else 0


def _length(a: Any) -> int:
    if hasattr(a, "shape") and len(getattr(a, "shape")) > 0:
        return int(a.shape[0])
    return len(a)


def check_probabilities(
    value: Any, name: str, *, axis: int | None = -1, atol: float = 1e-6, ndim: int | Sequence[int] | None = None
) -> np.ndarray:
    """Check a probability vector or table: finite, non-negative, summing to 1 along ``axis``.

    ``axis=None`` checks that the whole array sums to 1 (a joint table); ``axis=-1`` that every
    row does (a conditional table such as an HMM transition matrix).
    """
    p = check_array(value, name, ndim=ndim, dtype=np.float64)
    if (p < 0).any():
        where = tuple(int(i) for i in np.argwhere(p < 0)[0])
        raise ValueError(f"{name}: expected probabilities >= 0, got {p[where]:.6g} at index {where}")
    sums = p.sum() if axis is None else p.sum(axis=axis)
    bad = np.abs(np.asarray(sums) - 1.0) > atol
    if np.any(bad):
        if axis is None:
            raise ValueError(f"{name}: expected probabilities that sum to 1, got a sum of {float(sums):.10g}")
        idx = tuple(int(i) for i in np.argwhere(np.atleast_1d(bad))[0])
        got = np.atleast_1d(sums)[idx]
        raise ValueError(
            f"{name}: expected probabilities that sum to 1 along axis {axis}, "
            f"got a sum of {got:.10g} at index {idx}"
        )
    return p


def check_int(value: Any, name: str, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """Check that ``value`` is an integer (not a bool) within ``[minimum, maximum]``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name}: expected an int, got {describe(value)}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name}: expected an int >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name}: expected an int <= {maximum}, got {value}")
    return value


def check_scalar(
    value: Any,
    name: str,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    include_minimum: bool = True,
    include_maximum: bool = True,
) -> float:
    """Check that ``value`` is a real number (not a bool) within the given bounds."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name}: expected a real number, got {describe(value)}")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name}: expected a finite number, got {value}")
    if minimum is not None and (value < minimum or (not include_minimum and value == minimum)):
        op = ">=" if include_minimum else ">"
        raise ValueError(f"{name}: expected a number {op} {minimum}, got {value}")
    if maximum is not None and (value > maximum or (not include_maximum and value == maximum)):
        op = "<=" if include_maximum else "<"
        raise ValueError(f"{name}: expected a number {op} {maximum}, got {value}")
    return value


def check_option(value: Any, name: str, options: Iterable[Any]) -> Any:
    """Check that ``value`` is one of ``options``."""
    options = tuple(options)
    if value not in options:
        listed = ", ".join(repr(o) for o in options)
        raise ValueError(f"{name}: expected one of {listed}, got {value!r}")
    return value


def check_lengths(lengths: Any, n_samples: int, name: str = "lengths") -> np.ndarray:
    """Check hmmlearn-style sequence lengths: positive ints that sum to ``n_samples``.

    ``None`` means one sequence of length ``n_samples``.
    """
    if lengths is None:
        return np.array([n_samples], dtype=np.int64)
    arr = np.asarray(lengths)
    if arr.ndim != 1:
        raise ValueError(f"{name}: expected a 1-D sequence of ints, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name}: expected at least one sequence length, got an empty sequence")
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{name}: expected ints, got dtype {arr.dtype}")
    if (arr <= 0).any():
        i = int(np.argmax(arr <= 0))
        raise ValueError(f"{name}: expected positive lengths (no empty sequence), got {int(arr[i])} at index {i}")
    total = int(arr.sum())
    if total != n_samples:
        raise ValueError(f"{name}: expected lengths that sum to n_samples={n_samples}, got a sum of {total}")
    return arr.astype(np.int64)
