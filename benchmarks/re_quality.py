"""Relation extraction quality on the 2,717 SemEval-2010 Task 8 test sentences, trained with the one trainer.

``python -m benchmarks.re_quality [--models cnn att-bilstm bert-em] [--seeds 3] [--epochs N]`` writes
``results/re.json``: per model, the official macro-F1 (the (9+1)-way score with direction, ``Other``
excluded, as the official scorer v1.2 prints it) of each seed, mean ± std, the goal and whether it is
reached, train time, prediction throughput (test sentences/s), the peak RSS of the benchmark process, epochs
run, the ``log.jsonl`` curve of the first seed, and the official evaluation's confusion matrix of the first
seed (the report draws it). No external word vectors. Measured on a shared 2-core machine under load.
Not a speed benchmark: it has ``main()`` and no ``run()``.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.harness import merge_quality_result

DATA = "semeval2010_task8"
GOALS = {"cnn": 76.0, "att-bilstm": 77.0, "bert-em": 85.0}
ANCHORS = {"cnn": "Zeng et al. 2014 CNN 82.7 (pretrained vectors + WordNet)",
           "att-bilstm": "Zhou et al. 2016 Att-BLSTM 84.0 (pretrained vectors)",
           "bert-em": "R-BERT (Wu & He 2019) 89.25 with BERT-base"}


def _one(model: str, seed: int, out: Path, epochs: int | None) -> dict:
    from mlcanon.metrics import semeval2010_task8_score
    from mlcanon.tasks import re
    from mlcanon.tasks.contract import TrainArgs
    from mlcanon.tasks.re.features import load_split

    start = time.perf_counter()
    summary = re.train(TrainArgs(model=model, data=DATA, out=out, seed=seed, epochs=epochs), progress=False)
    seconds = time.perf_counter() - start
    test = load_split(DATA, "test")
    clf = re.load(out)
    t0 = time.perf_counter()
    pred = clf.predict(test.sentences)
    throughput = len(pred) / (time.perf_counter() - t0)
    result = semeval2010_task8_score(test.labels, pred, ids=test.ids)
    log = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    off = result.official
    return {"seed": seed, "official_macro_f1": round(result.official_score, 2),
            "directed_macro_f1": round(result.directed.macro_f1, 2),
            "undirected_macro_f1": round(result.undirected.macro_f1, 2),
            "best_dev_official_macro_f1": summary["best_dev_official_macro_f1"], "best_epoch": summary["best_epoch"],
            "epochs": summary["epochs"], "train_seconds": round(seconds, 1),
            "predict_sentences_per_s": round(throughput, 1),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1), "log": log,
            "confusion": {"rows": list(off.rows), "columns": list(off.columns), "matrix": off.confusion.tolist(),
                          "wrong_direction": off.wrong_direction.tolist()}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.re_quality", description=__doc__)
    parser.add_argument("--models", nargs="+", default=["cnn", "att-bilstm", "bert-em"])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=None, help="Cap the epochs (default: the model's).")
    args = parser.parse_args(argv)
    for model in args.models:
        with tempfile.TemporaryDirectory() as tmp:
            runs = []
            for s in range(args.seeds):
                runs.append(_one(model, s, Path(tmp) / f"seed{s}", args.epochs))
                print(f"{model} seed {s}: official macro-F1 {runs[-1]['official_macro_f1']}", flush=True)
        scores = [r["official_macro_f1"] for r in runs]
        entry = {"model": model, "data": DATA, "seeds": list(range(args.seeds)), "official_macro_f1": scores,
                 "mean": round(statistics.mean(scores), 2),
                 "std": round(statistics.stdev(scores), 2) if len(scores) > 1 else 0.0,
                 "goal": GOALS[model], "goal_reached": statistics.mean(scores) >= GOALS[model],
                 "anchor": ANCHORS[model], "epochs_cap": args.epochs,
                 "train_seconds_mean": round(statistics.mean(r["train_seconds"] for r in runs), 1),
                 "predict_sentences_per_s": runs[0]["predict_sentences_per_s"],
                 "peak_rss_mb": max(r["peak_rss_mb"] for r in runs), "measured_under_load": True,
                 "runs": [{k: v for k, v in r.items() if k not in ("log", "confusion")} for r in runs],
                 "curve": runs[0]["log"], "confusion_seed0": runs[0]["confusion"], "date": time.strftime("%Y-%m-%d")}
        print(f"{model}: {entry['mean']} ± {entry['std']} ({scores}); goal {GOALS[model]}", flush=True)
        merge_quality_result("re", model, entry)
    return 0


if __name__ == "__main__":
    sys.exit(main())
