"""Classification metrics beside scikit-learn on a real prediction set: a first-word rule that
labels TREC test questions (who → HUM, where → LOC, ...), scored with every average."""

from __future__ import annotations

from mlcanon.report.core import Row, Table, check

_RULE = {"who": "HUM", "whom": "HUM", "where": "LOC", "when": "NUM", "how": "NUM", "what": "ENTY", "which": "ENTY",
         "why": "DESC", "name": "ENTY"}


def _predictions():
    from mlcanon import data

    test = data.load("trec", "test")
    y_true = [label.split(":")[0] for label in test.labels]
    y_pred = [_RULE.get(text.split()[0].lower(), "DESC") for text in test.texts]
    return y_true, y_pred


@check("分类评价指标 precision, recall, F1")
def metrics_vs_sklearn(ctx):
    import warnings

    import numpy as np
    import sklearn.metrics as skm

    from mlcanon.metrics import classification as ours

    y_true, y_pred = _predictions()
    where = f"first-word rule on TREC test ({len(y_true)} questions)"
    rows = [Row(f"accuracy, {where}", ours.accuracy_score(y_true, y_pred), skm.accuracy_score(y_true, y_pred),
                "scikit-learn", tolerance=1e-12)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ABBR is never predicted: precision 0/0, as in scikit-learn
        for average in ("micro", "macro", "weighted"):
            mine = ours.precision_recall_fscore_support(y_true, y_pred, average=average)
            ref = skm.precision_recall_fscore_support(y_true, y_pred, average=average)
            for name, a, b in zip(("precision", "recall", "F1"), mine, ref):
                rows.append(Row(f"{name}, average={average}", a, b, "scikit-learn", tolerance=1e-12))
        mine = ours.precision_recall_fscore_support(y_true, y_pred, average=None, zero_division=np.nan)
        ref = skm.precision_recall_fscore_support(y_true, y_pred, average=None, zero_division=np.nan)
        gap = max(float(np.nanmax(np.abs(a - b))) for a, b in zip(mine, ref))
        same_nan = all(np.array_equal(np.isnan(a), np.isnan(b)) for a, b in zip(mine[:3], ref[:3]))
        rows.append(Row("per-label P/R/F1/support, zero_division=nan: max |Δ| (and same NaNs)", gap, 0.0,
                        "scikit-learn", tolerance=1e-12, passed=bool(gap <= 1e-12 and same_nan)))
        rows.append(Row("F1 binary, pos_label='HUM' vs rest",
                        ours.f1_score([y == "HUM" for y in y_true], [y == "HUM" for y in y_pred]),
                        skm.f1_score([y == "HUM" for y in y_true], [y == "HUM" for y in y_pred]),
                        "scikit-learn", tolerance=1e-12))
        cm, cm_ref = ours.confusion_matrix(y_true, y_pred), skm.confusion_matrix(y_true, y_pred)
        rows.append(Row("confusion matrix: max |Δ| of counts", float(np.abs(cm - cm_ref).max()), 0.0,
                        "scikit-learn", tolerance=0.0))
        text, text_ref = ours.classification_report(y_true, y_pred, digits=4), skm.classification_report(
            y_true, y_pred, digits=4)
        rows.append(Row("classification_report text: identical string", text == text_ref, True, "scikit-learn",
                        passed=text == text_ref))
    report = ours.classification_report(y_true, y_pred, output_dict=True, zero_division=0)
    labels = [k for k in report if isinstance(report[k], dict)]
    table = Table(f"classification_report (ours), {where}", ["label", "precision", "recall", "F1", "support"],
                  [[k, f"{report[k]['precision']:.4f}", f"{report[k]['recall']:.4f}", f"{report[k]['f1-score']:.4f}",
                    f"{report[k]['support']:.0f}"] for k in labels])
    return rows + [table]
