"""Classification metrics: accuracy, precision, recall, F-beta, confusion matrix, report.

Van Rijsbergen, "Information Retrieval" (1979), ch. 7 (the F-measure); Sokolova & Lapalme,
"A systematic analysis of performance measures for classification tasks" (2009) (micro/macro
averaging). Reference implementation whose numbers and warnings these match, argument for
argument: scikit-learn 1.9, ``sklearn/metrics/_classification.py``.

For each label l, from the true-positive, predicted and true counts (weighted by
``sample_weight``)::

    precision_l = tp_l / (tp_l + fp_l)          recall_l = tp_l / (tp_l + fn_l)
    F_beta,l    = (1 + beta^2) tp_l / ((1 + beta^2) tp_l + beta^2 fn_l + fp_l)

``average='micro'`` sums tp, fp, fn over labels first; ``'macro'`` takes the plain mean of the
per-label scores; ``'weighted'`` weights them by support (tp_l + fn_l); ``'binary'`` reports
``pos_label`` only. A 0/0 becomes ``zero_division`` (0, 1 or NaN; ``"warn"``: 0 and an
:class:`UndefinedMetricWarning`); NaN scores are left out of the averages.

All counts come from one ``np.unique(..., return_inverse=True)`` and ``np.bincount``; the
divisions and averages use the same NumPy operations in the same order as scikit-learn, so the
figures are equal to the last bit, not just to a tolerance.

Only binary and multiclass targets (1-D label arrays) are supported; multilabel indicator
matrices and multi-output targets are rejected with a ``ValueError``. Entity-level metrics for
sequence labelling live in :mod:`mlcanon.metrics.sequence`.
"""

from __future__ import annotations

import functools
import numbers
import sys
import warnings
from typing import Any

import numpy as np

from mlcanon.validation import check_array, check_consistent_length, check_int, check_option

__all__ = [
    "UndefinedMetricWarning",
    "accuracy_score",
    "confusion_matrix",
    "precision_recall_fscore_support",
    "precision_score",
    "recall_score",
    "f1_score",
    "fbeta_score",
    "classification_report",
]

_AVERAGES = (None, "binary", "micro", "macro", "weighted", "samples")


class UndefinedMetricWarning(UserWarning):
    """A metric is 0/0 (e.g. precision of a label never predicted) and was set by ``zero_division``.

    The same message, at the same moments, as ``sklearn.exceptions.UndefinedMetricWarning``. When
    scikit-learn is loaded, the warning raised is a subclass of both classes, so a filter on either
    (``warnings.filterwarnings("ignore", category=sklearn.exceptions.UndefinedMetricWarning)``)
    catches it; mlcanon never imports scikit-learn itself.
    """


def _undefined_metric_warning() -> type:
    # classic._base.sklearn_compatible does the same for ConvergenceWarning; metrics/ may not
    # import classic/ (DESIGN.md's arrows), so the five lines live here too
    sk = sys.modules.get("sklearn.exceptions")
    return UndefinedMetricWarning if sk is None else _with_sklearns(sk.UndefinedMetricWarning)


@functools.cache
def _with_sklearns(theirs: type) -> type:
    return type("UndefinedMetricWarning", (UndefinedMetricWarning, theirs), {"__module__": __name__})


# ----------------------------------------------------------------------------- public API


def accuracy_score(y_true: Any, y_pred: Any, *, normalize: bool = True, sample_weight: Any = None) -> float:
    """Fraction (or, with ``normalize=False``, number) of samples whose label is right.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
        True and predicted labels (ints, strings, bools or integral floats).
    normalize : bool, default=True
        Return the fraction; ``False``: the (weighted) count.
    sample_weight : array-like of shape (n_samples,), default=None

    Examples
    --------
    >>> accuracy_score([0, 1, 2, 3], [0, 2, 1, 3])
    0.5
    >>> accuracy_score(["a", "b"], ["a", "a"], normalize=False)
    1.0
    """
    _check_bool(normalize, "normalize")
    t = _targets(y_true, y_pred, sample_weight)
    score = t.y_true == t.y_pred
    if normalize:
        return float(np.average(score, weights=t.sample_weight))
    if t.sample_weight is None:
        return float(np.sum(score.astype(np.float64)))
    return float(np.dot(score, t.sample_weight))


def confusion_matrix(
    y_true: Any, y_pred: Any, *, labels: Any = None, sample_weight: Any = None, normalize: str | None = None
) -> np.ndarray:
    """Confusion matrix ``C[i, j]``: samples of true label i predicted as label j.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
    labels : array-like of shape (n_classes,), default=None
        Labels that index the matrix, in this order; samples whose true or predicted label is not
        among them are left out. Default: the sorted union of the labels that occur.
    sample_weight : array-like of shape (n_samples,), default=None
    normalize : {'true', 'pred', 'all'}, default=None
        Divide by row sums, column sums or the total (0/0 gives 0).

    Returns
    -------
    ndarray of shape (n_classes, n_classes)
        int64 counts (float64 with float weights or ``normalize``).

    Examples
    --------
    >>> confusion_matrix([2, 0, 2, 2, 0, 1], [0, 0, 2, 2, 0, 2])
    array([[2, 0, 0],
           [0, 0, 1],
           [1, 0, 2]])
    """
    check_option(normalize, "normalize", (None, "true", "pred", "all"))
    t = _targets(y_true, y_pred, sample_weight)
    if labels is None:
        labels = t.present
        true_idx, pred_idx = t.true_codes, t.pred_codes
    else:
        labels = _labels_argument(labels, t.present)
        if labels.size == 0:
            raise ValueError("labels: 'labels' should contain at least one label, got an empty array")
        true_idx = _index_in(labels, t.y_true)
        pred_idx = _index_in(labels, t.y_pred)
        if not _any_in(t.y_true, labels, true_idx):
            raise ValueError(f"labels: at least one label specified must be in y_true, got labels={labels!r}")
    n = labels.size
    keep = (true_idx >= 0) & (pred_idx >= 0)
    weights = t.sample_weight
    if not keep.all():
        true_idx, pred_idx = true_idx[keep], pred_idx[keep]
        weights = None if weights is None else weights[keep]
    # bincount adds in sample order, as scipy's coo_array.toarray() does: same float sums
    cm = np.bincount(true_idx * n + pred_idx, weights=weights, minlength=n * n).reshape(n, n)
    # int64 counts for integer (or no) weights, float64 otherwise (bincount of nothing is int)
    cm = cm.astype(np.int64 if weights is None or weights.dtype.kind in "iub" else np.float64)
    with np.errstate(all="ignore"):
        if normalize == "true":
            cm = cm / cm.sum(axis=1, keepdims=True)
        elif normalize == "pred":
            cm = cm / cm.sum(axis=0, keepdims=True)
        elif normalize == "all":
            cm = cm / cm.sum()
        cm = np.nan_to_num(cm)
    if cm.shape == (1, 1):
        warnings.warn(
            "A single label was found in 'y_true' and 'y_pred'. For the confusion matrix to have the "
            "correct shape, use the 'labels' parameter to pass all known labels.",
            UserWarning,
            stacklevel=2,
        )
    return cm


def precision_recall_fscore_support(
    y_true: Any,
    y_pred: Any,
    *,
    beta: float = 1.0,
    labels: Any = None,
    pos_label: Any = 1,
    average: str | None = None,
    warn_for: tuple[str, ...] = ("precision", "recall", "f-score"),
    sample_weight: Any = None,
    zero_division: str | float = "warn",
):
    """Precision, recall, F-beta and support per label, or averaged.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
        True and predicted labels. Multilabel indicator input is not supported (``ValueError``).
    beta : float, default=1.0
        Weight of recall against precision (``inf``: recall, ``0``: precision).
    labels : array-like, default=None
        Labels to include (and their order when ``average=None``); labels absent from the data
        get zero counts. Default: the sorted union of the labels present.
    pos_label : int, float, bool or str, default=1
        The positive class for ``average='binary'``; ignored otherwise (with a warning if set).
    average : {'binary', 'micro', 'macro', 'weighted'} or None, default=None
        ``None`` returns per-label arrays.
    warn_for : tuple of str
        Which of "precision", "recall", "f-score" may warn on 0/0 (as scikit-learn).
    sample_weight : array-like of shape (n_samples,), default=None
    zero_division : {"warn", 0.0, 1.0, np.nan}, default="warn"
        Value of a 0/0; ``"warn"`` gives 0 and an :class:`UndefinedMetricWarning`; NaN scores are
        left out of averages.

    Returns
    -------
    precision, recall, fbeta : float or ndarray of shape (n_labels,)
    support : None (averaged) or ndarray of shape (n_labels,)

    Examples
    --------
    >>> p, r, f, s = precision_recall_fscore_support(
    ...     ["cat", "dog", "pig", "cat", "dog", "pig"], ["cat", "pig", "dog", "cat", "cat", "dog"],
    ...     average="macro")
    >>> round(p, 4), round(r, 4), round(f, 4), s
    (0.2222, 0.3333, 0.2667, None)
    """
    _check_zero_division(zero_division)
    beta = _check_beta(beta)
    check_option(average, "average", _AVERAGES)
    t = _targets(y_true, y_pred, sample_weight)
    return _prfs(t, beta, labels, pos_label, average, warn_for, zero_division)


def _prfs(t: _Targets, beta, labels, pos_label, average, warn_for, zero_division):
    """precision_recall_fscore_support on checked targets."""
    zero_value = _check_zero_division(zero_division)
    labels = _set_wise_labels(t, average, labels, pos_label)
    tp_sum, pred_sum, true_sum = _label_counts(t, labels)
    if average == "micro":
        tp_sum = np.sum(tp_sum).reshape(1)
        pred_sum = np.sum(pred_sum).reshape(1)
        true_sum = np.sum(true_sum).reshape(1)

    def divide(num, den, metric, modifier):
        return _prf_divide(num, den, metric, modifier, average, warn_for, zero_division, zero_value)

    precision = divide(tp_sum, pred_sum, "precision", "predicted")
    recall = divide(tp_sum, true_sum, "recall", "true")
    if np.isposinf(beta):
        f_score = recall
    elif beta == 0:
        f_score = precision
    else:
        beta2 = beta**2
        denom = beta2 * true_sum.astype(np.float64) + pred_sum.astype(np.float64)
        f_score = divide((1 + beta2) * tp_sum.astype(np.float64), denom, "f-score", "true nor predicted")
    if average is None:
        return precision, recall, f_score, true_sum
    weights = true_sum if average == "weighted" else None
    return (
        float(_nanaverage(precision, weights)),
        float(_nanaverage(recall, weights)),
        float(_nanaverage(f_score, weights)),
        None,
    )


def precision_score(
    y_true, y_pred, *, labels=None, pos_label=1, average="binary", sample_weight=None, zero_division="warn"
):
    """Precision tp / (tp + fp); arguments as :func:`precision_recall_fscore_support`.

    Examples
    --------
    >>> precision_score([0, 1, 1, 0], [1, 1, 1, 0])
    0.6666666666666666
    """
    p, _, _, _ = precision_recall_fscore_support(
        y_true, y_pred, labels=labels, pos_label=pos_label, average=average,
        warn_for=("precision",), sample_weight=sample_weight, zero_division=zero_division,
    )  # fmt: skip
    return p


def recall_score(
    y_true, y_pred, *, labels=None, pos_label=1, average="binary", sample_weight=None, zero_division="warn"
):
    """Recall tp / (tp + fn); arguments as :func:`precision_recall_fscore_support`.

    Examples
    --------
    >>> recall_score([0, 1, 1, 0], [1, 1, 0, 0])
    0.5
    """
    _, r, _, _ = precision_recall_fscore_support(
        y_true, y_pred, labels=labels, pos_label=pos_label, average=average,
        warn_for=("recall",), sample_weight=sample_weight, zero_division=zero_division,
    )  # fmt: skip
    return r


def fbeta_score(
    y_true, y_pred, *, beta, labels=None, pos_label=1, average="binary", sample_weight=None, zero_division="warn"
):
    """F-beta score, the weighted harmonic mean of precision and recall.

    Examples
    --------
    >>> round(fbeta_score([0, 1, 1, 0], [1, 1, 0, 0], beta=2), 4)
    0.5
    """
    _, _, f, _ = precision_recall_fscore_support(
        y_true, y_pred, beta=beta, labels=labels, pos_label=pos_label, average=average,
        warn_for=("f-score",), sample_weight=sample_weight, zero_division=zero_division,
    )  # fmt: skip
    return f


def f1_score(y_true, y_pred, *, labels=None, pos_label=1, average="binary", sample_weight=None, zero_division="warn"):
    """F1 = 2 precision recall / (precision + recall).

    Examples
    --------
    >>> f1_score([0, 1, 2, 0, 1, 2], [0, 2, 1, 0, 0, 1], average="macro")
    0.26666666666666666
    """
    return fbeta_score(
        y_true, y_pred, beta=1, labels=labels, pos_label=pos_label, average=average,
        sample_weight=sample_weight, zero_division=zero_division,
    )  # fmt: skip


def classification_report(
    y_true: Any,
    y_pred: Any,
    *,
    labels: Any = None,
    target_names: Any = None,
    sample_weight: Any = None,
    digits: int = 2,
    output_dict: bool = False,
    zero_division: str | float = "warn",
):
    """Text (or dict) report of precision, recall, F1 and support per label, with averages.

    The same string, character for character, as ``sklearn.metrics.classification_report``:
    an "accuracy" row when every label is reported, else a "micro avg" row; then "macro avg"
    and "weighted avg".

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
    labels : array-like of shape (n_labels,), default=None
    target_names : list of str, default=None
        Display names, in the order of ``labels``.
    sample_weight : array-like of shape (n_samples,), default=None
    digits : int, default=2
        Decimals in the text report (ignored for ``output_dict``).
    output_dict : bool, default=False
        Return ``{name: {"precision", "recall", "f1-score", "support"}, "accuracy": float, ...}``.
    zero_division : {"warn", 0.0, 1.0, np.nan}, default="warn"

    Examples
    --------
    >>> print(classification_report([0, 1, 2, 2, 2], [0, 0, 2, 2, 1]))
                  precision    recall  f1-score   support
    <BLANKLINE>
               0       0.50      1.00      0.67         1
               1       0.00      0.00      0.00         1
               2       1.00      0.67      0.80         3
    <BLANKLINE>
        accuracy                           0.60         5
       macro avg       0.50      0.56      0.49         5
    weighted avg       0.70      0.60      0.61         5
    <BLANKLINE>
    """
    digits = check_int(digits, "digits", minimum=0)
    _check_bool(output_dict, "output_dict")
    _check_zero_division(zero_division)
    t = _targets(y_true, y_pred, sample_weight)
    labels_given = labels is not None
    labels = _labels_argument(labels, t.present) if labels_given else t.present
    if labels.size == 0:
        raise ValueError("labels: expected at least one label to report, got an empty array")
    # the micro average equals accuracy when every label present is reported
    micro_is_accuracy = not labels_given or set(labels.tolist()) >= set(t.present.tolist())
    if target_names is not None and len(labels) != len(target_names):
        if not labels_given:
            raise ValueError(
                f"target_names: number of classes, {len(labels)}, does not match size of target_names, "
                f"{len(target_names)}. Try specifying the labels parameter"
            )
        warnings.warn(
            f"labels size, {len(labels)}, does not match size of target_names, {len(target_names)}",
            UserWarning,
            stacklevel=2,
        )
    if target_names is None:
        target_names = ["%s" % label for label in labels]
    headers = ["precision", "recall", "f1-score", "support"]
    warn_for = ("precision", "recall", "f-score")
    p, r, f1, s = _prfs(t, 1.0, labels, 1, None, warn_for, zero_division)
    rows = list(zip(target_names, p, r, f1, s))
    averages = {}
    for average in ("micro", "macro", "weighted"):
        heading = "accuracy" if average == "micro" and micro_is_accuracy else f"{average} avg"
        avg_p, avg_r, avg_f1, _ = _prfs(t, 1.0, labels, 1, average, warn_for, zero_division)
        averages[heading] = [avg_p, avg_r, avg_f1, np.sum(s)]
    if output_dict:
        return _report_dict(rows, averages, headers)
    return _report_text(rows, averages, headers, digits, target_names)


# ----------------------------------------------------------------------------- targets


class _Targets:
    """Checked label arrays (both 1-D), with codes into the sorted union ``present`` of their
    labels, computed on first use (accuracy never needs them)."""

    def __init__(self, y_true: np.ndarray, y_pred: np.ndarray, sample_weight: np.ndarray | None):
        self.y_true, self.y_pred, self.sample_weight = y_true, y_pred, sample_weight

    @functools.cached_property
    def _encoded(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return _encode_union(self.y_true, self.y_pred)

    @property
    def present(self) -> np.ndarray:
        return self._encoded[0]

    @property
    def true_codes(self) -> np.ndarray:
        return self._encoded[1]

    @property
    def pred_codes(self) -> np.ndarray:
        return self._encoded[2]

    @property
    def y_type(self) -> str:
        return "binary" if self.present.size <= 2 else "multiclass"


def _targets(y_true: Any, y_pred: Any, sample_weight: Any) -> _Targets:
    """Check ``y_true``/``y_pred`` (scikit-learn's ``_check_targets``)."""
    yt = _label_array(y_true, "y_true")
    yp = _label_array(y_pred, "y_pred")
    check_consistent_length(y_true=yt, y_pred=yp)
    if _is_str(yt) != _is_str(yp):
        raise ValueError(
            "y_true and y_pred: mix of label input types (string and number); "
            f"got y_true of dtype {yt.dtype} and y_pred of dtype {yp.dtype}"
        )
    return _Targets(yt, yp, _sample_weight(sample_weight, yt.shape[0]))


def _encode_union(yt: np.ndarray, yp: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sorted union of the labels and the code of each sample in it.

    Integers in a small range are counted (O(n), no sort); anything else goes through one
    ``np.unique(..., return_inverse=True)``."""
    if yt.dtype.kind in "iu" and yp.dtype.kind in "iu":
        lo = min(int(yt.min()), int(yp.min()))
        span = max(int(yt.max()), int(yp.max())) - lo + 1
        if span <= 4 * (yt.shape[0] + yp.shape[0]) + 1024:
            it, ip = yt.astype(np.int64) - lo, yp.astype(np.int64) - lo
            seen = np.zeros(span, dtype=bool)
            seen[it] = True
            seen[ip] = True
            present = (np.flatnonzero(seen) + lo).astype(np.result_type(yt.dtype, yp.dtype))
            lookup = np.cumsum(seen) - 1
            return present, lookup[it], lookup[ip]
    present, codes = np.unique(np.concatenate([yt, yp]), return_inverse=True)
    n = yt.shape[0]
    return present, codes[:n], codes[n:]


def _label_array(y: Any, name: str) -> np.ndarray:
    if y is None:
        raise TypeError(f"{name}: expected an array-like of labels, got None")
    if hasattr(y, "toarray") and hasattr(y, "tocsr"):
        raise TypeError(f"{name}: expected a 1-D array of labels, got a scipy.sparse matrix (multilabel is not supported)")
    try:
        arr = np.asarray(y)
    except ValueError as exc:
        raise ValueError(f"{name}: could not be read as an array of labels ({exc})") from None
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr.ravel()
    if arr.ndim != 1:
        raise ValueError(
            f"{name}: expected a 1-D array of labels, got shape {arr.shape}; multilabel indicator "
            "and multi-output targets are not supported"
        )
    if arr.shape[0] == 0:
        raise ValueError(f"{name}: expected at least one label, got an empty array")
    kind = arr.dtype.kind
    if kind == "S":
        raise TypeError(f"{name}: labels as bytes are not supported; convert them to str or int, got dtype {arr.dtype}")
    if kind == "O" and not all(isinstance(v, str) for v in arr):
        raise ValueError(f"{name}: expected labels that are all strings or all numbers, got mixed objects {_describe_first(arr)}")
    if kind == "c":
        raise ValueError(f"{name}: complex labels are not supported, got dtype {arr.dtype}")
    if kind == "f":
        if not np.isfinite(arr).all():
            raise ValueError(f"{name}: expected finite labels, got NaN or infinity")
        if (arr != arr.astype(np.int64)).any():
            raise ValueError(f"{name}: expected discrete labels, got continuous values (floats that are not integers)")
    elif kind not in "biuUO":
        raise TypeError(f"{name}: expected labels of type int, bool, str or integral float, got dtype {arr.dtype}")
    return arr


def _describe_first(arr: np.ndarray) -> str:
    return repr(arr[:5].tolist())


def _is_str(arr: np.ndarray) -> bool:
    return arr.dtype.kind in "UO"


def _sample_weight(sample_weight: Any, n: int) -> np.ndarray | None:
    if sample_weight is None:
        return None
    if isinstance(sample_weight, numbers.Number) and not isinstance(sample_weight, bool):
        sw = np.full(n, sample_weight, dtype=np.float64)
    else:
        sw = check_array(sample_weight, "sample_weight", ndim=1, allow_empty=True)
        if sw.shape[0] != n:
            raise ValueError(f"sample_weight: expected shape ({n},) like y_true, got shape {sw.shape}")
    if not sw.any():
        raise ValueError("sample_weight: expected at least one non-zero weight, got all zeros")
    return sw


def _labels_argument(labels: Any, present: np.ndarray) -> np.ndarray:
    arr = np.asarray(labels)
    if arr.ndim != 1:
        raise ValueError(f"labels: expected a 1-D array-like of labels, got shape {arr.shape}")
    if arr.size == 0:
        return arr.astype(present.dtype)
    return arr


def _index_in(labels: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Position of each value in ``labels`` (the last one if repeated, like a dict), -1 if absent."""
    if _is_str(labels) != _is_str(values):
        return np.full(values.shape[0], -1, dtype=np.int64)
    order = np.argsort(labels, kind="stable")
    sorted_labels = labels[order]
    pos = np.searchsorted(sorted_labels, values, side="right") - 1
    found = (pos >= 0) & (sorted_labels[np.maximum(pos, 0)] == values)
    return np.where(found, order[np.maximum(pos, 0)], -1)


def _any_in(y_true: np.ndarray, labels: np.ndarray, true_idx: np.ndarray) -> bool:
    if _is_str(y_true) == _is_str(labels):
        return bool((true_idx >= 0).any())
    # numbers and strings: scikit-learn's np.intersect1d compares them as strings
    return len(np.intersect1d(y_true, labels)) > 0


def _set_wise_labels(t: _Targets, average: str | None, labels: Any, pos_label: Any):
    """The labels to score (scikit-learn's ``_check_set_wise_labels``)."""
    if average == "samples":
        raise ValueError("average: 'samples' needs multilabel targets, which mlcanon.metrics does not support")
    if average == "binary":
        if t.y_type != "binary":
            raise ValueError(
                f"average: target is {t.y_type} but average='binary'. Please choose another average "
                "setting, one of [None, 'micro', 'macro', 'weighted']."
            )
        if pos_label not in t.present and len(t.present) >= 2:
            raise ValueError(f"pos_label={pos_label!r} is not a valid label. It should be one of {t.present}")
        return [pos_label]
    if pos_label not in (None, 1):
        warnings.warn(
            f"Note that pos_label (set to {pos_label!r}) is ignored when average != 'binary' (got {average!r}). "
            "You may use labels=[pos_label] to specify a single positive class.",
            UserWarning,
            stacklevel=3,
        )
    return labels


def _label_counts(t: _Targets, labels: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """True positives, predicted and true counts per label (``multilabel_confusion_matrix``)."""
    if labels is None:
        sorted_labels, selected = t.present, None
        true_idx, pred_idx = t.true_codes, t.pred_codes
    else:
        given = _labels_argument(labels, t.present)
        extra = np.setdiff1d(t.present, given, assume_unique=True)
        # np.concatenate casts numbers to str when the kinds differ, as scikit-learn's concat does
        every = np.concatenate([given, extra])
        sorted_labels, given = np.unique(every), every[: given.shape[0]]
        to_sorted = _encode(sorted_labels, t.present, "y_true and y_pred")
        true_idx, pred_idx = to_sorted[t.true_codes], to_sorted[t.pred_codes]
        selected = np.searchsorted(sorted_labels, given)
    n_labels, sw = sorted_labels.shape[0], t.sample_weight
    hit = true_idx == pred_idx
    pred_sum = np.bincount(pred_idx, weights=sw, minlength=n_labels)
    true_sum = np.bincount(true_idx, weights=sw, minlength=n_labels)
    if hit.any():
        tp_sum = np.bincount(true_idx[hit], weights=None if sw is None else sw[hit], minlength=n_labels)
    else:  # scikit-learn's "pathological case": float zeros, which makes every count float below
        tp_sum = np.zeros(n_labels)
    if selected is not None:
        tp_sum, pred_sum, true_sum = tp_sum[selected], pred_sum[selected], true_sum[selected]
    # scikit-learn stacks tn, fp, fn, tp into one array (one dtype) and adds tp back: same here
    fp, fn = pred_sum - tp_sum, true_sum - tp_sum
    dtype = np.result_type(tp_sum, fp, fn)
    tp_sum, fp, fn = tp_sum.astype(dtype), fp.astype(dtype), fn.astype(dtype)
    return tp_sum, tp_sum + fp, tp_sum + fn


def _encode(sorted_labels: np.ndarray, values: np.ndarray, name: str) -> np.ndarray:
    if _is_str(sorted_labels) != _is_str(values):
        values = values.astype(sorted_labels.dtype)
    idx = np.searchsorted(sorted_labels, values)
    ok = idx < sorted_labels.shape[0]
    if not ok.all() or not (sorted_labels[np.minimum(idx, sorted_labels.shape[0] - 1)] == values).all():
        raise ValueError(f"{name}: contains labels that cannot be compared with labels={sorted_labels!r}")
    return idx


# ----------------------------------------------------------------------------- division and averages


def _check_zero_division(zero_division: Any) -> float:
    if isinstance(zero_division, str):
        if zero_division == "warn":
            return 0.0
    elif isinstance(zero_division, numbers.Real):  # bools too: scikit-learn takes True as 1
        if zero_division in (0, 1):
            return float(zero_division)
        if np.isnan(zero_division):
            return np.nan
    raise ValueError(f"zero_division: expected one of 'warn', 0.0, 1.0, np.nan, got {zero_division!r}")


def _check_beta(beta: Any) -> float:
    if isinstance(beta, bool) or not isinstance(beta, numbers.Real):
        raise TypeError(f"beta: expected a real number >= 0, got {beta!r}")
    if not beta >= 0:  # also NaN
        raise ValueError(f"beta: expected a real number >= 0, got {beta!r}")
    return beta


def _check_bool(value: Any, name: str) -> None:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name}: expected a bool, got {value!r}")


def _prf_divide(num, den, metric, modifier, average, warn_for, zero_division, zero_value) -> np.ndarray:
    """num / den with 0/0 set to ``zero_value`` and scikit-learn's warning when it says "warn"."""
    mask = den == 0
    den = np.array(den, dtype=np.float64)
    den[mask] = 1
    result = np.asarray(num, dtype=np.float64) / den
    if not mask.any():
        return result
    result[mask] = zero_value
    if not (isinstance(zero_division, str) and zero_division == "warn") or metric not in warn_for:
        return result
    where = "due to" if result.shape[0] == 1 else "in labels with"
    axis = "label" if average == "samples" else "sample"
    warnings.warn(
        f"{metric.capitalize()} is ill-defined and being set to 0.0 {where} no {modifier} {axis}s. "
        "Use `zero_division` parameter to control this behavior.",
        _undefined_metric_warning(),
        stacklevel=4,
    )
    return result


def _nanaverage(a: np.ndarray, weights: np.ndarray | None) -> float:
    """Weighted mean ignoring NaN (scikit-learn's ``_nanaverage``, with the same NumPy calls)."""
    if a.shape[0] == 0:
        return np.nan
    mask = np.isnan(a)
    if mask.all():
        return np.nan
    if weights is None:
        return np.nanmean(a)
    a, weights = a[~mask], np.asarray(weights)[~mask]
    try:
        return np.average(a, weights=weights)
    except ZeroDivisionError:  # all weights zero: plain mean
        return np.average(a)


# ----------------------------------------------------------------------------- report layout


def _report_dict(rows, averages, headers) -> dict:
    report = {}
    for name, *scores in rows:
        report[name] = dict(zip(headers, [float(v) for v in scores]))
    for heading, values in averages.items():
        report[heading] = dict(zip(headers, [float(v) for v in values]))
    if "accuracy" in report:
        report["accuracy"] = report["accuracy"]["precision"]
    return report


def _report_text(rows, averages, headers, digits: int, target_names) -> str:
    width = max(max((len(name) for name in target_names), default=0), len("weighted avg"), digits)
    text = ("{:>{width}s} " + " {:>9}" * len(headers)).format("", *headers, width=width) + "\n\n"
    row_fmt = "{:>{width}s} " + " {:>9.{digits}f}" * 3 + " {:>9}\n"
    for row in rows:
        text += row_fmt.format(*row, width=width, digits=digits)
    text += "\n"
    for heading, values in averages.items():
        if heading == "accuracy":
            fmt = "{:>{width}s} " + " {:>9.{digits}}" * 2 + " {:>9.{digits}f}" + " {:>9}\n"
            text += fmt.format(heading, "", "", *values[2:], width=width, digits=digits)
        else:
            text += row_fmt.format(heading, *values, width=width, digits=digits)
    return text
