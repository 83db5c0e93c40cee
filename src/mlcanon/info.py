"""Information theory on discrete distributions: entropy, conditional entropy, mutual information,
KL divergence and cross-entropy, from probability tables and (mutual information) from samples.

Shannon, "A Mathematical Theory of Communication" (1948); Kullback & Leibler, "On Information
and Sufficiency" (1951); Cover & Thomas, "Elements of Information Theory" (2006), ch. 2.
Reference implementations whose numbers these match: ``scipy.stats.entropy`` (entropy, KL) and
``sklearn.metrics.mutual_info_score`` (mutual information from two label arrays, in nats).

With ``log`` in base ``b`` and the convention 0·log 0 = 0::

    H(X)    = -sum_x p(x) log p(x)
    H(X,Y)  = -sum_xy p(x,y) log p(x,y)
    H(Y|X)  = -sum_xy p(x,y) log (p(x,y) / p(x))               = H(X,Y) - H(X)
    I(X;Y)  =  sum_xy p(x,y) log (p(x,y) / (p(x) p(y)))        = H(Y) - H(Y|X)
    KL(p||q) = sum_x p(x) log (p(x) / q(x))   (+inf where q(x) = 0 < p(x))
    CE(p,q)  = -sum_x p(x) log q(x)           = H(p) + KL(p||q)

Each term is computed where it is non-negative by construction (``scipy.special.entr`` and
``rel_entr``), so H >= 0 and H(Y|X) >= 0 hold exactly in floating point; I(X;Y) is clipped at 0
like scikit-learn does, since rounding can leave it at -1e-17 for independent variables.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy import special

from mlcanon.validation import check_array, check_consistent_length, check_probabilities, check_scalar

__all__ = [
    "entropy",
    "joint_entropy",
    "conditional_entropy",
    "mutual_information",
    "kl_divergence",
    "cross_entropy",
    "mutual_info_score",
]


def entropy(p: Any, base: float | None = 2) -> float:
    """Shannon entropy H(p) = -sum p log p of a probability vector.

    Parameters
    ----------
    p : array-like of shape (n_outcomes,)
        Probabilities: non-negative, summing to 1 (within 1e-6; then renormalised exactly, as
        ``scipy.stats.entropy`` does).
    base : float or None, default=2
        Logarithm base (2: bits, ``math.e`` or None: nats, 10: bans); any number > 0 and != 1.

    Returns
    -------
    float

    Examples
    --------
    >>> entropy([0.5, 0.5])
    1.0
    >>> round(entropy([0.25] * 4, base=math.e), 6)
    1.386294
    """
    p = _distribution(p, "p", ndim=1)
    return _in_base(float(np.sum(special.entr(p))), base)


def joint_entropy(pxy: Any, base: float | None = 2) -> float:
    """Joint entropy H(X,Y) of a joint probability table ``pxy[x, y]``.

    Parameters
    ----------
    pxy : array-like of shape (n_x, n_y)
        Joint probabilities, summing to 1 over the whole table.
    base : float or None, default=2
        Logarithm base.

    Examples
    --------
    >>> joint_entropy([[0.25, 0.25], [0.25, 0.25]])
    2.0
    """
    pxy = _distribution(pxy, "pxy", ndim=2)
    return _in_base(float(np.sum(special.entr(pxy))), base)


def conditional_entropy(pxy: Any, base: float | None = 2) -> float:
    """Conditional entropy H(Y|X) = -sum p(x,y) log(p(x,y)/p(x)); rows of ``pxy`` index X.

    For H(X|Y) pass the transpose.

    Examples
    --------
    >>> conditional_entropy([[0.5, 0.0], [0.0, 0.5]])   # Y is a function of X
    0.0
    >>> conditional_entropy([[0.25, 0.25], [0.25, 0.25]])
    1.0
    """
    pxy = _distribution(pxy, "pxy", ndim=2)
    px = pxy.sum(axis=1, keepdims=True)
    # rel_entr(pxy, px) = pxy log(pxy/px) <= 0 termwise (pxy <= px), and 0 where pxy = 0
    return _in_base(0.0 - float(np.sum(special.rel_entr(pxy, px))), base)  # 0.0 - 0.0 is +0.0


def mutual_information(pxy: Any, base: float | None = 2) -> float:
    """Mutual information I(X;Y) = sum p(x,y) log(p(x,y)/(p(x)p(y))) of a joint table.

    Examples
    --------
    >>> mutual_information([[0.5, 0.0], [0.0, 0.5]])   # one fair bit shared
    1.0
    >>> mutual_information([[0.25, 0.25], [0.25, 0.25]])
    0.0
    """
    pxy = _distribution(pxy, "pxy", ndim=2)
    outer = pxy.sum(axis=1, keepdims=True) * pxy.sum(axis=0, keepdims=True)
    mi = float(np.sum(special.rel_entr(pxy, outer)))
    return _in_base(max(mi, 0.0), base)


def kl_divergence(p: Any, q: Any, base: float | None = 2) -> float:
    """Kullback-Leibler divergence KL(p||q) = sum p log(p/q); ``inf`` where q = 0 < p.

    Equal to ``scipy.stats.entropy(p, q, base=base)``.

    Examples
    --------
    >>> kl_divergence([0.5, 0.5], [0.5, 0.5])
    0.0
    >>> kl_divergence([0.5, 0.5], [1.0, 0.0])
    inf
    """
    p, q = _pair(p, q)
    return _in_base(float(np.sum(special.rel_entr(p, q))), base)


def cross_entropy(p: Any, q: Any, base: float | None = 2) -> float:
    """Cross-entropy CE(p, q) = -sum p log q = H(p) + KL(p||q); ``inf`` where q = 0 < p.

    Examples
    --------
    >>> cross_entropy([0.5, 0.5], [0.5, 0.5])
    1.0
    >>> cross_entropy([1.0, 0.0], [0.25, 0.75])
    2.0
    """
    p, q = _pair(p, q)
    return _in_base(-float(np.sum(special.xlogy(p, q))), base)


def mutual_info_score(labels_a: Any, labels_b: Any) -> float:
    """Mutual information (nats) between two labellings of the same samples.

    The empirical I(A;B) of the contingency table n_ab (Strehl & Ghosh, 2002)::

        I = sum_ab (n_ab / N) log(N n_ab / (n_a n_b))

    computed in the same order and with the same operations as
    ``sklearn.metrics.mutual_info_score``, so the figures agree to the last bit or so.
    A labelling with a single cluster gives 0.0 (I <= min(H(A), H(B)) = 0).

    Parameters
    ----------
    labels_a, labels_b : array-like of shape (n_samples,)
        Labels (ints, strings, ...) of the same samples. Empty input is a ``ValueError``
        (scikit-learn fails there with "math domain error").

    Returns
    -------
    float
        The mutual information in nats, >= 0.

    Examples
    --------
    >>> round(mutual_info_score([0, 1, 1, 0, 1, 0], [0, 1, 0, 0, 1, 1]), 6)
    0.056633
    >>> mutual_info_score(["a", "a", "b", "b"], [1, 1, 2, 2]) == math.log(2)
    True
    """
    a = _labels(labels_a, "labels_a")
    b = _labels(labels_b, "labels_b")
    check_consistent_length(labels_a=a, labels_b=b)
    _, ia = np.unique(a, return_inverse=True)
    _, ib = np.unique(b, return_inverse=True)
    n_a, n_b = int(ia.max()) + 1, int(ib.max()) + 1
    if n_a == 1 or n_b == 1:
        return 0.0
    # The non-zero cells of the contingency table, in row-major order (as scipy.sparse.find).
    cells = np.bincount(ia.ravel() * n_b + ib.ravel(), minlength=n_a * n_b)
    nz = np.flatnonzero(cells)
    nz_val = cells[nz]
    row_sums = np.bincount(ia.ravel(), minlength=n_a)
    col_sums = np.bincount(ib.ravel(), minlength=n_b)
    total = int(nz_val.sum())
    p_ab = nz_val / total
    outer = row_sums[nz // n_b].astype(np.int64) * col_sums[nz % n_b].astype(np.int64)
    log_outer = -np.log(outer) + math.log(total) + math.log(total)
    mi = p_ab * (np.log(nz_val) - math.log(total)) + p_ab * log_outer
    mi = np.where(np.abs(mi) < np.finfo(mi.dtype).eps, 0.0, mi)
    return float(np.clip(mi.sum(), 0.0, None))


# ----------------------------------------------------------------------------- helpers


def _in_base(nats: float, base: float | None) -> float:
    """Convert nats to ``base``; dividing by log(base) like scipy keeps its rounding."""
    if base is None:
        return nats
    base = check_scalar(base, "base", minimum=0.0, include_minimum=False)
    if base == 1.0:
        raise ValueError("base: expected a logarithm base > 0 and != 1, got 1.0")
    return nats / float(np.log(base))


def _distribution(p: Any, name: str, ndim: int) -> np.ndarray:
    """Check a probability table and renormalise it exactly (as scipy.stats.entropy does)."""
    if ndim == 2:
        arr = check_array(p, name, dtype=np.float64)  # a 1-D table is a likely slip: say so
        if arr.ndim != 2:
            raise ValueError(
                f"{name}: expected a 2-D joint probability table p[x, y], got shape {arr.shape}"
            )
    p = check_probabilities(p, name, axis=None, ndim=ndim)
    return p / p.sum()


def _pair(p: Any, q: Any) -> tuple[np.ndarray, np.ndarray]:
    p = _distribution(p, "p", ndim=1)
    q = _distribution(q, "q", ndim=1)
    if p.shape != q.shape:
        raise ValueError(f"p and q: expected distributions over the same outcomes, got shapes {p.shape} and {q.shape}")
    return p, q


def _labels(labels: Any, name: str) -> np.ndarray:
    arr = check_array(labels, name, dtype=None, allow_empty=True)
    if arr.ndim != 1:
        raise ValueError(f"{name}: expected a 1-D array of labels, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name}: expected at least one label, got an empty array")
    return arr
