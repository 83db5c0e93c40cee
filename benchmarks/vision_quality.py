"""MNIST quality of ``mlcanon vision``: ResNet-20, ViT (and VGG-11-bn) trained on this machine by the one trainer.

``python -m benchmarks.vision_quality [--models resnet20 vit] [--threads 1] [--keep DIR] [--ddp]`` writes
``results/vision_quality.json``: per model, the accuracy on the held-out 2,000 (MNIST test images
8,000..9,999; trained on 0..7,499 with a ±2-pixel random shift, the best of the epochs on the dev images
7,500..7,999 kept: see mlcanon.tasks.vision.data), macro-F1, the per-epoch curve, wall time **and** the
process's CPU time of training (the machine is a shared 2-core box under other engineers' load, so wall
time is an upper bound and CPU time says what the run itself cost), prediction throughput (test images/s)
and the peak RSS. Goals (issue 11): ResNet-20 ≥ 99.0 %, the ViT ≥ 97.5 %, each in under 15 minutes.
``--ddp`` also trains ResNet-20 under ``torchrun --standalone --nproc_per_node=2`` (gloo) and records its
accuracy beside the single-process one. ``--keep DIR`` keeps the trained model folders (DIR/MODEL), which
the report's filter, feature-map, attention and CKA rows read when ``MLCANON_VISION_MODELS=DIR`` is set.
Not a speed benchmark: it has ``main()`` and no ``run()``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.harness import merge_quality_result

GOALS = {"resnet20": 99.0, "vit": 97.5, "vgg11_bn": 99.0}
MINUTES = 15.0
NOTES = ("An earlier ResNet-20 run (same recipe, 10 epochs, 2026-12-02) selected the epoch by dev accuracy: "
         "0.996 was first reached at epoch 6 (tied at 9 and 10), whose weights gave 98.65 % on the test images, "
         "while its epoch-10 weights gave 99.05 %; selection is now on the dev cross-entropy.")


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    c = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime + c.ru_utime + c.ru_stime


def _score(model: str, out: Path, seconds: float, cpu: float, summary: dict) -> dict:
    from mlcanon.tasks import vision
    from mlcanon.tasks.vision.data import load_split

    test = vision.evaluate(out, data="mnist", split="test")
    images, _ = load_split("mnist", "test")
    clf = vision.load(out)
    t0 = time.perf_counter()
    clf.predict_proba(images)
    throughput = len(images) / (time.perf_counter() - t0)
    log = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    config = json.loads((out / "config.json").read_text())
    accuracy = round(100 * test["accuracy"], 2)
    return {"model": model, "test_accuracy": accuracy, "test_macro_f1": round(100 * test["macro_f1"], 2),
            "test_n": test["n"], "goal": GOALS[model], "goal_reached": accuracy >= GOALS[model],
            "within_15_min_wall": seconds <= MINUTES * 60, "within_15_min_cpu": cpu <= MINUTES * 60,
            "train_wall_seconds": round(seconds, 1), "train_cpu_seconds": round(cpu, 1),
            "best_dev_accuracy": summary.get("best_dev_accuracy"), "best_epoch": summary.get("best_epoch"),
            "epochs": summary.get("epochs"), "steps": summary.get("steps"),
            "predict_images_per_s": round(throughput, 1),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "train_config": config["train_config"], "normalisation": {k: config["hyper_parameters"][k]
                                                                     for k in ("mean", "std")},
            "augmentation": f"random shift ±{config['hyper_parameters']['shift']} px (pad with 0, random crop)",
            "confusion": test["confusion"], "curve": log, "date": time.strftime("%Y-%m-%d")}


def _one(model: str, out: Path, seed: int) -> dict:
    from mlcanon.tasks import vision
    from mlcanon.tasks.contract import TrainArgs

    start, cpu = time.perf_counter(), _cpu()
    summary = vision.train(TrainArgs(model=model, data="mnist", out=out, seed=seed), progress=False)
    return {"seed": seed, **_score(model, out, time.perf_counter() - start, _cpu() - cpu, summary)}


def _ddp(model: str, out: Path, threads: int) -> dict:
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", "-m", "mlcanon",
           "vision", "train", "--model", model, "--data", "mnist", "--out", str(out), "--seed", "0"]
    start, cpu = time.perf_counter(), _cpu()
    subprocess.run(cmd, check=True, env={**os.environ, "OMP_NUM_THREADS": str(threads)}, capture_output=True)
    seconds = time.perf_counter() - start
    entry = _score(model, out, seconds, _cpu() - cpu, {})
    log = entry["curve"]
    entry.update(processes=2, backend="gloo", best_dev_accuracy=max(r["dev_accuracy"] for r in log), epochs=len(log))
    return entry


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.vision_quality", description=__doc__)
    parser.add_argument("--models", nargs="*", default=["resnet20", "vit"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1, help="torch threads (1: the 2 cores are shared)")
    parser.add_argument("--keep", type=Path, default=None, help="keep the model folders in DIR/MODEL")
    parser.add_argument("--ddp", action="store_true", help="also ResNet-20 under torchrun (2 processes, gloo)")
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(args.threads)
    root = args.keep or Path(tempfile.mkdtemp(prefix="vision_quality_"))
    todo = [(m, False) for m in args.models] + ([("resnet20", True)] if args.ddp else [])
    for model, ddp in todo:
        out = root / (f"{model}_ddp" if ddp else model)
        if out.exists():
            shutil.rmtree(out)
        entry = _ddp(model, out, args.threads) if ddp else _one(model, out, args.seed)
        entry.update(threads=args.threads, measured_under_load=True)
        merge_quality_result(
            "vision_quality", f"{model}/ddp" if ddp else model, entry, notes=NOTES,
            data="bundled MNIST test set: train 0..7499 (±2 px shifts), dev 7500..7999, test 8000..9999")
        print(f"{model}{' ddp' if ddp else ''}: {entry['test_accuracy']} % on {entry['test_n']}, "
              f"{entry['train_wall_seconds']} s wall, {entry['train_cpu_seconds']} s CPU", flush=True)
    if args.keep is None:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
