"""AV-MNIST fusion quality: every model of ``mlcanon multimodal`` trained on the full training pairs.

``python -m benchmarks.multimodal_quality [--models image audio late ...] [--seeds 0 1 2] [--epochs 8]``
writes ``results/multimodal.json`` (after every run, so an interrupted benchmark keeps what finished): per
model and seed the test accuracy on the degraded test pairs (PCA 25% energy + 0 dB noise, pair seed 0),
on clean test pairs, with the image replaced by noise and with the audio replaced by noise; for
``image``, ``audio``, ``late`` and ``tensor`` the accuracy against the audio SNR (-10 ... +20 dB, images
still degraded); train time, training throughput (pairs/s), the peak RSS so far, the best epoch. The
summary holds the mean over the seeds that finished and the issue's goal (best fusion ≥ best single
modality + 3 points; fusion above both single modalities when one input is noise). Measured on a shared
2-core machine under load: times are upper bounds. Not a speed benchmark: ``main()`` and no ``run()``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import resource
import statistics
import tempfile
import time
from pathlib import Path

from benchmarks.harness import RESULTS, machine

MODELS = ("image", "audio", "late", "tensor", "early", "lowrank", "gmu", "centralnet")
SNR_MODELS = ("image", "audio", "late", "tensor")
SNRS = (-10.0, -5.0, 0.0, 5.0, 10.0, 20.0)
OUT = RESULTS / "multimodal.json"


def _test_sets() -> dict:
    import numpy as np

    from mlcanon.tasks.multimodal.features import Degradation, pairs

    sets = {"degraded": pairs("test", 0, Degradation()), "clean": pairs("test", 0, Degradation.clean())}
    sets["image_noise"] = pairs("test", 0, Degradation()).replace("image", np.random.default_rng([0, 7]))
    sets["audio_noise"] = pairs("test", 0, Degradation()).replace("audio", np.random.default_rng([0, 7]))
    for snr in SNRS:
        sets[f"snr_{snr:g}"] = pairs("test", 0, Degradation(0.25, snr))
    return sets


def _one(model: str, seed: int, epochs: int, sets: dict, out: Path) -> dict:
    from mlcanon.tasks import multimodal
    from mlcanon.tasks.contract import TrainArgs

    start = time.perf_counter()
    summary = multimodal.train(TrainArgs(model=model, data="avmnist", out=out, seed=seed, epochs=epochs),
                               progress=False)
    seconds = time.perf_counter() - start
    clf = multimodal.load(out)
    acc = {k: round(100 * clf.score(v)["accuracy"], 2) for k, v in sets.items()
           if not k.startswith("snr_") or model in SNR_MODELS}
    log = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    steps_pairs = sum(1 for _ in log) * 7000
    return {"seed": seed, "test_accuracy": acc.pop("degraded"), "clean_accuracy": acc.pop("clean"),
            "image_noise_accuracy": acc.pop("image_noise"), "audio_noise_accuracy": acc.pop("audio_noise"),
            "snr_accuracy": {k[4:]: v for k, v in acc.items()}, "best_dev_accuracy": summary["best_dev_accuracy"],
            "best_epoch": summary["best_epoch"], "epochs": summary["epochs"], "train_seconds": round(seconds, 1),
            "train_pairs_per_s": round(steps_pairs / seconds, 1),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


def _summary(runs: dict) -> dict:
    mean = {m: round(statistics.mean(r["test_accuracy"] for r in rs), 2) for m, rs in runs.items() if rs}
    out: dict = {"mean_test_accuracy": mean,
                 "seeds_finished": {m: [r["seed"] for r in rs] for m, rs in runs.items()}}
    singles = [mean[m] for m in ("image", "audio") if m in mean]
    fusions = {m: v for m, v in mean.items() if m not in ("image", "audio")}
    if len(singles) == 2 and fusions:
        best = max(fusions, key=fusions.get)
        gain = round(fusions[best] - max(singles), 2)
        out["goal_fusion_gain"] = {"best_fusion": best, "gain_points": gain, "goal_points": 3.0, "met": gain >= 3.0}
        robust = {}
        for m in fusions:
            rs = runs[m]
            img_noise = statistics.mean(r["image_noise_accuracy"] for r in rs)
            aud_noise = statistics.mean(r["audio_noise_accuracy"] for r in rs)
            # with the image replaced by noise the fusion must beat both unimodal models on the same inputs
            single_img = [statistics.mean(r["image_noise_accuracy"] for r in runs[s]) for s in ("image", "audio")]
            single_aud = [statistics.mean(r["audio_noise_accuracy"] for r in runs[s]) for s in ("image", "audio")]
            robust[m] = {"image_noise": round(img_noise, 2), "audio_noise": round(aud_noise, 2),
                         "above_both_image_noise": img_noise > max(single_img),
                         "above_both_audio_noise": aud_noise > max(single_aud)}
        out["robustness"] = robust
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=MODELS)
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=8)
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(1)
    sets = _test_sets()
    result = {"benchmark": "multimodal_quality", "date": datetime.date.today().isoformat(), "machine": machine(),
              "protocol": "AV-MNIST from MNIST t10k + FSDD: images 0-6999 train / 7000-7999 dev / 8000-9999 test, "
                          "PCA 25% energy (4 components), white noise 0 dB; test pairs drawn with seed 0",
              "epochs_max": args.epochs, "patience": 3, "under_load": True, "snrs_db": list(SNRS), "runs": {}}
    runs: dict[str, list] = {m: [] for m in args.models}
    for seed in args.seeds:  # a seed of every model before the next seed: a partial run still compares models
        for model in args.models:
            with tempfile.TemporaryDirectory() as tmp:
                record = _one(model, seed, args.epochs, sets, Path(tmp) / "run")
            runs[model].append(record)
            print(f"{model} seed {seed}: test {record['test_accuracy']} clean {record['clean_accuracy']} "
                  f"({record['train_seconds']} s)", flush=True)
            result["runs"] = runs
            result["summary"] = _summary(runs)
            OUT.parent.mkdir(parents=True, exist_ok=True)
            OUT.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result["summary"], indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
