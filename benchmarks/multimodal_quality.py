"""AV-MNIST fusion quality: every model of ``mlcanon multimodal`` trained on the full training pairs.

``python -m benchmarks.multimodal_quality [--models image audio late ...] [--seeds 0 1 2] [--clean] [--resume]``
writes ``results/multimodal.json`` (after every run, so an interrupted benchmark keeps what finished, and
``--resume`` skips the (model, seed) runs already there; ``--out`` writes elsewhere and ``--merge FILE ...``
adds the runs of other such files, so that seeds can run in separate processes). Per model and seed, on the test pairs drawn with
pair seed 0:

* ``test_accuracy`` — the degraded test pairs (PCA 25% energy + white noise at 0 dB), as trained;
* ``clean_input_accuracy`` — the same model on clean test pairs (a shift it never saw: not the clean protocol);
* ``image_noise_accuracy`` / ``audio_noise_accuracy`` — one input replaced by noise (uniform pixels; the
  log-mel of white noise), the failure the fusion models' modality dropout simulates in training;
* ``image_blank_accuracy`` / ``audio_silent_accuracy`` — one input replaced by a failure that training never
  simulates (an all-black image; a silent recording);
* ``snr_accuracy`` (``image``, ``audio``, ``late``, ``tensor``) — the audio noise at -10 ... +20 dB instead of
  0 dB at test time, images still degraded (the models are those trained at 0 dB);
* train time, throughput (pairs/s), peak RSS so far, best and last epoch.

``--clean`` runs the clean protocol instead (trained and tested without either degradation) into
``clean_runs``. The summary holds the mean over the seeds that finished and the issue's goals: best fusion
≥ best single modality + 3 points on the degraded pairs; every fusion model above both single-modality
models when one input is replaced by noise. Measured on a shared 2-core machine under load: times are
upper bounds. Not a speed benchmark: ``main()`` and no ``run()``.
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
SINGLES = ("image", "audio")
SNR_MODELS = ("image", "audio", "late", "tensor")
SNRS = (-10.0, -5.0, 0.0, 5.0, 10.0, 20.0)
FAILURES = ("image_noise", "audio_noise", "image_blank", "audio_silent")
OUT = RESULTS / "multimodal.json"
N_TRAIN = 7000  # training pairs an epoch


def _test_sets(clean: bool) -> dict:
    import numpy as np
    import torch

    from mlcanon.tasks.multimodal.features import N_SAMPLES, Degradation, log_mel, pairs

    if clean:
        return {"test": pairs("test", 0, Degradation.clean())}
    sets = {"test": pairs("test", 0, Degradation()), "clean_input": pairs("test", 0, Degradation.clean())}
    sets["image_noise"] = pairs("test", 0, Degradation()).replace("image", np.random.default_rng([0, 7]))
    sets["audio_noise"] = pairs("test", 0, Degradation()).replace("audio", np.random.default_rng([0, 7]))
    sets["image_blank"] = pairs("test", 0, Degradation())
    sets["image_blank"].image = torch.zeros_like(sets["image_blank"].image)
    sets["audio_silent"] = pairs("test", 0, Degradation())
    silent = torch.from_numpy(log_mel(np.zeros((1, N_SAMPLES), dtype=np.float32)))  # (1, 40, 101)
    sets["audio_silent"].audio = silent.expand_as(sets["audio_silent"].audio).contiguous()
    for snr in SNRS:
        sets[f"snr_{snr:g}"] = sets["test"] if snr == 0 else pairs("test", 0, Degradation(0.25, snr))
    return sets


def _one(model: str, seed: int, epochs: int | None, sets: dict, out: Path, clean: bool) -> dict:
    from mlcanon.tasks import multimodal
    from mlcanon.tasks.contract import TrainArgs

    start = time.perf_counter()
    summary = multimodal.train(TrainArgs(model=model, data="avmnist", out=out, seed=seed, epochs=epochs),
                               clean=clean, progress=False)
    seconds = time.perf_counter() - start
    clf = multimodal.load(out)
    acc = {k: round(100 * clf.score(v)["accuracy"], 2) for k, v in sets.items()
           if not k.startswith("snr_") or model in SNR_MODELS}
    record = {"seed": seed, "finished": datetime.datetime.now().isoformat(timespec="seconds"),
              "test_accuracy": acc.pop("test")}
    record.update({f"{k}_accuracy": acc.pop(k) for k in ("clean_input", *FAILURES) if k in acc})
    if acc:
        record["snr_accuracy"] = {k[4:]: v for k, v in acc.items()}
    record.update({"best_dev_accuracy": summary["best_dev_accuracy"], "best_epoch": summary["best_epoch"],
                   "epochs": summary["epochs"], "stopped_early": summary["stopped_early"],
                   "train_seconds": round(seconds, 1),
                   "train_pairs_per_s": round(summary["epochs"] * N_TRAIN / seconds, 1),
                   "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)})
    return record


def _mean(rs: list, key: str) -> float:
    return round(statistics.mean(r[key] for r in rs), 2)


def _gain(mean: dict) -> dict | None:
    fusions = {m: v for m, v in mean.items() if m not in SINGLES}
    if not (all(m in mean for m in SINGLES) and fusions):
        return None
    best = max(fusions, key=fusions.get)
    best_single = max(SINGLES, key=mean.get)
    gain = round(fusions[best] - mean[best_single], 2)
    return {"best_fusion": best, "best_single": best_single, "gain_points": gain, "goal_points": 3.0,
            "met": gain >= 3.0}


def _robustness(runs: dict) -> dict:
    """Per fusion model and failure: its mean accuracy, and whether it is above both single-modality models
    on the same inputs (the image model ignores the audio and the reverse, so e.g. with the image replaced
    the bar is the audio model's accuracy)."""
    out = {}
    for m, rs in runs.items():
        if m in SINGLES or not rs:
            continue
        out[m] = {}
        for failure in FAILURES:
            ours = _mean(rs, f"{failure}_accuracy")
            bar = max(_mean(runs[s], f"{failure}_accuracy") for s in SINGLES)
            out[m][failure] = {"accuracy": ours, "best_single": bar, "above_both": ours > bar}
    return out


def _summary(runs: dict, clean_runs: dict) -> dict:
    mean = {m: _mean(rs, "test_accuracy") for m, rs in runs.items() if rs}
    out: dict = {"mean_test_accuracy": mean, "seeds_finished": {m: [r["seed"] for r in rs] for m, rs in runs.items()}}
    gain = _gain(mean)
    if gain is not None:
        out["goal_fusion_gain"] = gain
        out["robustness"] = _robustness(runs)
        fail = {m: [f for f in ("image_noise", "audio_noise") if not r[f]["above_both"]]
                for m, r in out["robustness"].items()}
        out["goal_robustness"] = {"met_by": [m for m, f in fail.items() if not f],
                                  "missed": {m: f for m, f in fail.items() if f}}
    clean_mean = {m: _mean(rs, "test_accuracy") for m, rs in clean_runs.items() if rs}
    if clean_mean:
        out["clean_protocol"] = {"mean_test_accuracy": clean_mean,
                                 "seeds_finished": {m: [r["seed"] for r in rs] for m, rs in clean_runs.items()},
                                 "fusion_gain": _gain(clean_mean)}
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=MODELS)
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=None, help="default: the task's (15, early stopping)")
    parser.add_argument("--clean", action="store_true", help="the clean protocol (no degradation) into clean_runs")
    parser.add_argument("--resume", action="store_true", help="keep the runs already in the JSON and skip them")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--merge", nargs="+", type=Path, default=[], help="add the runs of these result files")
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(1)
    old = json.loads(args.out.read_text()) if args.resume and args.out.is_file() else {}
    key = "clean_runs" if args.clean else "runs"
    all_runs = {k: {m: list(rs) for m, rs in old.get(k, {}).items()} for k in ("runs", "clean_runs")}
    for other in args.merge:
        for k, by_model in json.loads(other.read_text()).items():
            if k in all_runs:
                for m, rs in by_model.items():
                    have = {r["seed"] for r in all_runs[k].setdefault(m, [])}
                    all_runs[k][m] += [r for r in rs if r["seed"] not in have]
    for by_model in all_runs.values():  # models in the benchmark's order, seeds ascending
        ordered = {m: sorted(by_model[m], key=lambda r: r["seed"]) for m in MODELS if m in by_model}
        by_model.clear()
        by_model.update(ordered)
    runs = all_runs[key]
    todo = [(seed, model) for seed in args.seeds for model in args.models
            if not any(r["seed"] == seed for r in runs.get(model, []))]
    sets = _test_sets(args.clean) if todo else {}
    result = {"benchmark": "multimodal_quality", "machine": machine(),
              "protocol": "AV-MNIST from MNIST t10k + FSDD: images 0-6999 train / 7000-7999 dev / 8000-9999 test, "
                          "PCA 25% energy (4 components), white noise 0 dB; test pairs drawn with seed 0",
              "recipe": "AdamW 2e-3, cosine decay, batch 64, up to 15 epochs, early stopping patience 4 on dev "
                        "accuracy (best epoch kept); fusion models with modality dropout 0.1 per input",
              "epochs_max": args.epochs or 15, "under_load": True, "snrs_db": list(SNRS)}
    # a seed of every model before the next seed: a partial run still compares models
    for seed, model in todo:
        with tempfile.TemporaryDirectory() as tmp:
            record = _one(model, seed, args.epochs, sets, Path(tmp) / "run", args.clean)
        runs.setdefault(model, []).append(record)
        print(f"{key} {model} seed {seed}: test {record['test_accuracy']} best epoch {record['best_epoch']}/"
              f"{record['epochs']} ({record['train_seconds']} s)", flush=True)
        _write(args.out, result, all_runs)
    if not todo:
        _write(args.out, {**old, **result}, all_runs)
    print(json.dumps(_summary(all_runs["runs"], all_runs["clean_runs"]), indent=1))
    return 0


def _write(path: Path, result: dict, all_runs: dict) -> None:
    result.update(date=datetime.datetime.now().isoformat(timespec="seconds"), **all_runs,
                  summary=_summary(all_runs["runs"], all_runs["clean_runs"]))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    raise SystemExit(main())
