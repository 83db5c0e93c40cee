"""Text classification quality on the official test sets, trained on the full data with the one trainer.

``python -m benchmarks.textcls_quality [--models textcnn] [--data trec] [--seeds 3] [--ddp]`` writes
``results/textcls.json``: per model and data set, the test accuracy of each seed, mean ± std, train time,
epochs run, and the ``log.jsonl`` curve of the first seed (the report draws it). ``--ddp`` also trains
seed 0 under ``torchrun --nproc_per_node=2`` (gloo) and records its score beside the single-process one.
Not a speed benchmark: it has ``main()`` and no ``run()``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.harness import RESULTS, machine

ANCHORS = {"trec": "Kim 2014 CNN-rand 91.2", "sst2": "Kim 2014 CNN-rand 82.7", "chnsenticorp": "reported LSTM 91.7"}


def _one(model: str, data: str, seed: int, out: Path) -> dict:
    from mlcanon.tasks import textcls
    from mlcanon.tasks.contract import TrainArgs

    start = time.perf_counter()
    summary = textcls.train(TrainArgs(model=model, data=data, out=out, seed=seed), progress=False)
    seconds = time.perf_counter() - start
    test = textcls.evaluate(out, data=data)
    log = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    return {"seed": seed, "test_accuracy": round(100 * test["accuracy"], 2), "test_macro_f1": round(100 * test["macro_f1"], 2),
            "best_dev_accuracy": summary["best_dev_accuracy"], "best_epoch": summary["best_epoch"],
            "epochs": summary["epochs"], "train_seconds": round(seconds, 1), "log": log}


def _ddp(model: str, data: str, out: Path) -> dict:
    from mlcanon.tasks import textcls

    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", "-m", "mlcanon",
           "textcls", "train", "--model", model, "--data", data, "--out", str(out), "--seed", "0"]
    start = time.perf_counter()
    subprocess.run(cmd, check=True, env={**os.environ, "OMP_NUM_THREADS": "1"}, capture_output=True)
    seconds = time.perf_counter() - start
    test = textcls.evaluate(out, data=data)
    log = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    return {"processes": 2, "test_accuracy": round(100 * test["accuracy"], 2), "train_seconds": round(seconds, 1),
            "best_dev_accuracy": max(r["dev_accuracy"] for r in log), "epochs": len(log)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.textcls_quality", description=__doc__)
    parser.add_argument("--models", nargs="+", default=["textcnn"])
    parser.add_argument("--data", nargs="+", default=["trec"])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--ddp", action="store_true")
    args = parser.parse_args(argv)
    path = RESULTS / "textcls.json"
    results = json.loads(path.read_text()).get("results", {}) if path.exists() else {}
    for model in args.models:
        for data in args.data:
            with tempfile.TemporaryDirectory() as tmp:
                runs = [_one(model, data, s, Path(tmp) / f"seed{s}") for s in range(args.seeds)]
                accs = [r["test_accuracy"] for r in runs]
                entry = {"model": model, "data": data, "seeds": list(range(args.seeds)), "test_accuracy": accs,
                         "mean": round(statistics.mean(accs), 2),
                         "std": round(statistics.stdev(accs), 2) if len(accs) > 1 else 0.0,
                         "anchor": ANCHORS.get(data, ""), "runs": [{k: v for k, v in r.items() if k != "log"} for r in runs],
                         "curve": runs[0]["log"], "date": time.strftime("%Y-%m-%d")}
                if args.ddp:
                    entry["ddp"] = _ddp(model, data, Path(tmp) / "ddp")
                    entry["ddp"]["single_process_seed0"] = runs[0]["test_accuracy"]
            results[f"{model}/{data}"] = entry
            print(f"{model}/{data}: {entry['mean']} ± {entry['std']} ({accs})", flush=True)
            payload = {"benchmark": "textcls", "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "machine": machine(),
                       "results": results}
            RESULTS.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(payload, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
