"""实战任务 · 关系抽取 Relation extraction (SemEval-2010 Task 8): CNN, Att-BiLSTM, MiniLM with entity markers.

Live (seconds): Zeng's CNN trains on 1,000 sentences for 2 epochs; ``mlcanon re evaluate``'s official
macro-F1 must equal the re-implemented official scorer run on the ``--answer-file`` it wrote. From the
benchmark JSON (``python -m benchmarks.re_quality``, full data, its date shown): each model's official
macro-F1 beside its paper's figure and the goal, and the official scorer's confusion matrix (heat map) of
the best model.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from mlcanon._paths import results_dir
from mlcanon.report.core import Note, Row, Table, check, figure_from_matplotlib

_RESULTS = results_dir() / "re.json"


def _heat_map(conf: dict, title: str):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    m = np.asarray(conf["matrix"])
    fig, ax = plt.subplots(figsize=(6.4, 5.6))
    ax.imshow(np.log1p(m), cmap="Blues")
    ax.set_xticks(range(len(conf["columns"])), conf["columns"], rotation=60, ha="right", fontsize=8)
    ax.set_yticks(range(len(conf["rows"])), conf["rows"], fontsize=8)
    for i in range(m.shape[0]):
        for j in range(m.shape[1]):
            if m[i, j]:
                ax.text(j, i, str(m[i, j]), ha="center", va="center", fontsize=7)
    ax.set_xlabel("proposed")
    ax.set_ylabel("key")
    return figure_from_matplotlib(fig, title, "The official (9+1)-way evaluation: right relations with the wrong "
                                              "direction are not in the matrix (they count as wrong).")


@check("关系抽取 — relation extraction: SemEval-2010 Task 8 with its official score")
def re_rows(ctx):
    from mlcanon.metrics import read_answer_file, semeval2010_task8_score
    from mlcanon.tasks import re
    from mlcanon.tasks.contract import TrainArgs
    from mlcanon.tasks.re.features import load_split

    items = []
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "cnn"
        re.train(TrainArgs(model="cnn", data="semeval2010_task8", out=out, limit=1000, epochs=2), progress=False)
        metrics = re.evaluate(out, data="semeval2010_task8", answer_file=Path(tmp) / "answer.txt")
        test = load_split("semeval2010_task8", "test")
        again = semeval2010_task8_score(dict(zip(map(str, test.ids), test.labels)),
                                        read_answer_file(Path(tmp) / "answer.txt"))
    items.append(Row("re evaluate's official macro-F1 vs the scorer on its --answer-file (CNN, 1,000 sentences, "
                     "2 epochs)", metrics["official_macro_f1"], again.official_score, "official scorer (ours)",
                     tolerance=0.0))
    if not _RESULTS.is_file():
        return items + [Note("The full-data figures appear after `python -m benchmarks.re_quality`.")]
    results = json.loads(_RESULTS.read_text()).get("results", {})
    rows = [[e["model"], f"{e['mean']:.2f} ± {e['std']:.2f}", len(e["seeds"]), e["goal"],
             "yes" if e["goal_reached"] else "no", e["anchor"], e["train_seconds_mean"], e["predict_sentences_per_s"],
             e["peak_rss_mb"], e["date"]] for e in results.values()]
    items.append(Table("Official macro-F1 (%) on the 2,717 test sentences (benchmark JSON; shared machine under load)",
                       ["model", "official macro-F1", "seeds", "goal", "reached", "paper anchor", "train s",
                        "sentences/s", "peak RSS MB", "date"], rows))
    if results:
        best = max(results.values(), key=lambda e: e["mean"])
        items.append(_heat_map(best["confusion_seed0"], f"{best['model']}: the official scorer's confusion matrix"))
    return items
