"""实战任务 · NER: four generations of taggers on CoNLL-2003 — HMM, feature CRF, BiLSTM-CRF, MiniLM-CRF.

Live (seconds): the HMM tagger trains on the full CoNLL-2003 training set (counting is fast) and the CRF on a
400-sentence slice; the entity F1 of ``mlcanon ner evaluate`` must equal seqeval's ``f1_score`` on the same
predictions. From the benchmark JSON (``python -m benchmarks.ner_quality``, full data, its date shown): the
taggers side by side (test F1, train time, throughput, peak RSS), per-type F1, the entity-type confusion
matrix as a heat map and one test sentence decoded by each tagger with its errors marked.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from mlcanon._paths import results_dir
from mlcanon.report.core import Note, Row, Table, check, figure_from_matplotlib

_RESULTS = results_dir() / "ner.json"


def _live_rows() -> list:
    from seqeval.metrics import f1_score

    from mlcanon.data import write_conll
    from mlcanon.tasks import ner
    from mlcanon.tasks.contract import TrainArgs
    from mlcanon.tasks.ner.features import load_split

    items = []
    test = load_split("conll2003", "test")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        train = load_split("conll2003", "train")
        write_conll(tmp / "slice.conll", train.tokens[:400], train.tags[:400], train.columns[:400])
        runs = (("hmm", dict(data="conll2003"), "full training set (14,041 sentences)"),
                ("crf", dict(train=tmp / "slice.conll"), "first 400 training sentences"))
        for model, data, where in runs:
            ner.train(TrainArgs(model=model, out=tmp / model, **data), progress=False)
            ours = ner.evaluate(tmp / model, data="conll2003")
            pred = ner.load(tmp / model).tag(test.tokens, test.columns)
            items.append(Row(f"{model} ({where}): CoNLL-2003 test entity micro-F1 of `mlcanon ner evaluate` vs "
                             f"seqeval.metrics.f1_score on the same tags", ours["f1"], float(f1_score(test.tags, pred)),
                             "seqeval 1.2.2 (default mode)", tolerance=1e-12))
    return items


def _heatmap(entry: dict):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    m = np.array(entry["confusion"]["matrix"])
    names = entry["confusion"]["labels"]
    fig, ax = plt.subplots(figsize=(4.8, 4.0))
    ax.imshow(np.log1p(m), cmap="Blues")
    ax.set_xticks(range(len(names)), names)
    ax.set_yticks(range(len(names)), names)
    ax.set_xlabel("predicted type (O: no entity with that span)")
    ax.set_ylabel("gold type (O: spurious prediction)")
    for i in range(len(names)):
        for j in range(len(names)):
            ax.text(j, i, str(m[i, j]), ha="center", va="center", fontsize=8,
                    color="white" if m[i, j] > m.max() / 3 else "black")
    return figure_from_matplotlib(fig, f"{entry['model']} on CoNLL-2003 test: entity-type confusion",
                                  f"exact span match; benchmark of {entry['date']}")


def _decoded(results: list[dict]) -> Table:
    first = results[0]["sample"]
    rows = [["gold", *first["gold"]]]
    for r in results:
        rows.append([r["model"], *[p if p == g else f"**{p}** ✗" for p, g in zip(r["sample"]["pred"], first["gold"])]])
    return Table("One CoNLL-2003 test sentence decoded by each tagger (errors in bold, ✗)", ["", *first["tokens"]],
                 rows)


@check("实战任务 NER — HMM / CRF / BiLSTM-CRF / MiniLM-CRF on CoNLL-2003, seqeval-identical scores")
def ner_rows(ctx):
    items = _live_rows()
    if not _RESULTS.is_file():
        return items + [Note("The full-data figures appear after `python -m benchmarks.ner_quality`.")]
    doc = json.loads(_RESULTS.read_text())
    results = [r for r in doc["results"] if r.get("data") == "conll2003" and "test_f1" in r]
    missing = [r["model"] for r in doc["results"] if "test_f1" not in r]
    for r in results:
        goal = r.get("goal_test_f1")
        items.append(Row(f"{r['model']}: CoNLL-2003 test F1 (full training set, benchmark of {r['date']}); "
                         f"anchor: {r.get('anchor')}", r["test_f1"], goal if goal is not None else "—",
                         "goal F1", kind="quality", tolerance=None,
                         note=(f"info: goal {goal} {'met' if r['test_f1'] >= goal else 'missed'}; a benchmark "
                               "figure, not re-run by the report" if goal is not None else "info")))
    items.append(Table("NER taggers side by side (CoNLL-2003 test, full training data)",
                       ["tagger", "test F1", "strict IOB2 F1", "dev F1", "train s", "sent/s batch", "sent/s one",
                        "peak RSS MB"],
                       [[r["model"], r["test_f1"], r["test_f1_strict_iob2"], r["dev_f1"], r["train_seconds"],
                         r["batch_sentences_per_s"], r["single_sentences_per_s"], r["peak_rss_mb"]] for r in results]))
    types = sorted({t for r in results for t in r["per_type_f1"]})
    items.append(Table("Per-type test F1", ["tagger", *types],
                       [[r["model"], *[r["per_type_f1"].get(t) for t in types]] for r in results]))
    if results:
        best = max(results, key=lambda r: r["test_f1"])
        items.append(_heatmap(best))
        items.append(_decoded(results))
    if missing:
        items.append(Note(f"Not in the benchmark (did not finish or failed): {', '.join(missing)}."))
    return items
