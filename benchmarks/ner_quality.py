"""NER quality, speed and memory: each tagger trained on the full training set, scored on the test set.

``python -m benchmarks.ner_quality [--models hmm crf bilstm-crf] [--data conll2003] [--epochs N] [--crfsuite]``
writes ``results/ner.json``: per tagger and data set, test entity micro-F1 (seqeval default mode) and strict
IOB2 F1, per-type F1, dev F1, train time, tagging throughput (sentences/s, the whole test set in one call
and one sentence a call), peak RSS of the process that trained and tagged, and the goal of issue 10.
Each tagger runs in its own subprocess (so peak RSS is its own) and the JSON is rewritten after each, so
what finished is kept. ``--crfsuite`` also trains python-crfsuite on the very same feature dicts and c1/c2.
Not a speed comparison against a reference: it has ``main()`` and no ``run()``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.harness import RESULTS, machine

GOALS = {("conll2003", "hmm"): 75.0, ("conll2003", "crf"): 85.0, ("conll2003", "bilstm-crf"): 86.0,
         ("conll2003", "bert-crf"): 89.0, ("resume_ner", "crf"): 94.0, ("weibo_ner", "crf"): 55.0}
ANCHORS = {"hmm": "CoNLL-03 baseline 59.6", "crf": "Stanford CMM 86.3 (with distributional features)",
           "bilstm-crf": "Lample 2016 random-init ~83.6; NCRF++ 91.3 with GloVe", "bert-crf": "BERT-base ~92.4"}


def _throughput(tagger, tokens, columns, n_single: int = 300) -> dict:
    start = time.perf_counter()
    tagger.tag(tokens, columns)
    batch = len(tokens) / (time.perf_counter() - start)
    sub = list(range(min(n_single, len(tokens))))
    start = time.perf_counter()
    for i in sub:
        tagger.tag([tokens[i]], [columns[i]] if columns else None)
    single = len(sub) / (time.perf_counter() - start)
    return {"batch_sentences_per_s": round(batch, 1), "single_sentences_per_s": round(single, 1)}


def _crfsuite(data: str, c1: float, c2: float, max_iterations: int) -> dict:
    import pycrfsuite

    from mlcanon.tasks.ner import score_tags
    from mlcanon.tasks.ner.features import (
        from_internal,
        load_split,
        sentence_features,
        to_internal,
    )

    tr, te = load_split(data, "train"), load_split(data, "test")
    char = data != "conll2003"
    y = to_internal(tr.tags, tr.scheme)
    trainer = pycrfsuite.Trainer(verbose=False)
    for s, c, t in zip(tr.tokens, tr.columns, y):
        trainer.append(sentence_features(s, c, char), t)
    trainer.set_params({"c1": c1, "c2": c2, "max_iterations": max_iterations, "feature.possible_transitions": True})
    path = Path(tempfile.mkdtemp()) / "m.crfsuite"
    start = time.perf_counter()
    trainer.train(str(path))
    seconds = time.perf_counter() - start
    tagger = pycrfsuite.Tagger()
    tagger.open(str(path))
    pred = [tagger.tag(sentence_features(s, c, char)) for s, c in zip(te.tokens, te.columns)]
    f1 = score_tags(te.tags, from_internal(pred, te.scheme), te.scheme)["f1"]
    return {"test_f1": round(100 * f1, 2), "train_seconds": round(seconds, 1)}


def _one(model: str, data: str, epochs: int | None, crfsuite: bool) -> dict:
    """Train, score and time one tagger (in this process)."""
    from mlcanon.tasks import ner
    from mlcanon.tasks.contract import TrainArgs
    from mlcanon.tasks.ner.features import load_split

    out = Path(tempfile.mkdtemp()) / "run"
    start = time.perf_counter()
    torch_model = model not in ("hmm", "crf")
    summary = ner.train(TrainArgs(model=model, data=data, out=out, epochs=epochs if torch_model else None),
                        progress=False)
    train_seconds = time.perf_counter() - start
    test = ner.evaluate(out, data=data)
    dev = ner.evaluate(out, data=data, split="dev")
    te = load_split(data, "test")
    tagger = ner.load(out)
    entry = {"model": model, "data": data, "seed": 0, "test_f1": round(100 * test["f1"], 2),
             "test_f1_strict_iob2": round(100 * test["f1_strict_iob2"], 2), "dev_f1": round(100 * dev["f1"], 2),
             "per_type_f1": {k: round(100 * v["f1"], 2) for k, v in test["per_class"].items()},
             "confusion": test["confusion"], "train_seconds": round(train_seconds, 1), "summary": summary,
             "hyper_parameters": {k: v for k, v in json.loads((out / "config.json").read_text())
                                  ["hyper_parameters"].items() if k != "bert_config"},
             **_throughput(tagger, te.tokens, te.columns)}
    entry["sample"] = {"tokens": te.tokens[1], "gold": te.tags[1], "pred": tagger.tag([te.tokens[1]],
                                                                                       [te.columns[1]])[0]}
    if (out / "log.jsonl").is_file():
        entry["log"] = [json.loads(x) for x in (out / "log.jsonl").read_text().splitlines()]
    if crfsuite and model == "crf":
        hp = entry["hyper_parameters"]
        entry["crfsuite"] = _crfsuite(data, hp["c1"], hp["c2"], hp["max_iterations"])
    goal = GOALS.get((data, model))
    entry["goal_test_f1"] = goal
    entry["goal_met"] = None if goal is None else entry["test_f1"] >= goal
    entry["anchor"] = ANCHORS.get(model)
    entry["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return entry


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.ner_quality", description=__doc__)
    parser.add_argument("--models", nargs="+", default=["hmm", "crf", "bilstm-crf"])
    parser.add_argument("--data", nargs="+", default=["conll2003"])
    parser.add_argument("--epochs", type=int, default=None, help="bilstm-crf / bert-*: cap the epochs")
    parser.add_argument("--crfsuite", action="store_true")
    parser.add_argument("--one", nargs=2, metavar=("MODEL", "DATA"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        print("RESULT " + json.dumps(_one(*args.one, args.epochs, args.crfsuite)), flush=True)
        return 0
    path = RESULTS / "ner.json"
    doc = json.loads(path.read_text()) if path.is_file() else {"benchmark": "ner_quality", "results": []}
    doc.update(machine=machine(), note="measured on a 2-core machine shared with other engineers (under load): "
                                       "train times and throughputs are pessimistic")
    for data in args.data:
        for model in args.models:
            cmd = [sys.executable, "-m", "benchmarks.ner_quality", "--one", model, data]
            cmd += ["--epochs", str(args.epochs)] if args.epochs else []
            cmd += ["--crfsuite"] if args.crfsuite else []
            started = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S%z")
            proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "OMP_NUM_THREADS": "1"})
            lines = [x for x in proc.stdout.splitlines() if x.startswith("RESULT ")]
            if proc.returncode or not lines:
                entry = {"model": model, "data": data, "error": proc.stderr.strip().splitlines()[-1:]}
            else:
                entry = json.loads(lines[-1][7:])
            entry["date"] = started
            doc["results"] = [r for r in doc["results"] if (r["model"], r["data"]) != (model, data)] + [entry]
            doc["date"] = started
            path.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n")
            shown = {k: entry.get(k) for k in ("test_f1", "dev_f1", "train_seconds", "batch_sentences_per_s",
                                               "single_sentences_per_s", "peak_rss_mb", "error")}
            print(model, data, shown, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
