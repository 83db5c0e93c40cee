"""实战任务 · 文本分类 Text classification: TF-IDF + classic estimators, TextCNN, BiLSTM-attention, MiniLM.

Live (seconds): TF-IDF + our LogisticRegression against TF-IDF + scikit-learn's on the same features (1,500
TREC questions; same predictions, probabilities to the optimiser's tolerance) and the TREC-6 confusion matrix
of ``tfidf-lr`` trained on the full training split. From the benchmark JSON (``python -m
benchmarks.textcls_quality``, full data, its date shown): every model's test accuracy beside its paper's
figure and the issue's goal, with train time, prediction throughput and peak RSS.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from mlcanon._paths import results_dir
from mlcanon.report.core import Note, Row, Table, check, figure_from_matplotlib

_RESULTS = results_dir() / "textcls.json"


def _confusion_figure(gold: list[str], pred: list[str], title: str):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    labels = sorted(set(gold) | set(pred))
    ix = {lab: i for i, lab in enumerate(labels)}
    m = np.zeros((len(labels), len(labels)), dtype=int)
    for g, p in zip(gold, pred):
        m[ix[g], ix[p]] += 1
    fig, ax = plt.subplots(figsize=(4.8, 4.2))
    ax.imshow(m, cmap="Blues")
    ax.set_xticks(range(len(labels)), labels, rotation=45, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    for i in range(len(labels)):
        for j in range(len(labels)):
            ax.text(j, i, str(m[i, j]), ha="center", va="center", fontsize=8,
                    color="white" if m[i, j] > m.max() / 2 else "black")
    ax.set_xlabel("predicted")
    ax.set_ylabel("gold")
    return figure_from_matplotlib(fig, title, "Rows: gold labels; columns: predictions (counts).")


@check("文本分类 — text classification: TF-IDF to MiniLM on TREC, SST-2, ChnSentiCorp")
def textcls_rows(ctx):
    import numpy as np

    from mlcanon.tasks import textcls
    from mlcanon.tasks.contract import TrainArgs
    from mlcanon.tasks.textcls.features import load_split
    from mlcanon.tasks.textcls.tfidf import TfidfModel

    items = []
    train, test = load_split("trec", "train"), load_split("trec", "test")
    labels = sorted(set(train.labels))
    y = np.array([labels.index(v) for v in train.labels[:1500]])
    ours = TfidfModel("tfidf-lr", "words").fit(train.texts[:1500], y)
    X, Xt = ours.features(train.texts[:1500]), ours.features(test.texts)
    try:
        from sklearn.linear_model import LogisticRegression

        theirs = LogisticRegression(C=10.0, max_iter=1000).fit(X, y)
        same = int((ours.predict(test.texts) == theirs.predict(Xt)).sum())
        items.append(Row(f"TF-IDF + our LogisticRegression vs scikit-learn's on the same {X.shape[1]:,} features: "
                         "test predictions equal (of 500)", same, 500, "scikit-learn LogisticRegression",
                         tolerance=0))
        items.append(Row("the same: max |probability diff| over the 500 test questions",
                         float(np.abs(ours.predict_proba(test.texts) - theirs.predict_proba(Xt)).max()), 0.0,
                         "scikit-learn LogisticRegression", tolerance=1e-6))
    except ImportError:
        items.append(Note("scikit-learn is not installed: the TF-IDF + LogisticRegression parity row is skipped."))
    with tempfile.TemporaryDirectory() as tmp:
        textcls.train(TrainArgs(model="tfidf-lr", data="trec", out=Path(tmp) / "lr"), progress=False)
        pred = textcls.load(Path(tmp) / "lr").predict(test.texts)
    items.append(_confusion_figure(test.labels, pred, "tfidf-lr on TREC-6: test confusion matrix"))
    if not _RESULTS.is_file():
        return items + [Note("The full-data figures appear after `python -m benchmarks.textcls_quality`.")]
    results = json.loads(_RESULTS.read_text()).get("results", {})
    rows = []
    for key, e in sorted(results.items()):
        rows.append([e["model"], e["data"], f"{e['mean']:.2f} ± {e['std']:.2f}", len(e["seeds"]), e.get("goal", ""),
                     {True: "yes", False: "no"}.get(e.get("goal_reached"), ""), e.get("anchor", ""),
                     e.get("train_seconds_mean", e["runs"][0]["train_seconds"]), e.get("predict_texts_per_s", ""),
                     e.get("peak_rss_mb", ""), e["date"]])
    items.append(Table("Test accuracy (%) on the official test sets (benchmark JSON; shared machine under load)",
                       ["model", "data", "accuracy mean ± std", "seeds", "goal", "reached", "paper anchor",
                        "train s", "texts/s", "peak RSS MB", "date"], rows))
    return items


@check("文本分类 — what TextCNN looks at: its most activating n-grams per class (TREC-6)")
def textcnn_ngrams(ctx):
    from mlcanon.tasks import textcls
    from mlcanon.tasks.contract import TrainArgs
    from mlcanon.tasks.textcls.features import load_split
    from mlcanon.tasks.textcls.ngrams import most_activating_ngrams

    limit, epochs = (None, 10) if ctx.full else (2000, 3)
    with tempfile.TemporaryDirectory() as tmp:
        textcls.train(TrainArgs(model="textcnn", data="trec", out=Path(tmp) / "cnn", epochs=epochs, limit=limit,
                                seed=ctx.seed), progress=False)
        clf = textcls.load(Path(tmp) / "cnn")
        test = load_split("trec", "test")
        top = most_activating_ngrams(clf, test.texts, k=5)
        accuracy = sum(a == b for a, b in zip(clf.predict(test.texts), test.labels)) / len(test.labels)
    rows = [[label, ", ".join(f"“{g}” ({s:.0f}, {n}×)" for g, s, n in grams)] for label, grams in top.items()]
    trained = "the full training split, 10 epochs" if ctx.full else f"the first {limit:,} training questions, {epochs} epochs"
    return [Table(f"TextCNN (Kim 2014) trained on {trained} (test accuracy {100 * accuracy:.1f}%): for each predicted "
                  "class, the n-grams whose max-pooled filters add most to its score over the 500 test questions "
                  "(total share W[c,f]·z_f, times picked; Jacovi et al. 2018)", ["class", "top n-grams"], rows)]
