"""训练 · Training: the one trainer every task uses — a real training curve, resume to the same weights.

Live (seconds): Kim's TextCNN trains on a slice of TREC twice, once straight through and once stopped
mid-epoch and resumed from its checkpoint; the two must end with bit-identical weights. From the
benchmark JSON (``python -m benchmarks.textcls_quality``, full TREC, 3 seeds): the training curve of
``log.jsonl`` (train loss and dev accuracy by epoch), the test accuracy and the run under
``torchrun --nproc_per_node=2`` beside the single-process one.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from mlcanon._paths import results_dir
from mlcanon.report.core import Note, Row, check, figure_from_matplotlib

_RESULTS = results_dir() / "textcls.json"


def _slice_runs(tmp: Path) -> tuple[float, int]:
    import torch

    from mlcanon.tasks import textcls
    from mlcanon.tasks.contract import TrainArgs
    from mlcanon.training import trainer as trainer_module

    args = dict(model="textcnn", data="trec", limit=600, epochs=2, batch_size=50, seed=0)
    textcls.train(TrainArgs(out=tmp / "straight", **args), progress=False)
    # Stop the second run after its 9th optimiser step (a checkpoint is written every 4), then resume it.
    original, calls = trainer_module.Trainer._optimizer_step, {"n": 0}

    def step_then_stop(self):
        original(self)
        calls["n"] += 1
        if calls["n"] == 9:
            raise KeyboardInterrupt

    trainer_module.Trainer._optimizer_step = step_then_stop
    try:
        textcls.train(TrainArgs(out=tmp / "resumed", checkpoint_every=4, **args), progress=False)
    except KeyboardInterrupt:
        pass
    finally:
        trainer_module.Trainer._optimizer_step = original
    textcls.train(TrainArgs(out=tmp / "resumed", checkpoint_every=4, resume=True, **args), progress=False)
    from safetensors.torch import load_file

    a = load_file(str(tmp / "straight" / "model.safetensors"))
    b = load_file(str(tmp / "resumed" / "model.safetensors"))
    return max(float((a[k] - b[k]).abs().max()) for k in a), sum(t.numel() for t in a.values())


def _curve(entry: dict):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    log = entry["curve"]
    epochs = [r["epoch"] for r in log]
    fig, ax = plt.subplots(figsize=(6.4, 3.4))
    ax.plot(epochs, [r["train_loss"] for r in log], "o-", color="tab:blue", label="train loss")
    ax.set_xlabel("epoch")
    ax.set_ylabel("train loss (cross-entropy)", color="tab:blue")
    ax2 = ax.twinx()
    ax2.plot(epochs, [100 * r["dev_accuracy"] for r in log], "s-", color="tab:orange", label="dev accuracy")
    ax2.set_ylabel("dev accuracy (%)", color="tab:orange")
    ax.set_xticks(epochs)
    fig.legend(loc="center right", bbox_to_anchor=(0.85, 0.5), frameon=False)
    return figure_from_matplotlib(
        fig, "TextCNN on TREC: the training curve from log.jsonl",
        f"seed 0, full training set, early stopping on dev accuracy (patience 3); benchmark of {entry['date']}")


@check("训练 — the one trainer: training curve, resume after a stop, two processes")
def trainer_rows(ctx):
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            diff, n = _slice_runs(Path(tmp))
    finally:
        torch.set_num_threads(threads)
    items = [Row(f"resumed run vs uninterrupted run, same seed: max |weight diff| over {n:,} weights "
                 "(TextCNN, 600 TREC questions, stopped after step 9 of 24, resumed from the step-8 checkpoint)",
                 diff, 0.0, "the uninterrupted run", tolerance=0.0)]
    if not _RESULTS.is_file():
        return items + [Note("The full-data figures appear after `python -m benchmarks.textcls_quality --ddp`.")]
    entry = json.loads(_RESULTS.read_text()).get("results", {}).get("textcnn/trec")
    if entry is None:
        return items
    items.append(Row(f"TextCNN (CNN-rand) TREC-6 test accuracy, mean ± std over seeds {entry['seeds']}: "
                     f"{entry['mean']:.2f} ± {entry['std']:.2f} (benchmark of {entry['date']})",
                     entry["mean"], 91.2, "Kim 2014, CNN-rand", kind="quality", tolerance=None,
                     note="info: the full run is a benchmark, not re-run by the report"))
    if "ddp" in entry:
        d = entry["ddp"]
        items.append(Row("the same run under torchrun --nproc_per_node=2 (gloo, DDP): test accuracy, seed 0",
                         d["test_accuracy"], d["single_process_seed0"], "one process, seed 0", kind="quality",
                         tolerance=None, note="info: other dropout streams per process, same global batches"))
    items.append(_curve(entry))
    return items
