"""Classification metrics and mutual information: ours against scikit-learn on the same labels.

Labels are the real TREC coarse labels (train + test) tiled to ``n`` samples, with predictions from
a first-word rule, as ints and as strings.
"""

from __future__ import annotations

import warnings

import numpy as np

from benchmarks.harness import Comparison, compare


def _labels(n: int):
    from mlcanon import data

    texts, labels = [], []
    for split in ("train", "test"):
        d = data.load("trec", split)
        texts += d.texts
        labels += [label.split(":")[0] for label in d.labels]
    rule = {"who": "HUM", "where": "LOC", "when": "NUM", "how": "NUM", "what": "ENTY", "why": "DESC"}
    preds = [rule.get(t.split()[0].lower(), "DESC") for t in texts]
    first = [t.split()[0].lower() for t in texts]
    reps = -(-n // len(labels))
    tile = lambda xs: np.array(xs * reps)[:n]  # noqa: E731
    return tile(labels), tile(preds), tile(first)


def run(repeats: int, quick: bool) -> list[Comparison]:
    import sklearn.metrics as skm

    from mlcanon import info
    from mlcanon.metrics import classification as ours

    n = 50_000 if quick else 500_000
    y_true_s, y_pred_s, first = _labels(n)
    classes = np.unique(y_true_s)
    y_true_i, y_pred_i = np.searchsorted(classes, y_true_s), np.searchsorted(classes, y_pred_s)
    w = np.random.default_rng(0).random(n)
    warnings.simplefilter("ignore")
    out = []
    for kind, yt, yp in (("str", y_true_s, y_pred_s), ("int", y_true_i, y_pred_i)):
        params = {"n_samples": n, "labels": kind}
        out.append(compare(
            f"precision_recall_fscore_support macro ({kind})",
            lambda: ours.precision_recall_fscore_support(yt, yp, average="macro"),
            lambda: skm.precision_recall_fscore_support(yt, yp, average="macro"),
            reference_name="scikit-learn", repeats=repeats, goal=1.0, params=params,
        ))  # fmt: skip
        out.append(compare(
            f"classification_report ({kind})",
            lambda: ours.classification_report(yt, yp),
            lambda: skm.classification_report(yt, yp),
            reference_name="scikit-learn", repeats=repeats, goal=1.0, params=params,
        ))  # fmt: skip
        out.append(compare(
            f"confusion_matrix weighted ({kind})",
            lambda: ours.confusion_matrix(yt, yp, sample_weight=w),
            lambda: skm.confusion_matrix(yt, yp, sample_weight=w),
            reference_name="scikit-learn", repeats=repeats, goal=1.0, params=params,
        ))  # fmt: skip
        out.append(compare(
            f"accuracy_score ({kind})",
            lambda: ours.accuracy_score(yt, yp),
            lambda: skm.accuracy_score(yt, yp),
            reference_name="scikit-learn", repeats=repeats, goal=1.0, params=params,
        ))  # fmt: skip
    out.append(compare(
        "mutual_info_score (coarse label, first word)",
        lambda: info.mutual_info_score(y_true_s, first),
        lambda: skm.mutual_info_score(y_true_s, first),
        reference_name="scikit-learn", repeats=repeats, goal=1.0, params={"n_samples": n},
    ))  # fmt: skip
    return out
